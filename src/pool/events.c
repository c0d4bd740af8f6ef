/* SPDX-License-Identifier: MIT */
/* Lifecycle events: every journal entry of the pool layer with a
 * lifecycle MESSAGE_ID (pool_log_event()) is also kept, with the same
 * message and fields, in a ring of POOL_EVENT_RING per pool, and handed to
 * the host (the bus sends it as LifecycleEvent). One allocation per event,
 * freed when the ring turns: the history stays bounded, whatever happens.
 * Busy and idle reports are not events (a job is two of them): they are
 * counted (Jobs, workerpool_jobs_total, workerpool_busy_seconds_total). */
#include <stdlib.h>
#include <string.h>

#include "../shared/string-util.h"
#include "health.h"
#include "pool.h"

static const char *const event_type_table[_POOL_EVENT_TYPE_MAX] = {
        [POOL_EVENT_STARTED] = "started",   [POOL_EVENT_READY] = "ready",
        [POOL_EVENT_STOPPING] = "stopping", [POOL_EVENT_EXITED] = "exited",
        [POOL_EVENT_STATE] = "state",       [POOL_EVENT_SCALE] = "scale",
        [POOL_EVENT_RELOAD] = "reload",     [POOL_EVENT_REEXEC] = "reexec",
        [POOL_EVENT_HEALTH] = "health",     [POOL_EVENT_COMMAND] = "command",
};

static const char *const event_message_ids[_POOL_EVENT_TYPE_MAX] = {
        [POOL_EVENT_STARTED] = MESSAGE_ID_WORKER_STARTED,   [POOL_EVENT_READY] = MESSAGE_ID_WORKER_READY,
        [POOL_EVENT_STOPPING] = MESSAGE_ID_WORKER_STOPPING, [POOL_EVENT_EXITED] = MESSAGE_ID_WORKER_EXITED,
        [POOL_EVENT_STATE] = MESSAGE_ID_POOL_STATE,         [POOL_EVENT_SCALE] = MESSAGE_ID_SCALE,
        [POOL_EVENT_RELOAD] = MESSAGE_ID_RELOAD,            [POOL_EVENT_REEXEC] = MESSAGE_ID_REEXEC,
        [POOL_EVENT_HEALTH] = MESSAGE_ID_HEALTH_CHECK,      [POOL_EVENT_COMMAND] = MESSAGE_ID_POOL_COMMAND,
};

const char *pool_event_type_to_string(PoolEventType t) {
        return t >= 0 && t < _POOL_EVENT_TYPE_MAX ? event_type_table[t] : NULL;
}

PoolEventType pool_event_type_from_string(const char *s) {
        for (PoolEventType t = 0; s && t < _POOL_EVENT_TYPE_MAX; t++)
                if (streq(s, event_type_table[t]))
                        return t;
        return _POOL_EVENT_TYPE_INVALID;
}

PoolEventType pool_event_type_from_message_id(const char *id) {
        for (PoolEventType t = 0; id && t < _POOL_EVENT_TYPE_MAX; t++)
                if (streq(id, event_message_ids[t]))
                        return t;
        return _POOL_EVENT_TYPE_INVALID;
}

static PoolEvent *event_store(Pool *p, uint64_t seq, usec_t at, PoolEventType type, uint64_t worker, pid_t pid,
                              char *const *fields, const char *message) {
        size_t nm = strlen(message) + 1, nf = 1;
        PoolEvent *e;
        char *q;

        for (char *const *f = fields; f && *f; f++)
                nf += strlen(*f) + 1;
        if (!p->events) {
                p->events = calloc(POOL_EVENT_RING, sizeof *p->events);
                if (!p->events)
                        return NULL;    /* no memory: the journal has it */
        }
        e = malloc(sizeof *e + nm + nf);
        if (!e)
                return NULL;
        *e = (PoolEvent) {
                .seq = seq,
                .at = at,
                .type = type,
                .worker = worker,
                .pid = pid,
                .message = (char *) (e + 1),
        };
        memcpy(e->message, message, nm);
        e->fields = q = e->message + nm;
        for (char *const *f = fields; f && *f; f++) {
                size_t k = strlen(*f) + 1;

                memcpy(q, *f, k);
                q += k;
        }
        *q = '\0';
        free(p->events[p->events_pos]);
        p->events[p->events_pos] = e;
        p->events_pos = (p->events_pos + 1) % POOL_EVENT_RING;
        if (p->events_n < POOL_EVENT_RING)
                p->events_n++;
        return e;
}

void pool_event_record(Pool *p, const Worker *w, PoolEventType type, char *const *fields, const char *message) {
        PoolEvent *e = event_store(p, p->host->event_seq + 1, now_realtime(), type, w ? w->id : 0,
                                   w ? w->pid : 0, fields, message);

        if (!e)
                return;
        p->host->event_seq = e->seq;
        POOL_HOOK(p->host, event_recorded, p, e);
}

void pool_event_restore(Pool *p, uint64_t seq, usec_t at, PoolEventType type, uint64_t worker, pid_t pid,
                        char *const *fields, const char *message) {
        if (event_store(p, seq, at, type, worker, pid, fields, message))
                p->host->event_seq = MAX(p->host->event_seq, seq);
}

const PoolEvent *pool_event_get(const Pool *p, unsigned k) {
        if (k >= p->events_n)
                return NULL;
        return p->events[(p->events_pos + POOL_EVENT_RING - p->events_n + k) % POOL_EVENT_RING];
}

void pool_events_free(Pool *p) {
        if (!p->events)
                return;
        for (unsigned k = 0; k < POOL_EVENT_RING; k++)
                free(p->events[k]);
        p->events = mfree(p->events);
        p->events_n = p->events_pos = 0;
}
