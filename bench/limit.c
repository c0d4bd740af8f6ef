/* SPDX-License-Identifier: MIT */
/* wpb-limit: what the kernel allows for workerpoold's work, and nothing else.
 *
 *   wpb-limit CGROUP_DIR N PROGRAM [ARG...]
 *
 * Keeps N copies of PROGRAM alive. Each incarnation gets a fresh cgroup
 * CGROUP_DIR/wNNN-GEN and is born in it by workerpoold's own spawn_worker()
 * (src/spawn/spawn.c, linked in): clone3(CLONE_INTO_CGROUP | CLONE_PIDFD |
 * CLONE_VFORK | CLONE_VM | CLONE_FILES) on a stack of its own, the cheapest
 * spawn we know, so the ratio measures the supervisor, not the spawn.
 * WPB_LIMIT_SPAWN=copy takes spawn.c's copy path instead (no CLONE_VM or
 * CLONE_FILES: the child copies our page and fd tables, as before).
 * The only fd kept per worker is its pidfd (the leaf is removed by name).
 * One epoll watches every pidfd; an exit is reaped with
 * waitid(P_PIDFD), the replacement is spawned at once, then the old leaf
 * is removed (on EBUSY: retried when the loop is idle for 50 ms).
 * No logging, no policy, no classification.
 *
 * SIGTERM/SIGINT: cgroup.kill every leaf, reap, remove the leaves, exit 0.
 * CGROUP_DIR itself is created if missing and left in place. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "spawn/spawn.h"

#ifndef P_PIDFD
#  define P_PIDFD 3
#endif

typedef struct Slot {
        int pidfd;
        uint64_t gen;
        char name[32];
} Slot;

static int root_fd = -1;
static char **child_argv;
static char **child_envp;

/* Leaves whose rmdir said EBUSY: retried when the loop is idle. */
static char (*busy)[32];
static size_t n_busy, busy_cap;

static void leaf_remove(const char *name) {
        if (unlinkat(root_fd, name, AT_REMOVEDIR) == 0 || errno != EBUSY)
                return;
        if (n_busy == busy_cap) {
                busy_cap = busy_cap ? busy_cap * 2 : 64;
                busy = realloc(busy, busy_cap * sizeof *busy);
                if (!busy)
                        abort();
        }
        memcpy(busy[n_busy++], name, sizeof busy[0]);
}

static void busy_retry(void) {
        size_t j = 0;

        for (size_t i = 0; i < n_busy; i++)
                if (unlinkat(root_fd, busy[i], AT_REMOVEDIR) < 0 && errno == EBUSY)
                        memcpy(busy[j++], busy[i], sizeof busy[0]);
        n_busy = j;
}

