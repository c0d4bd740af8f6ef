/* SPDX-License-Identifier: MIT */
/* The job lifecycle (issue 14) through worker.c and pool.c, with a fake host
 * (tests/unit/fake-host.c): real children, notify messages fed by the test.
 * The host has no diagnose program (a hung worker is signalled without a
 * capture) and no cgroup controllers. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "fake-host.h"
#include "shared/fd-util.h"

TestSuite(jobs, .init = fake_setup, .fini = fake_teardown);

#define NOTIFY_SLEEPER "[Pool]\nExecStart=/bin/sleep infinity\nType=notify\n"
#define SIMPLE_SLEEPER "[Pool]\nExecStart=/bin/sleep infinity\n"

/* ---- helpers ------------------------------------------------------------- */

static unsigned want;
static uint64_t watch_id;
static WorkerState watch_state;

static bool n_started(void) {
        return fake.n_started >= want;
}

static bool n_exited(void) {
        return fake.n_exited >= want;
}

static bool no_workers(void) {
        return fake.pool->n_workers == 0;
}

static bool pool_failed(void) {
        return fake.pool->state == POOL_FAILED;
}

static bool pool_stopped(void) {
        return fake.pool->state == POOL_STOPPED;
}

static bool one_job_done(void) {
        return fake.n_jobs_done >= 1;
}

static bool watched_in_state(void) {
        Worker *w = idmap_get(&fake.host.workers, watch_id);

        return w && w->state == watch_state;
}

static usec_t now_ms(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (usec_t) ts.tv_sec * 1000 + (usec_t) ts.tv_nsec / 1000000;
}

/* Start the pool and wait for n workers to be started. */
static void start_and_wait(Pool *p, unsigned n) {
        cr_assert_eq(pool_start(p), 0);
        want = n;
        cr_assert(fake_run_until(n_started, 3000), "%u of %u workers started", fake.n_started, n);
}

static void wait_exits(unsigned n, unsigned timeout_ms) {
        want = n;
        cr_assert(fake_run_until(n_exited, timeout_ms), "%u of %u exits seen", fake.n_exited, n);
}

/* Wait until worker id is in state s; returns how long it took (ms). */
static usec_t wait_state(uint64_t id, WorkerState s, unsigned timeout_ms) {
        usec_t t0 = now_ms();

        watch_id = id;
        watch_state = s;
        cr_assert(fake_run_until(watched_in_state, timeout_ms), "worker %" PRIu64 " never %s", id,
                  worker_state_to_string(s));
        return now_ms() - t0;
}

static Worker *only(void) {
        cr_assert_not_null(fake.pool->workers);
        cr_assert_null(fake.pool->workers->next, "one worker expected");
        return fake.pool->workers;
}

/* The newest worker that is not id (the list is newest first). */
static Worker *other_than(uint64_t id) {
        for (Worker *w = fake.pool->workers; w; w = w->next)
                if (w->id != id)
                        return w;
        return NULL;
}

static const ExitRecord *record_of(uint64_t id) {
        for (unsigned k = 0; k < fake.pool->history_n; k++) {
                const ExitRecord *r = pool_history_get(fake.pool, k);

                if (r->worker_id == id)
                        return r;
        }
        return NULL;
}

static const char *testworker(void) {
        const char *t = getenv("TESTWORKER");

        cr_assert_not_null(t, "$TESTWORKER (tests/helpers/testworker) is not set: run through meson test");
        return t;
}

static bool killed_by(const ExitRecord *r, int sig) {
        return (r->code == CLD_KILLED || r->code == CLD_DUMPED) && r->status == sig;
}

/* ---- JobTimeoutSec=, WaitTimeoutSec=, JobTimeoutAction= ------------------- */

