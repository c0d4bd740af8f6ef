/* SPDX-License-Identifier: MIT */
/* workerpoolctl: the command-line client of org.workerpoold1, in the spirit
 * of systemctl. See workerpoolctl(1). */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <systemd/sd-bus.h>
#include <unistd.h>

#include "config-build.h"
#include "../bus/bus-util.h"
#include "../shared/parse-util.h"
#include "../shared/strv.h"
#include "ctl-output.h"

/* Exit codes, as systemctl's: scripts rely on them. */
enum {
        EXIT_OK = 0,
        EXIT_FAIL = 1,
        EXIT_USAGE = 2,
        EXIT_NOT_FOUND = 4,
};

static enum { TRANSPORT_SYSTEM, TRANSPORT_USER, TRANSPORT_REMOTE, TRANSPORT_ADDRESS } arg_transport;
static const char *arg_host;
static const char *arg_address;
static bool arg_json;
static bool arg_runtime;
static bool arg_follow;
static bool arg_legend = true;
static const char *arg_state = "";
static const char *arg_pool = "";
static const char *arg_reason = "";
static const char *arg_signal = "SIGTERM";
static uint32_t arg_lines = 0;

static void help(void) {
        printf("Usage: workerpoolctl [OPTIONS] COMMAND ...\n\n"
               "Query and control workerpoold, the worker pool supervisor.\n\n"
               "Commands:\n"
               "  status [POOL...]             Show pools: state, workers, limits, usage, last exits\n"
               "  list-pools                   List the pools\n"
               "  list-workers                 List the workers (--pool=, --state=)\n"
               "  scale POOL N                 Run N workers in POOL\n"
               "  set-property POOL KEY=VALUE...  Change limits and settings live (and persist them\n"
               "                               unless --runtime)\n"
               "  start POOL...                Start pools\n"
               "  stop POOL...                 Stop pools\n"
               "  restart POOL...              Rolling restart of pools\n"
               "  reset-failed POOL...         Leave the failed state\n"
               "  kill WORKER|POOL...          Send a signal to a worker, or every worker of a pool\n"
               "  events                       Show why workers exited (--pool=, --reason=, -n, --follow)\n"
               "  reload                       Reload the configuration\n"
               "  reexec                       Re-execute the daemon in place, keeping every worker\n"
               "  cat POOL...                  Show the pool's file and drop-ins, as loaded\n\n"
               "Options:\n"
               "  -h --help                    Show this help\n"
               "     --version                 Show the version\n"
               "     --json                    JSON output for listings and status\n"
               "     --no-legend               No column headers\n"
               "  -H --host=[USER@]HOST        Operate on a remote host (over ssh)\n"
               "     --system                  Talk to the daemon on the system bus (default)\n"
               "     --user                    Talk to the daemon on the session bus\n"
               "     --bus=ADDRESS             Talk to the daemon on the bus at ADDRESS\n"
               "     --runtime                 set-property: do not persist the change\n"
               "     --pool=POOL               Only this pool (list-workers, events)\n"
               "     --state=STATE             Only workers in this state (list-workers)\n"
               "     --reason=REASON           Only exits for this reason (events)\n"
               "  -n --lines=N                 Only the last N events\n"
               "  -f --follow                  events: keep printing exits as they happen\n"
               "  -s --signal=SIGNAL           kill: which signal (default SIGTERM)\n\n"
               "Exit status: 0 success, 1 failure, 2 usage error, 4 no such pool or worker.\n"
               "See workerpoolctl(1) and org.workerpoold1(5).\n");
}

static int exit_code_for(const sd_bus_error *e, int r) {
        if (sd_bus_error_has_names(e, BUS_ERROR_NO_SUCH_POOL, BUS_ERROR_NO_SUCH_WORKER,
                                   SD_BUS_ERROR_UNKNOWN_OBJECT))
                return EXIT_NOT_FOUND;
        return EXIT_FAIL;
}

static int fail(const sd_bus_error *e, int r, const char *what) {
        fprintf(stderr, "Failed to %s: %s\n", what,
                e && sd_bus_error_is_set(e) && e->message ? e->message : strerror(r < 0 ? -r : r));
        return exit_code_for(e, r);
}

static int connect_bus(sd_bus **ret) {
        sd_bus *bus = NULL;
        int r;

        switch (arg_transport) {
        case TRANSPORT_SYSTEM:
                r = sd_bus_open_system(&bus);
                break;
        case TRANSPORT_USER:
                r = sd_bus_open_user(&bus);
                break;
        case TRANSPORT_REMOTE:
                r = sd_bus_open_system_remote(&bus, arg_host);
                break;
        default:
                r = sd_bus_new(&bus);
                if (r >= 0)
                        r = sd_bus_set_address(bus, arg_address);
                if (r >= 0)
                        r = sd_bus_set_bus_client(bus, true);
                if (r >= 0)
                        r = sd_bus_start(bus);
                if (r < 0)
                        bus = sd_bus_unref(bus);
                break;
        }
        if (r < 0) {
                fprintf(stderr, "Failed to connect to the bus: %s\n", strerror(-r));
                return -EXIT_FAIL;
        }
        *ret = bus;
        return 0;
}

static int pool_path(sd_bus *bus, const char *name, char **ret) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        const char *path;
        int r;

        r = sd_bus_call_method(bus, BUS_NAME, BUS_PATH, BUS_MANAGER_INTERFACE, "GetPool", &e, &reply, "s", name);
        if (r >= 0)
                r = sd_bus_message_read(reply, "o", &path);
        if (r >= 0) {
                *ret = strdup(path);
                r = *ret ? 0 : -ENOMEM;
        }
        if (r < 0) {
                char what[128];

                snprintf(what, sizeof what, "find pool %.64s", name);
                r = -fail(&e, r, what);
        }
        sd_bus_message_unref(reply);
        sd_bus_error_free(&e);
        return r;
}

