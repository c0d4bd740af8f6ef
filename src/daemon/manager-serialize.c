/* SPDX-License-Identifier: MIT */
/* Re-exec without losing a worker: the state goes to a memfd as text lines,
 * the pidfds and the notify socket stay open across execve(), and the new
 * image takes every worker over (same pids, same cgroups; they are still our
 * children, so their exits are still ours to collect).
 *
 *   W1
 *   manager <next_worker_id> <notify_fd> <created_root> <original cgroup>
 *   lock <runtime lock fd> <cgroup root fd>   (both flock()ed: the instance lock)
 *   probe <ring buffer fd> <bss map fd> <link fd> <seq> <dropped>
 *   probe-entry <size> <hex>        (the fault probe's table; fault-probe.h)
 *   pool <name> <state> <wanted> <retired> <vacant> <restarts>
 *        <remove_when_stopped> <start_limit_begin> <start_limit_num> <rolling worker id>
 *   source <path> <text>            (the pool's config as parsed, in order)
 *   worker <id> <pid> <pidfd> <state> <started_at> <ready_at> <started_mono>
 *          <ready_mono> <streak> <cause> <cause_signal> <status> <timer_due_mono>
 *          <last_watchdog_mono> <idle_since_mono> <obsolete> <exec_failed>
 *          <exec_errno> <exec_step>
 *   pending <streak> <due_mono>
 *   exit <id> <pid> <started> <ready> <exited> <reason> <core> <code> <status>
 *        <action> <peak> <cpu> <evidence>
 *
 * Fields are separated by tabs; text fields escape \ tab and newline. The
 * source, worker, pending and exit lines belong to the pool line before
 * them. Fields after the first ones of a line are optional (an older image
 * wrote fewer): a pool without source lines is loaded from its files.
 *
 * What a re-exec keeps is what a reload keeps, and more: the configuration
 * that runs (not what is on disk now), each pool's state (a stop in progress
 * goes on stopping), every timer's due time (start, stop, watchdog, restart),
 * a rolling restart in progress, the start limit's window. */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "../classify/bpf/fault-probe.h"
#include "../shared/fd-util.h"
#include "../shared/log.h"
#include "../shared/strv.h"
#include "../spawn/spawn.h"
#include "manager.h"

#define SERIALIZE_MAGIC "W1"

static void put_text(FILE *f, const char *s) {
        for (; *s; s++)
                switch (*s) {
                case '\\':
                        fputs("\\\\", f);
                        break;
                case '\t':
                        fputs("\\t", f);
                        break;
                case '\n':
                        fputs("\\n", f);
                        break;
                default:
                        fputc(*s, f);
                }
}

static void get_text(char *s) {
        char *d = s;

        for (; *s; s++) {
                if (*s == '\\' && s[1]) {
                        s++;
                        *d++ = *s == 't' ? '\t' : *s == 'n' ? '\n' : *s;
                } else
                        *d++ = *s;
        }
        *d = 0;
}

static int fd_set_cloexec(int fd, bool cloexec) {
        int flags = fcntl(fd, F_GETFD);

        if (flags < 0)
                return -errno;
        flags = cloexec ? flags | FD_CLOEXEC : flags & ~FD_CLOEXEC;
        return fcntl(fd, F_SETFD, flags) < 0 ? -errno : 0;
}

/* The fds the next image inherits: every live worker's pidfd, the notify
 * socket, the fault probe's ring buffer, map and link (it stays attached). */
static void manager_set_inherit(Manager *m, bool inherit) {
        (void) fd_set_cloexec(m->notify_fd, !inherit);
        (void) fd_set_cloexec(m->runtime_lock_fd, !inherit);
        (void) fd_set_cloexec(m->cgroup_root_fd, !inherit);
        fault_probe_set_inherit(m->fault_probe, inherit);
        for (Pool *p = m->pools; p; p = p->next)
                for (Worker *w = p->workers; w; w = w->next)
                        if (w->pidfd >= 0)
                                (void) fd_set_cloexec(w->pidfd, !inherit);
}

