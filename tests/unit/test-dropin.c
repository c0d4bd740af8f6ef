/* SPDX-License-Identifier: MIT */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/dropin.h"
#include "shared/macro.h"

Test(dropin, text_merge) {
        char *t = NULL, *u = NULL, *v = NULL;

        cr_assert_eq(dropin_text_set(NULL, "Resources", "MemoryMax", "512M", &t), 0);
        cr_assert(strstr(t, "[Resources]\nMemoryMax=512M\n"), "%s", t);
        cr_assert_eq(t[0], '#');

        cr_assert_eq(dropin_text_set(t, "Pool", "Workers", "3", &u), 0);
        cr_assert(strstr(u, "[Resources]\nMemoryMax=512M\n[Pool]\nWorkers=3\n"), "%s", u);

        /* replace in place, in the right section; keep other lines */
        cr_assert_eq(dropin_text_set(u, "Resources", "MemoryMax", "1G", &v), 0);
        cr_assert(strstr(v, "[Resources]\nMemoryMax=1G\n[Pool]\nWorkers=3\n"), "%s", v);
        cr_assert_null(strstr(v, "512M"));
        free(t), free(u), free(v);

        /* a key of the same name in another section is not ours; duplicates go */
        cr_assert_eq(dropin_text_set("[Pool]\nMemoryMax = 5\n[Resources]\nMemoryMax=1\nTasksMax=3\nMemoryMax=2\n",
                                     "Resources", "MemoryMax", "9", &t), 0);
        cr_assert_str_eq(t, "[Pool]\nMemoryMax = 5\n[Resources]\nMemoryMax=9\nTasksMax=3\n");
        free(t);

        /* a prefix is not the key */
        cr_assert_eq(dropin_text_set("[Pool]\nWorkersX=1", "Pool", "Workers", "2", &t), 0);
        cr_assert_str_eq(t, "[Pool]\nWorkersX=1\nWorkers=2\n");
        free(t);

        /* key appended at the end of its section, before the next one */
        cr_assert_eq(dropin_text_set("[Pool]\nRestart=no\n[Resources]\nCPUWeight=5\n", "Pool", "Workers", "2",
                                     &t), 0);
        cr_assert_str_eq(t, "[Pool]\nRestart=no\nWorkers=2\n[Resources]\nCPUWeight=5\n");
        free(t);

        cr_assert_lt(dropin_text_set(NULL, "", "A", "b", &t), 0);
        cr_assert_lt(dropin_text_set(NULL, "Pool", "", "b", &t), 0);
}

Test(dropin, persist_merges_into_its_own_file) {
        char dir[] = "/tmp/test-dropin-XXXXXX";
        _cleanup_(freep) char *path = NULL, *path2 = NULL, *text = NULL;
        const char *what = NULL;
        FILE *f;
        long n;

        cr_assert_not_null(mkdtemp(dir));
        cr_assert_eq(dropin_persist(dir, "web", (DropinAssignment[]) { { "Resources", "MemoryMax", "512M" } }, 1,
                                    &path, &what), 0);
        cr_assert(strstr(path, "/web.pool.d/" DROPIN_SET_PROPERTY), "%s", path);
        cr_assert_eq(dropin_persist(dir, "web",
                                    (DropinAssignment[]) { { "Pool", "Workers", "3" },
                                                           { "Resources", "MemoryMax", "1G" } }, 2,
                                    &path2, &what), 0);
        cr_assert_str_eq(path, path2);
        f = fopen(path, "re");
        cr_assert_not_null(f);
        text = calloc(1, 4096);
        n = (long) fread(text, 1, 4095, f);
        fclose(f);
        cr_assert_gt(n, 0);
        cr_assert(strstr(text, "[Resources]\nMemoryMax=1G\n[Pool]\nWorkers=3\n"), "%s", text);
        cr_assert_null(strstr(text, "512M"));
        unlink(path);
        *strrchr(path, '/') = 0;
        rmdir(path);
        rmdir(dir);
}

Test(dropin, persist_says_what_failed) {
        _cleanup_(freep) char *path = NULL;
        const char *what = NULL;

        /* a regular file where the config directory should be */
        cr_assert_lt(dropin_persist("/dev/null", "web", (DropinAssignment[]) { { "Pool", "Workers", "2" } }, 1,
                                    &path, &what), 0);
        cr_assert_str_eq(what, "create the directory of");
        cr_assert_str_eq(path, "/dev/null/web.pool.d/" DROPIN_SET_PROPERTY);
}
