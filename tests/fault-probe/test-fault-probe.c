/* SPDX-License-Identifier: MIT */

/* test-fault-probe CRASHER [RUNS]: the fault probe against real crashes.
 *
 * Creates a scratch cgroup under our own cgroup on the cgroup2 mount, loads
 * the probe for it, and runs every case RUNS times (default 20): the
 * crasher is born in a fresh leaf (clone3 CLONE_INTO_CGROUP), we wait on
 * its pidfd, reap it, and ask fault_probe_take() what killed it. With
 * FAULT_PROBE_BENCH_N=N it also measures the probe's cost per signal over N
 * signals (meson benchmark 'fault-probe-cost'; not counted as a test).
 *
 * Needs root (BPF, cgroups). Without it: exit 77 (skip) when run by hand,
 * failure under CI=true. Prints a report table and "N passed, N failed".
 *
 * test-fault-probe --check-load: only try to load the probe; exit 0 if it
 * loads, 1 (with the reason) if not. tools/test asks this once, and where the
 * machine refuses the probe (bpf() denied: EPERM, EACCES, EOPNOTSUPP) it
 * says so in $WORKERPOOLD_MACHINE_LACKS: then this test reports itself as not
 * run for that reason, instead of failing or passing. */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/sched.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "cgroup/cgroup.h"
#include "fault-probe.h"
#include "shared/log.h"
#include "shared/macro.h"

#ifndef P_PIDFD
#  define P_PIDFD 3
#endif

#define EXIT_SKIP 77
#define RUN_TIMEOUT_MS 20000

typedef enum Sender {
        SENDER_NONE,
        SENDER_SELF,
        SENDER_SHELL,
} Sender;

typedef struct Case {
        const char *name;
        const char *mode;               /* crasher mode */
        const char *shell_kill;         /* kill -SIG from bash once it is ready */
        int signo;                      /* what it dies of */
        bool overflow;
        bool kernel_fault;
        bool thread;                    /* faulting thread is not the main thread */
        Sender sender;
        int syscall;                    /* expected si_syscall, -1 */
        bool fork;                      /* a sub-process of the worker dies */
        bool outside;                   /* runs outside the subtree: no evidence */
} Case;

static const Case cases[] = {
        { "overflow-main",               "overflow-main",               NULL, SIGSEGV, true,  true,  false, SENDER_NONE, -1, false, false },
        { "overflow-thread",             "overflow-thread",             NULL, SIGSEGV, true,  true,  true,  SENDER_NONE, -1, false, false },
        { "overflow-main-200k-frames",   "overflow-main-bigframe",      NULL, SIGSEGV, true,  true,  false, SENDER_NONE, -1, false, false },
        { "overflow-thread-200k-frames", "overflow-thread-bigframe",    NULL, SIGSEGV, true,  true,  true,  SENDER_NONE, -1, false, false },
        { "overflow-altstack-reraise",   "overflow-altstack-reraise",   NULL, SIGSEGV, true,  true,  false, SENDER_NONE, -1, false, false },
        { "overflow-altstack-return",    "overflow-altstack-return",    NULL, SIGSEGV, true,  true,  false, SENDER_NONE, -1, false, false },
        { "overflow-thread-altstack",    "overflow-thread-altstack",    NULL, SIGSEGV, true,  true,  true,  SENDER_NONE, -1, false, false },
        { "overflow-handler-no-altstack","overflow-handler-noaltstack", NULL, SIGSEGV, true,  true,  false, SENDER_NONE, -1, false, false },
        { "overflow-in-subprocess",      "fork-overflow-main",          NULL, SIGSEGV, true,  true,  false, SENDER_NONE, -1, true,  false },
        { "null-read-main",              "null-read-main",              NULL, SIGSEGV, false, true,  false, SENDER_NONE, -1, false, false },
        { "null-read-thread",            "null-read-thread",            NULL, SIGSEGV, false, true,  true,  SENDER_NONE, -1, false, false },
        { "rowrite-main",                "rowrite-main",                NULL, SIGSEGV, false, true,  false, SENDER_NONE, -1, false, false },
        { "rowrite-thread",              "rowrite-thread",              NULL, SIGSEGV, false, true,  true,  SENDER_NONE, -1, false, false },
        { "rowrite-below-stack-main",    "rowrite-below-stack-main",    NULL, SIGSEGV, false, true,  false, SENDER_NONE, -1, false, false },
        { "rowrite-below-stack-thread",  "rowrite-below-stack-thread",  NULL, SIGSEGV, false, true,  true,  SENDER_NONE, -1, false, false },
        { "raise-segv",                  "raise-segv",                  NULL, SIGSEGV, false, false, false, SENDER_SELF, -1, false, false },
        { "abort",                       "abort",                       NULL, SIGABRT, false, false, false, SENDER_SELF, -1, false, false },
        { "kill-segv-from-bash",         "sleep",                       "SEGV", SIGSEGV, false, false, false, SENDER_SHELL, -1, false, false },
        { "kill-9-from-bash",            "sleep",                       "9",  SIGKILL, false, false, false, SENDER_SHELL, -1, false, false },
        { "seccomp-kill-getppid",        "seccomp-getppid",             NULL, SIGSYS,  false, true,  false, SENDER_NONE, SYS_getppid, false, false },
        { "outside-subtree-overflow",    "overflow-main",               NULL, SIGSEGV, false, true,  false, SENDER_NONE, -1, false, true  },
};

