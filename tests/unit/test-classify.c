/* SPDX-License-Identifier: MIT */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>

#include "classify/classify.h"

static PoolConfig *cfg;

static void setup(void) {
        cr_assert_eq(pool_config_new("t", NULL, &cfg), 0);
}

static void teardown(void) {
        cfg = pool_config_free(cfg);
}

TestSuite(classify, .init = setup, .fini = teardown);

static ExitClassification run(ExitInfo i) {
        ExitClassification cl;

        classify_exit(&i, &cfg->success_exit_status, &cl);
        return cl;
}

#define EXITED(s) ((ExitInfo) { .code = CLD_EXITED, .status = (s), .syscall = -1 })
#define KILLED(s) ((ExitInfo) { .code = CLD_KILLED, .status = (s), .syscall = -1 })
#define DUMPED(s) ((ExitInfo) { .code = CLD_DUMPED, .status = (s), .syscall = -1 })

static void set_status(ExitStatusSet *s, int st) {
        s->status[st / 8] |= 1u << (st % 8);
}
static void set_signal(ExitStatusSet *s, int sig) {
        s->signal[sig / 8] |= 1u << (sig % 8);
}

Test(classify, reasons_table) {
        struct {
                ExitInfo info;
                ExitReason want;
        } table[] = {
                { EXITED(0), EXIT_REASON_SUCCESS },
                { EXITED(1), EXIT_REASON_EXIT_CODE },
                { EXITED(255), EXIT_REASON_EXIT_CODE },
                { KILLED(SIGKILL), EXIT_REASON_KILLED },
                { KILLED(SIGTERM), EXIT_REASON_KILLED },
                { DUMPED(SIGSEGV), EXIT_REASON_SEGFAULT },
                { KILLED(SIGBUS), EXIT_REASON_SEGFAULT },
                { DUMPED(SIGABRT), EXIT_REASON_ABORT },
                { DUMPED(SIGFPE), EXIT_REASON_SIGNAL },
                { KILLED(SIGUSR1), EXIT_REASON_SIGNAL },
                { KILLED(SIGSYS), EXIT_REASON_SIGNAL },   /* no filter: not ours */
        };

        for (size_t k = 0; k < sizeof(table) / sizeof(table[0]); k++) {
                ExitClassification cl = run(table[k].info);
                cr_expect_eq(cl.reason, table[k].want, "case %zu: got %s want %s", k,
                             exit_reason_to_string(cl.reason), exit_reason_to_string(table[k].want));
        }
}

Test(classify, oom_needs_the_counter) {
        ExitInfo i = KILLED(SIGKILL);

        cr_assert_eq(run(i).reason, EXIT_REASON_KILLED);
        i.oom_kill = true;
        i.oom_kills = 1;
        cr_assert_eq(run(i).reason, EXIT_REASON_OOM_KILL);
        cr_assert(strstr(run(i).evidence, "oom_kill"));
        /* oom_kill rose but it died of something else: not an OOM kill */
        i = KILLED(SIGSEGV);
        i.oom_kill = true;
        cr_assert_eq(run(i).reason, EXIT_REASON_SEGFAULT);
}

Test(classify, exec_failed_wins) {
        ExitInfo i = EXITED(203);

        i.exec_failed = true;
        i.exec_step = "execve";
        i.exec_errno = ENOENT;
        cr_assert_eq(run(i).reason, EXIT_REASON_EXEC_FAILED);
        cr_assert(strstr(run(i).evidence, "No such file"));
}

