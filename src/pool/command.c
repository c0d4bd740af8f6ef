/* SPDX-License-Identifier: MIT */
/* ExecStartPre= and ExecStopPost=, with systemd's semantics: the commands
 * of a list run one after the other, in order; one that fails ends the list
 * (a "-" prefix makes its failure ignored: logged, and the next one runs).
 * Each command runs with the pool's credentials, [Sandbox] and environment,
 * in a fresh leaf of its own with the pool's [Resources] (a new name each
 * time: a cgroup that had cgroup.kill written is never used again), with
 * TimeoutStartSec= (ExecStartPre=) or TimeoutStopSec= (ExecStopPost=) each.
 * Its output goes to the journal, line by line, once it has ended; what it
 * left behind in its leaf is killed (systemd: processes forked off by
 * ExecStartPre= are killed before the next one runs). Steps always run from
 * the event loop, so pool.c's callbacks are never called from inside
 * pool_run_*(). ExecStopPost= after a failed ExecStartPre= is pool.c's
 * (pool_start_pre_done() starts it). Not carried across a re-exec: a
 * command running then is ended by the sweep of unknown leaves. */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>

#include "../shared/log.h"
#include "../shared/utf8.h"
#include "child.h"
#include "command.h"
#include "health.h"
#include "pool.h"

#define COMMAND_OUTPUT_MAX (64u * 1024u)       /* bytes of output logged per command */

typedef enum CommandPhase {
        COMMAND_PHASE_NONE,
        COMMAND_PHASE_START_PRE,
        COMMAND_PHASE_STOP_POST,
} CommandPhase;

/* A command's leaf that still had processes when the command ended: killed,
 * removed when cgroup.events says it is empty. */
typedef struct CommandLeaf CommandLeaf;
struct CommandLeaf {
        PoolCommands *owner;            /* not owned */
        CommandLeaf *next;
        char name[64];
        sd_event_source *watch;         /* owned: its cgroup.events */
};

struct PoolCommands {
        Pool *pool;                     /* not owned */
        CommandPhase phase;
        ExecCommandList list;           /* owned: a copy, a reload does not change what runs */
        size_t index;                   /* the command running, or the next one */
        PoolChild *child;               /* owned: running */
        char leaf[64];                  /* its leaf, "" if none */
        unsigned seq;                   /* the N of leaf names */
        sd_event_source *defer;         /* owned: the next step, from the event loop */
        int start_pre_error;            /* ExecStartPre= failed (-errno), for the callback */
        char why[256];                  /* how it failed */
        CommandLeaf *dying;             /* owned list */
};

static const char *phase_key(CommandPhase phase) {
        return phase == COMMAND_PHASE_START_PRE ? "ExecStartPre" : "ExecStopPost";
}

/* ---- leaves ---------------------------------------------------------------- */

static void leaf_free(CommandLeaf *l) {
        PoolCommands *pc = l->owner;

        for (CommandLeaf **i = &pc->dying; *i; i = &(*i)->next)
                if (*i == l) {
                        *i = l->next;
                        break;
                }
        sd_event_source_disable_unref(l->watch);
        free(l);
}

static int on_leaf_event(sd_event_source *s, const struct inotify_event *ev, void *userdata) {
        CommandLeaf *l = userdata;
        Pool *p = l->owner->pool;

        if (cgroup_remove_recursive(p->cgroup_fd, l->name) >= 0)
                leaf_free(l);
        return 0;
}

/* The command is over: remove its leaf, or kill what is left in it and
 * remove it once empty. */
