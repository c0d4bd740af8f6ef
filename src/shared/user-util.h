/* SPDX-License-Identifier: MIT */
#pragma once

/* User= / Group= / SocketUser= lookups through NSS, a name or a number.
 * NSS may allocate and block: call these in the daemon, never in a child
 * between clone and exec. Return 0, -ESRCH when there is no such entry,
 * or another -errno. */

#include <sys/types.h>

typedef struct UserEntry {
        uid_t uid;
        gid_t gid;              /* the user's primary group */
        char name[64], home[256], shell[128];
} UserEntry;

int user_lookup(const char *user, UserEntry *ret);
/* A number is looked up too: a gid without a group entry is -ESRCH. */
int group_lookup(const char *group, gid_t *ret);