Test(jobs, busy_too_long_is_hung_and_gets_the_job_timeout_signal) {
        /* Restart=no: JobTimeoutAction=restart replaces it whatever Restart= says. */
        Pool *p = fake_pool("j", NOTIFY_SLEEPER "JobTimeoutSec=300ms\nRestart=no\nRestartSec=0\n");
        const ExitRecord *r;
        uint64_t id;
        usec_t took;
        Worker *w;

        start_and_wait(p, 1);
        w = only();
        id = w->id;
        fake_notify(w, "READY=1");
        fake_notify(w, "X_WORKERPOOL_BUSY=1");
        cr_assert_eq(w->state, WORKER_BUSY);
        cr_assert_not_null(w->job_timer, "busy: JobTimeoutSec= runs");
        fake_run_for(150);
        cr_assert_eq(w->state, WORKER_BUSY, "not hung before JobTimeoutSec=");

        took = wait_state(id, WORKER_HUNG, 1000) + 150;
        cr_assert_geq(took, 250, "hung after %" PRIu64 "ms, before JobTimeoutSec=300ms", took);
        cr_assert_eq(p->n_job_timeouts, 1);
        wait_exits(1, 2000);

        r = record_of(id);
        cr_assert_not_null(r);
        cr_assert_eq(r->reason, EXIT_REASON_JOB_TIMEOUT, "%s: %s", exit_reason_to_string(r->reason), r->evidence);
        cr_assert(killed_by(r, SIGABRT), "JobTimeoutSignal= defaults to SIGABRT: code %d status %d", r->code,
                  r->status);
        cr_assert(strstr(r->evidence, "busy longer than JobTimeoutSec=300ms"), "%s", r->evidence);
        cr_assert(strstr(r->evidence, "killed with SIGABRT"), "%s", r->evidence);
        cr_assert_not_null(r->capture, "the record carries the capture's text");
        cr_assert(strncmp(r->capture, "(no capture: ", 13) == 0, "%s", r->capture);
        cr_assert(strstr(r->capture, "no diagnose program"), "%s", r->capture);
        cr_assert_not_null(p->last_hang_capture);
        cr_assert_str_eq(p->last_hang_capture, r->capture);
        cr_assert_eq(r->action, EXIT_ACTION_RESTART, "action %s", exit_action_to_string(r->action));

        /* the replacement names the hung one */
        want = 2;
        cr_assert(fake_run_until(n_started, 2000));
        w = only();
        cr_assert_eq(w->replaces, id);
        cr_assert_eq(record_of(id)->successor, w->id);
}

Test(jobs, waiting_time_is_not_job_time) {
        Pool *p = fake_pool("j", NOTIFY_SLEEPER "JobTimeoutSec=1\n");
        usec_t took;
        Worker *w;

        start_and_wait(p, 1);
        w = only();
        fake_notify(w, "READY=1");
        fake_notify(w, "X_WORKERPOOL_BUSY=1");
        fake_run_for(400);                      /* 0.4s busy */
        fake_notify(w, "X_WORKERPOOL_WAITING=1");
        cr_assert_eq(w->state, WORKER_WAITING);
        cr_assert_eq(p->n_busy, 1, "waiting is still a job");
        cr_assert_null(w->job_timer, "no WaitTimeoutSec=: no timer while waiting");
        fake_run_for(1500);                     /* 1.5s waiting: not counted */
        cr_assert_eq(w->state, WORKER_WAITING, "state %s", worker_state_to_string(w->state));
        fake_notify(w, "X_WORKERPOOL_WAITING=0");
        cr_assert_eq(w->state, WORKER_BUSY, "WAITING=0 goes back to busy");
        fake_run_for(400);                      /* 0.8s busy in all, 2.3s since BUSY=1 */
        cr_assert_eq(w->state, WORKER_BUSY, "hung: waiting was counted (state %s)", worker_state_to_string(w->state));
        cr_assert_eq(p->n_job_timeouts, 0);
        cr_assert_eq(fake.n_exited, 0);

        /* The job's busy time adds up over the wait: 0.2s more is the limit. */
        took = wait_state(w->id, WORKER_HUNG, 1500);
        cr_assert_leq(took, 600, "busy time restarted after the wait: hung %" PRIu64 "ms later", took);
        wait_exits(1, 2000);
        cr_assert_eq(fake.last_exit.reason, EXIT_REASON_JOB_TIMEOUT);
        cr_assert(strstr(fake.last_exit.evidence, "busy longer than JobTimeoutSec=1s"), "%s",
                  fake.last_exit.evidence);
}

