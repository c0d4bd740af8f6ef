/* SPDX-License-Identifier: MIT */
#pragma once

/* workerpoolctl's output: aligned tables (spaces, never tabs) and colours,
 * only when stdout is a terminal. */

#include <stdbool.h>
#include <stdio.h>

#include "../shared/macro.h"

bool colors_enabled(void);
const char *ansi_red(void);
const char *ansi_yellow(void);
const char *ansi_green(void);
const char *ansi_bold(void);
const char *ansi_grey(void);
const char *ansi_normal(void);
/* Colour for a pool or worker state, or an exit reason. */
const char *state_color(const char *state);

typedef struct Table Table;
Table *table_new(size_t n_columns, const char *const *headers);
Table *table_free(Table *t);
DEFINE_TRIVIAL_CLEANUP_FUNC(Table *, table_free);
/* Cells fill rows left to right. color may be NULL. */
int table_add(Table *t, const char *cell, const char *color);
int table_addf(Table *t, const char *color, const char *format, ...) _printf_(3, 4);
/* Right-align a column (numbers). */
void table_set_align_right(Table *t, size_t column);
size_t table_rows(const Table *t);
void table_print(const Table *t, FILE *f, bool legend);