Test(classify, our_own_kills) {
        ExitInfo i = KILLED(SIGTERM);

        i.cause = KILL_CAUSE_STOP;
        i.cause_signal = SIGTERM;
        cr_assert_eq(run(i).reason, EXIT_REASON_STOPPED);
        i = EXITED(0);
        i.cause = KILL_CAUSE_STOP;
        i.cause_signal = SIGTERM;
        cr_assert_eq(run(i).reason, EXIT_REASON_STOPPED);
        i = EXITED(143);
        i.cause = KILL_CAUSE_STOP;
        i.cause_signal = SIGTERM;
        cr_assert_eq(run(i).reason, EXIT_REASON_STOPPED);
        /* an unclean exit while stopping stays what it is */
        i = EXITED(3);
        i.cause = KILL_CAUSE_STOP;
        i.cause_signal = SIGTERM;
        cr_assert_eq(run(i).reason, EXIT_REASON_EXIT_CODE);

        i = KILLED(SIGKILL);
        i.cause = KILL_CAUSE_STOP_TIMEOUT;
        cr_assert_eq(run(i).reason, EXIT_REASON_TIMEOUT);
        /* it said STOPPING=1 and hung: our SIGKILL at the timeout is ours too,
         * never "killed, not sent by workerpoold"; Restart= applies to it */
        i = KILLED(SIGKILL);
        i.cause = KILL_CAUSE_STOPPING_TIMEOUT;
        cr_assert_eq(run(i).reason, EXIT_REASON_TIMEOUT);
        cr_assert(strstr(run(i).evidence, "STOPPING=1"), "%s", run(i).evidence);
        cr_assert_eq(restart_decide(cfg, &i, &(ExitClassification) { .reason = EXIT_REASON_TIMEOUT }),
                     EXIT_ACTION_RESTART);
        i = KILLED(SIGTERM);
        i.cause = KILL_CAUSE_START_TIMEOUT;
        cr_assert_eq(run(i).reason, EXIT_REASON_TIMEOUT);
        i = DUMPED(SIGABRT);
        i.cause = KILL_CAUSE_WATCHDOG;
        i.cause_signal = SIGABRT;
        cr_assert_eq(run(i).reason, EXIT_REASON_WATCHDOG);
}

Test(classify, fault_probe_evidence) {
        ExitInfo i = DUMPED(SIGSEGV);

        i.have_evidence = true;
        i.kernel_fault = true;
        i.stack_overflow = true;
        i.fault_addr = 0x7ffc0000;
        cr_assert_eq(run(i).reason, EXIT_REASON_STACK_OVERFLOW);
        i.stack_overflow = false;
        cr_assert_eq(run(i).reason, EXIT_REASON_SEGFAULT);
        i.kernel_fault = false;
        i.sender_pid = 42;
        strcpy(i.sender_comm, "bash");
        cr_assert_eq(run(i).reason, EXIT_REASON_SIGNAL);
        cr_assert(strstr(run(i).evidence, "pid 42 (bash)"));

        i = KILLED(SIGKILL);
        i.have_evidence = true;
        i.sender_pid = 4242;
        strcpy(i.sender_comm, "bash");
        cr_assert_eq(run(i).reason, EXIT_REASON_KILLED);
        cr_assert(strstr(run(i).evidence, "4242"));

        i = KILLED(SIGSYS);
        i.have_evidence = true;
        i.kernel_fault = true;
        i.syscall = 169;
        cr_assert_eq(run(i).reason, EXIT_REASON_SECCOMP);
        cr_assert(strstr(run(i).evidence, "169"));
}

Test(classify, success_exit_status) {
        set_status(&cfg->success_exit_status, 42);
        set_signal(&cfg->success_exit_status, SIGUSR1);
        cr_assert_eq(run(EXITED(42)).reason, EXIT_REASON_SUCCESS);
        cr_assert_eq(run(KILLED(SIGUSR1)).reason, EXIT_REASON_SUCCESS);
        cr_assert_eq(run(EXITED(43)).reason, EXIT_REASON_EXIT_CODE);
}

static ExitAction decide(RestartPolicy pol, ExitInfo i) {
        ExitClassification cl;

        cfg->restart = pol;
        classify_exit(&i, &cfg->success_exit_status, &cl);
        return restart_decide(cfg, &i, &cl);
}

