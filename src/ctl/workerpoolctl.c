/* SPDX-License-Identifier: MIT */
/* workerpoolctl: the command-line client of org.workerpoold1, in the dialect
 * of systemctl. See workerpoolctl(1). */
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <systemd/sd-bus.h>
#include <unistd.h>

#include "config-build.h"
#include "../bus/bus-util.h"
#include "../shared/parse-util.h"
#include "../shared/string-util.h"
#include "../shared/strv.h"
#include "ctl-output.h"

/* Exit codes, as systemctl's: scripts rely on them. */
enum {
        EXIT_OK = 0,
        EXIT_FAIL = 1,          /* also is-failed: none of the pools failed */
        EXIT_USAGE = 2,
        EXIT_NOT_ACTIVE = 3,    /* is-active: a pool is not active */
        EXIT_NOT_FOUND = 4,
};

static enum { TRANSPORT_SYSTEM, TRANSPORT_USER, TRANSPORT_REMOTE, TRANSPORT_ADDRESS } arg_transport;
static const char *arg_host;
static const char *arg_address;
static JsonMode arg_json = JSON_OFF;
static bool arg_runtime;
static bool arg_follow;
static bool arg_legend = true;
static bool arg_pager = true;
static bool arg_all;
static bool arg_value;
static bool arg_quiet;
static bool arg_no_block;
static bool arg_help;
static char **arg_properties;
static const char *arg_state = "";
static const char *arg_pool = "";
static const char *arg_reason = "";
static const char *arg_signal = "SIGTERM";
static uint32_t arg_lines = 0;

static void help(void) {
        pager_open(!arg_pager);
        printf("Usage: workerpoolctl [OPTIONS] COMMAND ...\n\n"
               "Query and control workerpoold, the worker pool supervisor.\n\n"
               "Pool commands:\n"
               "  list-pools                   List the pools (the default command)\n"
               "  status [POOL...]             Show pools: state, workers, limits, usage, last exits\n"
               "  show [POOL...]               Show the properties of pools, or of the manager\n"
               "  cat POOL...                  Show the files and settings of pools, as loaded\n"
               "  is-active POOL...            Check whether pools are active\n"
               "  is-failed POOL...            Check whether pools have failed\n"
               "  start POOL...                Start pools, wait until they run\n"
               "  stop POOL...                 Stop pools, wait until every worker is gone\n"
               "  restart POOL...              Rolling restart of pools, wait until it is done\n"
               "  scale POOL N                 Run N workers in POOL, wait until they run\n"
               "  set-property POOL KEY=VALUE...  Change limits and settings live (and persist them\n"
               "                               unless --runtime); waits if Workers= is one of them\n"
               "  reset-failed POOL...         Leave the failed state\n"
               "  kill WORKER|POOL...          Send a signal to a worker, or every worker of a pool\n\n"
               "Worker commands:\n"
               "  list-workers                 List the workers (--pool=, --state=)\n"
               "  events                       Show why workers exited (--pool=, --reason=, -n, --follow)\n\n"
               "Manager commands:\n"
               "  reload                       Reload the configuration\n"
               "  reexec                       Re-execute the daemon in place, keeping every worker\n"
               "  help                         Show this help\n\n"
               "Options:\n"
               "  -h --help                    Show this help\n"
               "     --version                 Show the version\n"
               "  -p --property=NAME[,NAME...] show: only these properties\n"
               "  -a --all                     show: also the properties that are empty\n"
               "     --value                   show: only the values, without NAME=\n"
               "     --json[=short|pretty|off] JSON output for listings, status, show and events\n"
               "  -o --output=json|json-pretty|short\n"
               "                               The same as --json=short, --json=pretty, --json=off\n"
               "     --no-pager                Do not pipe the output into a pager\n"
               "     --no-legend               No column headers and summary lines\n"
               "     --no-block                Do not wait for start, stop, restart, scale to finish\n"
               "  -q --quiet                   is-active, is-failed: print nothing, only the exit status\n"
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
               "Exit status: 0 success, 1 failure (is-failed: no pool failed), 2 usage error,\n"
               "3 a pool is not active (is-active), 4 no such pool or worker.\n"
               "See workerpoolctl(1) and org.workerpoold1(5).\n");
}

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
static int fail(const sd_bus_error *e, int r, const char *what) {
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

/* ---- jobs ------------------------------------------------------------------
 * As systemctl waits for its jobs: subscribe to the pools' JobDone(requester,
 * job, result, message) first, then call, then wait for the signal of each
 * call (requester: our unique name). */

typedef struct Job {
        char *pool;
        char *path;
        const char *kind;               /* "start", "stop", "restart", "scale" */
        bool finished;
        char *result, *message;
} Job;

typedef struct JobSet {
        const char *unique;             /* ours */
        Job *jobs;
        size_t n;
        bool daemon_gone;
        sd_bus_slot *done_slot, *owner_slot;
} JobSet;

static void jobset_done(JobSet *js) {
        for (size_t i = 0; i < js->n; i++) {
                free(js->jobs[i].pool);
                free(js->jobs[i].path);
                free(js->jobs[i].result);
                free(js->jobs[i].message);
        }
        free(js->jobs);
        sd_bus_slot_unref(js->done_slot);
        sd_bus_slot_unref(js->owner_slot);
        *js = (JobSet) {};
}

static int on_job_done(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        JobSet *js = userdata;
        const char *requester, *kind, *result, *message, *path = sd_bus_message_get_path(m);

        if (sd_bus_message_read(m, "ssss", &requester, &kind, &result, &message) < 0 || !path ||
            !streq(requester, js->unique))
                return 0;
        /* the first of ours on this pool of this kind that is still open: calls
         * on one pool are answered in order */
        for (size_t i = 0; i < js->n; i++) {
                Job *j = &js->jobs[i];

                if (j->finished || !streq(j->path, path) || !streq(j->kind, kind))
                        continue;
                j->finished = true;
                j->result = strdup(result);
                j->message = strdup(message);
                break;
        }
        return 0;
}

static int on_owner_changed(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        JobSet *js = userdata;
        const char *name, *old_owner, *new_owner;

        if (sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner) >= 0 && streq(name, BUS_NAME) &&
            !isempty(old_owner))
                js->daemon_gone = true;
        return 0;
}

