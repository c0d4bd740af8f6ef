/* SPDX-License-Identifier: MIT */
#pragma once

/* The daemon's D-Bus layer: org.workerpoold1 on the system bus (or the
 * session bus, or any address). Vtables in bus-manager.c, bus-pool.c and
 * bus-worker.c; the connection, the name, the lifecycle hooks (signals,
 * PropertiesChanged, InterfacesAdded/Removed) here. See org.workerpoold1(5). */

#include <systemd/sd-bus.h>

#include "../daemon/frontend.h"
#include "../daemon/manager.h"
#include "../shared/idmap.h"
#include "bus-util.h"

typedef struct Bus {
        Manager *manager;               /* not owned */
        FrontendTransport transport;
        char *address;                  /* owned: for BUS_TRANSPORT_ADDRESS */
        sd_bus *bus;                    /* owned; NULL while disconnected */
        sd_event_source *reconnect_source; /* owned: next attempt while disconnected */
        usec_t reconnect_delay;         /* backoff of the next attempt */
        IdMap dirty_pools;              /* (uintptr_t) Pool* -> Pool*: PropertiesChanged due */
        IdMap dirty_workers;            /* worker id -> Worker*: PropertiesChanged due */
        bool manager_dirty;
        sd_event_source *flush_source;  /* owned: emits what is due, once per loop iteration */
} Bus;

/* Connect, publish the objects and take the name (synchronously: when this
 * returns 0 the name is ours). Unix fd passing is not negotiated: the daemon
 * takes no fds, so a caller cannot make it hold any. A connection lost later
 * (the bus restarted, an error reading from it) is re-established with
 * backoff while the pools run on. */
int bus_setup(Manager *m, FrontendTransport transport, const char *address);
/* Flush and close; clears the hooks. Safe if bus_setup() failed or never ran. */
void bus_done(Manager *m);
/* The two above, for the daemon (daemon/frontend.h). */

/* --- internal to src/bus/ --- */

extern const sd_bus_vtable bus_manager_vtable[];
extern const sd_bus_vtable bus_pool_vtable[];
extern const sd_bus_vtable bus_worker_vtable[];

int bus_pool_find(sd_bus *bus, const char *path, const char *interface, void *userdata, void **found,
                  sd_bus_error *error);
int bus_pool_enumerate(sd_bus *bus, const char *path, void *userdata, char ***nodes, sd_bus_error *error);
int bus_worker_find(sd_bus *bus, const char *path, const char *interface, void *userdata, void **found,
                    sd_bus_error *error);
int bus_worker_enumerate(sd_bus *bus, const char *path, void *userdata, char ***nodes,
                         sd_bus_error *error);

/* Object paths (malloc'd, NULL on OOM). */
char *bus_pool_path(const Pool *p);
char *bus_worker_path(const Worker *w);

/* 0 if the sender of msg has euid 0; otherwise NotPermitted in error and -EPERM. */
int bus_verify_privileged(sd_bus_message *msg, sd_bus_error *error);

/* The cgroup counters that Pool and Worker objects both publish, read on
 * demand: the same properties, the same values, only the cgroup differs. */
typedef enum BusCgroupCounter {
        BUS_CGROUP_MEMORY_CURRENT,      /* MemoryCurrent: memory.current, bytes */
        BUS_CGROUP_MEMORY_PEAK,         /* MemoryPeak: memory.peak, bytes */
        BUS_CGROUP_TASKS_CURRENT,       /* TasksCurrent: pids.current */
        BUS_CGROUP_CPU_USAGE_NSEC,      /* CPUUsageNSec: cpu.stat usage_usec, in ns */
        _BUS_CGROUP_COUNTER_MAX,
        _BUS_CGROUP_COUNTER_INVALID = -EINVAL,
} BusCgroupCounter;

BusCgroupCounter bus_cgroup_counter_from_property(const char *property);
/* The counter as a "t"; UINT64_MAX when unknown (cgroup_fd < 0, controller
 * off, file unreadable). */
int bus_append_cgroup_counter(sd_bus_message *reply, int cgroup_fd, BusCgroupCounter c);
uint64_t bus_cgroup_counter_read(int cgroup_fd, BusCgroupCounter c);   /* UINT64_MAX: unknown */
/* One lifecycle event's members, "ttsstusa{ss}": seq, time, type, pool,
 * worker, pid, message, fields (the same in ListLifecycleEvents and the
 * LifecycleEvent signal). */
int bus_append_event(sd_bus_message *m, const Pool *p, const PoolEvent *e);
/* Manager.GetMetrics() (bus-metrics.c). */
int bus_method_get_metrics(sd_bus_message *msg, void *userdata, sd_bus_error *error);
/* A "(dddt)" of the "some" line of a *.pressure file (avg10, avg60,
 * avg300, total usec); (-1, -1, -1, UINT64_MAX) when unavailable. */
int bus_append_pressure(sd_bus_message *reply, int cgroup_fd, const char *file);

/* Mark for a coalesced PropertiesChanged. */
void bus_pool_changed(Bus *b, Pool *p);