Test(classify, restart_table_like_systemd) {
        ExitInfo clean = EXITED(0), code = EXITED(1), segv = DUMPED(SIGSEGV), term = KILLED(SIGTERM);
        ExitInfo wd = DUMPED(SIGABRT), to = KILLED(SIGKILL), kill = KILLED(SIGTERM), hup = KILLED(SIGHUP);
        const ExitAction R = EXIT_ACTION_RESTART, N = EXIT_ACTION_NONE;

        wd.cause = KILL_CAUSE_WATCHDOG;
        wd.cause_signal = SIGABRT;
        to.cause = KILL_CAUSE_START_TIMEOUT;
        kill.cause = KILL_CAUSE_REQUEST;        /* workerpoolctl kill POOL: SIGTERM */
        kill.cause_signal = SIGTERM;

        /* systemd's table, but for a pool a signal we did not send for a stop
         * (kill -TERM, kill -HUP by an admin, or KillWorkers) is a failure:
         * the pool must keep its N. */
        /*                    clean code segv term wd  timeout kill hup */
        struct {
                RestartPolicy p;
                ExitAction want[8];
        } t[] = {
                { RESTART_NO,          { N, N, N, N, N, N, N, N } },
                { RESTART_ALWAYS,      { R, R, R, R, R, R, R, R } },
                { RESTART_ON_SUCCESS,  { R, N, N, N, N, N, N, N } },
                { RESTART_ON_FAILURE,  { N, R, R, R, R, R, R, R } },
                { RESTART_ON_ABNORMAL, { N, N, R, R, R, R, R, R } },
                { RESTART_ON_ABORT,    { N, N, R, R, N, N, R, R } },
                { RESTART_ON_WATCHDOG, { N, N, N, N, R, N, N, N } },
        };
        for (size_t k = 0; k < sizeof(t) / sizeof(t[0]); k++) {
                ExitInfo cases[8] = { clean, code, segv, term, wd, to, kill, hup };

                for (int c = 0; c < 8; c++)
                        cr_expect_eq(decide(t[k].p, cases[c]), t[k].want[c], "Restart=%s case %d",
                                     restart_policy_to_string(t[k].p), c);
        }
}

Test(classify, prevent_and_force) {
        set_status(&cfg->restart_prevent_exit_status, 75);
        cr_assert_eq(decide(RESTART_ALWAYS, EXITED(75)), EXIT_ACTION_RETIRE);
        cr_assert_eq(decide(RESTART_ALWAYS, EXITED(74)), EXIT_ACTION_RESTART);
        set_status(&cfg->restart_force_exit_status, 0);
        cr_assert_eq(decide(RESTART_NO, EXITED(0)), EXIT_ACTION_RESTART);
        /* stopped on request: never restarted, whatever Restart= says */
        ExitInfo i = KILLED(SIGTERM);
        i.cause = KILL_CAUSE_STOP;
        i.cause_signal = SIGTERM;
        cr_assert_eq(decide(RESTART_ALWAYS, i), EXIT_ACTION_NONE);
}

Test(classify, backoff) {
        const usec_t ms = 1000;

        cr_assert_eq(restart_backoff(100 * ms, 30000 * ms, 0), 100 * ms);
        cr_assert_eq(restart_backoff(100 * ms, 30000 * ms, 1), 100 * ms);
        cr_assert_eq(restart_backoff(100 * ms, 30000 * ms, 2), 200 * ms);
        cr_assert_eq(restart_backoff(100 * ms, 30000 * ms, 5), 1600 * ms);
        cr_assert_eq(restart_backoff(100 * ms, 30000 * ms, 9), 25600 * ms);
        cr_assert_eq(restart_backoff(100 * ms, 30000 * ms, 10), 30000 * ms);
        cr_assert_eq(restart_backoff(100 * ms, 30000 * ms, 1000000), 30000 * ms);
        cr_assert_eq(restart_backoff(0, 30000 * ms, 7), 0);
        cr_assert_eq(restart_backoff(500 * ms, 100 * ms, 3), 500 * ms);   /* max below base */
        cr_assert_eq(restart_backoff(UINT64_MAX / 2, UINT64_MAX, 5), UINT64_MAX);
}

Test(classify, names_round_trip) {
        for (ExitReason r = 0; r < _EXIT_REASON_MAX; r++)
                cr_assert_eq(exit_reason_from_string(exit_reason_to_string(r)), r);
        cr_assert_eq(exit_reason_from_string("nope"), _EXIT_REASON_INVALID);
        cr_assert_str_eq(exit_reason_to_string(EXIT_REASON_OOM_KILL), "oom-kill");
        cr_assert_str_eq(exit_reason_to_string(EXIT_REASON_STACK_OVERFLOW), "stack-overflow");
        cr_assert_str_eq(exit_reason_to_string(EXIT_REASON_PROTOCOL), "protocol");
        cr_assert_str_eq(exit_reason_to_string(EXIT_REASON_JOB_TIMEOUT), "job-timeout");
        cr_assert_str_eq(exit_reason_to_string(EXIT_REASON_RECYCLED), "recycled");
        cr_assert_str_eq(exit_reason_to_string(EXIT_REASON_UNHEALTHY), "unhealthy");
        cr_assert_str_eq(exit_action_to_string(EXIT_ACTION_REPLACED), "replaced");
}

