/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "config-build.h"
#include "manager.h"
#include "../pool/command.h"
#include "../shared/fd-util.h"
#include "../shared/log.h"
#include "../shared/parse-util.h"
#include "../shared/string-util.h"
#include "../shared/strv.h"
#include "../spawn/spawn.h"

#define SUPERVISOR_CGROUP "supervisor"

/* ---- what the pools see of us (pool/pool-host.h) ------------------------ */

static Manager *manager_of_host(PoolHost *h) {
        return (Manager *) ((char *) h - offsetof(Manager, host));
}

static uint64_t host_next_worker_id(PoolHost *h) {
        return manager_of_host(h)->next_worker_id++;
}

static void host_fault_evidence(PoolHost *h, pid_t pid, ExitInfo *i) {
        manager_fault_evidence(manager_of_host(h), pid, i);
}

static void manager_check_finished(Manager *m);

static void host_pools_changed(PoolHost *h) {
        manager_check_finished(manager_of_host(h));
}

static int host_spawn(PoolHost *h, const SpawnParams *sp, SpawnResult *ret) {
        return spawn_worker(sp, ret);
}

/* FailureAction=exit: as asked, but the exit is a failure. */
static void host_failure_exit(PoolHost *h, Pool *p) {
        Manager *m = manager_of_host(h);

        log_error("Pool %s failed with FailureAction=exit: stopping every pool and exiting.", p->name);
        m->exit_status = 1;
        manager_begin_exit(m);
}

static void host_notify_drain(PoolHost *h);

static const PoolHostOps manager_host_ops = {
        .next_worker_id = host_next_worker_id,
        .fault_evidence = host_fault_evidence,
        .pools_changed = host_pools_changed,
        .spawn = host_spawn,
        .failure_exit = host_failure_exit,
        .notify_drain = host_notify_drain,
};

/* The diagnose program: $WORKERPOOLD_DIAGNOSE, else beside us in a build
 * tree (src/diagnose/), else the installed one. */
static char *diagnose_path_find(void) {
        _cleanup_(freep) char *exe = NULL, *local = NULL;
        const char *e = getenv("WORKERPOOLD_DIAGNOSE");
        char *slash;

        if (e && e[0] == '/' && access(e, X_OK) == 0)
                return strdup(e);
        exe = realpath("/proc/self/exe", NULL);
        if (exe && (slash = strrchr(exe, '/'))) {
                *slash = 0;
                if (asprintf(&local, "%s/diagnose/workerpoold-diagnose", exe) >= 0 && access(local, X_OK) == 0)
                        return TAKE_PTR(local);
        }
        if (access(DIAGNOSE_PATH, X_OK) == 0)
                return strdup(DIAGNOSE_PATH);
        return NULL;
}

/* When this process started (a re-exec keeps it), in microseconds since the
 * epoch: /proc/self/stat's starttime after /proc/stat's btime. */
static usec_t process_start_time(void) {
        unsigned long long start = 0, btime = 0;
        char buf[1024], *p;
        FILE *f;

        f = fopen("/proc/self/stat", "re");
        if (f) {
                size_t n = fread(buf, 1, sizeof buf - 1, f);

                buf[n] = '\0';
                fclose(f);
                /* after "(comm)", field 22 is the 20th */
                p = strrchr(buf, ')');
                for (int k = 0; p && k < 20; k++)
                        p = strchr(p + 1, ' ');
                if (p)
                        start = strtoull(p + 1, NULL, 10);
        }
        f = fopen("/proc/stat", "re");
        if (f) {
                while (fgets(buf, sizeof buf, f))
                        if (sscanf(buf, "btime %llu", &btime) == 1)
                                break;
                fclose(f);
        }
        return (usec_t) btime * USEC_PER_SEC + (usec_t) start * USEC_PER_SEC / (usec_t) sysconf(_SC_CLK_TCK);
}

