/* SPDX-License-Identifier: MIT */
/* pool.c through its host interface, with a fake host (tests/unit/fake-host.c):
 * a real event loop and real children, no cgroups, no Manager. */
#include <criterion/criterion.h>
#include <signal.h>
#include <string.h>

#include "fake-host.h"
#include "shared/fd-util.h"

TestSuite(pool, .init = fake_setup, .fini = fake_teardown);

#define SLEEPER "[Pool]\nExecStart=/bin/sleep infinity\n"

static unsigned want;

static bool active_is_want(void) {
        return fake.pool->n_active == want && fake.pool->n_pending == 0;
}

static bool running(void) {
        return fake.pool->state == POOL_RUNNING;
}

static bool stopped(void) {
        return fake.pool->state == POOL_STOPPED;
}

static bool failed(void) {
        return fake.pool->state == POOL_FAILED;
}

static bool four_exited(void) {
        return fake.n_exited >= 4;
}

static bool one_pending(void) {
        return fake.pool->n_pending == 1;
}

static void kill_one(Worker *w) {
        cr_assert_not_null(w);
        cr_assert_geq(pidfd_send_signal_wrapper(w->pidfd, SIGKILL), 0);
}

Test(pool, start_reconciles_to_workers) {
        Pool *p = fake_pool("p", SLEEPER "Workers=3\n");

        cr_assert_eq(p->state, POOL_STOPPED, "a new pool is stopped until started");
        cr_assert_eq(pool_start(p), 0);
        want = 3;
        cr_assert(fake_run_until(running, 2000), "state %s", pool_state_to_string(p->state));
        cr_assert_eq(p->n_active, 3);
        cr_assert_eq(p->n_ready, 3, "Type=simple: ready at once");
        cr_assert_eq(fake.n_spawned, 3);
        cr_assert_eq(fake.n_started, 3);
        cr_assert_eq(idmap_size(&fake.host.workers), 3, "the host's registry holds them");
}

Test(pool, scale_up_and_down) {
        Pool *p = fake_pool("p", SLEEPER "Workers=2\n");

        cr_assert_eq(pool_start(p), 0);
        want = 2;
        cr_assert(fake_run_until(active_is_want, 2000));
        cr_assert_eq(pool_scale(p, 5, "test"), 0);
        want = 5;
        cr_assert(fake_run_until(active_is_want, 2000));
        cr_assert_eq(pool_scale(p, 1, "test"), 0);
        want = 1;
        cr_assert(fake_run_until(active_is_want, 2000));
        cr_assert(fake_run_until(four_exited, 2000));
        cr_assert(fake_run_until(running, 2000));
        cr_assert_eq(fake.last_exit.reason, EXIT_REASON_STOPPED, "%s", fake.last_exit.evidence);
        cr_assert_eq(fake.last_exit.action, EXIT_ACTION_NONE);
        cr_assert_eq(p->n_wanted, 1);
        cr_assert_eq(pool_scale(p, 100000, "test"), -ERANGE, "outside MinWorkers..MaxWorkers");
}

Test(pool, drain_order_idle_before_busy) {
        Pool *p = fake_pool("p", "[Pool]\nExecStart=/bin/sleep infinity\nType=notify\nWorkers=2\n");
        Worker *busy, *idle;

        cr_assert_eq(pool_start(p), 0);
        want = 2;
        cr_assert(fake_run_until(active_is_want, 2000));
        fake_notify(p->workers, "READY=1");
        fake_notify(p->workers->next, "READY=1");
        busy = p->workers;
        idle = p->workers->next;
        fake_notify(busy, "X_WORKERPOOL_BUSY=1");
        cr_assert_eq(p->n_busy, 1);
        cr_assert_eq(pool_scale(p, 1, "test"), 0);
        cr_assert_eq(idle->state, WORKER_STOPPING, "the idle one goes first");
        cr_assert_eq(busy->state, WORKER_BUSY, "the busy one stays");
}

