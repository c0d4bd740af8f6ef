/* SPDX-License-Identifier: MIT */
/* The verbs that make jobs and wait for them: start, stop, restart, reload
 * POOL, scale, set-property (Workers=), and reset-failed, which makes none;
 * --no-block does not wait. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>

#include "../bus/bus-util.h"
#include "../shared/parse-util.h"
#include "../shared/string-util.h"
#include "ctl.h"

/* ---- jobs ------------------------------------------------------------------
 * As systemctl waits for its jobs: subscribe to the pools' JobDone(requester,
 * job, result, message) first, then call, then wait for the signal of each
 * call (requester: our unique name). */

typedef struct Job {
        char *pool;
        char *path;
        const char *kind;               /* "start", "stop", "restart", "reload", "scale" */
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

int verb_pool_simple(sd_bus *bus, char **args, int n) {
        static const struct {
                const char *verb, *method, *job;
        } map[] = {
                { "start", "Start", "start" }, { "stop", "Stop", "stop" }, { "restart", "Restart", "restart" },
                { "reload", "Reload", "reload" }, { "reset-failed", "ResetFailed", NULL },
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

int verb_scale(sd_bus *bus, char **args, int n) {
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

int verb_set_property(sd_bus *bus, char **args, int n) {
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

/* reload POOL...: the workers' ReloadSignal=, a job as start's; reload
 * alone: daemon-reload, as it always was (the unit's ExecReload= says it). */
int verb_reload(sd_bus *bus, char **args, int n) {
        return n < 2 ? verb_manager_call(bus, args, n) : verb_pool_simple(bus, args, n);
}
