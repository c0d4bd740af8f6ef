/* SPDX-License-Identifier: MIT */
/* events --type=... / --since=...: every lifecycle event (started, ready,
 * stopping, exited, state, scale, reload, reexec, health, command), from
 * ListLifecycleEvents, then with --follow from the LifecycleEvent signal:
 * the same schema both ways, as a table or JSON. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <systemd/sd-bus.h>

#include "../bus/bus-util.h"
#include "../shared/parse-util.h"
#include "../shared/string-util.h"
#include "ctl.h"

static const TableColumn lifecycle_columns[] = {
        { "TIME" }, { "POOL" }, { "WORKER", true }, { "TYPE" }, { "MESSAGE" },
};

typedef struct LifecycleFollow {
        Table *table;
        uint64_t last_seq;      /* printed up to here (the history): later signals only */
        const char *types;      /* comma-separated, "": every type */
} LifecycleFollow;

static bool list_has(const char *list, const char *word) {
        size_t n = strlen(word);

        for (const char *s = list; s && *s;) {
                size_t k = strcspn(s, ",");

                if (k == n && strneq(s, word, n))
                        return true;
                s += k + (s[k] == ',');
        }
        return false;
}

/* --since: "@SECONDS", "-SPAN" (ago, e.g. -10min), "YYYY-MM-DD[ HH:MM[:SS]]"
 * (local time); 0 with -EINVAL for anything else. */
int parse_since(const char *s, uint64_t *ret) {
        struct tm tm = {};
        const char *end;
        usec_t span;
        time_t t;

        if (isempty(s))
                return -EINVAL;
        if (s[0] == '@') {
                uint64_t v;

                if (parse_uint64(s + 1, &v) < 0 || v > UINT64_MAX / USEC_PER_SEC)
                        return -EINVAL;
                *ret = v * USEC_PER_SEC;
                return 0;
        }
        if (s[0] == '-') {
                struct timespec ts;

                if (parse_time(s + 1, USEC_PER_SEC, &span) < 0 || span == USEC_INFINITY)
                        return -EINVAL;
                clock_gettime(CLOCK_REALTIME, &ts);
                usec_t now = (usec_t) ts.tv_sec * USEC_PER_SEC + (usec_t) ts.tv_nsec / 1000;
                *ret = span < now ? now - span : 0;
                return 0;
        }
        tm.tm_isdst = -1;
        end = strptime(s, "%Y-%m-%d %H:%M:%S", &tm);
        if (!end || *end) {
                tm = (struct tm) { .tm_isdst = -1 };
                end = strptime(s, "%Y-%m-%d %H:%M", &tm);
        }
        if (!end || *end) {
                tm = (struct tm) { .tm_isdst = -1 };
                end = strptime(s, "%Y-%m-%d", &tm);
        }
        if (!end || *end)
                return -EINVAL;
        t = mktime(&tm);
        if (t < 0)
                return -EINVAL;
        *ret = (uint64_t) t * USEC_PER_SEC;
        return 0;
}

typedef struct LifecycleEvent {
        uint64_t seq, at, worker;
        const char *type, *pool, *message;
        uint32_t pid;
} LifecycleEvent;

/* The members, then the fields as JSON (j) or "K=V" pairs (verbose). */
static int lifecycle_read(sd_bus_message *m, LifecycleEvent *ev, FILE *j) {
        const char *k, *v;
        bool first = true;
        int r;

        r = sd_bus_message_read(m, "ttsstus", &ev->seq, &ev->at, &ev->type, &ev->pool, &ev->worker, &ev->pid,
                                &ev->message);
        if (r < 0)
                return r;
        r = sd_bus_message_enter_container(m, 'a', "{ss}");
        if (r < 0)
                return r;
        if (j) {
                fputc('{', j);
                json_kv_u64(j, "seq", ev->seq, false);
                json_kv_u64(j, "time_usec", ev->at, true);
                json_kv_str(j, "type", ev->type, true);
                json_kv_str(j, "pool", ev->pool, true);
                json_kv_id(j, "worker", ev->worker);
                fprintf(j, ",\"pid\":");
                if (ev->pid > 0)
                        fprintf(j, "%" PRIu32, ev->pid);
                else
                        fputs("null", j);
                json_kv_str(j, "message", ev->message, true);
                fputs(",\"fields\":{", j);
        }
        while ((r = sd_bus_message_read(m, "{ss}", &k, &v)) > 0)
                if (j) {
                        json_kv_str(j, k, v, !first);
                        first = false;
                }
        if (r < 0)
                return r;
        if (j)
                fputs("}}", j);
        return sd_bus_message_exit_container(m);
}

