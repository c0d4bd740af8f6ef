/* SPDX-License-Identifier: MIT */
/* StandardOutput=, StandardError=: see output.h. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <syslog.h>
#include <unistd.h>
#include <systemd/sd-journal.h>

#include "../cgroup/cgroup.h"
#include "../shared/fd-util.h"
#include "../shared/log.h"
#include "../shared/string-util.h"
#include "output.h"
#include "pool.h"

/* A line longer than this is cut into pieces of this size (journald's
 * LineMax= is 48K; ours is per worker in memory, so smaller). */
#define OUTPUT_LINE_MAX 4096
/* Bytes read per loop turn and output: a worker that writes without end
 * is served again only after everything of a higher priority. */
#define OUTPUT_READ_BUDGET (64 * 1024)

/* Who wrote what: the last few senders, each with its line without an end
 * yet. A sender is a pid; its worker is found once, by pid among the
 * pool's workers, else by the cgroup it is in (a worker's child). */
#define OUTPUT_SENDERS 16

typedef struct OutputSender {
        pid_t pid;                      /* 0: free */
        uint64_t worker_id;             /* 0: not a worker's (it left its leaf) */
        uint64_t used;                  /* for the eviction of the least recent */
        char *partial;                  /* owned: OUTPUT_LINE_MAX bytes, or NULL */
        size_t n_partial;
} OutputSender;

struct PoolOutput {
        Pool *pool;                     /* not owned */
        int read_fd, write_fd;          /* owned: the socket pair; workers get write_fd */
        bool journal;                   /* to the journal (else our stderr, prefixed) */
        sd_event_source *source;        /* owned */
        OutputSender senders[OUTPUT_SENDERS];
        uint64_t clock;
};

/* What StandardOutput= comes to: the default is journal under journald,
 * else inherit. */
static OutputKind stdout_kind(const PoolConfig *c) {
        if (c->std_output.kind == OUTPUT_DEFAULT)
                return log_to_journal() ? OUTPUT_JOURNAL : OUTPUT_INHERIT;
        return c->std_output.kind;
}

/* StandardError= inherit (and its default) is "as standard output". */
static bool stderr_as_stdout(const PoolConfig *c) {
        return IN_SET(c->std_error.kind, OUTPUT_DEFAULT, OUTPUT_INHERIT);
}

/* journal is carried; inherit only when we would add the prefix (our stderr
 * is not the journal: under journald the worker's lines go straight to the
 * unit's stream, as today). */
static bool kind_carried(OutputKind k) {
        return k == OUTPUT_JOURNAL || (k == OUTPUT_INHERIT && !log_to_journal());
}

static int open_file(const OutputSpec *o, bool truncate, int *ret) {
        int flags = O_WRONLY | O_CREAT | O_CLOEXEC | O_NOCTTY |
                    (o->kind == OUTPUT_APPEND ? O_APPEND : 0) |
                    (o->kind == OUTPUT_TRUNCATE && truncate ? O_TRUNC : 0);
        int fd = open(o->path, flags, 0640);

        if (fd < 0)
                return -errno;
        *ret = fd;
        return 0;
}

int output_pool_open(Pool *p, bool truncate, char *why, size_t n) {
        const PoolConfig *c = p->config;
        const OutputSpec *specs[2] = { &c->std_output, stderr_as_stdout(c) ? NULL : &c->std_error };
        int fds[2] = { -EBADF, -EBADF }, r;

        for (int k = 0; k < 2; k++) {
                const OutputSpec *o = specs[k];

                if (!o || !IN_SET(o->kind, OUTPUT_FILE, OUTPUT_APPEND, OUTPUT_TRUNCATE))
                        continue;
                if (k == 1 && specs[0]->kind == o->kind && streq_ptr(specs[0]->path, o->path) && fds[0] >= 0) {
                        fds[1] = fcntl(fds[0], F_DUPFD_CLOEXEC, 3);
                        if (fds[1] < 0) {
                                r = -errno;
                                snprintf(why, n, "cannot duplicate the output file: %s", strerror(-r));
                                goto fail;
                        }
                        continue;
                }
                r = open_file(o, truncate, &fds[k]);
                if (r < 0) {
                        snprintf(why, n, "%s=%s:%s: %s", k == 0 ? "StandardOutput" : "StandardError",
                                 o->kind == OUTPUT_FILE ? "file" : o->kind == OUTPUT_APPEND ? "append" : "truncate",
                                 o->path, strerror(-r));
                        log_error_errno(r, "Pool %s: cannot open %s", p->name, why);
                        goto fail;
                }
        }
        output_pool_close(p);
        p->output_fds[0] = fds[0];
        p->output_fds[1] = fds[1];
        return 0;
fail:
        safe_close(fds[0]);
        safe_close(fds[1]);
        return r;
}