/* ---- simple calls ---------------------------------------------------------- */

static int call_pool(sd_bus *bus, const char *name, const char *method, const char *what, const char *types, ...) {
        _cleanup_(freep) char *path = NULL;
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *m = NULL;
        va_list ap;
        int r;

        r = pool_path(bus, name, &path);
        if (r < 0)
                return -r;
        r = sd_bus_message_new_method_call(bus, &m, BUS_NAME, path, BUS_POOL_INTERFACE, method);
        if (r >= 0 && types) {
                va_start(ap, types);
                r = sd_bus_message_appendv(m, types, ap);
                va_end(ap);
        }
        if (r >= 0)
                r = sd_bus_call(bus, m, 0, &e, NULL);
        sd_bus_message_unref(m);
        if (r < 0) {
                char buf[128];

                snprintf(buf, sizeof buf, "%s pool %.64s", what, name);
                r = fail(&e, r, buf);
                sd_bus_error_free(&e);
                return r;
        }
        return EXIT_OK;
}

static int verb_pool_simple(sd_bus *bus, char **args, int n) {
        static const struct {
                const char *verb, *method;
        } map[] = {
                { "start", "Start" }, { "stop", "Stop" }, { "restart", "Restart" },
                { "reset-failed", "ResetFailed" },
        };
        const char *method = NULL;
        int ret = EXIT_OK, r;

        for (size_t i = 0; i < ELEMENTSOF(map); i++)
                if (streq(args[0], map[i].verb))
                        method = map[i].method;
        if (n < 2) {
                fprintf(stderr, "%s: which pool?\n", args[0]);
                return EXIT_USAGE;
        }
        for (int i = 1; i < n; i++) {
                r = call_pool(bus, args[i], method, args[0], NULL);
                if (r != EXIT_OK && ret == EXIT_OK)
                        ret = r;
        }
        return ret;
}

static int verb_scale(sd_bus *bus, char **args, int n) {
        uint32_t v;

        if (n != 3) {
                fprintf(stderr, "Usage: workerpoolctl scale POOL N\n");
                return EXIT_USAGE;
        }
        if (parse_uint32(args[2], &v) < 0) {
                fprintf(stderr, "Invalid number of workers: %s\n", args[2]);
                return EXIT_USAGE;
        }
        return call_pool(bus, args[1], "Scale", "scale", "u", v);
}

static int verb_set_property(sd_bus *bus, char **args, int n) {
        _cleanup_(freep) char *path = NULL;
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *m = NULL;
        int r;

        if (n < 3) {
                fprintf(stderr, "Usage: workerpoolctl set-property POOL KEY=VALUE...\n");
                return EXIT_USAGE;
        }
        for (int i = 2; i < n; i++)
                if (!strchr(args[i], '=') || args[i][0] == '=') {
                        fprintf(stderr, "Not an assignment: %s (expected KEY=VALUE)\n", args[i]);
                        return EXIT_USAGE;
                }
        r = pool_path(bus, args[1], &path);
        if (r < 0)
                return -r;
        r = sd_bus_message_new_method_call(bus, &m, BUS_NAME, path, BUS_POOL_INTERFACE, "SetProperties");
        if (r >= 0)
                r = sd_bus_message_append(m, "b", (int) arg_runtime);
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'a', "(sv)");
        for (int i = 2; r >= 0 && i < n; i++) {
                _cleanup_(freep) char *key = strndup(args[i], strcspn(args[i], "="));

                if (!key)
                        r = -ENOMEM;
                else
                        r = sd_bus_message_append(m, "(sv)", key, "s", strchr(args[i], '=') + 1);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r >= 0)
                r = sd_bus_call(bus, m, 0, &e, NULL);
        sd_bus_message_unref(m);
        if (r < 0) {
                r = fail(&e, r, "set properties");
                sd_bus_error_free(&e);
                return r;
        }
        return EXIT_OK;
}

/* Like systemctl cat: the pool's file and its drop-ins, each under a
 * "# PATH" line, as the daemon loaded them. */
static int cat_file(const char *path) {
        char buf[4096];
        size_t k;
        FILE *f;

        f = fopen(path, "re");
        if (!f) {
                fprintf(stderr, "Cannot read %s: %m\n", path);
                return EXIT_FAILURE;
        }
        printf("%s# %s%s\n", ansi_grey(), path, ansi_normal());
        while ((k = fread(buf, 1, sizeof buf, f)) > 0)
                fwrite(buf, 1, k, stdout);
        fclose(f);
        return EXIT_OK;
}

