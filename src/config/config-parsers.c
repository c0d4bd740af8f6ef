/* SPDX-License-Identifier: MIT */
/* The value parsers of the config tables: one function per kind of value,
 * with systemd's spellings; each records "PATH:LINE: ..." on error. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "config-internal.h"
#include "exec-split.h"
#include "../shared/parse-util.h"
#include "../shared/log.h"   /* log_parse_level() only: this layer never logs */
#include "../shared/string-util.h"
#include "../shared/strv.h"
#include "sandbox-util.h"
#include "../spawn/seccomp.h"

/* ---- word lists ---------------------------------------------------------- */

/* Split value into quoted words; a quoting error is recorded as the key's. */
static int config_split_words(ConfigParser *p, const ConfigItem *item, const char *value, char ***ret_words) {
        const char *why = "invalid quoting";
        int r;

        r = split_quoted_full(value, ret_words, &why);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return config_invalid(p, item, value, why);
        return 0;
}

/* 0 for a good word; for a bad one, records the key's own message (-EINVAL). */
typedef int (*ConfigWordCheck)(ConfigParser *p, const ConfigItem *item, const char *value, const char *word);
/* Adds one word to the list: strv_env_set(), strv_extend(). */
typedef int (*ConfigWordAdd)(char ***l, const char *word);

/* A list of words that lines add to, and an empty value resets: every word
 * is checked first, so a refused line leaves the list as it was. */
static int config_parse_word_list(ConfigParser *p, const ConfigItem *item, const char *value, char ***l,
                                  ConfigWordCheck check, ConfigWordAdd add) {
        _cleanup_(strv_freep) char **words = NULL, **n = NULL;
        int r;

        if (isempty(value)) {
                *l = strv_free(*l);
                return 0;
        }
        r = config_split_words(p, item, value, &words);
        if (r < 0)
                return r;
        for (char **w = words; *w; w++) {
                r = check(p, item, value, *w);
                if (r < 0)
                        return r;
        }

        n = strv_copy(*l);
        if (!n)
                return -ENOMEM;
        for (char **w = words; *w; w++) {
                r = add(&n, *w);
                if (r < 0)
                        return r;
        }
        strv_free(*l);
        *l = TAKE_PTR(n);
        return 0;
}

/* ---- value parsers ------------------------------------------------------- */

int config_parse_string(ConfigParser *p, const ConfigItem *item, const char *value,
                               void *data, const void *def) {
        char **s = data, *c;

        if (isempty(value)) {
                *s = mfree(*s);
                return 0;
        }
        c = strdup(value);
        if (!c)
                return -ENOMEM;
        free(*s);
        *s = c;
        return 0;
}

int config_parse_user_group(ConfigParser *p, const ConfigItem *item, const char *value,
                                   void *data, const void *def) {
        if (!isempty(value) && !user_group_name_is_valid(value))
                return config_invalid(p, item, value, "expected a user or group name or a numeric id");
        return config_parse_string(p, item, value, data, def);
}

static const char *const output_kind_table[_OUTPUT_KIND_MAX] = {
        [OUTPUT_INHERIT] = "inherit", [OUTPUT_NULL] = "null", [OUTPUT_JOURNAL] = "journal",
        [OUTPUT_FILE] = "file", [OUTPUT_APPEND] = "append", [OUTPUT_TRUNCATE] = "truncate",
};

const char *output_spec_to_string(const OutputSpec *o, char *buf, size_t n) {
        if (o->kind == OUTPUT_DEFAULT)
                snprintf(buf, n, "%s", "");
        else if (o->path)
                snprintf(buf, n, "%s:%s", output_kind_table[o->kind], o->path);
        else
                snprintf(buf, n, "%s", output_kind_table[o->kind]);
        return buf;
}

bool output_spec_equal(const OutputSpec *a, const OutputSpec *b) {
        return a->kind == b->kind && streq_ptr(a->path, b->path);
}

/* StandardOutput=, StandardError=: inherit, null, journal, file:PATH,
 * append:PATH, truncate:PATH (systemd.exec(5)); PATH absolute. The others
 * of systemd's (tty, kmsg, socket, fd:NAME) have no meaning for a pool. */