void output_pool_close(Pool *p) {
        p->output_fds[0] = safe_close(p->output_fds[0]);
        p->output_fds[1] = safe_close(p->output_fds[1]);
}

int output_line_priority(const char **line, size_t *n, int def) {
        const char *s = *line;

        if (*n >= 3 && s[0] == '<' && s[1] >= '0' && s[1] <= '7' && s[2] == '>') {
                *line += 3;
                *n -= 3;
                return s[1] - '0';
        }
        return def;
}

/* Lines for our stderr, written once per read (a flood of short lines is
 * one write per 64 KiB read, not one per line). */
static char stderr_buf[2 * OUTPUT_READ_BUDGET];
static size_t stderr_len;

static void stderr_flush(void) {
        size_t done = 0;

        while (done < stderr_len) {
                ssize_t k = write(STDERR_FILENO, stderr_buf + done, stderr_len - done);

                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        break;          /* our stderr is gone: the lines are lost, as ours are */
                done += (size_t) k;
        }
        stderr_len = 0;
}

static void stderr_add(const char *prefix, size_t np, const char *line, size_t n) {
        if (stderr_len + np + n + 1 > sizeof stderr_buf)
                stderr_flush();
        memcpy(stderr_buf + stderr_len, prefix, np);
        memcpy(stderr_buf + stderr_len + np, line, n);
        stderr_buf[stderr_len + np + n] = '\n';
        stderr_len += np + n + 1;
}

static void output_emit(PoolOutput *o, const OutputSender *snd, const char *line, size_t n) {
        int priority = output_line_priority(&line, &n, LOG_INFO);
        const char *name = o->pool->name;
        char prefix[160];
        int np;

        if (o->journal) {
                char prio[16], ident[128], pool[128], worker[48], pid[32];
                struct iovec iov[7];
                _cleanup_(freep) char *msg = malloc(8 + n);
                int k = 0;

                if (msg) {
                        memcpy(msg, "MESSAGE=", 8);
                        memcpy(msg + 8, line, n);
                        iov[k++] = (struct iovec) { msg, 8 + n };
                        iov[k++] = (struct iovec) { prio, (size_t) snprintf(prio, sizeof prio, "PRIORITY=%d",
                                                                            priority) };
                        iov[k++] = (struct iovec) { ident, (size_t) snprintf(ident, sizeof ident,
                                                                             "SYSLOG_IDENTIFIER=%s", name) };
                        iov[k++] = (struct iovec) { pool, (size_t) snprintf(pool, sizeof pool,
                                                                            "WORKERPOOL_POOL=%s", name) };
                        if (snd->worker_id > 0)
                                iov[k++] = (struct iovec) { worker, (size_t) snprintf(worker, sizeof worker,
                                                                                      "WORKERPOOL_WORKER=%" PRIu64,
                                                                                      snd->worker_id) };
                        iov[k++] = (struct iovec) { pid, (size_t) snprintf(pid, sizeof pid, "SYSLOG_PID=%d",
                                                                           (int) snd->pid) };
                        iov[k++] = (struct iovec) { (char *) "WORKERPOOL_OUTPUT=1", 19 };
                        if (sd_journal_sendv(iov, k) >= 0)
                                return;
                }
                /* no memory, or the journal went away: our stderr */
        }
        if (snd->worker_id > 0)
                np = snprintf(prefix, sizeof prefix, "%s[%" PRIu64 "]: ", name, snd->worker_id);
        else
                np = snprintf(prefix, sizeof prefix, "%s[pid %d]: ", name, (int) snd->pid);
        stderr_add(prefix, (size_t) MIN(np, (int) sizeof prefix - 1), line, n);
}

static void sender_flush(PoolOutput *o, OutputSender *snd) {
        if (snd->n_partial > 0)
                output_emit(o, snd, snd->partial, snd->n_partial);
        snd->n_partial = 0;
}

