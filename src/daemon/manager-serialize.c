/* SPDX-License-Identifier: MIT */
/* Re-exec without losing a worker: the state goes to a memfd as text lines,
 * the pidfds and the notify socket stay open across execve(), and the new
 * image takes every worker over (same pids, same cgroups; they are still our
 * children, so their exits are still ours to collect).
 *
 *   W1
 *   manager <next_worker_id> <notify_fd> <created_root> <original cgroup>
 *   lock <runtime lock fd> <cgroup root fd>   (both flock()ed: the instance lock)
 *   probe <ring buffer fd> <bss map fd> <link fd> <seq> <dropped>
 *   probe-entry <size> <hex>        (the fault probe's table; fault-probe.h)
 *   pool ...                        (then its source, worker, pending and exit
 *                                    lines: src/pool/pool-serialize.c)
 *
 * Fields are separated by tabs; text fields escape \ tab and newline
 * (shared/serialize.h). The manager writes and reads its own lines and
 * orchestrates; each pool writes and restores itself. */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "../classify/bpf/fault-probe.h"
#include "../shared/fd-util.h"
#include "../shared/log.h"
#include "../shared/serialize.h"
#include "../shared/strv.h"
#include "../spawn/spawn.h"
#include "manager.h"

#define SERIALIZE_MAGIC "W1"

static int fd_set_cloexec(int fd, bool cloexec) {
        int flags = fcntl(fd, F_GETFD);

        if (flags < 0)
                return -errno;
        flags = cloexec ? flags | FD_CLOEXEC : flags & ~FD_CLOEXEC;
        return fcntl(fd, F_SETFD, flags) < 0 ? -errno : 0;
}

/* The fds the next image inherits: every live worker's pidfd, every pool's
 * listening sockets, the notify
 * socket, the fault probe's ring buffer, map and link (it stays attached). */
static void manager_set_inherit(Manager *m, bool inherit) {
        (void) fd_set_cloexec(m->notify_fd, !inherit);
        (void) fd_set_cloexec(m->runtime_lock_fd, !inherit);
        (void) fd_set_cloexec(m->cgroup_root_fd, !inherit);
        fault_probe_set_inherit(m->fault_probe, inherit);
        for (Pool *p = m->pools; p; p = p->next) {
                pool_sockets_set_inherit(p, inherit);
                output_pool_set_inherit(p, inherit);
                for (Worker *w = p->workers; w; w = w->next)
                        if (w->pidfd >= 0)
                                (void) fd_set_cloexec(w->pidfd, !inherit);
        }
}

static int manager_serialize(Manager *m, int *ret_fd) {
        _cleanup_(closep) int fd = -EBADF;
        FILE *f;
        int r;

        fd = memfd_create("workerpoold-state", 0);   /* inherited on purpose */
        if (fd < 0)
                return -errno;
        f = fdopen(dup(fd), "w");
        if (!f)
                return -errno;

        fprintf(f, SERIALIZE_MAGIC "\n");
        fprintf(f, "manager\t%" PRIu64 "\t%d\t%d\t", m->next_worker_id, m->notify_fd,
                (int) m->created_root);
        serialize_put_text(f, m->original_cgroup ?: "");
        fputc('\n', f);
        fprintf(f, "lock\t%d\t%d\n", m->runtime_lock_fd, m->cgroup_root_fd);
        if (m->fault_probe)
                (void) fault_probe_serialize(m->fault_probe, f);
        for (Pool *p = m->pools; p; p = p->next)
                pool_serialize(p, f);
        r = fflush(f) == 0 && !ferror(f) ? 0 : -EIO;
        fclose(f);
        if (r < 0)
                return r;
        if (lseek(fd, 0, SEEK_SET) < 0)
                return -errno;
        *ret_fd = TAKE_FD(fd);
        return 0;
}

int manager_reexecute(Manager *m) {
        _cleanup_(closep) int fd = -EBADF;
        _cleanup_(strv_freep) char **argv = NULL;
        char arg[64];
        int r;

        if (!m->argv || !m->argv[0])
                return -EINVAL;
        r = manager_serialize(m, &fd);
        if (r < 0)
                return log_error_errno(r, "Cannot serialize our state for re-exec: %m");

        /* Our argv without an old --deserialize, plus the new one. */
        for (char **a = m->argv; *a; a++)
                if (!strneq(*a, "--deserialize=", 14) && (r = strv_extend(&argv, *a)) < 0)
                        return log_oom();
        snprintf(arg, sizeof arg, "--deserialize=%d", fd);
        if (strv_extend(&argv, arg) < 0)
                return log_oom();

        log_info("Re-executing with %" PRIu64 " worker ids issued; every worker is kept.",
                 m->next_worker_id - 1);
        (void) sd_notify(false, "RELOADING=1\nSTATUS=Re-executing");
        manager_set_inherit(m, true);
        execv("/proc/self/exe", argv);
        r = -errno;
        manager_set_inherit(m, false);
        (void) sd_notify(false, "READY=1");
        return log_error_errno(r, "Cannot re-execute /proc/self/exe: %m");
}

static int read_full_fd(int fd, char **ret) {
        size_t size = 0, len = 0;
        char *buf = NULL;

        if (lseek(fd, 0, SEEK_SET) < 0)
                return -errno;
        for (;;) {
                ssize_t n;

                if (len + 4096 + 1 > size) {
                        char *b = realloc(buf, size = (size + 4096) * 2);

                        if (!b) {
                                free(buf);
                                return -ENOMEM;
                        }
                        buf = b;
                }
                n = read(fd, buf + len, size - len - 1);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        free(buf);
                        return -errno;
                }
                if (n == 0)
                        break;
                len += (size_t) n;
        }
        buf[len] = 0;
        *ret = buf;
        return 0;
}

