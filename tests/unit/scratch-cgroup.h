/* SPDX-License-Identifier: MIT */
#pragma once

/* A scratch cgroup for unit tests that start real processes in real leaves
 * (as test-spawn.c does): a child of our own cgroup in the v2 hierarchy,
 * found through /proc/self/mountinfo and /proc/self/cgroup. Needs root and
 * a cgroup2 mount: the test fails without them (it never skips). */

typedef struct ScratchCgroup {
        int parent_fd;                  /* our own cgroup */
        int fd;                         /* the scratch cgroup */
        char name[64];                  /* its name in parent_fd */
        char path[256];                 /* its path in the hierarchy, "/x/y" */
        char dir[512];                  /* its directory, "/sys/fs/cgroup/.../x/y" */
} ScratchCgroup;

void scratch_cgroup_make(ScratchCgroup *s, const char *prefix);
/* cgroup.kill on everything below it, then remove it (waiting up to 2 s). */
void scratch_cgroup_remove(ScratchCgroup *s);
