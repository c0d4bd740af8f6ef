/* SPDX-License-Identifier: MIT */
#pragma once

/* cgroup v2 file operations, all relative to directory fds we opened
 * ourselves (never a path from a worker, never following symlinks). Why not
 * libcgroup: docs/cgroup.md. Returns -errno, never logs. */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "../shared/macro.h"

typedef enum CgroupController {
        CGROUP_CONTROLLER_CPU,
        CGROUP_CONTROLLER_MEMORY,
        CGROUP_CONTROLLER_PIDS,
        CGROUP_CONTROLLER_IO,
        _CGROUP_CONTROLLER_MAX,
        _CGROUP_CONTROLLER_INVALID = -EINVAL,
} CgroupController;

typedef unsigned CgroupMask;
#define CGROUP_MASK(c) (1u << (c))
#define CGROUP_MASK_ALL ((1u << _CGROUP_CONTROLLER_MAX) - 1)

const char *cgroup_controller_to_string(CgroupController c);

/* Per-worker limits, in the units of the cgroup files. */
typedef struct CgroupLimits {
        uint64_t memory_max, memory_high, memory_swap_max;  /* CGROUP_LIMIT_MAX: "max" */
        usec_t cpu_quota_per_sec_usec;                      /* USEC_INFINITY: "max" */
        uint64_t cpu_weight;                                /* 1..10000 */
        uint64_t tasks_max;                                 /* CGROUP_LIMIT_MAX: "max" */
} CgroupLimits;

/* The cgroup2 mount point, from /proc/self/mountinfo. -ENOMEDIUM if none. */
int cgroup_find_mount(char **ret_path);
/* The level of the cgroup at path (relative to the cgroup2 mount, "/a/b")
 * in the kernel's hierarchy, as struct cgroup counts it (0: the root): the
 * components of path plus those of the mount's own root. -EOPNOTSUPP in a
 * cgroup namespace other than the initial one, whose root's level we cannot
 * see. */
int cgroup_get_level(const char *path, int *ret);
/* Our own cgroup path inside the v2 hierarchy ("/" or "/a/b"), from
 * /proc/<pid>/cgroup's "0::" line (pid 0: self). */
int cgroup_pid_get_path(pid_t pid, char **ret_path);

/* Open an existing cgroup directory relative to dirfd. */
int cgroup_open(int dirfd, const char *name, int *ret_fd);
/* mkdirat + open. -EEXIST if it exists and !exist_ok. */
int cgroup_create(int dirfd, const char *name, bool exist_ok, int *ret_fd);
int cgroup_remove(int dirfd, const char *name);
/* rmdir name and every cgroup below it, depth first (a worker may make
 * sub-cgroups in its leaf and move into them). Kills nothing and never
 * waits: -EBUSY while anything in the subtree is populated, -ELOOP deeper
 * than CGROUP_REMOVE_MAX_DEPTH levels. A cgroup already gone is 0. */
#define CGROUP_REMOVE_MAX_DEPTH 32
int cgroup_remove_recursive(int dirfd, const char *name);

int cgroup_get_controllers(int fd, CgroupMask *ret);            /* cgroup.controllers */
int cgroup_get_subtree_control(int fd, CgroupMask *ret);
int cgroup_enable_controllers(int fd, CgroupMask mask);         /* cgroup.subtree_control */
int cgroup_attach(int fd, pid_t pid);                           /* cgroup.procs */
int cgroup_kill(int fd);                                        /* cgroup.kill */
int cgroup_is_populated(int fd);                                /* 1, 0, or -errno */
int cgroup_get_id(int fd, uint64_t *ret);
/* "key value" lines (cgroup.events, memory.events, cpu.stat): value of key. */
int cgroup_read_key(int fd, const char *file, const char *key, uint64_t *ret);
int cgroup_read_u64(int fd, const char *file, uint64_t *ret);   /* memory.current etc. */
int cgroup_write(int fd, const char *file, const char *value);

/* Write every limit whose controller is in `mask`; returns the first error
 * but tries all (a missing memory.swap.max — no swap accounting — is skipped). */
int cgroup_apply_limits(int fd, CgroupMask mask, const CgroupLimits *l);

/* Startup cleanup of what a previous, crashed instance left: for every child
 * of fd whose name ends in suffix, write cgroup.kill, wait (up to about 2 s,
 * polling: only for startup) until it is empty, and remove it. Children of
 * those children are handled first (recursive). *ret_n (may be NULL): how many removed. */
int cgroup_reap_children(int fd, const char *suffix, unsigned *ret_n);
/* The same, sparing the children for which keep(name, userdata) is true. */
int cgroup_reap_children_except(int fd, const char *suffix, bool (*keep)(const char *name, void *userdata),
                                void *userdata, unsigned *ret_n);

/* Pressure stall information (PSI) of a *.pressure file. */
typedef struct Pressure {
        double some_avg10, some_avg60, some_avg300;
        uint64_t some_total;
        double full_avg10, full_avg60, full_avg300;
        uint64_t full_total;
        bool have_some, have_full;
} Pressure;
/* From a *.pressure file's text: -EINVAL if it has neither line. */
int pressure_parse(const char *text, Pressure *ret);
/* Read and parse fd/file (e.g. "memory.pressure"). */
int cgroup_read_pressure(int fd, const char *file, Pressure *ret);
