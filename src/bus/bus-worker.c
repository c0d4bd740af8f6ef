/* SPDX-License-Identifier: MIT */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "../shared/parse-util.h"
#include "../shared/log.h"
#include "../shared/strv.h"
#include "bus.h"

int bus_worker_find(sd_bus *bus, const char *path, const char *interface, void *userdata, void **found,
                    sd_bus_error *error) {
        Manager *m = userdata;
        uint64_t id;
        Worker *w;

        if (bus_worker_path_parse(path, &id) < 0)
                return 0;
        w = idmap_get(&m->host.workers, id);
        if (!w)
                return 0;
        *found = w;
        return 1;
}

int bus_worker_enumerate(sd_bus *bus, const char *path, void *userdata, char ***nodes, sd_bus_error *error) {
        Manager *m = userdata;
        size_t n = idmap_size(&m->host.workers), i = 0;
        char **l;

        l = calloc(n + 1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        for (Pool *p = m->pools; p; p = p->next)
                for (Worker *w = p->workers; w && i < n; w = w->next) {
                        l[i] = bus_worker_path(w);
                        if (!l[i]) {
                                strv_free(l);
                                return -ENOMEM;
                        }
                        i++;
                }
        *nodes = l;
        return 1;
}

#define WORKER_GETTER(fname, type, expr)                                                        \
        static int fname(sd_bus *bus, const char *path, const char *interface,                  \
                         const char *property, sd_bus_message *reply, void *userdata,           \
                         sd_bus_error *error) {                                                 \
                Worker *w = userdata;                                                           \
                return sd_bus_message_append(reply, type, expr);                                \
        }

WORKER_GETTER(property_get_pid, "u", (uint32_t) w->pid)
WORKER_GETTER(property_get_state, "s", worker_state_to_string(w->state))
WORKER_GETTER(property_get_pool, "s", w->pool->name)
WORKER_GETTER(property_get_started_at, "t", (uint64_t) w->started_at)
WORKER_GETTER(property_get_ready_at, "t", (uint64_t) w->ready_at)
WORKER_GETTER(property_get_restart_streak, "u", w->restart_streak)
WORKER_GETTER(property_get_status_text, "s", strempty(w->status_text))
WORKER_GETTER(property_get_jobs, "t", w->jobs)
WORKER_GETTER(property_get_replaces, "t", w->replaces)
WORKER_GETTER(property_get_frozen, "b", (int) w->frozen)
WORKER_GETTER(property_get_hang_capture, "s", w->hang_capture ?: "")

/* MemoryCurrent, MemoryPeak, TasksCurrent, CPUUsageNSec: of the worker's leaf,
 * opened for the read (UINT64_MAX once it is gone). */
static int property_get_cgroup_counter(sd_bus *bus, const char *path, const char *interface,
                                       const char *property, sd_bus_message *reply, void *userdata,
                                       sd_bus_error *error) {
        _cleanup_(closep) int cgroup_fd = -EBADF;
        Worker *w = userdata;

        cgroup_fd = worker_open_cgroup(w);
        return bus_append_cgroup_counter(reply, cgroup_fd, bus_cgroup_counter_from_property(property));
}

static int property_get_pool_path(sd_bus *bus, const char *path, const char *interface, const char *property,
                                  sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        _cleanup_(freep) char *s = NULL;
        Worker *w = userdata;

        s = bus_pool_path(w->pool);
        if (!s)
                return -ENOMEM;
        return sd_bus_message_append(reply, "o", s);
}

static int property_get_cgroup(sd_bus *bus, const char *path, const char *interface, const char *property,
                               sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        _cleanup_(freep) char *s = NULL;
        Worker *w = userdata;

        if (asprintf(&s, "%s/%s.pool/%s", w->pool->host->cgroup_root ?: "", w->pool->name,
                     w->cgroup_name) < 0)
                return -ENOMEM;
        return sd_bus_message_append(reply, "s", s);
}

static int method_kill(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Worker *w = userdata;
        const char *s;
        int sig, r;

        r = bus_verify_privileged(msg, error);
        if (r < 0)
                return r;
        r = sd_bus_message_read(msg, "s", &s);
        if (r < 0)
                return r;
        if (bus_parse_signal(s, &sig) < 0)
                return sd_bus_error_setf(error, BUS_ERROR_INVALID_VALUE,
                                         "Invalid signal '%.64s': expected a name like SIGTERM or TERM, or a "
                                         "number 1..%d.", s, _NSIG - 1);
        r = worker_kill_request(w, sig);
        if (r == -ESRCH)
                return sd_bus_error_setf(error, BUS_ERROR_NO_SUCH_WORKER, "Worker %" PRIu64 " is %s.", w->id,
                                         worker_state_to_string(w->state));
        if (r < 0)
                return sd_bus_error_set_errnof(error, r, "Cannot signal worker %" PRIu64 ": %m", w->id);
        log_info("Pool %s: worker %" PRIu64 ": %s sent by %s.", w->pool->name, w->id,
                 signal_to_string(sig) ?: s, sd_bus_message_get_sender(msg) ?: "?");
        return sd_bus_reply_method_return(msg, NULL);
}

static int method_restart(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Worker *w = userdata;
        int r;

        r = bus_verify_privileged(msg, error);
        if (r < 0)
                return r;
        r = worker_restart(w);
        if (r == -ESRCH)
                return sd_bus_error_setf(error, BUS_ERROR_NO_SUCH_WORKER, "Worker %" PRIu64 " is %s.", w->id,
                                         worker_state_to_string(w->state));
        if (r < 0)
                return sd_bus_error_set_errnof(error, r, "Cannot restart worker %" PRIu64 ": %m", w->id);
        return sd_bus_reply_method_return(msg, NULL);
}

static int worker_error(Worker *w, int r, const char *what, sd_bus_error *error) {
        if (r == -ESRCH)
                return sd_bus_error_setf(error, BUS_ERROR_NO_SUCH_WORKER, "Worker %" PRIu64 " is %s.", w->id,
                                         worker_state_to_string(w->state));
        if (r == -EBUSY)
                return sd_bus_error_setf(error, SD_BUS_ERROR_LIMITS_EXCEEDED,
                                         "Worker %" PRIu64 ": a capture is already running.", w->id);
        if (r == -EOPNOTSUPP)
                return sd_bus_error_setf(error, SD_BUS_ERROR_NOT_SUPPORTED,
                                         "Worker %" PRIu64 ": no diagnose program (workerpoold-diagnose) was found.",
                                         w->id);
        return sd_bus_error_set_errnof(error, r, "Cannot %s worker %" PRIu64 ": %m", what, w->id);
}

static int method_freeze_thaw(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        bool freeze = streq(sd_bus_message_get_member(msg), "Freeze");
        Worker *w = userdata;
        int r;

        r = bus_verify_privileged(msg, error);
        if (r < 0)
                return r;
        r = worker_freeze(w, freeze);
        if (r < 0)
                return worker_error(w, r, freeze ? "freeze" : "thaw", error);
        log_info("Pool %s: worker %" PRIu64 " %s by %s.", w->pool->name, w->id, freeze ? "frozen" : "thawed",
                 sd_bus_message_get_sender(msg) ?: "?");
        return sd_bus_reply_method_return(msg, NULL);
}

/* The capture is in (or failed): the reply the caller waits for. */
static void on_diagnosed(Worker *w, const char *text, int error, const char *why, void *userdata) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *msg = userdata;

        if (text)
                (void) sd_bus_reply_method_return(msg, "s", text);
        else
                (void) sd_bus_reply_method_errorf(msg, error == -ESRCH ? BUS_ERROR_NO_SUCH_WORKER : SD_BUS_ERROR_FAILED,
                                                  "Worker %" PRIu64 ": no capture: %s.", w->id, why ?: "failed");
}

