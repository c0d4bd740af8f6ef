/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "serialize.h"

void serialize_put_text(FILE *f, const char *s) {
        for (; *s; s++)
                switch (*s) {
                case '\\':
                        fputs("\\\\", f);
                        break;
                case '\t':
                        fputs("\\t", f);
                        break;
                case '\n':
                        fputs("\\n", f);
                        break;
                default:
                        fputc(*s, f);
                }
}

void serialize_unescape(char *s) {
        char *d = s;

        for (; *s; s++) {
                if (*s == '\\' && s[1]) {
                        s++;
                        *d++ = *s == 't' ? '\t' : *s == 'n' ? '\n' : *s;
                } else
                        *d++ = *s;
        }
        *d = 0;
}

int serialize_split(char *line, char **fields, int max) {
        int n = 0;

        for (char *p = line; p && n < max;) {
                fields[n++] = p;
                p = strchr(p, '\t');
                if (p)
                        *p++ = 0;
        }
        return n;
}