/* Before the first call. */
static int jobs_subscribe(sd_bus *bus, JobSet *js) {
        char match[512];
        int r;

        if (arg_no_block)
                return 0;
        r = sd_bus_get_unique_name(bus, &js->unique);
        if (r >= 0) {
                snprintf(match, sizeof match,
                         "type='signal',sender='%s',interface='%s',member='JobDone',arg0='%s'", BUS_NAME,
                         BUS_POOL_INTERFACE, js->unique);
                r = sd_bus_add_match(bus, &js->done_slot, match, on_job_done, js);
        }
        if (r >= 0)
                r = sd_bus_add_match(bus, &js->owner_slot,
                                     "type='signal',sender='org.freedesktop.DBus',path='/org/freedesktop/DBus',"
                                     "interface='org.freedesktop.DBus',member='NameOwnerChanged',"
                                     "arg0='" BUS_NAME "'", on_owner_changed, js);
        if (r < 0) {
                fprintf(stderr, "Failed to subscribe to the end of jobs: %s\n", strerror(-r));
                return EXIT_FAIL;
        }
        return 0;
}

/* After a call that made a job succeeded. */
static int jobs_add(JobSet *js, const char *pool, const char *path, const char *kind) {
        Job *n;

        if (arg_no_block)
                return 0;
        n = realloc(js->jobs, (js->n + 1) * sizeof(Job));
        if (!n)
                return -ENOMEM;
        js->jobs = n;
        js->jobs[js->n] = (Job) { .pool = strdup(pool), .path = strdup(path), .kind = kind };
        if (!js->jobs[js->n].pool || !js->jobs[js->n].path)
                return -ENOMEM;
        js->n++;
        return 0;
}

/* A daemon from before JobDone never sends it: do not wait for nothing. */
static bool daemon_reports_jobs(sd_bus *bus, const char *path) {
        sd_bus_message *reply = NULL;
        const char *xml;
        bool yes;

        if (sd_bus_call_method(bus, BUS_NAME, path, "org.freedesktop.DBus.Introspectable", "Introspect", NULL,
                               &reply, NULL) < 0 ||
            sd_bus_message_read(reply, "s", &xml) < 0) {
                sd_bus_message_unref(reply);
                return true;            /* cannot tell: wait, as we should */
        }
        yes = strstr(xml, "<signal name=\"JobDone\">");
        sd_bus_message_unref(reply);
        return yes;
}

static bool jobs_all_finished(const JobSet *js) {
        for (size_t i = 0; i < js->n; i++)
                if (!js->jobs[i].finished)
                        return false;
        return true;
}

/* Wait for every job; done -> 0, failed or canceled -> 1 and why, as
 * systemctl says it. */
static int jobs_wait(sd_bus *bus, JobSet *js) {
        int ret = EXIT_OK, r;

        if (arg_no_block || js->n == 0)
                return EXIT_OK;
        if (!daemon_reports_jobs(bus, js->jobs[0].path)) {
                fprintf(stderr, "workerpoold does not report when jobs finish (an older version?): not waiting.\n");
                return EXIT_OK;
        }
        while (!jobs_all_finished(js) && !js->daemon_gone) {
                r = sd_bus_process(bus, NULL);
                if (r > 0)
                        continue;
                if (r == 0)
                        r = sd_bus_wait(bus, UINT64_MAX);
                if (r < 0) {
                        fprintf(stderr, "Lost the connection to the bus while waiting for jobs: %s\n",
                                strerror(-r));
                        return EXIT_FAIL;
                }
        }
        for (size_t i = 0; i < js->n; i++) {
                const Job *j = &js->jobs[i];
                const char *msg = j->message ?: "";
                bool dot = !isempty(msg) && !endswith(msg, ".");

                if (!j->finished) {
                        fprintf(stderr, "Job for pool %s failed: workerpoold went away before it finished.\n",
                                j->pool);
                        ret = EXIT_FAIL;
                } else if (!streq_ptr(j->result, "done")) {
                        bool canceled = streq_ptr(j->result, "canceled");

                        fprintf(stderr, "Job for pool %s %s%s%s%s\n", j->pool, canceled ? "canceled" : "failed",
                                isempty(msg) ? "." : ": ", msg, dot ? "." : "");
                        if (!canceled)
                                fprintf(stderr, "See \"workerpoolctl status %s\" and \"workerpoolctl events "
                                        "--pool=%s\" for details.\n", j->pool, j->pool);
                        ret = EXIT_FAIL;
                }
        }
        return ret;
}

/* ---- simple calls ---------------------------------------------------------- */

