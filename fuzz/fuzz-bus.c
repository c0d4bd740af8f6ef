/* SPDX-License-Identifier: MIT */
/* libFuzzer target: text that reaches the bus. The input is a pool file and
 * notify datagrams, separated by lines "%%"; a datagram that starts with
 * "COMM=" is instead the name of a process that killed the worker (as the
 * fault probe reports it: any bytes). The pool file is loaded by the real
 * loader into a real Manager and Pool (their "cgroups" are directories of a
 * scratch dir: nothing is spawned), a worker takes the datagrams through
 * worker_on_notify(), an exit record gets the sender's evidence, and then
 * every read method of org.workerpoold1 is called over a real sd-bus
 * connection (a socketpair, the daemon's vtables on one end): each must
 * answer without an error. sd-bus refuses to send a message with invalid
 * UTF-8 in a string, so one such byte anywhere breaks a reply. Config
 * errors, which the Reload reply carries, must be valid UTF-8 too. */
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bus/bus.h"
#include "daemon/manager.h"
#include "shared/log.h"
#include "shared/strv.h"
#include "shared/utf8.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[] = "/tmp/fuzz-bus-XXXXXX";
static char confdir[64], cgdir[64], pool_path[80];
static Manager *m;
static sd_bus *server, *client;

#define CHECK(x)                                                                        \
        do {                                                                            \
                if (!(x)) {                                                             \
                        fprintf(stderr, "fuzz-bus: check failed: %s (%s:%d)\n", #x,     \
                                __FILE__, __LINE__);                                    \
                        __builtin_trap();                                               \
                }                                                                       \
        } while (0)

static void pump(const bool *done) {
        for (int k = 0; k < 100000 && !*done; k++) {
                int a = sd_bus_process(server, NULL), b = sd_bus_process(client, NULL);

                CHECK(a >= 0 && b >= 0);
                if (a == 0 && b == 0 && !*done) {
                        struct pollfd p[2] = {
                                { .fd = sd_bus_get_fd(server), .events = POLLIN },
                                { .fd = sd_bus_get_fd(client), .events = POLLIN },
                        };

                        (void) poll(p, 2, 10);
                }
        }
        CHECK(*done);
}

typedef struct Call {
        bool done;
        char error[256];
} Call;

static int on_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        Call *c = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(reply);

        if (e)
                snprintf(c->error, sizeof c->error, "%s: %s", e->name, e->message ?: "");
        c->done = true;
        return 0;
}

/* One call from the client; the reply must not be an error. */
static void call(const char *path, const char *interface, const char *member, const char *types, ...) {
        sd_bus_message *msg = NULL;
        Call c = {};
        va_list ap;
        int r;

        r = sd_bus_message_new_method_call(client, &msg, NULL, path, interface, member);
        CHECK(r >= 0);
        if (types) {
                va_start(ap, types);
                r = sd_bus_message_appendv(msg, types, ap);
                va_end(ap);
                CHECK(r >= 0);
        }
        r = sd_bus_call_async(client, NULL, msg, on_reply, &c, 5 * USEC_PER_SEC);
        sd_bus_message_unref(msg);
        CHECK(r >= 0);
        pump(&c.done);
        if (c.error[0]) {
                fprintf(stderr, "fuzz-bus: %s.%s on %s: %s\n", interface, member, path, c.error);
                __builtin_trap();
        }
}

static void bus_pair(void) {
        sd_id128_t id = {};
        int fds[2], r;
        bool up = false;

        CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, fds) >= 0);
        CHECK(sd_bus_new(&server) >= 0 && sd_bus_new(&client) >= 0);
        CHECK(sd_bus_set_fd(server, fds[0], fds[0]) >= 0 && sd_bus_set_fd(client, fds[1], fds[1]) >= 0);
        id.bytes[0] = 1;
        CHECK(sd_bus_set_server(server, true, id) >= 0);
        CHECK(sd_bus_negotiate_fds(server, false) >= 0);
        /* The daemon's objects, as bus.c publishes them. */
        CHECK(sd_bus_add_object_vtable(server, NULL, BUS_PATH, BUS_MANAGER_INTERFACE, bus_manager_vtable, m) >= 0);
        CHECK(sd_bus_add_fallback_vtable(server, NULL, BUS_POOL_PREFIX, BUS_POOL_INTERFACE, bus_pool_vtable,
                                         bus_pool_find, m) >= 0);
        CHECK(sd_bus_add_node_enumerator(server, NULL, BUS_POOL_PREFIX, bus_pool_enumerate, m) >= 0);
        CHECK(sd_bus_add_fallback_vtable(server, NULL, BUS_WORKER_PREFIX, BUS_WORKER_INTERFACE,
                                         bus_worker_vtable, bus_worker_find, m) >= 0);
        CHECK(sd_bus_add_node_enumerator(server, NULL, BUS_WORKER_PREFIX, bus_worker_enumerate, m) >= 0);
        CHECK(sd_bus_add_object_manager(server, NULL, BUS_PATH) >= 0);
        CHECK(sd_bus_start(server) >= 0 && sd_bus_start(client) >= 0);
        for (int k = 0; k < 10000 && !up; k++) {
                r = sd_bus_process(server, NULL);
                CHECK(r >= 0);
                r = sd_bus_process(client, NULL);
                CHECK(r >= 0);
                up = sd_bus_is_ready(server) > 0 && sd_bus_is_ready(client) > 0;
        }
        CHECK(up);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        char *dirs[2] = { confdir, NULL };
        char runtime[64], manager_conf[80];
        ManagerOptions o;

        signal(SIGPIPE, SIG_IGN);
        CHECK(mkdtemp(dir));
        snprintf(confdir, sizeof confdir, "%s/pools.d", dir);
        snprintf(cgdir, sizeof cgdir, "%s/cg", dir);
        snprintf(runtime, sizeof runtime, "%s/run", dir);
        snprintf(manager_conf, sizeof manager_conf, "%s/none.conf", dir);
        snprintf(pool_path, sizeof pool_path, "%s/f.pool", confdir);
        CHECK(mkdir(confdir, 0755) >= 0 && mkdir(cgdir, 0755) >= 0);

        o = (ManagerOptions) {
                .config_dirs = dirs,
                .manager_config = manager_conf,
                .runtime_dir = runtime,
                .log_level = LOG_EMERG,         /* quiet: the pool logs its life */
                .deserialize_fd = -EBADF,
        };
        CHECK(manager_new(&o, &m) >= 0);
        /* A plain directory stands for the cgroup root: pool_new() and
         * worker_new() only mkdir and open in it (no controllers). */
        m->cgroup_root = strdup("/fuzz");
        CHECK(m->cgroup_root);
        m->cgroup_root_fd = open(cgdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        CHECK(m->cgroup_root_fd >= 0);
        m->host.cgroup_root = m->cgroup_root;
        m->host.cgroup_root_fd = m->cgroup_root_fd;
        bus_pair();
        return 0;
}

