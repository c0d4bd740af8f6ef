/* SPDX-License-Identifier: MIT */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "notify/notify.h"
#include "shared/utf8.h"

static NotifyMessage parse_ok(const char *s) {
        NotifyMessage m;

        cr_assert_eq(notify_parse(s, strlen(s), &m), 0, "notify_parse(%s)", s);
        return m;
}

Test(notify, assignments) {
        NotifyMessage m = parse_ok("READY=1\nSTATUS=up and running\nX_WORKERPOOL_BUSY=1\nWATCHDOG=1\nFOO=bar\n");

        cr_assert(m.ready);
        cr_assert(m.watchdog);
        cr_assert(!m.watchdog_trigger);
        cr_assert_eq(m.busy, 1);
        cr_assert(m.has_status);
        cr_assert_str_eq(m.status, "up and running");
        cr_assert_eq(m.n_unknown, 1, "unknown assignments are counted, as systemd ignores them");
        m = parse_ok("WATCHDOG=trigger\nX_WORKERPOOL_BUSY=0\nSTOPPING=1\nRELOADING=1\nERRNO=13\nMAINPID=7");
        cr_assert(m.watchdog_trigger);
        cr_assert_eq(m.busy, 0);
        cr_assert(m.stopping && m.reloading && m.has_mainpid);
        cr_assert_eq(m.errno_value, 13);
        m = parse_ok("READY=0\nX_WORKERPOOL_BUSY=maybe\n");
        cr_assert(!m.ready);
        cr_assert_eq(m.busy, -1);
        cr_assert_eq(m.waiting, -1);
        m = parse_ok("X_WORKERPOOL_WAITING=1\n");
        cr_assert_eq(m.waiting, 1);
        m = parse_ok("X_WORKERPOOL_WAITING=0\nX_WORKERPOOL_WAITING=soon\n");
        cr_assert_eq(m.waiting, 0, "the last valid one counts");
        cr_assert_eq(m.n_unknown, 1);
}

Test(notify, malformed) {
        NotifyMessage m;

        cr_assert_eq(notify_parse("", 0, &m), -EBADMSG);
        cr_assert_eq(notify_parse("READY", 5, &m), -EBADMSG, "no '='");
        cr_assert_eq(notify_parse("=1", 2, &m), -EBADMSG, "no key");
        cr_assert_eq(notify_parse("READY=1\0x", 9, &m), -EBADMSG, "a NUL byte");
}

Test(notify, status_is_valid_utf8_cut_on_a_boundary) {
        char buf[NOTIFY_MESSAGE_MAX];
        NotifyMessage m;
        size_t n;

        m = parse_ok("STATUS=bad \xff\xfe bytes");
        cr_assert(utf8_is_valid(m.status));
        cr_assert_str_eq(m.status, "bad \xef\xbf\xbd\xef\xbf\xbd bytes");

        n = (size_t) snprintf(buf, sizeof buf, "STATUS=");
        for (int i = 0; i < 200; i++)       /* "é" x 200: 400 bytes, more than 255 */
                n += (size_t) snprintf(buf + n, sizeof buf - n, "\xc3\xa9");
        cr_assert_eq(notify_parse(buf, n, &m), 0);
        cr_assert(utf8_is_valid(m.status), "not cut in the middle of a character");
        cr_assert_eq(strlen(m.status), 254);
        cr_assert_lt(strlen(m.status), NOTIFY_STATUS_MAX);
}

/* A barrier (sd_notify_barrier(), systemd-notify): the sender waits until
 * the pipe it passed is closed. notify_receive() hands the fds over; they
 * stay open until notify_fds_close(), so the sender is still alive while the
 * daemon looks it up. */
Test(notify, passed_fds_are_held_until_closed) {
        int sv[2], pipefd[2], one = 1;
        union {
                struct cmsghdr h;
                uint8_t buf[CMSG_SPACE(sizeof(int))];
        } control = {};
        struct iovec iov = { .iov_base = (char *) "BARRIER=1", .iov_len = 9 };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = &control,
                             .msg_controllen = sizeof control };
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        char buf[NOTIFY_MESSAGE_MAX + 1];
        struct pollfd pfd;
        struct ucred uc;
        NotifyFds fds;
        size_t n;

        cr_assert_eq(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv), 0);
        cr_assert_eq(setsockopt(sv[0], SOL_SOCKET, SO_PASSCRED, &one, sizeof one), 0);
        cr_assert_eq(pipe2(pipefd, O_CLOEXEC), 0);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &pipefd[1], sizeof(int));
        cr_assert_eq(sendmsg(sv[1], &mh, 0), 9);
        close(pipefd[1]);               /* ours gone: only the passed copy is left */

        cr_assert_eq(notify_receive(sv[0], buf, sizeof buf, &n, &uc, &fds), 0);
        cr_assert_str_eq(buf, "BARRIER=1");
        cr_assert_eq(uc.pid, getpid());
        cr_assert_eq(fds.n, 1);
        pfd = (struct pollfd) { .fd = pipefd[0], .events = POLLIN };
        cr_assert_eq(poll(&pfd, 1, 0), 0, "the barrier is not released before we are done");
        notify_fds_close(&fds);
        cr_assert_eq(fds.n, 0);
        cr_assert_eq(poll(&pfd, 1, 0), 1);
        cr_assert(pfd.revents & POLLHUP, "released once closed");
        close(pipefd[0]);
        close(sv[0]);
        close(sv[1]);
}