Test(jobs, a_new_job_starts_its_own_clock) {
        Pool *p = fake_pool("j", NOTIFY_SLEEPER "JobTimeoutSec=500ms\n");
        Worker *w;

        start_and_wait(p, 1);
        w = only();
        fake_notify(w, "READY=1");
        for (int k = 0; k < 3; k++) {           /* 3 x 300ms busy, each its own job */
                fake_notify(w, "X_WORKERPOOL_BUSY=1");
                fake_run_for(300);
                cr_assert_eq(w->state, WORKER_BUSY, "job %d: state %s", k, worker_state_to_string(w->state));
                fake_notify(w, "X_WORKERPOOL_BUSY=0");
                cr_assert_eq(w->state, WORKER_IDLE);
        }
        cr_assert_eq(w->jobs, 3);
        cr_assert_null(w->job_timer, "idle: no job timer");
        cr_assert_eq(p->n_job_timeouts, 0);
}

Test(jobs, wait_timeout_hangs_a_waiting_worker) {
        Pool *p = fake_pool("j", NOTIFY_SLEEPER "WaitTimeoutSec=300ms\nRestart=no\n");
        const ExitRecord *r;
        uint64_t id;
        usec_t took;
        Worker *w;

        start_and_wait(p, 1);
        w = only();
        id = w->id;
        fake_notify(w, "READY=1");
        fake_notify(w, "X_WORKERPOOL_BUSY=1");
        cr_assert_null(w->job_timer, "no JobTimeoutSec=: busy has no limit");
        fake_notify(w, "X_WORKERPOOL_WAITING=1");
        cr_assert_eq(w->state, WORKER_WAITING);
        cr_assert_not_null(w->job_timer, "waiting: WaitTimeoutSec= runs");
        took = wait_state(id, WORKER_HUNG, 1500);
        cr_assert_geq(took, 250, "hung after %" PRIu64 "ms", took);
        wait_exits(1, 2000);
        r = record_of(id);
        cr_assert_eq(r->reason, EXIT_REASON_JOB_TIMEOUT, "%s", r->evidence);
        cr_assert(strstr(r->evidence, "waiting longer than WaitTimeoutSec=300ms"), "%s", r->evidence);
        cr_assert(killed_by(r, SIGABRT), "code %d status %d", r->code, r->status);
        cr_assert_eq(p->n_job_timeouts, 1);
}

Test(jobs, job_timeout_action_fail_pool) {
        Pool *p = fake_pool("j", NOTIFY_SLEEPER "JobTimeoutSec=200ms\nJobTimeoutSignal=SIGUSR1\n"
                                 "JobTimeoutAction=fail-pool\nRestartSec=0\n");
        Worker *w;

        start_and_wait(p, 1);
        w = only();
        fake_notify(w, "READY=1");
        fake_notify(w, "X_WORKERPOOL_BUSY=1");
        cr_assert(fake_run_until(pool_failed, 2000), "state %s", pool_state_to_string(p->state));
        cr_assert_eq(p->n_failures, 1);
        cr_assert_eq(fake.last_exit.reason, EXIT_REASON_JOB_TIMEOUT, "%s", fake.last_exit.evidence);
        cr_assert_eq(fake.last_exit.action, EXIT_ACTION_FAIL_POOL);
        cr_assert(killed_by(&fake.last_exit, SIGUSR1), "JobTimeoutSignal=SIGUSR1: code %d status %d",
                  fake.last_exit.code, fake.last_exit.status);
        cr_assert(strstr(fake.last_exit.evidence, "killed with SIGUSR1"), "%s", fake.last_exit.evidence);
        cr_assert(strstr(p->failure, "JobTimeoutAction=fail-pool"), "%s", p->failure);
        fake_run_for(200);
        cr_assert_eq(p->n_pending, 0, "a failed pool restarts nothing");
        cr_assert_eq(p->n_workers, 0);
        cr_assert_eq(fake.n_started, 1);
        cr_assert_eq(fake.n_failure_exit, 0, "FailureAction=none");
}

/* ---- MaxJobs=, MaxJobsJitter=, RuntimeMaxSec= --------------------------- */