int manager_new(const ManagerOptions *o, Manager **ret) {
        _cleanup_(manager_freep) Manager *m = NULL;
        char **errors = NULL;
        int r;

        m = calloc(1, sizeof(*m));
        if (!m)
                return -ENOMEM;
        *m = (Manager) {
                .argv = o->argv,
                .deserialize_fd = o->deserialize_fd,
                .cgroup_mount_fd = -EBADF,
                .cgroup_root_fd = -EBADF,
                .supervisor_fd = -EBADF,
                .notify_fd = -EBADF,
                .runtime_lock_fd = -EBADF,
                .next_worker_id = 1,
        };
        m->exit_when_done = o->exit_when_done;
        m->start_time_usec = process_start_time();
        m->diagnose_path = diagnose_path_find();
        m->host = (PoolHost) {
                .diagnose_path = m->diagnose_path,
                .ops = &manager_host_ops,
                .cgroup_root_fd = -EBADF,
                .worker_nofile = o->worker_nofile,
                .max_workers = UINT_MAX,
                .defaults = &m->config,
        };
        if (m->host.worker_nofile.rlim_max == 0)
                m->host.worker_nofile = (struct rlimit) { 1024, 1024 };
        {
                struct rlimit rl;

                m->fd_limit = getrlimit(RLIMIT_NOFILE, &rl) >= 0 && rl.rlim_cur < UINT_MAX
                                      ? (unsigned) rl.rlim_cur : 1024;
                m->fd_limit = MAX(m->fd_limit, 2 * MANAGER_FD_RESERVE);
        }

        manager_config_init(&m->config);
        m->manager_config_path = strdup(o->manager_config ?: SYSCONFDIR "/workerpoold/workerpoold.conf");
        if (!m->manager_config_path)
                return -ENOMEM;
        r = manager_config_load(&m->config, m->manager_config_path, &errors);
        for (char **e = errors; e && *e; e++)
                log_error("%s", *e);
        strv_free(errors);
        if (r < 0 && r != -ENOENT)
                log_warning_errno(r, "Ignoring the invalid settings in %s.", m->manager_config_path);
        log_set_max_level(o->log_level >= 0 ? o->log_level : m->config.log_level);

        m->config_dirs = o->config_dirs ? strv_copy(o->config_dirs)
                                        : strv_copy((char *const *) config_default_dirs);
        if (!m->config_dirs)
                return -ENOMEM;

        if (o->cgroup_root) {
                m->cgroup_root_explicit = true;
                m->cgroup_root = strdup(o->cgroup_root);
                if (!m->cgroup_root)
                        return -ENOMEM;
        }
        m->runtime_dir = strdup(o->runtime_dir ?: getenv("RUNTIME_DIRECTORY") ?: "/run/workerpoold");
        if (!m->runtime_dir)
                return -ENOMEM;

        r = sd_event_default(&m->event);
        if (r < 0)
                return r;
        m->host.event = m->event;
        m->host.config_dirs = m->config_dirs;
        (void) sd_event_set_watchdog(m->event, true);

        *ret = TAKE_PTR(m);
        return 0;
}

Manager *manager_free(Manager *m) {
        if (!m)
                return NULL;

        if (m->host.abandon_workers && idmap_size(&m->host.workers) > 0)
                log_warning("Exiting without stopping %zu workers: their cgroups stay for the next "
                            "instance (or the service manager) to end.", idmap_size(&m->host.workers));
        while (m->pools)
                manager_free_pool(m, m->pools);
        idmap_done(&m->host.workers);

        sd_event_source_disable_unref(m->notify_source);
        sd_event_source_disable_unref(m->gc_source);
        sd_event_source_disable_unref(m->sigterm_source);
        sd_event_source_disable_unref(m->sigint_source);
        sd_event_source_disable_unref(m->sighup_source);
        manager_fault_probe_done(m);
        safe_close(m->notify_fd);
        safe_close(m->deserialize_fd);
        free(m->deserialize_buf);
        if (m->notify_path && !m->host.abandon_workers)
                (void) unlink(m->notify_path);
        if (m->runtime_lock_fd >= 0 && !m->host.abandon_workers) {
                _cleanup_(freep) char *pid_path = NULL;

                if (asprintf(&pid_path, "%s/workerpoold.pid", m->runtime_dir) >= 0)
                        (void) unlink(pid_path);
        }
        safe_close(m->runtime_lock_fd);

        /* Leave no cgroup behind: step out of supervisor/ and remove what we
         * made (unless workers were left running on purpose). */
        if (m->supervisor_fd >= 0 && !m->host.abandon_workers) {
                _cleanup_(closep) int orig_fd = -EBADF;

                if (m->original_cgroup && m->cgroup_mount_fd >= 0 &&
                    cgroup_open(m->cgroup_mount_fd, streq(m->original_cgroup, "/") ? "." : m->original_cgroup + 1,
                                &orig_fd) >= 0 &&
                    cgroup_attach(orig_fd, getpid()) >= 0)
                        (void) cgroup_remove(m->cgroup_root_fd, SUPERVISOR_CGROUP);
                safe_close(m->supervisor_fd);
        }
        if (m->created_root && m->cgroup_mount_fd >= 0 && m->cgroup_root && !m->host.abandon_workers)
                (void) cgroup_remove(m->cgroup_mount_fd, m->cgroup_root + 1);
        safe_close(m->cgroup_root_fd);
        safe_close(m->cgroup_mount_fd);

        sd_event_unref(m->event);
        strv_free(m->config_dirs);
        free(m->manager_config_path);
        free(m->cgroup_mount);
        free(m->cgroup_root);
        free(m->original_cgroup);
        free(m->runtime_dir);
        free(m->notify_path);
        free(m->diagnose_path);
        free(m);
        return NULL;
}

