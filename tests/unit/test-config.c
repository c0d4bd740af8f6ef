/* SPDX-License-Identifier: MIT */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "config-fixture.h"
#include "config/config.h"
#include "shared/macro.h"
#include "shared/strv.h"

#define MSEC USEC_PER_MSEC
#define SEC USEC_PER_SEC
#define MINUTE (60 * SEC)
#define MiB (UINT64_C(1024) * 1024)

/* ---- fixture: a scratch tree with etc/, run/ and lib/ pool dirs ---------- */

static char root[PATH_MAX];
static char etc[PATH_MAX + 16], run[PATH_MAX + 16], lib[PATH_MAX + 16];
static const char *dirs[4];

static void setup(void) {
        scratch_dir_make(root, sizeof root, "test-config");
        snprintf(etc, sizeof etc, "%s/etc", root);
        snprintf(run, sizeof run, "%s/run", root);
        snprintf(lib, sizeof lib, "%s/lib", root);
        cr_assert_eq(mkdir(etc, 0755), 0);
        cr_assert_eq(mkdir(run, 0755), 0);
        cr_assert_eq(mkdir(lib, 0755), 0);
        dirs[0] = etc;
        dirs[1] = run;
        dirs[2] = lib;
        dirs[3] = NULL;
}

static void teardown(void) {
        scratch_dir_remove(root);
}

TestSuite(config, .init = setup, .fini = teardown);
TestSuite(manager, .init = setup, .fini = teardown);
TestSuite(dropin, .init = setup, .fini = teardown);
TestSuite(enumerate, .init = setup, .fini = teardown);
TestSuite(syntax, .init = setup, .fini = teardown);

static char *path_join(const char *dir, const char *rel) {
        char *p;

        cr_assert_geq(asprintf(&p, "%s/%s", dir, rel), 0);
        return p;
}

static void mkdir_parents(const char *path) {
        char buf[PATH_MAX];
        char *s;

        snprintf(buf, sizeof buf, "%s", path);
        s = strrchr(buf, '/');
        if (!s || s == buf)
                return;
        *s = '\0';
        mkdir_parents(buf);
        if (mkdir(buf, 0755) < 0)
                cr_assert_eq(errno, EEXIST, "mkdir %s: %m", buf);
}

/* Write dir/rel (creating parents); returns the full path (to free). */
static char *write_file(const char *dir, const char *rel, const char *content) {
        char *path = path_join(dir, rel);
        FILE *f;

        mkdir_parents(path);
        f = fopen(path, "we");
        cr_assert_not_null(f, "fopen %s: %m", path);
        cr_assert(fputs(content, f) >= 0);
        cr_assert_eq(fclose(f), 0);
        return path;
}

static void write_file_free(const char *dir, const char *rel, const char *content) {
        free(write_file(dir, rel, content));
}

static void symlink_dev_null(const char *dir, const char *rel) {
        _cleanup_(freep) char *path = path_join(dir, rel);

        mkdir_parents(path);
        cr_assert_eq(symlink("/dev/null", path), 0, "symlink %s: %m", path);
}

/* Assert that some error contains all of the given substrings. */
static void assert_error_contains(char **errors, const char *a, const char *b) {
        for (char **e = errors; e && *e; e++)
                if (strstr(*e, a) && (!b || strstr(*e, b)))
                        return;
        cr_assert_fail("no error containing '%s' and '%s' in:\n%s", a, b ? b : "", errors_joined(errors));
}

static PoolConfig *load_ok(const char *name) {
        _cleanup_(strv_freep) char **errors = NULL;
        PoolConfig *c = NULL;
        int r;

        r = config_load_pool(name, dirs, NULL, &c, &errors);
        cr_assert_eq(r, 0, "config_load_pool(%s) = %d (%s), errors:\n%s", name, r, strerror(-r), errors_joined(errors));
        cr_assert_not_null(c);
        cr_assert_null(errors, "errors set on success");
        return c;
}

/* Load a pool that must fail with -EINVAL; returns the errors. */
static char **load_bad(const char *name) {
        char **errors = NULL;
        PoolConfig *c = (PoolConfig *) 0x1;
        int r;

        r = config_load_pool(name, dirs, NULL, &c, &errors);
        cr_assert_eq(r, -EINVAL, "config_load_pool(%s) = %d, expected -EINVAL", name, r);
        cr_assert_eq(c, (PoolConfig *) 0x1, "ret written on failure");
        cr_assert_not_null(errors);
        cr_assert_gt(strv_length(errors), 0);
        return errors;
}

/* Write etc/NAME.pool with a valid ExecStart and then `body` in [Pool]. */
static char *write_pool(const char *name, const char *body) {
        _cleanup_(freep) char *rel = NULL, *content = NULL;

        cr_assert_geq(asprintf(&rel, "%s.pool", name), 0);
        cr_assert_geq(asprintf(&content, "[Pool]\nExecStart=/usr/bin/true\n%s", body), 0);
        return write_file(etc, rel, content);
}

static void assert_defaults(const PoolConfig *c, const ManagerConfig *m) {
        cr_assert_null(c->description);
        cr_assert_null(c->environment);
        cr_assert_null(c->working_directory);
        cr_assert_not(c->working_directory_missing_ok);
        cr_assert_eq(c->std_output.kind, OUTPUT_DEFAULT);
        cr_assert_eq(c->std_error.kind, OUTPUT_DEFAULT);
        cr_assert_eq(c->type, POOL_TYPE_SIMPLE);
        cr_assert_eq(c->workers, 1);
        cr_assert_eq(c->min_workers, 0);
        cr_assert_eq(c->max_workers, UINT32_MAX);
        cr_assert_eq(c->restart, RESTART_ON_FAILURE);
        cr_assert(exit_status_set_is_empty(&c->success_exit_status));
        cr_assert(exit_status_set_is_empty(&c->restart_prevent_exit_status));
        cr_assert(exit_status_set_is_empty(&c->restart_force_exit_status));
        cr_assert_eq(c->restart_usec, m->default_restart_usec);
        cr_assert_eq(c->restart_max_delay_usec, m->default_restart_max_delay_usec);
        cr_assert_eq(c->start_limit_interval_usec, m->default_start_limit_interval_usec);
        cr_assert_eq(c->start_limit_burst, m->default_start_limit_burst);
        cr_assert_eq(c->timeout_start_usec, m->default_timeout_start_usec);
        cr_assert_eq(c->timeout_stop_usec, m->default_timeout_stop_usec);
        cr_assert_eq(c->watchdog_usec, 0);
        cr_assert_eq(c->exit_history, m->default_exit_history);
        cr_assert_eq(c->memory_max, CGROUP_LIMIT_MAX);
        cr_assert_eq(c->memory_high, CGROUP_LIMIT_MAX);
        cr_assert_eq(c->memory_swap_max, CGROUP_LIMIT_MAX);
        cr_assert_eq(c->cpu_quota_per_sec_usec, USEC_INFINITY);
        cr_assert_eq(c->cpu_weight, 100);
        cr_assert_eq(c->tasks_max, CGROUP_LIMIT_MAX);
        cr_assert_null(c->user);
        cr_assert_null(c->group);
}

/* ---- enums, names ------------------------------------------------------- */

Test(names, enums) {
        static const char *const restart[] = { "no", "on-success", "on-failure", "on-abnormal",
                                               "on-watchdog", "on-abort", "always" };

        cr_assert_str_eq(pool_type_to_string(POOL_TYPE_SIMPLE), "simple");
        cr_assert_str_eq(pool_type_to_string(POOL_TYPE_NOTIFY), "notify");
        cr_assert_null(pool_type_to_string(_POOL_TYPE_MAX));
        cr_assert_null(pool_type_to_string(_POOL_TYPE_INVALID));
        cr_assert_eq(pool_type_from_string("simple"), POOL_TYPE_SIMPLE);
        cr_assert_eq(pool_type_from_string("notify"), POOL_TYPE_NOTIFY);
        cr_assert_eq(pool_type_from_string("forking"), _POOL_TYPE_INVALID);
        cr_assert_eq(pool_type_from_string("Simple"), _POOL_TYPE_INVALID);
        cr_assert_eq(pool_type_from_string(""), _POOL_TYPE_INVALID);
        cr_assert_eq(pool_type_from_string(NULL), _POOL_TYPE_INVALID);

        cr_assert_eq((int) ELEMENTSOF(restart), (int) _RESTART_MAX);
        for (int i = 0; i < _RESTART_MAX; i++) {
                cr_assert_str_eq(restart_policy_to_string((RestartPolicy) i), restart[i]);
                cr_assert_eq(restart_policy_from_string(restart[i]), (RestartPolicy) i);
        }
        cr_assert_null(restart_policy_to_string(_RESTART_MAX));
        cr_assert_null(restart_policy_to_string(_RESTART_INVALID));
        cr_assert_eq(restart_policy_from_string("on_failure"), _RESTART_INVALID);
        cr_assert_eq(restart_policy_from_string("yes"), _RESTART_INVALID);
        cr_assert_eq(restart_policy_from_string(NULL), _RESTART_INVALID);
}

Test(names, pool_name_is_valid) {
        char long_ok[65], too_long[66];

        memset(long_ok, 'a', 64);
        long_ok[64] = '\0';
        memset(too_long, 'a', 65);
        too_long[65] = '\0';

        cr_assert(pool_name_is_valid("web"));
        cr_assert(pool_name_is_valid("Web_2.v1:x-y"));
        cr_assert(pool_name_is_valid("0"));
        cr_assert(pool_name_is_valid("_x"));
        cr_assert(pool_name_is_valid(long_ok));
        cr_assert_not(pool_name_is_valid(too_long));
        cr_assert_not(pool_name_is_valid(""));
        cr_assert_not(pool_name_is_valid(NULL));
        cr_assert_not(pool_name_is_valid(".hidden"));
        cr_assert_not(pool_name_is_valid("-dash"));
        cr_assert_not(pool_name_is_valid("a/b"));
        cr_assert_not(pool_name_is_valid("a b"));
        cr_assert_not(pool_name_is_valid("a@b"));
        cr_assert_not(pool_name_is_valid("caf\xc3\xa9"));
        cr_assert_not(pool_name_is_valid(".."));
}

Test(names, default_dirs) {
        cr_assert_str_eq(config_default_dirs[0], "/etc/workerpoold/pools.d");
        cr_assert_str_eq(config_default_dirs[1], "/run/workerpoold/pools.d");
        cr_assert_str_eq(config_default_dirs[2], "/usr/lib/workerpoold/pools.d");
        cr_assert_null(config_default_dirs[3]);
}

/* ---- ManagerConfig ------------------------------------------------------- */

/* field by field: the struct has padding, memcmp() would read garbage */
static void assert_manager_eq(const ManagerConfig *a, const ManagerConfig *b) {
        cr_assert_eq(a->log_level, b->log_level);
        cr_assert_eq(a->default_restart_usec, b->default_restart_usec);
        cr_assert_eq(a->default_restart_max_delay_usec, b->default_restart_max_delay_usec);
        cr_assert_eq(a->default_timeout_start_usec, b->default_timeout_start_usec);
        cr_assert_eq(a->default_timeout_stop_usec, b->default_timeout_stop_usec);
        cr_assert_eq(a->default_start_limit_interval_usec, b->default_start_limit_interval_usec);
        cr_assert_eq(a->default_start_limit_burst, b->default_start_limit_burst);
        cr_assert_eq(a->default_exit_history, b->default_exit_history);
}

Test(manager, init_defaults) {
        ManagerConfig m;

        memset(&m, 0xff, sizeof m);
        manager_config_init(&m);
        cr_assert_eq(m.log_level, LOG_INFO);
        cr_assert_eq(m.default_restart_usec, 100 * MSEC);
        cr_assert_eq(m.default_restart_max_delay_usec, 30 * SEC);
        cr_assert_eq(m.default_timeout_start_usec, 90 * SEC);
        cr_assert_eq(m.default_timeout_stop_usec, 90 * SEC);
        cr_assert_eq(m.default_start_limit_interval_usec, 10 * SEC);
        cr_assert_eq(m.default_start_limit_burst, 0);
        cr_assert_eq(m.default_exit_history, 64);
}

Test(manager, missing_file_is_fine) {
        _cleanup_(freep) char *path = path_join(root, "nope/workerpoold.conf");
        char **errors = (char **) 0x1;
        ManagerConfig m, ref;

        manager_config_init(&m);
        ref = m;
        cr_assert_eq(manager_config_load(&m, path, &errors), 0);
        cr_assert_null(errors);
        assert_manager_eq(&m, &ref);
}

