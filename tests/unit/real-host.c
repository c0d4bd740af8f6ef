/* SPDX-License-Identifier: MIT */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "real-host.h"
#include "shared/fd-util.h"
#include "spawn/spawn.h"

ScratchCgroup real_cgroup;
char real_dir[64];
static uint64_t ids;

static uint64_t real_next_id(PoolHost *h) {
        return ++ids;
}

static void real_fault_evidence(PoolHost *h, pid_t pid, ExitInfo *i) {
}

static void real_pools_changed(PoolHost *h) {
}

static int real_spawn(PoolHost *h, const SpawnParams *sp, SpawnResult *ret) {
        return spawn_worker(sp, ret);
}

static const PoolHostOps real_ops = {
        .next_worker_id = real_next_id,
        .fault_evidence = real_fault_evidence,
        .pools_changed = real_pools_changed,
        .spawn = real_spawn,
};

void real_host_setup(void) {
        fake_setup();
        scratch_cgroup_make(&real_cgroup, "wp-unit-real-host");
        safe_close(fake.host.cgroup_root_fd);
        /* a copy: fake_teardown() closes the host's */
        fake.host.cgroup_root_fd = fcntl(real_cgroup.fd, F_DUPFD_CLOEXEC, 3);
        cr_assert_geq(fake.host.cgroup_root_fd, 0);
        fake.host.cgroup_root = real_cgroup.path;
        fake.host.ops = &real_ops;
        snprintf(real_dir, sizeof real_dir, "/dev/shm/wp-unit-real-host-XXXXXX");
        cr_assert_not_null(mkdtemp(real_dir));
        cr_assert_eq(chmod(real_dir, 0777), 0);
}

void real_host_teardown(void) {
        char cmd[128];

        fake_teardown();        /* the pool, its workers and its cgroups */
        scratch_cgroup_remove(&real_cgroup);
        snprintf(cmd, sizeof cmd, "rm -rf %s", real_dir);
        (void) !system(cmd);
}

const char *real_read(const char *path) {
        static char buf[8192];
        FILE *f = fopen(path, "re");
        size_t n;

        if (!f)
                return "";
        n = fread(buf, 1, sizeof buf - 1, f);
        buf[n] = 0;
        fclose(f);
        return buf;
}
