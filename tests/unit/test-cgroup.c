/* SPDX-License-Identifier: MIT */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "shared/macro.h"

Test(pressure, parse) {
        Pressure p;

        cr_assert_eq(pressure_parse("some avg10=1.50 avg60=0.25 avg300=0.00 total=12345\n"
                                    "full avg10=0.10 avg60=0.00 avg300=0.00 total=99\n", &p), 0);
        cr_assert(p.have_some && p.have_full);
        cr_assert_float_eq(p.some_avg10, 1.5, 1e-9);
        cr_assert_float_eq(p.some_avg60, 0.25, 1e-9);
        cr_assert_eq(p.some_total, 12345);
        cr_assert_eq(p.full_total, 99);
        cr_assert_eq(pressure_parse("some avg10=0.00 avg60=0.00 avg300=0.00 total=0", &p), 0);
        cr_assert(!p.have_full);
        cr_assert_lt(pressure_parse("", &p), 0);
        cr_assert_lt(pressure_parse("garbage", &p), 0);
        cr_assert_lt(pressure_parse(NULL, &p), 0);
}

Test(pressure, read_from_a_file) {
        char dir[] = "/tmp/test-cgroup-XXXXXX";
        char path[64];
        Pressure p;
        FILE *f;
        int fd;

        cr_assert_not_null(mkdtemp(dir));
        snprintf(path, sizeof path, "%s/memory.pressure", dir);
        f = fopen(path, "we");
        cr_assert_not_null(f);
        fputs("some avg10=42.00 avg60=1.00 avg300=0.50 total=7\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n", f);
        fclose(f);
        fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        cr_assert_geq(fd, 0);
        cr_assert_eq(cgroup_read_pressure(fd, "memory.pressure", &p), 0);
        cr_assert_float_eq(p.some_avg10, 42.0, 1e-9);
        cr_assert_eq(cgroup_read_pressure(fd, "cpu.pressure", &p), -ENOENT);
        cr_assert_eq(cgroup_read_pressure(-EBADF, "memory.pressure", &p), -EBADF);
        close(fd);
        unlink(path);
        rmdir(dir);
}

/* The level is the path's depth plus the mount's own root's: checked
 * relative to the mount's root, whatever this machine mounts. */
Test(cgroup, get_level) {
        int top, l;
        int r = cgroup_get_level("/", &top);

        if (r == -EOPNOTSUPP || r == -ENOMEDIUM)
                return;         /* a cgroup namespace or no cgroup2: nothing to compare */
        cr_assert_eq(r, 0);
        cr_assert_geq(top, 0);
        cr_assert_eq(cgroup_get_level("/a/b", &l), 0);
        cr_assert_eq(l, top + 2);
        cr_assert_eq(cgroup_get_level("//a//b/c/", &l), 0);
        cr_assert_eq(l, top + 3);
        cr_assert_eq(cgroup_get_level("", &l), 0);
        cr_assert_eq(l, top);
}
