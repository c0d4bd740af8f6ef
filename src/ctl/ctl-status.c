/* SPDX-License-Identifier: MIT */
/* How pools and workers are: status, show, cat, is-active and is-failed. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <systemd/sd-bus.h>

#include "../bus/bus-util.h"
#include "../shared/parse-util.h"
#include "../shared/string-util.h"
#include "../shared/strv.h"
#include "ctl.h"

/* ---- is-active, is-failed ------------------------------------------------ */

/* A pool's state in systemctl's words. "degraded" (up, some workers not
 * ready or restarting) is active: the pool runs and serves. */
static const char *active_state(const char *state) {
        static const struct {
                const char *state, *word;
        } map[] = {
                { "running", "active" },      { "degraded", "active" },    { "starting", "activating" },
                { "stopping", "deactivating" }, { "stopped", "inactive" }, { "failed", "failed" },
        };

        for (size_t i = 0; i < ELEMENTSOF(map); i++)
                if (streq(state, map[i].state))
                        return map[i].word;
        return "unknown";
}

/* is-active: 0 if every pool is active, 3 if one is not, 4 if one does not
 * exist; is-failed: 0 if one has failed, else 1. A pool that does not exist
 * is "inactive", as for systemctl. */
int verb_is_active(sd_bus *bus, char **args, int n) {
        bool failed_verb = streq(args[0], "is-failed"), all_active = true, any_failed = false, missing = false;

        for (int i = 1; i < n; i++) {
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
                _cleanup_(freep) char *state = NULL;
                sd_bus_error e = SD_BUS_ERROR_NULL;
                const char *word, *path;
                int r;

                r = sd_bus_call_method(bus, BUS_NAME, BUS_PATH, BUS_MANAGER_INTERFACE, "GetPool", &e, &reply, "s",
                                       args[i]);
                if (r >= 0)
                        r = sd_bus_message_read(reply, "o", &path);
                if (r >= 0)
                        r = sd_bus_get_property_string(bus, BUS_NAME, path, BUS_POOL_INTERFACE, "State", &e, &state);
                if (r < 0 && sd_bus_error_has_names(&e, BUS_ERROR_NO_SUCH_POOL, SD_BUS_ERROR_UNKNOWN_OBJECT)) {
                        word = "inactive";
                        missing = true;
                } else if (r < 0) {
                        char what[128];

                        snprintf(what, sizeof what, "get the state of pool %.64s", args[i]);
                        r = fail(&e, r, what);
                        sd_bus_error_free(&e);
                        return r;
                } else
                        word = active_state(state);
                sd_bus_error_free(&e);
                if (!streq(word, "active"))
                        all_active = false;
                if (streq(word, "failed"))
                        any_failed = true;
                if (!arg_quiet)
                        puts(word);
        }
        if (failed_verb)
                return any_failed ? EXIT_OK : EXIT_FAIL;
        return missing ? EXIT_NOT_FOUND : all_active ? EXIT_OK : EXIT_NOT_ACTIVE;
}

/* ---- show ------------------------------------------------------------------ */

/* As systemd's shell_maybe_quote(): words that a shell would split or
 * expand get double quotes. */
static void print_quoted(FILE *f, const char *s) {
        if (!isempty(s) && !s[strcspn(s, " \t\n\"\\`$*?[]'&;<>|()~#!{}")]) {
                fputs(s, f);
                return;
        }
        fputc('"', f);
        for (const char *p = s; *p; p++) {
                if (strchr("\"\\`$", *p))
                        fputc('\\', f);
                fputc(*p, f);
        }
        fputc('"', f);
}

static char *format_show_timestamp(char *buf, size_t n, uint64_t usec) {
        struct tm tm;
        time_t t = (time_t) (usec / USEC_PER_SEC);

        if (usec == 0 || usec == UINT64_MAX || !localtime_r(&t, &tm) ||
            strftime(buf, n, "%a %Y-%m-%d %H:%M:%S %Z", &tm) == 0)
                buf[0] = 0;
        return buf;
}

/* A number as systemctl shows it: its heuristics by name (times, time
 * spans, limits that are infinity, counters that are not known). */
static const char *format_show_u64(char *buf, size_t n, const char *name, uint64_t u) {
        static const char *const limits[] = { "MemoryMax", "MemoryHigh", "MemorySwapMax", "TasksMax", NULL };
        static const char *const counters[] = { "MemoryCurrent", "MemoryPeak", "TasksCurrent", "CPUWeight", NULL };

        if (endswith(name, "Timestamp") || endswith(name, "At"))
                return format_show_timestamp(buf, n, u);
        if (strstr(name, "USec"))
                return format_timespan(buf, n, u);
        for (size_t i = 0; u == UINT64_MAX && limits[i]; i++)
                if (streq(name, limits[i]))
                        return "infinity";
        for (size_t i = 0; u == UINT64_MAX && counters[i]; i++)
                if (streq(name, counters[i]))
                        return "[not set]";
        if (u == UINT64_MAX && endswith(name, "NSec"))
                return "[not set]";
        snprintf(buf, n, "%" PRIu64, u);
        return buf;
}

typedef struct ShowOut {
        FILE *json;                     /* NULL: NAME=VALUE lines */
        bool first;
        bool show_empty;
} ShowOut;

static void show_key(ShowOut *o, const char *name) {
        if (o->json) {
                fprintf(o->json, "%s", o->first ? "" : ",");
                json_fputs(o->json, name);
                fputc(':', o->json);
        } else if (!arg_value)
                printf("%s=", name);
        o->first = false;
}

static void show_value(ShowOut *o, const char *name, const char *v) {
        if (!o->show_empty && isempty(v))
                return;
        show_key(o, name);
        if (o->json) {
                if (isempty(v))
                        fputs("null", o->json);
                else
                        json_fputs(o->json, v);
        } else
                printf("%s\n", v);
}

