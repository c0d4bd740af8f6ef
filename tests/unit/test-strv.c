/* SPDX-License-Identifier: MIT */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "shared/macro.h"
#include "shared/string-util.h"
#include "shared/strv.h"

/* A fresh strv with the given items (NULL-terminated vararg list). */
static char **make(const char *first, ...) _sentinel_;
static char **make(const char *first, ...) {
        char **l = calloc(1, sizeof(char *));
        va_list ap;

        cr_assert_not_null(l);
        va_start(ap, first);
        for (const char *s = first; s; s = va_arg(ap, const char *))
                cr_assert_eq(strv_extend(&l, s), 0);
        va_end(ap);
        return l;
}

Test(strv, free_null_and_empty) {
        cr_assert_null(strv_free(NULL));
        cr_assert_null(strv_free(calloc(1, sizeof(char *))));
        cr_assert_null(strv_free(make("a", "b", NULL)));
}

Test(strv, freep_resets) {
        char **l = make("x", NULL);

        strv_freep(&l);
        cr_assert_null(l);
        strv_freep(&l);         /* twice is fine */
        cr_assert_null(l);
}

Test(strv, length) {
        _cleanup_(strv_freep) char **l = make("a", "b", "c", NULL);
        _cleanup_(strv_freep) char **e = make(NULL, NULL);

        cr_assert_eq(strv_length(NULL), 0);
        cr_assert_eq(strv_length(e), 0);
        cr_assert_eq(strv_length(l), 3);
}

Test(strv, extend_from_null_copies) {
        _cleanup_(strv_freep) char **l = NULL;
        char buf[] = "hello";

        cr_assert_eq(strv_extend(&l, buf), 0);
        cr_assert_not_null(l);
        buf[0] = 'j';           /* l must hold its own copy */
        cr_assert_str_eq(l[0], "hello");
        cr_assert_null(l[1]);
        cr_assert_neq(l[0], buf);

        cr_assert_eq(strv_extend(&l, ""), 0);
        cr_assert_eq(strv_length(l), 2);
        cr_assert_str_eq(l[1], "");
        cr_assert_null(l[2]);
}

Test(strv, extend_many) {
        _cleanup_(strv_freep) char **l = NULL;
        char num[16];

        for (int i = 0; i < 1000; i++) {
                snprintf(num, sizeof num, "%d", i);
                cr_assert_eq(strv_extend(&l, num), 0);
        }
        cr_assert_eq(strv_length(l), 1000);
        cr_assert_str_eq(l[0], "0");
        cr_assert_str_eq(l[999], "999");
        cr_assert_null(l[1000]);
}

Test(strv, consume_takes_ownership) {
        _cleanup_(strv_freep) char **l = NULL;
        char *s = strdup("owned");

        cr_assert_eq(strv_consume(&l, s), 0);
        cr_assert_eq(l[0], s);          /* the very same pointer, not a copy */
        cr_assert_eq(strv_length(l), 1);
}

Test(strv, consume_null_is_enomem) {
        _cleanup_(strv_freep) char **l = make("a", NULL);

        /* strv_consume(&l, strdup(x)) when strdup failed */
        cr_assert_eq(strv_consume(&l, NULL), -ENOMEM);
        cr_assert_eq(strv_length(l), 1);
        cr_assert_str_eq(l[0], "a");
}

Test(strv, copy) {
        _cleanup_(strv_freep) char **l = make("a", "bb", "", NULL);
        _cleanup_(strv_freep) char **c = strv_copy(l);
        _cleanup_(strv_freep) char **n = strv_copy(NULL);

        cr_assert_not_null(c);
        cr_assert_neq(c, l);
        cr_assert_eq(strv_length(c), 3);
        for (size_t i = 0; i < 3; i++) {
                cr_assert_str_eq(c[i], l[i]);
                cr_assert_neq(c[i], l[i]);      /* deep copy */
        }
        cr_assert_null(c[3]);

        /* NULL copies to an empty, non-NULL vector */
        cr_assert_not_null(n);
        cr_assert_null(n[0]);
}

Test(strv, equal) {
        _cleanup_(strv_freep) char **a = make("a", "b", NULL);
        _cleanup_(strv_freep) char **b = make("a", "b", NULL);
        _cleanup_(strv_freep) char **c = make("a", "c", NULL);
        _cleanup_(strv_freep) char **d = make("a", NULL);
        _cleanup_(strv_freep) char **e = make(NULL, NULL);

        cr_assert(strv_equal(a, b));
        cr_assert(strv_equal(b, a));
        cr_assert(strv_equal(a, a));
        cr_assert_not(strv_equal(a, c));
        cr_assert_not(strv_equal(a, d));
        cr_assert_not(strv_equal(d, a));
        cr_assert(strv_equal(NULL, NULL));
        cr_assert(strv_equal(NULL, e));         /* NULL and empty are the same list */
        cr_assert(strv_equal(e, NULL));
        cr_assert_not(strv_equal(NULL, d));
        cr_assert_not(strv_equal(d, NULL));
}

