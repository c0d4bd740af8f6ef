/* SPDX-License-Identifier: MIT */
#pragma once

/* Numbers, sizes, time spans and signals with systemd's spellings, and their
 * formatting. Pure functions, return 0 or -errno (-EINVAL bad syntax,
 * -ERANGE out of range); ret_* written only on success. */

#include <stdint.h>

#include "macro.h"

/* "512M", "1.5G", "4096", "infinity" (-> CGROUP_LIMIT_MAX), suffixes K M G T P E
 * base 1024 (also "KiB"? no: as systemd, K/M/G/T/P/E only, optional "B").
 * "50%" -> percent of `percent_base` (pass 0 to refuse percentages). */
int parse_size(const char *s, uint64_t percent_base, uint64_t *ret);
/* Time span: "100ms", "5s", "1min 30s", "2h", "1d", "us", "infinity"
 * (-> USEC_INFINITY); a bare number is in `default_unit` (usec). */
int parse_time(const char *s, usec_t default_unit, usec_t *ret);
/* "50%" -> 50 (percent may exceed 100 when allow_over_100). */
int parse_percent(const char *s, bool allow_over_100, unsigned *ret);
/* CPUQuota=: "50%" -> 500000 usec per second; "" -> USEC_INFINITY. */
int parse_cpu_quota(const char *s, usec_t *ret);
int parse_uint32(const char *s, uint32_t *ret);
/* An octal mode ("0660", "027"), at most max (07777, 0777): -EINVAL, -ERANGE. */
int parse_mode(const char *s, unsigned max, unsigned *ret);
int parse_uint64(const char *s, uint64_t *ret);
int parse_boolean(const char *s);       /* yes/no/true/false/on/off/1/0 -> 1/0 */
/* Signal name ("SIGTERM", "TERM") or number -> signal number. */
int parse_signal(const char *s);
const char *signal_to_string(int sig);  /* "SIGTERM", or NULL if unknown */

/* Format helpers for logs and the bus. buf must hold at least 64 bytes. */
char *format_bytes(char *buf, size_t n, uint64_t bytes);   /* "256M", "infinity" */
char *format_timespan(char *buf, size_t n, usec_t t);      /* "1min 30s", "infinity" */
