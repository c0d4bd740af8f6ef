/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl-output.h"

bool colors_enabled(void) {
        static int cached = -1;
        const char *term;

        if (cached < 0) {
                term = getenv("TERM");
                cached = isatty(STDOUT_FILENO) && !getenv("NO_COLOR") && !(term && streq(term, "dumb"));
        }
        return cached;
}

#define ANSI(name, code)                                        \
        const char *name(void) {                                \
                return colors_enabled() ? code : "";            \
        }
ANSI(ansi_red, "\033[0;1;31m")
ANSI(ansi_yellow, "\033[0;1;33m")
ANSI(ansi_green, "\033[0;1;32m")
ANSI(ansi_bold, "\033[1m")
ANSI(ansi_grey, "\033[0;38;5;245m")
ANSI(ansi_normal, "\033[0m")

const char *state_color(const char *s) {
        static const char *const red[] = { "failed", "hung", "oom-kill", "segfault", "abort", "seccomp",
                                           "stack-overflow", "exec-failed", "watchdog", "timeout", NULL };
        static const char *const yellow[] = { "degraded", "starting", "stopping", "killed", "signal",
                                              "exit-code", NULL };
        static const char *const green[] = { "running", "idle", "success", NULL };

        if (!s)
                return NULL;
        for (size_t i = 0; red[i]; i++)
                if (streq(s, red[i]))
                        return ansi_red();
        for (size_t i = 0; yellow[i]; i++)
                if (streq(s, yellow[i]))
                        return ansi_yellow();
        for (size_t i = 0; green[i]; i++)
                if (streq(s, green[i]))
                        return ansi_green();
        return NULL;
}

typedef struct Cell {
        char *text;
        const char *color;
} Cell;

struct Table {
        size_t n_columns;
        Cell *cells;
        size_t n_cells, size;
        bool right[16];
};

Table *table_new(const TableColumn *columns, size_t n_columns) {
        Table *t;

        if (n_columns == 0 || n_columns > 16)
                return NULL;
        t = calloc(1, sizeof(*t));
        if (!t)
                return NULL;
        t->n_columns = n_columns;
        for (size_t i = 0; i < n_columns; i++) {
                if (table_add(t, columns[i].header, NULL) < 0)
                        return table_free(t);
                t->right[i] = columns[i].align_right;
        }
        return t;
}

Table *table_free(Table *t) {
        if (!t)
                return NULL;
        for (size_t i = 0; i < t->n_cells; i++)
                free(t->cells[i].text);
        free(t->cells);
        free(t);
        return NULL;
}

int table_add(Table *t, const char *cell, const char *color) {
        char *s;

        if (t->n_cells == t->size) {
                size_t size = t->size ? t->size * 2 : 64;
                Cell *c = realloc(t->cells, size * sizeof(Cell));

                if (!c)
                        return -ENOMEM;
                t->cells = c;
                t->size = size;
        }
        s = strdup(cell ?: "");
        if (!s)
                return -ENOMEM;
        /* never a tab or newline in a table */
        for (char *p = s; *p; p++)
                if ((unsigned char) *p < 0x20 || *p == 0x7f)
                        *p = ' ';
        t->cells[t->n_cells++] = (Cell) { s, color && *color ? color : NULL };
        return 0;
}

int table_addf(Table *t, const char *color, const char *format, ...) {
        _cleanup_(freep) char *s = NULL;
        va_list ap;
        int r;

        va_start(ap, format);
        r = vasprintf(&s, format, ap);
        va_end(ap);
        if (r < 0) {
                s = NULL;
                return -ENOMEM;
        }
        return table_add(t, s, color);
}

size_t table_rows(const Table *t) {
        return t->n_cells / t->n_columns - 1;
}

/* Display width: count UTF-8 lead bytes (good enough for names and paths). */
static size_t text_width(const char *s) {
        size_t w = 0;

        for (; *s; s++)
                if (((unsigned char) *s & 0xc0) != 0x80)
                        w++;
        return w;
}

void table_print(const Table *t, FILE *f, bool legend) {
        size_t width[16] = {};
        size_t start = legend ? 0 : t->n_columns;

        for (size_t i = start; i < t->n_cells; i++) {
                size_t c = i % t->n_columns, w = text_width(t->cells[i].text);

                if (w > width[c])
                        width[c] = w;
        }
        for (size_t i = start; i < t->n_cells; i++) {
                size_t c = i % t->n_columns, pad = width[c] - text_width(t->cells[i].text);
                bool last = c == t->n_columns - 1, header = i < t->n_columns;
                const char *color = header ? ansi_bold() : t->cells[i].color;

                if (t->right[c])
                        fprintf(f, "%*s", (int) pad, "");
                fprintf(f, "%s%s%s", color ?: "", t->cells[i].text, color && *color ? ansi_normal() : "");
                if (!last && !t->right[c])
                        fprintf(f, "%*s", (int) pad, "");
                fputs(last ? "\n" : "  ", f);
        }
}
