/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>
#include <systemd/sd-event.h>

#include "cgroup/cgroup.h"
#include "config/config.h"
#include "pool/pool.h"
#include "shared/idmap.h"

typedef struct FaultProbe FaultProbe;

/* Fds a worker may not take: what the daemon needs for itself at any time
 * (an exit's cgroup fd and cgroup.events watch, timers, bus connections). */
#define MANAGER_FD_RESERVE 64u

/* Observers of lifecycle events (the D-Bus layer): the pool layer calls
 * these, never sd-bus itself. Any of them may be NULL. */
typedef struct ManagerHooks {
        void (*worker_started)(Manager *m, Worker *w);
        void (*worker_ready)(Manager *m, Worker *w);
        void (*worker_state_changed)(Manager *m, Worker *w);
        void (*worker_exited)(Manager *m, Worker *w, const ExitRecord *r);
        void (*worker_freed)(Manager *m, Worker *w);
        void (*pool_state_changed)(Manager *m, Pool *p);
        void (*pool_changed)(Manager *m, Pool *p);      /* counters, limits, size */
        void (*pool_added)(Manager *m, Pool *p);
        void (*pool_freed)(Manager *m, Pool *p);
} ManagerHooks;

#define MANAGER_HOOK(m, name, ...)                                      \
        do {                                                            \
                if ((m)->hooks && (m)->hooks->name)                     \
                        (m)->hooks->name((m), __VA_ARGS__);             \
        } while (0)

typedef struct ManagerOptions {
        char **config_dirs;             /* NULL: config_default_dirs */
        const char *manager_config;     /* workerpoold.conf path, NULL: default */
        const char *cgroup_root;        /* NULL: our own cgroup */
        const char *runtime_dir;        /* NULL: $RUNTIME_DIRECTORY or /run/workerpoold */
        int log_level;                  /* -1: from the config */
        char **argv;                    /* for re-exec */
        int deserialize_fd;             /* --deserialize=FD, or -EBADF */
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
        int cgroup_root_fd;             /* owned */
        int supervisor_fd;              /* owned */
        bool created_root;              /* remove it on exit */
        bool cgroup_root_explicit;      /* --cgroup-root */
        CgroupMask controllers;         /* enabled for our pools */

        Pool *pools;                    /* owned list */
        unsigned n_pools;
        IdMap workers;                  /* id -> Worker, not owned (pools own them) */
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

        sd_event_source *sigterm_source, *sigint_source, *sighup_source; /* owned */
        sd_event_source *gc_source;     /* owned: deferred cleanup of stopped pools */
        bool exiting;                   /* asked to (SIGTERM, SIGINT): pools stop, then we exit */
        bool started;                   /* manager_startup() succeeded */
        bool abandon_workers;           /* exiting unasked: leave the workers running */
        bool ready_sent;
        struct rlimit worker_nofile;    /* default RLIMIT_NOFILE of workers */
        unsigned fd_limit;              /* our own RLIMIT_NOFILE (soft), once raised */
        unsigned base_fds;              /* fds open before the first worker (bus, notify...) */

        /* Re-exec (manager-serialize.c) */
        char **argv;                    /* not owned: main()'s, to exec ourselves again */
        int deserialize_fd;             /* owned: state from the previous image, or -EBADF */
        char *deserialize_buf;          /* owned: its text, between begin and the rest */
        bool deserializing;
        bool reexec_requested;

        const ManagerHooks *hooks;      /* not owned */
        void *bus;                      /* owned by the bus layer (src/bus/) */
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
int manager_run(Manager *m);
/* Reload every pool's configuration. Pools whose new files have errors keep
 * running as they were; those errors ("FILE:LINE: message") are logged and,
 * if ret_errors is not NULL, returned there (NULL when there were none). */
int manager_reload(Manager *m, char ***ret_errors);
void manager_begin_exit(Manager *m);
/* A pool stopped or a worker went away: maybe we are done. */
void manager_check_finished(Manager *m);
Pool *manager_find_pool(Manager *m, const char *name);
uint64_t manager_next_worker_id(Manager *m);
/* Returns the journal MESSAGE_ID strings used for lifecycle events. */
#define MESSAGE_ID_WORKER_STARTED "a1e3c07b2f6d4c0e9b1d5f7a3c2e8b01"
#define MESSAGE_ID_WORKER_READY   "a1e3c07b2f6d4c0e9b1d5f7a3c2e8b02"
#define MESSAGE_ID_WORKER_EXITED  "a1e3c07b2f6d4c0e9b1d5f7a3c2e8b03"
#define MESSAGE_ID_POOL_STATE     "a1e3c07b2f6d4c0e9b1d5f7a3c2e8b04"
#define MESSAGE_ID_CONFIG_ERROR   "a1e3c07b2f6d4c0e9b1d5f7a3c2e8b05"
#define MESSAGE_ID_SCALE          "a1e3c07b2f6d4c0e9b1d5f7a3c2e8b06"

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
void manager_fault_probe_setup(Manager *m);
void manager_fault_probe_done(Manager *m);
