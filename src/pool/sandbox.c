/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>

#include "../shared/log.h"
#include "../spawn/seccomp.h"
#include "pool.h"
#include "sandbox.h"

void pool_sandbox_free(Pool *p) {
        if (!p || !p->sandbox)
                return;
        seccomp_program_free(&p->sandbox->filter);
        p->sandbox = mfree(p->sandbox);
}

int pool_sandbox_prepare(Pool *p) {
        const PoolConfig *c = p->config;
        PoolSandbox *s;
        uint8_t none[SYSCALL_SET_BYTES] = {};
        int r;

        pool_sandbox_free(p);

        /* PrivateTmp= hides a notify socket under /tmp or /var/tmp (only
         * when --runtime-dir points there): say so now, rather than let
         * every worker time out waiting for READY=1. */
        if (c->private_tmp && c->type == POOL_TYPE_NOTIFY && p->host->notify_path &&
            (strneq(p->host->notify_path, "/tmp/", 5) || strneq(p->host->notify_path, "/var/tmp/", 9)))
                log_warning("Pool %s: PrivateTmp=yes hides the notify socket %s from the workers; "
                            "Type=notify workers will not reach it. Use a --runtime-dir outside "
                            "/tmp and /var/tmp.", p->name, p->host->notify_path);

        if (!pool_config_has_seccomp_filter(c))
                return 0;

        s = calloc(1, sizeof(*s));
        if (!s)
                return log_oom();
        p->sandbox = s;

        /* SystemCallArchitectures=native alone: allow everything native. */
        if (c->syscall_filter_set)
                r = seccomp_program_build(c->syscall_filter, c->syscall_filter_allow_list,
                                          c->syscall_error_number, c->syscall_filter_errno, &s->filter);
        else
                r = seccomp_program_build(none, /* allow_list= */ false, 0, NULL, &s->filter);
        if (r < 0) {
                s->error = r;
                return log_error_errno(r, "Pool %s: cannot build the system call filter, "
                                          "workers will not be started: %m", p->name);
        }
        log_debug("Pool %s: system call filter built: %s list, %u BPF instructions, denied calls %s.",
                  p->name, c->syscall_filter_set && c->syscall_filter_allow_list ? "allow" : "deny",
                  (unsigned) s->filter.len,
                  c->syscall_error_number > 0 ? "fail with an errno" : "kill the process");
        return 0;
}

int pool_sandbox_filter(const Pool *p, const struct sock_fprog **ret) {
        if (!pool_config_has_seccomp_filter(p->config)) {
                *ret = NULL;
                return 0;
        }
        if (!p->sandbox)
                return -ENOMEM;   /* logged when it happened */
        if (p->sandbox->error < 0)
                return p->sandbox->error;
        *ret = &p->sandbox->filter;
        return 0;
}
