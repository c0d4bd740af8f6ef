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
#include "config/sandbox-util.h"
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

Test(sandbox, capabilities) {
        uint64_t m;
        bool inv;

        cr_assert_eq(capability_from_name("CAP_SYS_ADMIN"), 21);
        cr_assert_eq(capability_from_name("cap_net_bind_service"), 10);
        cr_assert_eq(capability_from_name("CAP_NOPE"), -EINVAL);
        cr_assert_str_eq(capability_to_name(40), "CAP_CHECKPOINT_RESTORE");
        cr_assert_eq(capability_set_parse("CAP_CHOWN CAP_KILL", &m, &inv), 0);
        cr_assert_eq(m, (UINT64_C(1) << 0) | (UINT64_C(1) << 5));
        cr_assert(!inv);
        cr_assert_eq(capability_set_parse("~CAP_SYS_ADMIN", &m, &inv), 0);
        cr_assert(inv);
        cr_assert_eq(m, UINT64_C(1) << 21);
        cr_assert_eq(capability_set_parse("CAP_CHOWN BOGUS", &m, &inv), -EINVAL);
}

Test(sandbox, rlimits) {
        struct rlimit rl;

        cr_assert_eq(rlimit_from_key("LimitNOFILE"), RLIMIT_NOFILE);
        cr_assert_eq(rlimit_from_key("LimitFOO"), -EINVAL);
        cr_assert_str_eq(rlimit_to_key(RLIMIT_CORE), "LimitCORE");
        cr_assert_eq(rlimit_parse(RLIMIT_NOFILE, "1024:4096", &rl), 0);
        cr_assert(rl.rlim_cur == 1024 && rl.rlim_max == 4096);
        cr_assert_eq(rlimit_parse(RLIMIT_NOFILE, "4096:1024", &rl), -ERANGE);
        cr_assert_eq(rlimit_parse(RLIMIT_STACK, "8M", &rl), 0);
        cr_assert(rl.rlim_cur == 8 << 20 && rl.rlim_max == 8 << 20);
        cr_assert_eq(rlimit_parse(RLIMIT_CORE, "infinity", &rl), 0);
        cr_assert(rl.rlim_cur == RLIM_INFINITY && rl.rlim_max == RLIM_INFINITY);
        cr_assert_eq(rlimit_parse(RLIMIT_CORE, "0:infinity", &rl), 0);
        cr_assert(rl.rlim_cur == 0 && rl.rlim_max == RLIM_INFINITY);
        cr_assert_eq(rlimit_parse(RLIMIT_CPU, "1min 30s", &rl), 0);
        cr_assert_eq(rl.rlim_cur, 90);
        cr_assert_eq(rlimit_parse(RLIMIT_CPU, "1500ms", &rl), 0);
        cr_assert_eq(rl.rlim_cur, 2);   /* rounded up */
        cr_assert_eq(rlimit_parse(RLIMIT_RTTIME, "100ms", &rl), 0);
        cr_assert_eq(rl.rlim_cur, 100000);
        cr_assert_eq(rlimit_parse(RLIMIT_NICE, "-5", &rl), 0);
        cr_assert_eq(rl.rlim_cur, 25);
        cr_assert_eq(rlimit_parse(RLIMIT_NICE, "+19", &rl), 0);
        cr_assert_eq(rl.rlim_cur, 1);
        cr_assert_eq(rlimit_parse(RLIMIT_NICE, "40", &rl), 0);
        cr_assert_eq(rlimit_parse(RLIMIT_NICE, "41", &rl), -ERANGE);
        cr_assert_eq(rlimit_parse(RLIMIT_NOFILE, "lots", &rl), -EINVAL);
        cr_assert_eq(rlimit_parse(RLIMIT_NOFILE, ":5", &rl), -EINVAL);
        cr_assert_eq(rlimit_parse(RLIMIT_NOFILE, "", &rl), -EINVAL);
}

static PoolConfig *new_config(void) {
        PoolConfig *c = NULL;

        cr_assert_eq(pool_config_new("t", NULL, &c), 0);
        return c;
}

static void set_ok(PoolConfig *c, const char *key, const char *value) {
        char *why = NULL;
        int r = pool_config_set_property(c, NULL, key, value, &why);

        cr_assert_eq(r, 0, "%s=%s: %s", key, value, why ?: "");
        free(why);
}

