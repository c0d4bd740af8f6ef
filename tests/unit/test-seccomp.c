/* SPDX-License-Identifier: MIT */
/* SystemCallFilter= groups, the filter program, and the other [Sandbox]
 * value parsers (capabilities, Limit*=), plus their config keys. */
#include <criterion/criterion.h>
#include <errno.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "config/config.h"
#include "shared/macro.h"
#include "shared/strv.h"
#include "spawn/seccomp.h"

static bool knowingly_skipped(const char *name) {
        for (const char *const *k = seccomp_known_unresolvable; *k; k++)
                if (streq(*k, name))
                        return true;
        return false;
}

Test(seccomp, every_group_member_resolves_or_is_knowingly_skipped) {
        unsigned n_groups = 0, n_names = 0, n_other_arch = 0;

        for (const SyscallGroup *g = syscall_groups; g->name; g++, n_groups++) {
                cr_assert_eq(g->name[0], '@', "%s", g->name);
                cr_assert(g->help && *g->help, "%s has no help", g->name);
                cr_assert_not_null(g->members[0], "%s is empty", g->name);
                for (const char *const *m = g->members; *m; m++) {
                        int nr;

                        if ((*m)[0] == '@') {
                                cr_assert_not_null(syscall_group_find(*m), "%s: unknown group %s",
                                                   g->name, *m);
                                continue;
                        }
                        n_names++;
                        nr = seccomp_syscall_resolve_name(*m);
                        if (nr == __NR_SCMP_ERROR) {
                                cr_assert(knowingly_skipped(*m),
                                          "%s: '%s' unknown to libseccomp and not in "
                                          "seccomp_known_unresolvable[]", g->name, *m);
                                continue;
                        }
                        cr_assert(!knowingly_skipped(*m), "%s: '%s' resolves, remove it from "
                                  "seccomp_known_unresolvable[]", g->name, *m);
                        if (nr < 0)
                                n_other_arch++;   /* e.g. _llseek on x86-64 */
                        else
                                cr_assert_lt(nr, SYSCALL_SET_MAX, "%s: %s = %d", g->name, *m, nr);
                }
        }
        cr_assert_geq(n_groups, 28);
        cr_log_info("%u groups, %u names, %u not on this architecture", n_groups, n_names, n_other_arch);
}

Test(seccomp, groups_expand_without_cycles) {
        for (const SyscallGroup *g = syscall_groups; g->name; g++) {
                uint8_t set[SYSCALL_SET_BYTES] = {};

                cr_assert_eq(syscall_set_update(set, g->name, true), 0, "%s", g->name);
        }
}

static bool set_has_name(const uint8_t *set, const char *name) {
        return syscall_set_has(set, seccomp_syscall_resolve_name(name));
}

Test(seccomp, group_contents) {
        uint8_t svc[SYSCALL_SET_BYTES] = {}, priv[SYSCALL_SET_BYTES] = {};

        cr_assert_eq(syscall_set_update(svc, "@system-service", true), 0);
        cr_assert_eq(syscall_set_update(priv, "@privileged", true), 0);
        cr_assert(set_has_name(svc, "read"));
        cr_assert(set_has_name(svc, "execve"));     /* via @default */
        cr_assert(set_has_name(svc, "openat"));
        cr_assert(!set_has_name(svc, "reboot"));
        cr_assert(!set_has_name(svc, "mount"));
        cr_assert(!set_has_name(svc, "kexec_load"));
        cr_assert(set_has_name(priv, "reboot"));     /* via @reboot */
        cr_assert(set_has_name(priv, "iopl"));       /* via @raw-io */
        cr_assert(set_has_name(priv, "chown"));      /* via @chown */

        cr_assert_eq(syscall_set_update(svc, "read", false), 0);
        cr_assert(!set_has_name(svc, "read"));
        cr_assert_eq(syscall_set_update(svc, "@nonexistent", true), -EINVAL);
        cr_assert_eq(syscall_set_update(svc, "not_a_syscall", true), -EINVAL);
        cr_assert_eq(syscall_set_update(svc, "", true), -EINVAL);
        cr_assert_null(syscall_group_find("system-service"));
}

