/* SPDX-License-Identifier: MIT */
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "../shared/parse-util.h"
#include "../shared/utf8.h"
#include "../spawn/seccomp.h"
#include "classify.h"

static const char *const reason_names[_EXIT_REASON_MAX] = {
        [EXIT_REASON_SUCCESS] = "success",
        [EXIT_REASON_EXIT_CODE] = "exit-code",
        [EXIT_REASON_OOM_KILL] = "oom-kill",
        [EXIT_REASON_STACK_OVERFLOW] = "stack-overflow",
        [EXIT_REASON_SEGFAULT] = "segfault",
        [EXIT_REASON_ABORT] = "abort",
        [EXIT_REASON_SECCOMP] = "seccomp",
        [EXIT_REASON_WATCHDOG] = "watchdog",
        [EXIT_REASON_TIMEOUT] = "timeout",
        [EXIT_REASON_STOPPED] = "stopped",
        [EXIT_REASON_KILLED] = "killed",
        [EXIT_REASON_EXEC_FAILED] = "exec-failed",
        [EXIT_REASON_SIGNAL] = "signal",
        [EXIT_REASON_PROTOCOL] = "protocol",
        [EXIT_REASON_JOB_TIMEOUT] = "job-timeout",
        [EXIT_REASON_RECYCLED] = "recycled",
        [EXIT_REASON_UNHEALTHY] = "unhealthy",
};

static const char *const action_names[_EXIT_ACTION_MAX] = {
        [EXIT_ACTION_RESTART] = "restart",
        [EXIT_ACTION_RETIRE] = "retire",
        [EXIT_ACTION_NONE] = "none",
        [EXIT_ACTION_FAIL_POOL] = "fail-pool",
        [EXIT_ACTION_REPLACED] = "replaced",
};

const char *exit_reason_to_string(ExitReason r) {
        if (r < 0 || r >= _EXIT_REASON_MAX)
                return NULL;
        return reason_names[r];
}

ExitReason exit_reason_from_string(const char *s) {
        for (ExitReason r = 0; r < _EXIT_REASON_MAX; r++)
                if (streq(s, reason_names[r]))
                        return r;
        return _EXIT_REASON_INVALID;
}

const char *exit_action_to_string(ExitAction a) {
        if (a < 0 || a >= _EXIT_ACTION_MAX)
                return NULL;
        return action_names[a];
}

void exit_info_set_sender(ExitInfo *i, pid_t pid, const char *comm, size_t n) {
        i->sender_pid = pid;
        (void) utf8_sanitize(i->sender_comm, sizeof i->sender_comm, comm, strnlen(comm, n));
}

static bool signal_is_clean(int sig) {
        return sig == SIGHUP || sig == SIGINT || sig == SIGTERM || sig == SIGPIPE;
}

bool exit_is_clean(const ExitInfo *i, const ExitStatusSet *success) {
        if (i->exec_failed)
                return false;
        if (i->code == CLD_EXITED)
                return i->status == 0 || exit_status_set_has_status(success, i->status);
        if (i->code == CLD_KILLED)
                return signal_is_clean(i->status) || exit_status_set_has_signal(success, i->status);
        return false;   /* dumped core */
}

static const char *sig_name(int sig, char buf[static 16]) {
        const char *n = signal_to_string(sig);

        if (n)
                return n;
        snprintf(buf, 16, "SIG%d", sig);
        return buf;
}

#define EVIDENCE(...) (void) snprintf(ret->evidence, sizeof ret->evidence, __VA_ARGS__)