static int spawn(int ep, Slot *s, unsigned idx) {
        SpawnParams p = { .argv = child_argv, .envp = child_envp, .stdin_fd = -1 };
        SpawnResult res;
        struct epoll_event ev;
        int r;

        s->gen++;
        snprintf(s->name, sizeof s->name, "w%u-%llu", idx, (unsigned long long) s->gen);
        if (mkdirat(root_fd, s->name, 0755) < 0)
                return -errno;
        p.cgroup_fd = openat(root_fd, s->name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (p.cgroup_fd < 0)
                return -errno;
        r = spawn_worker(&p, &res);
        close(p.cgroup_fd);   /* one fd per worker: the pidfd; the leaf goes by name */
        if (r < 0)
                return r;
        if (res.failed_step != SPAWN_STEP_NONE)
                fprintf(stderr, "spawn %u: %s: %s\n", idx, spawn_step_to_string(res.failed_step),
                        strerror(res.failed_errno));
        s->pidfd = res.pidfd;
        ev = (struct epoll_event) { .events = EPOLLIN, .data.u32 = idx };
        if (epoll_ctl(ep, EPOLL_CTL_ADD, s->pidfd, &ev) < 0)
                return -errno;
        return 0;
}

int main(int argc, char *argv[]) {
        extern char **environ;
        struct epoll_event ev, evs[256];
        sigset_t mask;
        unsigned n;
        Slot *slots;
        int ep, sfd, r;
        int stopping = 0;

        if (argc < 4) {
                fprintf(stderr, "usage: %s CGROUP_DIR N PROGRAM [ARG...]\n", argv[0]);
                return 2;
        }
        n = (unsigned) strtoul(argv[2], NULL, 10);
        child_argv = argv + 3;
        child_envp = environ;
        if (getenv("WPB_LIMIT_SPAWN") && strcmp(getenv("WPB_LIMIT_SPAWN"), "copy") == 0)
                spawn_set_mode(SPAWN_MODE_COPY);

        if (mkdir(argv[1], 0755) < 0 && errno != EEXIST) {
                perror("mkdir");
                return 1;
        }
        root_fd = open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (root_fd < 0) {
                perror("open cgroup");
                return 1;
        }

        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGCHLD);
        sigprocmask(SIG_BLOCK, &mask, NULL);
        sigdelset(&mask, SIGCHLD);
        sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
        ep = epoll_create1(EPOLL_CLOEXEC);
        if (sfd < 0 || ep < 0) {
                perror("signalfd/epoll");
                return 1;
        }
        ev = (struct epoll_event) { .events = EPOLLIN, .data.u32 = UINT32_MAX };
        epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev);

        slots = calloc(n ? n : 1, sizeof *slots);
        if (!slots)
                return 1;
        for (unsigned i = 0; i < n; i++) {
                slots[i].pidfd = -1;
                r = spawn(ep, &slots[i], i);
                if (r < 0) {
                        fprintf(stderr, "spawn %u: %s\n", i, strerror(-r));
                        return 1;
                }
        }

        for (;;) {
                unsigned live = 0;
                /* EBUSY leaves are retried at most every 50 ms and only
                 * when no exit is waiting: a pass is O(leaves), and after a
                 * mass kill thousands may be busy for a while. */
                int k = epoll_wait(ep, evs, 256, n_busy ? 50 : -1);

                if (k < 0 && errno != EINTR)
                        return 1;
                for (int j = 0; j < k; j++) {
                        uint32_t idx = evs[j].data.u32;
                        Slot *s;
                        siginfo_t si = {};

                        if (idx == UINT32_MAX) {
                                struct signalfd_siginfo ssi;

                                while (read(sfd, &ssi, sizeof ssi) == sizeof ssi)
                                        stopping = 1;
                                for (unsigned i = 0; i < n; i++)
                                        if (slots[i].pidfd >= 0) {
                                                char path[48];
                                                int kf;

                                                snprintf(path, sizeof path, "%s/cgroup.kill", slots[i].name);
                                                kf = openat(root_fd, path, O_WRONLY | O_CLOEXEC);

                                                if (kf < 0 || write(kf, "1", 1) < 0)
                                                        syscall(SYS_pidfd_send_signal, slots[i].pidfd, SIGKILL, NULL, 0);
                                                if (kf >= 0)
                                                        close(kf);
                                        }
                                continue;
                        }
                        s = &slots[idx];
                        if (waitid((idtype_t) P_PIDFD, (id_t) s->pidfd, &si, WEXITED | WNOHANG) < 0 ||
                            si.si_pid == 0)
                                continue;
                        close(s->pidfd);       /* also leaves the epoll set */
                        s->pidfd = -1;
                        {
                                char old[32];

                                memcpy(old, s->name, sizeof old);
                                if (!stopping) {
                                        r = spawn(ep, s, idx);
                                        if (r < 0)
                                                fprintf(stderr, "respawn %u: %s\n", idx, strerror(-r));
                                }
                                leaf_remove(old);
                        }
                }
                if (n_busy && k == 0)
                        busy_retry();
                if (stopping) {
                        for (unsigned i = 0; i < n; i++)
                                live += slots[i].pidfd >= 0;
                        if (live == 0) {
                                for (int tries = 0; n_busy && tries < 200; tries++) {
                                        usleep(10000);
                                        busy_retry();
                                }
                                return 0;
                        }
                }
        }
}
