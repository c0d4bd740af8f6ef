/* SPDX-License-Identifier: MIT */
/* The pool's listening sockets, as systemd's socket_address_listen() and
 * socket_apply_socket_options() set them up: the options before bind(), so
 * that ReusePort= and BindIPv6Only= apply to the bind itself; SO_REUSEADDR
 * on every AF_INET/AF_INET6 socket (a restarted daemon binds again while
 * old connections are in TIME_WAIT). Departures: a missing parent directory
 * of an AF_UNIX path is an error, not created (systemd: DirectoryMode=);
 * a stale file is removed before bind() only if it is a socket; option
 * failures are errors, not warnings. An AF_UNIX path is bound under umask
 * 0777 (no one but root can connect before it has its owner and mode), as
 * systemd's RUN_WITH_UMASK: the daemon is single-threaded. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "../shared/log.h"
#include "../shared/parse-util.h"
#include "../shared/user-util.h"
#include "listen.h"

const char *listen_type_to_key(int type) {
        switch (type) {
        case SOCK_STREAM:
                return "ListenStream";
        case SOCK_DGRAM:
                return "ListenDatagram";
        case SOCK_SEQPACKET:
                return "ListenSequentialPacket";
        default:
                return NULL;
        }
}

static int spec_family(const ListenSpec *s) {
        return s->sockaddr.ss_family;
}

/* The file system path of an AF_UNIX spec, NUL-terminated in buf; false for
 * every other spec (abstract, unnamed, INET). */
static bool spec_unix_path(const ListenSpec *s, char buf[static sizeof(((struct sockaddr_un *) 0)->sun_path) + 1]) {
        const struct sockaddr_un *un = (const struct sockaddr_un *) &s->sockaddr;
        size_t n;

        if (spec_family(s) != AF_UNIX || s->sockaddr_len <= offsetof(struct sockaddr_un, sun_path) ||
            un->sun_path[0] == 0)
                return false;
        n = MIN((size_t) s->sockaddr_len - offsetof(struct sockaddr_un, sun_path), sizeof(un->sun_path));
        memcpy(buf, un->sun_path, n);
        buf[n] = 0;
        return true;
}

/* *ret_error = "KEY=ADDRESS: " + fmt; returns r. */
_printf_(4, 5)
static int listen_error(char **ret_error, const ListenSpec *s, int r, const char *fmt, ...) {
        _cleanup_(freep) char *what = NULL, *pretty = NULL;
        const char *address = s->address;
        va_list ap;
        int k;

        if (!ret_error)
                return r;
        *ret_error = NULL;
        va_start(ap, fmt);
        k = vasprintf(&what, fmt, ap);
        va_end(ap);
        if (k < 0) {
                what = NULL;
                return r;
        }
        if (isempty(address))
                address = pretty = listen_spec_to_string(s);
        if (asprintf(ret_error, "%s=%s: %s", listen_type_to_key(s->type) ?: "Listen", address ?: "?",
                     what) < 0)
                *ret_error = NULL;
        return r;
}

static int setsockopt_int(int fd, int level, int name, int value) {
        return setsockopt(fd, level, name, &value, sizeof value) < 0 ? -errno : 0;
}

/* SocketUser=: a name or a uid; its primary group into *ret_gid (unchanged
 * for a uid that has no passwd entry, which systemd takes too). */
static int resolve_user(const char *user, uid_t *ret_uid, gid_t *ret_gid) {
        UserEntry u;
        uint32_t id;
        int r;

        r = user_lookup(user, &u);
        if (r == -ESRCH && parse_uint32(user, &id) >= 0 && id != (uint32_t) -1) {
                *ret_uid = (uid_t) id;
                return 0;
        }
        if (r < 0)
                return r;
        *ret_uid = u.uid;
        *ret_gid = u.gid;
        return 0;
}

/* SocketGroup=: a name, or a gid taken as it is. */
static int resolve_group(const char *group, gid_t *ret_gid) {
        uint32_t id;

        if (parse_uint32(group, &id) >= 0) {
                if (id == (uint32_t) -1)
                        return -EINVAL;
                *ret_gid = (gid_t) id;
                return 0;
        }
        return group_lookup(group, ret_gid);
}

