/* SPDX-License-Identifier: MIT */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../config/dropin.h"
#include "../pool/listen.h"
#include "../shared/parse-util.h"
#include "../shared/fd-util.h"
#include "../shared/log.h"
#include "../shared/strv.h"
#include "bus.h"

/* Without MaxWorkers= a pool is capped only by the documented maximum; a
 * typo in Scale() must still not fork a billion processes. */
#define BUS_WORKERS_UNCAPPED_MAX POOL_WORKERS_MAX

int bus_pool_find(sd_bus *bus, const char *path, const char *interface, void *userdata, void **found,
                  sd_bus_error *error) {
        _cleanup_(freep) char *name = NULL;
        Pool *p;
        int r;

        r = sd_bus_path_decode(path, BUS_POOL_PREFIX, &name);
        if (r <= 0)
                return r;
        p = manager_find_pool(userdata, name);
        if (!p)
                return 0;
        *found = p;
        return 1;
}

int bus_pool_enumerate(sd_bus *bus, const char *path, void *userdata, char ***nodes, sd_bus_error *error) {
        _cleanup_(strv_freep) char **l = NULL;
        Manager *m = userdata;
        int r;

        for (Pool *p = m->pools; p; p = p->next) {
                char *s = bus_pool_path(p);

                if (!s)
                        return -ENOMEM;
                r = strv_consume(&l, s);
                if (r < 0)
                        return r;
        }
        *nodes = TAKE_PTR(l);
        return 1;
}

/* ---- properties ----------------------------------------------------------- */

#define POOL_GETTER(fname, type, expr)                                                          \
        static int fname(sd_bus *bus, const char *path, const char *interface,                  \
                         const char *property, sd_bus_message *reply, void *userdata,           \
                         sd_bus_error *error) {                                                 \
                Pool *p = userdata;                                                             \
                return sd_bus_message_append(reply, type, expr);                                \
        }

POOL_GETTER(property_get_workers, "u", p->n_wanted)
POOL_GETTER(property_get_description, "s", p->config->description ?: "")
POOL_GETTER(property_get_state, "s", pool_state_to_string(p->state))
POOL_GETTER(property_get_min_workers, "u", p->config->min_workers)
POOL_GETTER(property_get_max_workers, "u", p->config->max_workers)
POOL_GETTER(property_get_type, "s", pool_type_to_string(p->config->type))
POOL_GETTER(property_get_restart, "s", restart_policy_to_string(p->config->restart))
POOL_GETTER(property_get_restart_usec, "t", (uint64_t) p->config->restart_usec)
POOL_GETTER(property_get_restart_max_delay_usec, "t", (uint64_t) p->config->restart_max_delay_usec)
POOL_GETTER(property_get_memory_max, "t", p->config->memory_max)
POOL_GETTER(property_get_memory_high, "t", p->config->memory_high)
POOL_GETTER(property_get_memory_swap_max, "t", p->config->memory_swap_max)
POOL_GETTER(property_get_cpu_quota, "t", (uint64_t) p->config->cpu_quota_per_sec_usec)
POOL_GETTER(property_get_cpu_weight, "t", p->config->cpu_weight)
POOL_GETTER(property_get_tasks_max, "t", p->config->tasks_max)
POOL_GETTER(property_get_user, "s", p->config->user ?: "")
POOL_GETTER(property_get_fragment_path, "s", p->config->path ?: "")
POOL_GETTER(property_get_state_reason, "s", p->state_reason)
POOL_GETTER(property_get_fd_name, "s", p->config->fd_name ?: p->name)
POOL_GETTER(property_get_n_listening, "u", (uint32_t) p->n_listen_fds)
POOL_GETTER(property_get_last_hang_capture, "s", p->last_hang_capture ?: "")
POOL_GETTER(property_get_job_timeout_usec, "t", (uint64_t) (config_usec_is_set(p->config->job_timeout_usec)
                                                                   ? p->config->job_timeout_usec : 0))
POOL_GETTER(property_get_wait_timeout_usec, "t", (uint64_t) (config_usec_is_set(p->config->wait_timeout_usec)
                                                                    ? p->config->wait_timeout_usec : 0))
POOL_GETTER(property_get_job_timeout_action, "s", job_timeout_action_to_string(p->config->job_timeout_action))
POOL_GETTER(property_get_max_jobs, "t", p->config->max_jobs)
POOL_GETTER(property_get_runtime_max_usec, "t", (uint64_t) (p->config->runtime_max_usec == 0 ? USEC_INFINITY
                                                                   : p->config->runtime_max_usec))