static void lifecycle_row(Table *t, const LifecycleEvent *ev) {
        char ts[64];

        (void) table_add(t, format_timestamp(ts, sizeof ts, ev->at), NULL);
        (void) table_add(t, ev->pool, NULL);
        if (ev->worker > 0)
                (void) table_addf(t, NULL, "%" PRIu64, ev->worker);
        else
                (void) table_add(t, "-", NULL);
        (void) table_add(t, ev->type, state_color(ev->type));
        (void) table_add(t, ev->message, NULL);
}

static int on_lifecycle_event(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        LifecycleFollow *f = userdata;
        LifecycleEvent ev;
        JsonDoc doc;
        FILE *j = arg_json != JSON_OFF ? json_begin(&doc) : NULL;
        int r;

        r = lifecycle_read(m, &ev, j);
        if (r < 0 || ev.seq <= f->last_seq || (!isempty(arg_pool) && !streq(ev.pool, arg_pool)) ||
            (!isempty(f->types) && !list_has(f->types, ev.type))) {
                if (j && !doc.direct) {
                        /* not ours: drop what was written */
                        fclose(doc.f);
                        free(doc.buf);
                }
                return 0;
        }
        f->last_seq = ev.seq;
        if (j)
                json_end(&doc, arg_json == JSON_PRETTY ? JSON_PRETTY : JSON_SHORT);
        else {
                lifecycle_row(f->table, &ev);
                table_print_new(f->table, stdout, false);
        }
        fflush(stdout);
        return 0;
}

int verb_lifecycle_events(sd_bus *bus) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(table_freep) Table *t = NULL;
        sd_bus_error e = SD_BUS_ERROR_NULL;
        LifecycleFollow f = {};
        const char *filter = streq_ptr(arg_type, "all") ? "" : arg_type ?: "";
        uint64_t since = 0;
        bool first = true;
        FILE *j = NULL;
        JsonDoc doc;
        int r;

        if (arg_since && parse_since(arg_since, &since) < 0) {
                fprintf(stderr, "Invalid --since=%s: expected YYYY-MM-DD [HH:MM[:SS]], @SECONDS or -SPAN "
                        "(e.g. -10min).\n", arg_since);
                return EXIT_USAGE;
        }
        t = table_new(lifecycle_columns, ELEMENTSOF(lifecycle_columns));
        if (!t)
                return EXIT_FAIL;
        f = (LifecycleFollow) { .table = t, .types = filter };
        if (arg_follow) {
                /* Subscribe first, then list: nothing falls between the two. */
                r = sd_bus_match_signal(bus, NULL, BUS_NAME, BUS_PATH, BUS_MANAGER_INTERFACE, "LifecycleEvent",
                                        on_lifecycle_event, &f);
                if (r < 0) {
                        fprintf(stderr, "Failed to subscribe to LifecycleEvent: %s\n", strerror(-r));
                        return EXIT_FAIL;
                }
                table_set_min_width(t, 0, strlen("2026-11-22 11:02:28"));
                table_set_min_width(t, 2, 6);
                table_set_min_width(t, 3, strlen("stopping"));
        }
        r = sd_bus_call_method(bus, BUS_NAME, BUS_PATH, BUS_MANAGER_INTERFACE, "ListLifecycleEvents", &e, &reply,
                               "sstu", arg_pool, filter, since, arg_lines);
        if (r < 0) {
                r = fail(&e, r, "list events");
                sd_bus_error_free(&e);
                return r;
        }
        r = sd_bus_message_enter_container(reply, 'a', "(ttsstusa{ss})");
        if (arg_json != JSON_OFF && !arg_follow) {
                j = json_begin(&doc);
                fputc('[', j);
        }
        while (r >= 0 && (r = sd_bus_message_enter_container(reply, 'r', "ttsstusa{ss}")) > 0) {
                LifecycleEvent ev;
                JsonDoc line;
                FILE *lj = arg_json != JSON_OFF && arg_follow ? json_begin(&line) : NULL;

                if (j && !first)
                        fputc(',', j);
                r = lifecycle_read(reply, &ev, lj ?: j);
                if (r >= 0)
                        r = sd_bus_message_exit_container(reply);
                if (r < 0)
                        break;
                if (lj)
                        json_end(&line, arg_json == JSON_PRETTY ? JSON_PRETTY : JSON_SHORT);
                else if (!j)
                        lifecycle_row(t, &ev);
                f.last_seq = MAX(f.last_seq, ev.seq);
                first = false;
        }
        if (j) {
                fputc(']', j);
                json_end(&doc, arg_json);
        }
        if (r < 0) {
                fprintf(stderr, "Failed to parse the reply: %s\n", strerror(-r));
                return EXIT_FAIL;
        }
        if (arg_json == JSON_OFF) {
                if (arg_follow)
                        table_print_new(t, stdout, arg_legend);
                else
                        table_print(t, stdout, arg_legend);
        }
        fflush(stdout);
        if (!arg_follow)
                return EXIT_OK;
        return follow_signals(bus);
}