void manager_set_hooks(Manager *m, const PoolHooks *hooks, void *userdata) {
        m->host.hooks = hooks;
        m->host.hooks_userdata = userdata;
}

void manager_link_pool(Manager *m, Pool *p) {
        p->prev = NULL;
        p->next = m->pools;
        if (m->pools)
                m->pools->prev = p;
        m->pools = p;
        m->n_pools++;
}

void manager_free_pool(Manager *m, Pool *p) {
        if (p->prev)
                p->prev->next = p->next;
        else if (m->pools == p)
                m->pools = p->next;
        if (p->next)
                p->next->prev = p->prev;
        m->n_pools--;
        pool_free(p);
}

Pool *manager_find_pool(Manager *m, const char *name) {
        for (Pool *p = m->pools; p; p = p->next)
                if (streq(p->name, name))
                        return p;
        return NULL;
}

/* The pid in the first line of a file (a pid file, cgroup.procs), or 0. */
static pid_t read_first_pid(int dirfd, const char *path) {
        char buf[64];
        long pid;

        if (read_file_at(dirfd, path, buf, sizeof buf, NULL) < 0)
                return 0;
        pid = strtol(buf, NULL, 10);
        return pid > 0 && pid <= INT32_MAX ? (pid_t) pid : 0;
}

/* RUNTIME/workerpoold.pid, flock()ed for our life and holding our pid: the
 * notify socket and everything else in the runtime directory are ours. */
static int manager_lock_runtime_dir(Manager *m) {
        _cleanup_(closep) int fd = -EBADF;
        _cleanup_(freep) char *path = NULL;
        char buf[32];

        if (m->runtime_lock_fd >= 0)
                return 0;       /* inherited across a re-exec */
        if (mkdir(m->runtime_dir, 0755) < 0 && errno != EEXIST)
                return log_error_errno(-errno, "Cannot create %s: %m", m->runtime_dir);
        if (asprintf(&path, "%s/workerpoold.pid", m->runtime_dir) < 0)
                return log_oom();
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0644);
        if (fd < 0)
                return log_error_errno(-errno, "Cannot open %s: %m", path);
        if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
                pid_t pid;

                if (errno != EWOULDBLOCK)
                        return log_error_errno(-errno, "Cannot lock %s: %m", path);
                pid = read_first_pid(AT_FDCWD, path);
                log_error("another workerpoold (pid %d) owns %s: not starting a second instance.",
                          (int) pid, m->runtime_dir);
                return -EBUSY;
        }
        snprintf(buf, sizeof buf, "%d\n", (int) getpid());
        if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, strlen(buf), 0) != (ssize_t) strlen(buf))
                log_warning_errno(negative_errno(), "Cannot write %s: %m", path);
        m->runtime_lock_fd = TAKE_FD(fd);
        return 0;
}

/* Find the cgroup2 mount and the root of our subtree, create it if
 * missing, open it and flock() it: one instance per cgroup root. */
