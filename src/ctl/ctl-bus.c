/* SPDX-License-Identifier: MIT */
/* workerpoolctl's side of the bus: connecting, saying what went wrong as
 * systemctl says it, the objects of pools and workers, and plain calls on
 * them. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>

#include "../bus/bus-util.h"
#include "../shared/string-util.h"
#include "../shared/strv.h"
#include "ctl.h"

/* ---- errors --------------------------------------------------------------- */

/* "the system bus", "the bus at unix:path=...": for messages. */
static const char *bus_description(void) {
        static char buf[320];

        switch (arg_transport) {
        case TRANSPORT_SYSTEM:
                return "the system bus";
        case TRANSPORT_USER:
                return "the session bus";
        case TRANSPORT_REMOTE:
                snprintf(buf, sizeof buf, "the system bus of %.256s", arg_host);
                return buf;
        default:
                snprintf(buf, sizeof buf, "the bus at %.256s", arg_address);
                return buf;
        }
}

static bool said_not_running;

/* Once per command, however many calls find nobody there. */
static void say_not_running(const char *fmt, ...) _printf_(1, 2);
static void say_not_running(const char *fmt, ...) {
        va_list ap;

        if (said_not_running)
                return;
        said_not_running = true;
        fputs("workerpoold is not running (", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputs(")\n", stderr);
}

static bool error_is_no_daemon(const sd_bus_error *e) {
        return sd_bus_error_has_names(e, SD_BUS_ERROR_SERVICE_UNKNOWN, SD_BUS_ERROR_NAME_HAS_NO_OWNER);
}

static int exit_code_for(const sd_bus_error *e, int r) {
        if (sd_bus_error_has_names(e, BUS_ERROR_NO_SUCH_POOL, BUS_ERROR_NO_SUCH_WORKER,
                                   SD_BUS_ERROR_UNKNOWN_OBJECT))
                return EXIT_NOT_FOUND;
        return EXIT_FAIL;
}

/* "Failed to WHAT: why", with the two cases an admin meets most said
 * plainly: nobody owns the name, and the caller is not root. */
int fail(const sd_bus_error *e, int r, const char *what) {
        bool named = e && sd_bus_error_is_set(e);

        if (named && error_is_no_daemon(e)) {
                say_not_running("no %s on %s", BUS_NAME, bus_description());
                return EXIT_FAIL;
        }
        if (named && sd_bus_error_has_names(e, SD_BUS_ERROR_ACCESS_DENIED, BUS_ERROR_NOT_PERMITTED)) {
                /* the bus policy's message lists its rules: only the daemon's own is worth showing */
                bool own = sd_bus_error_has_name(e, BUS_ERROR_NOT_PERMITTED) && !isempty(e->message);

                fprintf(stderr, "Failed to %s: changing pools needs root%s%s%s\n", what,
                        own ? " (workerpoold: " : "", own ? e->message : "", own ? ")" : "");
                return EXIT_FAIL;
        }
        fprintf(stderr, "Failed to %s: %s\n", what,
                named && e->message ? e->message : strerror(r < 0 ? -r : r));
        return exit_code_for(e, r);
}

/* Errors of connect() that mean there is no bus at that address. */
static bool bus_is_absent(int r) {
        return r == -ENOENT || r == -ECONNREFUSED || r == -ENOTDIR;
}

int connect_bus(sd_bus **ret) {
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
                if (bus_is_absent(r))
                        say_not_running("cannot connect to %s: %s", bus_description(), strerror(-r));
                else if (r == -ENOMEDIUM && arg_transport == TRANSPORT_USER)
                        fprintf(stderr, "Failed to connect to the session bus: neither $DBUS_SESSION_BUS_ADDRESS "
                                "nor $XDG_RUNTIME_DIR is set\n");
                else
                        fprintf(stderr, "Failed to connect to %s: %s\n", bus_description(), strerror(-r));
                return -EXIT_FAIL;
        }
        *ret = bus;
        return 0;
}