static int manager_serialize(Manager *m, int *ret_fd) {
        _cleanup_(closep) int fd = -EBADF;
        FILE *f;
        int r;

        fd = memfd_create("workerpoold-state", 0);   /* inherited on purpose */
        if (fd < 0)
                return -errno;
        f = fdopen(dup(fd), "w");
        if (!f)
                return -errno;

        fprintf(f, SERIALIZE_MAGIC "\n");
        fprintf(f, "manager\t%" PRIu64 "\t%d\t%d\t", m->next_worker_id, m->notify_fd,
                (int) m->created_root);
        put_text(f, m->original_cgroup ?: "");
        fputc('\n', f);
        fprintf(f, "lock\t%d\t%d\n", m->runtime_lock_fd, m->cgroup_root_fd);
        if (m->fault_probe)
                (void) fault_probe_serialize(m->fault_probe, f);
        for (Pool *p = m->pools; p; p = p->next) {
                fprintf(f, "pool\t%s\t%d\t%" PRIu32 "\t%u\t%u\t%" PRIu64 "\t%d\t%" PRIu64 "\t%u\t%" PRIu64 "\n",
                        p->name, (int) p->state, p->n_wanted, p->n_retired, p->n_vacant, p->n_restarts,
                        (int) p->remove_when_stopped, p->start_limit.begin, p->start_limit.num,
                        p->rolling_worker ? p->rolling_worker->id : 0);
                for (char **src = p->config->sources; src && src[0] && src[1]; src += 2) {
                        fputs("source\t", f);
                        put_text(f, src[0]);
                        fputc('\t', f);
                        put_text(f, src[1]);
                        fputc('\n', f);
                }
                for (Worker *w = p->workers; w; w = w->next) {
                        int enabled = SD_EVENT_OFF;
                        uint64_t due = 0;

                        if (w->pidfd < 0 && w->state != WORKER_EXITED)
                                continue;
                        if (w->timer_source && sd_event_source_get_enabled(w->timer_source, &enabled) >= 0 &&
                            enabled != SD_EVENT_OFF)
                                (void) sd_event_source_get_time(w->timer_source, &due);
                        fprintf(f, "worker\t%" PRIu64 "\t%d\t%d\t%d\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64
                                   "\t%" PRIu64 "\t%u\t%d\t%d\t",
                                w->id, (int) w->pid, w->pidfd, (int) w->state, w->started_at, w->ready_at,
                                w->started_mono, w->ready_mono, w->restart_streak, (int) w->cause,
                                w->cause_signal);
                        put_text(f, w->status_text);
                        fprintf(f, "\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64 "\t%d\t%d\t%d\t", due,
                                w->last_watchdog_mono, w->idle_since_mono, (int) w->obsolete,
                                (int) w->exec_failed, w->exec_errno);
                        put_text(f, w->exec_step ?: "");
                        fputc('\n', f);
                }
                for (PendingRestart *pr = p->pending; pr; pr = pr->next) {
                        uint64_t due = 0;

                        (void) sd_event_source_get_time(pr->timer, &due);
                        fprintf(f, "pending\t%u\t%" PRIu64 "\n", pr->streak, due);
                }
                for (unsigned k = 0; k < p->history_n; k++) {
                        const ExitRecord *e = pool_history_get(p, k);

                        fprintf(f, "exit\t%" PRIu64 "\t%d\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64
                                   "\t%d\t%d\t%d\t%d\t%d\t%" PRIu64 "\t%" PRIu64 "\t",
                                e->worker_id, (int) e->pid, e->started_at, e->ready_at, e->exited_at,
                                (int) e->reason, (int) e->core_dumped, e->code, e->status,
                                (int) e->action, e->memory_peak, e->cpu_usec);
                        put_text(f, e->evidence);
                        fputc('\n', f);
                }
        }
        r = fflush(f) == 0 && !ferror(f) ? 0 : -EIO;
        fclose(f);
        if (r < 0)
                return r;
        if (lseek(fd, 0, SEEK_SET) < 0)
                return -errno;
        *ret_fd = TAKE_FD(fd);
        return 0;
}

