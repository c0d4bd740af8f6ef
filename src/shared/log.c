/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <systemd/sd-journal.h>
#include <time.h>

#include "log.h"
#include "strv.h"

static int max_level = LOG_INFO;
static bool use_journal = false;

static const char *const level_names[] = {
        [LOG_EMERG] = "emerg",   [LOG_ALERT] = "alert",   [LOG_CRIT] = "crit",
        [LOG_ERR] = "err",       [LOG_WARNING] = "warning", [LOG_NOTICE] = "notice",
        [LOG_INFO] = "info",     [LOG_DEBUG] = "debug",
};

int log_parse_level(const char *s) {
        for (size_t i = 0; i < ELEMENTSOF(level_names); i++)
                if (streq(s, level_names[i]))
                        return (int) i;
        if (streq(s, "error"))
                return LOG_ERR;
        return -EINVAL;
}

void log_set_max_level(int level) {
        max_level = level;
}

int log_get_max_level(void) {
        return max_level;
}

/* $JOURNAL_STREAM is "DEV:INO" of our stderr when systemd connected it to the
 * journal; only then do we talk to the journal directly. */
void log_setup(void) {
        const char *e = getenv("JOURNAL_STREAM");
        unsigned long long dev, ino;
        struct stat st;

        use_journal = false;
        if (!e || sscanf(e, "%llu:%llu", &dev, &ino) != 2)
                return;
        if (fstat(STDERR_FILENO, &st) < 0)
                return;
        use_journal = st.st_dev == dev && st.st_ino == ino;
}

bool log_to_journal(void) {
        return use_journal;
}

static void write_stderr(int level, const char *msg) {
        /* "<N>" prefixes let journald pick the level up even when we fall back. */
        if (getenv("JOURNAL_STREAM"))
                fprintf(stderr, "<%d>%s\n", level, msg);
        else
                fprintf(stderr, "workerpoold[%d]: %s\n", (int) getpid(), msg);
}

_printf_(8, 0)
static int log_dispatch(int level, int error, const char *file, int line, const char *func,
                        const char *message_id, char *const *fields, const char *format,
                        va_list ap) {
        char msg[2048];
        int saved = errno;

        errno = abs(error);
        (void) vsnprintf(msg, sizeof msg, format, ap);
        errno = saved;

        if (use_journal) {
                struct iovec iov[64];
                char buf[6][2300];
                size_t n = 0;

                snprintf(buf[0], sizeof buf[0], "MESSAGE=%s", msg);
                snprintf(buf[1], sizeof buf[1], "PRIORITY=%d", level);
                snprintf(buf[2], sizeof buf[2], "SYSLOG_IDENTIFIER=workerpoold");
                iov[n++] = (struct iovec) { buf[0], strlen(buf[0]) };
                iov[n++] = (struct iovec) { buf[1], strlen(buf[1]) };
                iov[n++] = (struct iovec) { buf[2], strlen(buf[2]) };
                if (error != 0) {
                        snprintf(buf[3], sizeof buf[3], "ERRNO=%d", abs(error));
                        iov[n++] = (struct iovec) { buf[3], strlen(buf[3]) };
                }
                if (message_id) {
                        snprintf(buf[4], sizeof buf[4], "MESSAGE_ID=%s", message_id);
                        iov[n++] = (struct iovec) { buf[4], strlen(buf[4]) };
                }
                if (file) {
                        snprintf(buf[5], sizeof buf[5], "CODE_FILE=%s", file);
                        iov[n++] = (struct iovec) { buf[5], strlen(buf[5]) };
                }
                for (char *const *f = fields; f && *f && n < ELEMENTSOF(iov); f++)
                        iov[n++] = (struct iovec) { *f, strlen(*f) };
                if (sd_journal_sendv(iov, (int) n) >= 0)
                        goto finish;
        }
        (void) line;
        (void) func;
        write_stderr(level, msg);
finish:
        return error == 0 ? 0 : -abs(error);
}

int log_internal(int level, int error, const char *file, int line, const char *func,
                 const char *format, ...) {
        va_list ap;
        int r;

        va_start(ap, format);
        r = log_dispatch(level, error, file, line, func, NULL, NULL, format, ap);
        va_end(ap);
        return r;
}

int log_structv(int level, int error, const char *message_id, char *const *fields,
                const char *format, ...) {
        va_list ap;
        int r;

        if (level > max_level)
                return error == 0 ? 0 : -abs(error);
        va_start(ap, format);
        r = log_dispatch(level, error, NULL, 0, NULL, message_id, fields, format, ap);
        va_end(ap);
        return r;
}

int log_structva(int level, int error, const char *message_id, char *const *fields, const char *format,
                 va_list ap) {
        if (level > max_level)
                return error == 0 ? 0 : -abs(error);
        return log_dispatch(level, error, NULL, 0, NULL, message_id, fields, format, ap);
}