typedef struct CaseResult {
        unsigned runs, passed;
        unsigned n_overflow, n_evidence;
        char example[200];
        char first_failure[240];
} CaseResult;

static const char *crasher_path;
static char scratch_path[PATH_MAX], pool_path[PATH_MAX], outside_path[PATH_MAX];
static unsigned leaf_counter;
static double *latencies_us, *ready_us, *take_us;
static size_t n_latencies;
static uint64_t n_drained;       /* records read from the ring buffer by wait_exit() and bench_once() */

static uint64_t now_ns(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * UINT64_C(1000000000) + (uint64_t) ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
        double x = *(const double *) a, y = *(const double *) b;

        return x < y ? -1 : x > y;
}

static double percentile(double *v, size_t n, double q) {
        if (n == 0)
                return 0;
        qsort(v, n, sizeof(double), cmp_double);
        return v[(size_t) (q * (double) (n - 1) + 0.5)];
}

static bool in_ci(void) {
        const char *e = getenv("CI");

        return e && *e && strcmp(e, "0") != 0 && strcmp(e, "false") != 0;
}

/* tools/test found that this machine cannot load the probe. */
static bool machine_lacks_fault_probe(void) {
        const char *e = getenv("WORKERPOOLD_MACHINE_LACKS");

        if (!e)
                return false;
        for (const char *p = e; (p = strstr(p, "fault-probe")); p++)
                if ((p == e || p[-1] == ' ') && (p[11] == 0 || p[11] == ' '))
                        return true;
        return false;
}

static bool load_refused(int r) {
        return r == -EOPNOTSUPP || r == -EPERM || r == -EACCES;
}

static int check_load(void) {
        _cleanup_(fault_probe_freep) FaultProbe *probe = NULL;
        int r;

        /* Any cgroup id will do to load and attach: the root's. */
        r = fault_probe_new(1, 0, &probe);
        if (r < 0) {
                printf("cannot load the fault probe: %s\n", strerror(-r));
                return EXIT_FAILURE;
        }
        printf("fault probe loaded\n");
        return EXIT_SUCCESS;
}

static _printf_(1, 2) int skip_or_fail(const char *format, ...) {
        va_list ap;

        va_start(ap, format);
        fputs(in_ci() ? "FAIL: " : "SKIP: ", stdout);
        vprintf(format, ap);
        va_end(ap);
        putchar('\n');
        if (in_ci()) {
                printf("0 passed, 1 failed\n");
                return EXIT_FAILURE;
        }
        return EXIT_SKIP;
}

/* mountinfo escapes blanks as \040 etc. */
static void unoctal(char *s) {
        char *d = s;

        for (; *s; s++, d++) {
                if (s[0] == '\\' && s[1] >= '0' && s[1] <= '7' && s[2] >= '0' && s[2] <= '7' &&
                    s[3] >= '0' && s[3] <= '7') {
                        *d = (char) (((s[1] - '0') << 6) | ((s[2] - '0') << 3) | (s[3] - '0'));
                        s += 3;
                } else
                        *d = *s;
        }
        *d = '\0';
}

/* Our own cgroup's directory on the cgroup2 mount, and its level in the
 * hierarchy. */
static int find_own_cgroup(char *ret, size_t size, int *ret_level) {
        char line[4096], mnt[PATH_MAX] = "", root[PATH_MAX] = "", own[PATH_MAX] = "";
        FILE *f;
        int k;

        f = fopen("/proc/self/mountinfo", "re");
        if (!f)
                return -errno;
        while (fgets(line, sizeof(line), f)) {
                char *sep = strstr(line, " - cgroup2 ");
                char r[PATH_MAX], m[PATH_MAX];

                if (!sep || sscanf(line, "%*s %*s %*s %4095s %4095s", r, m) != 2)
                        continue;
                unoctal(r);
                unoctal(m);
                snprintf(root, sizeof(root), "%s", r);
                snprintf(mnt, sizeof(mnt), "%s", m);
                break;
        }
        fclose(f);
        if (!mnt[0])
                return -ENOENT;

        f = fopen("/proc/self/cgroup", "re");
        if (!f)
                return -errno;
        while (fgets(line, sizeof(line), f))
                if (strneq(line, "0::", 3)) {
                        line[strcspn(line, "\n")] = '\0';
                        snprintf(own, sizeof(own), "%s", line + 3);
                        break;
                }
        fclose(f);
        if (!own[0])
                return -ENOENT;

        /* The mount may show a sub-tree only (cgroup namespaces, bind mounts). */
        if (!streq(root, "/") && strneq(own, root, strlen(root)))
                memmove(own, own + strlen(root), strlen(own + strlen(root)) + 1);
        /* The daemon's own function: the probe sees nothing if it is wrong. */
        k = cgroup_get_level(own, ret_level);
        if (k < 0)
                return k;
        if (streq(own, "/"))
                own[0] = '\0';
        if ((size_t) snprintf(ret, size, "%s%s", mnt, own) >= size)
                return -ENAMETOOLONG;
        return 0;
}

