/* SPDX-License-Identifier: MIT */
/* Scaling=dynamic and Scaling=ondemand: the pool sizes itself from its
 * workers' busy/idle reports (X_WORKERPOOL_BUSY=), never scaling up while the
 * pool is under memory pressure (PSI) or past PoolMemoryMax=. Every decision
 * is logged with its cause (MESSAGE_ID_SCALE). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "../shared/parse-util.h"
#include "../shared/fd-util.h"
#include "../shared/log.h"
#include "pool.h"

/* "some avg10=12.34 ..." of the pool's memory.pressure, in percent. */
static double pool_memory_pressure(const Pool *p) {
        Pressure pr;

        if (cgroup_read_pressure(p->cgroup_fd, "memory.pressure", &pr) < 0 || !pr.have_some)
                return 0;
        return pr.some_avg10;
}

/* Why we may not grow, or NULL. */
static const char *pool_growth_blocked(const Pool *p, char *buf, size_t n) {
        const PoolConfig *c = p->config;
        uint64_t cur;
        double psi;

        if (p->n_wanted >= pool_config_max_workers(c))
                return "MaxWorkers= reached";
        psi = pool_memory_pressure(p);
        if (c->scaling_max_memory_pressure > 0 && psi > c->scaling_max_memory_pressure) {
                snprintf(buf, n, "memory pressure %.1f%% above ScalingMaxMemoryPressure=%u%%", psi,
                         c->scaling_max_memory_pressure);
                return buf;
        }
        if (c->pool_memory_max != CGROUP_LIMIT_MAX &&
            cgroup_read_u64(p->cgroup_fd, "memory.current", &cur) >= 0 && cur >= c->pool_memory_max) {
                char b1[64], b2[64];

                snprintf(buf, n, "pool memory %s at PoolMemoryMax=%s", format_bytes(b1, sizeof b1, cur),
                         format_bytes(b2, sizeof b2, c->pool_memory_max));
                return buf;
        }
        return NULL;
}

static void pool_scale_for(Pool *p, uint32_t n, const char *cause) {
        if (n == p->n_wanted)
                return;
        char f[3][192];

        snprintf(f[0], sizeof f[0], "WORKERPOOL_SCALE_FROM=%" PRIu32, p->n_wanted);
        snprintf(f[1], sizeof f[1], "WORKERPOOL_SCALE_TO=%" PRIu32, n);
        snprintf(f[2], sizeof f[2], "WORKERPOOL_SCALE_BY=Scaling=%s: %s", scaling_mode_to_string(p->config->scaling),
                 cause);
        pool_log_event(p, NULL, LOG_INFO, MESSAGE_ID_SCALE, (char *const[]) { f[0], f[1], f[2], NULL },
                       "Pool %s: %s scaling from %" PRIu32 " to %" PRIu32 " workers: %s.", p->name,
                       scaling_mode_to_string(p->config->scaling), p->n_wanted, n, cause);
        (void) pool_scale_internal(p, n);
}

static void pool_idle_timeouts(Pool *p, usec_t now);

static bool pool_idle_timer_armed(const Pool *p) {
        int enabled = SD_EVENT_OFF;

        return p->idle_timer && sd_event_source_get_enabled(p->idle_timer, &enabled) >= 0 &&
               enabled != SD_EVENT_OFF;
}

static int on_idle_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Pool *p = userdata;
        uint64_t now = 0;

        (void) sd_event_now(p->host->event, CLOCK_MONOTONIC, &now);
        pool_idle_timeouts(p, now);
        pool_autoscale(p);
        return 0;
}

/* Ondemand: stop workers idle for IdleTimeoutSec=, keep MinWorkers=; arm the
 * timer for the next one to expire. */
