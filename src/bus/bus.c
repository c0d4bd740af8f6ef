/* SPDX-License-Identifier: MIT */
#include <assert.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../shared/parse-util.h"
#include "../shared/log.h"
#include "bus.h"

static Bus *bus_of(Manager *m) {
        return m->bus;
}

char *bus_pool_path(const Pool *p) {
        char *path = NULL;

        if (sd_bus_path_encode(BUS_POOL_PREFIX, p->name, &path) < 0)
                return NULL;
        return path;
}

char *bus_worker_path(const Worker *w) {
        char *path = NULL;

        if (asprintf(&path, BUS_WORKER_PREFIX "/%" PRIu64, w->id) < 0)
                return NULL;
        return path;
}

/* Every method and writable property carries SD_BUS_VTABLE_UNPRIVILEGED:
 * sd-bus's own check (CAP_SYS_ADMIN, answered with a generic AccessDenied)
 * is replaced by this one, called by every handler that changes something. */
int bus_verify_privileged(sd_bus_message *msg, sd_bus_error *error) {
        sd_bus_creds *creds = NULL;
        uid_t uid = (uid_t) -1;
        int r;

        r = sd_bus_query_sender_creds(msg, SD_BUS_CREDS_EUID | SD_BUS_CREDS_UID, &creds);
        if (r >= 0) {
                if (sd_bus_creds_get_euid(creds, &uid) < 0 && sd_bus_creds_get_uid(creds, &uid) < 0)
                        uid = (uid_t) -1;
                sd_bus_creds_unref(creds);
        }
        if (uid == 0)
                return 0;
        if (r < 0)
                log_debug_errno(r, "Cannot get the credentials of %s: %m", sd_bus_message_get_sender(msg) ?: "?");
        return sd_bus_error_setf(error, BUS_ERROR_NOT_PERMITTED,
                                 "Only root may call %s.%s() or change properties.",
                                 sd_bus_message_get_interface(msg) ?: "?",
                                 sd_bus_message_get_member(msg) ?: "?");
}

static const struct {
        const char *property;
        const char *file;
        const char *key;                /* NULL: the file is one number */
        uint64_t scale;                 /* published value = read value * scale */
} bus_cgroup_counters[_BUS_CGROUP_COUNTER_MAX] = {
        [BUS_CGROUP_MEMORY_CURRENT] = { "MemoryCurrent", "memory.current", NULL,         1 },
        [BUS_CGROUP_MEMORY_PEAK]    = { "MemoryPeak",    "memory.peak",    NULL,         1 },
        [BUS_CGROUP_TASKS_CURRENT]  = { "TasksCurrent",  "pids.current",   NULL,         1 },
        [BUS_CGROUP_CPU_USAGE_NSEC] = { "CPUUsageNSec",  "cpu.stat",       "usage_usec", NSEC_PER_USEC },
};

BusCgroupCounter bus_cgroup_counter_from_property(const char *property) {
        for (BusCgroupCounter c = 0; c < _BUS_CGROUP_COUNTER_MAX; c++)
                if (streq(property, bus_cgroup_counters[c].property))
                        return c;
        return _BUS_CGROUP_COUNTER_INVALID;
}

uint64_t bus_cgroup_counter_read(int cgroup_fd, BusCgroupCounter c) {
        const char *file = bus_cgroup_counters[c].file, *key = bus_cgroup_counters[c].key;
        uint64_t v, scale = bus_cgroup_counters[c].scale;
        int r;

        if (cgroup_fd < 0)
                return UINT64_MAX;
        r = key ? cgroup_read_key(cgroup_fd, file, key, &v) : cgroup_read_u64(cgroup_fd, file, &v);
        if (r < 0 || v == UINT64_MAX || v > UINT64_MAX / scale)
                return UINT64_MAX;
        return v * scale;
}

int bus_append_cgroup_counter(sd_bus_message *reply, int cgroup_fd, BusCgroupCounter c) {
        assert(c >= 0 && c < _BUS_CGROUP_COUNTER_MAX);
        return sd_bus_message_append(reply, "t", bus_cgroup_counter_read(cgroup_fd, c));
}

int bus_append_pressure(sd_bus_message *reply, int cgroup_fd, const char *file) {
        Pressure pr = {};

        if (cgroup_read_pressure(cgroup_fd, file, &pr) < 0)
                pr.have_some = false;
        if (!pr.have_some)
                return sd_bus_message_append(reply, "(dddt)", -1.0, -1.0, -1.0, UINT64_MAX);
        return sd_bus_message_append(reply, "(dddt)", pr.some_avg10, pr.some_avg60, pr.some_avg300,
                                     pr.some_total);
}