/* The "probe" and "probe-entry" lines: take the attached fault probe over
 * (manager_fault_probe_setup() then loads none). On failure the next image
 * loads its own, as at a fresh start. */
static void manager_deserialize_probe(Manager *m) {
        _cleanup_(freep) char *line = NULL;
        unsigned n_entries = 0, n_dropped = 0;
        const char *s;
        int r;

        s = strstr(m->deserialize_buf, "\nprobe\t");
        if (!s)
                return;
        line = strndup(s + 7, strcspn(s + 7, "\n"));
        if (!line) {
                log_oom();
                return;
        }
        r = fault_probe_deserialize(line, &m->fault_probe);
        if (r < 0) {
                log_warning_errno(r, "Cannot take over the fault probe of the previous image, "
                                     "loading a new one: %m");
                return;
        }
        for (s = strstr(s, "\nprobe-entry\t"); s; s = strstr(s + 1, "\nprobe-entry\t")) {
                line = mfree(line);
                line = strndup(s + 13, strcspn(s + 13, "\n"));
                if (!line) {
                        log_oom();
                        break;
                }
                if (fault_probe_deserialize_entry(m->fault_probe, line) < 0)
                        n_dropped++;
                else
                        n_entries++;
        }
        m->fault_probe_taken_over = true;
        log_debug("Fault probe taken over from the previous image with %u processes' records%s.",
                  n_entries, n_dropped > 0 ? " (some from another table layout dropped)" : "");
}

/* First part, before the notify socket is set up: read the state and take
 * the manager line (the inherited notify socket). */
int manager_deserialize_begin(Manager *m) {
        char *nl;
        int r;

        r = read_full_fd(m->deserialize_fd, &m->deserialize_buf);
        m->deserialize_fd = safe_close(m->deserialize_fd);
        if (r < 0)
                return log_error_errno(r, "Cannot read the state of the previous image: %m");
        if (!strneq(m->deserialize_buf, SERIALIZE_MAGIC "\n", strlen(SERIALIZE_MAGIC) + 1))
                return log_error_errno(-EBADMSG, "The state of the previous image has an unknown format.");
        nl = strstr(m->deserialize_buf, "\nmanager\t");
        if (nl) {
                unsigned long long next = 0;
                int notify_fd = -1, created = 0;

                char orig[4096] = "";

                if (sscanf(nl + 9, "%llu\t%d\t%d\t%4095[^\n]", &next, &notify_fd, &created, orig) >= 3) {
                        serialize_unescape(orig);
                        /* where the first image came from, not supervisor/ */
                        if (orig[0] == '/') {
                                char *o = strdup(orig);

                                if (!o)
                                        return log_oom();
                                free(m->original_cgroup);
                                m->original_cgroup = o;
                        }
                        m->next_worker_id = MAX(m->next_worker_id, (uint64_t) next);
                        m->created_root = m->created_root || created;
                        if (notify_fd >= 0 && fcntl(notify_fd, F_GETFD) >= 0) {
                                m->notify_fd = notify_fd;
                                (void) fcntl(notify_fd, F_SETFD, FD_CLOEXEC);
                        }
                }
        }
        nl = strstr(m->deserialize_buf, "\nlock\t");
        if (nl) {
                int lock_fd = -1, root_fd = -1;

                /* Held all along: a second instance never got in between. */
                if (sscanf(nl + 6, "%d\t%d", &lock_fd, &root_fd) == 2) {
                        if (lock_fd >= 0 && fcntl(lock_fd, F_SETFD, FD_CLOEXEC) >= 0)
                                m->runtime_lock_fd = lock_fd;
                        if (root_fd >= 0 && fcntl(root_fd, F_SETFD, FD_CLOEXEC) >= 0)
                                m->cgroup_root_fd = root_fd;
                }
        }
        manager_deserialize_probe(m);
        return 0;
}

/* The pool lines: each pool line and the lines after it, up to the next,
 * go to pool_deserialize(). */
int manager_deserialize(Manager *m) {
        _cleanup_(freep) char *buf = TAKE_PTR(m->deserialize_buf);
        _cleanup_(freep) char **lines = NULL;
        unsigned n_workers = 0, n_lost = 0;
        size_t n = 0, size = 0, first;
        char *line, *save = NULL;

        if (!buf)
                return 0;
        line = strtok_r(buf, "\n", &save);   /* the magic, checked */
        for (line = strtok_r(NULL, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                if (strneq(line, "manager\t", 8) || strneq(line, "lock\t", 5) || strneq(line, "probe", 5))
                        continue;   /* taken by manager_deserialize_begin() */
                if (n == size) {
                        char **l = realloc(lines, (size = size ? size * 2 : 64) * sizeof(char *));

                        if (!l)
                                return log_oom();
                        lines = l;
                }
                lines[n++] = line;
        }
        for (size_t k = 0; k < n; k = first) {
                Pool *p;

                for (first = k + 1; first < n && !strneq(lines[first], "pool\t", 5); first++)
                        ;
                p = pool_deserialize(&m->host, lines + k, first - k, &n_workers, &n_lost);
                if (p)
                        manager_link_pool(m, p);
        }
        for (Pool *q = m->pools; q; q = q->next)
                pool_deserialize_resume(q);
        log_info("Re-executed: took over %u workers%s.", n_workers,
                 n_lost > 0 ? ", some were lost (see above)" : "");
        return 0;
}