static int write_file(const char *path, const char *s) {
        _cleanup_(closep) int fd = -EBADF;
        size_t n = strlen(s);

        fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (write(fd, s, n) != (ssize_t) n)
                return -errno;
        return 0;
}

/* Remove a leaf; if something is still in it, cgroup.kill it first. The
 * leaf is never reused: a cgroup that has been killed kills newcomers. */
static void remove_leaf(const char *path) {
        char p[PATH_MAX];

        for (int i = 0; i < 200; i++) {
                if (rmdir(path) == 0 || errno == ENOENT)
                        return;
                if (errno != EBUSY)
                        break;
                if (i == 0) {
                        snprintf(p, sizeof(p), "%s/cgroup.kill", path);
                        (void) write_file(p, "1");
                }
                usleep(10000);
        }
        fprintf(stderr, "warning: cannot remove %s: %m\n", path);
}

static int make_leaf(const char *parent, char *ret, size_t size, int *ret_fd) {
        int fd;

        snprintf(ret, size, "%s/run-%u", parent, ++leaf_counter);
        if (mkdir(ret, 0755) < 0)
                return -errno;
        fd = open(ret, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) {
                int r = -errno;
                (void) rmdir(ret);
                return r;
        }
        *ret_fd = fd;
        return 0;
}

/* clone3 straight into the cgroup, as the daemon does; exec argv. */
static int spawn(int cgroup_fd, char *const argv[], int stdout_fd, pid_t *ret_pid, int *ret_pidfd) {
        int pidfd = -EBADF;
        struct clone_args args = {
                .flags = CLONE_PIDFD | (cgroup_fd >= 0 ? CLONE_INTO_CGROUP : 0),
                .pidfd = (uint64_t) (uintptr_t) &pidfd,
                .exit_signal = SIGCHLD,
                .cgroup = cgroup_fd >= 0 ? (uint64_t) cgroup_fd : 0,
        };
        pid_t pid;

        pid = (pid_t) syscall(SYS_clone3, &args, sizeof(args));
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                if (stdout_fd >= 0 && dup2(stdout_fd, STDOUT_FILENO) < 0)
                        _exit(126);
                execv(argv[0], argv);
                _exit(127);
        }
        *ret_pid = pid;
        *ret_pidfd = pidfd;
        return 0;
}

/* Wait for the pidfd (while draining the probe, if any), then reap. */
static int wait_exit(int pidfd, FaultProbe *probe, siginfo_t *ret, uint64_t *ret_ready_ns, unsigned timeout_ms) {
        uint64_t deadline = now_ns() + (uint64_t) timeout_ms * 1000000;

        for (;;) {
                struct pollfd pfd[2] = {
                        { .fd = pidfd, .events = POLLIN },
                        { .fd = probe ? fault_probe_get_fd(probe) : -1, .events = POLLIN },
                };
                uint64_t now = now_ns();
                int r;

                if (now >= deadline)
                        return -ETIMEDOUT;
                r = poll(pfd, 2, (int) ((deadline - now) / 1000000) + 1);
                if (r < 0 && errno != EINTR)
                        return -errno;
                if (pfd[1].revents & POLLIN) {
                        r = fault_probe_process(probe);
                        if (r > 0)
                                n_drained += (uint64_t) r;
                }
                if (pfd[0].revents & POLLIN)
                        break;
        }
        if (ret_ready_ns)
                *ret_ready_ns = now_ns();

        *ret = (siginfo_t) {};
        if (waitid((idtype_t) P_PIDFD, (id_t) pidfd, ret, WEXITED) < 0)
                return -errno;
        return 0;
}

/* Read one "WORD PID" line from the crasher's stdout. */
static int read_line_pid(int fd, const char *word, pid_t *ret) {
        char buf[128];
        size_t n = 0;
        uint64_t deadline = now_ns() + (uint64_t) RUN_TIMEOUT_MS * 1000000;

        while (n < sizeof(buf) - 1) {
                struct pollfd pfd = { .fd = fd, .events = POLLIN };
                ssize_t k;

                if (now_ns() >= deadline)
                        return -ETIMEDOUT;
                if (poll(&pfd, 1, 100) <= 0)
                        continue;
                k = read(fd, buf + n, 1);
                if (k <= 0)
                        return k < 0 ? -errno : -EPIPE;
                if (buf[n] == '\n')
                        break;
                n++;
        }
        buf[n] = '\0';
        if (!strneq(buf, word, strlen(word)) || sscanf(buf + strlen(word), " %d", ret) != 1)
                return -EBADMSG;
        return 0;
}

