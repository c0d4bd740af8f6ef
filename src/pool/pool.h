/* SPDX-License-Identifier: MIT */
#pragma once

/* Pools and their workers. A pool keeps N workers alive, each incarnation a
 * new Worker with a new id and a new leaf cgroup; a worker's life is the state
 * machine in worker_enter(). */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <systemd/sd-event.h>

#include "../cgroup/cgroup.h"
#include "../classify/classify.h"
#include "../config/config.h"
#include "../notify/notify.h"
#include "pool-host.h"
#include "output.h"
#include "sandbox.h"

/* Event-source priorities. Exits, notify messages, bus calls and timeouts
 * (SD_EVENT_PRIORITY_NORMAL) always go before starting workers: a crash
 * storm of RestartSec=0 pools cannot keep the bus or another pool's exits
 * waiting. Starts (restarts, a big pool's batches, rolling restart steps)
 * share one lower priority, so that among themselves they are served in the
 * order they became due: no pool's starts starve another's. */
#define POOL_EVENT_PRIORITY_START (SD_EVENT_PRIORITY_NORMAL + 10)
/* Workers' output carried to the journal or our stderr (output.c): after
 * everything else, so that a worker writing without end delays nobody. */
#define POOL_EVENT_PRIORITY_OUTPUT (SD_EVENT_PRIORITY_NORMAL + 20)

typedef enum WorkerState {
        WORKER_STARTING,        /* spawned, Type=notify: waiting for READY=1 */
        WORKER_IDLE,
        WORKER_BUSY,            /* X_WORKERPOOL_BUSY=1 */
        WORKER_HUNG,            /* missed its watchdog, being killed */
        WORKER_STOPPING,        /* we asked it to go */
        WORKER_EXITED,          /* main process gone; cgroup being emptied */
        WORKER_WAITING,         /* busy, but X_WORKERPOOL_WAITING=1: not hung, WaitTimeoutSec= */
        _WORKER_STATE_MAX,
        _WORKER_STATE_INVALID = -EINVAL,
} WorkerState;

typedef enum PoolState {
        POOL_STARTING,
        POOL_RUNNING,
        POOL_DEGRADED,          /* fewer ready workers than wanted */
        POOL_STOPPING,
        POOL_STOPPED,
        POOL_FAILED,            /* start limit hit: no respawns until reset */
        _POOL_STATE_MAX,
        _POOL_STATE_INVALID = -EINVAL,
} PoolState;

/* What a caller asked of a pool (Start, Stop, Restart, Scale), until it is
 * done, failed, or replaced by the next one (PoolHooks.job_done). */
typedef enum PoolJobType {
        POOL_JOB_NONE = -1,
        POOL_JOB_START,
        POOL_JOB_STOP,
        POOL_JOB_RESTART,
        POOL_JOB_SCALE,
        POOL_JOB_RELOAD,        /* ReloadSignal= to every worker; notify ones answer RELOADING=1 .. READY=1 */
        _POOL_JOB_MAX,
} PoolJobType;

typedef struct PoolJob {
        PoolJobType type;
        char requester[128];            /* who asked (the bus: the caller's unique name) */
} PoolJob;

const char *pool_job_type_to_string(PoolJobType t);

const char *worker_state_to_string(WorkerState s);
WorkerState worker_state_from_string(const char *s);
const char *pool_state_to_string(PoolState s);

/* Lifecycle events (events.c): what the journal gets with a MESSAGE_ID,
 * kept in a ring per pool and sent on the bus (LifecycleEvent). */
typedef enum PoolEventType {
        POOL_EVENT_STARTED,             /* a worker */
        POOL_EVENT_READY,
        POOL_EVENT_STOPPING,
        POOL_EVENT_EXITED,
        POOL_EVENT_STATE,               /* the pool's state */
        POOL_EVENT_SCALE,
        POOL_EVENT_RELOAD,
        POOL_EVENT_REEXEC,
        POOL_EVENT_HEALTH,
        POOL_EVENT_COMMAND,
        _POOL_EVENT_TYPE_MAX,
        _POOL_EVENT_TYPE_INVALID = -EINVAL,
} PoolEventType;

#define POOL_EVENT_RING 256             /* events kept per pool */

