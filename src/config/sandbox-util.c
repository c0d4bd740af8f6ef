/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <linux/capability.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../shared/parse-util.h"
#include "sandbox-util.h"

static const char *const capability_names[] = {
        [CAP_CHOWN] = "CAP_CHOWN",
        [CAP_DAC_OVERRIDE] = "CAP_DAC_OVERRIDE",
        [CAP_DAC_READ_SEARCH] = "CAP_DAC_READ_SEARCH",
        [CAP_FOWNER] = "CAP_FOWNER",
        [CAP_FSETID] = "CAP_FSETID",
        [CAP_KILL] = "CAP_KILL",
        [CAP_SETGID] = "CAP_SETGID",
        [CAP_SETUID] = "CAP_SETUID",
        [CAP_SETPCAP] = "CAP_SETPCAP",
        [CAP_LINUX_IMMUTABLE] = "CAP_LINUX_IMMUTABLE",
        [CAP_NET_BIND_SERVICE] = "CAP_NET_BIND_SERVICE",
        [CAP_NET_BROADCAST] = "CAP_NET_BROADCAST",
        [CAP_NET_ADMIN] = "CAP_NET_ADMIN",
        [CAP_NET_RAW] = "CAP_NET_RAW",
        [CAP_IPC_LOCK] = "CAP_IPC_LOCK",
        [CAP_IPC_OWNER] = "CAP_IPC_OWNER",
        [CAP_SYS_MODULE] = "CAP_SYS_MODULE",
        [CAP_SYS_RAWIO] = "CAP_SYS_RAWIO",
        [CAP_SYS_CHROOT] = "CAP_SYS_CHROOT",
        [CAP_SYS_PTRACE] = "CAP_SYS_PTRACE",
        [CAP_SYS_PACCT] = "CAP_SYS_PACCT",
        [CAP_SYS_ADMIN] = "CAP_SYS_ADMIN",
        [CAP_SYS_BOOT] = "CAP_SYS_BOOT",
        [CAP_SYS_NICE] = "CAP_SYS_NICE",
        [CAP_SYS_RESOURCE] = "CAP_SYS_RESOURCE",
        [CAP_SYS_TIME] = "CAP_SYS_TIME",
        [CAP_SYS_TTY_CONFIG] = "CAP_SYS_TTY_CONFIG",
        [CAP_MKNOD] = "CAP_MKNOD",
        [CAP_LEASE] = "CAP_LEASE",
        [CAP_AUDIT_WRITE] = "CAP_AUDIT_WRITE",
        [CAP_AUDIT_CONTROL] = "CAP_AUDIT_CONTROL",
        [CAP_SETFCAP] = "CAP_SETFCAP",
        [CAP_MAC_OVERRIDE] = "CAP_MAC_OVERRIDE",
        [CAP_MAC_ADMIN] = "CAP_MAC_ADMIN",
        [CAP_SYSLOG] = "CAP_SYSLOG",
        [CAP_WAKE_ALARM] = "CAP_WAKE_ALARM",
        [CAP_BLOCK_SUSPEND] = "CAP_BLOCK_SUSPEND",
        [CAP_AUDIT_READ] = "CAP_AUDIT_READ",
        [38] = "CAP_PERFMON",
        [39] = "CAP_BPF",
        [40] = "CAP_CHECKPOINT_RESTORE",
};

int capability_from_name(const char *s) {
        if (!s)
                return -EINVAL;
        for (size_t i = 0; i < sizeof capability_names / sizeof capability_names[0]; i++)
                if (capability_names[i] && strcasecmp(capability_names[i], s) == 0)
                        return (int) i;
        return -EINVAL;
}

const char *capability_to_name(int cap) {
        if (cap < 0 || (size_t) cap >= sizeof capability_names / sizeof capability_names[0])
                return NULL;
        return capability_names[cap];
}

int capability_set_parse(const char *s, uint64_t *ret_mask, bool *ret_invert) {
        bool invert = false;
        uint64_t mask = 0;
        char word[64];

        while (*s == ' ' || *s == '\t')
                s++;
        if (*s == '~') {
                invert = true;
                s++;
        }
        for (;;) {
                size_t n;
                int cap;

                while (*s == ' ' || *s == '\t')
                        s++;
                if (!*s)
                        break;
                n = strcspn(s, " \t");
                if (n >= sizeof word)
                        return -EINVAL;
                memcpy(word, s, n);
                word[n] = 0;
                s += n;
                cap = capability_from_name(word);
                if (cap < 0)
                        return -EINVAL;
                mask |= UINT64_C(1) << cap;
        }
        *ret_mask = mask;
        *ret_invert = invert;
        return 0;
}

typedef enum RlimitUnit { RLU_BYTES, RLU_COUNT, RLU_SEC, RLU_USEC, RLU_NICE } RlimitUnit;