static void set_bad(PoolConfig *c, const char *key, const char *value, const char *needle) {
        char *why = NULL;

        cr_assert_eq(pool_config_set_property(c, NULL, key, value, &why), -EINVAL, "%s=%s", key, value);
        cr_assert(why && strstr(why, needle), "%s=%s: '%s' lacks '%s'", key, value, why ?: "", needle);
        free(why);
}

Test(sandbox_config, syscall_filter_merges_like_systemd) {
        PoolConfig *c = new_config();

        cr_assert(!pool_config_has_seccomp_filter(c));
        set_ok(c, "SystemCallFilter", "@system-service");
        cr_assert(c->syscall_filter_set && c->syscall_filter_allow_list);
        cr_assert(set_has_name(c->syscall_filter, "read"));
        set_ok(c, "SystemCallFilter", "~read @privileged");      /* removes from the allow list */
        cr_assert(!set_has_name(c->syscall_filter, "read"));
        cr_assert(!set_has_name(c->syscall_filter, "setuid"));
        cr_assert(set_has_name(c->syscall_filter, "execve"));
        set_ok(c, "SystemCallFilter", "");
        cr_assert(!c->syscall_filter_set);

        set_ok(c, "SystemCallFilter", "~@mount reboot");           /* a deny list */
        cr_assert(c->syscall_filter_set && !c->syscall_filter_allow_list);
        cr_assert(set_has_name(c->syscall_filter, "mount"));
        cr_assert(set_has_name(c->syscall_filter, "reboot"));
        cr_assert(!set_has_name(c->syscall_filter, "execve"));   /* no @default in a deny list */
        set_ok(c, "SystemCallFilter", "reboot");                  /* allowed again */
        cr_assert(!set_has_name(c->syscall_filter, "reboot"));
        cr_assert(pool_config_has_seccomp_filter(c));

        set_bad(c, "SystemCallFilter", "@bogus", "unknown system call group");
        set_bad(c, "SystemCallFilter", "nosuchcall", "unknown system call");
        pool_config_free(c);
}

static int nr_of(const char *name) {
        int nr = seccomp_syscall_resolve_name(name);

        cr_assert_geq(nr, 0, "%s", name);
        return nr;
}

/* ~name:ERRNO, as in systemd: a denied call fails with its own errno; the
 * later line wins for the call and its errno. */
Test(sandbox_config, syscall_filter_per_call_errno) {
        PoolConfig *c = new_config();

        set_ok(c, "SystemCallFilter", "~@reboot:EACCES mount");      /* a deny list */
        cr_assert(set_has_name(c->syscall_filter, "reboot"));
        cr_assert_eq(c->syscall_filter_errno[nr_of("reboot")], EACCES);
        cr_assert_eq(c->syscall_filter_errno[nr_of("kexec_load")], EACCES);   /* in @reboot */
        cr_assert_eq(c->syscall_filter_errno[nr_of("mount")], 0);             /* the default */
        set_ok(c, "SystemCallFilter", "~reboot:13");                 /* numbers too; later wins */
        cr_assert_eq(c->syscall_filter_errno[nr_of("reboot")], 13);
        set_ok(c, "SystemCallFilter", "~reboot");                    /* back to the default */
        cr_assert_eq(c->syscall_filter_errno[nr_of("reboot")], 0);
        set_ok(c, "SystemCallFilter", "~reboot:EPERM");
        set_ok(c, "SystemCallFilter", "reboot");                     /* allowed: no errno */
        cr_assert(!set_has_name(c->syscall_filter, "reboot"));
        cr_assert_eq(c->syscall_filter_errno[nr_of("reboot")], 0);

        set_bad(c, "SystemCallFilter", "mount:EPERM", "only goes with a denied call");
        set_bad(c, "SystemCallFilter", "~mount:EBOGUS", "errno name");
        set_bad(c, "SystemCallFilter", "~mount:0", "errno name");
        set_bad(c, "SystemCallFilter", "~nosuchcall:EPERM", "unknown system call");
        cr_assert(set_has_name(c->syscall_filter, "mount"));         /* refused lines change nothing */
        cr_assert_eq(c->syscall_filter_errno[nr_of("mount")], 0);

        set_ok(c, "SystemCallFilter", "");                           /* reset: errnos too */
        set_ok(c, "SystemCallFilter", "@system-service");            /* an allow list */
        set_ok(c, "SystemCallFilter", "~read:EIO");                  /* ~ in an allow list denies */
        cr_assert(!set_has_name(c->syscall_filter, "read"));
        cr_assert_eq(c->syscall_filter_errno[nr_of("read")], EIO);
        set_ok(c, "SystemCallFilter", "");
        for (size_t i = 0; i < ELEMENTSOF(c->syscall_filter_errno); i++)
                cr_assert_eq(c->syscall_filter_errno[i], 0);
        pool_config_free(c);
}

