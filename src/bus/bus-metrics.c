/* SPDX-License-Identifier: MIT */
/* Manager.GetMetrics(): every number that workerpoold-exporter and
 * `workerpoolctl metrics` show, in one reply, so that both print one
 * snapshot. Prometheus' conventions: the workerpool_ prefix, base units
 * (_seconds, _bytes), counters end in _total, labels pool, state, reason,
 * worker. The reply is a(sssa(a(ss)d)): per family its name, type ("gauge"
 * or "counter"), help text, and samples (labels, value). A value nobody can
 * know here (memory without the memory controller) has no sample, which is
 * Prometheus' "unknown". The text format is metrics_print() (bus-util.c). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "bus.h"
#include "../shared/macro.h"

static int family_open(sd_bus_message *m, const char *name, const char *type, const char *help) {
        int r;

        r = sd_bus_message_open_container(m, 'r', "sssa(a(ss)d)");
        if (r >= 0)
                r = sd_bus_message_append(m, "sss", name, type, help);
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'a', "(a(ss)d)");
        return r;
}

static int family_close(sd_bus_message *m) {
        int r = sd_bus_message_close_container(m);

        return r < 0 ? r : sd_bus_message_close_container(m);
}

/* One sample with up to two labels (k2 NULL: one; pool NULL: none). */
static int sample(sd_bus_message *m, const char *pool, const char *k2, const char *v2, double value) {
        int r;

        r = sd_bus_message_open_container(m, 'r', "a(ss)d");
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'a', "(ss)");
        if (r >= 0 && pool)
                r = sd_bus_message_append(m, "(ss)", "pool", pool);
        if (r >= 0 && k2)
                r = sd_bus_message_append(m, "(ss)", k2, v2);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r >= 0)
                r = sd_bus_message_append(m, "d", value);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        return r;
}

static const char *const pressures[] = { "cpu", "memory", "io" };

static int append_pressure(sd_bus_message *m, Manager *mgr, const char *resource, bool full) {
        char name[96], help[160];
        int r;

        snprintf(name, sizeof name, "workerpool_pool_pressure_%s_%s_seconds_total", resource,
                 full ? "stalled" : "waiting");
        snprintf(help, sizeof help, "Time some (waiting) or all (stalled) tasks of the pool were delayed on %s: "
                 "its cgroup's %s.pressure %s total.", resource, resource, full ? "full" : "some");
        r = family_open(m, name, "counter", help);
        for (Pool *p = mgr->pools; r >= 0 && p; p = p->next) {
                char file[32];
                Pressure pr = {};

                snprintf(file, sizeof file, "%s.pressure", resource);
                if (p->cgroup_fd < 0 || cgroup_read_pressure(p->cgroup_fd, file, &pr) < 0)
                        continue;
                if (full ? pr.have_full : pr.have_some)
                        r = sample(m, p->name, NULL, NULL, (double) (full ? pr.full_total : pr.some_total) / 1e6);
        }
        return r < 0 ? r : family_close(m);
}

