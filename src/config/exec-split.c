/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exec-split.h"
#include "../shared/macro.h"
#include "../shared/string-util.h"
#include "../shared/strv.h"

static const char *skip_ws(const char *s) {
        return s + strspn(s, WHITESPACE);
}

/* Search path for ExecStart= program names, as systemd's default for units. */
static const char *const exec_search_path[] = {
        "/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin", NULL,
};

/* ---- words, quoting, ExecStart= ------------------------------------------ */

static int unhex(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -EINVAL;
}

/* p points just after a backslash. Returns the number of characters consumed
 * and the unescaped character in *ret, or -EINVAL. */
static int cunescape_one(const char *p, char *ret) {
        switch (p[0]) {
        case 'a': *ret = '\a'; return 1;
        case 'b': *ret = '\b'; return 1;
        case 'f': *ret = '\f'; return 1;
        case 'n': *ret = '\n'; return 1;
        case 'r': *ret = '\r'; return 1;
        case 't': *ret = '\t'; return 1;
        case 'v': *ret = '\v'; return 1;
        case 's': *ret = ' '; return 1;
        case ' ':
        case '\t':
        case '\\':
        case '"':
        case '\'':
        case ';':
                *ret = p[0];
                return 1;
        case 'x': {
                int a = unhex(p[1]), b;
                if (a < 0)
                        return -EINVAL;
                b = unhex(p[2]);
                if (b < 0)
                        return -EINVAL;
                if (a == 0 && b == 0)
                        return -EINVAL;        /* no NUL bytes */
                *ret = (char) ((a << 4) | b);
                return 3;
        }
        case '0' ... '7': {
                int v = 0;
                for (int i = 0; i < 3; i++) {
                        if (p[i] < '0' || p[i] > '7')
                                return -EINVAL;
                        v = v * 8 + (p[i] - '0');
                }
                if (v == 0 || v > 255)
                        return -EINVAL;
                *ret = (char) v;
                return 3;
        }
        default:
                return -EINVAL;
        }
}

/* Extract the next word from *p. Returns 1 and the word, 0 at the end, or
 * -EINVAL (with *why) on bad quoting. *ret_quoted: whether quotes or escapes
 * were used (then ";" is a plain argument, not a separator). */
static int extract_word(const char **p, char **ret, bool *ret_quoted, const char **why) {
        enum { UNQUOTED, SINGLE, DOUBLE } q = UNQUOTED;
        _cleanup_(freep) char *buf = NULL;
        bool quoted = false;
        const char *s;
        size_t n = 0;

        s = skip_ws(*p);
        if (*s == '\0') {
                *p = s;
                return 0;
        }

        buf = malloc(strlen(s) + 1);   /* unescaping only ever shrinks */
        if (!buf)
                return -ENOMEM;

        for (;; s++) {
                char c = *s;

                if (q == SINGLE) {
                        if (c == '\0') {
                                *why = "unterminated single quote";
                                return -EINVAL;
                        }
                        if (c == '\'')
                                q = UNQUOTED;
                        else
                                buf[n++] = c;
                        continue;
                }

                if (c == '\0') {
                        if (q == DOUBLE) {
                                *why = "unterminated double quote";
                                return -EINVAL;
                        }
                        break;
                }

                if (c == '\\') {
                        char u;
                        int k;

                        if (s[1] == '\0') {
                                *why = "trailing backslash";
                                return -EINVAL;
                        }
                        k = cunescape_one(s + 1, &u);
                        if (k < 0) {
                                *why = "invalid escape sequence";
                                return -EINVAL;
                        }
                        buf[n++] = u;
                        s += k;
                        quoted = true;
                        continue;
                }

                if (q == DOUBLE) {
                        if (c == '"')
                                q = UNQUOTED;
                        else
                                buf[n++] = c;
                        continue;
                }

                if (strchr(WHITESPACE, c))
                        break;
                if (c == '\'' || c == '"') {
                        q = c == '\'' ? SINGLE : DOUBLE;
                        quoted = true;
                        continue;
                }
                buf[n++] = c;
        }

        buf[n] = '\0';
        *p = s;
        if (ret_quoted)
                *ret_quoted = quoted;
        *ret = TAKE_PTR(buf);
        return 1;
}

