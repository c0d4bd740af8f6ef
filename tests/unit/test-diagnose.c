/* SPDX-License-Identifier: MIT */
/* The hang capture on real processes, frozen in a scratch cgroup below our
 * own in the v2 hierarchy (cgroup.freeze): hangthreads (three threads in
 * known functions), the test worker's "hang", a thread that never stops
 * (waiting in vfork()), through the library and through the program
 * workerpoold-diagnose; the processes must run on after a capture. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "diagnose/diagnose.h"
#include "shared/fd-util.h"
#include "shared/macro.h"
#include "shared/utf8.h"

#define WAIT_USEC (5 * USEC_PER_SEC)

static int parent_fd = -EBADF, leaf_fd = -EBADF;
static char leaf_name[64];
static pid_t started[4];
static size_t n_started;

static usec_t now_usec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (usec_t) ts.tv_sec * USEC_PER_SEC + (usec_t) ts.tv_nsec / NSEC_PER_USEC;
}

static const char *env(const char *name) {
        const char *v = getenv(name);

        cr_assert(v && access(v, X_OK) == 0, "$%s (%s) is not an executable: run from meson test",
                  name, v ?: "unset");
        return v;
}

static void setup(void) {
        char *mount = NULL, *self = NULL, *path = NULL;

        if (geteuid() != 0 || cgroup_find_mount(&mount) < 0)
                cr_skip_test("needs root (ptrace, /proc/PID/stack) and a cgroup v2 mount");
        cr_assert_eq(cgroup_pid_get_path(0, &self), 0);
        cr_assert_gt(asprintf(&path, "%s%s", mount, self), 0);
        parent_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        cr_assert_geq(parent_fd, 0, "%s: %m", path);
        snprintf(leaf_name, sizeof leaf_name, "wp-unit-diagnose-%d", (int) getpid());
        cr_assert_eq(cgroup_create(parent_fd, leaf_name, true, &leaf_fd), 0);
        free(mount);
        free(self);
        free(path);
}

static void teardown(void) {
        if (leaf_fd >= 0) {
                (void) cgroup_kill(leaf_fd);    /* frozen or not */
                for (size_t i = 0; i < n_started; i++)
                        (void) waitpid(started[i], NULL, 0);
                for (int i = 0; i < 200 && cgroup_remove(parent_fd, leaf_name) == -EBUSY; i++)
                        usleep(10000);
                safe_close(leaf_fd);
        }
        safe_close(parent_fd);
}

TestSuite(diagnose, .init = setup, .fini = teardown);

/* Start argv in the leaf; its stdout is *ret_out. */
static pid_t start_in_leaf(char **argv, int *ret_out) {
        int p[2];
        pid_t pid;

        cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
        pid = fork();
        if (pid == 0) {         /* no cr_assert() in a child: it talks to the runner */
                if (cgroup_attach(leaf_fd, getpid()) < 0 || dup2(p[1], STDOUT_FILENO) < 0)
                        _exit(126);
                execv(argv[0], argv);
                _exit(127);
        }
        cr_assert_gt(pid, 0);
        close(p[1]);
        started[n_started++] = pid;
        *ret_out = p[0];
        return pid;
}

/* Read fd until a line is `line` (within WAIT_USEC). */
static void wait_line(int fd, const char *line) {
        char buf[4096] = "";
        size_t len = 0;
        usec_t until = now_usec() + WAIT_USEC;

        for (;;) {
                struct pollfd pfd = { .fd = fd, .events = POLLIN };
                char want[64];
                ssize_t n;

                snprintf(want, sizeof want, "%s\n", line);
                if (strstr(buf, want))
                        return;
                cr_assert_lt(now_usec(), until, "no \"%s\" line (got \"%s\")", line, buf);
                if (poll(&pfd, 1, 100) <= 0)
                        continue;
                n = read(fd, buf + len, sizeof buf - 1 - len);
                cr_assert_gt(n, 0, "EOF before a \"%s\" line", line);
                len += (size_t) n;
                buf[len] = 0;
        }
}

/* The tids of pid, the main thread first. */
static size_t list_tids(pid_t pid, pid_t *tids, size_t max) {
        char path[64];
        struct dirent *de;
        size_t n = 1;
        DIR *d;

        snprintf(path, sizeof path, "/proc/%d/task", (int) pid);
        d = opendir(path);
        cr_assert_not_null(d, "%s: %m", path);
        tids[0] = pid;
        while ((de = readdir(d)))
                if (atoi(de->d_name) > 0 && atoi(de->d_name) != pid && n < max)
                        tids[n++] = atoi(de->d_name);
        closedir(d);
        return n;
}

