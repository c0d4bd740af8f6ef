/* SPDX-License-Identifier: MIT */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

/* The helpers are pure and built into workerpoold and workerpoolctl, not
 * into libcore: compile them into the test directly. */
#include "bus/bus-util.c"
#include "config/config.h"
#include "config/dropin.h"

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

Test(bus_util, dropin_merge) {
        char *t = NULL, *u = NULL, *v = NULL;

        cr_assert_eq(dropin_text_set(NULL, "Resources", "MemoryMax", "512M", &t), 0);
        cr_assert(strstr(t, "[Resources]\nMemoryMax=512M\n"), "%s", t);
        cr_assert_eq(t[0], '#');

        cr_assert_eq(dropin_text_set(t, "Pool", "Workers", "3", &u), 0);
        cr_assert(strstr(u, "[Resources]\nMemoryMax=512M\n[Pool]\nWorkers=3\n"), "%s", u);

        /* replace in place, in the right section; keep other lines */
        cr_assert_eq(dropin_text_set(u, "Resources", "MemoryMax", "1G", &v), 0);
        cr_assert(strstr(v, "[Resources]\nMemoryMax=1G\n[Pool]\nWorkers=3\n"), "%s", v);
        cr_assert_null(strstr(v, "512M"));
        free(t), free(u), free(v);

        /* a key of the same name in another section is not ours; duplicates go */
        cr_assert_eq(dropin_text_set("[Pool]\nMemoryMax = 5\n[Resources]\nMemoryMax=1\nTasksMax=3\nMemoryMax=2\n",
                                     "Resources", "MemoryMax", "9", &t), 0);
        cr_assert_str_eq(t, "[Pool]\nMemoryMax = 5\n[Resources]\nMemoryMax=9\nTasksMax=3\n");
        free(t);

        /* a prefix is not the key */
        cr_assert_eq(dropin_text_set("[Pool]\nWorkersX=1", "Pool", "Workers", "2", &t), 0);
        cr_assert_str_eq(t, "[Pool]\nWorkersX=1\nWorkers=2\n");
        free(t);

        /* key appended at the end of its section, before the next one */
        cr_assert_eq(dropin_text_set("[Pool]\nRestart=no\n[Resources]\nCPUWeight=5\n", "Pool", "Workers", "2",
                                     &t), 0);
        cr_assert_str_eq(t, "[Pool]\nRestart=no\nWorkers=2\n[Resources]\nCPUWeight=5\n");
        free(t);

        cr_assert_lt(dropin_text_set(NULL, "", "A", "b", &t), 0);
        cr_assert_lt(dropin_text_set(NULL, "Pool", "", "b", &t), 0);
}

Test(bus_util, pressure) {
        Pressure p;

        cr_assert_eq(pressure_parse("some avg10=1.50 avg60=0.25 avg300=0.00 total=12345\n"
                                    "full avg10=0.10 avg60=0.00 avg300=0.00 total=99\n", &p), 0);
        cr_assert(p.have_some && p.have_full);
        cr_assert_float_eq(p.some_avg10, 1.5, 1e-9);
        cr_assert_float_eq(p.some_avg60, 0.25, 1e-9);
        cr_assert_eq(p.some_total, 12345);
        cr_assert_eq(p.full_total, 99);
        cr_assert_eq(pressure_parse("some avg10=0.00 avg60=0.00 avg300=0.00 total=0", &p), 0);
        cr_assert(!p.have_full);
        cr_assert_lt(pressure_parse("", &p), 0);
        cr_assert_lt(pressure_parse("garbage", &p), 0);
        cr_assert_lt(pressure_parse(NULL, &p), 0);
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

/* The config functions the bus layer relies on (config.c, "Added for the D-Bus layer"). */
Test(bus_config, set_property_and_dup) {
        PoolConfig *c = NULL, *d = NULL;
        char *err = NULL;

        cr_assert_eq(pool_config_new("web", NULL, &c), 0);
        c->max_workers = 10;
        cr_assert_eq(pool_config_set_property(c, NULL, "MemoryMax", "512M", &err), 0);
        cr_assert_eq(c->memory_max, UINT64_C(512) << 20);
        cr_assert_eq(pool_config_set_property(c, NULL, "CPUQuota", "50%", &err), 0);
        cr_assert_eq(c->cpu_quota_per_sec_usec, 500000);
        cr_assert_eq(pool_config_set_property(c, NULL, "Restart", "always", &err), 0);
        cr_assert_eq(c->restart, RESTART_ALWAYS);

        cr_assert_eq(pool_config_set_property(c, NULL, "MemoryMax", "lots", &err), -EINVAL);
        cr_assert_str_eq(err, "Invalid MemoryMax= value 'lots': expected a size like 512M or infinity");
        free(err);
        cr_assert_eq(pool_config_set_property(c, NULL, "Workers", "11", &err), -EINVAL);
        cr_assert(strstr(err, "outside MinWorkers..MaxWorkers"), "%s", err);
        cr_assert_neq(err[0], ':');
        free(err);
        c->workers = 1;         /* half changed on error, as documented */
        cr_assert_eq(pool_config_set_property(c, NULL, "NoSuchKey", "1", &err), -ENOENT);
        cr_assert_null(err);
        cr_assert_eq(pool_config_set_property(c, NULL, "", "1", &err), -ENOENT);

        /* empty: back to the default */
        cr_assert_eq(pool_config_set_property(c, NULL, "MemoryMax", "", &err), 0);
        cr_assert_eq(c->memory_max, CGROUP_LIMIT_MAX);

        cr_assert_str_eq(pool_config_property_section("MemoryMax"), "Resources");
        cr_assert_str_eq(pool_config_property_section("Workers"), "Pool");
        cr_assert_null(pool_config_property_section("Nope"));

        c->description = strdup("d");
        cr_assert_eq(pool_config_dup(c, &d), 0);
        cr_assert_str_eq(d->name, "web");
        cr_assert_str_eq(d->description, "d");
        cr_assert_neq(d->description, c->description);
        cr_assert_eq(d->restart, RESTART_ALWAYS);
        pool_config_free(c);
        pool_config_free(d);
}
