/* SPDX-License-Identifier: MIT */
/* child.c with real processes on a real event loop: the output captured
 * and bounded, the exit status, the timeout, a step that fails before
 * exec, leftovers of its process group, a child freed while it runs, the
 * cgroup it starts in; and the words pool_child_result_describe() finds. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pool/child.h"
#include "scratch-cgroup.h"
#include "shared/fd-util.h"
#include "shared/log.h"
#include "spawn/spawn.h"

static PoolHost host;
static ScratchCgroup scratch;

static int real_spawn(PoolHost *h, const SpawnParams *sp, SpawnResult *ret) {
        return spawn_worker(sp, ret);
}

static const PoolHostOps ops = { .spawn = real_spawn };

static void setup(void) {
        sd_event *e = NULL;

        log_set_max_level(getenv("TEST_DEBUG") ? LOG_DEBUG : LOG_WARNING);
        cr_assert_geq(sd_event_default(&e), 0);
        host = (PoolHost) { .ops = &ops, .event = e };
        scratch_cgroup_make(&scratch, "wp-unit-child");
}

static void teardown(void) {
        scratch_cgroup_remove(&scratch);
        host.event = sd_event_unref(host.event);
}

TestSuite(child, .init = setup, .fini = teardown);

/* What the callback saw. */
static struct {
        unsigned calls;
        PoolChildResult r;
        char output[70000];
        bool freed_inside;
} seen;

static void on_done(PoolChild *c, const PoolChildResult *r, void *userdata) {
        PoolChild **owner = userdata;

        seen.calls++;
        seen.r = *r;
        /* The result outlives the child inside the callback. */
        *owner = pool_child_free(*owner);
        seen.freed_inside = true;
        snprintf(seen.output, sizeof seen.output, "%s", r->output);
        seen.r.output = seen.output;
}

static usec_t now_ms(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (usec_t) ts.tv_sec * 1000 + (usec_t) ts.tv_nsec / 1000000;
}

/* Run the loop until the callback came (at most timeout_ms). */
static bool run_until_done(unsigned timeout_ms) {
        usec_t end = now_ms() + timeout_ms;

        while (seen.calls == 0 && now_ms() < end)
                (void) sd_event_run(host.event, 10 * USEC_PER_MSEC);
        return seen.calls > 0;
}

static void run_for(unsigned ms) {
        usec_t end = now_ms() + ms;

        while (now_ms() < end)
                (void) sd_event_run(host.event, 10 * USEC_PER_MSEC);
}

/* The child of a test: its owner's pointer, which the callback clears. */
static PoolChild *current;

static PoolChild *spawn_sh(const char *script, int cgroup_fd, usec_t timeout, size_t max_output) {
        char *argv[] = { (char *) "/bin/sh", (char *) "-c", (char *) script, NULL };
        int r;

        seen = (typeof(seen)) {};
        r = pool_child_spawn(&host, &(PoolChildParams) {
                .argv = argv,
                .cgroup_fd = cgroup_fd,
                .timeout_usec = timeout,
                .max_output = max_output,
                .description = "test-child",
        }, on_done, &current, &current);
        cr_assert_eq(r, 0, "pool_child_spawn: %s", strerror(-r));
        cr_assert_not_null(current);
        cr_assert(pool_child_running(current));
        cr_assert_gt(pool_child_pid(current), 0);
        return current;
}

Test(child, output_and_exit_status) {
        PoolChild *c = spawn_sh("echo out; echo err >&2; exit 3", -EBADF, 5 * USEC_PER_SEC, 4096);
        char what[256];

        (void) c;
        cr_assert(run_until_done(5000));
        cr_assert_eq(seen.calls, 1);
        cr_assert(seen.freed_inside);
        cr_assert_eq(seen.r.code, CLD_EXITED);
        cr_assert_eq(seen.r.status, 3);
        cr_assert_not(seen.r.timed_out);
        cr_assert_str_eq(seen.r.output, "out\nerr\n", "stdout and stderr, in order: '%s'", seen.r.output);
        cr_assert_eq(seen.r.output_size, 8);
        cr_assert_not(seen.r.output_truncated);
        cr_assert_not(pool_child_result_describe(&seen.r, 5 * USEC_PER_SEC, what, sizeof what));
        cr_assert_str_eq(what, "exit status 3: out");
}

