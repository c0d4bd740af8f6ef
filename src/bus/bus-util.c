/* SPDX-License-Identifier: MIT */
#include <inttypes.h>
#include <math.h>
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

/* ---- Prometheus text format ------------------------------------------- */

void metrics_fputs_label_value(FILE *f, const char *s) {
        for (; *s; s++)
                switch (*s) {
                case '\\': fputs("\\\\", f); break;
                case '"':  fputs("\\\"", f); break;
                case '\n': fputs("\\n", f); break;
                default:   fputc(*s, f);
                }
}

void metrics_fputs_help(FILE *f, const char *s) {
        for (; *s; s++)
                switch (*s) {
                case '\\': fputs("\\\\", f); break;
                case '\n': fputs("\\n", f); break;
                default:   fputc(*s, f);
                }
}

void metrics_fput_value(FILE *f, double v) {
        if (isnan(v))
                fputs("NaN", f);
        else if (isinf(v))
                fputs(v > 0 ? "+Inf" : "-Inf", f);
        else if (v == (double) (int64_t) v && fabs(v) < 1e15)
                fprintf(f, "%" PRIi64, (int64_t) v);
        else
                fprintf(f, "%.17g", v);
}

int metrics_print(sd_bus_message *reply, FILE *f) {
        const char *name, *type, *help;
        int r;

        r = sd_bus_message_enter_container(reply, 'a', "(sssa(a(ss)d))");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(reply, 'r', "sssa(a(ss)d)")) > 0) {
                r = sd_bus_message_read(reply, "sss", &name, &type, &help);
                if (r < 0)
                        return r;
                fprintf(f, "# HELP %s ", name);
                metrics_fputs_help(f, help);
                fprintf(f, "\n# TYPE %s %s\n", name, type);
                r = sd_bus_message_enter_container(reply, 'a', "(a(ss)d)");
                if (r < 0)
                        return r;
                while ((r = sd_bus_message_enter_container(reply, 'r', "a(ss)d")) > 0) {
                        const char *k, *v;
                        double value;
                        bool first = true;

                        fputs(name, f);
                        r = sd_bus_message_enter_container(reply, 'a', "(ss)");
                        if (r < 0)
                                return r;
                        while ((r = sd_bus_message_read(reply, "(ss)", &k, &v)) > 0) {
                                fprintf(f, "%s%s=\"", first ? "{" : ",", k);
                                metrics_fputs_label_value(f, v);
                                fputc('"', f);
                                first = false;
                        }
                        if (r < 0)
                                return r;
                        if (!first)
                                fputc('}', f);
                        r = sd_bus_message_exit_container(reply);
                        if (r >= 0)
                                r = sd_bus_message_read(reply, "d", &value);
                        if (r < 0)
                                return r;
                        fputc(' ', f);
                        metrics_fput_value(f, value);
                        fputc('\n', f);
                        r = sd_bus_message_exit_container(reply);
                        if (r < 0)
                                return r;
                }
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(reply);       /* samples */
                if (r >= 0)
                        r = sd_bus_message_exit_container(reply);       /* family */
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(reply);
}