Test(manager, all_keys) {
        _cleanup_(freep) char *path = write_file(root, "workerpoold.conf",
                "# daemon-wide settings\n"
                "[Manager]\n"
                "LogLevel=debug\n"
                "DefaultRestartSec=1s\n"
                "DefaultRestartMaxDelaySec=5min\n"
                "DefaultTimeoutStartSec=20s\n"
                "DefaultTimeoutStopSec=0\n"
                "DefaultStartLimitIntervalSec=1min 30s\n"
                "DefaultStartLimitBurst=7\n"
                "DefaultExitHistory=500\n");
        _cleanup_(strv_freep) char **errors = NULL;
        ManagerConfig m;

        manager_config_init(&m);
        cr_assert_eq(manager_config_load(&m, path, &errors), 0, "%s", errors_joined(errors));
        cr_assert_null(errors);
        cr_assert_eq(m.log_level, LOG_DEBUG);
        cr_assert_eq(m.default_restart_usec, SEC);
        cr_assert_eq(m.default_restart_max_delay_usec, 5 * MINUTE);
        cr_assert_eq(m.default_timeout_start_usec, 20 * SEC);
        cr_assert_eq(m.default_timeout_stop_usec, USEC_INFINITY, "timeout 0 means none");
        cr_assert_eq(m.default_start_limit_interval_usec, 90 * SEC);
        cr_assert_eq(m.default_start_limit_burst, 7);
        cr_assert_eq(m.default_exit_history, 500);
}

Test(manager, log_levels) {
        static const struct {
                const char *s;
                int level;
        } t[] = {
                { "emerg", LOG_EMERG }, { "alert", LOG_ALERT }, { "crit", LOG_CRIT },
                { "err", LOG_ERR },     { "error", LOG_ERR },   { "warning", LOG_WARNING },
                { "notice", LOG_NOTICE }, { "info", LOG_INFO }, { "debug", LOG_DEBUG },
                { "3", LOG_ERR },       { "7", LOG_DEBUG },
        };

        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                _cleanup_(freep) char *content = NULL, *path = NULL;
                ManagerConfig m;

                cr_assert_geq(asprintf(&content, "[Manager]\nLogLevel=%s\n", t[i].s), 0);
                path = write_file(root, "workerpoold.conf", content);
                manager_config_init(&m);
                cr_assert_eq(manager_config_load(&m, path, NULL), 0, "%s", t[i].s);
                cr_assert_eq(m.log_level, t[i].level, "%s", t[i].s);
        }
}

Test(manager, errors_skip_only_bad_lines) {
        _cleanup_(freep) char *path = write_file(root, "workerpoold.conf",
                "[Manager]\n"
                "LogLevel=loud\n"
                "DefaultRestartSec=soon\n"
                "DefaultExitHistory=0\n"
                "DefaultStartLimitBurst=-1\n"
                "DefaultTimeoutStartSec=5s\n"
                "Frobnicate=yes\n"
                "[Pool]\n"
                "Workers=3\n");
        _cleanup_(strv_freep) char **errors = NULL;
        ManagerConfig m, ref;

        manager_config_init(&m);
        ref = m;
        ref.default_timeout_start_usec = 5 * SEC;      /* the one valid line */
        cr_assert_eq(manager_config_load(&m, path, &errors), -EINVAL);
        assert_manager_eq(&m, &ref);    /* refused lines not applied, the valid one is */
        cr_assert_eq(strv_length(errors), 6, "%s", errors_joined(errors));
        assert_error(errors, "%s:2: Invalid LogLevel= value 'loud': expected emerg, alert, crit, err, "
                             "warning, notice, info, debug or 0..7", path);
        assert_error(errors, "%s:3: Invalid DefaultRestartSec= value 'soon': expected a time span like "
                             "5s, 100ms, 1min 30s or infinity", path);
        assert_error(errors, "%s:4: Invalid DefaultExitHistory= value '0': must be between 1 and 4096", path);
        assert_error_contains(errors, ":5: Invalid DefaultStartLimitBurst= value '-1'", NULL);
        assert_error(errors, "%s:7: Unknown key Frobnicate= in section [Manager]", path);
        assert_error(errors, "%s:8: Unknown section [Pool]", path);
}

Test(manager, empty_assignment_resets_to_builtin) {
        _cleanup_(freep) char *path = write_file(root, "workerpoold.conf",
                "[Manager]\n"
                "LogLevel=\n"
                "DefaultRestartSec=\n"
                "DefaultExitHistory=\n");
        ManagerConfig m;

        manager_config_init(&m);
        m.log_level = LOG_DEBUG;
        m.default_restart_usec = 7 * SEC;
        m.default_exit_history = 3;
        cr_assert_eq(manager_config_load(&m, path, NULL), 0);
        cr_assert_eq(m.log_level, LOG_INFO);
        cr_assert_eq(m.default_restart_usec, 100 * MSEC);
        cr_assert_eq(m.default_exit_history, 64);
}

Test(manager, starts_from_given_values) {
        _cleanup_(freep) char *path = write_file(root, "workerpoold.conf", "[Manager]\nLogLevel=err\n");
        ManagerConfig m;

        manager_config_init(&m);
        m.default_exit_history = 9;
        cr_assert_eq(manager_config_load(&m, path, NULL), 0);
        cr_assert_eq(m.log_level, LOG_ERR);
        cr_assert_eq(m.default_exit_history, 9, "untouched keys keep their value");
}

/* ---- pool defaults ------------------------------------------------------- */

Test(config, new_builtin_defaults) {
        _cleanup_(pool_config_freep) PoolConfig *c = NULL;
        ManagerConfig m;

        manager_config_init(&m);
        cr_assert_eq(pool_config_new("web", NULL, &c), 0);
        cr_assert_str_eq(c->name, "web");
        cr_assert_null(c->path);
        cr_assert_null(c->dropins);
        cr_assert_null(c->exec_start);
        assert_defaults(c, &m);
        cr_assert_eq(c->restart_usec, 100 * MSEC);
        cr_assert_eq(c->timeout_start_usec, 90 * SEC);
        cr_assert_eq(c->exit_history, 64);
}

Test(config, new_from_manager) {
        _cleanup_(pool_config_freep) PoolConfig *c = NULL;
        ManagerConfig m;

        manager_config_init(&m);
        m.default_restart_usec = 2 * SEC;
        m.default_restart_max_delay_usec = 3 * SEC;
        m.default_timeout_start_usec = 4 * SEC;
        m.default_timeout_stop_usec = 5 * SEC;
        m.default_start_limit_interval_usec = 6 * SEC;
        m.default_start_limit_burst = 7;
        m.default_exit_history = 8;
        cr_assert_eq(pool_config_new("api", &m, &c), 0);
        assert_defaults(c, &m);
        cr_assert_eq(c->timeout_stop_usec, 5 * SEC);
        cr_assert_eq(c->exit_history, 8);
}

Test(config, new_bad_name) {
        PoolConfig *c = (PoolConfig *) 0x1;

        cr_assert_eq(pool_config_new("../x", NULL, &c), -EINVAL);
        cr_assert_eq(pool_config_new("", NULL, &c), -EINVAL);
        cr_assert_eq(c, (PoolConfig *) 0x1);
        cr_assert_null(pool_config_free(NULL));
}

/* ---- loading: the good path ---------------------------------------------- */

Test(config, minimal) {
        _cleanup_(freep) char *path = write_file(etc, "web.pool", "[Pool]\nExecStart=/usr/bin/thumbd\n");
        _cleanup_(pool_config_freep) PoolConfig *c = load_ok("web");
        ManagerConfig m;

        manager_config_init(&m);
        cr_assert_str_eq(c->name, "web");
        cr_assert_str_eq(c->path, path);
        cr_assert_not_null(c->dropins);
        cr_assert_eq(strv_length(c->dropins), 0);
        cr_assert_eq(strv_length(c->exec_start), 1);
        cr_assert_str_eq(c->exec_start[0], "/usr/bin/thumbd");
        assert_defaults(c, &m);
}

Test(config, every_key) {
        _cleanup_(freep) char *path = write_file(etc, "thumbs.pool",
                "[Pool]\n"
                "Description=Thumbnail renderers\n"
                "ExecStart=/usr/bin/thumbd --stdin --name=%n \"--title=a b\"\n"
                "Environment=A=1 \"B=two words\"\n"
                "Environment=C=3 A=overridden\n"
                "WorkingDirectory=-/srv/thumbs\n"
                "Type=notify\n"
                "Workers=4\n"
                "MinWorkers=1\n"
                "MaxWorkers=32\n"
                "Restart=always\n"
                "SuccessExitStatus=75 SIGUSR1\n"
                "RestartPreventExitStatus=3 4 TERM\n"
                "RestartForceExitStatus=SIGKILL 255 0\n"
                "RestartSec=250ms\n"
                "RestartMaxDelaySec=1min 30s\n"
                "StartLimitIntervalSec=60s\n"
                "StartLimitBurst=10\n"
                "TimeoutStartSec=10s\n"
                "TimeoutStopSec=infinity\n"
                "WatchdogSec=5\n"
                "ExitHistory=1000\n"
                "\n"
                "[Resources]\n"
                "MemoryMax=256M\n"
                "MemoryHigh=200M\n"
                "MemorySwapMax=0\n"
                "CPUQuota=150%\n"
                "CPUWeight=500\n"
                "TasksMax=64\n"
                "\n"
                "[Sandbox]\n"
                "User=thumb\n"
                "Group=1234\n"
                "PrivateTmp=yes\n");
        _cleanup_(pool_config_freep) PoolConfig *c = load_ok("thumbs");

        cr_assert_str_eq(c->path, path);
        cr_assert_str_eq(c->description, "Thumbnail renderers");
        cr_assert_eq(strv_length(c->exec_start), 4);
        cr_assert_str_eq(c->exec_start[0], "/usr/bin/thumbd");
        cr_assert_str_eq(c->exec_start[1], "--stdin");
        cr_assert_str_eq(c->exec_start[2], "--name=thumbs");
        cr_assert_str_eq(c->exec_start[3], "--title=a b");
        cr_assert_eq(strv_length(c->environment), 3);
        cr_assert_str_eq(c->environment[0], "A=overridden");
        cr_assert_str_eq(c->environment[1], "B=two words");
        cr_assert_str_eq(c->environment[2], "C=3");
        cr_assert_str_eq(c->working_directory, "/srv/thumbs");
        cr_assert(c->working_directory_missing_ok);
        cr_assert_eq(c->type, POOL_TYPE_NOTIFY);
        cr_assert_eq(c->workers, 4);
        cr_assert_eq(c->min_workers, 1);
        cr_assert_eq(c->max_workers, 32);
        cr_assert_eq(c->restart, RESTART_ALWAYS);

        cr_assert(exit_status_set_has_status(&c->success_exit_status, 75));
        cr_assert(exit_status_set_has_signal(&c->success_exit_status, SIGUSR1));
        cr_assert_not(exit_status_set_has_status(&c->success_exit_status, 0));
        cr_assert_not(exit_status_set_has_signal(&c->success_exit_status, SIGTERM));
        cr_assert(exit_status_set_has_status(&c->restart_prevent_exit_status, 3));
        cr_assert(exit_status_set_has_status(&c->restart_prevent_exit_status, 4));
        cr_assert_not(exit_status_set_has_status(&c->restart_prevent_exit_status, 5));
        cr_assert(exit_status_set_has_signal(&c->restart_prevent_exit_status, SIGTERM));
        cr_assert(exit_status_set_has_signal(&c->restart_force_exit_status, SIGKILL));
        cr_assert(exit_status_set_has_status(&c->restart_force_exit_status, 255));
        cr_assert(exit_status_set_has_status(&c->restart_force_exit_status, 0));
        cr_assert_not(exit_status_set_has_status(&c->restart_force_exit_status, 9),
                      "SIGKILL is a signal, not exit status 9");

        cr_assert_eq(c->restart_usec, 250 * MSEC);
        cr_assert_eq(c->restart_max_delay_usec, 90 * SEC);
        cr_assert_eq(c->start_limit_interval_usec, 60 * SEC);
        cr_assert_eq(c->start_limit_burst, 10);
        cr_assert_eq(c->timeout_start_usec, 10 * SEC);
        cr_assert_eq(c->timeout_stop_usec, USEC_INFINITY);
        cr_assert_eq(c->watchdog_usec, 5 * SEC, "a bare number is seconds");
        cr_assert_eq(c->exit_history, 1000);

        cr_assert_eq(c->memory_max, 256 * MiB);
        cr_assert_eq(c->memory_high, 200 * MiB);
        cr_assert_eq(c->memory_swap_max, 0);
        cr_assert_eq(c->cpu_quota_per_sec_usec, 1500000);
        cr_assert_eq(c->cpu_weight, 500);
        cr_assert_eq(c->tasks_max, 64);

        cr_assert_str_eq(c->user, "thumb");
        cr_assert_str_eq(c->group, "1234");
        cr_assert(c->private_tmp);
}