struct PoolEvent {
        uint64_t seq;                   /* 1, 2, ...: the host's order of events */
        usec_t at;                      /* CLOCK_REALTIME */
        PoolEventType type;
        uint64_t worker;                /* 0: the pool's own */
        pid_t pid;
        char *message;                  /* points into the same allocation */
        char *fields;                   /* "KEY=value\0KEY=value\0\0": the journal's extra fields */
};

usec_t now_realtime(void);              /* CLOCK_REALTIME, usec */
const char *pool_event_type_to_string(PoolEventType t);
PoolEventType pool_event_type_from_string(const char *s);
PoolEventType pool_event_type_from_message_id(const char *id);
/* Record one (pool_log_event() does it for every lifecycle MESSAGE_ID). */
void pool_event_record(Pool *p, const Worker *w, PoolEventType type, char *const *fields, const char *message);
/* After a re-exec: one of the ring as it was (the host's sequence goes on
 * after the highest). */
#define POOL_EVENT_SERIALIZE_FIELDS 32
void pool_event_restore(Pool *p, uint64_t seq, usec_t at, PoolEventType type, uint64_t worker, pid_t pid,
                        char *const *fields, const char *message);
/* The k-th kept event of the pool, oldest first; NULL past the end. */
const PoolEvent *pool_event_get(const Pool *p, unsigned k);
void pool_events_free(Pool *p);

typedef struct WorkerHealth WorkerHealth;
typedef struct PoolCommands PoolCommands;
typedef struct PoolChild PoolChild;
/* A capture ended: text (NULL on error, then error is -errno and why says
 * what happened). w may be exiting (state exited) when error is -ESRCH. */
typedef void (*WorkerCaptureDone)(Worker *w, const char *text, int error, const char *why, void *userdata);

/* One entry of a pool's bounded exit history. */
struct ExitRecord {
        uint64_t worker_id;
        pid_t pid;
        usec_t started_at, ready_at, exited_at;         /* CLOCK_REALTIME, 0: never */
        ExitReason reason;
        bool core_dumped;
        int code, status;                               /* CLD_*, exit status / signal */
        ExitAction action;
        uint64_t memory_peak;                           /* bytes, UINT64_MAX: unknown */
        uint64_t cpu_usec;                              /* UINT64_MAX: unknown */
        uint64_t replaces;                              /* the worker it replaced, 0: none */
        uint64_t successor;                             /* the worker that replaced it, 0: none (yet) */
        uint64_t jobs;                                  /* jobs it did (busy -> idle) */
        char *capture;                                  /* owned: where it hung (JobTimeoutSec=), or NULL */
        char evidence[256];
};

struct Worker {
        Pool *pool;                     /* not owned */
        Worker *prev, *next;            /* in pool->workers */
        uint64_t id;
        char cgroup_name[96];           /* "NAME-<id>.worker" */
        pid_t pid;
        int pidfd;                      /* owned */
        bool cgroup_created;            /* our leaf exists: worker_free() removes it (if empty) */
        bool buried;                    /* in pool->graveyard: exited, leaf not removable yet */
        WorkerState state;
        usec_t started_at, ready_at;    /* CLOCK_REALTIME */
        usec_t started_mono, ready_mono, last_watchdog_mono;
        usec_t idle_since_mono;         /* when it last became idle */
        unsigned restart_streak;        /* failures of this slot before this incarnation */
        KillCause cause;
        int cause_signal;
        bool obsolete;                  /* to be replaced by a rolling restart */
        bool rolling_new;               /* started by a rolling restart, not ready yet */
        bool exec_failed;
        const char *exec_step;
        int exec_errno;
        /* Texts most workers never have: owned, NULL for none (worker_set_text()).
         * Arrays here were 600 of a worker's 1,000 bytes, 6 MiB at 10,000. */
        char *status_text;              /* STATUS= */
        char *cause_detail;             /* why we stopped it (job timeout, recycle, health, protocol) */
        uint64_t replaces, successor;   /* worker ids, 0: none */
        uint64_t jobs;                  /* busy -> idle transitions */
        uint64_t max_jobs;              /* MaxJobs= plus its own jitter, 0: none */
        usec_t busy_since_mono;         /* when it last entered busy or waiting */
        usec_t busy_used;               /* busy time of the current job before that (not waiting, not frozen) */
        usec_t job_since_mono;          /* when its current job began (busy or waiting), 0: no job */
        usec_t recycle_due_mono;        /* RuntimeMaxSec= (+ extra) from its start, 0: none */
        uint64_t memory_high_events;    /* memory.events "high" when last read */
        char *recycle_why;              /* non-NULL: recycle at its next idle moment */
        bool frozen;                    /* cgroup.freeze 1 (ours: Freeze, or a capture) */
        bool capture_thaw;              /* the capture froze it: thaw after */
        bool busy_at_exit;              /* busy or waiting when its main process exited */
        bool reload_pending;            /* ReloadSignal= sent (Type=notify): until READY=1 */
        bool reloading;                 /* it said RELOADING=1 */
        char *hang_capture;             /* owned: the capture of its job timeout */
        PoolChild *capture;             /* owned: the diagnose program, running */
        WorkerCaptureDone capture_done;
        void *capture_userdata;
        sd_event_source *exit_source;   /* owned: pidfd readable */
        sd_event_source *timer_source;  /* owned: start/stop timeout, watchdog */
        sd_event_source *job_timer;     /* owned: JobTimeoutSec= (busy), WaitTimeoutSec= (waiting) */
        sd_event_source *recycle_timer; /* owned: RuntimeMaxSec= */
        sd_event_source *memory_source; /* owned: memory.events watch (MemoryRecycle=high) */
        sd_event_source *cgroup_source; /* owned: cgroup.events watch once exited */
        WorkerHealth *health;           /* owned: health.c */
};