POOL_GETTER(property_get_failure_action, "s", failure_action_to_string(p->config->failure_action))
POOL_GETTER(property_get_reload_signal, "s", signal_to_string(p->config->reload_signal) ?: "")

/* MemoryCurrent, MemoryPeak, TasksCurrent, CPUUsageNSec: of the whole pool. */
static int property_get_cgroup_counter(sd_bus *bus, const char *path, const char *interface,
                                       const char *property, sd_bus_message *reply, void *userdata,
                                       sd_bus_error *error) {
        Pool *p = userdata;

        return bus_append_cgroup_counter(reply, p->cgroup_fd, bus_cgroup_counter_from_property(property));
}

static int property_get_exec_start(sd_bus *bus, const char *path, const char *interface, const char *property,
                                   sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Pool *p = userdata;

        return sd_bus_message_append_strv(reply, p->config->exec_start);
}

static int property_get_health_check(sd_bus *bus, const char *path, const char *interface, const char *property,
                                    sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        _cleanup_(freep) char *s = NULL;
        Pool *p = userdata;

        /* the command line, its words as ExecStart= shows them ("": none) */
        s = strv_join(p->config->exec_health_check, " ");
        if (!s)
                return -ENOMEM;
        return sd_bus_message_append(reply, "s", s);
}