int config_parse_output(ConfigParser *p, const ConfigItem *item, const char *value, void *data,
                        const void *def) {
        OutputSpec *o = data;
        char *path = NULL;

        if (isempty(value)) {
                o->path = mfree(o->path);
                o->kind = OUTPUT_DEFAULT;
                return 0;
        }
        for (OutputKind k = OUTPUT_INHERIT; k < _OUTPUT_KIND_MAX; k++) {
                size_t n = strlen(output_kind_table[k]);
                bool with_path = k >= OUTPUT_FILE;

                if (!strneq(value, output_kind_table[k], n))
                        continue;
                if (!with_path && value[n] == '\0') {
                        o->path = mfree(o->path);
                        o->kind = k;
                        return 0;
                }
                if (with_path && value[n] == ':') {
                        const char *f = value + n + 1;

                        if (f[0] != '/' || strlen(f) >= PATH_MAX)
                                return config_invalid(p, item, value, "expected an absolute path after the colon");
                        path = strdup(f);
                        if (!path)
                                return -ENOMEM;
                        free(o->path);
                        o->path = path;
                        o->kind = k;
                        return 0;
                }
        }
        return config_invalid(p, item, value,
                              "expected inherit, null, journal, file:PATH, append:PATH or truncate:PATH");
}

int config_parse_exec_start(ConfigParser *p, const ConfigItem *item, const char *value,
                                   void *data, const void *def) {
        const PoolConfig *c = p->target;
        char ***argv = data, **l = NULL;
        const char *why = "invalid command line";
        int r;

        p->exec_start_invalid = false;
        if (isempty(value)) {
                *argv = strv_free(*argv);
                return 0;
        }
        if (*argv)
                return config_error(p, "ExecStart= may be given only once "
                                       "(an empty ExecStart= first resets it)");

        r = exec_split_full(value, c->name, &l, &why);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                p->exec_start_invalid = true;
                return config_invalid(p, item, value, why);
        }
        *argv = l;
        return 0;
}

int config_parse_exec_command(ConfigParser *p, const ConfigItem *item, const char *value,
                              void *data, const void *def) {
        const PoolConfig *c = p->target;
        char ***argv = data, **l = NULL;
        const char *why = "invalid command line";
        int r;

        if (isempty(value)) {
                *argv = strv_free(*argv);
                return 0;
        }
        if (*argv)
                return config_error(p, "%s= may be given only once (an empty %s= first resets it)",
                                    item->key, item->key);
        r = exec_split_full(value, c->name, &l, &why);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return config_invalid(p, item, value, why);
        *argv = l;
        return 0;
}

int config_parse_exec_command_list(ConfigParser *p, const ConfigItem *item, const char *value,
                                   void *data, const void *def) {
        const PoolConfig *c = p->target;
        ExecCommandList *list = data;
        const char *v = value, *why = "invalid command line";
        bool ignore_failure = false;
        ExecCommand *n;
        char **argv = NULL;
        int r;

        if (isempty(value)) {
                exec_command_list_free(list);   /* the default is none */
                return 0;
        }
        if (list->n >= POOL_EXEC_COMMANDS_MAX)
                return config_error(p, "Too many %s= commands: at most %u (an empty %s= resets the list)",
                                    item->key, POOL_EXEC_COMMANDS_MAX, item->key);
        /* systemd's "-": a failure is ignored; its other prefixes are not
         * supported, and exec_split() says so. */
        if (v[0] == '-') {
                ignore_failure = true;
                v++;
        }
        r = exec_split_full(v, c->name, &argv, &why);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return config_invalid(p, item, value, why);
        n = realloc(list->commands, (list->n + 1) * sizeof(*n));
        if (!n) {
                strv_free(argv);
                return -ENOMEM;
        }
        list->commands = n;
        list->commands[list->n++] = (ExecCommand) { .argv = argv, .ignore_failure = ignore_failure };
        return 0;
}

static int environment_check(ConfigParser *p, const ConfigItem *item, const char *value, const char *word) {
        if (!env_assignment_is_valid(word))
                return config_error(p, "Invalid Environment= assignment '%s': expected "
                                       "KEY=VALUE with KEY made of letters, digits and '_'", word);
        return 0;
}

/* Later assignments of a name replace earlier ones. */
int config_parse_environment(ConfigParser *p, const ConfigItem *item, const char *value,
                                    void *data, const void *def) {
        return config_parse_word_list(p, item, value, data, environment_check, strv_env_set);
}