/* Call METHOD on the pool; on success its path in *ret_path (may be NULL). */
static int call_pool(sd_bus *bus, const char *name, const char *method, const char *what, char **ret_path,
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

static int verb_pool_simple(sd_bus *bus, char **args, int n) {
        static const struct {
                const char *verb, *method, *job;
        } map[] = {
                { "start", "Start", "start" }, { "stop", "Stop", "stop" }, { "restart", "Restart", "restart" },
                { "reset-failed", "ResetFailed", NULL },
        };
        const char *method = NULL, *job = NULL;
        JobSet js = {};
        int ret = EXIT_OK, r;

        for (size_t i = 0; i < ELEMENTSOF(map); i++)
                if (streq(args[0], map[i].verb)) {
                        method = map[i].method;
                        job = map[i].job;
                }
        if (n < 2) {
                fprintf(stderr, "%s: which pool?\n", args[0]);
                return EXIT_USAGE;
        }
        if (job && (r = jobs_subscribe(bus, &js)) != 0)
                return r;
        for (int i = 1; i < n; i++) {
                _cleanup_(freep) char *path = NULL;

                r = call_pool(bus, args[i], method, args[0], &path, NULL);
                if (r == EXIT_OK && job && jobs_add(&js, args[i], path, job) < 0)
                        r = EXIT_FAIL;
                if (r != EXIT_OK && ret == EXIT_OK)
                        ret = r;
        }
        r = jobs_wait(bus, &js);
        jobset_done(&js);
        return ret != EXIT_OK ? ret : r;
}

static int verb_scale(sd_bus *bus, char **args, int n) {
        _cleanup_(freep) char *path = NULL;
        JobSet js = {};
        uint32_t v;
        int r;

        if (n != 3) {
                fprintf(stderr, "Usage: workerpoolctl scale POOL N\n");
                return EXIT_USAGE;
        }
        if (parse_uint32(args[2], &v) < 0) {
                fprintf(stderr, "Invalid number of workers: %s\n", args[2]);
                return EXIT_USAGE;
        }
        r = jobs_subscribe(bus, &js);
        if (r == 0)
                r = call_pool(bus, args[1], "Scale", "scale", &path, "u", v);
        if (r == EXIT_OK && jobs_add(&js, args[1], path, "scale") < 0)
                r = EXIT_FAIL;
        if (r == EXIT_OK)
                r = jobs_wait(bus, &js);
        jobset_done(&js);
        return r;
}

static int verb_set_property(sd_bus *bus, char **args, int n) {
        _cleanup_(freep) char *path = NULL;
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *m = NULL;
        bool workers = false;
        JobSet js = {};
        int r;

        if (n < 3) {
                fprintf(stderr, "Usage: workerpoolctl set-property POOL KEY=VALUE...\n");
                return EXIT_USAGE;
        }
        for (int i = 2; i < n; i++) {
                if (!strchr(args[i], '=') || args[i][0] == '=') {
                        fprintf(stderr, "Not an assignment: %s (expected KEY=VALUE)\n", args[i]);
                        return EXIT_USAGE;
                }
                if (startswith(args[i], "Workers="))
                        workers = true;         /* the daemon makes a "scale" job of it */
        }
        if (workers && (r = jobs_subscribe(bus, &js)) != 0)
                return r;
        r = pool_path(bus, args[1], &path);
        if (r < 0) {
                jobset_done(&js);
                return -r;
        }
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
                jobset_done(&js);
                return r;
        }
        r = EXIT_OK;
        if (workers && jobs_add(&js, args[1], path, "scale") < 0)
                r = EXIT_FAIL;
        if (r == EXIT_OK)
                r = jobs_wait(bus, &js);
        jobset_done(&js);
        return r;
}

/* Like systemctl cat: every file of the pool and then what SetProperties()
 * changed since, each under a "# PATH" line, as the daemon loaded them
 * (ConfigSources, from the bus: with -H the remote daemon's files). */
static int verb_cat(sd_bus *bus, char **args, int n) {
        bool any = false;
        int ret = EXIT_OK, r;

        if (n < 2) {
                fprintf(stderr, "cat: which pool?\n");
                return EXIT_USAGE;
        }
        for (int i = 1; i < n; i++) {
                _cleanup_(freep) char *path = NULL;
                sd_bus_error e = SD_BUS_ERROR_NULL;
                sd_bus_message *reply = NULL;
                const char *name, *text;

                r = pool_path(bus, args[i], &path);
                if (r < 0) {
                        if (ret == EXIT_OK)
                                ret = -r;
                        continue;
                }
                r = sd_bus_call_method(bus, BUS_NAME, path, "org.freedesktop.DBus.Properties", "Get", &e, &reply,
                                       "ss", BUS_POOL_INTERFACE, "ConfigSources");
                if (r >= 0)
                        r = sd_bus_message_enter_container(reply, 'v', "a(ss)");
                if (r >= 0)
                        r = sd_bus_message_enter_container(reply, 'a', "(ss)");
                while (r >= 0 && (r = sd_bus_message_read(reply, "(ss)", &name, &text)) > 0) {
                        /* the last entry, "SetProperties()", is not a file: only when it says something */
                        if (name[0] != '/' && isempty(text))
                                continue;
                        printf("%s%s# %s%s\n", any ? "\n" : "", ansi_blue(), name, ansi_normal());
                        fputs(text, stdout);
                        if (!isempty(text) && !endswith(text, "\n"))
                                putchar('\n');
                        any = true;
                }
                if (r < 0) {
                        char what[128];

                        snprintf(what, sizeof what, "read the configuration of pool %.64s", args[i]);
                        r = fail(&e, r, what);
                        if (ret == EXIT_OK)
                                ret = r;
                }
                sd_bus_message_unref(reply);
                sd_bus_error_free(&e);
        }
        return ret;
}

/* reload, reexec: a Manager method without arguments. Reload() answers
 * when it is done: nothing to wait for. */
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
                        r = call_pool(bus, args[i], "KillWorkers", "kill the workers of", NULL, "s", arg_signal);
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

/* ---- is-active, is-failed ------------------------------------------------ */

/* A pool's state in systemctl's words. "degraded" (up, some workers not
 * ready or restarting) is active: the pool runs and serves. */
static const char *active_state(const char *state) {
        static const struct {
                const char *state, *word;
        } map[] = {
                { "running", "active" },      { "degraded", "active" },    { "starting", "activating" },
                { "stopping", "deactivating" }, { "stopped", "inactive" }, { "failed", "failed" },
        };

        for (size_t i = 0; i < ELEMENTSOF(map); i++)
                if (streq(state, map[i].state))
                        return map[i].word;
        return "unknown";
}

/* is-active: 0 if every pool is active, 3 if one is not, 4 if one does not
 * exist; is-failed: 0 if one has failed, else 1. A pool that does not exist
 * is "inactive", as for systemctl. */
