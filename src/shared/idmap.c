/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>

#include "idmap.h"
#include "macro.h"

struct IdMapEntry {
        uint64_t key;
        void *value;
        IdMapEntry *next;
};

static size_t bucket_of(uint64_t key, size_t n) {
        key ^= key >> 33;
        key *= UINT64_C(0xff51afd7ed558ccd);
        key ^= key >> 33;
        return (size_t) (key & (n - 1));
}

void idmap_done(IdMap *m) {
        for (size_t i = 0; i < m->n_buckets; i++)
                for (IdMapEntry *e = m->buckets[i], *n; e; e = n) {
                        n = e->next;
                        free(e);
                }
        free(m->buckets);
        *m = (IdMap) {};
}

static int idmap_grow(IdMap *m) {
        size_t n = m->n_buckets ? m->n_buckets * 2 : 64;
        IdMapEntry **b = calloc(n, sizeof(*b));

        if (!b)
                return -ENOMEM;
        for (size_t i = 0; i < m->n_buckets; i++)
                for (IdMapEntry *e = m->buckets[i], *next; e; e = next) {
                        size_t k = bucket_of(e->key, n);

                        next = e->next;
                        e->next = b[k];
                        b[k] = e;
                }
        free(m->buckets);
        m->buckets = b;
        m->n_buckets = n;
        return 0;
}

void *idmap_get(const IdMap *m, uint64_t key) {
        if (m->n_buckets == 0)
                return NULL;
        for (IdMapEntry *e = m->buckets[bucket_of(key, m->n_buckets)]; e; e = e->next)
                if (e->key == key)
                        return e->value;
        return NULL;
}

int idmap_put(IdMap *m, uint64_t key, void *value) {
        IdMapEntry *e;
        size_t k;
        int r;

        if (idmap_get(m, key))
                return -EEXIST;
        if (m->n_entries >= m->n_buckets) {
                r = idmap_grow(m);
                if (r < 0)
                        return r;
        }
        e = malloc(sizeof(*e));
        if (!e)
                return -ENOMEM;
        k = bucket_of(key, m->n_buckets);
        *e = (IdMapEntry) { .key = key, .value = value, .next = m->buckets[k] };
        m->buckets[k] = e;
        m->n_entries++;
        return 0;
}

void *idmap_remove(IdMap *m, uint64_t key) {
        if (m->n_buckets == 0)
                return NULL;
        for (IdMapEntry **p = &m->buckets[bucket_of(key, m->n_buckets)]; *p; p = &(*p)->next)
                if ((*p)->key == key) {
                        IdMapEntry *e = *p;
                        void *v = e->value;

                        *p = e->next;
                        free(e);
                        m->n_entries--;
                        return v;
                }
        return NULL;
}

void *idmap_next(const IdMap *m, size_t *bucket, const IdMapEntry **cursor, uint64_t *ret_key) {
        const IdMapEntry *e = *cursor ? (*cursor)->next : NULL;

        while (!e) {
                if (*bucket >= m->n_buckets)
                        return NULL;
                e = m->buckets[(*bucket)++];
        }
        *cursor = e;
        if (ret_key)
                *ret_key = e->key;
        return e->value;
}
