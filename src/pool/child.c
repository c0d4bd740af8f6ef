/* SPDX-License-Identifier: MIT */
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../shared/fd-util.h"
#include "../shared/log.h"
#include "../shared/parse-util.h"
#include "../shared/strv.h"
#include "../shared/utf8.h"
#include "child.h"
#include "exec.h"
#include "pool.h"

struct PoolChild {
        PoolHost *host;                 /* not owned */
        char *description;              /* owned */
        pid_t pid;
        int pidfd;                      /* owned */
        int out_fd;                     /* owned: the read end of stdout+stderr */
        sd_event_source *exit_source;   /* owned: pidfd readable */
        sd_event_source *out_source;    /* owned: output readable */
        sd_event_source *timer_source;  /* owned: the timeout */
        char *output;                   /* owned: max_output + 1 bytes */
        size_t output_size, max_output;
        bool output_truncated;
        bool timed_out;
        bool running;                   /* done not called yet */
        SpawnStep failed_step;
        int failed_errno;
        PoolChildDone done;
        void *userdata;
};

pid_t pool_child_pid(const PoolChild *c) {
        return c ? c->pid : 0;
}

bool pool_child_running(const PoolChild *c) {
        return c && c->running;
}

/* SIGKILL to it and to what it left in its process group (it is the group's
 * leader after setsid()). Only while it is not reaped: its pid, and so its
 * group's id, cannot have been reused then. */
static void child_kill(PoolChild *c) {
        if (c->pidfd < 0)
                return;
        (void) pidfd_send_signal_wrapper(c->pidfd, SIGKILL);
        if (c->pid > 0)
                (void) kill(-c->pid, SIGKILL);
}

/* A child freed while it runs: killed, and reaped when the pidfd says it is
 * gone, by a source the event loop owns (floating) that frees itself. */
static int on_orphan_exit(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        siginfo_t si = {};

        if (waitid(P_PIDFD, (id_t) fd, &si, WEXITED | WNOHANG) >= 0 && si.si_pid == 0)
                return 0;       /* not yet (an error: nothing more to wait for either) */
        (void) sd_event_source_set_enabled(s, SD_EVENT_OFF);
        /* Drops the loop's reference, the only one: frees it, which
         * closes the pidfd (below). */
        (void) sd_event_source_set_floating(s, false);
        return 0;
}

static void orphan_destroy(void *userdata) {
        safe_close((int) (intptr_t) userdata);
}

static void child_orphan(PoolChild *c) {
        sd_event_source *s = NULL;
        siginfo_t si = {};
        int r;

        if (c->pidfd < 0)
                return;
        child_kill(c);
        r = sd_event_add_io(c->host->event, &s, c->pidfd, EPOLLIN, on_orphan_exit,
                            (void *) (intptr_t) c->pidfd);
        if (r >= 0) {
                (void) sd_event_source_set_description(s, "child-orphan");
                (void) sd_event_source_set_destroy_callback(s, orphan_destroy);
                (void) sd_event_source_set_floating(s, true);
                sd_event_source_unref(s);
                c->pidfd = -EBADF;      /* the source's now */
                return;
        }
        /* No loop to wait in: it was sent SIGKILL, wait for it here. */
        log_debug_errno(r, "%s (pid %d): cannot watch its end, waiting for it: %m", c->description,
                        (int) c->pid);
        (void) waitid(P_PIDFD, (id_t) c->pidfd, &si, WEXITED);
        c->pidfd = safe_close(c->pidfd);
}

PoolChild *pool_child_free(PoolChild *c) {
        if (!c)
                return NULL;
        c->exit_source = sd_event_source_disable_unref(c->exit_source);
        c->out_source = sd_event_source_disable_unref(c->out_source);
        c->timer_source = sd_event_source_disable_unref(c->timer_source);
        if (c->running)
                child_orphan(c);
        safe_close(c->pidfd);
        safe_close(c->out_fd);
        free(c->output);
        free(c->description);
        free(c);
        return NULL;
}

/* Read what there is; keep up to max_output bytes, drop the rest. Returns
 * 0 at EOF, 1 if there may be more later. */