int bus_method_get_metrics(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *mgr = userdata;
        sd_bus_message *reply = NULL;
        usec_t now = 0;
        int r;

        (void) sd_event_now(mgr->host.event, CLOCK_MONOTONIC, &now);
        r = sd_bus_message_new_method_return(msg, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(reply, 'a', "(sssa(a(ss)d))");

        if (r >= 0)
                r = family_open(reply, "workerpool_start_time_seconds", "gauge",
                                "When the daemon started (a re-exec keeps it), seconds since the epoch.");
        if (r >= 0)
                r = sample(reply, NULL, NULL, NULL, (double) mgr->start_time_usec / 1e6);
        if (r >= 0)
                r = family_close(reply);

        if (r >= 0)
                r = family_open(reply, "workerpool_pool_state", "gauge",
                                "1 for the state the pool is in, 0 for the others.");
        for (Pool *p = mgr->pools; r >= 0 && p; p = p->next)
                for (PoolState s = 0; r >= 0 && s < _POOL_STATE_MAX; s++)
                        r = sample(reply, p->name, "state", pool_state_to_string(s), p->state == s);
        if (r >= 0)
                r = family_close(reply);

        if (r >= 0)
                r = family_open(reply, "workerpool_workers", "gauge", "The pool's workers, by state.");
        for (Pool *p = mgr->pools; r >= 0 && p; p = p->next) {
                unsigned n[_WORKER_STATE_MAX] = {};

                for (Worker *w = p->workers; w; w = w->next)
                        if (w->state >= 0 && w->state < _WORKER_STATE_MAX)
                                n[w->state]++;
                for (WorkerState s = 0; r >= 0 && s < _WORKER_STATE_MAX; s++)
                        r = sample(reply, p->name, "state", worker_state_to_string(s), n[s]);
        }
        if (r >= 0)
                r = family_close(reply);

        if (r >= 0)
                r = family_open(reply, "workerpool_workers_wanted", "gauge",
                                "How many workers the pool keeps (Workers=, or the last scale).");
        for (Pool *p = mgr->pools; r >= 0 && p; p = p->next)
                r = sample(reply, p->name, NULL, NULL, p->n_wanted);
        if (r >= 0)
                r = family_close(reply);

        if (r >= 0)
                r = family_open(reply, "workerpool_exits_total", "counter",
                                "Worker exits, by the reason the daemon gave (workerpoold(8), EXIT REASONS).");
        for (Pool *p = mgr->pools; r >= 0 && p; p = p->next)
                for (ExitReason e = 0; r >= 0 && e < _EXIT_REASON_MAX; e++)
                        r = sample(reply, p->name, "reason", exit_reason_to_string(e), (double) p->n_exits[e]);
        if (r >= 0)
                r = family_close(reply);

        if (r >= 0)
                r = family_open(reply, "workerpool_restarts_total", "counter",
                                "Workers started again after an exit (Restart=).");
        for (Pool *p = mgr->pools; r >= 0 && p; p = p->next)
                r = sample(reply, p->name, NULL, NULL, (double) p->n_restarts);
        if (r >= 0)
                r = family_close(reply);

        if (r >= 0)
                r = family_open(reply, "workerpool_recycles_total", "counter",
                                "Workers replaced by MaxJobs=, RuntimeMaxSec= or MemoryRecycle=.");
        for (Pool *p = mgr->pools; r >= 0 && p; p = p->next)
                r = sample(reply, p->name, NULL, NULL, p->n_recycled);
        if (r >= 0)
                r = family_close(reply);

        if (r >= 0)
                r = family_open(reply, "workerpool_jobs_total", "counter",
                                "Jobs the pool's workers ended (X_WORKERPOOL_BUSY=1, then =0).");
        for (Pool *p = mgr->pools; r >= 0 && p; p = p->next)
                r = sample(reply, p->name, NULL, NULL, (double) p->n_jobs);
        if (r >= 0)
                r = family_close(reply);

        if (r >= 0)
                r = family_open(reply, "workerpool_busy_seconds_total", "counter",
                                "Time the pool's workers had a job (from BUSY=1 to the idle report, waiting "
                                "included), the jobs running now up to now.");
        for (Pool *p = mgr->pools; r >= 0 && p; p = p->next)
                r = sample(reply, p->name, NULL, NULL, (double) pool_busy_usec(p, now) / 1e6);
        if (r >= 0)
                r = family_close(reply);

        /* Per worker: the live ones (an exited one is in exits_total). */
        if (r >= 0)
                r = family_open(reply, "workerpool_worker_start_time_seconds", "gauge",
                                "When the worker started, seconds since the epoch.");
        for (Pool *p = mgr->pools; r >= 0 && p; p = p->next)
                for (Worker *w = p->workers; r >= 0 && w; w = w->next) {
                        char id[24];

                        if (w->state == WORKER_EXITED)
                                continue;
                        snprintf(id, sizeof id, "%" PRIu64, w->id);
                        r = sample(reply, p->name, "worker", id, (double) w->started_at / 1e6);
                }
        if (r >= 0)
                r = family_close(reply);

        for (int k = 0; r >= 0 && k < 2; k++) {
                BusCgroupCounter c = k == 0 ? BUS_CGROUP_MEMORY_CURRENT : BUS_CGROUP_CPU_USAGE_NSEC;

                r = k == 0 ? family_open(reply, "workerpool_worker_memory_bytes", "gauge",
                                         "The worker's memory (its cgroup's memory.current; no sample "
                                         "without the memory controller).")
                           : family_open(reply, "workerpool_worker_cpu_seconds_total", "counter",
                                         "CPU time of the worker's cgroup (cpu.stat usage_usec).");
                for (Pool *p = mgr->pools; r >= 0 && p; p = p->next)
                        for (Worker *w = p->workers; r >= 0 && w; w = w->next) {
                                _cleanup_(closep) int fd = -EBADF;
                                char id[24];
                                uint64_t v;

                                if (w->state == WORKER_EXITED)
                                        continue;
                                fd = worker_open_cgroup(w);
                                v = bus_cgroup_counter_read(fd, c);
                                if (v == UINT64_MAX)
                                        continue;
                                snprintf(id, sizeof id, "%" PRIu64, w->id);
                                r = sample(reply, p->name, "worker", id, k == 0 ? (double) v : (double) v / 1e9);
                        }
                if (r >= 0)
                        r = family_close(reply);
        }

        /* node_exporter's names: some is waiting, full is stalled. */
        for (size_t k = 0; r >= 0 && k < ELEMENTSOF(pressures); k++) {
                r = append_pressure(reply, mgr, pressures[k], false);
                if (r >= 0)
                        r = append_pressure(reply, mgr, pressures[k], true);
        }

        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r >= 0)
                r = sd_bus_send(NULL, reply, NULL);
        sd_bus_message_unref(reply);
        return r;
}
