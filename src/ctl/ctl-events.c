/* SPDX-License-Identifier: MIT */
/* events: why workers exited. ListEvents' records (of either version), as
 * a table, JSON or -o verbose, and --follow on WorkerExited. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <systemd/sd-bus.h>

#include "../bus/bus-util.h"
#include "../shared/parse-util.h"
#include "../shared/string-util.h"
#include "../shared/strv.h"
#include "ctl.h"

void event_print_json(FILE *j, const Event *ev) {
        fputc('{', j);
        json_kv_u64(j, "id", ev->id, false);
        json_kv_str(j, "pool", ev->pool, true);
        json_kv_u64(j, "pid", ev->pid, true);
        json_kv_u64(j, "started_at_usec", ev->started ?: UINT64_MAX, true);
        json_kv_u64(j, "exited_at_usec", ev->exited ?: UINT64_MAX, true);
        json_kv_str(j, "reason", ev->reason, true);
        json_kv_str(j, "evidence", ev->evidence, true);
        fprintf(j, ",\"core_dumped\":%s,\"code\":%" PRIi32 ",\"status\":%" PRIi32, ev->core ? "true" : "false",
                ev->code, ev->status);
        json_kv_str(j, "action", ev->action, true);
        json_kv_u64(j, "memory_peak", ev->memory_peak, true);
        json_kv_u64(j, "cpu_usec", ev->cpu_usec, true);
        json_kv_id(j, "replaces", ev->replaces);
        json_kv_id(j, "successor", ev->successor);
        json_kv_u64(j, "jobs", ev->jobs, true);
        if (isempty(ev->capture))
                fputs(",\"capture\":null", j);
        else
                json_kv_str(j, "capture", ev->capture, true);
        fputc('}', j);
}

/* ListEvents' record, a(tsuttssbiisttttts): the 13 fields of the first
 * version, then (issue #14) replaces, successor, jobs, capture. Both are
 * read (an older daemon, -H to another machine), and fields a later daemon
 * appends are skipped. */
#define EVENT_TYPE_V1 "tsuttssbiistt"
#define EVENT_TYPE_V2_TAIL "ttts"

/* Enter the array of a ListEvents reply, whichever record it carries. */
int events_enter(sd_bus_message *m) {
        const char *contents;
        char type;
        int r;

        r = sd_bus_message_peek_type(m, &type, &contents);
        if (r < 0)
                return r;
        if (r == 0 || type != 'a' || !startswith(contents, "(" EVENT_TYPE_V1))
                return -EBADMSG;
        return sd_bus_message_enter_container(m, 'a', contents);
}

/* One record of the array; > 0 read, 0 at its end. */
int event_read(sd_bus_message *m, Event *ev) {
        const char *contents;
        int r;

        r = sd_bus_message_peek_type(m, NULL, &contents);
        if (r <= 0)
                return r;
        r = sd_bus_message_enter_container(m, 'r', contents);
        if (r <= 0)
                return r ?: -EBADMSG;
        *ev = (Event) { .jobs = UINT64_MAX, .capture = "" };
        r = sd_bus_message_read(m, EVENT_TYPE_V1, &ev->id, &ev->pool, &ev->pid, &ev->started, &ev->exited,
                                &ev->reason, &ev->evidence, &ev->core, &ev->code, &ev->status, &ev->action,
                                &ev->memory_peak, &ev->cpu_usec);
        if (r >= 0 && startswith(contents, EVENT_TYPE_V1 EVENT_TYPE_V2_TAIL))
                r = sd_bus_message_read(m, "ttts", &ev->replaces, &ev->successor, &ev->jobs, &ev->capture);
        while (r >= 0 && (r = sd_bus_message_peek_type(m, NULL, NULL)) > 0)
                r = sd_bus_message_skip(m, NULL);
        if (r >= 0)
                r = sd_bus_message_exit_container(m);
        return r < 0 ? r : 1;
}

