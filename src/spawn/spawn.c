/* SPDX-License-Identifier: MIT */
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "spawn.h"

static const char *const step_names[_SPAWN_STEP_MAX] = {
        [SPAWN_STEP_NONE] = "none",     [SPAWN_STEP_SIGNALS] = "signals",
        [SPAWN_STEP_STDIO] = "stdio",   [SPAWN_STEP_SETSID] = "setsid",
        [SPAWN_STEP_CHDIR] = "chdir",   [SPAWN_STEP_GROUPS] = "setgroups",
        [SPAWN_STEP_GID] = "setgid",    [SPAWN_STEP_UID] = "setuid",
        [SPAWN_STEP_EXEC] = "execve",   [SPAWN_STEP_RLIMIT] = "setrlimit",
        [SPAWN_STEP_CAPABILITY_BOUNDING] = "capability-bounding-set",
        [SPAWN_STEP_CAPABILITIES] = "capabilities",
        [SPAWN_STEP_NO_NEW_PRIVILEGES] = "no-new-privileges",
        [SPAWN_STEP_SECCOMP] = "seccomp",
        [SPAWN_STEP_OOM_SCORE_ADJUST] = "oom-score-adjust",
};

const char *spawn_step_to_string(SpawnStep s) {
        if (s < 0 || s >= _SPAWN_STEP_MAX)
                return NULL;
        return step_names[s];
}

typedef struct SpawnReport {
        int step;
        int error;
} SpawnReport;

static _Noreturn void child_fail(int report_fd, SpawnStep step, int error) {
        SpawnReport rep = { .step = step, .error = error };

        (void) !write(report_fd, &rep, sizeof rep);
        _exit(SPAWN_EXIT_FAILED);
}

/* capget/capset have no glibc wrapper: raw system calls (async-signal-safe). */
static int caps_get(struct __user_cap_data_struct data[2]) {
        struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };

        return (int) syscall(SYS_capget, &h, data);
}

static int caps_set(const struct __user_cap_data_struct data[2]) {
        struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };

        return (int) syscall(SYS_capset, &h, data);
}

static bool caps_have_effective(int cap) {
        struct __user_cap_data_struct d[2] = {};

        if (caps_get(d) < 0)
                return false;
        return d[cap / 32].effective & (1u << (cap % 32));
}

/* AmbientCapabilities=: the caps must be permitted and inheritable before
 * they can be raised; for another user they survived setresuid() through
 * PR_SET_KEEPCAPS. Everything else is dropped from the permitted set. */
