/* SPDX-License-Identifier: MIT */
#include <assert.h>
#include <fcntl.h>
#include <limits.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../config/exec-split.h"
#include "../shared/parse-util.h"
#include "../shared/fd-util.h"
#include "../shared/log.h"
#include "../shared/strv.h"
#include "../spawn/spawn.h"
#include "../shared/random-util.h"
#include "child.h"
#include "exec.h"
#include "health.h"
#include "pool.h"

static const char *const worker_state_names[_WORKER_STATE_MAX] = {
        [WORKER_STARTING] = "starting", [WORKER_IDLE] = "idle",
        [WORKER_BUSY] = "busy",         [WORKER_HUNG] = "hung",
        [WORKER_STOPPING] = "stopping", [WORKER_EXITED] = "exited",
        [WORKER_WAITING] = "waiting",
};

/* How long a capture of a hung worker may take: the diagnose program's own
 * deadline is 4 s; past this it is killed and the worker is signalled
 * without its capture. */
#define WORKER_CAPTURE_TIMEOUT (5 * USEC_PER_SEC)
#define WORKER_CAPTURE_MAX 8192

const char *worker_state_to_string(WorkerState s) {
        if (s < 0 || s >= _WORKER_STATE_MAX)
                return NULL;
        return worker_state_names[s];
}

WorkerState worker_state_from_string(const char *s) {
        for (WorkerState i = 0; i < _WORKER_STATE_MAX; i++)
                if (streq(s, worker_state_names[i]))
                        return i;
        return _WORKER_STATE_INVALID;
}

static usec_t now_mono(Worker *w) {
        uint64_t t = 0;

        (void) sd_event_now(w->pool->host->event, CLOCK_MONOTONIC, &t);
        return t;
}

int worker_open_cgroup(const Worker *w) {
        int fd = -EBADF, r;

        assert(w);
        assert(w->pool);

        r = cgroup_open(w->pool->cgroup_fd, w->cgroup_name, &fd);
        if (r < 0)
                return r;
        return fd;
}

int worker_kill_cgroup(const Worker *w) {
        _cleanup_(closep) int fd = -EBADF;

        fd = worker_open_cgroup(w);
        if (fd < 0)
                return fd;
        return cgroup_kill(fd);
}

/* ---- the pool's counters follow the worker's state ----------------------- */

/* Add (sign 1) or take away (sign -1) w in its current state from the
 * pool's counters: the one place they change. */
static void worker_count(const Worker *w, int sign) {
        Pool *p = w->pool;
        bool active = worker_is_active(w), ready = worker_is_ready(w), busy = worker_has_job(w);

        if (sign > 0) {
                p->n_active += active;
                p->n_ready += ready;
                p->n_busy += busy;
        } else {
                p->n_active -= active;
                p->n_ready -= ready;
                p->n_busy -= busy;
        }
}

static void worker_link(Worker *w) {
        Pool *p = w->pool;

        w->prev = NULL;
        w->next = p->workers;
        if (p->workers)
                p->workers->prev = w;
        p->workers = w;
        p->n_workers++;
        worker_count(w, 1);
}

static void worker_unlink(Worker *w, Worker **list) {
        if (w->prev)
                w->prev->next = w->next;
        else
                *list = w->next;
        if (w->next)
                w->next->prev = w->prev;
        w->prev = w->next = NULL;
}

int worker_new(Pool *p, unsigned restart_streak, Worker **ret, int *ret_cgroup_fd) {
        _cleanup_(worker_freep) Worker *w = NULL;
        _cleanup_(closep) int cgroup_fd = -EBADF;
        CgroupLimits limits;
        int r;

        /* Each live worker holds one fd (its pidfd): past the host's budget
         * the pool waits (pool_start_failed()) rather than starve the host of
         * the fds it needs for itself (exits, timers, the bus). */
        if (idmap_size(&p->host->workers) >= p->host->max_workers)
                return -EMFILE;

        w = calloc(1, sizeof(*w));
        if (!w)
                return -ENOMEM;
        *w = (Worker) {
                .pool = p,
                .id = p->host->ops->next_worker_id(p->host),
                .pidfd = -EBADF,
                .state = WORKER_STARTING,
                .restart_streak = restart_streak,
        };
        snprintf(w->cgroup_name, sizeof w->cgroup_name, "%s-%" PRIu64 ".worker", p->name, w->id);
        if (p->config->max_jobs > 0)
                w->max_jobs = p->config->max_jobs + random_u64_range(p->config->max_jobs_jitter + 1);

        /* A fresh leaf per incarnation: never reuse a cgroup, never move a
         * process in after the fact. The leaf's fd goes to the caller for
         * worker_start(), which clones into it; nobody keeps it after. */
        r = cgroup_create(p->cgroup_fd, w->cgroup_name, false, &cgroup_fd);
        if (r < 0)
                return r;
        w->cgroup_created = true;

        pool_limits_from_config(p->config, &limits);
        r = cgroup_apply_limits(cgroup_fd, p->host->controllers, &limits);
        if (r < 0)
                log_warning_errno(r, "Pool %s: worker %" PRIu64 ": cannot apply all limits: %m",
                                  p->name, w->id);

        r = idmap_put(&p->host->workers, w->id, w);
        if (r < 0)
                return r;
        worker_link(w);

        *ret_cgroup_fd = TAKE_FD(cgroup_fd);
        *ret = TAKE_PTR(w);
        return 0;
}

/* No longer a worker of the host: its bus object goes, its id is free. */
static void worker_forget(Worker *w) {
        PoolHost *h = w->pool->host;

        POOL_HOOK(h, worker_freed, w);
        if (idmap_get(&h->workers, w->id) == w)
                idmap_remove(&h->workers, w->id);
}

Worker *worker_free(Worker *w) {
        Pool *p;

        if (!w)
                return NULL;
        p = w->pool;

        sd_event_source_disable_unref(w->exit_source);
        sd_event_source_disable_unref(w->timer_source);
        sd_event_source_disable_unref(w->cgroup_source);
        sd_event_source_disable_unref(w->job_timer);
        sd_event_source_disable_unref(w->recycle_timer);
        sd_event_source_disable_unref(w->memory_source);
        worker_capture_cancel(w, "the worker is gone");
        worker_health_free(w);
        if (p && w->reload_pending)
                p->n_reload_pending--;
        if (p && w->rolling_new && p->n_rolling_new > 0)
                p->n_rolling_new--;
        free(w->hang_capture);
        free(w->status_text);
        free(w->cause_detail);
        free(w->recycle_why);

        if (p && w->buried)
                worker_unlink(w, &p->graveyard);
        else if (p) {
                worker_forget(w);
                if (w->prev || p->workers == w) {
                        worker_count(w, -1);
                        worker_unlink(w, &p->workers);
                        p->n_workers--;
                }
        }
        safe_close(w->pidfd);
        if (w->cgroup_created && p)   /* best effort: a half-built worker's empty leaf */
                (void) cgroup_remove(p->cgroup_fd, w->cgroup_name);
        free(w);
        return NULL;
}

/* ---- the state machine --------------------------------------------------- */

static int on_worker_timer(sd_event_source *s, uint64_t usec, void *userdata);
static int on_job_timer(sd_event_source *s, uint64_t usec, void *userdata);
static int on_recycle_timer(sd_event_source *s, uint64_t usec, void *userdata);