static long task_syscall(pid_t pid, pid_t tid) {
        char path[64], buf[256];

        snprintf(path, sizeof path, "/proc/%d/task/%d/syscall", (int) pid, (int) tid);
        if (read_file_at(AT_FDCWD, path, buf, sizeof buf, NULL) < 0)
                return -2;
        return strncmp(buf, "running", 7) == 0 ? -3 : strtol(buf, NULL, 10);
}

/* Until pid has n threads, each blocked in one of the system calls (>= 0, -1 ends). */
static void wait_blocked(pid_t pid, size_t n, const long *calls) {
        usec_t until = now_usec() + WAIT_USEC;

        for (;;) {
                pid_t tids[16];
                size_t k = list_tids(pid, tids, ELEMENTSOF(tids)), blocked = 0;

                for (size_t i = 0; i < k; i++) {
                        long nr = task_syscall(pid, tids[i]);

                        for (const long *c = calls; *c >= 0; c++)
                                if (nr == *c) {
                                        blocked++;
                                        break;
                                }
                }
                if (k == n && blocked == n)
                        return;
                cr_assert_lt(now_usec(), until, "pid %d: %zu of %zu threads blocked", (int) pid, blocked, n);
                usleep(10000);
        }
}

static void freeze(bool on) {
        usec_t until = now_usec() + WAIT_USEC;
        uint64_t frozen = !on;

        cr_assert_eq(cgroup_write(leaf_fd, "cgroup.freeze", on ? "1" : "0"), 0);
        while (cgroup_read_key(leaf_fd, "cgroup.events", "frozen", &frozen) == 0 && frozen != on) {
                cr_assert_lt(now_usec(), until, "no \"frozen %d\" in cgroup.events", on);
                usleep(5000);
        }
        cr_assert_eq(frozen, (uint64_t) on);
}

static void task_status(pid_t pid, pid_t tid, const char *key, char *buf, size_t size) {
        char path[64], *text = NULL, *p;

        snprintf(path, sizeof path, "/proc/%d/task/%d/status", (int) pid, (int) tid);
        cr_assert_eq(read_full_file_at(AT_FDCWD, path, &text), 0);
        p = strstr(text, key);
        cr_assert_not_null(p, "%s: no %s", path, key);
        p += strlen(key) + strspn(p + strlen(key), " \t");
        snprintf(buf, size, "%.*s", (int) strcspn(p, "\n"), p);
        free(text);
}

/* Left as found: no tracer, not stopped (frozen threads sleep in the freezer). */
static void assert_untraced(pid_t pid) {
        pid_t tids[16];
        size_t n = list_tids(pid, tids, ELEMENTSOF(tids));

        for (size_t i = 0; i < n; i++) {
                char tracer[32], state[64];

                task_status(pid, tids[i], "TracerPid:", tracer, sizeof tracer);
                task_status(pid, tids[i], "State:", state, sizeof state);
                cr_assert_str_eq(tracer, "0", "thread %d is still traced", (int) tids[i]);
                cr_assert(state[0] != 't' && state[0] != 'T', "thread %d: %s", (int) tids[i], state);
        }
}

/* The lines of thread tid's record (to the next "thread" or "process" line). */
static char *thread_block(const char *text, pid_t tid) {
        char head[64];
        const char *p, *e;

        snprintf(head, sizeof head, "thread %d (", (int) tid);
        p = strstr(text, head);
        cr_assert_not_null(p, "no \"%s\" in:\n%s", head, text);
        cr_assert(p == text || p[-1] == '\n');
        for (e = strchr(p, '\n'); e && !strneq(e + 1, "thread ", 7) && !strneq(e + 1, "process ", 8) &&
                                  !strneq(e + 1, DIAGNOSE_END_PREFIX, strlen(DIAGNOSE_END_PREFIX));
             e = strchr(e + 1, '\n'))
                ;
        return strndup(p, e ? (size_t) (e - p + 1) : strlen(p));
}

/* func appears in block's user stack, below (called from) each of callers. */
static void assert_frames(const char *block, const char *func, const char *caller) {
        const char *user = strstr(block, "\n  user stack:\n    #0  0x"), *f, *c;

        cr_assert_not_null(user, "no user stack in:\n%s", block);
        f = strstr(user, func);
        c = strstr(user, caller);
        cr_assert(f && c && f < c, "no %s under %s in:\n%s", func, caller, block);
}

