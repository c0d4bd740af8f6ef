/* SPDX-License-Identifier: MIT */
#pragma once

/* Pool configuration: systemd-style INI files plus drop-ins -> PoolConfig.
 * This layer parses and validates; it applies nothing and never logs: every
 * problem is returned as a "FILE:LINE: message" string in ret_errors. */

#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "../shared/macro.h"

typedef enum PoolType {
        POOL_TYPE_SIMPLE,
        POOL_TYPE_NOTIFY,
        _POOL_TYPE_MAX,
        _POOL_TYPE_INVALID = -EINVAL,
} PoolType;

/* StandardOutput=, StandardError=: systemd.exec(5)'s names. */
typedef enum OutputKind {
        OUTPUT_DEFAULT,         /* StandardOutput=: journal under journald, else inherit;
                                 * StandardError=: as StandardOutput= */
        OUTPUT_INHERIT,         /* the daemon's own (stdout; for StandardError=: as stdout) */
        OUTPUT_NULL,
        OUTPUT_JOURNAL,         /* lines carried by the daemon, with the worker's fields */
        OUTPUT_FILE,            /* file:PATH, written from where it is */
        OUTPUT_APPEND,          /* append:PATH */
        OUTPUT_TRUNCATE,        /* truncate:PATH, emptied when the pool starts */
        _OUTPUT_KIND_MAX,
        _OUTPUT_KIND_INVALID = -EINVAL,
} OutputKind;

typedef struct OutputSpec {
        OutputKind kind;
        char *path;             /* owned: the files' */
} OutputSpec;

/* "journal", "file:/var/log/x", ... into buf (>= 16 + PATH_MAX). */
const char *output_spec_to_string(const OutputSpec *o, char *buf, size_t n);
bool output_spec_equal(const OutputSpec *a, const OutputSpec *b);

/* systemd's Restart= values, same meaning. */
typedef enum RestartPolicy {
        RESTART_NO,
        RESTART_ON_SUCCESS,
        RESTART_ON_FAILURE,
        RESTART_ON_ABNORMAL,
        RESTART_ON_WATCHDOG,
        RESTART_ON_ABORT,
        RESTART_ALWAYS,
        _RESTART_MAX,
        _RESTART_INVALID = -EINVAL,
} RestartPolicy;

/* Scaling=: static keeps Workers=; dynamic keeps MinIdleWorkers..MaxIdleWorkers
 * idle; ondemand starts one when all are busy and stops idle ones after
 * IdleTimeoutSec=. */
typedef enum ScalingMode {
        SCALING_STATIC,
        SCALING_ONDEMAND,
        SCALING_DYNAMIC,
        _SCALING_MAX,
        _SCALING_INVALID = -EINVAL,
} ScalingMode;

/* NotifyAccess=: whose notify messages speak for a worker (systemd's names). */
typedef enum NotifyAccess {
        NOTIFY_ACCESS_MAIN,             /* only the worker's main process (default) */
        NOTIFY_ACCESS_EXEC,             /* the main process and the pool's own commands for it */
        NOTIFY_ACCESS_ALL,              /* any process in the worker's cgroup */
        _NOTIFY_ACCESS_MAX,
        _NOTIFY_ACCESS_INVALID = -EINVAL,
} NotifyAccess;

/* JobTimeoutAction=: what a job timeout does besides killing the worker. */
typedef enum JobTimeoutAction {
        JOB_TIMEOUT_ACTION_RESTART,     /* replace the worker, whatever Restart= says (default) */
        JOB_TIMEOUT_ACTION_FAIL_POOL,   /* the pool enters failed */
        _JOB_TIMEOUT_ACTION_MAX,
        _JOB_TIMEOUT_ACTION_INVALID = -EINVAL,
} JobTimeoutAction;

/* FailureAction=: what happens when the pool enters failed (systemd's word;
 * our values). */
