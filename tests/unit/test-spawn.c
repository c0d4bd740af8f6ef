/* SPDX-License-Identifier: MIT */
/* spawn_worker() on the real kernel, both ways a child can get its memory
 * (CLONE_VM on its own stack, and a copy): into the given cgroup, the exit
 * status through the pidfd, a failing step reported with its errno, and the
 * caller's signal mask left as it was. Runs in a scratch leaf
 * below our own cgroup in the v2 hierarchy. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "shared/fd-util.h"
#include "shared/macro.h"
#include "spawn/spawn.h"

static int parent_fd = -EBADF, leaf_fd = -EBADF;
static char leaf_name[64];

static void setup_leaf(void) {
        char *mount = NULL, *self = NULL, *path = NULL;

        if (geteuid() != 0 || cgroup_find_mount(&mount) < 0)
                cr_skip_test("needs root and a cgroup v2 mount");
        cr_assert_eq(cgroup_pid_get_path(0, &self), 0);
        cr_assert_gt(asprintf(&path, "%s%s", mount, self), 0);
        parent_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        cr_assert_geq(parent_fd, 0, "%s: %m", path);
        snprintf(leaf_name, sizeof leaf_name, "wp-unit-spawn-%d", (int) getpid());
        cr_assert_eq(cgroup_create(parent_fd, leaf_name, true, &leaf_fd), 0);
        free(mount);
        free(self);
        free(path);
}

static void teardown_leaf(void) {
        if (leaf_fd >= 0) {
                (void) cgroup_kill(leaf_fd);
                safe_close(leaf_fd);
                for (int i = 0; i < 100 && cgroup_remove(parent_fd, leaf_name) == -EBUSY; i++)
                        usleep(10000);
        }
        safe_close(parent_fd);
        spawn_set_mode(SPAWN_MODE_AUTO);
}

static void set_mode(SpawnMode mode) {
        spawn_set_mode(mode);
        setup_leaf();
}

/* The modes each spawn test runs in: SHARED only where it is built (not in
 * sanitized builds, not on other architectures; there the test below
 * checks that it is refused), COPY everywhere. */
static SpawnMode modes_here[2];

static struct criterion_test_params spawn_modes(void) {
        size_t n = 0;

        if (spawn_shared_supported())
                modes_here[n++] = SPAWN_MODE_SHARED;
        modes_here[n++] = SPAWN_MODE_COPY;
        return cr_make_param_array(SpawnMode, modes_here, n);
}

/* Where the shared path is not built, asking for it is refused, and
 * nothing is started; where it is, it starts the child. */
Test(spawn, shared_mode_where_not_built, .fini = teardown_leaf) {
        char *argv[] = { "/bin/true", NULL };
        char *envp[] = { NULL };
        SpawnParams p = { .argv = argv, .envp = envp, .stdin_fd = -EBADF };
        SpawnResult res = {};
        siginfo_t si = {};

        set_mode(SPAWN_MODE_SHARED);
        p.cgroup_fd = leaf_fd;
        if (!spawn_shared_supported()) {
                cr_assert_eq(spawn_worker(&p, &res), -EOPNOTSUPP);
                cr_assert_eq(cgroup_is_populated(leaf_fd), 0);
                return;
        }
        cr_assert_eq(spawn_worker(&p, &res), 0);
        cr_assert_eq(waitid(P_PIDFD, (id_t) res.pidfd, &si, WEXITED), 0);
        cr_assert_eq(si.si_status, 0);
        close(res.pidfd);
}

static siginfo_t reap(const SpawnResult *res) {
        siginfo_t si = {};

        cr_assert_eq(waitid(P_PIDFD, (id_t) res->pidfd, &si, WEXITED), 0, "waitid: %m");
        cr_assert_eq(si.si_pid, res->pid);
        close(res->pidfd);
        return si;
}

ParameterizedTestParameters(spawn, exit_status) {
        return spawn_modes();
}

ParameterizedTest(SpawnMode *mode, spawn, exit_status, .fini = teardown_leaf) {
        char *argv[] = { "/bin/sh", "-c", "read x; exit $((x + 1))", NULL };
        char *envp[] = { NULL };
        int in[2];
        SpawnParams p = { .argv = argv, .envp = envp };
        SpawnResult res = {};
        sigset_t mask, after;
        siginfo_t si;

        set_mode(*mode);
        p.cgroup_fd = leaf_fd;
        cr_assert_eq(pipe2(in, O_CLOEXEC), 0);
        p.stdin_fd = in[0];
        sigemptyset(&mask);
        sigaddset(&mask, SIGUSR1);
        cr_assert_eq(sigprocmask(SIG_SETMASK, &mask, NULL), 0);

        cr_assert_eq(spawn_worker(&p, &res), 0);
        cr_assert_eq(res.failed_step, SPAWN_STEP_NONE);
        cr_assert_gt(res.pid, 0);
        cr_assert_geq(res.pidfd, 0);
        cr_assert_eq(cgroup_is_populated(leaf_fd), 1, "the child is not in the leaf");

        /* the caller's signal mask is its own again (blocked around the clone) */
        cr_assert_eq(sigprocmask(SIG_SETMASK, NULL, &after), 0);
        cr_assert(sigismember(&after, SIGUSR1) && !sigismember(&after, SIGUSR2));

        cr_assert_eq(write(in[1], "41\n", 3), 3);
        close(in[0]);
        close(in[1]);
        si = reap(&res);
        cr_assert_eq(si.si_code, CLD_EXITED);
        cr_assert_eq(si.si_status, 42);
        sigemptyset(&mask);
        (void) sigprocmask(SIG_SETMASK, &mask, NULL);
}

