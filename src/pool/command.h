/* SPDX-License-Identifier: MIT */
#pragma once

/* ExecStartPre=, ExecStopPost= (command.c): what the rest of the pool layer
 * needs besides pool_run_start_pre() and the others in pool.h. Each command
 * runs in a leaf of its own below the pool's cgroup,
 * NAME.pool/start-pre-N.command/ or stop-post-N.command/, a new N each
 * time. */

#include <stdbool.h>

typedef struct Pool Pool;

#define POOL_COMMAND_LEAF_SUFFIX ".command"

/* Whether name (a child of NAME.pool/) is the leaf of one of the pool's
 * commands, running or being emptied: a sweep of unknown leaves spares it. */
bool pool_commands_owns_leaf(const Pool *p, const char *name);
