/* SPDX-License-Identifier: MIT */
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "scratch-cgroup.h"
#include "shared/macro.h"

void scratch_cgroup_make(ScratchCgroup *s, const char *prefix) {
        char *mount = NULL, *self = NULL;

        *s = (ScratchCgroup) { .parent_fd = -EBADF, .fd = -EBADF };
        cr_assert_eq(geteuid(), 0, "needs root (it writes cgroups)");
        cr_assert_eq(cgroup_find_mount(&mount), 0, "needs a cgroup v2 mount");
        cr_assert_eq(cgroup_pid_get_path(0, &self), 0);
        snprintf(s->name, sizeof s->name, "%s-%d", prefix, (int) getpid());
        snprintf(s->path, sizeof s->path, "%s/%s", streq(self, "/") ? "" : self, s->name);
        snprintf(s->dir, sizeof s->dir, "%s%s", mount, s->path);
        {
                char parent[512];

                snprintf(parent, sizeof parent, "%s%s", mount, streq(self, "/") ? "" : self);
                s->parent_fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        }
        cr_assert_geq(s->parent_fd, 0, "open our own cgroup: %m");
        cr_assert_eq(cgroup_create(s->parent_fd, s->name, true, &s->fd), 0);
        free(mount);
        free(self);
}

/* Kill and remove every cgroup below fd (depth first). */
static void remove_below(int fd) {
        DIR *d;
        struct dirent *de;
        int dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        if (dfd < 0 || !(d = fdopendir(dfd)))
                return;
        while ((de = readdir(d)))
                if (de->d_type == DT_DIR && de->d_name[0] != '.') {
                        int c = -EBADF;

                        if (cgroup_open(fd, de->d_name, &c) < 0)
                                continue;
                        remove_below(c);
                        (void) cgroup_kill(c);
                        for (int i = 0; i < 200 && cgroup_is_populated(c) > 0; i++)
                                usleep(10000);
                        close(c);
                        (void) cgroup_remove(fd, de->d_name);
                }
        closedir(d);
}

void scratch_cgroup_remove(ScratchCgroup *s) {
        if (s->fd >= 0) {
                remove_below(s->fd);
                (void) cgroup_kill(s->fd);
                s->fd = safe_close(s->fd);
                for (int i = 0; i < 200 && cgroup_remove(s->parent_fd, s->name) == -EBUSY; i++)
                        usleep(10000);
        }
        s->parent_fd = safe_close(s->parent_fd);
}