Test(child, success) {
        PoolChild *c = spawn_sh("exit 0", -EBADF, 0, 64);
        char what[256];

        (void) c;
        cr_assert(run_until_done(5000));
        cr_assert(pool_child_result_describe(&seen.r, 0, what, sizeof what));
        cr_assert_str_eq(what, "exit status 0");
        cr_assert_str_eq(seen.r.output, "");
}

Test(child, output_is_bounded_and_read_to_the_end) {
        /* 200000 bytes: more than a pipe holds; the writer is never blocked
         * (the rest is read and dropped), so it exits 0. */
        PoolChild *c = spawn_sh("head -c 200000 /dev/zero | tr '\\0' x; exit 0", -EBADF, 10 * USEC_PER_SEC, 1000);

        (void) c;
        cr_assert(run_until_done(10000));
        cr_assert_eq(seen.r.code, CLD_EXITED);
        cr_assert_eq(seen.r.status, 0, "the writer was not blocked: %d", seen.r.status);
        cr_assert_eq(seen.r.output_size, 1000);
        cr_assert_eq(strlen(seen.r.output), 1000);
        cr_assert(seen.r.output_truncated);
}

Test(child, timeout_kills) {
        usec_t start = now_ms();
        PoolChild *c = spawn_sh("echo started; exec sleep 30", -EBADF, 200 * USEC_PER_MSEC, 4096);
        char what[256];

        (void) c;
        cr_assert(run_until_done(5000));
        cr_assert_lt(now_ms() - start, 3000);
        cr_assert(seen.r.timed_out);
        cr_assert_eq(seen.r.code, CLD_KILLED);
        cr_assert_eq(seen.r.status, SIGKILL);
        cr_assert_not(pool_child_result_describe(&seen.r, 200 * USEC_PER_MSEC, what, sizeof what));
        cr_assert_str_eq(what, "timed out after 200ms: started");
}

Test(child, exec_failure_is_reported_through_done) {
        char *argv[] = { (char *) "/nonexistent/probe", NULL };
        char what[256];

        seen = (typeof(seen)) {};
        cr_assert_eq(pool_child_spawn(&host, &(PoolChildParams) {
                .argv = argv, .cgroup_fd = -EBADF, .max_output = 64, .description = "missing",
        }, on_done, &current, &current), 0);
        cr_assert_eq(seen.calls, 0, "never synchronously");
        cr_assert(run_until_done(5000));
        cr_assert_eq(seen.r.code, 0);
        cr_assert_eq(seen.r.spawn_errno, ENOENT);
        cr_assert_str_eq(seen.r.spawn_step, "execve");
        cr_assert_not(pool_child_result_describe(&seen.r, 0, what, sizeof what));
        cr_assert_str_eq(what, "could not run: execve: No such file or directory");
}

static bool pid_gone(pid_t pid) {
        char path[64], buf[256];
        FILE *f;
        bool zombie;

        snprintf(path, sizeof path, "/proc/%d/stat", (int) pid);
        f = fopen(path, "re");
        if (!f)
                return true;
        zombie = fgets(buf, sizeof buf, f) && strstr(buf, ") Z");
        fclose(f);
        return zombie;
}

Test(child, leftovers_in_its_process_group_are_killed) {
        PoolChild *c = spawn_sh("sleep 30 & echo $!; exit 0", -EBADF, 5 * USEC_PER_SEC, 64);
        pid_t bg;

        (void) c;
        cr_assert(run_until_done(5000));
        cr_assert_eq(seen.r.status, 0);
        bg = (pid_t) atoi(seen.r.output);
        cr_assert_gt(bg, 1, "%s", seen.r.output);
        for (int i = 0; i < 100 && !pid_gone(bg); i++)
                usleep(10000);
        cr_assert(pid_gone(bg), "the background sleep %d outlived its probe", (int) bg);
}

