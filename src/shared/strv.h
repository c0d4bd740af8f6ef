/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* NULL-terminated string vectors ("strv"), as in systemd. */
char **strv_free(char **l);
static inline void strv_freep(char ***l) {
        *l = strv_free(*l);
}
size_t strv_length(char *const *l);
int strv_extend(char ***l, const char *value);       /* copies value */
int strv_consume(char ***l, char *value);            /* takes value, frees it on failure */
char **strv_copy(char *const *l);
bool strv_equal(char *const *a, char *const *b);
char *strv_join(char *const *l, const char *separator);
/* Set or replace KEY=VALUE in an environment block. */
int strv_env_set(char ***l, const char *assignment);
char *strv_find(char *const *l, const char *s);
/* Sort in place (strcmp order). */
void strv_sort(char **l);
