/* SPDX-License-Identifier: MIT */
#include <inttypes.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "config-build.h"
#include "bus.h"
#include "../shared/strv.h"

static int property_get_n_pools(sd_bus *bus, const char *path, const char *interface, const char *property,
                                sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;

        return sd_bus_message_append(reply, "u", (uint32_t) m->n_pools);
}

static int property_get_n_workers(sd_bus *bus, const char *path, const char *interface, const char *property,
                                  sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;

        return sd_bus_message_append(reply, "u", (uint32_t) idmap_size(&m->host.workers));
}

static int property_get_version(sd_bus *bus, const char *path, const char *interface, const char *property,
                                sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        return sd_bus_message_append(reply, "s", PACKAGE_VERSION);
}

static int property_get_control_group(sd_bus *bus, const char *path, const char *interface,
                                      const char *property, sd_bus_message *reply, void *userdata,
                                      sd_bus_error *error) {
        Manager *m = userdata;

        return sd_bus_message_append(reply, "s", m->cgroup_root ?: "");
}

static int property_get_controllers(sd_bus *bus, const char *path, const char *interface,
                                    const char *property, sd_bus_message *reply, void *userdata,
                                    sd_bus_error *error) {
        Manager *m = userdata;
        int r;

        r = sd_bus_message_open_container(reply, 'a', "s");
        if (r < 0)
                return r;
        for (CgroupController c = 0; c < _CGROUP_CONTROLLER_MAX; c++)
                if (m->host.controllers & CGROUP_MASK(c)) {
                        r = sd_bus_message_append(reply, "s", cgroup_controller_to_string(c));
                        if (r < 0)
                                return r;
                }
        return sd_bus_message_close_container(reply);
}

static Pool *find_pool_or_error(Manager *m, const char *name, sd_bus_error *error) {
        Pool *p = isempty(name) ? NULL : manager_find_pool(m, name);

        if (!p)
                sd_bus_error_setf(error, BUS_ERROR_NO_SUCH_POOL, "No pool named '%s'.", name ?: "");
        return p;
}

