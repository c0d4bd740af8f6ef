/* SPDX-License-Identifier: MIT */
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "../shared/parse-util.h"
#include "../shared/log.h"
#include "../shared/strv.h"
#include "command.h"
#include "pool.h"

static const char *const pool_state_names[_POOL_STATE_MAX] = {
        [POOL_STARTING] = "starting", [POOL_RUNNING] = "running",
        [POOL_DEGRADED] = "degraded", [POOL_STOPPING] = "stopping",
        [POOL_STOPPED] = "stopped",   [POOL_FAILED] = "failed",
};

const char *pool_state_to_string(PoolState s) {
        if (s < 0 || s >= _POOL_STATE_MAX)
                return NULL;
        return pool_state_names[s];
}

void pool_limits_from_config(const PoolConfig *c, CgroupLimits *ret) {
        *ret = (CgroupLimits) {
                .memory_max = c->memory_max,
                .memory_high = c->memory_high,
                .memory_swap_max = c->memory_swap_max,
                .cpu_quota_per_sec_usec = c->cpu_quota_per_sec_usec,
                .cpu_weight = c->cpu_weight,
                .tasks_max = c->tasks_max,
        };
}

static unsigned pool_start_limit_burst(const Pool *p) {
        if (p->config->start_limit_burst > 0)
                return p->config->start_limit_burst;
        return 5 * MAX(p->n_wanted, 1u);
}

static int pool_alloc_rings(Pool *p) {
        unsigned hist = MAX(p->config->exit_history, 1u);   /* bounded by the parser */

        if (hist != p->history_size) {
                ExitRecord *h = calloc(hist, sizeof(ExitRecord));

                if (!h)
                        return -ENOMEM;
                /* keep the newest records */
                for (unsigned k = 0; p->history_n > hist && k < p->history_n - hist; k++)
                        free(((ExitRecord *) pool_history_get(p, k))->capture);
                for (unsigned k = p->history_n > hist ? p->history_n - hist : 0, j = 0;
                     k < p->history_n; k++, j++)
                        h[j] = *pool_history_get(p, k);
                p->history_n = MIN(p->history_n, hist);
                p->history_pos = p->history_n % hist;
                free(p->history);
                p->history = h;
                p->history_size = hist;
        }
        return 0;
}

int pool_new(PoolHost *h, PoolConfig *config, Pool **ret) {
        Pool *p;
        char name[96];
        unsigned stale = 0;
        int r;

        p = calloc(1, sizeof(*p));
        if (!p)
                return -ENOMEM;
        *p = (Pool) {
                .host = h,
                .cgroup_fd = -EBADF,
                .output_fds = { -EBADF, -EBADF },
                .state = POOL_STOPPED,
                .job = { .type = POOL_JOB_NONE },
                .n_wanted = config->workers,
                .config = config,
        };
        p->name = strdup(config->name);
        if (!p->name)
                goto fail_nomem;
        r = pool_alloc_rings(p);
        if (r < 0)
                goto fail;
        (void) pool_sandbox_prepare(p);   /* logs; a pool without its filter starts no worker */

        snprintf(name, sizeof name, "%s.pool", p->name);
        r = cgroup_create(h->cgroup_root_fd, name, true, &p->cgroup_fd);
        if (r < 0)
                goto fail;
        /* Leftovers of a previous instance that died without cleaning up:
         * unsupervised workers; end them, and free the names. */
        if (!h->deserializing) {
                r = cgroup_reap_children(p->cgroup_fd, ".worker", &stale);
                (void) cgroup_reap_children(p->cgroup_fd, POOL_COMMAND_LEAF_SUFFIX, NULL);
                if (r < 0)
                        log_warning_errno(r, "Pool %s: cannot remove every stale worker cgroup: %m", p->name);
                if (stale > 0)
                        log_warning("Pool %s: ended %u workers left by a previous instance.", p->name, stale);
        }
        r = cgroup_enable_controllers(p->cgroup_fd, h->controllers);
        if (r < 0)
                log_warning_errno(r, "Pool %s: cannot enable controllers: %m", p->name);

        p->announced = true;
        POOL_HOOK(h, pool_added, p);
        *ret = p;
        return 0;

fail_nomem:
        r = -ENOMEM;
fail:
        p->config = NULL;   /* not taken on failure */
        pool_free(p);
        return r;
}

_printf_(3, 4) static void pool_job_finish(Pool *p, const char *result, const char *format, ...);

static PendingRestart *pending_free(PendingRestart *pr) {
        Pool *p;

        if (!pr)
                return NULL;
        p = pr->pool;
        sd_event_source_disable_unref(pr->timer);
        if (pr->prev)
                pr->prev->next = pr->next;
        else
                p->pending = pr->next;
        if (pr->next)
                pr->next->prev = pr->prev;
        p->n_pending--;
        free(pr);
        return NULL;
}

Pool *pool_free(Pool *p) {
        PoolHost *h;
        char name[96];
        int r;

        if (!p)
                return NULL;
        h = p->host;
        pool_job_finish(p, "canceled", "the pool was removed");
        if (p->announced)
                POOL_HOOK(h, pool_freed, p);

        sd_event_source_disable_unref(p->rolling_source);
        sd_event_source_disable_unref(p->reconcile_source);
        sd_event_source_disable_unref(p->idle_timer);
        sd_event_source_disable_unref(p->start_retry_source);
        sd_event_source_disable_unref(p->job_source);
        while (p->pending)
                pending_free(p->pending);
        while (p->workers) {
                Worker *w = p->workers;

                /* Pools are freed stopped, but for an exit nobody asked for,
                 * which leaves the workers running (workerpoold(8)). */
                if (w->pidfd >= 0 && !h->abandon_workers)
                        (void) worker_kill_all(w);
                if (h->abandon_workers)
                        w->cgroup_created = false;
                worker_free(w);
        }
        while (p->graveyard) {
                Worker *w = p->graveyard;

                if (w->cgroup_created) {
                        r = cgroup_remove_recursive(p->cgroup_fd, w->cgroup_name);
                        if (r < 0)
                                log_warning_errno(r, "Pool %s: cannot remove cgroup %s, leaving it: %m",
                                                  p->name, w->cgroup_name);
                        w->cgroup_created = false;
                }
                worker_free(w);
        }
        if (p->cgroup_fd >= 0 && !h->abandon_workers) {
                safe_close(p->cgroup_fd);
                snprintf(name, sizeof name, "%s.pool", p->name);
                r = cgroup_remove_recursive(h->cgroup_root_fd, name);
                if (r < 0)
                        log_warning_errno(r, "Pool %s: cannot remove its cgroup: %m", p->name);
        } else
                safe_close(p->cgroup_fd);
        pool_commands_free(p);
        pool_sockets_close(p, !h->abandon_workers);
        output_pool_free(p);
        output_pool_close(p);
        pool_events_free(p);
        sd_event_source_disable_unref(p->reload_timer);
        for (unsigned k = 0; k < p->history_n; k++)
                free(((ExitRecord *) pool_history_get(p, k))->capture);
        free(p->last_hang_capture);
        pool_config_free(p->config);
        pool_sandbox_free(p);
        free(p->history);
        free(p->name);
        free(p);
        return NULL;
}