/* ---- coalesced PropertiesChanged ----------------------------------------- */

static int on_flush(sd_event_source *s, void *userdata) {
        Bus *b = userdata;
        size_t bucket = 0;
        const IdMapEntry *cursor = NULL;
        uint64_t key;
        void *v;

        if (!b->bus) {         /* disconnected: clients re-read once we are back */
                idmap_done(&b->dirty_pools);
                idmap_done(&b->dirty_workers);
                b->manager_dirty = false;
                return 0;
        }
        /* Collect first: emitting never changes the maps, but keep it simple. */
        while ((v = idmap_next(&b->dirty_pools, &bucket, &cursor, &key))) {
                _cleanup_(freep) char *path = bus_pool_path(v);

                if (path)
                        (void) sd_bus_emit_properties_changed_strv(b->bus, path, BUS_POOL_INTERFACE, NULL);
        }
        bucket = 0, cursor = NULL;
        while ((v = idmap_next(&b->dirty_workers, &bucket, &cursor, &key))) {
                _cleanup_(freep) char *path = bus_worker_path(v);

                if (path)
                        (void) sd_bus_emit_properties_changed_strv(b->bus, path, BUS_WORKER_INTERFACE, NULL);
        }
        idmap_done(&b->dirty_pools);
        idmap_done(&b->dirty_workers);
        if (b->manager_dirty)
                (void) sd_bus_emit_properties_changed(b->bus, BUS_PATH, BUS_MANAGER_INTERFACE, "NPools",
                                                      "NWorkers", NULL);
        b->manager_dirty = false;
        return 0;
}

static void bus_schedule_flush(Bus *b) {
        int r;

        if (!b->flush_source) {
                r = sd_event_add_defer(b->manager->event, &b->flush_source, on_flush, b);
                if (r < 0) {
                        log_warning_errno(r, "Cannot schedule PropertiesChanged: %m");
                        return;
                }
                (void) sd_event_source_set_description(b->flush_source, "bus-properties-changed");
                /* after exits and calls, among the starts (never starved by them) */
                (void) sd_event_source_set_priority(b->flush_source, POOL_EVENT_PRIORITY_START);
        }
        (void) sd_event_source_set_enabled(b->flush_source, SD_EVENT_ONESHOT);
}

void bus_pool_changed(Bus *b, Pool *p) {

        if (!b)
                return;
        (void) idmap_put(&b->dirty_pools, (uint64_t) (uintptr_t) p, p);
        bus_schedule_flush(b);
}

static void bus_worker_changed(Bus *b, Worker *w) {
        (void) idmap_put(&b->dirty_workers, w->id, w);
        bus_schedule_flush(b);
}

/* ---- lifecycle hooks ------------------------------------------------------ */

static void emit_pool_signal(Bus *b, Pool *p, const char *member, const char *types, ...) {
        _cleanup_(freep) char *path = bus_pool_path(p);
        sd_bus_message *msg = NULL;
        va_list ap;
        int r;

        if (!path || !b->bus)
                return;
        r = sd_bus_message_new_signal(b->bus, &msg, path, BUS_POOL_INTERFACE, member);
        if (r >= 0) {
                va_start(ap, types);
                r = sd_bus_message_appendv(msg, types, ap);
                va_end(ap);
        }
        if (r >= 0)
                r = sd_bus_send(b->bus, msg, NULL);
        if (r < 0)
                log_debug_errno(r, "Cannot emit %s for pool %s: %m", member, p->name);
        sd_bus_message_unref(msg);
}

static void hook_worker_started(void *userdata, Worker *w) {
        Bus *b = userdata;
        _cleanup_(freep) char *path = bus_worker_path(w);

        emit_pool_signal(b, w->pool, "WorkerStarted", "tut", w->id, (uint32_t) w->pid, w->replaces);
        if (path && b->bus)
                (void) sd_bus_emit_interfaces_added(b->bus, path, BUS_WORKER_INTERFACE, NULL);
        b->manager_dirty = true;
        bus_pool_changed(userdata, w->pool);
}

static void hook_worker_ready(void *userdata, Worker *w) {
        Bus *b = userdata;

        emit_pool_signal(b, w->pool, "WorkerReady", "tu", w->id, (uint32_t) w->pid);
        bus_worker_changed(b, w);
}

static void hook_worker_state_changed(void *userdata, Worker *w) {
        bus_worker_changed(userdata, w);
        bus_pool_changed(userdata, w->pool);
}

