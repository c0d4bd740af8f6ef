/* SPDX-License-Identifier: MIT */
/* autoscale.c, with a fake host (tests/unit/fake-host.c). */
#include <criterion/criterion.h>
#include <string.h>

#include "fake-host.h"

TestSuite(autoscale, .init = fake_setup, .fini = fake_teardown);

static unsigned want;

static bool active_is_want(void) {
        return fake.pool->n_active == want;
}

static bool wanted_is_want(void) {
        return fake.pool->n_wanted == want;
}

static void ready_all(void) {
        for (Worker *w = fake.pool->workers; w; w = w->next)
                if (w->state == WORKER_STARTING)
                        fake_notify(w, "READY=1");
}

Test(autoscale, dynamic_keeps_idle_workers_in_range) {
        Pool *p = fake_pool("a", "[Pool]\nExecStart=/bin/sleep infinity\nType=notify\nScaling=dynamic\n"
                                 "Workers=1\nMinIdleWorkers=1\nMaxIdleWorkers=2\nMaxWorkers=10\n");

        cr_assert_eq(pool_start(p), 0);
        want = 1;
        cr_assert(fake_run_until(active_is_want, 2000));
        ready_all();
        fake_notify(p->workers, "X_WORKERPOOL_BUSY=1");
        want = 2;
        cr_assert(fake_run_until(wanted_is_want, 2000), "one busy, none idle: one more (%u)", p->n_wanted);
        cr_assert(fake_run_until(active_is_want, 2000));
        ready_all();
        /* all idle again: 2 idle, within MaxIdleWorkers=2, stays */
        fake_notify(fake_worker_in(WORKER_BUSY), "X_WORKERPOOL_BUSY=0");
        fake_run_for(100);
        cr_assert_eq(p->n_wanted, 2);
}

Test(autoscale, dynamic_scales_down_past_max_idle) {
        Pool *p = fake_pool("a", "[Pool]\nExecStart=/bin/sleep infinity\nType=notify\nScaling=dynamic\n"
                                 "Workers=5\nMinIdleWorkers=0\nMaxIdleWorkers=2\nMaxWorkers=10\n");

        cr_assert_eq(pool_start(p), 0);
        want = 5;
        cr_assert(fake_run_until(active_is_want, 2000));
        ready_all();
        want = 2;
        cr_assert(fake_run_until(wanted_is_want, 2000), "5 idle, MaxIdleWorkers=2 (%u)", p->n_wanted);
}

Test(autoscale, ondemand_grows_when_all_busy_and_shrinks_when_idle) {
        Pool *p = fake_pool("a", "[Pool]\nExecStart=/bin/sleep infinity\nType=notify\nScaling=ondemand\n"
                                 "Workers=1\nMaxWorkers=3\nIdleTimeoutSec=200ms\n");

        cr_assert_eq(pool_start(p), 0);
        want = 1;
        cr_assert(fake_run_until(active_is_want, 2000));
        ready_all();
        fake_notify(p->workers, "X_WORKERPOOL_BUSY=1");
        want = 2;
        cr_assert(fake_run_until(wanted_is_want, 2000), "all busy: one more");
        cr_assert(fake_run_until(active_is_want, 2000));
        ready_all();
        fake_notify(fake_worker_in(WORKER_BUSY), "X_WORKERPOOL_BUSY=0");
        want = 1;
        cr_assert(fake_run_until(wanted_is_want, 3000), "idle for IdleTimeoutSec=: down to one (%u)", p->n_wanted);
        fake_run_for(400);
        cr_assert_eq(p->n_wanted, 1, "never below one: it could not grow again");
        cr_assert_eq(fake.n_spawned, 2, "and no new worker to make up for it");
}
