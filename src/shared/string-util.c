/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "macro.h"
#include "string-util.h"

bool streq_ptr(const char *a, const char *b) {
        if (!a || !b)
                return a == b;
        return streq(a, b);
}

const char *startswith(const char *s, const char *prefix) {
        size_t l = strlen(prefix);

        return strncmp(s, prefix, l) == 0 ? s + l : NULL;
}

bool path_startswith_dir(const char *path, const char *dir) {
        const char *rest = startswith(path, dir);

        return rest && (*rest == '\0' || *rest == '/' || endswith(dir, "/"));
}

bool endswith(const char *s, const char *suffix) {
        size_t a = strlen(s), b = strlen(suffix);

        return a >= b && streq(s + a - b, suffix);
}

char *strstrip(char *s) {
        char *e;

        s += strspn(s, WHITESPACE);
        e = s + strlen(s);
        while (e > s && strchr(WHITESPACE, e[-1]))
                e--;
        *e = '\0';
        return s;
}