/* A one-shot CLOCK_MONOTONIC timer at an absolute time (0: off). */
static int worker_arm_at(Worker *w, sd_event_source **s, usec_t at, sd_event_time_handler_t handler,
                         const char *description) {
        int r;

        if (at == 0) {
                *s = sd_event_source_disable_unref(*s);
                return 0;
        }
        if (*s) {
                r = sd_event_source_set_time(*s, at);
                if (r < 0)
                        return r;
                return sd_event_source_set_enabled(*s, SD_EVENT_ONESHOT);
        }
        r = sd_event_add_time(w->pool->host->event, s, CLOCK_MONOTONIC, at, 1, handler, w);
        if (r < 0)
                return r;
        (void) sd_event_source_set_description(*s, description);
        return 0;
}

/* The job's own timer: JobTimeoutSec= counts busy time of the current job
 * (not waiting, not frozen); WaitTimeoutSec= each wait. */
static void worker_arm_job_timer(Worker *w) {
        const PoolConfig *c = w->pool->config;
        usec_t at = 0;

        if (!w->frozen && w->state == WORKER_BUSY && config_usec_is_set(c->job_timeout_usec))
                at = w->busy_since_mono + (c->job_timeout_usec > w->busy_used ? c->job_timeout_usec - w->busy_used : 0);
        else if (!w->frozen && w->state == WORKER_WAITING && config_usec_is_set(c->wait_timeout_usec))
                at = w->busy_since_mono + c->wait_timeout_usec;
        (void) worker_arm_at(w, &w->job_timer, at, on_job_timer, "worker-job-timer");
}

static void worker_arm_recycle_timer(Worker *w) {
        (void) worker_arm_at(w, &w->recycle_timer, w->frozen ? 0 : w->recycle_due_mono, on_recycle_timer,
                             "worker-recycle-timer");
}

static int worker_arm_timer(Worker *w, usec_t usec_from_now) {
        int r;

        if (usec_from_now == USEC_INFINITY) {
                w->timer_source = sd_event_source_disable_unref(w->timer_source);
                return 0;
        }
        if (w->timer_source) {
                r = sd_event_source_set_time_relative(w->timer_source, usec_from_now);
                if (r < 0)
                        return r;
                return sd_event_source_set_enabled(w->timer_source, SD_EVENT_ONESHOT);
        }
        /* accuracy 1us: 0 would mean sd-event's default slack of 250ms */
        r = sd_event_add_time_relative(w->pool->host->event, &w->timer_source,
                                       CLOCK_MONOTONIC, usec_from_now, 1, on_worker_timer, w);
        if (r < 0)
                return r;
        (void) sd_event_source_set_description(w->timer_source, "worker-timer");
        return 0;
}

/* What entering a state does, besides the counters: a worker has one timer,
 * and each state says what it means (on_worker_timer() says what happens
 * when it fires):
 *
 *   starting   TimeoutStartSec=  (Type=notify: until READY=1)
 *   idle, busy WatchdogSec=      (armed on READY=1, re-armed by WATCHDOG=1;
 *                                 idle <-> busy keeps it running)
 *   hung       TimeoutStopSec=   (after the watchdog's SIGABRT)
 *   stopping   TimeoutStopSec=   (after our SIGTERM, or its own STOPPING=1)
 *   exited     none
 *
 * old is _WORKER_STATE_INVALID at birth (worker_start()). */
static void worker_on_enter(Worker *w, WorkerState old) {
        const PoolConfig *c = w->pool->config;
        bool had_job = old == WORKER_BUSY || old == WORKER_WAITING;
        usec_t now = now_mono(w);

        /* The job: busy time adds up over busy <-> waiting, one job ends at idle. */
        if (old == WORKER_BUSY && !w->frozen)
                w->busy_used += now - w->busy_since_mono;
        if (!had_job && worker_has_job(w))
                w->busy_used = 0;
        if (worker_has_job(w))
                w->busy_since_mono = now;
        if (had_job && w->state == WORKER_IDLE) {
                w->jobs++;
                w->pool->n_jobs++;
        }
        /* The pool's busy time: wall time with a job, waiting and frozen too. */
        if (!had_job && worker_has_job(w))
                w->job_since_mono = now;
        if (had_job && !worker_has_job(w) && w->job_since_mono > 0) {
                w->pool->busy_usec += now > w->job_since_mono ? now - w->job_since_mono : 0;
                w->job_since_mono = 0;
        }

        switch (w->state) {
        case WORKER_STARTING:
                (void) worker_arm_timer(w, c->timeout_start_usec);
                break;
        case WORKER_IDLE:
                w->idle_since_mono = now;
                _fallthrough_;
        case WORKER_BUSY:
        case WORKER_WAITING:
                if (old == WORKER_STARTING || old == _WORKER_STATE_INVALID)
                        (void) worker_arm_timer(w, c->watchdog_usec > 0 ? c->watchdog_usec : USEC_INFINITY);
                break;
        case WORKER_HUNG:
                /* A job timeout waits for its capture before the signal and
                 * TimeoutStopSec= (on_hang_captured()). */
                (void) worker_arm_timer(w, w->cause == KILL_CAUSE_JOB_TIMEOUT && w->cause_signal == 0
                                                   ? USEC_INFINITY : c->timeout_stop_usec);
                break;
        case WORKER_STOPPING:
                (void) worker_arm_timer(w, c->timeout_stop_usec);
                break;
        case WORKER_EXITED:
                (void) worker_arm_timer(w, USEC_INFINITY);
                w->recycle_timer = sd_event_source_disable_unref(w->recycle_timer);
                w->memory_source = sd_event_source_disable_unref(w->memory_source);
                break;
        default:
                break;
        }
        worker_arm_job_timer(w);
}

static void worker_recycle_check(Worker *w);

/* Every transition goes through here: which ones are allowed, the counters,
 * the entry effects (worker_on_enter()), the hook. */
void worker_enter(Worker *w, WorkerState state) {
        Pool *p = w->pool;
        WorkerState old = w->state;

        if (old == state)
                return;

        switch (state) {
        case WORKER_STARTING:
                assert(false);  /* only at birth */
                return;
        case WORKER_IDLE:
        case WORKER_BUSY:
        case WORKER_WAITING:
                if (old != WORKER_STARTING && !worker_is_ready(w))
                        return;   /* a stopping or hung worker does not come back */
                break;
        case WORKER_HUNG:
        case WORKER_STOPPING:
                if (!worker_is_active(w))
                        return;
                break;
        case WORKER_EXITED:
                break;
        default:
                return;
        }

        worker_count(w, -1);
        w->state = state;
        worker_count(w, 1);
        worker_on_enter(w, old);
        log_debug("Pool %s: worker %" PRIu64 " (pid %d): %s -> %s", p->name, w->id,
                  (int) w->pid, worker_state_to_string(old), worker_state_to_string(state));
        POOL_HOOK(p->host, worker_state_changed, w);
        worker_health_update(w);
        if (state == WORKER_IDLE)
                worker_recycle_check(w);        /* may stop it */
}