/* Each criterion test runs in a process of its own: load the program there
 * and make one reboot(2) with a bad magic (the filter answers before the
 * kernel's permission and magic checks; unfiltered it is EINVAL or EPERM).
 * No fork(): criterion's workers do not tolerate children of their own. */
static long load_and_reboot_errno(const uint8_t *set, bool allow_list, int error_number,
                                 const uint16_t *call_errno) {
        struct sock_fprog prog = {};

        cr_assert_eq(seccomp_program_build(set, allow_list, error_number, call_errno, &prog), 0);
        cr_assert_gt(prog.len, 0);
        cr_assert_eq(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), 0);
        cr_assert_eq(syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog), 0, "seccomp: %m");
        seccomp_program_free(&prog);
        cr_assert_null(prog.filter);
        return syscall(SYS_reboot, 0xdead, 0xbeef, 0, NULL);
}

static long load_and_reboot(const uint8_t *set, bool allow_list, int error_number) {
        return load_and_reboot_errno(set, allow_list, error_number, NULL);
}

Test(seccomp, deny_list_errno) {
        uint8_t set[SYSCALL_SET_BYTES] = {};

        cr_assert_eq(syscall_set_update(set, "@reboot", true), 0);
        cr_assert_eq(load_and_reboot(set, false, ENOTBLK), -1);
        cr_assert_eq(errno, ENOTBLK);
        cr_assert_eq(getpid() > 0, true);   /* everything else still works */
}

/* A deny list that kills, except reboot, which fails with its own errno. */
Test(seccomp, deny_list_per_call_errno) {
        uint8_t set[SYSCALL_SET_BYTES] = {};
        uint16_t call_errno[SYSCALL_SET_MAX] = {};

        cr_assert_eq(syscall_set_update(set, "@reboot", true), 0);
        call_errno[SYS_reboot] = EACCES;
        cr_assert_eq(load_and_reboot_errno(set, false, 0, call_errno), -1);
        cr_assert_eq(errno, EACCES);
}

/* An allow list without reboot: the default (EPERM) would answer, but
 * reboot's own errno does. */
Test(seccomp, allow_list_per_call_errno) {
        uint8_t set[SYSCALL_SET_BYTES] = {};
        uint16_t call_errno[SYSCALL_SET_MAX] = {};

        cr_assert_eq(syscall_set_update(set, "@system-service", true), 0);
        cr_assert(!syscall_set_has(set, SYS_reboot));
        call_errno[SYS_reboot] = ENOTBLK;
        call_errno[SYS_getpid] = EIO;    /* allowed calls ignore an errno */
        cr_assert_eq(load_and_reboot_errno(set, true, EPERM, call_errno), -1);
        cr_assert_eq(errno, ENOTBLK);
        cr_assert_gt(getpid(), 0);
}

Test(seccomp, deny_list_kills, .signal = SIGSYS) {
        uint8_t set[SYSCALL_SET_BYTES] = {};

        cr_assert_eq(syscall_set_update(set, "@reboot", true), 0);
        (void) load_and_reboot(set, false, 0);
        cr_assert_fail("reboot() returned under a kill filter");
}

Test(seccomp, allow_list_kills, .signal = SIGSYS) {
        uint8_t set[SYSCALL_SET_BYTES] = {};

        cr_assert_eq(syscall_set_update(set, "@system-service", true), 0);
        (void) load_and_reboot(set, true, 0);
        cr_assert_fail("reboot() returned under an @system-service allow list");
}

Test(seccomp, unfiltered_reboot_is_refused_by_the_kernel) {
        cr_assert_eq(syscall(SYS_reboot, 0xdead, 0xbeef, 0, NULL), -1);
        cr_assert(errno == EINVAL || errno == EPERM);
}

Test(seccomp, syscall_name) {
        char *n = seccomp_syscall_name(seccomp_syscall_resolve_name("reboot"));

        cr_assert_str_eq(n, "reboot");
        free(n);
        cr_assert_null(seccomp_syscall_name(-1));
}








/* ~name:ERRNO, as in systemd: a denied call fails with its own errno; the
 * later line wins for the call and its errno. */
