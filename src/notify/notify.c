/* SPDX-License-Identifier: MIT */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "../shared/macro.h"
#include "../shared/utf8.h"
#include "notify.h"

int notify_parse(const char *buf, size_t n, NotifyMessage *ret) {
        NotifyMessage m = { .busy = -1, .waiting = -1, .errno_value = -1 };
        const char *p = buf, *end = buf + n;

        if (n == 0 || n > NOTIFY_MESSAGE_MAX || memchr(buf, 0, n))
                return -EBADMSG;

        while (p < end) {
                const char *nl = memchr(p, '\n', end - p) ?: end;
                const char *eq = memchr(p, '=', nl - p);
                size_t klen, vlen;
                const char *v;

                if (nl == p) {          /* empty line: tolerated */
                        p = nl + 1;
                        continue;
                }
                if (!eq || eq == p)
                        return -EBADMSG;
                klen = eq - p;
                v = eq + 1;
                vlen = nl - v;

#define IS(k) (klen == sizeof(k) - 1 && memcmp(p, k, klen) == 0)
#define VAL(s) (vlen == sizeof(s) - 1 && memcmp(v, s, vlen) == 0)
                if (IS("READY"))
                        m.ready = VAL("1");
                else if (IS("STOPPING"))
                        m.stopping = VAL("1");
                else if (IS("RELOADING"))
                        m.reloading = VAL("1");
                else if (IS("WATCHDOG")) {
                        m.watchdog = VAL("1");
                        m.watchdog_trigger = VAL("trigger");
                } else if (IS("X_WORKERPOOL_BUSY")) {
                        if (VAL("1"))
                                m.busy = 1;
                        else if (VAL("0"))
                                m.busy = 0;
                        else
                                m.n_unknown++;
                } else if (IS("X_WORKERPOOL_WAITING")) {
                        if (VAL("1"))
                                m.waiting = 1;
                        else if (VAL("0"))
                                m.waiting = 0;
                        else
                                m.n_unknown++;
                } else if (IS("STATUS")) {
                        /* the worker's text goes on the bus: valid UTF-8,
                         * cut at a character boundary */
                        (void) utf8_sanitize(m.status, sizeof m.status, v, vlen);
                        m.has_status = true;
                } else if (IS("MAINPID"))
                        m.has_mainpid = true;
                else if (IS("ERRNO")) {
                        int e = 0;

                        for (size_t k = 0; k < vlen && k < 6; k++) {
                                if (v[k] < '0' || v[k] > '9') {
                                        e = -1;
                                        break;
                                }
                                e = e * 10 + (v[k] - '0');
                        }
                        m.errno_value = vlen == 0 ? -1 : e;
                } else
                        m.n_unknown++;
#undef IS
#undef VAL
                p = nl + 1;
        }
        *ret = m;
        return 0;
}

int notify_socket_open(const char *path, int *ret_fd) {
        _cleanup_(closep) int fd = -EBADF;
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int one = 1;

        if (strlen(path) >= sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        strcpy(sa.sun_path, path);

        fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return -errno;
        (void) unlink(path);
        if (bind(fd, (struct sockaddr *) &sa, sizeof sa) < 0)
                return -errno;
        if (chmod(path, 0666) < 0)
                return -errno;
        if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof one) < 0)
                return -errno;
        *ret_fd = TAKE_FD(fd);
        return 0;
}

void notify_fds_close(NotifyFds *fds) {
        for (size_t j = 0; j < fds->n; j++)
                safe_close(fds->fd[j]);
        fds->n = 0;
}

int notify_receive(int fd, char *buf, size_t size, size_t *ret_len, struct ucred *ret_ucred,
                   NotifyFds *ret_fds) {
        union {
                struct cmsghdr h;
                uint8_t buf[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(sizeof(int) * NOTIFY_FDS_MAX)];
        } control;
        struct iovec iov = { .iov_base = buf, .iov_len = size - 1 };
        struct msghdr mh = {
                .msg_iov = &iov,
                .msg_iovlen = 1,
                .msg_control = &control,
                .msg_controllen = sizeof control,
        };
        struct ucred *uc = NULL;
        ssize_t n;

        ret_fds->n = 0;
        n = recvmsg(fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC | MSG_TRUNC);
        if (n < 0)
                return -errno;

        for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
                if (c->cmsg_level != SOL_SOCKET)
                        continue;
                if (c->cmsg_type == SCM_CREDENTIALS &&
                    c->cmsg_len == CMSG_LEN(sizeof(struct ucred)))
                        uc = (struct ucred *) CMSG_DATA(c);
                else if (c->cmsg_type == SCM_RIGHTS) {
                        int *fds = (int *) CMSG_DATA(c);
                        size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);

                        for (size_t j = 0; j < k; j++) {
                                if (ret_fds->n < NOTIFY_FDS_MAX)
                                        ret_fds->fd[ret_fds->n++] = fds[j];
                                else
                                        safe_close(fds[j]);
                        }
                }
        }
        if ((mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) || (size_t) n >= size)
                return -EBADMSG;
        if (!uc || uc->pid <= 0)
                return -EBADMSG;
        buf[n] = 0;
        *ret_len = (size_t) n;
        *ret_ucred = *uc;
        return 0;
}
