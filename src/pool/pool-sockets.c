/* SPDX-License-Identifier: MIT */
/* A pool's listening sockets ([Socket], systemd.socket(5)): opened once
 * when the pool starts, as root, and kept across every worker's restart,
 * crash, scale, rolling restart, reload (an unchanged Listen*= keeps its
 * very socket; a changed one is swapped, the new one listening before the
 * old one closes) and re-exec (the fds go through it like the pidfds).
 * Every worker gets them as fds 3.. ($LISTEN_FDS, exec.c). While no worker
 * is up, connections wait in the backlog. Closed when the pool stops. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../shared/fd-util.h"
#include "../shared/log.h"
#include "listen.h"
#include "pool.h"

void pool_sockets_close(Pool *p, bool remove) {
        for (size_t i = 0; i < p->n_listen_fds; i++)
                if (p->listen_fds[i] >= 0)
                        listen_close(i < p->config->n_listen ? &p->config->listen[i] : NULL, p->config,
                                     p->listen_fds[i], remove && p->config->remove_on_stop);
        p->listen_fds = mfree(p->listen_fds);
        p->n_listen_fds = 0;
        pool_sockets_watch(p, false);
}

/* The sockets of config c, taking over those of the old set (fds, specs of
 * old) that are the same socket; NULL old: none. On failure nothing
 * changes (what was opened is closed again, what was taken over is given
 * back) and *ret_error says why. */
static int sockets_open(Pool *p, const PoolConfig *c, const PoolConfig *old, int *old_fds, size_t n_old,
                        int **ret_fds, char **ret_error) {
        _cleanup_(freep) int *fds = NULL, *from = NULL;
        int r;

        *ret_error = NULL;
        fds = malloc(MAX(c->n_listen, (size_t) 1) * sizeof(int));
        from = malloc(MAX(c->n_listen, (size_t) 1) * sizeof(int));
        if (!fds || !from)
                return -ENOMEM;
        for (size_t i = 0; i < c->n_listen; i++) {
                fds[i] = -EBADF;
                from[i] = -1;
                for (size_t k = 0; old && k < n_old && k < old->n_listen; k++)
                        if (old_fds[k] >= 0 && listen_spec_equal(&old->listen[k], &c->listen[i])) {
                                fds[i] = old_fds[k];
                                from[i] = (int) k;
                                old_fds[k] = -EBADF;    /* taken over */
                                break;
                        }
                if (fds[i] >= 0)
                        continue;
                r = listen_open(&c->listen[i], c, &fds[i], ret_error);
                if (r < 0) {
                        for (size_t j = 0; j < i; j++)
                                if (from[j] >= 0)
                                        old_fds[from[j]] = fds[j];
                                else
                                        listen_close(&c->listen[j], c, fds[j], false);
                        return r;
                }
        }
        *ret_fds = TAKE_PTR(fds);
        return 0;
}

int pool_sockets_open(Pool *p) {
        _cleanup_(freep) char *error = NULL;
        int *fds = NULL;
        int r;

        if (p->n_listen_fds > 0 || p->config->n_listen == 0)
                return 0;       /* open already (a start after a re-exec), or none */
        r = sockets_open(p, p->config, NULL, NULL, 0, &fds, &error);
        if (r < 0) {
                char why[sizeof p->failure];

                snprintf(why, sizeof why, "%s", error ?: "cannot open its sockets");
                log_error_errno(r, "Pool %s: %s", p->name, why);
                pool_fail(p, why);
                return r;
        }
        p->listen_fds = fds;
        p->n_listen_fds = p->config->n_listen;
        for (size_t i = 0; i < p->n_listen_fds; i++) {
                _cleanup_(freep) char *s = listen_spec_to_string(&p->config->listen[i]);

                log_info("Pool %s: listening on %s (fd %d).", p->name, s ?: "?", p->listen_fds[i]);
        }
        return 0;
}