static void pool_idle_timeouts(Pool *p, usec_t now) {
        const PoolConfig *c = p->config;
        usec_t next = USEC_INFINITY;
        /* At least one: an ondemand pool without sockets learns of demand
         * only from its workers' busy reports, so at 0 it would never grow
         * again (it used to stop its last idle worker and start a new one
         * at once). With sockets it hears of a waiting connection itself
         * (pool_sockets_watch()): down to MinWorkers=, 0 included. */
        uint32_t keep = p->n_listen_fds > 0 ? c->min_workers : MAX(c->min_workers, 1u), stop = 0;
        int r;

        for (Worker *w = p->workers; w; w = w->next) {
                if (w->state != WORKER_IDLE)
                        continue;
                if (now - w->idle_since_mono >= c->idle_timeout_usec && p->n_wanted - stop > keep)
                        stop++;
                else
                        next = MIN(next, w->idle_since_mono + c->idle_timeout_usec);
        }
        if (stop > 0) {
                char cause[96], tb[64];

                snprintf(cause, sizeof cause, "%" PRIu32 " idle for %s", stop,
                         format_timespan(tb, sizeof tb, c->idle_timeout_usec));
                pool_scale_for(p, p->n_wanted - stop, cause);
        }
        if (next == USEC_INFINITY) {
                if (p->idle_timer)
                        (void) sd_event_source_set_enabled(p->idle_timer, SD_EVENT_OFF);
                return;
        }
        if (!p->idle_timer) {
                r = sd_event_add_time(p->host->event, &p->idle_timer, CLOCK_MONOTONIC, next, 1,
                                      on_idle_timer, p);
                if (r < 0)
                        return;
                (void) sd_event_source_set_description(p->idle_timer, "pool-idle-timeout");
        } else
                (void) sd_event_source_set_time(p->idle_timer, next);
        (void) sd_event_source_set_enabled(p->idle_timer, SD_EVENT_ONESHOT);
}

void pool_autoscale(Pool *p) {
        const PoolConfig *c = p->config;
        unsigned idle, starting, spare;
        const char *blocked;
        char buf[160], cause[96];
        usec_t now = 0;

        if (c->scaling == SCALING_STATIC || p->autoscaling ||
            (p->state != POOL_RUNNING && p->state != POOL_DEGRADED && p->state != POOL_STARTING))
                return;
        p->autoscaling = true;
        (void) sd_event_now(p->host->event, CLOCK_MONOTONIC, &now);

        idle = p->n_ready - p->n_busy;
        starting = p->n_active - p->n_ready;
        spare = idle + starting + p->n_pending;

        if (c->scaling == SCALING_DYNAMIC) {
                if (spare < c->min_idle_workers) {
                        uint32_t want = MIN(p->n_wanted + (c->min_idle_workers - spare), pool_config_max_workers(c));

                        blocked = pool_growth_blocked(p, buf, sizeof buf);
                        snprintf(cause, sizeof cause, "%u idle, MinIdleWorkers=%" PRIu32, idle,
                                 c->min_idle_workers);
                        if (blocked)
                                log_debug("Pool %s: would scale up (%s), but %s.", p->name, cause, blocked);
                        else
                                pool_scale_for(p, want, cause);
                } else if (idle > c->max_idle_workers && p->n_wanted > c->min_workers) {
                        uint32_t excess = idle - c->max_idle_workers;
                        uint32_t want = MAX(p->n_wanted > excess ? p->n_wanted - excess : 0, c->min_workers);

                        snprintf(cause, sizeof cause, "%u idle, MaxIdleWorkers=%" PRIu32, idle,
                                 c->max_idle_workers);
                        pool_scale_for(p, want, cause);
                }
        } else {        /* ondemand */
                if (spare == 0 && p->n_wanted < pool_config_max_workers(c) && (p->n_listen_fds == 0 || p->n_busy > 0)) {
                        blocked = pool_growth_blocked(p, buf, sizeof buf);
                        snprintf(cause, sizeof cause, "all %u workers busy", p->n_busy);
                        if (blocked)
                                log_debug("Pool %s: would scale up (%s), but %s.", p->name, cause, blocked);
                        else
                                pool_scale_for(p, p->n_wanted + 1, cause);
                }
                /* The scan is O(workers): only when some are idle and no
                 * timer is armed already (the timer rescans when it fires). */
                if (idle > 0 && !pool_idle_timer_armed(p))
                        pool_idle_timeouts(p, now);
                /* PHP-FPM's pm = ondemand: with no idle worker (none
                 * starting either), a connection waiting on a socket starts
                 * one. Watched only then: a busy pool's accept() is the
                 * workers' business. */
                pool_sockets_watch(p, p->n_listen_fds > 0 && idle + starting + p->n_pending == 0 &&
                                              p->n_wanted < pool_config_max_workers(c));
        }
        p->autoscaling = false;
}

void pool_autoscale_connection(Pool *p) {
        const PoolConfig *c = p->config;
        const char *blocked;
        char buf[160];

        if (c->scaling != SCALING_ONDEMAND || p->n_wanted >= pool_config_max_workers(c) ||
            (p->state != POOL_RUNNING && p->state != POOL_DEGRADED && p->state != POOL_STARTING))
                return;
        blocked = pool_growth_blocked(p, buf, sizeof buf);
        if (blocked) {
                log_debug("Pool %s: a connection is waiting, but %s.", p->name, blocked);
                return;
        }
        pool_scale_for(p, p->n_wanted + 1, "a connection is waiting and no worker is idle");
}