static int verb_is_active(sd_bus *bus, char **args, int n) {
        bool failed_verb = streq(args[0], "is-failed"), all_active = true, any_failed = false, missing = false;

        for (int i = 1; i < n; i++) {
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
                _cleanup_(freep) char *state = NULL;
                sd_bus_error e = SD_BUS_ERROR_NULL;
                const char *word, *path;
                int r;

                r = sd_bus_call_method(bus, BUS_NAME, BUS_PATH, BUS_MANAGER_INTERFACE, "GetPool", &e, &reply, "s",
                                       args[i]);
                if (r >= 0)
                        r = sd_bus_message_read(reply, "o", &path);
                if (r >= 0)
                        r = sd_bus_get_property_string(bus, BUS_NAME, path, BUS_POOL_INTERFACE, "State", &e, &state);
                if (r < 0 && sd_bus_error_has_names(&e, BUS_ERROR_NO_SUCH_POOL, SD_BUS_ERROR_UNKNOWN_OBJECT)) {
                        word = "inactive";
                        missing = true;
                } else if (r < 0) {
                        char what[128];

                        snprintf(what, sizeof what, "get the state of pool %.64s", args[i]);
                        r = fail(&e, r, what);
                        sd_bus_error_free(&e);
                        return r;
                } else
                        word = active_state(state);
                sd_bus_error_free(&e);
                if (!streq(word, "active"))
                        all_active = false;
                if (streq(word, "failed"))
                        any_failed = true;
                if (!arg_quiet)
                        puts(word);
        }
        if (failed_verb)
                return any_failed ? EXIT_OK : EXIT_FAIL;
        return missing ? EXIT_NOT_FOUND : all_active ? EXIT_OK : EXIT_NOT_ACTIVE;
}

/* ---- show ------------------------------------------------------------------ */

/* As systemd's shell_maybe_quote(): words that a shell would split or
 * expand get double quotes. */
static void print_quoted(FILE *f, const char *s) {
        if (!isempty(s) && !s[strcspn(s, " \t\n\"\\`$*?[]'&;<>|()~#!{}")]) {
                fputs(s, f);
                return;
        }
        fputc('"', f);
        for (const char *p = s; *p; p++) {
                if (strchr("\"\\`$", *p))
                        fputc('\\', f);
                fputc(*p, f);
        }
        fputc('"', f);
}

static char *format_show_timestamp(char *buf, size_t n, uint64_t usec) {
        struct tm tm;
        time_t t = (time_t) (usec / USEC_PER_SEC);

        if (usec == 0 || usec == UINT64_MAX || !localtime_r(&t, &tm) ||
            strftime(buf, n, "%a %Y-%m-%d %H:%M:%S %Z", &tm) == 0)
                buf[0] = 0;
        return buf;
}

/* A number as systemctl shows it: its heuristics by name (times, time
 * spans, limits that are infinity, counters that are not known). */
static const char *format_show_u64(char *buf, size_t n, const char *name, uint64_t u) {
        static const char *const limits[] = { "MemoryMax", "MemoryHigh", "MemorySwapMax", "TasksMax", NULL };
        static const char *const counters[] = { "MemoryCurrent", "MemoryPeak", "TasksCurrent", "CPUWeight", NULL };

        if (endswith(name, "Timestamp") || endswith(name, "At"))
                return format_show_timestamp(buf, n, u);
        if (strstr(name, "USec"))
                return format_timespan(buf, n, u);
        for (size_t i = 0; u == UINT64_MAX && limits[i]; i++)
                if (streq(name, limits[i]))
                        return "infinity";
        for (size_t i = 0; u == UINT64_MAX && counters[i]; i++)
                if (streq(name, counters[i]))
                        return "[not set]";
        if (u == UINT64_MAX && endswith(name, "NSec"))
                return "[not set]";
        snprintf(buf, n, "%" PRIu64, u);
        return buf;
}

static void json_kv_str(FILE *j, const char *key, const char *v, bool comma) {
        fprintf(j, "%s\"%s\":", comma ? "," : "", key);
        json_fputs(j, v);
}

static void json_kv_u64(FILE *j, const char *key, uint64_t v, bool comma) {
        if (v == UINT64_MAX)
                fprintf(j, "%s\"%s\":null", comma ? "," : "", key);
        else
                fprintf(j, "%s\"%s\":%" PRIu64, comma ? "," : "", key, v);
}

typedef struct ShowOut {
        FILE *json;                     /* NULL: NAME=VALUE lines */
        bool first;
        bool show_empty;
} ShowOut;

static void show_key(ShowOut *o, const char *name) {
        if (o->json) {
                fprintf(o->json, "%s", o->first ? "" : ",");
                json_fputs(o->json, name);
                fputc(':', o->json);
        } else if (!arg_value)
                printf("%s=", name);
        o->first = false;
}

static void show_value(ShowOut *o, const char *name, const char *v) {
        if (!o->show_empty && isempty(v))
                return;
        show_key(o, name);
        if (o->json) {
                if (isempty(v))
                        fputs("null", o->json);
                else
                        json_fputs(o->json, v);
        } else
                printf("%s\n", v);
}

/* A type we have no format for: as systemctl, named only when asked for. */
static int show_unprintable(sd_bus_message *m, const char *name, ShowOut *o) {
        if (o->show_empty)
                show_value(o, name, "[unprintable]");
        return sd_bus_message_skip(m, NULL);
}

/* One property at the variant; its type decides the format, as for systemctl
 * show: strings as they are (one with a newline "[unprintable]"), booleans
 * yes/no, numbers by name, arrays space-separated with shell quoting. */
