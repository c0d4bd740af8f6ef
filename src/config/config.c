/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <syslog.h>
#include <unistd.h>

#include "config.h"
#include "config-internal.h"
#include "dropin.h"
#include "exec-split.h"
#include "../shared/parse-util.h"
#include "../shared/log.h"   /* log_parse_level() only: this layer never logs */
#include "../shared/strv.h"
#include "../shared/utf8.h"
#include "sandbox-util.h"
#include "../spawn/seccomp.h"


const char *const config_default_dirs[] = {
        "/etc/workerpoold/pools.d",
        "/run/workerpoold/pools.d",
        "/usr/lib/workerpoold/pools.d",
        NULL,
};

/* ---- enums --------------------------------------------------------------- */

static const char *const pool_type_table[_POOL_TYPE_MAX] = {
        [POOL_TYPE_SIMPLE] = "simple",
        [POOL_TYPE_NOTIFY] = "notify",
};

static const char *const scaling_mode_table[_SCALING_MAX] = {
        [SCALING_STATIC] = "static",
        [SCALING_ONDEMAND] = "ondemand",
        [SCALING_DYNAMIC] = "dynamic",
};

const char *scaling_mode_to_string(ScalingMode m) {
        return m >= 0 && m < _SCALING_MAX ? scaling_mode_table[m] : NULL;
}

ScalingMode scaling_mode_from_string(const char *s) {
        for (ScalingMode m = 0; m < _SCALING_MAX; m++)
                if (streq(s, scaling_mode_table[m]))
                        return m;
        return _SCALING_INVALID;
}

static const char *const restart_policy_table[_RESTART_MAX] = {
        [RESTART_NO] = "no",
        [RESTART_ON_SUCCESS] = "on-success",
        [RESTART_ON_FAILURE] = "on-failure",
        [RESTART_ON_ABNORMAL] = "on-abnormal",
        [RESTART_ON_WATCHDOG] = "on-watchdog",
        [RESTART_ON_ABORT] = "on-abort",
        [RESTART_ALWAYS] = "always",
};

static int string_table_lookup(const char *const *table, size_t n, const char *s) {
        if (!s)
                return -EINVAL;
        for (size_t i = 0; i < n; i++)
                if (table[i] && streq(table[i], s))
                        return (int) i;
        return -EINVAL;
}

static const char *const job_timeout_action_table[_JOB_TIMEOUT_ACTION_MAX] = {
        [JOB_TIMEOUT_ACTION_RESTART] = "restart",
        [JOB_TIMEOUT_ACTION_FAIL_POOL] = "fail-pool",
};

const char *job_timeout_action_to_string(JobTimeoutAction a) {
        return a >= 0 && a < _JOB_TIMEOUT_ACTION_MAX ? job_timeout_action_table[a] : NULL;
}

JobTimeoutAction job_timeout_action_from_string(const char *s) {
        return (JobTimeoutAction) string_table_lookup(job_timeout_action_table, _JOB_TIMEOUT_ACTION_MAX, s);
}

static const char *const failure_action_table[_FAILURE_ACTION_MAX] = {
        [FAILURE_ACTION_NONE] = "none",
        [FAILURE_ACTION_STOP_POOL] = "stop-pool",
        [FAILURE_ACTION_EXIT] = "exit",
};

const char *failure_action_to_string(FailureAction a) {
        return a >= 0 && a < _FAILURE_ACTION_MAX ? failure_action_table[a] : NULL;
}

FailureAction failure_action_from_string(const char *s) {
        return (FailureAction) string_table_lookup(failure_action_table, _FAILURE_ACTION_MAX, s);
}

const char *pool_type_to_string(PoolType t) {
        return t >= 0 && t < _POOL_TYPE_MAX ? pool_type_table[t] : NULL;
}

PoolType pool_type_from_string(const char *s) {
        return (PoolType) string_table_lookup(pool_type_table, _POOL_TYPE_MAX, s);
}

const char *restart_policy_to_string(RestartPolicy r) {
        return r >= 0 && r < _RESTART_MAX ? restart_policy_table[r] : NULL;
}

RestartPolicy restart_policy_from_string(const char *s) {
        return (RestartPolicy) string_table_lookup(restart_policy_table, _RESTART_MAX, s);
}

static const char *const notify_access_table[_NOTIFY_ACCESS_MAX] = {
        [NOTIFY_ACCESS_MAIN] = "main",
        [NOTIFY_ACCESS_EXEC] = "exec",
        [NOTIFY_ACCESS_ALL] = "all",
};

const char *notify_access_to_string(NotifyAccess a) {
        return a >= 0 && a < _NOTIFY_ACCESS_MAX ? notify_access_table[a] : NULL;
}

NotifyAccess notify_access_from_string(const char *s) {
        return (NotifyAccess) string_table_lookup(notify_access_table, _NOTIFY_ACCESS_MAX, s);
}

/* ---- small helpers ------------------------------------------------------- */

bool pool_name_is_valid(const char *name) {
        size_t n;

        if (isempty(name))
                return false;
        n = strlen(name);
        if (n > 64)
                return false;
        if (name[0] == '.' || name[0] == '-')
                return false;
        for (size_t i = 0; i < n; i++) {
                char c = name[i];
                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      strchr("_.:-", c)))
                        return false;
        }
        return true;
}

/* User=/Group=: a numeric id, or a name in systemd's relaxed sense: no
 * whitespace, control characters, ':' or '/', not starting with '-' or '+',
 * not "." or "..", not all digits unless a valid id. */
bool user_group_name_is_valid(const char *s) {
        size_t n;

        if (isempty(s))
                return false;
        n = strlen(s);
        if (n > 256)
                return false;
        if (strspn(s, "0123456789") == n) {
                uint32_t id;
                /* (uid_t) -1 and the 16-bit -1 are not valid ids */
                return parse_uint32(s, &id) >= 0 && id != UINT32_MAX && id != 65535;
        }
        if (s[0] == '-' || s[0] == '+' || streq(s, ".") || streq(s, ".."))
                return false;
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char) s[i];
                if (c < 0x20 || c == 0x7f || c == ' ' || c == ':' || c == '/')
                        return false;
        }
        return true;
}

bool env_name_is_valid(const char *s, size_t n) {
        if (n == 0 || (s[0] >= '0' && s[0] <= '9'))
                return false;
        for (size_t i = 0; i < n; i++) {
                char c = s[i];
                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '_'))
                        return false;
        }
        return true;
}

/* KEY=VALUE with a valid name; the value may hold tabs and newlines but no
 * other control characters (as systemd). */
bool env_assignment_is_valid(const char *s) {
        const char *eq = strchr(s, '=');

        if (!eq || !env_name_is_valid(s, (size_t) (eq - s)))
                return false;
        for (const char *c = eq + 1; *c; c++) {
                unsigned char u = (unsigned char) *c;
                if ((u < 0x20 && u != '\t' && u != '\n') || u == 0x7f)
                        return false;
        }
        return true;
}

uint64_t physical_memory(void) {
        long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);

        if (pages <= 0 || size <= 0)
                return 0;
        if ((uint64_t) pages > UINT64_MAX / (uint64_t) size)
                return UINT64_MAX - 1;
        return (uint64_t) pages * (uint64_t) size;
}

int read_pid_max(uint64_t *ret) {
        _cleanup_(freep) char *line = NULL;
        FILE *f;
        size_t sz = 0;
        ssize_t k;
        int r;

        f = fopen("/proc/sys/kernel/pid_max", "re");
        if (!f)
                return negative_errno();
        k = getline(&line, &sz, f);
        r = k < 0 ? -EIO : 0;
        fclose(f);
        if (r < 0)
                return r;
        return parse_uint64(strstrip(line), ret);
}

