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

typedef struct TableColumn {
        const char *header;
        bool align_right;       /* numbers */
} TableColumn;

typedef struct Table Table;
/* At most 16 columns. */
Table *table_new(const TableColumn *columns, size_t n_columns);
Table *table_free(Table *t);
DEFINE_TRIVIAL_CLEANUP_FUNC(Table *, table_free);
/* Cells fill rows left to right. color may be NULL. */
int table_add(Table *t, const char *cell, const char *color);
int table_addf(Table *t, const char *color, const char *format, ...) _printf_(3, 4);
size_t table_rows(const Table *t);
void table_print(const Table *t, FILE *f, bool legend);