/* Options set before bind(): systemd's order. */
static int listen_set_options(int fd, const ListenSpec *s, const PoolConfig *c, char **ret_error) {
        int family = spec_family(s), r;

        if (!IN_SET(family, AF_INET, AF_INET6))
                return 0;
        if (family == AF_INET6 && c->bind_ipv6_only != BIND_IPV6_ONLY_DEFAULT) {
                r = setsockopt_int(fd, IPPROTO_IPV6, IPV6_V6ONLY, c->bind_ipv6_only == BIND_IPV6_ONLY_IPV6_ONLY);
                if (r < 0)
                        return listen_error(ret_error, s, r, "setsockopt(IPV6_V6ONLY): %s", strerror(-r));
        }
        r = setsockopt_int(fd, SOL_SOCKET, SO_REUSEADDR, 1);
        if (r < 0)
                return listen_error(ret_error, s, r, "setsockopt(SO_REUSEADDR): %s", strerror(-r));
        if (c->reuse_port) {
                r = setsockopt_int(fd, SOL_SOCKET, SO_REUSEPORT, 1);
                if (r < 0)
                        return listen_error(ret_error, s, r, "setsockopt(SO_REUSEPORT): %s", strerror(-r));
        }
        if (c->free_bind) {
                r = family == AF_INET ? setsockopt_int(fd, IPPROTO_IP, IP_FREEBIND, 1)
                                      : setsockopt_int(fd, IPPROTO_IPV6, IPV6_FREEBIND, 1);
                if (r < 0)
                        return listen_error(ret_error, s, r, "setsockopt(%s): %s",
                                            family == AF_INET ? "IP_FREEBIND" : "IPV6_FREEBIND", strerror(-r));
        }
        if (s->type != SOCK_STREAM)
                return 0;
        if (c->no_delay) {
                r = setsockopt_int(fd, IPPROTO_TCP, TCP_NODELAY, 1);
                if (r < 0)
                        return listen_error(ret_error, s, r, "setsockopt(TCP_NODELAY): %s", strerror(-r));
        }
        if (c->defer_accept_usec > 0) {
                /* whole seconds, rounded up, as systemd */
                usec_t sec = c->defer_accept_usec / USEC_PER_SEC + (c->defer_accept_usec % USEC_PER_SEC > 0);

                r = setsockopt_int(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, (int) MIN(sec, (usec_t) INT_MAX));
                if (r < 0)
                        return listen_error(ret_error, s, r, "setsockopt(TCP_DEFER_ACCEPT): %s", strerror(-r));
        }
        if (c->keep_alive) {
                r = setsockopt_int(fd, SOL_SOCKET, SO_KEEPALIVE, 1);
                if (r < 0)
                        return listen_error(ret_error, s, r, "setsockopt(SO_KEEPALIVE): %s", strerror(-r));
        }
        return 0;
}

/* Before binding path: its directory exists, and what is at path is at
 * most a stale socket, which goes. */
static int listen_prepare_path(const ListenSpec *s, const char *path, char **ret_error) {
        _cleanup_(freep) char *dir = strdup(path);
        struct stat st;
        char *slash;

        if (!dir)
                return -ENOMEM;
        slash = strrchr(dir, '/');
        if (slash) {
                *(slash == dir ? slash + 1 : slash) = 0;
                if (stat(dir, &st) < 0) {
                        if (errno == ENOENT)
                                return listen_error(ret_error, s, -ENOENT, "directory %s does not exist", dir);
                        return listen_error(ret_error, s, -errno, "directory %s: %s", dir, strerror(errno));
                }
                if (!S_ISDIR(st.st_mode))
                        return listen_error(ret_error, s, -ENOTDIR, "%s is not a directory", dir);
        }
        if (lstat(path, &st) < 0) {
                if (errno == ENOENT)
                        return 0;
                return listen_error(ret_error, s, -errno, "%s: %s", path, strerror(errno));
        }
        if (!S_ISSOCK(st.st_mode))
                return listen_error(ret_error, s, -EEXIST, "%s exists and is not a socket", path);
        if (unlink(path) < 0 && errno != ENOENT)
                return listen_error(ret_error, s, -errno, "cannot remove the stale socket %s: %s", path,
                                    strerror(errno));
        return 0;
}

/* After binding path: SocketUser=, SocketGroup=, SocketMode= (the file, not
 * a symlink put there since). */