typedef enum FailureAction {
        FAILURE_ACTION_NONE,            /* running workers go on, no restarts (default) */
        FAILURE_ACTION_STOP_POOL,       /* stop the running workers cleanly */
        FAILURE_ACTION_EXIT,            /* stop the pool, then the daemon exits with failure */
        _FAILURE_ACTION_MAX,
        _FAILURE_ACTION_INVALID = -EINVAL,
} FailureAction;

/* ExecStartPre=, ExecStopPost=: commands run one after the other, in order. */
typedef struct ExecCommand {
        char **argv;                    /* owned: argv[0] an absolute path */
        bool ignore_failure;            /* "-" prefix: a failure is logged, and ignored */
} ExecCommand;

typedef struct ExecCommandList {
        ExecCommand *commands;          /* owned array */
        size_t n;                       /* at most POOL_EXEC_COMMANDS_MAX */
} ExecCommandList;

void exec_command_list_free(ExecCommandList *l);        /* empties it */
int exec_command_list_copy(const ExecCommandList *l, ExecCommandList *ret);
bool exec_command_list_equal(const ExecCommandList *a, const ExecCommandList *b);

/* BindIPv6Only= (systemd.socket(5)). */
typedef enum BindIPv6Only {
        BIND_IPV6_ONLY_DEFAULT,         /* the kernel's net.ipv6.bindv6only */
        BIND_IPV6_ONLY_BOTH,            /* IPV6_V6ONLY off: v4 and v6 */
        BIND_IPV6_ONLY_IPV6_ONLY,       /* IPV6_V6ONLY on */
        _BIND_IPV6_ONLY_MAX,
        _BIND_IPV6_ONLY_INVALID = -EINVAL,
} BindIPv6Only;

/* One ListenStream=/ListenDatagram=/ListenSequentialPacket= of [Socket],
 * parsed (the socket is opened by the pool: src/pool/listen.c). */
typedef struct ListenSpec {
        int type;                       /* SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET */
        char *address;                  /* owned: as written: "8080", "127.0.0.1:80", "[::1]:80",
                                         * "/run/app.sock", "@abstract" */
        struct sockaddr_storage sockaddr; /* parsed; a bare port is [::]:PORT (v4 too, as systemd) */
        socklen_t sockaddr_len;
} ListenSpec;

/* The same socket: type and address (AF_INET6: with the scope); the text as
 * written does not count ("8080" is "[::]:8080"). */
bool listen_spec_equal(const ListenSpec *a, const ListenSpec *b);
const char *bind_ipv6_only_to_string(BindIPv6Only b);
BindIPv6Only bind_ipv6_only_from_string(const char *s);   /* the names only, not booleans */

/* A set of exit statuses (0..255) and signals (1..64), for SuccessExitStatus=
 * and RestartPreventExitStatus=. */
typedef struct ExitStatusSet {
        uint8_t status[256 / 8];
        uint8_t signal[65 / 8 + 1];
} ExitStatusSet;

static inline bool exit_status_set_has_status(const ExitStatusSet *s, int status) {
        return status >= 0 && status < 256 && (s->status[status / 8] & (1u << (status % 8)));
}
static inline bool exit_status_set_has_signal(const ExitStatusSet *s, int sig) {
        return sig > 0 && sig <= 64 && (s->signal[sig / 8] & (1u << (sig % 8)));
}
static inline bool exit_status_set_is_empty(const ExitStatusSet *s) {
        for (size_t i = 0; i < sizeof(s->status); i++)
                if (s->status[i])
                        return false;
        for (size_t i = 0; i < sizeof(s->signal); i++)
                if (s->signal[i])
                        return false;
        return true;
}

/* Documented maxima (workerpoold.pool(5)), checked by the parser: nothing
 * is ever sized by a config value beyond these. */
