/* SPDX-License-Identifier: MIT */
#pragma once

/* What a pool needs from whoever runs it, and nothing more: the event loop,
 * the root of the cgroup subtree, worker ids and the registry of live
 * workers, the fault probe's evidence, how to start a child, and whom to
 * tell about lifecycle events. The daemon's Manager implements it
 * (src/daemon/manager.c); the pool unit tests implement a fake one. Nothing
 * under src/pool/ knows the Manager or sd-bus. */

#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <systemd/sd-event.h>

#include "../cgroup/cgroup.h"
#include "../classify/classify.h"
#include "../config/config.h"
#include "../shared/idmap.h"
#include "../spawn/spawn.h"

typedef struct PoolHost PoolHost;
typedef struct Pool Pool;
typedef struct Worker Worker;
typedef struct ExitRecord ExitRecord;
typedef struct PoolEvent PoolEvent;

/* Observers of lifecycle events (the D-Bus layer): the pool layer calls
 * these, never sd-bus itself. Any of them may be NULL. */
typedef struct PoolHooks {
        void (*worker_started)(void *userdata, Worker *w);
        void (*worker_ready)(void *userdata, Worker *w);
        void (*worker_state_changed)(void *userdata, Worker *w);
        void (*worker_exited)(void *userdata, Worker *w, const ExitRecord *r);
        void (*worker_freed)(void *userdata, Worker *w);
        void (*pool_state_changed)(void *userdata, Pool *p);
        void (*event_recorded)(void *userdata, Pool *p, const PoolEvent *e);   /* events.c */
        void (*pool_changed)(void *userdata, Pool *p);         /* counters, limits, size */
        void (*pool_added)(void *userdata, Pool *p);
        void (*pool_freed)(void *userdata, Pool *p);
        /* A job ended: job "start", "stop", "restart" or "scale"; result
         * "done", "failed" or "canceled"; message: why (empty if done). */
        void (*job_done)(void *userdata, Pool *p, const char *job, const char *requester, const char *result,
                         const char *message);
} PoolHooks;

#define POOL_HOOK(h, name, ...)                                                 \
        do {                                                                    \
                if ((h)->hooks && (h)->hooks->name)                             \
                        (h)->hooks->name((h)->hooks_userdata, __VA_ARGS__);     \
        } while (0)

typedef struct PoolHostOps {
        /* Ids are never reused, across pools and re-execs. */
        uint64_t (*next_worker_id)(PoolHost *h);
        /* Fill the fault probe's fields of i for a worker that died (pid). */
        void (*fault_evidence)(PoolHost *h, pid_t pid, ExitInfo *i);
        /* Some pool changed (state, counters): coalesced by the host (the
         * daemon updates STATUS= and frees pools that are done). */
        void (*pools_changed)(PoolHost *h);
        /* Start the worker's process: spawn_worker() in the daemon. */
        int (*spawn)(PoolHost *h, const SpawnParams *sp, SpawnResult *ret);
        /* FailureAction=exit: the pool failed; the host stops and exits
         * with a failure status. May be NULL (nothing happens). */
        void (*failure_exit)(PoolHost *h, Pool *p);
        /* Handle the notify messages already queued (bounded), before an
         * exit is classified: a worker's last READY=1 or STOPPING=1 may be
         * waiting there. May be NULL. */
        void (*notify_drain)(PoolHost *h);
} PoolHostOps;

struct PoolHost {
        const PoolHostOps *ops;         /* not owned */
        sd_event *event;                /* not owned */
        int cgroup_root_fd;             /* not owned: NAME.pool/ cgroups go here */
        const char *cgroup_root;        /* not owned: its path in the hierarchy, "/x/y" */
        CgroupMask controllers;         /* enabled for our pools */
        const char *notify_path;        /* not owned: $NOTIFY_SOCKET of Type=notify workers, or NULL */
        const char *diagnose_path;      /* not owned: the workerpoold-diagnose program, or NULL */
        struct rlimit worker_nofile;    /* RLIMIT_NOFILE of a worker without LimitNOFILE= */
        unsigned max_workers;           /* live workers at most (each holds an fd: the host's budget) */
        const ManagerConfig *defaults;  /* not owned: what "Key=" resets to */
        char *const *config_dirs;       /* not owned: where pool files are (for a pool restored
                                         * from an older image that kept no sources) */
        IdMap workers;                  /* id -> Worker of every pool (the pools own them) */
        bool deserializing;             /* restoring after a re-exec: no stale-worker sweep */
        uint64_t event_seq;             /* the last lifecycle event's number (every pool's) */
        bool abandon_workers;           /* exiting unasked: leave the workers running */

        const PoolHooks *hooks;         /* not owned, may be NULL */
        void *hooks_userdata;
};

/* Journal MESSAGE_IDs of the lifecycle events the pool layer logs. */
#define MESSAGE_ID_WORKER_STARTED "a1e3c07b2f6d4c0e9b1d5f7a3c2e8b01"
#define MESSAGE_ID_WORKER_READY   "a1e3c07b2f6d4c0e9b1d5f7a3c2e8b02"
#define MESSAGE_ID_WORKER_EXITED  "a1e3c07b2f6d4c0e9b1d5f7a3c2e8b03"
#define MESSAGE_ID_POOL_STATE     "a1e3c07b2f6d4c0e9b1d5f7a3c2e8b04"
#define MESSAGE_ID_SCALE          "a1e3c07b2f6d4c0e9b1d5f7a3c2e8b06"
#define MESSAGE_ID_WORKER_STOPPING "a1e3c07b2f6d4c0e9b1d5f7a3c2e8b07"
#define MESSAGE_ID_RELOAD         "a1e3c07b2f6d4c0e9b1d5f7a3c2e8b08"
#define MESSAGE_ID_REEXEC         "a1e3c07b2f6d4c0e9b1d5f7a3c2e8b09"
