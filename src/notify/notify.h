/* SPDX-License-Identifier: MIT */
#pragma once

/* The sd_notify(3) protocol, daemon side: one datagram socket for all
 * workers, credentials on every message, a strict parser. Never logs. */

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

#define NOTIFY_MESSAGE_MAX 4096
#define NOTIFY_STATUS_MAX 256

typedef struct NotifyMessage {
        bool ready;             /* READY=1 */
        bool stopping;          /* STOPPING=1 */
        bool watchdog;          /* WATCHDOG=1 */
        bool watchdog_trigger;  /* WATCHDOG=trigger */
        bool reloading;         /* RELOADING=1 */
        int busy;               /* X_WORKERPOOL_BUSY=1|0, -1: not given */
        int waiting;            /* X_WORKERPOOL_WAITING=1|0 (busy, but waiting on other work), -1: not given */
        bool has_status;
        char status[NOTIFY_STATUS_MAX];  /* STATUS=: valid UTF-8 (invalid bytes as U+FFFD),
                                          * cut at a character boundary */
        bool has_mainpid;       /* MAINPID=: we refuse it */
        int errno_value;        /* ERRNO=, -1: not given */
        unsigned n_unknown;     /* assignments we do not know (ignored, as systemd) */
} NotifyMessage;

/* Parse a newline-separated list of VAR=VALUE. -EBADMSG for a message that is
 * not text (NUL bytes, no '=' in a line). */
int notify_parse(const char *buf, size_t n, NotifyMessage *ret);

/* Bind a SOCK_DGRAM AF_UNIX socket at path (replacing a stale one), with
 * SO_PASSCRED, mode 0666 so workers running as other users can talk to it. */
int notify_socket_open(const char *path, int *ret_fd);

/* The fds a message carried, held open until the message has been dealt
 * with: a sender waiting on one (sd_notify_barrier(), systemd-notify without
 * --no-block) is still alive, and in its cgroup, while we look it up. We take
 * no fds from workers; notify_fds_close() drops them. */
#define NOTIFY_FDS_MAX 16
typedef struct NotifyFds {
        int fd[NOTIFY_FDS_MAX];
        size_t n;
} NotifyFds;

void notify_fds_close(NotifyFds *fds);

/* Receive one datagram with the sender's credentials; fds it carried go to
 * *ret_fds (also on error: close them with notify_fds_close()), those beyond
 * NOTIFY_FDS_MAX the kernel closes. -EAGAIN when there is nothing; -EBADMSG
 * for a message without credentials or truncated. buf gets a NUL terminator
 * (size must be > NOTIFY_MESSAGE_MAX). */
int notify_receive(int fd, char *buf, size_t size, size_t *ret_len, struct ucred *ret_ucred,
                   NotifyFds *ret_fds);
