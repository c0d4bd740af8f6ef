/* SPDX-License-Identifier: MIT */
#pragma once

#include <errno.h>
#include <stdarg.h>
#include <syslog.h>

#include "macro.h"

/* Logging: to the journal (structured) when $JOURNAL_STREAM says our stderr is
 * the journal, else plain lines on stderr. */
void log_setup(void);
bool log_to_journal(void);              /* our stderr is the journal ($JOURNAL_STREAM) */
void log_set_max_level(int level);
int log_get_max_level(void);
int log_parse_level(const char *s);     /* "debug", "info", ..., or -EINVAL */

/* Returns -abs(error) (or 0 when error is 0) so callers can log and return. */
int log_internal(int level, int error, const char *file, int line, const char *func,
                 const char *format, ...) _printf_(6, 7);

/* Structured entry: MESSAGE is formatted from format, then extra fields as
 * "KEY=value" strings, terminated by NULL. */
int log_structv(int level, int error, const char *message_id, char *const *fields,
                const char *format, ...) _printf_(5, 6);
int log_structva(int level, int error, const char *message_id, char *const *fields,
                 const char *format, va_list ap) _printf_(5, 0);

#define log_full_errno(level, error, ...)                                               \
        ({                                                                              \
                int _l = (level), _e = (error);                                         \
                (log_get_max_level() >= _l)                                             \
                        ? log_internal(_l, _e, __FILE__, __LINE__, __func__, __VA_ARGS__) \
                        : -abs(_e);                                                     \
        })
#define log_full(level, ...) (void) log_full_errno(level, 0, __VA_ARGS__)

#define log_debug(...)   log_full(LOG_DEBUG, __VA_ARGS__)
#define log_info(...)    log_full(LOG_INFO, __VA_ARGS__)
#define log_notice(...)  log_full(LOG_NOTICE, __VA_ARGS__)
#define log_warning(...) log_full(LOG_WARNING, __VA_ARGS__)
#define log_error(...)   log_full(LOG_ERR, __VA_ARGS__)

#define log_debug_errno(e, ...)   log_full_errno(LOG_DEBUG, e, __VA_ARGS__)
#define log_info_errno(e, ...)    log_full_errno(LOG_INFO, e, __VA_ARGS__)
#define log_warning_errno(e, ...) log_full_errno(LOG_WARNING, e, __VA_ARGS__)
#define log_error_errno(e, ...)   log_full_errno(LOG_ERR, e, __VA_ARGS__)

#define log_oom() log_error_errno(-ENOMEM, "Out of memory.")