/* ---- the parser ---------------------------------------------------------- */

static void config_parser_done(ConfigParser *p) {
        p->section = mfree(p->section);
        p->errors = strv_free(p->errors);
        p->locs = mfree(p->locs);
}

static int config_parser_init(ConfigParser *p, const ConfigItem *items, void *target,
                              const void *defaults) {
        size_t n = 0;

        while (items[n].key)
                n++;
        *p = (ConfigParser) {
                .items = items,
                .n_items = n,
                .target = target,
                .defaults = defaults,
        };
        p->locs = calloc(n ? n : 1, sizeof(ConfigLocation));
        if (!p->locs)
                return -ENOMEM;
        return 0;
}

int config_error_at(ConfigParser *p, const char *path, unsigned line, const char *format, ...) {
        _cleanup_(freep) char *msg = NULL;
        char *s;
        va_list ap;
        int r;

        va_start(ap, format);
        r = vasprintf(&msg, format, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;

        if (!path)
                r = asprintf(&s, "%s", msg);            /* e.g. a config not from a file */
        else if (line > 0)
                r = asprintf(&s, "%s:%u: %s", path, line, msg);
        else
                r = asprintf(&s, "%s: %s", path, msg);
        if (r < 0)
                return -ENOMEM;
        r = strv_consume(&p->errors, s);
        if (r < 0)
                return r;
        return -EINVAL;
}


int config_invalid(ConfigParser *p, const ConfigItem *item, const char *value, const char *why) {
        return config_error(p, "Invalid %s= value '%s': %s", item->key, value, why);
}

static const ConfigItem *config_find_item(const ConfigParser *p, const char *section, const char *key) {
        for (size_t i = 0; i < p->n_items; i++)
                if (streq(p->items[i].section, section) && streq(p->items[i].key, key))
                        return &p->items[i];
        return NULL;
}

const ConfigLocation *config_location(const ConfigParser *p, const char *section, const char *key) {
        const ConfigItem *item = config_find_item(p, section, key);

        if (!item || !p->locs[item - p->items].path)
                return NULL;
        return &p->locs[item - p->items];
}

static bool config_section_is_known(const ConfigParser *p, const char *section) {
        for (size_t i = 0; i < p->n_items; i++)
                if (streq(p->items[i].section, section))
                        return true;
        return false;
}

/* ---- tables -------------------------------------------------------------- */

#define POOL(field) offsetof(PoolConfig, field)
#define MANAGER(field) offsetof(ManagerConfig, field)

static const ConfigItem pool_items[] = {
        { "Pool", "Description",              config_parse_string,            POOL(description) },
        { "Pool", "ExecStart",                config_parse_exec_start,        POOL(exec_start) },
        { "Pool", "Environment",              config_parse_environment,       POOL(environment) },
        { "Pool", "WorkingDirectory",         config_parse_working_directory, POOL(working_directory) },
        { "Pool", "StandardOutput",           config_parse_output,            POOL(std_output) },
        { "Pool", "StandardError",            config_parse_output,            POOL(std_error) },
        { "Pool", "Type",                     config_parse_pool_type,         POOL(type) },
        { "Pool", "NotifyAccess",             config_parse_notify_access,     POOL(notify_access) },
        { "Pool", "Workers",                  config_parse_uint32,            POOL(workers), 0, 0, POOL_WORKERS_MAX },
        { "Pool", "MinWorkers",               config_parse_uint32,            POOL(min_workers), 0, 0, POOL_WORKERS_MAX },
        /* infinity: UINT32_MAX, "no cap below POOL_WORKERS_MAX" */
        { "Pool", "MaxWorkers",               config_parse_max_workers,       POOL(max_workers),
          CONFIG_UINT_INFINITY, 0, POOL_WORKERS_MAX },
        { "Pool", "Restart",                  config_parse_restart,           POOL(restart) },
        { "Pool", "Scaling",                  config_parse_scaling,           POOL(scaling) },
        { "Pool", "MinIdleWorkers",           config_parse_uint32,            POOL(min_idle_workers), 0, 0, POOL_WORKERS_MAX },
        { "Pool", "MaxIdleWorkers",           config_parse_uint32,            POOL(max_idle_workers), 0, 0, POOL_WORKERS_MAX },
        { "Pool", "IdleTimeoutSec",           config_parse_sec,               POOL(idle_timeout_usec) },
        { "Pool", "ScalingMaxMemoryPressure", config_parse_pressure,          POOL(scaling_max_memory_pressure) },
        { "Pool", "PoolMemoryMax",            config_parse_memory,            POOL(pool_memory_max), CONFIG_MEMORY_PERCENT },
        { "Pool", "SuccessExitStatus",        config_parse_exit_status,       POOL(success_exit_status) },
        { "Pool", "RestartPreventExitStatus", config_parse_exit_status,       POOL(restart_prevent_exit_status) },
        { "Pool", "RestartForceExitStatus",   config_parse_exit_status,       POOL(restart_force_exit_status) },
        { "Pool", "RestartSec",               config_parse_sec,               POOL(restart_usec) },
        { "Pool", "RestartMaxDelaySec",       config_parse_sec,               POOL(restart_max_delay_usec) },
        { "Pool", "StartLimitIntervalSec",    config_parse_sec,               POOL(start_limit_interval_usec) },
        { "Pool", "StartLimitBurst",          config_parse_unsigned,          POOL(start_limit_burst), 0, 0, POOL_START_LIMIT_BURST_MAX },
        { "Pool", "TimeoutStartSec",          config_parse_sec,               POOL(timeout_start_usec), CONFIG_SEC_FIX_0 },
        { "Pool", "TimeoutStopSec",           config_parse_sec,               POOL(timeout_stop_usec), CONFIG_SEC_FIX_0 },
        { "Pool", "TimeoutSec",               config_parse_timeout,           POOL(timeout_start_usec), CONFIG_SEC_FIX_0 },
        { "Pool", "WatchdogSec",              config_parse_sec,               POOL(watchdog_usec) },
        { "Pool", "ExitHistory",              config_parse_unsigned,          POOL(exit_history), 0, 1, POOL_EXIT_HISTORY_MAX },
        { "Pool", "JobTimeoutSec",            config_parse_sec,               POOL(job_timeout_usec) },
        { "Pool", "JobTimeoutSignal",         config_parse_signal,            POOL(job_timeout_signal) },
        { "Pool", "JobTimeoutAction",         config_parse_job_timeout_action, POOL(job_timeout_action) },
        { "Pool", "WaitTimeoutSec",           config_parse_sec,               POOL(wait_timeout_usec) },
        { "Pool", "MaxJobs",                  config_parse_uint64,            POOL(max_jobs), 0, 0, UINT64_MAX - 1 },
        { "Pool", "MaxJobsJitter",            config_parse_uint64,            POOL(max_jobs_jitter), 0, 0, UINT32_MAX },
        { "Pool", "RuntimeMaxSec",            config_parse_sec,               POOL(runtime_max_usec), CONFIG_SEC_FIX_0 },
        { "Pool", "RuntimeRandomizedExtraSec", config_parse_sec,              POOL(runtime_randomized_extra_usec) },
        { "Pool", "MemoryRecycle",            config_parse_memory_recycle,    POOL(memory_recycle) },
        { "Pool", "ReloadSignal",             config_parse_signal,            POOL(reload_signal) },
        { "Pool", "KillSignal",               config_parse_signal,            POOL(kill_signal) },
        { "Pool", "FailureAction",            config_parse_failure_action,    POOL(failure_action) },
        { "Pool", "ProtocolViolationLimit",   config_parse_unsigned,          POOL(protocol_violation_limit),
          CONFIG_UINT_INFINITY, 1, UINT_MAX },
        { "Pool", "ExecHealthCheck",          config_parse_exec_command,      POOL(exec_health_check) },
        { "Pool", "HealthCheckIntervalSec",   config_parse_sec,               POOL(health_check_interval_usec),
          CONFIG_SEC_POSITIVE },
        { "Pool", "HealthCheckTimeoutSec",    config_parse_sec,               POOL(health_check_timeout_usec),
          CONFIG_SEC_FIX_0 },
        { "Pool", "HealthCheckRetries",       config_parse_unsigned,          POOL(health_check_retries),
          0, 1, POOL_HEALTH_CHECK_RETRIES_MAX },
        { "Pool", "ExecStartPre",             config_parse_exec_command_list, POOL(exec_start_pre) },
        { "Pool", "ExecStopPost",             config_parse_exec_command_list, POOL(exec_stop_post) },
        { "Pool", "RestartParallel",          config_parse_unsigned,          POOL(restart_parallel),
          0, 1, POOL_WORKERS_MAX },

        { "Socket", "ListenStream",           config_parse_listen,            POOL(listen) },
        { "Socket", "ListenDatagram",         config_parse_listen,            POOL(listen) },
        { "Socket", "ListenSequentialPacket", config_parse_listen,            POOL(listen) },
        { "Socket", "FileDescriptorName",     config_parse_fd_name,           POOL(fd_name) },
        { "Socket", "Backlog",                config_parse_unsigned,          POOL(backlog), 0, 0, INT_MAX },
        { "Socket", "BindIPv6Only",           config_parse_bind_ipv6_only,    POOL(bind_ipv6_only) },
        { "Socket", "FreeBind",               config_parse_bool,              POOL(free_bind) },
        { "Socket", "ReusePort",              config_parse_bool,              POOL(reuse_port) },
        { "Socket", "NoDelay",                config_parse_bool,              POOL(no_delay) },
        { "Socket", "KeepAlive",              config_parse_bool,              POOL(keep_alive) },
        { "Socket", "DeferAcceptSec",         config_parse_sec,               POOL(defer_accept_usec) },
        { "Socket", "SocketUser",             config_parse_user_group,        POOL(socket_user) },
        { "Socket", "SocketGroup",            config_parse_user_group,        POOL(socket_group) },
        { "Socket", "SocketMode",             config_parse_mode,              POOL(socket_mode) },
        { "Socket", "RemoveOnStop",           config_parse_bool,              POOL(remove_on_stop) },

        { "Resources", "MemoryMax",           config_parse_memory,            POOL(memory_max), CONFIG_MEMORY_PERCENT },
        { "Resources", "MemoryHigh",          config_parse_memory,            POOL(memory_high), CONFIG_MEMORY_PERCENT },
        { "Resources", "MemorySwapMax",       config_parse_memory,            POOL(memory_swap_max), CONFIG_MEMORY_ZERO },
        { "Resources", "CPUQuota",            config_parse_cpu_quota,         POOL(cpu_quota_per_sec_usec) },
        { "Resources", "CPUWeight",           config_parse_uint64,            POOL(cpu_weight), 0, 1, 10000 },
        { "Resources", "TasksMax",            config_parse_tasks_max,         POOL(tasks_max) },

        { "Sandbox", "User",                  config_parse_user_group,        POOL(user) },
        { "Sandbox", "Group",                 config_parse_user_group,        POOL(group) },
        { "Sandbox", "SupplementaryGroups",   config_parse_groups,            POOL(supplementary_groups) },
        { "Sandbox", "NoNewPrivileges",       config_parse_bool,              POOL(no_new_privileges) },
        { "Sandbox", "PrivateTmp",            config_parse_bool,              POOL(private_tmp) },
        { "Sandbox", "CapabilityBoundingSet", config_parse_capabilities,      POOL(capability_bounding_set), CONFIG_CAP_BOUNDING },
        { "Sandbox", "AmbientCapabilities",   config_parse_capabilities,      POOL(ambient_capabilities) },
        { "Sandbox", "UMask",                 config_parse_umask,             POOL(umask) },
        { "Sandbox", "SystemCallFilter",      config_parse_syscall_filter,    POOL(syscall_filter) },
        { "Sandbox", "SystemCallErrorNumber", config_parse_syscall_errno,     POOL(syscall_error_number) },
        { "Sandbox", "SystemCallArchitectures", config_parse_syscall_archs,   POOL(syscall_archs_native) },
#define LIMIT(k) { "Sandbox", k, config_parse_rlimit, POOL(rlimits) }
        LIMIT("LimitCPU"), LIMIT("LimitFSIZE"), LIMIT("LimitDATA"), LIMIT("LimitSTACK"),
        LIMIT("LimitCORE"), LIMIT("LimitRSS"), LIMIT("LimitNOFILE"), LIMIT("LimitAS"),
        LIMIT("LimitNPROC"), LIMIT("LimitMEMLOCK"), LIMIT("LimitLOCKS"), LIMIT("LimitSIGPENDING"),
        LIMIT("LimitMSGQUEUE"), LIMIT("LimitNICE"), LIMIT("LimitRTPRIO"), LIMIT("LimitRTTIME"),
#undef LIMIT
        {}
};

static const ConfigItem manager_items[] = {
        { "Manager", "LogLevel",                     config_parse_log_level, MANAGER(log_level) },
        { "Manager", "DefaultRestartSec",            config_parse_sec,       MANAGER(default_restart_usec) },
        { "Manager", "DefaultRestartMaxDelaySec",    config_parse_sec,       MANAGER(default_restart_max_delay_usec) },
        { "Manager", "DefaultTimeoutStartSec",       config_parse_sec,       MANAGER(default_timeout_start_usec),
          CONFIG_SEC_FIX_0 },
        { "Manager", "DefaultTimeoutStopSec",        config_parse_sec,       MANAGER(default_timeout_stop_usec),
          CONFIG_SEC_FIX_0 },
        { "Manager", "DefaultStartLimitIntervalSec", config_parse_sec,       MANAGER(default_start_limit_interval_usec) },
        { "Manager", "DefaultStartLimitBurst",       config_parse_unsigned,  MANAGER(default_start_limit_burst),
          0, 0, POOL_START_LIMIT_BURST_MAX },
        { "Manager", "DefaultExitHistory",           config_parse_unsigned,  MANAGER(default_exit_history),
          0, 1, POOL_EXIT_HISTORY_MAX },
        {}
};

/* ---- INI syntax ---------------------------------------------------------- */

static int config_parse_assignment(ConfigParser *p, char *l) {
        const ConfigItem *item;
        char *eq, *key, *value;
        int r;

        eq = strchr(l, '=');
        if (!eq)
                return config_error(p, "Missing '=' in line '%s'", l);
        *eq = '\0';
        key = strstrip(l);
        value = strstrip(eq + 1);

        if (!p->section)
                return config_error(p, "Assignment %s= outside of any section", key);
        if (p->skip_section)
                return 0;
        if (isempty(key))
                return config_error(p, "Missing key name before '='");
        if (startswith(key, "X-"))
                return 0;       /* as systemd: extension keys are ignored */

        item = config_find_item(p, p->section, key);
        if (!item) {
                for (size_t i = 0; i < p->n_items; i++)
                        if (streq(p->items[i].key, key))
                                return config_error(p, "Unknown key %s= in section [%s] (it belongs in [%s])",
                                                    key, p->section, p->items[i].section);
                return config_error(p, "Unknown key %s= in section [%s]", key, p->section);
        }

        r = item->parse(p, item, value, (uint8_t *) p->target + item->offset,
                        (const uint8_t *) p->defaults + item->offset);
        if (r == -ENOMEM)
                return r;
        if (r >= 0)
                p->locs[item - p->items] = (ConfigLocation) { p->path, p->line, ++p->seq };
        return r;
}

static int config_parse_line(ConfigParser *p, char *l) {
        l = strstrip(l);
        if (l[0] == '\0' || strchr(COMMENTS, l[0]))
                return 0;

        if (l[0] == '[') {
                size_t n = strlen(l);
                char *s;

                p->section = mfree(p->section);
                if (n < 3 || l[n - 1] != ']' || memchr(l + 1, '[', n - 2) || memchr(l + 1, ']', n - 2)) {
                        /* Skip what follows, but do not report it as outside a section. */
                        p->section = strdup("");
                        p->skip_section = true;
                        if (!p->section)
                                return -ENOMEM;
                        return config_error(p, "Invalid section header '%s'", l);
                }
                s = strndup(l + 1, n - 2);
                if (!s)
                        return -ENOMEM;
                p->section = s;
                p->skip_section = false;
                if (startswith(s, "X-")) {
                        p->skip_section = true;   /* as systemd: extension sections are ignored */
                        return 0;
                }
                if (!config_section_is_known(p, s)) {
                        p->skip_section = true;
                        return config_error(p, "Unknown section [%s]", s);
                }
                return 0;
        }

        return config_parse_assignment(p, l);
}

/* Whether the last character is an unescaped backslash (a continuation). */
static bool line_continues(const char *l) {
        bool escaped = false;

        for (const char *c = l; *c; c++)
                escaped = !escaped && *c == '\\';
        return escaped;
}

static int config_parse_stream(ConfigParser *p, FILE *f) {
        _cleanup_(freep) char *buf = NULL, *cont = NULL;
        unsigned lineno = 0, start = 0;
        size_t sz = 0;
        int r;

        for (;;) {
                char *l;
                ssize_t k;

                errno = 0;
                k = getline(&buf, &sz, f);
                if (k < 0) {
                        if (ferror(f))
                                return errno > 0 ? -errno : -EIO;
                        break;
                }
                lineno++;
                l = buf;
                if ((size_t) k != strlen(l)) {
                        r = config_error_at(p, p->path, lineno, "Line contains a NUL byte");
                        if (r == -ENOMEM)
                                return r;
                        continue;
                }
                if (!utf8_is_valid(l)) {
                        /* the text reaches the bus (Description=, ExecStart=...), which
                         * takes valid UTF-8 only */
                        r = config_error_at(p, p->path, lineno, "Line is not valid UTF-8");
                        if (r == -ENOMEM)
                                return r;
                        continue;
                }
                if (lineno == 1 && startswith(l, "\xef\xbb\xbf"))
                        l += 3;         /* UTF-8 byte order mark */
                l[strcspn(l, "\n")] = '\0';
                if (k > 0 && l[0] != '\0' && l[strlen(l) - 1] == '\r')
                        l[strlen(l) - 1] = '\0';

                if (cont) {
                        const char *s = l + strspn(l, WHITESPACE);
                        char *j;

                        /* as systemd: comment lines inside a continuation are skipped */
                        if (s[0] != '\0' && strchr(COMMENTS, s[0]))
                                continue;
                        if (asprintf(&j, "%s%s", cont, l) < 0)
                                return -ENOMEM;
                        free(cont);
                        cont = j;
                } else {
                        cont = strdup(l);
                        if (!cont)
                                return -ENOMEM;
                        start = lineno;
                }

                if (line_continues(cont)) {
                        cont[strlen(cont) - 1] = ' ';
                        continue;
                }

                p->line = start;
                r = config_parse_line(p, cont);
                if (r == -ENOMEM)
                        return r;
                cont = mfree(cont);
        }

        if (cont) {
                /* the file ended with a continued line: parse what we have */
                p->line = start;
                r = config_parse_line(p, cont);
                if (r == -ENOMEM)
                        return r;
        }
        return 0;
}

/* Configuration files are small; a bigger one is a mistake (or /dev/zero). */
#define CONFIG_FILE_MAX (1024 * 1024)

/* Read one whole file. Returns 0 and the text in *ret_text (/dev/null: ""),
 * -ENOMEM, or -ENOENT if missing_ok and the file does not exist; any other
 * problem is recorded as PATH's error (and in p->io_error) and returns -EIO. */
static int config_read_file(ConfigParser *p, const char *path, bool missing_ok, char **ret_text) {
        _cleanup_(closep) int fd = -EBADF;
        _cleanup_(freep) char *text = NULL;
        size_t n = 0;
        struct stat st;
        int r;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0) {
                r = -errno;
                if (r == -ENOENT && missing_ok)
                        return r;
                goto fail;
        }
        if (fstat(fd, &st) < 0) {
                r = -errno;
                goto fail;
        }
        if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3)) {
                *ret_text = strdup("");         /* /dev/null: empty */
                return *ret_text ? 0 : -ENOMEM;
        }
        if (!S_ISREG(st.st_mode)) {
                r = S_ISDIR(st.st_mode) ? -EISDIR : -EBADFD;
                goto fail;
        }
        if (st.st_size > CONFIG_FILE_MAX) {
                r = -EFBIG;
                goto fail;
        }
        text = malloc(CONFIG_FILE_MAX + 1);
        if (!text)
                return -ENOMEM;
        for (;;) {
                ssize_t k = read(fd, text + n, CONFIG_FILE_MAX + 1 - n);

                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0) {
                        r = -errno;
                        goto fail;
                }
                if (k == 0)
                        break;
                n += (size_t) k;
                if (n > CONFIG_FILE_MAX) {
                        r = -EFBIG;
                        goto fail;
                }
        }
        text[n] = 0;
        /* A NUL byte cannot be part of a line: report each such line and
         * make it a comment, so that the rest is still checked. */
        for (char *z = memchr(text, 0, n); z; z = memchr(z, 0, n - (size_t) (z - text))) {
                char *start = z;
                unsigned line = 1;

                while (start > text && start[-1] != '\n')
                        start--;
                for (const char *c = text; c < start; c++)
                        line += *c == '\n';
                r = config_error_at(p, path, line, "Line contains a NUL byte");
                if (r == -ENOMEM)
                        return r;
                *start = '#';
                for (char *c = start + 1; c < text + n && *c != '\n'; c++)
                        if (*c == 0)
                                *c = ' ';
        }
        *ret_text = realloc(text, n + 1) ?: text;
        text = NULL;
        return 0;