ParameterizedTestParameters(spawn, failed_step) {
        return spawn_modes();
}

/* A failure before exec names its step and errno; the child exits 203. */
ParameterizedTest(SpawnMode *mode, spawn, failed_step, .fini = teardown_leaf) {
        char *missing[] = { "/nonexistent/worker", NULL };
        char *sh[] = { "/bin/true", NULL };
        char *envp[] = { NULL };
        SpawnParams p = { .argv = missing, .envp = envp, .stdin_fd = -EBADF };
        SpawnResult res = {};
        siginfo_t si;

        set_mode(*mode);
        p.cgroup_fd = leaf_fd;
        cr_assert_eq(spawn_worker(&p, &res), 0);
        cr_assert_eq(res.failed_step, SPAWN_STEP_EXEC, "%s", spawn_step_to_string(res.failed_step));
        cr_assert_eq(res.failed_errno, ENOENT);
        si = reap(&res);
        cr_assert_eq(si.si_code, CLD_EXITED);
        cr_assert_eq(si.si_status, SPAWN_EXIT_FAILED);

        p.argv = sh;
        p.working_directory = "/nonexistent/dir";
        cr_assert_eq(spawn_worker(&p, &res), 0);
        cr_assert_eq(res.failed_step, SPAWN_STEP_CHDIR);
        cr_assert_eq(res.failed_errno, ENOENT);
        reap(&res);

        /* ... and a success after failures reports none */
        p.working_directory = NULL;
        cr_assert_eq(spawn_worker(&p, &res), 0);
        cr_assert_eq(res.failed_step, SPAWN_STEP_NONE);
        cr_assert_eq(res.failed_errno, 0);
        si = reap(&res);
        cr_assert_eq(si.si_status, 0);
}

ParameterizedTestParameters(spawn, bad_cgroup) {
        return spawn_modes();
}

ParameterizedTestParameters(spawn, only_stdio_fds) {
        return spawn_modes();
}

/* The worker gets fds 0-2 only, even one not marked close-on-exec; and
 * the caller's own fds are untouched by the child's unsharing and closing. */
ParameterizedTest(SpawnMode *mode, spawn, only_stdio_fds, .fini = teardown_leaf) {
        char *argv[] = { "/bin/sh", "-c",
                         "n=0; for f in /proc/self/fd/*; do n=$((n+1)); done; "
                         "[ -e /proc/self/fd/700 ] && exit 100; exit $n", NULL };
        char *envp[] = { NULL };
        SpawnParams p = { .argv = argv, .envp = envp, .stdin_fd = -EBADF };
        SpawnResult res = {};
        siginfo_t si;
        int leak;

        set_mode(*mode);
        p.cgroup_fd = leaf_fd;
        leak = dup2(leaf_fd, 700);   /* no O_CLOEXEC */
        cr_assert_eq(leak, 700);

        cr_assert_eq(spawn_worker(&p, &res), 0);
        cr_assert_eq(res.failed_step, SPAWN_STEP_NONE, "%s: %s", spawn_step_to_string(res.failed_step),
                     strerror(res.failed_errno));
        si = reap(&res);
        cr_assert_eq(si.si_code, CLD_EXITED);
        /* 0, 1, 2 and the one the glob's opendir() holds */
        cr_assert_eq(si.si_status, 4, "the worker saw %d fds", si.si_status);

        cr_assert_eq(fcntl(700, F_GETFD), 0, "our fd 700 was closed");
        cr_assert_geq(fcntl(leaf_fd, F_GETFD), 0);
        cr_assert_eq(cgroup_is_populated(leaf_fd), 0);
        close(700);
}

/* A cgroup the child cannot go into fails the clone itself: no child. */
ParameterizedTest(SpawnMode *mode, spawn, bad_cgroup, .fini = teardown_leaf) {
        char *argv[] = { "/bin/true", NULL };
        char *envp[] = { NULL };
        SpawnParams p = { .argv = argv, .envp = envp, .cgroup_fd = -1, .stdin_fd = -EBADF };
        SpawnResult res = {};
        int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);

        set_mode(*mode);
        cr_assert_eq(spawn_worker(&p, &res), -EINVAL);
        p.cgroup_fd = devnull;  /* not a cgroup directory */
        cr_assert_lt(spawn_worker(&p, &res), 0);
        close(devnull);
}

