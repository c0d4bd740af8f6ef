/* SPDX-License-Identifier: MIT */
/* A pool across a re-exec: it writes itself (pool, its config's sources, its
 * workers, pending restarts, exit history) as lines of the daemon's state
 * (src/daemon/manager-serialize.c has the whole format), and is restored
 * from them in the new image, taking its workers over by their inherited
 * pidfds. What it keeps is what a reload keeps, and more: the configuration
 * it ran, its state (a stop in progress goes on), every timer's due time,
 * a rolling restart, the start limit's window.
 *
 *   pool <name> <state> <wanted> <retired> <vacant> <restarts>
 *        <remove_when_stopped> <start_limit_begin> <start_limit_num> <rolling worker id>
 *        <recycled> <protocol_violations> <job_timeouts> <failures> <unsuccessful>
 *        <state_reason> <failure> <last_hang_capture>
 *   source <path> <text>
 *   worker <id> <pid> <pidfd> <state> <started_at> <ready_at> <started_mono>
 *          <ready_mono> <streak> <cause> <cause_signal> <status> <timer_due_mono>
 *          <last_watchdog_mono> <idle_since_mono> <obsolete> <exec_failed>
 *          <exec_errno> <exec_step> <jobs> <max_jobs> <replaces> <successor>
 *          <busy_used> <busy_since_mono> <recycle_due_mono> <frozen> <recycle_why>
 *          <cause_detail> <hang_capture> <memory_high_events> <reload_pending> <rolling_new>
 *          <job_since_mono>
 *   counters <jobs> <busy_usec> <reason>=<exits>,...   (Manager.GetMetrics' totals)
 *   event <seq> <at> <type> <worker> <pid> <message> <field>...   (the lifecycle ring, oldest first)
 *   listen <index> <fd>               (a [Socket] socket, inherited)
 *   output <read fd> <write fd> <journal>  (the carried output's socket pair, inherited)
 *   pending <streak> <due_mono> <replaces>
 *   exit <id> <pid> <started> <ready> <exited> <reason> <core> <code> <status>
 *        <action> <peak> <cpu> <evidence> <replaces> <successor> <jobs> <capture>
 *
 * Fields after the first ones of a line are optional (an older image wrote
 * fewer); a pool without source lines is loaded from its files. */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "../shared/log.h"
#include "../shared/serialize.h"
#include "../shared/strv.h"
#include "pool.h"