static const TableColumn event_columns[] = {
        { "TIME" }, { "POOL" }, { "WORKER", true }, { "PID", true }, { "REASON" }, { "ACTION" }, { "CHAIN" },
        { "EVIDENCE" },
};

/* The worker's place in its chain of replacements, around its own id:
 * "9->17" (17 replaced 9), "17->23" (23 replaced 17), "9->17->23", "-". */
static const char *event_chain(char *buf, size_t n, const Event *ev) {
        char before[32] = "", after[32] = "";

        if (ev->replaces == 0 && ev->successor == 0)
                return "-";
        if (ev->replaces != 0)
                snprintf(before, sizeof before, "%" PRIu64 "->", ev->replaces);
        if (ev->successor != 0)
                snprintf(after, sizeof after, "->%" PRIu64, ev->successor);
        snprintf(buf, n, "%s%" PRIu64 "%s", before, ev->id, after);
        return buf;
}

static void event_add_row(Table *t, const Event *ev) {
        char ts[64], chain[96];

        (void) table_add(t, format_timestamp(ts, sizeof ts, ev->exited), NULL);
        (void) table_add(t, ev->pool, NULL);
        (void) table_addf(t, NULL, "%" PRIu64, ev->id);
        (void) table_addf(t, NULL, "%" PRIu32, ev->pid);
        (void) table_add(t, ev->reason, state_color(ev->reason));
        (void) table_add(t, ev->action, NULL);
        (void) table_add(t, event_chain(chain, sizeof chain, ev), NULL);
        (void) table_add(t, ev->evidence, NULL);
}

/* Each line of text indented, the last one ended. */
static void print_indented(const char *text, const char *indent) {
        for (const char *p = text; !isempty(p);) {
                size_t k = strcspn(p, "\n");

                printf("%s%.*s\n", indent, (int) k, p);
                p += k + (p[k] == '\n');
        }
}

/* -o verbose, as journalctl's: a header line, then every field that says
 * something as NAME=VALUE, the capture's lines below its name. */
static void event_print_verbose(const Event *ev) {
        char b[64];

        printf("%s%s%s worker %" PRIu64 " of pool %s\n", ansi_bold(),
               format_timestamp(b, sizeof b, ev->exited), ansi_normal(), ev->id, ev->pool);
        printf("    WORKER=%" PRIu64 "\n    POOL=%s\n    PID=%" PRIu32 "\n", ev->id, ev->pool, ev->pid);
        printf("    REASON=%s\n", ev->reason);
        if (!isempty(ev->evidence))
                printf("    EVIDENCE=%s\n", ev->evidence);
        printf("    ACTION=%s\n    CODE=%" PRIi32 "\n    STATUS=%" PRIi32 "\n", ev->action, ev->code, ev->status);
        if (ev->core)
                printf("    CORE_DUMPED=yes\n");
        if (ev->started != 0)
                printf("    STARTED=%s\n", format_timestamp(b, sizeof b, ev->started));
        if (ev->exited != 0)
                printf("    EXITED=%s\n", format_timestamp(b, sizeof b, ev->exited));
        if (ev->jobs != UINT64_MAX)
                printf("    JOBS=%" PRIu64 "\n", ev->jobs);
        if (ev->replaces != 0)
                printf("    REPLACES=%" PRIu64 "\n", ev->replaces);
        if (ev->successor != 0)
                printf("    SUCCESSOR=%" PRIu64 "\n", ev->successor);
        if (ev->memory_peak != UINT64_MAX)
                printf("    MEMORY_PEAK=%s\n", format_bytes(b, sizeof b, ev->memory_peak));
        if (ev->cpu_usec != UINT64_MAX)
                printf("    CPU=%s\n", format_timespan(b, sizeof b, ev->cpu_usec));
        if (!isempty(ev->capture)) {
                printf("    CAPTURE=\n");
                print_indented(ev->capture, "        ");
        }
}

/* One record as -o says: verbose, a JSON line (follow) or an element of
 * the JSON array after a comma unless first, or a row of t. */