static void commands_release_leaf(PoolCommands *pc) {
        Pool *p = pc->pool;
        _cleanup_(closep) int fd = -EBADF, events_fd = -EBADF;
        CommandLeaf *l;
        int r;

        if (!pc->leaf[0])
                return;
        r = cgroup_remove_recursive(p->cgroup_fd, pc->leaf);
        if (r >= 0 || r != -EBUSY)
                goto done;
        if (cgroup_open(p->cgroup_fd, pc->leaf, &fd) < 0)
                goto done;
        log_debug("Pool %s: %s left processes behind in %s, killing them.", p->name, phase_key(pc->phase),
                  pc->leaf);
        (void) cgroup_kill(fd);
        l = calloc(1, sizeof(*l));
        if (!l)
                goto done;
        *l = (CommandLeaf) { .owner = pc, .next = pc->dying };
        snprintf(l->name, sizeof l->name, "%s", pc->leaf);
        pc->dying = l;
        events_fd = openat(fd, "cgroup.events", O_RDONLY | O_CLOEXEC);
        if (events_fd < 0 ||
            sd_event_add_inotify_fd(p->host->event, &l->watch, events_fd, IN_MODIFY, on_leaf_event, l) < 0) {
                log_warning("Pool %s: cannot watch cgroup %s, it stays until the pool goes.", p->name, l->name);
                goto done;
        }
        (void) sd_event_source_set_description(l->watch, "command-cgroup-events");
        /* It may have emptied before the watch. */
        if (cgroup_is_populated(fd) == 0 && cgroup_remove_recursive(p->cgroup_fd, l->name) >= 0)
                leaf_free(l);
done:
        pc->leaf[0] = '\0';
}

/* A fresh leaf with the pool's limits: a name never used before in this
 * pool's life, and never an existing cgroup. Returns its fd. */
static int commands_make_leaf(PoolCommands *pc) {
        Pool *p = pc->pool;
        CgroupLimits limits;
        int fd = -EBADF, r = -EEXIST;

        for (unsigned k = 0; k < 64 && r == -EEXIST; k++) {
                snprintf(pc->leaf, sizeof pc->leaf, "%s-%u%s",
                         pc->phase == COMMAND_PHASE_START_PRE ? "start-pre" : "stop-post", ++pc->seq,
                         POOL_COMMAND_LEAF_SUFFIX);
                r = cgroup_create(p->cgroup_fd, pc->leaf, false, &fd);
        }
        if (r < 0) {
                pc->leaf[0] = '\0';
                return r;
        }
        pool_limits_from_config(p->config, &limits);
        r = cgroup_apply_limits(fd, p->host->controllers, &limits);
        if (r < 0)
                log_debug_errno(r, "Pool %s: cannot apply every limit to %s: %m", p->name, pc->leaf);
        return fd;
}

bool pool_commands_owns_leaf(const Pool *p, const char *name) {
        const PoolCommands *pc = p->commands;

        if (!pc)
                return false;
        if (pc->leaf[0] && streq(pc->leaf, name))
                return true;
        for (const CommandLeaf *l = pc->dying; l; l = l->next)
                if (streq(l->name, name))
                        return true;
        return false;
}

/* ---- the steps ----------------------------------------------------------- */

static void commands_schedule(PoolCommands *pc);

/* Every line of its output into the journal, with the pool's fields. */
static void commands_log_output(PoolCommands *pc, const ExecCommand *cmd, const PoolChildResult *r) {
        Pool *p = pc->pool;
        char field[64], line[1024];
        char *extra[] = { field, NULL };
        const char *s = r->output, *end = r->output + r->output_size;

        snprintf(field, sizeof field, "WORKERPOOL_COMMAND=%s", phase_key(pc->phase));
        while (s < end) {
                const char *nl = memchr(s, '\n', (size_t) (end - s));
                size_t n = nl ? (size_t) (nl - s) : (size_t) (end - s);

                (void) utf8_sanitize(line, sizeof line, s, n);
                pool_log_event(p, NULL, LOG_INFO, MESSAGE_ID_POOL_COMMAND, extra, "Pool %s: %s=%s: %s", p->name,
                               phase_key(pc->phase), cmd->argv[0], line);
                s += n + 1;
        }
        if (r->output_truncated)
                pool_log_event(p, NULL, LOG_INFO, MESSAGE_ID_POOL_COMMAND, extra,
                               "Pool %s: %s=%s: (more output, not logged: past %u bytes)", p->name,
                               phase_key(pc->phase), cmd->argv[0], COMMAND_OUTPUT_MAX);
}