static bool died_of(const siginfo_t *si, int signo) {
        return (si->si_code == CLD_KILLED || si->si_code == CLD_DUMPED) && si->si_status == signo;
}

static void describe(const FaultEvidence *e, char *buf, size_t size) {
        size_t n;

        if (e->kernel_fault && e->stack_start)
                snprintf(buf, size, "code=%d addr=stack%+" PRId64 " sp=stack%+" PRId64 " stack=%" PRIu64 "K%s",
                         e->si_code, (int64_t) (e->fault_addr - e->stack_start),
                         (int64_t) (e->sp - e->stack_start), (e->stack_end - e->stack_start) / 1024,
                         e->tid != e->pid ? " thread" : "");
        else if (e->kernel_fault)
                snprintf(buf, size, "code=%d addr=%#" PRIx64 " sp=%#" PRIx64, e->si_code, e->fault_addr, e->sp);
        else
                snprintf(buf, size, "code=%d sender=%d(%s)", e->si_code, (int) e->sender_pid, e->sender_comm);
        n = strlen(buf);
        if (e->syscall >= 0)
                snprintf(buf + n, size - n, " syscall=%d", e->syscall);
}

static _printf_(3, 4) bool check(bool ok, CaseResult *res, const char *format, ...) {
        va_list ap;

        if (ok || res->first_failure[0])
                return ok;
        va_start(ap, format);
        vsnprintf(res->first_failure, sizeof(res->first_failure), format, ap);
        va_end(ap);
        return ok;
}

/* One run of one case. Returns true if everything came out right. */
static bool run_case(FaultProbe *probe, const Case *c, CaseResult *res) {
        char leaf[PATH_MAX];
        _cleanup_(closep) int leaf_fd = -EBADF, pidfd = -EBADF;
        int pipefd[2] = { -EBADF, -EBADF };
        pid_t pid = 0, target, sender = 0;
        FaultEvidence ev = {};
        siginfo_t si;
        uint64_t t0, t1, t_ready = 0;
        bool ok = true;
        int r;

        r = make_leaf(c->outside ? outside_path : pool_path, leaf, sizeof(leaf), &leaf_fd);
        if (!check(r >= 0, res, "mkdir leaf: %s", strerror(-r)))
                return false;

        if (pipe2(pipefd, O_CLOEXEC) < 0) {
                remove_leaf(leaf);
                return check(false, res, "pipe: %m");
        }

        {
                char *argv[] = { (char *) crasher_path, (char *) c->mode, NULL };
                r = spawn(leaf_fd, argv, pipefd[1], &pid, &pidfd);
        }
        pipefd[1] = safe_close(pipefd[1]);
        if (!check(r >= 0, res, "clone3: %s", strerror(-r))) {
                ok = false;
                goto finish;
        }
        target = pid;

        if (c->shell_kill) {
                _cleanup_(closep) int sh_pidfd = -EBADF;
                siginfo_t shsi;
                pid_t ready;
                char cmd[64];

                r = read_line_pid(pipefd[0], "ready", &ready);
                if (!check(r >= 0, res, "crasher not ready: %s", strerror(-r)))
                        goto kill_finish;
                snprintf(cmd, sizeof(cmd), "kill -%s %d", c->shell_kill, (int) pid);
                char *argv[] = { (char *) "/bin/bash", (char *) "-c", cmd, NULL };
                r = spawn(-1, argv, -1, &sender, &sh_pidfd);
                if (!check(r >= 0, res, "spawn bash: %s", strerror(-r)))
                        goto kill_finish;
                r = wait_exit(sh_pidfd, NULL, &shsi, NULL, RUN_TIMEOUT_MS);
                if (!check(r >= 0 && shsi.si_code == CLD_EXITED && shsi.si_status == 0, res, "bash kill failed"))
                        goto kill_finish;
        }

        if (c->fork) {
                r = read_line_pid(pipefd[0], "child", &target);
                if (!check(r >= 0, res, "no child pid: %s", strerror(-r)))
                        goto kill_finish;
        }

        r = wait_exit(pidfd, probe, &si, &t_ready, RUN_TIMEOUT_MS);
        if (!check(r >= 0, res, "wait: %s", strerror(-r)))
                goto kill_finish;
        if (c->fork)
                ok = check(si.si_code == CLD_EXITED && si.si_status == 128 + c->signo, res,
                           "worker: code=%d status=%d", si.si_code, si.si_status) && ok;
        else
                ok = check(died_of(&si, c->signo), res, "died: code=%d status=%d, expected signal %d",
                           si.si_code, si.si_status, c->signo) && ok;

        t0 = now_ns();
        r = fault_probe_take(probe, target, c->fork ? c->signo : si.si_status, &ev);
        t1 = now_ns();

        if (c->outside) {
                ok = check(r == -ENOENT, res, "outside the subtree, but take() = %d", r) && ok;
                goto finish;
        }
        if (!check(r >= 0, res, "no evidence: %s", strerror(-r))) {
                ok = false;
                goto finish;
        }

        latencies_us[n_latencies] = (double) (t1 - ev.timestamp_ns) / 1000.0;
        ready_us[n_latencies] = (double) (t1 - t_ready) / 1000.0;
        take_us[n_latencies++] = (double) (t1 - t0) / 1000.0;

        res->n_evidence++;
        res->n_overflow += ev.stack_overflow;
        if (!res->example[0])
                describe(&ev, res->example, sizeof(res->example));

        ok = check(ev.signo == c->signo, res, "signo %d", ev.signo) && ok;
        ok = check(ev.pid == target, res, "pid %d != %d", (int) ev.pid, (int) target) && ok;
        ok = check(ev.stack_overflow == c->overflow, res, "stack_overflow=%d (code=%d addr=%#" PRIx64
                   " sp=%#" PRIx64 " stack=%#" PRIx64 "-%#" PRIx64 ")",
                   ev.stack_overflow, ev.si_code, ev.fault_addr, ev.sp, ev.stack_start, ev.stack_end) && ok;
        ok = check(ev.kernel_fault == c->kernel_fault, res, "kernel_fault=%d si_code=%d",
                   ev.kernel_fault, ev.si_code) && ok;
        if (c->kernel_fault && c->signo != SIGSYS)
                ok = check((ev.tid != ev.pid) == c->thread, res, "tid %d pid %d", (int) ev.tid, (int) ev.pid) && ok;
        ok = check(ev.syscall == c->syscall, res, "syscall %d, expected %d", ev.syscall, c->syscall) && ok;

        switch (c->sender) {
        case SENDER_NONE:
                ok = check(ev.sender_pid == 0, res, "unexpected sender %d", (int) ev.sender_pid) && ok;
                break;
        case SENDER_SELF:
                ok = check(ev.sender_pid == target, res, "sender %d, expected self %d",
                           (int) ev.sender_pid, (int) target) && ok;
                break;
        case SENDER_SHELL:
                ok = check(ev.sender_pid == sender && streq(ev.sender_comm, "bash"), res,
                           "sender %d (%s), expected %d (bash)", (int) ev.sender_pid, ev.sender_comm,
                           (int) sender) && ok;
                break;
        }
        goto finish;

kill_finish:
        ok = false;
        if (pidfd >= 0) {
                (void) syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
                (void) waitid((idtype_t) P_PIDFD, (id_t) pidfd, &si, WEXITED);
        }
finish:
        safe_close(pipefd[0]);
        if (probe && pid > 0)
                fault_probe_forget(probe, target);
        remove_leaf(leaf);
        return ok;
}