typedef struct PendingRestart PendingRestart;
struct PendingRestart {
        Pool *pool;                     /* not owned */
        PendingRestart *prev, *next;
        unsigned streak;
        uint64_t replaces;              /* the worker whose exit it is for */
        sd_event_source *timer;         /* owned: a timer, or a defer source for RestartSec=0 */
};

struct Pool {
        PoolHost *host;                 /* not owned */
        Pool *prev, *next;              /* in the host's list of pools (kept by the host) */
        char *name;                     /* owned */
        PoolConfig *config;             /* owned */
        PoolSandbox *sandbox;           /* owned: seccomp program built from config (sandbox.c) */
        PoolState state;
        int cgroup_fd;                  /* owned: NAME.pool */

        Worker *workers;                /* owned list, live and exited-not-yet-cleaned */
        Worker *graveyard;              /* owned list: exited, their leaves could not be
                                         * removed yet; not counted anywhere */
        unsigned n_workers;             /* in the list */
        unsigned n_active;              /* starting, idle, busy, hung */
        unsigned n_ready;               /* idle + busy */
        unsigned n_busy;
        uint32_t n_wanted;              /* Workers=, or what Scale() said */
        unsigned n_retired;             /* RestartPreventExitStatus= exits */
        unsigned n_vacant;              /* exits not restarted (Restart=) */
        PendingRestart *pending;        /* owned list */
        unsigned n_pending;

        uint64_t n_restarts;
        uint64_t n_exits[_EXIT_REASON_MAX]; /* every exit since the pool was made, by reason */
        uint64_t n_jobs;                /* jobs its workers ended (busy or waiting -> idle) */
        usec_t busy_usec;               /* its workers' time with a job, jobs ended (Manager.GetMetrics) */
        unsigned n_recycled;            /* workers replaced by MaxJobs=, RuntimeMaxSec=, MemoryRecycle= */
        unsigned n_protocol_violations; /* since the pool last started */
        unsigned n_job_timeouts;        /* workers found hung (JobTimeoutSec=, WaitTimeoutSec=) */
        unsigned n_failures;            /* times it entered failed */
        unsigned n_unsuccessful;        /* exits that were not a success (--exit-when-done) */
        unsigned n_reload_pending;      /* workers with reload_pending */
        char state_reason[200];         /* why it is in its state, "" if nothing to say */
        char *last_hang_capture;        /* owned: the newest job timeout capture, or NULL */
        bool start_pre_running;         /* ExecStartPre= commands: no workers until done */
        bool stop_post_running;         /* ExecStopPost= commands: not stopped until done */
        bool stop_post_done;            /* ran for this stop */
        sd_event_source *reload_timer;  /* owned: the reload job's TimeoutStartSec= */
        RateLimit start_limit;          /* StartLimitBurst= in StartLimitIntervalSec= */