static int child_read_output(PoolChild *c) {
        char buf[4096];

        if (c->out_fd < 0)
                return 0;
        for (;;) {
                ssize_t n = read(c->out_fd, buf, sizeof buf);
                size_t keep;

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && errno == EAGAIN)
                        return 1;
                if (n <= 0)
                        return 0;       /* EOF, or an error: nothing more to read */
                keep = MIN((size_t) n, c->max_output - c->output_size);
                memcpy(c->output + c->output_size, buf, keep);
                c->output_size += keep;
                c->output[c->output_size] = '\0';
                if (keep < (size_t) n)
                        c->output_truncated = true;
        }
}

static int on_child_output(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        PoolChild *c = userdata;

        if (child_read_output(c) == 0) {
                /* EOF: the child and whatever shared its stdout closed it. */
                c->out_source = sd_event_source_disable_unref(c->out_source);
                c->out_fd = safe_close(c->out_fd);
        }
        return 0;
}

static int on_child_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        PoolChild *c = userdata;

        c->timed_out = true;
        child_kill(c);
        return 0;
}

/* The pidfd is readable: it is gone. Kill its group's leftovers while its
 * pid is still ours, take the rest of the output already written, reap it,
 * and report. The output buffer is handed to the callback, so that it
 * stays valid even if the callback frees c. */
static int on_child_exit(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        PoolChild *c = userdata;
        _cleanup_(freep) char *output = NULL;
        PoolChildResult r = {};
        siginfo_t si = {};

        if (c->pid > 0)
                (void) kill(-c->pid, SIGKILL);
        if (waitid(P_PIDFD, (id_t) c->pidfd, &si, WEXITED | WNOHANG) < 0) {
                log_warning_errno(-errno, "%s (pid %d): waitid failed: %m", c->description, (int) c->pid);
                si = (siginfo_t) {};
                si.si_pid = c->pid;     /* (fields of a union: assigned, not initialized) */
                si.si_code = CLD_KILLED;
                si.si_status = SIGKILL;
        } else if (si.si_pid == 0)
                return 0;       /* not waitable yet: the pidfd is level-triggered, we hear again */

        (void) child_read_output(c);
        c->exit_source = sd_event_source_disable_unref(c->exit_source);
        c->out_source = sd_event_source_disable_unref(c->out_source);
        c->timer_source = sd_event_source_disable_unref(c->timer_source);
        c->pidfd = safe_close(c->pidfd);
        c->out_fd = safe_close(c->out_fd);
        c->running = false;

        output = TAKE_PTR(c->output);
        r = (PoolChildResult) {
                .code = c->failed_step != SPAWN_STEP_NONE ? 0 : si.si_code,
                .status = c->failed_step != SPAWN_STEP_NONE ? 0 : si.si_status,
                .timed_out = c->timed_out,
                .spawn_errno = c->failed_step != SPAWN_STEP_NONE ? c->failed_errno : 0,
                .spawn_step = c->failed_step != SPAWN_STEP_NONE ? spawn_step_to_string(c->failed_step) : NULL,
                .output = output ?: "",
                .output_size = c->output_size,
                .output_truncated = c->output_truncated,
        };
        c->done(c, &r, c->userdata);     /* may free c */
        return 0;
}

/* The minimal environment of a child that is not the pool's. */
static char *const minimal_env[] = {
        (char *) "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", NULL
};

static int child_prepare(const PoolChildParams *p, PoolExec *e) {
        const Pool *pool = p->worker ? p->worker->pool : p->pool;
        int r;

        if (!pool) {
                *e = (PoolExec) {};
                e->params = (SpawnParams) {
                        .argv = p->argv,
                        .envp = p->envp ?: minimal_env,
                        .stdin_fd = -EBADF,
                        .capability_bounding_set = UINT64_MAX,
                        .umask = 0022,
                };
                return 0;
        }
        r = pool_exec_prepare(pool, p->worker, p->argv, p->envp, e);
        if (r < 0)
                return log_warning_errno(r, "Pool %s: %s: %s: %m", pool->name, p->description, e->failed);
        if (p->worker && pool->config->private_tmp) {
                /* As the worker: in its private /tmp, not one of our own. */
                e->params.private_tmp = false;
                e->params.mount_ns_fd = p->worker->pidfd;
        }
        return 0;
}