static int manager_open_cgroup_root(Manager *m) {
        bool made = false;
        int r;

        r = cgroup_find_mount(&m->cgroup_mount);
        if (r < 0)
                return log_error_errno(r, "No cgroup v2 hierarchy mounted (see /proc/self/mountinfo): %m");
        if (!m->original_cgroup) {
                r = cgroup_pid_get_path(0, &m->original_cgroup);
                if (r < 0)
                        return log_error_errno(r, "Cannot read our own cgroup: %m");
        }

        if (m->cgroup_root) {
                /* Accept a file system path under the mount, or a hierarchy path. */
                size_t k = strlen(m->cgroup_mount);

                if (strneq(m->cgroup_root, m->cgroup_mount, k) && m->cgroup_root[k] == '/') {
                        char *s = strdup(m->cgroup_root + k);

                        if (!s)
                                return log_oom();
                        free(m->cgroup_root);
                        m->cgroup_root = s;
                }
                if (m->cgroup_root[0] != '/' || strstr(m->cgroup_root, "/..") ||
                    streq(m->cgroup_root, "/"))
                        return log_error_errno(-EINVAL, "Invalid --cgroup-root=%s: a cgroup below %s is needed.",
                                               m->cgroup_root, m->cgroup_mount);
        } else if (streq(m->original_cgroup, "/")) {
                /* Not started by systemd in a cgroup of our own: do not fill
                 * the top of the hierarchy, use a subtree of our own. */
                m->cgroup_root = strdup("/workerpoold");
        } else
                m->cgroup_root = strdup(m->original_cgroup);
        if (!m->cgroup_root)
                return log_oom();

        r = cgroup_open(AT_FDCWD, m->cgroup_mount, &m->cgroup_mount_fd);
        if (r < 0)
                return log_error_errno(r, "Cannot open %s: %m", m->cgroup_mount);
        if (m->cgroup_root_fd >= 0)
                return 0;       /* inherited across a re-exec, locked all along */
        r = mkdir_parents_at(m->cgroup_mount_fd, m->cgroup_root + 1, 0755);
        if (r < 0)
                return log_error_errno(r, "Cannot create the parents of %s%s: %m", m->cgroup_mount,
                                       m->cgroup_root);
        if (mkdirat(m->cgroup_mount_fd, m->cgroup_root + 1, 0755) >= 0)
                made = true;
        else if (errno != EEXIST)
                return log_error_errno(-errno, "Cannot create %s%s: %m", m->cgroup_mount, m->cgroup_root);
        r = cgroup_open(m->cgroup_mount_fd, m->cgroup_root + 1, &m->cgroup_root_fd);
        if (r < 0)
                return log_error_errno(r, "Cannot open %s%s: %m", m->cgroup_mount, m->cgroup_root);
        if (flock(m->cgroup_root_fd, LOCK_EX | LOCK_NB) < 0) {
                pid_t pid;

                if (errno != EWOULDBLOCK)
                        return log_error_errno(-errno, "Cannot lock %s%s: %m", m->cgroup_mount, m->cgroup_root);
                /* Who holds the lock; else who lives in supervisor/. */
                if (fd_flock_holder(m->cgroup_root_fd, &pid) < 0)
                        pid = read_first_pid(m->cgroup_root_fd, SUPERVISOR_CGROUP "/cgroup.procs");
                if (pid > 0)
                        log_error("another workerpoold (pid %d) owns cgroup %s%s: not starting a second instance.",
                                  (int) pid, m->cgroup_mount, m->cgroup_root);
                else
                        log_error("another workerpoold owns cgroup %s%s: not starting a second instance.",
                                  m->cgroup_mount, m->cgroup_root);
                m->cgroup_root_fd = safe_close(m->cgroup_root_fd);
                return -EBUSY;
        }
        /* Ours to remove on exit: what we made, and an explicit --cgroup-root
         * (a crashed predecessor may have made it; rmdir fails if not empty). */
        m->created_root = made || m->cgroup_root_explicit;
        return 0;
}

int manager_lock(Manager *m) {
        int r;

        /* After a re-exec: where the first image came from (we sit in
         * supervisor/ now), its lock fds and the inherited notify socket. */
        if (m->deserialize_fd >= 0) {
                r = manager_deserialize_begin(m);
                if (r < 0)
                        return r;
        }
        r = manager_lock_runtime_dir(m);
        if (r < 0)
                return r;
        r = manager_open_cgroup_root(m);
        if (r < 0)
                return r;
        /* Ours alone from here on: the probe loads while the rest starts. */
        manager_fault_probe_start(m);
        return 0;
}

static int manager_setup_cgroups(Manager *m) {
        CgroupMask available = 0, wanted = CGROUP_MASK_ALL, missing;
        char buf[128] = "";
        int r;

        /* No internal processes: started inside our subtree (systemd's
         * delegated unit cgroup), we live in a leaf of our own, so that the
         * root of our subtree can hand controllers down. Started outside it
         * (--cgroup-root elsewhere, or /workerpoold), we stay where we
         * are: the move would cost an RCU grace period (cgroup.procs takes
         * the kernel's threadgroup lock for writing) and buy nothing. */
        if (m->original_cgroup && path_startswith_dir(m->original_cgroup, m->cgroup_root)) {
                r = cgroup_create(m->cgroup_root_fd, SUPERVISOR_CGROUP, true, &m->supervisor_fd);
                if (r < 0)
                        return log_error_errno(r, "Cannot create %s%s/" SUPERVISOR_CGROUP ": %m",
                                               m->cgroup_mount, m->cgroup_root);
                r = cgroup_attach(m->supervisor_fd, getpid());
                if (r < 0)
                        return log_error_errno(r, "Cannot move ourselves into %s%s/" SUPERVISOR_CGROUP ": %m",
                                               m->cgroup_mount, m->cgroup_root);
        }

        r = cgroup_get_controllers(m->cgroup_root_fd, &available);
        if (r < 0)
                log_warning_errno(r, "Cannot read cgroup.controllers of %s%s: %m", m->cgroup_mount,
                                  m->cgroup_root);
        m->host.controllers = available & wanted;
        r = cgroup_enable_controllers(m->cgroup_root_fd, m->host.controllers);
        if (r < 0) {
                log_warning_errno(r, "Cannot enable controllers in %s%s: %m", m->cgroup_mount,
                                  m->cgroup_root);
                if (cgroup_get_subtree_control(m->cgroup_root_fd, &m->host.controllers) < 0)
                        m->host.controllers = 0;
        }

        missing = wanted & ~m->host.controllers;
        for (CgroupController c = 0; c < _CGROUP_CONTROLLER_MAX; c++)
                if (missing & CGROUP_MASK(c)) {
                        size_t n = strlen(buf);
                        snprintf(buf + n, sizeof buf - n, "%s%s", n ? ", " : "",
                                 cgroup_controller_to_string(c));
                }
        if (missing)
                log_warning("cgroup controllers not available in %s%s: %s. Running without the "
                            "limits they enforce (MemoryMax=, CPUQuota=, TasksMax=...).",
                            m->cgroup_mount, m->cgroup_root, buf);

        m->host.cgroup_root_fd = m->cgroup_root_fd;
        m->host.cgroup_root = m->cgroup_root;
        log_info("Using cgroup subtree %s%s.", m->cgroup_mount, m->cgroup_root);
        return 0;
}