/* systemd's Socket.Listen: (type, address) of every [Socket] Listen*=. */
static int property_get_listen(sd_bus *bus, const char *path, const char *interface, const char *property,
                               sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Pool *p = userdata;
        int r;

        r = sd_bus_message_open_container(reply, 'a', "(ss)");
        for (size_t i = 0; r >= 0 && i < p->config->n_listen; i++) {
                const ListenSpec *l = &p->config->listen[i];
                _cleanup_(freep) char *s = listen_spec_to_string(l);

                r = sd_bus_message_append(reply, "(ss)",
                                          l->type == SOCK_STREAM ? "Stream" : l->type == SOCK_DGRAM ? "Datagram"
                                                                                                   : "SequentialPacket",
                                          s ?: "");
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        return r;
}

static int property_get_dropins(sd_bus *bus, const char *path, const char *interface, const char *property,
                                sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Pool *p = userdata;

        return sd_bus_message_append_strv(reply, p->config->dropins);
}

/* (path, text) of every file as loaded, then the SetProperties() overlay. */
static int property_get_config_sources(sd_bus *bus, const char *path, const char *interface,
                                       const char *property, sd_bus_message *reply, void *userdata,
                                       sd_bus_error *error) {
        Pool *p = userdata;
        int r;

        r = sd_bus_message_open_container(reply, 'a', "(ss)");
        for (char **src = p->config->sources; r >= 0 && src && src[0] && src[1]; src += 2)
                r = sd_bus_message_append(reply, "(ss)", src[0], src[1]);
        if (r < 0)
                return r;
        return sd_bus_message_close_container(reply);
}

static int property_get_control_group(sd_bus *bus, const char *path, const char *interface,
                                      const char *property, sd_bus_message *reply, void *userdata,
                                      sd_bus_error *error) {
        _cleanup_(freep) char *s = NULL;
        Pool *p = userdata;

        if (asprintf(&s, "%s/%s.pool", p->host->cgroup_root ?: "", p->name) < 0)
                return -ENOMEM;
        return sd_bus_message_append(reply, "s", s);
}

static int property_get_pressure(sd_bus *bus, const char *path, const char *interface, const char *property,
                                 sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Pool *p = userdata;
        const char *file = streq(property, "MemoryPressure") ? "memory.pressure" :
                           streq(property, "CPUPressure") ? "cpu.pressure" : "io.pressure";

        return bus_append_pressure(reply, p->cgroup_fd, file);
}

/* ---- changing the configuration ------------------------------------------ */

typedef enum ValueKind {
        VALUE_BYTES,            /* t bytes (UINT64_MAX: infinity) or s "512M" */
        VALUE_CPU_QUOTA,        /* t usec per sec (UINT64_MAX: none) or s "50%" */
        VALUE_UINT,             /* u/t or s */
        VALUE_TASKS,            /* t (UINT64_MAX: infinity) or s */
        VALUE_TIME,             /* t usec (UINT64_MAX: infinity) or s "5s" */
        VALUE_STRING,           /* s */
} ValueKind;

typedef struct Settable {
        const char *name;       /* SetProperties() key or property name */
        const char *key;        /* config key */
        ValueKind kind;
} Settable;

static const Settable settables[] = {
        { "Workers",            "Workers",            VALUE_UINT },
        { "MemoryMax",          "MemoryMax",          VALUE_BYTES },
        { "MemoryHigh",         "MemoryHigh",         VALUE_BYTES },
        { "MemorySwapMax",      "MemorySwapMax",      VALUE_BYTES },
        { "CPUQuota",           "CPUQuota",           VALUE_CPU_QUOTA },
        { "CPUQuotaPerSecUSec", "CPUQuota",           VALUE_CPU_QUOTA },
        { "CPUWeight",          "CPUWeight",          VALUE_UINT },
        { "TasksMax",           "TasksMax",           VALUE_TASKS },
        { "Restart",            "Restart",            VALUE_STRING },
        { "RestartSec",         "RestartSec",         VALUE_TIME },
        { "RestartUSec",        "RestartSec",         VALUE_TIME },
        { "RestartMaxDelaySec", "RestartMaxDelaySec", VALUE_TIME },
        { "RestartMaxDelayUSec", "RestartMaxDelaySec", VALUE_TIME },
};

static const Settable *settable_find(const char *name) {
        for (size_t i = 0; i < ELEMENTSOF(settables); i++)
                if (streq(settables[i].name, name))
                        return &settables[i];
        return NULL;
}

typedef struct Assignment {
        const Settable *s;
        char *value;            /* owned: the text the config parser sees */
} Assignment;

static void assignments_free(Assignment *a, size_t n) {
        for (size_t i = 0; i < n; i++)
                free(a[i].value);
        free(a);
}

/* Read the value at the current position of msg (a basic type) as the
 * text a config file would hold. */
static int read_value(sd_bus_message *msg, const char *name, const Settable *s, char **ret,
                      sd_bus_error *error) {
        const char *contents = NULL, *str;
        char type, buf[64];
        uint64_t t = 0;
        uint32_t u;
        int r;

        r = sd_bus_message_peek_type(msg, &type, &contents);
        if (r < 0)
                return r;
        if (r == 0)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "Missing value for %s.", name);

        if (type == 's') {
                r = sd_bus_message_read_basic(msg, 's', &str);
                if (r < 0)
                        return r;
                if (!bus_property_value_is_safe(str))
                        return sd_bus_error_setf(error, BUS_ERROR_INVALID_VALUE,
                                                 "Invalid %s= value: control characters, backslashes or "
                                                 "more than 4096 bytes are not allowed.", name);
                *ret = strdup(str);
                return *ret ? 0 : -ENOMEM;
        }
        if (s->kind == VALUE_STRING)
                return sd_bus_error_setf(error, BUS_ERROR_INVALID_VALUE,
                                         "Invalid type '%c' for %s: expected a string (s).", type, name);
        if (type == 'u') {
                r = sd_bus_message_read_basic(msg, 'u', &u);
                t = u;
        } else if (type == 't')
                r = sd_bus_message_read_basic(msg, 't', &t);
        else
                return sd_bus_error_setf(error, BUS_ERROR_INVALID_VALUE,
                                         "Invalid type '%c' for %s: expected an integer (t or u) or a "
                                         "string (s).", type, name);
        if (r < 0)
                return r;

        switch (s->kind) {
        case VALUE_BYTES:
        case VALUE_TASKS:
                if (t == UINT64_MAX)
                        snprintf(buf, sizeof buf, "infinity");
                else
                        snprintf(buf, sizeof buf, "%" PRIu64, t);
                break;
        case VALUE_CPU_QUOTA:
                if (t == UINT64_MAX)
                        buf[0] = 0;     /* reset: no quota */
                else
                        snprintf(buf, sizeof buf, "%" PRIu64 ".%02" PRIu64 "%%", t / 100 / 100, t / 100 % 100);
                break;
        case VALUE_UINT:
                if (t == UINT64_MAX && streq(s->key, "CPUWeight"))
                        buf[0] = 0;     /* reset to the default, as systemd */
                else
                        snprintf(buf, sizeof buf, "%" PRIu64, t);
                break;
        case VALUE_TIME:
                if (t == UINT64_MAX)
                        snprintf(buf, sizeof buf, "infinity");
                else
                        snprintf(buf, sizeof buf, "%" PRIu64 "us", t);
                break;
        default:
                return -EINVAL;
        }
        *ret = strdup(buf);
        return *ret ? 0 : -ENOMEM;
}