/* A type we have no format for: as systemctl, named only when asked for. */
static int show_unprintable(sd_bus_message *m, const char *name, ShowOut *o) {
        if (o->show_empty)
                show_value(o, name, "[unprintable]");
        return sd_bus_message_skip(m, NULL);
}

/* Listen a(ss) (type, address), as systemctl shows a socket's: a line
 * "Listen=ADDRESS (TYPE)" each; in JSON objects with both. */
static int show_listen(sd_bus_message *m, const char *name, ShowOut *o) {
        const char *type, *address;
        bool any = false;
        int r;

        r = sd_bus_message_enter_container(m, 'a', "(ss)");
        while (r >= 0 && (r = sd_bus_message_read(m, "(ss)", &type, &address)) > 0) {
                if (o->json) {
                        if (!any)
                                show_key(o, name);
                        fprintf(o->json, "%s{", any ? "," : "[");
                        json_kv_str(o->json, "type", type, false);
                        json_kv_str(o->json, "address", address, true);
                        fputc('}', o->json);
                } else {
                        show_key(o, name);
                        printf("%s (%s)\n", address, type);
                }
                any = true;
        }
        if (r < 0)
                return r;
        if (o->json && (any || o->show_empty)) {
                if (!any)
                        show_key(o, name);
                fputs(any ? "]" : "[]", o->json);
        } else if (!o->json && !any && o->show_empty) {
                show_key(o, name);
                putchar('\n');
        }
        return sd_bus_message_exit_container(m);
}

/* One property at the variant; its type decides the format, as for systemctl
 * show: strings as they are (one with a newline "[unprintable]"), booleans
 * yes/no, numbers by name, arrays space-separated with shell quoting. */
static int show_property(sd_bus_message *m, const char *name, ShowOut *o) {
        const char *contents;
        char type, buf[128];
        int r;

        r = sd_bus_message_peek_type(m, NULL, &contents);
        if (r < 0)
                return r;
        r = sd_bus_message_enter_container(m, 'v', contents);
        if (r < 0)
                return r;
        r = sd_bus_message_peek_type(m, &type, &contents);
        if (r < 0)
                return r;
        switch (type) {
        case 's':
        case 'o':
        case 'g': {
                const char *s;

                r = sd_bus_message_read_basic(m, type, &s);
                if (r >= 0)
                        show_value(o, name, o->json || !strchr(s, '\n') ? s : "[unprintable]");
                break;
        }
        case 'b': {
                int b;

                r = sd_bus_message_read_basic(m, 'b', &b);
                if (r >= 0)
                        show_value(o, name, b ? "yes" : "no");
                break;
        }
        case 't': {
                uint64_t u;

                r = sd_bus_message_read_basic(m, 't', &u);
                if (r >= 0)
                        show_value(o, name, format_show_u64(buf, sizeof buf, name, u));
                break;
        }
        case 'u': {
                uint32_t u;

                r = sd_bus_message_read_basic(m, 'u', &u);
                if (r < 0)
                        break;
                if (u == UINT32_MAX && endswith(name, "MaxWorkers"))
                        snprintf(buf, sizeof buf, "infinity");
                else
                        snprintf(buf, sizeof buf, "%" PRIu32, u);
                show_value(o, name, buf);
                break;
        }
        case 'i': {
                int32_t i;

                r = sd_bus_message_read_basic(m, 'i', &i);
                if (r >= 0) {
                        snprintf(buf, sizeof buf, "%" PRIi32, i);
                        show_value(o, name, buf);
                }
                break;
        }
        case 'x': {
                int64_t i;

                r = sd_bus_message_read_basic(m, 'x', &i);
                if (r >= 0) {
                        snprintf(buf, sizeof buf, "%" PRIi64, i);
                        show_value(o, name, buf);
                }
                break;
        }
        case 'd': {
                double d;

                r = sd_bus_message_read_basic(m, 'd', &d);
                if (r >= 0) {
                        snprintf(buf, sizeof buf, "%g", d);
                        show_value(o, name, buf);
                }
                break;
        }
        case 'r':
                if (streq(contents, "dddt")) {
                        /* pressure: as the kernel's file says it */
                        double a, b, c;
                        uint64_t total;

                        r = sd_bus_message_read(m, "(dddt)", &a, &b, &c, &total);
                        if (r < 0)
                                break;
                        if (a < 0 || total == UINT64_MAX)
                                snprintf(buf, sizeof buf, "[not set]");
                        else
                                snprintf(buf, sizeof buf, "avg10=%.2f avg60=%.2f avg300=%.2f total=%" PRIu64, a, b,
                                         c, total);
                        show_value(o, name, buf);
                } else
                        r = show_unprintable(m, name, o);
                break;
        case 'a':
                if (streq(contents, "(ss)") && streq(name, "Listen"))
                        r = show_listen(m, name, o);
                else if (streq(contents, "s") || streq(contents, "o") || streq(contents, "(ss)")) {
                        /* arrays of strings; of (name, text) pairs (ConfigSources): the names in text,
                         * the pairs in JSON */
                        bool pairs = contents[0] == '(', any = false;
                        const char *s, *text;

                        r = sd_bus_message_enter_container(m, 'a', contents);
                        while (r >= 0 && (r = pairs ? sd_bus_message_read(m, "(ss)", &s, &text)
                                                    : sd_bus_message_read_basic(m, contents[0], &s)) > 0) {
                                if (!any)
                                        show_key(o, name);
                                if (o->json) {
                                        fputs(any ? "," : "[", o->json);
                                        if (pairs) {
                                                fputc('{', o->json);
                                                json_kv_str(o->json, "path", s, false);
                                                json_kv_str(o->json, "text", text, true);
                                                fputc('}', o->json);
                                        } else
                                                json_fputs(o->json, s);
                                } else {
                                        if (any)
                                                putchar(' ');
                                        print_quoted(stdout, s);
                                }
                                any = true;
                        }
                        if (r < 0)
                                break;
                        if (!any && o->show_empty)
                                show_key(o, name);
                        if (any || o->show_empty) {
                                if (o->json)
                                        fputs(any ? "]" : "[]", o->json);
                                else
                                        putchar('\n');
                        }
                        r = sd_bus_message_exit_container(m);
                } else
                        r = show_unprintable(m, name, o);
                break;
        default:
                r = show_unprintable(m, name, o);
                break;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(m);
}

static int show_object(sd_bus *bus, const char *path, const char *interface, const char *what) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        sd_bus_error e = SD_BUS_ERROR_NULL;
        ShowOut o = { .first = true, .show_empty = arg_all || !!arg_properties };
        JsonDoc doc;
        const char *name;
        int r;

        r = sd_bus_call_method(bus, BUS_NAME, path, "org.freedesktop.DBus.Properties", "GetAll", &e, &reply, "s",
                               interface);
        if (r < 0) {
                r = fail(&e, r, what);
                sd_bus_error_free(&e);
                return r;
        }
        if (arg_json != JSON_OFF) {
                o.json = json_begin(&doc);
                fputc('{', o.json);
        }
        r = sd_bus_message_enter_container(reply, 'a', "{sv}");
        while (r >= 0 && (r = sd_bus_message_enter_container(reply, 'e', "sv")) > 0) {
                r = sd_bus_message_read(reply, "s", &name);
                if (r >= 0)
                        r = arg_properties && !strv_find(arg_properties, name) ? sd_bus_message_skip(reply, "v")
                                                                              : show_property(reply, name, &o);
                if (r >= 0)
                        r = sd_bus_message_exit_container(reply);
        }
        if (o.json) {
                fputc('}', o.json);
                json_end(&doc, arg_json);
        }
        if (r < 0) {
                fprintf(stderr, "Failed to parse the properties: %s\n", strerror(-r));
                return EXIT_FAIL;
        }
        return EXIT_OK;
}

