/* SPDX-License-Identifier: MIT */
/* ExecHealthCheck=: a command run in a ready worker's own cgroup leaf, as
 * the worker (credentials, [Sandbox], environment, its private /tmp), like
 * a Kubernetes exec liveness probe. Docker's HEALTHCHECK timing: the first
 * probe HealthCheckIntervalSec= after the worker became ready, each next one
 * as long after the previous one ended, so there is never more than one per
 * worker. HealthCheckRetries= failures in a row (a timeout is one) replace
 * the worker. The count restarts with a re-exec (it is not serialized). */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "../shared/log.h"
#include "../shared/parse-util.h"
#include "child.h"
#include "health.h"
#include "pool.h"

#define HEALTH_OUTPUT_MAX 4096u         /* bytes of a probe's output kept (the first line is used) */

struct WorkerHealth {
        sd_event_source *timer;         /* owned: the next probe is due */
        PoolChild *probe;               /* owned: the probe running */
        unsigned failures;              /* in a row */
};

HealthVerdict health_check_count(unsigned *failures, bool passed, unsigned retries) {
        if (passed) {
                *failures = 0;
                return HEALTH_PASSED;
        }
        if (*failures < UINT_MAX)
                (*failures)++;
        return *failures >= MAX(retries, 1u) ? HEALTH_UNHEALTHY : HEALTH_FAILING;
}

pid_t worker_health_probe_pid(const Worker *w) {
        return w->health ? pool_child_pid(w->health->probe) : 0;
}

static bool health_wanted(const Worker *w) {
        return w->pool->config->exec_health_check && worker_is_ready(w) && !w->frozen;
}

/* Its main process is gone but its exit not handled yet (in the same loop
 * iteration): no probe, no count; the exit says what happened. */
static bool worker_main_exited(const Worker *w) {
        siginfo_t si = {};

        return w->pidfd < 0 ||
               (waitid(P_PIDFD, (id_t) w->pidfd, &si, WEXITED | WNOHANG | WNOWAIT) >= 0 && si.si_pid != 0);
}

/* No probe running or due (a probe is killed, its result not counted). */
static void health_stop(WorkerHealth *h) {
        h->probe = pool_child_free(h->probe);
        h->timer = sd_event_source_disable_unref(h->timer);
}

void worker_health_free(Worker *w) {
        if (!w->health)
                return;
        health_stop(w->health);
        w->health = mfree(w->health);
}

static int on_health_timer(sd_event_source *s, uint64_t usec, void *userdata);

static void health_arm(Worker *w) {
        usec_t interval = w->pool->config->health_check_interval_usec;
        int r;

        r = sd_event_add_time_relative(w->pool->host->event, &w->health->timer, CLOCK_MONOTONIC, interval,
                                       MAX(MIN(interval / 20, USEC_PER_SEC), 1), on_health_timer, w);
        if (r < 0) {
                log_warning_errno(r, "Pool %s: worker %" PRIu64 ": cannot schedule its health check: %m",
                                  w->pool->name, w->id);
                return;
        }
        (void) sd_event_source_set_description(w->health->timer, "health-check-timer");
}

/* One probe's outcome: counted, logged, and the worker replaced or the next
 * probe scheduled. */