Test(config, exec_start_path_lookup) {
        free(write_pool("p", "ExecStart=\nExecStart=sleep infinity\n"));
        _cleanup_(pool_config_freep) PoolConfig *c = load_ok("p");

        cr_assert(streq(c->exec_start[0], "/usr/bin/sleep") || streq(c->exec_start[0], "/bin/sleep"),
                  "got %s", c->exec_start[0]);
        cr_assert_str_eq(c->exec_start[1], "infinity");
}

Test(config, timeouts) {
        free(write_pool("a", "TimeoutSec=30s\n"));
        free(write_pool("b", "TimeoutSec=30s\nTimeoutStopSec=0\n"));
        free(write_pool("c", "TimeoutStartSec=1s\nTimeoutStopSec=2s\nTimeoutSec=\n"));
        _cleanup_(pool_config_freep) PoolConfig *a = load_ok("a"), *b = load_ok("b"), *c = load_ok("c");

        cr_assert_eq(a->timeout_start_usec, 30 * SEC);
        cr_assert_eq(a->timeout_stop_usec, 30 * SEC);
        cr_assert_eq(b->timeout_start_usec, 30 * SEC);
        cr_assert_eq(b->timeout_stop_usec, USEC_INFINITY, "0 means no timeout, as systemd");
        cr_assert_eq(c->timeout_start_usec, 90 * SEC, "TimeoutSec= resets both");
        cr_assert_eq(c->timeout_stop_usec, 90 * SEC);
}

Test(config, workers_limits) {
        free(write_pool("a", "MaxWorkers=infinity\nWorkers=0\n"));
        free(write_pool("b", "Workers=5\nMinWorkers=5\nMaxWorkers=5\n"));
        free(write_pool("c", "MinWorkers=2\nWorkers=65536\n"));
        _cleanup_(pool_config_freep) PoolConfig *a = load_ok("a"), *b = load_ok("b"), *c = load_ok("c");

        cr_assert_eq(a->max_workers, UINT32_MAX);
        cr_assert_eq(a->workers, 0);
        cr_assert_eq(b->workers, 5);
        cr_assert_eq(b->min_workers, 5);
        cr_assert_eq(b->max_workers, 5);
        cr_assert_eq(c->workers, POOL_WORKERS_MAX);
}

Test(config, environment) {
        free(write_pool("e",
                "Environment=\"X=has \\\"quotes\\\"\" 'Y=single $HOME' Z=\n"
                "Environment=TAB=a\\tb\n"
                "Environment=X=again\n"));
        _cleanup_(pool_config_freep) PoolConfig *c = load_ok("e");

        cr_assert_eq(strv_length(c->environment), 4);
        cr_assert_str_eq(c->environment[0], "X=again");
        cr_assert_str_eq(c->environment[1], "Y=single $HOME");
        cr_assert_str_eq(c->environment[2], "Z=");
        cr_assert_str_eq(c->environment[3], "TAB=a\tb");
}

Test(config, environment_reset) {
        free(write_pool("e", "Environment=A=1 B=2\nEnvironment=\nEnvironment=C=3\n"));
        _cleanup_(pool_config_freep) PoolConfig *c = load_ok("e");

        cr_assert_eq(strv_length(c->environment), 1);
        cr_assert_str_eq(c->environment[0], "C=3");
}

Test(config, supplementary_groups) {
        free(write_pool("g",
                "[Sandbox]\n"
                "SupplementaryGroups=adm \"4\" 'users'\n"
                "SupplementaryGroups=adm\n"));
        free(write_pool("r",
                "[Sandbox]\n"
                "SupplementaryGroups=adm 4\n"
                "SupplementaryGroups=\n"
                "SupplementaryGroups=wheel\n"));
        free(write_pool("e", "[Sandbox]\nSupplementaryGroups=\n"));
        _cleanup_(pool_config_freep) PoolConfig *g = load_ok("g"), *r = load_ok("r"), *e = load_ok("e");

        /* lines add, duplicates and all, as systemd */
        cr_assert_eq(strv_length(g->supplementary_groups), 4);
        cr_assert_str_eq(g->supplementary_groups[0], "adm");
        cr_assert_str_eq(g->supplementary_groups[1], "4");
        cr_assert_str_eq(g->supplementary_groups[2], "users");
        cr_assert_str_eq(g->supplementary_groups[3], "adm");
        cr_assert_eq(strv_length(r->supplementary_groups), 1);
        cr_assert_str_eq(r->supplementary_groups[0], "wheel");
        cr_assert_null(e->supplementary_groups);
}

/* Environment=, SupplementaryGroups=: each key's own message for a bad word,
 * the common one for bad quoting. */
Test(config, word_list_errors) {
        _cleanup_(freep) char *path = write_pool("w",
                "Environment=A=1\n"                              /* 3 */
                "Environment=B=2 1X=y C=3\n"                     /* 4 */
                "Environment=D=4 'E=5\n"                         /* 5 */
                "[Sandbox]\n"                                    /* 6 */
                "SupplementaryGroups=adm\n"                      /* 7 */
                "SupplementaryGroups=wheel bad/group 4\n"        /* 8 */
                "SupplementaryGroups=\"adm\n");                  /* 9 */
        _cleanup_(strv_freep) char **errors = load_bad("w");

        cr_assert_eq(strv_length(errors), 4, "%s", errors_joined(errors));
        assert_error(errors, "%s:4: Invalid Environment= assignment '1X=y': expected KEY=VALUE with KEY made of "
                     "letters, digits and '_'", path);
        assert_error(errors, "%s:5: Invalid Environment= value 'D=4 'E=5': unterminated single quote", path);
        assert_error(errors, "%s:8: Invalid SupplementaryGroups= value 'wheel bad/group 4': 'bad/group' is not a "
                     "group name or a numeric id", path);
        assert_error(errors, "%s:9: Invalid SupplementaryGroups= value '\"adm': unterminated double quote", path);
}

/* A refused line leaves the list as it was: no word of it is added. */
Test(config, word_list_refused_line_changes_nothing) {
        _cleanup_(pool_config_freep) PoolConfig *c = NULL;
        _cleanup_(freep) char *why = NULL;

        cr_assert_eq(pool_config_new("t", NULL, &c), 0);
        cr_assert_eq(pool_config_set_property(c, NULL, "Environment", "A=1", &why), 0);
        cr_assert_eq(pool_config_set_property(c, NULL, "Environment", "A=2 B=3 =x", &why), -EINVAL);
        cr_assert(why && strstr(why, "'=x'"), "%s", why ?: "(null)");
        why = mfree(why);
        cr_assert_eq(strv_length(c->environment), 1);
        cr_assert_str_eq(c->environment[0], "A=1");

        cr_assert_eq(pool_config_set_property(c, NULL, "SupplementaryGroups", "adm", &why), 0);
        cr_assert_eq(pool_config_set_property(c, NULL, "SupplementaryGroups", "users -x", &why), -EINVAL);
        cr_assert(why && strstr(why, "'-x' is not a group name"), "%s", why ?: "(null)");
        cr_assert_eq(strv_length(c->supplementary_groups), 1);
        cr_assert_str_eq(c->supplementary_groups[0], "adm");
}

Test(config, working_directory) {
        free(write_pool("a", "WorkingDirectory=/srv/app/\n"));
        free(write_pool("b", "WorkingDirectory=-/srv/x\nWorkingDirectory=/\n"));
        free(write_pool("c", "WorkingDirectory=-/srv/x\nWorkingDirectory=\n"));
        _cleanup_(pool_config_freep) PoolConfig *a = load_ok("a"), *b = load_ok("b"), *c = load_ok("c");

        cr_assert_str_eq(a->working_directory, "/srv/app");
        cr_assert_not(a->working_directory_missing_ok);
        cr_assert_str_eq(b->working_directory, "/");
        cr_assert_not(b->working_directory_missing_ok, "a later assignment without '-' clears it");
        cr_assert_null(c->working_directory);
        cr_assert_not(c->working_directory_missing_ok);
}

Test(config, exit_status_accumulate_and_reset) {
        free(write_pool("x",
                "SuccessExitStatus=1 2\n"
                "SuccessExitStatus=SIGHUP\n"
                "RestartPreventExitStatus=7\n"
                "RestartPreventExitStatus=\n"
                "RestartPreventExitStatus=8 RTMIN+1\n"));
        _cleanup_(pool_config_freep) PoolConfig *c = load_ok("x");

        cr_assert(exit_status_set_has_status(&c->success_exit_status, 1));
        cr_assert(exit_status_set_has_status(&c->success_exit_status, 2));
        cr_assert(exit_status_set_has_signal(&c->success_exit_status, SIGHUP));
        cr_assert_not(exit_status_set_has_status(&c->restart_prevent_exit_status, 7));
        cr_assert(exit_status_set_has_status(&c->restart_prevent_exit_status, 8));
        cr_assert(exit_status_set_has_signal(&c->restart_prevent_exit_status, SIGRTMIN + 1));
        for (int i = 0; i < 256; i++)
                cr_assert_eq(exit_status_set_has_status(&c->restart_prevent_exit_status, i), i == 8, "%d", i);
}

Test(config, resources) {
        long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
        uint64_t phys = (uint64_t) pages * (uint64_t) psize, pid_max;
        FILE *f;

        f = fopen("/proc/sys/kernel/pid_max", "re");
        cr_assert_not_null(f);
        cr_assert_eq(fscanf(f, "%" SCNu64, &pid_max), 1);
        fclose(f);

        free(write_file(etc, "r.pool",
                "[Pool]\nExecStart=/bin/true\n"
                "[Resources]\n"
                "MemoryMax=50%\n"
                "MemoryHigh=1.5G\n"
                "MemorySwapMax=infinity\n"
                "CPUQuota=12.5%\n"
                "CPUWeight=1\n"
                "TasksMax=50%\n"));
        free(write_file(etc, "s.pool",
                "[Pool]\nExecStart=/bin/true\n"
                "[Resources]\n"
                "MemoryMax=1G 512M\n"
                "MemoryHigh=100%\n"
                "MemorySwapMax=4096\n"
                "CPUWeight=10000\n"
                "TasksMax=infinity\n"));
        _cleanup_(pool_config_freep) PoolConfig *r = load_ok("r"), *s = load_ok("s");

        cr_assert_gt(phys, 0);
        cr_assert_eq(r->memory_max, phys / 2);
        cr_assert_eq(r->memory_high, 1536 * MiB);
        cr_assert_eq(r->memory_swap_max, CGROUP_LIMIT_MAX);
        cr_assert_eq(r->cpu_quota_per_sec_usec, 125000);
        cr_assert_eq(r->cpu_weight, 1);
        cr_assert_eq(r->tasks_max, pid_max / 2);

        cr_assert_eq(s->memory_max, 1536 * MiB);
        cr_assert_eq(s->memory_high, phys);
        cr_assert_eq(s->memory_swap_max, 4096);
        cr_assert_eq(s->cpu_weight, 10000);
        cr_assert_eq(s->tasks_max, CGROUP_LIMIT_MAX);
}

Test(config, sandbox_names) {
        free(write_file(etc, "a.pool", "[Pool]\nExecStart=/bin/true\n[Sandbox]\nUser=www-data\nGroup=0\n"));
        free(write_file(etc, "b.pool", "[Pool]\nExecStart=/bin/true\n[Sandbox]\nUser=1000\nUser=\nGroup=_x$\n"));
        _cleanup_(pool_config_freep) PoolConfig *a = load_ok("a"), *b = load_ok("b");

        cr_assert_str_eq(a->user, "www-data");
        cr_assert_str_eq(a->group, "0");
        cr_assert_null(b->user, "User= resets to root");
        cr_assert_str_eq(b->group, "_x$");
}

/* Every key set in the main file, reset with Key= in a drop-in: all defaults
 * again, the manager's defaults for the manager-derived ones. */