/* show [POOL...]: every property of the pools (or of the manager), as
 * NAME=VALUE lines, a blank line between objects; -p, --all, --value. */
int verb_show(sd_bus *bus, char **args, int n) {
        bool printed = false;
        int ret = EXIT_OK, r;

        if (n < 2)
                return show_object(bus, BUS_PATH, BUS_MANAGER_INTERFACE, "get the manager's properties");
        for (int i = 1; i < n; i++) {
                _cleanup_(freep) char *path = NULL;
                bool worker;
                char what[128];
                uint64_t id;

                /* a worker id as for kill, else a pool */
                worker = bus_parse_worker_id(args[i], &id) >= 0;
                r = worker ? worker_path(bus, id, &path) : pool_path(bus, args[i], &path);
                if (r < 0) {
                        if (ret == EXIT_OK)
                                ret = -r;
                        continue;
                }
                if (printed && arg_json == JSON_OFF)
                        putchar('\n');
                printed = true;
                snprintf(what, sizeof what, "get the properties of %s %.64s", worker ? "worker" : "pool", args[i]);
                r = show_object(bus, path, worker ? BUS_WORKER_INTERFACE : BUS_POOL_INTERFACE, what);
                if (r != EXIT_OK && ret == EXIT_OK)
                        ret = r;
        }
        return ret;
}

/* Like systemctl cat: every file of the pool and then what SetProperties()
 * changed since, each under a "# PATH" line, as the daemon loaded them
 * (ConfigSources, from the bus: with -H the remote daemon's files). */
int verb_cat(sd_bus *bus, char **args, int n) {
        bool any = false;
        int ret = EXIT_OK, r;

        if (n < 2) {
                fprintf(stderr, "cat: which pool?\n");
                return EXIT_USAGE;
        }
        for (int i = 1; i < n; i++) {
                _cleanup_(freep) char *path = NULL;
                sd_bus_error e = SD_BUS_ERROR_NULL;
                sd_bus_message *reply = NULL;
                const char *name, *text;

                r = pool_path(bus, args[i], &path);
                if (r < 0) {
                        if (ret == EXIT_OK)
                                ret = -r;
                        continue;
                }
                r = sd_bus_call_method(bus, BUS_NAME, path, "org.freedesktop.DBus.Properties", "Get", &e, &reply,
                                       "ss", BUS_POOL_INTERFACE, "ConfigSources");
                if (r >= 0)
                        r = sd_bus_message_enter_container(reply, 'v', "a(ss)");
                if (r >= 0)
                        r = sd_bus_message_enter_container(reply, 'a', "(ss)");
                while (r >= 0 && (r = sd_bus_message_read(reply, "(ss)", &name, &text)) > 0) {
                        /* the last entry, "SetProperties()", is not a file: only when it says something */
                        if (name[0] != '/' && isempty(text))
                                continue;
                        printf("%s%s# %s%s\n", any ? "\n" : "", ansi_blue(), name, ansi_normal());
                        fputs(text, stdout);
                        if (!isempty(text) && !endswith(text, "\n"))
                                putchar('\n');
                        any = true;
                }
                if (r < 0) {
                        char what[128];

                        snprintf(what, sizeof what, "read the configuration of pool %.64s", args[i]);
                        r = fail(&e, r, what);
                        if (ret == EXIT_OK)
                                ret = r;
                }
                sd_bus_message_unref(reply);
                sd_bus_error_free(&e);
        }
        return ret;
}

/* ---- status --------------------------------------------------------------- */

typedef struct PoolStatus {
        const char *name, *description, *state, *type, *restart, *cgroup, *fragment;
        const char *state_reason, *last_hang, *job_timeout_action, *failure_action, *health_check;
        const char *fd_name;
        char **exec_start, **dropins;
        char **listen;                  /* Listen a(ss): type, address, type, address... */
        uint32_t workers, active, ready, busy, retired, min, max, pending, n_listening;
        uint32_t recycled, protocol_violations, job_timeouts, failures;
        uint64_t restarts, memory_max, memory_high, swap_max, cpu_quota, cpu_weight, tasks_max;
        uint64_t memory_current, memory_peak, cpu_nsec, tasks_current;
        uint64_t job_timeout, wait_timeout, max_jobs, runtime_max;
        double mem_psi[3], cpu_psi[3];
} PoolStatus;

