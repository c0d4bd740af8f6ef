/* SPDX-License-Identifier: MIT */
#pragma once

/* systemd's rate limit: at most `burst` events in an interval that opens
 * with the first of them. Only the window's start and count are kept: no
 * memory sized by the burst. */

#include <stdbool.h>

#include "macro.h"

typedef struct RateLimit {
        usec_t begin;           /* CLOCK_MONOTONIC: the window opened; 0: none yet */
        unsigned num;           /* events in it */
} RateLimit;

/* Count one more event at `now`: true if it is within the limit, false if
 * it is over (a burst of 0 or an interval of 0 or infinity: no limit). */
static inline bool ratelimit_below(RateLimit *rl, usec_t interval, unsigned burst, usec_t now) {
        if (interval == 0 || interval == USEC_INFINITY || burst == 0)
                return true;
        if (rl->begin == 0 || now - rl->begin > interval) {
                rl->begin = now;
                rl->num = 0;
        }
        if (rl->num < burst) {
                rl->num++;
                return true;
        }
        return false;
}
