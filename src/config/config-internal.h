/* SPDX-License-Identifier: MIT */
#pragma once

/* Inside the config parser: shared by config.c (files, tables, loading) and
 * config-parsers.c (one function per kind of value). Not for other layers. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "../shared/string-util.h"

#define COMMENTS "#;"

typedef struct ConfigParser ConfigParser;
typedef struct ConfigItem ConfigItem;

/* Parse `value` into `data` (the field at item->offset in the target); `def`
 * is the same field in the defaults (for Key= resets). Returns 0, -EINVAL
 * after recording an error message, or -ENOMEM (aborts the load). */
typedef int (*ConfigParseFunc)(ConfigParser *p, const ConfigItem *item, const char *value,
                               void *data, const void *def);

struct ConfigItem {
        const char *section;
        const char *key;
        ConfigParseFunc parse;
        size_t offset;
        unsigned flags;
        uint64_t min, max;      /* for the integer parsers */
};

enum {
        CONFIG_SEC_FIX_0 = 1 << 0,       /* time span: 0 means infinity (timeouts) */
        CONFIG_MEMORY_PERCENT = 1 << 1,  /* size: allow N% of physical memory */
        CONFIG_MEMORY_ZERO = 1 << 2,     /* size: allow 0 */
        CONFIG_UINT_INFINITY = 1 << 3,   /* integer: "infinity" -> max */
        CONFIG_SEC_POSITIVE = 1 << 4,    /* time span: neither 0 nor infinity (an interval) */
        CONFIG_CAP_BOUNDING = 1 << 8,    /* capabilities: the bounding set (default all) */
};

typedef struct ConfigLocation {
        const char *path;       /* not owned */
        unsigned line;
        unsigned seq;
} ConfigLocation;

struct ConfigParser {
        const ConfigItem *items;        /* not owned, {}-terminated */
        size_t n_items;
        void *target;                   /* not owned: PoolConfig or ManagerConfig */
        const void *defaults;           /* not owned: same type, defaults */

        const char *path;               /* not owned: current file */
        unsigned line;                  /* current (first) line of the assignment */
        char *section;                  /* owned: current section, NULL before any */
        bool skip_section;              /* unknown or invalid section: errors reported once */

        char **errors;                  /* owned strv of "PATH:LINE: message" */
        int io_error;                   /* first error reading a file, or 0 */
        ConfigLocation *locs;           /* owned: last assignment of each item */
        unsigned seq;
        bool exec_start_invalid;        /* the last ExecStart= was refused */
};

#define config_error(p, ...) config_error_at((p), (p)->path, (p)->line, __VA_ARGS__)

bool user_group_name_is_valid(const char *s);
bool env_name_is_valid(const char *s, size_t n);
bool env_assignment_is_valid(const char *s);
uint64_t physical_memory(void);
int read_pid_max(uint64_t *ret);
int config_error_at(ConfigParser *p, const char *path, unsigned line, const char *format, ...)
        _printf_(4, 5);
int config_invalid(ConfigParser *p, const ConfigItem *item, const char *value, const char *why);
const ConfigLocation *config_location(const ConfigParser *p, const char *section, const char *key);
int config_parse_string(ConfigParser *p, const ConfigItem *item, const char *value,
                               void *data, const void *def);
int config_parse_user_group(ConfigParser *p, const ConfigItem *item, const char *value,
                                   void *data, const void *def);
int config_parse_output(ConfigParser *p, const ConfigItem *item, const char *value, void *data,
                        const void *def);
int config_parse_exec_start(ConfigParser *p, const ConfigItem *item, const char *value,
                                   void *data, const void *def);
int config_parse_environment(ConfigParser *p, const ConfigItem *item, const char *value,
                                    void *data, const void *def);
/* One command line split as ExecStart= (an strv), given once: ExecHealthCheck=. */
int config_parse_exec_command(ConfigParser *p, const ConfigItem *item, const char *value,
                              void *data, const void *def);
/* An ExecCommandList: each assignment adds one ("-" prefix: failure ignored),
 * an empty one resets it; at most POOL_EXEC_COMMANDS_MAX. */
int config_parse_exec_command_list(ConfigParser *p, const ConfigItem *item, const char *value,
                                   void *data, const void *def);
int config_parse_working_directory(ConfigParser *p, const ConfigItem *item, const char *value,
                                          void *data, const void *def);
int config_parse_notify_access(ConfigParser *p, const ConfigItem *item, const char *value,
                               void *data, const void *def);
int config_parse_pool_type(ConfigParser *p, const ConfigItem *item, const char *value,
                                  void *data, const void *def);
int config_parse_scaling(ConfigParser *p, const ConfigItem *item, const char *value,
                                void *data, const void *def);