/* Which worker sent this? Only a process inside a worker's own cgroup may
 * speak for it: the cgroup path is the credential, not the pid. */
static Worker *manager_worker_by_pid(Manager *m, pid_t pid) {
        _cleanup_(freep) char *path = NULL;
        const char *p, *dash, *dot;
        size_t k = strlen(m->cgroup_root);
        char *end;
        uint64_t id;
        Worker *w;

        if (cgroup_pid_get_path(pid, &path) < 0)
                return NULL;
        if (!strneq(path, m->cgroup_root, k) || path[k] != '/')
                return NULL;
        p = path + k + 1;               /* NAME.pool/NAME-ID.worker[/...] */
        p = strchr(p, '/');
        if (!p)
                return NULL;
        p++;
        dot = strstr(p, ".worker");
        if (!dot || (dot[7] != 0 && dot[7] != '/'))
                return NULL;
        dash = dot;
        while (dash > p && dash[-1] != '-')
                dash--;
        if (dash == p)
                return NULL;
        errno = 0;
        id = strtoull(dash, &end, 10);
        if (errno != 0 || end != dot)
                return NULL;
        w = idmap_get(&m->host.workers, id);
        if (!w || !strneq(path + k + 1, w->pool->name, strlen(w->pool->name)) ||
            !strneq(p, w->cgroup_name, strlen(w->cgroup_name)))
                return NULL;
        return w;
}

/* One datagram from the notify socket, with the kernel's word for its sender. */
static void manager_on_notify_message(Manager *m, const char *buf, size_t n, const struct ucred *uc) {
        NotifyMessage msg;
        Worker *w;

        w = manager_worker_by_pid(m, uc->pid);
        if (!w || !worker_is_active(w)) {
                m->n_notify_rejected++;
                log_debug("Notify message from pid %d outside any live worker cgroup, dropped.",
                          (int) uc->pid);
                return;
        }
        if (!worker_may_notify(w, uc->pid)) {
                m->n_notify_rejected++;
                log_debug("Pool %s: worker %" PRIu64 ": notify message from pid %d dropped "
                          "(NotifyAccess=%s).", w->pool->name, w->id, (int) uc->pid,
                          notify_access_to_string(w->pool->config->notify_access));
                return;
        }
        if (notify_parse(buf, n, &msg) < 0) {
                m->n_notify_rejected++;
                log_debug("Pool %s: worker %" PRIu64 ": malformed notify message dropped.",
                          w->pool->name, w->id);
                return;
        }
        if (msg.has_mainpid)
                log_debug("Pool %s: worker %" PRIu64 ": MAINPID= is not supported, ignored.",
                          w->pool->name, w->id);
        worker_on_notify(w, &msg);
}

static int on_notify(sd_event_source *s, int fd, uint32_t revents, void *userdata);

static void host_notify_drain(PoolHost *h) {
        Manager *m = manager_of_host(h);

        if (m->notify_fd >= 0)
                (void) on_notify(NULL, m->notify_fd, EPOLLIN, m);
}

static int on_notify(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Manager *m = userdata;
        char buf[NOTIFY_MESSAGE_MAX + 1];
        struct ucred uc;
        NotifyFds fds;
        int r;

        /* Bounded: at most 64 datagrams per wakeup, so a flood cannot starve
         * the rest of the loop. */
        for (int k = 0; k < 64; k++) {
                size_t n;

                r = notify_receive(fd, buf, sizeof buf, &n, &uc, &fds);
                if (r == -EAGAIN)
                        return 0;
                if (r < 0)
                        m->n_notify_rejected++;
                else
                        manager_on_notify_message(m, buf, n, &uc);
                /* Only now: a sender blocked on one of these (a barrier)
                 * was alive, in its cgroup, while we looked it up. */
                notify_fds_close(&fds);
        }
        return 0;
}