#define POOL_WORKERS_MAX UINT32_C(65536)               /* Workers=, MinWorkers=, MaxWorkers=, ...IdleWorkers= */
#define POOL_START_LIMIT_BURST_MAX 1000000u             /* StartLimitBurst= */
#define POOL_EXIT_HISTORY_MAX 4096u                     /* ExitHistory=: exit records kept per pool */
#define POOL_PROTOCOL_VIOLATION_LIMIT_MAX 1000000u      /* ProtocolViolationLimit= */
#define POOL_LISTEN_MAX 64u                             /* Listen*= per pool */
#define POOL_HEALTH_CHECK_RETRIES_MAX 1000u             /* HealthCheckRetries= */
#define POOL_EXEC_COMMANDS_MAX 32u                      /* ExecStartPre=, ExecStopPost=: commands each */

/* Daemon-wide settings from workerpoold.conf [Manager]; they are also the
 * defaults every pool starts from. */
typedef struct ManagerConfig {
        int log_level;                  /* LogLevel=, syslog level, default LOG_INFO */
        usec_t default_restart_usec;            /* DefaultRestartSec=, 100ms */
        usec_t default_restart_max_delay_usec;  /* DefaultRestartMaxDelaySec=, 30s */
        usec_t default_timeout_start_usec;      /* DefaultTimeoutStartSec=, 90s */
        usec_t default_timeout_stop_usec;       /* DefaultTimeoutStopSec=, 90s */
        usec_t default_start_limit_interval_usec; /* DefaultStartLimitIntervalSec=, 10s */
        unsigned default_start_limit_burst;     /* DefaultStartLimitBurst=, 0 = 5 per worker */
        unsigned default_exit_history;          /* DefaultExitHistory=, 64 */
} ManagerConfig;

void manager_config_init(ManagerConfig *c);
/* Parse one workerpoold.conf (a missing file is not an error: returns 0). */
/* On -EINVAL the valid lines are applied, the refused ones are not (as
 * systemd's system.conf), and *ret_errors holds "PATH:LINE: message"s. */
int manager_config_load(ManagerConfig *c, const char *path, char ***ret_errors);