static void worker_became_ready(Worker *w) {
        w->ready_at = now_realtime();
        w->ready_mono = now_mono(w);
        w->last_watchdog_mono = w->ready_mono;
        worker_enter(w, WORKER_IDLE);
        POOL_HOOK(w->pool->host, worker_ready, w);
        pool_on_worker_ready(w->pool, w);
}

int worker_kill(Worker *w, int sig) {
        if (w->pidfd < 0 || w->state == WORKER_EXITED)
                return -ESRCH;
        return pidfd_send_signal_wrapper(w->pidfd, sig);
}

int worker_kill_request(Worker *w, int sig) {
        int r;

        if (!worker_is_active(w))
                return -ESRCH;
        r = worker_kill(w, sig);
        if (r < 0)
                return r;
        if (w->cause == KILL_CAUSE_NONE) {
                w->cause = KILL_CAUSE_REQUEST;
                w->cause_signal = sig;
        }
        return 0;
}

int worker_kill_all(const Worker *w) {
        int r, k;

        /* Both: cgroup.kill ends what is in the leaf, the pidfd reaches the
         * main process even if it wrote itself into another cgroup. */
        r = worker_kill_cgroup(w);
        k = w->pidfd >= 0 && w->state != WORKER_EXITED ? pidfd_send_signal_wrapper(w->pidfd, SIGKILL) : -ESRCH;
        return r >= 0 || k >= 0 ? 0 : r;
}

/* Where the main process lives, if it left its leaf (a root worker may write
 * its pid into any cgroup.procs): its cgroup path (free it), or NULL while it
 * is in its leaf or below, or gone. */
static char *worker_escaped_to(const Worker *w) {
        _cleanup_(freep) char *path = NULL, *home = NULL;
        size_t k;

        if (w->pidfd < 0 || cgroup_pid_get_path(w->pid, &path) < 0)
                return NULL;
        /* Still ours after the read: the path was our worker's, not a reused pid's. */
        if (pidfd_send_signal_wrapper(w->pidfd, 0) < 0)
                return NULL;
        if (asprintf(&home, "%s/%s.pool/%s", w->pool->host->cgroup_root, w->pool->name,
                     w->cgroup_name) < 0)
                return NULL;
        k = strlen(home);
        if (strneq(path, home, k) && (path[k] == 0 || path[k] == '/'))
                return NULL;
        return TAKE_PTR(path);
}

void worker_stop(Worker *w, KillCause cause) {
        PoolConfig *c = w->pool->config;
        bool watchdog = cause == KILL_CAUSE_WATCHDOG || cause == KILL_CAUSE_WATCHDOG_TRIGGER;
        int sig = watchdog ? SIGABRT : c->kill_signal;
        /* STOPPING=1 is the worker's own word that it is going: it still
         * gets our SIGTERM (and TimeoutStopSec= from now) when we stop it. */
        bool self_stopping = w->state == WORKER_STOPPING && w->cause == KILL_CAUSE_NONE;
        int r;

        if (!worker_is_active(w) && !self_stopping)
                return;
        /* A frozen worker cannot act on a signal: thaw it first (as systemd
         * thaws a unit it stops). */
        if (w->frozen)
                (void) worker_freeze(w, false);
        w->cause = cause;
        w->cause_signal = sig;
        if (self_stopping)
                (void) worker_arm_timer(w, c->timeout_stop_usec);   /* re-entering stopping */
        else {
                static const char *const why[_KILL_CAUSE_MAX] = {
                        [KILL_CAUSE_STOP] = "stop", [KILL_CAUSE_STOP_TIMEOUT] = "stop-timeout",
                        [KILL_CAUSE_START_TIMEOUT] = "start-timeout", [KILL_CAUSE_WATCHDOG] = "watchdog",
                        [KILL_CAUSE_WATCHDOG_TRIGGER] = "watchdog", [KILL_CAUSE_REQUEST] = "request",
                        [KILL_CAUSE_STOPPING_TIMEOUT] = "stop-timeout", [KILL_CAUSE_JOB_TIMEOUT] = "job-timeout",
                        [KILL_CAUSE_RECYCLE] = "recycle", [KILL_CAUSE_UNHEALTHY] = "unhealthy",
                        [KILL_CAUSE_PROTOCOL] = "protocol",
                };
                const char *cause_s = cause >= 0 && cause < _KILL_CAUSE_MAX && why[cause] ? why[cause] : "stop";
                char f[64];

                snprintf(f, sizeof f, "WORKERPOOL_STOP_CAUSE=%s", cause_s);
                pool_log_event(w->pool, w, LOG_INFO, MESSAGE_ID_WORKER_STOPPING, (char *const[]) { f, NULL },
                               "Pool %s: worker %" PRIu64 " (pid %d): stopping (%s%s%s), sending %s.",
                               w->pool->name, w->id, (int) w->pid, cause_s, w->cause_detail ? ": " : "",
                               strempty(w->cause_detail), signal_to_string(sig) ?: "a signal");
                worker_enter(w, watchdog ? WORKER_HUNG : WORKER_STOPPING);
        }
        r = worker_kill(w, sig);
        if (r < 0 && r != -ESRCH)
                log_warning_errno(r, "Pool %s: worker %" PRIu64 ": cannot send %s: %m",
                                  w->pool->name, w->id, signal_to_string(sig));
}

/* The worker's timer fired: what that means in each state (see
 * worker_on_enter()). */
static int on_worker_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Worker *w = userdata;
        PoolConfig *c = w->pool->config;
        char buf[64];

        switch (w->state) {
        case WORKER_STARTING:
                log_warning("Pool %s: worker %" PRIu64 " (pid %d) not ready after %s, stopping it.",
                            w->pool->name, w->id, (int) w->pid,
                            format_timespan(buf, sizeof buf, c->timeout_start_usec));
                worker_stop(w, KILL_CAUSE_START_TIMEOUT);
                break;
        case WORKER_IDLE:
        case WORKER_BUSY:
        case WORKER_WAITING:
                log_warning("Pool %s: worker %" PRIu64 " (pid %d) missed its watchdog (%s), aborting it.",
                            w->pool->name, w->id, (int) w->pid,
                            format_timespan(buf, sizeof buf, c->watchdog_usec));
                worker_stop(w, KILL_CAUSE_WATCHDOG);
                break;
        case WORKER_STOPPING:
        case WORKER_HUNG: {
                _cleanup_(freep) char *escaped = NULL;

                /* Stop timeout: end the whole leaf and the main process. A
                 * SIGKILL we send is ours, whatever made it stop (a stop, its
                 * own STOPPING=1): the exit is a timeout, not "killed". */
                if (w->cause_signal == SIGKILL)
                        log_warning("Pool %s: worker %" PRIu64 " (pid %d) still there %s after SIGKILL, "
                                    "sending it again.", w->pool->name, w->id, (int) w->pid,
                                    format_timespan(buf, sizeof buf, c->timeout_stop_usec));
                else
                        log_warning("Pool %s: worker %" PRIu64 " (pid %d) did not stop within %s, killing it.",
                                    w->pool->name, w->id, (int) w->pid,
                                    format_timespan(buf, sizeof buf, c->timeout_stop_usec));
                if (w->cause == KILL_CAUSE_STOP)
                        w->cause = KILL_CAUSE_STOP_TIMEOUT;
                else if (w->cause == KILL_CAUSE_NONE)   /* it was going by itself: Restart= applies */
                        w->cause = KILL_CAUSE_STOPPING_TIMEOUT;
                w->cause_signal = SIGKILL;
                escaped = worker_escaped_to(w);
                if (escaped)
                        log_warning("Pool %s: worker %" PRIu64 " (pid %d) escaped its cgroup to %s, "
                                    "killing it through its pidfd.", w->pool->name, w->id, (int) w->pid,
                                    escaped);
                (void) worker_kill_all(w);
                /* Until the pidfd reports the exit: again after as long. */
                (void) worker_arm_timer(w, c->timeout_stop_usec);
                break;
        }
        default:
                break;
        }
        return 0;
}