        ExitRecord *history;            /* owned ring */
        unsigned history_size, history_pos, history_n;

        bool remove_when_stopped;       /* removed from the config: free once stopped */
        bool announced;                 /* pool_added went out: pool_freed will */
        bool rolling;                   /* a rolling restart is in progress */
        PoolJob job;                    /* POOL_JOB_NONE: none */
        sd_event_source *job_source;    /* owned: the job's first check, after the reply */
        char failure[160];              /* why it failed (state failed) */
        unsigned n_rolling_new;         /* new workers of a rolling restart not ready yet
                                         * (Worker.rolling_new; at most RestartParallel=) */
        sd_event_source *rolling_source; /* owned: next rolling restart step */
        sd_event_source *reconcile_source; /* owned: the next batch of worker starts */
        sd_event_source *idle_timer;    /* owned: Scaling=ondemand idle timeouts */
        sd_event_source *start_retry_source; /* owned: next try after a worker could not be created */
        usec_t start_retry_delay;       /* its backoff, 0: starts work */
        bool autoscaling;               /* in pool_autoscale(): no re-entry */
        PoolCommands *commands;         /* owned: command.c (ExecStartPre=, ExecStopPost=) */
        int *listen_fds;                /* owned: the [Socket] sockets, in config->listen order
                                         * (pool-sockets.c); -EBADF: could not be restored */
        size_t n_listen_fds;            /* 0: none open */
        sd_event_source **watch_sources; /* owned: Scaling=ondemand watches the sockets */
        size_t n_watch;
        int output_fds[2];              /* owned: StandardOutput=/StandardError= files, -EBADF: none */
        PoolEvent **events;             /* owned ring of POOL_EVENT_RING (events.c), NULL: none yet */
        unsigned events_pos, events_n;
        PoolOutput *output;             /* owned: the carried output's socket (output.c), or NULL */
};

/* A pool with its cgroup NAME.pool/ (created, or taken over after a
 * re-exec), stopped. The host links it into its list. */
int pool_new(PoolHost *h, PoolConfig *config, Pool **ret);   /* takes config on success */
/* The host unlinks it from its list first. */
Pool *pool_free(Pool *p);
int pool_start(Pool *p);
/* End worker cgroups of this pool that no Worker stands for. */
void pool_reap_unknown_workers(Pool *p);
void pool_stop(Pool *p);
/* The same, with why in the state changes (StateReason) up to stopped. */
void pool_stop_why(Pool *p, const char *why);
/* Apply a new config: limits to live cgroups, size by Scale. */
/* Takes config (frees it on failure, with *ret_error, if given, saying why). */
int pool_reconfigure(Pool *p, PoolConfig *config, char **ret_error);
int pool_scale(Pool *p, uint32_t n, const char *by);   /* by: who asked, for the event */
/* The same without the MinWorkers..MaxWorkers check and log (autoscale.c). */
int pool_scale_internal(Pool *p, uint32_t n);
/* Scaling=dynamic|ondemand: resize from the busy/idle counts (autoscale.c). */
void pool_autoscale(Pool *p);
int pool_reset_failed(Pool *p);
/* busy_usec and the jobs running now, up to now (CLOCK_MONOTONIC). */
usec_t pool_busy_usec(const Pool *p, usec_t now);
/* ReloadSignal= to every ready worker; begin a reload job first. Returns how
 * many got it, -ENOTCONN if the pool is not running. */
int pool_reload_workers(Pool *p);
/* cgroup.freeze of every live worker; returns how many. */
int pool_freeze(Pool *p, bool freeze);
/* The pool enters failed (start limit, JobTimeoutAction=fail-pool, protocol
 * violations): why goes into the log, StateReason and the job's message;
 * FailureAction= is applied. */
void pool_fail(Pool *p, const char *why);
/* Start a replacement for w now (recycling): it replaces w. */
void pool_replace_worker(Pool *p, Worker *w);
/* A job for what a caller just asked (call it after the request was
 * accepted); a job before it is canceled. PoolHooks.job_done says when it
 * ends: "done", "failed" (with why) or "canceled". */