/* ---- overhead ---- */

typedef struct BenchResult {
        double cpu;                     /* ns per signal: median over chunks, thread CPU time */
        double wall;                    /* ns per signal: median over chunks, wall clock */
        double recorded;                /* records read per signal sent */
} BenchResult;

/* One bench run: crasher bench-self|bench-other N in a fresh leaf of parent. */
static int bench_once(FaultProbe *probe, const char *parent, const char *mode, long n, BenchResult *ret) {
        _cleanup_(closep) int leaf_fd = -EBADF, pidfd = -EBADF;
        char leaf[PATH_MAX] = "", nbuf[32], line[128];
        int pipefd[2] = { -EBADF, -EBADF };
        siginfo_t si;
        uint64_t drained;
        pid_t pid = 0;
        ssize_t k;
        int r;

        r = make_leaf(parent, leaf, sizeof(leaf), &leaf_fd);
        if (r < 0)
                return r;
        if (pipe2(pipefd, O_CLOEXEC) < 0) {
                r = -errno;
                goto out;
        }
        snprintf(nbuf, sizeof(nbuf), "%ld", n);
        char *argv[] = { (char *) crasher_path, (char *) mode, nbuf, NULL };
        r = spawn(leaf_fd, argv, pipefd[1], &pid, &pidfd);
        if (r < 0)
                goto out;
        pipefd[1] = safe_close(pipefd[1]);
        drained = n_drained;
        r = wait_exit(pidfd, probe, &si, NULL, 600 * 1000);
        if (r < 0)
                goto out;
        if (probe) {
                int k2 = fault_probe_process(probe);
                if (k2 > 0)
                        n_drained += (uint64_t) k2;
        }
        ret->recorded = (double) (n_drained - drained) / (double) (n / 1000 * 1000);
        if (si.si_code != CLD_EXITED || si.si_status != 0) {
                r = -EPROTO;
                goto out;
        }
        k = read(pipefd[0], line, sizeof(line) - 1);
        if (k <= 0) {
                r = -EPROTO;
                goto out;
        }
        line[k] = '\0';
        if (sscanf(line, "bench %lf %lf", &ret->cpu, &ret->wall) != 2)
                r = -EPROTO;
out:
        if (probe && pid > 0)
                fault_probe_forget(probe, pid);
        safe_close(pipefd[0]);
        safe_close(pipefd[1]);
        remove_leaf(leaf);
        return r;
}

