/* SPDX-License-Identifier: MIT */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bus/bus-util.h"

Test(bus_util, parse_signal) {
        int sig = 0;

        cr_assert_eq(bus_parse_signal("SIGTERM", &sig), 0);
        cr_assert_eq(sig, SIGTERM);
        cr_assert_eq(bus_parse_signal("KILL", &sig), 0);
        cr_assert_eq(sig, SIGKILL);
        cr_assert_eq(bus_parse_signal("9", &sig), 0);
        cr_assert_eq(sig, 9);
        cr_assert_eq(bus_parse_signal("64", &sig), 0);
        sig = 123;
        cr_assert_lt(bus_parse_signal("", &sig), 0);
        cr_assert_lt(bus_parse_signal(NULL, &sig), 0);
        cr_assert_lt(bus_parse_signal("0", &sig), 0);
        cr_assert_lt(bus_parse_signal("65", &sig), 0);
        cr_assert_lt(bus_parse_signal("-9", &sig), 0);
        cr_assert_lt(bus_parse_signal("SIGFOO", &sig), 0);
        cr_assert_lt(bus_parse_signal("99999999999999999999999", &sig), 0);
        cr_assert_lt(bus_parse_signal("9 ", &sig), 0);
        cr_assert_lt(bus_parse_signal("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", &sig), 0);
        cr_assert_eq(sig, 123, "written on failure");
}

Test(bus_util, worker_ids_and_paths) {
        uint64_t id = 7;

        cr_assert_eq(bus_parse_worker_id("1", &id), 0);
        cr_assert_eq(id, 1);
        cr_assert_eq(bus_parse_worker_id("18446744073709551615", &id), 0);
        cr_assert_eq(id, UINT64_MAX);
        cr_assert_lt(bus_parse_worker_id("18446744073709551616", &id), 0);
        cr_assert_lt(bus_parse_worker_id("0", &id), 0);
        cr_assert_lt(bus_parse_worker_id("01", &id), 0);
        cr_assert_lt(bus_parse_worker_id("+1", &id), 0);
        cr_assert_lt(bus_parse_worker_id("1x", &id), 0);
        cr_assert_lt(bus_parse_worker_id("", &id), 0);

        cr_assert_eq(bus_worker_path_parse("/org/workerpoold1/worker/42", &id), 0);
        cr_assert_eq(id, 42);
        cr_assert_lt(bus_worker_path_parse("/org/workerpoold1/worker/", &id), 0);
        cr_assert_lt(bus_worker_path_parse("/org/workerpoold1/worker", &id), 0);
        cr_assert_lt(bus_worker_path_parse("/org/workerpoold1/workers/1", &id), 0);
        cr_assert_lt(bus_worker_path_parse("/org/workerpoold1/worker/1/2", &id), 0);
        cr_assert_lt(bus_worker_path_parse(NULL, &id), 0);
}

Test(bus_util, value_safety) {
        char big[5000];

        cr_assert(bus_property_value_is_safe("512M"));
        cr_assert(bus_property_value_is_safe(""));
        cr_assert(bus_property_value_is_safe("1min 30s"));
        cr_assert(!bus_property_value_is_safe("512M\nExecStart=/bin/sh"));
        cr_assert(!bus_property_value_is_safe("512M\\"));
        cr_assert(!bus_property_value_is_safe("a\tb"));
        cr_assert(!bus_property_value_is_safe("a\x7f"));
        cr_assert(!bus_property_value_is_safe(NULL));
        memset(big, 'a', sizeof big - 1);
        big[sizeof big - 1] = 0;
        cr_assert(!bus_property_value_is_safe(big));
}



Test(bus_util, json_escape) {
        char *s;

        s = json_escape("plain");
        cr_assert_str_eq(s, "\"plain\"");
        free(s);
        s = json_escape("q\"b\\s/\n\t\r\b\f\x01\x1f");
        cr_assert_str_eq(s, "\"q\\\"b\\\\s/\\n\\t\\r\\b\\f\\u0001\\u001f\"");
        free(s);
        s = json_escape("✓ ünï");
        cr_assert_str_eq(s, "\"✓ ünï\"");
        free(s);
        /* invalid UTF-8: lone continuation, truncated sequence, overlong, surrogate */
        s = json_escape("a\x80" "b\xe2\x9c" "c\xc0\xaf" "d\xed\xa0\x80");
        cr_assert_str_eq(s, "\"a\\ufffdb\\ufffd\\ufffdc\\ufffd\\ufffdd\\ufffd\\ufffd\\ufffd\"");
        free(s);
        s = json_escape(NULL);
        cr_assert_str_eq(s, "\"\"");
        free(s);
        s = json_escape("\x7f");
        cr_assert_str_eq(s, "\"\\u007f\"");
        free(s);
}

Test(bus_util, format_timestamp) {
        char buf[64];

        cr_assert_str_eq(format_timestamp(buf, sizeof buf, 0), "n/a");
        cr_assert_str_eq(format_timestamp(buf, sizeof buf, UINT64_MAX), "n/a");
        cr_assert_eq(strlen(format_timestamp(buf, sizeof buf, UINT64_C(1700000000000000))), 19);
}

