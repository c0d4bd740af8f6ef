/* SPDX-License-Identifier: MIT */
#pragma once

/* SystemCallFilter=: system call names and groups (seccomp-groups.c, data),
 * sets of native system call numbers, and the BPF program built from them
 * ONCE per pool config in the daemon (libseccomp, exported with
 * seccomp_export_bpf()) and only loaded in the child with a plain
 * seccomp(SECCOMP_SET_MODE_FILTER) between clone and exec. */

#include <linux/filter.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct SyscallGroup {
        const char *name;               /* "@system-service" */
        const char *help;
        const char *const *members;     /* NULL-terminated: names, or "@group" */
} SyscallGroup;

/* {}-terminated. */
extern const SyscallGroup syscall_groups[];
/* Members of the groups that libseccomp 2.5 cannot resolve at all (not just
 * "not on this architecture"): skipped knowingly. NULL-terminated. */
extern const char *const seccomp_known_unresolvable[];

const SyscallGroup *syscall_group_find(const char *name);

/* A set of native system call numbers (0..SYSCALL_SET_MAX-1). */
#define SYSCALL_SET_MAX 1024
#define SYSCALL_SET_BYTES (SYSCALL_SET_MAX / 8)

static inline bool syscall_set_has(const uint8_t *set, int nr) {
        return nr >= 0 && nr < SYSCALL_SET_MAX && (set[nr / 8] & (1u << (nr % 8)));
}

/* Add (add=true) or remove the system call `name`, or every member of the
 * group "@name", to/from set. Names libseccomp knows but that do not exist
 * on this architecture are skipped. -EINVAL: unknown group or name (for a
 * member of a group: never, the table's unknown names are skipped). */
int syscall_set_update(uint8_t *set, const char *name, bool add);

/* Build the filter: allow_list: everything not in set gets the deny action;
 * else the calls in set get it. The deny action is SCMP_ACT_ERRNO(error_number)
 * when error_number > 0, else SCMP_ACT_KILL_PROCESS; call_errno (NULL: none,
 * else SYSCALL_SET_MAX entries) overrides it for single denied calls
 * (SystemCallFilter=~name:ERRNO): non-zero entries fail with that errno. System calls of a
 * non-native ABI always kill the process (SystemCallArchitectures=native is
 * implied: the set is resolved for the native architecture only). On success
 * ret->filter is malloc()ed: free with seccomp_program_free(). */
int seccomp_program_build(const uint8_t *set, bool allow_list, int error_number,
                          const uint16_t *call_errno, struct sock_fprog *ret);
void seccomp_program_free(struct sock_fprog *p);

/* The native name of system call nr, malloc()ed, or NULL (unknown, ENOMEM). */
char *seccomp_syscall_name(int nr);
