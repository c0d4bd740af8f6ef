/* SPDX-License-Identifier: MIT */
#pragma once

/* The pool's share of [Sandbox]: the seccomp program, built ONCE per config
 * (when the pool is created or reconfigured), never per spawn; every worker
 * of the pool loads the same program between clone and exec. */

#include <linux/filter.h>
#include <stdbool.h>

typedef struct Pool Pool;

typedef struct PoolSandbox {
        struct sock_fprog filter;       /* owned: .filter malloc()ed; .len 0: none */
        int error;                      /* building failed (-errno): workers are refused */
} PoolSandbox;

/* (Re)build p->sandbox from p->config. Logs failures; afterwards workers of
 * a pool whose filter could not be built are refused (never started without
 * their filter). Returns 0 or the -errno it logged. */
int pool_sandbox_prepare(Pool *p);
void pool_sandbox_free(Pool *p);

/* For worker_start(): *ret is the program to load, or NULL when the pool has
 * no filter; -errno when it has one that could not be built. */
int pool_sandbox_filter(const Pool *p, const struct sock_fprog **ret);