int config_parse_working_directory(ConfigParser *p, const ConfigItem *item, const char *value,
                                          void *data, const void *def) {
        PoolConfig *c = p->target;
        char **wd = data, *path;
        bool missing_ok = false;
        const char *v = value;
        size_t n;

        if (isempty(value)) {
                *wd = mfree(*wd);
                c->working_directory_missing_ok = false;
                return 0;
        }
        if (v[0] == '-') {
                missing_ok = true;
                v++;
        }
        path = strdup(v);
        if (!path)
                return -ENOMEM;
        n = strlen(path);
        while (n > 1 && path[n - 1] == '/')
                path[--n] = '\0';       /* "/srv/app/" -> "/srv/app" */
        if (!path_is_absolute_normalized(path)) {
                free(path);
                return config_invalid(p, item, value,
                                      "expected an absolute path (without '.' or '..'), "
                                      "optionally prefixed with '-'");
        }
        free(*wd);
        *wd = path;
        c->working_directory_missing_ok = missing_ok;
        return 0;
}

/* Key=VALUE for an enum with a *_from_string() (negative: unknown); an
 * empty value restores the default. */
#define DEFINE_CONFIG_PARSE_ENUM(function, type, from_string, expected)                 \
        int function(ConfigParser *p, const ConfigItem *item, const char *value,        \
                     void *data, const void *def) {                                      \
                type *t = data, v;                                                       \
                                                                                         \
                if (isempty(value)) {                                                    \
                        *t = *(const type *) def;                                        \
                        return 0;                                                        \
                }                                                                        \
                v = from_string(value);                                                  \
                if (v < 0)                                                               \
                        return config_invalid(p, item, value, "expected " expected);     \
                *t = v;                                                                  \
                return 0;                                                                \
        }

DEFINE_CONFIG_PARSE_ENUM(config_parse_pool_type, PoolType, pool_type_from_string, "simple or notify")
DEFINE_CONFIG_PARSE_ENUM(config_parse_notify_access, NotifyAccess, notify_access_from_string, "main, exec or all")
DEFINE_CONFIG_PARSE_ENUM(config_parse_scaling, ScalingMode, scaling_mode_from_string,
                         "static, ondemand or dynamic")
DEFINE_CONFIG_PARSE_ENUM(config_parse_restart, RestartPolicy, restart_policy_from_string,
                         "no, on-success, on-failure, on-abnormal, on-watchdog, on-abort or always")

DEFINE_CONFIG_PARSE_ENUM(config_parse_job_timeout_action, JobTimeoutAction, job_timeout_action_from_string,
                         "restart or fail-pool")
DEFINE_CONFIG_PARSE_ENUM(config_parse_failure_action, FailureAction, failure_action_from_string,
                         "none, stop-pool or exit")

int config_parse_signal(ConfigParser *p, const ConfigItem *item, const char *value,
                        void *data, const void *def) {
        int sig;

        if (isempty(value)) {
                *(int *) data = *(const int *) def;
                return 0;
        }
        sig = parse_signal(value);
        if (sig <= 0 || sig > 64)
                return config_invalid(p, item, value, "expected a signal name like SIGABRT or a number 1..64");
        *(int *) data = sig;
        return 0;
}

int config_parse_memory_recycle(ConfigParser *p, const ConfigItem *item, const char *value,
                                void *data, const void *def) {
        PoolConfig *c = p->target;

        if (isempty(value)) {
                const PoolConfig *d = p->defaults;

                c->memory_recycle = d->memory_recycle;
                c->memory_recycle_high = d->memory_recycle_high;
                return 0;
        }
        if (streq(value, "high")) {
                c->memory_recycle = CGROUP_LIMIT_MAX;
                c->memory_recycle_high = true;
                return 0;
        }
        c->memory_recycle_high = false;
        return config_parse_memory(p, item, value, data, def);
}

int config_parse_pressure(ConfigParser *p, const ConfigItem *item, const char *value,
                                 void *data, const void *def) {
        unsigned *t = data, v;

        if (isempty(value)) {
                *t = *(const unsigned *) def;
                return 0;
        }
        if (parse_percent(value, false, &v) < 0)
                return config_invalid(p, item, value, "expected a percentage like 40%");
        *t = v;
        return 0;
}


