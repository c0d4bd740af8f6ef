/* SPDX-License-Identifier: MIT */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* uint64 key -> pointer hash map (chained, power-of-two buckets, grows at
 * load 1). O(1) expected for put/get/remove; iteration order is unspecified. */
typedef struct IdMapEntry IdMapEntry;
typedef struct IdMap {
        IdMapEntry **buckets;
        size_t n_buckets;
        size_t n_entries;
} IdMap;

void idmap_done(IdMap *m);              /* frees entries, not the values */
int idmap_put(IdMap *m, uint64_t key, void *value);    /* -EEXIST if present */
void *idmap_get(const IdMap *m, uint64_t key);
void *idmap_remove(IdMap *m, uint64_t key);
static inline size_t idmap_size(const IdMap *m) {
        return m->n_entries;
}
/* Iterate: *state starts at 0; returns NULL when done. Do not modify the map
 * while iterating. */
void *idmap_next(const IdMap *m, size_t *bucket, const IdMapEntry **cursor, uint64_t *ret_key);
