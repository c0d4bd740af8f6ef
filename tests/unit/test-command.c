/* SPDX-License-Identifier: MIT */
/* command.c through pool_start()/pool_stop() on the fake host made real
 * (real-host.h): ExecStartPre= in order, each in a fresh leaf that is gone
 * after, before the first worker; a failure fails the start with the
 * command's status and output, skips the rest and runs ExecStopPost=; "-"
 * ignores a failure; the timeout; leftovers killed; the pool's user and
 * $VAR; ExecStopPost= once the last worker is gone. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pool/command.h"
#include "real-host.h"

TestSuite(command, .init = real_host_setup, .fini = real_host_teardown, .timeout = 30);

static char out[128];

static const char *outfile(const char *name) {
        snprintf(out, sizeof out, "%s/%s", real_dir, name);
        return out;
}

static bool running(void) {
        return fake.pool->state == POOL_RUNNING;
}

static bool failed(void) {
        return fake.pool->state == POOL_FAILED;
}

static bool stopped(void) {
        return fake.pool->state == POOL_STOPPED;
}

/* The children of NAME.pool/ whose name ends in suffix, space-separated. */
static const char *leaves(const char *suffix) {
        static char buf[1024];
        char path[600];
        struct dirent *de;
        DIR *d;

        buf[0] = 0;
        snprintf(path, sizeof path, "%s/%s.pool", real_cgroup.dir, fake.pool->name);
        d = opendir(path);
        cr_assert_not_null(d, "%s: %m", path);
        while ((de = readdir(d))) {
                size_t l = strlen(de->d_name), k = strlen(suffix);

                if (l > k && streq(de->d_name + l - k, suffix)) {
                        strncat(buf, de->d_name, sizeof buf - strlen(buf) - 2);
                        strcat(buf, " ");
                }
        }
        closedir(d);
        return buf;
}

/* Every command's leaf is removed (at once, or once its cgroup.events
 * says it is empty: the loop runs up to 1 s). */
static void assert_no_command_leaves(void) {
        for (int i = 0; i < 100 && leaves(POOL_COMMAND_LEAF_SUFFIX)[0]; i++)
                fake_run_for(10);
        cr_assert_str_eq(leaves(POOL_COMMAND_LEAF_SUFFIX), "", "leaves left: %s", leaves(POOL_COMMAND_LEAF_SUFFIX));
}

/* Gone, or a zombie (whoever inherited it reaps it). */
static bool pid_gone(pid_t pid) {
        char path[64], buf[256];
        bool zombie;
        FILE *f;

        snprintf(path, sizeof path, "/proc/%d/stat", (int) pid);
        f = fopen(path, "re");
        if (!f)
                return true;
        zombie = fgets(buf, sizeof buf, f) && strstr(buf, ") Z");
        fclose(f);
        return zombie;
}

static Pool *pool_with(const char *text) {
        return fake_pool("c", text);
}

Test(command, start_pre_in_order_each_in_a_fresh_leaf_before_the_workers) {
        char *text = NULL, want[1024];
        const char *f = outfile("log");

        cr_assert_gt(asprintf(&text,
                "[Pool]\n"
                "ExecStart=/bin/sh -c 'echo worker >>%s; exec sleep infinity'\n"
                "ExecStartPre=/bin/sh -c 'echo one >>%s; grep ^0:: /proc/self/cgroup >>%s'\n"
                "ExecStartPre=/bin/sh -c 'echo two >>%s; grep ^0:: /proc/self/cgroup >>%s'\n",
                f, f, f, f, f), 0);
        pool_with(text);
        free(text);
        cr_assert_eq(pool_start(fake.pool), 0);
        cr_assert_eq(fake.n_spawned, 0);
        cr_assert(fake_run_until(running, 5000), "state %s", pool_state_to_string(fake.pool->state));
        fake_run_for(100);
        snprintf(want, sizeof want, "one\n0::%s/c.pool/start-pre-1.command\ntwo\n0::%s/c.pool/start-pre-2.command\n"
                 "worker\n", real_cgroup.path, real_cgroup.path);
        cr_assert_str_eq(real_read(f), want);
        assert_no_command_leaves();
}