static void assert_thread_common(const char *block) {
        cr_assert(strstr(block, "\n  state: "), "%s", block);
        cr_assert(strstr(block, "\n  syscall: "), "%s", block);
        cr_assert(strstr(block, "\n  wchan: "), "%s", block);
        cr_assert(strstr(block, "\n  kernel stack:\n    "), "%s", block);
}

static void assert_well_formed(const char *text, size_t max) {
        size_t len = strlen(text);

        cr_assert_gt(len, 0);
        cr_assert_leq(len, max, "%zu bytes, more than %zu", len, max);
        cr_assert(utf8_is_valid(text), "not UTF-8:\n%s", text);
        cr_assert_eq(text[len - 1], '\n', "does not end at a line");
        cr_assert(strneq(text, "process ", 8), "%s", text);
        for (const char *p = text; *p; p++)
                cr_assert(*p == '\n' || (unsigned char) *p >= 0x20, "a control character in:\n%s", text);
}

typedef struct Run {
        int status;
        char out[65536], err[4096];
        usec_t usec;
} Run;

static void read_all(int fd, char *buf, size_t size) {
        size_t len = 0;
        ssize_t n;

        while (len < size - 1 && (n = read(fd, buf + len, size - 1 - len)) > 0)
                len += (size_t) n;
        buf[len] = 0;
}

/* Run workerpoold-diagnose with args; stdout into r->out, unless out_fd >= 0. */
static void run_diagnose(char **args, int out_fd, Run *r) {
        char *argv[16] = { (char *) env("WORKERPOOLD_DIAGNOSE") };
        int out[2], err[2];
        usec_t start = now_usec();
        pid_t pid;
        size_t n = 1;

        for (char **a = args; *a && n < ELEMENTSOF(argv) - 1; a++)
                argv[n++] = *a;
        cr_assert_eq(pipe2(out, O_CLOEXEC), 0);
        cr_assert_eq(pipe2(err, O_CLOEXEC), 0);
        pid = fork();
        if (pid == 0) {
                if (dup2(out_fd >= 0 ? out_fd : out[1], STDOUT_FILENO) < 0 || dup2(err[1], STDERR_FILENO) < 0)
                        _exit(126);
                execv(argv[0], argv);
                _exit(127);
        }
        cr_assert_gt(pid, 0);
        close(out[1]);
        close(err[1]);
        read_all(out[0], r->out, sizeof r->out);
        read_all(err[0], r->err, sizeof r->err);
        close(out[0]);
        close(err[0]);
        cr_assert_eq(waitpid(pid, &r->status, 0), pid);
        r->usec = now_usec() - start;
}

static char *pid_arg(pid_t pid) {
        static char bufs[4][16];
        static unsigned k;
        char *b = bufs[k++ % 4];

        snprintf(b, sizeof bufs[0], "%d", (int) pid);
        return b;
}

static const long nanosleep_or_pause[] = { SYS_clock_nanosleep, SYS_nanosleep, SYS_pause, -1 };

static pid_t start_hangthreads(const char *mode, int *ret_out) {
        char *argv[] = { (char *) env("HANGTHREADS"), (char *) mode, NULL };
        pid_t pid = start_in_leaf(argv, ret_out);

        wait_line(*ret_out, "ready");
        return pid;
}

/* Every thread, its comm (made UTF-8), its function and the system call it
 * sleeps in; the process still frozen and untraced afterwards, the same
 * capture a second time, and the process runs on when thawed. */