Test(config, empty_assignment_resets_everything) {
        _cleanup_(pool_config_freep) PoolConfig *c = NULL;
        _cleanup_(strv_freep) char **errors = NULL;
        ManagerConfig m;
        int r;

        write_file_free(etc, "z.pool",
                "[Pool]\nExecStart=/bin/true\nDescription=d\nEnvironment=A=1\nWorkingDirectory=-/x\n"
                "Type=notify\nWorkers=3\nMinWorkers=2\nMaxWorkers=5\nRestart=no\nSuccessExitStatus=1\n"
                "RestartPreventExitStatus=2\nRestartForceExitStatus=3\nRestartSec=1s\n"
                "RestartMaxDelaySec=2s\nStartLimitIntervalSec=3s\nStartLimitBurst=4\n"
                "TimeoutStartSec=5s\nTimeoutStopSec=6s\nWatchdogSec=7s\nExitHistory=8\n"
                "[Resources]\nMemoryMax=1M\nMemoryHigh=1M\nMemorySwapMax=1M\nCPUQuota=10%\n"
                "CPUWeight=9\nTasksMax=10\n[Sandbox]\nUser=u\nGroup=g\n");
        write_file_free(lib, "z.pool.d/reset.conf",
                "[Pool]\nDescription=\nEnvironment=\nWorkingDirectory=\nType=\nWorkers=\nMinWorkers=\n"
                "MaxWorkers=\nRestart=\nSuccessExitStatus=\nRestartPreventExitStatus=\n"
                "RestartForceExitStatus=\nRestartSec=\nRestartMaxDelaySec=\nStartLimitIntervalSec=\n"
                "StartLimitBurst=\nTimeoutStartSec=\nTimeoutStopSec=\nWatchdogSec=\nExitHistory=\n"
                "[Resources]\nMemoryMax=\nMemoryHigh=\nMemorySwapMax=\nCPUQuota=\nCPUWeight=\nTasksMax=\n"
                "[Sandbox]\nUser=\nGroup=\n");

        manager_config_init(&m);
        m.default_restart_usec = 11 * SEC;
        m.default_restart_max_delay_usec = 12 * SEC;
        m.default_timeout_start_usec = 13 * SEC;
        m.default_timeout_stop_usec = 14 * SEC;
        m.default_start_limit_interval_usec = 15 * SEC;
        m.default_start_limit_burst = 16;
        m.default_exit_history = 17;

        r = config_load_pool("z", dirs, &m, &c, &errors);
        cr_assert_eq(r, 0, "%d:\n%s", r, errors_joined(errors));
        assert_defaults(c, &m);
        cr_assert_str_eq(c->exec_start[0], "/bin/true");
        cr_assert_eq(strv_length(c->dropins), 1);
}

/* ---- loading: errors ----------------------------------------------------- */

Test(config, bad_value_file_line) {
        _cleanup_(freep) char *path = write_file(etc, "web.pool",
                "[Pool]\n"
                "ExecStart=/usr/bin/web\n"
                "\n"
                "# memory\n"
                "\n"
                "[Resources]\n"
                "MemoryMax=lots\n");
        _cleanup_(strv_freep) char **errors = load_bad("web");

        cr_assert_eq(strv_length(errors), 1, "%s", errors_joined(errors));
        assert_error(errors, "%s:7: Invalid MemoryMax= value 'lots': expected a size like 512M or infinity", path);
}

Test(config, unknown_key_file_line) {
        _cleanup_(freep) char *path = write_file(etc, "web.pool",
                "[Pool]\n"
                "ExecStart=/usr/bin/web\n"
                "Wrokers=4\n"
                "workers=4\n"
                "[Resources]\n"
                "Workers=4\n");
        _cleanup_(strv_freep) char **errors = load_bad("web");

        cr_assert_eq(strv_length(errors), 3, "%s", errors_joined(errors));
        assert_error(errors, "%s:3: Unknown key Wrokers= in section [Pool]", path);
        assert_error(errors, "%s:4: Unknown key workers= in section [Pool]", path);
        assert_error(errors, "%s:6: Unknown key Workers= in section [Resources] (it belongs in [Pool])", path);
}

Test(config, missing_exec_start) {
        _cleanup_(freep) char *path = write_file(etc, "web.pool", "[Pool]\nWorkers=2\n");
        _cleanup_(strv_freep) char **errors = load_bad("web");

        cr_assert_eq(strv_length(errors), 1, "%s", errors_joined(errors));
        assert_error(errors, "%s: Missing ExecStart=", path);
}

Test(config, exec_start_reset_in_dropin_leaves_none) {
        _cleanup_(freep) char *path = write_file(etc, "web.pool", "[Pool]\nExecStart=/bin/true\n");
        write_file_free(etc, "web.pool.d/x.conf", "[Pool]\nExecStart=\n");
        _cleanup_(strv_freep) char **errors = load_bad("web");

        assert_error(errors, "%s: Missing ExecStart=", path);
}

Test(config, exec_start_twice) {
        _cleanup_(freep) char *path = write_file(etc, "web.pool",
                "[Pool]\nExecStart=/bin/true\nExecStart=/bin/false\n");
        _cleanup_(freep) char *dropin = write_file(etc, "web.pool.d/more.conf", "[Pool]\nExecStart=/bin/echo\n");
        _cleanup_(strv_freep) char **errors = load_bad("web");

        cr_assert_eq(strv_length(errors), 2, "%s", errors_joined(errors));
        assert_error_contains(errors, path, ":3: ExecStart= may be given only once");
        assert_error_contains(errors, dropin, ":2: ExecStart= may be given only once");
}

Test(config, exec_start_bad) {
        _cleanup_(freep) char *path = write_file(etc, "web.pool",
                "[Pool]\n"
                "ExecStart=/bin/echo \"unterminated\n"
                "ExecStart=/bin/echo %i\n"
                "ExecStart=relative/path\n"
                "ExecStart=-/bin/true\n"
                "ExecStart=no-such-program-workerpoold\n");
        _cleanup_(strv_freep) char **errors = load_bad("web");

        cr_assert_eq(strv_length(errors), 5, "%s", errors_joined(errors));
        assert_error(errors, "%s:2: Invalid ExecStart= value '/bin/echo \"unterminated': unterminated double quote",
                     path);
        assert_error_contains(errors, ":3: Invalid ExecStart= value '/bin/echo %i': unknown specifier", NULL);
        assert_error_contains(errors, ":4: Invalid ExecStart= value 'relative/path'", "absolute");
        assert_error_contains(errors, ":5: Invalid ExecStart= value '-/bin/true'", "prefix");
        assert_error_contains(errors, ":6: Invalid ExecStart= value 'no-such-program-workerpoold'", "not found");
}

Test(config, bad_values_all_reported) {
        _cleanup_(freep) char *path = write_file(etc, "bad.pool",
                "[Pool]\n"                                       /* 1 */
                "ExecStart=/bin/true\n"                          /* 2 */
                "Type=forking\n"                                 /* 3 */
                "Workers=many\n"                                 /* 4 */
                "MinWorkers=-1\n"                                /* 5 */
                "MaxWorkers=4294967296\n"                        /* 6 */
                "Restart=sometimes\n"                            /* 7 */
                "SuccessExitStatus=256\n"                        /* 8 */
                "RestartPreventExitStatus=SIGFOO\n"              /* 9 */
                "RestartSec=-5s\n"                               /* 10 */
                "RestartMaxDelaySec=5x\n"                        /* 11 */
                "StartLimitBurst=1.5\n"                          /* 12 */
                "WatchdogSec=soon\n"                             /* 13 */
                "ExitHistory=0\n"                                /* 14 */
                "ExitHistory=100001\n"                           /* 15 */
                "Environment=1X=y\n"                             /* 16 */
                "Environment=NOEQUALS\n"                         /* 17 */
                "Environment=\"A=b\n"                            /* 18 */
                "WorkingDirectory=relative\n"                    /* 19 */
                "WorkingDirectory=/a/../b\n"                     /* 20 */
                "[Resources]\n"                                  /* 21 */
                "MemoryMax=0\n"                                  /* 22 */
                "MemoryHigh=101%\n"                              /* 23 */
                "MemorySwapMax=10%\n"                            /* 24 */
                "CPUQuota=0%\n"                                  /* 25 */
                "CPUQuota=50\n"                                  /* 26 */
                "CPUWeight=0\n"                                  /* 27 */
                "CPUWeight=10001\n"                              /* 28 */
                "TasksMax=0\n"                                   /* 29 */
                "TasksMax=lots\n"                                /* 30 */
                "MemoryMax=16E\n"                                /* 31 */
                "[Sandbox]\n"                                    /* 32 */
                "User=a b\n"                                     /* 33 */
                "Group=-g\n"                                     /* 34 */
                "User=4294967295\n");                            /* 35 */
        _cleanup_(strv_freep) char **errors = load_bad("bad");

        cr_assert_eq(strv_length(errors), 31, "%zu errors:\n%s", strv_length(errors), errors_joined(errors));
        /* one line = one error, in order */
        for (unsigned i = 0, line = 3; errors[i]; i++, line++) {
                char want[PATH_MAX + 32];

                if (line == 21 || line == 32)
                        line++;        /* section headers */
                snprintf(want, sizeof want, "%s:%u: ", path, line);
                cr_assert(strncmp(errors[i], want, strlen(want)) == 0, "error %u: expected prefix '%s', got '%s'",
                          i, want, errors[i]);
        }
        assert_error(errors, "%s:3: Invalid Type= value 'forking': expected simple or notify", path);
        assert_error(errors, "%s:4: Invalid Workers= value 'many': expected an unsigned integer", path);
        assert_error(errors, "%s:6: Invalid MaxWorkers= value '4294967296': must be between 0 and 65536", path);
        assert_error_contains(errors, ":8: Invalid SuccessExitStatus= value '256'", "0..255");
        assert_error_contains(errors, ":9: Invalid RestartPreventExitStatus= value 'SIGFOO'", "signal");
        assert_error(errors, "%s:10: Invalid RestartSec= value '-5s': time span out of range", path);
        assert_error(errors, "%s:14: Invalid ExitHistory= value '0': must be between 1 and 4096", path);
        assert_error(errors, "%s:15: Invalid ExitHistory= value '100001': must be between 1 and 4096", path);
        assert_error_contains(errors, ":16: Invalid Environment= assignment '1X=y'", NULL);
        assert_error_contains(errors, ":17: Invalid Environment= assignment 'NOEQUALS'", NULL);
        assert_error(errors, "%s:18: Invalid Environment= value '\"A=b': unterminated double quote", path);
        assert_error_contains(errors, ":19: Invalid WorkingDirectory= value 'relative'", "absolute");
        assert_error(errors, "%s:22: Invalid MemoryMax= value '0': must be greater than zero", path);
        assert_error_contains(errors, ":23: Invalid MemoryHigh= value '101%'", "100%");
        assert_error(errors, "%s:24: Invalid MemorySwapMax= value '10%%': expected a size like 512M or infinity",
                     path);
        assert_error_contains(errors, ":25: Invalid CPUQuota= value '0%'", NULL);
        assert_error(errors, "%s:27: Invalid CPUWeight= value '0': must be between 1 and 10000", path);
        assert_error_contains(errors, ":29: Invalid TasksMax= value '0'", "out of range");
        assert_error_contains(errors, ":31: Invalid MemoryMax= value '16E'", "out of range");
        assert_error(errors, "%s:33: Invalid User= value 'a b': expected a user or group name or a numeric id", path);
}

Test(config, bad_value_keeps_previous) {
        /* a refused value is not applied: the file as a whole fails, but each
         * error is independent (no cascade from the refused value) */
        _cleanup_(freep) char *path = write_file(etc, "w.pool",
                "[Pool]\nExecStart=/bin/true\nMaxWorkers=4\nMaxWorkers=x\nWorkers=3\n");
        _cleanup_(strv_freep) char **errors = load_bad("w");

        cr_assert_eq(strv_length(errors), 1, "%s", errors_joined(errors));
        assert_error(errors, "%s:4: Invalid MaxWorkers= value 'x': expected an unsigned integer or infinity", path);
}

Test(config, min_greater_than_max) {
        _cleanup_(freep) char *path = write_file(etc, "w.pool",
                "[Pool]\nExecStart=/bin/true\nMinWorkers=8\nMaxWorkers=4\nWorkers=6\n");
        _cleanup_(strv_freep) char **errors = load_bad("w");

        cr_assert_eq(strv_length(errors), 1, "%s", errors_joined(errors));
        assert_error(errors, "%s:4: MinWorkers=8 is greater than MaxWorkers=4", path);
}

