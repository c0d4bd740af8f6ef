/* SPDX-License-Identifier: MIT */
#pragma once

/* The fake host (fake-host.h) made real where health checks and the pool's
 * commands need it: its cgroup root is a scratch cgroup of this machine
 * (scratch-cgroup.h) and its spawn is the daemon's (spawn_worker()), so
 * workers, probes and commands run in real leaves with real credentials.
 * real_dir is a scratch directory anyone may write to, outside /tmp (for
 * what PrivateTmp= and User=nobody processes write for the test to read). */

#include "fake-host.h"
#include "scratch-cgroup.h"

extern ScratchCgroup real_cgroup;
extern char real_dir[64];

void real_host_setup(void);             /* criterion .init */
void real_host_teardown(void);          /* criterion .fini */
/* The text of a small file (static buffer), or "" if it does not exist. */
const char *real_read(const char *path);
