/* SPDX-License-Identifier: MIT */
#include <assert.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <inttypes.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/wait.h>
#include <time.h>

#include "../config/exec-split.h"
#include "../shared/parse-util.h"
#include "../shared/fd-util.h"
#include "../shared/log.h"
#include "../shared/strv.h"
#include "../spawn/spawn.h"
#include "pool.h"

static const char *const worker_state_names[_WORKER_STATE_MAX] = {
        [WORKER_STARTING] = "starting", [WORKER_IDLE] = "idle",
        [WORKER_BUSY] = "busy",         [WORKER_HUNG] = "hung",
        [WORKER_STOPPING] = "stopping", [WORKER_EXITED] = "exited",
};

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

static usec_t now_realtime(void) {
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        return (usec_t) ts.tv_sec * USEC_PER_SEC + (usec_t) ts.tv_nsec / 1000;
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
        bool active = worker_is_active(w), ready = w->state == WORKER_IDLE || w->state == WORKER_BUSY,
             busy = w->state == WORKER_BUSY;

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

        switch (w->state) {
        case WORKER_STARTING:
                (void) worker_arm_timer(w, c->timeout_start_usec);
                break;
        case WORKER_IDLE:
                w->idle_since_mono = now_mono(w);
                _fallthrough_;
        case WORKER_BUSY:
                if (old == WORKER_STARTING || old == _WORKER_STATE_INVALID)
                        (void) worker_arm_timer(w, c->watchdog_usec > 0 ? c->watchdog_usec : USEC_INFINITY);
                break;
        case WORKER_HUNG:
        case WORKER_STOPPING:
                (void) worker_arm_timer(w, c->timeout_stop_usec);
                break;
        case WORKER_EXITED:
                (void) worker_arm_timer(w, USEC_INFINITY);
                break;
        default:
                break;
        }
}

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
                if (old != WORKER_STARTING && old != WORKER_IDLE && old != WORKER_BUSY)
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
        int sig = watchdog ? SIGABRT : SIGTERM;
        /* STOPPING=1 is the worker's own word that it is going: it still
         * gets our SIGTERM (and TimeoutStopSec= from now) when we stop it. */
        bool self_stopping = w->state == WORKER_STOPPING && w->cause == KILL_CAUSE_NONE;
        int r;

        if (!worker_is_active(w) && !self_stopping)
                return;
        w->cause = cause;
        w->cause_signal = sig;
        if (self_stopping)
                (void) worker_arm_timer(w, c->timeout_stop_usec);   /* re-entering stopping */
        else
                worker_enter(w, watchdog ? WORKER_HUNG : WORKER_STOPPING);
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
        uint64_t peak = UINT64_MAX, cpu = UINT64_MAX;

        if (waitid(P_PIDFD, (id_t) w->pidfd, &si, WEXITED | WNOHANG) < 0) {
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
        info.has_seccomp_filter = pool_config_has_seccomp_filter(p->config);
        worker_collect_evidence(w, cgroup_fd, &info);

        if (cgroup_fd >= 0) {
                if (p->host->controllers & CGROUP_MASK(CGROUP_CONTROLLER_MEMORY))
                        (void) cgroup_read_u64(cgroup_fd, "memory.peak", &peak);
                if (cgroup_read_key(cgroup_fd, "cpu.stat", "usage_usec", &cpu) < 0)
                        cpu = UINT64_MAX;
        }

        worker_enter(w, WORKER_EXITED);
        pool_on_worker_exit(p, w, &info, peak, cpu);
        worker_cleanup_cgroup(w, cgroup_fd);   /* may free w */
        pool_update_state(p);
        pool_autoscale(p);
        return 0;
}

