/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "strv.h"

char **strv_free(char **l) {
        if (!l)
                return NULL;
        for (char **i = l; *i; i++)
                free(*i);
        free(l);
        return NULL;
}

size_t strv_length(char *const *l) {
        size_t n = 0;

        if (!l)
                return 0;
        while (l[n])
                n++;
        return n;
}

int strv_consume(char ***l, char *value) {
        size_t n;
        char **c;

        if (!value)
                return -ENOMEM;
        n = strv_length(*l);
        c = realloc(*l, sizeof(char *) * (n + 2));
        if (!c) {
                free(value);
                return -ENOMEM;
        }
        c[n] = value;
        c[n + 1] = NULL;
        *l = c;
        return 0;
}

int strv_extend(char ***l, const char *value) {
        return strv_consume(l, strdup(value));
}

char **strv_copy(char *const *l) {
        char **c = NULL;

        c = calloc(1, sizeof(char *));
        if (!c)
                return NULL;
        for (char *const *i = l; i && *i; i++)
                if (strv_extend(&c, *i) < 0)
                        return strv_free(c);
        return c;
}

bool strv_equal(char *const *a, char *const *b) {
        size_t i;

        if (strv_length(a) != strv_length(b))
                return false;
        for (i = 0; a && a[i]; i++)
                if (!streq(a[i], b[i]))
                        return false;
        return true;
}

char *strv_join(char *const *l, const char *separator) {
        size_t n = 0, k = strlen(separator);
        char *r, *p;

        for (char *const *i = l; i && *i; i++)
                n += strlen(*i) + k;
        r = malloc(n + 1);
        if (!r)
                return NULL;
        p = r;
        for (char *const *i = l; i && *i; i++) {
                if (i != l)
                        p = stpcpy(p, separator);
                p = stpcpy(p, *i);
        }
        *p = 0;
        return r;
}

char *strv_find(char *const *l, const char *s) {
        for (char *const *i = l; i && *i; i++)
                if (streq(*i, s))
                        return *i;
        return NULL;
}

int strv_env_set(char ***l, const char *assignment) {
        const char *eq = strchr(assignment, '=');
        size_t k;
        char *c;

        if (!eq || eq == assignment)
                return -EINVAL;
        k = eq - assignment + 1;
        for (char **i = *l; i && *i; i++)
                if (strneq(*i, assignment, k)) {
                        c = strdup(assignment);
                        if (!c)
                                return -ENOMEM;
                        free(*i);
                        *i = c;
                        return 0;
                }
        return strv_extend(l, assignment);
}

static int strv_cmp(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

void strv_sort(char **l) {
        size_t n = strv_length(l);

        if (n > 1)
                qsort(l, n, sizeof(char *), strv_cmp);
}