int split_quoted_full(const char *s, char ***ret_words, const char **ret_reason) {
        _cleanup_(strv_freep) char **l = NULL;
        const char *why = NULL;
        int r;

        if (!s)
                return -EINVAL;

        l = calloc(1, sizeof(char *));
        if (!l)
                return -ENOMEM;

        for (;;) {
                char *w;

                r = extract_word(&s, &w, NULL, &why);
                if (r < 0) {
                        if (ret_reason && why)
                                *ret_reason = why;
                        return r;
                }
                if (r == 0)
                        break;
                r = strv_consume(&l, w);
                if (r < 0)
                        return r;
        }

        *ret_words = TAKE_PTR(l);
        return 0;
}

int split_quoted(const char *s, char ***ret_words) {
        return split_quoted_full(s, ret_words, NULL);
}

static int expand_specifiers(const char *w, const char *name, char **ret, const char **why) {
        size_t n = 0, name_len = name ? strlen(name) : 0;
        char *buf, *o;

        for (const char *c = w; *c; c++) {
                if (*c != '%') {
                        n++;
                        continue;
                }
                c++;
                if (*c == '%')
                        n++;
                else if (*c == 'n' && name)
                        n += name_len;
                else {
                        *why = "unknown specifier (only %n and %% are supported)";
                        return -EINVAL;
                }
        }

        buf = malloc(n + 1);
        if (!buf)
                return -ENOMEM;
        o = buf;
        for (const char *c = w; *c; c++) {
                if (*c != '%') {
                        *o++ = *c;
                        continue;
                }
                c++;
                if (*c == '%')
                        *o++ = '%';
                else
                        o = stpcpy(o, name);
        }
        *o = '\0';

        *ret = buf;
        return 0;
}

bool path_is_absolute_normalized(const char *p) {
        const char *c;

        if (!p || p[0] != '/')
                return false;
        if (streq(p, "/"))
                return true;

        for (c = p; *c; ) {
                size_t k;

                /* c points at a '/' */
                c++;
                k = strcspn(c, "/");
                if (k == 0)
                        return false;   /* "//" or trailing '/' */
                if ((k == 1 && c[0] == '.') || (k == 2 && c[0] == '.' && c[1] == '.'))
                        return false;
                c += k;
        }
        return true;
}

static int find_executable(const char *name, char **ret) {
        for (const char *const *d = exec_search_path; *d; d++) {
                _cleanup_(freep) char *path = NULL;
                struct stat st;

                if (asprintf(&path, "%s/%s", *d, name) < 0)
                        return -ENOMEM;
                if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
                        continue;
                if (access(path, X_OK) < 0)
                        continue;
                *ret = TAKE_PTR(path);
                return 0;
        }
        return -ENOENT;
}