/* Shared by the integer parsers: value -> item->min..item->max. */
int config_parse_ranged(ConfigParser *p, const ConfigItem *item, const char *value, uint64_t *ret) {
        uint64_t v;
        int r;

        if ((item->flags & CONFIG_UINT_INFINITY) && streq(value, "infinity")) {
                *ret = item->max;
                return 0;
        }
        r = parse_uint64(value, &v);
        if (r == -EINVAL)
                return config_invalid(p, item, value,
                                      (item->flags & CONFIG_UINT_INFINITY)
                                              ? "expected an unsigned integer or infinity"
                                              : "expected an unsigned integer");
        if (r < 0 || v < item->min || v > item->max)
                return config_error(p, "Invalid %s= value '%s': must be between %" PRIu64 " and %" PRIu64,
                                    item->key, value, item->min, item->max);
        *ret = v;
        return 0;
}

/* Key=N within item->min..item->max into a field of the given type; an
 * empty value restores the default. */
#define DEFINE_CONFIG_PARSE_RANGED(function, type)                                      \
        int function(ConfigParser *p, const ConfigItem *item, const char *value,        \
                     void *data, const void *def) {                                      \
                uint64_t v;                                                              \
                int r;                                                                   \
                                                                                         \
                if (isempty(value)) {                                                    \
                        *(type *) data = *(const type *) def;                            \
                        return 0;                                                        \
                }                                                                        \
                r = config_parse_ranged(p, item, value, &v);                             \
                if (r < 0)                                                               \
                        return r;                                                        \
                *(type *) data = (type) v;                                               \
                return 0;                                                                \
        }

DEFINE_CONFIG_PARSE_RANGED(config_parse_uint32, uint32_t)

/* MaxWorkers=: a number up to item->max, or infinity (UINT32_MAX: no cap of
 * its own; the pool never goes past POOL_WORKERS_MAX anyway). */
int config_parse_max_workers(ConfigParser *p, const ConfigItem *item, const char *value, void *data,
                             const void *def) {
        if (streq(value, "infinity")) {
                *(uint32_t *) data = UINT32_MAX;
                return 0;
        }
        return config_parse_uint32(p, item, value, data, def);
}
DEFINE_CONFIG_PARSE_RANGED(config_parse_unsigned, unsigned)
DEFINE_CONFIG_PARSE_RANGED(config_parse_uint64, uint64_t)

int config_parse_exit_status(ConfigParser *p, const ConfigItem *item, const char *value,
                                    void *data, const void *def) {
        _cleanup_(strv_freep) char **words = NULL;
        ExitStatusSet *set = data, n;
        int r;

        if (isempty(value)) {
                *set = (ExitStatusSet) {};
                return 0;
        }

        r = config_split_words(p, item, value, &words);
        if (r < 0)
                return r;

        n = *set;
        for (char **w = words; *w; w++) {
                uint32_t st;
                int sig;

                if ((*w)[0] >= '0' && (*w)[0] <= '9') {
                        r = parse_uint32(*w, &st);
                        if (r < 0 || st > 255)
                                return config_error(p, "Invalid %s= value '%s': exit status '%s' "
                                                       "is not in the range 0..255", item->key, value, *w);
                        n.status[st / 8] |= (uint8_t) (1u << (st % 8));
                        continue;
                }
                sig = parse_signal(*w);
                if (sig <= 0 || sig > 64)
                        return config_error(p, "Invalid %s= value '%s': '%s' is neither an exit "
                                               "status (0..255) nor a signal name", item->key, value, *w);
                n.signal[sig / 8] |= (uint8_t) (1u << (sig % 8));
        }
        *set = n;
        return 0;
}

int parse_sec_value(ConfigParser *p, const ConfigItem *item, const char *value, usec_t *ret) {
        usec_t u;
        int r;

        r = parse_time(value, USEC_PER_SEC, &u);
        if (r == -ERANGE)
                return config_invalid(p, item, value, "time span out of range");
        if (r < 0)
                return config_invalid(p, item, value,
                                      "expected a time span like 5s, 100ms, 1min 30s or infinity");
        if ((item->flags & CONFIG_SEC_FIX_0) && u == 0)
                u = USEC_INFINITY;     /* as systemd: a timeout of 0 means none */
        if ((item->flags & CONFIG_SEC_POSITIVE) && (u == 0 || u == USEC_INFINITY))
                return config_invalid(p, item, value, "expected a time span above 0 and below infinity, like 30s");
        *ret = u;
        return 0;
}

