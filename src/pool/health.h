/* SPDX-License-Identifier: MIT */
#pragma once

/* ExecHealthCheck= (health.c): what the rest of the pool layer needs besides
 * worker_health_update()/worker_health_free() (pool.h). */

#include <stdbool.h>
#include <sys/types.h>

typedef struct Worker Worker;

/* Journal MESSAGE_IDs of health.c's and command.c's entries. */
#define MESSAGE_ID_HEALTH_CHECK   "d7c4cc2fba94456897134a0d7049f364"
#define MESSAGE_ID_POOL_COMMAND   "5dd76d849d3645f886668c1f5539cedc"

/* Where one probe leaves the worker. */
typedef enum HealthVerdict {
        HEALTH_PASSED,          /* it passed (the count of failures is reset) */
        HEALTH_FAILING,         /* it failed, fewer than HealthCheckRetries= in a row */
        HEALTH_UNHEALTHY,       /* HealthCheckRetries= failures in a row: replace the worker */
} HealthVerdict;

/* The counting, pure: *failures (in a row) after a probe that passed or
 * not; retries as HealthCheckRetries= (0 is taken as 1). */
HealthVerdict health_check_count(unsigned *failures, bool passed, unsigned retries);

/* The pid of the worker's running health check, 0 if none: NotifyAccess=exec
 * hears it (worker_may_notify()). */
pid_t worker_health_probe_pid(const Worker *w);