static const struct {
        const char *key;
        RlimitUnit unit;
} rlimit_table[RLIMIT_NLIMITS] = {
        [RLIMIT_CPU] = { "LimitCPU", RLU_SEC },
        [RLIMIT_FSIZE] = { "LimitFSIZE", RLU_BYTES },
        [RLIMIT_DATA] = { "LimitDATA", RLU_BYTES },
        [RLIMIT_STACK] = { "LimitSTACK", RLU_BYTES },
        [RLIMIT_CORE] = { "LimitCORE", RLU_BYTES },
        [RLIMIT_RSS] = { "LimitRSS", RLU_BYTES },
        [RLIMIT_NPROC] = { "LimitNPROC", RLU_COUNT },
        [RLIMIT_NOFILE] = { "LimitNOFILE", RLU_COUNT },
        [RLIMIT_MEMLOCK] = { "LimitMEMLOCK", RLU_BYTES },
        [RLIMIT_AS] = { "LimitAS", RLU_BYTES },
        [RLIMIT_LOCKS] = { "LimitLOCKS", RLU_COUNT },
        [RLIMIT_SIGPENDING] = { "LimitSIGPENDING", RLU_COUNT },
        [RLIMIT_MSGQUEUE] = { "LimitMSGQUEUE", RLU_BYTES },
        [RLIMIT_NICE] = { "LimitNICE", RLU_NICE },
        [RLIMIT_RTPRIO] = { "LimitRTPRIO", RLU_COUNT },
        [RLIMIT_RTTIME] = { "LimitRTTIME", RLU_USEC },
};

int rlimit_from_key(const char *key) {
        for (int i = 0; i < RLIMIT_NLIMITS; i++)
                if (rlimit_table[i].key && key && strcmp(rlimit_table[i].key, key) == 0)
                        return i;
        return -EINVAL;
}

const char *rlimit_to_key(int resource) {
        if (resource < 0 || resource >= RLIMIT_NLIMITS)
                return NULL;
        return rlimit_table[resource].key;
}

static int rlimit_parse_one(RlimitUnit unit, const char *s, rlim_t *ret) {
        uint64_t v;
        usec_t u;
        int r;

        if (strcmp(s, "infinity") == 0) {
                *ret = RLIM_INFINITY;
                return 0;
        }
        switch (unit) {
        case RLU_BYTES:
                r = parse_size(s, 0, &v);
                if (r < 0)
                        return r;
                if (v == UINT64_MAX)
                        return -ERANGE;
                break;
        case RLU_COUNT:
                r = parse_uint64(s, &v);
                if (r < 0)
                        return r;
                if (v == UINT64_MAX)
                        return -ERANGE;
                break;
        case RLU_SEC:
        case RLU_USEC:
                r = parse_time(s, unit == RLU_SEC ? USEC_PER_SEC : 1, &u);
                if (r < 0)
                        return r;
                if (u == USEC_INFINITY)
                        return -ERANGE;   /* spelled as a number: use "infinity" */
                v = unit == RLU_SEC ? (u + USEC_PER_SEC - 1) / USEC_PER_SEC : u;
                break;
        case RLU_NICE: {
                bool sign = s[0] == '+' || s[0] == '-';
                bool neg = s[0] == '-';
                uint64_t n;

                r = parse_uint64(s + sign, &n);
                if (r < 0)
                        return r;
                if (sign) {
                        /* a nice level -20..19 -> 40..1 */
                        if ((neg && n > 20) || (!neg && n > 19))
                                return -ERANGE;
                        v = neg ? 20 + n : 20 - n;
                } else {
                        if (n > 40)
                                return -ERANGE;
                        v = n;
                }
                break;
        }
        default:
                return -EINVAL;
        }
        *ret = (rlim_t) v;
        return 0;
}

int rlimit_parse(int resource, const char *s, struct rlimit *ret) {
        char soft[64];
        const char *colon;
        struct rlimit rl;
        int r;

        if (resource < 0 || resource >= RLIMIT_NLIMITS || !rlimit_table[resource].key || !s || !*s)
                return -EINVAL;
        colon = strchr(s, ':');
        if (colon) {
                if ((size_t) (colon - s) >= sizeof soft || colon == s || !colon[1])
                        return -EINVAL;
                memcpy(soft, s, (size_t) (colon - s));
                soft[colon - s] = 0;
                r = rlimit_parse_one(rlimit_table[resource].unit, soft, &rl.rlim_cur);
                if (r < 0)
                        return r;
                r = rlimit_parse_one(rlimit_table[resource].unit, colon + 1, &rl.rlim_max);
                if (r < 0)
                        return r;
                if (rl.rlim_cur > rl.rlim_max)
                        return -ERANGE;
        } else {
                r = rlimit_parse_one(rlimit_table[resource].unit, s, &rl.rlim_cur);
                if (r < 0)
                        return r;
                rl.rlim_max = rl.rlim_cur;
        }
        *ret = rl;
        return 0;
}