typedef struct PoolConfig {
        char *name;                     /* owned: "web" for web.pool */
        char *path;                     /* owned: the main .pool file */
        char **dropins;                 /* owned strv: drop-ins applied, in order */
        /* owned strv: path, text, path, text... of what was parsed, in order:
         * the main file, the drop-ins, then (name "SetProperties()", not a
         * path) the assignments made since over the bus. A re-exec parses
         * these again (config_load_pool_from_sources()): exactly what runs. */
        char **sources;

        /* [Pool] */
        char *description;              /* owned, may be NULL */
        char **exec_start;              /* owned strv: argv; argv[0] an absolute path */
        char **environment;             /* owned strv: KEY=VALUE */
        char *working_directory;        /* owned, NULL: "/" */
        OutputSpec std_output, std_error; /* StandardOutput=, StandardError= */
        bool working_directory_missing_ok; /* "-" prefix */
        PoolType type;                  /* Type=, default simple */
        NotifyAccess notify_access;     /* NotifyAccess=, default main */
        uint32_t workers;               /* Workers=, default 1 */
        uint32_t min_workers;           /* MinWorkers=, default 0 */
        uint32_t max_workers;           /* MaxWorkers=, default UINT32_MAX (infinity): no cap
                                         * below POOL_WORKERS_MAX (pool_config_max_workers()) */
        RestartPolicy restart;          /* Restart=, default on-failure */
        ScalingMode scaling;            /* Scaling=, default static */
        uint32_t min_idle_workers;      /* MinIdleWorkers=, default 1 (dynamic) */
        uint32_t max_idle_workers;      /* MaxIdleWorkers=, default 3 (dynamic) */
        usec_t idle_timeout_usec;       /* IdleTimeoutSec=, default 10s (ondemand) */
        unsigned scaling_max_memory_pressure; /* ScalingMaxMemoryPressure=, percent, default 40 */
        uint64_t pool_memory_max;       /* PoolMemoryMax=: no scaling up past it; default infinity */
        ExitStatusSet success_exit_status;        /* SuccessExitStatus= */
        ExitStatusSet restart_prevent_exit_status; /* RestartPreventExitStatus= */
        ExitStatusSet restart_force_exit_status;  /* RestartForceExitStatus= */
        usec_t restart_usec;            /* RestartSec= */
        usec_t restart_max_delay_usec;  /* RestartMaxDelaySec= */
        usec_t start_limit_interval_usec; /* StartLimitIntervalSec=, 0 or infinity: off */
        unsigned start_limit_burst;     /* StartLimitBurst=, 0: 5 x Workers */
        usec_t timeout_start_usec;      /* TimeoutStartSec=, infinity: none */
        usec_t timeout_stop_usec;       /* TimeoutStopSec=, infinity: none */
        usec_t watchdog_usec;           /* WatchdogSec=, 0: off */
        unsigned exit_history;          /* ExitHistory=: exits kept per pool */

        /* [Pool]: the job (X_WORKERPOOL_BUSY=1 .. 0) and recycling */
        usec_t job_timeout_usec;        /* JobTimeoutSec=, 0 or infinity: none */
        int job_timeout_signal;         /* JobTimeoutSignal=, default SIGABRT */
        JobTimeoutAction job_timeout_action; /* JobTimeoutAction=, default restart */
        usec_t wait_timeout_usec;       /* WaitTimeoutSec= (X_WORKERPOOL_WAITING=1), 0 or infinity: none */
        uint64_t max_jobs;              /* MaxJobs=, 0: no limit */
        uint64_t max_jobs_jitter;       /* MaxJobsJitter=, 0..this more jobs, per worker */
        usec_t runtime_max_usec;        /* RuntimeMaxSec=, infinity: none */
        usec_t runtime_randomized_extra_usec; /* RuntimeRandomizedExtraSec= */
        uint64_t memory_recycle;        /* MemoryRecycle=SIZE, CGROUP_LIMIT_MAX: none */
        bool memory_recycle_high;       /* MemoryRecycle=high: on the leaf's memory.high events */
        int reload_signal;              /* ReloadSignal=, default SIGHUP */
        int kill_signal;                /* KillSignal=: how we stop a worker, default SIGTERM
                                         * (lighttpd drains on SIGINT) */
        FailureAction failure_action;   /* FailureAction=, default none */
        unsigned protocol_violation_limit; /* ProtocolViolationLimit=, UINT_MAX (infinity): none */

        /* [Pool]: health checks (run in each ready worker's cgroup, as the
         * worker) and the pool's own commands (health.c, command.c) */
        char **exec_health_check;       /* owned strv: ExecHealthCheck= argv, NULL: none */
        usec_t health_check_interval_usec; /* HealthCheckIntervalSec=, default 30s, never 0 */
        usec_t health_check_timeout_usec;  /* HealthCheckTimeoutSec=, default 30s, infinity: none */
        unsigned health_check_retries;  /* HealthCheckRetries=, failures in a row, 1..1000, default 3 */
        ExecCommandList exec_start_pre; /* ExecStartPre=: before the pool's first worker */
        ExecCommandList exec_stop_post; /* ExecStopPost=: after its last worker is gone */

        /* [Socket]: systemd.socket(5) names and meanings; the pool opens these
         * once and passes them to every worker as fds 3.. ($LISTEN_FDS) */
        ListenSpec *listen;             /* owned array, in the order given */
        size_t n_listen;                /* at most POOL_LISTEN_MAX */
        char *fd_name;                  /* FileDescriptorName=, NULL: the pool's name */
        unsigned backlog;               /* Backlog=, default SOMAXCONN */
        BindIPv6Only bind_ipv6_only;    /* BindIPv6Only= */
        bool free_bind, reuse_port, no_delay, keep_alive; /* FreeBind= ReusePort= NoDelay= KeepAlive= */
        usec_t defer_accept_usec;       /* DeferAcceptSec= (TCP_DEFER_ACCEPT), 0: off */
        char *socket_user, *socket_group; /* SocketUser=, SocketGroup= (AF_UNIX), NULL: root */
        mode_t socket_mode;             /* SocketMode=, default 0666 */
        bool remove_on_stop;            /* RemoveOnStop= (AF_UNIX paths) */
        unsigned restart_parallel;      /* RestartParallel= ([Pool]): workers replaced at once by a
                                         * rolling restart, default 1 */

        /* [Resources]: applied to every worker's own cgroup */
        uint64_t memory_max;            /* bytes, CGROUP_LIMIT_MAX = infinity (default) */
        uint64_t memory_high;
        uint64_t memory_swap_max;
        usec_t cpu_quota_per_sec_usec;  /* CPUQuota=50% -> 500000; USEC_INFINITY: none */
        uint64_t cpu_weight;            /* 1..10000, default 100 */
        uint64_t tasks_max;             /* CGROUP_LIMIT_MAX = infinity */

        /* [Sandbox]: systemd.exec(5) names and meanings */
        char *user;                     /* owned, NULL: root */
        char *group;                    /* owned, NULL: the user's group */
        char **supplementary_groups;    /* owned strv: SupplementaryGroups= */
        bool no_new_privileges;         /* NoNewPrivileges= */
        bool private_tmp;               /* PrivateTmp=: a tmpfs /tmp and /var/tmp per worker */
        uint64_t capability_bounding_set; /* CapabilityBoundingSet=, UINT64_MAX: unchanged */
        uint64_t ambient_capabilities;  /* AmbientCapabilities=, 0: none */
        mode_t umask;                   /* UMask=, default 0022 */
        struct rlimit rlimits[RLIMIT_NLIMITS]; /* Limit*=, where rlimits_set has the bit */
        uint32_t rlimits_set;           /* bit (1 << RLIMIT_*) */
        /* SystemCallFilter=: a set of native system call numbers
         * (src/spawn/seccomp.h); an allow list if the first assignment had
         * no "~" (then @default is implied, as in systemd), else a deny list. */
        bool syscall_filter_set;        /* any SystemCallFilter= in force */
        bool syscall_filter_allow_list;
        uint8_t syscall_filter[1024 / 8];
        uint16_t syscall_filter_errno[1024]; /* ~name:ERRNO: a denied call's own errno; 0: none */
        int syscall_error_number;       /* SystemCallErrorNumber=, 0: kill the process */
        bool syscall_archs_native;      /* SystemCallArchitectures=native */
} PoolConfig;