static int verb_cat(sd_bus *bus, char **args, int n) {
        int ret = EXIT_OK, r;

        if (n < 2) {
                fprintf(stderr, "cat: which pool?\n");
                return EXIT_USAGE;
        }
        for (int i = 1; i < n; i++) {
                _cleanup_(freep) char *path = NULL, *fragment = NULL;
                _cleanup_(strv_freep) char **dropins = NULL;
                sd_bus_error e = SD_BUS_ERROR_NULL;

                r = pool_path(bus, args[i], &path);
                if (r < 0) {
                        ret = -r;
                        continue;
                }
                r = sd_bus_get_property_string(bus, BUS_NAME, path, BUS_POOL_INTERFACE, "FragmentPath",
                                               &e, &fragment);
                if (r >= 0)
                        r = sd_bus_get_property_strv(bus, BUS_NAME, path, BUS_POOL_INTERFACE, "DropInPaths",
                                                     &e, &dropins);
                if (r < 0) {
                        ret = fail(&e, r, "read the files of the pool");
                        sd_bus_error_free(&e);
                        continue;
                }
                if (i > 1)
                        putchar('\n');
                if (!isempty(fragment) && cat_file(fragment) != EXIT_OK)
                        ret = EXIT_FAILURE;
                for (char **d = dropins; d && *d; d++) {
                        putchar('\n');
                        if (cat_file(*d) != EXIT_OK)
                                ret = EXIT_FAILURE;
                }
        }
        return ret;
}

/* reload, reexec: a Manager method without arguments. */
static int verb_manager_call(sd_bus *bus, char **args, int n) {
        const char *method = streq(args[0], "reload") ? "Reload" : "Reexecute";
        sd_bus_error e = SD_BUS_ERROR_NULL;
        int r;

        r = sd_bus_call_method(bus, BUS_NAME, BUS_PATH, BUS_MANAGER_INTERFACE, method, &e, NULL, NULL);
        if (r < 0) {
                r = fail(&e, r, streq(args[0], "reload") ? "reload" : "re-execute");
                sd_bus_error_free(&e);
                return r;
        }
        return EXIT_OK;
}

static int verb_kill(sd_bus *bus, char **args, int n) {
        int sig, ret = EXIT_OK;

        if (n < 2) {
                fprintf(stderr, "Usage: workerpoolctl kill WORKER|POOL... [--signal=SIGNAL]\n");
                return EXIT_USAGE;
        }
        if (bus_parse_signal(arg_signal, &sig) < 0) {
                fprintf(stderr, "Invalid signal: %s\n", arg_signal);
                return EXIT_USAGE;
        }
        for (int i = 1; i < n; i++) {
                sd_bus_error e = SD_BUS_ERROR_NULL;
                sd_bus_message *reply = NULL;
                const char *path;
                uint64_t id;
                int r;

                if (bus_parse_worker_id(args[i], &id) < 0) {
                        r = call_pool(bus, args[i], "KillWorkers", "kill the workers of", "s", arg_signal);
                        if (r != EXIT_OK && ret == EXIT_OK)
                                ret = r;
                        continue;
                }
                r = sd_bus_call_method(bus, BUS_NAME, BUS_PATH, BUS_MANAGER_INTERFACE, "GetWorker", &e, &reply,
                                       "t", id);
                if (r >= 0)
                        r = sd_bus_message_read(reply, "o", &path);
                if (r >= 0)
                        r = sd_bus_call_method(bus, BUS_NAME, path, BUS_WORKER_INTERFACE, "Kill", &e, NULL, "s",
                                               arg_signal);
                sd_bus_message_unref(reply);
                if (r < 0) {
                        char what[64];

                        snprintf(what, sizeof what, "kill worker %" PRIu64, id);
                        r = fail(&e, r, what);
                        if (ret == EXIT_OK)
                                ret = r;
                }
                sd_bus_error_free(&e);
        }
        return ret;
}

/* ---- listings ------------------------------------------------------------ */

static void json_kv_str(const char *key, const char *v, bool comma) {
        printf("%s\"%s\":", comma ? "," : "", key);
        json_fputs(stdout, v);
}

static void json_kv_u64(const char *key, uint64_t v, bool comma) {
        if (v == UINT64_MAX)
                printf("%s\"%s\":null", comma ? "," : "", key);
        else
                printf("%s\"%s\":%" PRIu64, comma ? "," : "", key, v);
}

/* One row of a listing: read it from reply, then print it as a JSON object
 * (after a comma unless first) or add its cells to t. Returns as
 * sd_bus_message_read(): > 0 for a row, 0 at the end of the array. */
typedef int (*ListRowFunc)(sd_bus_message *reply, Table *t, bool first);

/* A Manager method that returns an array of row_type structs. */
typedef struct Listing {
        const char *method;
        const char *what;               /* "Failed to <what>: ..." */
        const char *row_type;
        ListRowFunc row;
        const TableColumn *columns;
        size_t n_columns;
        const char *noun;               /* the legend: "N <noun> listed." */
} Listing;

/* Call l->method with the arguments types..., and show the rows as a JSON
 * array or as a table. */
static int list_print(sd_bus *bus, const Listing *l, const char *types, ...) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(table_freep) Table *t = NULL;
        sd_bus_error e = SD_BUS_ERROR_NULL;
        bool first = true;
        va_list ap;
        int r;

        va_start(ap, types);
        r = sd_bus_call_methodv(bus, BUS_NAME, BUS_PATH, BUS_MANAGER_INTERFACE, l->method, &e, &reply, types, ap);
        va_end(ap);
        if (r < 0) {
                r = fail(&e, r, l->what);
                sd_bus_error_free(&e);
                return r;
        }
        t = table_new(l->columns, l->n_columns);
        if (!t)
                return EXIT_FAIL;
        r = sd_bus_message_enter_container(reply, 'a', l->row_type);
        if (arg_json)
                printf("[");
        while (r >= 0 && (r = l->row(reply, t, first)) > 0)
                first = false;
        if (r < 0) {
                fprintf(stderr, "Failed to parse the reply: %s\n", strerror(-r));
                return EXIT_FAIL;
        }
        if (arg_json) {
                printf("]\n");
                return EXIT_OK;
        }
        table_print(t, stdout, arg_legend);
        if (arg_legend)
                printf("\n%zu %s listed.\n", table_rows(t), l->noun);
        return EXIT_OK;
}