/* ---- exit_decide(): the whole verdict, as a table ------------------------- */

#define SEC USEC_PER_SEC
#define MSEC USEC_PER_MSEC

typedef struct Row {
        const char *what;
        ExitInfo info;
        RestartPolicy restart;
        bool stopping, pool_failed, was_ready, was_busy;
        unsigned violations;            /* the pool's protocol violations before it */
        usec_t ready_for;               /* how long it ran ready (0: never ready) */
        unsigned streak;
        ExitReason reason;
        ExitAction action;
        usec_t delay;
        unsigned new_streak;
} Row;

static ExitVerdict decide_row(const Row *row, RateLimit *rl) {
        ExitVerdict v;
        usec_t now = 1000 * SEC;

        cfg->restart = row->restart;
        cfg->restart_usec = 100 * MSEC;
        cfg->restart_max_delay_usec = 30 * SEC;
        exit_decide(&row->info, &(ExitContext) {
                .config = cfg,
                .stopping = row->stopping,
                .pool_failed = row->pool_failed,
                .was_ready = row->was_ready || cfg->type == POOL_TYPE_SIMPLE,
                .was_busy = row->was_busy,
                .protocol_violations = row->violations,
                .now = now,
                .ready_mono = row->ready_for > 0 ? now - row->ready_for : 0,
                .restart_streak = row->streak,
                .start_limit_burst = 5,
                .start_limit = rl,
        }, &v);
        return v;
}