void pool_log_event(const Pool *p, const Worker *w, int level, const char *message_id, char *const *extra,
                    const char *format, ...) {
        char f[3][128], *fields[3 + 8];
        PoolEventType type;
        size_t n = 0;
        va_list ap;

        snprintf(f[0], sizeof f[0], "WORKERPOOL_POOL=%s", p->name);
        fields[n++] = f[0];
        if (w) {
                snprintf(f[1], sizeof f[1], "WORKERPOOL_WORKER=%" PRIu64, w->id);
                snprintf(f[2], sizeof f[2], "WORKERPOOL_PID=%d", (int) w->pid);
                fields[n++] = f[1];
                fields[n++] = f[2];
        }
        for (char *const *e = extra; e && *e && n < ELEMENTSOF(fields) - 1; e++)
                fields[n++] = *e;
        fields[n] = NULL;
        va_start(ap, format);
        (void) log_structva(level, 0, message_id, fields, format, ap);
        va_end(ap);

        /* A lifecycle event: kept and sent too, the same message and fields
         * (without the pool's and the worker's, which are columns). */
        type = pool_event_type_from_message_id(message_id);
        if (type >= 0 && level <= LOG_INFO) {
                _cleanup_(freep) char *text = NULL;

                va_start(ap, format);
                if (vasprintf(&text, format, ap) >= 0)
                        pool_event_record((Pool *) p, w, type, extra, text);
                va_end(ap);
        }
}

/* A state change, with why (may be NULL: nothing to say); the reason stays
 * until the next change (StateReason, STATUS=). */
_printf_(3, 4)
static void pool_set_state_why(Pool *p, PoolState s, const char *format, ...) {
        char why[sizeof p->state_reason] = "", f[sizeof why + 32];
        va_list ap;

        if (format) {
                va_start(ap, format);
                (void) vsnprintf(why, sizeof why, format, ap);
                va_end(ap);
        }
        if (p->state == s && streq(why, p->state_reason))
                return;
        snprintf(f, sizeof f, "WORKERPOOL_STATE_REASON=%s", why);
        pool_log_event(p, NULL, s == POOL_FAILED ? LOG_ERR : s == POOL_DEGRADED ? LOG_WARNING : LOG_INFO,
                       MESSAGE_ID_POOL_STATE, why[0] ? (char *const[]) { f, NULL } : NULL, "Pool %s: %s -> %s%s%s.",
                       p->name, pool_state_to_string(p->state), pool_state_to_string(s), why[0] ? ": " : "", why);
        snprintf(p->state_reason, sizeof p->state_reason, "%s", why);
        p->state = s;
        POOL_HOOK(p->host, pool_state_changed, p);
}

static void pool_set_state(Pool *p, PoolState s) {
        if (p->state == s)
                return;
        pool_set_state_why(p, s, NULL);
}

/* ---- jobs: what a caller asked for, until it is done --------------------- */

static uint32_t pool_target(const Pool *p);

static const char *const pool_job_names[_POOL_JOB_MAX] = {
        [POOL_JOB_START] = "start", [POOL_JOB_STOP] = "stop",
        [POOL_JOB_RESTART] = "restart", [POOL_JOB_SCALE] = "scale",
        [POOL_JOB_RELOAD] = "reload",
};

const char *pool_job_type_to_string(PoolJobType t) {
        return t >= 0 && t < _POOL_JOB_MAX ? pool_job_names[t] : NULL;
}

_printf_(3, 4)
static void pool_job_finish(Pool *p, const char *result, const char *format, ...) {
        char message[320] = "";
        PoolJob job = p->job;
        va_list ap;

        if (job.type == POOL_JOB_NONE)
                return;
        if (format) {
                va_start(ap, format);
                (void) vsnprintf(message, sizeof message, format, ap);
                va_end(ap);
        }
        p->job = (PoolJob) { .type = POOL_JOB_NONE };
        p->job_source = sd_event_source_disable_unref(p->job_source);
        p->reload_timer = sd_event_source_disable_unref(p->reload_timer);
        log_debug("Pool %s: %s job of %s: %s%s%s", p->name, pool_job_type_to_string(job.type), job.requester,
                  result, message[0] ? ": " : "", message);
        POOL_HOOK(p->host, job_done, p, pool_job_type_to_string(job.type), job.requester, result, message);
}

/* The job's end, if it has come: stop when every worker is gone; start,
 * restart and scale when the pool runs at its size with every worker ready
 * and none stopping (a rolling restart finished). */
static void pool_job_check(Pool *p) {
        bool settled = p->n_workers == p->n_active && p->n_ready == p->n_active && !p->rolling &&
                       p->n_rolling_new == 0;

        switch (p->job.type) {
        case POOL_JOB_STOP:
                if (p->state == POOL_STOPPED)
                        pool_job_finish(p, "done", NULL);
                break;
        case POOL_JOB_START:
        case POOL_JOB_RESTART:
        case POOL_JOB_SCALE:
                if (p->state == POOL_FAILED)
                        pool_job_finish(p, "failed", "the pool failed: %s", p->failure);
                else if (p->state == POOL_STOPPING || p->state == POOL_STOPPED)
                        pool_job_finish(p, "canceled", "the pool is stopping");
                else if (p->state == POOL_RUNNING && settled && p->n_active >= pool_target(p))
                        pool_job_finish(p, "done", NULL);
                break;
        case POOL_JOB_RELOAD:
                if (p->state == POOL_FAILED || p->state == POOL_STOPPING || p->state == POOL_STOPPED)
                        pool_job_finish(p, "canceled", "the pool is %s", pool_state_to_string(p->state));
                else if (p->n_reload_pending == 0)
                        pool_job_finish(p, "done", NULL);
                break;
        default:
                break;
        }
}