Test(bus_util, one_error_map_for_daemon_and_client) {
        static const struct { const char *name; int error; } want[] = {
                { BUS_ERROR_NO_SUCH_POOL, ENOENT },      { BUS_ERROR_NO_SUCH_WORKER, ESRCH },
                { BUS_ERROR_INVALID_VALUE, EINVAL },     { BUS_ERROR_POOL_FAILED, EHOSTDOWN },
                { BUS_ERROR_OUT_OF_RANGE, ERANGE },      { BUS_ERROR_NOT_PERMITTED, EPERM },
                { BUS_ERROR_INVALID_CONFIG, EBADMSG },
        };

        cr_assert_geq(sd_bus_error_add_map(bus_workerpoold_errors), 0);
        for (size_t i = 0; i < ELEMENTSOF(want); i++) {
                sd_bus_error e = SD_BUS_ERROR_NULL;

                cr_assert_eq(sd_bus_error_set(&e, want[i].name, "x"), -want[i].error, "%s", want[i].name);
                sd_bus_error_free(&e);
        }
}

/* ---- Prometheus text (metrics_print) --------------------------------- */

static char *print_to_string(void (*fn)(FILE *, const char *), const char *s) {
        char *text = NULL;
        size_t n = 0;
        FILE *f = open_memstream(&text, &n);

        cr_assert_not_null(f);
        fn(f, s);
        cr_assert_eq(fclose(f), 0);
        return text;
}

Test(bus_util, metrics_escapes) {
        char *s;

        s = print_to_string(metrics_fputs_label_value, "a\\b\"c\nd");
        cr_assert_str_eq(s, "a\\\\b\\\"c\\nd");
        free(s);
        s = print_to_string(metrics_fputs_help, "a\\b\"c\nd");
        cr_assert_str_eq(s, "a\\\\b\"c\\nd");
        free(s);
}

static char *value_to_string(double v) {
        char *text = NULL;
        size_t n = 0;
        FILE *f = open_memstream(&text, &n);

        cr_assert_not_null(f);
        metrics_fput_value(f, v);
        cr_assert_eq(fclose(f), 0);
        return text;
}

Test(bus_util, metrics_values) {
        static const struct { double v; const char *want; } cases[] = {
                { 0, "0" }, { 3, "3" }, { -2, "-2" }, { 0.25, "0.25" }, { 1e15, "1000000000000000" },
                { 1.5e20, "1.5e+20" }, { 1.0 / 3.0, "0.33333333333333331" },
        };
        char *s;

        for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
                s = value_to_string(cases[k].v);
                cr_assert_str_eq(s, cases[k].want, "%g", cases[k].v);
                free(s);
        }
        s = value_to_string(0.0 / 0.0);
        cr_assert_str_eq(s, "NaN");
        free(s);
        s = value_to_string(1.0 / 0.0);
        cr_assert_str_eq(s, "+Inf");
        free(s);
        s = value_to_string(-1.0 / 0.0);
        cr_assert_str_eq(s, "-Inf");
        free(s);
}

/* A GetMetrics reply as the daemon builds it, on an sd-bus message of a bus
 * that is never connected to anything (a socketpair, started, not read). */
Test(bus_util, metrics_print) {
        int sv[2];
        sd_bus *bus = NULL;
        sd_bus_message *m = NULL;
        char *text = NULL;
        size_t n = 0;
        FILE *f;

        cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
        cr_assert_geq(sd_bus_new(&bus), 0);
        cr_assert_geq(sd_bus_set_fd(bus, sv[0], sv[0]), 0);
        cr_assert_geq(sd_bus_start(bus), 0);
        cr_assert_geq(sd_bus_message_new_method_call(bus, &m, "org.example", "/", "org.example", "X"), 0);
        cr_assert_geq(sd_bus_message_append(m, "a(sssa(a(ss)d))", 3,
                                            "wp_up", "gauge", "Up.\nYes", 1, 0, 1.0,
                                            "wp_workers", "gauge", "By state.", 2,
                                                2, "pool", "web", "state", "idle", 3.0,
                                                2, "pool", "a\"b", "state", "busy", 0.5,
                                            "wp_none_total", "counter", "No samples.", 0), 0);
        cr_assert_geq(sd_bus_message_seal(m, 1, 0), 0);
        cr_assert_geq(sd_bus_message_rewind(m, true), 0);
        f = open_memstream(&text, &n);
        cr_assert_not_null(f);
        cr_assert_geq(metrics_print(m, f), 0);
        cr_assert_eq(fclose(f), 0);
        cr_assert_str_eq(text,
                         "# HELP wp_up Up.\\nYes\n"
                         "# TYPE wp_up gauge\n"
                         "wp_up 1\n"
                         "# HELP wp_workers By state.\n"
                         "# TYPE wp_workers gauge\n"
                         "wp_workers{pool=\"web\",state=\"idle\"} 3\n"
                         "wp_workers{pool=\"a\\\"b\",state=\"busy\"} 0.5\n"
                         "# HELP wp_none_total No samples.\n"
                         "# TYPE wp_none_total counter\n");
        free(text);
        sd_bus_message_unref(m);
        sd_bus_close(bus);      /* no flush: nobody answers its authentication */
        sd_bus_unref(bus);
        close(sv[1]);
}