/* ---- freezing, captures, the hung job, recycling ------------------------- */

int worker_freeze(Worker *w, bool freeze) {
        _cleanup_(closep) int cgroup_fd = -EBADF;
        const PoolConfig *c = w->pool->config;
        usec_t now = now_mono(w);
        int r;

        if (!worker_is_active(w))
                return -ESRCH;
        if (w->frozen == freeze)
                return 0;
        cgroup_fd = worker_open_cgroup(w);
        if (cgroup_fd < 0)
                return cgroup_fd;
        r = cgroup_write(cgroup_fd, "cgroup.freeze", freeze ? "1" : "0");
        if (r < 0)
                return r;
        /* Frozen time is nobody's: the job's busy time and the timers wait. */
        if (freeze && w->state == WORKER_BUSY)
                w->busy_used += now - w->busy_since_mono;
        if (!freeze && worker_has_job(w))
                w->busy_since_mono = now;
        w->frozen = freeze;
        worker_arm_job_timer(w);
        worker_arm_recycle_timer(w);
        if (worker_is_ready(w))         /* the watchdog: off while frozen, a full period after */
                (void) worker_arm_timer(w, !freeze && c->watchdog_usec > 0 ? c->watchdog_usec : USEC_INFINITY);
        log_debug("Pool %s: worker %" PRIu64 " %s.", w->pool->name, w->id, freeze ? "frozen" : "thawed");
        POOL_HOOK(w->pool->host, worker_state_changed, w);
        worker_health_update(w);
        return 1;
}

size_t worker_pids(const Worker *w, pid_t *pids, size_t n) {
        _cleanup_(closep) int cgroup_fd = -EBADF, fd = -EBADF;
        FILE *f;
        size_t k = 0;
        int pid;

        if (n == 0)
                return 0;
        if (w->pid > 0 && w->state != WORKER_EXITED)
                pids[k++] = w->pid;
        cgroup_fd = worker_open_cgroup(w);
        if (cgroup_fd < 0)
                return k;
        fd = openat(cgroup_fd, "cgroup.procs", O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return k;
        f = fdopen(TAKE_FD(fd), "re");
        if (!f)
                return k;
        while (k < n && fscanf(f, "%d", &pid) == 1)
                if (pid > 0 && pid != w->pid)
                        pids[k++] = pid;
        fclose(f);
        return k;
}

static void on_capture_done(PoolChild *child, const PoolChildResult *res, void *userdata) {
        Worker *w = userdata;
        WorkerCaptureDone done = w->capture_done;
        void *ud = w->capture_userdata;
        char why[160] = "";
        bool ok = res->code == CLD_EXITED && res->status == 0 && res->output_size > 0;

        w->capture = pool_child_free(w->capture);
        w->capture_done = NULL;
        w->capture_userdata = NULL;
        if (w->capture_thaw)
                (void) worker_freeze(w, false);
        w->capture_thaw = false;
        if (!ok) {
                char tb[64];

                if (res->timed_out)
                        snprintf(why, sizeof why, "the capture took longer than %s",
                                 format_timespan(tb, sizeof tb, WORKER_CAPTURE_TIMEOUT));
                else if (res->code == 0)
                        snprintf(why, sizeof why, "cannot run the diagnose program: %s",
                                 strerror(res->spawn_errno));
                else
                        snprintf(why, sizeof why, "the diagnose program failed (%s %d): %.100s",
                                 res->code == CLD_EXITED ? "exit status" : "signal", res->status,
                                 res->output ?: "");
        }
        if (done)
                done(w, ok ? res->output : NULL, ok ? 0 : -EIO, ok ? NULL : why, ud);
}

int worker_capture(Worker *w, WorkerCaptureDone done, void *userdata) {
        PoolHost *h = w->pool->host;
        pid_t pids[8];
        char max[32], pidstr[ELEMENTSOF(pids)][16];
        char *argv[6 + ELEMENTSOF(pids) + 1];
        size_t n, k = 0;
        bool froze = false;
        int r;

        if (!worker_is_active(w))
                return -ESRCH;
        if (w->capture)
                return -EBUSY;
        if (!h->diagnose_path)
                return -EOPNOTSUPP;
        n = worker_pids(w, pids, ELEMENTSOF(pids));
        if (n == 0)
                return -ESRCH;
        if (!w->frozen) {
                r = worker_freeze(w, true);
                if (r < 0)
                        return r;
                froze = true;
        }
        snprintf(max, sizeof max, "%d", WORKER_CAPTURE_MAX);
        argv[k++] = (char *) h->diagnose_path;
        argv[k++] = (char *) "--max-bytes";
        argv[k++] = max;
        argv[k++] = (char *) "--timeout";
        argv[k++] = (char *) "4";
        for (size_t i = 0; i < n; i++) {
                snprintf(pidstr[i], sizeof pidstr[i], "%d", (int) pids[i]);
                argv[k++] = pidstr[i];
        }
        argv[k] = NULL;
        r = pool_child_spawn(h, &(PoolChildParams) {
                .argv = argv,
                .cgroup_fd = -EBADF,
                .timeout_usec = WORKER_CAPTURE_TIMEOUT,
                .max_output = WORKER_CAPTURE_MAX + 256,
                .description = "worker-capture",
        }, on_capture_done, w, &w->capture);
        if (r < 0) {
                if (froze)
                        (void) worker_freeze(w, false);
                return r;
        }
        w->capture_done = done;
        w->capture_userdata = userdata;
        w->capture_thaw = froze;
        return 0;
}

/* The capture will not end: kill it and tell its caller (-ESRCH). */
void worker_capture_cancel(Worker *w, const char *why) {
        WorkerCaptureDone done = w->capture_done;
        void *ud = w->capture_userdata;

        if (!w->capture)
                return;
        w->capture = pool_child_free(w->capture);
        w->capture_done = NULL;
        w->capture_userdata = NULL;
        w->capture_thaw = false;
        if (done)
                done(w, NULL, -ESRCH, why, ud);
}

/* The capture of a hung job is in: keep it, thaw (done), then
 * JobTimeoutSignal= and TimeoutStopSec= until cgroup.kill. */
static void on_hang_captured(Worker *w, const char *text, int error, const char *why, void *userdata) {
        Pool *p = w->pool;
        const PoolConfig *c = p->config;
        char *t = NULL;
        int r;

        if (text)
                t = strdup(text);
        else if (asprintf(&t, "(no capture: %s)\n", why ?: strerror(-error)) < 0)
                t = NULL;
        free(w->hang_capture);
        w->hang_capture = t;
        if (t) {
                free(p->last_hang_capture);
                p->last_hang_capture = strdup(t);
        }
        POOL_HOOK(p->host, pool_changed, p);
        if (w->state != WORKER_HUNG)
                return;         /* it exited during the capture */
        w->cause_signal = c->job_timeout_signal;
        log_warning("Pool %s: worker %" PRIu64 " (pid %d): %s; sending %s.", p->name, w->id, (int) w->pid,
                    text ? "captured where it hangs" : "no capture", signal_to_string(w->cause_signal) ?: "?");
        r = worker_kill(w, w->cause_signal);
        if (r < 0 && r != -ESRCH)
                log_warning_errno(r, "Pool %s: worker %" PRIu64 ": cannot send %s: %m", p->name, w->id,
                                  signal_to_string(w->cause_signal) ?: "?");
        (void) worker_arm_timer(w, c->timeout_stop_usec);
}

/* Busy longer than JobTimeoutSec= (or waiting longer than WaitTimeoutSec=):
 * hung. Freeze, capture, thaw, JobTimeoutSignal=, cgroup.kill after
 * TimeoutStopSec=. */
static void worker_hang(Worker *w) {
        Pool *p = w->pool;
        const PoolConfig *c = p->config;
        bool waiting = w->state == WORKER_WAITING;
        char tb[64];
        int r;

        (void) worker_set_text(&w->cause_detail, "%s longer than %s=%s", waiting ? "waiting" : "busy",
                               waiting ? "WaitTimeoutSec" : "JobTimeoutSec",
                               format_timespan(tb, sizeof tb, waiting ? c->wait_timeout_usec : c->job_timeout_usec));
        p->n_job_timeouts++;
        pool_log_event(p, w, LOG_WARNING, NULL, NULL, "Pool %s: worker %" PRIu64 " (pid %d) is hung: %s.",
                       p->name, w->id, (int) w->pid, strempty(w->cause_detail));
        w->cause = KILL_CAUSE_JOB_TIMEOUT;
        w->cause_signal = 0;            /* not sent yet: the capture comes first */
        worker_enter(w, WORKER_HUNG);
        r = worker_capture(w, on_hang_captured, NULL);
        if (r < 0)
                on_hang_captured(w, NULL, r, r == -EOPNOTSUPP ? "no diagnose program" : NULL, NULL);
}

static int on_job_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Worker *w = userdata;

        if (worker_has_job(w) && !w->frozen)
                worker_hang(w);
        return 0;
}