Test(command, a_failure_fails_the_start_and_runs_stop_post) {
        char *text = NULL;

        cr_assert_gt(asprintf(&text,
                "[Pool]\n"
                "ExecStart=/bin/sleep infinity\n"
                "ExecStartPre=/bin/sh -c 'echo \"cannot prepare: disk full\"; echo second line; exit 2'\n"
                "ExecStartPre=/bin/touch %s\n"
                "ExecStopPost=/bin/touch %s/stop-post\n",
                outfile("not-run"), real_dir), 0);
        pool_with(text);
        free(text);
        cr_assert_eq(pool_start(fake.pool), 0);
        cr_assert(fake_run_until(failed, 5000), "state %s", pool_state_to_string(fake.pool->state));
        cr_assert_str_eq(fake.pool->failure,
                         "ExecStartPre=/bin/sh failed: exit status 2: cannot prepare: disk full");
        fake_run_for(300);
        cr_assert_neq(access(outfile("not-run"), F_OK), 0, "the rest of ExecStartPre= is skipped");
        cr_assert_eq(access(outfile("stop-post"), F_OK), 0, "ExecStopPost= after a failed ExecStartPre=");
        cr_assert_eq(fake.n_spawned, 0, "no worker");
        assert_no_command_leaves();
}

Test(command, a_dash_ignores_the_failure) {
        char *text = NULL;

        cr_assert_gt(asprintf(&text,
                "[Pool]\nExecStart=/bin/sleep infinity\n"
                "ExecStartPre=-/bin/false\nExecStartPre=-/nonexistent/program\nExecStartPre=/bin/touch %s\n",
                outfile("ran")), 0);
        pool_with(text);
        free(text);
        cr_assert_eq(pool_start(fake.pool), 0);
        cr_assert(fake_run_until(running, 5000), "state %s: %s", pool_state_to_string(fake.pool->state),
                  fake.pool->failure);
        cr_assert_eq(access(outfile("ran"), F_OK), 0);
}

Test(command, timeout_start_sec_kills_a_start_pre) {
        pool_with("[Pool]\nExecStart=/bin/sleep infinity\nExecStartPre=/bin/sleep 30\nTimeoutStartSec=200ms\n");
        cr_assert_eq(pool_start(fake.pool), 0);
        cr_assert(fake_run_until(failed, 5000), "state %s", pool_state_to_string(fake.pool->state));
        cr_assert_str_eq(fake.pool->failure, "ExecStartPre=/bin/sleep failed: timed out after 200ms");
        fake_run_for(100);
        assert_no_command_leaves();
}

Test(command, what_a_command_leaves_behind_is_killed) {
        char *text = NULL;
        pid_t pid;

        /* setsid: out of its process group, still in its leaf */
        cr_assert_gt(asprintf(&text, "[Pool]\nExecStart=/bin/sleep infinity\n"
                                     "ExecStartPre=/bin/sh -c 'setsid sleep 30 </dev/null >/dev/null 2>&1 & "
                                     "echo $! >%s'\n", outfile("pid")), 0);
        pool_with(text);
        free(text);
        cr_assert_eq(pool_start(fake.pool), 0);
        cr_assert(fake_run_until(running, 5000));
        pid = (pid_t) atoi(real_read(outfile("pid")));
        cr_assert_gt(pid, 1);
        for (int i = 0; i < 100 && !pid_gone(pid); i++)
                fake_run_for(20);
        cr_assert(pid_gone(pid), "pid %d still there", (int) pid);
        /* its leaf goes once cgroup.events says it is empty */
        assert_no_command_leaves();
}

