/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>
#include <systemd/sd-event.h>

#include "../cgroup/cgroup.h"
#include "../config/config.h"
#include "../pool/pool.h"
#include "../shared/idmap.h"

typedef struct FaultProbe FaultProbe;
typedef struct Manager Manager;

/* Fds a worker may not take: what the daemon needs for itself at any time
 * (an exit's cgroup fd and cgroup.events watch, timers, bus connections). */
#define MANAGER_FD_RESERVE 64u

typedef struct ManagerOptions {
        char **config_dirs;             /* NULL: config_default_dirs */
        const char *manager_config;     /* workerpoold.conf path, NULL: default */
        const char *cgroup_root;        /* NULL: our own cgroup */
        const char *runtime_dir;        /* NULL: $RUNTIME_DIRECTORY or /run/workerpoold */
        int log_level;                  /* -1: from the config */
        char **argv;                    /* for re-exec */
        int deserialize_fd;             /* --deserialize=FD, or -EBADF */
        bool exit_when_done;            /* --exit-when-done */
        struct rlimit worker_nofile;    /* RLIMIT_NOFILE of a worker without LimitNOFILE= */
} ManagerOptions;

struct Manager {
        sd_event *event;                /* owned */
        ManagerConfig config;
        char **config_dirs;             /* owned strv */
        char *manager_config_path;      /* owned */

        char *cgroup_mount;             /* owned: e.g. /sys/fs/cgroup */
        char *cgroup_root;              /* owned: path inside the hierarchy, "/x/y" */
        char *original_cgroup;          /* owned: where we were before supervisor/ */
        int cgroup_mount_fd;            /* owned */
        int cgroup_root_fd;             /* owned (host.cgroup_root_fd is the same fd) */
        int supervisor_fd;              /* owned */
        bool created_root;              /* remove it on exit */
        bool cgroup_root_explicit;      /* --cgroup-root */

        /* What the pools see of us (pool/pool-host.h): the event loop, the
         * cgroup root, the controllers, the worker registry, the hooks. */
        PoolHost host;
        Pool *pools;                    /* owned list */
        unsigned n_pools;
        uint64_t next_worker_id;

        char *runtime_dir;              /* owned */
        int runtime_lock_fd;            /* owned: RUNTIME/workerpoold.pid, flock()ed */
        char *notify_path;              /* owned */
        int notify_fd;                  /* owned */
        sd_event_source *notify_source; /* owned */
        uint64_t n_notify_rejected;

        FaultProbe *fault_probe;        /* owned, NULL if it could not load */
        bool fault_probe_taken_over;    /* from the previous image (re-exec), not loaded */
        sd_event_source *fault_probe_source; /* owned */
        struct FaultProbeLoad *fault_probe_load; /* owned: loading in its own thread, not joined yet */

        sd_event_source *sigterm_source, *sigint_source, *sighup_source; /* owned */
        sd_event_source *gc_source;     /* owned: deferred cleanup of stopped pools */
        bool exiting;                   /* asked to (SIGTERM, SIGINT): pools stop, then we exit */
        bool exit_when_done;            /* --exit-when-done: exit once every pool has ended */
        int exit_status;                /* of an asked exit: 1 after FailureAction=exit, or
                                         * --exit-when-done with a failure */
        char *diagnose_path;            /* owned: workerpoold-diagnose, NULL: not found */
        bool started;                   /* manager_startup() succeeded */
        usec_t start_time_usec;         /* when this process started (CLOCK_REALTIME; a re-exec keeps it) */
        bool ready_sent;
        unsigned fd_limit;              /* our own RLIMIT_NOFILE (soft), once raised */

        /* Re-exec (manager-serialize.c) */
        char **argv;                    /* not owned: main()'s, to exec ourselves again */
        int deserialize_fd;             /* owned: state from the previous image, or -EBADF */
        char *deserialize_buf;          /* owned: its text, between begin and the rest */
        bool reexec_requested;

        void *bus;                      /* owned by the control front end (src/bus/) */
};

int manager_new(const ManagerOptions *o, Manager **ret);
Manager *manager_free(Manager *m);
DEFINE_TRIVIAL_CLEANUP_FUNC(Manager *, manager_free);
/* The instance lock: RUNTIME/workerpoold.pid and the cgroup root, both
 * flock()ed (after a re-exec: inherited). Creates nothing but the runtime
 * directory, the lock file and the cgroup root if missing. -EBUSY (logged:
 * "another workerpoold (pid N) owns ...") if another instance holds either. */
int manager_lock(Manager *m);
int manager_startup(Manager *m);        /* cgroups, notify socket, load and start pools */
/* The observers of every pool's lifecycle (the bus); NULL: none. */
void manager_set_hooks(Manager *m, const PoolHooks *hooks, void *userdata);
/* Link a new pool into our list (pool_new() leaves that to the host). */
void manager_link_pool(Manager *m, Pool *p);
/* Unlink a pool from our list and free it. */
void manager_free_pool(Manager *m, Pool *p);
int manager_run(Manager *m);
/* Reload every pool's configuration. Pools whose new files have errors keep
 * running as they were; those errors ("FILE:LINE: message") are logged and,
 * if ret_errors is not NULL, returned there (NULL when there were none). */
int manager_reload(Manager *m, char ***ret_errors);
void manager_begin_exit(Manager *m);
Pool *manager_find_pool(Manager *m, const char *name);
/* The Manager a pool runs in (it is the pool's host). */
static inline Manager *manager_of_pool(const Pool *p) {
        return (Manager *) ((char *) p->host - offsetof(Manager, host));
}
/* The journal MESSAGE_ID of the daemon's own events (the pools' are in
 * pool/pool-host.h). */
#define MESSAGE_ID_CONFIG_ERROR   "a1e3c07b2f6d4c0e9b1d5f7a3c2e8b05"

/* Fill the fault-probe fields of i for a worker that died of a signal. */
void manager_fault_evidence(Manager *m, pid_t pid, ExitInfo *i);
/* Re-exec in place keeping every worker: serialize to a memfd, execve()
 * /proc/self/exe with the pidfds and the notify socket open. Returns only on
 * failure (and then everything is as it was). */
int manager_reexecute(Manager *m);
/* Ask for a re-exec once the current event has been handled. */
void manager_request_reexec(Manager *m);
/* In the new image: read m->deserialize_fd (and take the notify socket)... */
int manager_deserialize_begin(Manager *m);
/* ...then restore pools and workers, each pool with the configuration it
 * ran (not re-read from disk: Reload does that). */
int manager_deserialize(Manager *m);
/* The probe loads in a thread of its own, started by manager_lock() once
 * the cgroup root is known, in parallel with the bus name, the cgroup tree
 * and the notify socket, and joined by manager_fault_probe_setup(), which
 * manager_startup() calls before any pool starts: no worker reaches
 * execve() unwatched. */
void manager_fault_probe_start(Manager *m);
void manager_fault_probe_setup(Manager *m);
void manager_fault_probe_done(Manager *m);
