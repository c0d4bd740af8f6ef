/* SPDX-License-Identifier: MIT */
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/close_range.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <string.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/mount.h>
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
        [SPAWN_STEP_FILE_DESCRIPTORS] = "file-descriptors",
        [SPAWN_STEP_PRIVATE_TMP] = "private-tmp",
        [SPAWN_STEP_NAMESPACE] = "setns",
};

const char *spawn_step_to_string(SpawnStep s) {
        if (s < 0 || s >= _SPAWN_STEP_MAX)
                return NULL;
        return step_names[s];
}

const char *spawn_step_from_string(const char *s) {
        for (SpawnStep i = 0; s && i < _SPAWN_STEP_MAX; i++)
                if (step_names[i] && streq(step_names[i], s))
                        return step_names[i];
        return NULL;
}

typedef struct SpawnReport {
        int step;
        int error;
} SpawnReport;

/* What the child needs. In the CLONE_VM path the child shares our memory
 * and writes its report straight into *report; in the copy path it has its
 * own memory and writes the report to a close-on-exec pipe. */
typedef struct SpawnChild {
        const SpawnParams *params;
        int null_fd;
        volatile SpawnReport *report;   /* CLONE_VM: ours, seen after the child exec'd or exited */
        int report_fd;                  /* copy path */
        bool shared_files;              /* CLONE_FILES: our fd table until the child unshares it */
} SpawnChild;

static _Noreturn void child_fail(const SpawnChild *c, SpawnStep step, int error) {
        SpawnReport rep = { .step = step, .error = error };

        if (c->report) {
                c->report->step = step;
                c->report->error = error;
        } else
                (void) !write(c->report_fd, &rep, sizeof rep);
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

/* Make the mount that holds our root, and every mount below it, a slave,
 * when our root is not a mount point itself (a chroot): changing the
 * propagation of a mount needs a path at its root (EINVAL otherwise), and
 * systemd's namespace code stops there ("Failed to remount '/' as SLAVE").
 * We walk up to it from our root instead, and come back. ".." never goes
 * above the process's root, so for the walk the root is moved below the old
 * one (chroot to /tmp, which PrivateTmp= needs anyway) while our working
 * directory stays at the old one; each step up tries the change, which
 * succeeds at the first root of a mount, the one that holds ours. Then the
 * old root is the root again, before anything of the worker runs. Only
 * system calls, no allocation: we may share the daemon's memory. */
static int child_make_root_mount_slave(void) {
        int root_fd, r = -1, error = EINVAL;

        root_fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (root_fd < 0)
                return -1;
        if (chroot("/tmp") < 0 || fchdir(root_fd) < 0)
                error = errno;
        else
                for (unsigned i = 0; i < 4096; i++) {       /* a path has fewer levels */
                        if (chdir("..") < 0) {
                                error = errno;
                                break;
                        }
                        if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) >= 0) {
                                r = 0;
                                break;
                        }
                        if (errno != EINVAL) {
                                error = errno;
                                break;
                        }
                }
        /* Our own root again, whatever happened; if even that fails the
         * child must not go on (the caller fails it). */
        if (fchdir(root_fd) < 0 || chroot(".") < 0) {
                error = errno;
                r = -1;
        }
        (void) close(root_fd);
        if (r < 0)
                errno = error;
        return r;
}

/* PrivateTmp=: our own mount namespace, in which mounts no longer
 * propagate back to the host's, and an empty tmpfs on /tmp and /var/tmp. */
static int child_private_tmp(void) {
        if (unshare(CLONE_NEWNS) < 0)
                return -1;
        if (mount(NULL, "/", NULL, MS_SLAVE | MS_REC, NULL) < 0 &&
            (errno != EINVAL || child_make_root_mount_slave() < 0))
                return -1;
        for (size_t i = 0; i < 2; i++)
                if (mount("tmpfs", i == 0 ? "/tmp" : "/var/tmp", "tmpfs", MS_NOSUID | MS_NODEV,
                          "mode=01777") < 0)
                        return -1;
        return 0;
}

/* In the child, between clone and exec: async-signal-safe calls only, and
 * since the child may share the daemon's memory (CLONE_VM), nothing that
 * allocates, takes a lock or relies on glibc's per-thread state: the
 * credential changes are raw system calls (glibc's set*id wrappers would
 * try to signal the daemon's other threads, if it had any). */
/* "KEY=" followed by the decimal v, written into the room the parent left
 * (at least 20 characters after '='). Async-signal-safe. */