int worker_set_text(char **field, const char *fmt, ...) {
        char *s = NULL;
        va_list ap;
        int r = 0;

        if (fmt) {
                va_start(ap, fmt);
                if (vasprintf(&s, fmt, ap) < 0) {
                        s = NULL;
                        r = -ENOMEM;
                }
                va_end(ap);
        }
        if (s && !s[0])
                s = mfree(s);           /* empty is none */
        free(*field);
        *field = s;
        return r;
}

void worker_replace(Worker *w, KillCause cause, const char *detail) {
        Pool *p = w->pool;

        if (!worker_is_ready(w) && w->state != WORKER_STARTING)
                return;
        /* detail may be w->recycle_why: copied before that goes */
        (void) worker_set_text(&w->cause_detail, "%s", strempty(detail));
        (void) worker_set_text(&w->recycle_why, NULL);
        if (cause == KILL_CAUSE_RECYCLE) {
                p->n_recycled++;
                pool_log_event(p, w, LOG_INFO, NULL, NULL, "Pool %s: recycling worker %" PRIu64 " (pid %d): %s.",
                               p->name, w->id, (int) w->pid, strempty(w->cause_detail));
                /* Its replacement first: a recycle never leaves the pool short by more than one. */
                pool_replace_worker(p, w);
        } else
                pool_log_event(p, w, LOG_WARNING, NULL, NULL, "Pool %s: stopping worker %" PRIu64 " (pid %d): %s.",
                               p->name, w->id, (int) w->pid, strempty(w->cause_detail));
        worker_stop(w, cause);
}

/* Recycle now if idle, else at its next idle moment. */
static void worker_recycle_soon(Worker *w, const char *why) {
        if (!worker_is_active(w) || w->state == WORKER_HUNG)
                return;
        if (!w->recycle_why)
                (void) worker_set_text(&w->recycle_why, "%s", why);
        if (w->state == WORKER_IDLE && !w->frozen)
                worker_replace(w, KILL_CAUSE_RECYCLE, w->recycle_why ?: why);
}

/* It just became idle: a job ended (MaxJobs=, MemoryRecycle=SIZE), or a
 * recycle was waiting for this moment. */
static void worker_recycle_check(Worker *w) {
        const PoolConfig *c = w->pool->config;
        char why[160], a[32], b[32];
        uint64_t cur;

        if (w->state != WORKER_IDLE)
                return;
        if (w->max_jobs > 0 && w->jobs >= w->max_jobs && !w->recycle_why) {
                snprintf(why, sizeof why, "MaxJobs=%" PRIu64 " reached after %" PRIu64 " jobs", c->max_jobs,
                         w->jobs);
                worker_recycle_soon(w, why);
                return;
        }
        if (c->memory_recycle != CGROUP_LIMIT_MAX && !w->recycle_why &&
            (w->pool->host->controllers & CGROUP_MASK(CGROUP_CONTROLLER_MEMORY))) {
                _cleanup_(closep) int cgroup_fd = worker_open_cgroup(w);

                if (cgroup_fd >= 0 && cgroup_read_u64(cgroup_fd, "memory.current", &cur) >= 0 &&
                    cur >= c->memory_recycle) {
                        snprintf(why, sizeof why, "memory.current %s reached MemoryRecycle=%s",
                                 format_bytes(a, sizeof a, cur), format_bytes(b, sizeof b, c->memory_recycle));
                        worker_recycle_soon(w, why);
                        return;
                }
        }
        if (w->recycle_why && !w->frozen)
                worker_replace(w, KILL_CAUSE_RECYCLE, w->recycle_why);
}

static int on_recycle_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Worker *w = userdata;
        char why[160], tb[64];

        snprintf(why, sizeof why, "RuntimeMaxSec=%s reached",
                 format_timespan(tb, sizeof tb, w->pool->config->runtime_max_usec));
        worker_recycle_soon(w, why);
        return 0;
}

/* memory.events changed: the leaf went over memory.high again
 * (MemoryRecycle=high): replace the worker before the OOM killer has to. */
static int on_memory_event(sd_event_source *s, const struct inotify_event *ev, void *userdata) {
        _cleanup_(closep) int cgroup_fd = -EBADF;
        Worker *w = userdata;
        char why[160], b[32];
        uint64_t high;

        cgroup_fd = worker_open_cgroup(w);
        if (cgroup_fd < 0 || cgroup_read_key(cgroup_fd, "memory.events", "high", &high) < 0)
                return 0;
        if (high <= w->memory_high_events)
                return 0;
        w->memory_high_events = high;
        snprintf(why, sizeof why, "memory.events high rose to %" PRIu64 " (MemoryHigh=%s)", high,
                 format_bytes(b, sizeof b, w->pool->config->memory_high));
        worker_recycle_soon(w, why);
        return 0;
}