static int manager_setup_notify(Manager *m) {
        int r;

        if (asprintf(&m->notify_path, "%s/notify", m->runtime_dir) < 0) {
                m->notify_path = NULL;
                return log_oom();
        }
        m->host.notify_path = m->notify_path;
        if (m->notify_fd < 0) {   /* else inherited across a re-exec */
                r = notify_socket_open(m->notify_path, &m->notify_fd);
                if (r < 0)
                        return log_error_errno(r, "Cannot open the notify socket %s: %m", m->notify_path);
        }
        r = sd_event_add_io(m->event, &m->notify_source, m->notify_fd, EPOLLIN, on_notify, m);
        if (r < 0)
                return log_error_errno(r, "Cannot watch the notify socket: %m");
        (void) sd_event_source_set_description(m->notify_source, "notify-socket");
        return 0;
}

static void log_config_errors(char **errors) {
        for (char **e = errors; e && *e; e++)
                log_structv(LOG_ERR, 0, MESSAGE_ID_CONFIG_ERROR, (char *const[]) { NULL }, "%s", *e);
}

/* Load one pool's config; errors are logged with file:line, and appended to
 * *collect when it is not NULL (for the bus reply of Reload). */
static int manager_load_pool_config(Manager *m, const char *name, PoolConfig **ret, char ***collect) {
        char **errors = NULL;
        int r;

        r = config_load_pool(name, (const char *const *) m->config_dirs, &m->config, ret, &errors);
        log_config_errors(errors);
        for (char **e = errors; collect && e && *e; e++)
                (void) strv_extend(collect, *e);
        strv_free(errors);
        if (r == -EINVAL)
                log_error("Pool %s: configuration refused, see the errors above.", name);
        else if (r < 0)
                log_error_errno(r, "Pool %s: cannot load its configuration: %m", name);
        return r;
}

/* The configured pool names; what could not be read is logged (and
 * collected). Returns 0, 1 when the list may be incomplete, or -errno. */
static int manager_enumerate_pools(Manager *m, char ***ret_names, char ***collect) {
        _cleanup_(strv_freep) char **errors = NULL;
        int r;

        r = config_enumerate_pools((const char *const *) m->config_dirs, ret_names, &errors);
        if (r < 0)
                return log_error_errno(r, "Cannot list the pool configuration directories: %m");
        log_config_errors(errors);
        for (char **e = errors; collect && e && *e; e++)
                if (strv_extend(collect, *e) < 0)
                        return log_oom();
        if (r > 0)
                log_warning("Not every pool directory could be read: pools whose file may be there are "
                            "kept as they run.");
        return r;
}

static int manager_add_pool(Manager *m, const char *name, char ***collect) {
        PoolConfig *c = NULL;
        Pool *p = NULL;
        int r;

        r = manager_load_pool_config(m, name, &c, collect);
        if (r < 0)
                return r;
        r = pool_new(&m->host, c, &p);
        if (r < 0) {
                pool_config_free(c);
                return log_error_errno(r, "Pool %s: cannot set up its cgroup: %m", name);
        }
        manager_link_pool(m, p);
        log_info("Pool %s: starting %" PRIu32 " workers of %s.", name, p->n_wanted, c->exec_start[0]);
        return pool_start(p);
}

static void manager_send_status(Manager *m) {
        unsigned pools = 0, failed = 0, workers = 0, ready = 0;
        const Pool *why = NULL;

        for (Pool *p = m->pools; p; p = p->next) {
                pools++;
                failed += p->state == POOL_FAILED;
                workers += p->n_active;
                ready += p->n_ready;
                /* the first pool that failed or ended, with why */
                if (!why && (p->state == POOL_FAILED || p->state == POOL_STOPPED) && p->state_reason[0])
                        why = p;
        }
        if (why)
                (void) sd_notifyf(false, "STATUS=%u pools (%u failed), %u workers, %u ready; %s: %s (%s)", pools,
                                  failed, workers, ready, why->name, pool_state_to_string(why->state),
                                  why->state_reason);
        else
                (void) sd_notifyf(false, "STATUS=%u pools (%u failed), %u workers, %u ready", pools, failed,
                                  workers, ready);
}

/* --exit-when-done: every pool has ended (stopped, or failed with nothing
 * left running or due). */