Test(pool, crash_restarts_with_backoff_per_slot) {
        Pool *p = fake_pool("p", SLEEPER "RestartSec=20ms\nRestartMaxDelaySec=1s\nStartLimitIntervalSec=0\n");
        Worker *w;

        cr_assert_eq(pool_start(p), 0);
        want = 1;
        cr_assert(fake_run_until(active_is_want, 2000));
        kill_one(p->workers);
        cr_assert(fake_run_until(one_pending, 2000), "a restart is pending");
        cr_assert_eq(fake.last_exit.reason, EXIT_REASON_KILLED);
        cr_assert_eq(fake.last_exit.action, EXIT_ACTION_RESTART);
        cr_assert(fake_run_until(active_is_want, 2000));
        w = fake_worker_in(WORKER_IDLE);
        cr_assert_not_null(w);
        cr_assert_eq(w->restart_streak, 1, "the replacement carries the slot's streak");
        kill_one(w);
        cr_assert(fake_run_until(one_pending, 2000));
        cr_assert(fake_run_until(active_is_want, 2000));
        cr_assert_eq(fake_worker_in(WORKER_IDLE)->restart_streak, 2);
        cr_assert_eq(p->n_restarts, 2);
}

Test(pool, start_limit_fails_the_pool_and_reset_recovers) {
        Pool *p = fake_pool("p", SLEEPER "RestartSec=0\nStartLimitBurst=2\nStartLimitIntervalSec=1min\n");

        cr_assert_eq(pool_start(p), 0);
        want = 1;
        for (int k = 0; k < 3 && !failed(); k++) {
                cr_assert(fake_run_until(active_is_want, 2000), "round %d", k);
                kill_one(p->workers);
                fake_run_until(failed, 300);
        }
        cr_assert(failed(), "the third restart within the interval fails the pool");
        cr_assert_eq(fake.last_exit.action, EXIT_ACTION_FAIL_POOL);
        cr_assert_eq(pool_start(p), -EHOSTDOWN, "no start until reset");
        cr_assert_eq(pool_reset_failed(p), 0);
        cr_assert(fake_run_until(running, 2000));
}

Test(pool, a_spawn_failure_is_retried) {
        Pool *p = fake_pool("p", SLEEPER "Workers=2\n");

        fake.spawn_error = -EMFILE;
        cr_assert_eq(pool_start(p), 0);
        cr_assert_eq(p->n_active, 0);
        cr_assert_not_null(p->start_retry_source, "a retry is scheduled");
        cr_assert_neq(p->state, POOL_RUNNING);
        fake.spawn_error = 0;
        want = 2;
        cr_assert(fake_run_until(active_is_want, 3000), "the retry (after 1s) starts them");
        cr_assert(fake_run_until(running, 2000));
}

Test(pool, stop_ends_every_worker) {
        Pool *p = fake_pool("p", SLEEPER "Workers=3\n");

        cr_assert_eq(pool_start(p), 0);
        want = 3;
        cr_assert(fake_run_until(active_is_want, 2000));
        pool_stop(p);
        cr_assert_eq(p->state, POOL_STOPPING);
        cr_assert(fake_run_until(stopped, 3000));
        cr_assert_eq(p->n_workers, 0);
        cr_assert_eq(idmap_size(&fake.host.workers), 0);
        cr_assert_eq(fake.n_exited, 3);
        cr_assert_eq(fake.last_exit.reason, EXIT_REASON_STOPPED);
}

Test(pool, retired_slots_end_the_pool) {
        Pool *p = fake_pool("p", "[Pool]\nExecStart=/bin/sh -c 'exit 75'\nWorkers=2\n"
                                 "RestartPreventExitStatus=75\nRestart=always\n");

        cr_assert_eq(pool_start(p), 0);
        cr_assert(fake_run_until(stopped, 3000), "state %s", pool_state_to_string(p->state));
        cr_assert_eq(p->n_retired, 2);
        cr_assert_eq(fake.last_exit.action, EXIT_ACTION_RETIRE);
}