static int child_set_ambient(const SpawnParams *p) {
        struct __user_cap_data_struct d[2] = {};
        uint32_t lo = (uint32_t) p->ambient_capabilities, hi = (uint32_t) (p->ambient_capabilities >> 32);

        if (caps_get(d) < 0)
                return -1;
        d[0].inheritable = lo;
        d[1].inheritable = hi;
        if (p->set_credentials && p->uid != 0) {
                d[0].permitted &= lo;
                d[1].permitted &= hi;
                d[0].effective = d[0].permitted;
                d[1].effective = d[1].permitted;
        }
        if (caps_set(d) < 0)
                return -1;
        for (int cap = 0; cap < 64; cap++)
                if ((p->ambient_capabilities & (UINT64_C(1) << cap)) &&
                    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
                        return -1;
        return 0;
}

/* In the child, between clone and exec: async-signal-safe calls only. */
static _Noreturn void child_run(const SpawnParams *p, int report_fd, int null_fd) {
        struct sigaction sa = { .sa_handler = SIG_DFL };
        sigset_t all;

        /* The daemon blocks the signals it handles through signalfd: unblock
         * them and reset every disposition. */
        for (int sig = 1; sig < _NSIG; sig++)
                if (sig != SIGKILL && sig != SIGSTOP)
                        (void) sigaction(sig, &sa, NULL);
        if (sigemptyset(&all) < 0 || sigprocmask(SIG_SETMASK, &all, NULL) < 0)
                child_fail(report_fd, SPAWN_STEP_SIGNALS, errno);

        if (dup2(p->stdin_fd >= 0 ? p->stdin_fd : null_fd, STDIN_FILENO) < 0)
                child_fail(report_fd, SPAWN_STEP_STDIO, errno);

        if (setsid() < 0)
                child_fail(report_fd, SPAWN_STEP_SETSID, errno);

        if (chdir(p->working_directory ?: "/") < 0) {
                if (!p->working_directory_missing_ok || errno != ENOENT)
                        child_fail(report_fd, SPAWN_STEP_CHDIR, errno);
                if (chdir("/") < 0)
                        child_fail(report_fd, SPAWN_STEP_CHDIR, errno);
        }

        /* Before dropping privileges: afterwards /proc/self is no longer ours
         * to write. Raising the score needs no privilege. */
        if (p->reset_oom_score_adjust) {
                int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);

                if (fd < 0 || write(fd, "0", 1) != 1)
                        child_fail(report_fd, SPAWN_STEP_OOM_SCORE_ADJUST, errno);
                (void) close(fd);
        }

        (void) umask(p->umask);

        for (size_t i = 0; i < p->n_rlimits; i++)
                if (setrlimit((__rlimit_resource_t) p->rlimits[i].resource, &p->rlimits[i].limit) < 0)
                        child_fail(report_fd, SPAWN_STEP_RLIMIT, errno);

        if (p->capability_bounding_set != UINT64_MAX)
                for (int cap = 0; cap < 64; cap++) {
                        if (p->capability_bounding_set & (UINT64_C(1) << cap))
                                continue;
                        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) {
                                if (errno == EINVAL)
                                        break;  /* past the kernel's last capability */
                                child_fail(report_fd, SPAWN_STEP_CAPABILITY_BOUNDING, errno);
                        }
                }

        /* Keep the permitted set across setresuid() for the ambient caps. */
        if (p->ambient_capabilities && p->set_credentials && p->uid != 0 &&
            prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
                child_fail(report_fd, SPAWN_STEP_CAPABILITIES, errno);

        if (p->set_credentials) {
                if (setgroups(p->n_groups, p->groups) < 0)
                        child_fail(report_fd, SPAWN_STEP_GROUPS, errno);
                if (setresgid(p->gid, p->gid, p->gid) < 0)
                        child_fail(report_fd, SPAWN_STEP_GID, errno);
                if (setresuid(p->uid, p->uid, p->uid) < 0)
                        child_fail(report_fd, SPAWN_STEP_UID, errno);
        }

        if (p->ambient_capabilities && child_set_ambient(p) < 0)
                child_fail(report_fd, SPAWN_STEP_CAPABILITIES, errno);

        if (p->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                child_fail(report_fd, SPAWN_STEP_NO_NEW_PRIVILEGES, errno);

        if (p->seccomp_filter) {
                /* Without CAP_SYS_ADMIN the kernel only takes a filter under
                 * NO_NEW_PRIVS (systemd: NoNewPrivileges=yes is implied). */
                if (!p->no_new_privileges && !caps_have_effective(CAP_SYS_ADMIN) &&
                    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                        child_fail(report_fd, SPAWN_STEP_NO_NEW_PRIVILEGES, errno);
                /* Loaded last: from here on only execve() and, on failure,
                 * write() and exit_group() are made. */
                if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, p->seccomp_filter) < 0)
                        child_fail(report_fd, SPAWN_STEP_SECCOMP, errno);
        }

        execve(p->argv[0], p->argv, p->envp);
        child_fail(report_fd, SPAWN_STEP_EXEC, errno);
}

int spawn_worker(const SpawnParams *p, SpawnResult *ret) {
        _cleanup_(closep) int null_fd = -EBADF, report_r = -EBADF, report_w = -EBADF;
        int pipefd[2], pidfd = -EBADF;
        struct clone_args args;
        SpawnReport rep = {};
        ssize_t n;
        long pid;

        if (!p->argv || !p->argv[0] || p->cgroup_fd < 0)
                return -EINVAL;

        null_fd = open("/dev/null", O_RDWR | O_CLOEXEC | O_NOCTTY);
        if (null_fd < 0)
                return -errno;
        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return -errno;
        report_r = pipefd[0];
        report_w = pipefd[1];

        args = (struct clone_args) {
                .flags = CLONE_PIDFD | CLONE_INTO_CGROUP | CLONE_VFORK,
                .pidfd = (uint64_t) (uintptr_t) &pidfd,
                .exit_signal = SIGCHLD,
                .cgroup = (uint64_t) p->cgroup_fd,
        };
        /* With CLONE_VFORK we resume only once the child has exec'd or exited,
         * so the report pipe is complete when we read it below. */
        pid = syscall(SYS_clone3, &args, sizeof args);
        if (pid < 0)
                return -errno;
        if (pid == 0)
                child_run(p, report_w, null_fd);

        report_w = safe_close(report_w);
        do
                n = read(report_r, &rep, sizeof rep);
        while (n < 0 && errno == EINTR);

        *ret = (SpawnResult) {
                .pid = (pid_t) pid,
                .pidfd = pidfd,
                .failed_step = n == (ssize_t) sizeof rep ? (SpawnStep) rep.step : SPAWN_STEP_NONE,
                .failed_errno = n == (ssize_t) sizeof rep ? rep.error : 0,
        };
        return 0;
}
