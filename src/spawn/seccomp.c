/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../shared/macro.h"
#include "seccomp.h"

/* Group members unknown to libseccomp on every architecture (obsolete, never
 * implemented, or newer than the library): skipped when building a filter.
 * With libseccomp 2.5.4 every member resolves, so the list is empty;
 * tests/unit/test-seccomp.c fails when a member is neither resolvable nor
 * listed here (e.g. after adding a group member newer than libseccomp). */
const char *const seccomp_known_unresolvable[] = {
        NULL
};

const SyscallGroup *syscall_group_find(const char *name) {
        if (!name || name[0] != '@')
                return NULL;
        for (const SyscallGroup *g = syscall_groups; g->name; g++)
                if (streq(g->name, name))
                        return g;
        return NULL;
}

static int syscall_set_update_depth(uint8_t *set, const char *name, bool add, unsigned depth) {
        int nr, r;

        if (depth > 8)
                return -ELOOP;   /* a cycle in the table */

        if (name[0] == '@') {
                const SyscallGroup *g = syscall_group_find(name);

                if (!g)
                        return -EINVAL;
                for (const char *const *m = g->members; *m; m++) {
                        r = syscall_set_update_depth(set, *m, add, depth + 1);
                        if (r == -EINVAL && (*m)[0] != '@')
                                continue;   /* unknown to libseccomp: skipped */
                        if (r < 0)
                                return r;
                }
                return 0;
        }

        nr = seccomp_syscall_resolve_name(name);
        if (nr == __NR_SCMP_ERROR)
                return -EINVAL;
        if (nr < 0 || nr >= SYSCALL_SET_MAX)
                return 0;    /* known, but not on this architecture */
        if (add)
                set[nr / 8] |= (uint8_t) (1u << (nr % 8));
        else
                set[nr / 8] &= (uint8_t) ~(1u << (nr % 8));
        return 0;
}

int syscall_set_update(uint8_t *set, const char *name, bool add) {
        if (!name || !*name)
                return -EINVAL;
        return syscall_set_update_depth(set, name, add, 0);
}

int seccomp_program_build(const uint8_t *set, bool allow_list, int error_number,
                          const uint16_t *call_errno, struct sock_fprog *ret) {
        uint32_t deny = error_number > 0 ? SCMP_ACT_ERRNO((uint32_t) error_number) : SCMP_ACT_KILL_PROCESS;
        uint32_t listed = allow_list ? SCMP_ACT_ALLOW : deny;
        _cleanup_(closep) int fd = -EBADF;
        scmp_filter_ctx ctx;
        struct sock_filter *buf = NULL;
        off_t size;
        ssize_t n;
        int r;

        ctx = seccomp_init(allow_list ? deny : SCMP_ACT_ALLOW);
        if (!ctx)
                return -ENOMEM;
        /* The child loads the program itself; NO_NEW_PRIVS is its business. */
        r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
        if (r < 0)
                goto finish;
        r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
        if (r < 0)
                goto finish;
        for (int nr = 0; nr < SYSCALL_SET_MAX; nr++) {
                bool in_set = syscall_set_has(set, nr);
                uint32_t action = listed;

                /* A denied call with an errno of its own: listed in a deny
                 * list, or left out of an allow list. */
                if (call_errno && call_errno[nr] > 0 && in_set != allow_list)
                        action = SCMP_ACT_ERRNO(call_errno[nr]);
                else if (!in_set)
                        continue;
                r = seccomp_rule_add_exact(ctx, action, nr, 0);
                if (r == -EDOM)
                        continue;   /* not on this architecture */
                if (r < 0)
                        goto finish;
        }

        fd = memfd_create("workerpoold-seccomp", MFD_CLOEXEC);
        if (fd < 0) {
                r = -errno;
                goto finish;
        }
        r = seccomp_export_bpf(ctx, fd);
        if (r < 0)
                goto finish;
        size = lseek(fd, 0, SEEK_END);
        if (size < 0) {
                r = -errno;
                goto finish;
        }
        if (size == 0 || size % sizeof(struct sock_filter) != 0 ||
            size / sizeof(struct sock_filter) > BPF_MAXINSNS) {
                r = -E2BIG;
                goto finish;
        }
        buf = malloc((size_t) size);
        if (!buf) {
                r = -ENOMEM;
                goto finish;
        }
        n = pread(fd, buf, (size_t) size, 0);
        if (n != size) {
                r = n < 0 ? -errno : -EIO;
                free(buf);
                goto finish;
        }
        *ret = (struct sock_fprog) {
                .len = (unsigned short) (size / sizeof(struct sock_filter)),
                .filter = buf,
        };
        r = 0;
finish:
        seccomp_release(ctx);
        return r;
}

void seccomp_program_free(struct sock_fprog *p) {
        if (!p)
                return;
        free(p->filter);
        *p = (struct sock_fprog) {};
}

char *seccomp_syscall_name(int nr) {
        if (nr < 0)
                return NULL;
        return seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
}
