/* SPDX-License-Identifier: MIT */
#include <criterion/criterion.h>
#include <string.h>

#include "shared/utf8.h"

Test(utf8, valid_and_invalid) {
        cr_assert(utf8_is_valid(""));
        cr_assert(utf8_is_valid("plain ascii"));
        cr_assert(utf8_is_valid("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
        cr_assert(!utf8_is_valid("\xff"));
        cr_assert(!utf8_is_valid("\xfe\xff"));
        cr_assert(!utf8_is_valid("\xc3"), "cut in the middle of a character");
        cr_assert(!utf8_is_valid("\xe2\x82"), "cut in the middle of a character");
        cr_assert(!utf8_is_valid("\xc0\xaf"), "overlong /");
        cr_assert(!utf8_is_valid("\xe0\x80\xaf"), "overlong /");
        cr_assert(!utf8_is_valid("\xed\xa0\x80"), "a surrogate");
        cr_assert(!utf8_is_valid("\xf4\x90\x80\x80"), "above U+10FFFF");
        cr_assert(utf8_is_valid("\xf4\x8f\xbf\xbf"), "U+10FFFF");
        cr_assert_eq(utf8_valid_len("\xe2\x82\xac", 2), 0, "n bounds the read");
        cr_assert_eq(utf8_valid_len("\xe2\x82\xac", 3), 3);
}

Test(utf8, sanitize_replaces_invalid_bytes) {
        char buf[64];

        cr_assert_eq(utf8_sanitize(buf, sizeof buf, "a\xff" "b", 3), 5);
        cr_assert_str_eq(buf, "a\xef\xbf\xbd" "b");
        cr_assert(utf8_is_valid(buf));
        utf8_sanitize(buf, sizeof buf, "\xc3(", 2);
        cr_assert_str_eq(buf, "\xef\xbf\xbd(", "a lead byte without its continuation");
        utf8_sanitize(buf, sizeof buf, "x\0y", 3);
        cr_assert_str_eq(buf, "x", "a NUL ends it");
}

Test(utf8, sanitize_cuts_on_a_character_boundary) {
        char src[400], buf[256];
        size_t n = 0;

        for (int i = 0; i < 200; i++) {       /* "é" x 200: 400 bytes */
                src[n++] = '\xc3';
                src[n++] = '\xa9';
        }
        cr_assert_eq(utf8_sanitize(buf, sizeof buf, src, n), 254, "127 whole characters fit in 255 bytes");
        cr_assert(utf8_is_valid(buf));
        /* a replacement character that does not fit is left out entirely */
        cr_assert_eq(utf8_sanitize(buf, 4, "ab\xff", 3), 2);
        cr_assert_str_eq(buf, "ab");
        cr_assert_eq(utf8_sanitize(buf, 1, "abc", 3), 0);
        cr_assert_str_eq(buf, "");
}