static void child_fill_env(char *entry, uint64_t v) {
        char digits[21];
        size_t n = 0;
        char *eq = entry ? strchr(entry, '=') : NULL;

        if (!eq)
                return;
        do
                digits[n++] = (char) ('0' + v % 10);
        while ((v /= 10) > 0 && n < sizeof digits);
        for (size_t k = 0; k < n; k++)
                eq[1 + k] = digits[n - 1 - k];
        eq[1 + n] = '\0';
}

/* The sockets to fds 3..3+n-1 ($LISTEN_FDS): first every source (and every
 * fd still needed that sits in that range: the namespace fd, the report
 * pipe) above all of them, then down into place. dup2() leaves the targets
 * without close-on-exec. */
static void child_place_listen_fds(SpawnChild *self, int *ns_fd) {
        const SpawnParams *p = self->params;
        int top = 3 + (int) p->n_listen_fds, hi[64];

        for (size_t i = 0; i < p->n_listen_fds; i++)
                top = MAX(top, p->listen_fds[i] + 1);
        top = MAX(top, MAX(*ns_fd, self->report_fd) + 1);
        if (*ns_fd >= 3 && *ns_fd < 3 + (int) p->n_listen_fds &&
            (*ns_fd = fcntl(*ns_fd, F_DUPFD_CLOEXEC, top)) < 0)
                child_fail(self, SPAWN_STEP_FILE_DESCRIPTORS, errno);
        if (self->report_fd >= 3 && self->report_fd < 3 + (int) p->n_listen_fds) {
                int r = fcntl(self->report_fd, F_DUPFD_CLOEXEC, top);

                if (r < 0)
                        child_fail(self, SPAWN_STEP_FILE_DESCRIPTORS, errno);
                self->report_fd = r;
        }
        for (size_t i = 0; i < p->n_listen_fds; i++)
                if ((hi[i] = fcntl(p->listen_fds[i], F_DUPFD_CLOEXEC, top)) < 0)
                        child_fail(self, SPAWN_STEP_FILE_DESCRIPTORS, errno);
        for (size_t i = 0; i < p->n_listen_fds; i++)
                if (dup2(hi[i], 3 + (int) i) < 0)
                        child_fail(self, SPAWN_STEP_FILE_DESCRIPTORS, errno);
}