static void health_record(Worker *w, bool passed, const char *what) {
        const PoolConfig *c = w->pool->config;
        WorkerHealth *h = w->health;
        unsigned before = h->failures;
        char detail[192];

        switch (health_check_count(&h->failures, passed, c->health_check_retries)) {
        case HEALTH_PASSED:
                if (before > 0)
                        pool_log_event(w->pool, w, LOG_INFO, MESSAGE_ID_HEALTH_CHECK, NULL,
                                       "Pool %s: worker %" PRIu64 " (pid %d): health check passed after %u "
                                       "failure%s.", w->pool->name, w->id, (int) w->pid, before,
                                       before == 1 ? "" : "s");
                break;
        case HEALTH_FAILING:
                pool_log_event(w->pool, w, LOG_WARNING, MESSAGE_ID_HEALTH_CHECK, NULL,
                               "Pool %s: worker %" PRIu64 " (pid %d): health check failed (%u of %u): %s.",
                               w->pool->name, w->id, (int) w->pid, h->failures, c->health_check_retries, what);
                break;
        case HEALTH_UNHEALTHY:
                pool_log_event(w->pool, w, LOG_WARNING, MESSAGE_ID_HEALTH_CHECK, NULL,
                               "Pool %s: worker %" PRIu64 " (pid %d): health check failed (%u of %u): %s; "
                               "replacing it.", w->pool->name, w->id, (int) w->pid, h->failures,
                               c->health_check_retries, what);
                snprintf(detail, sizeof detail, "health check failed %u time%s in a row: %s", h->failures,
                         h->failures == 1 ? "" : "s", what);
                /* It leaves the ready states: worker_health_update() stops
                 * the checks. Nothing of w is touched after. */
                worker_replace(w, KILL_CAUSE_UNHEALTHY, detail);
                return;
        }
        if (health_wanted(w) && !h->timer)
                health_arm(w);
}

static void on_probe_done(PoolChild *child, const PoolChildResult *r, void *userdata) {
        Worker *w = userdata;
        char what[192];
        bool passed;

        w->health->probe = pool_child_free(w->health->probe);
        if (worker_main_exited(w))
                return;
        passed = pool_child_result_describe(r, w->pool->config->health_check_timeout_usec, what, sizeof what);
        health_record(w, passed, what);
}

/* Frozen by someone else than us (w->frozen is ours): a child cloned into a
 * frozen cgroup would stop before exec, with the daemon waiting on its
 * vfork. */
static bool health_leaf_frozen(int cgroup_fd) {
        uint64_t v = 0;

        return cgroup_read_u64(cgroup_fd, "cgroup.freeze", &v) >= 0 && v != 0;
}

static void health_probe_start(Worker *w) {
        const PoolConfig *c = w->pool->config;
        _cleanup_(closep) int cgroup_fd = -EBADF;
        char mainpid[32], what[192];
        char *extra[] = { mainpid, NULL };
        int r;

        if (worker_main_exited(w))
                return;
        cgroup_fd = worker_open_cgroup(w);
        if (cgroup_fd < 0) {
                /* Its leaf is gone: it is on its way out, its exit will tell. */
                log_debug_errno(cgroup_fd, "Pool %s: worker %" PRIu64 ": no health check, cannot open its "
                                "cgroup: %m", w->pool->name, w->id);
                health_arm(w);
                return;
        }
        if (health_leaf_frozen(cgroup_fd)) {
                log_debug("Pool %s: worker %" PRIu64 " is frozen: health check skipped.", w->pool->name, w->id);
                health_arm(w);
                return;
        }
        /* systemd's name for the main process of the unit, as its control
         * processes get it. */
        snprintf(mainpid, sizeof mainpid, "MAINPID=%d", (int) w->pid);
        r = pool_child_spawn(w->pool->host, &(PoolChildParams) {
                .argv = c->exec_health_check,
                .envp = extra,
                .cgroup_fd = cgroup_fd,
                .worker = w,
                .timeout_usec = c->health_check_timeout_usec,
                .max_output = HEALTH_OUTPUT_MAX,
                .description = "health-check",
        }, on_probe_done, w, &w->health->probe);
        if (r < 0) {
                /* A probe that cannot even start (the leaf's pids.max, a
                 * user that is gone) is a failed probe. */
                snprintf(what, sizeof what, "could not run: %s", strerror(-r));
                health_record(w, false, what);
        }
}

static int on_health_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Worker *w = userdata;

        w->health->timer = sd_event_source_disable_unref(w->health->timer);
        if (health_wanted(w))
                health_probe_start(w);
        return 0;
}

void worker_health_update(Worker *w) {
        if (!health_wanted(w)) {
                if (w->health)
                        health_stop(w->health);
                return;
        }
        if (!w->health) {
                w->health = calloc(1, sizeof(*w->health));
                if (!w->health) {
                        log_oom();
                        return;
                }
        }
        if (!w->health->probe && !w->health->timer)
                health_arm(w);
}