static uint32_t pool_workers_cap(const PoolConfig *c) {
        return c->max_workers == UINT32_MAX ? BUS_WORKERS_UNCAPPED_MAX : c->max_workers;
}

static int check_workers(const Pool *p, const PoolConfig *c, uint64_t n, sd_bus_error *error) {
        if (n < c->min_workers || n > pool_workers_cap(c)) {
                if (c->max_workers == UINT32_MAX && n > BUS_WORKERS_UNCAPPED_MAX)
                        return sd_bus_error_setf(error, BUS_ERROR_OUT_OF_RANGE,
                                                 "Pool %s: %" PRIu64 " workers is more than %" PRIu32
                                                 " (set MaxWorkers= to allow more).",
                                                 p->name, n, BUS_WORKERS_UNCAPPED_MAX);
                return sd_bus_error_setf(error, BUS_ERROR_OUT_OF_RANGE,
                                         "Pool %s: %" PRIu64 " workers is outside MinWorkers..MaxWorkers "
                                         "(%" PRIu32 "..%" PRIu32 ").", p->name, n, c->min_workers,
                                         c->max_workers);
        }
        return 0;
}

/* Persist as systemctl set-property does: one drop-in we own, keys merged. */
static int persist_assignments(Pool *p, const Assignment *a, size_t n, char **ret_path, sd_bus_error *error) {
        _cleanup_(freep) DropinAssignment *da = NULL;
        _cleanup_(freep) char *path = NULL;
        Manager *m = manager_of_pool(p);
        const char *what = NULL;
        int r;

        if (!m->config_dirs || !m->config_dirs[0])
                return sd_bus_error_setf(error, SD_BUS_ERROR_FAILED, "No configuration directory to write to.");
        da = calloc(n, sizeof(DropinAssignment));
        if (!da)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                da[i] = (DropinAssignment) { pool_config_property_section(a[i].s->key), a[i].s->key, a[i].value };
        r = dropin_persist(m->config_dirs[0], p->name, da, n, &path, &what);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return sd_bus_error_set_errnof(error, r, "Cannot %s %s: %m", what, path);
        log_info("Pool %s: wrote %s.", p->name, path);
        *ret_path = TAKE_PTR(path);
        return 0;
}

/* Validate every assignment on a copy of the config, persist unless
 * runtime, then apply the copy live. All or nothing. If call is not NULL it
 * is answered once the live cgroups have the new values, and 1 is returned
 * (a method handler that replied must say so, or sd-bus adds a second,
 * UnknownMethod reply). */
static int pool_apply_assignments(Pool *p, sd_bus_message *call, const Assignment *a, size_t n, bool runtime,
                                  sd_bus_error *error) {
        _cleanup_(pool_config_freep) PoolConfig *c = NULL;
        _cleanup_(freep) char *dropin = NULL;
        bool workers = false;
        int r;

        r = pool_config_dup(p->config, &c);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                _cleanup_(freep) char *why = NULL;

                if (streq(a[i].s->key, "Workers")) {
                        uint32_t w;

                        workers = true;
                        if (parse_uint32(a[i].value, &w) >= 0) {
                                r = check_workers(p, c, w, error);
                                if (r < 0)
                                        return r;
                        }
                }
                r = pool_config_set_property(c, p->host->defaults, a[i].s->key, a[i].value, &why);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        return sd_bus_error_setf(error, BUS_ERROR_INVALID_VALUE, "%s",
                                                 why ?: "Invalid value.");
        }
        if (workers) {
                r = check_workers(p, c, c->workers, error);
                if (r < 0)
                        return r;
        }

        if (!runtime && n > 0) {
                r = persist_assignments(p, a, n, &dropin, error);
                if (r < 0)
                        return r;
                if (!strv_find(c->dropins, dropin) && strv_extend(&c->dropins, dropin) < 0)
                        return -ENOMEM;
        }

        /* Apply before replying: when the caller has the reply, every live
         * worker's cgroup has the new limits (sd-bus may write the reply to
         * the socket at once). */
        (void) pool_reconfigure(p, TAKE_PTR(c), NULL);   /* sockets are not set here */
        if (workers && p->n_wanted != p->config->workers) {
                char by[160];

                snprintf(by, sizeof by, "SetProperties(Workers=) by %s",
                         call ? sd_bus_message_get_sender(call) ?: "?" : "the daemon");
                (void) pool_scale(p, p->config->workers, by);
        }
        if (workers && call)
                pool_job_begin(p, POOL_JOB_SCALE, sd_bus_message_get_sender(call));
        bus_pool_changed(manager_of_pool(p)->bus, p);
        if (call) {
                r = sd_bus_reply_method_return(call, NULL);
                if (r < 0)
                        return r;
                return 1;       /* answered: sd-bus must not answer again */
        }
        return 0;               /* a property setter: sd-bus answers */
}