Test(classify, decide_table) {
        ExitInfo stopped = KILLED(SIGTERM), retire = EXITED(75);
        const Row rows[] = {
                { "crash, first", KILLED(SIGSEGV), RESTART_ON_FAILURE, .reason = EXIT_REASON_SEGFAULT,
                  .action = EXIT_ACTION_RESTART, .delay = 100 * MSEC, .new_streak = 1 },
                { "crash, third in a row: backoff doubles", KILLED(SIGSEGV), RESTART_ON_FAILURE, .streak = 2,
                  .reason = EXIT_REASON_SEGFAULT, .action = EXIT_ACTION_RESTART, .delay = 400 * MSEC,
                  .new_streak = 3 },
                { "crash after a healthy 30s: the streak starts again", KILLED(SIGSEGV), RESTART_ON_FAILURE,
                  .streak = 7, .ready_for = 30 * SEC, .reason = EXIT_REASON_SEGFAULT,
                  .action = EXIT_ACTION_RESTART, .delay = 100 * MSEC, .new_streak = 1 },
                { "crash after 29s: not healthy long enough", KILLED(SIGSEGV), RESTART_ON_FAILURE, .streak = 7,
                  .ready_for = 29 * SEC, .reason = EXIT_REASON_SEGFAULT, .action = EXIT_ACTION_RESTART,
                  .delay = 12800 * MSEC, .new_streak = 8 },
                { "backoff capped at RestartMaxDelaySec=", EXITED(1), RESTART_ON_FAILURE, .streak = 20,
                  .reason = EXIT_REASON_EXIT_CODE, .action = EXIT_ACTION_RESTART, .delay = 30 * SEC,
                  .new_streak = 21 },
                { "success under on-failure: the worker is done, it retires", EXITED(0), RESTART_ON_FAILURE,
                  .reason = EXIT_REASON_SUCCESS, .action = EXIT_ACTION_RETIRE },
                { "success under Restart=no: retires", EXITED(0), RESTART_NO,
                  .reason = EXIT_REASON_SUCCESS, .action = EXIT_ACTION_RETIRE },
                { "a failure under Restart=no: none (a vacant slot)", EXITED(1), RESTART_NO,
                  .reason = EXIT_REASON_EXIT_CODE, .action = EXIT_ACTION_NONE },
                { "kill -TERM by an admin under on-failure: restart", KILLED(SIGTERM), RESTART_ON_FAILURE,
                  .reason = EXIT_REASON_KILLED, .action = EXIT_ACTION_RESTART, .delay = 100 * MSEC,
                  .new_streak = 1 },
                { "success under always: restart, streak 0", EXITED(0), RESTART_ALWAYS, .streak = 4,
                  .reason = EXIT_REASON_SUCCESS, .action = EXIT_ACTION_RESTART, .delay = 100 * MSEC,
                  .new_streak = 0 },
                { "crash while the pool stops: none", KILLED(SIGSEGV), RESTART_ALWAYS, .stopping = true,
                  .reason = EXIT_REASON_SEGFAULT, .action = EXIT_ACTION_NONE },
                { "crash in a failed pool: none", KILLED(SIGSEGV), RESTART_ALWAYS, .pool_failed = true,
                  .reason = EXIT_REASON_SEGFAULT, .action = EXIT_ACTION_NONE, .new_streak = 1 },
                { "Restart=no", KILLED(SIGKILL), RESTART_NO, .reason = EXIT_REASON_KILLED,
                  .action = EXIT_ACTION_NONE },
        };
        Row r;

        for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
                RateLimit rl = {};
                ExitVerdict v = decide_row(&rows[i], &rl);

                cr_assert_eq(v.reason, rows[i].reason, "%s: reason %s", rows[i].what, exit_reason_to_string(v.reason));
                cr_assert_eq(v.action, rows[i].action, "%s: action %s", rows[i].what, exit_action_to_string(v.action));
                if (v.action == EXIT_ACTION_RESTART) {
                        cr_assert_eq(v.delay, rows[i].delay, "%s: delay %" PRIu64, rows[i].what, v.delay);
                        cr_assert_eq(v.streak, rows[i].new_streak, "%s: streak %u", rows[i].what, v.streak);
                }
                cr_assert_eq(v.failure, v.reason != EXIT_REASON_SUCCESS && v.reason != EXIT_REASON_STOPPED);
        }

        /* Our stop: stopped, none; RestartPreventExitStatus= retires even then. */
        stopped.cause = KILL_CAUSE_STOP;
        stopped.cause_signal = SIGTERM;
        r = (Row) { "stop", stopped, RESTART_ALWAYS, .stopping = true };
        {
                RateLimit rl = {};
                ExitVerdict v = decide_row(&r, &rl);

                cr_assert_eq(v.reason, EXIT_REASON_STOPPED);
                cr_assert_eq(v.action, EXIT_ACTION_NONE);
                cr_assert(!v.failure);
        }
        set_status(&cfg->restart_prevent_exit_status, 75);
        r = (Row) { "retire while stopping", retire, RESTART_ALWAYS, .stopping = true };
        {
                RateLimit rl = {};

                cr_assert_eq(decide_row(&r, &rl).action, EXIT_ACTION_RETIRE);
        }
}

Test(classify, decide_start_limit_fails_the_pool) {
        Row crash = { "crash", KILLED(SIGSEGV), RESTART_ON_FAILURE };
        RateLimit rl = {};

        cfg->start_limit_interval_usec = 10 * SEC;
        for (int k = 0; k < 5; k++)
                cr_assert_eq(decide_row(&crash, &rl).action, EXIT_ACTION_RESTART, "restart %d of the burst", k + 1);
        cr_assert_eq(decide_row(&crash, &rl).action, EXIT_ACTION_FAIL_POOL, "the sixth within the interval");
        /* an exit that does not restart does not count */
        rl = (RateLimit) {};
        crash.restart = RESTART_NO;
        for (int k = 0; k < 10; k++)
                cr_assert_eq(decide_row(&crash, &rl).action, EXIT_ACTION_NONE);
        cr_assert_eq(rl.num, 0);
        /* StartLimitIntervalSec=0: no limit */
        cfg->start_limit_interval_usec = 0;
        crash.restart = RESTART_ON_FAILURE;
        for (int k = 0; k < 100; k++)
                cr_assert_eq(decide_row(&crash, &rl).action, EXIT_ACTION_RESTART);
}