Test(strv, join) {
        _cleanup_(strv_freep) char **l = make("a", "bb", "ccc", NULL);
        _cleanup_(strv_freep) char **one = make("only", NULL);
        _cleanup_(strv_freep) char **withempty = make("", "x", "", NULL);
        _cleanup_(freep) char *j1 = strv_join(l, ", ");
        _cleanup_(freep) char *j2 = strv_join(l, "");
        _cleanup_(freep) char *j3 = strv_join(one, ":");
        _cleanup_(freep) char *j4 = strv_join(NULL, ":");
        _cleanup_(freep) char *j5 = strv_join(withempty, "/");

        cr_assert_str_eq(j1, "a, bb, ccc");
        cr_assert_str_eq(j2, "abbccc");
        cr_assert_str_eq(j3, "only");
        cr_assert_str_eq(j4, "");
        cr_assert_str_eq(j5, "/x/");
}

Test(strv, find) {
        _cleanup_(strv_freep) char **l = make("alpha", "beta", "", NULL);

        cr_assert_eq(strv_find(l, "beta"), l[1]);
        cr_assert_eq(strv_find(l, "alpha"), l[0]);
        cr_assert_eq(strv_find(l, ""), l[2]);
        cr_assert_null(strv_find(l, "alph"));
        cr_assert_null(strv_find(l, "alphabet"));
        cr_assert_null(strv_find(NULL, "x"));
}

Test(strv, env_set_append_and_replace) {
        _cleanup_(strv_freep) char **l = NULL;

        cr_assert_eq(strv_env_set(&l, "FOO=1"), 0);
        cr_assert_eq(strv_env_set(&l, "BAR=2"), 0);
        cr_assert_eq(strv_length(l), 2);

        cr_assert_eq(strv_env_set(&l, "FOO=3"), 0);     /* replaced in place */
        cr_assert_eq(strv_length(l), 2);
        cr_assert_str_eq(l[0], "FOO=3");
        cr_assert_str_eq(l[1], "BAR=2");

        cr_assert_eq(strv_env_set(&l, "FOO="), 0);      /* empty value is a value */
        cr_assert_str_eq(l[0], "FOO=");
        cr_assert_eq(strv_length(l), 2);

        cr_assert_eq(strv_env_set(&l, "X=a=b"), 0);     /* only the first '=' splits */
        cr_assert_str_eq(l[2], "X=a=b");
        cr_assert_eq(strv_env_set(&l, "X=c"), 0);
        cr_assert_str_eq(l[2], "X=c");
        cr_assert_eq(strv_length(l), 3);
}

Test(strv, env_set_prefix_names_are_distinct) {
        _cleanup_(strv_freep) char **l = NULL;

        cr_assert_eq(strv_env_set(&l, "FOOBAR=1"), 0);
        cr_assert_eq(strv_env_set(&l, "FOO=2"), 0);
        cr_assert_eq(strv_env_set(&l, "FO=3"), 0);
        cr_assert_eq(strv_length(l), 3);
        cr_assert_str_eq(l[0], "FOOBAR=1");
        cr_assert_str_eq(l[1], "FOO=2");
        cr_assert_str_eq(l[2], "FO=3");
}

Test(strv, env_set_invalid) {
        _cleanup_(strv_freep) char **l = make("A=1", NULL);

        cr_assert_eq(strv_env_set(&l, "NOEQUALS"), -EINVAL);
        cr_assert_eq(strv_env_set(&l, "=value"), -EINVAL);
        cr_assert_eq(strv_env_set(&l, ""), -EINVAL);
        cr_assert_eq(strv_length(l), 1);
        cr_assert_str_eq(l[0], "A=1");
}

Test(string_util, path_startswith_dir) {
        cr_assert(path_startswith_dir("/a/b", "/a"));
        cr_assert(path_startswith_dir("/a", "/a"));
        cr_assert(path_startswith_dir("/a/b", "/"));
        cr_assert(path_startswith_dir("/a/b/c", "/a/b"));
        cr_assert_not(path_startswith_dir("/ab", "/a"));
        cr_assert_not(path_startswith_dir("/a", "/a/b"));
        cr_assert_not(path_startswith_dir("/b/a", "/a"));
}
