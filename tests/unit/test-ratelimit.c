/* SPDX-License-Identifier: MIT */
#include <criterion/criterion.h>

#include "shared/ratelimit.h"

#define SEC USEC_PER_SEC

Test(ratelimit, window_opens_with_the_first) {
        RateLimit rl = {};

        cr_assert(ratelimit_below(&rl, 10 * SEC, 2, 100 * SEC));
        cr_assert(ratelimit_below(&rl, 10 * SEC, 2, 101 * SEC));
        cr_assert(!ratelimit_below(&rl, 10 * SEC, 2, 105 * SEC), "third within 10s of the first");
        cr_assert(ratelimit_below(&rl, 10 * SEC, 2, 111 * SEC), "a new window");
        cr_assert(ratelimit_below(&rl, 0, 2, 111 * SEC), "interval 0: no limit");
        cr_assert(ratelimit_below(&rl, 10 * SEC, 0, 111 * SEC), "burst 0: no limit");
}