static void pool_status_done(PoolStatus *s) {
        strv_free(s->exec_start);
        strv_free(s->dropins);
        strv_free(s->listen);
}

/* A property GetAll may carry, and where it goes: basic types as
 * sd_bus_message_read() writes them, "as" a strv, "a(ss)" a strv of the
 * pairs one after the other, "(dddt)" (pressure) the three averages into
 * double[3]. A property that is not there (an older daemon) leaves its
 * field as it was. */
typedef struct PropertyMap {
        const char *name;
        const char *type;
        void *ptr;
} PropertyMap;

static int read_property(sd_bus_message *reply, const PropertyMap *p) {
        int r;

        if (streq(p->type, "as")) {
                r = sd_bus_message_enter_container(reply, 'v', "as");
                if (r >= 0)
                        r = sd_bus_message_read_strv(reply, p->ptr);
                if (r >= 0)
                        r = sd_bus_message_exit_container(reply);
                return r;
        }
        if (streq(p->type, "a(ss)")) {
                char ***l = p->ptr;
                const char *a, *b;

                r = sd_bus_message_enter_container(reply, 'v', "a(ss)");
                if (r >= 0)
                        r = sd_bus_message_enter_container(reply, 'a', "(ss)");
                while (r >= 0 && (r = sd_bus_message_read(reply, "(ss)", &a, &b)) > 0)
                        if (strv_extend(l, a) < 0 || strv_extend(l, b) < 0)
                                return -ENOMEM;
                if (r >= 0)
                        r = sd_bus_message_exit_container(reply);
                if (r >= 0)
                        r = sd_bus_message_exit_container(reply);
                return r;
        }
        if (streq(p->type, "(dddt)")) {
                double *d = p->ptr;
                uint64_t total;

                return sd_bus_message_read(reply, "v", "(dddt)", &d[0], &d[1], &d[2], &total);
        }
        return sd_bus_message_read(reply, "v", p->type, p->ptr);
}

static int read_properties(sd_bus_message *reply, const PropertyMap *map, size_t n) {
        const char *name, *contents;
        int r;

        r = sd_bus_message_enter_container(reply, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(reply, 'e', "sv")) > 0) {
                const PropertyMap *p = NULL;

                r = sd_bus_message_read(reply, "s", &name);
                if (r < 0)
                        return r;
                r = sd_bus_message_peek_type(reply, NULL, &contents);
                if (r < 0)
                        return r;
                for (size_t i = 0; i < n && !p; i++)
                        if (streq(map[i].name, name) && streq(map[i].type, contents))
                                p = &map[i];
                r = p ? read_property(reply, p) : sd_bus_message_skip(reply, "v");
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(reply);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(reply);
}

static int read_pool_properties(sd_bus_message *reply, PoolStatus *s) {
        const PropertyMap map[] = {
                { "Name", "s", &s->name }, { "Description", "s", &s->description }, { "State", "s", &s->state },
                { "Type", "s", &s->type }, { "Restart", "s", &s->restart }, { "ControlGroup", "s", &s->cgroup },
                { "FragmentPath", "s", &s->fragment }, { "StateReason", "s", &s->state_reason },
                { "LastHangCapture", "s", &s->last_hang }, { "JobTimeoutAction", "s", &s->job_timeout_action },
                { "FailureAction", "s", &s->failure_action }, { "HealthCheck", "s", &s->health_check },
                { "FileDescriptorName", "s", &s->fd_name }, { "NListening", "u", &s->n_listening },
                { "Listen", "a(ss)", &s->listen },
                { "Workers", "u", &s->workers }, { "ActiveWorkers", "u", &s->active },
                { "ReadyWorkers", "u", &s->ready }, { "BusyWorkers", "u", &s->busy },
                { "Retired", "u", &s->retired }, { "MinWorkers", "u", &s->min }, { "MaxWorkers", "u", &s->max },
                { "PendingRestarts", "u", &s->pending }, { "Recycled", "u", &s->recycled },
                { "ProtocolViolations", "u", &s->protocol_violations }, { "JobTimeouts", "u", &s->job_timeouts },
                { "Failures", "u", &s->failures },
                { "Restarts", "t", &s->restarts }, { "MemoryMax", "t", &s->memory_max },
                { "MemoryHigh", "t", &s->memory_high }, { "MemorySwapMax", "t", &s->swap_max },
                { "CPUQuotaPerSecUSec", "t", &s->cpu_quota }, { "CPUWeight", "t", &s->cpu_weight },
                { "TasksMax", "t", &s->tasks_max }, { "MemoryCurrent", "t", &s->memory_current },
                { "MemoryPeak", "t", &s->memory_peak }, { "CPUUsageNSec", "t", &s->cpu_nsec },
                { "TasksCurrent", "t", &s->tasks_current }, { "JobTimeoutUSec", "t", &s->job_timeout },
                { "WaitTimeoutUSec", "t", &s->wait_timeout }, { "MaxJobs", "t", &s->max_jobs },
                { "RuntimeMaxUSec", "t", &s->runtime_max },
                { "ExecStart", "as", &s->exec_start }, { "DropInPaths", "as", &s->dropins },
                { "MemoryPressure", "(dddt)", s->mem_psi }, { "CPUPressure", "(dddt)", s->cpu_psi },
        };

        return read_properties(reply, map, ELEMENTSOF(map));
}

static const char *fmt_bytes(char *buf, size_t n, uint64_t v) {
        return v == UINT64_MAX ? "infinity" : format_bytes(buf, n, v);
}

/* A limit that is set but has no controller to enforce it: the machine
 * (or the cgroup the daemon was given) lacks it. NULL: do not know. */
typedef struct Limit {
        const char *name;
        bool set;
        const char *controller;
} Limit;