static void hook_worker_exited(void *userdata, Worker *w, const ExitRecord *r) {
        emit_pool_signal(userdata, w->pool, "WorkerExited", "tussiisttbtttt", w->id, (uint32_t) r->pid,
                         exit_reason_to_string(r->reason), r->evidence, r->code, r->status,
                         exit_action_to_string(r->action), (uint64_t) r->started_at, (uint64_t) r->exited_at,
                         (int) r->core_dumped, r->memory_peak, r->cpu_usec, r->replaces, r->jobs);
}

int bus_append_event(sd_bus_message *m, const Pool *p, const PoolEvent *e) {
        int r;

        r = sd_bus_message_append(m, "ttsstus", e->seq, (uint64_t) e->at, pool_event_type_to_string(e->type),
                                  p->name, e->worker, (uint32_t) e->pid, e->message);
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'a', "{ss}");
        for (const char *f = e->fields; r >= 0 && *f; f += strlen(f) + 1) {
                const char *eq = strchr(f, '=');
                _cleanup_(freep) char *k = eq ? strndup(f, (size_t) (eq - f)) : NULL;

                if (!k)
                        continue;
                r = sd_bus_message_append(m, "{ss}", k, eq + 1);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        return r;
}

/* Every lifecycle event as Manager.LifecycleEvent: a --follow client gets
 * what ListLifecycleEvents would show, nothing is queued here for it (the
 * bus daemon queues per client and drops a client that does not read). */
static void hook_event_recorded(void *userdata, Pool *p, const PoolEvent *e) {
        Bus *b = userdata;
        sd_bus_message *msg = NULL;
        int r;

        if (!b->bus)
                return;
        r = sd_bus_message_new_signal(b->bus, &msg, BUS_PATH, BUS_MANAGER_INTERFACE, "LifecycleEvent");
        if (r >= 0)
                r = bus_append_event(msg, p, e);
        if (r >= 0)
                r = sd_bus_send(b->bus, msg, NULL);
        if (r < 0)
                log_debug_errno(r, "Cannot emit LifecycleEvent for pool %s: %m", p->name);
        sd_bus_message_unref(msg);
}

static void hook_job_done(void *userdata, Pool *p, const char *job, const char *requester, const char *result,
                          const char *message) {
        emit_pool_signal(userdata, p, "JobDone", "ssss", requester, job, result, message);
}

static void hook_worker_freed(void *userdata, Worker *w) {
        Bus *b = userdata;
        _cleanup_(freep) char *path = bus_worker_path(w);

        if (idmap_get(&b->dirty_workers, w->id) == w)
                (void) idmap_remove(&b->dirty_workers, w->id);
        if (path && b->bus)
                (void) sd_bus_emit_interfaces_removed(b->bus, path, BUS_WORKER_INTERFACE, NULL);
        b->manager_dirty = true;
        bus_schedule_flush(b);
}

static void hook_pool_state_changed(void *userdata, Pool *p) {
        emit_pool_signal(userdata, p, "PoolStateChanged", "s", pool_state_to_string(p->state));
        bus_pool_changed(userdata, p);
}

static void hook_pool_changed(void *userdata, Pool *p) {
        bus_pool_changed(userdata, p);
}

static void hook_pool_added(void *userdata, Pool *p) {
        Bus *b = userdata;
        _cleanup_(freep) char *path = bus_pool_path(p);

        if (path && b->bus)
                (void) sd_bus_emit_interfaces_added(b->bus, path, BUS_POOL_INTERFACE, NULL);
        b->manager_dirty = true;
        bus_schedule_flush(b);
}

static void hook_pool_freed(void *userdata, Pool *p) {
        Bus *b = userdata;
        _cleanup_(freep) char *path = bus_pool_path(p);

        (void) idmap_remove(&b->dirty_pools, (uint64_t) (uintptr_t) p);
        if (path && b->bus)
                (void) sd_bus_emit_interfaces_removed(b->bus, path, BUS_POOL_INTERFACE, NULL);
        b->manager_dirty = true;
        bus_schedule_flush(b);
}

static const PoolHooks bus_hooks = {
        .worker_started = hook_worker_started,
        .worker_ready = hook_worker_ready,
        .worker_state_changed = hook_worker_state_changed,
        .worker_exited = hook_worker_exited,
        .worker_freed = hook_worker_freed,
        .pool_state_changed = hook_pool_state_changed,
        .pool_changed = hook_pool_changed,
        .pool_added = hook_pool_added,
        .pool_freed = hook_pool_freed,
        .job_done = hook_job_done,
        .event_recorded = hook_event_recorded,
};

/* ---- setup ---------------------------------------------------------------- */