Test(jobs, max_jobs_recycles_after_exactly_that_many) {
        Pool *p = fake_pool("j", NOTIFY_SLEEPER "MaxJobs=3\nRestartSec=0\n");
        const ExitRecord *r;
        Worker *old, *repl;
        uint64_t id;

        start_and_wait(p, 1);
        old = only();
        id = old->id;
        cr_assert_eq(old->max_jobs, 3, "no MaxJobsJitter=: exactly MaxJobs=");
        fake_notify(old, "READY=1");
        for (int k = 1; k <= 2; k++) {
                fake_notify(old, "X_WORKERPOOL_BUSY=1");
                fake_notify(old, "X_WORKERPOOL_BUSY=0");
                cr_assert_eq(old->jobs, (uint64_t) k);
                cr_assert_eq(old->state, WORKER_IDLE, "after %d jobs", k);
        }
        cr_assert_eq(fake.n_started, 1, "no replacement before the third job");
        fake_notify(old, "X_WORKERPOOL_BUSY=1");
        cr_assert_eq(old->state, WORKER_BUSY);
        fake_notify(old, "X_WORKERPOOL_BUSY=0");

        /* at once: the replacement is started, then the old one is told to go */
        cr_assert_eq(old->jobs, 3);
        cr_assert_eq(old->state, WORKER_STOPPING, "state %s", worker_state_to_string(old->state));
        cr_assert_eq(old->cause, KILL_CAUSE_RECYCLE);
        cr_assert_eq(fake.n_started, 2, "the replacement starts before the old one stops");
        cr_assert_eq(fake.n_exited, 0);
        repl = other_than(id);
        cr_assert_not_null(repl);
        cr_assert_eq(repl->replaces, id);
        cr_assert_eq(old->successor, repl->id);
        cr_assert_eq(p->n_recycled, 1);

        wait_exits(1, 2000);
        r = record_of(id);
        cr_assert_not_null(r);
        cr_assert_eq(r->reason, EXIT_REASON_RECYCLED, "%s: %s", exit_reason_to_string(r->reason), r->evidence);
        cr_assert_eq(r->action, EXIT_ACTION_REPLACED, "action %s", exit_action_to_string(r->action));
        cr_assert_eq(r->jobs, 3);
        cr_assert_eq(r->successor, repl->id);
        cr_assert(strstr(r->evidence, "MaxJobs=3 reached after 3 jobs"), "%s", r->evidence);
        cr_assert(killed_by(r, SIGTERM), "code %d status %d", r->code, r->status);
        fake_run_for(100);
        cr_assert_eq(p->n_pending, 0, "no restart: its successor runs already");
        cr_assert_eq(fake.n_started, 2, "nothing more was started");
        cr_assert_eq(p->n_restarts, 0);
        cr_assert_eq(p->start_limit.num, 0, "a recycle is not counted by the start limit");
        cr_assert_eq(p->n_workers, 1);
        cr_assert_eq(p->workers, repl);
        cr_assert_eq(repl->restart_streak, 0, "no backoff");
}

Test(jobs, max_jobs_jitter_stays_in_bounds) {
        Pool *p = fake_pool("j", SIMPLE_SLEEPER "Workers=40\nMaxJobs=3\nMaxJobsJitter=2\n");
        uint64_t lo = UINT64_MAX, hi = 0;
        unsigned n = 0;

        start_and_wait(p, 40);
        for (Worker *w = p->workers; w; w = w->next) {
                cr_assert(w->max_jobs >= 3 && w->max_jobs <= 5, "worker %" PRIu64 ": max_jobs %" PRIu64,
                          w->id, w->max_jobs);
                lo = MIN(lo, w->max_jobs);
                hi = MAX(hi, w->max_jobs);
                n++;
        }
        cr_assert_eq(n, 40);
        /* 40 draws of 0..2: each end is missed with probability (2/3)^40 */
        cr_assert_eq(lo, 3, "the jitter is never 0?");
        cr_assert_eq(hi, 5, "the jitter never reaches MaxJobsJitter=?");
}

