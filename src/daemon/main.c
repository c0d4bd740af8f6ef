/* SPDX-License-Identifier: MIT */
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "config-build.h"
#include "frontend.h"
#include "manager.h"
#include "../shared/log.h"
#include "../shared/strv.h"

static void help(void) {
        printf("Usage: workerpoold [OPTIONS]\n\n"
               "Supervise pools of worker processes, each worker in its own cgroup v2 leaf.\n\n"
               "  -h --help               Show this help\n"
               "     --version            Show the version\n"
               "     --config-dir=DIR     Read pools from DIR instead of the default search path\n"
               "                          (repeatable; earlier wins). Default: /etc, /run and\n"
               "                          /usr/lib .../workerpoold/pools.d\n"
               "     --config=FILE        Daemon settings (default: %s/workerpoold/workerpoold.conf)\n"
               "     --cgroup-root=PATH   Root of our cgroup subtree (default: our own cgroup;\n"
               "                          /workerpoold when we run in the hierarchy's root)\n"
               "     --runtime-dir=DIR    Where the notify socket lives (default:\n"
               "                          $RUNTIME_DIRECTORY or /run/workerpoold)\n"
               "     --log-level=LEVEL    emerg..debug (default: info, or LogLevel= in the config)\n"
               "     --system             Take org.workerpoold1 on the system bus (default; when no\n"
               "                          system bus runs and none was asked for, run without one)\n"
               "     --user               Take org.workerpoold1 on the session bus\n"
               "     --bus=ADDRESS        Take org.workerpoold1 on the bus at ADDRESS\n"
               "     --verify             Check the configuration (every pool file and drop-in, and\n"
               "                          the daemon settings), print each FILE:LINE error, exit 1\n"
               "                          if there is any; touches no cgroup, socket or bus\n"
               "     --exit-when-done     Exit once every pool has ended (batch use): status 0\n"
               "                          only if every worker ended with success\n"
               "\nSignals: SIGTERM/SIGINT stop every pool and exit; SIGHUP reloads the configuration.\n"
               "See workerpoold(8) and workerpoold.pool(5).\n",
               SYSCONFDIR);
}

/* As systemd does for itself: the soft fd limit up to the hard one (a big
 * pool needs an fd per worker). Workers get the kernel's 1024 soft back
 * (select() breaks above it) unless their pool says LimitNOFILE=: *ret is
 * what they get by default. */
static void raise_nofile_limit(struct rlimit *ret) {
        struct rlimit rl;

        if (getrlimit(RLIMIT_NOFILE, &rl) < 0) {
                *ret = (struct rlimit) { 1024, 1024 };
                return;
        }
        *ret = (struct rlimit) { MIN(rl.rlim_max, (rlim_t) 1024), rl.rlim_max };
        if (rl.rlim_cur < rl.rlim_max) {
                rl.rlim_cur = rl.rlim_max;
                if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
                        log_warning_errno(-errno, "Cannot raise the soft limit of open files to %llu: %m",
                                          (unsigned long long) rl.rlim_max);
        }
}

/* --verify, as nginx -t or systemd-analyze verify: parse everything, say
 * what is wrong with FILE:LINE, change nothing. */
static int verify_config(const ManagerOptions *o) {
        _cleanup_(strv_freep) char **names = NULL, **errors = NULL;
        char *const *dirs = o->config_dirs ?: (char *const *) config_default_dirs;
        const char *conf = o->manager_config ?: SYSCONFDIR "/workerpoold/workerpoold.conf";
        unsigned n_bad = 0, n_errors = 0;
        ManagerConfig mc;
        int r;

        manager_config_init(&mc);
        r = manager_config_load(&mc, conf, &errors);
        if (r < 0 && r != -ENOENT) {
                n_bad++;
                if (!errors)
                        fprintf(stderr, "%s: %s\n", conf, strerror(-r));
        }
        for (char **e = errors; e && *e; e++, n_errors++)
                fprintf(stderr, "%s\n", *e);
        errors = strv_free(errors);

        r = config_enumerate_pools((const char *const *) dirs, &names, &errors);
        if (r < 0) {
                fprintf(stderr, "Cannot list the pool directories: %s\n", strerror(-r));
                return 1;
        }
        for (char **e = errors; e && *e; e++, n_errors++)
                fprintf(stderr, "%s\n", *e);
        errors = strv_free(errors);
        for (char **n = names; n && *n; n++) {
                PoolConfig *c = NULL;

                r = config_load_pool(*n, (const char *const *) dirs, &mc, &c, &errors);
                if (r < 0) {
                        n_bad++;
                        if (!errors)
                                fprintf(stderr, "Pool %s: %s\n", *n, strerror(-r));
                }
                for (char **e = errors; e && *e; e++, n_errors++)
                        fprintf(stderr, "%s\n", *e);
                errors = strv_free(errors);
                pool_config_free(c);
        }
        if (n_bad > 0 || n_errors > 0) {
                printf("workerpoold: %zu pools checked: %u refused, %u errors.\n", strv_length(names), n_bad,
                       n_errors);
                return 1;
        }
        printf("workerpoold: %zu pools checked, the configuration is valid.\n", strv_length(names));
        return 0;
}

enum {
        ARG_VERSION = 0x100,
        ARG_CONFIG_DIR,
        ARG_CONFIG,
        ARG_CGROUP_ROOT,
        ARG_RUNTIME_DIR,
        ARG_LOG_LEVEL,
        ARG_DESERIALIZE,
        ARG_VERIFY,
        ARG_EXIT_WHEN_DONE,
        ARG_SYSTEM,
        ARG_USER,
        ARG_BUS,
};