static int pool_row(sd_bus_message *reply, Table *t, bool first) {
        const char *name, *path, *state, *desc;
        uint32_t wanted, active, ready, busy;
        uint64_t restarts;
        int r;

        r = sd_bus_message_read(reply, "(sossuuuut)", &name, &path, &state, &desc, &wanted, &active, &ready,
                                &busy, &restarts);
        if (r <= 0)
                return r;
        if (arg_json) {
                printf("%s{", first ? "" : ",");
                json_kv_str("pool", name, false);
                json_kv_str("path", path, true);
                json_kv_str("state", state, true);
                json_kv_str("description", desc, true);
                json_kv_u64("workers", wanted, true);
                json_kv_u64("active", active, true);
                json_kv_u64("ready", ready, true);
                json_kv_u64("busy", busy, true);
                json_kv_u64("restarts", restarts, true);
                printf("}");
                return r;
        }
        (void) table_add(t, name, NULL);
        (void) table_add(t, state, state_color(state));
        (void) table_addf(t, NULL, "%" PRIu32, wanted);
        (void) table_addf(t, NULL, "%" PRIu32, active);
        (void) table_addf(t, NULL, "%" PRIu32, ready);
        (void) table_addf(t, NULL, "%" PRIu32, busy);
        (void) table_addf(t, NULL, "%" PRIu64, restarts);
        (void) table_add(t, desc, NULL);
        return r;
}

static int worker_row(sd_bus_message *reply, Table *t, bool first) {
        const char *pool, *state, *path;
        uint64_t id, started;
        uint32_t pid;
        char ts[64];
        int r;

        r = sd_bus_message_read(reply, "(tsusot)", &id, &pool, &pid, &state, &path, &started);
        if (r <= 0)
                return r;
        if (arg_json) {
                printf("%s{", first ? "" : ",");
                json_kv_u64("id", id, false);
                json_kv_str("pool", pool, true);
                json_kv_u64("pid", pid, true);
                json_kv_str("state", state, true);
                json_kv_str("path", path, true);
                json_kv_u64("started_at_usec", started, true);
                printf("}");
                return r;
        }
        (void) table_addf(t, NULL, "%" PRIu64, id);
        (void) table_add(t, pool, NULL);
        (void) table_addf(t, NULL, "%" PRIu32, pid);
        (void) table_add(t, state, state_color(state));
        (void) table_add(t, format_timestamp(ts, sizeof ts, started), NULL);
        return r;
}

static const TableColumn pool_columns[] = {
        { "POOL" }, { "STATE" }, { "WORKERS", true }, { "ACTIVE", true }, { "READY", true }, { "BUSY", true },
        { "RESTARTS", true }, { "DESCRIPTION" },
};
static const TableColumn worker_columns[] = {
        { "ID", true }, { "POOL" }, { "PID", true }, { "STATE" }, { "STARTED" },
};

/* list-pools, list-workers */
static int verb_list(sd_bus *bus, char **args, int n) {
        static const Listing pools = {
                .method = "ListPools", .what = "list pools", .noun = "pools",
                .row_type = "(sossuuuut)", .row = pool_row,
                .columns = pool_columns, .n_columns = ELEMENTSOF(pool_columns),
        };
        static const Listing workers = {
                .method = "ListWorkers", .what = "list workers", .noun = "workers",
                .row_type = "(tsusot)", .row = worker_row,
                .columns = worker_columns, .n_columns = ELEMENTSOF(worker_columns),
        };

        if (streq(args[0], "list-pools"))
                return list_print(bus, &pools, NULL);
        return list_print(bus, &workers, "ss", arg_pool, arg_state);
}

typedef struct Event {
        uint64_t id;
        const char *pool;
        uint32_t pid;
        uint64_t started, exited;
        const char *reason, *evidence;
        int core;
        int32_t code, status;
        const char *action;
        uint64_t memory_peak, cpu_usec;
} Event;

static void event_print_json(const Event *ev) {
        printf("{");
        json_kv_u64("id", ev->id, false);
        json_kv_str("pool", ev->pool, true);
        json_kv_u64("pid", ev->pid, true);
        json_kv_u64("started_at_usec", ev->started ?: UINT64_MAX, true);
        json_kv_u64("exited_at_usec", ev->exited ?: UINT64_MAX, true);
        json_kv_str("reason", ev->reason, true);
        json_kv_str("evidence", ev->evidence, true);
        printf(",\"core_dumped\":%s,\"code\":%" PRIi32 ",\"status\":%" PRIi32, ev->core ? "true" : "false",
               ev->code, ev->status);
        json_kv_str("action", ev->action, true);
        json_kv_u64("memory_peak", ev->memory_peak, true);
        json_kv_u64("cpu_usec", ev->cpu_usec, true);
        printf("}");
}

