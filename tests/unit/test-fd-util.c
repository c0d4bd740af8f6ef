/* SPDX-License-Identifier: MIT */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/file.h>
#include <unistd.h>

#include "shared/fd-util.h"

/* The holder of a flock() is found in /proc/locks; an unlocked file has none. */
Test(fd_util, flock_holder) {
        char path[] = "/tmp/test-fd-util-XXXXXX";
        int fd = mkstemp(path), other;
        pid_t pid = 0;

        cr_assert_geq(fd, 0);
        other = open(path, O_RDONLY | O_CLOEXEC);
        cr_assert_geq(other, 0);
        cr_assert_eq(fd_flock_holder(other, &pid), -ENOENT);
        cr_assert_eq(flock(fd, LOCK_EX | LOCK_NB), 0);
        cr_assert_eq(fd_flock_holder(other, &pid), 0);
        cr_assert_eq(pid, getpid());
        cr_assert_eq(flock(fd, LOCK_UN), 0);
        cr_assert_eq(fd_flock_holder(other, &pid), -ENOENT);
        cr_assert_eq(fd_flock_holder(-1, &pid), -EBADF);
        close(other);
        close(fd);
        unlink(path);
}