PoolConfig *pool_config_free(PoolConfig *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(PoolConfig *, pool_config_free);
/* A PoolConfig with every default set (from m; m may be NULL: built-in defaults). */
int pool_config_new(const char *name, const ManagerConfig *m, PoolConfig **ret);

/* Default search path, earlier wins: /etc, /run, /usr/lib (…/workerpoold/pools.d). */
extern const char *const config_default_dirs[];

/* Valid pool name: 1..64 chars of [A-Za-z0-9_.:-], not starting with '.' or '-'. */
bool pool_name_is_valid(const char *name);

/* All pool names found in dirs (NULL-terminated): NAME.pool files; a file in an
 * earlier dir masks one of the same name in a later dir. A NAME.pool that is
 * empty or a symlink to /dev/null is masked (the pool does not exist). Sorted.
 * A file whose name is not a valid pool name, and a directory that cannot be
 * read, are reported in *ret_errors (if not NULL; "PATH: message"), and the
 * rest is listed. Returns 0, 1 if some directory could not be read (the list
 * may lack pools that exist), or -ENOMEM. */
int config_enumerate_pools(const char *const *dirs, char ***ret_names, char ***ret_errors);

/* Load pool `name`: the first NAME.pool found in dirs, then every
 * NAME.pool.d/<x>.conf from all dirs, sorted by file name <x>, a file in an
 * earlier dir masking the same file name in a later one. Empty assignment
 * (Key=) resets to the default, as in systemd. On any error (unknown section
 * or key, bad value, missing ExecStart=) returns -EINVAL and the errors, each
 * "PATH:LINE: message", in *ret_errors (if not NULL); *ret is set only on
 * success. -ENOENT if no NAME.pool exists. */
int config_load_pool(const char *name, const char *const *dirs, const ManagerConfig *m,
                     PoolConfig **ret, char ***ret_errors);
/* The name of the overlay in PoolConfig.sources that holds what was set
 * over the bus since the files were loaded. */
#define POOL_CONFIG_SET_PROPERTIES_SOURCE "SetProperties()"
/* The same from the texts a loaded config keeps (PoolConfig.sources). */
int config_load_pool_from_sources(const char *name, char **sources, const ManagerConfig *m,
                                  PoolConfig **ret, char ***ret_errors);

/* Whether two configs differ in what needs new worker processes (ExecStart,
 * Environment, WorkingDirectory, Type, User, Group...), and in what can be
 * applied to live cgroups ([Resources]). */
bool pool_config_exec_changed(const PoolConfig *a, const PoolConfig *b);
bool pool_config_resources_changed(const PoolConfig *a, const PoolConfig *b);
/* Whether the options of the sockets differ (Backlog=, BindIPv6Only=,
 * FreeBind=, ReusePort=, NoDelay=, KeepAlive=, SocketUser=, SocketGroup=,
 * SocketMode=): sockets to open again; not FileDescriptorName= nor
 * RemoveOnStop=, nor the Listen*= set itself (listen_spec_equal()). */
bool pool_config_socket_options_changed(const PoolConfig *a, const PoolConfig *b);
/* Whether a worker of this pool runs under a seccomp filter
 * (SystemCallFilter= or SystemCallArchitectures=). */
bool pool_config_has_seccomp_filter(const PoolConfig *c);
/* MaxWorkers= as a number: infinity is POOL_WORKERS_MAX. */
static inline uint32_t pool_config_max_workers(const PoolConfig *c) {
        return c->max_workers < POOL_WORKERS_MAX ? c->max_workers : POOL_WORKERS_MAX;
}

const char *pool_type_to_string(PoolType t);
PoolType pool_type_from_string(const char *s);
const char *restart_policy_to_string(RestartPolicy r);
const char *scaling_mode_to_string(ScalingMode m);
ScalingMode scaling_mode_from_string(const char *s);
const char *notify_access_to_string(NotifyAccess a);
NotifyAccess notify_access_from_string(const char *s);
RestartPolicy restart_policy_from_string(const char *s);
const char *job_timeout_action_to_string(JobTimeoutAction a);
JobTimeoutAction job_timeout_action_from_string(const char *s);
const char *failure_action_to_string(FailureAction a);
FailureAction failure_action_from_string(const char *s);
/* The limits as the daemon applies them: 0 and infinity both mean none. */
static inline bool config_usec_is_set(usec_t u) {
        return u > 0 && u != USEC_INFINITY;
}

/* Added for the D-Bus layer */

/* A deep copy of c (keep in sync with pool_config_free()). */
int pool_config_dup(const PoolConfig *c, PoolConfig **ret);
/* The section ("Pool", "Resources", ...) a pool key belongs in, or NULL. */
const char *pool_config_property_section(const char *key);
/* Apply one Key=value to c with the same parser and error text as the config
 * files (an empty value resets to the default from m, which may be NULL), then
 * check the result as a loaded file is checked (Workers= within
 * MinWorkers..MaxWorkers...). -ENOENT: no such key. -EINVAL: refused, the
 * message (without file:line) in *ret_error. On error c may be half changed:
 * work on a copy. */
int pool_config_set_property(PoolConfig *c, const ManagerConfig *m, const char *key,
                             const char *value, char **ret_error);
