/* SPDX-License-Identifier: MIT */
#pragma once

/* A short-lived process of the pool's that is not a worker: a health check
 * (health.c), an ExecStartPre=/ExecStopPost= command (command.c), the
 * diagnose program. Its stdout and stderr are captured (bounded), it has a
 * timeout, and its end is one callback with the whole result. Exits come
 * through the pidfd (no SIGCHLD); whatever it left in its own process group
 * is killed when it ends (a background "sleep &" of a probe does not
 * outlive it); a child that is freed while it runs is killed and reaped
 * later by the event loop. */

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "pool-host.h"

typedef struct PoolChild PoolChild;

typedef struct PoolChildResult {
        int code, status;               /* CLD_EXITED/CLD_KILLED/CLD_DUMPED and status/signal;
                                         * code 0: never ran (spawn_errno says why) */
        bool timed_out;                 /* killed by us at the timeout */
        int spawn_errno;                /* a step before exec failed (then code 0) */
        const char *spawn_step;         /* that step ("setns", "execve", ...), or NULL */
        const char *output;             /* stdout+stderr, NUL-terminated, at most max_output bytes;
                                         * valid until the callback returns (even if it frees
                                         * the child) */
        size_t output_size;
        bool output_truncated;          /* there was more than max_output */
} PoolChildResult;

typedef void (*PoolChildDone)(PoolChild *c, const PoolChildResult *r, void *userdata);

typedef struct PoolChildParams {
        char *const *argv;              /* argv[0] absolute; with worker or pool: $VAR expanded
                                         * from the environment, as ExecStart= */
        char *const *envp;              /* without worker and pool: the environment (NULL: a
                                         * minimal PATH only); with: added to the pool's */
        int cgroup_fd;                  /* leaf to start in; -EBADF: stays in the daemon's own
                                         * cgroup. Not taken. */
        const Worker *worker;           /* non-NULL: run "as the worker": its pool's credentials,
                                         * sandbox, rlimits, seccomp, environment (+ WORKERPOOL_*),
                                         * and, under PrivateTmp=, in the worker's mount
                                         * namespace (setns through its pidfd) */
        const Pool *pool;               /* the pool whose [Sandbox] and environment apply when
                                         * worker is NULL (ExecStartPre=/ExecStopPost=: a private
                                         * /tmp of their own under PrivateTmp=); NULL too: as
                                         * root, no sandbox (the diagnose program) */
        usec_t timeout_usec;            /* then SIGKILL (the result says timed_out); 0 or
                                         * infinity: none */
        size_t max_output;              /* bytes kept; more is read and dropped */
        const char *description;        /* for logs and sd-event source names */
} PoolChildParams;

/* Start it. 0 and *ret (free it with pool_child_free(), at the latest after
 * done), or -errno when no child was started (done is never called then;
 * with worker or pool, a preparation that failed is logged here). A step
 * that fails in the child before exec is reported through done (code 0,
 * spawn_errno), never synchronously. */
int pool_child_spawn(PoolHost *h, const PoolChildParams *p, PoolChildDone done, void *userdata,
                     PoolChild **ret);
pid_t pool_child_pid(const PoolChild *c);
/* Whether it still runs (done not called yet). */
bool pool_child_running(const PoolChild *c);
/* Kill it (SIGKILL through its pidfd, and its process group) if it still
 * runs; done is not called. Safe from inside done. */
PoolChild *pool_child_free(PoolChild *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(PoolChild *, pool_child_free);

/* What happened, in words for an exit record or a log line: "exit status 1:
 * FIRST LINE", "timed out after 5s", "killed by signal SIGKILL", "could not
 * run: setns: Operation not permitted"; the first line of the output is cut
 * to fit and made valid UTF-8. Returns true if the child succeeded (exit
 * status 0). */
bool pool_child_result_describe(const PoolChildResult *r, usec_t timeout_usec, char *buf, size_t size);
/* The first non-empty line of the output, as valid UTF-8 cut to size. */
void pool_child_output_first_line(const PoolChildResult *r, char *buf, size_t size);