static int on_job_check(sd_event_source *s, void *userdata) {
        pool_job_check(userdata);
        return 0;
}

void pool_job_begin(Pool *p, PoolJobType type, const char *requester) {
        int r;

        /* One job per pool, as one per unit in systemd: a new one replaces
         * the one before. */
        pool_job_finish(p, "canceled", "replaced by a %s job", pool_job_type_to_string(type));
        p->job = (PoolJob) { .type = type };
        snprintf(p->job.requester, sizeof p->job.requester, "%s", requester ?: "");
        /* Checked once the caller has its reply (a job may be done already). */
        r = sd_event_add_defer(p->host->event, &p->job_source, on_job_check, p);
        if (r < 0) {
                pool_job_check(p);
                return;
        }
        (void) sd_event_source_set_description(p->job_source, "pool-job");
        (void) sd_event_source_set_priority(p->job_source, POOL_EVENT_PRIORITY_START);
        (void) sd_event_source_set_enabled(p->job_source, SD_EVENT_ONESHOT);
}

/* The reload job's limit: TimeoutStartSec= for RELOADING=1 ... READY=1. */
static int on_reload_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        Pool *p = userdata;
        char tb[64];
        uint64_t first = 0;

        for (Worker *w = p->workers; w; w = w->next)
                if (w->reload_pending) {
                        if (!first)
                                first = w->id;
                        w->reload_pending = false;
                }
        p->n_reload_pending = 0;
        if (p->job.type == POOL_JOB_RELOAD && first)
                pool_job_finish(p, "failed", "worker %" PRIu64 " did not say READY=1 within %s after %s", first,
                                format_timespan(tb, sizeof tb, p->config->timeout_start_usec),
                                signal_to_string(p->config->reload_signal) ?: "the signal");
        else
                pool_job_check(p);
        return 0;
}

int pool_reload_workers(Pool *p) {
        const PoolConfig *c = p->config;
        unsigned n = 0;
        int r;

        if (IN_SET(p->state, POOL_STOPPED, POOL_STOPPING, POOL_FAILED))
                return -ENOTCONN;
        for (Worker *w = p->workers; w; w = w->next) {
                if (!worker_is_ready(w))
                        continue;
                r = worker_kill(w, c->reload_signal);
                if (r < 0) {
                        log_warning_errno(r, "Pool %s: worker %" PRIu64 ": cannot send %s: %m", p->name, w->id,
                                          signal_to_string(c->reload_signal) ?: "?");
                        continue;
                }
                n++;
                if (c->type == POOL_TYPE_NOTIFY && !w->reload_pending) {
                        w->reload_pending = true;
                        w->reloading = false;
                        p->n_reload_pending++;
                }
        }
        log_info("Pool %s: %s sent to %u workers%s.", p->name, signal_to_string(c->reload_signal) ?: "?", n,
                 p->n_reload_pending > 0 ? ", waiting for RELOADING=1 ... READY=1" : "");
        if (p->n_reload_pending > 0 && p->job.type == POOL_JOB_RELOAD && config_usec_is_set(c->timeout_start_usec)) {
                p->reload_timer = sd_event_source_disable_unref(p->reload_timer);
                r = sd_event_add_time_relative(p->host->event, &p->reload_timer, CLOCK_MONOTONIC,
                                               c->timeout_start_usec, USEC_PER_MSEC, on_reload_timeout, p);
                if (r >= 0)
                        (void) sd_event_source_set_description(p->reload_timer, "pool-reload-timeout");
        }
        return (int) n;
}

int pool_freeze(Pool *p, bool freeze) {
        int r, n = 0;

        for (Worker *w = p->workers; w; w = w->next) {
                if (!worker_is_active(w))
                        continue;
                r = worker_freeze(w, freeze);
                if (r >= 0)
                        n++;
                else
                        log_warning_errno(r, "Pool %s: cannot %s worker %" PRIu64 ": %m", p->name,
                                          freeze ? "freeze" : "thaw", w->id);
        }
        return n;
}

/* A worker the job was waiting for died before it was ready. */
static void pool_job_worker_failed(Pool *p, const Worker *w, const ExitRecord *rec) {
        if ((p->job.type == POOL_JOB_START || p->job.type == POOL_JOB_RESTART || p->job.type == POOL_JOB_SCALE) &&
            w->ready_at == 0)
                pool_job_finish(p, "failed", "worker %" PRIu64 " exited before it was ready: %s (%s)", w->id,
                                exit_reason_to_string(rec->reason), rec->evidence);
}

/* How many workers the pool should have, live or waiting to restart:
 *
 *     target = n_wanted - (n_retired + n_vacant)   (+1 during a rolling restart)
 *
 * - n_wanted: Workers=, or the last Scale() or autoscaling decision.
 * - n_retired: slots whose worker exited with RestartPreventExitStatus=;
 *   refilled only when a stopped pool starts again.
 * - n_vacant: slots whose worker exited and Restart= said no, or whose
 *   restart could not even be created; refilled by Scale(), ResetFailed()
 *   or a start from stopped.
 * pool_reconcile() starts or stops workers until n_active + n_pending ==
 * target; pool_update_state() calls the pool running when n_ready reaches
 * it with nothing vacant; autoscale.c counts spare capacity from the same
 * counters (idle + starting + n_pending). Every counter is kept in O(1) by
 * worker_enter(), worker_free() and pool_on_worker_exit(): nothing walks
 * the workers to find them. */
static uint32_t pool_target(const Pool *p) {
        unsigned gone = p->n_retired + p->n_vacant;

        /* During a rolling restart one extra worker is on its way up. */
        return (p->n_wanted > gone ? p->n_wanted - gone : 0) + p->n_rolling_new;
}

static bool pool_start_retry_pending(const Pool *p);