static int method_set_properties(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Pool *p = userdata;
        Assignment *a = NULL;
        size_t n = 0, size = 0;
        const char *name;
        int runtime, r;

        r = bus_verify_privileged(msg, error);
        if (r < 0)
                return r;
        r = sd_bus_message_read(msg, "b", &runtime);
        if (r < 0)
                return r;
        r = sd_bus_message_enter_container(msg, 'a', "(sv)");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(msg, 'r', "sv")) > 0) {
                const Settable *s;
                const char *contents;
                char *value = NULL;

                r = sd_bus_message_read(msg, "s", &name);
                if (r < 0)
                        goto finish;
                s = settable_find(name);
                if (!s) {
                        r = sd_bus_error_setf(error, BUS_ERROR_INVALID_VALUE,
                                              "Cannot set property '%s': unknown or read-only. Settable: "
                                              "Workers, MemoryMax, MemoryHigh, MemorySwapMax, CPUQuota, "
                                              "CPUWeight, TasksMax, Restart, RestartSec, RestartMaxDelaySec.",
                                              name);
                        goto finish;
                }
                r = sd_bus_message_peek_type(msg, NULL, &contents);
                if (r < 0)
                        goto finish;
                r = sd_bus_message_enter_container(msg, 'v', contents);
                if (r < 0)
                        goto finish;
                r = read_value(msg, name, s, &value, error);
                if (r < 0)
                        goto finish;
                if (n == size) {
                        Assignment *na;

                        if (size >= 64) {
                                free(value);
                                r = sd_bus_error_setf(error, BUS_ERROR_INVALID_VALUE,
                                                      "Too many properties in one call (at most 64).");
                                goto finish;
                        }
                        size = size ? size * 2 : 8;
                        na = realloc(a, size * sizeof(Assignment));
                        if (!na) {
                                free(value);
                                r = -ENOMEM;
                                goto finish;
                        }
                        a = na;
                }
                a[n++] = (Assignment) { s, value };
                r = sd_bus_message_exit_container(msg);         /* v */
                if (r >= 0)
                        r = sd_bus_message_exit_container(msg); /* r */
                if (r < 0)
                        goto finish;
        }
        if (r < 0)
                goto finish;
        r = sd_bus_message_exit_container(msg);
        if (r < 0)
                goto finish;

        log_info("Pool %s: setting %zu propert%s%s for %s.", p->name, n, n == 1 ? "y" : "ies",
                 runtime ? " (runtime)" : "", sd_bus_message_get_sender(msg) ?: "?");
        r = pool_apply_assignments(p, msg, a, n, runtime, error);   /* replies itself */
finish:
        assignments_free(a, n);
        return r;
}

/* busctl set-property: runtime semantics, same code as SetProperties(). */
static int property_set(sd_bus *bus, const char *path, const char *interface, const char *property,
                        sd_bus_message *value, void *userdata, sd_bus_error *error) {
        Pool *p = userdata;
        sd_bus_message *call = sd_bus_get_current_message(bus);
        const Settable *s = settable_find(property);
        Assignment a;
        int r;

        if (!s)
                return sd_bus_error_setf(error, SD_BUS_ERROR_PROPERTY_READ_ONLY, "Property %s is read-only.",
                                         property);
        if (!call)
                return -EPERM;
        r = bus_verify_privileged(call, error);
        if (r < 0)
                return r;
        a = (Assignment) { s, NULL };
        r = read_value(value, property, s, &a.value, error);
        if (r < 0)
                return r;
        r = pool_apply_assignments(p, NULL, &a, 1, true, error);
        free(a.value);
        return r;
}