void pool_serialize(const Pool *p, FILE *f) {
        fprintf(f, "pool\t%s\t%d\t%" PRIu32 "\t%u\t%u\t%" PRIu64 "\t%d\t%" PRIu64 "\t%u\t%" PRIu64,
                p->name, (int) p->state, p->n_wanted, p->n_retired, p->n_vacant, p->n_restarts,
                (int) p->remove_when_stopped, p->start_limit.begin, p->start_limit.num,
                (uint64_t) 0);       /* (was: the rolling worker; now a flag of each worker) */
        fprintf(f, "\t%u\t%u\t%u\t%u\t%u\t", p->n_recycled, p->n_protocol_violations, p->n_job_timeouts,
                p->n_failures, p->n_unsuccessful);
        serialize_put_text(f, p->state_reason);
        fputc('\t', f);
        serialize_put_text(f, p->failure);
        fputc('\t', f);
        serialize_put_text(f, p->last_hang_capture ?: "");
        fputc('\n', f);
        for (char **src = p->config->sources; src && src[0] && src[1]; src += 2) {
                fputs("source\t", f);
                serialize_put_text(f, src[0]);
                fputc('\t', f);
                serialize_put_text(f, src[1]);
                fputc('\n', f);
        }
        pool_sockets_serialize(p, f);
        output_pool_serialize(p, f);
        fprintf(f, "counters\t%" PRIu64 "\t%" PRIu64 "\t", p->n_jobs, p->busy_usec);
        for (ExitReason r = 0; r < _EXIT_REASON_MAX; r++)
                fprintf(f, "%s%s=%" PRIu64, r > 0 ? "," : "", exit_reason_to_string(r), p->n_exits[r]);
        fputc('\n', f);
        for (unsigned k = 0; k < p->events_n; k++) {
                const PoolEvent *e = pool_event_get(p, k);
                int n = 0;

                fprintf(f, "event\t%" PRIu64 "\t%" PRIu64 "\t%s\t%" PRIu64 "\t%d\t", e->seq, (uint64_t) e->at,
                        pool_event_type_to_string(e->type), e->worker, (int) e->pid);
                serialize_put_text(f, e->message);
                for (const char *x = e->fields; *x && n < POOL_EVENT_SERIALIZE_FIELDS; x += strlen(x) + 1, n++) {
                        fputc('\t', f);
                        serialize_put_text(f, x);
                }
                fputc('\n', f);
        }
        for (Worker *w = p->workers; w; w = w->next)
                worker_serialize(w, f);
        for (PendingRestart *pr = p->pending; pr; pr = pr->next) {
                uint64_t due = 0;

                (void) sd_event_source_get_time(pr->timer, &due);
                fprintf(f, "pending\t%u\t%" PRIu64 "\t%" PRIu64 "\n", pr->streak, due, pr->replaces);
        }
        for (unsigned k = 0; k < p->history_n; k++) {
                const ExitRecord *e = pool_history_get(p, k);

                fprintf(f, "exit\t%" PRIu64 "\t%d\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64
                           "\t%d\t%d\t%d\t%d\t%d\t%" PRIu64 "\t%" PRIu64 "\t",
                        e->worker_id, (int) e->pid, e->started_at, e->ready_at, e->exited_at,
                        (int) e->reason, (int) e->core_dumped, e->code, e->status,
                        (int) e->action, e->memory_peak, e->cpu_usec);
                serialize_put_text(f, e->evidence);
                fprintf(f, "\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64 "\t", e->replaces, e->successor, e->jobs);
                serialize_put_text(f, e->capture ?: "");
                fputc('\n', f);
        }
}

void worker_serialize(const Worker *w, FILE *f) {
        int enabled = SD_EVENT_OFF;
        uint64_t due = 0;

        if (w->pidfd < 0 && w->state != WORKER_EXITED)
                return;
        if (w->timer_source && sd_event_source_get_enabled(w->timer_source, &enabled) >= 0 &&
            enabled != SD_EVENT_OFF)
                (void) sd_event_source_get_time(w->timer_source, &due);
        fprintf(f, "worker\t%" PRIu64 "\t%d\t%d\t%d\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64
                   "\t%" PRIu64 "\t%u\t%d\t%d\t",
                w->id, (int) w->pid, w->pidfd, (int) w->state, w->started_at, w->ready_at,
                w->started_mono, w->ready_mono, w->restart_streak, (int) w->cause, w->cause_signal);
        serialize_put_text(f, strempty(w->status_text));
        fprintf(f, "\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64 "\t%d\t%d\t%d\t", due, w->last_watchdog_mono,
                w->idle_since_mono, (int) w->obsolete, (int) w->exec_failed, w->exec_errno);
        serialize_put_text(f, w->exec_step ?: "");
        fprintf(f, "\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64
                   "\t%d\t",
                w->jobs, w->max_jobs, w->replaces, w->successor, w->busy_used, w->busy_since_mono,
                w->recycle_due_mono, (int) w->frozen);
        serialize_put_text(f, strempty(w->recycle_why));
        fputc('\t', f);
        serialize_put_text(f, strempty(w->cause_detail));
        fputc('\t', f);
        serialize_put_text(f, w->hang_capture ?: "");
        fprintf(f, "\t%" PRIu64 "\t%d\t%d\t%" PRIu64 "\n", w->memory_high_events, (int) w->reload_pending,
                (int) w->rolling_new, w->job_since_mono);
}

/* The pool from its "pool" line and its sources: the configuration it ran
 * (an older image wrote no sources: its files then), its counters and
 * state, no workers yet. */
static Pool *pool_restore(PoolHost *h, char **f, int n, char **sources) {
        PoolConfig *c = NULL;
        char **errors = NULL;
        const char *name = f[1];
        Pool *p = NULL;
        int state, r;

        if (sources)
                r = config_load_pool_from_sources(name, sources, h->defaults, &c, &errors);
        else
                r = config_load_pool(name, (const char *const *) h->config_dirs, h->defaults, &c, &errors);
        for (char **e = errors; e && *e; e++)
                log_error("%s", *e);
        strv_free(errors);
        if (r < 0) {
                log_error_errno(r, "Pool %s: cannot parse the configuration it ran%s, its workers end: %m",
                                name, sources ? "" : " (from its files)");
                return NULL;
        }
        r = pool_new(h, c, &p);
        if (r < 0) {
                pool_config_free(c);
                log_error_errno(r, "Pool %s: cannot set up after re-exec: %m", name);
                return NULL;
        }
        state = atoi(f[2]);
        p->n_wanted = (uint32_t) strtoul(f[3], NULL, 10);
        p->n_retired = (unsigned) strtoul(f[4], NULL, 10);
        p->n_vacant = (unsigned) strtoul(f[5], NULL, 10);
        p->n_restarts = strtoull(f[6], NULL, 10);
        p->remove_when_stopped = n >= 8 && atoi(f[7]);
        p->start_limit.begin = n >= 9 ? strtoull(f[8], NULL, 10) : 0;
        p->start_limit.num = n >= 10 ? (unsigned) strtoul(f[9], NULL, 10) : 0;
        /* A pool that was coming up or running is reconciled once its workers
         * are back (pool_start()); stopping, stopped and failed stay so. */
        p->state = state == POOL_STOPPED || state == POOL_FAILED || state == POOL_STOPPING
                           ? (PoolState) state : POOL_STARTING;
        if (n >= 19) {
                p->n_recycled = (unsigned) strtoul(f[11], NULL, 10);
                p->n_protocol_violations = (unsigned) strtoul(f[12], NULL, 10);
                p->n_job_timeouts = (unsigned) strtoul(f[13], NULL, 10);
                p->n_failures = (unsigned) strtoul(f[14], NULL, 10);
                p->n_unsuccessful = (unsigned) strtoul(f[15], NULL, 10);
                serialize_unescape(f[16]);
                snprintf(p->state_reason, sizeof p->state_reason, "%s", f[16]);
                serialize_unescape(f[17]);
                snprintf(p->failure, sizeof p->failure, "%s", f[17]);
                serialize_unescape(f[18]);
                if (f[18][0])
                        p->last_hang_capture = strdup(f[18]);
        }
        return p;
}

static void worker_restore(Pool *p, char **f, int n, uint64_t rolling_id, unsigned *n_adopted,
                           unsigned *n_lost) {
        WorkerSnapshot s = {
                .id = strtoull(f[1], NULL, 10),
                .pid = (pid_t) atoi(f[2]),
                .pidfd = atoi(f[3]),
                .state = (WorkerState) atoi(f[4]),
                .started_at = strtoull(f[5], NULL, 10),
                .ready_at = strtoull(f[6], NULL, 10),
                .started_mono = strtoull(f[7], NULL, 10),
                .ready_mono = strtoull(f[8], NULL, 10),
                .restart_streak = (unsigned) strtoul(f[9], NULL, 10),
                .cause = (KillCause) atoi(f[10]),
                .cause_signal = atoi(f[11]),
        };
        Worker *w = NULL;
        int r;

        serialize_unescape(f[12]);
        snprintf(s.status_text, sizeof s.status_text, "%s", f[12]);
        if (n >= 20) {
                s.timer_due = strtoull(f[13], NULL, 10);
                s.last_watchdog_mono = strtoull(f[14], NULL, 10);
                s.idle_since_mono = strtoull(f[15], NULL, 10);
                s.obsolete = atoi(f[16]);
                s.exec_failed = atoi(f[17]);
                s.exec_errno = atoi(f[18]);
                serialize_unescape(f[19]);
                s.exec_step = spawn_step_from_string(f[19]);
        }
        if (s.pidfd >= 0)
                (void) fcntl(s.pidfd, F_SETFD, FD_CLOEXEC);
        if (!p) {
                safe_close(s.pidfd);
                (*n_lost)++;
                return;
        }
        r = worker_adopt(p, &s, &w);
        if (r < 0) {
                log_error_errno(r, "Pool %s: cannot take over worker %" PRIu64 " (pid %d): %m", p->name, s.id,
                                (int) s.pid);
                (*n_lost)++;
                return;
        }
        (*n_adopted)++;
        if (w && n >= 33) {
                w->jobs = strtoull(f[20], NULL, 10);
                w->max_jobs = strtoull(f[21], NULL, 10);
                w->replaces = strtoull(f[22], NULL, 10);
                w->successor = strtoull(f[23], NULL, 10);
                w->busy_used = strtoull(f[24], NULL, 10);
                w->busy_since_mono = strtoull(f[25], NULL, 10);
                w->recycle_due_mono = strtoull(f[26], NULL, 10);
                w->frozen = atoi(f[27]);
                serialize_unescape(f[28]);
                (void) worker_set_text(&w->recycle_why, "%s", f[28]);
                serialize_unescape(f[29]);
                (void) worker_set_text(&w->cause_detail, "%s", f[29]);
                serialize_unescape(f[30]);
                if (f[30][0])
                        w->hang_capture = strdup(f[30]);
                w->memory_high_events = strtoull(f[31], NULL, 10);
                if (atoi(f[32]) && !w->reload_pending) {
                        w->reload_pending = true;
                        p->n_reload_pending++;
                }
        }
        if (w)
                worker_resume(w);
        if (w && n >= 35)
                w->job_since_mono = strtoull(f[34], NULL, 10);
        if (w && !w->rolling_new && (w->id == rolling_id || (n >= 34 && atoi(f[33])))) {
                w->rolling_new = true;
                p->n_rolling_new++;
        }
}

static void event_restore(Pool *p, char **f, int n) {
        char *fields[POOL_EVENT_SERIALIZE_FIELDS + 1];
        PoolEventType type = pool_event_type_from_string(f[3]);
        int k = 0;

        if (type < 0)
                return;
        for (int i = 7; i < n && k < POOL_EVENT_SERIALIZE_FIELDS; i++) {
                serialize_unescape(f[i]);
                fields[k++] = f[i];
        }
        fields[k] = NULL;
        serialize_unescape(f[6]);
        pool_event_restore(p, strtoull(f[1], NULL, 10), strtoull(f[2], NULL, 10), type, strtoull(f[4], NULL, 10),
                           (pid_t) atoi(f[5]), fields, f[6]);
}

static void counters_restore(Pool *p, char **f) {
        p->n_jobs = strtoull(f[1], NULL, 10);
        p->busy_usec = strtoull(f[2], NULL, 10);
        /* By name: a reason this image does not know is dropped. */
        for (char *s = f[3], *next; s && *s; s = next) {
                char *eq;
                ExitReason r;

                next = strchr(s, ',');
                if (next)
                        *next++ = '\0';
                eq = strchr(s, '=');
                if (!eq)
                        continue;
                *eq = '\0';
                r = exit_reason_from_string(s);
                if (r >= 0)
                        p->n_exits[r] = strtoull(eq + 1, NULL, 10);
        }
}

static void exit_restore(Pool *p, char **f, int n) {
        ExitRecord e = {
                .worker_id = strtoull(f[1], NULL, 10),
                .pid = (pid_t) atoi(f[2]),
                .started_at = strtoull(f[3], NULL, 10),
                .ready_at = strtoull(f[4], NULL, 10),
                .exited_at = strtoull(f[5], NULL, 10),
                .reason = (ExitReason) atoi(f[6]),
                .core_dumped = atoi(f[7]),
                .code = atoi(f[8]),
                .status = atoi(f[9]),
                .action = (ExitAction) atoi(f[10]),
                .memory_peak = strtoull(f[11], NULL, 10),
                .cpu_usec = strtoull(f[12], NULL, 10),
        };

        serialize_unescape(f[13]);
        snprintf(e.evidence, sizeof e.evidence, "%s", f[13]);
        if (n >= 18) {
                e.replaces = strtoull(f[14], NULL, 10);
                e.successor = strtoull(f[15], NULL, 10);
                e.jobs = strtoull(f[16], NULL, 10);
                serialize_unescape(f[17]);
                if (f[17][0])
                        e.capture = strdup(f[17]);
        }
        pool_history_append(p, &e);
}

Pool *pool_deserialize(PoolHost *h, char **lines, size_t n_lines, unsigned *n_adopted, unsigned *n_lost) {
        _cleanup_(strv_freep) char **sources = NULL;
        char *pool_fields[24], *f[48];
        uint64_t rolling_id = 0, now = 0;
        int n_pool = 0;
        Pool *p = NULL;
        size_t k = 1;

        if (n_lines == 0)
                return NULL;
        n_pool = serialize_split(lines[0], pool_fields, 24);
        if (n_pool < 7 || !streq(pool_fields[0], "pool"))
                return NULL;
        rolling_id = n_pool >= 11 ? strtoull(pool_fields[10], NULL, 10) : 0;
        (void) sd_event_now(h->event, CLOCK_MONOTONIC, &now);
        h->deserializing = true;        /* pool_new(): no stale-worker sweep, they are ours */

        for (; k < n_lines && strneq(lines[k], "source\t", 7); k++) {
                int n = serialize_split(lines[k], f, 3);

                if (n < 3)
                        continue;
                serialize_unescape(f[1]);
                serialize_unescape(f[2]);
                if (strv_extend(&sources, f[1]) < 0 || strv_extend(&sources, f[2]) < 0)
                        log_oom();
        }
        p = pool_restore(h, pool_fields, n_pool, sources);   /* NULL: its workers are closed below */

        for (; k < n_lines; k++) {
                int n = serialize_split(lines[k], f, 48);

                if (streq(f[0], "worker") && n >= 13)
                        worker_restore(p, f, n, rolling_id, n_adopted, n_lost);
                else if (streq(f[0], "pending") && n >= 3 && p) {
                        uint64_t due = strtoull(f[2], NULL, 10);

                        (void) pool_restore_pending(p, (unsigned) strtoul(f[1], NULL, 10),
                                                    due > now ? due - now : 0,
                                                    n >= 4 ? strtoull(f[3], NULL, 10) : 0);
                } else if (streq(f[0], "exit") && n >= 14 && p)
                        exit_restore(p, f, n);
                else if (streq(f[0], "output") && n >= 4) {
                        int rfd = atoi(f[1]), wfd = atoi(f[2]);

                        if (p)
                                output_pool_adopt(p, rfd, wfd, atoi(f[3]));
                        else {
                                safe_close(rfd);
                                safe_close(wfd);
                        }
                } else if (streq(f[0], "event") && n >= 7 && p)
                        event_restore(p, f, n);
                else if (streq(f[0], "counters") && n >= 4 && p)
                        counters_restore(p, f);
                else if (streq(f[0], "listen") && n >= 3) {
                        int fd = atoi(f[2]);

                        if (p)
                                pool_sockets_adopt(p, (size_t) strtoul(f[1], NULL, 10), fd);
                        else
                                safe_close(fd);
                }
        }
        h->deserializing = false;
        return p;
}

void pool_deserialize_resume(Pool *p) {
        pool_log_event(p, NULL, LOG_INFO, MESSAGE_ID_REEXEC, NULL,
                       "Pool %s: taken over by the re-executed daemon, %u workers.", p->name, p->n_workers);
        /* Every worker is back: leaves nobody stands for end, and the pool
         * goes on from where it was. */
        pool_reap_unknown_workers(p);
        (void) pool_sockets_resume(p);
        if (p->state != POOL_STOPPED) {
                char why[sizeof p->failure];

                (void) output_pool_open(p, false, why, sizeof why);
        }
        if (p->state == POOL_STARTING)
                (void) pool_start(p);
        else
                pool_update_state(p);
        pool_rolling_resume(p);
        pool_autoscale(p);
}