int manager_reexecute(Manager *m) {
        _cleanup_(closep) int fd = -EBADF;
        _cleanup_(strv_freep) char **argv = NULL;
        char arg[64];
        int r;

        if (!m->argv || !m->argv[0])
                return -EINVAL;
        r = manager_serialize(m, &fd);
        if (r < 0)
                return log_error_errno(r, "Cannot serialize our state for re-exec: %m");

        /* Our argv without an old --deserialize, plus the new one. */
        for (char **a = m->argv; *a; a++)
                if (!strneq(*a, "--deserialize=", 14) && (r = strv_extend(&argv, *a)) < 0)
                        return log_oom();
        snprintf(arg, sizeof arg, "--deserialize=%d", fd);
        if (strv_extend(&argv, arg) < 0)
                return log_oom();

        log_info("Re-executing with %" PRIu64 " worker ids issued; every worker is kept.",
                 m->next_worker_id - 1);
        (void) sd_notify(false, "RELOADING=1\nSTATUS=Re-executing");
        manager_set_inherit(m, true);
        execv("/proc/self/exe", argv);
        r = -errno;
        manager_set_inherit(m, false);
        (void) sd_notify(false, "READY=1");
        return log_error_errno(r, "Cannot re-execute /proc/self/exe: %m");
}

typedef struct SerializedPool {
        char name[128];
        int state;
        uint32_t wanted;
        unsigned retired, vacant;
        uint64_t restarts;
        bool remove_when_stopped;
        usec_t start_limit_begin;
        unsigned start_limit_num;
        char **sources;                 /* owned: path, text, ... (source lines) */
} SerializedPool;

static int split_tabs(char *line, char **fields, int max) {
        int n = 0;

        for (char *p = line; p && n < max;) {
                fields[n++] = p;
                p = strchr(p, '\t');
                if (p)
                        *p++ = 0;
        }
        return n;
}

/* Restore one pool: create it from the configuration it ran (its source
 * lines; an older image wrote none: its files then), give it back its
 * counters and state, and no workers yet. */
static Pool *restore_pool(Manager *m, const SerializedPool *sp) {
        PoolConfig *c = NULL;
        char **errors = NULL;
        Pool *p = NULL;
        int r;

        if (sp->sources)
                r = config_load_pool_from_sources(sp->name, sp->sources, &m->config, &c, &errors);
        else
                r = config_load_pool(sp->name, (const char *const *) m->config_dirs, &m->config, &c, &errors);
        for (char **e = errors; e && *e; e++)
                log_error("%s", *e);
        strv_free(errors);
        if (r < 0) {
                log_error_errno(r, "Pool %s: cannot parse the configuration it ran%s, its workers end: %m",
                                sp->name, sp->sources ? "" : " (from its files)");
                return NULL;
        }
        r = pool_new(&m->host, c, &p);
        if (r < 0) {
                pool_config_free(c);
                log_error_errno(r, "Pool %s: cannot set up after re-exec: %m", sp->name);
                return NULL;
        }
        manager_link_pool(m, p);
        p->n_wanted = sp->wanted;
        p->n_retired = sp->retired;
        p->n_vacant = sp->vacant;
        p->n_restarts = sp->restarts;
        p->remove_when_stopped = sp->remove_when_stopped;
        p->start_limit.begin = sp->start_limit_begin;
        p->start_limit.num = sp->start_limit_num;
        /* A pool that was coming up or running is reconciled once its workers
         * are back (pool_start()); stopping, stopped and failed stay so. */
        p->state = sp->state == POOL_STOPPED || sp->state == POOL_FAILED || sp->state == POOL_STOPPING
                           ? (PoolState) sp->state : POOL_STARTING;
        return p;
}

static int read_full_fd(int fd, char **ret) {
        size_t size = 0, len = 0;
        char *buf = NULL;

        if (lseek(fd, 0, SEEK_SET) < 0)
                return -errno;
        for (;;) {
                ssize_t n;

                if (len + 4096 + 1 > size) {
                        char *b = realloc(buf, size = (size + 4096) * 2);

                        if (!b) {
                                free(buf);
                                return -ENOMEM;
                        }
                        buf = b;
                }
                n = read(fd, buf + len, size - len - 1);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        free(buf);
                        return -errno;
                }
                if (n == 0)
                        break;
                len += (size_t) n;
        }
        buf[len] = 0;
        *ret = buf;
        return 0;
}

/* The "probe" and "probe-entry" lines: take the attached fault probe over
 * (manager_fault_probe_setup() then loads none). On failure the next image
 * loads its own, as at a fresh start. */
