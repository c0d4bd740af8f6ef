/* SPDX-License-Identifier: MIT */
#pragma once

/* What the parts of workerpoolctl share: the options main() parsed, the exit
 * codes, the calls on the daemon (ctl-bus.c), the record of an exit
 * (ctl-events.c) and the verbs the table in workerpoolctl.c runs. */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <systemd/sd-bus.h>

#include "ctl-output.h"

/* Exit codes, as systemctl's: scripts rely on them. */
enum {
        EXIT_OK = 0,
        EXIT_FAIL = 1,          /* also is-failed: none of the pools failed */
        EXIT_USAGE = 2,
        EXIT_NOT_ACTIVE = 3,    /* is-active: a pool is not active */
        EXIT_NOT_FOUND = 4,
};

/* ---- the options (workerpoolctl.c) ------------------------------------------ */

typedef enum Transport {
        TRANSPORT_SYSTEM,
        TRANSPORT_USER,
        TRANSPORT_REMOTE,
        TRANSPORT_ADDRESS,
} Transport;

extern Transport arg_transport;
extern const char *arg_host;
extern const char *arg_address;
extern JsonMode arg_json;
extern bool arg_runtime;
extern bool arg_follow;
extern bool arg_verbose;                /* -o verbose: events with every field and the capture */
extern bool arg_legend;
extern bool arg_all;
extern bool arg_value;
extern bool arg_quiet;
extern bool arg_no_block;
extern char **arg_properties;
extern const char *arg_state;
extern const char *arg_pool;
extern const char *arg_reason;
extern const char *arg_type;
extern const char *arg_since;
extern const char *arg_signal;
extern uint32_t arg_lines;

/* ---- the daemon (ctl-bus.c) ---------------------------------------------------
 * Each says what went wrong itself. fail() and call_*() return the exit
 * status; connect_bus(), *_path() and list_pool_names() 0 or -(exit status). */

int fail(const sd_bus_error *e, int r, const char *what);
int connect_bus(sd_bus **ret);
int pool_path(sd_bus *bus, const char *name, char **ret);
int worker_path(sd_bus *bus, uint64_t id, char **ret);
int call_pool(sd_bus *bus, const char *name, const char *method, const char *what, char **ret_path,
              const char *types, ...);
int call_worker(sd_bus *bus, uint64_t id, const char *method, const char *what, uint64_t timeout,
                sd_bus_message **ret_reply, const char *types, ...);
int list_pool_names(sd_bus *bus, char ***ret);
int follow_signals(sd_bus *bus);
int pool_names_from_args(sd_bus *bus, char **args, int n, char ***ret);  /* -errno */        /* --follow: process signals until the bus is lost */

/* ---- exits (ctl-events.c) ------------------------------------------------------ */

typedef struct Event {
        uint64_t id;
        const char *pool;
        uint32_t pid;
        uint64_t started, exited;
        const char *reason, *evidence;
        int core;
        int32_t code, status;
        const char *action;
        uint64_t memory_peak, cpu_usec;
        uint64_t replaces, successor;   /* 0: none (or not yet, or an older daemon) */
        uint64_t jobs;                  /* UINT64_MAX: the daemon did not say */
        const char *capture;            /* "" none */
} Event;

int events_enter(sd_bus_message *m);
int event_read(sd_bus_message *m, Event *ev);
void event_print_json(FILE *j, const Event *ev);

/* ---- the verbs: (bus, the verb and its arguments, how many) -> exit status ---- */

/* ctl-status.c */
int verb_status(sd_bus *bus, char **args, int n);
int verb_show(sd_bus *bus, char **args, int n);
int verb_cat(sd_bus *bus, char **args, int n);
int verb_is_active(sd_bus *bus, char **args, int n);
/* ctl-list.c */
int verb_list(sd_bus *bus, char **args, int n);
int verb_list_sockets(sd_bus *bus, char **args, int n);
/* ctl-events.c */
int verb_events(sd_bus *bus, char **args, int n);
/* ctl-jobs.c */
int verb_pool_simple(sd_bus *bus, char **args, int n);
int verb_scale(sd_bus *bus, char **args, int n);
int verb_set_property(sd_bus *bus, char **args, int n);
int verb_reload(sd_bus *bus, char **args, int n);
/* ctl-actions.c */
int verb_manager_call(sd_bus *bus, char **args, int n);
int verb_metrics(sd_bus *bus, char **args, int n);
/* events with --type= or --since= (ctl-lifecycle.c) */
int verb_lifecycle_events(sd_bus *bus);
int parse_since(const char *s, uint64_t *ret);
int verb_kill(sd_bus *bus, char **args, int n);
int verb_freeze(sd_bus *bus, char **args, int n);
int verb_diagnose(sd_bus *bus, char **args, int n);
