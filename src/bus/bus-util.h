/* SPDX-License-Identifier: MIT */
#pragma once

/* Names of the D-Bus interface and pure helpers shared by the daemon's bus
 * layer and workerpoolctl. Nothing here talks to a bus or logs. */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <systemd/sd-bus.h>

#include "../shared/macro.h"

#define BUS_NAME                "org.workerpoold1"
#define BUS_PATH                "/org/workerpoold1"
#define BUS_POOL_PREFIX         "/org/workerpoold1/pool"
#define BUS_WORKER_PREFIX       "/org/workerpoold1/worker"
#define BUS_MANAGER_INTERFACE   "org.workerpoold1.Manager"
#define BUS_POOL_INTERFACE      "org.workerpoold1.Pool"
#define BUS_WORKER_INTERFACE    "org.workerpoold1.Worker"

#define BUS_ERROR_NO_SUCH_POOL    "org.workerpoold1.Error.NoSuchPool"
#define BUS_ERROR_NO_SUCH_WORKER  "org.workerpoold1.Error.NoSuchWorker"
#define BUS_ERROR_INVALID_VALUE   "org.workerpoold1.Error.InvalidValue"
#define BUS_ERROR_POOL_FAILED     "org.workerpoold1.Error.PoolFailed"
#define BUS_ERROR_OUT_OF_RANGE    "org.workerpoold1.Error.OutOfRange"
#define BUS_ERROR_NOT_PERMITTED   "org.workerpoold1.Error.NotPermitted"
#define BUS_ERROR_INVALID_CONFIG  "org.workerpoold1.Error.InvalidConfig"
#define BUS_ERROR_POOL_INACTIVE   "org.workerpoold1.Error.PoolInactive"

/* Each error name with the errno it stands for (sd_bus_error_add_map()). */
extern const sd_bus_error_map bus_workerpoold_errors[];


/* Signal for Kill/KillWorkers: "SIGTERM" or "TERM" (upper case, as kill(1)),
 * or a number 1.._NSIG-1. -EINVAL: not a signal, -ERANGE: number out of range. */
int bus_parse_signal(const char *s, int *ret);

/* Worker ids: plain decimal, 1..UINT64_MAX, no sign, no leading zeros. */
int bus_parse_worker_id(const char *s, uint64_t *ret);
/* "/org/workerpoold1/worker/<id>" -> id; -EINVAL for anything else. */
int bus_worker_path_parse(const char *path, uint64_t *ret);

/* A value we may write into a drop-in: printable, no backslash (line
 * continuation), no control characters, at most 4096 bytes. */
bool bus_property_value_is_safe(const char *v);



/* JSON string with quotes and escapes (control characters as \u00XX, invalid
 * UTF-8 bytes as U+FFFD). */
void json_fputs(FILE *f, const char *s);
/* Same into a malloc'd string; NULL on OOM. */
char *json_escape(const char *s);

/* Prometheus' text format (version 0.0.4): a label value with \\, \" and
 * \n escaped; a HELP text with \\ and \n escaped; a value ("3", "0.25",
 * "NaN", "+Inf"). */
void metrics_fputs_label_value(FILE *f, const char *s);
void metrics_fputs_help(FILE *f, const char *s);
void metrics_fput_value(FILE *f, double v);
/* Manager.GetMetrics()'s reply, a(sssa(a(ss)d)), in that format. */
int metrics_print(sd_bus_message *reply, FILE *f);
#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* Microseconds of CLOCK_REALTIME -> "2026-11-22 11:02:28" (local time), or
 * "n/a" for 0 / infinity. buf >= 32. */
char *format_timestamp(char *buf, size_t n, uint64_t usec);