Test(config, workers_outside_range) {
        _cleanup_(freep) char *a = write_file(etc, "a.pool",
                "[Pool]\nExecStart=/bin/true\nWorkers=10\nMaxWorkers=4\n");
        _cleanup_(freep) char *b = write_file(etc, "b.pool", "[Pool]\nExecStart=/bin/true\nMinWorkers=3\n");
        _cleanup_(freep) char *cpath = write_file(etc, "c.pool", "[Pool]\nExecStart=/bin/true\nWorkers=0\n");
        write_file_free(run, "c.pool.d/min.conf", "[Pool]\nMinWorkers=1\n");
        _cleanup_(strv_freep) char **ea = load_bad("a"), **eb = load_bad("b"), **ec = load_bad("c");

        assert_error(ea, "%s:3: Workers=10 is outside MinWorkers..MaxWorkers (0..4)", a);
        assert_error(eb, "%s:3: Workers=1 (the default) is outside MinWorkers..MaxWorkers (3..infinity)", b);
        assert_error(ec, "%s:3: Workers=0 is outside MinWorkers..MaxWorkers (1..infinity)", cpath);
}

Test(config, not_found_and_bad_name) {
        PoolConfig *c = (PoolConfig *) 0x1;
        char **errors = (char **) 0x1;

        cr_assert_eq(config_load_pool("nope", dirs, NULL, &c, &errors), -ENOENT);
        cr_assert_null(errors);
        cr_assert_eq(c, (PoolConfig *) 0x1);
        cr_assert_eq(config_load_pool("../etc/passwd", dirs, NULL, &c, NULL), -EINVAL);
        cr_assert_eq(config_load_pool("", dirs, NULL, &c, NULL), -EINVAL);
        cr_assert_eq(c, (PoolConfig *) 0x1);
}

Test(config, errors_pointer_optional) {
        PoolConfig *c = NULL;

        free(write_file(etc, "x.pool", "[Pool]\nFoo=1\n"));
        cr_assert_eq(config_load_pool("x", dirs, NULL, &c, NULL), -EINVAL);
        cr_assert_null(c);
}

Test(config, main_file_is_directory_ignored) {
        _cleanup_(freep) char *d = path_join(etc, "x.pool");
        _cleanup_(freep) char *real = write_file(lib, "x.pool", "[Pool]\nExecStart=/bin/true\n");

        cr_assert_eq(mkdir(d, 0755), 0);
        _cleanup_(pool_config_freep) PoolConfig *c = load_ok("x");
        cr_assert_str_eq(c->path, real);
}

/* ---- INI syntax ---------------------------------------------------------- */

Test(syntax, comments_whitespace_continuations) {
        free(write_file(etc, "s.pool",
                "\xef\xbb\xbf# leading comment\n"
                "; another comment\n"
                "   # indented comment\n"
                "\n"
                "[Pool]\r\n"
                "  ExecStart  =  /bin/echo one \\\n"
                "      two \\\n"
                "# a comment inside a continuation is skipped\n"
                "      three\n"
                "Description= spaces around are stripped   \n"
                "Environment=A=1 \\\n"
                "  B=2\n"
                "[X-Vendor]\n"
                "Anything=goes\n"
                "[Pool]\n"
                "X-Custom=ignored\n"
                "Workers=2\r\n"));
        _cleanup_(pool_config_freep) PoolConfig *c = load_ok("s");

        cr_assert_eq(strv_length(c->exec_start), 4, "%s", errors_joined(c->exec_start));
        cr_assert_str_eq(c->exec_start[0], "/bin/echo");
        cr_assert_str_eq(c->exec_start[1], "one");
        cr_assert_str_eq(c->exec_start[2], "two");
        cr_assert_str_eq(c->exec_start[3], "three");
        cr_assert_str_eq(c->description, "spaces around are stripped");
        cr_assert_eq(strv_length(c->environment), 2);
        cr_assert_str_eq(c->environment[1], "B=2");
        cr_assert_eq(c->workers, 2);
}

Test(syntax, value_may_contain_equals_and_hash) {
        free(write_pool("v", "Description=a=b # not a comment\n"));
        _cleanup_(pool_config_freep) PoolConfig *c = load_ok("v");

        cr_assert_str_eq(c->description, "a=b # not a comment");
}

Test(syntax, escaped_backslash_does_not_continue) {
        free(write_pool("v", "Description=ends with \\\\\nWorkers=3\n"));
        _cleanup_(pool_config_freep) PoolConfig *c = load_ok("v");

        cr_assert_str_eq(c->description, "ends with \\\\");
        cr_assert_eq(c->workers, 3);
}

Test(syntax, continuation_at_eof) {
        free(write_pool("v", "Description=last \\"));
        _cleanup_(pool_config_freep) PoolConfig *c = load_ok("v");

        cr_assert_str_eq(c->description, "last");
}

Test(syntax, errors) {
        _cleanup_(freep) char *path = write_file(etc, "e.pool",
                "Workers=1\n"                   /* 1: outside of any section */
                "[Pool]\n"                      /* 2 */
                "ExecStart=/bin/true\n"         /* 3 */
                "just some words\n"             /* 4: missing '=' */
                "=value\n"                      /* 5: missing key */
                "[Pool\n"                       /* 6: bad header */
                "Ignored=after bad header\n"    /* 7 */
                "[Frobnicate]\n"                /* 8: unknown section */
                "Foo=bar\n"                     /* 9: not reported again */
                "Baz=qux\n"                     /* 10 */
                "[]\n"                          /* 11: bad header */
                "[Pool]\n"                      /* 12 */
                "Description=ok\n"              /* 13 */
                "Workers=x \\\n"                /* 14: continued */
                "  y\n");                       /* 15 */
        _cleanup_(strv_freep) char **errors = load_bad("e");

        cr_assert_eq(strv_length(errors), 7, "%s", errors_joined(errors));
        assert_error(errors, "%s:1: Assignment Workers= outside of any section", path);
        assert_error(errors, "%s:4: Missing '=' in line 'just some words'", path);
        assert_error(errors, "%s:5: Missing key name before '='", path);
        assert_error(errors, "%s:6: Invalid section header '[Pool'", path);
        assert_error(errors, "%s:8: Unknown section [Frobnicate]", path);
        assert_error(errors, "%s:11: Invalid section header '[]'", path);
        /* a continued line is reported at its first line */
        assert_error(errors, "%s:14: Invalid Workers= value 'x    y': expected an unsigned integer", path);
}

Test(syntax, each_file_starts_without_section) {
        free(write_pool("w", ""));
        _cleanup_(freep) char *dropin = write_file(etc, "w.pool.d/a.conf", "Workers=3\n");
        _cleanup_(strv_freep) char **errors = load_bad("w");

        assert_error(errors, "%s:1: Assignment Workers= outside of any section", dropin);
}

Test(syntax, nul_byte) {
        _cleanup_(freep) char *path = path_join(etc, "n.pool");
        static const char content[] = "[Pool]\nExecStart=/bin/true\nDescr\0iption=x\n";
        FILE *f = fopen(path, "we");

        cr_assert_not_null(f);
        cr_assert_eq(fwrite(content, 1, sizeof content - 1, f), sizeof content - 1);
        fclose(f);
        _cleanup_(strv_freep) char **errors = load_bad("n");
        assert_error(errors, "%s:3: Line contains a NUL byte", path);
}

/* ---- drop-ins and precedence -------------------------------------------- */

Test(dropin, main_file_precedence) {
        _cleanup_(freep) char *e = write_file(etc, "p.pool", "[Pool]\nExecStart=/bin/etc\n");
        write_file_free(run, "p.pool", "[Pool]\nExecStart=/bin/run\n");
        write_file_free(lib, "p.pool", "[Pool]\nExecStart=/bin/lib\n");
        write_file_free(lib, "q.pool", "[Pool]\nExecStart=/bin/lib\n");
        _cleanup_(freep) char *qr = write_file(run, "q.pool", "[Pool]\nExecStart=/bin/run\n");
        _cleanup_(pool_config_freep) PoolConfig *p = load_ok("p"), *q = load_ok("q");

        cr_assert_str_eq(p->path, e);
        cr_assert_str_eq(p->exec_start[0], "/bin/etc");
        cr_assert_str_eq(q->path, qr);
        cr_assert_str_eq(q->exec_start[0], "/bin/run");
}

Test(dropin, order_across_dirs) {
        write_file_free(lib, "p.pool", "[Pool]\nExecStart=/bin/true\nWorkers=1\nDescription=main\n");
        _cleanup_(freep) char *d10 = write_file(lib, "p.pool.d/10-lib.conf", "[Pool]\nWorkers=10\nMaxWorkers=99\n");
        _cleanup_(freep) char *d20 = write_file(etc, "p.pool.d/20-etc.conf", "[Pool]\nWorkers=20\n");
        _cleanup_(freep) char *d30 = write_file(run, "p.pool.d/30-run.conf", "[Pool]\nWorkers=30\n");
        _cleanup_(freep) char *d05 = write_file(run, "p.pool.d/05-run.conf", "[Pool]\nWorkers=5\nDescription=d05\n");
        _cleanup_(pool_config_freep) PoolConfig *c = load_ok("p");

        cr_assert_eq(c->workers, 30, "the last drop-in by file name wins");
        cr_assert_eq(c->max_workers, 99);
        cr_assert_str_eq(c->description, "d05");
        cr_assert_eq(strv_length(c->dropins), 4, "%s", errors_joined(c->dropins));
        cr_assert_str_eq(c->dropins[0], d05);
        cr_assert_str_eq(c->dropins[1], d10);
        cr_assert_str_eq(c->dropins[2], d20);
        cr_assert_str_eq(c->dropins[3], d30);
}

Test(dropin, earlier_dir_masks_same_name) {
        write_file_free(etc, "p.pool", "[Pool]\nExecStart=/bin/true\n");
        _cleanup_(freep) char *e = write_file(etc, "p.pool.d/50-x.conf", "[Pool]\nWorkers=2\n");
        write_file_free(run, "p.pool.d/50-x.conf", "[Pool]\nWorkers=3\nMinWorkers=3\n");
        write_file_free(lib, "p.pool.d/50-x.conf", "[Pool]\nBogus=1\n");
        _cleanup_(pool_config_freep) PoolConfig *c = load_ok("p");

        cr_assert_eq(c->workers, 2);
        cr_assert_eq(c->min_workers, 0);
        cr_assert_eq(strv_length(c->dropins), 1);
        cr_assert_str_eq(c->dropins[0], e);
}

Test(dropin, masking_empty_and_dev_null) {
        write_file_free(etc, "p.pool", "[Pool]\nExecStart=/bin/true\n");
        write_file_free(etc, "p.pool.d/a.conf", "");
        write_file_free(lib, "p.pool.d/a.conf", "[Pool]\nWorkers=7\n");
        symlink_dev_null(run, "p.pool.d/b.conf");
        write_file_free(lib, "p.pool.d/b.conf", "[Pool]\nWorkers=8\n");
        _cleanup_(freep) char *c_conf = write_file(lib, "p.pool.d/c.conf", "[Pool]\nDescription=c\n");
        _cleanup_(pool_config_freep) PoolConfig *c = load_ok("p");

        cr_assert_eq(c->workers, 1, "masked drop-ins are not applied");
        cr_assert_str_eq(c->description, "c");
        cr_assert_eq(strv_length(c->dropins), 1, "%s", errors_joined(c->dropins));
        cr_assert_str_eq(c->dropins[0], c_conf);
}

Test(dropin, ignored_entries) {
        _cleanup_(freep) char *sub = NULL;

        write_file_free(etc, "p.pool", "[Pool]\nExecStart=/bin/true\n");
        write_file_free(etc, "p.pool.d/x.conf.bak", "[Pool]\nBogus=1\n");
        write_file_free(etc, "p.pool.d/README", "not ini\n");
        write_file_free(etc, "p.pool.d/.hidden.conf", "[Pool]\nBogus=1\n");
        write_file_free(etc, "p.pool.d/.conf", "[Pool]\nBogus=1\n");
        write_file_free(etc, "pp.pool.d/x.conf", "[Pool]\nBogus=1\n");   /* another pool's */
        sub = path_join(etc, "p.pool.d/dir.conf");
        cr_assert_eq(mkdir(sub, 0755), 0);
        _cleanup_(pool_config_freep) PoolConfig *c = load_ok("p");

        cr_assert_eq(strv_length(c->dropins), 0, "%s", errors_joined(c->dropins));
}