int pool_child_spawn(PoolHost *h, const PoolChildParams *p, PoolChildDone done, void *userdata,
                     PoolChild **ret) {
        _cleanup_(pool_child_freep) PoolChild *c = NULL;
        _cleanup_(pool_exec_done) PoolExec e = {};
        _cleanup_(closep) int out_w = -EBADF;
        SpawnResult res = {};
        int pipefd[2], r;

        if (!p->argv || !p->argv[0] || !done)
                return -EINVAL;
        if (p->worker && p->worker->pidfd < 0)
                return -ESRCH;
        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        *c = (PoolChild) {
                .host = h,
                .pidfd = -EBADF,
                .out_fd = -EBADF,
                .max_output = p->max_output,
                .done = done,
                .userdata = userdata,
        };
        c->description = strdup(p->description ?: "child");
        c->output = malloc(p->max_output + 1);
        if (!c->description || !c->output)
                return -ENOMEM;
        c->output[0] = '\0';

        r = child_prepare(p, &e);
        if (r < 0)
                return r;
        if (pipe2(pipefd, O_CLOEXEC | O_NONBLOCK) < 0)
                return -errno;
        c->out_fd = pipefd[0];
        out_w = pipefd[1];
        /* The writer blocks as a pipe normally does; only our end does not. */
        r = fd_nonblock(out_w, false);
        if (r < 0)
                return r;
        e.params.cgroup_fd = p->cgroup_fd;
        e.params.stdout_fd = out_w;

        r = h->ops->spawn(h, &e.params, &res);
        if (r < 0)
                return r;
        out_w = safe_close(out_w);
        c->pid = res.pid;
        c->pidfd = res.pidfd;
        c->failed_step = res.failed_step;
        c->failed_errno = res.failed_errno;
        c->running = true;      /* from here on a failure kills it (pool_child_free) */

        r = sd_event_add_io(h->event, &c->exit_source, c->pidfd, EPOLLIN, on_child_exit, c);
        if (r < 0)
                return r;
        (void) sd_event_source_set_description(c->exit_source, c->description);
        r = sd_event_add_io(h->event, &c->out_source, c->out_fd, EPOLLIN, on_child_output, c);
        if (r < 0)
                return r;
        (void) sd_event_source_set_description(c->out_source, c->description);
        if (config_usec_is_set(p->timeout_usec)) {
                r = sd_event_add_time_relative(h->event, &c->timer_source, CLOCK_MONOTONIC, p->timeout_usec,
                                               1, on_child_timeout, c);
                if (r < 0)
                        return r;
                (void) sd_event_source_set_description(c->timer_source, c->description);
        }
        *ret = TAKE_PTR(c);
        return 0;
}

void pool_child_output_first_line(const PoolChildResult *r, char *buf, size_t size) {
        const char *s = r->output ?: "", *end;

        s += strspn(s, "\r\n");
        end = s + strcspn(s, "\r\n");
        (void) utf8_sanitize(buf, size, s, (size_t) (end - s));
}

bool pool_child_result_describe(const PoolChildResult *r, usec_t timeout_usec, char *buf, size_t size) {
        char line[160], tb[64];
        const char *sig;

        pool_child_output_first_line(r, line, sizeof line);
        if (r->timed_out)
                snprintf(buf, size, "timed out after %s%s%s", format_timespan(tb, sizeof tb, timeout_usec),
                         line[0] ? ": " : "", line);
        else if (r->code == 0)
                snprintf(buf, size, "could not run: %s: %s", r->spawn_step ?: "spawn",
                         strerror(r->spawn_errno > 0 ? r->spawn_errno : EIO));
        else if (r->code == CLD_EXITED)
                snprintf(buf, size, "exit status %d%s%s", r->status, line[0] ? ": " : "", line);
        else {
                sig = signal_to_string(r->status);
                if (sig)
                        snprintf(buf, size, "killed by signal %s%s%s%s", sig,
                                 r->code == CLD_DUMPED ? " (core dumped)" : "", line[0] ? ": " : "", line);
                else
                        snprintf(buf, size, "killed by signal %d%s%s%s", r->status,
                                 r->code == CLD_DUMPED ? " (core dumped)" : "", line[0] ? ": " : "", line);
        }
        return !r->timed_out && r->code == CLD_EXITED && r->status == 0;
}
