/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <langinfo.h>
#include <locale.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../bus/bus-util.h"
#include "../shared/parse-util.h"
#include "../shared/string-util.h"
#include "../shared/strv.h"
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
ANSI(ansi_blue, "\033[0;1;34m")
ANSI(ansi_bold, "\033[1m")
ANSI(ansi_grey, "\033[0;38;5;245m")
ANSI(ansi_normal, "\033[0m")

const char *state_color(const char *s) {
        static const char *const red[] = { "failed", "hung", "oom-kill", "segfault", "abort", "seccomp",
                                           "stack-overflow", "exec-failed", "watchdog", "timeout", "protocol",
                                           "job-timeout", NULL };
        static const char *const yellow[] = { "degraded", "starting", "stopping", "killed", "signal",
                                              "exit-code", "unhealthy", NULL };
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
        size_t min_width[16];
        size_t width[16];       /* table_print_new(): what was printed so far */
        bool header_printed;    /* table_print_new() */
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

void table_set_min_width(Table *t, size_t column, size_t width) {
        if (column < t->n_columns)
                t->min_width[column] = width;
}

static void table_widen(const Table *t, size_t *width, size_t start) {
        for (size_t c = 0; c < t->n_columns; c++)
                width[c] = MAX(width[c], t->min_width[c]);
        for (size_t i = start; i < t->n_cells; i++) {
                size_t c = i % t->n_columns, w = text_width(t->cells[i].text);

                if (w > width[c])
                        width[c] = w;
        }
}

static void table_print_cells(const Table *t, FILE *f, const size_t *width, size_t start) {
        for (size_t i = start; i < t->n_cells; i++) {
                size_t c = i % t->n_columns, w = text_width(t->cells[i].text);
                size_t pad = width[c] > w ? width[c] - w : 0;
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

void table_print(const Table *t, FILE *f, bool legend) {
        size_t width[16] = {};
        size_t start = legend ? 0 : t->n_columns;

        table_widen(t, width, start);
        table_print_cells(t, f, width, start);
}

void table_print_new(Table *t, FILE *f, bool legend) {
        size_t start = legend && !t->header_printed ? 0 : t->n_columns;

        /* the header counts for the widths even when it was printed before */
        table_widen(t, t->width, legend ? 0 : t->n_columns);
        table_print_cells(t, f, t->width, start);
        t->header_printed = true;
        for (size_t i = t->n_columns; i < t->n_cells; i++)
                free(t->cells[i].text);
        t->n_cells = t->n_columns;
}

/* ---- JSON ---------------------------------------------------------------- */

FILE *json_begin(JsonDoc *d) {
        *d = (JsonDoc) {};
        d->f = open_memstream(&d->buf, &d->size);
        if (!d->f) {
                d->direct = true;
                d->f = stdout;
        }
        return d->f;
}

void json_end(JsonDoc *d, JsonMode mode) {
        if (d->direct) {
                fputc('\n', stdout);
                return;
        }
        if (fclose(d->f) == 0 && d->buf) {
                if (mode == JSON_PRETTY)
                        json_pretty_print(stdout, d->buf);
                else
                        fputs(d->buf, stdout);
                fputc('\n', stdout);
        }
        free(d->buf);
        *d = (JsonDoc) {};
}

static void indent(FILE *f, int depth) {
        fputc('\n', f);
        for (int i = 0; i < depth; i++)
                fputs("        ", f);
}

/* As sd-json's pretty format: eight spaces per level, " : " after a key,
 * empty objects and arrays on one line. */
void json_pretty_print(FILE *f, const char *s) {
        bool in_string = false, escaped = false;
        int depth = 0;

        for (const char *p = s; *p; p++) {
                char c = *p;

                if (in_string) {
                        fputc(c, f);
                        if (escaped)
                                escaped = false;
                        else if (c == '\\')
                                escaped = true;
                        else if (c == '"')
                                in_string = false;
                        continue;
                }
                switch (c) {
                case '"':
                        in_string = true;
                        fputc(c, f);
                        break;
                case '{':
                case '[':
                        if (p[1] == (c == '{' ? '}' : ']')) {
                                fputc(c, f);
                                fputc(*++p, f);
                                break;
                        }
                        fputc(c, f);
                        indent(f, ++depth);
                        break;
                case '}':
                case ']':
                        indent(f, --depth);
                        fputc(c, f);
                        break;
                case ',':
                        fputc(c, f);
                        indent(f, depth);
                        break;
                case ':':
                        fputs(" : ", f);
                        break;
                default:
                        fputc(c, f);
                }
        }
}

void json_kv_str(FILE *j, const char *key, const char *v, bool comma) {
        fprintf(j, "%s\"%s\":", comma ? "," : "", key);
        json_fputs(j, v);
}

void json_kv_u64(FILE *j, const char *key, uint64_t v, bool comma) {
        if (v == UINT64_MAX)
                fprintf(j, "%s\"%s\":null", comma ? "," : "", key);
        else
                fprintf(j, "%s\"%s\":%" PRIu64, comma ? "," : "", key, v);
}

void json_kv_id(FILE *j, const char *key, uint64_t id) {
        json_kv_u64(j, key, id == 0 ? UINT64_MAX : id, true);
}

void json_kv_str_or_null(FILE *j, const char *key, const char *v) {
        if (isempty(v))
                fprintf(j, ",\"%s\":null", key);
        else
                json_kv_str(j, key, v, true);
}

/* ---- the pager ----------------------------------------------------------- */

static pid_t pager_pid;
static int saved_stdout = -1, saved_stderr = -1;

static bool executable_in_path(const char *name) {
        _cleanup_(freep) char *path = NULL;
        const char *p;

        if (strchr(name, '/'))
                return access(name, X_OK) == 0;
        path = strdup(getenv("PATH") ?: "/usr/local/bin:/usr/bin:/bin");
        if (!path)
                return false;
        for (char *save = NULL, *d = strtok_r(path, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
                _cleanup_(freep) char *f = NULL;

                p = *d ? d : ".";
                if (asprintf(&f, "%s/%s", p, name) < 0) {
                        f = NULL;
                        return false;
                }
                if (access(f, X_OK) == 0)
                        return true;
        }
        return false;
}

static char **split_words(const char *s) {
        _cleanup_(freep) char *copy = strdup(s);
        char **l = NULL;

        if (!copy)
                return NULL;
        for (char *save = NULL, *w = strtok_r(copy, " \t\n", &save); w; w = strtok_r(NULL, " \t\n", &save))
                if (strv_extend(&l, w) < 0)
                        return strv_free(l);
        return l;
}

static bool pager_secure_mode(void) {
        const char *e = getenv("SYSTEMD_PAGERSECURE");
        int b;

        if (e && (b = parse_boolean(e)) >= 0)
                return b;
        /* as systemd: on by default when the caller is not who we run as */
        return getenv("SUDO_UID") || getuid() != geteuid();
}

static bool locale_is_utf8(void) {
        const char *set;

        if (!setlocale(LC_CTYPE, ""))
                return false;
        set = nl_langinfo(CODESET);
        return set && (strcasecmp(set, "UTF-8") == 0 || strcasecmp(set, "utf8") == 0);
}

_Noreturn static void pager_fallback(void) {
        char buf[4096];
        ssize_t k;

        while ((k = read(STDIN_FILENO, buf, sizeof buf)) > 0 || (k < 0 && errno == EINTR))
                if (k > 0 && write(STDOUT_FILENO, buf, (size_t) k) != k)
                        _exit(EXIT_FAILURE);
        _exit(EXIT_SUCCESS);
}

void pager_open(bool disabled) {
        _cleanup_(strv_freep) char **user = NULL;
        const char *env, *term = getenv("TERM");
        bool secure;
        int fds[2];
        pid_t parent = getpid();

        if (disabled || pager_pid > 0)
                return;
        env = getenv("SYSTEMD_PAGER");
        if (!env)
                env = getenv("PAGER");
        if (env) {
                user = split_words(env);
                if (!user || !user[0] || streq(user[0], "cat"))
                        return;
        }
        if (!isatty(STDOUT_FILENO) || !term || streq(term, "dumb"))
                return;
        secure = pager_secure_mode();
        if (user && (!executable_in_path(user[0]) || (secure && !endswith(user[0], "less"))))
                user = strv_free(user);         /* as systemd: fall through to less */
        if (!user && !executable_in_path("less"))
                return;

        (void) colors_enabled();                /* decided on the terminal, kept for the pager */
        fflush(stdout);
        if (pipe2(fds, O_CLOEXEC) < 0)
                return;
        pager_pid = fork();
        if (pager_pid < 0) {
                pager_pid = 0;
                close(fds[0]);
                close(fds[1]);
                return;
        }
        if (pager_pid == 0) {
                if (dup2(fds[0], STDIN_FILENO) < 0)
                        _exit(EXIT_FAILURE);
                (void) setenv("LESS", getenv("SYSTEMD_LESS") ?: "FRSXMK", 1);
                if (!getenv("LESSCHARSET") && locale_is_utf8())
                        (void) setenv("LESSCHARSET", "utf-8", 1);
                if (secure)
                        (void) setenv("LESSSECURE", "1", 1);
                (void) prctl(PR_SET_PDEATHSIG, SIGTERM);
                if (getppid() != parent)
                        _exit(EXIT_SUCCESS);
                signal(SIGPIPE, SIG_DFL);
                if (user)
                        execvp(user[0], user);
                else
                        execlp("less", "less", (char *) NULL);
                fprintf(stderr, "Failed to execute the pager %s: %m\n", user ? user[0] : "less");
                pager_fallback();
        }
        saved_stdout = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
        if (dup2(fds[1], STDOUT_FILENO) < 0) {
                /* nothing to page: let it end */
                close(fds[0]);
                close(fds[1]);
                pager_close();
                return;
        }
        if (isatty(STDERR_FILENO)) {
                saved_stderr = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
                if (saved_stderr >= 0 && dup2(fds[1], STDERR_FILENO) < 0)
                        saved_stderr = safe_close(saved_stderr);
        }
        close(fds[0]);
        close(fds[1]);
}

void pager_close(void) {
        int status;

        if (pager_pid <= 0)
                return;
        fflush(stdout);
        fflush(stderr);
        /* our ends of the pipe closed: end of file for the pager */
        if (saved_stdout >= 0)
                (void) dup2(saved_stdout, STDOUT_FILENO);
        else
                (void) close(STDOUT_FILENO);
        saved_stdout = safe_close(saved_stdout);
        if (saved_stderr >= 0)
                (void) dup2(saved_stderr, STDERR_FILENO);
        saved_stderr = safe_close(saved_stderr);
        (void) kill(pager_pid, SIGCONT);
        while (waitpid(pager_pid, &status, 0) < 0 && errno == EINTR)
                ;
        pager_pid = 0;
}