static int show_property(sd_bus_message *m, const char *name, ShowOut *o) {
        const char *contents;
        char type, buf[128];
        int r;

        r = sd_bus_message_peek_type(m, NULL, &contents);
        if (r < 0)
                return r;
        r = sd_bus_message_enter_container(m, 'v', contents);
        if (r < 0)
                return r;
        r = sd_bus_message_peek_type(m, &type, &contents);
        if (r < 0)
                return r;
        switch (type) {
        case 's':
        case 'o':
        case 'g': {
                const char *s;

                r = sd_bus_message_read_basic(m, type, &s);
                if (r >= 0)
                        show_value(o, name, o->json || !strchr(s, '\n') ? s : "[unprintable]");
                break;
        }
        case 'b': {
                int b;

                r = sd_bus_message_read_basic(m, 'b', &b);
                if (r >= 0)
                        show_value(o, name, b ? "yes" : "no");
                break;
        }
        case 't': {
                uint64_t u;

                r = sd_bus_message_read_basic(m, 't', &u);
                if (r >= 0)
                        show_value(o, name, format_show_u64(buf, sizeof buf, name, u));
                break;
        }
        case 'u': {
                uint32_t u;

                r = sd_bus_message_read_basic(m, 'u', &u);
                if (r < 0)
                        break;
                if (u == UINT32_MAX && endswith(name, "MaxWorkers"))
                        snprintf(buf, sizeof buf, "infinity");
                else
                        snprintf(buf, sizeof buf, "%" PRIu32, u);
                show_value(o, name, buf);
                break;
        }
        case 'i': {
                int32_t i;

                r = sd_bus_message_read_basic(m, 'i', &i);
                if (r >= 0) {
                        snprintf(buf, sizeof buf, "%" PRIi32, i);
                        show_value(o, name, buf);
                }
                break;
        }
        case 'x': {
                int64_t i;

                r = sd_bus_message_read_basic(m, 'x', &i);
                if (r >= 0) {
                        snprintf(buf, sizeof buf, "%" PRIi64, i);
                        show_value(o, name, buf);
                }
                break;
        }
        case 'd': {
                double d;

                r = sd_bus_message_read_basic(m, 'd', &d);
                if (r >= 0) {
                        snprintf(buf, sizeof buf, "%g", d);
                        show_value(o, name, buf);
                }
                break;
        }
        case 'r':
                if (streq(contents, "dddt")) {
                        /* pressure: as the kernel's file says it */
                        double a, b, c;
                        uint64_t total;

                        r = sd_bus_message_read(m, "(dddt)", &a, &b, &c, &total);
                        if (r < 0)
                                break;
                        if (a < 0 || total == UINT64_MAX)
                                snprintf(buf, sizeof buf, "[not set]");
                        else
                                snprintf(buf, sizeof buf, "avg10=%.2f avg60=%.2f avg300=%.2f total=%" PRIu64, a, b,
                                         c, total);
                        show_value(o, name, buf);
                } else
                        r = show_unprintable(m, name, o);
                break;
        case 'a':
                if (streq(contents, "s") || streq(contents, "o") || streq(contents, "(ss)")) {
                        /* arrays of strings; of (name, text) pairs (ConfigSources): the names in text,
                         * the pairs in JSON */
                        bool pairs = contents[0] == '(', any = false;
                        const char *s, *text;

                        r = sd_bus_message_enter_container(m, 'a', contents);
                        while (r >= 0 && (r = pairs ? sd_bus_message_read(m, "(ss)", &s, &text)
                                                    : sd_bus_message_read_basic(m, contents[0], &s)) > 0) {
                                if (!any)
                                        show_key(o, name);
                                if (o->json) {
                                        fputs(any ? "," : "[", o->json);
                                        if (pairs) {
                                                fputc('{', o->json);
                                                json_kv_str(o->json, "path", s, false);
                                                json_kv_str(o->json, "text", text, true);
                                                fputc('}', o->json);
                                        } else
                                                json_fputs(o->json, s);
                                } else {
                                        if (any)
                                                putchar(' ');
                                        print_quoted(stdout, s);
                                }
                                any = true;
                        }
                        if (r < 0)
                                break;
                        if (!any && o->show_empty)
                                show_key(o, name);
                        if (any || o->show_empty) {
                                if (o->json)
                                        fputs(any ? "]" : "[]", o->json);
                                else
                                        putchar('\n');
                        }
                        r = sd_bus_message_exit_container(m);
                } else
                        r = show_unprintable(m, name, o);
                break;
        default:
                r = show_unprintable(m, name, o);
                break;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(m);
}

static int show_object(sd_bus *bus, const char *path, const char *interface, const char *what) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        sd_bus_error e = SD_BUS_ERROR_NULL;
        ShowOut o = { .first = true, .show_empty = arg_all || !!arg_properties };
        JsonDoc doc;
        const char *name;
        int r;

        r = sd_bus_call_method(bus, BUS_NAME, path, "org.freedesktop.DBus.Properties", "GetAll", &e, &reply, "s",
                               interface);
        if (r < 0) {
                r = fail(&e, r, what);
                sd_bus_error_free(&e);
                return r;
        }
        if (arg_json != JSON_OFF) {
                o.json = json_begin(&doc);
                fputc('{', o.json);
        }
        r = sd_bus_message_enter_container(reply, 'a', "{sv}");
        while (r >= 0 && (r = sd_bus_message_enter_container(reply, 'e', "sv")) > 0) {
                r = sd_bus_message_read(reply, "s", &name);
                if (r >= 0)
                        r = arg_properties && !strv_find(arg_properties, name) ? sd_bus_message_skip(reply, "v")
                                                                              : show_property(reply, name, &o);
                if (r >= 0)
                        r = sd_bus_message_exit_container(reply);
        }
        if (o.json) {
                fputc('}', o.json);
                json_end(&doc, arg_json);
        }
        if (r < 0) {
                fprintf(stderr, "Failed to parse the properties: %s\n", strerror(-r));
                return EXIT_FAIL;
        }
        return EXIT_OK;
}

/* show [POOL...]: every property of the pools (or of the manager), as
 * NAME=VALUE lines, a blank line between objects; -p, --all, --value. */
static int verb_show(sd_bus *bus, char **args, int n) {
        bool printed = false;
        int ret = EXIT_OK, r;

        if (n < 2)
                return show_object(bus, BUS_PATH, BUS_MANAGER_INTERFACE, "get the manager's properties");
        for (int i = 1; i < n; i++) {
                _cleanup_(freep) char *path = NULL;
                char what[128];

                r = pool_path(bus, args[i], &path);
                if (r < 0) {
                        if (ret == EXIT_OK)
                                ret = -r;
                        continue;
                }
                if (printed && arg_json == JSON_OFF)
                        putchar('\n');
                printed = true;
                snprintf(what, sizeof what, "get the properties of pool %.64s", args[i]);
                r = show_object(bus, path, BUS_POOL_INTERFACE, what);
                if (r != EXIT_OK && ret == EXIT_OK)
                        ret = r;
        }
        return ret;
}

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