Test(diagnose, every_thread_of_a_frozen_process) {
        _cleanup_(freep) char *text = NULL, *again = NULL;
        pid_t tids[16];
        uint64_t frozen;
        size_t n;
        char head[128];
        int out;
        pid_t pid = start_hangthreads(NULL, &out);

        wait_blocked(pid, 3, nanosleep_or_pause);
        freeze(true);
        cr_assert_eq(diagnose_capture(pid, NULL, &text), 0);
        assert_well_formed(text, DIAGNOSE_MAX_BYTES_DEFAULT);
        snprintf(head, sizeof head, "process %d (hangthreads), 3 threads\n", (int) pid);
        cr_assert(strneq(text, head, strlen(head)), "%s", text);
        cr_assert_null(strstr(text, DIAGNOSE_END_PREFIX), "cut:\n%s", text);

        n = list_tids(pid, tids, ELEMENTSOF(tids));
        cr_assert_eq(n, 3);
        for (size_t i = 0; i < n; i++) {
                _cleanup_(freep) char *block = thread_block(text, tids[i]);
                char comm[32];

                assert_thread_common(block);
                task_status(pid, tids[i], "Name:", comm, sizeof comm);
                if (i == 0) {
                        cr_assert(strstr(block, " (hangthreads)\n"), "%s", block);
                        assert_frames(block, "nanosleep", "main_here");
                } else if (streq(comm, "hang-a")) {
                        cr_assert(strstr(block, " (hang-a)\n"), "%s", block);
                        assert_frames(block, "nanosleep", "thread_a_here");
                } else {
                        /* "hang-b\xff": the byte that is not UTF-8 is U+FFFD */
                        cr_assert(strstr(block, " (hang-b\xef\xbf\xbd)\n"), "%s", block);
                        assert_frames(block, "pause", "thread_b_here");
                }
        }

        cr_assert_eq(cgroup_read_key(leaf_fd, "cgroup.events", "frozen", &frozen), 0);
        cr_assert_eq(frozen, 1, "the capture thawed the cgroup");
        assert_untraced(pid);
        cr_assert_eq(diagnose_capture(pid, NULL, &again), 0);
        cr_assert_str_eq(again, text, "a second capture differs");
        assert_untraced(pid);

        freeze(false);
        cr_assert_eq(kill(pid, SIGUSR1), 0);
        wait_line(out, "alive");
        close(out);
}

/* The test worker's hang, captured the daemon's way: by the program. */
Test(diagnose, testworker_hang_by_the_program) {
        _cleanup_(freep) char *block = NULL;
        char *argv[] = { (char *) env("TESTWORKER"), "hang", NULL };
        char *args[] = { NULL, NULL };
        int out;
        pid_t pid = start_in_leaf(argv, &out);
        Run *r = calloc(1, sizeof *r);

        wait_blocked(pid, 1, nanosleep_or_pause);
        freeze(true);
        args[0] = pid_arg(pid);
        run_diagnose(args, -1, r);
        cr_assert(WIFEXITED(r->status) && WEXITSTATUS(r->status) == 0, "status %d, stderr: %s", r->status, r->err);
        assert_well_formed(r->out, DIAGNOSE_MAX_BYTES_DEFAULT);
        block = thread_block(r->out, pid);
        assert_thread_common(block);
        assert_frames(block, "nanosleep", "hang_here");
        assert_frames(block, "hang_here", "main");
        assert_untraced(pid);
        freeze(false);
        cr_assert_eq(kill(pid, 0), 0);
        close(out);
        free(r);
}

/* --max-bytes: cut at a line, the last one "... (truncated)", within the
 * limit, valid UTF-8; a prefix of the whole capture. Limits refused. */
Test(diagnose, truncated_at_max_bytes) {
        _cleanup_(freep) char *full = NULL, *small = NULL;
        char *args[] = { "--max-bytes", "300", NULL, NULL };
        DiagnoseOptions o = { .max_bytes = DIAGNOSE_MAX_BYTES_MIN };
        int out;
        size_t len;
        pid_t pid = start_hangthreads(NULL, &out);
        Run *r = calloc(1, sizeof *r);

        wait_blocked(pid, 3, nanosleep_or_pause);
        freeze(true);
        cr_assert_eq(diagnose_capture(pid, NULL, &full), 0);
        cr_assert_gt(strlen(full), 300);

        args[2] = pid_arg(pid);
        run_diagnose(args, -1, r);
        cr_assert(WIFEXITED(r->status) && WEXITSTATUS(r->status) == 0, "status %d, stderr: %s", r->status, r->err);
        assert_well_formed(r->out, 300);
        len = strlen(r->out);
        cr_assert_gt(len, 300 - DIAGNOSE_LINE_MAX / 2);
        cr_assert(strstr(r->out, "\n" DIAGNOSE_TRUNCATED_LINE) == r->out + len - strlen(DIAGNOSE_TRUNCATED_LINE) - 1,
                  "not cut at a line:\n%s", r->out);
        cr_assert(strneq(full, r->out, len - strlen(DIAGNOSE_TRUNCATED_LINE)), "not a prefix:\n%s", r->out);

        /* the smallest: the process line and the end line */
        cr_assert_eq(diagnose_capture(pid, &o, &small), 0);
        assert_well_formed(small, DIAGNOSE_MAX_BYTES_MIN);
        cr_assert(strstr(small, "\n" DIAGNOSE_TRUNCATED_LINE), "%s", small);

        o.max_bytes = DIAGNOSE_MAX_BYTES_MIN - 1;
        cr_assert_eq(diagnose_capture(pid, &o, &small), -EINVAL);
        args[1] = "10";
        run_diagnose(args, -1, r);
        cr_assert(WIFEXITED(r->status) && WEXITSTATUS(r->status) == 2, "status %d", r->status);
        cr_assert_str_empty(r->out);
        cr_assert(strstr(r->err, "--max-bytes"), "%s", r->err);
        assert_untraced(pid);
        close(out);
        free(r);
}

