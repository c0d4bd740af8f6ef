/* SPDX-License-Identifier: MIT */
#pragma once

/* Start a worker process directly inside its cgroup: clone3(CLONE_INTO_CGROUP |
 * CLONE_PIDFD | CLONE_VFORK), on x86-64 also CLONE_VM | CLONE_FILES with the
 * child on a stack of its own (as posix_spawn does), so a spawn costs the
 * same whatever the daemon's size and number of open fds. The worker gets
 * fds 0-2 and nothing else. Everything that can allocate or block is done before
 * the clone; the child only makes async-signal-safe calls and reports a
 * failure before exec into our memory (CLONE_VM) or through a close-on-exec
 * pipe. */

#include <linux/filter.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "../shared/macro.h"

/* Which step failed in the child, reported with the errno. */
typedef enum SpawnStep {
        SPAWN_STEP_NONE,
        SPAWN_STEP_SIGNALS,
        SPAWN_STEP_STDIO,
        SPAWN_STEP_SETSID,
        SPAWN_STEP_CHDIR,
        SPAWN_STEP_GROUPS,
        SPAWN_STEP_GID,
        SPAWN_STEP_UID,
        SPAWN_STEP_EXEC,
        SPAWN_STEP_RLIMIT,              /* setrlimit(): Limit*= */
        SPAWN_STEP_CAPABILITY_BOUNDING, /* PR_CAPBSET_DROP: CapabilityBoundingSet= */
        SPAWN_STEP_CAPABILITIES,        /* keep caps, capset, ambient: AmbientCapabilities= */
        SPAWN_STEP_NO_NEW_PRIVILEGES,   /* PR_SET_NO_NEW_PRIVS */
        SPAWN_STEP_SECCOMP,             /* seccomp(SECCOMP_SET_MODE_FILTER): SystemCallFilter= */
        SPAWN_STEP_OOM_SCORE_ADJUST,    /* /proc/self/oom_score_adj back to 0 */
        SPAWN_STEP_FILE_DESCRIPTORS,    /* close_range(): unshare the fd table, close all but 0-2 */
        SPAWN_STEP_PRIVATE_TMP,         /* mount namespace, tmpfs on /tmp and /var/tmp: PrivateTmp= */
        SPAWN_STEP_NAMESPACE,           /* setns(): join a worker's mount namespace (its PrivateTmp=) */
        _SPAWN_STEP_MAX,
} SpawnStep;

const char *spawn_step_to_string(SpawnStep s);
/* The same static string for a name spawn_step_to_string() gave, or NULL. */
const char *spawn_step_from_string(const char *s);

/* Exit status of a child that failed before exec (like systemd's EXIT_EXEC). */
#define SPAWN_EXIT_FAILED 203

typedef struct SpawnRlimit {
        int resource;                   /* RLIMIT_* */
        struct rlimit limit;
} SpawnRlimit;

typedef struct SpawnParams {
        char *const *argv;              /* argv[0]: absolute path */
        char *const *envp;
        const char *working_directory;  /* NULL: "/" */
        bool working_directory_missing_ok;
        int cgroup_fd;                  /* the worker's fresh leaf cgroup; -EBADF: the child stays
                                         * in the caller's cgroup (any other negative value, e.g. an
                                         * error from opening the leaf, is refused: -EINVAL) */
        int stdin_fd;                   /* -EBADF: /dev/null */
        /* Both of these are off when 0 (the default of a designated
         * initializer) or negative; an fd to use must be above 2. */
        int stdout_fd;                  /* stdout and stderr both go there (a pipe: output capture);
                                         * off: the caller's own */
        int stderr_fd;                  /* stderr alone goes there instead; off: as stdout */
        bool stdout_null, stderr_null;  /* /dev/null instead (StandardOutput=null, ...) */
        /* Sockets passed as fds 3.. in this order ($LISTEN_FDS); the rest
         * stays closed. listen_pid_env and listen_pidfdid_env, if not NULL,
         * are strings of envp ("LISTEN_PID=" and room for 20 digits) that
         * the child completes with its own pid and pidfd inode id, as
         * systemd does (the parent cannot know them). */
        const int *listen_fds;
        size_t n_listen_fds;
        char *listen_pid_env;
        char *listen_pidfdid_env;
        int mount_ns_fd;                /* setns(fd, CLONE_NEWNS) after setsid, before PrivateTmp= and
                                         * chdir: join another process's mount namespace (a pidfd) */
        bool reset_oom_score_adjust;    /* the daemon's own (e.g. -500) is not for workers */
        bool set_credentials;
        uid_t uid;
        gid_t gid;
        const gid_t *groups;
        size_t n_groups;

        /* [Sandbox]: PrivateTmp= before chdir; then in this order: umask, rlimits,
         * bounding set, credentials (above), ambient capabilities,
         * NO_NEW_PRIVS, seccomp; then execve. */
        mode_t umask;
        const SpawnRlimit *rlimits;     /* not owned */
        size_t n_rlimits;
        uint64_t capability_bounding_set; /* caps kept; UINT64_MAX: unchanged */
        uint64_t ambient_capabilities;  /* 0: none */
        bool no_new_privileges;
        bool private_tmp;               /* own mount namespace, fresh tmpfs on /tmp and /var/tmp */
        /* Built once per pool config by the daemon (not owned). NO_NEW_PRIVS
         * is set before loading it when required: no CAP_SYS_ADMIN left. */
        const struct sock_fprog *seccomp_filter;
} SpawnParams;

typedef struct SpawnResult {
        pid_t pid;
        int pidfd;                      /* owned by the caller */
        SpawnStep failed_step;          /* SPAWN_STEP_NONE: exec succeeded */
        int failed_errno;
} SpawnResult;

/* Returns 0 when a child was created (even if its exec then failed: see
 * ret->failed_step; the child has exited with SPAWN_EXIT_FAILED and must
 * still be reaped through its pidfd), or -errno when no child exists. */
int spawn_worker(const SpawnParams *p, SpawnResult *ret);

/* How the child gets its memory. AUTO: shared (CLONE_VM) where supported
 * (x86-64, not under AddressSanitizer), else a copy. The other two force
 * one path (tests: both are exercised). */
typedef enum SpawnMode {
        SPAWN_MODE_AUTO,
        SPAWN_MODE_SHARED,              /* -EOPNOTSUPP where not supported */
        SPAWN_MODE_COPY,
} SpawnMode;

void spawn_set_mode(SpawnMode mode);
bool spawn_shared_supported(void);
