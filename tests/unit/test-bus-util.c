/* SPDX-License-Identifier: MIT */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

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
