/* SPDX-License-Identifier: MIT */
/* The [Sandbox] value parsers (config-parsers.c), through the same entry
 * point the bus uses (pool_config_set_property()). */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <seccomp.h>
#include <sys/syscall.h>

#include "config/config.h"
#include "shared/macro.h"
#include "shared/strv.h"
#include "spawn/seccomp.h"

static bool set_has_name(const uint8_t *set, const char *name) {
        return syscall_set_has(set, seccomp_syscall_resolve_name(name));
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
