/* SPDX-License-Identifier: MIT */
#include <fcntl.h>
#include <grp.h>
#include <linux/sched.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "spawn.h"

static const char *const step_names[_SPAWN_STEP_MAX] = {
        [SPAWN_STEP_NONE] = "none",     [SPAWN_STEP_SIGNALS] = "signals",
        [SPAWN_STEP_STDIO] = "stdio",   [SPAWN_STEP_SETSID] = "setsid",
        [SPAWN_STEP_CHDIR] = "chdir",   [SPAWN_STEP_GROUPS] = "setgroups",
        [SPAWN_STEP_GID] = "setgid",    [SPAWN_STEP_UID] = "setuid",
        [SPAWN_STEP_EXEC] = "execve",
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

        if (p->set_credentials) {
                if (setgroups(p->n_groups, p->groups) < 0)
                        child_fail(report_fd, SPAWN_STEP_GROUPS, errno);
                if (setresgid(p->gid, p->gid, p->gid) < 0)
                        child_fail(report_fd, SPAWN_STEP_GID, errno);
                if (setresuid(p->uid, p->uid, p->uid) < 0)
                        child_fail(report_fd, SPAWN_STEP_UID, errno);
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