/* Started: the recycling that does not wait for a job's end. */
static void worker_recycle_setup(Worker *w, int cgroup_fd) {
        const PoolConfig *c = w->pool->config;
        PoolHost *h = w->pool->host;
        _cleanup_(closep) int events_fd = -EBADF;
        int r;

        if (c->runtime_max_usec != USEC_INFINITY && c->runtime_max_usec > 0) {
                w->recycle_due_mono = w->started_mono + c->runtime_max_usec +
                                      random_u64_range(c->runtime_randomized_extra_usec + 1);
                worker_arm_recycle_timer(w);
        }
        if (!c->memory_recycle_high || !(h->controllers & CGROUP_MASK(CGROUP_CONTROLLER_MEMORY)))
                return;
        (void) cgroup_read_key(cgroup_fd, "memory.events", "high", &w->memory_high_events);
        events_fd = openat(cgroup_fd, "memory.events", O_RDONLY | O_CLOEXEC);
        if (events_fd < 0)
                return;
        r = sd_event_add_inotify_fd(h->event, &w->memory_source, events_fd, IN_MODIFY, on_memory_event, w);
        if (r < 0) {
                log_warning_errno(r, "Pool %s: worker %" PRIu64 ": cannot watch memory.events: %m",
                                  w->pool->name, w->id);
                return;
        }
        (void) sd_event_source_set_description(w->memory_source, "worker-memory-events");
}

/* ---- after the exit: the leaf ------------------------------------------- */

/* Remove the leaf (and any sub-cgroup the worker made in it) and free the
 * worker. -errno if the leaf stays (the worker is not freed then). The
 * caller updates the pool's state. */
static int worker_remove_cgroup(Worker *w) {
        Pool *p = w->pool;
        int r;

        r = cgroup_remove_recursive(p->cgroup_fd, w->cgroup_name);
        if (r < 0)
                return r;
        w->cgroup_created = false;
        worker_free(w);
        return 0;
}

/* The leaf cannot be removed now: say so once, and stop counting the
 * worker (its pool can stop, the daemon can exit: nothing waits on an
 * rmdir). The leaf is retried when its cgroup.events changes (if watched)
 * and once more when the pool goes. */
static void worker_bury(Worker *w, int error) {
        Pool *p = w->pool;

        if (w->buried)
                return;
        log_warning_errno(error, "Pool %s: cannot remove cgroup %s (%m), retrying when it changes.",
                          p->name, w->cgroup_name);
        worker_forget(w);
        worker_unlink(w, &p->workers);
        p->n_workers--;
        w->next = p->graveyard;
        if (p->graveyard)
                p->graveyard->prev = w;
        p->graveyard = w;
        w->buried = true;
}

/* Removed, or buried: either way the worker no longer counts. */
static void worker_remove_or_bury(Worker *w) {
        int r;

        r = worker_remove_cgroup(w);
        if (r < 0)
                worker_bury(w, r);
}

/* cgroup.events "populated" of a leaf opened with worker_open_cgroup():
 * cgroup_fd may be its -errno. A leaf that is gone is empty: it could not be
 * opened (-ENOENT), or it was removed while open (its files: -ENOENT, or
 * -ENODEV while being torn down). */
static int worker_cgroup_is_populated(int cgroup_fd) {
        int r;

        if (cgroup_fd == -ENOENT)
                return 0;
        if (cgroup_fd < 0)
                return cgroup_fd;
        r = cgroup_is_populated(cgroup_fd);
        return r == -ENOENT || r == -ENODEV ? 0 : r;
}

static int on_worker_cgroup_event(sd_event_source *s, const struct inotify_event *ev, void *userdata) {
        _cleanup_(closep) int cgroup_fd = -EBADF;
        Worker *w = userdata;
        Pool *p = w->pool;

        cgroup_fd = worker_open_cgroup(w);
        if (worker_cgroup_is_populated(cgroup_fd) != 0)
                return 0;
        worker_remove_or_bury(w);
        pool_update_state(p);
        return 0;
}

/* The main process is gone: end what it left behind, then remove the leaf
 * once cgroup.events says "populated 0" (watched, not polled). cgroup_fd is
 * the caller's, from worker_open_cgroup() (or its -errno). May free w; the
 * caller updates the pool's state. */
static void worker_cleanup_cgroup(Worker *w, int cgroup_fd) {
        _cleanup_(closep) int events_fd = -EBADF;
        int r;

        r = worker_cgroup_is_populated(cgroup_fd);
        if (r == 0) {
                r = worker_remove_cgroup(w);
                if (r >= 0)
                        return;
                if (r != -EBUSY) {      /* not a race with a new process: watch and retry */
                        worker_bury(w, r);
                        if (cgroup_fd < 0)
                                return;
                }
        } else if (r > 0) {
                log_info("Pool %s: worker %" PRIu64 " left processes behind, killing them.",
                         w->pool->name, w->id);
                r = cgroup_kill(cgroup_fd);
                if (r < 0)
                        log_warning_errno(r, "Pool %s: cannot write cgroup.kill of %s: %m",
                                          w->pool->name, w->cgroup_name);
        }

        if (cgroup_fd < 0) {
                worker_bury(w, cgroup_fd);
                return;
        }
        events_fd = openat(cgroup_fd, "cgroup.events", O_RDONLY | O_CLOEXEC);
        if (events_fd < 0) {
                worker_bury(w, -errno);
                return;
        }
        r = sd_event_add_inotify_fd(w->pool->host->event, &w->cgroup_source, events_fd,
                                    IN_MODIFY, on_worker_cgroup_event, w);
        if (r < 0) {
                worker_bury(w, r);
                return;
        }
        (void) sd_event_source_set_description(w->cgroup_source, "worker-cgroup-events");
        /* It may have emptied between the check and the watch. */
        if (worker_cgroup_is_populated(cgroup_fd) == 0)
                worker_remove_or_bury(w);
}

/* ---- the exit -------------------------------------------------------------- */

static void worker_collect_evidence(Worker *w, int cgroup_fd, ExitInfo *i) {
        PoolHost *h = w->pool->host;
        uint64_t v;

        if (h->controllers & CGROUP_MASK(CGROUP_CONTROLLER_MEMORY) && cgroup_fd >= 0 &&
            cgroup_read_key(cgroup_fd, "memory.events", "oom_kill", &v) >= 0 && v > 0) {
                i->oom_kill = true;
                i->oom_kills = v;
        }

        h->ops->fault_evidence(h, w->pid, i);
}

/* The pidfd is readable: collect the exit, then the pool decides and acts
 * (pool_on_worker_exit()), the leaf is dealt with, and the pool's state is
 * updated once. */