static void status_limits(const PoolStatus *s, Limit ret[6]) {
        ret[0] = (Limit) { "MemoryMax", s->memory_max != UINT64_MAX, "memory" };
        ret[1] = (Limit) { "MemoryHigh", s->memory_high != UINT64_MAX, "memory" };
        ret[2] = (Limit) { "MemorySwapMax", s->swap_max != UINT64_MAX, "memory" };
        ret[3] = (Limit) { "CPUQuota", s->cpu_quota != UINT64_MAX, "cpu" };
        ret[4] = (Limit) { "CPUWeight", s->cpu_weight != 100 && s->cpu_weight != UINT64_MAX, "cpu" };
        ret[5] = (Limit) { "TasksMax", s->tasks_max != UINT64_MAX, "pids" };
}

static bool limit_enforced(const Limit *l, char **controllers, bool known) {
        return !l->set || !known || strv_find(controllers, l->controller);
}

static void print_limits(const PoolStatus *s, char **controllers, bool known) {
        Limit limits[6];
        char b[64];

        status_limits(s, limits);
        for (size_t i = 0; i < ELEMENTSOF(limits); i++) {
                const Limit *l = &limits[i];

                printf("%s%s=", i == 0 ? "     Limits: " : " ", l->name);
                switch (i) {
                case 0: printf("%s", fmt_bytes(b, sizeof b, s->memory_max)); break;
                case 1: printf("%s", fmt_bytes(b, sizeof b, s->memory_high)); break;
                case 2: printf("%s", fmt_bytes(b, sizeof b, s->swap_max)); break;
                case 3:
                        if (s->cpu_quota == UINT64_MAX)
                                printf("none");
                        else
                                printf("%" PRIu64 "%%", s->cpu_quota / 10000);
                        break;
                case 4: printf("%" PRIu64, s->cpu_weight); break;
                default:
                        if (s->tasks_max == UINT64_MAX)
                                printf("infinity");
                        else
                                printf("%" PRIu64, s->tasks_max);
                }
                if (!limit_enforced(l, controllers, known))
                        printf(" %s(not enforced: no %s controller)%s", ansi_yellow(), l->controller, ansi_normal());
        }
        putchar('\n');
}

/* At most this many lines of a hang capture in status POOL. */
#define STATUS_CAPTURE_LINES 15

/* A multi-line text under a label, each line indented as status values are;
 * with max, only that many lines and a hint where the rest is. */
static void print_capture(const char *text, size_t max, const char *pool) {
        size_t lines = 0, shown = 0;

        for (const char *p = text; !isempty(p); p += strcspn(p, "\n") + (p[strcspn(p, "\n")] == '\n'))
                lines++;
        for (const char *p = text; !isempty(p) && (max == 0 || shown < max); shown++) {
                size_t k = strcspn(p, "\n");

                printf("             %.*s\n", (int) k, p);
                p += k + (p[k] == '\n');
        }
        if (shown < lines)
                printf("             %s... %zu more lines: workerpoolctl events --pool=%s -o verbose%s\n",
                       ansi_grey(), lines - shown, pool, ansi_normal());
}

/* One item of a status line that lists only what is set or happened: the
 * label before the first, sep before the others. */
static void print_item(bool *any, const char *label, const char *sep, const char *format, ...) _printf_(4, 5);
static void print_item(bool *any, const char *label, const char *sep, const char *format, ...) {
        va_list ap;

        fputs(*any ? sep : label, stdout);
        va_start(ap, format);
        vprintf(format, ap);
        va_end(ap);
        *any = true;
}

/* "       Jobs: JobTimeoutSec=1s MaxJobs=3": the job and recycling settings
 * that are set (JobTimeoutAction= when not the default), as a pool file
 * would say them. */
static void print_job_settings(const PoolStatus *s) {
        static const char label[] = "       Jobs: ";
        bool any = false, timeout = false;
        char b[64];

        if (s->job_timeout != 0 && s->job_timeout != UINT64_MAX) {
                print_item(&any, label, " ", "JobTimeoutSec=%s", format_timespan(b, sizeof b, s->job_timeout));
                timeout = true;
        }
        if (s->wait_timeout != 0 && s->wait_timeout != UINT64_MAX) {
                print_item(&any, label, " ", "WaitTimeoutSec=%s", format_timespan(b, sizeof b, s->wait_timeout));
                timeout = true;
        }
        if (timeout && !isempty(s->job_timeout_action) && !streq(s->job_timeout_action, "restart"))
                print_item(&any, label, " ", "JobTimeoutAction=%s", s->job_timeout_action);
        if (s->max_jobs != 0 && s->max_jobs != UINT64_MAX)
                print_item(&any, label, " ", "MaxJobs=%" PRIu64, s->max_jobs);
        if (s->runtime_max != 0 && s->runtime_max != UINT64_MAX)
                print_item(&any, label, " ", "RuntimeMaxSec=%s", format_timespan(b, sizeof b, s->runtime_max));
        if (any)
                putchar('\n');
}

/* "     Faults: 3 protocol violations, 1 job timeout, failed 2 times": only
 * what happened. */
static void print_faults(const PoolStatus *s) {
        static const char label[] = "     Faults: ";
        bool any = false;

        if (s->protocol_violations > 0)
                print_item(&any, label, ", ", "%" PRIu32 " protocol violation%s", s->protocol_violations,
                           s->protocol_violations == 1 ? "" : "s");
        if (s->job_timeouts > 0)
                print_item(&any, label, ", ", "%" PRIu32 " job timeout%s", s->job_timeouts,
                           s->job_timeouts == 1 ? "" : "s");
        if (s->failures > 0)
                print_item(&any, label, ", ", "failed %" PRIu32 " time%s", s->failures, s->failures == 1 ? "" : "s");
        if (any)
                putchar('\n');
}

