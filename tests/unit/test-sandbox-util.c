/* SPDX-License-Identifier: MIT */
#include <criterion/criterion.h>
#include <errno.h>
#include <linux/capability.h>
#include <stdint.h>
#include <sys/resource.h>

#include "config/sandbox-util.h"
#include "shared/macro.h"

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