Test(dropin, errors_name_the_dropin) {
        _cleanup_(freep) char *main_path = write_file(etc, "p.pool", "[Pool]\nExecStart=/bin/true\nWorkrs=1\n");
        _cleanup_(freep) char *d = write_file(run, "p.pool.d/limits.conf",
                "# limits\n[Resources]\nMemoryMax=lots\nMemoryHigh=1G\n");
        _cleanup_(strv_freep) char **errors = load_bad("p");

        cr_assert_eq(strv_length(errors), 2, "%s", errors_joined(errors));
        cr_assert(strncmp(errors[0], main_path, strlen(main_path)) == 0, "main file errors come first");
        assert_error(errors, "%s:3: Unknown key Workrs= in section [Pool]", main_path);
        assert_error(errors, "%s:3: Invalid MemoryMax= value 'lots': expected a size like 512M or infinity", d);
}

Test(dropin, reset_exec_start_then_set) {
        write_file_free(lib, "p.pool", "[Pool]\nExecStart=/bin/old --flag\nEnvironment=A=1\n");
        write_file_free(etc, "p.pool.d/override.conf",
                "[Pool]\nExecStart=\nExecStart=/bin/new\nEnvironment=B=2\n");
        _cleanup_(pool_config_freep) PoolConfig *c = load_ok("p");

        cr_assert_eq(strv_length(c->exec_start), 1);
        cr_assert_str_eq(c->exec_start[0], "/bin/new");
        cr_assert_eq(strv_length(c->environment), 2, "Environment= accumulates across files");
}

Test(dropin, dropins_without_main_file) {
        char **errors = (char **) 0x1;
        PoolConfig *c = NULL;

        write_file_free(etc, "ghost.pool.d/x.conf", "[Pool]\nExecStart=/bin/true\n");
        cr_assert_eq(config_load_pool("ghost", dirs, NULL, &c, &errors), -ENOENT);
        cr_assert_null(c);
        cr_assert_null(errors);
}

Test(dropin, masked_main_file) {
        PoolConfig *c = NULL;

        write_file_free(etc, "a.pool", "");
        write_file_free(lib, "a.pool", "[Pool]\nExecStart=/bin/true\n");
        symlink_dev_null(run, "b.pool");
        write_file_free(lib, "b.pool", "[Pool]\nExecStart=/bin/true\n");
        write_file_free(lib, "c.pool", "");

        cr_assert_eq(config_load_pool("a", dirs, NULL, &c, NULL), -ENOENT);
        cr_assert_eq(config_load_pool("b", dirs, NULL, &c, NULL), -ENOENT);
        cr_assert_eq(config_load_pool("c", dirs, NULL, &c, NULL), -ENOENT);
        cr_assert_null(c);
}

Test(dropin, manager_defaults_apply) {
        _cleanup_(pool_config_freep) PoolConfig *c = NULL;
        ManagerConfig m;

        write_file_free(etc, "p.pool", "[Pool]\nExecStart=/bin/true\nRestartSec=1s\n");
        write_file_free(etc, "p.pool.d/r.conf", "[Pool]\nRestartSec=\n");
        manager_config_init(&m);
        m.default_restart_usec = 42 * SEC;
        m.default_timeout_stop_usec = 3 * SEC;
        cr_assert_eq(config_load_pool("p", dirs, &m, &c, NULL), 0);
        cr_assert_eq(c->restart_usec, 42 * SEC, "reset goes back to the manager's default");
        cr_assert_eq(c->timeout_stop_usec, 3 * SEC);
}

/* ---- enumerate ----------------------------------------------------------- */

Test(enumerate, names_sorted_deduplicated) {
        _cleanup_(strv_freep) char **names = NULL;

        write_file_free(etc, "web.pool", "[Pool]\nExecStart=/bin/true\n");
        write_file_free(lib, "web.pool", "[Pool]\nExecStart=/bin/true\n");
        write_file_free(run, "api.pool", "[Pool]\nExecStart=/bin/true\n");
        write_file_free(lib, "zeta.pool", "[Pool]\nExecStart=/bin/true\n");
        write_file_free(lib, "Alpha.pool", "[Pool]\nExecStart=/bin/true\n");
        write_file_free(etc, "notapool.conf", "x\n");
        write_file_free(etc, ".hidden.pool", "[Pool]\nExecStart=/bin/true\n");
        write_file_free(etc, "-bad.pool", "[Pool]\nExecStart=/bin/true\n");
        write_file_free(etc, "web.pool.d/x.conf", "[Pool]\n");
        write_file_free(etc, "only-dropins.pool.d/x.conf", "[Pool]\n");

        cr_assert_eq(config_enumerate_pools(dirs, &names, NULL), 0);
        cr_assert_eq(strv_length(names), 4, "%s", errors_joined(names));
        cr_assert_str_eq(names[0], "Alpha");
        cr_assert_str_eq(names[1], "api");
        cr_assert_str_eq(names[2], "web");
        cr_assert_str_eq(names[3], "zeta");
}

Test(enumerate, masking) {
        _cleanup_(strv_freep) char **names = NULL;

        write_file_free(etc, "gone.pool", "");
        write_file_free(lib, "gone.pool", "[Pool]\nExecStart=/bin/true\n");
        symlink_dev_null(run, "nulled.pool");
        write_file_free(lib, "nulled.pool", "[Pool]\nExecStart=/bin/true\n");
        write_file_free(lib, "empty.pool", "");
        write_file_free(lib, "kept.pool", "[Pool]\nExecStart=/bin/true\n");
        write_file_free(run, "kept.pool.d/x.conf", "");
        {
                _cleanup_(freep) char *d = path_join(etc, "dir.pool");
                cr_assert_eq(mkdir(d, 0755), 0);
        }

        cr_assert_eq(config_enumerate_pools(dirs, &names, NULL), 0);
        cr_assert_eq(strv_length(names), 1, "%s", errors_joined(names));
        cr_assert_str_eq(names[0], "kept");
}

Test(enumerate, consistent_with_load) {
        _cleanup_(strv_freep) char **names = NULL;

        write_file_free(etc, "a.pool", "[Pool]\nExecStart=/bin/true\n");
        write_file_free(run, "b.pool", "");
        write_file_free(lib, "b.pool", "[Pool]\nExecStart=/bin/true\n");
        write_file_free(lib, "c.pool", "[Pool]\nExecStart=/bin/true\n");

        cr_assert_eq(config_enumerate_pools(dirs, &names, NULL), 0);
        for (char **n = names; *n; n++) {
                _cleanup_(pool_config_freep) PoolConfig *c = load_ok(*n);
                cr_assert_str_eq(c->name, *n);
        }
        cr_assert_eq(strv_length(names), 2);
        cr_assert_null(strv_find(names, "b"));
}

Test(enumerate, missing_dirs_and_empty) {
        _cleanup_(strv_freep) char **names = NULL, **none = NULL;
        _cleanup_(freep) char *missing = path_join(root, "does/not/exist");
        const char *only_missing[] = { missing, NULL };
        const char *no_dirs[] = { NULL };

        cr_assert_eq(config_enumerate_pools(only_missing, &names, NULL), 0);
        cr_assert_not_null(names);
        cr_assert_eq(strv_length(names), 0);
        cr_assert_eq(config_enumerate_pools(no_dirs, &none, NULL), 0);
        cr_assert_eq(strv_length(none), 0);
}

/* ---- change detection ---------------------------------------------------- */

Test(config, changed) {
        _cleanup_(pool_config_freep) PoolConfig *a = NULL, *b = NULL;

        cr_assert_eq(pool_config_new("p", NULL, &a), 0);
        cr_assert_eq(pool_config_new("p", NULL, &b), 0);
        cr_assert_not(pool_config_exec_changed(a, b));
        cr_assert_not(pool_config_resources_changed(a, b));

        /* not exec-relevant, not a resource */
        b->workers = 9;
        b->restart_usec = 1;
        b->description = strdup("x");
        cr_assert_not(pool_config_exec_changed(a, b));
        cr_assert_not(pool_config_resources_changed(a, b));

        cr_assert_eq(strv_extend(&b->exec_start, "/bin/true"), 0);
        cr_assert(pool_config_exec_changed(a, b));
        cr_assert_eq(strv_extend(&a->exec_start, "/bin/true"), 0);
        cr_assert_not(pool_config_exec_changed(a, b));

        cr_assert_eq(strv_extend(&a->environment, "A=1"), 0);
        cr_assert(pool_config_exec_changed(a, b));
        cr_assert_eq(strv_extend(&b->environment, "A=1"), 0);
        cr_assert_not(pool_config_exec_changed(a, b));

        b->user = strdup("nobody");
        cr_assert(pool_config_exec_changed(a, b));
        a->user = strdup("nobody");
        cr_assert_not(pool_config_exec_changed(a, b));

        b->group = strdup("nogroup");
        cr_assert(pool_config_exec_changed(a, b));
        a->group = strdup("nogroup");

        b->type = POOL_TYPE_NOTIFY;
        cr_assert(pool_config_exec_changed(a, b));
        a->type = POOL_TYPE_NOTIFY;

        b->working_directory = strdup("/srv");
        cr_assert(pool_config_exec_changed(a, b));
        a->working_directory = strdup("/srv");
        cr_assert_not(pool_config_exec_changed(a, b));
        b->working_directory_missing_ok = true;
        cr_assert(pool_config_exec_changed(a, b));
        a->working_directory_missing_ok = true;
        cr_assert_not(pool_config_exec_changed(a, b));

        cr_assert_not(pool_config_resources_changed(a, b));
        b->memory_max = 1;
        cr_assert(pool_config_resources_changed(a, b));
        cr_assert_not(pool_config_exec_changed(a, b), "resources do not need new processes");
        a->memory_max = 1;
        b->memory_high = 2;
        cr_assert(pool_config_resources_changed(a, b));
        a->memory_high = 2;
        b->memory_swap_max = 3;
        cr_assert(pool_config_resources_changed(a, b));
        a->memory_swap_max = 3;
        b->cpu_quota_per_sec_usec = 4;
        cr_assert(pool_config_resources_changed(a, b));
        a->cpu_quota_per_sec_usec = 4;
        b->cpu_weight = 5;
        cr_assert(pool_config_resources_changed(a, b));
        a->cpu_weight = 5;
        b->tasks_max = 6;
        cr_assert(pool_config_resources_changed(a, b));
        a->tasks_max = 6;
        cr_assert_not(pool_config_resources_changed(a, b));
}

/* ---- helpers for the D-Bus layer (set-property) -------------------------- */

Test(config, dup_is_deep) {
        _cleanup_(freep) char *path = write_file(etc, "d.pool",
                "[Pool]\nDescription=desc\nExecStart=/bin/echo a b\nEnvironment=A=1\n"
                "WorkingDirectory=-/srv\nWorkers=3\n[Resources]\nMemoryMax=1G\n"
                "[Sandbox]\nUser=u\nGroup=g\n");
        write_file_free(etc, "d.pool.d/x.conf", "[Pool]\nRestartSec=3s\n");
        _cleanup_(pool_config_freep) PoolConfig *c = load_ok("d"), *n = NULL;

        cr_assert_eq(pool_config_dup(c, &n), 0);
        cr_assert_neq(n, c);
        cr_assert_str_eq(n->name, "d");
        cr_assert_neq(n->name, c->name);
        cr_assert_str_eq(n->path, path);
        cr_assert_neq(n->path, c->path);
        cr_assert(strv_equal(n->dropins, c->dropins));
        cr_assert_neq(n->dropins, c->dropins);
        cr_assert(strv_equal(n->exec_start, c->exec_start));
        cr_assert_neq(n->exec_start, c->exec_start);
        cr_assert(strv_equal(n->environment, c->environment));
        cr_assert_str_eq(n->description, "desc");
        cr_assert_str_eq(n->working_directory, "/srv");
        cr_assert(n->working_directory_missing_ok);
        cr_assert_str_eq(n->user, "u");
        cr_assert_str_eq(n->group, "g");
        cr_assert_eq(n->workers, 3);
        cr_assert_eq(n->restart_usec, 3 * SEC);
        cr_assert_eq(n->memory_max, 1024 * MiB);
        cr_assert_not(pool_config_exec_changed(c, n));
        cr_assert_not(pool_config_resources_changed(c, n));

        n->exec_start[0][0] = 'X';      /* really separate memory */
        cr_assert_str_eq(c->exec_start[0], "/bin/echo");
}

Test(config, property_section) {
        cr_assert_str_eq(pool_config_property_section("Workers"), "Pool");
        cr_assert_str_eq(pool_config_property_section("RestartSec"), "Pool");
        cr_assert_str_eq(pool_config_property_section("MemoryMax"), "Resources");
        cr_assert_str_eq(pool_config_property_section("TasksMax"), "Resources");
        cr_assert_str_eq(pool_config_property_section("User"), "Sandbox");
        cr_assert_null(pool_config_property_section("Bogus"));
        cr_assert_null(pool_config_property_section("memorymax"));
        cr_assert_null(pool_config_property_section(""));
        cr_assert_null(pool_config_property_section(NULL));
}

