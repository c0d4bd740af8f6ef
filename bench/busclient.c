/* SPDX-License-Identifier: MIT */
/* wpb-bus: times calls to org.workerpoold1 in-process (no busctl start-up
 * in the figures). One line per call on stdout: "<what> <ns> [<detail>]".
 *
 *   wpb-bus ADDRESS list POOL REPS      Manager.ListWorkers(POOL, "")
 *   wpb-bus ADDRESS prop POOL REPS      Get(Pool.ActiveWorkers) on GetPool(POOL)
 *   wpb-bus ADDRESS scale POOL N        Pool.Scale(N): time until the reply
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <time.h>

#define NAME  "org.workerpoold1"
#define PATH  "/org/workerpoold1"
#define MGR   "org.workerpoold1.Manager"
#define POOLI "org.workerpoold1.Pool"

static uint64_t now_ns(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec;
}

static int fail(const char *what, int r, const sd_bus_error *e) {
        fprintf(stderr, "wpb-bus: %s: %s\n", what, e && e->message ? e->message : strerror(-r));
        return 1;
}

int main(int argc, char *argv[]) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        sd_bus *bus = NULL;
        const char *pool_path;
        char *path = NULL;
        long reps;
        int r;

        if (argc < 5) {
                fprintf(stderr, "usage: wpb-bus ADDRESS list|prop|scale POOL REPS|N\n");
                return 2;
        }
        reps = atol(argv[4]);
        if ((r = sd_bus_new(&bus)) < 0 || (r = sd_bus_set_address(bus, argv[1])) < 0 ||
            (r = sd_bus_set_bus_client(bus, 1)) < 0 || (r = sd_bus_start(bus)) < 0)
                return fail("connect", r, NULL);
        /* Big replies (10,000 workers) must not hit the default timeout. */
        (void) sd_bus_set_method_call_timeout(bus, 120ULL * 1000000);

        if (strcmp(argv[2], "list") == 0) {
                for (long i = 0; i < reps; i++) {
                        uint64_t t = now_ns();
                        size_t n = 0;

                        r = sd_bus_call_method(bus, NAME, PATH, MGR, "ListWorkers", &e, &reply, "ss", argv[3], "");
                        t = now_ns() - t;
                        if (r < 0)
                                return fail("ListWorkers", r, &e);
                        r = sd_bus_message_enter_container(reply, 'a', "(tsusot)");
                        while (r >= 0 && (r = sd_bus_message_skip(reply, "(tsusot)")) > 0)
                                n++;
                        printf("list %llu %zu\n", (unsigned long long) t, n);
                        reply = sd_bus_message_unref(reply);
                }
                return 0;
        }

        r = sd_bus_call_method(bus, NAME, PATH, MGR, "GetPool", &e, &reply, "s", argv[3]);
        if (r < 0)
                return fail("GetPool", r, &e);
        r = sd_bus_message_read(reply, "o", &pool_path);
        if (r < 0)
                return fail("GetPool reply", r, NULL);
        path = strdup(pool_path);
        reply = sd_bus_message_unref(reply);

        if (strcmp(argv[2], "prop") == 0) {
                for (long i = 0; i < reps; i++) {
                        uint32_t v = 0;
                        uint64_t t = now_ns();

                        r = sd_bus_get_property_trivial(bus, NAME, path, POOLI, "ActiveWorkers", &e, 'u', &v);
                        t = now_ns() - t;
                        if (r < 0)
                                return fail("Get ActiveWorkers", r, &e);
                        printf("prop %llu %u\n", (unsigned long long) t, v);
                }
                return 0;
        }
        if (strcmp(argv[2], "scale") == 0) {
                uint64_t t = now_ns();

                r = sd_bus_call_method(bus, NAME, path, POOLI, "Scale", &e, &reply, "u", (uint32_t) reps);
                t = now_ns() - t;
                if (r < 0)
                        return fail("Scale", r, &e);
                printf("scale %llu\n", (unsigned long long) t);
                return 0;
        }
        fprintf(stderr, "wpb-bus: unknown verb %s\n", argv[2]);
        return 2;
}