int config_parse_sec(ConfigParser *p, const ConfigItem *item, const char *value,
                            void *data, const void *def) {
        if (isempty(value)) {
                *(usec_t *) data = *(const usec_t *) def;
                return 0;
        }
        return parse_sec_value(p, item, value, data);
}

/* TimeoutSec=: sets TimeoutStartSec= and TimeoutStopSec= */
int config_parse_timeout(ConfigParser *p, const ConfigItem *item, const char *value,
                                void *data, const void *def) {
        const PoolConfig *d = p->defaults;
        PoolConfig *c = p->target;
        usec_t u;
        int r;

        if (isempty(value)) {
                c->timeout_start_usec = d->timeout_start_usec;
                c->timeout_stop_usec = d->timeout_stop_usec;
                return 0;
        }
        r = parse_sec_value(p, item, value, &u);
        if (r < 0)
                return r;
        c->timeout_start_usec = c->timeout_stop_usec = u;
        return 0;
}

int config_parse_memory(ConfigParser *p, const ConfigItem *item, const char *value,
                               void *data, const void *def) {
        bool percent = (item->flags & CONFIG_MEMORY_PERCENT) && strchr(value, '%');
        uint64_t base = 0, bytes;
        int r;

        if (isempty(value)) {
                *(uint64_t *) data = *(const uint64_t *) def;
                return 0;
        }

        if (percent) {
                base = physical_memory();
                if (base == 0)
                        return config_invalid(p, item, value, "cannot determine the physical memory size");
        }
        r = parse_size(value, base, &bytes);
        if (r == -ERANGE)
                return config_invalid(p, item, value,
                                      percent ? "out of range (a percentage must be at most 100%)"
                                              : "out of range");
        if (r < 0)
                return config_invalid(p, item, value,
                                      percent ? "expected a percentage like 50% (of physical memory)"
                                              : "expected a size like 512M or infinity");
        if (bytes == CGROUP_LIMIT_MAX && !streq(value, "infinity"))
                return config_invalid(p, item, value, "out of range (use infinity for no limit)");
        if (bytes == 0 && !(item->flags & CONFIG_MEMORY_ZERO))
                return config_invalid(p, item, value, "must be greater than zero");

        *(uint64_t *) data = bytes;
        return 0;
}

int config_parse_cpu_quota(ConfigParser *p, const ConfigItem *item, const char *value,
                                  void *data, const void *def) {
        usec_t u;
        int r;

        if (isempty(value)) {
                *(usec_t *) data = *(const usec_t *) def;
                return 0;
        }
        r = parse_cpu_quota(value, &u);
        if (r < 0)
                return config_invalid(p, item, value,
                                      "expected a percentage greater than 0% like 50% or 150%");
        *(usec_t *) data = u;
        return 0;
}

int config_parse_tasks_max(ConfigParser *p, const ConfigItem *item, const char *value,
                                  void *data, const void *def) {
        uint64_t v;
        int r;

        if (isempty(value)) {
                *(uint64_t *) data = *(const uint64_t *) def;
                return 0;
        }
        if (streq(value, "infinity")) {
                *(uint64_t *) data = CGROUP_LIMIT_MAX;
                return 0;
        }

        if (strchr(value, '%')) {
                uint64_t pid_max;

                r = read_pid_max(&pid_max);
                if (r < 0)
                        return config_invalid(p, item, value, "cannot read /proc/sys/kernel/pid_max");
                r = parse_size(value, pid_max, &v);
        } else
                r = parse_uint64(value, &v);
        if (r == -ERANGE)
                return config_invalid(p, item, value, "out of range");
        if (r < 0)
                return config_invalid(p, item, value,
                                      "expected a number, a percentage like 10%, or infinity");
        if (v == 0 || v == CGROUP_LIMIT_MAX)
                return config_invalid(p, item, value, "out of range");
        *(uint64_t *) data = v;
        return 0;
}