fail:
        if (p->io_error == 0)
                p->io_error = r;
        r = config_error_at(p, path, 0, "Failed to read file: %s", strerror(-r));
        return r == -ENOMEM ? r : -EIO;
}

/* Parse one file's text into p->target, as PATH (errors are recorded).
 * Returns 0 or -ENOMEM. */
static int config_parse_text(ConfigParser *p, const char *path, const char *text) {
        FILE *f;
        int r;

        p->path = path;
        p->line = 0;
        p->section = mfree(p->section);
        p->skip_section = false;
        if (isempty(text))
                return 0;
        f = fmemopen((void *) text, strlen(text), "r");
        if (!f)
                return -ENOMEM;
        r = config_parse_stream(p, f);
        fclose(f);
        p->section = mfree(p->section);
        if (r == -ENOMEM)
                return r;
        if (r < 0 && p->io_error == 0)
                p->io_error = r;
        return 0;
}

/* Read and parse one file. Returns 0 (errors in the file are recorded),
 * -ENOMEM, or -ENOENT if missing_ok and the file does not exist. The text is
 * appended (after its path) to *sources if sources is not NULL. */
static int config_parse_file(ConfigParser *p, const char *path, bool missing_ok, char ***sources) {
        _cleanup_(freep) char *text = NULL;
        int r;

        r = config_read_file(p, path, missing_ok, &text);
        if (r == -EIO)
                return 0;       /* recorded */
        if (r < 0)
                return r;
        r = config_parse_text(p, path, text);
        if (r < 0)
                return r;
        if (sources) {
                r = strv_extend(sources, path);
                if (r >= 0)
                        r = strv_consume(sources, TAKE_PTR(text));
                if (r < 0)
                        return r;
        }
        return 0;
}