static void bench_add(BenchResult *acc, const BenchResult *r, int reps) {
        acc->cpu += r->cpu / reps;
        acc->wall += r->wall / reps;
        acc->recorded += r->recorded / reps;
}

/* The newest tracing program named signal_generate: ours. */
static int find_prog_fd(void) {
        uint32_t id = 0, best = 0;

        while (bpf_prog_get_next_id(id, &id) == 0) {
                struct bpf_prog_info info = {};
                uint32_t len = sizeof(info);
                int fd = bpf_prog_get_fd_by_id(id);

                if (fd < 0)
                        continue;
                if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0 && streq(info.name, "signal_generate"))
                        best = id;
                close(fd);
        }
        return best ? bpf_prog_get_fd_by_id(best) : -ENOENT;
}

/* The program's average run time over one bench run, from the kernel's
 * BPF statistics (which add two clock reads per run themselves). */
static double prog_run_time(FaultProbe *probe, int prog_fd, const char *parent, const char *mode, long n) {
        struct bpf_prog_info a = {}, b = {};
        uint32_t len = sizeof(a);
        BenchResult r;

        int k;

        if (bpf_obj_get_info_by_fd(prog_fd, &a, &len) < 0)
                return -1;
        k = bench_once(probe, parent, mode, n, &r);
        if (k < 0) {
                fprintf(stderr, "bench %s for BPF stats: %s\n", mode, strerror(-k));
                return -1;
        }
        len = sizeof(b);
        if (bpf_obj_get_info_by_fd(prog_fd, &b, &len) < 0 || b.run_cnt <= a.run_cnt)
                return -1;
        if (getenv("FAULT_PROBE_DEBUG"))
                fprintf(stderr, "prog %u %s %s: %llu runs, %llu ns, %.3f records/signal\n", b.id, mode, parent,
                        (unsigned long long) (b.run_cnt - a.run_cnt), (unsigned long long) (b.run_time_ns - a.run_time_ns),
                        r.recorded);
        return (double) (b.run_time_ns - a.run_time_ns) / (double) (b.run_cnt - a.run_cnt);
}

enum {
        BENCH_SELF_UNLOADED,
        BENCH_SELF_OUTSIDE,
        BENCH_SELF_INSIDE,
        BENCH_OTHER_UNLOADED,
        BENCH_OTHER_OUTSIDE,
        BENCH_OTHER_INSIDE,
        _BENCH_MAX,
};

static const struct {
        const char *mode;
        bool loaded;
        bool inside;
        const char *what;
} bench_runs[_BENCH_MAX] = {
        [BENCH_SELF_UNLOADED]  = { "bench-self",  false, true,  "kill(self), handled: no probe" },
        [BENCH_SELF_OUTSIDE]   = { "bench-self",  true,  false, "kill(self), handled: probe, outside subtree" },
        [BENCH_SELF_INSIDE]    = { "bench-self",  true,  true,  "kill(self), handled: probe, inside (filtered)" },
        [BENCH_OTHER_UNLOADED] = { "bench-other", false, true,  "kill(child), handled: no probe" },
        [BENCH_OTHER_OUTSIDE]  = { "bench-other", true,  false, "kill(child), handled: probe, outside subtree" },
        [BENCH_OTHER_INSIDE]   = { "bench-other", true,  true,  "kill(child), handled: probe, inside (recorded)" },
};

/* An empty program on the same tracepoint: what the BPF statistics (and the
 * trampoline) cost by themselves, to subtract. Returns a link fd. */
static int attach_empty_prog(int *ret_prog_fd) {
        const struct bpf_insn insns[] = {
                { .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
                { .code = BPF_JMP | BPF_EXIT },
        };
        LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = BPF_TRACE_RAW_TP);
        int btf_id, prog_fd, link_fd;

        btf_id = libbpf_find_vmlinux_btf_id("signal_generate", BPF_TRACE_RAW_TP);
        if (btf_id < 0)
                return btf_id;
        opts.attach_btf_id = (uint32_t) btf_id;
        prog_fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, "empty_sig_gen", "GPL", insns, ELEMENTSOF(insns), &opts);
        if (prog_fd < 0)
                return prog_fd;
        link_fd = bpf_raw_tracepoint_open(NULL, prog_fd);
        if (link_fd < 0) {
                close(prog_fd);
                return link_fd;
        }
        *ret_prog_fd = prog_fd;
        return link_fd;
}