int config_parse_log_level(ConfigParser *p, const ConfigItem *item, const char *value,
                                  void *data, const void *def) {
        uint32_t n;
        int l;

        if (isempty(value)) {
                *(int *) data = *(const int *) def;
                return 0;
        }
        l = log_parse_level(value);
        if (l < 0 && parse_uint32(value, &n) >= 0 && n <= LOG_DEBUG)
                l = (int) n;
        if (l < 0)
                return config_invalid(p, item, value,
                                      "expected emerg, alert, crit, err, warning, notice, info, "
                                      "debug or 0..7");
        *(int *) data = l;
        return 0;
}

/* ---- [Sandbox] (the value logic lives in spawn/sandbox-util.c, seccomp.c) - */

int config_parse_bool(ConfigParser *p, const ConfigItem *item, const char *value,
                             void *data, const void *def) {
        int b;

        if (isempty(value)) {
                *(bool *) data = *(const bool *) def;
                return 0;
        }
        b = parse_boolean(value);
        if (b < 0)
                return config_invalid(p, item, value, "expected a boolean (yes or no)");
        *(bool *) data = b;
        return 0;
}

static int group_check(ConfigParser *p, const ConfigItem *item, const char *value, const char *word) {
        if (!user_group_name_is_valid(word))
                return config_error(p, "Invalid %s= value '%s': '%s' is not a group name "
                                       "or a numeric id", item->key, value, word);
        return 0;
}

int config_parse_groups(ConfigParser *p, const ConfigItem *item, const char *value,
                               void *data, const void *def) {
        return config_parse_word_list(p, item, value, data, group_check, strv_extend);
}

/* CapabilityBoundingSet=, AmbientCapabilities=: as systemd, lines merge (a
 * plain list adds, "~" removes); an empty value means no capabilities. The
 * first plain CapabilityBoundingSet= line replaces the default (all). */
int config_parse_capabilities(ConfigParser *p, const ConfigItem *item, const char *value,
                                     void *data, const void *def) {
        uint64_t *set = data, mask;
        bool invert;

        if (isempty(value)) {
                *set = 0;
                return 0;
        }
        if (capability_set_parse(value, &mask, &invert) < 0)
                return config_invalid(p, item, value,
                                      "expected capability names like CAP_NET_BIND_SERVICE, "
                                      "optionally prefixed with ~");
        if (invert)
                *set &= ~mask;
        else if ((item->flags & CONFIG_CAP_BOUNDING) && *set == UINT64_MAX)
                *set = mask;
        else
                *set |= mask;
        return 0;
}

int config_parse_umask(ConfigParser *p, const ConfigItem *item, const char *value,
                              void *data, const void *def) {
        unsigned m;

        if (isempty(value)) {
                *(mode_t *) data = *(const mode_t *) def;
                return 0;
        }
        if (parse_mode(value, 0777, &m) < 0)
                return config_invalid(p, item, value, "expected an octal mode like 0027");
        *(mode_t *) data = (mode_t) m;
        return 0;
}

int config_parse_rlimit(ConfigParser *p, const ConfigItem *item, const char *value,
                               void *data, const void *def) {
        PoolConfig *c = p->target;
        int res = rlimit_from_key(item->key), r;
        struct rlimit rl;

        if (res < 0)
                return -EINVAL;   /* a table entry that is not a Limit*= key */
        if (isempty(value)) {
                c->rlimits_set &= ~(UINT32_C(1) << res);
                return 0;
        }
        r = rlimit_parse(res, value, &rl);
        if (r == -ERANGE)
                return config_invalid(p, item, value, "out of range, or soft limit above hard limit");
        if (r < 0)
                return config_invalid(p, item, value, "expected VALUE or SOFT:HARD, each a number "
                                                      "(in the unit of the limit) or infinity");
        c->rlimits[res] = rl;
        c->rlimits_set |= UINT32_C(1) << res;
        return 0;
}

/* SystemCallFilter=: the first assignment decides between an allow list and
 * a "~" deny list; later lines add to it, or remove from it when their "~"
 * says the opposite (systemd.exec(5)). Groups are expanded here. */
/* An errno name (EPERM) or number 1..4095. */
static int parse_errno_value(const char *s, int *ret) {
        uint32_t n;

        if (parse_uint32(s, &n) >= 0) {
                if (n < 1 || n > 4095)
                        return -ERANGE;
                *ret = (int) n;
                return 0;
        }
        for (int i = 1; i < 4096; i++) {
                const char *name = strerrorname_np(i);

                if (name && streq(name, s)) {
                        *ret = i;
                        return 0;
                }
        }
        return -EINVAL;
}