#define BUS_RECONNECT_DELAY_MIN (100 * USEC_PER_MSEC)
#define BUS_RECONNECT_DELAY_MAX (10 * USEC_PER_SEC)

static int bus_address_of(const Bus *b, char **ret) {
        const char *e;

        switch (b->transport) {
        case FRONTEND_TRANSPORT_SYSTEM:
                e = getenv("DBUS_SYSTEM_BUS_ADDRESS");
                *ret = strdup(e ?: "unix:path=/run/dbus/system_bus_socket");
                break;
        case FRONTEND_TRANSPORT_USER:
                e = getenv("DBUS_SESSION_BUS_ADDRESS");
                if (e)
                        *ret = strdup(e);
                else if ((e = getenv("XDG_RUNTIME_DIR"))) {
                        if (asprintf(ret, "unix:path=%s/bus", e) < 0)
                                *ret = NULL;
                } else
                        return -ENOMEDIUM;
                break;
        case FRONTEND_TRANSPORT_ADDRESS:
                *ret = strdup(b->address);
                break;
        default:
                return -EINVAL;
        }
        return *ret ? 0 : -ENOMEM;
}

static const char *bus_transport_name(const Bus *b) {
        return b->transport == FRONTEND_TRANSPORT_SYSTEM ? "system" :
               b->transport == FRONTEND_TRANSPORT_USER ? "session" : "given";
}

static int on_disconnected(sd_bus_message *msg, void *userdata, sd_bus_error *error);

/* One connection: connect (no unix fds), publish, take the name. Logs at
 * `level` (a retry logs at debug). */
static int bus_connect(Bus *b, int level) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(freep) char *address = NULL;
        Manager *m = b->manager;
        int r;

        r = bus_address_of(b, &address);
        if (r < 0)
                return log_full_errno(level, r, "Cannot find the address of the %s bus: %m", bus_transport_name(b));
        r = sd_bus_new(&bus);
        if (r < 0)
                return log_full_errno(level, -ENOMEM, "Out of memory.");
        r = sd_bus_set_address(bus, address);
        if (r >= 0)
                r = sd_bus_set_bus_client(bus, true);
        /* We take no fds: a message carrying them is refused by the bus
         * before it reaches us, so no caller can fill our fd table. */
        if (r >= 0)
                r = sd_bus_negotiate_fds(bus, false);
        if (r >= 0)
                r = sd_bus_set_description(bus, "workerpoold");
        if (r >= 0)
                r = sd_bus_start(bus);
        if (r < 0)
                return log_full_errno(level, r, "Cannot connect to the %s bus%s%s: %m", bus_transport_name(b),
                                       b->address ? " at " : "", b->address ?: "");

        r = sd_bus_add_object_vtable(bus, NULL, BUS_PATH, BUS_MANAGER_INTERFACE, bus_manager_vtable, m);
        if (r < 0)
                return log_full_errno(level, r, "Cannot publish %s: %m", BUS_PATH);
        r = sd_bus_add_fallback_vtable(bus, NULL, BUS_POOL_PREFIX, BUS_POOL_INTERFACE, bus_pool_vtable,
                                       bus_pool_find, m);
        if (r >= 0)
                r = sd_bus_add_node_enumerator(bus, NULL, BUS_POOL_PREFIX, bus_pool_enumerate, m);
        if (r < 0)
                return log_full_errno(level, r, "Cannot publish the pool objects: %m");
        r = sd_bus_add_fallback_vtable(bus, NULL, BUS_WORKER_PREFIX, BUS_WORKER_INTERFACE,
                                       bus_worker_vtable, bus_worker_find, m);
        if (r >= 0)
                r = sd_bus_add_node_enumerator(bus, NULL, BUS_WORKER_PREFIX, bus_worker_enumerate, m);
        if (r < 0)
                return log_full_errno(level, r, "Cannot publish the worker objects: %m");
        r = sd_bus_add_object_manager(bus, NULL, BUS_PATH);
        if (r < 0)
                return log_full_errno(level, r, "Cannot add the object manager: %m");

        r = sd_bus_match_signal_async(bus, NULL, "org.freedesktop.DBus.Local", NULL,
                                      "org.freedesktop.DBus.Local", "Disconnected", on_disconnected,
                                      NULL, b);
        if (r < 0)
                return log_full_errno(level, r, "Cannot watch for disconnection: %m");

        r = sd_bus_attach_event(bus, m->event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                return log_full_errno(level, r, "Cannot attach the bus to the event loop: %m");

        /* Synchronously: the name must be ours before READY=1. */
        r = sd_bus_request_name(bus, BUS_NAME, 0);
        if (r == -EEXIST)
                return log_full_errno(level, r, "Cannot acquire the bus name %s: another process owns it "
                                          "(another workerpoold on this bus?).", BUS_NAME);
        if (r == -EACCES || r == -EPERM)
                return log_full_errno(level, r, "Cannot acquire the bus name %s: the bus policy does not let us "
                                          "own it (is org.workerpoold1.conf installed in the bus's "
                                          "system.d/ directory, e.g. /usr/share/dbus-1/system.d/?).",
                                       BUS_NAME);
        if (r < 0)
                return log_full_errno(level, r, "Cannot acquire the bus name %s: %m", BUS_NAME);
        b->bus = TAKE_PTR(bus);
        return 0;
}