/* ---- ManagerConfig ------------------------------------------------------- */

void manager_config_init(ManagerConfig *c) {
        *c = (ManagerConfig) {
                .log_level = LOG_INFO,
                .default_restart_usec = 100 * USEC_PER_MSEC,
                .default_restart_max_delay_usec = 30 * USEC_PER_SEC,
                .default_timeout_start_usec = 90 * USEC_PER_SEC,
                .default_timeout_stop_usec = 90 * USEC_PER_SEC,
                .default_start_limit_interval_usec = 10 * USEC_PER_SEC,
                .default_start_limit_burst = 0,
                .default_exit_history = 64,
        };
}

/* As systemd's system.conf: a refused line is not applied, the valid ones
 * are (the daemon logs the errors and runs on), and -EINVAL says so. */
int manager_config_load(ManagerConfig *c, const char *path, char ***ret_errors) {
        _cleanup_(config_parser_done) ConfigParser p = {};
        ManagerConfig n = *c, defaults;
        int r;

        if (ret_errors)
                *ret_errors = NULL;
        if (!path)
                return -EINVAL;

        manager_config_init(&defaults);
        r = config_parser_init(&p, manager_items, &n, &defaults);
        if (r < 0)
                return r;

        r = config_parse_file(&p, path, /* missing_ok= */ true, NULL);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;

        *c = n;
        if (p.errors) {
                if (ret_errors)
                        *ret_errors = TAKE_PTR(p.errors);
                return p.io_error ?: -EINVAL;
        }
        return 0;
}

