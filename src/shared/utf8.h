/* SPDX-License-Identifier: MIT */
#pragma once

/* UTF-8 as D-Bus wants it: every string on the bus must be valid, or
 * sd-bus refuses the whole message (a reply, a signal, GetManagedObjects).
 * Text we take from files is checked (a bad line is a config error); text
 * that workers or the kernel hand us is sanitized. */

#include <stdbool.h>
#include <stddef.h>

/* Length of the valid UTF-8 sequence at s (1..4; at most n bytes are
 * read), or 0 if the bytes there are not one (overlong forms, surrogates
 * and code points above U+10FFFF are invalid, as in D-Bus). */
size_t utf8_valid_len(const char *s, size_t n);
bool utf8_is_valid_n(const char *s, size_t n);
bool utf8_is_valid(const char *s);

/* Copy n bytes of src into dst (size bytes, NUL included) as valid UTF-8:
 * each invalid byte becomes U+FFFD, and the text is cut at a character
 * boundary so that it fits. A NUL in src ends it. Returns the length. */
size_t utf8_sanitize(char *dst, size_t size, const char *src, size_t n);
