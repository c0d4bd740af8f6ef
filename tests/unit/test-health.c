/* SPDX-License-Identifier: MIT */
/* health.c: the counting as a table, then ExecHealthCheck= on the fake
 * host (tests/unit/fake-host.c) with real leaves in a scratch cgroup and
 * the real spawn, so that workers and probes run where the daemon runs
 * them: a probe runs in its worker's leaf, as the worker's user, with its
 * environment and in its private /tmp; never before ready; failures in a
 * row replace the worker with the exit status and the first line; a
 * timeout is a failure; NotifyAccess=exec hears the probe. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pool/child.h"
#include "pool/health.h"
#include "real-host.h"
#include "shared/fd-util.h"

/* ---- the counting, pure ---------------------------------------------------- */

Test(health_count, table) {
        static const struct {
                unsigned before;
                bool passed;
                unsigned retries;
                unsigned after;
                HealthVerdict verdict;
        } t[] = {
                { 0, true, 3, 0, HEALTH_PASSED },
                { 2, true, 3, 0, HEALTH_PASSED },       /* a success resets the count */
                { 0, false, 3, 1, HEALTH_FAILING },
                { 1, false, 3, 2, HEALTH_FAILING },
                { 2, false, 3, 3, HEALTH_UNHEALTHY },   /* the third in a row */
                { 0, false, 1, 1, HEALTH_UNHEALTHY },
                { 0, false, 0, 1, HEALTH_UNHEALTHY },   /* 0 is taken as 1 */
                { 998, false, 1000, 999, HEALTH_FAILING },
                { 999, false, 1000, 1000, HEALTH_UNHEALTHY },
                { UINT_MAX, false, 3, UINT_MAX, HEALTH_UNHEALTHY },     /* no wrap */
        };

        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                unsigned n = t[i].before;

                cr_assert_eq(health_check_count(&n, t[i].passed, t[i].retries), t[i].verdict, "%zu", i);
                cr_assert_eq(n, t[i].after, "%zu", i);
        }
}

Test(health_count, sequence) {
        unsigned n = 0;
        bool seq[] = { false, false, true, false, false };
        HealthVerdict want[] = { HEALTH_FAILING, HEALTH_FAILING, HEALTH_PASSED, HEALTH_FAILING, HEALTH_FAILING };

        for (size_t i = 0; i < ELEMENTSOF(seq); i++)
                cr_assert_eq(health_check_count(&n, seq[i], 3), want[i], "%zu", i);
        cr_assert_eq(health_check_count(&n, false, 3), HEALTH_UNHEALTHY, "3 in a row after the reset");
}

/* ---- on the fake host with real cgroups ------------------------------------ */

TestSuite(health, .init = real_host_setup, .fini = real_host_teardown, .timeout = 30);

static bool exited_once(void) {
        return fake.n_exited >= 1;
}

static char probe_file[128];

static bool probe_file_exists(void) {
        return access(probe_file, F_OK) == 0;
}

static const char *read_text(const char *path) {
        cr_assert_eq(access(path, F_OK), 0, "%s: %m", path);
        return real_read(path);
}

static Pool *health_pool(const char *probe, const char *more) {
        char *text = NULL;
        Pool *p;

        cr_assert_gt(asprintf(&text, "[Pool]\nExecStart=/bin/sleep infinity\nExecHealthCheck=%s\n"
                                     "HealthCheckIntervalSec=50ms\nHealthCheckTimeoutSec=5s\n%s",
                              probe, more), 0);
        p = fake_pool("h", text);
        free(text);
        return p;
}

Test(health, probe_runs_in_the_leaf_as_the_worker) {
        char probe[512], want[512];
        Worker *w;
        Pool *p;

        snprintf(probe_file, sizeof probe_file, "%s/seen", real_dir);
        /* "$$" is a "$" for the shell (ExecStart='s $VAR rules) */
        snprintf(probe, sizeof probe,
                 "/bin/sh -c \"{ echo $(id -u) $$MAINPID $$WORKERPOOL_WORKER_ID $$WORKERPOOL_POOL; "
                 "grep ^0:: /proc/self/cgroup; } >%s.tmp && mv %s.tmp %s\"", probe_file, probe_file, probe_file);
        p = health_pool(probe, "[Sandbox]\nUser=nobody\n");
        cr_assert_eq(pool_start(p), 0);
        cr_assert(fake_run_until(probe_file_exists, 5000), "no probe ran");
        w = fake_worker_in(WORKER_IDLE);
        cr_assert_not_null(w);
        snprintf(want, sizeof want, "65534 %d %" PRIu64 " h\n0::%s/h.pool/%s\n", (int) w->pid, w->id,
                 real_cgroup.path, w->cgroup_name);
        cr_assert_str_eq(read_text(probe_file), want);
        cr_assert_eq(fake.n_exited, 0);
}

Test(health, never_before_ready) {
        char probe[512];
        Worker *w;
        Pool *p;

        snprintf(probe_file, sizeof probe_file, "%s/ran", real_dir);
        snprintf(probe, sizeof probe, "/bin/touch %s", probe_file);
        p = health_pool(probe, "Type=notify\n");
        cr_assert_eq(pool_start(p), 0);
        fake_run_for(300);
        w = fake_worker_in(WORKER_STARTING);
        cr_assert_not_null(w);
        cr_assert_not(probe_file_exists(), "a probe ran while the worker was starting");
        cr_assert_eq(worker_health_probe_pid(w), 0);
        fake_notify(w, "READY=1");
        cr_assert(fake_run_until(probe_file_exists, 3000), "no probe once ready");
}