/* ---- PoolConfig ---------------------------------------------------------- */

static void pool_config_set_defaults(PoolConfig *c, const ManagerConfig *m) {
        ManagerConfig builtin;

        if (!m) {
                manager_config_init(&builtin);
                m = &builtin;
        }
        *c = (PoolConfig) {
                .type = POOL_TYPE_SIMPLE,
                .notify_access = NOTIFY_ACCESS_MAIN,
                .workers = 1,
                .min_workers = 0,
                .max_workers = UINT32_MAX,
                .restart = RESTART_ON_FAILURE,
                .scaling = SCALING_STATIC,
                .min_idle_workers = 1,
                .max_idle_workers = 3,
                .idle_timeout_usec = 10 * USEC_PER_SEC,
                .scaling_max_memory_pressure = 40,
                .pool_memory_max = CGROUP_LIMIT_MAX,
                .restart_usec = m->default_restart_usec,
                .restart_max_delay_usec = m->default_restart_max_delay_usec,
                .start_limit_interval_usec = m->default_start_limit_interval_usec,
                .start_limit_burst = m->default_start_limit_burst,
                .timeout_start_usec = m->default_timeout_start_usec,
                .timeout_stop_usec = m->default_timeout_stop_usec,
                .watchdog_usec = 0,
                .exit_history = m->default_exit_history,
                .job_timeout_signal = SIGABRT,
                .job_timeout_action = JOB_TIMEOUT_ACTION_RESTART,
                .runtime_max_usec = USEC_INFINITY,
                .memory_recycle = CGROUP_LIMIT_MAX,
                .reload_signal = SIGHUP,
                .kill_signal = SIGTERM,
                .failure_action = FAILURE_ACTION_NONE,
                .protocol_violation_limit = UINT_MAX,
                /* Docker's HEALTHCHECK defaults: every 30s, 30s each, 3 in a row */
                .health_check_interval_usec = 30 * USEC_PER_SEC,
                .health_check_timeout_usec = 30 * USEC_PER_SEC,
                .health_check_retries = 3,
                .backlog = SOMAXCONN,
                .bind_ipv6_only = BIND_IPV6_ONLY_DEFAULT,
                .socket_mode = 0666,
                .restart_parallel = 1,
                .memory_max = CGROUP_LIMIT_MAX,
                .memory_high = CGROUP_LIMIT_MAX,
                .memory_swap_max = CGROUP_LIMIT_MAX,
                .cpu_quota_per_sec_usec = USEC_INFINITY,
                .cpu_weight = 100,
                .tasks_max = CGROUP_LIMIT_MAX,
                .capability_bounding_set = UINT64_MAX,
                .umask = 0022,
        };
}

PoolConfig *pool_config_free(PoolConfig *c) {
        if (!c)
                return NULL;
        free(c->name);
        free(c->path);
        strv_free(c->dropins);
        strv_free(c->sources);
        free(c->description);
        strv_free(c->exec_start);
        strv_free(c->environment);
        free(c->working_directory);
        free(c->std_output.path);
        free(c->std_error.path);
        free(c->user);
        free(c->group);
        strv_free(c->supplementary_groups);
        strv_free(c->exec_health_check);
        exec_command_list_free(&c->exec_start_pre);
        exec_command_list_free(&c->exec_stop_post);
        listen_spec_list_free(&c->listen, &c->n_listen);
        free(c->fd_name);
        free(c->socket_user);
        free(c->socket_group);
        free(c);
        return NULL;
}

void exec_command_list_free(ExecCommandList *l) {
        for (size_t i = 0; i < l->n; i++)
                strv_free(l->commands[i].argv);
        l->commands = mfree(l->commands);
        l->n = 0;
}

int exec_command_list_copy(const ExecCommandList *l, ExecCommandList *ret) {
        ExecCommandList n = {};

        if (l->n > 0) {
                n.commands = calloc(l->n, sizeof(ExecCommand));
                if (!n.commands)
                        return -ENOMEM;
        }
        for (; n.n < l->n; n.n++) {
                n.commands[n.n] = (ExecCommand) {
                        .argv = strv_copy(l->commands[n.n].argv),
                        .ignore_failure = l->commands[n.n].ignore_failure,
                };
                if (!n.commands[n.n].argv) {
                        exec_command_list_free(&n);
                        return -ENOMEM;
                }
        }
        *ret = n;
        return 0;
}

bool exec_command_list_equal(const ExecCommandList *a, const ExecCommandList *b) {
        if (a->n != b->n)
                return false;
        for (size_t i = 0; i < a->n; i++)
                if (a->commands[i].ignore_failure != b->commands[i].ignore_failure ||
                    !strv_equal(a->commands[i].argv, b->commands[i].argv))
                        return false;
        return true;
}

int pool_config_new(const char *name, const ManagerConfig *m, PoolConfig **ret) {
        _cleanup_(pool_config_freep) PoolConfig *c = NULL;

        if (!pool_name_is_valid(name))
                return -EINVAL;

        c = malloc(sizeof(*c));
        if (!c)
                return -ENOMEM;
        pool_config_set_defaults(c, m);
        c->name = strdup(name);
        if (!c->name)
                return -ENOMEM;

        *ret = TAKE_PTR(c);
        return 0;
}