void pool_update_state(Pool *p) {
        uint32_t target;

        POOL_HOOK(p->host, pool_changed, p);
        /* coalesced: one STATUS= update (and cleanup check) per loop iteration */
        p->host->ops->pools_changed(p->host);

        switch (p->state) {
        case POOL_STOPPING:
                if (p->n_workers == 0 && p->n_pending == 0 && !p->stop_post_running) {
                        /* ExecStopPost= once the last worker is gone. */
                        if (!p->stop_post_done) {
                                p->stop_post_done = true;
                                if (pool_run_stop_post(p) > 0) {
                                        p->stop_post_running = true;
                                        return;
                                }
                        }
                        pool_sockets_close(p, true);
                        output_pool_flush(p);   /* the last lines without their newline */
                        pool_set_state_why(p, POOL_STOPPED, "%s", p->state_reason[0] ? p->state_reason : "");
                }
                pool_job_check(p);
                return;
        case POOL_STOPPED:
        case POOL_FAILED:
                pool_job_check(p);
                return;
        default:
                break;
        }

        /* Ended: every worker has terminated and none is due to come back
         * (retired, not restarted by Restart=): the pool stops, and says why. */
        target = pool_target(p);
        if (p->n_wanted > 0 && target == 0 && p->n_active == 0 && p->n_pending == 0 && p->n_rolling_new == 0 &&
            !p->start_pre_running && !pool_start_retry_pending(p)) {
                char why[sizeof p->state_reason];

                snprintf(why, sizeof why, "every worker has ended: %u retired, %u not restarted", p->n_retired,
                         p->n_vacant);
                pool_stop_why(p, why);
                return;
        }
        /* Degraded means below target for a reason: a failure (a vacant
         * slot, a restart waiting), or workers that cannot be created. A pool
         * that is only coming up, or growing, is not: it stays starting (or
         * running) until it is there, and a degraded one stays degraded
         * until it is whole again. */
        if (p->n_vacant > 0 || p->n_pending > 0 || pool_start_retry_pending(p))
                pool_set_state(p, POOL_DEGRADED);
        else if (p->n_ready >= target)
                pool_set_state(p, POOL_RUNNING);
        pool_job_check(p);
}

#define POOL_START_RETRY_MIN (1 * USEC_PER_SEC)
#define POOL_START_RETRY_MAX (60 * USEC_PER_SEC)

static void pool_reconcile(Pool *p);

static int on_start_retry(sd_event_source *s, uint64_t usec, void *userdata) {
        pool_reconcile(userdata);
        return 0;
}

/* A worker could not even be created (out of fds, memory, pids; a user that
 * does not resolve): the pool is short. Say so and why, and try again with
 * backoff; the slot is not given up (the target stays). */
static void pool_start_failed(Pool *p, int error) {
        char tb[64];
        int r;

        p->start_retry_delay = p->start_retry_delay == 0 ? POOL_START_RETRY_MIN
                                                          : MIN(p->start_retry_delay * 2, POOL_START_RETRY_MAX);
        log_error_errno(error, "Pool %s: %u of %" PRIu32 " workers running; cannot start more (%m%s), "
                        "retrying in %s.", p->name, p->n_active, pool_target(p),
                        error == -EMFILE ? ": raise the daemon's LimitNOFILE=" : "",
                        format_timespan(tb, sizeof tb, p->start_retry_delay));
        if (!p->start_retry_source) {
                r = sd_event_add_time_relative(p->host->event, &p->start_retry_source, CLOCK_MONOTONIC,
                                               p->start_retry_delay, USEC_PER_MSEC, on_start_retry, p);
                if (r < 0) {
                        log_error_errno(r, "Pool %s: cannot schedule a retry: %m", p->name);
                        return;
                }
                (void) sd_event_source_set_description(p->start_retry_source, "pool-start-retry");
                (void) sd_event_source_set_priority(p->start_retry_source, POOL_EVENT_PRIORITY_START);
                return;
        }
        (void) sd_event_source_set_time_relative(p->start_retry_source, p->start_retry_delay);
        (void) sd_event_source_set_enabled(p->start_retry_source, SD_EVENT_ONESHOT);
}

static bool pool_start_retry_pending(const Pool *p) {
        int enabled = SD_EVENT_OFF;

        return p->start_retry_source && sd_event_source_get_enabled(p->start_retry_source, &enabled) >= 0 &&
               enabled != SD_EVENT_OFF;
}

/* The exit record of worker id, if the ring still has it. */
static ExitRecord *pool_history_find(Pool *p, uint64_t id) {
        for (unsigned k = p->history_n; k > 0; k--) {
                ExitRecord *rec = (ExitRecord *) pool_history_get(p, k - 1);

                if (rec->worker_id == id)
                        return rec;
        }
        return NULL;
}

/* One new worker (replacing worker `replaces`, 0: none); on failure the
 * pool retries (pool_start_failed()). */
static int pool_spawn(Pool *p, unsigned streak, uint64_t replaces) {
        _cleanup_(closep) int cgroup_fd = -EBADF;
        Worker *w = NULL;
        int r;

        r = worker_new(p, streak, &w, &cgroup_fd);
        if (r >= 0) {
                w->replaces = replaces;
                if (replaces > 0) {
                        Worker *old = idmap_get(&p->host->workers, replaces);
                        ExitRecord *rec = pool_history_find(p, replaces);

                        if (old)
                                old->successor = w->id;
                        if (rec && rec->successor == 0)
                                rec->successor = w->id;
                }
                r = worker_start(w, cgroup_fd);
                if (r < 0)
                        worker_free(w);
        }
        if (r < 0) {
                pool_start_failed(p, r);
                return r;
        }
        if (p->start_retry_delay > 0 && !pool_start_retry_pending(p)) {
                log_info("Pool %s: workers start again.", p->name);
                p->start_retry_delay = 0;
        }
        return 0;
}

#define POOL_SPAWN_BATCH 32u

static void pool_schedule_reconcile(Pool *p);

/* Start or stop workers until active + pending == target. Excess goes
 * newest-pending first, then starting, then idle, busy last. */
static void pool_reconcile(Pool *p) {
        uint32_t target = pool_target(p);
        unsigned have = p->n_active + p->n_pending;

        if (p->state == POOL_STOPPING || p->state == POOL_STOPPED || p->start_pre_running)
                return;

        while (have > target && p->pending) {
                pending_free(p->pending);
                have--;
        }
        for (int k = 0; have > target && k < 4; k++)
                for (Worker *w = p->workers, *next; w && have > target; w = next) {
                        static const WorkerState order[4] = { WORKER_STARTING, WORKER_IDLE, WORKER_WAITING,
                                                              WORKER_BUSY };

                        next = w->next;
                        if (w->state != order[k])
                                continue;
                        worker_stop(w, KILL_CAUSE_STOP);
                        have--;
                }

        if (p->state == POOL_FAILED)
                return;
        /* Start at most a batch per loop iteration, so that exits, notify
         * messages and bus calls are served while a big pool comes up. */
        for (unsigned k = 0; have < target && !pool_start_retry_pending(p); k++) {
                if (k == POOL_SPAWN_BATCH) {
                        pool_schedule_reconcile(p);
                        break;
                }
                if (pool_spawn(p, 0, 0) < 0)
                        break;   /* logged; retried with backoff */
                have++;
        }
        pool_update_state(p);
}