Test(jobs, runtime_max_recycles_idle_now_and_busy_once_idle) {
        Pool *p = fake_pool("j", SIMPLE_SLEEPER "Workers=2\nRuntimeMaxSec=1\n");
        Worker *idle, *busy, *repl;
        uint64_t idle_id, busy_id;
        const ExitRecord *r;
        usec_t took;

        start_and_wait(p, 2);
        busy = p->workers;
        idle = p->workers->next;
        idle_id = idle->id;
        busy_id = busy->id;
        cr_assert_not_null(idle->recycle_timer, "RuntimeMaxSec=: a timer from its start");
        fake_notify(busy, "X_WORKERPOOL_BUSY=1");
        cr_assert_eq(busy->state, WORKER_BUSY);
        fake_run_for(500);
        cr_assert_eq(idle->state, WORKER_IDLE, "not before RuntimeMaxSec=");

        took = 500 + wait_state(idle_id, WORKER_STOPPING, 1500);
        cr_assert_geq(took, 900, "recycled after %" PRIu64 "ms", took);
        cr_assert_eq(idle->cause, KILL_CAUSE_RECYCLE);
        repl = p->workers;
        cr_assert_eq(repl->replaces, idle_id, "the replacement was started first");
        fake_run_for(100);      /* both timers are due by now */
        cr_assert_eq(busy->state, WORKER_BUSY, "a busy worker finishes its job first");
        cr_assert_not_null(busy->recycle_why, "but it is marked");
        cr_assert_eq(p->n_recycled, 1);

        fake_notify(busy, "X_WORKERPOOL_BUSY=0");
        cr_assert_eq(busy->state, WORKER_STOPPING, "recycled at its idle moment");
        cr_assert_eq(busy->cause, KILL_CAUSE_RECYCLE);
        cr_assert_eq(p->n_recycled, 2);
        cr_assert_eq(p->workers->replaces, busy_id);

        wait_exits(2, 2000);
        r = record_of(idle_id);
        cr_assert_eq(r->reason, EXIT_REASON_RECYCLED, "%s", r->evidence);
        cr_assert(strstr(r->evidence, "RuntimeMaxSec=1s reached"), "%s", r->evidence);
        r = record_of(busy_id);
        cr_assert_eq(r->reason, EXIT_REASON_RECYCLED, "%s", r->evidence);
        cr_assert_eq(r->action, EXIT_ACTION_REPLACED);
        cr_assert_eq(r->jobs, 1);
}

/* ---- protocol violations, FailureAction= -------------------------------- */

Test(jobs, busy_before_ready_is_a_protocol_violation) {
        Pool *p = fake_pool("j", NOTIFY_SLEEPER "Restart=no\n");
        Worker *w;

        start_and_wait(p, 1);
        w = only();
        fake_notify(w, "X_WORKERPOOL_BUSY=1");
        cr_assert_eq(w->state, WORKER_STOPPING, "stopped at once: state %s", worker_state_to_string(w->state));
        cr_assert_eq(w->cause, KILL_CAUSE_PROTOCOL);
        wait_exits(1, 2000);
        cr_assert_eq(fake.last_exit.reason, EXIT_REASON_PROTOCOL, "%s: %s",
                     exit_reason_to_string(fake.last_exit.reason), fake.last_exit.evidence);
        cr_assert(strstr(fake.last_exit.evidence, "X_WORKERPOOL_BUSY=1 before READY=1"), "%s",
                  fake.last_exit.evidence);
        cr_assert_eq(p->n_protocol_violations, 1);
}

Test(jobs, exit_before_ready_is_a_protocol_violation) {
        Pool *p = fake_pool("j", "[Pool]\nExecStart=/bin/sh -c 'exit 0'\nType=notify\nRestart=no\n");

        start_and_wait(p, 1);
        wait_exits(1, 2000);
        cr_assert_eq(fake.last_exit.reason, EXIT_REASON_PROTOCOL, "%s: %s",
                     exit_reason_to_string(fake.last_exit.reason), fake.last_exit.evidence);
        cr_assert(strstr(fake.last_exit.evidence, "before READY=1"), "%s", fake.last_exit.evidence);
        cr_assert_eq(p->n_protocol_violations, 1);
}

Test(jobs, exit_0_while_busy_is_a_protocol_violation) {
        Pool *p = fake_pool("j", "[Pool]\nExecStart=/bin/sh -c 'sleep 0.3; exit 0'\nRestart=no\n");

        start_and_wait(p, 1);
        fake_notify(only(), "X_WORKERPOOL_BUSY=1");
        wait_exits(1, 2000);
        cr_assert_eq(fake.last_exit.reason, EXIT_REASON_PROTOCOL, "%s: %s",
                     exit_reason_to_string(fake.last_exit.reason), fake.last_exit.evidence);
        cr_assert(strstr(fake.last_exit.evidence, "while busy, without STOPPING=1"), "%s",
                  fake.last_exit.evidence);
        cr_assert_eq(p->n_protocol_violations, 1);
}