static void classify_signal(const ExitInfo *i, ExitClassification *ret) {
        int sig = i->status;
        char nb[16];
        const char *name = sig_name(sig, nb);

        ret->core_dumped = i->code == CLD_DUMPED;

        /* The kernel's OOM killer sends SIGKILL; memory.events tells it was him. */
        if (sig == SIGKILL && i->oom_kill) {
                ret->reason = EXIT_REASON_OOM_KILL;
                EVIDENCE("SIGKILL, memory.events oom_kill rose to %llu",
                         (unsigned long long) i->oom_kills);
                return;
        }

        if (sig == SIGSEGV || sig == SIGBUS) {
                if (i->have_evidence && !i->kernel_fault) {
                        /* raise(SIGSEGV), kill -SEGV: a sent signal, not a fault. */
                        ret->reason = EXIT_REASON_SIGNAL;
                        EVIDENCE("%s sent by pid %d (%s), not a fault", name,
                                 (int) i->sender_pid, i->sender_comm);
                } else if (i->have_evidence && i->stack_overflow) {
                        ret->reason = EXIT_REASON_STACK_OVERFLOW;
                        EVIDENCE("%s at 0x%llx in the stack guard area", name,
                                 (unsigned long long) i->fault_addr);
                } else if (i->have_evidence) {
                        ret->reason = EXIT_REASON_SEGFAULT;
                        EVIDENCE("%s at 0x%llx", name, (unsigned long long) i->fault_addr);
                } else {
                        ret->reason = EXIT_REASON_SEGFAULT;
                        EVIDENCE("%s, evidence: none (fault probe not loaded)", name);
                }
                return;
        }

        if (sig == SIGABRT) {
                ret->reason = EXIT_REASON_ABORT;
                EVIDENCE("SIGABRT");
                return;
        }

        if (sig == SIGSYS && (i->has_seccomp_filter || (i->have_evidence && i->syscall >= 0))) {
                ret->reason = EXIT_REASON_SECCOMP;
                if (i->have_evidence && i->syscall >= 0) {
                        char *n = seccomp_syscall_name(i->syscall);

                        EVIDENCE("SIGSYS from the system call filter, syscall %s (%d)%s",
                                 n ?: "unknown", i->syscall, ret->core_dumped ? ", core dumped" : "");
                        free(n);
                } else
                        EVIDENCE("SIGSYS from the system call filter%s",
                                 ret->core_dumped ? ", core dumped" : "");
                return;
        }

        if (sig == SIGKILL || sig == SIGTERM || sig == SIGINT || sig == SIGHUP) {
                ret->reason = EXIT_REASON_KILLED;
                if (i->have_evidence && i->sender_pid > 0)
                        EVIDENCE("%s sent by pid %d (%s)", name, (int) i->sender_pid,
                                 i->sender_comm);
                else
                        EVIDENCE("%s, not sent by workerpoold", name);
                return;
        }

        ret->reason = EXIT_REASON_SIGNAL;
        EVIDENCE("%s%s", name, ret->core_dumped ? ", core dumped" : "");
}