static int method_diagnose(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Worker *w = userdata;
        int r;

        r = bus_verify_privileged(msg, error);
        if (r < 0)
                return r;
        r = worker_capture(w, on_diagnosed, sd_bus_message_ref(msg));
        if (r < 0) {
                sd_bus_message_unref(msg);
                return worker_error(w, r, "diagnose", error);
        }
        log_info("Pool %s: worker %" PRIu64 ": diagnosis requested by %s.", w->pool->name, w->id,
                 sd_bus_message_get_sender(msg) ?: "?");
        return 1;       /* replied when the capture is in */
}

const sd_bus_vtable bus_worker_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Id", "t", NULL, offsetof(Worker, id), SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Pid", "u", property_get_pid, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("State", "s", property_get_state, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Pool", "s", property_get_pool, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("PoolPath", "o", property_get_pool_path, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("CgroupPath", "s", property_get_cgroup, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("StartedAt", "t", property_get_started_at, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("ReadyAt", "t", property_get_ready_at, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("RestartStreak", "u", property_get_restart_streak, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        /* Read on demand: no PropertiesChanged. */
        SD_BUS_PROPERTY("StatusText", "s", property_get_status_text, 0, 0),
        SD_BUS_PROPERTY("Jobs", "t", property_get_jobs, 0, 0),
        SD_BUS_PROPERTY("Replaces", "t", property_get_replaces, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Frozen", "b", property_get_frozen, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("HangCapture", "s", property_get_hang_capture, 0, 0),
        SD_BUS_PROPERTY("MemoryCurrent", "t", property_get_cgroup_counter, 0, 0),
        SD_BUS_PROPERTY("MemoryPeak", "t", property_get_cgroup_counter, 0, 0),
        SD_BUS_PROPERTY("TasksCurrent", "t", property_get_cgroup_counter, 0, 0),
        SD_BUS_PROPERTY("CPUUsageNSec", "t", property_get_cgroup_counter, 0, 0),

        SD_BUS_METHOD_WITH_ARGS("Kill", SD_BUS_ARGS("s", signal), SD_BUS_NO_RESULT, method_kill, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Restart", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT, method_restart, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Freeze", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT, method_freeze_thaw, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Thaw", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT, method_freeze_thaw, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Diagnose", SD_BUS_NO_ARGS, SD_BUS_RESULT("s", capture), method_diagnose,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END
};