Test(config, set_property) {
        free(write_pool("s", "Workers=4\nMaxWorkers=6\nRestartSec=1s\n"));
        _cleanup_(pool_config_freep) PoolConfig *c = load_ok("s");
        ManagerConfig m;
        char *why = (char *) 0x1;

        manager_config_init(&m);
        m.default_restart_usec = 42 * SEC;

        cr_assert_eq(pool_config_set_property(c, &m, "MemoryMax", "512M", &why), 0);
        cr_assert_null(why);
        cr_assert_eq(c->memory_max, 512 * MiB);
        cr_assert_eq(pool_config_set_property(c, &m, "MemoryMax", "infinity", NULL), 0);
        cr_assert_eq(c->memory_max, CGROUP_LIMIT_MAX);
        cr_assert_eq(pool_config_set_property(c, &m, "CPUQuota", "50%", NULL), 0);
        cr_assert_eq(c->cpu_quota_per_sec_usec, 500000);
        cr_assert_eq(pool_config_set_property(c, &m, "Restart", "always", NULL), 0);
        cr_assert_eq(c->restart, RESTART_ALWAYS);
        cr_assert_eq(pool_config_set_property(c, &m, "Workers", "6", NULL), 0);
        cr_assert_eq(c->workers, 6);

        /* empty value: the default, from m */
        cr_assert_eq(pool_config_set_property(c, &m, "RestartSec", "", NULL), 0);
        cr_assert_eq(c->restart_usec, 42 * SEC);
        cr_assert_eq(pool_config_set_property(c, NULL, "RestartSec", NULL, NULL), 0);
        cr_assert_eq(c->restart_usec, 100 * MSEC);

        cr_assert_eq(pool_config_set_property(c, &m, "Bogus", "1", &why), -ENOENT);
        cr_assert_null(why);
        cr_assert_eq(pool_config_set_property(c, &m, "", "1", &why), -ENOENT);
}

Test(config, set_property_errors) {
        free(write_pool("s", "Workers=4\nMaxWorkers=6\n"));
        _cleanup_(pool_config_freep) PoolConfig *c = load_ok("s");
        _cleanup_(freep) char *e1 = NULL, *e2 = NULL, *e3 = NULL, *e4 = NULL;

        cr_assert_eq(pool_config_set_property(c, NULL, "MemoryMax", "lots", &e1), -EINVAL);
        cr_assert_str_eq(e1, "Invalid MemoryMax= value 'lots': expected a size like 512M or infinity");
        cr_assert_eq(c->memory_max, CGROUP_LIMIT_MAX, "refused values are not applied");

        cr_assert_eq(pool_config_set_property(c, NULL, "Workers", "10", &e2), -EINVAL);
        cr_assert_str_eq(e2, "Workers=10 is outside MinWorkers..MaxWorkers (0..6)");

        /* the bus works on a copy; here c was changed, put it back */
        c->workers = 4;
        cr_assert_eq(pool_config_set_property(c, NULL, "MinWorkers", "5", &e3), -EINVAL);
        cr_assert_str_eq(e3, "Workers=4 is outside MinWorkers..MaxWorkers (5..6)",
                         "Workers=4 from the file is not 'the default'");

        c->min_workers = 0;
        cr_assert_eq(pool_config_set_property(c, NULL, "MaxWorkers", "2", &e4), -EINVAL);
        cr_assert_str_eq(e4, "Workers=4 is outside MinWorkers..MaxWorkers (0..2)");
}

/* ---- what the bus carries must be UTF-8; unreadable files are errors ------ */

Test(config, line_not_utf8_refused) {
        _cleanup_(freep) char *path = write_file(etc, "u.pool",
                "[Pool]\nExecStart=/bin/true\nDescription=bad \xff\xfe here\nWorkers=2\n");
        _cleanup_(strv_freep) char **errors = load_bad("u");

        cr_assert_eq(strv_length(errors), 1, "%s", errors_joined(errors));
        assert_error(errors, "%s:3: Line is not valid UTF-8", path);
}