static bool manager_all_ended(const Manager *m) {
        if (!m->pools)
                return false;
        for (const Pool *p = m->pools; p; p = p->next)
                if (!(p->state == POOL_STOPPED ||
                      (p->state == POOL_FAILED && p->n_workers == 0 && p->n_pending == 0)))
                        return false;
        return true;
}

static void manager_exit_when_done(Manager *m) {
        bool failure = false;

        if (!m->exit_when_done || m->exiting || !m->started || !manager_all_ended(m))
                return;
        for (const Pool *p = m->pools; p; p = p->next)
                failure = failure || p->state == POOL_FAILED || p->n_unsuccessful > 0;
        log_info("Every pool has ended (--exit-when-done), exiting with status %d%s.", failure ? 1 : 0,
                 failure ? ": not every worker ended with success" : "");
        m->exit_status = failure ? 1 : 0;
        manager_begin_exit(m);
}

/* How many fds we have open (/proc/self/fd), or a guess. */
static unsigned count_open_fds(void) {
        struct dirent *de;
        unsigned n = 0;
        DIR *d;

        d = opendir("/proc/self/fd");
        if (!d)
                return 32;
        while ((de = readdir(d)))
                n += de->d_name[0] != '.';
        closedir(d);
        return n;
}

/* Pool cgroups of a previous instance for pools we do not run any more. */
static void manager_reap_stale_pools(Manager *m) {
        _cleanup_(closep) int dfd = -EBADF;
        struct dirent *de;
        DIR *d;

        dfd = openat(m->cgroup_root_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return;
        d = fdopendir(dfd);
        if (!d)
                return;
        dfd = -EBADF;
        while ((de = readdir(d))) {
                size_t l = strlen(de->d_name);
                char name[256];
                unsigned n = 0;
                int r;

                if (de->d_type != DT_DIR || l <= 5 || !streq(de->d_name + l - 5, ".pool"))
                        continue;
                snprintf(name, sizeof name, "%.*s", (int) (l - 5), de->d_name);
                if (manager_find_pool(m, name))
                        continue;
                r = cgroup_open(m->cgroup_root_fd, de->d_name, &dfd);
                if (r < 0)
                        continue;
                (void) cgroup_reap_children(dfd, ".worker", &n);
                (void) cgroup_reap_children(dfd, POOL_COMMAND_LEAF_SUFFIX, NULL);
                dfd = safe_close(dfd);
                r = cgroup_remove(m->cgroup_root_fd, de->d_name);
                log_warning("Removed the cgroup of pool %s left by a previous instance (%u workers ended)%s",
                            name, n, r < 0 ? ", but it could not be removed" : ".");
        }
        closedir(d);
}

int manager_startup(Manager *m) {
        _cleanup_(strv_freep) char **names = NULL;
        int r;

        r = manager_setup_cgroups(m);
        if (r < 0)
                return r;
        r = manager_setup_notify(m);
        if (r < 0)
                return r;
        /* Before any pool starts: no worker reaches execve() unwatched. */
        manager_fault_probe_setup(m);
        /* Each live worker holds one fd (its pidfd); the last
         * MANAGER_FD_RESERVE are ours (exits, timers, the bus). */
        {
                unsigned base = count_open_fds();

                m->host.max_workers = m->fd_limit > base + MANAGER_FD_RESERVE
                                              ? m->fd_limit - base - MANAGER_FD_RESERVE : 0;
        }

        r = manager_enumerate_pools(m, &names, NULL);
        if (r < 0)
                return r;
        if (strv_length(names) == 0)
                log_notice("No pools configured (looked in %s).", m->config_dirs[0]);
        if (m->deserialize_buf)
                /* Exactly what ran before the re-exec, whatever is on disk
                 * now (new or changed files wait for a Reload). */
                (void) manager_deserialize(m);
        else
                for (char **n = names; n && *n; n++)
                        (void) manager_add_pool(m, *n, NULL);   /* one bad pool never stops the others */
        manager_reap_stale_pools(m);
        m->started = true;
        return 0;
}

int manager_reload(Manager *m, char ***ret_errors) {
        _cleanup_(strv_freep) char **names = NULL, **errors = NULL;
        int r;

        log_info("Reloading the configuration.");
        (void) sd_notify(false, "RELOADING=1");
        r = manager_enumerate_pools(m, &names, &errors);
        if (r < 0)
                return r;

        /* Removed pools stop gracefully and go away once stopped; not when
         * a directory could not be read: their file may be in it. */
        for (Pool *p = m->pools; p; p = p->next)
                if (r == 0 && !strv_find(names, p->name) && !p->remove_when_stopped) {
                        log_info("Pool %s: removed from the configuration, stopping it.", p->name);
                        p->remove_when_stopped = true;
                        pool_stop(p);
                }

        for (char **n = names; n && *n; n++) {
                Pool *p = manager_find_pool(m, *n);
                PoolConfig *c = NULL;
                char *why = NULL;

                if (!p) {
                        (void) manager_add_pool(m, *n, &errors);
                        continue;
                }
                r = manager_load_pool_config(m, *n, &c, &errors);
                if (r < 0) {
                        log_warning("Pool %s: keeping the running configuration.", *n);
                        continue;
                }
                /* Back in the configuration while it was going away: keep it.
                 * A pool stopped on request stays stopped, as a unit would. */
                r = pool_reconfigure(p, c, &why);
                if (r >= 0)
                        pool_log_event(p, NULL, LOG_INFO, MESSAGE_ID_RELOAD, NULL,
                                       "Pool %s: configuration reloaded.", p->name);
                if (r < 0) {
                        /* Its new sockets did not open: the caller hears why. */
                        _cleanup_(freep) char *e = NULL;

                        if (asprintf(&e, "Pool %s: %s", p->name, why ?: "cannot apply the new configuration") >= 0)
                                (void) strv_consume(&errors, TAKE_PTR(e));
                        why = mfree(why);
                }
                if (p->remove_when_stopped) {
                        p->remove_when_stopped = false;
                        (void) pool_start(p);
                }
        }
        manager_check_finished(m);
        (void) sd_notify(false, "READY=1");
        manager_send_status(m);
        if (ret_errors)
                *ret_errors = TAKE_PTR(errors);
        return 0;
}

static int on_gc(sd_event_source *s, void *userdata) {
        Manager *m = userdata;
        bool busy = false;

        for (Pool *p = m->pools, *next; p; p = next) {
                next = p->next;
                if (p->state == POOL_STOPPED && (p->remove_when_stopped || m->exiting)) {
                        char name[128];

                        snprintf(name, sizeof name, "%s", p->name);
                        manager_free_pool(m, p);
                        log_info("Pool %s: stopped and removed.", name);
                } else if (p->state != POOL_STOPPED)
                        busy = true;
        }
        manager_exit_when_done(m);
        if (m->exiting && !busy)
                (void) sd_event_exit(m->event, 0);
        manager_send_status(m);
        return 0;
}

static void manager_check_finished(Manager *m) {
        int r;

        if (m->gc_source) {
                (void) sd_event_source_set_enabled(m->gc_source, SD_EVENT_ONESHOT);
                return;
        }
        r = sd_event_add_defer(m->event, &m->gc_source, on_gc, m);
        if (r < 0) {
                log_oom();
                return;
        }
        (void) sd_event_source_set_description(m->gc_source, "manager-gc");
        (void) sd_event_source_set_enabled(m->gc_source, SD_EVENT_ONESHOT);
}

void manager_begin_exit(Manager *m) {
        if (m->exiting) {
                /* Second request: do not wait for TimeoutStopSec=. */
                log_notice("Stopping now: killing every worker cgroup.");
                for (Pool *p = m->pools; p; p = p->next)
                        for (Worker *w = p->workers; w; w = w->next)
                                (void) worker_kill_all(w);
                return;
        }
        m->exiting = true;
        log_info("Stopping every pool.");
        (void) sd_notify(false, "STOPPING=1");
        for (Pool *p = m->pools; p; p = p->next)
                pool_stop(p);
        manager_check_finished(m);
}

static int on_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        Manager *m = userdata;

        if (si->ssi_signo == SIGHUP)
                (void) manager_reload(m, NULL);
        else
                manager_begin_exit(m);
        return 0;
}

int manager_run(Manager *m) {
        int r = 0;

        if (!m->sigterm_source)
                r = sd_event_add_signal(m->event, &m->sigterm_source, SIGTERM, on_signal, m);
        if (r >= 0 && !m->sigint_source)
                r = sd_event_add_signal(m->event, &m->sigint_source, SIGINT, on_signal, m);
        if (r >= 0 && !m->sighup_source)
                r = sd_event_add_signal(m->event, &m->sighup_source, SIGHUP, on_signal, m);
        if (r < 0)
                return log_error_errno(r, "Cannot watch signals: %m");

        (void) sd_notify(false, "READY=1");
        manager_send_status(m);
        r = sd_event_loop(m->event);
        if (r < 0)
                return log_error_errno(r, "Event loop failed: %m");
        if (!m->reexec_requested)
                log_info("All pools stopped, exiting.");
        return 0;
}

void manager_request_reexec(Manager *m) {
        /* Leave the loop first: the exec happens from main(), outside any callback. */
        m->reexec_requested = true;
        (void) sd_event_exit(m->event, 0);
}