static int verb_events_list(sd_bus *bus, bool tail_json_lines) {
        static const TableColumn columns[] = {
                { "TIME" }, { "POOL" }, { "WORKER", true }, { "PID", true }, { "REASON" }, { "ACTION" },
                { "EVIDENCE" },
        };
        _cleanup_(table_freep) Table *t = NULL;
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        Event ev;
        bool first = true;
        char ts[64];
        int r;

        r = sd_bus_call_method(bus, BUS_NAME, BUS_PATH, BUS_MANAGER_INTERFACE, "ListEvents", &e, &reply, "ssu",
                               arg_pool, arg_reason, arg_lines);
        if (r < 0) {
                r = fail(&e, r, "list events");
                sd_bus_error_free(&e);
                return r;
        }
        t = table_new(columns, ELEMENTSOF(columns));
        if (!t)
                return EXIT_FAIL;
        r = sd_bus_message_enter_container(reply, 'a', "(tsuttssbiistt)");
        if (arg_json && !tail_json_lines)
                printf("[");
        while (r >= 0 &&
               (r = sd_bus_message_read(reply, "(tsuttssbiistt)", &ev.id, &ev.pool, &ev.pid, &ev.started,
                                        &ev.exited, &ev.reason, &ev.evidence, &ev.core, &ev.code, &ev.status,
                                        &ev.action, &ev.memory_peak, &ev.cpu_usec)) > 0) {
                if (arg_json) {
                        if (!tail_json_lines && !first)
                                printf(",");
                        event_print_json(&ev);
                        if (tail_json_lines)
                                printf("\n");
                        first = false;
                        continue;
                }
                (void) table_add(t, format_timestamp(ts, sizeof ts, ev.exited), NULL);
                (void) table_add(t, ev.pool, NULL);
                (void) table_addf(t, NULL, "%" PRIu64, ev.id);
                (void) table_addf(t, NULL, "%" PRIu32, ev.pid);
                (void) table_add(t, ev.reason, state_color(ev.reason));
                (void) table_add(t, ev.action, NULL);
                (void) table_add(t, ev.evidence, NULL);
        }
        sd_bus_message_unref(reply);
        if (r < 0) {
                fprintf(stderr, "Failed to parse the reply: %s\n", strerror(-r));
                return EXIT_FAIL;
        }
        if (arg_json) {
                if (!tail_json_lines)
                        printf("]\n");
        } else if (table_rows(t) > 0 || !tail_json_lines)
                table_print(t, stdout, arg_legend);
        fflush(stdout);
        return EXIT_OK;
}

static int on_worker_exited(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        _cleanup_(freep) char *pool = NULL;
        Event ev = {};
        char ts[64];
        int r;

        if (sd_bus_path_decode(sd_bus_message_get_path(m), BUS_POOL_PREFIX, &pool) <= 0)
                return 0;
        r = sd_bus_message_read(m, "tussiis", &ev.id, &ev.pid, &ev.reason, &ev.evidence, &ev.code, &ev.status,
                                &ev.action);
        if (r < 0)
                return 0;
        if ((!isempty(arg_pool) && !streq(arg_pool, pool)) || (!isempty(arg_reason) && !streq(arg_reason, ev.reason)))
                return 0;
        ev.pool = pool;
        ev.memory_peak = ev.cpu_usec = UINT64_MAX;
        if (arg_json) {
                event_print_json(&ev);
                printf("\n");
        } else {
                uint64_t now = 0;
                struct timespec tsp;

                clock_gettime(CLOCK_REALTIME, &tsp);
                now = (uint64_t) tsp.tv_sec * USEC_PER_SEC + (uint64_t) tsp.tv_nsec / 1000;
                printf("%s  %s  %" PRIu64 "  %" PRIu32 "  %s%s%s  %s  %s\n", format_timestamp(ts, sizeof ts, now),
                       pool, ev.id, ev.pid, state_color(ev.reason) ?: "", ev.reason,
                       state_color(ev.reason) ? ansi_normal() : "", ev.action, ev.evidence);
        }
        fflush(stdout);
        return 0;
}

static int verb_events(sd_bus *bus, char **args, int n) {
        int r;

        if (!arg_follow)
                return verb_events_list(bus, false);

        /* Subscribe first, then list: nothing falls between the two. */
        r = sd_bus_match_signal(bus, NULL, BUS_NAME, NULL, BUS_POOL_INTERFACE, "WorkerExited", on_worker_exited,
                                NULL);
        if (r < 0) {
                fprintf(stderr, "Failed to subscribe to WorkerExited: %s\n", strerror(-r));
                return EXIT_FAIL;
        }
        r = verb_events_list(bus, true);
        if (r != EXIT_OK)
                return r;
        for (;;) {
                r = sd_bus_process(bus, NULL);
                if (r < 0) {
                        fprintf(stderr, "Lost the connection to the bus: %s\n", strerror(-r));
                        return EXIT_FAIL;
                }
                if (r > 0)
                        continue;
                r = sd_bus_wait(bus, UINT64_MAX);
                if (r < 0) {
                        fprintf(stderr, "Lost the connection to the bus: %s\n", strerror(-r));
                        return EXIT_FAIL;
                }
        }
}

/* ---- status --------------------------------------------------------------- */

typedef struct PoolStatus {
        const char *name, *description, *state, *type, *restart, *cgroup, *fragment;
        char **exec_start, **dropins;
        uint32_t workers, active, ready, busy, retired, min, max, pending;
        uint64_t restarts, memory_max, memory_high, swap_max, cpu_quota, cpu_weight, tasks_max;
        uint64_t memory_current, memory_peak, cpu_nsec, tasks_current;
        double mem_psi[3], cpu_psi[3];
} PoolStatus;

static void pool_status_done(PoolStatus *s) {
        strv_free(s->exec_start);
        strv_free(s->dropins);
}