static int on_reconcile(sd_event_source *s, void *userdata) {
        pool_reconcile(userdata);
        return 0;
}

static void pool_schedule_reconcile(Pool *p) {
        int r;

        if (!p->reconcile_source) {
                r = sd_event_add_defer(p->host->event, &p->reconcile_source, on_reconcile, p);
                if (r < 0) {
                        log_oom();
                        return;
                }
                (void) sd_event_source_set_description(p->reconcile_source, "pool-reconcile");
                (void) sd_event_source_set_priority(p->reconcile_source, POOL_EVENT_PRIORITY_START);
        }
        (void) sd_event_source_set_enabled(p->reconcile_source, SD_EVENT_ONESHOT);
}

static bool pool_owns_leaf(const char *name, void *userdata) {
        Pool *p = userdata;

        for (Worker *w = p->workers; w; w = w->next)
                if (streq(w->cgroup_name, name))
                        return true;
        return false;
}

static bool pool_owns_command_leaf(const char *name, void *userdata) {
        return pool_commands_owns_leaf(userdata, name);
}

void pool_reap_unknown_workers(Pool *p) {
        unsigned n = 0;

        (void) cgroup_reap_children_except(p->cgroup_fd, ".worker", pool_owns_leaf, p, &n);
        /* and commands (ExecStartPre=, ExecStopPost=) nobody runs any more */
        (void) cgroup_reap_children_except(p->cgroup_fd, POOL_COMMAND_LEAF_SUFFIX, pool_owns_command_leaf, p, NULL);
        if (n > 0)
                log_warning("Pool %s: ended %u workers nobody knew about.", p->name, n);
}

int pool_start(Pool *p) {
        char why[sizeof p->failure];
        int r;

        if (p->state == POOL_STOPPING)
                return -EBUSY;
        if (p->state == POOL_FAILED)
                return -EHOSTDOWN;
        /* Start fills every vacant slot, as it starts a stopped pool (a
         * retired one stays so: ResetFailed or a stop and start refill it). */
        p->n_vacant = 0;
        if (p->state == POOL_STOPPED) {
                p->n_retired = 0;
                p->n_protocol_violations = 0;
                p->stop_post_done = false;
                pool_set_state(p, POOL_STARTING);
                /* The sockets first, as a socket unit before its service. */
                if (pool_sockets_open(p) < 0)
                        return 0;       /* failed, and said why (the job says it too) */
                if (output_pool_open(p, true, why, sizeof why) < 0) {
                        pool_fail(p, why);
                        return 0;
                }
                if ((p->config->memory_recycle != CGROUP_LIMIT_MAX || p->config->memory_recycle_high) &&
                    !(p->host->controllers & CGROUP_MASK(CGROUP_CONTROLLER_MEMORY)))
                        log_warning("Pool %s: MemoryRecycle= is not enforced: no memory controller.", p->name);
                /* ExecStartPre= first: no worker until every command is done. */
                r = pool_run_start_pre(p);
                if (r > 0) {
                        p->start_pre_running = true;
                        return 0;
                }
                if (r < 0) {
                        pool_start_pre_done(p, r, "ExecStartPre= could not be started");
                        return 0;
                }
        }
        pool_reconcile(p);
        pool_autoscale(p);
        return 0;
}

void pool_start_pre_done(Pool *p, int r, const char *why) {
        p->start_pre_running = false;
        if (p->state != POOL_STARTING)
                return;         /* stopped meanwhile */
        if (r < 0) {
                pool_fail(p, why ?: "ExecStartPre= failed");
                /* As systemd: ExecStopPost= runs after a failed start too. */
                if (!p->stop_post_done) {
                        p->stop_post_done = true;
                        if (pool_run_stop_post(p) > 0)
                                p->stop_post_running = true;
                }
                pool_update_state(p);
                return;
        }
        pool_reconcile(p);
}

void pool_stop_post_done(Pool *p) {
        p->stop_post_running = false;
        pool_update_state(p);
}

void pool_stop_why(Pool *p, const char *why) {
        if (p->state == POOL_STOPPED)
                return;
        p->start_pre_running = false;   /* a stop ends ExecStartPre= (pool_run_stop_post() kills it) */
        pool_set_state_why(p, POOL_STOPPING, "%s", why ?: "");
        while (p->pending)
                pending_free(p->pending);
        for (Worker *w = p->workers; w; w = w->next)
                worker_stop(w, KILL_CAUSE_STOP);
        pool_update_state(p);
}

void pool_stop(Pool *p) {
        pool_stop_why(p, NULL);
}

void pool_fail(Pool *p, const char *why) {
        const PoolConfig *c = p->config;

        if (p->state == POOL_FAILED)
                return;         /* once: the first reason stays */

        snprintf(p->failure, sizeof p->failure, "%s", why);
        p->n_failures++;
        pool_set_state_why(p, POOL_FAILED, "%s", why);
        while (p->pending)
                pending_free(p->pending);
        /* FailureAction=: the seed's "PoolRunning -> Shutdown: Critical Error". */
        if (c->failure_action == FAILURE_ACTION_STOP_POOL || c->failure_action == FAILURE_ACTION_EXIT) {
                log_notice("Pool %s: FailureAction=%s, stopping its workers.", p->name,
                           failure_action_to_string(c->failure_action));
                for (Worker *w = p->workers; w; w = w->next)
                        worker_stop(w, KILL_CAUSE_STOP);
        }
        if (c->failure_action == FAILURE_ACTION_EXIT && p->host->ops->failure_exit)
                p->host->ops->failure_exit(p->host, p);
}

void pool_replace_worker(Pool *p, Worker *w) {
        if (IN_SET(p->state, POOL_STOPPING, POOL_STOPPED, POOL_FAILED))
                return;
        (void) pool_spawn(p, 0, w->id);         /* a failure is retried by the pool, as for any start */
}

int pool_scale(Pool *p, uint32_t n, const char *by) {
        char f[3][192];

        if (n < p->config->min_workers || n > pool_config_max_workers(p->config))
                return -ERANGE;
        snprintf(f[0], sizeof f[0], "WORKERPOOL_SCALE_FROM=%" PRIu32, p->n_wanted);
        snprintf(f[1], sizeof f[1], "WORKERPOOL_SCALE_TO=%" PRIu32, n);
        snprintf(f[2], sizeof f[2], "WORKERPOOL_SCALE_BY=%s", by ?: "");
        pool_log_event(p, NULL, LOG_INFO, MESSAGE_ID_SCALE, (char *const[]) { f[0], f[1], f[2], NULL },
                       "Pool %s: scaling from %" PRIu32 " to %" PRIu32 " workers (%s).", p->name, p->n_wanted, n,
                       by ?: "asked");
        return pool_scale_internal(p, n);
}