static void manager_deserialize_probe(Manager *m) {
        _cleanup_(freep) char *line = NULL;
        unsigned n_entries = 0, n_dropped = 0;
        const char *s;
        int r;

        s = strstr(m->deserialize_buf, "\nprobe\t");
        if (!s)
                return;
        line = strndup(s + 7, strcspn(s + 7, "\n"));
        if (!line) {
                log_oom();
                return;
        }
        r = fault_probe_deserialize(line, &m->fault_probe);
        if (r < 0) {
                log_warning_errno(r, "Cannot take over the fault probe of the previous image, "
                                     "loading a new one: %m");
                return;
        }
        for (s = strstr(s, "\nprobe-entry\t"); s; s = strstr(s + 1, "\nprobe-entry\t")) {
                line = mfree(line);
                line = strndup(s + 13, strcspn(s + 13, "\n"));
                if (!line) {
                        log_oom();
                        break;
                }
                if (fault_probe_deserialize_entry(m->fault_probe, line) < 0)
                        n_dropped++;
                else
                        n_entries++;
        }
        m->fault_probe_taken_over = true;
        log_debug("Fault probe taken over from the previous image with %u processes' records%s.",
                  n_entries, n_dropped > 0 ? " (some from another table layout dropped)" : "");
}

/* First part, before the notify socket is set up: read the state and take
 * the manager line (the inherited notify socket). */
int manager_deserialize_begin(Manager *m) {
        char *nl;
        int r;

        r = read_full_fd(m->deserialize_fd, &m->deserialize_buf);
        m->deserialize_fd = safe_close(m->deserialize_fd);
        if (r < 0)
                return log_error_errno(r, "Cannot read the state of the previous image: %m");
        if (!strneq(m->deserialize_buf, SERIALIZE_MAGIC "\n", strlen(SERIALIZE_MAGIC) + 1))
                return log_error_errno(-EBADMSG, "The state of the previous image has an unknown format.");
        nl = strstr(m->deserialize_buf, "\nmanager\t");
        if (nl) {
                unsigned long long next = 0;
                int notify_fd = -1, created = 0;

                char orig[4096] = "";

                if (sscanf(nl + 9, "%llu\t%d\t%d\t%4095[^\n]", &next, &notify_fd, &created, orig) >= 3) {
                        get_text(orig);
                        /* where the first image came from, not supervisor/ */
                        if (orig[0] == '/') {
                                char *o = strdup(orig);

                                if (!o)
                                        return log_oom();
                                free(m->original_cgroup);
                                m->original_cgroup = o;
                        }
                        m->next_worker_id = MAX(m->next_worker_id, (uint64_t) next);
                        m->created_root = m->created_root || created;
                        if (notify_fd >= 0 && fcntl(notify_fd, F_GETFD) >= 0) {
                                m->notify_fd = notify_fd;
                                (void) fcntl(notify_fd, F_SETFD, FD_CLOEXEC);
                        }
                }
        }
        nl = strstr(m->deserialize_buf, "\nlock\t");
        if (nl) {
                int lock_fd = -1, root_fd = -1;

                /* Held all along: a second instance never got in between. */
                if (sscanf(nl + 6, "%d\t%d", &lock_fd, &root_fd) == 2) {
                        if (lock_fd >= 0 && fcntl(lock_fd, F_SETFD, FD_CLOEXEC) >= 0)
                                m->runtime_lock_fd = lock_fd;
                        if (root_fd >= 0 && fcntl(root_fd, F_SETFD, FD_CLOEXEC) >= 0)
                                m->cgroup_root_fd = root_fd;
                }
        }
        manager_deserialize_probe(m);
        return 0;
}

/* A pool line, then its source lines: the pool is created at its first
 * worker, pending or exit line, or at the next pool line (all its sources
 * are known by then). */
static Pool *flush_pool(Manager *m, SerializedPool *sp, bool *have, bool *skip) {
        Pool *p = NULL;

        if (*have) {
                p = restore_pool(m, sp);
                *skip = !p;
        }
        sp->sources = strv_free(sp->sources);
        *have = false;
        return p;
}