static void event_output(const Event *ev, Table *t, FILE *j, bool first, bool follow) {
        if (arg_json != JSON_OFF && follow) {
                JsonDoc line;

                event_print_json(json_begin(&line), ev);
                json_end(&line, arg_json);
        } else if (j) {
                if (!first)
                        fputc(',', j);
                event_print_json(j, ev);
        } else if (arg_verbose) {
                if (!first)
                        putchar('\n');
                event_print_verbose(ev);
        } else
                event_add_row(t, ev);
}

/* What --follow goes on with: the table whose widths the later lines keep,
 * and whether a record was printed (-o verbose: a blank line before the
 * next). */
typedef struct Follow {
        Table *table;
        bool any;
} Follow;

/* The history; with follow as the head of what --follow prints: JSON one
 * object per line, text lined up for the lines that come later. */
static int verb_events_list(sd_bus *bus, Follow *follow) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(table_freep) Table *own = NULL;
        sd_bus_error e = SD_BUS_ERROR_NULL;
        Table *t = follow ? follow->table : NULL;
        FILE *j = NULL;
        JsonDoc doc;
        bool first = true;
        Event ev;
        int r;

        r = sd_bus_call_method(bus, BUS_NAME, BUS_PATH, BUS_MANAGER_INTERFACE, "ListEvents", &e, &reply, "ssu",
                               arg_pool, arg_reason, arg_lines);
        if (r < 0) {
                r = fail(&e, r, "list events");
                sd_bus_error_free(&e);
                return r;
        }
        if (!t) {
                t = own = table_new(event_columns, ELEMENTSOF(event_columns));
                if (!t)
                        return EXIT_FAIL;
        }
        r = events_enter(reply);
        if (arg_json != JSON_OFF && !follow) {
                j = json_begin(&doc);
                fputc('[', j);
        }
        while (r >= 0 && (r = event_read(reply, &ev)) > 0) {
                event_output(&ev, t, j, first, follow);
                first = false;
        }
        if (follow && !first)
                follow->any = true;
        if (j) {
                fputc(']', j);
                json_end(&doc, arg_json);
        }
        if (r < 0) {
                fprintf(stderr, "Failed to parse the reply: %s\n", strerror(-r));
                return EXIT_FAIL;
        }
        if (arg_json == JSON_OFF && !arg_verbose) {
                if (follow)
                        table_print_new(t, stdout, arg_legend);
                else
                        table_print(t, stdout, arg_legend);
        }
        fflush(stdout);
        return EXIT_OK;
}

/* The record of worker id in the pool's recent history (a live exit's:
 * its capture is there, not in the signal); 0 if it is not there. */
static int event_lookup(sd_bus *bus, const char *pool, uint64_t id, sd_bus_message **ret_reply, Event *ret) {
        sd_bus_message *reply = NULL;
        Event ev;
        int r;

        r = sd_bus_call_method(bus, BUS_NAME, BUS_PATH, BUS_MANAGER_INTERFACE, "ListEvents", NULL, &reply, "ssu",
                               pool, "", (uint32_t) 16);
        if (r >= 0)
                r = events_enter(reply);
        while (r >= 0 && (r = event_read(reply, &ev)) > 0)
                if (ev.id == id) {
                        *ret_reply = reply;
                        *ret = ev;
                        return 1;
                }
        sd_bus_message_unref(reply);
        return r;
}

/* WorkerExited(t id, u pid, s reason, s evidence, i code, i status, s action
 * [, t started_at, t exited_at, b core_dumped, t memory_peak, t cpu_usec
 * [, t replaces, t jobs]]): the trailing fields make a live line the same as
 * a line of the history; a daemon that does not send them yet gets nulls.
 * JSON and verbose lines take the record from the history, for the capture
 * the signal does not carry. */