int pool_scale_internal(Pool *p, uint32_t n) {
        p->n_wanted = n;
        p->n_vacant = 0;
        (void) pool_alloc_rings(p);
        pool_reconcile(p);
        return 0;
}

usec_t pool_busy_usec(const Pool *p, usec_t now) {
        usec_t t = p->busy_usec;

        for (const Worker *w = p->workers; w; w = w->next)
                if (w->job_since_mono > 0 && now > w->job_since_mono)
                        t += now - w->job_since_mono;
        return t;
}

int pool_reset_failed(Pool *p) {
        /* As systemctl reset-failed, and more for a pool: the start limit is
         * forgotten, retired and vacant slots are cleared, and a pool that
         * is not stopped refills them. */
        p->start_limit = (RateLimit) {};
        p->n_vacant = p->n_retired = 0;
        if (p->state == POOL_FAILED)
                pool_set_state(p, POOL_STARTING);
        p->n_protocol_violations = 0;
        if (p->state != POOL_STOPPED && p->state != POOL_STOPPING)
                pool_reconcile(p);
        return 0;
}

int pool_reconfigure(Pool *p, PoolConfig *config, char **ret_error) {
        bool resources = pool_config_resources_changed(p->config, config);
        bool exec = pool_config_exec_changed(p->config, config);
        bool output = !output_spec_equal(&p->config->std_output, &config->std_output) ||
                      !output_spec_equal(&p->config->std_error, &config->std_error);
        uint32_t old_workers = p->config->workers;
        CgroupLimits limits;
        int r, ret = 0;

        /* Sockets first: if a new one cannot be opened, nothing changes. */
        r = pool_sockets_reconfigure(p, p->config, config, ret_error);
        if (r < 0) {
                pool_config_free(config);
                return r;
        }
        /* Workers hold the old set: a changed set needs new workers. */
        if (p->n_listen_fds > 0 && p->config->n_listen != config->n_listen)
                exec = true;
        for (size_t i = 0; !exec && i < config->n_listen && p->n_listen_fds > 0; i++)
                exec = !listen_spec_equal(&p->config->listen[i], &config->listen[i]);

        pool_config_free(p->config);
        p->config = config;
        (void) pool_alloc_rings(p);
        if (output && p->state != POOL_STOPPED) {
                char why[sizeof p->failure];

                /* new workers (the rolling restart below) write there */
                (void) output_pool_open(p, false, why, sizeof why);
        }
        (void) pool_sandbox_prepare(p);   /* logs; a pool without its filter starts no worker */

        if (resources) {
                pool_limits_from_config(config, &limits);
                for (Worker *w = p->workers; w; w = w->next) {
                        _cleanup_(closep) int cgroup_fd = -EBADF;

                        if (w->state == WORKER_EXITED)
                                continue;
                        cgroup_fd = worker_open_cgroup(w);
                        r = cgroup_fd < 0 ? cgroup_fd :
                            cgroup_apply_limits(cgroup_fd, p->host->controllers, &limits);
                        if (r < 0 && ret == 0)
                                ret = r;
                }
                if (ret < 0)
                        log_warning_errno(ret, "Pool %s: cannot apply every new limit to live workers: %m",
                                          p->name);
                else
                        log_info("Pool %s: new limits applied to %u live workers.", p->name,
                                 p->n_active);
        }
        /* A health check added, changed or removed applies from now. */
        for (Worker *w = p->workers; w; w = w->next)
                worker_health_update(w);
        if (exec && (p->state == POOL_RUNNING || p->state == POOL_DEGRADED ||
                     p->state == POOL_STARTING)) {
                log_info("Pool %s: the command line or its environment changed, rolling restart.",
                         p->name);
                (void) pool_restart(p);
        }
        if (config->workers != old_workers)
                (void) pool_scale(p, MIN(MAX(config->workers, config->min_workers), config->max_workers),
                                  "Workers= on reload");
        return 0;
}

static void pool_rolling_schedule(Pool *p);

void pool_on_worker_ready(Pool *p, Worker *w) {
        if (w->rolling_new) {
                Worker *old = NULL;

                /* The new one is up: retire one old worker, idle ones first;
                 * the new one replaces it. */
                for (Worker *o = p->workers; o; o = o->next)
                        if (o->obsolete && worker_is_active(o) &&
                            (!old || (worker_has_job(old) && !worker_has_job(o))))
                                old = o;
                w->rolling_new = false;
                p->n_rolling_new--;
                if (old) {
                        old->obsolete = false;
                        old->successor = w->id;
                        w->replaces = old->id;
                        worker_stop(old, KILL_CAUSE_STOP);
                }
                pool_rolling_schedule(p);
        }
        pool_update_state(p);
        pool_autoscale(p);
}

void pool_rolling_abort(Pool *p) {
        p->n_rolling_new = 0;
        p->rolling = false;
        for (Worker *o = p->workers; o; o = o->next)
                o->obsolete = o->rolling_new = false;
}

/* One step of a rolling restart: start new workers, RestartParallel= at a
 * time, while old ones are left; an old one stops once a new one is ready
 * (pool_on_worker_ready()): capacity never drops below N - RestartParallel=
 * ready, never below N - 1 by default. */
void pool_rolling_step(Pool *p) {
        unsigned left = 0, parallel = MAX(p->config->restart_parallel, 1u);
        int r;

        if (p->state == POOL_STOPPING || p->state == POOL_STOPPED || p->state == POOL_FAILED) {
                if (p->n_rolling_new == 0)
                        pool_rolling_abort(p);
                return;
        }
        for (Worker *o = p->workers; o; o = o->next)
                if (o->obsolete && worker_is_active(o))
                        left++;
        if (left == 0) {
                if (p->rolling && p->n_rolling_new == 0)
                        log_info("Pool %s: rolling restart done.", p->name);
                if (p->n_rolling_new == 0)
                        p->rolling = false;
                pool_update_state(p);
                return;
        }
        while (p->n_rolling_new < parallel) {
                left = 0;
                for (Worker *o = p->workers; o; o = o->next)
                        if (o->obsolete && worker_is_active(o))
                                left++;
                if (p->n_rolling_new >= left)
                        break;
                _cleanup_(closep) int cgroup_fd = -EBADF;
                Worker *w = NULL;

                r = worker_new(p, 0, &w, &cgroup_fd);
                if (r < 0) {
                        log_error_errno(r, "Pool %s: rolling restart: cannot create a worker: %m", p->name);
                        pool_rolling_abort(p);
                        return;
                }
                w->rolling_new = true;
                p->n_rolling_new++;
                r = worker_start(w, cgroup_fd);
                if (r < 0) {
                        log_error_errno(r, "Pool %s: rolling restart: cannot start a worker: %m", p->name);
                        worker_free(w);         /* (takes itself out of n_rolling_new) */
                        pool_rolling_abort(p);
                        return;
                }
        }
}

