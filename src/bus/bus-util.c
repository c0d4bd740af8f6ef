/* SPDX-License-Identifier: MIT */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../shared/parse-util.h"
#include "../shared/utf8.h"
#include "bus-util.h"

/* The daemon registers it to send its errors with an errno, workerpoolctl
 * to turn them back into one: one table for both. */
const sd_bus_error_map bus_workerpoold_errors[] = {
        SD_BUS_ERROR_MAP(BUS_ERROR_NO_SUCH_POOL,   ENOENT),
        SD_BUS_ERROR_MAP(BUS_ERROR_NO_SUCH_WORKER, ESRCH),
        SD_BUS_ERROR_MAP(BUS_ERROR_INVALID_VALUE,  EINVAL),
        SD_BUS_ERROR_MAP(BUS_ERROR_POOL_FAILED,    EHOSTDOWN),
        SD_BUS_ERROR_MAP(BUS_ERROR_OUT_OF_RANGE,   ERANGE),
        SD_BUS_ERROR_MAP(BUS_ERROR_NOT_PERMITTED,  EPERM),
        SD_BUS_ERROR_MAP(BUS_ERROR_INVALID_CONFIG, EBADMSG),
        SD_BUS_ERROR_MAP(BUS_ERROR_POOL_INACTIVE,  ENOTCONN),
        SD_BUS_ERROR_MAP_END
};

int bus_parse_signal(const char *s, int *ret) {
        int sig;

        if (isempty(s) || strlen(s) > 32)
                return -EINVAL;
        sig = parse_signal(s);
        if (sig == -ERANGE)
                return -ERANGE;
        if (sig <= 0 || sig >= _NSIG)
                return -EINVAL;
        *ret = sig;
        return 0;
}

int bus_parse_worker_id(const char *s, uint64_t *ret) {
        uint64_t v = 0;

        if (isempty(s) || s[0] == '0')
                return -EINVAL;
        for (const char *p = s; *p; p++) {
                if (*p < '0' || *p > '9')
                        return -EINVAL;
                if (v > (UINT64_MAX - (uint64_t) (*p - '0')) / 10)
                        return -ERANGE;
                v = v * 10 + (uint64_t) (*p - '0');
        }
        *ret = v;
        return 0;
}

int bus_worker_path_parse(const char *path, uint64_t *ret) {
        size_t k = strlen(BUS_WORKER_PREFIX);

        if (!path || !strneq(path, BUS_WORKER_PREFIX, k) || path[k] != '/')
                return -EINVAL;
        return bus_parse_worker_id(path + k + 1, ret) < 0 ? -EINVAL : 0;
}

bool bus_property_value_is_safe(const char *v) {
        if (!v || strlen(v) > 4096)
                return false;
        for (const unsigned char *p = (const unsigned char *) v; *p; p++)
                if (*p < 0x20 || *p == 0x7f || *p == '\\')
                        return false;
        return true;
}

/* ---- drop-in text -------------------------------------------------------- */

typedef struct Buf {
        char *data;
        size_t n, size;
        bool oom;
} Buf;

static void buf_put(Buf *b, const char *s, size_t k) {
        if (b->oom)
                return;
        if (b->n + k + 1 > b->size) {
                size_t size = MAX(b->size * 2, b->n + k + 64);
                char *d = realloc(b->data, size);

                if (!d) {
                        b->oom = true;
                        return;
                }
                b->data = d;
                b->size = size;
        }
        memcpy(b->data + b->n, s, k);
        b->n += k;
        b->data[b->n] = 0;
}

static void buf_puts(Buf *b, const char *s) {
        buf_put(b, s, strlen(s));
}

/* ---- JSON ---------------------------------------------------------------- */

static void json_escape_buf(Buf *b, const char *str) {
        const unsigned char *s = (const unsigned char *) (str ?: "");
        char u[8];

        buf_puts(b, "\"");
        while (*s) {
                size_t n;

                switch (*s) {
                case '"':  buf_puts(b, "\\\""); s++; continue;
                case '\\': buf_puts(b, "\\\\"); s++; continue;
                case '\n': buf_puts(b, "\\n"); s++; continue;
                case '\r': buf_puts(b, "\\r"); s++; continue;
                case '\t': buf_puts(b, "\\t"); s++; continue;
                case '\b': buf_puts(b, "\\b"); s++; continue;
                case '\f': buf_puts(b, "\\f"); s++; continue;
                default:
                        break;
                }
                if (*s < 0x20 || *s == 0x7f) {
                        snprintf(u, sizeof u, "\\u%04x", *s);
                        buf_puts(b, u);
                        s++;
                        continue;
                }
                n = utf8_valid_len((const char *) s, 4);   /* stops at the NUL */
                if (n == 0) {
                        buf_puts(b, "\\ufffd");
                        s++;
                        continue;
                }
                buf_put(b, (const char *) s, n);
                s += n;
        }
        buf_puts(b, "\"");
}

char *json_escape(const char *s) {
        Buf b = {};

        json_escape_buf(&b, s);
        if (b.oom) {
                free(b.data);
                return NULL;
        }
        return b.data;
}

void json_fputs(FILE *f, const char *s) {
        _cleanup_(freep) char *e = json_escape(s);

        fputs(e ?: "null", f);
}

char *format_timestamp(char *buf, size_t n, uint64_t usec) {
        struct tm tm;
        time_t t;

        if (usec == 0 || usec == UINT64_MAX) {
                snprintf(buf, n, "n/a");
                return buf;
        }
        t = (time_t) (usec / USEC_PER_SEC);
        if (!localtime_r(&t, &tm) || strftime(buf, n, "%Y-%m-%d %H:%M:%S", &tm) == 0)
                snprintf(buf, n, "@%" PRIu64, usec / USEC_PER_SEC);
        return buf;
}