Test(health, failures_in_a_row_replace_the_worker) {
        Pool *p = health_pool("/bin/sh -c 'echo \"not ok: port 80\"; echo more; exit 4'",
                              "HealthCheckRetries=2\nRestart=no\n");

        cr_assert_eq(pool_start(p), 0);
        cr_assert(fake_run_until(exited_once, 5000), "not replaced");
        cr_assert_eq(fake.last_exit.reason, EXIT_REASON_UNHEALTHY, "%s", fake.last_exit.evidence);
        cr_assert(strstr(fake.last_exit.evidence,
                         "health check failed 2 times in a row: exit status 4: not ok: port 80"),
                  "%s", fake.last_exit.evidence);
}

Test(health, a_success_resets_the_count) {
        char probe[512];
        Pool *p;

        /* fails, fails, passes, fails, fails... never 3 in a row */
        snprintf(probe_file, sizeof probe_file, "%s/n", real_dir);
        snprintf(probe, sizeof probe,
                 "/bin/sh -c \"n=$(cat %s 2>/dev/null || echo 0); echo $((n + 1)) >%s; [ $((n %%%% 3)) = 2 ]\"",
                 probe_file, probe_file);
        p = health_pool(probe, "HealthCheckRetries=3\n");
        cr_assert_eq(pool_start(p), 0);
        fake_run_for(1200);
        cr_assert_geq(atoi(read_text(probe_file)), 6, "probes ran: %s", read_text(probe_file));
        cr_assert_eq(fake.n_exited, 0, "replaced: %s", fake.last_exit.evidence);
}

Test(health, a_timeout_is_a_failure) {
        Pool *p = fake_pool("h", "[Pool]\nExecStart=/bin/sleep infinity\nExecHealthCheck=/bin/sleep 30\n"
                                 "HealthCheckIntervalSec=50ms\nHealthCheckTimeoutSec=100ms\n"
                                 "HealthCheckRetries=1\nRestart=no\n");

        cr_assert_eq(pool_start(p), 0);
        cr_assert(fake_run_until(exited_once, 5000), "not replaced");
        cr_assert_eq(fake.last_exit.reason, EXIT_REASON_UNHEALTHY, "%s", fake.last_exit.evidence);
        cr_assert(strstr(fake.last_exit.evidence, "health check failed 1 time in a row: timed out after 100ms"),
                  "%s", fake.last_exit.evidence);
}

Test(health, probe_sees_the_private_tmp_of_its_worker) {
        char *text = NULL;
        Pool *p;

        snprintf(probe_file, sizeof probe_file, "%s/marker", real_dir);
        cr_assert_gt(asprintf(&text, "[Pool]\nExecStart=/bin/sh -c 'echo private-%%n >/tmp/marker; exec sleep infinity'\n"
                                     "ExecHealthCheck=/bin/cp /tmp/marker %s\nHealthCheckIntervalSec=100ms\n"
                                     "[Sandbox]\nPrivateTmp=yes\n", probe_file), 0);
        p = fake_pool("h", text);
        free(text);
        cr_assert_eq(pool_start(p), 0);
        cr_assert(fake_run_until(probe_file_exists, 5000), "the probe did not find /tmp/marker");
        cr_assert_str_eq(read_text(probe_file), "private-h\n", "the worker's /tmp, not ours");
        if (access("/tmp/marker", F_OK) == 0)
                cr_assert_null(strstr(read_text("/tmp/marker"), "private-h"), "the worker wrote into our /tmp");
}

static bool probe_running(void) {
        Worker *w = fake_worker_in(WORKER_IDLE);

        return w && worker_health_probe_pid(w) > 0;
}

Test(health, notify_access_exec_hears_the_probe) {
        Pool *p = health_pool("/bin/sleep 2", "NotifyAccess=exec\n");
        Worker *w;
        pid_t probe;

        cr_assert_eq(pool_start(p), 0);
        cr_assert(fake_run_until(probe_running, 5000));
        w = fake_worker_in(WORKER_IDLE);
        probe = worker_health_probe_pid(w);
        cr_assert(worker_may_notify(w, w->pid));
        cr_assert(worker_may_notify(w, probe), "NotifyAccess=exec: the running probe speaks for it");
        cr_assert_not(worker_may_notify(w, probe + 100000));
        p->config->notify_access = NOTIFY_ACCESS_MAIN;
        cr_assert_not(worker_may_notify(w, probe), "NotifyAccess=main: only the main process");
}

Test(health, probes_stop_when_the_worker_stops) {
        Pool *p = health_pool("/bin/sleep 30", "");
        Worker *w;
        pid_t probe;

        cr_assert_eq(pool_start(p), 0);
        cr_assert(fake_run_until(probe_running, 5000));
        w = fake_worker_in(WORKER_IDLE);
        probe = worker_health_probe_pid(w);
        worker_stop(w, KILL_CAUSE_STOP);
        cr_assert_eq(worker_health_probe_pid(w), 0, "killed when it left the ready states");
        fake_run_for(200);
        cr_assert(kill(probe, 0) < 0, "probe %d still there", (int) probe);
}