void pool_rolling_resume(Pool *p) {
        bool left = false;

        for (Worker *o = p->workers; o; o = o->next)
                left = left || (o->obsolete && worker_is_active(o));
        if (left && p->n_rolling_new == 0)
                pool_rolling_schedule(p);
}

static int on_rolling_step(sd_event_source *s, void *userdata) {
        pool_rolling_step(userdata);
        return 0;
}

/* Next step from the event loop, not from inside a worker callback. */
static void pool_rolling_schedule(Pool *p) {
        int r;

        if (!p->rolling_source) {
                r = sd_event_add_defer(p->host->event, &p->rolling_source, on_rolling_step, p);
                if (r < 0) {
                        log_oom();
                        pool_rolling_abort(p);
                        return;
                }
                (void) sd_event_source_set_description(p->rolling_source, "pool-rolling-restart");
                (void) sd_event_source_set_priority(p->rolling_source, POOL_EVENT_PRIORITY_START);
        }
        (void) sd_event_source_set_enabled(p->rolling_source, SD_EVENT_ONESHOT);
}

int pool_restart(Pool *p) {
        unsigned n = 0;

        if (p->state == POOL_STOPPED || p->state == POOL_STOPPING)
                return pool_start(p);
        if (p->state == POOL_FAILED)
                return -EHOSTDOWN;
        if (p->n_rolling_new > 0)
                return -EBUSY;
        for (Worker *w = p->workers; w; w = w->next)
                if (worker_is_active(w)) {
                        w->obsolete = true;
                        n++;
                }
        log_info("Pool %s: rolling restart of %u workers.", p->name, n);
        p->rolling = n > 0;
        /* A restart is a stop and a start: every slot is filled again. */
        p->n_vacant = p->n_retired = 0;
        pool_reconcile(p);
        pool_rolling_step(p);
        return 0;
}

int pool_kill_workers(Pool *p, int sig) {
        int r, ret = 0;
        unsigned n = 0;

        for (Worker *w = p->workers; w; w = w->next) {
                if (!worker_is_active(w))
                        continue;
                r = worker_kill_request(w, sig);
                if (r < 0 && ret == 0)
                        ret = r;
                else
                        n++;
        }
        return ret < 0 && n == 0 ? ret : (int) n;
}

int worker_restart(Worker *w) {
        Pool *p = w->pool;

        if (!worker_is_active(w))
                return -ESRCH;
        worker_stop(w, KILL_CAUSE_STOP);
        pool_reconcile(p);   /* the stopped one no longer counts: a new one starts */
        return 0;
}

static int on_pending_restart_now(sd_event_source *s, void *userdata) {
        PendingRestart *pr = userdata;
        Pool *p = pr->pool;
        unsigned streak = pr->streak;
        uint64_t replaces = pr->replaces;

        pending_free(pr);
        if (p->state == POOL_STOPPING || p->state == POOL_STOPPED || p->state == POOL_FAILED)
                return 0;
        if (p->n_active >= pool_target(p))
                return 0;   /* scaled down meanwhile */
        /* Could not even create it: the pool retries (the slot stays wanted). */
        (void) pool_spawn(p, streak, replaces);
        pool_update_state(p);
        return 0;
}

/* RestartSec= > 0: the same, from a timer. */
static int on_pending_restart(sd_event_source *s, uint64_t usec, void *userdata) {
        return on_pending_restart_now(s, userdata);
}

static int pool_schedule_restart(Pool *p, unsigned streak, usec_t delay, uint64_t replaces) {
        PendingRestart *pr;
        int r;

        pr = calloc(1, sizeof(*pr));
        if (!pr)
                return -ENOMEM;
        *pr = (PendingRestart) { .pool = p, .streak = streak, .replaces = replaces };
        /* RestartSec=0: on the next loop turn, without a timer (arming the
         * timerfd for "now" costs more than the rest of a restart in a VM).
         * Otherwise accuracy 1us: RestartSec= means what it says, not +250ms
         * of sd-event's default slack. A serialized defer source has no due
         * time: restored as due at once. */
        if (delay == 0)
                r = sd_event_add_defer(p->host->event, &pr->timer, on_pending_restart_now, pr);
        else
                r = sd_event_add_time_relative(p->host->event, &pr->timer, CLOCK_MONOTONIC, delay, 1,
                                               on_pending_restart, pr);
        if (r < 0) {
                free(pr);
                return r;
        }
        (void) sd_event_source_set_description(pr->timer, "pool-restart");
        (void) sd_event_source_set_priority(pr->timer, POOL_EVENT_PRIORITY_START);
        pr->next = p->pending;
        if (p->pending)
                p->pending->prev = pr;
        p->pending = pr;
        p->n_pending++;
        return 0;
}

ExitRecord *pool_history_append(Pool *p, const ExitRecord *e) {
        ExitRecord *rec = &p->history[p->history_pos];

        if (p->history_n == p->history_size)
                free(rec->capture);     /* the oldest goes */
        *rec = *e;
        p->history_pos = (p->history_pos + 1) % p->history_size;
        if (p->history_n < p->history_size)
                p->history_n++;
        return rec;
}

int pool_restore_pending(Pool *p, unsigned streak, usec_t delay, uint64_t replaces) {
        return pool_schedule_restart(p, streak, delay, replaces);
}

const ExitRecord *pool_history_get(const Pool *p, unsigned k) {
        unsigned first = (p->history_pos + p->history_size - p->history_n) % p->history_size;

        if (k >= p->history_n)
                return NULL;
        return &p->history[(first + k) % p->history_size];
}

usec_t now_realtime(void) {
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        return (usec_t) ts.tv_sec * USEC_PER_SEC + (usec_t) ts.tv_nsec / 1000;
}