ParameterizedTestParameters(spawn, stdout_to_a_pipe) {
        return spawn_modes();
}

/* stdout_fd: stdout and stderr both go there (output capture); the
 * default 0 leaves them the caller's. */
ParameterizedTest(SpawnMode *mode, spawn, stdout_to_a_pipe, .fini = teardown_leaf) {
        char *argv[] = { "/bin/sh", "-c", "echo out; echo err >&2", NULL };
        char *envp[] = { NULL };
        SpawnParams p = { .argv = argv, .envp = envp, .stdin_fd = -EBADF };
        SpawnResult res = {};
        char buf[64] = "";
        int out[2];
        ssize_t n;

        set_mode(*mode);
        p.cgroup_fd = leaf_fd;
        cr_assert_eq(pipe2(out, O_CLOEXEC), 0);
        cr_assert_gt(out[1], 2);
        p.stdout_fd = out[1];
        cr_assert_eq(spawn_worker(&p, &res), 0);
        cr_assert_eq(res.failed_step, SPAWN_STEP_NONE);
        close(out[1]);
        reap(&res);
        n = read(out[0], buf, sizeof buf - 1);
        close(out[0]);
        cr_assert_eq(n, 8);
        cr_assert_str_eq(buf, "out\nerr\n");
}

ParameterizedTestParameters(spawn, no_cgroup_stays_in_ours) {
        return spawn_modes();
}

/* cgroup_fd -EBADF: no CLONE_INTO_CGROUP, the child is in our cgroup. */
ParameterizedTest(SpawnMode *mode, spawn, no_cgroup_stays_in_ours, .fini = teardown_leaf) {
        char *argv[] = { "/bin/true", NULL };
        char *envp[] = { NULL };
        SpawnParams p = { .argv = argv, .envp = envp, .cgroup_fd = -EBADF, .stdin_fd = -EBADF };
        SpawnResult res = {};
        char *ours = NULL, *its = NULL;

        set_mode(*mode);
        cr_assert_eq(spawn_worker(&p, &res), 0);
        cr_assert_eq(cgroup_pid_get_path(res.pid, &its), 0);
        cr_assert_eq(cgroup_pid_get_path(0, &ours), 0);
        cr_assert_str_eq(its, ours);
        reap(&res);
        free(ours);
        free(its);
}

ParameterizedTestParameters(spawn, join_a_mount_namespace) {
        return spawn_modes();
}

/* mount_ns_fd: the child joins another process's mount namespace (a
 * health check, its worker's PrivateTmp=): it sees that one's /tmp. */
ParameterizedTest(SpawnMode *mode, spawn, join_a_mount_namespace, .fini = teardown_leaf) {
        char *worker[] = { "/bin/sh", "-c", "echo mine >/tmp/wp-unit-spawn-ns; exec sleep 30", NULL };
        char *probe[] = { "/bin/cat", "/tmp/wp-unit-spawn-ns", NULL };
        char *envp[] = { NULL };
        SpawnParams p = { .argv = worker, .envp = envp, .stdin_fd = -EBADF, .private_tmp = true };
        SpawnResult w = {}, res = {};
        char buf[64] = "";
        int out[2];
        siginfo_t si;

        set_mode(*mode);
        p.cgroup_fd = leaf_fd;
        cr_assert_eq(spawn_worker(&p, &w), 0);
        cr_assert_eq(w.failed_step, SPAWN_STEP_NONE, "%s", spawn_step_to_string(w.failed_step));
        usleep(200 * 1000);     /* it writes its marker */

        cr_assert_eq(pipe2(out, O_CLOEXEC), 0);
        p = (SpawnParams) { .argv = probe, .envp = envp, .stdin_fd = -EBADF, .cgroup_fd = leaf_fd,
                            .stdout_fd = out[1], .mount_ns_fd = w.pidfd };
        cr_assert_eq(spawn_worker(&p, &res), 0);
        cr_assert_eq(res.failed_step, SPAWN_STEP_NONE, "%s: %s", spawn_step_to_string(res.failed_step),
                     strerror(res.failed_errno));
        close(out[1]);
        si = reap(&res);
        cr_assert_eq(si.si_status, 0);
        cr_assert_gt(read(out[0], buf, sizeof buf - 1), 0);
        close(out[0]);
        cr_assert_str_eq(buf, "mine\n");
        cr_assert_neq(access("/tmp/wp-unit-spawn-ns", F_OK), 0, "written into our /tmp");

        /* a namespace fd that is not one: the step is named */
        p.mount_ns_fd = leaf_fd;
        p.stdout_fd = 0;
        cr_assert_eq(spawn_worker(&p, &res), 0);
        cr_assert_eq(res.failed_step, SPAWN_STEP_NAMESPACE);
        cr_assert_str_eq(spawn_step_to_string(res.failed_step), "setns");
        reap(&res);

        (void) pidfd_send_signal_wrapper(w.pidfd, SIGKILL);
        reap(&w);
}