static pid_t gone_pid(void) {
        pid_t pid = fork();

        if (pid == 0)
                _exit(0);
        cr_assert_gt(pid, 0);
        cr_assert_eq(waitpid(pid, NULL, 0), pid);
        return pid;
}

/* A pid that does not exist: -ESRCH and no text; the program says so on
 * stderr and prints nothing, or only the others. */
Test(diagnose, no_such_process) {
        char *text = NULL;
        char *args[] = { NULL, NULL, NULL };
        pid_t gone = gone_pid(), pids[2];
        int results[2], out;
        pid_t pid;
        Run *r = calloc(1, sizeof *r);
        char want[64];

        cr_assert_eq(diagnose_capture(gone, NULL, &text), -ESRCH);
        cr_assert_null(text);
        args[0] = pid_arg(gone);
        run_diagnose(args, -1, r);
        cr_assert(WIFEXITED(r->status) && WEXITSTATUS(r->status) == 1, "status %d", r->status);
        cr_assert_str_empty(r->out);
        snprintf(want, sizeof want, "No process %d.", (int) gone);
        cr_assert(strstr(r->err, want), "stderr: %s", r->err);

        /* with one that exists (not frozen: a capture on demand) */
        pid = start_hangthreads(NULL, &out);
        wait_blocked(pid, 3, nanosleep_or_pause);
        pids[0] = gone;
        pids[1] = pid;
        cr_assert_eq(diagnose_capture_pids(pids, 2, NULL, results, &text), 1);
        cr_assert_eq(results[0], -ESRCH);
        cr_assert_eq(results[1], 0);
        assert_well_formed(text, DIAGNOSE_MAX_BYTES_DEFAULT);
        free(text);
        args[1] = pid_arg(pid);
        run_diagnose(args, -1, r);
        cr_assert(WIFEXITED(r->status) && WEXITSTATUS(r->status) == 0, "status %d", r->status);
        assert_well_formed(r->out, DIAGNOSE_MAX_BYTES_DEFAULT);
        cr_assert(strstr(r->err, want), "stderr: %s", r->err);
        assert_untraced(pid);
        cr_assert_eq(kill(pid, SIGUSR1), 0);
        wait_line(out, "alive");
        close(out);
        free(r);
}

/* The vfork child of hangthreads "vfork", the one process of the leaf we did not start. */
static pid_t leaf_other_pid(pid_t known) {
        char *procs = NULL, *e;
        pid_t other = 0;

        cr_assert_eq(read_full_file_at(leaf_fd, "cgroup.procs", &procs), 0);
        for (char *p = procs; *p; p = e + (*e == '\n')) {
                long v = strtol(p, &e, 10);

                if (e == p)
                        break;
                if (v != known)
                        other = (pid_t) v;
        }
        free(procs);
        cr_assert_gt(other, 0, "no vfork child in the leaf");
        return other;
}

/* A thread that cannot stop (its parent waits in vfork()): bounded, said
 * so, the other threads captured, and nothing left traced once the
 * program exits. */