static void print_pool_status_json(FILE *j, const PoolStatus *s, char **controllers, bool known,
                                   sd_bus_message *events) {
        bool ev_first = true;
        Limit limits[6];
        Event ev;
        int r;

        fputc('{', j);
        json_kv_str(j, "pool", s->name, false);
        json_kv_str(j, "description", s->description, true);
        json_kv_str(j, "state", s->state, true);
        json_kv_str_or_null(j, "state_reason", s->state_reason);
        json_kv_str(j, "type", s->type, true);
        json_kv_str(j, "restart", s->restart, true);
        json_kv_u64(j, "workers", s->workers, true);
        json_kv_u64(j, "active", s->active, true);
        json_kv_u64(j, "ready", s->ready, true);
        json_kv_u64(j, "busy", s->busy, true);
        json_kv_u64(j, "restarts", s->restarts, true);
        json_kv_u64(j, "retired", s->retired, true);
        json_kv_u64(j, "recycled", s->recycled, true);
        json_kv_u64(j, "protocol_violations", s->protocol_violations, true);
        json_kv_u64(j, "job_timeouts", s->job_timeouts, true);
        json_kv_u64(j, "failures", s->failures, true);
        json_kv_u64(j, "min_workers", s->min, true);
        json_kv_u64(j, "max_workers", s->max == UINT32_MAX ? UINT64_MAX : s->max, true);
        json_kv_u64(j, "memory_max", s->memory_max, true);
        json_kv_u64(j, "memory_high", s->memory_high, true);
        json_kv_u64(j, "memory_swap_max", s->swap_max, true);
        json_kv_u64(j, "cpu_quota_per_sec_usec", s->cpu_quota, true);
        json_kv_u64(j, "cpu_weight", s->cpu_weight, true);
        json_kv_u64(j, "tasks_max", s->tasks_max, true);
        json_kv_u64(j, "memory_current", s->memory_current, true);
        json_kv_u64(j, "memory_peak", s->memory_peak, true);
        json_kv_u64(j, "cpu_usage_nsec", s->cpu_nsec, true);
        json_kv_u64(j, "tasks_current", s->tasks_current, true);
        /* 0 (none) and infinity alike: null */
        json_kv_u64(j, "job_timeout_usec", s->job_timeout ?: UINT64_MAX, true);
        json_kv_u64(j, "wait_timeout_usec", s->wait_timeout ?: UINT64_MAX, true);
        json_kv_str_or_null(j, "job_timeout_action", s->job_timeout_action);
        json_kv_u64(j, "max_jobs", s->max_jobs ?: UINT64_MAX, true);
        json_kv_u64(j, "runtime_max_usec", s->runtime_max ?: UINT64_MAX, true);
        json_kv_str_or_null(j, "failure_action", s->failure_action);
        json_kv_str_or_null(j, "health_check", s->health_check);
        json_kv_str_or_null(j, "last_hang_capture", s->last_hang);
        json_kv_str(j, "control_group", s->cgroup, true);
        fputs(",\"listen\":[", j);
        for (char **l = s->listen; l && l[0] && l[1]; l += 2) {
                fprintf(j, "%s{", l == s->listen ? "" : ",");
                json_kv_str(j, "type", l[0], false);
                json_kv_str(j, "address", l[1], true);
                fputc('}', j);
        }
        fputc(']', j);
        json_kv_str_or_null(j, "file_descriptor_name", s->fd_name);
        json_kv_u64(j, "listening", s->n_listening, true);
        fputs(",\"exec_start\":[", j);
        for (char **a = s->exec_start; a && *a; a++) {
                if (a != s->exec_start)
                        fputc(',', j);
                json_fputs(j, *a);
        }
        /* limits set that no controller enforces here */
        fputs("],\"limits_not_enforced\":", j);
        status_limits(s, limits);
        if (!known)
                fputs("null", j);
        else {
                bool lfirst = true;

                fputc('[', j);
                for (size_t i = 0; i < ELEMENTSOF(limits); i++)
                        if (!limit_enforced(&limits[i], controllers, known)) {
                                fputs(lfirst ? "" : ",", j);
                                json_fputs(j, limits[i].name);
                                lfirst = false;
                        }
                fputc(']', j);
        }
        fputs(",\"last_exits\":[", j);
        while ((r = event_read(events, &ev)) > 0) {
                if (!ev_first)
                        fputc(',', j);
                event_print_json(j, &ev);
                ev_first = false;
        }
        fputs("]}", j);
}

