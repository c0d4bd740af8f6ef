/* SPDX-License-Identifier: MIT */
#pragma once

/* Drop-ins we write ourselves (SetProperties(), workerpoolctl set-property):
 * the text of an INI file edited one assignment at a time, and the file. */

#include <stddef.h>

/* The drop-in SetProperties() writes (without runtime) in NAME.pool.d/. */
#define DROPIN_SET_PROPERTY "50-set-property.conf"

typedef struct DropinAssignment {
        const char *section;            /* [section] the key belongs in */
        const char *key;
        const char *value;              /* "" resets to the default */
} DropinAssignment;

/* Replace (or add) Key=value in the [section] of a drop-in we manage, given
 * its old text (NULL: none). Lines we did not write are kept as they are.
 * Returns the new text in *ret (malloc'd). */
int dropin_text_set(const char *old, const char *section, const char *key, const char *value,
                    char **ret);

/* Persist as systemctl set-property does: merge the assignments into
 * CONFIG_DIR/POOL.pool.d/50-set-property.conf (creating the directories),
 * written atomically. *ret_path: that file (also on failure, for the
 * message), *ret_what: what failed ("read", "create the directory of",
 * "write"). */
int dropin_persist(const char *config_dir, const char *pool, const DropinAssignment *a, size_t n,
                   char **ret_path, const char **ret_what);