void classify_exit(const ExitInfo *i, const ExitStatusSet *success, ExitClassification *ret) {
        char nb[16];

        *ret = (ExitClassification) { .reason = _EXIT_REASON_INVALID };

        if (i->exec_failed) {
                ret->reason = EXIT_REASON_EXEC_FAILED;
                EVIDENCE("%s: %s", i->exec_step ?: "exec", strerror(i->exec_errno));
                return;
        }

        /* Our own actions come first: they explain the signal. */
        switch (i->cause) {
        case KILL_CAUSE_WATCHDOG:
                ret->reason = EXIT_REASON_WATCHDOG;
                EVIDENCE("no WATCHDOG=1 within WatchdogSec=, killed with %s",
                         sig_name(i->cause_signal, nb));
                ret->core_dumped = i->code == CLD_DUMPED;
                return;
        case KILL_CAUSE_WATCHDOG_TRIGGER:
                ret->reason = EXIT_REASON_WATCHDOG;
                EVIDENCE("WATCHDOG=trigger from the worker, killed with %s", sig_name(i->cause_signal, nb));
                ret->core_dumped = i->code == CLD_DUMPED;
                return;
        case KILL_CAUSE_START_TIMEOUT:
                ret->reason = EXIT_REASON_TIMEOUT;
                EVIDENCE("start took longer than TimeoutStartSec=, killed with %s",
                         sig_name(i->cause_signal, nb));
                return;
        case KILL_CAUSE_STOP_TIMEOUT:
                if (i->code != CLD_EXITED && i->status == SIGKILL) {
                        ret->reason = EXIT_REASON_TIMEOUT;
                        EVIDENCE("did not stop within TimeoutStopSec=, killed with SIGKILL");
                        return;
                }
                break;
        case KILL_CAUSE_STOPPING_TIMEOUT:
                if (i->code != CLD_EXITED && i->status == SIGKILL) {
                        ret->reason = EXIT_REASON_TIMEOUT;
                        EVIDENCE("said STOPPING=1 but was not gone within TimeoutStopSec=, killed with SIGKILL");
                        return;
                }
                break;
        case KILL_CAUSE_STOP:
                if (exit_is_clean(i, success) ||
                    (i->code == CLD_EXITED && i->status == 128 + i->cause_signal) ||
                    (i->code == CLD_KILLED && i->status == i->cause_signal)) {
                        ret->reason = EXIT_REASON_STOPPED;
                        if (i->code == CLD_EXITED)
                                EVIDENCE("stopped on request, exit status %d", i->status);
                        else
                                EVIDENCE("stopped on request with %s", sig_name(i->status, nb));
                        return;
                }
                break;
        case KILL_CAUSE_JOB_TIMEOUT:
                /* Whatever it died of after the signal: the hang is the cause. */
                ret->reason = EXIT_REASON_JOB_TIMEOUT;
                ret->core_dumped = i->code == CLD_DUMPED;
                EVIDENCE("%s, %s %s%s", i->cause_detail ?: "hung in a job",
                         i->code == CLD_EXITED ? "then exited after" : "killed with",
                         i->code == CLD_EXITED ? "the signal" : sig_name(i->status, nb),
                         ret->core_dumped ? ", core dumped" : "");
                return;
        case KILL_CAUSE_RECYCLE:
        case KILL_CAUSE_UNHEALTHY:
        case KILL_CAUSE_PROTOCOL:
                /* Our own stop: any way it went counts, but an OOM kill on
                 * the way out is still an OOM kill. */
                if (i->code != CLD_EXITED && i->status == SIGKILL && i->oom_kill)
                        break;
                ret->reason = i->cause == KILL_CAUSE_RECYCLE    ? EXIT_REASON_RECYCLED
                              : i->cause == KILL_CAUSE_UNHEALTHY ? EXIT_REASON_UNHEALTHY
                                                                 : EXIT_REASON_PROTOCOL;
                ret->core_dumped = i->code == CLD_DUMPED;
                if (i->code == CLD_EXITED)
                        EVIDENCE("%s; exit status %d", i->cause_detail ?: "stopped by workerpoold", i->status);
                else
                        EVIDENCE("%s; %s", i->cause_detail ?: "stopped by workerpoold", sig_name(i->status, nb));
                return;
        case KILL_CAUSE_REQUEST:
                if (i->code != CLD_EXITED && i->status == i->cause_signal &&
                    !(i->status == SIGKILL && i->oom_kill)) {
                        ret->reason = EXIT_REASON_KILLED;
                        EVIDENCE("%s sent on an administrator's request (Kill)",
                                 sig_name(i->status, nb));
                        return;
                }
                break;
        default:
                break;
        }

        if (i->code == CLD_EXITED) {
                if (i->status == 0 || exit_status_set_has_status(success, i->status)) {
                        ret->reason = EXIT_REASON_SUCCESS;
                        EVIDENCE("exit status %d", i->status);
                } else {
                        ret->reason = EXIT_REASON_EXIT_CODE;
                        EVIDENCE("exit status %d", i->status);
                }
                return;
        }

        if (i->code == CLD_KILLED && exit_status_set_has_signal(success, i->status)) {
                ret->reason = EXIT_REASON_SUCCESS;
                EVIDENCE("%s listed in SuccessExitStatus=", sig_name(i->status, nb));
                return;
        }

        classify_signal(i, ret);
}