static int read_pool_properties(sd_bus_message *reply, PoolStatus *s) {
        const struct {
                const char *name;
                char type;
                void *ptr;
        } map[] = {
                { "Name", 's', &s->name }, { "Description", 's', &s->description }, { "State", 's', &s->state },
                { "Type", 's', &s->type }, { "Restart", 's', &s->restart }, { "ControlGroup", 's', &s->cgroup },
                { "FragmentPath", 's', &s->fragment },
                { "Workers", 'u', &s->workers }, { "ActiveWorkers", 'u', &s->active },
                { "ReadyWorkers", 'u', &s->ready }, { "BusyWorkers", 'u', &s->busy },
                { "Retired", 'u', &s->retired }, { "MinWorkers", 'u', &s->min }, { "MaxWorkers", 'u', &s->max },
                { "PendingRestarts", 'u', &s->pending },
                { "Restarts", 't', &s->restarts }, { "MemoryMax", 't', &s->memory_max },
                { "MemoryHigh", 't', &s->memory_high }, { "MemorySwapMax", 't', &s->swap_max },
                { "CPUQuotaPerSecUSec", 't', &s->cpu_quota }, { "CPUWeight", 't', &s->cpu_weight },
                { "TasksMax", 't', &s->tasks_max }, { "MemoryCurrent", 't', &s->memory_current },
                { "MemoryPeak", 't', &s->memory_peak }, { "CPUUsageNSec", 't', &s->cpu_nsec },
                { "TasksCurrent", 't', &s->tasks_current },
        };
        const char *name, *contents;
        int r;

        r = sd_bus_message_enter_container(reply, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(reply, 'e', "sv")) > 0) {
                bool done = false;

                r = sd_bus_message_read(reply, "s", &name);
                if (r < 0)
                        return r;
                r = sd_bus_message_peek_type(reply, NULL, &contents);
                if (r < 0)
                        return r;
                for (size_t i = 0; i < ELEMENTSOF(map) && !done; i++)
                        if (streq(map[i].name, name) && contents[0] == map[i].type && !contents[1]) {
                                r = sd_bus_message_read(reply, "v", contents, map[i].ptr);
                                if (r < 0)
                                        return r;
                                done = true;
                        }
                if (!done && streq(contents, "as") && (streq(name, "ExecStart") || streq(name, "DropInPaths"))) {
                        r = sd_bus_message_enter_container(reply, 'v', "as");
                        if (r >= 0)
                                r = sd_bus_message_read_strv(reply, streq(name, "ExecStart") ? &s->exec_start
                                                                                            : &s->dropins);
                        if (r >= 0)
                                r = sd_bus_message_exit_container(reply);
                        if (r < 0)
                                return r;
                        done = true;
                }
                if (!done && streq(contents, "(dddt)") && (streq(name, "MemoryPressure") || streq(name, "CPUPressure"))) {
                        double *d = streq(name, "MemoryPressure") ? s->mem_psi : s->cpu_psi;
                        uint64_t total;

                        r = sd_bus_message_read(reply, "v", "(dddt)", &d[0], &d[1], &d[2], &total);
                        if (r < 0)
                                return r;
                        done = true;
                }
                if (!done) {
                        r = sd_bus_message_skip(reply, "v");
                        if (r < 0)
                                return r;
                }
                r = sd_bus_message_exit_container(reply);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(reply);
}

static const char *fmt_bytes(char *buf, size_t n, uint64_t v) {
        return v == UINT64_MAX ? "infinity" : format_bytes(buf, n, v);
}

static void print_limits(const PoolStatus *s) {
        char b[64];

        printf("     Limits: MemoryMax=%s", fmt_bytes(b, sizeof b, s->memory_max));
        printf(" MemoryHigh=%s", fmt_bytes(b, sizeof b, s->memory_high));
        printf(" MemorySwapMax=%s", fmt_bytes(b, sizeof b, s->swap_max));
        if (s->cpu_quota == UINT64_MAX)
                printf(" CPUQuota=none");
        else
                printf(" CPUQuota=%" PRIu64 "%%", s->cpu_quota / 10000);
        printf(" CPUWeight=%" PRIu64, s->cpu_weight);
        if (s->tasks_max == UINT64_MAX)
                printf(" TasksMax=infinity\n");
        else
                printf(" TasksMax=%" PRIu64 "\n", s->tasks_max);
}

