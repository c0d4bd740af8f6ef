/* SPDX-License-Identifier: MIT */
/* worker.c's state machine, with a fake host (tests/unit/fake-host.c). */
#include <criterion/criterion.h>
#include <signal.h>
#include <string.h>

#include "fake-host.h"

TestSuite(worker, .init = fake_setup, .fini = fake_teardown);

static Worker *only(void) {
        cr_assert_not_null(fake.pool->workers);
        return fake.pool->workers;
}

static bool exited_once(void) {
        return fake.n_exited >= 1;
}

static bool started(void) {
        return fake.n_started >= 1;
}

Test(worker, notify_states_and_counters) {
        Pool *p = fake_pool("w", "[Pool]\nExecStart=/bin/sleep infinity\nType=notify\nWatchdogSec=1h\n");
        Worker *w;

        cr_assert_eq(pool_start(p), 0);
        cr_assert(fake_run_until(started, 2000));
        w = only();
        cr_assert_eq(w->state, WORKER_STARTING);
        cr_assert_not_null(w->timer_source, "starting: TimeoutStartSec= runs");
        cr_assert_eq(p->n_active, 1);
        cr_assert_eq(p->n_ready, 0);

        fake_notify(w, "READY=1\nSTATUS=up");
        cr_assert_eq(w->state, WORKER_IDLE);
        cr_assert_str_eq(w->status_text, "up");
        cr_assert_neq(w->ready_at, 0);
        cr_assert_eq(fake.n_ready, 1);
        cr_assert_eq(p->n_ready, 1);
        cr_assert_not_null(w->timer_source, "idle: the watchdog runs");

        fake_notify(w, "X_WORKERPOOL_BUSY=1");
        cr_assert_eq(w->state, WORKER_BUSY);
        cr_assert_eq(p->n_busy, 1);
        cr_assert_eq(p->n_ready, 1);
        fake_notify(w, "X_WORKERPOOL_BUSY=0");
        cr_assert_eq(w->state, WORKER_IDLE);
        cr_assert_eq(p->n_busy, 0);

        fake_notify(w, "STOPPING=1");
        cr_assert_eq(w->state, WORKER_STOPPING);
        cr_assert_eq(p->n_active, 0);
        cr_assert_eq(p->n_ready, 0);
        fake_notify(w, "READY=1");
        cr_assert_eq(w->state, WORKER_STOPPING, "a stopping worker does not come back");
}

Test(worker, start_timeout) {
        Pool *p = fake_pool("w", "[Pool]\nExecStart=/bin/sleep infinity\nType=notify\nTimeoutStartSec=100ms\n"
                                 "Restart=no\n");

        cr_assert_eq(pool_start(p), 0);
        cr_assert(fake_run_until(exited_once, 3000));
        cr_assert_eq(fake.last_exit.reason, EXIT_REASON_TIMEOUT, "%s", fake.last_exit.evidence);
        cr_assert(strstr(fake.last_exit.evidence, "TimeoutStartSec="), "%s", fake.last_exit.evidence);
}

Test(worker, watchdog_aborts_a_silent_worker) {
        Pool *p = fake_pool("w", "[Pool]\nExecStart=/bin/sleep infinity\nType=notify\nWatchdogSec=100ms\n"
                                 "Restart=no\n");

        cr_assert_eq(pool_start(p), 0);
        cr_assert(fake_run_until(started, 2000));
        fake_notify(only(), "READY=1");
        cr_assert(fake_run_until(exited_once, 3000));
        cr_assert_eq(fake.last_exit.reason, EXIT_REASON_WATCHDOG, "%s", fake.last_exit.evidence);
}

Test(worker, stop_timeout_kills) {
        Pool *p = fake_pool("w", "[Pool]\nExecStart=/bin/sh -c 'trap \"\" TERM; while :; do sleep 1; done'\n"
                                 "TimeoutStopSec=200ms\n");
        Worker *w;

        cr_assert_eq(pool_start(p), 0);
        cr_assert(fake_run_until(started, 2000));
        w = only();
        fake_run_for(100);      /* let the shell set its trap */
        worker_stop(w, KILL_CAUSE_STOP);
        cr_assert_eq(w->state, WORKER_STOPPING);
        cr_assert(fake_run_until(exited_once, 3000));
        cr_assert_eq(fake.last_exit.reason, EXIT_REASON_TIMEOUT, "%s", fake.last_exit.evidence);
        cr_assert_eq(fake.last_exit.action, EXIT_ACTION_NONE, "we were stopping it");
}

Test(worker, exec_of_a_missing_program) {
        Pool *p = fake_pool("w", "[Pool]\nExecStart=/bin/sh -c 'exit 3'\nRestart=no\n");

        cr_assert_eq(pool_start(p), 0);
        cr_assert(fake_run_until(exited_once, 3000));
        cr_assert_eq(fake.last_exit.reason, EXIT_REASON_EXIT_CODE);
        cr_assert_eq(fake.last_exit.status, 3);
        cr_assert_eq(p->n_vacant, 1, "Restart=no leaves the slot vacant");
}