/* ---- methods -------------------------------------------------------------- */

static int pool_error(Pool *p, int r, const char *what, sd_bus_error *error) {
        switch (r) {
        case -EHOSTDOWN:
                return sd_bus_error_setf(error, BUS_ERROR_POOL_FAILED,
                                         "Pool %s has failed (start limit hit); call ResetFailed() first.",
                                         p->name);
        case -EBUSY:
                return sd_bus_error_setf(error, SD_BUS_ERROR_FAILED, "Pool %s: cannot %s now: %s.", p->name,
                                         what, p->state == POOL_STOPPING ? "it is stopping"
                                                                         : "a rolling restart is in progress");
        case -ENOTCONN:
                return sd_bus_error_setf(error, BUS_ERROR_POOL_INACTIVE, "Pool %s is %s: cannot %s it.", p->name,
                                         pool_state_to_string(p->state), what);
        default:
                return sd_bus_error_set_errnof(error, r, "Pool %s: cannot %s: %m", p->name, what);
        }
}

static int method_reload(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Pool *p = userdata;
        int r;

        r = bus_verify_privileged(msg, error);
        if (r < 0)
                return r;
        if (IN_SET(p->state, POOL_STOPPED, POOL_STOPPING, POOL_FAILED))
                return pool_error(p, -ENOTCONN, "reload", error);
        log_info("Pool %s: reload requested by %s.", p->name, sd_bus_message_get_sender(msg) ?: "?");
        pool_job_begin(p, POOL_JOB_RELOAD, sd_bus_message_get_sender(msg));
        r = pool_reload_workers(p);
        if (r < 0)
                return pool_error(p, r, "reload", error);
        return sd_bus_reply_method_return(msg, NULL);
}

static int method_freeze_thaw(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        bool freeze = streq(sd_bus_message_get_member(msg), "Freeze");
        Pool *p = userdata;
        int r;

        r = bus_verify_privileged(msg, error);
        if (r < 0)
                return r;
        if (freeze && IN_SET(p->state, POOL_STOPPED, POOL_STOPPING))
                return pool_error(p, -ENOTCONN, "freeze", error);
        r = pool_freeze(p, freeze);
        log_info("Pool %s: %d workers %s by %s.", p->name, r, freeze ? "frozen" : "thawed",
                 sd_bus_message_get_sender(msg) ?: "?");
        return sd_bus_reply_method_return(msg, "u", (uint32_t) r);
}

static int method_start(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Pool *p = userdata;
        int r;

        r = bus_verify_privileged(msg, error);
        if (r < 0)
                return r;
        r = pool_start(p);
        if (r < 0)
                return pool_error(p, r, "start", error);
        pool_job_begin(p, POOL_JOB_START, sd_bus_message_get_sender(msg));
        return sd_bus_reply_method_return(msg, NULL);
}

static int method_stop(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Pool *p = userdata;
        int r;

        r = bus_verify_privileged(msg, error);
        if (r < 0)
                return r;
        log_info("Pool %s: stop requested by %s.", p->name, sd_bus_message_get_sender(msg) ?: "?");
        pool_stop(p);
        pool_job_begin(p, POOL_JOB_STOP, sd_bus_message_get_sender(msg));
        return sd_bus_reply_method_return(msg, NULL);
}

static int method_restart(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Pool *p = userdata;
        int r;

        r = bus_verify_privileged(msg, error);
        if (r < 0)
                return r;
        r = pool_restart(p);
        if (r < 0)
                return pool_error(p, r, "restart", error);
        pool_job_begin(p, POOL_JOB_RESTART, sd_bus_message_get_sender(msg));
        return sd_bus_reply_method_return(msg, NULL);
}

static int method_scale(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Pool *p = userdata;
        uint32_t n;
        int r;

        r = bus_verify_privileged(msg, error);
        if (r < 0)
                return r;
        r = sd_bus_message_read(msg, "u", &n);
        if (r < 0)
                return r;
        r = check_workers(p, p->config, n, error);
        if (r < 0)
                return r;
        /* pool_scale() cannot fail once the range is checked; answer first:
         * starting a thousand workers takes a while. */
        r = sd_bus_reply_method_return(msg, NULL);
        if (r < 0)
                return r;
        {
                char by[160];

                snprintf(by, sizeof by, "Scale() by %s", sd_bus_message_get_sender(msg) ?: "?");
                (void) pool_scale(p, n, by);
        }
        pool_job_begin(p, POOL_JOB_SCALE, sd_bus_message_get_sender(msg));
        return 1;
}

