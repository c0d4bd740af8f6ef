/* SPDX-License-Identifier: MIT */
/* The verbs that act at once, with no job to wait for: kill, freeze, thaw,
 * diagnose, daemon-reload, reexec. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <systemd/sd-bus.h>

#include "../bus/bus-util.h"
#include "../shared/string-util.h"
#include "ctl.h"

/* Diagnose() may take ~5 s (freeze, capture every thread, thaw): well past that. */
#define DIAGNOSE_TIMEOUT_USEC (30 * USEC_PER_SEC)

/* daemon-reload, reexec: a Manager method without arguments. Reload()
 * answers when it is done: nothing to wait for. */
int verb_manager_call(sd_bus *bus, char **args, int n) {
        bool reexec = streq(args[0], "reexec");
        sd_bus_error e = SD_BUS_ERROR_NULL;
        int r;

        r = sd_bus_call_method(bus, BUS_NAME, BUS_PATH, BUS_MANAGER_INTERFACE, reexec ? "Reexecute" : "Reload", &e,
                               NULL, NULL);
        if (r < 0) {
                r = fail(&e, r, reexec ? "re-execute" : "reload");
                sd_bus_error_free(&e);
                return r;
        }
        return EXIT_OK;
}

/* metrics: Manager.GetMetrics() as Prometheus text, what workerpoold-exporter
 * serves, for node_exporter's textfile collector (write to a temporary file
 * and rename it into the collector's directory). */
int verb_metrics(sd_bus *bus, char **args, int n) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        int r;

        r = sd_bus_call_method(bus, BUS_NAME, BUS_PATH, BUS_MANAGER_INTERFACE, "GetMetrics", &e, &reply, NULL);
        if (r < 0) {
                r = fail(&e, r, "get the metrics");
                sd_bus_error_free(&e);
                return r;
        }
        r = metrics_print(reply, stdout);
        sd_bus_message_unref(reply);
        if (r < 0) {
                fprintf(stderr, "Cannot read the metrics: %s\n", strerror(-r));
                return EXIT_FAIL;
        }
        if (fflush(stdout) != 0 || ferror(stdout)) {
                fprintf(stderr, "Cannot write the metrics: %m\n");
                return EXIT_FAIL;
        }
        return EXIT_OK;
}

int verb_kill(sd_bus *bus, char **args, int n) {
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
                uint64_t id;
                int r;

                if (bus_parse_worker_id(args[i], &id) < 0)
                        r = call_pool(bus, args[i], "KillWorkers", "kill the workers of", NULL, "s", arg_signal);
                else
                        r = call_worker(bus, id, "Kill", "kill", 0, NULL, "s", arg_signal);
                if (r != EXIT_OK && ret == EXIT_OK)
                        ret = r;
        }
        return ret;
}

/* freeze, thaw WORKER|POOL...: a worker id as for kill, else a pool; nothing
 * printed on success, as systemctl freeze. */
int verb_freeze(sd_bus *bus, char **args, int n) {
        bool freeze = streq(args[0], "freeze");
        const char *method = freeze ? "Freeze" : "Thaw";
        int ret = EXIT_OK;

        for (int i = 1; i < n; i++) {
                uint64_t id;
                int r;

                if (bus_parse_worker_id(args[i], &id) < 0)
                        r = call_pool(bus, args[i], method, args[0], NULL, NULL);
                else
                        r = call_worker(bus, id, method, args[0], 0, NULL, NULL);
                if (r != EXIT_OK && ret == EXIT_OK)
                        ret = r;
        }
        return ret;
}

/* diagnose WORKER: the daemon freezes it, captures every thread's wchan and
 * stacks, thaws it; up to ~5 s. The text as it comes. */
int verb_diagnose(sd_bus *bus, char **args, int n) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *text;
        uint64_t id;
        int r;

        if (bus_parse_worker_id(args[1], &id) < 0) {
                fprintf(stderr, "diagnose: '%s' is not a worker id (see workerpoolctl list-workers).\n", args[1]);
                return EXIT_USAGE;
        }
        r = call_worker(bus, id, "Diagnose", "diagnose", DIAGNOSE_TIMEOUT_USEC, &reply, NULL);
        if (r != EXIT_OK)
                return r;
        r = sd_bus_message_read(reply, "s", &text);
        if (r < 0) {
                fprintf(stderr, "Failed to parse the reply: %s\n", strerror(-r));
                return EXIT_FAIL;
        }
        fputs(text, stdout);
        if (!isempty(text) && !endswith(text, "\n"))
                putchar('\n');
        return EXIT_OK;
}