int pool_sockets_reconfigure(Pool *p, const PoolConfig *old, const PoolConfig *c, char **ret_error) {
        _cleanup_(freep) char *error = NULL;
        int *fds = NULL;
        size_t n_old = p->n_listen_fds;
        int r;

        if (n_old == 0)
                return 0;       /* not open (stopped): the next start opens the new ones */
        if (pool_config_socket_options_changed(old, c))
                log_notice("Pool %s: new socket options apply to the sockets it keeps once the pool is "
                           "stopped and started.", p->name);
        r = sockets_open(p, c, old, p->listen_fds, n_old, &fds, &error);
        if (r < 0) {
                log_error_errno(r, "Pool %s: %s; keeping the running configuration.", p->name,
                                error ?: "cannot open its new sockets");
                if (ret_error)
                        *ret_error = TAKE_PTR(error);
                return r;
        }
        /* The new set listens: now the old ones that are gone. */
        for (size_t k = 0; k < n_old; k++)
                if (p->listen_fds[k] >= 0) {
                        _cleanup_(freep) char *s = listen_spec_to_string(&old->listen[k]);

                        log_info("Pool %s: no longer listening on %s.", p->name, s ?: "?");
                        listen_close(&old->listen[k], old, p->listen_fds[k], old->remove_on_stop);
                }
        free(p->listen_fds);
        p->listen_fds = fds;
        p->n_listen_fds = c->n_listen;
        if (p->n_listen_fds == 0)
                p->listen_fds = mfree(p->listen_fds);
        return 0;
}

void pool_sockets_set_inherit(Pool *p, bool inherit) {
        for (size_t i = 0; i < p->n_listen_fds; i++)
                if (p->listen_fds[i] >= 0) {
                        int flags = fcntl(p->listen_fds[i], F_GETFD);

                        if (flags >= 0)
                                (void) fcntl(p->listen_fds[i], F_SETFD,
                                             inherit ? flags & ~FD_CLOEXEC : flags | FD_CLOEXEC);
                }
}

void pool_sockets_serialize(const Pool *p, FILE *f) {
        for (size_t i = 0; i < p->n_listen_fds; i++)
                fprintf(f, "listen\t%zu\t%d\n", i, p->listen_fds[i]);
}

void pool_sockets_adopt(Pool *p, size_t index, int fd) {
        (void) fcntl(fd, F_SETFD, FD_CLOEXEC);
        if (index >= p->config->n_listen || index >= POOL_LISTEN_MAX ||
            listen_fd_matches(fd, &p->config->listen[index]) <= 0) {
                log_warning("Pool %s: inherited fd %d is not its socket %zu any more, closing it.", p->name, fd,
                            index);
                safe_close(fd);
                return;
        }
        if (!p->listen_fds) {
                p->listen_fds = malloc(p->config->n_listen * sizeof(int));
                if (!p->listen_fds) {
                        safe_close(fd);
                        return;
                }
                for (size_t i = 0; i < p->config->n_listen; i++)
                        p->listen_fds[i] = -EBADF;
                p->n_listen_fds = p->config->n_listen;
        }
        safe_close(p->listen_fds[index]);
        p->listen_fds[index] = fd;
}

/* After a re-exec: a socket the old image had but did not pass is opened. */
int pool_sockets_resume(Pool *p) {
        _cleanup_(freep) char *error = NULL;

        /* An image that passed none (older, or it had none open yet) */
        if (p->n_listen_fds == 0)
                return p->state == POOL_STOPPED || p->state == POOL_FAILED ? 0 : pool_sockets_open(p);

        for (size_t i = 0; i < p->n_listen_fds; i++) {
                if (p->listen_fds[i] >= 0)
                        continue;
                if (listen_open(&p->config->listen[i], p->config, &p->listen_fds[i], &error) < 0) {
                        log_error("Pool %s: %s", p->name, error ?: "cannot open a socket");
                        error = mfree(error);
                }
        }
        return 0;
}

/* ---- Scaling=ondemand: a connection waiting and no idle worker ----------- */

static int on_socket_ready(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Pool *p = userdata;

        /* One start per wakeup; the watch goes off once a worker is idle
         * (pool_autoscale() decides; it calls pool_sockets_watch()). */
        pool_sockets_watch(p, false);
        pool_autoscale_connection(p);
        return 0;
}

void pool_sockets_watch(Pool *p, bool on) {
        if (!on) {
                for (size_t i = 0; i < p->n_watch; i++)
                        sd_event_source_disable_unref(p->watch_sources[i]);
                p->watch_sources = mfree(p->watch_sources);
                p->n_watch = 0;
                return;
        }
        if (p->n_watch > 0 || p->n_listen_fds == 0)
                return;
        p->watch_sources = calloc(p->n_listen_fds, sizeof(sd_event_source *));
        if (!p->watch_sources)
                return;
        for (size_t i = 0; i < p->n_listen_fds; i++) {
                if (p->listen_fds[i] < 0 || p->config->listen[i].type == SOCK_DGRAM)
                        continue;
                if (sd_event_add_io(p->host->event, &p->watch_sources[p->n_watch], p->listen_fds[i], EPOLLIN,
                                    on_socket_ready, p) < 0)
                        continue;
                (void) sd_event_source_set_description(p->watch_sources[p->n_watch], "pool-socket-watch");
                p->n_watch++;
        }
}
