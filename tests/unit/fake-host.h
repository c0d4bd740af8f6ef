/* SPDX-License-Identifier: MIT */
#pragma once

/* A fake PoolHost for the pool, worker and autoscale unit tests: a real
 * sd-event loop, a scratch directory for the cgroup root (pool_new() and
 * worker_new() only mkdir and open in it; no controllers), and a spawn that
 * starts the pool's ExecStart= as a plain child (posix_spawn() + a pidfd),
 * outside any cgroup. The hooks count what they see. No Manager. */

#include <stdbool.h>

#include "pool/pool.h"

typedef struct FakeHost {
        PoolHost host;
        char root[64];                  /* the scratch "cgroup root" */
        char confdir[80];               /* pool files */
        ManagerConfig defaults;
        uint64_t next_id;
        int spawn_error;                /* != 0: spawn() fails with it */
        unsigned n_spawned, n_started, n_ready, n_exited, n_pools_changed;
        ExitRecord last_exit;
        Pool *pool;                     /* the one pool of a test */
        /* FailureAction=exit: ops->failure_exit() calls */
        unsigned n_failure_exit;
        /* PoolHooks.job_done: how many, and the last one's words */
        unsigned n_jobs_done;
        char job_done_job[16], job_done_result[16], job_done_message[320];
} FakeHost;

extern FakeHost fake;

void fake_setup(void);                  /* criterion .init */
void fake_teardown(void);               /* criterion .fini: stops and frees the pool */
/* Load TEXT as pool NAME (its [Pool] section and more) and create it. */
Pool *fake_pool(const char *name, const char *text);
/* Run the event loop until cond() holds, at most timeout_ms. */
bool fake_run_until(bool (*cond)(void), unsigned timeout_ms);
/* Run the loop for ms, whatever happens. */
void fake_run_for(unsigned ms);
/* A worker of the pool in this state (the first found), or NULL. */
Worker *fake_worker_in(WorkerState state);
/* Feed the worker a notify datagram, as the daemon would. */
void fake_notify(Worker *w, const char *text);