bool pool_config_exec_changed(const PoolConfig *a, const PoolConfig *b) {
        if (!a || !b)
                return a != b;
        return !strv_equal(a->exec_start, b->exec_start) ||
               !strv_equal(a->environment, b->environment) ||
               !streq_ptr(a->working_directory, b->working_directory) ||
               a->working_directory_missing_ok != b->working_directory_missing_ok ||
               !output_spec_equal(&a->std_output, &b->std_output) ||
               !output_spec_equal(&a->std_error, &b->std_error) ||
               a->type != b->type ||
               !streq_ptr(a->user, b->user) ||
               !streq_ptr(a->group, b->group) ||
               !strv_equal(a->supplementary_groups, b->supplementary_groups) ||
               a->no_new_privileges != b->no_new_privileges ||
               a->private_tmp != b->private_tmp ||
               a->capability_bounding_set != b->capability_bounding_set ||
               a->ambient_capabilities != b->ambient_capabilities ||
               a->umask != b->umask ||
               a->rlimits_set != b->rlimits_set ||
               memcmp(a->rlimits, b->rlimits, sizeof a->rlimits) != 0 ||
               a->syscall_filter_set != b->syscall_filter_set ||
               a->syscall_filter_allow_list != b->syscall_filter_allow_list ||
               memcmp(a->syscall_filter, b->syscall_filter, sizeof a->syscall_filter) != 0 ||
               memcmp(a->syscall_filter_errno, b->syscall_filter_errno, sizeof a->syscall_filter_errno) != 0 ||
               a->syscall_error_number != b->syscall_error_number ||
               a->syscall_archs_native != b->syscall_archs_native;
}

bool pool_config_has_seccomp_filter(const PoolConfig *c) {
        return c && (c->syscall_filter_set || c->syscall_archs_native);
}

bool pool_config_resources_changed(const PoolConfig *a, const PoolConfig *b) {
        if (!a || !b)
                return a != b;
        return a->memory_max != b->memory_max ||
               a->memory_high != b->memory_high ||
               a->memory_swap_max != b->memory_swap_max ||
               a->cpu_quota_per_sec_usec != b->cpu_quota_per_sec_usec ||
               a->cpu_weight != b->cpu_weight ||
               a->tasks_max != b->tasks_max;
}

/* ---- finding files ------------------------------------------------------- */

/* A file name (from a directory listing) fit to print in an error message:
 * valid UTF-8, invalid bytes as U+FFFD. */
static void name_printable(char *buf, size_t size, const char *name) {
        (void) utf8_sanitize(buf, size, name, strlen(name));
}

/* 1: a regular file to use, 0: masked (empty or /dev/null), -ENOENT: absent
 * or not a regular file (ignored), other -errno (a symlink loop: -ELOOP, no
 * permission...): an error to report with the path. */
static int config_file_check(const char *path) {
        struct stat st;

        if (stat(path, &st) < 0) {
                if (errno == ENOENT || errno == ENOTDIR)
                        return -ENOENT;
                return -errno;
        }
        if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3))
                return 0;
        if (!S_ISREG(st.st_mode))
                return -ENOENT;
        return st.st_size == 0 ? 0 : 1;
}

/* The NAME.pool file that counts: the first one in dirs; -ENOENT if none, or
 * if the first one is masked. On another error *ret_path is set too (the
 * file that could not be checked). */
static int pool_file_find(const char *name, const char *const *dirs, char **ret_path) {
        for (const char *const *d = dirs; *d; d++) {
                _cleanup_(freep) char *path = NULL;
                int r;

                if (asprintf(&path, "%s/%s.pool", *d, name) < 0)
                        return -ENOMEM;
                r = config_file_check(path);
                if (r == -ENOENT)
                        continue;
                if (r == 0)
                        return -ENOENT;         /* masked */
                if (ret_path)
                        *ret_path = TAKE_PTR(path);
                return r < 0 ? r : 0;
        }
        return -ENOENT;
}

/* Entries of dir whose names end in suffix (hidden files skipped); a missing
 * dir is empty. Other errors opening or reading it: -errno. */
static int dir_list(const char *dir, const char *suffix, char ***ret) {
        _cleanup_(strv_freep) char **l = NULL;
        struct dirent *de;
        DIR *d;
        int r = 0;

        l = calloc(1, sizeof(char *));
        if (!l)
                return -ENOMEM;

        d = opendir(dir);
        if (!d) {
                if (errno != ENOENT && errno != ENOTDIR)
                        return -errno;
                *ret = TAKE_PTR(l);
                return 0;
        }
        for (;;) {
                errno = 0;
                de = readdir(d);
                if (!de) {
                        if (errno > 0)
                                r = -errno;
                        break;
                }
                if (de->d_name[0] == '.' || !endswith(de->d_name, suffix) ||
                    strlen(de->d_name) == strlen(suffix))
                        continue;
                r = strv_extend(&l, de->d_name);
                if (r < 0)
                        break;
        }
        closedir(d);
        if (r < 0)
                return r;

        *ret = TAKE_PTR(l);
        return 0;
}

/* Full paths of NAME.pool.d/x.conf drop-ins to apply, sorted by x; the first
 * dir holding x wins, and masks x in later dirs. A drop-in directory or file
 * that cannot be read (a symlink loop, no permission) or whose name is not
 * valid UTF-8 is an error of the pool, reported with its path: a pool must
 * never run silently without one of its drop-ins. Returns 0 or -ENOMEM. */
static int dropins_find(ConfigParser *p, const char *name, const char *const *dirs, char ***ret) {
        _cleanup_(strv_freep) char **seen = NULL, **paths = NULL;
        char pname[256];
        int r;

        seen = calloc(1, sizeof(char *));
        paths = calloc(1, sizeof(char *));
        if (!seen || !paths)
                return -ENOMEM;

        for (const char *const *d = dirs; *d; d++) {
                _cleanup_(strv_freep) char **files = NULL;
                _cleanup_(freep) char *dir = NULL;

                if (asprintf(&dir, "%s/%s.pool.d", *d, name) < 0)
                        return -ENOMEM;
                r = dir_list(dir, ".conf", &files);
                if (r == -ENOMEM)
                        return r;
                if (r < 0) {
                        if (p->io_error == 0)
                                p->io_error = r;
                        r = config_error_at(p, dir, 0, "Cannot read the drop-in directory: %s", strerror(-r));
                        if (r == -ENOMEM)
                                return r;
                        continue;
                }
                for (char **f = files; *f; f++) {
                        if (!utf8_is_valid(*f)) {
                                name_printable(pname, sizeof pname, *f);
                                r = config_error_at(p, dir, 0, "Drop-in file name '%s' is not valid UTF-8",
                                                    pname);
                                if (r == -ENOMEM)
                                        return r;
                                continue;
                        }
                        if (strv_find(seen, *f))
                                continue;
                        r = strv_extend(&seen, *f);
                        if (r < 0)
                                return r;
                }
        }
        strv_sort(seen);

        /* seen is sorted by file name; find each one's winning dir */
        for (char **f = seen; *f; f++)
                for (const char *const *d = dirs; *d; d++) {
                        _cleanup_(freep) char *path = NULL;

                        if (asprintf(&path, "%s/%s.pool.d/%s", *d, name, *f) < 0)
                                return -ENOMEM;
                        r = config_file_check(path);
                        if (r == -ENOENT)
                                continue;       /* not here (or not a file) */
                        if (r < 0) {
                                if (p->io_error == 0)
                                        p->io_error = r;
                                r = config_error_at(p, path, 0, "Cannot read the drop-in: %s", strerror(-r));
                                if (r == -ENOMEM)
                                        return r;
                                break;
                        }
                        if (r > 0) {
                                r = strv_consume(&paths, TAKE_PTR(path));
                                if (r < 0)
                                        return r;
                        }
                        break;                  /* masked (r == 0) or used */
                }

        *ret = TAKE_PTR(paths);
        return 0;
}