static void print_pool_status_text(const PoolStatus *s, char **controllers, bool known, sd_bus_message *events) {
        const char *c = state_color(s->state);
        _cleanup_(freep) char *cmd = strv_join(s->exec_start, " ");
        char b[64], b2[64];
        Event ev;
        bool any = false;

        printf("%s●%s %s%s%s\n", c ?: "", c ? ansi_normal() : "", s->name,
               isempty(s->description) ? "" : " - ", s->description ?: "");
        /* the reason next to the state, as systemctl's "failed (Result: exit-code)" */
        printf("      State: %s%s%s%s%s%s\n", c ?: "", s->state, c ? ansi_normal() : "",
               isempty(s->state_reason) ? "" : " (", s->state_reason ?: "", isempty(s->state_reason) ? "" : ")");
        printf("    Workers: %" PRIu32 " wanted (%" PRIu32 "..%s), %" PRIu32 " active, %" PRIu32
               " ready, %" PRIu32 " busy\n", s->workers, s->min,
               s->max == UINT32_MAX ? "infinity" : (snprintf(b2, sizeof b2, "%" PRIu32, s->max), b2),
               s->active, s->ready, s->busy);
        printf("   Restarts: %" PRIu64 " (Restart=%s%s%s), %" PRIu32 " retired, %" PRIu32 " pending", s->restarts,
               s->restart, isempty(s->failure_action) || streq(s->failure_action, "none") ? "" : ", FailureAction=",
               isempty(s->failure_action) || streq(s->failure_action, "none") ? "" : s->failure_action, s->retired,
               s->pending);
        if (s->recycled > 0)
                printf(", %" PRIu32 " recycled", s->recycled);
        putchar('\n');
        print_faults(s);
        print_limits(s, controllers, known);
        print_job_settings(s);
        if (!isempty(s->health_check))
                printf("HealthCheck: %s\n", s->health_check);
        if (s->memory_current != UINT64_MAX)
                printf("     Memory: %s (peak %s)\n", format_bytes(b, sizeof b, s->memory_current),
                       s->memory_peak == UINT64_MAX ? "n/a" : format_bytes(b2, sizeof b2, s->memory_peak));
        if (s->cpu_nsec != UINT64_MAX)
                printf("        CPU: %s\n", format_timespan(b, sizeof b, s->cpu_nsec / 1000));
        if (s->tasks_current != UINT64_MAX)
                printf("      Tasks: %" PRIu64 "\n", s->tasks_current);
        if (s->mem_psi[0] >= 0 || s->cpu_psi[0] >= 0)
                printf("   Pressure: memory %.2f %.2f %.2f, cpu %.2f %.2f %.2f (avg10 avg60 avg300)\n",
                       s->mem_psi[0], s->mem_psi[1], s->mem_psi[2], s->cpu_psi[0], s->cpu_psi[1], s->cpu_psi[2]);
        /* as systemctl status of a socket: "Listen: [::]:80 (Stream)" */
        for (char **l = s->listen; l && l[0] && l[1]; l += 2)
                printf("%s%s (%s)\n", l == s->listen ? "     Listen: " : "             ", l[1], l[0]);
        printf("    Command: %s (Type=%s)\n", cmd ?: "", s->type);
        printf("     Config: %s\n", s->fragment ?: "");
        for (char **d = s->dropins; d && *d; d++)
                printf("             %s\n", *d);
        printf("     CGroup: %s\n", s->cgroup ?: "");
        while (event_read(events, &ev) > 0) {
                const char *rc = state_color(ev.reason);
                char rep[48] = "", succ[48] = "";

                if (!any)
                        printf(" Last exits:\n");
                any = true;
                if (ev.replaces != 0)
                        snprintf(rep, sizeof rep, ", replaces %" PRIu64, ev.replaces);
                if (ev.successor != 0)
                        snprintf(succ, sizeof succ, ", replaced by %" PRIu64, ev.successor);
                printf("             %s worker %" PRIu64 " (pid %" PRIu32 "%s): %s%s%s (%s); %s%s\n",
                       format_timestamp(b, sizeof b, ev.exited), ev.id, ev.pid, rep, rc ?: "", ev.reason,
                       rc ? ansi_normal() : "", ev.evidence, ev.action, succ);
        }
        if (!isempty(s->last_hang)) {
                printf("  Last hang:\n");
                print_capture(s->last_hang, STATUS_CAPTURE_LINES, s->name);
        }
}

/* controllers: the manager's Controllers (known: we could read them). j:
 * the JSON array to add the pool to, NULL for text. */
static int print_pool_status(sd_bus *bus, const char *pool, char **controllers, bool known, FILE *j, bool *first) {
        _cleanup_(freep) char *path = NULL;
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL, *events = NULL;
        PoolStatus s = { .runtime_max = UINT64_MAX };
        int r;

        for (int k = 0; k < 3; k++)
                s.mem_psi[k] = s.cpu_psi[k] = -1;
        r = pool_path(bus, pool, &path);
        if (r < 0)
                return -r;
        r = sd_bus_call_method(bus, BUS_NAME, path, "org.freedesktop.DBus.Properties", "GetAll", &e, &reply, "s",
                               BUS_POOL_INTERFACE);
        if (r >= 0)
                r = read_pool_properties(reply, &s);
        if (r >= 0)
                r = sd_bus_call_method(bus, BUS_NAME, BUS_PATH, BUS_MANAGER_INTERFACE, "ListEvents", &e, &events,
                                       "ssu", pool, "", (uint32_t) 5);
        if (r >= 0)
                r = events_enter(events);
        if (r < 0)
                r = fail(&e, r, "get the pool status");
        else if (j) {
                fputs(*first ? "" : ",", j);
                *first = false;
                print_pool_status_json(j, &s, controllers, known, events);
                r = EXIT_OK;
        } else {
                print_pool_status_text(&s, controllers, known, events);
                r = EXIT_OK;
        }
        pool_status_done(&s);
        sd_bus_message_unref(reply);
        sd_bus_message_unref(events);
        sd_bus_error_free(&e);
        return r;
}

/* ---- status of a worker ------------------------------------------------------ */

typedef struct WorkerStatus {
        const char *pool, *state, *cgroup, *status_text, *hang_capture;
        uint64_t id, started, ready, jobs, replaces;
        uint64_t memory_current, memory_peak, cpu_nsec, tasks_current;
        uint32_t pid, restart_streak;
        int frozen;
} WorkerStatus;

static void print_worker_status_json(FILE *j, const WorkerStatus *w) {
        fputc('{', j);
        json_kv_u64(j, "worker", w->id, false);
        json_kv_str(j, "pool", w->pool, true);
        json_kv_u64(j, "pid", w->pid, true);
        json_kv_str(j, "state", w->state, true);
        fprintf(j, ",\"frozen\":%s", w->frozen ? "true" : "false");
        json_kv_u64(j, "jobs", w->jobs, true);
        json_kv_id(j, "replaces", w->replaces);
        json_kv_u64(j, "started_at_usec", w->started ?: UINT64_MAX, true);
        json_kv_u64(j, "ready_at_usec", w->ready ?: UINT64_MAX, true);
        json_kv_u64(j, "restart_streak", w->restart_streak, true);
        json_kv_str_or_null(j, "status_text", w->status_text);
        json_kv_u64(j, "memory_current", w->memory_current, true);
        json_kv_u64(j, "memory_peak", w->memory_peak, true);
        json_kv_u64(j, "cpu_usage_nsec", w->cpu_nsec, true);
        json_kv_u64(j, "tasks_current", w->tasks_current, true);
        json_kv_str(j, "control_group", w->cgroup, true);
        json_kv_str_or_null(j, "hang_capture", w->hang_capture);
        fputc('}', j);
}