int exec_split_full(const char *s, const char *name, char ***ret_argv, const char **ret_reason) {
        _cleanup_(strv_freep) char **l = NULL;
        const char *why = NULL, *p;
        int r;

        if (!s)
                return -EINVAL;

        p = skip_ws(s);
        if (*p == '\0') {
                why = "empty command line";
                r = -EINVAL;
                goto fail;
        }
        if (strchr("-@:+!", *p)) {
                why = "command prefixes (-@:+!) are not supported";
                r = -EINVAL;
                goto fail;
        }

        l = calloc(1, sizeof(char *));
        if (!l)
                return -ENOMEM;

        for (;;) {
                _cleanup_(freep) char *w = NULL;
                char *x = NULL;
                bool quoted;

                r = extract_word(&p, &w, &quoted, &why);
                if (r < 0)
                        goto fail;
                if (r == 0)
                        break;
                if (!quoted && streq(w, ";")) {
                        why = "';' (several commands) is not supported";
                        r = -EINVAL;
                        goto fail;
                }
                r = expand_specifiers(w, name, &x, &why);
                if (r < 0)
                        goto fail;
                r = strv_consume(&l, x);
                if (r < 0)
                        return r;
        }

        if (isempty(l[0])) {
                why = "empty program name";
                r = -EINVAL;
                goto fail;
        }

        if (strchr(l[0], '/')) {
                if (!path_is_absolute_normalized(l[0])) {
                        why = "the program must be an absolute, normalized path or a plain name";
                        r = -EINVAL;
                        goto fail;
                }
        } else {
                char *path;

                r = find_executable(l[0], &path);
                if (r == -ENOENT) {
                        why = "program not found in /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
                        goto fail;
                }
                if (r < 0)
                        return r;
                free(l[0]);
                l[0] = path;
        }

        *ret_argv = TAKE_PTR(l);
        return 0;

fail:
        if (r != -ENOMEM && ret_reason && why)
                *ret_reason = why;
        return r;
}

int exec_split(const char *s, const char *name, char ***ret_argv) {
        return exec_split_full(s, name, ret_argv, NULL);
}

static bool env_name_char(char c, bool first) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (!first && c >= '0' && c <= '9');
}

/* The value of NAME (n bytes) in env, or NULL. */
static const char *env_lookup(char *const *env, const char *name, size_t n) {
        for (char *const *e = env; e && *e; e++)
                if (strneq(*e, name, n) && (*e)[n] == '=')
                        return *e + n + 1;
        return NULL;
}

/* A whole word "$NAME": its name, or NULL. */
static const char *whole_word_variable(const char *w, size_t *ret_n) {
        size_t n = 0;

        if (w[0] != '$' || !env_name_char(w[1], true))
                return NULL;
        for (n = 1; w[1 + n]; n++)
                if (!env_name_char(w[1 + n], false))
                        return NULL;
        *ret_n = n;
        return w + 1;
}

static int expand_word(const char *w, char *const *env, char **ret) {
        _cleanup_(freep) char *out = NULL;
        size_t size = 0;
        FILE *f;

        f = open_memstream(&out, &size);
        if (!f)
                return -ENOMEM;
        for (const char *p = w; *p;) {
                const char *close, *v;

                if (p[0] == '$' && p[1] == '$') {
                        fputc('$', f);
                        p += 2;
                } else if (p[0] == '$' && p[1] == '{' && (close = strchr(p + 2, '}')) && close > p + 2) {
                        v = env_lookup(env, p + 2, (size_t) (close - p - 2));
                        if (v)
                                fputs(v, f);
                        p = close + 1;
                } else
                        fputc(*p++, f);
        }
        if (fclose(f) != 0 || !out)
                return -ENOMEM;
        *ret = TAKE_PTR(out);
        return 0;
}

int exec_expand_env(char *const *argv, char *const *env, char ***ret) {
        _cleanup_(strv_freep) char **l = NULL;
        int r;

        l = calloc(1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        for (char *const *a = argv; a && *a; a++) {
                const char *name, *v;
                char *word = NULL;
                size_t n;

                if (a != argv && (name = whole_word_variable(*a, &n))) {
                        v = env_lookup(env, name, n);
                        if (!v)
                                continue;       /* unset: no word at all */
                        for (const char *p = v + strspn(v, WHITESPACE); *p; p += strspn(p, WHITESPACE)) {
                                size_t k = strcspn(p, WHITESPACE);

                                word = strndup(p, k);
                                if (!word || strv_consume(&l, word) < 0)
                                        return -ENOMEM;
                                p += k;
                        }
                        continue;
                }
                if (a == argv)
                        word = strdup(*a);
                else {
                        r = expand_word(*a, env, &word);
                        if (r < 0)
                                return r;
                }
                if (!word || strv_consume(&l, word) < 0)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(l);
        return 0;
}