/* Complete lines of buf go out; the rest waits in the sender's partial. */
static void output_take(PoolOutput *o, OutputSender *snd, const char *buf, size_t n) {
        while (n > 0) {
                const char *nl = memchr(buf, '\n', n);
                size_t k = nl ? (size_t) (nl - buf) : n;

                if (snd->n_partial + k >= OUTPUT_LINE_MAX) {
                        /* too long: what fits goes out as a line of its own */
                        size_t take = OUTPUT_LINE_MAX - snd->n_partial;

                        if (snd->n_partial > 0) {
                                memcpy(snd->partial + snd->n_partial, buf, take);
                                output_emit(o, snd, snd->partial, OUTPUT_LINE_MAX);
                                snd->n_partial = 0;
                        } else
                                output_emit(o, snd, buf, take);
                        buf += take;
                        n -= take;
                        continue;
                }
                if (!nl) {
                        if (!snd->partial && !(snd->partial = malloc(OUTPUT_LINE_MAX)))
                                return;         /* no memory: the piece is lost */
                        memcpy(snd->partial + snd->n_partial, buf, k);
                        snd->n_partial += k;
                        return;
                }
                if (snd->n_partial > 0) {
                        memcpy(snd->partial + snd->n_partial, buf, k);
                        output_emit(o, snd, snd->partial, snd->n_partial + k);
                        snd->n_partial = 0;
                } else
                        output_emit(o, snd, buf, k);
                buf += k + 1;
                n -= k + 1;
        }
}

/* The worker a pid writes for: the pool's worker with that main pid, else
 * the worker whose leaf the process is in (ROOT/NAME.pool/NAME-ID.worker). */
static uint64_t worker_of_pid(Pool *p, pid_t pid) {
        _cleanup_(freep) char *path = NULL;
        const char *leaf, *end;

        for (Worker *w = p->workers; w; w = w->next)
                if (w->pid == pid && w->state != WORKER_EXITED)
                        return w->id;
        if (pid <= 0 || cgroup_pid_get_path(pid, &path) < 0)
                return 0;
        leaf = strrchr(path, '/');
        for (Worker *w = p->workers; leaf && w; w = w->next) {
                size_t k = strlen(w->cgroup_name);

                /* in its leaf, or below it */
                end = strstr(path, w->cgroup_name);
                if (end && end[-1] == '/' && (end[k] == '\0' || end[k] == '/'))
                        return w->id;
        }
        return 0;
}

static OutputSender *sender_get(PoolOutput *o, pid_t pid) {
        OutputSender *free_slot = NULL, *oldest = NULL;

        o->clock++;
        for (size_t k = 0; k < OUTPUT_SENDERS; k++) {
                OutputSender *s = &o->senders[k];

                if (s->pid == pid && pid > 0) {
                        s->used = o->clock;
                        return s;
                }
                if (s->pid == 0 && !free_slot)
                        free_slot = s;
                if (!oldest || s->used < oldest->used)
                        oldest = s;
        }
        if (!free_slot) {
                free_slot = oldest;
                sender_flush(o, free_slot);
        }
        free_slot->pid = pid;
        free_slot->worker_id = worker_of_pid(o->pool, pid);
        free_slot->used = o->clock;
        free_slot->n_partial = 0;
        return free_slot;
}

/* Read up to the budget; 0: nothing more now, < 0: the socket ended. */
static int output_read(PoolOutput *o, size_t budget) {
        static char buf[OUTPUT_READ_BUDGET];

        while (budget > 0) {
                union {
                        struct cmsghdr h;
                        char buf[CMSG_SPACE(sizeof(struct ucred))];
                } control;
                struct iovec iov = { buf, MIN(budget, sizeof buf) };
                struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = &control,
                                     .msg_controllen = sizeof control };
                struct ucred uc = {};
                ssize_t k = recvmsg(o->read_fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);

                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0 && errno == EAGAIN)
                        return 0;
                if (k <= 0)
                        return -EPIPE;
                for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
                        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS &&
                            c->cmsg_len == CMSG_LEN(sizeof uc))
                                memcpy(&uc, CMSG_DATA(c), sizeof uc);
                output_take(o, sender_get(o, uc.pid), buf, (size_t) k);
                budget -= (size_t) k;
        }
        return 0;
}

static int on_output(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        PoolOutput *o = userdata;

        (void) output_read(o, OUTPUT_READ_BUDGET);
        stderr_flush();
        return 0;
}

/* sd_journal_sendv() says nothing when journald is not there: look when
 * the socket is made (a journal that comes later serves the next start). */
static bool journal_available(void) {
        return access("/run/systemd/journal/socket", W_OK) == 0;
}

static int output_new(Pool *p, int read_fd, int write_fd, bool journal) {
        PoolOutput *o = calloc(1, sizeof *o);
        int r;

        if (!o)
                return -ENOMEM;
        *o = (PoolOutput) { .pool = p, .read_fd = read_fd, .write_fd = write_fd, .journal = journal };
        r = sd_event_add_io(p->host->event, &o->source, read_fd, EPOLLIN, on_output, o);
        if (r >= 0)
                r = sd_event_source_set_priority(o->source, POOL_EVENT_PRIORITY_OUTPUT);
        if (r < 0) {
                sd_event_source_disable_unref(o->source);
                free(o);
                return r;
        }
        (void) sd_event_source_set_description(o->source, "pool-output");
        p->output = o;
        return 0;
}