static int on_worker_exited(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *record = NULL;
        _cleanup_(freep) char *pool = NULL;
        Follow *f = userdata;
        Event ev = { .jobs = UINT64_MAX, .capture = "" };
        int r;

        if (sd_bus_path_decode(sd_bus_message_get_path(m), BUS_POOL_PREFIX, &pool) <= 0)
                return 0;
        r = sd_bus_message_read(m, "tussiis", &ev.id, &ev.pid, &ev.reason, &ev.evidence, &ev.code, &ev.status,
                                &ev.action);
        if (r < 0)
                return 0;
        ev.memory_peak = ev.cpu_usec = UINT64_MAX;
        if (sd_bus_message_peek_type(m, NULL, NULL) > 0 &&
            sd_bus_message_read(m, "ttbtt", &ev.started, &ev.exited, &ev.core, &ev.memory_peak, &ev.cpu_usec) < 0)
                return 0;
        if (sd_bus_message_peek_type(m, NULL, NULL) > 0 && sd_bus_message_read(m, "tt", &ev.replaces, &ev.jobs) < 0)
                return 0;
        if ((!isempty(arg_pool) && !streq(arg_pool, pool)) || (!isempty(arg_reason) && !streq(arg_reason, ev.reason)))
                return 0;
        ev.pool = pool;
        if (arg_json != JSON_OFF || arg_verbose) {
                Event full;

                /* not there (an older daemon, a history already past it): the signal's fields */
                if (event_lookup(sd_bus_message_get_bus(m), pool, ev.id, &record, &full) > 0)
                        ev = full;
        }
        if (arg_json == JSON_OFF && ev.exited == 0) {
                struct timespec now;

                clock_gettime(CLOCK_REALTIME, &now);
                ev.exited = (uint64_t) now.tv_sec * USEC_PER_SEC + (uint64_t) now.tv_nsec / 1000;
        }
        event_output(&ev, f->table, NULL, !f->any, true);
        f->any = true;
        if (arg_json == JSON_OFF && !arg_verbose)
                table_print_new(f->table, stdout, arg_legend);
        fflush(stdout);
        return 0;
}
int verb_events(sd_bus *bus, char **args, int n) {
        _cleanup_(table_freep) Table *t = NULL;
        _cleanup_(strv_freep) char **pools = NULL;
        size_t pool_width = 0;
        Follow f = {};
        int r;

        if (arg_type || arg_since)
                return verb_lifecycle_events(bus);
        if (!arg_follow)
                return verb_events_list(bus, NULL);

        /* Lines printed later line up with the header: each column as wide as
         * its widest value can be (the longest reason, stack-overflow; the
         * longest action, fail-pool; pids up to 7 digits; the pools there are;
         * a chain of ids up to 4 digits). */
        t = table_new(event_columns, ELEMENTSOF(event_columns));
        if (!t)
                return EXIT_FAIL;
        r = list_pool_names(bus, &pools);
        if (r < 0)
                return -r;
        for (char **p = pools; p && *p; p++)
                pool_width = MAX(pool_width, strlen(*p));
        table_set_min_width(t, 0, strlen("2026-11-22 11:02:28"));
        table_set_min_width(t, 1, pool_width);
        table_set_min_width(t, 2, 6);
        table_set_min_width(t, 3, 7);
        table_set_min_width(t, 4, strlen("stack-overflow"));
        table_set_min_width(t, 5, strlen("fail-pool"));
        table_set_min_width(t, 6, strlen("1000->1001->1002"));
        f.table = t;

        /* Subscribe first, then list: nothing falls between the two. */
        r = sd_bus_match_signal(bus, NULL, BUS_NAME, NULL, BUS_POOL_INTERFACE, "WorkerExited", on_worker_exited,
                                &f);
        if (r < 0) {
                fprintf(stderr, "Failed to subscribe to WorkerExited: %s\n", strerror(-r));
                return EXIT_FAIL;
        }
        r = verb_events_list(bus, &f);
        if (r != EXIT_OK)
                return r;
        return follow_signals(bus);
}