ExitAction restart_decide(const PoolConfig *c, const ExitInfo *i, const ExitClassification *cl) {
        bool clean, restart;

        /* Stopping on request never restarts. */
        if (cl->reason == EXIT_REASON_STOPPED)
                return EXIT_ACTION_NONE;

        if (i->code == CLD_EXITED && !i->exec_failed &&
            exit_status_set_has_status(&c->restart_prevent_exit_status, i->status))
                return EXIT_ACTION_RETIRE;
        if (i->code != CLD_EXITED &&
            exit_status_set_has_signal(&c->restart_prevent_exit_status, i->status))
                return EXIT_ACTION_RETIRE;

        if (!i->exec_failed &&
            ((i->code == CLD_EXITED &&
              exit_status_set_has_status(&c->restart_force_exit_status, i->status)) ||
             (i->code != CLD_EXITED &&
              exit_status_set_has_signal(&c->restart_force_exit_status, i->status))))
                return EXIT_ACTION_RESTART;

        clean = cl->reason == EXIT_REASON_SUCCESS;

        switch (c->restart) {
        case RESTART_NO:
                restart = false;
                break;
        case RESTART_ALWAYS:
                restart = true;
                break;
        case RESTART_ON_SUCCESS:
                restart = clean;
                break;
        case RESTART_ON_FAILURE:
                restart = !clean;
                break;
        case RESTART_ON_ABNORMAL:
                /* unclean signal, timeout, watchdog; not an unclean exit code */
                restart = !clean && cl->reason != EXIT_REASON_EXIT_CODE &&
                          cl->reason != EXIT_REASON_EXEC_FAILED;
                break;
        case RESTART_ON_WATCHDOG:
                restart = cl->reason == EXIT_REASON_WATCHDOG;
                break;
        case RESTART_ON_ABORT:
                /* unclean signal only (not our own stops for a reason of ours) */
                restart = !clean && i->code != CLD_EXITED && !i->exec_failed &&
                          !IN_SET(cl->reason, EXIT_REASON_TIMEOUT, EXIT_REASON_WATCHDOG,
                                  EXIT_REASON_UNHEALTHY, EXIT_REASON_PROTOCOL, EXIT_REASON_JOB_TIMEOUT);
                break;
        default:
                restart = false;
        }
        return restart ? EXIT_ACTION_RESTART : EXIT_ACTION_NONE;
}

usec_t restart_backoff(usec_t base, usec_t max, unsigned streak) {
        usec_t d = base;

        if (max < base)
                max = base;
        for (unsigned k = 1; k < streak && d < max; k++)
                d = d > max / 2 ? max : d * 2;
        return MIN(d, max);
}

bool protocol_check(const ExitInfo *i, const ExitContext *ctx, char *buf, size_t size) {
        /* Only an exit of its own: what we did to it explains the rest, and
         * a crash says more by its own reason. */
        if (i->exec_failed || i->cause != KILL_CAUSE_NONE || i->code != CLD_EXITED || ctx->stopping)
                return false;
        if (ctx->config->type == POOL_TYPE_NOTIFY && !ctx->was_ready) {
                snprintf(buf, size, "exit status %d before READY=1", i->status);
                return true;
        }
        if (ctx->was_busy) {
                snprintf(buf, size, "exit status %d while busy, without STOPPING=1", i->status);
                return true;
        }
        return false;
}