Test(jobs, exit_0_while_busy_after_stopping_is_fine) {
        Pool *p = fake_pool("j", "[Pool]\nExecStart=/bin/sh -c 'sleep 0.3; exit 0'\nRestart=no\n");
        Worker *w;

        start_and_wait(p, 1);
        w = only();
        fake_notify(w, "X_WORKERPOOL_BUSY=1");
        fake_notify(w, "STOPPING=1");
        wait_exits(1, 2000);
        cr_assert_eq(fake.last_exit.reason, EXIT_REASON_SUCCESS, "%s: %s",
                     exit_reason_to_string(fake.last_exit.reason), fake.last_exit.evidence);
        cr_assert_eq(p->n_protocol_violations, 0);
}

Test(jobs, protocol_violation_limit_with_stop_pool) {
        Pool *p = fake_pool("j", NOTIFY_SLEEPER "Workers=3\nRestart=always\nRestartSec=0\n"
                                 "ProtocolViolationLimit=2\nFailureAction=stop-pool\n");
        Worker *w;

        start_and_wait(p, 3);
        for (Worker *o = p->workers->next; o; o = o->next)
                fake_notify(o, "READY=1");      /* two good ones */
        w = fake_worker_in(WORKER_STARTING);
        cr_assert_not_null(w);
        fake_notify(w, "X_WORKERPOOL_BUSY=1");
        wait_exits(1, 2000);
        cr_assert_eq(fake.last_exit.reason, EXIT_REASON_PROTOCOL, "%s", fake.last_exit.evidence);
        cr_assert_eq(fake.last_exit.action, EXIT_ACTION_RESTART, "one below the limit: restarted");
        cr_assert_eq(p->n_protocol_violations, 1);
        cr_assert_neq(p->state, POOL_FAILED);

        want = 4;
        cr_assert(fake_run_until(n_started, 2000), "the restart");
        w = fake_worker_in(WORKER_STARTING);
        cr_assert_not_null(w);
        fake_notify(w, "X_WORKERPOOL_BUSY=1");
        wait_exits(2, 2000);
        cr_assert_eq(fake.last_exit.reason, EXIT_REASON_PROTOCOL, "%s", fake.last_exit.evidence);
        cr_assert_eq(fake.last_exit.action, EXIT_ACTION_FAIL_POOL, "action %s",
                     exit_action_to_string(fake.last_exit.action));
        cr_assert_eq(p->state, POOL_FAILED);
        cr_assert_eq(p->n_failures, 1);
        cr_assert_eq(p->n_protocol_violations, 2);
        cr_assert(strstr(p->failure, "ProtocolViolationLimit=2"), "%s", p->failure);

        /* stop-pool: the two good workers are stopped too */
        cr_assert(fake_run_until(no_workers, 3000), "%u workers left", p->n_workers);
        cr_assert_eq(fake.n_exited, 4);
        cr_assert_eq(fake.last_exit.reason, EXIT_REASON_STOPPED, "%s", fake.last_exit.evidence);
        cr_assert_eq(p->state, POOL_FAILED, "it stays failed");
        cr_assert_eq(p->n_pending, 0);
        cr_assert_eq(p->n_active, 0);
        cr_assert_eq(fake.n_started, 4, "nothing restarted");
        cr_assert_eq(fake.n_failure_exit, 0);
}

Test(jobs, failure_action_exit_calls_the_host) {
        Pool *p = fake_pool("j", NOTIFY_SLEEPER "Workers=2\nProtocolViolationLimit=1\nFailureAction=exit\n");

        start_and_wait(p, 2);
        fake_notify(p->workers->next, "READY=1");
        fake_notify(p->workers, "X_WORKERPOOL_BUSY=1");
        cr_assert(fake_run_until(pool_failed, 2000), "state %s", pool_state_to_string(p->state));
        cr_assert_eq(fake.n_failure_exit, 1);
        cr_assert(fake_run_until(no_workers, 3000), "exit stops the pool's workers too");
        cr_assert_eq(fake.n_failure_exit, 1, "once");
}