static int method_list_pools(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        sd_bus_message *reply = NULL;
        int r;

        r = sd_bus_message_new_method_return(msg, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(reply, 'a', "(sossuuuut)");
        for (Pool *p = m->pools; r >= 0 && p; p = p->next) {
                _cleanup_(freep) char *path = bus_pool_path(p);

                if (!path) {
                        r = -ENOMEM;
                        break;
                }
                r = sd_bus_message_append(reply, "(sossuuuut)", p->name, path, pool_state_to_string(p->state),
                                          p->config->description ?: "", p->n_wanted, p->n_active, p->n_ready,
                                          p->n_busy, p->n_restarts);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r >= 0)
                r = sd_bus_send(NULL, reply, NULL);
        sd_bus_message_unref(reply);
        return r;
}

static int append_worker(sd_bus_message *reply, Worker *w) {
        char path[sizeof(BUS_WORKER_PREFIX) + 24];

        snprintf(path, sizeof path, BUS_WORKER_PREFIX "/%" PRIu64, w->id);
        return sd_bus_message_append(reply, "(tsusot)", w->id, w->pool->name, (uint32_t) w->pid,
                                     worker_state_to_string(w->state), path, (uint64_t) w->started_at);
}

static int method_list_workers(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        sd_bus_message *reply = NULL;
        const char *pool_filter, *state_filter;
        WorkerState state = _WORKER_STATE_INVALID;
        Pool *only = NULL;
        int r;

        r = sd_bus_message_read(msg, "ss", &pool_filter, &state_filter);
        if (r < 0)
                return r;
        if (!isempty(pool_filter)) {
                only = find_pool_or_error(m, pool_filter, error);
                if (!only)
                        return -ENOENT;
        }
        if (!isempty(state_filter)) {
                state = worker_state_from_string(state_filter);
                if (state < 0)
                        return sd_bus_error_setf(error, BUS_ERROR_INVALID_VALUE,
                                                 "Invalid worker state '%s': expected starting, idle, busy, "
                                                 "hung, stopping or exited.", state_filter);
        }

        r = sd_bus_message_new_method_return(msg, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(reply, 'a', "(tsusot)");
        for (Pool *p = only ?: m->pools; r >= 0 && p; p = only ? NULL : p->next)
                for (Worker *w = p->workers; r >= 0 && w; w = w->next)
                        if (state < 0 || w->state == state)
                                r = append_worker(reply, w);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r >= 0)
                r = sd_bus_send(NULL, reply, NULL);
        sd_bus_message_unref(reply);
        return r;
}

static int method_get_pool(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(freep) char *path = NULL;
        const char *name;
        Pool *p;
        int r;

        r = sd_bus_message_read(msg, "s", &name);
        if (r < 0)
                return r;
        p = find_pool_or_error(userdata, name, error);
        if (!p)
                return -ENOENT;
        path = bus_pool_path(p);
        if (!path)
                return -ENOMEM;
        return sd_bus_reply_method_return(msg, "o", path);
}

static int method_get_worker(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(freep) char *path = NULL;
        Manager *m = userdata;
        uint64_t id;
        Worker *w;
        int r;

        r = sd_bus_message_read(msg, "t", &id);
        if (r < 0)
                return r;
        w = idmap_get(&m->host.workers, id);
        if (!w)
                return sd_bus_error_setf(error, BUS_ERROR_NO_SUCH_WORKER, "No worker with id %" PRIu64 ".", id);
        path = bus_worker_path(w);
        if (!path)
                return -ENOMEM;
        return sd_bus_reply_method_return(msg, "o", path);
}

typedef struct EventRef {
        const Pool *pool;
        const ExitRecord *rec;
} EventRef;

static int event_cmp(const void *a, const void *b) {
        const EventRef *x = a, *y = b;

        if (x->rec->exited_at != y->rec->exited_at)
                return x->rec->exited_at < y->rec->exited_at ? -1 : 1;
        return x->rec->worker_id < y->rec->worker_id ? -1 : x->rec->worker_id > y->rec->worker_id;
}

static int method_list_events(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        _cleanup_(freep) EventRef *refs = NULL;
        sd_bus_message *reply = NULL;
        const char *pool_filter, *reason_filter;
        ExitReason reason = _EXIT_REASON_INVALID;
        size_t n = 0, total = 0, first;
        Pool *only = NULL;
        uint32_t max;
        int r;

        r = sd_bus_message_read(msg, "ssu", &pool_filter, &reason_filter, &max);
        if (r < 0)
                return r;
        if (!isempty(pool_filter)) {
                only = find_pool_or_error(m, pool_filter, error);
                if (!only)
                        return -ENOENT;
        }
        if (!isempty(reason_filter)) {
                reason = exit_reason_from_string(reason_filter);
                if (reason < 0)
                        return sd_bus_error_setf(error, BUS_ERROR_INVALID_VALUE,
                                                 "Invalid exit reason '%s' (see org.workerpoold1(5)).",
                                                 reason_filter);
        }

        for (Pool *p = only ?: m->pools; p; p = only ? NULL : p->next)
                total += p->history_n;
        refs = calloc(MAX(total, (size_t) 1), sizeof(EventRef));
        if (!refs)
                return -ENOMEM;
        for (Pool *p = only ?: m->pools; p; p = only ? NULL : p->next)
                for (unsigned k = 0; k < p->history_n; k++) {
                        const ExitRecord *rec = pool_history_get(p, k);

                        if (rec && (reason < 0 || rec->reason == reason))
                                refs[n++] = (EventRef) { p, rec };
                }
        qsort(refs, n, sizeof(EventRef), event_cmp);
        first = max > 0 && n > max ? n - max : 0;   /* the newest `max` */

        r = sd_bus_message_new_method_return(msg, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(reply, 'a', "(tsuttssbiisttttts)");
        for (size_t i = first; r >= 0 && i < n; i++) {
                const ExitRecord *e = refs[i].rec;

                r = sd_bus_message_append(reply, "(tsuttssbiisttttts)", e->worker_id, refs[i].pool->name,
                                          (uint32_t) e->pid, (uint64_t) e->started_at, (uint64_t) e->exited_at,
                                          exit_reason_to_string(e->reason), e->evidence, (int) e->core_dumped,
                                          (int32_t) e->code, (int32_t) e->status,
                                          exit_action_to_string(e->action), e->memory_peak, e->cpu_usec,
                                          e->replaces, e->successor, e->jobs, e->capture ?: "");
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r >= 0)
                r = sd_bus_send(NULL, reply, NULL);
        sd_bus_message_unref(reply);
        return r;
}

/* ListLifecycleEvents(pool, type, since, max): the kept events of every
 * pool (or one), of every type (or those listed, comma-separated), at or
 * after since (realtime usec, 0: all), in the order they happened; with
 * max > 0 the newest max. */
/* As ListEvents' EventRef: merged from the pools' rings by a sort. */
typedef struct LifecycleRef {
        const PoolEvent *e;
        const Pool *p;
} LifecycleRef;

static int lifecycle_ref_compare(const void *a, const void *b) {
        uint64_t x = ((const LifecycleRef *) a)->e->seq, y = ((const LifecycleRef *) b)->e->seq;

        return x < y ? -1 : x > y;
}

/* The types listed (comma-separated, "" for all) into want[]; -EINVAL with
 * error set for a name that is not a type. */
static int parse_event_types(const char *types, bool want[static _POOL_EVENT_TYPE_MAX], sd_bus_error *error) {
        for (PoolEventType t = 0; t < _POOL_EVENT_TYPE_MAX; t++)
                want[t] = isempty(types);
        for (const char *s = types; !isempty(s);) {
                size_t k = strcspn(s, ",");
                char name[32];
                PoolEventType t;

                snprintf(name, sizeof name, "%.*s", (int) MIN(k, sizeof name - 1), s);
                t = pool_event_type_from_string(name);
                if (t < 0)
                        return sd_bus_error_setf(error, BUS_ERROR_INVALID_VALUE,
                                                 "Invalid event type '%s': expected started, ready, stopping, "
                                                 "exited, state, scale, reload, reexec, health or command.", name);
                want[t] = true;
                s += k + (s[k] == ',');
        }
        return 0;
}

/* ListLifecycleEvents(pool, type, since, max): the kept events of every
 * pool (or one), of every type (or those listed, comma-separated), at or
 * after since (realtime usec, 0: all), in the order they happened; with
 * max > 0 the newest max. */
static int method_list_lifecycle_events(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        sd_bus_message *reply = NULL;
        _cleanup_(freep) LifecycleRef *all = NULL;
        const char *pool_filter, *types;
        bool want[_POOL_EVENT_TYPE_MAX];
        size_t n = 0, total = 0, first;
        uint64_t since;
        uint32_t max;
        Pool *only = NULL;
        int r;

        r = sd_bus_message_read(msg, "sstu", &pool_filter, &types, &since, &max);
        if (r < 0)
                return r;
        if (!isempty(pool_filter)) {
                only = find_pool_or_error(m, pool_filter, error);
                if (!only)
                        return -ENOENT;
        }
        r = parse_event_types(types, want, error);
        if (r < 0)
                return r;
        /* every pool's ring, merged by sequence number */
        for (Pool *p = only ?: m->pools; p; p = only ? NULL : p->next)
                total += p->events_n;
        all = calloc(MAX(total, (size_t) 1), sizeof *all);
        if (!all)
                return -ENOMEM;
        for (Pool *p = only ?: m->pools; p; p = only ? NULL : p->next)
                for (unsigned k = 0; k < p->events_n; k++) {
                        const PoolEvent *e = pool_event_get(p, k);

                        if (e && want[e->type] && e->at >= since)
                                all[n++] = (LifecycleRef) { e, p };
                }
        qsort(all, n, sizeof *all, lifecycle_ref_compare);
        first = max > 0 && n > max ? n - max : 0;
        r = sd_bus_message_new_method_return(msg, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "(ttsstusa{ss})");
        for (size_t i = first; r >= 0 && i < n; i++) {
                r = sd_bus_message_open_container(reply, 'r', "ttsstusa{ss}");
                if (r >= 0)
                        r = bus_append_event(reply, all[i].p, all[i].e);
                if (r >= 0)
                        r = sd_bus_message_close_container(reply);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r >= 0)
                r = sd_bus_send(NULL, reply, NULL);
        sd_bus_message_unref(reply);
        return r;
}

static int method_reload(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(strv_freep) char **errors = NULL;
        Manager *m = userdata;
        int r;

        r = bus_verify_privileged(msg, error);
        if (r < 0)
                return r;
        r = manager_reload(m, &errors);
        if (r < 0)
                return sd_bus_error_set_errnof(error, r, "Reload failed: %m");
        if (errors) {
                _cleanup_(freep) char *text = strv_join(errors, "\n");

                /* The other pools were reloaded; these kept their old config. */
                return sd_bus_error_setf(error, BUS_ERROR_INVALID_CONFIG,
                                         "Pools with errors keep their running configuration:\n%s",
                                         text ?: "(out of memory)");
        }
        return sd_bus_reply_method_return(msg, NULL);
}

static int method_reexecute(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        int r;

        r = bus_verify_privileged(msg, error);
        if (r < 0)
                return r;
        if (m->exiting)
                return sd_bus_error_setf(error, SD_BUS_ERROR_FAILED,
                                         "Stopping every pool on the way out: not re-executing now.");
        /* Answer first: the exec closes this connection. */
        r = sd_bus_reply_method_return(msg, NULL);
        if (r < 0)
                return r;
        (void) sd_bus_flush(sd_bus_message_get_bus(msg));
        manager_request_reexec(m);
        return 1;
}

const sd_bus_vtable bus_manager_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Version", "s", property_get_version, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("ControlGroup", "s", property_get_control_group, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Controllers", "as", property_get_controllers, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("NPools", "u", property_get_n_pools, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("NWorkers", "u", property_get_n_workers, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("NotifyRejected", "t", NULL, offsetof(Manager, n_notify_rejected), 0),

        SD_BUS_METHOD_WITH_ARGS("ListPools", SD_BUS_NO_ARGS,
                                SD_BUS_RESULT("a(sossuuuut)", pools),
                                method_list_pools, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ListWorkers", SD_BUS_ARGS("s", pool, "s", state),
                                SD_BUS_RESULT("a(tsusot)", workers),
                                method_list_workers, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetPool", SD_BUS_ARGS("s", name), SD_BUS_RESULT("o", pool),
                                method_get_pool, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetWorker", SD_BUS_ARGS("t", id), SD_BUS_RESULT("o", worker),
                                method_get_worker, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ListEvents", SD_BUS_ARGS("s", pool, "s", reason, "u", max),
                                SD_BUS_RESULT("a(tsuttssbiisttttts)", events),
                                method_list_events, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ListLifecycleEvents", SD_BUS_ARGS("s", pool, "s", types, "t", since, "u", max),
                                SD_BUS_RESULT("a(ttsstusa{ss})", events),
                                method_list_lifecycle_events, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_SIGNAL_WITH_ARGS("LifecycleEvent",
                                SD_BUS_ARGS("t", seq, "t", time, "s", type, "s", pool, "t", worker, "u", pid,
                                            "s", message, "a{ss}", fields), 0),
        SD_BUS_METHOD_WITH_ARGS("GetMetrics", SD_BUS_NO_ARGS, SD_BUS_RESULT("a(sssa(a(ss)d))", families),
                                bus_method_get_metrics, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Reload", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT, method_reload, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Reexecute", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT, method_reexecute,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END
};