void exit_decide(const ExitInfo *i, const ExitContext *ctx, ExitVerdict *ret) {
        const PoolConfig *c = ctx->config;
        ExitClassification cl;
        ExitAction action;
        usec_t stable;
        bool forced = false;

        classify_exit(i, &c->success_exit_status, &cl);
        if (protocol_check(i, ctx, cl.evidence, sizeof cl.evidence))
                cl.reason = EXIT_REASON_PROTOCOL;
        action = restart_decide(c, i, &cl);
        *ret = (ExitVerdict) {
                .reason = cl.reason,
                .core_dumped = cl.core_dumped,
                .failure = cl.reason != EXIT_REASON_SUCCESS && cl.reason != EXIT_REASON_STOPPED,
        };
        memcpy(ret->evidence, cl.evidence, sizeof ret->evidence);

        /* A Type=notify worker that never said READY=1 broke the protocol:
         * say so (the start limit turns repeated ones into a failed pool). */
        if (c->type == POOL_TYPE_NOTIFY && !ctx->was_ready &&
            !IN_SET(cl.reason, EXIT_REASON_STOPPED, EXIT_REASON_TIMEOUT, EXIT_REASON_EXEC_FAILED,
                    EXIT_REASON_PROTOCOL)) {
                size_t k = strlen(ret->evidence);

                snprintf(ret->evidence + k, sizeof ret->evidence - k, ", before READY=1");
        }

        /* The pool's own reasons. */
        if (cl.reason == EXIT_REASON_RECYCLED) {
                /* Its replacement runs already: not a failure, no backoff,
                 * no start-limit count (a stop in progress still wins). */
                ret->failure = false;
                ret->action = ctx->stopping ? EXIT_ACTION_NONE : EXIT_ACTION_REPLACED;
                return;
        }
        if (cl.reason == EXIT_REASON_JOB_TIMEOUT && action != EXIT_ACTION_RETIRE) {
                if (c->job_timeout_action == JOB_TIMEOUT_ACTION_FAIL_POOL && !ctx->stopping && !ctx->pool_failed) {
                        ret->action = EXIT_ACTION_FAIL_POOL;
                        ret->pool_failure = EXIT_POOL_FAILURE_JOB_TIMEOUT;
                        return;
                }
                action = EXIT_ACTION_RESTART;   /* JobTimeoutAction=restart: whatever Restart= says */
                forced = true;
        }
        if (cl.reason == EXIT_REASON_PROTOCOL && !ctx->stopping && !ctx->pool_failed &&
            c->protocol_violation_limit != UINT_MAX &&
            ctx->protocol_violations + 1 >= c->protocol_violation_limit) {
                ret->action = EXIT_ACTION_FAIL_POOL;
                ret->pool_failure = EXIT_POOL_FAILURE_PROTOCOL_LIMIT;
                return;
        }
        (void) forced;

        if (ctx->stopping && action != EXIT_ACTION_RETIRE)
                action = EXIT_ACTION_NONE;
        /* A success that Restart= does not restart is the worker's own
         * "done": it retires, like RestartPreventExitStatus=, and its slot is
         * not refilled by Start (ResetFailed or a start from stopped do). A
         * failure that is not restarted leaves a vacant slot instead. */
        if (action == EXIT_ACTION_NONE && !ctx->stopping && cl.reason == EXIT_REASON_SUCCESS)
                action = EXIT_ACTION_RETIRE;
        if (action == EXIT_ACTION_RESTART) {
                /* Backoff per slot: a worker that ran healthy long enough resets it. */
                stable = MAX(c->restart_max_delay_usec, 10 * USEC_PER_SEC);
                if (ctx->ready_mono > 0 && ctx->now - ctx->ready_mono >= stable)
                        ret->streak = ret->failure ? 1 : 0;
                else
                        ret->streak = ret->failure ? ctx->restart_streak + 1 : 0;
                if (ctx->pool_failed)
                        action = EXIT_ACTION_NONE;
                else if (!ratelimit_below(ctx->start_limit, c->start_limit_interval_usec,
                                          ctx->start_limit_burst, ctx->now)) {
                        action = EXIT_ACTION_FAIL_POOL;
                        ret->pool_failure = EXIT_POOL_FAILURE_START_LIMIT;
                } else
                        ret->delay = restart_backoff(c->restart_usec, c->restart_max_delay_usec,
                                                     MAX(ret->streak, 1u));
        }
        ret->action = action;
}