void pool_on_worker_exit(Pool *p, Worker *w, const ExitInfo *i, uint64_t memory_peak, uint64_t cpu_usec) {
        PoolConfig *c = p->config;
        ExitVerdict v;
        ExitRecord *rec;
        char f[7][128], tbuf[64], sbuf[32], why[160];
        _cleanup_(freep) char *fcapture = NULL;
        bool stopping = p->state == POOL_STOPPING || p->state == POOL_STOPPED ||
                        w->cause == KILL_CAUSE_STOP || w->cause == KILL_CAUSE_STOP_TIMEOUT;
        usec_t now = 0;

        (void) sd_event_now(p->host->event, CLOCK_MONOTONIC, &now);
        /* The one decision: reason, evidence, action, delay. */
        exit_decide(i, &(ExitContext) {
                .config = c,
                .stopping = stopping,
                .pool_failed = p->state == POOL_FAILED,
                .was_ready = w->ready_at != 0,
                .was_busy = w->busy_at_exit,
                .protocol_violations = p->n_protocol_violations,
                .now = now,
                .ready_mono = w->ready_mono,
                .restart_streak = w->restart_streak,
                .start_limit_burst = pool_start_limit_burst(p),
                .start_limit = &p->start_limit,
        }, &v);

        /* The one record: what the bus, the CLI and the journal show. */
        rec = pool_history_append(p, &(ExitRecord) {
                .worker_id = w->id,
                .pid = w->pid,
                .started_at = w->started_at,
                .ready_at = w->ready_at,
                .exited_at = now_realtime(),
                .reason = v.reason,
                .core_dumped = v.core_dumped,
                .code = i->code,
                .status = i->status,
                .action = v.action,
                .memory_peak = memory_peak,
                .cpu_usec = cpu_usec,
                .replaces = w->replaces,
                .successor = w->successor,
                .jobs = w->jobs,
                .capture = w->hang_capture ? strdup(w->hang_capture) : NULL,
        });
        memcpy(rec->evidence, v.evidence, sizeof rec->evidence);
        if (v.reason >= 0 && v.reason < _EXIT_REASON_MAX)
                p->n_exits[v.reason]++;
        if (v.reason == EXIT_REASON_PROTOCOL)
                p->n_protocol_violations++;
        if (v.failure)
                p->n_unsuccessful++;
        POOL_HOOK(p->host, worker_exited, w, rec);
        if (!stopping && rec->reason != EXIT_REASON_STOPPED)
                pool_job_worker_failed(p, w, rec);
        if (w->rolling_new) {
                log_warning("Pool %s: the new worker %" PRIu64 " died before it was ready, "
                            "rolling restart abandoned.", p->name, w->id);
                pool_rolling_abort(p);
        }

        snprintf(f[0], sizeof f[0], "WORKERPOOL_REASON=%s", exit_reason_to_string(rec->reason));
        snprintf(f[1], sizeof f[1], "WORKERPOOL_ACTION=%s", exit_action_to_string(rec->action));
        snprintf(f[2], sizeof f[2], "EXIT_CODE=%s",
                 i->code == CLD_EXITED ? "exited" : i->code == CLD_DUMPED ? "dumped" : "killed");
        if (i->code == CLD_EXITED)
                snprintf(f[3], sizeof f[3], "EXIT_STATUS=%d", i->status);
        else
                snprintf(f[3], sizeof f[3], "EXIT_STATUS=%s", signal_to_string(i->status) ?: "?");
        snprintf(f[4], sizeof f[4], "WORKERPOOL_EVIDENCE=%.100s", rec->evidence);
        snprintf(f[5], sizeof f[5], "WORKERPOOL_JOBS=%" PRIu64, rec->jobs);
        if (rec->replaces > 0)
                snprintf(f[6], sizeof f[6], "WORKERPOOL_REPLACES=%" PRIu64, rec->replaces);
        else
                snprintf(f[6], sizeof f[6], "WORKERPOOL_REPLACES=");
        if (rec->capture && asprintf(&fcapture, "WORKERPOOL_HANG_CAPTURE=%s", rec->capture) < 0)
                fcapture = NULL;
        if (rec->action == EXIT_ACTION_RESTART)
                snprintf(sbuf, sizeof sbuf, "restart in %s", format_timespan(tbuf, sizeof tbuf, v.delay));
        else
                snprintf(sbuf, sizeof sbuf, "%s", exit_action_to_string(rec->action));
        pool_log_event(p, w, v.failure ? LOG_WARNING : LOG_INFO, MESSAGE_ID_WORKER_EXITED,
                       (char *const[]) { f[0], f[1], f[2], f[3], f[4], f[5], f[6], fcapture, NULL },
                       "Pool %s: worker %" PRIu64 " (pid %d) exited: %s (%s); action: %s.", p->name,
                       w->id, (int) w->pid, exit_reason_to_string(rec->reason), rec->evidence, sbuf);

        switch (rec->action) {
        case EXIT_ACTION_RESTART:
                p->n_restarts++;
                if (pool_schedule_restart(p, v.streak, v.delay, w->id) < 0) {
                        log_oom();
                        p->n_vacant++;
                }
                break;
        case EXIT_ACTION_RETIRE:
                p->n_retired++;
                break;
        case EXIT_ACTION_FAIL_POOL:
                if (v.pool_failure == EXIT_POOL_FAILURE_JOB_TIMEOUT)
                        snprintf(why, sizeof why, "worker %" PRIu64 " hung in a job (JobTimeoutAction=fail-pool)",
                                 w->id);
                else if (v.pool_failure == EXIT_POOL_FAILURE_PROTOCOL_LIMIT)
                        snprintf(why, sizeof why, "%u protocol violations (ProtocolViolationLimit=%u)",
                                 p->n_protocol_violations, c->protocol_violation_limit);
                else
                        snprintf(why, sizeof why, "start limit hit (%u restarts within %s)",
                                 pool_start_limit_burst(p),
                                 format_timespan(tbuf, sizeof tbuf, c->start_limit_interval_usec));
                log_error("Pool %s: %s, no more restarts until reset-failed.", p->name, why);
                pool_fail(p, why);
                break;
        case EXIT_ACTION_REPLACED:
                break;          /* its successor runs already */
        case EXIT_ACTION_NONE:
                if (!stopping && p->state != POOL_FAILED)
                        p->n_vacant++;
                break;
        default:
                break;
        }
        /* (the caller updates the pool's state once the leaf is dealt with) */
}