Test(classify, decide_notify_before_ready) {
        Row r = { "exit before READY=1", EXITED(0), RESTART_ON_FAILURE };
        RateLimit rl = {};
        ExitVerdict v;

        cfg->type = POOL_TYPE_NOTIFY;
        /* An exit of its own before READY=1, with any status: the protocol. */
        v = decide_row(&r, &rl);
        cr_assert_eq(v.reason, EXIT_REASON_PROTOCOL);
        cr_assert_str_eq(v.evidence, "exit status 0 before READY=1");
        cr_assert(v.failure);
        cr_assert_eq(v.action, EXIT_ACTION_RESTART, "on-failure restarts a protocol violation");
        r.info = EXITED(3);
        cr_assert_eq(decide_row(&r, &rl).reason, EXIT_REASON_PROTOCOL);
        /* A crash before READY=1 keeps its own reason; the evidence says when. */
        r.info = KILLED(SIGSEGV);
        v = decide_row(&r, &rl);
        cr_assert_eq(v.reason, EXIT_REASON_SEGFAULT);
        cr_assert(strstr(v.evidence, ", before READY=1"), "%s", v.evidence);
        r.info = EXITED(0);
        r.was_ready = true;
        v = decide_row(&r, &rl);
        cr_assert_eq(v.reason, EXIT_REASON_SUCCESS);
        cr_assert_str_eq(v.evidence, "exit status 0");
        /* Type=simple: no READY=1 to wait for. */
        cfg->type = POOL_TYPE_SIMPLE;
        r.was_ready = false;
        cr_assert_eq(decide_row(&r, &rl).reason, EXIT_REASON_SUCCESS);
}

/* The pool's own reasons x action x key: job-timeout, recycled, unhealthy,
 * protocol (workerpoold(8), EXIT REASONS). */