Test(child, freed_while_running_is_killed_and_reaped) {
        PoolChild *c = spawn_sh("exec sleep 30", -EBADF, 0, 64);
        pid_t pid = pool_child_pid(c);
        siginfo_t si = {};

        current = c = pool_child_free(c);
        for (int i = 0; i < 200; i++) {
                run_for(10);
                si = (siginfo_t) {};
                if (waitid(P_PID, (id_t) pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0 && errno == ECHILD)
                        break;
        }
        cr_assert_eq(waitid(P_PID, (id_t) pid, &si, WEXITED | WNOHANG), -1, "not reaped");
        cr_assert_eq(errno, ECHILD);
        cr_assert_eq(seen.calls, 0, "no callback after free");
}

Test(child, starts_in_the_given_cgroup) {
        _cleanup_(closep) int leaf = -EBADF;
        PoolChild *c;
        char want[600];

        cr_assert_eq(cgroup_create(scratch.fd, "leaf", false, &leaf), 0);
        c = spawn_sh("cat /proc/self/cgroup | grep ^0::", leaf, 5 * USEC_PER_SEC, 4096);
        (void) c;
        cr_assert(run_until_done(5000));
        snprintf(want, sizeof want, "0::%s/leaf\n", scratch.path);
        cr_assert_str_eq(seen.r.output, want);

        /* -EBADF: our own cgroup */
        c = spawn_sh("cat /proc/self/cgroup | grep ^0::", -EBADF, 5 * USEC_PER_SEC, 4096);
        (void) c;
        cr_assert(run_until_done(5000));
        cr_assert_null(strstr(seen.r.output, scratch.name), "%s", seen.r.output);
}

Test(child, a_cgroup_that_cannot_be_opened_is_refused) {
        char *argv[] = { (char *) "/bin/true", NULL };
        PoolChild *c = NULL;

        cr_assert_eq(pool_child_spawn(&host, &(PoolChildParams) {
                .argv = argv, .cgroup_fd = -ENOENT, .max_output = 64,
        }, on_done, &c, &c), -EINVAL, "never outside the leaf it was meant for");
        cr_assert_null(c);
}

/* ---- the words, pure ------------------------------------------------------ */

Test(child_describe, table) {
        static const struct {
                PoolChildResult r;
                usec_t timeout;
                bool ok;
                const char *want;
        } t[] = {
                { { .code = CLD_EXITED, .status = 0, .output = "" }, 0, true, "exit status 0" },
                { { .code = CLD_EXITED, .status = 1, .output = "\n\nfirst\nsecond\n" }, 0, false,
                  "exit status 1: first" },
                { { .code = CLD_EXITED, .status = 2, .output = "crlf\r\nnext" }, 0, false, "exit status 2: crlf" },
                { { .code = CLD_KILLED, .status = SIGKILL, .output = "" }, 0, false, "killed by signal SIGKILL" },
                { { .code = CLD_DUMPED, .status = SIGSEGV, .output = "x" }, 0, false,
                  "killed by signal SIGSEGV (core dumped): x" },
                { { .code = CLD_KILLED, .status = SIGKILL, .timed_out = true, .output = "" }, 5 * USEC_PER_SEC,
                  false, "timed out after 5s" },
                { { .spawn_errno = EPERM, .spawn_step = "setns", .output = "" }, 0, false,
                  "could not run: setns: Operation not permitted" },
                { { .code = CLD_EXITED, .status = 1, .output = "bad \xff byte" }, 0, false,
                  "exit status 1: bad \xef\xbf\xbd byte" },
        };
        char buf[256];

        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                cr_assert_eq(pool_child_result_describe(&t[i].r, t[i].timeout, buf, sizeof buf), t[i].ok, "%zu", i);
                cr_assert_str_eq(buf, t[i].want, "%zu", i);
        }
}

Test(child_describe, first_line_fits) {
        char big[600], buf[32];
        PoolChildResult r = { .code = CLD_EXITED, .status = 1, .output = big };

        memset(big, 'a', sizeof big - 1);
        big[sizeof big - 1] = 0;
        pool_child_output_first_line(&r, buf, sizeof buf);
        cr_assert_eq(strlen(buf), sizeof buf - 1);
        cr_assert_not(pool_child_result_describe(&r, 0, buf, sizeof buf));
        cr_assert_eq(strlen(buf), sizeof buf - 1);
}