int manager_deserialize(Manager *m) {
        _cleanup_(freep) char *buf = TAKE_PTR(m->deserialize_buf);
        SerializedPool sp = {};
        char *line, *save = NULL;
        Pool *p = NULL;
        bool skip_pool = false, have_pool = false;
        unsigned n_workers = 0, n_lost = 0;
        uint64_t now = 0, rolling_id = 0;
        int r;

        if (!buf)
                return 0;
        (void) sd_event_now(m->event, CLOCK_MONOTONIC, &now);
        line = strtok_r(buf, "\n", &save);   /* the magic, checked */

        m->host.deserializing = true;
        for (line = strtok_r(NULL, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char *f[24];
                int n = split_tabs(line, f, 24);

                if (streq(f[0], "manager") || streq(f[0], "lock") || strneq(f[0], "probe", 5))
                        continue;   /* taken by manager_deserialize_begin() */
                if (streq(f[0], "source") && n >= 3 && have_pool) {
                        get_text(f[1]);
                        get_text(f[2]);
                        if (strv_extend(&sp.sources, f[1]) < 0 || strv_extend(&sp.sources, f[2]) < 0)
                                log_oom();
                        continue;
                }
                if (have_pool)
                        p = flush_pool(m, &sp, &have_pool, &skip_pool);
                if (streq(f[0], "pool") && n >= 7) {
                        sp = (SerializedPool) {
                                .state = atoi(f[2]),
                                .wanted = (uint32_t) strtoul(f[3], NULL, 10),
                                .retired = (unsigned) strtoul(f[4], NULL, 10),
                                .vacant = (unsigned) strtoul(f[5], NULL, 10),
                                .restarts = strtoull(f[6], NULL, 10),
                                .remove_when_stopped = n >= 8 && atoi(f[7]),
                                .start_limit_begin = n >= 9 ? strtoull(f[8], NULL, 10) : 0,
                                .start_limit_num = n >= 10 ? (unsigned) strtoul(f[9], NULL, 10) : 0,
                        };
                        snprintf(sp.name, sizeof sp.name, "%s", f[1]);
                        have_pool = true;
                        p = NULL;
                        /* resolved once the pool's workers are back */
                        rolling_id = n >= 11 ? strtoull(f[10], NULL, 10) : 0;
                } else if (streq(f[0], "worker") && n >= 13) {
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

                        get_text(f[12]);
                        snprintf(s.status_text, sizeof s.status_text, "%s", f[12]);
                        if (n >= 20) {
                                s.timer_due = strtoull(f[13], NULL, 10);
                                s.last_watchdog_mono = strtoull(f[14], NULL, 10);
                                s.idle_since_mono = strtoull(f[15], NULL, 10);
                                s.obsolete = atoi(f[16]);
                                s.exec_failed = atoi(f[17]);
                                s.exec_errno = atoi(f[18]);
                                get_text(f[19]);
                                s.exec_step = spawn_step_from_string(f[19]);
                        }
                        if (s.pidfd >= 0)
                                (void) fcntl(s.pidfd, F_SETFD, FD_CLOEXEC);
                        if (skip_pool || !p) {
                                safe_close(s.pidfd);
                                n_lost++;
                                continue;
                        }
                        r = worker_adopt(p, &s, &w);
                        if (r < 0) {
                                log_error_errno(r, "Pool %s: cannot take over worker %" PRIu64 " (pid %d): %m",
                                                p->name, s.id, (int) s.pid);
                                n_lost++;
                        } else {
                                n_workers++;
                                if (w && w->id == rolling_id)
                                        p->rolling_worker = w;
                        }
                } else if (streq(f[0], "pending") && n >= 3 && p && !skip_pool) {
                        uint64_t due = strtoull(f[2], NULL, 10);

                        (void) pool_restore_pending(p, (unsigned) strtoul(f[1], NULL, 10),
                                                    due > now ? due - now : 0);
                } else if (streq(f[0], "exit") && n >= 14 && p && !skip_pool) {
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

                        get_text(f[13]);
                        snprintf(e.evidence, sizeof e.evidence, "%s", f[13]);
                        pool_history_append(p, &e);
                }
        }
        if (have_pool)
                (void) flush_pool(m, &sp, &have_pool, &skip_pool);
        m->host.deserializing = false;

        /* Now that every worker is back: leaves nobody stands for end, and
         * each pool goes on from where it was. */
        for (Pool *q = m->pools; q; q = q->next) {
                pool_reap_unknown_workers(q);
                if (q->state == POOL_STARTING)
                        (void) pool_start(q);
                else
                        pool_update_state(q);
                pool_rolling_resume(q);
                pool_autoscale(q);
        }
        log_info("Re-executed: took over %u workers%s.", n_workers,
                 n_lost > 0 ? ", some were lost (see above)" : "");
        return 0;
}