static void event_print_json(FILE *j, const Event *ev) {
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
        fputc('}', j);
}

#define EVENT_TYPE "(tsuttssbiistt)"

static int event_read(sd_bus_message *m, Event *ev) {
        return sd_bus_message_read(m, EVENT_TYPE, &ev->id, &ev->pool, &ev->pid, &ev->started, &ev->exited,
                                   &ev->reason, &ev->evidence, &ev->core, &ev->code, &ev->status, &ev->action,
                                   &ev->memory_peak, &ev->cpu_usec);
}

static const TableColumn event_columns[] = {
        { "TIME" }, { "POOL" }, { "WORKER", true }, { "PID", true }, { "REASON" }, { "ACTION" }, { "EVIDENCE" },
};

static void event_add_row(Table *t, const Event *ev) {
        char ts[64];

        (void) table_add(t, format_timestamp(ts, sizeof ts, ev->exited), NULL);
        (void) table_add(t, ev->pool, NULL);
        (void) table_addf(t, NULL, "%" PRIu64, ev->id);
        (void) table_addf(t, NULL, "%" PRIu32, ev->pid);
        (void) table_add(t, ev->reason, state_color(ev->reason));
        (void) table_add(t, ev->action, NULL);
        (void) table_add(t, ev->evidence, NULL);
}

/* The names of every pool, in the daemon's order. */
static int list_pool_names(sd_bus *bus, char ***ret) {
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

/* The history; with follow (the table that goes on) as the head of what
 * --follow prints: JSON one object per line, text lined up for the lines
 * that come later. */
static int verb_events_list(sd_bus *bus, Table *follow) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(table_freep) Table *own = NULL;
        sd_bus_error e = SD_BUS_ERROR_NULL;
        Table *t = follow;
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
        r = sd_bus_message_enter_container(reply, 'a', EVENT_TYPE);
        if (arg_json != JSON_OFF && !follow) {
                j = json_begin(&doc);
                fputc('[', j);
        }
        while (r >= 0 && (r = event_read(reply, &ev)) > 0) {
                if (arg_json == JSON_OFF)
                        event_add_row(t, &ev);
                else if (follow) {
                        JsonDoc line;

                        event_print_json(json_begin(&line), &ev);
                        json_end(&line, arg_json);
                } else {
                        if (!first)
                                fputc(',', j);
                        event_print_json(j, &ev);
                        first = false;
                }
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
                if (follow)
                        table_print_new(t, stdout, arg_legend);
                else
                        table_print(t, stdout, arg_legend);
        }
        fflush(stdout);
        return EXIT_OK;
}

/* WorkerExited(t id, u pid, s reason, s evidence, i code, i status, s action
 * [, t started_at, t exited_at, b core_dumped, t memory_peak, t cpu_usec]):
 * the trailing fields make a live line the same as a line of the history; a
 * daemon that does not send them yet gets nulls. */
static int on_worker_exited(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        _cleanup_(freep) char *pool = NULL;
        Table *t = userdata;
        Event ev = {};
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
        if ((!isempty(arg_pool) && !streq(arg_pool, pool)) || (!isempty(arg_reason) && !streq(arg_reason, ev.reason)))
                return 0;
        ev.pool = pool;
        if (arg_json != JSON_OFF) {
                JsonDoc line;

                event_print_json(json_begin(&line), &ev);
                json_end(&line, arg_json);
        } else {
                if (ev.exited == 0) {
                        struct timespec now;

                        clock_gettime(CLOCK_REALTIME, &now);
                        ev.exited = (uint64_t) now.tv_sec * USEC_PER_SEC + (uint64_t) now.tv_nsec / 1000;
                }
                event_add_row(t, &ev);
                table_print_new(t, stdout, arg_legend);
        }
        fflush(stdout);
        return 0;
}