static int method_reset_failed(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Pool *p = userdata;
        int r;

        r = bus_verify_privileged(msg, error);
        if (r < 0)
                return r;
        r = pool_reset_failed(p);
        if (r < 0)
                return pool_error(p, r, "reset", error);
        return sd_bus_reply_method_return(msg, NULL);
}

static int method_kill_workers(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Pool *p = userdata;
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
        r = pool_kill_workers(p, sig);
        if (r < 0)
                return pool_error(p, r, "send the signal", error);
        log_info("Pool %s: %s sent to %d workers by %s.", p->name, signal_to_string(sig) ?: s, r,
                 sd_bus_message_get_sender(msg) ?: "?");
        return sd_bus_reply_method_return(msg, "u", (uint32_t) r);
}

#define RO(name, sig, getter, flags) SD_BUS_PROPERTY(name, sig, getter, 0, flags)
#define CHANGES SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE

const sd_bus_vtable bus_pool_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Name", "s", NULL, offsetof(Pool, name), SD_BUS_VTABLE_PROPERTY_CONST),
        RO("Description", "s", property_get_description, CHANGES),
        RO("State", "s", property_get_state, CHANGES),
        /* (sd-bus hands getters and setters userdata + offset: writable ones use offset 0) */
        SD_BUS_WRITABLE_PROPERTY("Workers", "u", property_get_workers, property_set, 0,
                                 CHANGES | SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_PROPERTY("ActiveWorkers", "u", NULL, offsetof(Pool, n_active), CHANGES),
        SD_BUS_PROPERTY("ReadyWorkers", "u", NULL, offsetof(Pool, n_ready), CHANGES),
        SD_BUS_PROPERTY("BusyWorkers", "u", NULL, offsetof(Pool, n_busy), CHANGES),
        SD_BUS_PROPERTY("PendingRestarts", "u", NULL, offsetof(Pool, n_pending), CHANGES),
        SD_BUS_PROPERTY("Restarts", "t", NULL, offsetof(Pool, n_restarts), CHANGES),
        SD_BUS_PROPERTY("Retired", "u", NULL, offsetof(Pool, n_retired), CHANGES),
        SD_BUS_PROPERTY("Recycled", "u", NULL, offsetof(Pool, n_recycled), CHANGES),
        SD_BUS_PROPERTY("ProtocolViolations", "u", NULL, offsetof(Pool, n_protocol_violations), CHANGES),
        SD_BUS_PROPERTY("JobTimeouts", "u", NULL, offsetof(Pool, n_job_timeouts), CHANGES),
        SD_BUS_PROPERTY("Failures", "u", NULL, offsetof(Pool, n_failures), CHANGES),
        RO("StateReason", "s", property_get_state_reason, CHANGES),
        RO("LastHangCapture", "s", property_get_last_hang_capture, SD_BUS_VTABLE_PROPERTY_EMITS_INVALIDATION),
        RO("JobTimeoutUSec", "t", property_get_job_timeout_usec, CHANGES),
        RO("WaitTimeoutUSec", "t", property_get_wait_timeout_usec, CHANGES),
        RO("JobTimeoutAction", "s", property_get_job_timeout_action, CHANGES),
        RO("MaxJobs", "t", property_get_max_jobs, CHANGES),
        RO("RuntimeMaxUSec", "t", property_get_runtime_max_usec, CHANGES),
        RO("FailureAction", "s", property_get_failure_action, CHANGES),
        RO("ReloadSignal", "s", property_get_reload_signal, CHANGES),
        RO("HealthCheck", "s", property_get_health_check, CHANGES),
        RO("Listen", "a(ss)", property_get_listen, CHANGES),
        RO("FileDescriptorName", "s", property_get_fd_name, CHANGES),
        RO("NListening", "u", property_get_n_listening, CHANGES),
        RO("MinWorkers", "u", property_get_min_workers, CHANGES),
        RO("MaxWorkers", "u", property_get_max_workers, CHANGES),
        RO("Type", "s", property_get_type, CHANGES),
        SD_BUS_WRITABLE_PROPERTY("Restart", "s", property_get_restart, property_set, 0, CHANGES | SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_WRITABLE_PROPERTY("RestartUSec", "t", property_get_restart_usec, property_set, 0, CHANGES | SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_WRITABLE_PROPERTY("RestartMaxDelayUSec", "t", property_get_restart_max_delay_usec, property_set,
                                 0, CHANGES | SD_BUS_VTABLE_UNPRIVILEGED),
        RO("ExecStart", "as", property_get_exec_start, CHANGES),
        RO("User", "s", property_get_user, CHANGES),
        RO("FragmentPath", "s", property_get_fragment_path, CHANGES),
        RO("DropInPaths", "as", property_get_dropins, CHANGES),
        /* Whole files: listed as invalidated, not sent, when they change. */
        RO("ConfigSources", "a(ss)", property_get_config_sources, SD_BUS_VTABLE_PROPERTY_EMITS_INVALIDATION),
        RO("ControlGroup", "s", property_get_control_group, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_WRITABLE_PROPERTY("MemoryMax", "t", property_get_memory_max, property_set, 0, CHANGES | SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_WRITABLE_PROPERTY("MemoryHigh", "t", property_get_memory_high, property_set, 0, CHANGES | SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_WRITABLE_PROPERTY("MemorySwapMax", "t", property_get_memory_swap_max, property_set, 0, CHANGES | SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_WRITABLE_PROPERTY("CPUQuotaPerSecUSec", "t", property_get_cpu_quota, property_set, 0, CHANGES | SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_WRITABLE_PROPERTY("CPUWeight", "t", property_get_cpu_weight, property_set, 0, CHANGES | SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_WRITABLE_PROPERTY("TasksMax", "t", property_get_tasks_max, property_set, 0, CHANGES | SD_BUS_VTABLE_UNPRIVILEGED),
        /* Read on demand, change all the time: no PropertiesChanged. */
        RO("MemoryCurrent", "t", property_get_cgroup_counter, 0),
        RO("MemoryPeak", "t", property_get_cgroup_counter, 0),
        RO("TasksCurrent", "t", property_get_cgroup_counter, 0),
        RO("CPUUsageNSec", "t", property_get_cgroup_counter, 0),
        RO("MemoryPressure", "(dddt)", property_get_pressure, 0),
        RO("CPUPressure", "(dddt)", property_get_pressure, 0),
        RO("IOPressure", "(dddt)", property_get_pressure, 0),

        SD_BUS_METHOD_WITH_ARGS("Start", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT, method_start, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Stop", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT, method_stop, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Restart", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT, method_restart, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Scale", SD_BUS_ARGS("u", workers), SD_BUS_NO_RESULT, method_scale, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("SetProperties", SD_BUS_ARGS("b", runtime, "a(sv)", properties),
                                SD_BUS_NO_RESULT, method_set_properties, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ResetFailed", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT, method_reset_failed, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("KillWorkers", SD_BUS_ARGS("s", signal), SD_BUS_RESULT("u", workers),
                                method_kill_workers, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Reload", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT, method_reload, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Freeze", SD_BUS_NO_ARGS, SD_BUS_RESULT("u", workers), method_freeze_thaw,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Thaw", SD_BUS_NO_ARGS, SD_BUS_RESULT("u", workers), method_freeze_thaw,
                                SD_BUS_VTABLE_UNPRIVILEGED),

        SD_BUS_SIGNAL_WITH_ARGS("WorkerStarted", SD_BUS_ARGS("t", id, "u", pid, "t", replaces), 0),
        SD_BUS_SIGNAL_WITH_ARGS("WorkerReady", SD_BUS_ARGS("t", id, "u", pid), 0),
        SD_BUS_SIGNAL_WITH_ARGS("WorkerExited",
                                SD_BUS_ARGS("t", id, "u", pid, "s", reason, "s", evidence, "i", code,
                                            "i", status, "s", action, "t", started_at, "t", exited_at,
                                            "b", core_dumped, "t", memory_peak, "t", cpu_usec, "t", replaces,
                                            "t", jobs), 0),
        SD_BUS_SIGNAL_WITH_ARGS("JobDone",
                                SD_BUS_ARGS("s", requester, "s", job, "s", result, "s", message), 0),
        SD_BUS_SIGNAL_WITH_ARGS("PoolStateChanged", SD_BUS_ARGS("s", state), 0),
        SD_BUS_VTABLE_END
};
