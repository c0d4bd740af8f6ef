/* SPDX-License-Identifier: MIT */
/* list-pools, list-workers: a Manager method's array as a table or JSON;
 * list-sockets: the Listen property of every pool, as systemctl list-sockets. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <systemd/sd-bus.h>

#include "../bus/bus-util.h"
#include "../shared/string-util.h"
#include "../shared/strv.h"
#include "ctl.h"

/* ---- listings ------------------------------------------------------------ */

/* One row of a listing: read it from reply, then print it as a JSON object
 * (after a comma unless first) or add its cells to t. Returns as
 * sd_bus_message_read(): > 0 for a row, 0 at the end of the array. */
typedef int (*ListRowFunc)(sd_bus_message *reply, Table *t, FILE *j, bool first);

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
        FILE *j = NULL;
        JsonDoc doc;
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
        if (arg_json != JSON_OFF) {
                j = json_begin(&doc);
                fputc('[', j);
        }
        while (r >= 0 && (r = l->row(reply, t, j, first)) > 0)
                first = false;
        if (j) {
                fputc(']', j);
                json_end(&doc, arg_json);
        }
        if (r < 0) {
                fprintf(stderr, "Failed to parse the reply: %s\n", strerror(-r));
                return EXIT_FAIL;
        }
        if (j)
                return EXIT_OK;
        table_print(t, stdout, arg_legend);
        if (arg_legend)
                printf("\n%zu %s listed.\n", table_rows(t), l->noun);
        return EXIT_OK;
}

static int pool_row(sd_bus_message *reply, Table *t, FILE *j, bool first) {
        const char *name, *path, *state, *desc;
        uint32_t wanted, active, ready, busy;
        uint64_t restarts;
        int r;

        r = sd_bus_message_read(reply, "(sossuuuut)", &name, &path, &state, &desc, &wanted, &active, &ready,
                                &busy, &restarts);
        if (r <= 0)
                return r;
        if (j) {
                fprintf(j, "%s{", first ? "" : ",");
                json_kv_str(j, "pool", name, false);
                json_kv_str(j, "path", path, true);
                json_kv_str(j, "state", state, true);
                json_kv_str(j, "description", desc, true);
                json_kv_u64(j, "workers", wanted, true);
                json_kv_u64(j, "active", active, true);
                json_kv_u64(j, "ready", ready, true);
                json_kv_u64(j, "busy", busy, true);
                json_kv_u64(j, "restarts", restarts, true);
                fputc('}', j);
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

static int worker_row(sd_bus_message *reply, Table *t, FILE *j, bool first) {
        const char *pool, *state, *path;
        uint64_t id, started;
        uint32_t pid;
        char ts[64];
        int r;

        r = sd_bus_message_read(reply, "(tsusot)", &id, &pool, &pid, &state, &path, &started);
        if (r <= 0)
                return r;
        if (j) {
                fprintf(j, "%s{", first ? "" : ",");
                json_kv_u64(j, "id", id, false);
                json_kv_str(j, "pool", pool, true);
                json_kv_u64(j, "pid", pid, true);
                json_kv_str(j, "state", state, true);
                json_kv_str(j, "path", path, true);
                json_kv_u64(j, "started_at_usec", started, true);
                fputc('}', j);
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
int verb_list(sd_bus *bus, char **args, int n) {
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

/* ---- list-sockets ------------------------------------------------------------ */

/* The sockets of the pool at path: one row (or JSON object) each. */
static int socket_rows(sd_bus *bus, const char *pool, const char *path, Table *t, FILE *j, bool *first) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(freep) char *fdname = NULL;
        sd_bus_error e = SD_BUS_ERROR_NULL;
        const char *type, *address;
        int r;

        r = sd_bus_get_property(bus, BUS_NAME, path, BUS_POOL_INTERFACE, "Listen", &e, &reply, "a(ss)");
        if (r >= 0)
                r = sd_bus_get_property_string(bus, BUS_NAME, path, BUS_POOL_INTERFACE, "FileDescriptorName", &e,
                                               &fdname);
        if (r >= 0)
                r = sd_bus_message_enter_container(reply, 'a', "(ss)");
        while (r >= 0 && (r = sd_bus_message_read(reply, "(ss)", &type, &address)) > 0) {
                if (j) {
                        fprintf(j, "%s{", *first ? "" : ",");
                        json_kv_str(j, "listen", address, false);
                        json_kv_str(j, "type", type, true);
                        json_kv_str(j, "pool", pool, true);
                        json_kv_str(j, "fdname", fdname, true);
                        fputc('}', j);
                } else {
                        (void) table_add(t, address, NULL);
                        (void) table_add(t, type, NULL);
                        (void) table_add(t, pool, NULL);
                        (void) table_add(t, fdname, NULL);
                }
                *first = false;
        }
        if (r < 0) {
                char what[128];

                snprintf(what, sizeof what, "get the sockets of pool %.64s", pool);
                r = fail(&e, r, what);
                sd_bus_error_free(&e);
                return r;
        }
        return EXIT_OK;
}

static const TableColumn socket_columns[] = {
        { "LISTEN" }, { "TYPE" }, { "POOL" }, { "FDNAME" },
};

static int name_compare(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* list-sockets [POOL...]: every [Socket] Listen*= of the pools sorted by
 * name (or of these, in the order given), each pool's in the order of its
 * file. */
int verb_list_sockets(sd_bus *bus, char **args, int n) {
        _cleanup_(strv_freep) char **names = NULL;
        _cleanup_(table_freep) Table *t = NULL;
        bool first = true;
        FILE *j = NULL;
        JsonDoc doc;
        int ret = EXIT_OK, r;

        r = pool_names_from_args(bus, args, n, &names);
        if (r < 0)
                return -r;
        if (n <= 1 && names)
                qsort(names, strv_length(names), sizeof(char *), name_compare);
        t = table_new(socket_columns, ELEMENTSOF(socket_columns));
        if (!t || (n > 1 && !names))
                return EXIT_FAIL;
        if (arg_json != JSON_OFF) {
                j = json_begin(&doc);
                fputc('[', j);
        }
        for (size_t i = 0; names && names[i]; i++) {
                _cleanup_(freep) char *path = NULL;

                r = pool_path(bus, names[i], &path);
                if (r >= 0)
                        r = socket_rows(bus, names[i], path, t, j, &first);
                else
                        r = -r;
                if (r != EXIT_OK && ret == EXIT_OK)
                        ret = r;
        }
        if (j) {
                fputc(']', j);
                json_end(&doc, arg_json);
                return ret;
        }
        table_print(t, stdout, arg_legend);
        if (arg_legend)
                printf("\n%zu sockets listed.\n", table_rows(t));
        return ret;
}