static int print_pool_status(sd_bus *bus, const char *pool, bool json, bool first) {
        _cleanup_(freep) char *path = NULL;
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL, *events = NULL;
        PoolStatus s = {};
        char b[64], b2[64];
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
                r = sd_bus_message_enter_container(events, 'a', "(tsuttssbiistt)");
        if (r < 0) {
                r = fail(&e, r, "get the pool status");
                goto finish;
        }

        if (json) {
                bool ev_first = true;
                Event ev;

                printf("%s{", first ? "" : ",");
                json_kv_str("pool", s.name, false);
                json_kv_str("description", s.description, true);
                json_kv_str("state", s.state, true);
                json_kv_str("type", s.type, true);
                json_kv_str("restart", s.restart, true);
                json_kv_u64("workers", s.workers, true);
                json_kv_u64("active", s.active, true);
                json_kv_u64("ready", s.ready, true);
                json_kv_u64("busy", s.busy, true);
                json_kv_u64("restarts", s.restarts, true);
                json_kv_u64("retired", s.retired, true);
                json_kv_u64("min_workers", s.min, true);
                json_kv_u64("max_workers", s.max == UINT32_MAX ? UINT64_MAX : s.max, true);
                json_kv_u64("memory_max", s.memory_max, true);
                json_kv_u64("memory_high", s.memory_high, true);
                json_kv_u64("memory_swap_max", s.swap_max, true);
                json_kv_u64("cpu_quota_per_sec_usec", s.cpu_quota, true);
                json_kv_u64("cpu_weight", s.cpu_weight, true);
                json_kv_u64("tasks_max", s.tasks_max, true);
                json_kv_u64("memory_current", s.memory_current, true);
                json_kv_u64("memory_peak", s.memory_peak, true);
                json_kv_u64("cpu_usage_nsec", s.cpu_nsec, true);
                json_kv_u64("tasks_current", s.tasks_current, true);
                json_kv_str("control_group", s.cgroup, true);
                printf(",\"exec_start\":[");
                for (char **a = s.exec_start; a && *a; a++) {
                        if (a != s.exec_start)
                                printf(",");
                        json_fputs(stdout, *a);
                }
                printf("],\"last_exits\":[");
                while ((r = sd_bus_message_read(events, "(tsuttssbiistt)", &ev.id, &ev.pool, &ev.pid, &ev.started,
                                                &ev.exited, &ev.reason, &ev.evidence, &ev.core, &ev.code,
                                                &ev.status, &ev.action, &ev.memory_peak, &ev.cpu_usec)) > 0) {
                        if (!ev_first)
                                printf(",");
                        event_print_json(&ev);
                        ev_first = false;
                }
                printf("]}");
                r = r < 0 ? EXIT_FAIL : EXIT_OK;
                goto finish;
        }

        {
                const char *c = state_color(s.state);
                _cleanup_(freep) char *cmd = strv_join(s.exec_start, " ");
                Event ev;
                bool any = false;

                printf("%s●%s %s%s%s\n", c ?: "", c ? ansi_normal() : "", s.name,
                       isempty(s.description) ? "" : " - ", s.description ?: "");
                printf("      State: %s%s%s\n", c ?: "", s.state, c ? ansi_normal() : "");
                printf("    Workers: %" PRIu32 " wanted (%" PRIu32 "..%s), %" PRIu32 " active, %" PRIu32
                       " ready, %" PRIu32 " busy\n", s.workers, s.min,
                       s.max == UINT32_MAX ? "infinity" : (snprintf(b2, sizeof b2, "%" PRIu32, s.max), b2),
                       s.active, s.ready, s.busy);
                printf("   Restarts: %" PRIu64 " (Restart=%s), %" PRIu32 " retired, %" PRIu32 " pending\n",
                       s.restarts, s.restart, s.retired, s.pending);
                print_limits(&s);
                if (s.memory_current != UINT64_MAX)
                        printf("     Memory: %s (peak %s)\n", format_bytes(b, sizeof b, s.memory_current),
                               s.memory_peak == UINT64_MAX ? "n/a" : format_bytes(b2, sizeof b2, s.memory_peak));
                if (s.cpu_nsec != UINT64_MAX)
                        printf("        CPU: %s\n", format_timespan(b, sizeof b, s.cpu_nsec / 1000));
                if (s.tasks_current != UINT64_MAX)
                        printf("      Tasks: %" PRIu64 "\n", s.tasks_current);
                if (s.mem_psi[0] >= 0 || s.cpu_psi[0] >= 0)
                        printf("   Pressure: memory %.2f %.2f %.2f, cpu %.2f %.2f %.2f (avg10 avg60 avg300)\n",
                               s.mem_psi[0], s.mem_psi[1], s.mem_psi[2], s.cpu_psi[0], s.cpu_psi[1], s.cpu_psi[2]);
                printf("    Command: %s (Type=%s)\n", cmd ?: "", s.type);
                printf("     Config: %s\n", s.fragment ?: "");
                for (char **d = s.dropins; d && *d; d++)
                        printf("             %s\n", *d);
                printf("     CGroup: %s\n", s.cgroup ?: "");
                while ((r = sd_bus_message_read(events, "(tsuttssbiistt)", &ev.id, &ev.pool, &ev.pid, &ev.started,
                                                &ev.exited, &ev.reason, &ev.evidence, &ev.core, &ev.code,
                                                &ev.status, &ev.action, &ev.memory_peak, &ev.cpu_usec)) > 0) {
                        const char *rc = state_color(ev.reason);

                        if (!any)
                                printf(" Last exits:\n");
                        any = true;
                        printf("             %s worker %" PRIu64 " (pid %" PRIu32 "): %s%s%s (%s); %s\n",
                               format_timestamp(b, sizeof b, ev.exited), ev.id, ev.pid, rc ?: "", ev.reason,
                               rc ? ansi_normal() : "", ev.evidence, ev.action);
                }
                r = r < 0 ? EXIT_FAIL : EXIT_OK;
        }
finish:
        pool_status_done(&s);
        sd_bus_message_unref(reply);
        sd_bus_message_unref(events);
        sd_bus_error_free(&e);
        return r;
}

static int verb_status(sd_bus *bus, char **args, int n) {
        _cleanup_(strv_freep) char **pools = NULL;
        int ret = EXIT_OK, r;

        if (n > 1)
                pools = strv_copy(args + 1);
        else {
                sd_bus_error e = SD_BUS_ERROR_NULL;
                sd_bus_message *reply = NULL;
                const char *name;

                r = sd_bus_call_method(bus, BUS_NAME, BUS_PATH, BUS_MANAGER_INTERFACE, "ListPools", &e, &reply,
                                       NULL);
                if (r >= 0)
                        r = sd_bus_message_enter_container(reply, 'a', "(sossuuuut)");
                while (r >= 0 && (r = sd_bus_message_read(reply, "(sossuuuut)", &name, NULL, NULL, NULL, NULL, NULL,
                                                          NULL, NULL, NULL)) > 0)
                        if (strv_extend(&pools, name) < 0)
                                r = -ENOMEM;
                sd_bus_message_unref(reply);
                if (r < 0) {
                        r = fail(&e, r, "list pools");
                        sd_bus_error_free(&e);
                        return r;
                }
        }
        if (arg_json)
                printf("[");
        for (size_t i = 0; pools && pools[i]; i++) {
                if (!arg_json && i > 0)
                        printf("\n");
                r = print_pool_status(bus, pools[i], arg_json, i == 0);
                if (r != EXIT_OK && ret == EXIT_OK)
                        ret = r;
        }
        if (arg_json)
                printf("]\n");
        return ret;
}