static int bench(FaultProbe **probe, uint64_t root_id, int root_level, long n, int reps) {
        BenchResult res[_BENCH_MAX] = {};
        double prog[_BENCH_MAX], empty = -1;
        int r;

        printf("\nOverhead: %ld x kill(..., SIGUSR1) per run, %d interleaved rounds; per signal, median over\n"
               "chunks of 1000 (sender's CPU time, and wall time), averaged over the rounds:\n", n, reps);

        for (int i = 0; i < reps; i++)
                for (int k = 0; k < _BENCH_MAX; k++) {
                        BenchResult x;

                        if (!bench_runs[k].loaded && *probe)
                                *probe = fault_probe_free(*probe);
                        if (bench_runs[k].loaded && !*probe) {
                                r = fault_probe_new(root_id, root_level, probe);
                                if (r < 0)
                                        goto fail;
                        }
                        r = bench_once(*probe, bench_runs[k].inside ? pool_path : outside_path,
                                       bench_runs[k].mode, n, &x);
                        if (r < 0)
                                goto fail;
                        bench_add(&res[k], &x, reps);
                }

        for (int k = 0; k < _BENCH_MAX; k++)
                prog[k] = -1;
        {
                _cleanup_(closep) int prog_fd = find_prog_fd(), stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
                _cleanup_(closep) int empty_fd = -EBADF, empty_link = -EBADF;

                if (prog_fd >= 0 && stats_fd >= 0)
                        for (int k = 0; k < _BENCH_MAX; k++)
                                if (bench_runs[k].loaded)
                                        prog[k] = prog_run_time(*probe, prog_fd,
                                                                bench_runs[k].inside ? pool_path : outside_path,
                                                                bench_runs[k].mode, n / 5);
                if (stats_fd >= 0) {
                        empty_link = attach_empty_prog(&empty_fd);
                        if (empty_link >= 0)
                                empty = prog_run_time(NULL, empty_fd, outside_path, "bench-self", n / 5);
                }
        }

        printf("  %-48s %9s %9s %10s %12s\n", "", "CPU", "wall", "CPU delta", "BPF run time");
        for (int k = 0; k < _BENCH_MAX; k++) {
                int base = k < BENCH_OTHER_UNLOADED ? BENCH_SELF_UNLOADED : BENCH_OTHER_UNLOADED;
                char delta[32] = "", pr[32] = "";

                if (k != base)
                        snprintf(delta, sizeof(delta), "%+.0f ns", res[k].cpu - res[base].cpu);
                if (prog[k] >= 0)
                        snprintf(pr, sizeof(pr), "%.0f ns", prog[k]);
                printf("  %-48s %6.0f ns %6.0f ns %10s %12s\n", bench_runs[k].what, res[k].cpu, res[k].wall, delta, pr);
        }
        if (empty >= 0)
                printf("  (BPF run time from the kernel's BPF statistics, which cost something themselves:\n"
                       "   an empty program on the same tracepoint shows %.0f ns/run here)\n", empty);
        printf("  records read per signal: inside/filtered %.3f, inside/recorded %.3f (short of 1: dropped,"
               " ring buffer full)\n", res[BENCH_SELF_INSIDE].recorded, res[BENCH_OTHER_INSIDE].recorded);
        return 0;

fail:
        printf("  bench failed: %s\n", strerror(-r));
        if (!*probe)
                (void) fault_probe_new(root_id, root_level, probe);
        return r;
}

static void cleanup_cgroups(void) {
        if (pool_path[0])
                remove_leaf(pool_path);
        if (scratch_path[0])
                remove_leaf(scratch_path);
        if (outside_path[0])
                remove_leaf(outside_path);
}

