/* SPDX-License-Identifier: MIT */
#include <criterion/criterion.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "config-fixture.h"
#include "shared/strv.h"

void scratch_dir_make(char *root, size_t size, const char *prefix) {
        const char *tmp = getenv("TMPDIR");

        snprintf(root, size, "%s/%s-XXXXXX", tmp ? tmp : "/tmp", prefix);
        cr_assert_not_null(mkdtemp(root), "mkdtemp: %m");
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        return remove(path);
}

void scratch_dir_remove(const char *root) {
        if (root[0])
                (void) nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

const char *errors_joined(char **l) {
        static char buf[16384];
        _cleanup_(freep) char *j = strv_join(l, "\n  ");

        snprintf(buf, sizeof buf, "  %s", j ? j : "(null)");
        return buf;
}

void assert_error(char **errors, const char *format, ...) {
        _cleanup_(freep) char *want = NULL;
        va_list ap;
        int r;

        va_start(ap, format);
        r = vasprintf(&want, format, ap);
        va_end(ap);
        cr_assert_geq(r, 0);
        cr_assert_not_null(strv_find(errors, want), "missing error:\n  %s\ngot:\n%s", want, errors_joined(errors));
}
