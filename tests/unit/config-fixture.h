/* SPDX-License-Identifier: MIT */
#pragma once

/* What the config tests share: a scratch directory and asserts on the
 * loader's error lists. */

#include <stddef.h>

#include "shared/macro.h"

/* mkdtemp() of $TMPDIR (or /tmp)/PREFIX-XXXXXX into root[size]. */
void scratch_dir_make(char *root, size_t size, const char *prefix);
/* rm -r; nothing if root is empty. */
void scratch_dir_remove(const char *root);
/* The list as "  one\n  two" for a failure message (a static buffer). */
const char *errors_joined(char **l);
/* Exactly this message (printf-formatted) is among errors. */
void assert_error(char **errors, const char *format, ...) _printf_(2, 3);