Test(command, the_pools_user_and_environment) {
        char *text = NULL;

        cr_assert_gt(asprintf(&text, "[Pool]\nExecStart=/bin/sleep infinity\nEnvironment=DIR=%s\n"
                                     "ExecStartPre=/bin/sh -c \"id -u >${DIR}/uid; echo $$WORKERPOOL_POOL "
                                     "$${WORKERPOOL_WORKER_ID:-none} >>${DIR}/uid\"\n"
                                     "[Sandbox]\nUser=nobody\n", real_dir), 0);
        pool_with(text);
        free(text);
        cr_assert_eq(pool_start(fake.pool), 0);
        cr_assert(fake_run_until(running, 5000), "%s", fake.pool->failure);
        cr_assert_str_eq(real_read(outfile("uid")), "65534\nc none\n");
}

Test(command, stop_post_once_the_last_worker_is_gone) {
        char *text = NULL, want[600];

        cr_assert_gt(asprintf(&text, "[Pool]\nExecStart=/bin/sleep infinity\nWorkers=2\n"
                                     "ExecStopPost=/bin/sh -c 'cd %s/c.pool && ls -d */ >%s'\n", real_cgroup.dir,
                              outfile("ls")), 0);
        pool_with(text);
        free(text);
        cr_assert_eq(pool_start(fake.pool), 0);
        cr_assert(fake_run_until(running, 5000));
        cr_assert_eq(access(outfile("ls"), F_OK), -1, "not while running");
        pool_stop(fake.pool);
        cr_assert(fake_run_until(stopped, 5000), "state %s", pool_state_to_string(fake.pool->state));
        /* in the listing: its own leaf, and no worker */
        snprintf(want, sizeof want, "stop-post-1.command/\n");
        cr_assert_str_eq(real_read(outfile("ls")), want);
        assert_no_command_leaves();
}

Test(command, leaf_names_are_never_reused) {
        char *text = NULL, want[1024];
        const char *f = outfile("log");

        cr_assert_gt(asprintf(&text, "[Pool]\nExecStart=/bin/sleep infinity\n"
                                     "ExecStartPre=/bin/sh -c 'grep ^0:: /proc/self/cgroup >>%s'\n", f), 0);
        pool_with(text);
        free(text);
        cr_assert_eq(pool_start(fake.pool), 0);
        cr_assert(fake_run_until(running, 5000));
        pool_stop(fake.pool);
        cr_assert(fake_run_until(stopped, 5000));
        cr_assert_eq(pool_start(fake.pool), 0);
        cr_assert(fake_run_until(running, 5000));
        snprintf(want, sizeof want, "0::%s/c.pool/start-pre-1.command\n0::%s/c.pool/start-pre-2.command\n",
                 real_cgroup.path, real_cgroup.path);
        cr_assert_str_eq(real_read(f), want);
}

Test(command, the_interface_directly) {
        pool_with("[Pool]\nExecStart=/bin/sleep infinity\nExecStartPre=/bin/sleep 30\n");
        cr_assert_eq(pool_run_stop_post(fake.pool), 0, "no ExecStopPost=");
        cr_assert_eq(pool_run_start_pre(fake.pool), 1);
        cr_assert_eq(pool_run_start_pre(fake.pool), -EBUSY, "one list at a time");
        fake_run_for(100);
        cr_assert(pool_commands_owns_leaf(fake.pool, "start-pre-1.command"));
        cr_assert_not(pool_commands_owns_leaf(fake.pool, "start-pre-2.command"));
        /* a stop cancels a running ExecStartPre= (no callback for it) */
        cr_assert_eq(pool_run_stop_post(fake.pool), 0);
        assert_no_command_leaves();     /* the killed command's leaf is removed */
        cr_assert_not(pool_commands_owns_leaf(fake.pool, "start-pre-1.command"));
        pool_commands_free(fake.pool);
        cr_assert_null(fake.pool->commands);
        pool_commands_free(fake.pool);          /* twice is fine */
}
