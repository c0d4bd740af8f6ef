/* SPDX-License-Identifier: MIT */
#pragma once

/* How the pool runs a process of its own: a worker (worker_start()), a
 * health check "as the worker" and an ExecStartPre=/ExecStopPost= command
 * (child.c). pool_exec_prepare() does, in the daemon and before the clone,
 * everything that may allocate or block: the environment, $VAR expansion of
 * the command line, the user and groups (NSS), the resource limits, the
 * pool's seccomp program. What is left to the caller is where the child
 * goes (SpawnParams.cgroup_fd) and its stdio. */

#include <sys/resource.h>

#include "../spawn/spawn.h"

typedef struct Pool Pool;
typedef struct Worker Worker;

typedef struct PoolExec {
        SpawnParams params;             /* for the host's spawn(); cgroup_fd is -EBADF */
        char **env;                     /* owned: params.envp */
        char **argv;                    /* owned: params.argv, $VAR expanded */
        SpawnRlimit rlimits[RLIMIT_NLIMITS + 1]; /* params.rlimits */
        gid_t groups[64];               /* params.groups */
        int listen_fds[64];             /* params.listen_fds: the pool's sockets (POOL_LISTEN_MAX) */
        const char *failed;             /* on error: what could not be prepared (static) */
} PoolExec;

/* Prepare argv (not expanded yet) to run with pool p's credentials,
 * [Sandbox] and environment: with w, the worker's environment
 * (WORKERPOOL_WORKER_ID, NOTIFY_SOCKET, WATCHDOG_USEC) and, under
 * PrivateTmp=, a fresh private /tmp (params.private_tmp); without, the
 * pool's (WORKERPOOL_POOL, Environment=, the user's HOME...). extra_env:
 * more KEY=VALUE set last (may be NULL). ret points into itself: keep it
 * where it is and call pool_exec_done(). -errno with ret->failed saying
 * what failed (the caller logs); ret is always safe to pass to
 * pool_exec_done(). */
int pool_exec_prepare(const Pool *p, const Worker *w, char *const *argv, char *const *extra_env, PoolExec *ret);
void pool_exec_done(PoolExec *e);