int main(int argc, char *argv[]) {
        static const struct option options[] = {
                { "help",        no_argument,       NULL, 'h'             },
                { "version",     no_argument,       NULL, ARG_VERSION     },
                { "config-dir",  required_argument, NULL, ARG_CONFIG_DIR  },
                { "config",      required_argument, NULL, ARG_CONFIG      },
                { "cgroup-root", required_argument, NULL, ARG_CGROUP_ROOT },
                { "runtime-dir", required_argument, NULL, ARG_RUNTIME_DIR },
                { "log-level",   required_argument, NULL, ARG_LOG_LEVEL   },
                { "system",      no_argument,       NULL, ARG_SYSTEM      },
                { "user",        no_argument,       NULL, ARG_USER        },
                { "bus",         required_argument, NULL, ARG_BUS         },
                { "deserialize", required_argument, NULL, ARG_DESERIALIZE },
                { "verify",      no_argument,       NULL, ARG_VERIFY      },
                { "exit-when-done", no_argument,    NULL, ARG_EXIT_WHEN_DONE },
                {}
        };
        _cleanup_(strv_freep) char **dirs = NULL;
        ManagerOptions o = { .log_level = -1, .argv = argv, .deserialize_fd = -EBADF };
        FrontendTransport transport = FRONTEND_TRANSPORT_SYSTEM;
        const char *bus_address = NULL;
        bool bus_explicit = false, requested, verify = false;
        int status;
        Manager *m = NULL;
        sigset_t ss;
        int c, r;

        log_setup();

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case ARG_DESERIALIZE: {
                        /* internal: state handed over by a re-exec (see Reexecute) */
                        char *end;
                        long fd = strtol(optarg, &end, 10);

                        if (*end || fd < 3 || fd > INT_MAX) {
                                log_error("Invalid --deserialize=%s.", optarg);
                                return 2;
                        }
                        o.deserialize_fd = (int) fd;
                        break;
                }
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("workerpoold %s\n", PACKAGE_VERSION);
                        return 0;
                case ARG_CONFIG_DIR:
                        if (strv_extend(&dirs, optarg) < 0)
                                return log_oom(), 1;
                        break;
                case ARG_CONFIG:
                        o.manager_config = optarg;
                        break;
                case ARG_CGROUP_ROOT:
                        o.cgroup_root = optarg;
                        break;
                case ARG_RUNTIME_DIR:
                        o.runtime_dir = optarg;
                        break;
                case ARG_LOG_LEVEL:
                        o.log_level = log_parse_level(optarg);
                        if (o.log_level < 0) {
                                log_error("Invalid --log-level=%s.", optarg);
                                return 2;
                        }
                        break;
                case ARG_SYSTEM:
                        transport = FRONTEND_TRANSPORT_SYSTEM;
                        bus_explicit = true;
                        break;
                case ARG_USER:
                        transport = FRONTEND_TRANSPORT_USER;
                        bus_explicit = true;
                        break;
                case ARG_VERIFY:
                        verify = true;
                        break;
                case ARG_EXIT_WHEN_DONE:
                        o.exit_when_done = true;
                        break;
                case ARG_BUS:
                        transport = FRONTEND_TRANSPORT_ADDRESS;
                        bus_address = optarg;
                        bus_explicit = true;
                        break;
                default:
                        return 2;
                }
        if (optind < argc) {
                log_error("Unexpected argument: %s", argv[optind]);
                return 2;
        }
        o.config_dirs = dirs;
        if (verify)
                return verify_config(&o);

        /* Signals we handle come through signalfd (sd-event); SIGCHLD stays
         * blocked too: exits come through pidfds, never a handler. */
        sigemptyset(&ss);
        sigaddset(&ss, SIGTERM);
        sigaddset(&ss, SIGINT);
        sigaddset(&ss, SIGHUP);
        sigaddset(&ss, SIGCHLD);
        sigprocmask(SIG_BLOCK, &ss, NULL);
        signal(SIGPIPE, SIG_IGN);
        raise_nofile_limit(&o.worker_nofile);

        r = manager_new(&o, &m);
        if (r < 0) {
                log_error_errno(r, "Cannot set up: %m");
                return 1;
        }
        /* Before anything is created, swept or started: the instance lock
         * (runtime directory and cgroup root), then the bus name. A second
         * instance stops here and changes nothing. */
        r = manager_lock(m);
        if (r >= 0) {
                /* The name is ours before manager_run() says READY=1. */
                r = bus_frontend.setup(m, transport, bus_address);
                if (r < 0 && !bus_explicit && (r == -ENOENT || r == -ECONNREFUSED)) {
                        log_warning("No system bus; running without D-Bus control.");
                        bus_frontend.done(m);
                        r = 0;
                }
        }
        if (r >= 0) {
                r = manager_startup(m);
                if (r < 0)   /* a failed start removes what it made */
                        log_error("Start-up failed, removing what was made.");
        }
        while (r >= 0) {
                r = manager_run(m);
                if (r < 0 || !m->reexec_requested)
                        break;
                /* Only returns if the exec failed: then we go on as we were. */
                m->reexec_requested = false;
                (void) manager_reexecute(m);
        }
        /* Only an exit the admin asked for (SIGTERM, SIGINT) is a success,
         * and only then were the workers stopped; any other exit leaves them
         * running (under systemd, KillMode= ends them; else the next instance
         * does). */
        requested = m->exiting;
        status = m->exit_status;
        if (m->started && !requested)
                m->host.abandon_workers = true;
        bus_frontend.done(m);
        manager_free(m);
        return r < 0 || !requested ? 1 : status;
}