void pool_job_begin(Pool *p, PoolJobType type, const char *requester);
/* Rolling restart: one worker at a time, each new one ready before an old one stops. */
int pool_restart(Pool *p);
void pool_rolling_step(Pool *p);
void pool_rolling_abort(Pool *p);
/* After a re-exec: go on with a rolling restart that was in progress. */
void pool_rolling_resume(Pool *p);
/* Send sig to every live worker (classified "killed", restarted by Restart=).
 * Returns how many got it, or -errno if none did. */
int pool_kill_workers(Pool *p, int sig);
void pool_update_state(Pool *p);
void pool_limits_from_config(const PoolConfig *c, CgroupLimits *ret);
/* Called by worker.c */
void pool_on_worker_ready(Pool *p, Worker *w);
/* The worker's main process was collected: decide (exit_decide()), record,
 * log and act; the caller updates the state once the leaf is dealt with. */
void pool_on_worker_exit(Pool *p, Worker *w, const ExitInfo *i, uint64_t memory_peak, uint64_t cpu_usec);
/* A journal entry with the pool's (and worker's, if w) fields, so that
 * journalctl WORKERPOOL_POOL=... shows a pool's whole story; extra: more
 * "KEY=value" fields (NULL-terminated), may be NULL. */
void pool_log_event(const Pool *p, const Worker *w, int level, const char *message_id, char *const *extra,
                    const char *format, ...) _printf_(6, 7);
ExitRecord *pool_history_append(Pool *p, const ExitRecord *e);
/* After a re-exec: a restart that was pending in the previous image. */
int pool_restore_pending(Pool *p, unsigned streak, usec_t delay, uint64_t replaces);
/* Iterate history from oldest to newest: k in 0..history_n-1. */
const ExitRecord *pool_history_get(const Pool *p, unsigned k);

/* Re-exec (pool-serialize.c): write the pool's lines of the daemon's state;
 * restore a pool from them (lines[0] its "pool" line; split in place) and
 * take its workers over by their inherited pidfds, or NULL (their pidfds
 * are closed then); once every pool is back, resume each. */
void pool_serialize(const Pool *p, FILE *f);
void worker_serialize(const Worker *w, FILE *f);
Pool *pool_deserialize(PoolHost *h, char **lines, size_t n_lines, unsigned *n_adopted, unsigned *n_lost);
void pool_deserialize_resume(Pool *p);

/* What a re-exec carries over of a live worker. */
typedef struct WorkerSnapshot {
        uint64_t id;
        pid_t pid;
        int pidfd;                      /* inherited across execve() */
        WorkerState state;
        usec_t started_at, ready_at, started_mono, ready_mono;
        unsigned restart_streak;
        KillCause cause;
        int cause_signal;
        char status_text[NOTIFY_STATUS_MAX];
        usec_t timer_due;               /* CLOCK_MONOTONIC: when its timer was due, 0: none/unknown */
        usec_t last_watchdog_mono, idle_since_mono;
        bool obsolete;                  /* a rolling restart replaces it */
        bool exec_failed;               /* its exec failed: the exit is still to be collected */
        int exec_errno;
        const char *exec_step;          /* static */
} WorkerSnapshot;

/* A worker in a fresh leaf cgroup with the pool's limits; *ret_cgroup_fd is
 * the leaf, for worker_start() (the caller closes it after). */
int worker_new(Pool *p, unsigned restart_streak, Worker **ret, int *ret_cgroup_fd);
/* Take over a running worker after a re-exec (takes s->pidfd in any case). */
int worker_adopt(Pool *p, const WorkerSnapshot *s, Worker **ret);
/* After a re-exec, once its own fields are back: its job, recycle and
 * memory watches, its health checks. */
void worker_resume(Worker *w);
Worker *worker_free(Worker *w);
DEFINE_TRIVIAL_CLEANUP_FUNC(Worker *, worker_free);
/* No fd on the leaf is kept for the worker's life (one fd per worker is the
 * pidfd): open it relative to the pool's cgroup when needed. Returns a new fd
 * (close it) or -errno (-ENOENT: the leaf is gone). */
int worker_open_cgroup(const Worker *w);
/* cgroup.kill on the worker's leaf: the main process and all it left. */
int worker_kill_cgroup(const Worker *w);
/* cgroup.kill, and SIGKILL through the pidfd (a main process that left its
 * leaf is reached too). */