static int worker_build_env(Worker *w, char ***ret) {
        Pool *p = w->pool;
        PoolHost *h = p->host;
        _cleanup_(strv_freep) char **env = NULL;
        char buf[256];
        int r;

        env = strv_copy((char *const[]) { "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                                          NULL });
        if (!env)
                return -ENOMEM;
        snprintf(buf, sizeof buf, "WORKERPOOL_POOL=%s", p->name);
        if ((r = strv_extend(&env, buf)) < 0)
                return r;
        snprintf(buf, sizeof buf, "WORKERPOOL_WORKER_ID=%" PRIu64, w->id);
        if ((r = strv_extend(&env, buf)) < 0)
                return r;
        if (p->config->type == POOL_TYPE_NOTIFY && h->notify_path) {
                char *e = NULL;

                if (asprintf(&e, "NOTIFY_SOCKET=%s", h->notify_path) < 0)
                        return -ENOMEM;
                if ((r = strv_consume(&env, e)) < 0)
                        return r;
        }
        if (p->config->watchdog_usec > 0 && p->config->watchdog_usec != USEC_INFINITY) {
                snprintf(buf, sizeof buf, "WATCHDOG_USEC=%" PRIu64, p->config->watchdog_usec);
                if ((r = strv_extend(&env, buf)) < 0)
                        return r;
        }
        for (char **e = p->config->environment; e && *e; e++)
                if ((r = strv_env_set(&env, *e)) < 0)
                        return r;
        *ret = TAKE_PTR(env);
        return 0;
}

typedef struct Credentials {
        uid_t uid;
        gid_t gid;
        gid_t groups[64];
        int n_groups;
        char home[256], user[64], shell[128];
} Credentials;

/* Resolved in the daemon before the clone: NSS may allocate and block.
 * Without User= (SupplementaryGroups= alone) the worker stays root. */
static int resolve_credentials(const PoolConfig *c, Credentials *ret) {
        struct passwd pw, *pwp = NULL;
        struct group gr, *grp = NULL;
        const char *user = c->user ?: "0";
        char buf[4096];
        char *end;
        int r;

        *ret = (Credentials) {};
        errno = 0;
        unsigned long id = strtoul(user, &end, 10);
        if (*end == 0 && end != user)
                r = getpwuid_r((uid_t) id, &pw, buf, sizeof buf, &pwp);
        else
                r = getpwnam_r(user, &pw, buf, sizeof buf, &pwp);
        if (r != 0)
                return -r;
        if (!pwp)
                return -ESRCH;
        ret->uid = pw.pw_uid;
        ret->gid = pw.pw_gid;
        snprintf(ret->home, sizeof ret->home, "%s", pw.pw_dir ?: "/");
        snprintf(ret->user, sizeof ret->user, "%s", pw.pw_name);
        snprintf(ret->shell, sizeof ret->shell, "%s", pw.pw_shell ?: "/bin/sh");

        if (c->group) {
                id = strtoul(c->group, &end, 10);
                if (*end == 0 && end != c->group)
                        r = getgrgid_r((gid_t) id, &gr, buf, sizeof buf, &grp);
                else
                        r = getgrnam_r(c->group, &gr, buf, sizeof buf, &grp);
                if (r != 0)
                        return -r;
                if (!grp)
                        return -ESRCH;
                ret->gid = gr.gr_gid;
        }
        ret->n_groups = ELEMENTSOF(ret->groups);
        if (getgrouplist(ret->user, ret->gid, ret->groups, &ret->n_groups) < 0)
                ret->n_groups = 0;

        /* SupplementaryGroups=: added to the user's own groups. */
        for (char **g = c->supplementary_groups; g && *g; g++) {
                gid_t gid;
                bool dup = false;

                id = strtoul(*g, &end, 10);
                if (*end == 0 && end != *g)
                        gid = (gid_t) id;
                else {
                        r = getgrnam_r(*g, &gr, buf, sizeof buf, &grp);
                        if (r != 0)
                                return -r;
                        if (!grp)
                                return -ESRCH;
                        gid = gr.gr_gid;
                }
                for (int k = 0; k < ret->n_groups; k++)
                        dup = dup || ret->groups[k] == gid;
                if (dup)
                        continue;
                if ((size_t) ret->n_groups >= ELEMENTSOF(ret->groups))
                        return -E2BIG;
                ret->groups[ret->n_groups++] = gid;
        }
        return 0;
}

/* Our own oom_score_adj (systemd's OOMScoreAdjust=), read once. */
static int daemon_oom_score_adjust(void) {
        static int cached = INT_MIN;
        char buf[32];

        if (cached == INT_MIN)
                cached = read_file_at(AT_FDCWD, "/proc/self/oom_score_adj", buf, sizeof buf, NULL) >= 0
                                 ? atoi(buf) : 0;
        return cached;
}

int worker_start(Worker *w, int cgroup_fd) {
        Pool *p = w->pool;
        PoolConfig *c = p->config;
        _cleanup_(strv_freep) char **env = NULL, **argv = NULL;
        SpawnRlimit rlimits[RLIMIT_NLIMITS];
        Credentials cred;
        SpawnParams sp;
        SpawnResult res;
        char buf[512];
        int r;

        r = worker_build_env(w, &env);
        if (r < 0)
                return r;

        sp = (SpawnParams) {
                .reset_oom_score_adjust = daemon_oom_score_adjust() != 0,
                .argv = c->exec_start,
                .working_directory = c->working_directory,
                .working_directory_missing_ok = c->working_directory_missing_ok,
                .cgroup_fd = -EBADF,            /* below */
                .stdin_fd = -EBADF,
                .umask = c->umask,
                .rlimits = rlimits,
                .capability_bounding_set = c->capability_bounding_set,
                .ambient_capabilities = c->ambient_capabilities,
                .no_new_privileges = c->no_new_privileges,
                .private_tmp = c->private_tmp,
        };
        for (int k = 0; k < RLIMIT_NLIMITS; k++)
                if (c->rlimits_set & (UINT32_C(1) << k))
                        rlimits[sp.n_rlimits++] = (SpawnRlimit) { .resource = k, .limit = c->rlimits[k] };
        /* The daemon's own soft limit is raised; a worker gets the kernel's
         * default back, as systemd gives services, unless LimitNOFILE= says. */
        if (!(c->rlimits_set & (UINT32_C(1) << RLIMIT_NOFILE)))
                rlimits[sp.n_rlimits++] = (SpawnRlimit) { .resource = RLIMIT_NOFILE,
                                                          .limit = p->host->worker_nofile };
        /* Built once for the pool (pool_sandbox_prepare()); never started without it. */
        r = pool_sandbox_filter(p, &sp.seccomp_filter);
        if (r < 0)
                return log_error_errno(r, "Pool %s: no system call filter, not starting a worker: %m",
                                       p->name);
        if (c->user || c->supplementary_groups) {
                r = resolve_credentials(c, &cred);
                if (r < 0)
                        return log_error_errno(r, "Pool %s: cannot resolve User=%s or its groups: %m",
                                               p->name, c->user ?: "root");
                sp.set_credentials = true;
                sp.uid = cred.uid;
                sp.gid = cred.gid;
                sp.groups = cred.groups;
                sp.n_groups = (size_t) cred.n_groups;
        }
        if (c->user) {
                snprintf(buf, sizeof buf, "HOME=%s", cred.home);
                if ((r = strv_env_set(&env, buf)) < 0)
                        return r;
                snprintf(buf, sizeof buf, "USER=%s", cred.user);
                if ((r = strv_env_set(&env, buf)) < 0)
                        return r;
                snprintf(buf, sizeof buf, "LOGNAME=%s", cred.user);
                if ((r = strv_env_set(&env, buf)) < 0)
                        return r;
                snprintf(buf, sizeof buf, "SHELL=%s", cred.shell);
                if ((r = strv_env_set(&env, buf)) < 0)
                        return r;
        }
        sp.envp = env;
        /* $VAR, ${VAR} and $$ in ExecStart=, from the worker's own environment. */
        r = exec_expand_env(c->exec_start, env, &argv);
        if (r < 0)
                return r;
        sp.argv = argv;

        sp.cgroup_fd = cgroup_fd;

        r = p->host->ops->spawn(p->host, &sp, &res);
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
        case NOTIFY_ACCESS_MAIN:
        case NOTIFY_ACCESS_EXEC:        /* no commands of the pool's own run in the leaf yet */
        default:
                return sender == w->pid;
        }
}

void worker_on_notify(Worker *w, const NotifyMessage *msg) {
        PoolConfig *c = w->pool->config;

        if (msg->has_status)
                memcpy(w->status_text, msg->status, sizeof w->status_text);

        if (msg->ready && w->state == WORKER_STARTING && c->type == POOL_TYPE_NOTIFY) {
                pool_log_event(w->pool, w, LOG_INFO, MESSAGE_ID_WORKER_READY, NULL,
                               "Pool %s: worker %" PRIu64 " (pid %d) is ready.", w->pool->name, w->id,
                               (int) w->pid);
                worker_became_ready(w);
        }
        if (msg->watchdog && (w->state == WORKER_IDLE || w->state == WORKER_BUSY) &&
            c->watchdog_usec > 0) {
                w->last_watchdog_mono = now_mono(w);
                (void) worker_arm_timer(w, c->watchdog_usec);
        }
        if (msg->watchdog_trigger && (w->state == WORKER_IDLE || w->state == WORKER_BUSY))
                worker_stop(w, KILL_CAUSE_WATCHDOG_TRIGGER);
        if (msg->busy == 1 && w->state == WORKER_IDLE) {
                worker_enter(w, WORKER_BUSY);
                pool_autoscale(w->pool);
        } else if (msg->busy == 0 && w->state == WORKER_BUSY) {
                worker_enter(w, WORKER_IDLE);
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
        snprintf(w->status_text, sizeof w->status_text, "%s", s->status_text);

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
