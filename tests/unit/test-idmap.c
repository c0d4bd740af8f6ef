/* SPDX-License-Identifier: MIT */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>

#include "shared/idmap.h"

Test(idmap, put_get_remove_grow) {
        IdMap m = {};
        size_t b = 0;
        const IdMapEntry *cur = NULL;
        uint64_t key, sum = 0;
        size_t n = 0;

        for (uint64_t k = 1; k <= 10000; k++)
                cr_assert_eq(idmap_put(&m, k, (void *) (uintptr_t) (k * 3)), 0);
        cr_assert_eq(idmap_put(&m, 5, (void *) 1), -EEXIST);
        cr_assert_eq(idmap_size(&m), 10000);
        for (uint64_t k = 1; k <= 10000; k++)
                cr_assert_eq((uintptr_t) idmap_get(&m, k), k * 3);
        cr_assert_null(idmap_get(&m, 10001));
        for (uint64_t k = 2; k <= 10000; k += 2)
                cr_assert_eq((uintptr_t) idmap_remove(&m, k), k * 3);
        cr_assert_null(idmap_remove(&m, 2));
        cr_assert_eq(idmap_size(&m), 5000);
        while (idmap_next(&m, &b, &cur, &key)) {
                cr_assert(key % 2 == 1);
                sum += key;
                n++;
        }
        cr_assert_eq(n, 5000);
        cr_assert_eq(sum, 5000ull * 5000ull);
        idmap_done(&m);
        cr_assert_eq(idmap_size(&m), 0);
}