Test(config, line_valid_utf8_accepted) {
        free(write_pool("v", "Description=caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\n"));
        _cleanup_(pool_config_freep) PoolConfig *c = load_ok("v");

        cr_assert_str_eq(c->description, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
}

Test(config, nul_byte_line_refused_rest_checked) {
        _cleanup_(freep) char *path = path_join(etc, "z.pool");
        static const char text[] = "[Pool]\nExecStart=/bin/true\nWorkers=\0002\nBogus=1\n";
        FILE *f = fopen(path, "we");

        cr_assert_not_null(f);
        cr_assert_eq(fwrite(text, 1, sizeof text - 1, f), sizeof text - 1);
        cr_assert_eq(fclose(f), 0);
        _cleanup_(strv_freep) char **errors = load_bad("z");

        assert_error(errors, "%s:3: Line contains a NUL byte", path);
        assert_error(errors, "%s:4: Unknown key Bogus= in section [Pool]", path);
        cr_assert_eq(strv_length(errors), 2, "%s", errors_joined(errors));
}

Test(config, dropin_symlink_loop_is_an_error) {
        _cleanup_(freep) char *d = NULL;

        free(write_pool("l", "Workers=3\n"));
        d = path_join(etc, "l.pool.d");
        cr_assert_eq(mkdir(d, 0755), 0);
        _cleanup_(freep) char *loop = path_join(d, "loop.conf");
        cr_assert_eq(symlink("loop.conf", loop), 0);
        _cleanup_(strv_freep) char **errors = NULL;
        PoolConfig *c = NULL;

        cr_assert_lt(config_load_pool("l", dirs, NULL, &c, &errors), 0, "the pool must not run without its drop-in");
        cr_assert_null(c);
        assert_error(errors, "%s: Cannot read the drop-in: Too many levels of symbolic links", loop);
}

Test(config, pool_file_symlink_loop_is_an_error) {
        _cleanup_(freep) char *loop = path_join(etc, "x.pool");
        _cleanup_(strv_freep) char **names = NULL, **errors = NULL;
        PoolConfig *c = NULL;

        cr_assert_eq(symlink("x.pool", loop), 0);
        /* listed, so that loading it says what is wrong */
        cr_assert_eq(config_enumerate_pools(dirs, &names, NULL), 0);
        cr_assert_not_null(strv_find(names, "x"));
        cr_assert_lt(config_load_pool("x", dirs, NULL, &c, &errors), 0);
        assert_error(errors, "%s: Cannot read the pool file: Too many levels of symbolic links", loop);
}

Test(config, dropin_directory_unreadable_is_an_error) {
        _cleanup_(freep) char *d = path_join(etc, "r.pool.d");
        _cleanup_(strv_freep) char **errors = NULL;
        PoolConfig *c = NULL;

        free(write_pool("r", ""));
        cr_assert_eq(symlink("r.pool.d", d), 0);        /* a directory that loops */
        cr_assert_lt(config_load_pool("r", dirs, NULL, &c, &errors), 0);
        assert_error(errors, "%s: Cannot read the drop-in directory: Too many levels of symbolic links", d);
}

Test(config, dropin_name_not_utf8_is_an_error) {
        _cleanup_(freep) char *d = path_join(etc, "n.pool.d");

        free(write_pool("n", ""));
        write_file_free(etc, "n.pool.d/b\xff.conf", "[Pool]\nWorkers=2\n");
        _cleanup_(strv_freep) char **errors = load_bad("n");

        assert_error(errors, "%s: Drop-in file name 'b\xef\xbf\xbd.conf' is not valid UTF-8", d);
}

Test(enumerate, invalid_names_and_unreadable_dirs_reported) {
        _cleanup_(strv_freep) char **names = NULL, **errors = NULL;
        _cleanup_(freep) char *loopdir = path_join(root, "loop.d");
        const char *with_loop[] = { etc, loopdir, NULL };

        free(write_pool("good", ""));
        free(write_pool("bad name", ""));
        cr_assert_eq(symlink("loop.d", loopdir), 0);
        cr_assert_eq(config_enumerate_pools(with_loop, &names, &errors), 1, "a directory could not be read");
        cr_assert_eq(strv_length(names), 1);
        cr_assert_str_eq(names[0], "good");
        assert_error_contains(errors, "/bad name.pool: 'bad name' is not a valid pool name", NULL);
        assert_error(errors, "%s: Cannot read the pool directory: Too many levels of symbolic links", loopdir);
        cr_assert_eq(strv_length(errors), 2, "%s", errors_joined(errors));
}

Test(config, sources_reparse_to_the_same_config) {
        _cleanup_(pool_config_freep) PoolConfig *a = NULL, *b = NULL;
        _cleanup_(strv_freep) char **errors = NULL;
        _cleanup_(freep) char *main_path = write_pool("s", "Workers=3\nDescription=one\n");
        _cleanup_(freep) char *dropin = write_file(run, "s.pool.d/10-more.conf",
                                                   "[Resources]\nMemoryMax=64M\n[Pool]\nWorkers=5\n");

        a = load_ok("s");
        cr_assert_eq(strv_length(a->sources), 4);
        cr_assert_str_eq(a->sources[0], main_path);
        cr_assert_str_eq(a->sources[2], dropin);
        /* Later changes on the bus go into the overlay... */
        cr_assert_eq(pool_config_set_property(a, NULL, "TasksMax", "77", NULL), 0);
        cr_assert_eq(strv_length(a->sources), 6);
        cr_assert_str_eq(a->sources[4], POOL_CONFIG_SET_PROPERTIES_SOURCE);
        /* ...and the files may change on disk: what ran is parsed again. */
        write_file_free(etc, "s.pool", "[Pool]\nMemoryMax=lots\n");
        cr_assert_eq(config_load_pool_from_sources("s", a->sources, NULL, &b, &errors), 0, "%s", errors_joined(errors));
        cr_assert_eq(b->workers, 5);
        cr_assert_str_eq(b->description, "one");
        cr_assert_eq(b->memory_max, 64 * MiB);
        cr_assert_eq(b->tasks_max, 77);
        cr_assert_str_eq(b->path, main_path);
        cr_assert_eq(strv_length(b->dropins), 1, "the overlay is not a drop-in");
        cr_assert_str_eq(b->dropins[0], dropin);
        cr_assert(!pool_config_exec_changed(a, b));
        cr_assert(!pool_config_resources_changed(a, b));
}

/* What the bus layer sets (SetProperties()) and copies. */
Test(config, set_property_and_dup) {
        PoolConfig *c = NULL, *d = NULL;
        char *err = NULL;

        cr_assert_eq(pool_config_new("web", NULL, &c), 0);
        c->max_workers = 10;
        cr_assert_eq(pool_config_set_property(c, NULL, "MemoryMax", "512M", &err), 0);
        cr_assert_eq(c->memory_max, UINT64_C(512) << 20);
        cr_assert_eq(pool_config_set_property(c, NULL, "CPUQuota", "50%", &err), 0);
        cr_assert_eq(c->cpu_quota_per_sec_usec, 500000);
        cr_assert_eq(pool_config_set_property(c, NULL, "Restart", "always", &err), 0);
        cr_assert_eq(c->restart, RESTART_ALWAYS);

        cr_assert_eq(pool_config_set_property(c, NULL, "MemoryMax", "lots", &err), -EINVAL);
        cr_assert_str_eq(err, "Invalid MemoryMax= value 'lots': expected a size like 512M or infinity");
        free(err);
        cr_assert_eq(pool_config_set_property(c, NULL, "Workers", "11", &err), -EINVAL);
        cr_assert(strstr(err, "outside MinWorkers..MaxWorkers"), "%s", err);
        cr_assert_neq(err[0], ':');
        free(err);
        c->workers = 1;         /* half changed on error, as documented */
        cr_assert_eq(pool_config_set_property(c, NULL, "NoSuchKey", "1", &err), -ENOENT);
        cr_assert_null(err);
        cr_assert_eq(pool_config_set_property(c, NULL, "", "1", &err), -ENOENT);

        /* empty: back to the default */
        cr_assert_eq(pool_config_set_property(c, NULL, "MemoryMax", "", &err), 0);
        cr_assert_eq(c->memory_max, CGROUP_LIMIT_MAX);

        cr_assert_str_eq(pool_config_property_section("MemoryMax"), "Resources");
        cr_assert_str_eq(pool_config_property_section("Workers"), "Pool");
        cr_assert_null(pool_config_property_section("Nope"));

        c->description = strdup("d");
        cr_assert_eq(pool_config_dup(c, &d), 0);
        cr_assert_str_eq(d->name, "web");
        cr_assert_str_eq(d->description, "d");
        cr_assert_neq(d->description, c->description);
        cr_assert_eq(d->restart, RESTART_ALWAYS);
        pool_config_free(c);
        pool_config_free(d);
}

/* ---- health checks and the pool's commands ------------------------------- */

Test(config, health_and_commands_defaults) {
        _cleanup_(freep) char *path = write_pool("h", "");
        (void) path;   /* kept for its cleanup: the file goes with the test */
        _cleanup_(pool_config_freep) PoolConfig *c = load_ok("h");

        cr_assert_null(c->exec_health_check);
        cr_assert_eq(c->health_check_interval_usec, 30 * SEC);
        cr_assert_eq(c->health_check_timeout_usec, 30 * SEC);
        cr_assert_eq(c->health_check_retries, 3);
        cr_assert_eq(c->exec_start_pre.n, 0);
        cr_assert_null(c->exec_start_pre.commands);
        cr_assert_eq(c->exec_stop_post.n, 0);
}

Test(config, health_and_commands_keys) {
        _cleanup_(freep) char *path = write_pool("h",
                "ExecHealthCheck=/bin/sh -c 'curl -f http://localhost:%%d/' \"a b\"\n"
                "HealthCheckIntervalSec=5s\n"
                "HealthCheckTimeoutSec=1min 30s\n"
                "HealthCheckRetries=1000\n"
                "ExecStartPre=/bin/echo one %n\n"
                "ExecStartPre=-/bin/false\n"
                "ExecStartPre=echo three\n"
                "ExecStopPost=-/bin/true\n");
        (void) path;   /* kept for its cleanup: the file goes with the test */
        _cleanup_(pool_config_freep) PoolConfig *c = load_ok("h");

        cr_assert_eq(strv_length(c->exec_health_check), 4);
        cr_assert_str_eq(c->exec_health_check[2], "curl -f http://localhost:%d/");
        cr_assert_str_eq(c->exec_health_check[3], "a b");
        cr_assert_eq(c->health_check_interval_usec, 5 * SEC);
        cr_assert_eq(c->health_check_timeout_usec, 90 * SEC);
        cr_assert_eq(c->health_check_retries, 1000);
        cr_assert_eq(c->exec_start_pre.n, 3);
        cr_assert_str_eq(c->exec_start_pre.commands[0].argv[2], "h", "%%n is the pool name");
        cr_assert_not(c->exec_start_pre.commands[0].ignore_failure);
        cr_assert_str_eq(c->exec_start_pre.commands[1].argv[0], "/bin/false");
        cr_assert(c->exec_start_pre.commands[1].ignore_failure);
        cr_assert_eq(c->exec_start_pre.commands[2].argv[0][0], '/', "looked up in the search path");
        cr_assert_eq(c->exec_stop_post.n, 1);
        cr_assert(c->exec_stop_post.commands[0].ignore_failure);
}

Test(config, health_timeout_zero_is_none) {
        _cleanup_(freep) char *path = write_pool("h", "HealthCheckTimeoutSec=0\n");
        (void) path;   /* kept for its cleanup: the file goes with the test */
        _cleanup_(pool_config_freep) PoolConfig *c = load_ok("h");

        cr_assert_eq(c->health_check_timeout_usec, USEC_INFINITY);
}

Test(config, commands_accumulate_and_reset) {
        _cleanup_(freep) char *path = write_pool("h",
                "ExecStartPre=/bin/echo a\nExecStartPre=/bin/echo b\nExecHealthCheck=/bin/true\n");
        (void) path;   /* kept for its cleanup: the file goes with the test */
        write_file_free(etc, "h.pool.d/x.conf",
                        "[Pool]\nExecStartPre=\nExecStartPre=/bin/echo c\nExecHealthCheck=\n"
                        "ExecHealthCheck=/bin/false\nHealthCheckRetries=\n");
        _cleanup_(pool_config_freep) PoolConfig *c = load_ok("h");

        cr_assert_eq(c->exec_start_pre.n, 1, "an empty assignment resets the list");
        cr_assert_str_eq(c->exec_start_pre.commands[0].argv[1], "c");
        cr_assert_str_eq(c->exec_health_check[0], "/bin/false");
        cr_assert_eq(c->health_check_retries, 3);
}

Test(config, health_and_commands_errors_file_line) {
        _cleanup_(freep) char *path = write_pool("h",
                "HealthCheckIntervalSec=0\n"                    /* 3 */
                "HealthCheckIntervalSec=infinity\n"             /* 4 */
                "HealthCheckIntervalSec=often\n"                /* 5 */
                "HealthCheckTimeoutSec=soon\n"                  /* 6 */
                "HealthCheckRetries=0\n"                        /* 7 */
                "HealthCheckRetries=1001\n"                     /* 8 */
                "HealthCheckRetries=three\n"                    /* 9 */
                "ExecHealthCheck=relative/probe\n"              /* 10 */
                "ExecHealthCheck=/bin/true\n"                   /* 11 */
                "ExecHealthCheck=/bin/false\n"                  /* 12 */
                "ExecStartPre=@/bin/true x\n"                   /* 13 */
                "ExecStopPost=/bin/echo \"open\n"               /* 14 */
                "ExecStartPre=--/bin/true\n"                    /* 15 */
                "ExecStopPost=-\n");                            /* 16 */
        _cleanup_(strv_freep) char **errors = load_bad("h");

        cr_assert_eq(strv_length(errors), 13, "%zu: %s", strv_length(errors), errors_joined(errors));
        assert_error(errors, "%s:3: Invalid HealthCheckIntervalSec= value '0': expected a time span above 0 and "
                             "below infinity, like 30s", path);
        assert_error(errors, "%s:4: Invalid HealthCheckIntervalSec= value 'infinity': expected a time span above 0 "
                             "and below infinity, like 30s", path);
        assert_error(errors, "%s:5: Invalid HealthCheckIntervalSec= value 'often': expected a time span like 5s, "
                             "100ms, 1min 30s or infinity", path);
        assert_error_contains(errors, ":6: Invalid HealthCheckTimeoutSec= value 'soon'", NULL);
        assert_error(errors, "%s:7: Invalid HealthCheckRetries= value '0': must be between 1 and 1000", path);
        assert_error(errors, "%s:8: Invalid HealthCheckRetries= value '1001': must be between 1 and 1000", path);
        assert_error(errors, "%s:9: Invalid HealthCheckRetries= value 'three': expected an unsigned integer", path);
        assert_error_contains(errors, ":10: Invalid ExecHealthCheck= value 'relative/probe'", "absolute");
        assert_error(errors, "%s:12: ExecHealthCheck= may be given only once (an empty ExecHealthCheck= first "
                             "resets it)", path);
        assert_error_contains(errors, ":13: Invalid ExecStartPre= value '@/bin/true x'", "prefix");
        assert_error(errors, "%s:14: Invalid ExecStopPost= value '/bin/echo \"open': unterminated double quote",
                     path);
        assert_error_contains(errors, ":15: Invalid ExecStartPre= value '--/bin/true'", "prefix");
        assert_error_contains(errors, ":16: Invalid ExecStopPost= value '-'", NULL);
}

Test(config, at_most_32_commands) {
        char body[4096] = "";
        _cleanup_(freep) char *path = NULL;
        _cleanup_(strv_freep) char **errors = NULL;

        for (int i = 0; i < 33; i++)
                strcat(body, "ExecStopPost=/bin/true\n");
        path = write_pool("h", body);
        errors = load_bad("h");
        cr_assert_eq(strv_length(errors), 1, "%s", errors_joined(errors));
        assert_error(errors, "%s:35: Too many ExecStopPost= commands: at most 32 (an empty ExecStopPost= resets "
                             "the list)", path);
}

Test(config, commands_dup_and_set_property) {
        _cleanup_(freep) char *path = write_pool("h", "ExecStartPre=-/bin/echo a\nExecHealthCheck=/bin/true\n");
        (void) path;   /* kept for its cleanup: the file goes with the test */
        _cleanup_(pool_config_freep) PoolConfig *c = load_ok("h"), *n = NULL;
        char *err = NULL;

        cr_assert_eq(pool_config_dup(c, &n), 0);
        cr_assert(exec_command_list_equal(&c->exec_start_pre, &n->exec_start_pre));
        cr_assert_neq(n->exec_start_pre.commands, c->exec_start_pre.commands);
        cr_assert_neq(n->exec_start_pre.commands[0].argv, c->exec_start_pre.commands[0].argv);
        cr_assert(n->exec_start_pre.commands[0].ignore_failure);
        cr_assert(strv_equal(n->exec_health_check, c->exec_health_check));
        cr_assert_neq(n->exec_health_check, c->exec_health_check);

        /* over the bus: an assignment adds a command, as in a file */
        cr_assert_eq(pool_config_set_property(n, NULL, "ExecStartPre", "/bin/echo b", &err), 0, "%s", err);
        cr_assert_eq(n->exec_start_pre.n, 2);
        cr_assert_not(exec_command_list_equal(&c->exec_start_pre, &n->exec_start_pre));
        cr_assert_eq(pool_config_set_property(n, NULL, "HealthCheckRetries", "0", &err), -EINVAL);
        cr_assert_str_eq(err, "Invalid HealthCheckRetries= value '0': must be between 1 and 1000");
        free(err);
        cr_assert_str_eq(pool_config_property_section("ExecHealthCheck"), "Pool");
        cr_assert_str_eq(pool_config_property_section("ExecStopPost"), "Pool");
}

/* StandardOutput=, StandardError=: systemd.exec(5)'s names, the paths
 * absolute, the others of systemd's refused with file:line. */
Test(config, standard_output) {
        static const struct { const char *value; OutputKind kind; const char *path; } good[] = {
                { "inherit", OUTPUT_INHERIT, NULL }, { "null", OUTPUT_NULL, NULL },
                { "journal", OUTPUT_JOURNAL, NULL }, { "file:/var/log/a b", OUTPUT_FILE, "/var/log/a b" },
                { "append:/x", OUTPUT_APPEND, "/x" }, { "truncate:/y", OUTPUT_TRUNCATE, "/y" },
        };
        static const char *const bad[] = { "tty", "kmsg", "socket", "fd:foo", "file:", "file:rel", "append",
                                           "journal+console", "nul" };
        char buf[PATH_MAX + 32];

        for (size_t k = 0; k < ELEMENTSOF(good); k++) {
                _cleanup_(freep) char *body = NULL, *path = NULL;
                _cleanup_(pool_config_freep) PoolConfig *c = NULL;

                cr_assert_geq(asprintf(&body, "StandardOutput=%s\nStandardError=%s\n", good[k].value,
                                       good[k].value), 0);
                path = write_pool("out", body);
                c = load_ok("out");
                cr_assert_eq(c->std_output.kind, good[k].kind, "%s", good[k].value);
                cr_assert_eq(c->std_error.kind, good[k].kind, "%s", good[k].value);
                if (good[k].path)
                        cr_assert_str_eq(c->std_output.path, good[k].path);
                else
                        cr_assert_null(c->std_output.path);
                cr_assert_str_eq(output_spec_to_string(&c->std_output, buf, sizeof buf), good[k].value);
        }
        for (size_t k = 0; k < ELEMENTSOF(bad); k++) {
                _cleanup_(freep) char *body = NULL, *path = NULL;
                _cleanup_(strv_freep) char **errors = NULL;

                cr_assert_geq(asprintf(&body, "StandardOutput=%s\n", bad[k]), 0);
                path = write_pool("out", body);
                errors = load_bad("out");
                cr_assert_eq(strv_length(errors), 1, "%s:\n%s", bad[k], errors_joined(errors));
                cr_assert(strstr(errors[0], ":3: Invalid StandardOutput= value"), "%s", errors[0]);
        }
        {
                /* empty: back to the default; a changed one is an exec change */
                _cleanup_(freep) char *p1 = write_pool("out", "StandardOutput=null\nStandardOutput=\n");
                _cleanup_(pool_config_freep) PoolConfig *a = load_ok("out");
                _cleanup_(freep) char *p2 = write_pool("out", "StandardOutput=null\n");
                _cleanup_(pool_config_freep) PoolConfig *b = load_ok("out");

                cr_assert_eq(a->std_output.kind, OUTPUT_DEFAULT);
                cr_assert(pool_config_exec_changed(a, b));
        }
}