int config_parse_syscall_filter(ConfigParser *p, const ConfigItem *item, const char *value,
                                       void *data, const void *def) {
        _cleanup_(strv_freep) char **words = NULL;
        PoolConfig *c = p->target;
        uint8_t set[sizeof c->syscall_filter];
        uint16_t errnos[ELEMENTSOF(c->syscall_filter_errno)];
        bool invert = false, allow, deny;
        int r;

        if (isempty(value)) {
                c->syscall_filter_set = false;
                c->syscall_filter_allow_list = false;
                memset(c->syscall_filter, 0, sizeof c->syscall_filter);
                memset(c->syscall_filter_errno, 0, sizeof c->syscall_filter_errno);
                return 0;
        }
        while (*value == ' ' || *value == '\t')
                value++;
        if (*value == '~') {
                invert = true;
                value++;
        }
        r = config_split_words(p, item, value, &words);
        if (r < 0)
                return r;

        memcpy(set, c->syscall_filter, sizeof set);
        memcpy(errnos, c->syscall_filter_errno, sizeof errnos);
        allow = c->syscall_filter_set ? c->syscall_filter_allow_list : !invert;
        if (!c->syscall_filter_set) {
                memset(set, 0, sizeof set);
                memset(errnos, 0, sizeof errnos);
                if (allow && syscall_set_update(set, "@default", true) < 0)
                        return -EINVAL;
        }
        /* In either kind of list, a line starting with ~ denies its calls
         * and a plain one allows them. */
        deny = invert;
        for (char **w = words; *w; w++) {
                uint8_t calls[sizeof set] = {};
                char *colon = strchr(*w, ':');
                int e = 0;

                if (colon) {
                        *colon = '\0';
                        if (!deny)
                                return config_error(p, "Invalid %s= entry '%s:%s': an error number "
                                                       "only goes with a denied call (a line "
                                                       "starting with ~)",
                                                    item->key, *w, colon + 1);
                        r = parse_errno_value(colon + 1, &e);
                        if (r < 0)
                                return config_error(p, "Invalid %s= entry '%s:%s': expected an errno "
                                                       "name like EPERM or a number 1..4095",
                                                    item->key, *w, colon + 1);
                }
                r = syscall_set_update(calls, *w, true);
                if (r < 0)
                        return config_error(p, "Invalid %s= entry '%s': unknown %s", item->key, *w,
                                            (*w)[0] == '@' ? "system call group" : "system call");
                /* The later line wins, for the call and for its errno. */
                for (int nr = 0; nr < SYSCALL_SET_MAX; nr++) {
                        if (!syscall_set_has(calls, nr))
                                continue;
                        if (allow != invert)
                                set[nr / 8] |= (uint8_t) (1u << (nr % 8));
                        else
                                set[nr / 8] &= (uint8_t) ~(1u << (nr % 8));
                        errnos[nr] = (uint16_t) e;
                }
        }
        memcpy(c->syscall_filter, set, sizeof set);
        memcpy(c->syscall_filter_errno, errnos, sizeof errnos);
        c->syscall_filter_allow_list = allow;
        c->syscall_filter_set = true;
        return 0;
}

int config_parse_syscall_errno(ConfigParser *p, const ConfigItem *item, const char *value,
                                      void *data, const void *def) {
        int *e = data;

        if (isempty(value) || streq(value, "kill")) {
                *e = 0;
                return 0;
        }
        if (parse_errno_value(value, e) >= 0)
                return 0;
        return config_invalid(p, item, value, "expected an errno name like EPERM, a number "
                                              "1..4095, or kill");
}

int config_parse_syscall_archs(ConfigParser *p, const ConfigItem *item, const char *value,
                                      void *data, const void *def) {
        _cleanup_(strv_freep) char **words = NULL;
        int r;

        if (isempty(value)) {
                *(bool *) data = false;
                return 0;
        }
        r = config_split_words(p, item, value, &words);
        if (r < 0)
                return r;
        for (char **w = words; *w; w++)
                if (!streq(*w, "native"))
                        return config_invalid(p, item, value, "only \"native\" is supported");
        *(bool *) data = true;
        return 0;
}