void output_pool_flush(Pool *p) {
        PoolOutput *o = p->output;

        if (!o)
                return;
        /* What is there already, bounded: a process that left its worker's
         * cgroup (and so outlived the stop) may still be writing. */
        (void) output_read(o, 16 * OUTPUT_READ_BUDGET);
        for (size_t k = 0; k < OUTPUT_SENDERS; k++) {
                sender_flush(o, &o->senders[k]);
                o->senders[k].pid = 0;
        }
        stderr_flush();
}

void output_pool_free(Pool *p) {
        PoolOutput *o = p->output;

        if (!o)
                return;
        output_pool_flush(p);
        for (size_t k = 0; k < OUTPUT_SENDERS; k++)
                free(o->senders[k].partial);
        sd_event_source_disable_unref(o->source);
        safe_close(o->read_fd);
        safe_close(o->write_fd);
        free(o);
        p->output = NULL;
}

static int output_carry(Pool *p, bool journal) {
        int sv[2], one = 1, r;

        if (p->output) {
                p->output->journal = journal && journal_available();
                return 0;
        }
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
                return -errno;
        if (setsockopt(sv[0], SOL_SOCKET, SO_PASSCRED, &one, sizeof one) < 0 ||
            fcntl(sv[0], F_SETFL, O_NONBLOCK) < 0) {
                r = -errno;
                goto fail;
        }
        (void) shutdown(sv[0], SHUT_WR);
        (void) shutdown(sv[1], SHUT_RD);
        r = output_new(p, sv[0], sv[1], journal && journal_available());
        if (r < 0)
                goto fail;
        return 0;
fail:
        safe_close(sv[0]);
        safe_close(sv[1]);
        return r;
}

int output_prepare(Pool *p, OutputFds *ret) {
        const PoolConfig *c = p->config;
        OutputKind out = stdout_kind(c);
        OutputKind err = stderr_as_stdout(c) ? out : c->std_error.kind;
        int r;

        *ret = (OutputFds) { .stdout_fd = -EBADF, .stderr_fd = -EBADF };
        if (kind_carried(out) || kind_carried(err)) {
                /* carried lines go to the journal if either asks for it */
                r = output_carry(p, out == OUTPUT_JOURNAL || err == OUTPUT_JOURNAL);
                if (r < 0)
                        return r;
        }
        if (kind_carried(out))
                ret->stdout_fd = p->output->write_fd;
        else if (out == OUTPUT_NULL)
                ret->stdout_null = true;
        else if (p->output_fds[0] >= 0)
                ret->stdout_fd = p->output_fds[0];
        if (stderr_as_stdout(c)) {
                ret->stderr_fd = ret->stdout_fd;
                ret->stderr_null = ret->stdout_null;
        } else if (kind_carried(err))
                ret->stderr_fd = p->output->write_fd;
        else if (err == OUTPUT_NULL)
                ret->stderr_null = true;
        else if (p->output_fds[1] >= 0)
                ret->stderr_fd = p->output_fds[1];
        return 0;
}

void output_pool_set_inherit(Pool *p, bool inherit) {
        int fds[2] = { p->output ? p->output->read_fd : -EBADF, p->output ? p->output->write_fd : -EBADF };

        for (int k = 0; k < 2; k++) {
                int flags = fds[k] >= 0 ? fcntl(fds[k], F_GETFD) : -1;

                if (flags >= 0)
                        (void) fcntl(fds[k], F_SETFD, inherit ? flags & ~FD_CLOEXEC : flags | FD_CLOEXEC);
        }
}

/* output <read fd> <write fd> <journal>; the lines without an end yet are
 * written out first (the next image would lose them). */
void output_pool_serialize(const Pool *p, FILE *f) {
        PoolOutput *o = p->output;

        if (!o)
                return;
        for (size_t k = 0; k < OUTPUT_SENDERS; k++)
                sender_flush(o, &o->senders[k]);
        stderr_flush();
        fprintf(f, "output\t%d\t%d\t%d\n", o->read_fd, o->write_fd, (int) o->journal);
}

void output_pool_adopt(Pool *p, int read_fd, int write_fd, int journal) {
        if (p->output || fcntl(read_fd, F_SETFD, FD_CLOEXEC) < 0 || fcntl(write_fd, F_SETFD, FD_CLOEXEC) < 0 ||
            output_new(p, read_fd, write_fd, journal != 0) < 0) {
                log_warning("Pool %s: cannot carry its workers' output after the re-exec.", p->name);
                safe_close(read_fd);
                safe_close(write_fd);
        }
}
