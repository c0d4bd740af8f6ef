/* SPDX-License-Identifier: MIT */
#pragma once

/* Why did it die? One vocabulary for the bus, the CLI and the journal, and
 * the restart decision taken from it. Pure logic: no I/O, no logging. */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "../config/config.h"
#include "../shared/ratelimit.h"

typedef enum ExitReason {
        EXIT_REASON_SUCCESS,
        EXIT_REASON_EXIT_CODE,
        EXIT_REASON_OOM_KILL,
        EXIT_REASON_STACK_OVERFLOW,
        EXIT_REASON_SEGFAULT,
        EXIT_REASON_ABORT,
        EXIT_REASON_SECCOMP,
        EXIT_REASON_WATCHDOG,
        EXIT_REASON_TIMEOUT,
        EXIT_REASON_STOPPED,
        EXIT_REASON_KILLED,
        EXIT_REASON_EXEC_FAILED,
        EXIT_REASON_SIGNAL,
        EXIT_REASON_PROTOCOL,           /* broke the notify protocol (systemd's Result=protocol) */
        EXIT_REASON_JOB_TIMEOUT,        /* JobTimeoutSec=/WaitTimeoutSec= ran out */
        EXIT_REASON_RECYCLED,           /* MaxJobs=, RuntimeMaxSec=, MemoryRecycle= */
        EXIT_REASON_UNHEALTHY,          /* ExecHealthCheck= failed HealthCheckRetries= times */
        _EXIT_REASON_MAX,
        _EXIT_REASON_INVALID = -EINVAL,
} ExitReason;

const char *exit_reason_to_string(ExitReason r);
ExitReason exit_reason_from_string(const char *s);

/* What we did to the worker before it died, if anything. */
typedef enum KillCause {
        KILL_CAUSE_NONE,
        KILL_CAUSE_STOP,                /* stop, scale down, reload: SIGTERM sent */
        KILL_CAUSE_STOP_TIMEOUT,        /* TimeoutStopSec= ran out: SIGKILL sent */
        KILL_CAUSE_START_TIMEOUT,       /* TimeoutStartSec= ran out */
        KILL_CAUSE_WATCHDOG,            /* WatchdogSec= ran out */
        KILL_CAUSE_WATCHDOG_TRIGGER,    /* the worker sent WATCHDOG=trigger */
        KILL_CAUSE_REQUEST,             /* an explicit Kill request with a signal */
        KILL_CAUSE_STOPPING_TIMEOUT,    /* it said STOPPING=1 and was not gone after
                                         * TimeoutStopSec=: SIGKILL sent */
        KILL_CAUSE_JOB_TIMEOUT,         /* hung in a job: JobTimeoutSignal= sent */
        KILL_CAUSE_RECYCLE,             /* recycled: SIGTERM sent, its replacement started */
        KILL_CAUSE_UNHEALTHY,           /* its health check failed: SIGTERM sent */
        KILL_CAUSE_PROTOCOL,            /* it broke the notify protocol: SIGTERM sent */
        _KILL_CAUSE_MAX,
} KillCause;

typedef struct ExitInfo {
        int code;                       /* CLD_EXITED, CLD_KILLED, CLD_DUMPED */
        int status;                     /* exit status or signal number */
        bool exec_failed;               /* failure reported before exec */
        const char *exec_step;          /* which step, e.g. "execve" */
        int exec_errno;
        bool oom_kill;                  /* the worker cgroup's oom_kill rose */
        uint64_t oom_kills;
        KillCause cause;
        int cause_signal;               /* the signal we sent, if any */
        const char *cause_detail;       /* why we sent it (job timeout, recycle, health check,
                                         * protocol), for the evidence; may be NULL */
        bool has_seccomp_filter;        /* the pool has SystemCallFilter= */
        /* From the fault probe, when it saw the fatal signal: */
        bool have_evidence;
        bool kernel_fault;
        bool stack_overflow;
        uint64_t fault_addr;
        pid_t sender_pid;
        char sender_comm[16];
        int syscall;                    /* seccomp: the offending syscall, or -1 */
} ExitInfo;

typedef struct ExitClassification {
        ExitReason reason;
        bool core_dumped;
        char evidence[256];             /* human readable: what led to the reason */
} ExitClassification;

void classify_exit(const ExitInfo *i, const ExitStatusSet *success, ExitClassification *ret);

/* The sender of the fatal signal, as the fault probe saw it. Its comm is
 * anything the process named itself (prctl(PR_SET_NAME)): it goes into the
 * evidence, on the bus, so it is kept as valid UTF-8. */
void exit_info_set_sender(ExitInfo *i, pid_t pid, const char *comm, size_t n);

