/* SPDX-License-Identifier: MIT */
#pragma once

/* workerpoolctl's output: aligned tables (spaces, never tabs), colours only
 * when stdout is a terminal, the pager, and JSON in two styles. */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "../shared/macro.h"

bool colors_enabled(void);
const char *ansi_red(void);
const char *ansi_yellow(void);
const char *ansi_green(void);
const char *ansi_blue(void);
const char *ansi_bold(void);
const char *ansi_grey(void);
const char *ansi_normal(void);
/* Colour for a pool or worker state, or an exit reason. */
const char *state_color(const char *state);

/* ---- the pager, as systemctl's ------------------------------------------
 * Only when stdout is a terminal and TERM is set and not "dumb". The
 * command is $SYSTEMD_PAGER, else $PAGER (split at whitespace); an empty one
 * or "cat" means no pager; one that is not found, or none set: less, if it
 * is found, else no pager. The pager gets LESS=$SYSTEMD_LESS or "FRSXMK"
 * (whatever LESS was), LESSCHARSET=utf-8 in a UTF-8 locale unless set, and
 * LESSSECURE=1 in secure mode ($SYSTEMD_PAGERSECURE true, or unset and
 * running under sudo), where only less is run. stderr goes to the pager too
 * when it is a terminal. Colours stay on (less -R). */
void pager_open(bool disabled);
/* Flush, give the pager its end of file and wait for it. Safe without one. */
void pager_close(void);

/* ---- JSON ---------------------------------------------------------------- */

typedef enum JsonMode {
        JSON_OFF,
        JSON_SHORT,             /* one line per document */
        JSON_PRETTY,            /* indented, as systemd's */
} JsonMode;

/* A document written (compact) to a memory stream, then printed as mode
 * says with a newline. json_begin() never fails: without memory it writes
 * straight to stdout (compact). */
typedef struct JsonDoc {
        FILE *f;
        char *buf;
        size_t size;
        bool direct;
} JsonDoc;
FILE *json_begin(JsonDoc *d);
void json_end(JsonDoc *d, JsonMode mode);
/* Re-indent one compact JSON text (as our printers make it) onto f. */
void json_pretty_print(FILE *f, const char *compact);
/* "key":value members of an object, after a comma if comma. A u64 of
 * UINT64_MAX is null; an id of 0 (none) is null; a string that is empty
 * (or NULL) is null. The last two always come after a comma. */
void json_kv_str(FILE *j, const char *key, const char *v, bool comma);
void json_kv_u64(FILE *j, const char *key, uint64_t v, bool comma);
void json_kv_id(FILE *j, const char *key, uint64_t id);
void json_kv_str_or_null(FILE *j, const char *key, const char *v);

/* ---- tables -------------------------------------------------------------- */

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
/* A column at least this wide (in characters). */
void table_set_min_width(Table *t, size_t column, size_t width);
void table_print(const Table *t, FILE *f, bool legend);
/* For output that goes on (events --follow): print the rows added since the
 * last call (the first time after the header, if legend) and drop them.
 * Widths never shrink between calls, so with wide enough minimum widths
 * every line lines up with the header. */
void table_print_new(Table *t, FILE *f, bool legend);
