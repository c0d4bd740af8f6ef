/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdint.h>
#include <sys/random.h>

/* A number in 0..n-1 (0 if n is 0), for jitter: not for secrets. */
static inline uint64_t random_u64_range(uint64_t n) {
        uint64_t v = 0;

        if (n <= 1)
                return 0;
        if (getrandom(&v, sizeof v, GRND_NONBLOCK) != (ssize_t) sizeof v)
                v = (uint64_t) (uintptr_t) &v ^ (uint64_t) n * UINT64_C(0x9e3779b97f4a7c15);
        return v % n;
}