/* ---- main ------------------------------------------------------------------- */

enum {
        ARG_VERSION = 0x100,
        ARG_JSON,
        ARG_NO_LEGEND,
        ARG_SYSTEM,
        ARG_USER,
        ARG_BUS,
        ARG_RUNTIME,
        ARG_POOL,
        ARG_STATE,
        ARG_REASON,
};

static int parse_argv(int argc, char *argv[]) {
        static const struct option options[] = {
                { "help",      no_argument,       NULL, 'h'           },
                { "version",   no_argument,       NULL, ARG_VERSION   },
                { "json",      no_argument,       NULL, ARG_JSON      },
                { "no-legend", no_argument,       NULL, ARG_NO_LEGEND },
                { "host",      required_argument, NULL, 'H'           },
                { "system",    no_argument,       NULL, ARG_SYSTEM    },
                { "user",      no_argument,       NULL, ARG_USER      },
                { "bus",       required_argument, NULL, ARG_BUS       },
                { "runtime",   no_argument,       NULL, ARG_RUNTIME   },
                { "pool",      required_argument, NULL, ARG_POOL      },
                { "state",     required_argument, NULL, ARG_STATE     },
                { "reason",    required_argument, NULL, ARG_REASON    },
                { "lines",     required_argument, NULL, 'n'           },
                { "follow",    no_argument,       NULL, 'f'           },
                { "signal",    required_argument, NULL, 's'           },
                {}
        };
        int c;

        while ((c = getopt_long(argc, argv, "hH:n:fs:", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("workerpoolctl %s\n", PACKAGE_VERSION);
                        return 0;
                case ARG_JSON:
                        arg_json = true;
                        break;
                case ARG_NO_LEGEND:
                        arg_legend = false;
                        break;
                case 'H':
                        arg_transport = TRANSPORT_REMOTE;
                        arg_host = optarg;
                        break;
                case ARG_SYSTEM:
                        arg_transport = TRANSPORT_SYSTEM;
                        break;
                case ARG_USER:
                        arg_transport = TRANSPORT_USER;
                        break;
                case ARG_BUS:
                        arg_transport = TRANSPORT_ADDRESS;
                        arg_address = optarg;
                        break;
                case ARG_RUNTIME:
                        arg_runtime = true;
                        break;
                case ARG_POOL:
                        arg_pool = optarg;
                        break;
                case ARG_STATE:
                        arg_state = optarg;
                        break;
                case ARG_REASON:
                        arg_reason = optarg;
                        break;
                case 'n':
                        if (parse_uint32(optarg, &arg_lines) < 0) {
                                fprintf(stderr, "Invalid number of lines: %s\n", optarg);
                                return -EXIT_USAGE;
                        }
                        break;
                case 'f':
                        arg_follow = true;
                        break;
                case 's':
                        arg_signal = optarg;
                        break;
                default:
                        return -EXIT_USAGE;
                }
        return 1;
}

int main(int argc, char *argv[]) {
        static const struct {
                const char *verb;
                int min_args;           /* including the verb */
                int max_args;           /* -1: any */
                int (*run)(sd_bus *bus, char **args, int n);
        } verbs[] = {
                { "status",       1, -1, verb_status },
                { "list-pools",   1, 1,  verb_list },
                { "list-workers", 1, 1,  verb_list },
                { "scale",        3, 3,  verb_scale },
                { "set-property", 3, -1, verb_set_property },
                { "start",        2, -1, verb_pool_simple },
                { "stop",         2, -1, verb_pool_simple },
                { "restart",      2, -1, verb_pool_simple },
                { "reset-failed", 2, -1, verb_pool_simple },
                { "kill",         2, -1, verb_kill },
                { "events",       1, 1,  verb_events },
                { "reload",       1, 1,  verb_manager_call },
                { "reexec",       1, 1,  verb_manager_call },
                { "cat",          2, -1, verb_cat },
        };
        sd_bus *bus = NULL;
        const char *verb;
        int r, n;

        r = parse_argv(argc, argv);
        if (r <= 0)
                return -r;
        verb = optind < argc ? argv[optind] : "list-pools";
        n = optind < argc ? argc - optind : 1;

        for (size_t i = 0; i < ELEMENTSOF(verbs); i++) {
                if (!streq(verbs[i].verb, verb))
                        continue;
                if (n < verbs[i].min_args || (verbs[i].max_args >= 0 && n > verbs[i].max_args)) {
                        fprintf(stderr, "%s: wrong number of arguments. See workerpoolctl --help.\n", verb);
                        return EXIT_USAGE;
                }
                (void) sd_bus_error_add_map(bus_workerpoold_errors);
                r = connect_bus(&bus);
                if (r < 0)
                        return -r;
                r = verbs[i].run(bus, optind < argc ? argv + optind : (char *[]) { (char *) verb, NULL }, n);
                fflush(stdout);
                sd_bus_flush_close_unref(bus);
                return r;
        }
        fprintf(stderr, "Unknown command '%s'. See workerpoolctl --help.\n", verb);
        return EXIT_USAGE;
}
