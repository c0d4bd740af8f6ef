/* SPDX-License-Identifier: MIT */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fake-host.h"
#include "shared/fd-util.h"
#include "shared/log.h"
#include "shared/strv.h"

FakeHost fake;

static uint64_t fake_next_worker_id(PoolHost *h) {
        return ++fake.next_id;
}

static void fake_fault_evidence(PoolHost *h, pid_t pid, ExitInfo *i) {
}

static void fake_pools_changed(PoolHost *h) {
        fake.n_pools_changed++;
}

static int fake_spawn(PoolHost *h, const SpawnParams *sp, SpawnResult *ret) {
        pid_t pid;
        int r, fd;

        if (fake.spawn_error)
                return fake.spawn_error;
        r = posix_spawn(&pid, sp->argv[0], NULL, NULL, sp->argv, sp->envp);
        if (r != 0)
                return -r;
        fd = pidfd_open_wrapper(pid);
        if (fd < 0) {
                kill(pid, SIGKILL);
                (void) waitpid(pid, NULL, 0);
                return fd;
        }
        fake.n_spawned++;
        *ret = (SpawnResult) { .pid = pid, .pidfd = fd, .failed_step = SPAWN_STEP_NONE };
        return 0;
}

static void fake_failure_exit(PoolHost *h, Pool *p) {
        fake.n_failure_exit++;
}

static const PoolHostOps fake_ops = {
        .next_worker_id = fake_next_worker_id,
        .fault_evidence = fake_fault_evidence,
        .pools_changed = fake_pools_changed,
        .spawn = fake_spawn,
        .failure_exit = fake_failure_exit,
};

static void hook_started(void *u, Worker *w) {
        fake.n_started++;
}

static void hook_ready(void *u, Worker *w) {
        fake.n_ready++;
}

static void hook_exited(void *u, Worker *w, const ExitRecord *r) {
        fake.n_exited++;
        fake.last_exit = *r;
}

static void hook_job_done(void *u, Pool *p, const char *job, const char *requester, const char *result,
                          const char *message) {
        fake.n_jobs_done++;
        snprintf(fake.job_done_job, sizeof fake.job_done_job, "%s", job ?: "");
        snprintf(fake.job_done_result, sizeof fake.job_done_result, "%s", result ?: "");
        snprintf(fake.job_done_message, sizeof fake.job_done_message, "%s", message ?: "");
}

static const PoolHooks fake_hooks = {
        .worker_started = hook_started,
        .worker_ready = hook_ready,
        .worker_exited = hook_exited,
        .job_done = hook_job_done,
};

void fake_setup(void) {
        sd_event *e = NULL;

        log_set_max_level(getenv("FAKE_HOST_DEBUG") ? LOG_DEBUG : LOG_WARNING);
        cr_assert_geq(sd_event_default(&e), 0);
        fake = (FakeHost) {};
        snprintf(fake.root, sizeof fake.root, "/tmp/test-pool-XXXXXX");
        cr_assert_not_null(mkdtemp(fake.root));
        snprintf(fake.confdir, sizeof fake.confdir, "%s/conf", fake.root);
        cr_assert_eq(mkdir(fake.confdir, 0755), 0);
        manager_config_init(&fake.defaults);
        fake.host = (PoolHost) {
                .ops = &fake_ops,
                .event = e,
                .cgroup_root = "/fake",
                .worker_nofile = { 1024, 1024 },
                .max_workers = 1000,
                .defaults = &fake.defaults,
                .hooks = &fake_hooks,
        };
        fake.host.cgroup_root_fd = open(fake.root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        cr_assert_geq(fake.host.cgroup_root_fd, 0);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        return remove(path);
}

void fake_teardown(void) {
        if (fake.pool) {
                /* end every child, then let the pool see the exits */
                for (Worker *w = fake.pool->workers; w; w = w->next)
                        if (w->pidfd >= 0)
                                (void) pidfd_send_signal_wrapper(w->pidfd, SIGKILL);
                pool_stop(fake.pool);
                for (int k = 0; k < 200 && fake.pool->n_workers > 0; k++)
                        (void) sd_event_run(fake.host.event, 10 * USEC_PER_MSEC);
                fake.pool = pool_free(fake.pool);
        }
        safe_close(fake.host.cgroup_root_fd);
        (void) nftw(fake.root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
        fake.host.event = sd_event_unref(fake.host.event);
}

Pool *fake_pool(const char *name, const char *text) {
        char *dirs[2] = { fake.confdir, NULL }, path[160];
        _cleanup_(strv_freep) char **errors = NULL;
        PoolConfig *c = NULL;
        FILE *f;
        int r;

        snprintf(path, sizeof path, "%s/%s.pool", fake.confdir, name);
        f = fopen(path, "we");
        cr_assert_not_null(f);
        fputs(text, f);
        fclose(f);
        r = config_load_pool(name, (const char *const *) dirs, &fake.defaults, &c, &errors);
        cr_assert_eq(r, 0, "config_load_pool: %s: %s", strerror(-r), errors ? errors[0] : "");
        r = pool_new(&fake.host, c, &fake.pool);
        cr_assert_eq(r, 0, "pool_new: %s", strerror(-r));
        return fake.pool;
}

static usec_t now_ms(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (usec_t) ts.tv_sec * 1000 + (usec_t) ts.tv_nsec / 1000000;
}

bool fake_run_until(bool (*cond)(void), unsigned timeout_ms) {
        usec_t end = now_ms() + timeout_ms;

        while (!cond()) {
                if (now_ms() >= end)
                        return false;
                (void) sd_event_run(fake.host.event, 10 * USEC_PER_MSEC);
        }
        return true;
}

void fake_run_for(unsigned ms) {
        usec_t end = now_ms() + ms;

        while (now_ms() < end)
                (void) sd_event_run(fake.host.event, 10 * USEC_PER_MSEC);
}

Worker *fake_worker_in(WorkerState state) {
        for (Worker *w = fake.pool->workers; w; w = w->next)
                if (w->state == state)
                        return w;
        return NULL;
}

void fake_notify(Worker *w, const char *text) {
        NotifyMessage m;

        cr_assert_eq(notify_parse(text, strlen(text), &m), 0);
        worker_on_notify(w, &m);
}