static void bus_disconnect(Bus *b) {
        if (!b->bus)
                return;
        (void) sd_bus_flush(b->bus);
        (void) sd_bus_detach_event(b->bus);
        b->bus = sd_bus_flush_close_unref(b->bus);
}

static int on_reconnect(sd_event_source *s, uint64_t usec, void *userdata);

static void bus_schedule_reconnect(Bus *b) {
        int r;

        if (!b->reconnect_source) {
                r = sd_event_add_time_relative(b->manager->event, &b->reconnect_source, CLOCK_MONOTONIC,
                                               b->reconnect_delay, 1, on_reconnect, b);
                if (r < 0) {
                        log_error_errno(r, "Cannot schedule a reconnection to the bus: %m");
                        return;
                }
                (void) sd_event_source_set_description(b->reconnect_source, "bus-reconnect");
                return;
        }
        (void) sd_event_source_set_time_relative(b->reconnect_source, b->reconnect_delay);
        (void) sd_event_source_set_enabled(b->reconnect_source, SD_EVENT_ONESHOT);
}

static int on_reconnect(sd_event_source *s, uint64_t usec, void *userdata) {
        Bus *b = userdata;
        char tb[64];
        int r;

        bus_disconnect(b);
        r = bus_connect(b, LOG_DEBUG);          /* one warning per outage, not per attempt */
        if (r < 0) {
                b->reconnect_delay = MIN(b->reconnect_delay * 2, BUS_RECONNECT_DELAY_MAX);
                log_debug_errno(r, "Reconnecting to the bus failed (%m), next attempt in %s.",
                                format_timespan(tb, sizeof tb, b->reconnect_delay));
                bus_schedule_reconnect(b);
                return 0;
        }
        b->reconnect_delay = BUS_RECONNECT_DELAY_MIN;
        log_info("Reconnected to the bus, acquired the name %s.", BUS_NAME);
        /* Everything may have changed meanwhile: clients re-read. */
        b->manager_dirty = true;
        bus_schedule_flush(b);
        return 0;
}

static int on_disconnected(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Bus *b = userdata;

        /* The pools run on without the bus: nobody can steer them until it
         * is back, but nothing is lost. The old connection is closed from the
         * timer, not from inside its own callback. */
        log_warning("Lost the connection to the bus, reconnecting (the pools keep running).");
        b->reconnect_delay = BUS_RECONNECT_DELAY_MIN;
        bus_schedule_reconnect(b);
        return 0;
}

int bus_setup(Manager *m, FrontendTransport transport, const char *address) {
        Bus *b;
        int r;

        if (transport == FRONTEND_TRANSPORT_NONE)
                return 0;

        b = calloc(1, sizeof(*b));
        if (!b)
                return log_oom();
        b->manager = m;
        b->transport = transport;
        b->reconnect_delay = BUS_RECONNECT_DELAY_MIN;
        m->bus = b;
        if (address) {
                b->address = strdup(address);
                if (!b->address)
                        return log_oom();
        }
        r = sd_bus_error_add_map(bus_workerpoold_errors);
        if (r < 0)
                return log_error_errno(r, "Cannot register the bus errors: %m");

        r = bus_connect(b, LOG_ERR);
        if (r < 0)
                return r;
        manager_set_hooks(m, &bus_hooks, b);
        log_info("Acquired the bus name %s.", BUS_NAME);
        return 0;
}

void bus_done(Manager *m) {
        Bus *b;

        if (!m)
                return;
        b = bus_of(m);
        manager_set_hooks(m, NULL, NULL);
        if (!b)
                return;
        sd_event_source_disable_unref(b->flush_source);
        sd_event_source_disable_unref(b->reconnect_source);
        bus_disconnect(b);
        idmap_done(&b->dirty_pools);
        idmap_done(&b->dirty_workers);
        free(b->address);
        free(b);
        m->bus = NULL;
}

const Frontend bus_frontend = {
        .setup = bus_setup,
        .done = bus_done,
};