static void write_pool(const char *text, size_t n) {
        int fd = open(pool_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

        CHECK(fd >= 0);
        CHECK(write(fd, text, n) == (ssize_t) n);
        close(fd);
}

static void every_read_method(Pool *p, Worker *w) {
        _cleanup_(freep) char *pool_obj = bus_pool_path(p), *worker_obj = bus_worker_path(w);

        CHECK(pool_obj && worker_obj);
        call(BUS_PATH, BUS_MANAGER_INTERFACE, "ListPools", NULL);
        call(BUS_PATH, BUS_MANAGER_INTERFACE, "ListWorkers", "ss", "", "");
        call(BUS_PATH, BUS_MANAGER_INTERFACE, "ListEvents", "ssu", "", "", (uint32_t) 0);
        call(BUS_PATH, BUS_MANAGER_INTERFACE, "GetPool", "s", p->name);
        call(BUS_PATH, BUS_MANAGER_INTERFACE, "GetWorker", "t", w->id);
        call(BUS_PATH, "org.freedesktop.DBus.Properties", "GetAll", "s", BUS_MANAGER_INTERFACE);
        call(pool_obj, "org.freedesktop.DBus.Properties", "GetAll", "s", BUS_POOL_INTERFACE);
        call(worker_obj, "org.freedesktop.DBus.Properties", "GetAll", "s", BUS_WORKER_INTERFACE);
        call(BUS_PATH, "org.freedesktop.DBus.ObjectManager", "GetManagedObjects", NULL);
        call(BUS_PATH, "org.freedesktop.DBus.Introspectable", "Introspect", NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_(strv_freep) char **errors = NULL;
        _cleanup_(freep) char *text = NULL;
        const char *parts[32];
        size_t lens[32], n = 0;
        char comm[16] = "";
        PoolConfig *c = NULL;
        Pool *p = NULL;
        Worker *w = NULL;
        int cgroup_fd = -EBADF, r;

        /* Split at lines "%%": the pool file, then datagrams. */
        text = malloc(size + 1);
        CHECK(text);
        memcpy(text, data, size);
        text[size] = 0;
        for (char *s = text, *end = text + size; s && n < ELEMENTSOF(parts);) {
                char *sep = memmem(s, (size_t) (end - s), "\n%%\n", 4);

                parts[n] = s;
                lens[n] = sep ? (size_t) (sep - s) : (size_t) (end - s);
                n++;
                s = sep ? sep + 4 : NULL;
        }

        write_pool(parts[0], lens[0]);
        r = config_load_pool("f", (const char *const *) m->config_dirs, &m->config, &c, &errors);
        for (char **e = errors; e && *e; e++)
                CHECK(utf8_is_valid(*e));       /* the Reload reply carries them */
        if (r < 0)
                return 0;
        r = pool_new(&m->host, c, &p);
        CHECK(r >= 0);
        manager_link_pool(m, p);
        r = worker_new(p, 0, &w, &cgroup_fd);
        CHECK(r >= 0);
        safe_close(cgroup_fd);
        w->pid = 1;     /* never signalled: it has no pidfd */

        for (size_t k = 1; k < n; k++) {
                NotifyMessage msg;

                if (lens[k] >= 5 && strneq(parts[k], "COMM=", 5)) {
                        memcpy(comm, parts[k] + 5, MIN(lens[k] - 5, sizeof comm - 1));
                        continue;
                }
                if (notify_parse(parts[k], lens[k], &msg) >= 0 && worker_is_active(w))
                        worker_on_notify(w, &msg);
        }

        /* An exit record whose evidence names the (fuzzed) sender. */
        {
                ExitInfo info = { .code = CLD_KILLED, .status = SIGKILL, .have_evidence = true, .syscall = -1 };
                ExitClassification cl;
                ExitRecord rec = { .worker_id = w->id, .pid = w->pid, .exited_at = 1 };

                exit_info_set_sender(&info, 4242, comm, sizeof comm);
                classify_exit(&info, &p->config->success_exit_status, &cl);
                rec.reason = cl.reason;
                memcpy(rec.evidence, cl.evidence, sizeof rec.evidence);
                pool_history_append(p, &rec);
        }

        every_read_method(p, w);
        manager_free_pool(m, p);        /* and its worker, and their directories */
        return 0;
}