static int on_worker_exit(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        _cleanup_(closep) int cgroup_fd = -EBADF;
        Worker *w = userdata;
        Pool *p = w->pool;
        ExitInfo info = { .syscall = -1 };
        siginfo_t si = {};
        struct rusage ru = {};
        uint64_t peak = UINT64_MAX, cpu;

        /* What it said just before it went counts (as systemd reads the
         * notify socket before it handles SIGCHLD): READY=1, STOPPING=1,
         * X_WORKERPOOL_BUSY=0 may still be queued. Before waitid(): the
         * sender is looked up by its pid, which a zombie still has. */
        if (p->host->ops->notify_drain)
                p->host->ops->notify_drain(p->host);
        /* The raw waitid(): glibc's has no rusage argument. The exit's CPU
         * time is the process's own and its reaped children's, from the
         * rusage: reading the leaf's cpu.stat instead made the kernel flush
         * its rstat tree on every exit (13% of the CPU at 10,000 workers). */
        if (syscall(SYS_waitid, P_PIDFD, w->pidfd, &si, WEXITED | WNOHANG, &ru) < 0) {
                log_warning_errno(-errno, "Pool %s: worker %" PRIu64 ": waitid failed: %m",
                                  p->name, w->id);
                return 0;
        }
        if (si.si_pid == 0) {
                /* Not waitable yet (should not happen): with an edge-triggered
                 * watch we would not hear again, so fall back to level. */
                (void) sd_event_source_set_io_events(s, EPOLLIN);
                return 0;
        }

        w->exit_source = sd_event_source_disable_unref(w->exit_source);
        w->pidfd = safe_close(w->pidfd);
        /* A capture in flight ends with it: the record says so. */
        worker_capture_cancel(w, "the worker exited during the capture");
        w->busy_at_exit = worker_has_job(w);
        w->frozen = false;
        if (w->reload_pending) {        /* a reload does not wait for the dead */
                w->reload_pending = false;
                p->n_reload_pending--;
        }

        /* Opened once for the evidence, the counters and the cleanup (which
         * logs if it cannot be opened; -ENOENT: gone, nothing to read). */
        cgroup_fd = worker_open_cgroup(w);

        info.code = si.si_code;
        info.status = si.si_status;
        info.exec_failed = w->exec_failed;
        info.exec_step = w->exec_step;
        info.exec_errno = w->exec_errno;
        info.cause = w->cause;
        info.cause_signal = w->cause_signal;
        info.cause_detail = w->cause_detail;
        info.has_seccomp_filter = pool_config_has_seccomp_filter(p->config);
        worker_collect_evidence(w, cgroup_fd, &info);

        if (cgroup_fd >= 0 && (p->host->controllers & CGROUP_MASK(CGROUP_CONTROLLER_MEMORY)))
                (void) cgroup_read_u64(cgroup_fd, "memory.peak", &peak);
        cpu = (uint64_t) (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * USEC_PER_SEC +
              (uint64_t) (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);

        worker_enter(w, WORKER_EXITED);
        pool_on_worker_exit(p, w, &info, peak, cpu);
        worker_cleanup_cgroup(w, cgroup_fd);   /* may free w */
        pool_update_state(p);
        pool_autoscale(p);
        return 0;
}

int worker_start(Worker *w, int cgroup_fd) {
        Pool *p = w->pool;
        PoolConfig *c = p->config;
        _cleanup_(pool_exec_done) PoolExec e = {};
        OutputFds out;
        SpawnResult res;
        int r;

        /* Environment, $VAR expansion, credentials, sandbox (exec.c). */
        r = pool_exec_prepare(p, w, c->exec_start, NULL, &e);
        if (r < 0)
                return log_error_errno(r, "Pool %s: %s, not starting a worker: %m", p->name, e.failed);
        e.params.cgroup_fd = cgroup_fd;
        /* StandardOutput=, StandardError= (output.c) */
        r = output_prepare(p, &out);
        if (r < 0) {
                log_warning_errno(r, "Pool %s: worker %" PRIu64 ": cannot carry its output, it writes to ours: %m",
                                  p->name, w->id);
                out = (OutputFds) { .stdout_fd = -EBADF, .stderr_fd = -EBADF };
        }
        e.params.stdout_fd = out.stdout_fd;
        e.params.stderr_fd = out.stderr_fd;
        e.params.stdout_null = out.stdout_null;
        e.params.stderr_null = out.stderr_null;

        r = p->host->ops->spawn(p->host, &e.params, &res);
        if (r < 0)
                return r;

        w->pid = res.pid;
        w->pidfd = res.pidfd;
        w->started_at = now_realtime();
        w->started_mono = now_mono(w);
        if (res.failed_step != SPAWN_STEP_NONE) {
                w->exec_failed = true;
                w->exec_step = spawn_step_to_string(res.failed_step);
                w->exec_errno = res.failed_errno;
        }

        /* Edge-triggered: in a mass crash every pidfd is reported once, not
         * again on each loop turn until its turn comes (O(N) per turn). */
        r = sd_event_add_io(p->host->event, &w->exit_source, w->pidfd, EPOLLIN | EPOLLET,
                            on_worker_exit, w);
        if (r < 0) {
                /* Without a watch we cannot supervise it: end it now. */
                (void) cgroup_kill(cgroup_fd);
                return log_error_errno(r, "Pool %s: worker %" PRIu64 ": cannot watch pidfd: %m",
                                       p->name, w->id);
        }
        (void) sd_event_source_set_description(w->exit_source, "worker-exit");

        if (w->exec_failed)
                return 0;   /* the exit handler reports it */

        worker_recycle_setup(w, cgroup_fd);
        if (w->replaces > 0) {
                char f[64];

                snprintf(f, sizeof f, "WORKERPOOL_REPLACES=%" PRIu64, w->replaces);
                pool_log_event(p, w, LOG_INFO, MESSAGE_ID_WORKER_STARTED, (char *const[]) { f, NULL },
                               "Pool %s: worker %" PRIu64 " started (pid %d), replacing worker %" PRIu64 ".",
                               p->name, w->id, (int) w->pid, w->replaces);
        } else
                pool_log_event(p, w, LOG_INFO, MESSAGE_ID_WORKER_STARTED, NULL,
                               "Pool %s: worker %" PRIu64 " started (pid %d).", p->name, w->id, (int) w->pid);
        POOL_HOOK(p->host, worker_started, w);

        if (c->type == POOL_TYPE_SIMPLE)
                worker_became_ready(w);
        else
                worker_on_enter(w, _WORKER_STATE_INVALID);      /* born starting */
        return 0;
}

bool worker_may_notify(const Worker *w, pid_t sender) {
        switch (w->pool->config->notify_access) {
        case NOTIFY_ACCESS_ALL:
                return true;
        case NOTIFY_ACCESS_EXEC:        /* and the health check running in its leaf */
                return sender == w->pid || (sender > 0 && sender == worker_health_probe_pid(w));
        case NOTIFY_ACCESS_MAIN:
        default:
                return sender == w->pid;
        }
}

void worker_on_notify(Worker *w, const NotifyMessage *msg) {
        PoolConfig *c = w->pool->config;

        if (msg->has_status && !streq(strempty(w->status_text), msg->status))
                (void) worker_set_text(&w->status_text, "%s", msg->status);

        /* The protocol: no job before READY=1. */
        if ((msg->busy == 1 || msg->waiting == 1) && w->state == WORKER_STARTING && c->type == POOL_TYPE_NOTIFY) {
                (void) worker_set_text(&w->cause_detail, "%s before READY=1",
                                       msg->busy == 1 ? "X_WORKERPOOL_BUSY=1" : "X_WORKERPOOL_WAITING=1");
                pool_log_event(w->pool, w, LOG_WARNING, NULL, NULL,
                               "Pool %s: worker %" PRIu64 " (pid %d) broke the protocol: %s, stopping it.",
                               w->pool->name, w->id, (int) w->pid, strempty(w->cause_detail));
                worker_stop(w, KILL_CAUSE_PROTOCOL);
                return;
        }
        if (msg->ready && w->state == WORKER_STARTING && c->type == POOL_TYPE_NOTIFY) {
                pool_log_event(w->pool, w, LOG_INFO, MESSAGE_ID_WORKER_READY, NULL,
                               "Pool %s: worker %" PRIu64 " (pid %d) is ready.", w->pool->name, w->id,
                               (int) w->pid);
                worker_became_ready(w);
        }
        /* Type=notify-reload's protocol: RELOADING=1 ... READY=1. */
        if (msg->reloading && worker_is_ready(w))
                w->reloading = true;
        if (msg->ready && w->reloading && worker_is_ready(w)) {
                w->reloading = false;
                if (w->reload_pending) {
                        w->reload_pending = false;
                        w->pool->n_reload_pending--;
                        log_info("Pool %s: worker %" PRIu64 " (pid %d) reloaded.", w->pool->name, w->id,
                                 (int) w->pid);
                        pool_update_state(w->pool);
                }
        }
        if (msg->watchdog && worker_is_ready(w) && c->watchdog_usec > 0 && !w->frozen) {
                w->last_watchdog_mono = now_mono(w);
                (void) worker_arm_timer(w, c->watchdog_usec);
        }
        if (msg->watchdog_trigger && worker_is_ready(w))
                worker_stop(w, KILL_CAUSE_WATCHDOG_TRIGGER);
        if (msg->busy == 1 && w->state == WORKER_IDLE) {
                worker_enter(w, WORKER_BUSY);
                pool_autoscale(w->pool);
        }
        if (msg->waiting == 1 && (w->state == WORKER_IDLE || w->state == WORKER_BUSY)) {
                worker_enter(w, WORKER_WAITING);
                pool_autoscale(w->pool);
        } else if (msg->waiting == 0 && w->state == WORKER_WAITING && msg->busy != 0)
                worker_enter(w, WORKER_BUSY);
        if (msg->busy == 0 && worker_has_job(w)) {
                worker_enter(w, WORKER_IDLE);   /* one job done; may recycle it */
                pool_autoscale(w->pool);
        }
        if (msg->stopping && worker_is_active(w))
                /* It goes on its own; its exit is classified as it comes. */
                worker_enter(w, WORKER_STOPPING);
}

/* After a re-exec: take over a worker that is still running, with the pidfd
 * the previous image kept open for us, in the cgroup it already lives in.
 * Nothing is spawned; its timer goes off when it was due. */
int worker_adopt(Pool *p, const WorkerSnapshot *s, Worker **ret) {
        _cleanup_(worker_freep) Worker *w = NULL;
        _cleanup_(closep) int cgroup_fd = -EBADF;
        PoolConfig *c = p->config;
        usec_t now, timeout;
        int r;

        if (idmap_get(&p->host->workers, s->id)) {
                safe_close(s->pidfd);
                return -EEXIST;
        }
        w = calloc(1, sizeof(*w));
        if (!w) {
                safe_close(s->pidfd);
                return -ENOMEM;
        }
        *w = (Worker) {
                .pool = p,
                .id = s->id,
                .pid = s->pid,
                .pidfd = s->pidfd,      /* ours from here on, also on failure */
                .state = WORKER_STARTING,
                .started_at = s->started_at,
                .ready_at = s->ready_at,
                .started_mono = s->started_mono,
                .ready_mono = s->ready_mono,
                .restart_streak = s->restart_streak,
                .cause = s->cause,
                .cause_signal = s->cause_signal,
                .last_watchdog_mono = s->last_watchdog_mono,
                .idle_since_mono = s->idle_since_mono,
                .obsolete = s->obsolete,
                .exec_failed = s->exec_failed,
                .exec_errno = s->exec_errno,
                .exec_step = s->exec_step,
        };
        snprintf(w->cgroup_name, sizeof w->cgroup_name, "%s-%" PRIu64 ".worker", p->name, w->id);
        (void) worker_set_text(&w->status_text, "%s", s->status_text);

        /* Its leaf must be there; the fd is not kept (only the exited case below uses it). */
        cgroup_fd = worker_open_cgroup(w);
        if (cgroup_fd < 0)
                return cgroup_fd;
        w->cgroup_created = true;
        r = idmap_put(&p->host->workers, w->id, w);
        if (r < 0)
                return r;
        worker_link(w);

        if (s->state == WORKER_EXITED || w->pidfd < 0) {
                /* It had exited but its cgroup was not empty yet: the exit
                 * was handled by the previous image; finish the cleanup. */
                worker_enter(w, WORKER_EXITED);
                w->pidfd = safe_close(w->pidfd);
                worker_cleanup_cgroup(TAKE_PTR(w), cgroup_fd);
                pool_update_state(p);
                *ret = NULL;
                return 0;
        }
        r = sd_event_add_io(p->host->event, &w->exit_source, w->pidfd, EPOLLIN | EPOLLET,
                            on_worker_exit, w);
        if (r < 0)
                return r;
        (void) sd_event_source_set_description(w->exit_source, "worker-exit");

        /* Each timer goes off when it would have: a re-exec neither restarts
         * a timeout nor forgives one (an older image gave no due time: from
         * now, as it used to). */
        now = now_mono(w);
        switch (s->state) {
        case WORKER_STARTING:
                timeout = c->timeout_start_usec;
                break;
        case WORKER_IDLE:
        case WORKER_BUSY:
        case WORKER_WAITING:
                worker_enter(w, s->state);
                timeout = c->watchdog_usec > 0 ? c->watchdog_usec : USEC_INFINITY;
                break;
        case WORKER_HUNG:
        case WORKER_STOPPING:
                worker_enter(w, s->state);
                timeout = c->timeout_stop_usec;
                break;
        default:
                timeout = USEC_INFINITY;
                break;
        }
        if (s->timer_due > 0 && timeout != USEC_INFINITY)
                timeout = s->timer_due > now ? s->timer_due - now : 0;
        (void) worker_arm_timer(w, timeout);
        if (s->idle_since_mono > 0)
                w->idle_since_mono = s->idle_since_mono;   /* worker_enter() set it to now */
        *ret = TAKE_PTR(w);
        return 0;
}

void worker_resume(Worker *w) {
        _cleanup_(closep) int cgroup_fd = -EBADF;

        if (w->state == WORKER_EXITED)
                return;
        /* A capture does not survive a re-exec: thaw, and go on without it. */
        if (w->state == WORKER_HUNG && w->cause == KILL_CAUSE_JOB_TIMEOUT && w->cause_signal == 0) {
                if (w->frozen)
                        (void) worker_freeze(w, false);
                on_hang_captured(w, NULL, -ESRCH, "the capture was lost in a re-exec", NULL);
                return;
        }
        worker_arm_job_timer(w);
        worker_arm_recycle_timer(w);
        cgroup_fd = worker_open_cgroup(w);
        if (cgroup_fd >= 0 && w->pool->config->memory_recycle_high && !w->memory_source) {
                uint64_t seen = w->memory_high_events;

                usec_t due = w->recycle_due_mono;
                worker_recycle_setup(w, cgroup_fd);     /* re-reads the count: keep the one we had */
                w->memory_high_events = seen;
                w->recycle_due_mono = due;
                worker_arm_recycle_timer(w);
        }
        worker_health_update(w);
}
