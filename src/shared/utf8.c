/* SPDX-License-Identifier: MIT */
#include <stdint.h>
#include <string.h>

#include "utf8.h"

#define REPLACEMENT "\xef\xbf\xbd"      /* U+FFFD */

size_t utf8_valid_len(const char *str, size_t n) {
        const unsigned char *s = (const unsigned char *) str;
        unsigned c;
        size_t k;
        uint32_t cp;

        if (n == 0)
                return 0;
        c = s[0];
        if (c < 0x80)
                return 1;
        if (c >= 0xc2 && c <= 0xdf)
                k = 2, cp = c & 0x1f;
        else if (c >= 0xe0 && c <= 0xef)
                k = 3, cp = c & 0x0f;
        else if (c >= 0xf0 && c <= 0xf4)
                k = 4, cp = c & 0x07;
        else
                return 0;
        if (k > n)
                return 0;
        for (size_t i = 1; i < k; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
                cp = (cp << 6) | (s[i] & 0x3f);
        }
        if ((k == 3 && cp < 0x800) || (k == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff))
                return 0;
        return k;
}

bool utf8_is_valid_n(const char *s, size_t n) {
        for (size_t i = 0; i < n;) {
                size_t k = utf8_valid_len(s + i, n - i);

                if (k == 0)
                        return false;
                i += k;
        }
        return true;
}

bool utf8_is_valid(const char *s) {
        return utf8_is_valid_n(s, strlen(s));
}

size_t utf8_sanitize(char *dst, size_t size, const char *src, size_t n) {
        size_t out = 0;

        if (size == 0)
                return 0;
        for (size_t i = 0; i < n && src[i];) {
                size_t k = utf8_valid_len(src + i, n - i);
                const char *from = src + i;
                size_t len = k;

                if (k == 0) {
                        from = REPLACEMENT;
                        len = strlen(REPLACEMENT);
                        k = 1;
                }
                if (out + len + 1 > size)
                        break;          /* at a character boundary */
                memcpy(dst + out, from, len);
                out += len;
                i += k;
        }
        dst[out] = 0;
        return out;
}
