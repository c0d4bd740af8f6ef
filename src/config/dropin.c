/* SPDX-License-Identifier: MIT */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "../shared/macro.h"
#include "dropin.h"

static void put_assignment(FILE *f, const char *key, const char *value) {
        fprintf(f, "%s=%s\n", key, value);
}

static const char *line_key_end(const char *l, size_t len) {
        const char *eq = memchr(l, '=', len);

        if (!eq)
                return NULL;
        while (eq > l && (eq[-1] == ' ' || eq[-1] == '\t'))
                eq--;
        return eq;
}

int dropin_text_set(const char *old, const char *section, const char *key, const char *value,
                    char **ret) {
        _cleanup_(freep) char *data = NULL;
        size_t size = 0;
        FILE *f;
        bool in_section = false, done = false;
        size_t klen = strlen(key), slen = strlen(section);
        const char *p = old ?: "";

        if (isempty(section) || isempty(key) || !value)
                return -EINVAL;
        f = open_memstream(&data, &size);
        if (!f)
                return -ENOMEM;
        if (!old)
                fputs("# Written by workerpoold (SetProperties, workerpoolctl set-property).\n", f);

        while (*p) {
                const char *nl = strchr(p, '\n');
                size_t len = nl ? (size_t) (nl - p) : strlen(p);
                const char *s = p, *kend;

                while (s < p + len && (*s == ' ' || *s == '\t'))
                        s++;
                if (*s == '[') {
                        /* Leaving our section without having seen the key: add it at its end. */
                        if (in_section && !done) {
                                put_assignment(f, key, value);
                                done = true;
                        }
                        in_section = (size_t) (p + len - s) >= slen + 2 && strneq(s + 1, section, slen) &&
                                     s[slen + 1] == ']';
                } else if (in_section && !done && (kend = line_key_end(s, (size_t) (p + len - s))) &&
                           (size_t) (kend - s) == klen && strneq(s, key, klen)) {
                        put_assignment(f, key, value);
                        done = true;
                        p += len + (nl ? 1 : 0);
                        continue;
                } else if (in_section && done && (kend = line_key_end(s, (size_t) (p + len - s))) &&
                           (size_t) (kend - s) == klen && strneq(s, key, klen)) {
                        /* a later duplicate would win over ours: drop it */
                        p += len + (nl ? 1 : 0);
                        continue;
                }
                fwrite(p, 1, len, f);
                fputs("\n", f);
                p += len + (nl ? 1 : 0);
        }
        if (!done) {
                if (!in_section) {
                        fputs("[", f);
                        fputs(section, f);
                        fputs("]\n", f);
                }
                put_assignment(f, key, value);
        }
        if (fclose(f) != 0 || !data)
                return -ENOMEM;
        *ret = TAKE_PTR(data);
        return 0;
}

