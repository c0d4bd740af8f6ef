/* SPDX-License-Identifier: MIT */
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../config/exec-split.h"
#include "../shared/fd-util.h"
#include "../shared/parse-util.h"
#include "../shared/strv.h"
#include "../shared/user-util.h"
#include "exec.h"
#include "pool.h"

/* The environment every process of the pool gets; with w, the worker's. */
static int pool_build_env(const Pool *p, const Worker *w, char ***ret) {
        PoolHost *h = p->host;
        _cleanup_(strv_freep) char **env = NULL;
        char buf[256];
        int r;

        env = strv_copy((char *const[]) { "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                                          NULL });
        if (!env)
                return -ENOMEM;
        snprintf(buf, sizeof buf, "WORKERPOOL_POOL=%s", p->name);
        if ((r = strv_extend(&env, buf)) < 0)
                return r;
        if (w) {
                snprintf(buf, sizeof buf, "WORKERPOOL_WORKER_ID=%" PRIu64, w->id);
                if ((r = strv_extend(&env, buf)) < 0)
                        return r;
        }
        if (w && p->config->type == POOL_TYPE_NOTIFY && h->notify_path) {
                char *e = NULL;

                if (asprintf(&e, "NOTIFY_SOCKET=%s", h->notify_path) < 0)
                        return -ENOMEM;
                if ((r = strv_consume(&env, e)) < 0)
                        return r;
        }
        if (w && p->config->watchdog_usec > 0 && p->config->watchdog_usec != USEC_INFINITY) {
                snprintf(buf, sizeof buf, "WATCHDOG_USEC=%" PRIu64, p->config->watchdog_usec);
                if ((r = strv_extend(&env, buf)) < 0)
                        return r;
        }
        for (char **e = p->config->environment; e && *e; e++)
                if ((r = strv_env_set(&env, *e)) < 0)
                        return r;
        *ret = TAKE_PTR(env);
        return 0;
}

typedef struct Credentials {
        uid_t uid;
        gid_t gid;
        gid_t groups[64];
        int n_groups;
        char home[256], user[64], shell[128];
} Credentials;

/* Resolved in the daemon before the clone: NSS may allocate and block.
 * Without User= (SupplementaryGroups= alone) the process stays root. */
static int resolve_credentials(const PoolConfig *c, Credentials *ret) {
        UserEntry u;
        int r;

        *ret = (Credentials) {};
        r = user_lookup(c->user ?: "0", &u);
        if (r < 0)
                return r;
        ret->uid = u.uid;
        ret->gid = u.gid;
        snprintf(ret->home, sizeof ret->home, "%s", u.home);
        snprintf(ret->user, sizeof ret->user, "%s", u.name);
        snprintf(ret->shell, sizeof ret->shell, "%s", u.shell);
        if (c->group) {
                r = group_lookup(c->group, &ret->gid);
                if (r < 0)
                        return r;
        }
        ret->n_groups = ELEMENTSOF(ret->groups);
        if (getgrouplist(ret->user, ret->gid, ret->groups, &ret->n_groups) < 0)
                ret->n_groups = 0;

        /* SupplementaryGroups=: added to the user's own groups; a number is
         * taken as it is. */
        for (char **g = c->supplementary_groups; g && *g; g++) {
                uint32_t id;
                gid_t gid;
                bool dup = false;

                if (parse_uint32(*g, &id) >= 0)
                        gid = (gid_t) id;
                else {
                        r = group_lookup(*g, &gid);
                        if (r < 0)
                                return r;
                }
                for (int k = 0; k < ret->n_groups; k++)
                        dup = dup || ret->groups[k] == gid;
                if (dup)
                        continue;
                if ((size_t) ret->n_groups >= ELEMENTSOF(ret->groups))
                        return -E2BIG;
                ret->groups[ret->n_groups++] = gid;
        }
        return 0;
}

/* Our own oom_score_adj (systemd's OOMScoreAdjust=), read once. */
static int daemon_oom_score_adjust(void) {
        static int cached = INT_MIN;
        char buf[32];

        if (cached == INT_MIN)
                cached = read_file_at(AT_FDCWD, "/proc/self/oom_score_adj", buf, sizeof buf, NULL) >= 0
                                 ? atoi(buf) : 0;
        return cached;
}

static int env_set_user(char ***env, const Credentials *cred) {
        const char *keys[] = { "HOME", "USER", "LOGNAME", "SHELL" };
        const char *values[] = { cred->home, cred->user, cred->user, cred->shell };
        char buf[512];
        int r;

        for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                snprintf(buf, sizeof buf, "%s=%s", keys[i], values[i]);
                if ((r = strv_env_set(env, buf)) < 0)
                        return r;
        }
        return 0;
}

void pool_exec_done(PoolExec *e) {
        e->env = strv_free(e->env);
        e->argv = strv_free(e->argv);
}

#ifndef PID_FS_MAGIC_NUMBER
#define PID_FS_MAGIC_NUMBER 0x50494446  /* linux/magic.h, 6.9 */
#endif

/* Whether this kernel's pidfds have inode ids of their own (pidfs, 6.9):
 * then LISTEN_PIDFDID tells a worker the variables are meant for it even
 * across pid reuse. */
static bool have_pidfs(void) {
        static int cached = -1;

        if (cached < 0) {
                struct statfs sfs;
                int fd = (int) syscall(SYS_pidfd_open, getpid(), 0);

                cached = fd >= 0 && fstatfs(fd, &sfs) >= 0 && sfs.f_type == PID_FS_MAGIC_NUMBER;
                if (fd >= 0)
                        (void) close(fd);
        }
        return cached;
}

/* systemd's socket protocol (sd_listen_fds(3)): LISTEN_FDS, LISTEN_FDNAMES,
 * and LISTEN_PID (and LISTEN_PIDFDID) filled in by the child itself. */
static int exec_listen_env(const Pool *p, PoolExec *ret) {
        const PoolConfig *c = p->config;
        _cleanup_(freep) char *names = NULL;
        char buf[64];
        size_t n = 0, k = 0;
        int r;

        for (size_t i = 0; i < p->n_listen_fds; i++)
                if (p->listen_fds[i] >= 0)
                        ret->listen_fds[n++] = p->listen_fds[i];
        snprintf(buf, sizeof buf, "LISTEN_FDS=%zu", n);
        if ((r = strv_env_set(&ret->env, buf)) < 0)
                return r;
        names = calloc(n, strlen(c->fd_name ?: p->name) + 1);
        if (!names && n > 0)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                k += (size_t) sprintf(names + k, "%s%s", i > 0 ? ":" : "", c->fd_name ?: p->name);
        if (n > 0) {
                _cleanup_(freep) char *e = NULL;

                if (asprintf(&e, "LISTEN_FDNAMES=%s", names) < 0)
                        return -ENOMEM;
                if ((r = strv_env_set(&ret->env, e)) < 0)
                        return r;
        }
        /* room for 20 digits, written in the child */
        if ((r = strv_env_set(&ret->env, "LISTEN_PID=00000000000000000000")) < 0)
                return r;
        if (have_pidfs() && (r = strv_env_set(&ret->env, "LISTEN_PIDFDID=00000000000000000000")) < 0)
                return r;
        for (char **e = ret->env; *e; e++) {
                if (strneq(*e, "LISTEN_PID=", 11))
                        ret->params.listen_pid_env = *e;
                else if (strneq(*e, "LISTEN_PIDFDID=", 15))
                        ret->params.listen_pidfdid_env = *e;
        }
        ret->params.listen_fds = ret->listen_fds;
        ret->params.n_listen_fds = n;
        return 0;
}

int pool_exec_prepare(const Pool *p, const Worker *w, char *const *argv, char *const *extra_env, PoolExec *ret) {
        const PoolConfig *c = p->config;
        SpawnParams *sp = &ret->params;
        Credentials cred;
        int r;

        *ret = (PoolExec) {};
        ret->failed = "cannot build the environment";
        r = pool_build_env(p, w, &ret->env);
        if (r < 0)
                return r;

        *sp = (SpawnParams) {
                .reset_oom_score_adjust = daemon_oom_score_adjust() != 0,
                .working_directory = c->working_directory,
                .working_directory_missing_ok = c->working_directory_missing_ok,
                .cgroup_fd = -EBADF,            /* the caller's */
                .stdin_fd = -EBADF,
                .umask = c->umask,
                .rlimits = ret->rlimits,
                .capability_bounding_set = c->capability_bounding_set,
                .ambient_capabilities = c->ambient_capabilities,
                .no_new_privileges = c->no_new_privileges,
                .private_tmp = c->private_tmp,
        };
        for (int k = 0; k < RLIMIT_NLIMITS; k++)
                if (c->rlimits_set & (UINT32_C(1) << k))
                        ret->rlimits[sp->n_rlimits++] = (SpawnRlimit) { .resource = k, .limit = c->rlimits[k] };
        /* The daemon's own soft limit is raised; a process of the pool gets
         * the kernel's default back, as systemd gives services, unless
         * LimitNOFILE= says. */
        if (!(c->rlimits_set & (UINT32_C(1) << RLIMIT_NOFILE)))
                ret->rlimits[sp->n_rlimits++] = (SpawnRlimit) { .resource = RLIMIT_NOFILE,
                                                                .limit = p->host->worker_nofile };
        /* Built once for the pool (pool_sandbox_prepare()); never started without it. */
        ret->failed = "no system call filter";
        r = pool_sandbox_filter(p, &sp->seccomp_filter);
        if (r < 0)
                return r;
        if (c->user || c->supplementary_groups) {
                ret->failed = "cannot resolve User= or its groups";
                r = resolve_credentials(c, &cred);
                if (r < 0)
                        return r;
                sp->set_credentials = true;
                sp->uid = cred.uid;
                sp->gid = cred.gid;
                memcpy(ret->groups, cred.groups, sizeof ret->groups);
                sp->groups = ret->groups;
                sp->n_groups = (size_t) cred.n_groups;
        }
        ret->failed = "cannot build the environment";
        if (c->user && (r = env_set_user(&ret->env, &cred)) < 0)
                return r;
        for (char *const *e = extra_env; e && *e; e++)
                if ((r = strv_env_set(&ret->env, *e)) < 0)
                        return r;
        if (w && p->n_listen_fds > 0) {
                ret->failed = "cannot pass the sockets";
                r = exec_listen_env(p, ret);
                if (r < 0)
                        return r;
        }
        sp->envp = ret->env;
        /* $VAR, ${VAR} and $$, from the process's own environment. */
        ret->failed = "cannot expand the command line";
        r = exec_expand_env(argv, ret->env, &ret->argv);
        if (r < 0)
                return r;
        sp->argv = ret->argv;
        ret->failed = NULL;
        return 0;
}
