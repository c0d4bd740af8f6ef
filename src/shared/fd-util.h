/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Read a whole small file relative to dirfd (kernfs/procfs files: one read). */
int read_file_at(int dirfd, const char *path, char *buf, size_t size, size_t *ret_len);
/* Allocating variant; *ret is NUL-terminated. */
int read_full_file_at(int dirfd, const char *path, char **ret);
/* Write a string to an existing file relative to dirfd, in one write(). */
int write_file_at(int dirfd, const char *path, const char *value);
int fd_nonblock(int fd, bool nonblock);
/* Who holds a flock() on the file fd refers to, from /proc/locks: its pid,
 * -ENOENT if nobody does (or /proc/locks cannot say). */
int fd_flock_holder(int fd, pid_t *ret);
/* mkdir -p of every parent of path (relative to dirfd), not path itself;
 * mkdir_p_at() makes path too. Existing directories are fine. */
int mkdir_parents_at(int dirfd, const char *path, mode_t mode);
int mkdir_p_at(int dirfd, const char *path, mode_t mode);
int pidfd_send_signal_wrapper(int pidfd, int sig);
int pidfd_open_wrapper(pid_t pid);
