/* SPDX-License-Identifier: MIT */
#pragma once

/* Small string helpers (systemd's names). */

#include <stdbool.h>

#define WHITESPACE " \t\n\r"

bool streq_ptr(const char *a, const char *b);
const char *startswith(const char *s, const char *prefix);
/* Is path the directory dir or below it ("/a/b" in "/a", not in "/ab")? */
bool path_startswith_dir(const char *path, const char *dir);
bool endswith(const char *s, const char *suffix);
/* Strip leading and trailing whitespace in place; returns the new start. */
char *strstrip(char *s);
