/* SPDX-License-Identifier: MIT */
#pragma once

/* The re-exec state format's text fields: one record per line, fields
 * separated by tabs; text escapes \ tab and newline. */

#include <stdio.h>

void serialize_put_text(FILE *f, const char *s);
/* Undo serialize_put_text() in place. */
void serialize_unescape(char *s);
/* Split a line at tabs, in place: up to max fields; returns how many. */
int serialize_split(char *line, char **fields, int max);