int pool_path(sd_bus *bus, const char *name, char **ret) {
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

/* Call METHOD on the pool; on success its path in *ret_path (may be NULL). */
int call_pool(sd_bus *bus, const char *name, const char *method, const char *what, char **ret_path,
              const char *types, ...) {
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
        if (r < 0 && sd_bus_error_has_name(&e, BUS_ERROR_POOL_INACTIVE)) {
                /* as systemctl's "Unit x is not active, cannot reload." */
                fprintf(stderr, "Pool %s is not active, cannot %s it.\n", name, what);
                sd_bus_error_free(&e);
                return EXIT_FAIL;
        }
        if (r < 0) {
                char buf[128];

                snprintf(buf, sizeof buf, "%s pool %.64s", what, name);
                r = fail(&e, r, buf);
                sd_bus_error_free(&e);
                return r;
        }
        if (ret_path)
                *ret_path = TAKE_PTR(path);
        return EXIT_OK;
}

/* The object of worker id; < 0: -(exit status), said. */
int worker_path(sd_bus *bus, uint64_t id, char **ret) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        const char *path;
        int r;

        r = sd_bus_call_method(bus, BUS_NAME, BUS_PATH, BUS_MANAGER_INTERFACE, "GetWorker", &e, &reply, "t", id);
        if (r >= 0)
                r = sd_bus_message_read(reply, "o", &path);
        if (r >= 0) {
                *ret = strdup(path);
                r = *ret ? 0 : -ENOMEM;
        }
        if (r < 0) {
                char what[64];

                snprintf(what, sizeof what, "find worker %" PRIu64, id);
                r = -fail(&e, r, what);
        }
        sd_bus_message_unref(reply);
        sd_bus_error_free(&e);
        return r;
}

/* Call METHOD (no arguments) on worker id, "Failed to <what> worker ID: ...";
 * the reply in *ret_reply if not NULL. timeout: 0 for the bus's default. */
int call_worker(sd_bus *bus, uint64_t id, const char *method, const char *what, uint64_t timeout,
                sd_bus_message **ret_reply, const char *types, ...) {
        _cleanup_(freep) char *path = NULL;
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *m = NULL;
        va_list ap;
        int r;

        r = worker_path(bus, id, &path);
        if (r < 0)
                return -r;
        r = sd_bus_message_new_method_call(bus, &m, BUS_NAME, path, BUS_WORKER_INTERFACE, method);
        if (r >= 0 && types) {
                va_start(ap, types);
                r = sd_bus_message_appendv(m, types, ap);
                va_end(ap);
        }
        if (r >= 0)
                r = sd_bus_call(bus, m, timeout, &e, ret_reply);
        sd_bus_message_unref(m);
        if (r < 0) {
                char buf[96];

                snprintf(buf, sizeof buf, "%s worker %" PRIu64, what, id);
                if (streq(method, "Diagnose") && sd_bus_error_has_name(&e, SD_BUS_ERROR_LIMITS_EXCEEDED))
                        fprintf(stderr, "Failed to %s: another diagnosis of it is still running.\n", buf);
                else if (r == -ETIMEDOUT)
                        fprintf(stderr, "Failed to %s: workerpoold did not answer in time.\n", buf);
                else {
                        r = fail(&e, r, buf);
                        sd_bus_error_free(&e);
                        return r;
                }
                sd_bus_error_free(&e);
                return EXIT_FAIL;
        }
        return EXIT_OK;
}

/* The names of every pool, in the daemon's order. */
int list_pool_names(sd_bus *bus, char ***ret) {
        _cleanup_(strv_freep) char **pools = NULL;
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        const char *name;
        int r;

        r = sd_bus_call_method(bus, BUS_NAME, BUS_PATH, BUS_MANAGER_INTERFACE, "ListPools", &e, &reply, NULL);
        if (r >= 0)
                r = sd_bus_message_enter_container(reply, 'a', "(sossuuuut)");
        while (r >= 0 && (r = sd_bus_message_read(reply, "(sossuuuut)", &name, NULL, NULL, NULL, NULL, NULL, NULL,
                                                  NULL, NULL)) > 0)
                if (strv_extend(&pools, name) < 0)
                        r = -ENOMEM;
        sd_bus_message_unref(reply);
        if (r < 0) {
                r = fail(&e, r, "list pools");
                sd_bus_error_free(&e);
                return -r;
        }
        *ret = TAKE_PTR(pools);
        return 0;
}

/* --follow: handle the signals matched so far until the connection ends
 * (then EXIT_FAIL, said on stderr). */
int follow_signals(sd_bus *bus) {
        for (;;) {
                int r = sd_bus_process(bus, NULL);

                if (r > 0)
                        continue;
                if (r >= 0)
                        r = sd_bus_wait(bus, UINT64_MAX);
                if (r < 0) {
                        fprintf(stderr, "Lost the connection to the bus: %s\n", strerror(-r));
                        return EXIT_FAIL;
                }
        }
}

/* The pools a verb names (args[1..n-1]), or every pool when it names none. */
int pool_names_from_args(sd_bus *bus, char **args, int n, char ***ret) {
        if (n <= 1)
                return list_pool_names(bus, ret);
        *ret = strv_copy(args + 1);
        return *ret ? 0 : -ENOMEM;
}