int config_parse_pressure(ConfigParser *p, const ConfigItem *item, const char *value,
                                 void *data, const void *def);
int config_parse_job_timeout_action(ConfigParser *p, const ConfigItem *item, const char *value,
                                    void *data, const void *def);
int config_parse_failure_action(ConfigParser *p, const ConfigItem *item, const char *value,
                                void *data, const void *def);
/* A signal name or number (1..64). */
int config_parse_signal(ConfigParser *p, const ConfigItem *item, const char *value,
                        void *data, const void *def);
/* MemoryRecycle=: a size, or "high" (the leaf's memory.high events). */
int config_parse_memory_recycle(ConfigParser *p, const ConfigItem *item, const char *value,
                                void *data, const void *def);
int config_parse_restart(ConfigParser *p, const ConfigItem *item, const char *value,
                                void *data, const void *def);
int config_parse_ranged(ConfigParser *p, const ConfigItem *item, const char *value, uint64_t *ret);
int config_parse_uint32(ConfigParser *p, const ConfigItem *item, const char *value,
                               void *data, const void *def);
int config_parse_max_workers(ConfigParser *p, const ConfigItem *item, const char *value,
                             void *data, const void *def);
int config_parse_unsigned(ConfigParser *p, const ConfigItem *item, const char *value,
                                 void *data, const void *def);
int config_parse_uint64(ConfigParser *p, const ConfigItem *item, const char *value,
                               void *data, const void *def);
int config_parse_exit_status(ConfigParser *p, const ConfigItem *item, const char *value,
                                    void *data, const void *def);
int parse_sec_value(ConfigParser *p, const ConfigItem *item, const char *value, usec_t *ret);
int config_parse_sec(ConfigParser *p, const ConfigItem *item, const char *value,
                            void *data, const void *def);
int config_parse_timeout(ConfigParser *p, const ConfigItem *item, const char *value,
                                void *data, const void *def);
int config_parse_memory(ConfigParser *p, const ConfigItem *item, const char *value,
                               void *data, const void *def);
int config_parse_cpu_quota(ConfigParser *p, const ConfigItem *item, const char *value,
                                  void *data, const void *def);
int config_parse_tasks_max(ConfigParser *p, const ConfigItem *item, const char *value,
                                  void *data, const void *def);
int config_parse_log_level(ConfigParser *p, const ConfigItem *item, const char *value,
                                  void *data, const void *def);
int config_parse_bool(ConfigParser *p, const ConfigItem *item, const char *value,
                             void *data, const void *def);
int config_parse_groups(ConfigParser *p, const ConfigItem *item, const char *value,
                               void *data, const void *def);
int config_parse_capabilities(ConfigParser *p, const ConfigItem *item, const char *value,
                                     void *data, const void *def);
int config_parse_umask(ConfigParser *p, const ConfigItem *item, const char *value,
                              void *data, const void *def);
int config_parse_rlimit(ConfigParser *p, const ConfigItem *item, const char *value,
                               void *data, const void *def);
int config_parse_syscall_filter(ConfigParser *p, const ConfigItem *item, const char *value,
                                       void *data, const void *def);
int config_parse_syscall_errno(ConfigParser *p, const ConfigItem *item, const char *value,
                                      void *data, const void *def);
int config_parse_syscall_archs(ConfigParser *p, const ConfigItem *item, const char *value,
                                      void *data, const void *def);

/* [Socket] (config-socket.c) */
/* One Listen*= address as systemd.socket(5) writes it: a port ("8080":
 * [::]:8080, or 0.0.0.0:8080 where the kernel has no IPv6), "IPv4:PORT",
 * "[IPv6]:PORT" (optionally "%INTERFACE" after the port), an absolute path
 * or "@name" (AF_UNIX, abstract); SOCK_SEQPACKET only for AF_UNIX. Sets
 * *ret with ->address NULL (the caller keeps the text); or -EINVAL and a
 * static reason in *ret_why. */
int listen_address_parse(const char *s, int type, ListenSpec *ret, const char **ret_why);
void listen_spec_list_free(ListenSpec **l, size_t *n);          /* empties it */
int listen_spec_list_copy(const ListenSpec *l, size_t n, ListenSpec **ret, size_t *ret_n);
int config_parse_listen(ConfigParser *p, const ConfigItem *item, const char *value,
                        void *data, const void *def);
int config_parse_fd_name(ConfigParser *p, const ConfigItem *item, const char *value,
                         void *data, const void *def);
int config_parse_bind_ipv6_only(ConfigParser *p, const ConfigItem *item, const char *value,
                                void *data, const void *def);
/* An octal file mode up to 07777 (SocketMode=). */
int config_parse_mode(ConfigParser *p, const ConfigItem *item, const char *value,
                      void *data, const void *def);