Test(classify, decide_job_reasons) {
        ExitInfo hung = KILLED(SIGABRT), hung_dumped = { .code = CLD_DUMPED, .status = SIGABRT, .syscall = -1 },
                 recycled = KILLED(SIGTERM), recycled_exit = EXITED(0), unhealthy = KILLED(SIGTERM),
                 busy_exit = EXITED(0), busy_crash = KILLED(SIGSEGV), oom = KILLED(SIGKILL);
        RateLimit rl = {};
        ExitVerdict v;
        Row r;

        hung.cause = hung_dumped.cause = KILL_CAUSE_JOB_TIMEOUT;
        hung.cause_signal = hung_dumped.cause_signal = SIGABRT;
        hung.cause_detail = hung_dumped.cause_detail = "busy longer than JobTimeoutSec=1s";
        recycled.cause = recycled_exit.cause = KILL_CAUSE_RECYCLE;
        recycled.cause_signal = recycled_exit.cause_signal = SIGTERM;
        recycled.cause_detail = recycled_exit.cause_detail = "MaxJobs=3 reached after 3 jobs";
        unhealthy.cause = KILL_CAUSE_UNHEALTHY;
        unhealthy.cause_signal = SIGTERM;
        unhealthy.cause_detail = "health check failed 3 times in a row";

        const Row rows[] = {
                { "job timeout: restart whatever Restart= says", hung, RESTART_NO,
                  .reason = EXIT_REASON_JOB_TIMEOUT, .action = EXIT_ACTION_RESTART, .delay = 100 * MSEC,
                  .new_streak = 1 },
                { "job timeout, core dumped", hung_dumped, RESTART_ON_WATCHDOG,
                  .reason = EXIT_REASON_JOB_TIMEOUT, .action = EXIT_ACTION_RESTART, .delay = 100 * MSEC,
                  .new_streak = 1 },
                { "job timeout while the pool stops: none", hung, RESTART_ALWAYS, .stopping = true,
                  .reason = EXIT_REASON_JOB_TIMEOUT, .action = EXIT_ACTION_NONE },
                { "recycled by a signal: replaced already", recycled, RESTART_ON_FAILURE,
                  .reason = EXIT_REASON_RECYCLED, .action = EXIT_ACTION_REPLACED },
                { "recycled, exit 0: replaced", recycled_exit, RESTART_NO,
                  .reason = EXIT_REASON_RECYCLED, .action = EXIT_ACTION_REPLACED },
                { "recycled while stopping: none", recycled, RESTART_ALWAYS, .stopping = true,
                  .reason = EXIT_REASON_RECYCLED, .action = EXIT_ACTION_NONE },
                { "unhealthy under on-failure: restart", unhealthy, RESTART_ON_FAILURE,
                  .reason = EXIT_REASON_UNHEALTHY, .action = EXIT_ACTION_RESTART, .delay = 100 * MSEC,
                  .new_streak = 1 },
                { "unhealthy under on-abnormal: restart (not an exit code)", unhealthy, RESTART_ON_ABNORMAL,
                  .reason = EXIT_REASON_UNHEALTHY, .action = EXIT_ACTION_RESTART, .delay = 100 * MSEC,
                  .new_streak = 1 },
                { "unhealthy under on-abort: none (our own stop, not a crash)", unhealthy, RESTART_ON_ABORT,
                  .reason = EXIT_REASON_UNHEALTHY, .action = EXIT_ACTION_NONE },
                { "unhealthy under Restart=no: none", unhealthy, RESTART_NO,
                  .reason = EXIT_REASON_UNHEALTHY, .action = EXIT_ACTION_NONE },
                { "exit 0 while busy without STOPPING=1: protocol", busy_exit, RESTART_ON_FAILURE, .was_busy = true,
                  .reason = EXIT_REASON_PROTOCOL, .action = EXIT_ACTION_RESTART, .delay = 100 * MSEC,
                  .new_streak = 1 },
                { "protocol under on-abnormal: restart", busy_exit, RESTART_ON_ABNORMAL, .was_busy = true,
                  .reason = EXIT_REASON_PROTOCOL, .action = EXIT_ACTION_RESTART, .delay = 100 * MSEC,
                  .new_streak = 1 },
                { "protocol under on-abort: none", busy_exit, RESTART_ON_ABORT, .was_busy = true,
                  .reason = EXIT_REASON_PROTOCOL, .action = EXIT_ACTION_NONE },
                { "a crash while busy keeps its reason", busy_crash, RESTART_ON_FAILURE, .was_busy = true,
                  .reason = EXIT_REASON_SEGFAULT, .action = EXIT_ACTION_RESTART, .delay = 100 * MSEC,
                  .new_streak = 1 },
                { "exit 0 while busy, the pool stopping: stopped's rules", busy_exit, RESTART_ON_FAILURE,
                  .was_busy = true, .stopping = true, .reason = EXIT_REASON_SUCCESS, .action = EXIT_ACTION_NONE },
        };

        for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
                rl = (RateLimit) {};
                v = decide_row(&rows[i], &rl);
                cr_assert_eq(v.reason, rows[i].reason, "%s: reason %s", rows[i].what, exit_reason_to_string(v.reason));
                cr_assert_eq(v.action, rows[i].action, "%s: action %s", rows[i].what, exit_action_to_string(v.action));
                if (v.action == EXIT_ACTION_RESTART) {
                        cr_assert_eq(v.delay, rows[i].delay, "%s: delay %" PRIu64, rows[i].what, v.delay);
                        cr_assert_eq(v.streak, rows[i].new_streak, "%s: streak %u", rows[i].what, v.streak);
                }
                cr_assert_eq(v.failure, !IN_SET(v.reason, EXIT_REASON_SUCCESS, EXIT_REASON_STOPPED, EXIT_REASON_RECYCLED),
                             "%s: failure", rows[i].what);
        }

        /* The evidence names what we did and what it died of. */
        v = decide_row(&(Row) { "", hung, RESTART_ON_FAILURE }, &rl);
        cr_assert_str_eq(v.evidence, "busy longer than JobTimeoutSec=1s, killed with SIGABRT");
        v = decide_row(&(Row) { "", hung_dumped, RESTART_ON_FAILURE }, &rl);
        cr_assert(v.core_dumped);
        cr_assert(strstr(v.evidence, ", core dumped"), "%s", v.evidence);
        v = decide_row(&(Row) { "", recycled, RESTART_ON_FAILURE }, &rl);
        cr_assert_str_eq(v.evidence, "MaxJobs=3 reached after 3 jobs; SIGTERM");
        v = decide_row(&(Row) { "", recycled_exit, RESTART_ON_FAILURE }, &rl);
        cr_assert_str_eq(v.evidence, "MaxJobs=3 reached after 3 jobs; exit status 0");

        /* A recycle costs no start-limit count: 100 of them within the window. */
        cfg->start_limit_interval_usec = 10 * SEC;
        rl = (RateLimit) {};
        for (int k = 0; k < 100; k++)
                cr_assert_eq(decide_row(&(Row) { "", recycled, RESTART_ON_FAILURE }, &rl).action,
                             EXIT_ACTION_REPLACED);
        cr_assert_eq(rl.num, 0);

        /* An OOM kill on the way out of a recycle is an OOM kill. */
        oom.cause = KILL_CAUSE_RECYCLE;
        oom.cause_signal = SIGTERM;
        oom.oom_kill = true;
        oom.oom_kills = 1;
        cr_assert_eq(decide_row(&(Row) { "", oom, RESTART_ON_FAILURE }, &rl).reason, EXIT_REASON_OOM_KILL);

        /* JobTimeoutAction=fail-pool. */
        cfg->job_timeout_action = JOB_TIMEOUT_ACTION_FAIL_POOL;
        v = decide_row(&(Row) { "", hung, RESTART_ALWAYS }, &rl);
        cr_assert_eq(v.action, EXIT_ACTION_FAIL_POOL);
        cr_assert_eq(v.pool_failure, EXIT_POOL_FAILURE_JOB_TIMEOUT);
        /* a second one in the pool that failed already: nothing more */
        v = decide_row(&(Row) { "", hung, RESTART_ALWAYS, .pool_failed = true }, &rl);
        cr_assert_eq(v.action, EXIT_ACTION_NONE);
        cfg->job_timeout_action = JOB_TIMEOUT_ACTION_RESTART;

        /* ProtocolViolationLimit=3: the third fails the pool. */
        cfg->protocol_violation_limit = 3;
        r = (Row) { "", busy_exit, RESTART_ON_FAILURE, .was_busy = true, .violations = 1 };
        rl = (RateLimit) {};
        cr_assert_eq(decide_row(&r, &rl).action, EXIT_ACTION_RESTART, "the second");
        r.violations = 2;
        v = decide_row(&r, &rl);
        cr_assert_eq(v.action, EXIT_ACTION_FAIL_POOL, "the third");
        cr_assert_eq(v.pool_failure, EXIT_POOL_FAILURE_PROTOCOL_LIMIT);
        r.violations = 5;
        r.pool_failed = true;
        cr_assert_eq(decide_row(&r, &rl).action, EXIT_ACTION_NONE, "once failed, no second failure");
        r.pool_failed = false;
        /* the start limit names itself */
        cfg->protocol_violation_limit = UINT_MAX;
        r = (Row) { "", KILLED(SIGSEGV), RESTART_ON_FAILURE };
        rl = (RateLimit) {};
        for (int k = 0; k < 5; k++)
                (void) decide_row(&r, &rl);
        v = decide_row(&r, &rl);
        cr_assert_eq(v.action, EXIT_ACTION_FAIL_POOL);
        cr_assert_eq(v.pool_failure, EXIT_POOL_FAILURE_START_LIMIT);
}

Test(classify, protocol_rules) {
        ExitContext ctx = { .config = cfg };
        ExitInfo exit0 = EXITED(0), killed = KILLED(SIGKILL), ours = EXITED(0);
        char buf[128];

        cfg->type = POOL_TYPE_NOTIFY;
        cr_assert(protocol_check(&exit0, &ctx, buf, sizeof buf));
        cr_assert_str_eq(buf, "exit status 0 before READY=1");
        cr_assert(!protocol_check(&killed, &ctx, buf, sizeof buf), "a signal is not the worker's own exit");
        ours.cause = KILL_CAUSE_STOP;
        cr_assert(!protocol_check(&ours, &ctx, buf, sizeof buf), "our stop explains it");
        ctx.was_ready = true;
        cr_assert(!protocol_check(&exit0, &ctx, buf, sizeof buf));
        ctx.was_busy = true;
        cr_assert(protocol_check(&exit0, &ctx, buf, sizeof buf));
        cr_assert_str_eq(buf, "exit status 0 while busy, without STOPPING=1");
        ctx.stopping = true;
        cr_assert(!protocol_check(&exit0, &ctx, buf, sizeof buf), "we were stopping it");
}