static void print_worker_status_text(const WorkerStatus *w) {
        const char *c = state_color(w->state);
        char b[64], b2[64];

        printf("%s●%s worker %" PRIu64 " - pool %s\n", c ?: "", c ? ansi_normal() : "", w->id, w->pool);
        /* frozen next to the state, as systemctl's "active (running) (frozen)" */
        printf("      State: %s%s%s%s%s%s\n", c ?: "", w->state, c ? ansi_normal() : "", w->frozen ? " " : "",
               w->frozen ? ansi_yellow() : "", w->frozen ? "(frozen)" : "");
        if (w->frozen)
                fputs(ansi_normal(), stdout);
        printf("        PID: %" PRIu32 "\n", w->pid);
        printf("    Started: %s", format_timestamp(b, sizeof b, w->started));
        if (w->ready != 0)
                printf(", ready %s", format_timestamp(b, sizeof b, w->ready));
        putchar('\n');
        if (w->jobs != UINT64_MAX)
                printf("       Jobs: %" PRIu64 "\n", w->jobs);
        if (w->replaces != 0)
                printf("   Replaces: worker %" PRIu64 "\n", w->replaces);
        if (w->restart_streak > 0)
                printf("     Streak: %" PRIu32 " restarts in a row\n", w->restart_streak);
        if (!isempty(w->status_text))
                printf("     Status: \"%s\"\n", w->status_text);
        if (w->memory_current != UINT64_MAX)
                printf("     Memory: %s (peak %s)\n", format_bytes(b, sizeof b, w->memory_current),
                       w->memory_peak == UINT64_MAX ? "n/a" : format_bytes(b2, sizeof b2, w->memory_peak));
        if (w->cpu_nsec != UINT64_MAX)
                printf("        CPU: %s\n", format_timespan(b, sizeof b, w->cpu_nsec / 1000));
        if (w->tasks_current != UINT64_MAX)
                printf("      Tasks: %" PRIu64 "\n", w->tasks_current);
        printf("     CGroup: %s\n", w->cgroup ?: "");
        if (!isempty(w->hang_capture)) {
                printf("       Hang:\n");
                print_capture(w->hang_capture, 0, w->pool);
        }
}

static int print_worker_status(sd_bus *bus, uint64_t id, FILE *j, bool *first) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(freep) char *path = NULL;
        sd_bus_error e = SD_BUS_ERROR_NULL;
        WorkerStatus w = { .id = id, .jobs = UINT64_MAX, .memory_current = UINT64_MAX,
                           .memory_peak = UINT64_MAX, .cpu_nsec = UINT64_MAX, .tasks_current = UINT64_MAX };
        const PropertyMap map[] = {
                { "Pool", "s", &w.pool }, { "State", "s", &w.state }, { "CgroupPath", "s", &w.cgroup },
                { "StatusText", "s", &w.status_text }, { "HangCapture", "s", &w.hang_capture },
                { "Pid", "u", &w.pid }, { "RestartStreak", "u", &w.restart_streak },
                { "StartedAt", "t", &w.started }, { "ReadyAt", "t", &w.ready }, { "Jobs", "t", &w.jobs },
                { "Replaces", "t", &w.replaces }, { "MemoryCurrent", "t", &w.memory_current },
                { "MemoryPeak", "t", &w.memory_peak }, { "CPUUsageNSec", "t", &w.cpu_nsec },
                { "TasksCurrent", "t", &w.tasks_current }, { "Frozen", "b", &w.frozen },
        };
        int r;

        r = worker_path(bus, id, &path);
        if (r < 0)
                return -r;
        r = sd_bus_call_method(bus, BUS_NAME, path, "org.freedesktop.DBus.Properties", "GetAll", &e, &reply, "s",
                               BUS_WORKER_INTERFACE);
        if (r >= 0)
                r = read_properties(reply, map, ELEMENTSOF(map));
        if (r < 0) {
                char what[64];

                snprintf(what, sizeof what, "get the status of worker %" PRIu64, id);
                r = fail(&e, r, what);
                sd_bus_error_free(&e);
                return r;
        }
        if (j) {
                fputs(*first ? "" : ",", j);
                *first = false;
                print_worker_status_json(j, &w);
        } else
                print_worker_status_text(&w);
        return EXIT_OK;
}

int verb_status(sd_bus *bus, char **args, int n) {
        _cleanup_(strv_freep) char **names = NULL, **controllers = NULL;
        sd_bus_error e = SD_BUS_ERROR_NULL;
        FILE *j = NULL;
        JsonDoc doc;
        bool known, first = true;
        int ret = EXIT_OK, r;

        r = pool_names_from_args(bus, args, n, &names);
        if (r < 0)
                return -r;
        /* an older daemon may not say: then no notes */
        known = sd_bus_get_property_strv(bus, BUS_NAME, BUS_PATH, BUS_MANAGER_INTERFACE, "Controllers", &e,
                                         &controllers) >= 0;
        sd_bus_error_free(&e);
        if (arg_json != JSON_OFF) {
                j = json_begin(&doc);
                fputc('[', j);
        }
        /* a worker id as for kill, else a pool */
        for (size_t i = 0; names && names[i]; i++) {
                uint64_t id;

                if (!j && i > 0)
                        printf("\n");
                if (bus_parse_worker_id(names[i], &id) >= 0)
                        r = print_worker_status(bus, id, j, &first);
                else
                        r = print_pool_status(bus, names[i], controllers, known, j, &first);
                if (r != EXIT_OK && ret == EXIT_OK)
                        ret = r;
        }
        if (j) {
                fputc(']', j);
                json_end(&doc, arg_json);
        }
        return ret;
}