int config_enumerate_pools(const char *const *dirs, char ***ret_names, char ***ret_errors) {
        _cleanup_(strv_freep) char **candidates = NULL, **names = NULL, **errors = NULL;
        bool complete = true;
        char pname[256];
        int r;

        if (!dirs)
                dirs = config_default_dirs;

        candidates = calloc(1, sizeof(char *));
        names = calloc(1, sizeof(char *));
        if (!candidates || !names)
                return -ENOMEM;

        for (const char *const *d = dirs; *d; d++) {
                _cleanup_(strv_freep) char **files = NULL;

                r = dir_list(*d, ".pool", &files);
                if (r == -ENOMEM)
                        return r;
                if (r < 0) {
                        char *e = NULL;

                        complete = false;
                        if (asprintf(&e, "%s: Cannot read the pool directory: %s", *d, strerror(-r)) < 0 ||
                            strv_consume(&errors, e) < 0)
                                return -ENOMEM;
                        continue;
                }
                for (char **f = files; *f; f++) {
                        (*f)[strlen(*f) - strlen(".pool")] = '\0';
                        if (!pool_name_is_valid(*f)) {
                                char *e = NULL;

                                name_printable(pname, sizeof pname, *f);
                                if (asprintf(&e, "%s/%s.pool: '%s' is not a valid pool name (1 to 64 of "
                                             "A-Z a-z 0-9 _ . : -, not starting with . or -), ignored",
                                             *d, pname, pname) < 0 ||
                                    strv_consume(&errors, e) < 0)
                                        return -ENOMEM;
                                continue;
                        }
                        if (strv_find(candidates, *f))
                                continue;
                        r = strv_extend(&candidates, *f);
                        if (r < 0)
                                return r;
                }
        }

        /* Same rules as config_load_pool(): exactly the names it can load,
         * and those whose file it cannot (it says why, with the path). */
        for (char **n = candidates; *n; n++) {
                r = pool_file_find(*n, dirs, NULL);
                if (r == -ENOENT)
                        continue;
                if (r == -ENOMEM)
                        return r;
                r = strv_extend(&names, *n);
                if (r < 0)
                        return r;
        }
        strv_sort(names);

        *ret_names = TAKE_PTR(names);
        if (ret_errors)
                *ret_errors = TAKE_PTR(errors);
        return complete ? 0 : 1;
}

/* ---- loading a pool ------------------------------------------------------ */

static const ConfigLocation *location_later(const ConfigLocation *a, const ConfigLocation *b) {
        if (!a)
                return b;
        if (!b)
                return a;
        return a->seq > b->seq ? a : b;
}

static int pool_config_verify(ConfigParser *p, const PoolConfig *c) {
        const PoolConfig *d = p->defaults;
        const ConfigLocation *lw, *lmin, *lmax, *l;
        char max_buf[16];
        int r;

        /* (an invalid ExecStart= line was already reported) */
        if (strv_length(c->exec_start) == 0 && !p->exec_start_invalid) {
                r = config_error_at(p, c->path, 0, "Missing ExecStart=");
                if (r == -ENOMEM)
                        return r;
        }

        lw = config_location(p, "Pool", "Workers");
        lmin = config_location(p, "Pool", "MinWorkers");
        lmax = config_location(p, "Pool", "MaxWorkers");
        if (c->max_workers == UINT32_MAX)
                snprintf(max_buf, sizeof max_buf, "infinity");
        else
                snprintf(max_buf, sizeof max_buf, "%" PRIu32, c->max_workers);

        if (c->min_workers > c->max_workers) {
                l = location_later(lmin, lmax);
                r = config_error_at(p, l ? l->path : c->path, l ? l->line : 0,
                                    "MinWorkers=%" PRIu32 " is greater than MaxWorkers=%s",
                                    c->min_workers, max_buf);
        } else if (c->workers < c->min_workers || c->workers > c->max_workers) {
                l = lw ?: location_later(lmin, lmax);
                r = config_error_at(p, l ? l->path : c->path, l ? l->line : 0,
                                    "Workers=%" PRIu32 "%s is outside MinWorkers..MaxWorkers (%" PRIu32 "..%s)",
                                    c->workers, !lw && c->workers == d->workers ? " (the default)" : "",
                                    c->min_workers, max_buf);
        } else
                r = 0;
        if (r != -ENOMEM && c->min_idle_workers > c->max_idle_workers) {
                l = location_later(config_location(p, "Pool", "MinIdleWorkers"),
                                   config_location(p, "Pool", "MaxIdleWorkers"));
                r = config_error_at(p, l ? l->path : c->path, l ? l->line : 0,
                                    "MinIdleWorkers=%" PRIu32 " is greater than MaxIdleWorkers=%" PRIu32,
                                    c->min_idle_workers, c->max_idle_workers);
        }
        return r == -ENOMEM ? r : 0;
}

/* Parse the sources (path, text, path, text...: the main file, then the
 * drop-ins) into a new config; on errors -EINVAL (or the first I/O error)
 * and the errors in *ret_errors. */
static int config_load_sources(ConfigParser *p, PoolConfig *c, char **sources) {
        int r;

        for (char **s = sources; s && s[0] && s[1]; s += 2) {
                r = config_parse_text(p, s[0], s[1]);
                if (r < 0)
                        return r;
        }
        return pool_config_verify(p, c);
}

static int config_load_finish(ConfigParser *p, PoolConfig **c, PoolConfig **ret, char ***ret_errors) {
        if (p->errors) {
                if (ret_errors)
                        *ret_errors = TAKE_PTR(p->errors);
                return p->io_error ?: -EINVAL;
        }
        *ret = TAKE_PTR(*c);
        return 0;
}

int config_load_pool(const char *name, const char *const *dirs, const ManagerConfig *m,
                     PoolConfig **ret, char ***ret_errors) {
        _cleanup_(config_parser_done) ConfigParser p = {};
        _cleanup_(pool_config_freep) PoolConfig *c = NULL;
        _cleanup_(strv_freep) char **dropins = NULL, **sources = NULL;
        PoolConfig defaults;
        int r;

        if (ret_errors)
                *ret_errors = NULL;
        if (!pool_name_is_valid(name))
                return -EINVAL;
        if (!dirs)
                dirs = config_default_dirs;

        r = pool_config_new(name, m, &c);
        if (r < 0)
                return r;
        pool_config_set_defaults(&defaults, m);
        r = config_parser_init(&p, pool_items, c, &defaults);
        if (r < 0)
                return r;

        r = pool_file_find(name, dirs, &c->path);
        if (r == -ENOENT || r == -ENOMEM)
                return r;
        if (r < 0) {                    /* e.g. a symlink loop: say which file */
                p.io_error = r;
                r = config_error_at(&p, c->path, 0, "Cannot read the pool file: %s", strerror(-r));
                if (r == -ENOMEM)
                        return r;
                return config_load_finish(&p, &c, ret, ret_errors);
        }
        r = dropins_find(&p, name, dirs, &dropins);
        if (r < 0)
                return r;

        /* Read every file once; the texts are kept (c->sources): a re-exec
         * parses exactly what is running, whatever is on disk by then. */
        r = config_parse_file(&p, c->path, /* missing_ok= */ false, &sources);
        if (r < 0)
                return r;
        for (char **d = dropins; *d; d++) {
                r = config_parse_file(&p, *d, /* missing_ok= */ false, &sources);
                if (r < 0)
                        return r;
        }
        r = pool_config_verify(&p, c);
        if (r < 0)
                return r;

        c->dropins = TAKE_PTR(dropins);
        c->sources = TAKE_PTR(sources);
        return config_load_finish(&p, &c, ret, ret_errors);
}