static _Noreturn void child_run(const SpawnChild *orig) {
        SpawnChild self = *orig;        /* the report fd may move (child_place_listen_fds()) */
        const SpawnChild *c = &self;
        const SpawnParams *p = c->params;
        int null_fd = c->null_fd, stdin_src = p->stdin_fd >= 0 ? p->stdin_fd : null_fd;
        int stdout_fd = p->stdout_null ? null_fd : p->stdout_fd > STDERR_FILENO ? p->stdout_fd : -EBADF;
        int stderr_fd = p->stderr_null ? null_fd : p->stderr_fd > STDERR_FILENO ? p->stderr_fd : stdout_fd;
        int ns_fd = p->mount_ns_fd > STDERR_FILENO ? p->mount_ns_fd : -EBADF;
        int keep = MAX(MAX(MAX(stdin_src, STDERR_FILENO), MAX(stdout_fd, stderr_fd)), ns_fd);
        struct sigaction sa = { .sa_handler = SIG_DFL };
        sigset_t all;

        for (size_t i = 0; i < p->n_listen_fds; i++)
                keep = MAX(keep, p->listen_fds[i]);

        /* Sharing our fd table, the child takes a copy of only the fds up to
         * the one it still needs: the kernel does not even look at the
         * others (close_range() with CLOSE_RANGE_UNSHARE and no upper
         * bound), so a spawn costs the same however many workers we hold.
         * Nothing before this line may open or close an fd. */
        if (c->shared_files &&
            syscall(SYS_close_range, (unsigned) keep + 1, ~0U, CLOSE_RANGE_UNSHARE) < 0)
                child_fail(c, SPAWN_STEP_FILE_DESCRIPTORS, errno);

        /* The daemon blocks the signals it handles through signalfd: unblock
         * them and reset every disposition. */
        for (int sig = 1; sig < _NSIG; sig++)
                if (sig != SIGKILL && sig != SIGSTOP)
                        (void) sigaction(sig, &sa, NULL);
        if (sigemptyset(&all) < 0 || sigprocmask(SIG_SETMASK, &all, NULL) < 0)
                child_fail(c, SPAWN_STEP_SIGNALS, errno);

        if (dup2(stdin_src, STDIN_FILENO) < 0)
                child_fail(c, SPAWN_STEP_STDIO, errno);
        if ((stdout_fd >= 0 && dup2(stdout_fd, STDOUT_FILENO) < 0) ||
            (stderr_fd >= 0 && dup2(stderr_fd, STDERR_FILENO) < 0))
                child_fail(c, SPAWN_STEP_STDIO, errno);
        if (p->n_listen_fds > 0)
                child_place_listen_fds(&self, &ns_fd);
        /* systemd's protocol: LISTEN_PID is the worker's own pid, and
         * LISTEN_PIDFDID its pidfd's inode id (pidfs), both known only here. */
        if (p->listen_pid_env)
                child_fill_env(p->listen_pid_env, (uint64_t) getpid());
        if (p->listen_pidfdid_env) {
                struct stat st;
                int fd = (int) syscall(SYS_pidfd_open, getpid(), 0);

                if (fd < 0 || fstat(fd, &st) < 0)
                        child_fail(c, SPAWN_STEP_FILE_DESCRIPTORS, errno);
                child_fill_env(p->listen_pidfdid_env, (uint64_t) st.st_ino);
                (void) close(fd);
        }
        /* A worker gets stdin, stdout and stderr and its sockets, nothing
         * else, even an fd someone forgot to mark close-on-exec: mark them
         * all, so that the report pipe (copy path) still works until exec. */
        if (syscall(SYS_close_range, 3U + (unsigned) p->n_listen_fds, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
                child_fail(c, SPAWN_STEP_FILE_DESCRIPTORS, errno);

        if (setsid() < 0)
                child_fail(c, SPAWN_STEP_SETSID, errno);

        /* Another process's mount namespace (a health check joins its
         * worker's private /tmp): while we still have CAP_SYS_ADMIN, before
         * chdir so that the directory is looked up in it. Not shared with
         * the daemon: without CLONE_FS the child has its own root and cwd. */
        if (ns_fd >= 0 && setns(ns_fd, CLONE_NEWNS) < 0)
                child_fail(c, SPAWN_STEP_NAMESPACE, errno);

        /* PrivateTmp=: before chdir, so that WorkingDirectory= under /tmp
         * means the private one, and while we still have CAP_SYS_ADMIN.
         * The mounts end with the last process of the worker. */
        if (p->private_tmp && child_private_tmp() < 0)
                child_fail(c, SPAWN_STEP_PRIVATE_TMP, errno);

        if (chdir(p->working_directory ?: "/") < 0) {
                if (!p->working_directory_missing_ok || errno != ENOENT)
                        child_fail(c, SPAWN_STEP_CHDIR, errno);
                if (chdir("/") < 0)
                        child_fail(c, SPAWN_STEP_CHDIR, errno);
        }

        /* Before dropping privileges: afterwards /proc/self is no longer ours
         * to write. Raising the score needs no privilege. */
        if (p->reset_oom_score_adjust) {
                int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);

                if (fd < 0 || write(fd, "0", 1) != 1)
                        child_fail(c, SPAWN_STEP_OOM_SCORE_ADJUST, errno);
                (void) close(fd);
        }

        (void) umask(p->umask);

        for (size_t i = 0; i < p->n_rlimits; i++)
                if (setrlimit((__rlimit_resource_t) p->rlimits[i].resource, &p->rlimits[i].limit) < 0)
                        child_fail(c, SPAWN_STEP_RLIMIT, errno);

        if (p->capability_bounding_set != UINT64_MAX)
                for (int cap = 0; cap < 64; cap++) {
                        if (p->capability_bounding_set & (UINT64_C(1) << cap))
                                continue;
                        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) {
                                if (errno == EINVAL)
                                        break;  /* past the kernel's last capability */
                                child_fail(c, SPAWN_STEP_CAPABILITY_BOUNDING, errno);
                        }
                }

        /* Keep the permitted set across setresuid() for the ambient caps. */
        if (p->ambient_capabilities && p->set_credentials && p->uid != 0 &&
            prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
                child_fail(c, SPAWN_STEP_CAPABILITIES, errno);

        if (p->set_credentials) {
                if (syscall(SYS_setgroups, p->n_groups, p->groups) < 0)
                        child_fail(c, SPAWN_STEP_GROUPS, errno);
                if (syscall(SYS_setresgid, p->gid, p->gid, p->gid) < 0)
                        child_fail(c, SPAWN_STEP_GID, errno);
                if (syscall(SYS_setresuid, p->uid, p->uid, p->uid) < 0)
                        child_fail(c, SPAWN_STEP_UID, errno);
        }

        if (p->ambient_capabilities && child_set_ambient(p) < 0)
                child_fail(c, SPAWN_STEP_CAPABILITIES, errno);

        if (p->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                child_fail(c, SPAWN_STEP_NO_NEW_PRIVILEGES, errno);

        if (p->seccomp_filter) {
                /* Without CAP_SYS_ADMIN the kernel only takes a filter under
                 * NO_NEW_PRIVS (systemd: NoNewPrivileges=yes is implied). */
                if (!p->no_new_privileges && !caps_have_effective(CAP_SYS_ADMIN) &&
                    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                        child_fail(c, SPAWN_STEP_NO_NEW_PRIVILEGES, errno);
                /* Loaded last: from here on only execve() and, on failure,
                 * write() and exit_group() are made. */
                if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, p->seccomp_filter) < 0)
                        child_fail(c, SPAWN_STEP_SECCOMP, errno);
        }

        execve(p->argv[0], p->argv, p->envp);
        child_fail(c, SPAWN_STEP_EXEC, errno);
}

/* AddressSanitizer keeps shadow memory for every stack it knows; a child
 * running instrumented code on a stack of its own, in our memory, corrupts
 * it. Sanitized builds take the copy path. */
#if defined(__SANITIZE_ADDRESS__)
#  define SPAWN_SANITIZED 1
#elif defined(__has_feature)
#  if __has_feature(address_sanitizer)
#    define SPAWN_SANITIZED 1
#  endif
#endif

#if defined(__x86_64__) && !defined(SPAWN_SANITIZED)
/* clone3() with the child on its own stack, calling fn(arg) there and
 * exiting with its return value: what posix_spawn() does, but with
 * CLONE_INTO_CGROUP, which glibc's wrappers cannot pass. It has to be
 * assembly: the child starts on the new stack, so it cannot return through
 * the C frames of the caller.
 *
 *   long spawn_clone3_call(struct clone_args *args, size_t size,
 *                          int (*fn)(void *), void *arg);
 *
 * Returns the child's pid in the parent or -errno; never returns in the
 * child. r8/r9 survive the system call (only rcx and r11 are clobbered). */
long spawn_clone3_call(struct clone_args *args, size_t size, int (*fn)(void *), void *arg);
__asm__(
        "       .text\n"
        "       .globl spawn_clone3_call\n"
        "       .hidden spawn_clone3_call\n"
        "       .type spawn_clone3_call, @function\n"
        "spawn_clone3_call:\n"
        "       .cfi_startproc\n"
        "       movq %rdx, %r8\n"
        "       movq %rcx, %r9\n"
        "       movl $435, %eax\n"              /* __NR_clone3 */
        "       syscall\n"
        "       testq %rax, %rax\n"
        "       jz 1f\n"
        "       ret\n"
        "1:\n"
        "       .cfi_undefined %rip\n"          /* outermost frame of the child */
        "       xorl %ebp, %ebp\n"
        "       movq %r9, %rdi\n"
        "       call *%r8\n"
        "       movl %eax, %edi\n"
        "       movl $60, %eax\n"               /* __NR_exit */
        "       syscall\n"
        "       hlt\n"
        "       .cfi_endproc\n"
        "       .size spawn_clone3_call, .-spawn_clone3_call\n");
#define HAVE_CLONE3_CALL 1

/* One child stack for every CLONE_VM spawn: spawns are sequential and
 * CLONE_VFORK returns only once the child has exec'd or exited, so the stack
 * is free again by then. Mapped once, with a guard page below it. */
#define CHILD_STACK_SIZE (256u * 1024u)

static void *child_stack(size_t *ret_size) {
        static void *stack;
        long page = sysconf(_SC_PAGESIZE);

        if (!stack) {
                void *m = mmap(NULL, CHILD_STACK_SIZE + (size_t) page, PROT_READ | PROT_WRITE,
                               MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK | MAP_NORESERVE, -1, 0);

                if (m == MAP_FAILED)
                        return NULL;
                if (mprotect(m, (size_t) page, PROT_NONE) < 0) {
                        (void) munmap(m, CHILD_STACK_SIZE + (size_t) page);
                        return NULL;
                }
                stack = (char *) m + page;
        }
        *ret_size = CHILD_STACK_SIZE;
        return stack;
}

static int child_entry(void *userdata) {
        child_run(userdata);
}
#else
#define HAVE_CLONE3_CALL 0
#endif

static SpawnMode spawn_mode = SPAWN_MODE_AUTO;

void spawn_set_mode(SpawnMode mode) {
        spawn_mode = mode;
}

bool spawn_shared_supported(void) {
        return HAVE_CLONE3_CALL;
}

/* The null fd is opened once and kept (close-on-exec, so workers never see
 * it). */
static int null_fd_get(void) {
        static int fd = -EBADF;

        if (fd < 0) {
                fd = open("/dev/null", O_RDWR | O_CLOEXEC | O_NOCTTY);
                if (fd < 0)
                        return -errno;
        }
        return fd;
}

/* CLONE_VM | CLONE_FILES | CLONE_VFORK on a separate stack: no copy of the
 * daemon's page tables and no copy of its fd table (the child unshares only
 * the few fds it needs), so the cost of a spawn does not grow with the
 * daemon's memory or with the number of workers it holds. */
static int spawn_shared_vm(const SpawnParams *p, int null_fd, SpawnResult *ret) {
#if HAVE_CLONE3_CALL
        volatile SpawnReport rep = {};
        SpawnChild c = {
                .params = p,
                .null_fd = null_fd,
                .report = &rep,
                .report_fd = -EBADF,
                .shared_files = true,
        };
        sigset_t all, old;
        struct clone_args args;
        int pidfd = -EBADF;
        size_t stack_size;
        void *stack;
        long pid;

        stack = child_stack(&stack_size);
        if (!stack)
                return -ENOMEM;

        args = (struct clone_args) {
                .flags = CLONE_PIDFD | CLONE_VFORK | CLONE_VM | CLONE_FILES |
                         (p->cgroup_fd >= 0 ? CLONE_INTO_CGROUP : 0),
                .pidfd = (uint64_t) (uintptr_t) &pidfd,
                .exit_signal = SIGCHLD,
                .stack = (uint64_t) (uintptr_t) stack,
                .stack_size = stack_size,
                .cgroup = p->cgroup_fd >= 0 ? (uint64_t) p->cgroup_fd : 0,
        };

        /* No handler of ours may run in the child on our memory: block
         * everything until the child has reset every disposition. */
        if (sigfillset(&all) < 0 || sigprocmask(SIG_SETMASK, &all, &old) < 0)
                return -errno;
        pid = spawn_clone3_call(&args, sizeof args, child_entry, &c);
        (void) sigprocmask(SIG_SETMASK, &old, NULL);
        if (pid < 0)
                return (int) pid;

        *ret = (SpawnResult) {
                .pid = (pid_t) pid,
                .pidfd = pidfd,
                .failed_step = (SpawnStep) rep.step,
                .failed_errno = rep.error,
        };
        return 0;
#else
        return -EOPNOTSUPP;
#endif
}

/* The portable path: the child gets a copy of our memory (page tables
 * copied, pages shared copy-on-write) and reports through a pipe. */
static int spawn_copy_vm(const SpawnParams *p, int null_fd, SpawnResult *ret) {
        _cleanup_(closep) int report_r = -EBADF, report_w = -EBADF;
        int pipefd[2], pidfd = -EBADF;
        struct clone_args args;
        SpawnReport rep = {};
        ssize_t n;
        long pid;

        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return -errno;
        report_r = pipefd[0];
        report_w = pipefd[1];

        args = (struct clone_args) {
                .flags = CLONE_PIDFD | CLONE_VFORK | (p->cgroup_fd >= 0 ? CLONE_INTO_CGROUP : 0),
                .pidfd = (uint64_t) (uintptr_t) &pidfd,
                .exit_signal = SIGCHLD,
                .cgroup = p->cgroup_fd >= 0 ? (uint64_t) p->cgroup_fd : 0,
        };
        /* With CLONE_VFORK we resume only once the child has exec'd or exited,
         * so the report pipe is complete when we read it below. */
        pid = syscall(SYS_clone3, &args, sizeof args);
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                SpawnChild c = { .params = p, .null_fd = null_fd, .report_fd = report_w };

                child_run(&c);
        }

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

int spawn_worker(const SpawnParams *p, SpawnResult *ret) {
        int null_fd, r;

        /* -EBADF says "no cgroup"; another negative value is a caller's
         * error (a leaf it could not open): never run outside the leaf then. */
        if (!p->argv || !p->argv[0] || (p->cgroup_fd < 0 && p->cgroup_fd != -EBADF))
                return -EINVAL;

        null_fd = null_fd_get();
        if (null_fd < 0)
                return null_fd;

        if (spawn_mode != SPAWN_MODE_COPY) {
                r = spawn_shared_vm(p, null_fd, ret);
                if (r != -EOPNOTSUPP || spawn_mode == SPAWN_MODE_SHARED)
                        return r;
        }
        return spawn_copy_vm(p, null_fd, ret);
}