int worker_kill_all(const Worker *w);
int worker_start(Worker *w, int cgroup_fd);
void worker_enter(Worker *w, WorkerState state);
void worker_stop(Worker *w, KillCause cause);
int worker_kill(Worker *w, int sig);
/* cgroup.freeze; the job and recycle timers wait while frozen. */
int worker_freeze(Worker *w, bool freeze);
/* Where it is now, per thread (the diagnose program): frozen for the
 * capture (if not already), thawed after. -EBUSY if one is running. */
int worker_capture(Worker *w, WorkerCaptureDone done, void *userdata);
/* Kill a running capture; its caller hears -ESRCH with why. */
void worker_capture_cancel(Worker *w, const char *why);
/* The worker's pids in its leaf, up to n (the main one first). */
size_t worker_pids(const Worker *w, pid_t *pids, size_t n);
/* An admin's kill: remembered as the cause, so the exit says who sent it. */
int worker_kill_request(Worker *w, int sig);
/* Stop this worker and start a replacement right away. */
int worker_restart(Worker *w);
void worker_on_notify(Worker *w, const NotifyMessage *msg);
/* Whether a notify message from sender (a process in w's leaf) speaks for w:
 * NotifyAccess=main and exec, only from its main process; all, from any. */
bool worker_may_notify(const Worker *w, pid_t sender);
static inline bool worker_is_active(const Worker *w) {
        return w->state == WORKER_STARTING || w->state == WORKER_IDLE ||
               w->state == WORKER_BUSY || w->state == WORKER_WAITING || w->state == WORKER_HUNG;
}
/* Said READY=1 and doing (or waiting for) work: idle, busy, waiting. */
static inline bool worker_is_ready(const Worker *w) {
        return w->state == WORKER_IDLE || w->state == WORKER_BUSY || w->state == WORKER_WAITING;
}
static inline bool worker_has_job(const Worker *w) {
        return w->state == WORKER_BUSY || w->state == WORKER_WAITING;
}

/* ---- health checks and the pool's commands (health.c, command.c) -------- */

/* After every state change and freeze/thaw: probes run only while the
 * worker is ready (idle, busy, waiting) and not frozen, one at a time. */
void worker_health_update(Worker *w);
void worker_health_free(Worker *w);
/* Set one of a worker's texts (status_text, cause_detail, recycle_why) to
 * the formatted string; an empty one, or fmt NULL, is none (NULL); -ENOMEM
 * leaves none. */
int worker_set_text(char **field, const char *fmt, ...) _printf_(2, 3);
/* Stop a worker for a reason of the pool's own (recycle, unhealthy): its
 * replacement is started first, then it gets SIGTERM; its exit is
 * classified by cause, with detail in the evidence. */
void worker_replace(Worker *w, KillCause cause, const char *detail);
/* ExecStartPre= / ExecStopPost=: 1 if commands were started (the pool waits
 * for pool_start_pre_done() / pool_stop_post_done()), 0 if there are none,
 * -errno if they could not be started. */
int pool_run_start_pre(Pool *p);
int pool_run_stop_post(Pool *p);
void pool_commands_free(Pool *p);

/* ---- the pool's sockets (pool-sockets.c) ----------------------------------- */

/* Open config->listen (as root); on failure the pool fails with why. */
int pool_sockets_open(Pool *p);
/* Close them (remove: AF_UNIX paths with RemoveOnStop=). */
void pool_sockets_close(Pool *p, bool remove);
/* A new config: equal sockets are kept, new ones opened before gone ones
 * close; on failure nothing changes (-errno, logged). */
int pool_sockets_reconfigure(Pool *p, const PoolConfig *old, const PoolConfig *c, char **ret_error);
void pool_sockets_set_inherit(Pool *p, bool inherit);
void pool_sockets_serialize(const Pool *p, FILE *f);
void pool_sockets_adopt(Pool *p, size_t index, int fd);
int pool_sockets_resume(Pool *p);
void pool_sockets_watch(Pool *p, bool on);
/* Scaling=ondemand: a connection waits and no worker is idle (autoscale.c). */
void pool_autoscale_connection(Pool *p);
/* Called back by command.c: r < 0: failed, why says how. */
void pool_start_pre_done(Pool *p, int r, const char *why);
void pool_stop_post_done(Pool *p);