static int verb_events(sd_bus *bus, char **args, int n) {
        _cleanup_(table_freep) Table *t = NULL;
        _cleanup_(strv_freep) char **pools = NULL;
        size_t pool_width = 0;
        int r;

        if (!arg_follow)
                return verb_events_list(bus, NULL);

        /* Lines printed later line up with the header: each column as wide as
         * its widest value can be (the longest reason, stack-overflow; the
         * longest action, fail-pool; pids up to 7 digits; the pools there are). */
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

        /* Subscribe first, then list: nothing falls between the two. */
        r = sd_bus_match_signal(bus, NULL, BUS_NAME, NULL, BUS_POOL_INTERFACE, "WorkerExited", on_worker_exited,
                                t);
        if (r < 0) {
                fprintf(stderr, "Failed to subscribe to WorkerExited: %s\n", strerror(-r));
                return EXIT_FAIL;
        }
        r = verb_events_list(bus, t);
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

/* A limit that is set but has no controller to enforce it: the machine
 * (or the cgroup the daemon was given) lacks it. NULL: do not know. */
typedef struct Limit {
        const char *name;
        bool set;
        const char *controller;
} Limit;

static void status_limits(const PoolStatus *s, Limit ret[6]) {
        ret[0] = (Limit) { "MemoryMax", s->memory_max != UINT64_MAX, "memory" };
        ret[1] = (Limit) { "MemoryHigh", s->memory_high != UINT64_MAX, "memory" };
        ret[2] = (Limit) { "MemorySwapMax", s->swap_max != UINT64_MAX, "memory" };
        ret[3] = (Limit) { "CPUQuota", s->cpu_quota != UINT64_MAX, "cpu" };
        ret[4] = (Limit) { "CPUWeight", s->cpu_weight != 100 && s->cpu_weight != UINT64_MAX, "cpu" };
        ret[5] = (Limit) { "TasksMax", s->tasks_max != UINT64_MAX, "pids" };
}

static bool limit_enforced(const Limit *l, char **controllers, bool known) {
        return !l->set || !known || strv_find(controllers, l->controller);
}

static void print_limits(const PoolStatus *s, char **controllers, bool known) {
        Limit limits[6];
        char b[64];

        status_limits(s, limits);
        for (size_t i = 0; i < ELEMENTSOF(limits); i++) {
                const Limit *l = &limits[i];

                printf("%s%s=", i == 0 ? "     Limits: " : " ", l->name);
                switch (i) {
                case 0: printf("%s", fmt_bytes(b, sizeof b, s->memory_max)); break;
                case 1: printf("%s", fmt_bytes(b, sizeof b, s->memory_high)); break;
                case 2: printf("%s", fmt_bytes(b, sizeof b, s->swap_max)); break;
                case 3:
                        if (s->cpu_quota == UINT64_MAX)
                                printf("none");
                        else
                                printf("%" PRIu64 "%%", s->cpu_quota / 10000);
                        break;
                case 4: printf("%" PRIu64, s->cpu_weight); break;
                default:
                        if (s->tasks_max == UINT64_MAX)
                                printf("infinity");
                        else
                                printf("%" PRIu64, s->tasks_max);
                }
                if (!limit_enforced(l, controllers, known))
                        printf(" %s(not enforced: no %s controller)%s", ansi_yellow(), l->controller, ansi_normal());
        }
        putchar('\n');
}

/* controllers: the manager's Controllers (known: we could read them). j:
 * the JSON array to add the pool to, NULL for text. */
static int print_pool_status(sd_bus *bus, const char *pool, char **controllers, bool known, FILE *j, bool *first) {
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

        if (j) {
                bool ev_first = true;
                Limit limits[6];
                Event ev;

                fprintf(j, "%s{", *first ? "" : ",");
                *first = false;
                json_kv_str(j, "pool", s.name, false);
                json_kv_str(j, "description", s.description, true);
                json_kv_str(j, "state", s.state, true);
                json_kv_str(j, "type", s.type, true);
                json_kv_str(j, "restart", s.restart, true);
                json_kv_u64(j, "workers", s.workers, true);
                json_kv_u64(j, "active", s.active, true);
                json_kv_u64(j, "ready", s.ready, true);
                json_kv_u64(j, "busy", s.busy, true);
                json_kv_u64(j, "restarts", s.restarts, true);
                json_kv_u64(j, "retired", s.retired, true);
                json_kv_u64(j, "min_workers", s.min, true);
                json_kv_u64(j, "max_workers", s.max == UINT32_MAX ? UINT64_MAX : s.max, true);
                json_kv_u64(j, "memory_max", s.memory_max, true);
                json_kv_u64(j, "memory_high", s.memory_high, true);
                json_kv_u64(j, "memory_swap_max", s.swap_max, true);
                json_kv_u64(j, "cpu_quota_per_sec_usec", s.cpu_quota, true);
                json_kv_u64(j, "cpu_weight", s.cpu_weight, true);
                json_kv_u64(j, "tasks_max", s.tasks_max, true);
                json_kv_u64(j, "memory_current", s.memory_current, true);
                json_kv_u64(j, "memory_peak", s.memory_peak, true);
                json_kv_u64(j, "cpu_usage_nsec", s.cpu_nsec, true);
                json_kv_u64(j, "tasks_current", s.tasks_current, true);
                json_kv_str(j, "control_group", s.cgroup, true);
                fputs(",\"exec_start\":[", j);
                for (char **a = s.exec_start; a && *a; a++) {
                        if (a != s.exec_start)
                                fputc(',', j);
                        json_fputs(j, *a);
                }
                /* limits set that no controller enforces here */
                fputs("],\"limits_not_enforced\":", j);
                status_limits(&s, limits);
                if (!known)
                        fputs("null", j);
                else {
                        bool lfirst = true;

                        fputc('[', j);
                        for (size_t i = 0; i < ELEMENTSOF(limits); i++)
                                if (!limit_enforced(&limits[i], controllers, known)) {
                                        fputs(lfirst ? "" : ",", j);
                                        json_fputs(j, limits[i].name);
                                        lfirst = false;
                                }
                        fputc(']', j);
                }
                fputs(",\"last_exits\":[", j);
                while ((r = event_read(events, &ev)) > 0) {
                        if (!ev_first)
                                fputc(',', j);
                        event_print_json(j, &ev);
                        ev_first = false;
                }
                fputs("]}", j);
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
                print_limits(&s, controllers, known);
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
                while ((r = event_read(events, &ev)) > 0) {
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
        _cleanup_(strv_freep) char **pools = NULL, **controllers = NULL;
        sd_bus_error e = SD_BUS_ERROR_NULL;
        FILE *j = NULL;
        JsonDoc doc;
        bool known, first = true;
        int ret = EXIT_OK, r;

        if (n > 1)
                pools = strv_copy(args + 1);
        else {
                r = list_pool_names(bus, &pools);
                if (r < 0)
                        return -r;
        }
        /* an older daemon may not say: then no notes */
        known = sd_bus_get_property_strv(bus, BUS_NAME, BUS_PATH, BUS_MANAGER_INTERFACE, "Controllers", &e,
                                         &controllers) >= 0;
        sd_bus_error_free(&e);
        if (arg_json != JSON_OFF) {
                j = json_begin(&doc);
                fputc('[', j);
        }
        for (size_t i = 0; pools && pools[i]; i++) {
                if (!j && i > 0)
                        printf("\n");
                r = print_pool_status(bus, pools[i], controllers, known, j, &first);
                if (r != EXIT_OK && ret == EXIT_OK)
                        ret = r;
        }
        if (j) {
                fputc(']', j);
                json_end(&doc, arg_json);
        }
        return ret;
}

/* ---- main ------------------------------------------------------------------- */

enum {
        ARG_VERSION = 0x100,
        ARG_JSON,
        ARG_NO_LEGEND,
        ARG_NO_PAGER,
        ARG_NO_BLOCK,
        ARG_VALUE,
        ARG_SYSTEM,
        ARG_USER,
        ARG_BUS,
        ARG_RUNTIME,
        ARG_POOL,
        ARG_STATE,
        ARG_REASON,
};

static int parse_json_mode(const char *s, JsonMode *ret) {
        if (!s || streq(s, "short"))
                *ret = JSON_SHORT;
        else if (streq(s, "pretty"))
                *ret = JSON_PRETTY;
        else if (streq(s, "off"))
                *ret = JSON_OFF;
        else
                return -EINVAL;
        return 0;
}

static int add_properties(const char *list) {
        _cleanup_(freep) char *copy = strdup(list);

        if (!copy)
                return -ENOMEM;
        for (char *save = NULL, *p = strtok_r(copy, ",", &save); p; p = strtok_r(NULL, ",", &save))
                if (!strv_find(arg_properties, p) && strv_extend(&arg_properties, p) < 0)
                        return -ENOMEM;
        /* -p '' still means "only the properties asked for" (none), as for systemctl */
        if (!arg_properties) {
                arg_properties = calloc(1, sizeof(char *));
                if (!arg_properties)
                        return -ENOMEM;
        }
        return 0;
}

static int parse_argv(int argc, char *argv[]) {
        static const struct option options[] = {
                { "help",      no_argument,       NULL, 'h'           },
                { "version",   no_argument,       NULL, ARG_VERSION   },
                { "json",      optional_argument, NULL, ARG_JSON      },
                { "output",    required_argument, NULL, 'o'           },
                { "no-legend", no_argument,       NULL, ARG_NO_LEGEND },
                { "no-pager",  no_argument,       NULL, ARG_NO_PAGER  },
                { "no-block",  no_argument,       NULL, ARG_NO_BLOCK  },
                { "property",  required_argument, NULL, 'p'           },
                { "all",       no_argument,       NULL, 'a'           },
                { "value",     no_argument,       NULL, ARG_VALUE     },
                { "quiet",     no_argument,       NULL, 'q'           },
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

        while ((c = getopt_long(argc, argv, "hH:n:fs:p:aqo:", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        arg_help = true;        /* after every option: --no-pager may follow */
                        break;
                case ARG_VERSION:
                        printf("workerpoolctl %s\n", PACKAGE_VERSION);
                        return 0;
                case ARG_JSON:
                        if (optarg && streq(optarg, "help")) {
                                printf("short\npretty\noff\n");
                                return 0;
                        }
                        if (parse_json_mode(optarg, &arg_json) < 0) {
                                fprintf(stderr, "Unknown JSON mode: %s (short, pretty or off)\n", optarg);
                                return -EXIT_USAGE;
                        }
                        break;
                case 'o':
                        /* journalctl's names for the same */
                        if (streq(optarg, "help")) {
                                printf("short\njson\njson-pretty\n");
                                return 0;
                        }
                        if (streq(optarg, "json"))
                                arg_json = JSON_SHORT;
                        else if (streq(optarg, "json-pretty"))
                                arg_json = JSON_PRETTY;
                        else if (streq(optarg, "short"))
                                arg_json = JSON_OFF;
                        else {
                                fprintf(stderr, "Unknown output mode: %s (short, json or json-pretty)\n", optarg);
                                return -EXIT_USAGE;
                        }
                        break;
                case ARG_NO_LEGEND:
                        arg_legend = false;
                        break;
                case ARG_NO_PAGER:
                        arg_pager = false;
                        break;
                case ARG_NO_BLOCK:
                        arg_no_block = true;
                        break;
                case 'p':
                        if (add_properties(optarg) < 0)
                                return -EXIT_FAIL;
                        break;
                case 'a':
                        arg_all = true;
                        break;
                case ARG_VALUE:
                        arg_value = true;
                        break;
                case 'q':
                        arg_quiet = true;
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
                bool pager;             /* output worth a pager */
                int (*run)(sd_bus *bus, char **args, int n);
        } verbs[] = {
                { "status",       1, -1, true,  verb_status },
                { "show",         1, -1, true,  verb_show },
                { "cat",          2, -1, true,  verb_cat },
                { "list-pools",   1, 1,  true,  verb_list },
                { "list-workers", 1, 1,  true,  verb_list },
                { "is-active",    2, -1, false, verb_is_active },
                { "is-failed",    2, -1, false, verb_is_active },
                { "scale",        3, 3,  false, verb_scale },
                { "set-property", 3, -1, false, verb_set_property },
                { "start",        2, -1, false, verb_pool_simple },
                { "stop",         2, -1, false, verb_pool_simple },
                { "restart",      2, -1, false, verb_pool_simple },
                { "reset-failed", 2, -1, false, verb_pool_simple },
                { "kill",         2, -1, false, verb_kill },
                { "events",       1, 1,  true,  verb_events },
                { "reload",       1, 1,  false, verb_manager_call },
                { "reexec",       1, 1,  false, verb_manager_call },
        };
        sd_bus *bus = NULL;
        const char *verb;
        int r, n;

        r = parse_argv(argc, argv);
        if (r <= 0)
                return -r;
        verb = optind < argc ? argv[optind] : "list-pools";
        n = optind < argc ? argc - optind : 1;
        if (arg_help || streq(verb, "help")) {
                help();
                pager_close();
                return EXIT_OK;
        }

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
                /* as systemctl: not for what follows the output as it comes */
                if (verbs[i].pager && !arg_follow)
                        pager_open(!arg_pager);
                r = verbs[i].run(bus, optind < argc ? argv + optind : (char *[]) { (char *) verb, NULL }, n);
                fflush(stdout);
                sd_bus_flush_close_unref(bus);
                pager_close();
                strv_free(arg_properties);
                return r;
        }
        fprintf(stderr, "Unknown command '%s'. See workerpoolctl --help.\n", verb);
        return EXIT_USAGE;
}