typedef enum ExitAction {
        EXIT_ACTION_RESTART,            /* replace it (after the backoff delay) */
        EXIT_ACTION_RETIRE,             /* RestartPreventExitStatus=: done for good */
        EXIT_ACTION_NONE,               /* Restart= says no, or we are stopping it */
        EXIT_ACTION_FAIL_POOL,          /* start limit hit: the pool enters failed */
        EXIT_ACTION_REPLACED,           /* recycled: its replacement was started before it stopped */
        _EXIT_ACTION_MAX,
        _EXIT_ACTION_INVALID = -EINVAL,
} ExitAction;

const char *exit_action_to_string(ExitAction a);

/* The decision table of systemd's Restart=, per reason, with one change for
 * pools: only a success (exit 0, or SuccessExitStatus=) is clean; a signal
 * that workerpoold did not send for a stop (kill -TERM by an admin, Kill)
 * is a failure, because a pool keeps N (systemd's "clean signal" rule was
 * written for services that stop themselves). Start limits are the pool's
 * business (it turns RESTART into FAIL_POOL). */
ExitAction restart_decide(const PoolConfig *c, const ExitInfo *i, const ExitClassification *cl);

/* A clean exit in systemd's sense: success, SuccessExitStatus=, or one of
 * SIGHUP SIGINT SIGTERM SIGPIPE. (restart_decide() does not use the signal
 * part: a signal we did not send for a stop is a failure of a pool.) */
bool exit_is_clean(const ExitInfo *i, const ExitStatusSet *success);

/* Backoff: base * 2^(streak-1), capped at max; streak 0 -> base. */
usec_t restart_backoff(usec_t base, usec_t max, unsigned streak);

/* ---- the one decision about an exit ------------------------------------- */

/* What the pool knew of the worker and itself when it exited. */
typedef struct ExitContext {
        const PoolConfig *config;
        bool stopping;                  /* we were stopping it (stop, scale down, reload),
                                         * or the whole pool is stopping or stopped */
        bool pool_failed;               /* no more restarts until reset */
        bool was_ready;                 /* it said READY=1 (Type=simple: always) */
        bool was_busy;                  /* busy or waiting when it exited (no STOPPING=1) */
        unsigned protocol_violations;   /* the pool's, since it started, before this exit */
        usec_t now;                     /* CLOCK_MONOTONIC */
        usec_t ready_mono;              /* when it became ready, 0: never */
        unsigned restart_streak;        /* failures of its slot before it */
        unsigned start_limit_burst;     /* StartLimitBurst= in effect (5 x Workers= by default) */
        RateLimit *start_limit;         /* the pool's window: counted when the verdict is a restart */
} ExitContext;

/* Why an exit fails the pool (EXIT_ACTION_FAIL_POOL). */
typedef enum ExitPoolFailure {
        EXIT_POOL_FAILURE_NONE,
        EXIT_POOL_FAILURE_START_LIMIT,          /* a restart over StartLimitBurst= */
        EXIT_POOL_FAILURE_JOB_TIMEOUT,          /* JobTimeoutAction=fail-pool */
        EXIT_POOL_FAILURE_PROTOCOL_LIMIT,       /* ProtocolViolationLimit= reached */
} ExitPoolFailure;

/* Reason, evidence, action and delay of one exit: made once, by
 * exit_decide(), and never edited afterwards. */
typedef struct ExitVerdict {
        ExitReason reason;
        bool core_dumped;
        char evidence[256];
        ExitAction action;
        bool failure;                   /* not success, not stopped */
        usec_t delay;                   /* EXIT_ACTION_RESTART: after this (backoff) */
        unsigned streak;                /* EXIT_ACTION_RESTART: the replacement's restart_streak */
        ExitPoolFailure pool_failure;   /* EXIT_ACTION_FAIL_POOL: why */
} ExitVerdict;

/* The notify protocol's rules for an exit the worker made by itself (a
 * Type=notify worker that exits before READY=1; any worker that exits while
 * busy without STOPPING=1): true and a description in buf if it broke one.
 * A crash (a signal) keeps its own reason. */
bool protocol_check(const ExitInfo *i, const ExitContext *ctx, char *buf, size_t size);

/* Classification (classify_exit()), the protocol rules (protocol_check()),
 * systemd's Restart= table (restart_decide()), the pool's own reasons
 * (job-timeout: JobTimeoutAction=, whatever Restart= says; recycled: already
 * replaced, no backoff, no start-limit count; protocol: counted against
 * ProtocolViolationLimit=), and the pool's policy on top: no restart while
 * stopping (RestartPreventExitStatus= still retires), none once failed, the
 * start limit (a restart over it fails the pool), and the backoff per slot
 * (reset by a healthy run of max(RestartMaxDelaySec=, 10s)). Pure but for
 * the one counter in ctx->start_limit. */
void exit_decide(const ExitInfo *i, const ExitContext *ctx, ExitVerdict *ret);