static int listen_chown_chmod(const ListenSpec *s, const PoolConfig *c, const char *path, uid_t uid, gid_t gid,
                              char **ret_error) {
        if ((uid != (uid_t) -1 || gid != (gid_t) -1) &&
            fchownat(AT_FDCWD, path, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
                return listen_error(ret_error, s, -errno, "chown %s: %s", path, strerror(errno));
        if (fchmodat(AT_FDCWD, path, c->socket_mode & 07777, AT_SYMLINK_NOFOLLOW) < 0)
                return listen_error(ret_error, s, -errno, "chmod %s: %s", path, strerror(errno));
        return 0;
}

static int listen_bind(int fd, const ListenSpec *s, const char *path, char **ret_error) {
        int r = 0;

        if (path) {
                mode_t old = umask(0777);

                if (bind(fd, (const struct sockaddr *) &s->sockaddr, s->sockaddr_len) < 0)
                        r = -errno;
                umask(old);
        } else if (bind(fd, (const struct sockaddr *) &s->sockaddr, s->sockaddr_len) < 0)
                r = -errno;
        if (r < 0)
                return listen_error(ret_error, s, r, "bind: %s", strerror(-r));
        return 0;
}

int listen_open(const ListenSpec *s, const PoolConfig *c, int *ret_fd, char **ret_error) {
        _cleanup_(closep) int fd = -EBADF;
        char path[sizeof(((struct sockaddr_un *) 0)->sun_path) + 1];
        bool is_path = spec_unix_path(s, path);
        uid_t uid = (uid_t) -1;
        gid_t gid = (gid_t) -1;
        int family = spec_family(s), r;

        if (ret_error)
                *ret_error = NULL;
        if (!listen_type_to_key(s->type))
                return listen_error(ret_error, s, -EINVAL, "unsupported socket type %d", s->type);
        if (!IN_SET(family, AF_INET, AF_INET6, AF_UNIX) || s->sockaddr_len <= sizeof(sa_family_t) ||
            s->sockaddr_len > sizeof(s->sockaddr))
                return listen_error(ret_error, s, -EAFNOSUPPORT, "unsupported address");

        if (is_path && c->socket_user) {
                r = resolve_user(c->socket_user, &uid, &gid);
                if (r < 0)
                        return listen_error(ret_error, s, r, "SocketUser=%s: %s", c->socket_user,
                                            r == -ESRCH ? "no such user" : strerror(-r));
        }
        if (is_path && c->socket_group) {
                r = resolve_group(c->socket_group, &gid);
                if (r < 0)
                        return listen_error(ret_error, s, r, "SocketGroup=%s: %s", c->socket_group,
                                            r == -ESRCH ? "no such group" : strerror(-r));
        }

        fd = socket(family, s->type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return listen_error(ret_error, s, -errno, "socket: %s", strerror(errno));
        r = listen_set_options(fd, s, c, ret_error);
        if (r < 0)
                return r;
        if (is_path) {
                r = listen_prepare_path(s, path, ret_error);
                if (r < 0)
                        return r;
        }
        r = listen_bind(fd, s, is_path ? path : NULL, ret_error);
        if (r < 0)
                return r;
        /* From here on a failure removes the file bind() made. */
        if (IN_SET(s->type, SOCK_STREAM, SOCK_SEQPACKET) &&
            listen(fd, (int) MIN(c->backlog, (unsigned) INT32_MAX)) < 0)
                r = listen_error(ret_error, s, -errno, "listen: %s", strerror(errno));
        if (r >= 0 && is_path)
                r = listen_chown_chmod(s, c, path, uid, gid, ret_error);
        if (r < 0) {
                if (is_path && unlink(path) < 0)
                        log_debug_errno(-errno, "Cannot remove %s after a failed open, ignoring: %m", path);
                return r;
        }
        *ret_fd = TAKE_FD(fd);
        return 0;
}

void listen_close(const ListenSpec *s, const PoolConfig *c, int fd, bool remove) {
        char path[sizeof(((struct sockaddr_un *) 0)->sun_path) + 1];
        struct stat st;

        safe_close(fd);
        if (!remove || !spec_unix_path(s, path))
                return;
        if (lstat(path, &st) < 0) {
                if (errno != ENOENT)
                        log_debug_errno(-errno, "RemoveOnStop=: cannot stat %s, ignoring: %m", path);
                return;
        }
        if (!S_ISSOCK(st.st_mode)) {
                log_debug("RemoveOnStop=: %s is no longer a socket, left alone", path);
                return;
        }
        if (unlink(path) < 0 && errno != ENOENT)
                log_debug_errno(-errno, "RemoveOnStop=: cannot remove %s, ignoring: %m", path);
}

/* Local address a (from getsockname(), length la) is s's. */
static bool sockaddr_matches(const struct sockaddr_storage *a, socklen_t la, const ListenSpec *s) {
        const struct sockaddr_storage *b = &s->sockaddr;

        switch (b->ss_family) {
        case AF_INET: {
                const struct sockaddr_in *x = (const void *) a, *y = (const void *) b;

                return la >= sizeof *x && x->sin_addr.s_addr == y->sin_addr.s_addr &&
                       (y->sin_port == 0 || x->sin_port == y->sin_port);
        }
        case AF_INET6: {
                const struct sockaddr_in6 *x = (const void *) a, *y = (const void *) b;

                return la >= sizeof *x && memcmp(&x->sin6_addr, &y->sin6_addr, sizeof x->sin6_addr) == 0 &&
                       x->sin6_scope_id == y->sin6_scope_id && (y->sin6_port == 0 || x->sin6_port == y->sin6_port);
        }
        case AF_UNIX: {
                const struct sockaddr_un *x = (const void *) a, *y = (const void *) b;
                size_t off = offsetof(struct sockaddr_un, sun_path);
                char px[sizeof x->sun_path + 1], py[sizeof y->sun_path + 1];

                if (la <= off || s->sockaddr_len <= off)
                        return false;
                if (y->sun_path[0] != 0) {      /* a path: the kernel may count the NUL */
                        size_t nx = MIN((size_t) la - off, sizeof x->sun_path);

                        if (x->sun_path[0] == 0 || !spec_unix_path(s, py))
                                return false;
                        memcpy(px, x->sun_path, nx);
                        px[nx] = 0;
                        return streq(px, py);
                }
                return la == s->sockaddr_len && memcmp(x->sun_path, y->sun_path, la - off) == 0;
        }
        default:
                return false;
        }
}

static int getsockopt_int(int fd, int level, int name, int *ret) {
        socklen_t l = sizeof *ret;

        return getsockopt(fd, level, name, ret, &l) < 0 ? -errno : 0;
}

int listen_fd_matches(int fd, const ListenSpec *s) {
        struct sockaddr_storage a = {};
        socklen_t la = sizeof a;
        int type, domain, accepting, r;

        r = getsockopt_int(fd, SOL_SOCKET, SO_TYPE, &type);
        if (r == -ENOTSOCK)
                return 0;
        if (r < 0)
                return r;
        r = getsockopt_int(fd, SOL_SOCKET, SO_DOMAIN, &domain);
        if (r < 0)
                return r;
        if (type != s->type || domain != spec_family(s))
                return 0;
        if (IN_SET(type, SOCK_STREAM, SOCK_SEQPACKET)) {
                /* an accepted connection has the listening socket's address */
                r = getsockopt_int(fd, SOL_SOCKET, SO_ACCEPTCONN, &accepting);
                if (r < 0)
                        return r;
                if (!accepting)
                        return 0;
        }
        if (getsockname(fd, (struct sockaddr *) &a, &la) < 0)
                return -errno;
        return sockaddr_matches(&a, la, s);
}

char *listen_spec_to_string(const ListenSpec *s) {
        char host[INET6_ADDRSTRLEN], scope[IF_NAMESIZE + 16] = "";
        char *ret = NULL;
        int k = -1;

        switch (spec_family(s)) {
        case AF_INET: {
                const struct sockaddr_in *in = (const void *) &s->sockaddr;

                if (inet_ntop(AF_INET, &in->sin_addr, host, sizeof host))
                        k = asprintf(&ret, "%s:%u", host, ntohs(in->sin_port));
                break;
        }
        case AF_INET6: {
                const struct sockaddr_in6 *in6 = (const void *) &s->sockaddr;
                char ifname[IF_NAMESIZE];

                if (in6->sin6_scope_id != 0) {
                        if (if_indextoname(in6->sin6_scope_id, ifname))
                                snprintf(scope, sizeof scope, "%%%s", ifname);
                        else
                                snprintf(scope, sizeof scope, "%%%u", in6->sin6_scope_id);
                }
                if (inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host))
                        k = asprintf(&ret, "[%s%s]:%u", host, scope, ntohs(in6->sin6_port));
                break;
        }
        case AF_UNIX: {
                const struct sockaddr_un *un = (const void *) &s->sockaddr;
                size_t off = offsetof(struct sockaddr_un, sun_path), n, j = 0;
                char path[sizeof un->sun_path + 1];

                if (spec_unix_path(s, path))
                        return strdup(path);
                if (s->sockaddr_len <= off)
                        return strdup("");      /* unnamed */
                /* abstract: "@" and the name, unprintable bytes as \xNN */
                n = MIN((size_t) s->sockaddr_len - off, sizeof un->sun_path) - 1;
                ret = malloc(1 + 4 * n + 1);
                if (!ret)
                        return NULL;
                ret[j++] = '@';
                for (size_t i = 1; i <= n; i++) {
                        unsigned char ch = (unsigned char) un->sun_path[i];

                        if (ch >= 0x20 && ch < 0x7f)
                                ret[j++] = (char) ch;
                        else
                                j += (size_t) sprintf(ret + j, "\\x%02x", ch);
                }
                ret[j] = 0;
                return ret;
        }
        default:
                k = asprintf(&ret, "(address family %d)", spec_family(s));
                break;
        }
        return k < 0 ? NULL : ret;
}