int main(int argc, char *argv[]) {
        _cleanup_(fault_probe_freep) FaultProbe *probe = NULL;
        _cleanup_(closep) int scratch_fd = -EBADF;
        CaseResult results[ELEMENTSOF(cases)] = {};
        unsigned runs = 20, n_passed = 0, n_failed = 0;
        long bench_n = 0;       /* the cost per signal: a benchmark, not a test (meson benchmark) */
        char own[PATH_MAX];
        int own_level = 0;
        struct utsname u;
        struct stat st;
        const char *e;
        int r;

        if (argc == 2 && streq(argv[1], "--check-load"))
                return check_load();
        if (argc < 2) {
                fprintf(stderr, "usage: %s CRASHER [RUNS] | --check-load\n", argv[0]);
                return EXIT_FAILURE;
        }
        crasher_path = argv[1];
        if (argc > 2)
                runs = (unsigned) atoi(argv[2]);
        e = getenv("FAULT_PROBE_BENCH_N");
        if (e)
                bench_n = atol(e);
        if (getenv("FAULT_PROBE_DEBUG"))
                log_set_max_level(LOG_DEBUG);
        setvbuf(stdout, NULL, _IOLBF, 0);

        if (access(crasher_path, X_OK) < 0) {
                fprintf(stderr, "%s: %m\n", crasher_path);
                return EXIT_FAILURE;
        }
        if (geteuid() != 0)
                return skip_or_fail("needs root (BPF and cgroup v2)");

        r = find_own_cgroup(own, sizeof(own), &own_level);
        if (r < 0)
                return skip_or_fail("no cgroup2 mount or cgroup: %s", strerror(-r));

        if ((size_t) snprintf(scratch_path, sizeof(scratch_path), "%s/fault-probe-test.%d", own, (int) getpid()) >= sizeof(scratch_path) ||
            (size_t) snprintf(outside_path, sizeof(outside_path), "%s/fault-probe-test.%d.outside", own, (int) getpid()) >= sizeof(outside_path) ||
            (size_t) snprintf(pool_path, sizeof(pool_path), "%s/pool", scratch_path) >= sizeof(pool_path)) {
                scratch_path[0] = outside_path[0] = pool_path[0] = '\0';
                return skip_or_fail("cgroup path too long: %s", own);
        }
        if (mkdir(scratch_path, 0755) < 0) {
                scratch_path[0] = '\0';
                return skip_or_fail("cannot create a scratch cgroup under %s: %m", own);
        }
        atexit(cleanup_cgroups);
        if (mkdir(outside_path, 0755) < 0 || mkdir(pool_path, 0755) < 0) {
                fprintf(stderr, "mkdir: %m\n");
                return EXIT_FAILURE;
        }
        scratch_fd = open(scratch_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (scratch_fd < 0 || fstat(scratch_fd, &st) < 0) {
                fprintf(stderr, "%s: %m\n", scratch_path);
                return EXIT_FAILURE;
        }

        r = fault_probe_new((uint64_t) st.st_ino, own_level + 1, &probe);
        if (load_refused(r) && machine_lacks_fault_probe()) {
                /* Not a pass, not a failure: tools/test reports it as not run. */
                printf("fault-probe: 1 not run: this machine lacks fault-probe (%s)\n", strerror(-r));
                return EXIT_SUCCESS;
        }
        if (load_refused(r))
                return skip_or_fail("cannot load the fault probe: %s", strerror(-r));
        if (r < 0) {
                printf("FAIL: fault_probe_new: %s\n0 passed, 1 failed\n", strerror(-r));
                return EXIT_FAILURE;
        }

        uname(&u);
        printf("Fault probe on %s %s, scratch cgroup %s (id %" PRIu64 "), %u runs per case\n\n",
               u.sysname, u.release, scratch_path, (uint64_t) st.st_ino, runs);

        latencies_us = calloc(runs * ELEMENTSOF(cases), sizeof(double));
        ready_us = calloc(runs * ELEMENTSOF(cases), sizeof(double));
        take_us = calloc(runs * ELEMENTSOF(cases), sizeof(double));
        if (!latencies_us || !ready_us || !take_us)
                return EXIT_FAILURE;

        for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                for (unsigned k = 0; k < runs; k++) {
                        results[i].runs++;
                        results[i].passed += run_case(probe, &cases[i], &results[i]);
                }

        printf("%-30s %7s %9s %8s  %s\n", "case", "right", "overflow", "expect", "evidence (first run) / first failure");
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                const CaseResult *res = &results[i];
                char expect[16];

                snprintf(expect, sizeof(expect), "%s", cases[i].outside ? "none" : cases[i].overflow ? "yes" : "no");
                printf("%-30s %3u/%-3u %4u/%-4u %8s  %s\n", cases[i].name, res->passed, res->runs,
                       res->n_overflow, res->n_evidence, expect,
                       res->first_failure[0] ? res->first_failure : cases[i].outside ? "no evidence (right)" : res->example);
                if (res->passed == res->runs)
                        n_passed++;
                else
                        n_failed++;
        }

        if (n_latencies > 0) {
                double l50 = percentile(latencies_us, n_latencies, 0.5), l99 = percentile(latencies_us, n_latencies, 0.99);
                double r50 = percentile(ready_us, n_latencies, 0.5), r99 = percentile(ready_us, n_latencies, 0.99);
                double t50 = percentile(take_us, n_latencies, 0.5), t99 = percentile(take_us, n_latencies, 0.99);

                printf("\nLatency over %zu crashes (median / p99):\n", n_latencies);
                printf("  signal generated -> evidence in hand:           %8.0f / %8.0f us  (includes the process's exit)\n", l50, l99);
                printf("  pidfd readable -> evidence in hand (reap+take): %8.1f / %8.1f us\n", r50, r99);
                printf("  fault_probe_take() alone:                       %8.1f / %8.1f us\n", t50, t99);
        }

        /* Measured, not judged: it has no bound, so it is not counted as a
         * passed test (only a failure to measure at all counts). */
        if (bench_n > 0 && bench(&probe, (uint64_t) st.st_ino, own_level + 1, bench_n, 3) < 0)
                n_failed++;

        printf("\n%u passed, %u failed\n", n_passed, n_failed);
        return n_failed > 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