/* The list is over (done, or ended by a failure): tell pool.c, which may
 * start the next list from inside the callback (ExecStopPost= after a
 * failed ExecStartPre=) or free the pool: nothing of pc is touched after. */
static void commands_finish(PoolCommands *pc) {
        Pool *p = pc->pool;
        CommandPhase phase = pc->phase;
        int error = pc->start_pre_error;
        char why[sizeof pc->why];

        snprintf(why, sizeof why, "%s", pc->why);
        pc->phase = COMMAND_PHASE_NONE;
        pc->start_pre_error = 0;
        pc->why[0] = '\0';
        exec_command_list_free(&pc->list);
        if (phase == COMMAND_PHASE_START_PRE)
                pool_start_pre_done(p, error, error < 0 ? why : NULL);
        else
                pool_stop_post_done(p);
}

static void commands_begin_phase(PoolCommands *pc, CommandPhase phase) {
        const ExecCommandList *l = phase == COMMAND_PHASE_START_PRE ? &pc->pool->config->exec_start_pre
                                                                    : &pc->pool->config->exec_stop_post;

        exec_command_list_free(&pc->list);
        pc->phase = phase;
        pc->index = 0;
        if (exec_command_list_copy(l, &pc->list) < 0)
                log_oom();      /* then none run: the phase ends at the next step */
        commands_schedule(pc);
}

/* One command ended (r), or could not start (r->code 0). */
static void commands_command_done(PoolCommands *pc, const PoolChildResult *r) {
        Pool *p = pc->pool;
        const ExecCommand *cmd = &pc->list.commands[pc->index];
        const char *key = phase_key(pc->phase);
        usec_t timeout = pc->phase == COMMAND_PHASE_START_PRE ? p->config->timeout_start_usec
                                                              : p->config->timeout_stop_usec;
        char what[200], field[64];
        char *extra[] = { field, NULL };
        bool ok;

        commands_log_output(pc, cmd, r);
        commands_release_leaf(pc);
        ok = pool_child_result_describe(r, timeout, what, sizeof what);
        snprintf(field, sizeof field, "WORKERPOOL_COMMAND=%s", key);
        if (ok) {
                pool_log_event(p, NULL, LOG_DEBUG, MESSAGE_ID_POOL_COMMAND, extra, "Pool %s: %s=%s succeeded.",
                               p->name, key, cmd->argv[0]);
        } else if (cmd->ignore_failure) {
                pool_log_event(p, NULL, LOG_NOTICE, MESSAGE_ID_POOL_COMMAND, extra,
                               "Pool %s: %s=-%s failed, ignoring: %s.", p->name, key, cmd->argv[0], what);
        } else {
                pool_log_event(p, NULL, LOG_ERR, MESSAGE_ID_POOL_COMMAND, extra, "Pool %s: %s=%s failed: %s.",
                               p->name, key, cmd->argv[0], what);
                if (pc->phase == COMMAND_PHASE_START_PRE) {
                        snprintf(pc->why, sizeof pc->why, "%s=%s failed: %s", key, cmd->argv[0], what);
                        pc->start_pre_error = r->timed_out ? -ETIMEDOUT
                                              : r->code == 0 ? -(r->spawn_errno > 0 ? r->spawn_errno : EIO)
                                              : -EIO;
                }
                pc->index = pc->list.n;         /* the rest is skipped, as in systemd */
        }
        pc->index++;
        commands_schedule(pc);
}

static void on_command_done(PoolChild *child, const PoolChildResult *r, void *userdata) {
        PoolCommands *pc = userdata;

        pc->child = pool_child_free(pc->child);
        commands_command_done(pc, r);
}

