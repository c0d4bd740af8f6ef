/* SPDX-License-Identifier: MIT */
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fd-util.h"
#include "macro.h"

int read_file_at(int dirfd, const char *path, char *buf, size_t size, size_t *ret_len) {
        _cleanup_(closep) int fd = -EBADF;
        size_t len = 0;
        ssize_t n;

        if (size == 0)
                return -EINVAL;
        fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW);
        if (fd < 0)
                return -errno;
        for (;;) {
                n = read(fd, buf + len, size - 1 - len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        break;
                len += (size_t) n;
                if (len >= size - 1)
                        return -EFBIG;
        }
        buf[len] = 0;
        if (ret_len)
                *ret_len = len;
        return 0;
}

int read_full_file_at(int dirfd, const char *path, char **ret) {
        size_t size = 4096;

        for (;;) {
                _cleanup_(freep) char *buf = malloc(size);
                int r;

                if (!buf)
                        return -ENOMEM;
                r = read_file_at(dirfd, path, buf, size, NULL);
                if (r == -EFBIG && size < 16 * 1024 * 1024) {
                        size *= 4;
                        continue;
                }
                if (r < 0)
                        return r;
                *ret = TAKE_PTR(buf);
                return 0;
        }
}

int write_file_at(int dirfd, const char *path, const char *value) {
        _cleanup_(closep) int fd = -EBADF;
        size_t len = strlen(value);
        ssize_t n;

        fd = openat(dirfd, path, O_WRONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW);
        if (fd < 0)
                return -errno;
        n = write(fd, value, len);
        if (n < 0)
                return -errno;
        if ((size_t) n != len)
                return -EIO;
        return 0;
}

int fd_nonblock(int fd, bool nonblock) {
        int flags = fcntl(fd, F_GETFL, 0);

        if (flags < 0)
                return -errno;
        flags = nonblock ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK);
        if (fcntl(fd, F_SETFL, flags) < 0)
                return -errno;
        return 0;
}

int pidfd_send_signal_wrapper(int pidfd, int sig) {
        if (syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0)
                return -errno;
        return 0;
}

int pidfd_open_wrapper(pid_t pid) {
        int fd = (int) syscall(SYS_pidfd_open, pid, 0);

        return fd < 0 ? -errno : fd;
}

int mkdir_parents_at(int dirfd, const char *path, mode_t mode) {
        _cleanup_(freep) char *copy = strdup(path);

        if (!copy)
                return -ENOMEM;
        for (char *slash = strchr(copy + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
                *slash = 0;
                if (mkdirat(dirfd, copy, mode) < 0 && errno != EEXIST)
                        return -errno;
                *slash = '/';
        }
        return 0;
}

int mkdir_p_at(int dirfd, const char *path, mode_t mode) {
        int r;

        r = mkdir_parents_at(dirfd, path, mode);
        if (r < 0)
                return r;
        if (mkdirat(dirfd, path, mode) < 0 && errno != EEXIST)
                return -errno;
        return 0;
}

/* /proc/locks: "1: FLOCK  ADVISORY  WRITE 1234 00:1a:5678 0 EOF" (a waiter's
 * line has "->" after the number: skipped). */
int fd_flock_holder(int fd, pid_t *ret) {
        _cleanup_(freep) char *buf = NULL;
        char *line, *save = NULL;
        struct stat st;
        int r;

        if (fstat(fd, &st) < 0)
                return -errno;
        r = read_full_file_at(AT_FDCWD, "/proc/locks", &buf);
        if (r < 0)
                return r;
        for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                unsigned maj, min;
                unsigned long long ino;
                char type[16];
                int pid;

                if (sscanf(line, "%*d: %15s %*s %*s %d %x:%x:%llu", type, &pid, &maj, &min, &ino) != 5 ||
                    !streq(type, "FLOCK"))
                        continue;
                if (ino == (unsigned long long) st.st_ino && maj == major(st.st_dev) &&
                    min == minor(st.st_dev) && pid > 0) {
                        *ret = pid;
                        return 0;
                }
        }
        return -ENOENT;
}