Test(sandbox_config, other_keys) {
        PoolConfig *c = new_config();

        cr_assert_eq(c->umask, 0022);
        cr_assert_eq(c->capability_bounding_set, UINT64_MAX);
        set_ok(c, "SystemCallErrorNumber", "EPERM");
        cr_assert_eq(c->syscall_error_number, EPERM);
        set_ok(c, "SystemCallErrorNumber", "13");
        cr_assert_eq(c->syscall_error_number, 13);
        set_ok(c, "SystemCallErrorNumber", "kill");
        cr_assert_eq(c->syscall_error_number, 0);
        set_bad(c, "SystemCallErrorNumber", "ENOPE", "errno name");
        set_ok(c, "SystemCallArchitectures", "native");
        cr_assert(c->syscall_archs_native && pool_config_has_seccomp_filter(c));
        set_bad(c, "SystemCallArchitectures", "x86 native", "native");

        set_ok(c, "CapabilityBoundingSet", "CAP_CHOWN CAP_KILL");
        cr_assert_eq(c->capability_bounding_set, (UINT64_C(1) << 0) | (UINT64_C(1) << 5));
        set_ok(c, "CapabilityBoundingSet", "~CAP_KILL");
        cr_assert_eq(c->capability_bounding_set, UINT64_C(1) << 0);
        set_ok(c, "CapabilityBoundingSet", "");
        cr_assert_eq(c->capability_bounding_set, 0);
        set_ok(c, "AmbientCapabilities", "CAP_NET_BIND_SERVICE");
        cr_assert_eq(c->ambient_capabilities, UINT64_C(1) << 10);
        set_bad(c, "AmbientCapabilities", "CAP_FLY", "capability names");

        set_ok(c, "UMask", "0027");
        cr_assert_eq(c->umask, 0027);
        set_bad(c, "UMask", "999", "octal");
        set_ok(c, "UMask", "");
        cr_assert_eq(c->umask, 0022);

        set_ok(c, "NoNewPrivileges", "yes");
        cr_assert(c->no_new_privileges);
        set_ok(c, "PrivateTmp", "yes");
        cr_assert(c->private_tmp);
        set_bad(c, "PrivateTmp", "sometimes", "boolean");
        set_bad(c, "NoNewPrivileges", "perhaps", "boolean");

        set_ok(c, "SupplementaryGroups", "adm 4");
        set_ok(c, "SupplementaryGroups", "users");
        cr_assert_eq(strv_length(c->supplementary_groups), 3);
        set_bad(c, "SupplementaryGroups", "bad/group", "group name");

        set_ok(c, "LimitNOFILE", "100:200");
        cr_assert(c->rlimits_set & (1u << RLIMIT_NOFILE));
        cr_assert(c->rlimits[RLIMIT_NOFILE].rlim_cur == 100 && c->rlimits[RLIMIT_NOFILE].rlim_max == 200);
        set_bad(c, "LimitNOFILE", "200:100", "soft limit above hard");
        set_ok(c, "LimitNOFILE", "");
        cr_assert(!(c->rlimits_set & (1u << RLIMIT_NOFILE)));
        set_ok(c, "LimitCORE", "infinity");
        set_ok(c, "LimitRTTIME", "1s");
        cr_assert_str_eq(pool_config_property_section("LimitSTACK"), "Sandbox");
        cr_assert_str_eq(pool_config_property_section("SystemCallFilter"), "Sandbox");
        pool_config_free(c);
}