int config_load_pool_from_sources(const char *name, char **sources, const ManagerConfig *m,
                                  PoolConfig **ret, char ***ret_errors) {
        _cleanup_(config_parser_done) ConfigParser p = {};
        _cleanup_(pool_config_freep) PoolConfig *c = NULL;
        PoolConfig defaults;
        int r;

        if (ret_errors)
                *ret_errors = NULL;
        if (!pool_name_is_valid(name) || strv_length(sources) < 2 || strv_length(sources) % 2 != 0)
                return -EINVAL;
        r = pool_config_new(name, m, &c);
        if (r < 0)
                return r;
        c->path = strdup(sources[0]);
        c->sources = strv_copy(sources);
        if (!c->path || !c->sources)
                return -ENOMEM;
        /* Drop-ins are the files after the first; not the runtime overlay of
         * SetProperties() (a name that is not a path). */
        c->dropins = calloc(1, sizeof(char *));
        if (!c->dropins)
                return -ENOMEM;
        for (char **s = sources + 2; s[0] && s[1]; s += 2)
                if (s[0][0] == '/' && strv_extend(&c->dropins, s[0]) < 0)
                        return -ENOMEM;

        pool_config_set_defaults(&defaults, m);
        r = config_parser_init(&p, pool_items, c, &defaults);
        if (r < 0)
                return r;
        r = config_load_sources(&p, c, sources);
        if (r < 0)
                return r;
        return config_load_finish(&p, &c, ret, ret_errors);
}

/* Added for the D-Bus layer */

static int strdup_ptr(const char *s, char **ret) {
        if (!s) {
                *ret = NULL;
                return 0;
        }
        *ret = strdup(s);
        return *ret ? 0 : -ENOMEM;
}

static int strv_copy_ptr(char **l, char ***ret) {
        if (!l) {
                *ret = NULL;
                return 0;
        }
        *ret = strv_copy(l);
        return *ret ? 0 : -ENOMEM;
}

/* Keep in sync with pool_config_free(): every owned pointer is copied. */
int pool_config_dup(const PoolConfig *c, PoolConfig **ret) {
        _cleanup_(pool_config_freep) PoolConfig *n = NULL;

        n = malloc(sizeof(*n));
        if (!n)
                return -ENOMEM;
        *n = *c;
        n->name = n->path = n->description = n->working_directory = n->user = n->group = NULL;
        n->dropins = n->exec_start = n->environment = n->supplementary_groups = n->sources = NULL;
        n->exec_health_check = NULL;
        n->exec_start_pre = n->exec_stop_post = (ExecCommandList) {};
        n->listen = NULL;
        n->n_listen = 0;
        n->fd_name = n->socket_user = n->socket_group = NULL;
        n->std_output.path = n->std_error.path = NULL;

        if (strdup_ptr(c->name, &n->name) < 0 ||
            strdup_ptr(c->path, &n->path) < 0 ||
            strdup_ptr(c->description, &n->description) < 0 ||
            strdup_ptr(c->working_directory, &n->working_directory) < 0 ||
            strdup_ptr(c->user, &n->user) < 0 ||
            strdup_ptr(c->group, &n->group) < 0 ||
            strv_copy_ptr(c->dropins, &n->dropins) < 0 ||
            strv_copy_ptr(c->sources, &n->sources) < 0 ||
            strv_copy_ptr(c->exec_start, &n->exec_start) < 0 ||
            strv_copy_ptr(c->environment, &n->environment) < 0 ||
            strv_copy_ptr(c->supplementary_groups, &n->supplementary_groups) < 0 ||
            strv_copy_ptr(c->exec_health_check, &n->exec_health_check) < 0 ||
            exec_command_list_copy(&c->exec_start_pre, &n->exec_start_pre) < 0 ||
            exec_command_list_copy(&c->exec_stop_post, &n->exec_stop_post) < 0 ||
            listen_spec_list_copy(c->listen, c->n_listen, &n->listen, &n->n_listen) < 0 ||
            strdup_ptr(c->fd_name, &n->fd_name) < 0 ||
            strdup_ptr(c->socket_user, &n->socket_user) < 0 ||
            strdup_ptr(c->socket_group, &n->socket_group) < 0 ||
            strdup_ptr(c->std_output.path, &n->std_output.path) < 0 ||
            strdup_ptr(c->std_error.path, &n->std_error.path) < 0)
                return -ENOMEM;

        *ret = TAKE_PTR(n);
        return 0;
}

const char *pool_config_property_section(const char *key) {
        if (isempty(key))
                return NULL;
        for (const ConfigItem *i = pool_items; i->key; i++)
                if (streq(i->key, key))
                        return i->section;
        return NULL;
}

/* Strip the "PATH: " the parser puts in front of a message without a line:
 * PATH is "" (our pseudo file) or the pool's main file (verify). */
static char *config_error_strip(const char *e, const char *path) {
        size_t k = path ? strlen(path) : 0;

        if (e[0] == ':' && e[1] == ' ')
                e += 2;
        else if (path && strneq(e, path, k) && e[k] == ':' && e[k + 1] == ' ')
                e += k + 2;
        return strdup(e);
}

/* Keep c->sources in step with what was set: the assignments go into an
 * overlay after the files, so that a re-exec parses the same config. */
static int pool_config_sources_set(PoolConfig *c, const char *section, const char *key, const char *value) {
        char **s, *text = NULL;
        int r;

        for (s = c->sources; s && s[0] && s[1]; s += 2)
                if (streq(s[0], POOL_CONFIG_SET_PROPERTIES_SOURCE))
                        break;
        r = dropin_text_set(s && s[0] ? s[1] : NULL, section, key, value, &text);
        if (r < 0)
                return r;
        if (s && s[0]) {
                free(s[1]);
                s[1] = text;
                return 0;
        }
        r = strv_extend(&c->sources, POOL_CONFIG_SET_PROPERTIES_SOURCE);
        if (r < 0) {
                free(text);
                return r;
        }
        return strv_consume(&c->sources, text);
}

int pool_config_set_property(PoolConfig *c, const ManagerConfig *m, const char *key,
                             const char *value, char **ret_error) {
        _cleanup_(config_parser_done) ConfigParser p = {};
        const ConfigItem *item = NULL;
        PoolConfig defaults;
        int r;

        if (ret_error)
                *ret_error = NULL;
        for (const ConfigItem *i = pool_items; !isempty(key) && i->key; i++)
                if (streq(i->key, key)) {
                        item = i;
                        break;
                }
        if (!item)
                return -ENOENT;

        pool_config_set_defaults(&defaults, m);
        r = config_parser_init(&p, pool_items, c, &defaults);
        if (r < 0)
                return r;
        p.path = "";
        p.line = 0;
        /* Only complain about a missing ExecStart= if this call removed it. */
        p.exec_start_invalid = !streq(key, "ExecStart");

        r = item->parse(&p, item, value ?: "", (uint8_t *) c + item->offset,
                        (const uint8_t *) &defaults + item->offset);
        if (r == -ENOMEM)
                return r;
        if (r >= 0) {
                p.locs[item - p.items] = (ConfigLocation) { "", 0, ++p.seq };
                r = pool_config_verify(&p, c);
                if (r == -ENOMEM)
                        return r;
        }
        if (p.errors) {
                if (ret_error && !(*ret_error = config_error_strip(p.errors[0], c->path)))
                        return -ENOMEM;
                return -EINVAL;
        }
        return pool_config_sources_set(c, item->section, key, value ?: "");
}