Test(diagnose, a_thread_that_does_not_stop) {
        _cleanup_(freep) char *main_block = NULL, *a_block = NULL;
        static const long vfork_calls[] = { SYS_vfork, SYS_clock_nanosleep, SYS_nanosleep, SYS_pause, -1 };
        static const long ppoll_call[] = { SYS_ppoll, -1 };
        char *args[] = { "--timeout", "10s", NULL, NULL, NULL };
        pid_t tids[16], child;
        int out;
        pid_t pid = start_hangthreads("vfork", &out);
        Run *r = calloc(1, sizeof *r);

        wait_blocked(pid, 3, vfork_calls);
        child = leaf_other_pid(pid);
        wait_blocked(child, 1, ppoll_call);
        freeze(true);
        args[2] = pid_arg(pid);
        args[3] = pid_arg(child);
        run_diagnose(args, -1, r);
        cr_assert(WIFEXITED(r->status) && WEXITSTATUS(r->status) == 0, "status %d, stderr: %s", r->status, r->err);
        /* not cut: the wait for the stops ended on its own (DIAGNOSE_STOP_TIMEOUT_USEC) */
        assert_well_formed(r->out, DIAGNOSE_MAX_BYTES_DEFAULT);
        cr_assert_null(strstr(r->out, DIAGNOSE_END_PREFIX), "cut:\n%s", r->out);
        main_block = thread_block(r->out, pid);
        cr_assert(strstr(main_block, "\n  syscall: vfork ("), "%s", main_block);
        cr_assert(strstr(main_block, "\n  user stack: not available (it did not stop in time)\n"), "%s", main_block);
        cr_assert_eq(list_tids(pid, tids, ELEMENTSOF(tids)), 3);
        for (size_t i = 1; i < 3; i++) {
                _cleanup_(freep) char *b = thread_block(r->out, tids[i]);

                cr_assert(strstr(b, "_here+0x"), "%s", b);
        }
        a_block = thread_block(r->out, child);
        assert_frames(a_block, "syscall", "vfork_here");
        assert_untraced(pid);
        assert_untraced(child);
        freeze(false);
        cr_assert_eq(kill(pid, SIGUSR1), 0);
        wait_line(out, "alive");
        close(out);
        free(r);
}

/* --timeout: the capture's own deadline, here during the wait for a thread
 * that never stops: what it has, then "... (timed out)", within the time. */
Test(diagnose, timeout_prints_what_it_has) {
        char *args[] = { "--timeout", "400ms", NULL, NULL };
        int out;
        pid_t pid = start_hangthreads("vfork", &out);
        static const long vfork_calls[] = { SYS_vfork, SYS_clock_nanosleep, SYS_nanosleep, SYS_pause, -1 };
        Run *r = calloc(1, sizeof *r);
        char want[128];

        wait_blocked(pid, 3, vfork_calls);
        freeze(true);
        args[2] = pid_arg(pid);
        run_diagnose(args, -1, r);
        cr_assert(WIFEXITED(r->status) && WEXITSTATUS(r->status) == 0, "status %d, stderr: %s", r->status, r->err);
        cr_assert_lt(r->usec, 2 * USEC_PER_SEC, "took %" PRIu64 " us", r->usec);
        /* out of time in the wait for the stops (DIAGNOSE_STOP_TIMEOUT_USEC is longer) */
        snprintf(want, sizeof want, "process %d (hangthreads), 3 threads\n" DIAGNOSE_TIMED_OUT_LINE, (int) pid);
        cr_assert_str_eq(r->out, want);
        assert_untraced(pid);
        close(out);
        free(r);
}

/* The alarm when the capture itself cannot go on (here: writing to a full
 * pipe nobody reads): the program ends at --timeout all the same. */
Test(diagnose, the_alarm_ends_a_stuck_program) {
        char *args[] = { "--timeout", "300ms", NULL, NULL };
        char junk[4096];
        int p[2], out;
        pid_t pid = start_hangthreads(NULL, &out);
        Run *r = calloc(1, sizeof *r);

        wait_blocked(pid, 3, nanosleep_or_pause);
        cr_assert_eq(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
        memset(junk, 'x', sizeof junk);
        while (write(p[1], junk, sizeof junk) > 0)
                ;
        cr_assert_eq(errno, EAGAIN);
        cr_assert_eq(fd_nonblock(p[1], false), 0);      /* the program's writes block */
        freeze(true);
        args[2] = pid_arg(pid);
        run_diagnose(args, p[1], r);
        cr_assert(WIFEXITED(r->status) && WEXITSTATUS(r->status) == 1, "status %d, stderr: %s", r->status, r->err);
        cr_assert_lt(r->usec, 3 * USEC_PER_SEC, "took %" PRIu64 " us", r->usec);
        cr_assert(strstr(r->err, "Timed out"), "stderr: %s", r->err);
        assert_untraced(pid);
        close(p[0]);
        close(p[1]);
        close(out);
        free(r);
}