/* ---- the pool's flow --------------------------------------------------- */

Test(jobs, a_pool_of_done_workers_ends) {
        Pool *p = fake_pool("j", "[Pool]\nExecStart=/bin/sh -c 'exit 0'\nWorkers=2\nRestart=no\n");

        cr_assert_eq(pool_start(p), 0);
        cr_assert(fake_run_until(pool_stopped, 3000), "state %s", pool_state_to_string(p->state));
        cr_assert_eq(fake.n_exited, 2);
        cr_assert(strncmp(p->state_reason, "every worker has ended", 22) == 0, "%s", p->state_reason);
        cr_assert(strstr(p->state_reason, "2 retired"), "%s", p->state_reason);
        cr_assert_eq(p->n_workers, 0);
}

Test(jobs, a_pool_of_failed_not_restarted_workers_ends) {
        Pool *p = fake_pool("j", "[Pool]\nExecStart=/bin/sh -c 'exit 3'\nWorkers=2\nRestart=no\n");

        cr_assert_eq(pool_start(p), 0);
        cr_assert(fake_run_until(pool_stopped, 3000), "stuck in %s", pool_state_to_string(p->state));
        cr_assert(strncmp(p->state_reason, "every worker has ended", 22) == 0, "%s", p->state_reason);
        cr_assert(strstr(p->state_reason, "2 not restarted"), "%s", p->state_reason);
}

/* ---- reload ------------------------------------------------------------ */

static char reload_file[128];

static unsigned reload_lines(void) {
        char line[64];
        unsigned n = 0;
        FILE *f = fopen(reload_file, "re");

        if (!f)
                return 0;
        while (fgets(line, sizeof line, f))
                n += strcmp(line, "reload\n") == 0;
        fclose(f);
        return n;
}

static bool two_reloads(void) {
        return reload_lines() >= 2;
}

/* A Type=notify pool of 2 test workers that survive SIGHUP, both ready. */
static Pool *reload_pool(const char *extra) {
        char text[1024];
        Pool *p;

        snprintf(reload_file, sizeof reload_file, "%s/reloads", fake.root);
        snprintf(text, sizeof text, "[Pool]\nExecStart=%s on-hup:%s pause\nType=notify\nWorkers=2\n%s",
                 testworker(), reload_file, extra);
        p = fake_pool("j", text);
        start_and_wait(p, 2);
        fake_run_for(100);      /* let them set their SIGHUP handler */
        for (Worker *w = p->workers; w; w = w->next)
                fake_notify(w, "READY=1");
        cr_assert_eq(p->n_ready, 2);
        cr_assert_eq(p->state, POOL_RUNNING, "state %s", pool_state_to_string(p->state));
        return p;
}

Test(jobs, reload_waits_for_reloading_then_ready_from_each) {
        Pool *p = reload_pool("");
        Worker *a, *b;

        a = p->workers;
        b = p->workers->next;
        pool_job_begin(p, POOL_JOB_RELOAD, "test");
        cr_assert_eq(pool_reload_workers(p), 2);
        cr_assert_eq(p->n_reload_pending, 2);
        cr_assert(fake_run_until(two_reloads, 2000), "both got SIGHUP (%u)", reload_lines());
        cr_assert_eq(fake.n_jobs_done, 0, "not done before they answer: %s %s", fake.job_done_result,
                     fake.job_done_message);

        fake_notify(a, "RELOADING=1");
        fake_run_for(50);
        cr_assert_eq(p->n_reload_pending, 2, "RELOADING=1 alone is not the end");
        fake_notify(a, "READY=1");
        cr_assert_eq(p->n_reload_pending, 1);
        fake_run_for(50);
        cr_assert_eq(fake.n_jobs_done, 0, "one of two answered");

        fake_notify(b, "READY=1");
        fake_run_for(50);
        cr_assert_eq(p->n_reload_pending, 1, "READY=1 without RELOADING=1 first does not count");
        cr_assert_eq(fake.n_jobs_done, 0);
        fake_notify(b, "RELOADING=1");
        fake_notify(b, "READY=1");
        cr_assert(fake_run_until(one_job_done, 1000));
        cr_assert_eq(fake.n_jobs_done, 1);
        cr_assert_str_eq(fake.job_done_job, "reload");
        cr_assert_str_eq(fake.job_done_result, "done", "%s: %s", fake.job_done_result, fake.job_done_message);
        cr_assert_eq(p->n_reload_pending, 0);
        cr_assert_eq(fake.n_exited, 0, "SIGHUP did not kill them");
        cr_assert_eq(a->state, WORKER_IDLE);
        cr_assert_eq(b->state, WORKER_IDLE);
}