static void commands_step(PoolCommands *pc) {
        Pool *p = pc->pool;
        const ExecCommand *cmd;
        _cleanup_(closep) int fd = -EBADF;
        int r;

        if (pc->index >= pc->list.n) {
                commands_finish(pc);
                return;
        }
        cmd = &pc->list.commands[pc->index];
        fd = commands_make_leaf(pc);
        r = fd < 0 ? fd : pool_child_spawn(p->host, &(PoolChildParams) {
                .argv = cmd->argv,
                .cgroup_fd = fd,
                .pool = p,
                .timeout_usec = pc->phase == COMMAND_PHASE_START_PRE ? p->config->timeout_start_usec
                                                                     : p->config->timeout_stop_usec,
                .max_output = COMMAND_OUTPUT_MAX,
                .description = phase_key(pc->phase),
        }, on_command_done, pc, &pc->child);
        if (r < 0) {
                PoolChildResult res = { .spawn_errno = -r, .spawn_step = fd < 0 ? "cgroup" : "spawn",
                                        .output = "" };

                commands_command_done(pc, &res);
                return;
        }
        log_debug("Pool %s: %s=%s running (pid %d) in %s.", p->name, phase_key(pc->phase), cmd->argv[0],
                  (int) pool_child_pid(pc->child), pc->leaf);
}

static int on_commands_defer(sd_event_source *s, void *userdata) {
        commands_step(userdata);
        return 0;
}

static void commands_schedule(PoolCommands *pc) {
        int r;

        if (!pc->defer) {
                r = sd_event_add_defer(pc->pool->host->event, &pc->defer, on_commands_defer, pc);
                if (r < 0) {
                        /* Cannot happen but for ENOMEM; go on here, at the
                         * price of a callback from inside the caller. */
                        log_oom();
                        commands_step(pc);
                        return;
                }
                (void) sd_event_source_set_description(pc->defer, "pool-commands");
        }
        (void) sd_event_source_set_enabled(pc->defer, SD_EVENT_ONESHOT);
}

/* ---- the interface (pool.h) ---------------------------------------------- */

static int commands_get(Pool *p, PoolCommands **ret) {
        if (!p->commands) {
                p->commands = calloc(1, sizeof(PoolCommands));
                if (!p->commands)
                        return -ENOMEM;
                p->commands->pool = p;
        }
        *ret = p->commands;
        return 0;
}

/* Stop what runs: the command is killed, no callback. */
static void commands_cancel(PoolCommands *pc) {
        pc->child = pool_child_free(pc->child);
        commands_release_leaf(pc);
        if (pc->defer)
                (void) sd_event_source_set_enabled(pc->defer, SD_EVENT_OFF);
        exec_command_list_free(&pc->list);
        pc->phase = COMMAND_PHASE_NONE;
        pc->start_pre_error = 0;
        pc->why[0] = '\0';
}

int pool_run_start_pre(Pool *p) {
        PoolCommands *pc;
        int r;

        if (p->commands && p->commands->phase != COMMAND_PHASE_NONE)
                return -EBUSY;
        if (p->config->exec_start_pre.n == 0)
                return 0;
        r = commands_get(p, &pc);
        if (r < 0)
                return r;
        commands_begin_phase(pc, COMMAND_PHASE_START_PRE);
        return 1;
}

int pool_run_stop_post(Pool *p) {
        PoolCommands *pc = p->commands;
        int r;

        if (pc && pc->phase == COMMAND_PHASE_STOP_POST)
                return 1;               /* already running: its callback comes */
        if (pc && pc->phase == COMMAND_PHASE_START_PRE) {
                log_info("Pool %s: stopping: ExecStartPre= canceled.", p->name);
                commands_cancel(pc);
        }
        if (p->config->exec_stop_post.n == 0)
                return 0;
        r = commands_get(p, &pc);
        if (r < 0)
                return r;
        commands_begin_phase(pc, COMMAND_PHASE_STOP_POST);
        return 1;
}

void pool_commands_free(Pool *p) {
        PoolCommands *pc = p->commands;

        if (!pc)
                return;
        commands_cancel(pc);
        while (pc->dying) {
                CommandLeaf *l = pc->dying;
                int r = cgroup_remove_recursive(p->cgroup_fd, l->name);

                if (r < 0)
                        log_debug_errno(r, "Pool %s: cannot remove cgroup %s yet: %m", p->name, l->name);
                leaf_free(l);
        }
        sd_event_source_disable_unref(pc->defer);
        p->commands = mfree(pc);
}