Test(jobs, reload_times_out) {
        Pool *p = reload_pool("TimeoutStartSec=1\n");
        Worker *a, *b;
        char id[32];
        usec_t t0, took;

        a = p->workers;
        b = p->workers->next;
        pool_job_begin(p, POOL_JOB_RELOAD, "test");
        t0 = now_ms();
        cr_assert_eq(pool_reload_workers(p), 2);
        fake_notify(a, "RELOADING=1\nREADY=1");
        cr_assert_eq(p->n_reload_pending, 1);
        cr_assert(fake_run_until(one_job_done, 2500), "the reload job never ended");
        took = now_ms() - t0;
        cr_assert_geq(took, 900, "ended after %" PRIu64 "ms", took);
        cr_assert_str_eq(fake.job_done_job, "reload");
        cr_assert_str_eq(fake.job_done_result, "failed", "%s: %s", fake.job_done_result, fake.job_done_message);
        snprintf(id, sizeof id, "worker %" PRIu64 " ", b->id);
        cr_assert(strstr(fake.job_done_message, id), "names %s: %s", id, fake.job_done_message);
        cr_assert(strstr(fake.job_done_message, "READY=1"), "%s", fake.job_done_message);
        cr_assert_eq(p->n_reload_pending, 0);
}

Test(jobs, reload_of_a_stopped_pool) {
        Pool *p = fake_pool("j", SIMPLE_SLEEPER);

        cr_assert_eq(p->state, POOL_STOPPED);
        cr_assert_eq(pool_reload_workers(p), -ENOTCONN);
}

Test(jobs, reload_of_a_simple_pool_is_done_at_once) {
        char text[512];
        Pool *p;

        snprintf(reload_file, sizeof reload_file, "%s/reloads", fake.root);
        snprintf(text, sizeof text, "[Pool]\nExecStart=%s on-hup:%s pause\nWorkers=2\n", testworker(),
                 reload_file);
        p = fake_pool("j", text);
        start_and_wait(p, 2);
        fake_run_for(100);
        pool_job_begin(p, POOL_JOB_RELOAD, "test");
        cr_assert_eq(pool_reload_workers(p), 2);
        cr_assert_eq(p->n_reload_pending, 0, "Type=simple: nothing to wait for");
        cr_assert(fake_run_until(one_job_done, 1000));
        cr_assert_str_eq(fake.job_done_result, "done", "%s", fake.job_done_message);
        cr_assert(fake_run_until(two_reloads, 2000), "both got SIGHUP (%u)", reload_lines());
}

/* ---- respawn correlation ------------------------------------------------ */

Test(jobs, a_killed_workers_replacement_names_it) {
        Pool *p = fake_pool("j", SIMPLE_SLEEPER "Restart=always\nRestartSec=0\n");
        const ExitRecord *r;
        uint64_t id;
        Worker *w;

        start_and_wait(p, 1);
        w = only();
        id = w->id;
        cr_assert_eq(w->replaces, 0, "the first one replaces nobody");
        cr_assert_geq(pidfd_send_signal_wrapper(w->pidfd, SIGKILL), 0);
        wait_exits(1, 2000);
        want = 2;
        cr_assert(fake_run_until(n_started, 2000), "restarted");
        w = only();
        cr_assert_neq(w->id, id);
        cr_assert_eq(w->replaces, id);
        r = record_of(id);
        cr_assert_not_null(r);
        cr_assert_eq(r->reason, EXIT_REASON_KILLED, "%s", r->evidence);
        cr_assert_eq(r->action, EXIT_ACTION_RESTART);
        cr_assert_eq(r->successor, w->id, "the old record names its successor");
}
