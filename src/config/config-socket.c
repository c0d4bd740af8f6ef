/* SPDX-License-Identifier: MIT */
/* [Socket] (systemd.socket(5) names and meanings): the Listen*= address
 * parser and the socket keys' value parsers. Sockets are opened elsewhere
 * (src/pool/listen.c); this only turns text into ListenSpec and fields. */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

#include "config-internal.h"
#include "exec-split.h"
#include "../shared/parse-util.h"

/* ---- names --------------------------------------------------------------- */

static const char *const bind_ipv6_only_table[_BIND_IPV6_ONLY_MAX] = {
        [BIND_IPV6_ONLY_DEFAULT] = "default",
        [BIND_IPV6_ONLY_BOTH] = "both",
        [BIND_IPV6_ONLY_IPV6_ONLY] = "ipv6-only",
};

const char *bind_ipv6_only_to_string(BindIPv6Only b) {
        return b >= 0 && b < _BIND_IPV6_ONLY_MAX ? bind_ipv6_only_table[b] : NULL;
}

BindIPv6Only bind_ipv6_only_from_string(const char *s) {
        for (BindIPv6Only b = 0; s && b < _BIND_IPV6_ONLY_MAX; b++)
                if (streq(s, bind_ipv6_only_table[b]))
                        return b;
        return _BIND_IPV6_ONLY_INVALID;
}

/* ---- ListenSpec ---------------------------------------------------------- */

void listen_spec_list_free(ListenSpec **l, size_t *n) {
        for (size_t i = 0; i < *n; i++)
                free((*l)[i].address);
        *l = mfree(*l);
        *n = 0;
}

int listen_spec_list_copy(const ListenSpec *l, size_t n, ListenSpec **ret, size_t *ret_n) {
        ListenSpec *c = NULL;
        size_t k = 0;

        if (n > 0) {
                c = calloc(n, sizeof(ListenSpec));
                if (!c)
                        return -ENOMEM;
        }
        for (; k < n; k++) {
                c[k] = l[k];
                c[k].address = l[k].address ? strdup(l[k].address) : NULL;
                if (l[k].address && !c[k].address) {
                        listen_spec_list_free(&c, &k);
                        return -ENOMEM;
                }
        }
        *ret = c;
        *ret_n = n;
        return 0;
}

/* The same socket: type and address (for AF_INET6 the scope too; the flow
 * label is not an address). The text as written does not matter: "8080" and
 * "[::]:8080" are one socket. */
bool listen_spec_equal(const ListenSpec *a, const ListenSpec *b) {
        const struct sockaddr_storage *x = &a->sockaddr, *y = &b->sockaddr;

        if (a->type != b->type || x->ss_family != y->ss_family)
                return false;
        switch (x->ss_family) {
        case AF_INET: {
                const struct sockaddr_in *i = (const void *) x, *j = (const void *) y;

                return i->sin_port == j->sin_port && i->sin_addr.s_addr == j->sin_addr.s_addr;
        }
        case AF_INET6: {
                const struct sockaddr_in6 *i = (const void *) x, *j = (const void *) y;

                return i->sin6_port == j->sin6_port && i->sin6_scope_id == j->sin6_scope_id &&
                       memcmp(&i->sin6_addr, &j->sin6_addr, sizeof i->sin6_addr) == 0;
        }
        case AF_UNIX: {
                const struct sockaddr_un *i = (const void *) x, *j = (const void *) y;
                size_t off = offsetof(struct sockaddr_un, sun_path);

                return a->sockaddr_len == b->sockaddr_len && a->sockaddr_len >= off &&
                       a->sockaddr_len <= sizeof(struct sockaddr_un) &&
                       memcmp(i->sun_path, j->sun_path, a->sockaddr_len - off) == 0;
        }
        default:
                return false;
        }
}

bool pool_config_socket_options_changed(const PoolConfig *a, const PoolConfig *b) {
        if (!a || !b)
                return a != b;
        return a->backlog != b->backlog ||
               a->bind_ipv6_only != b->bind_ipv6_only ||
               a->free_bind != b->free_bind ||
               a->reuse_port != b->reuse_port ||
               a->no_delay != b->no_delay ||
               a->keep_alive != b->keep_alive ||
               a->defer_accept_usec != b->defer_accept_usec ||
               !streq_ptr(a->socket_user, b->socket_user) ||
               !streq_ptr(a->socket_group, b->socket_group) ||
               a->socket_mode != b->socket_mode;
}

/* ---- the address parser -------------------------------------------------- */

/* As systemd's socket_ipv6_is_supported(): a bare port is [::]:PORT where
 * the kernel has IPv6, else 0.0.0.0:PORT. */
static bool socket_ipv6_is_supported(void) {
        return access("/proc/net/if_inet6", F_OK) >= 0;
}

/* "80": 1..65535 (systemd's parse_ip_port(): 0 is not a port to listen on). */
static int parse_port(const char *s, uint16_t *ret, const char **why) {
        uint64_t v = 0;
        int r;

        r = parse_uint64(s, &v);
        if (r == -EINVAL) {
                *why = "expected a port number after ':'";
                return -EINVAL;
        }
        if (r < 0 || v < 1 || v > 65535) {
                *why = "the port must be between 1 and 65535";
                return -ERANGE;
        }
        *ret = (uint16_t) v;
        return 0;
}

/* AF_UNIX, as systemd's sockaddr_un_set_path(): "/path" or "@name", at most
 * sizeof(sun_path) - 1 bytes as written (NUL-terminated in sun_path, also
 * for the abstract namespace); the length of an abstract address covers
 * the leading NUL and the name, not a trailing NUL. */
static int parse_unix(const char *s, ListenSpec *ret, const char **why) {
        struct sockaddr_un *un = (struct sockaddr_un *) &ret->sockaddr;
        size_t l = strlen(s);

        if (l < 2) {
                *why = s[0] == '@' ? "expected a name after '@'" : "expected a socket path, not '/'";
                return -EINVAL;
        }
        if (l + 1 > sizeof un->sun_path) {
                *why = s[0] == '@' ? "an abstract socket name may be at most 106 bytes (sun_path)"
                                   : "a socket path may be at most 107 bytes (sun_path)";
                return -EINVAL;
        }
        if (s[0] == '/' && !path_is_absolute_normalized(s)) {
                *why = "expected a normalized absolute path (without '.', '..', '//' or a trailing '/')";
                return -EINVAL;
        }
        un->sun_family = AF_UNIX;
        if (s[0] == '@') {
                memcpy(un->sun_path + 1, s + 1, l);     /* with the trailing NUL */
                ret->sockaddr_len = (socklen_t) (offsetof(struct sockaddr_un, sun_path) + l);
        } else {
                memcpy(un->sun_path, s, l + 1);
                ret->sockaddr_len = (socklen_t) (offsetof(struct sockaddr_un, sun_path) + l + 1);
        }
        return 0;
}

/* "[ADDR]:PORT" or "[ADDR]:PORT%IFACE" (systemd's place for the scope: an
 * interface name or index). */
static int parse_inet6(const char *s, ListenSpec *ret, const char **why) {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *) &ret->sockaddr;
        const char *close = strchr(s, ']'), *pct;
        char host[INET6_ADDRSTRLEN], port[8];
        size_t k;
        uint16_t n;
        int r;

        if (!close) {
                *why = "missing ']' after the IPv6 address";
                return -EINVAL;
        }
        k = (size_t) (close - s - 1);
        if (k == 0 || k >= sizeof host) {
                *why = "expected an IPv6 address in [brackets]";
                return -EINVAL;
        }
        memcpy(host, s + 1, k);
        host[k] = '\0';
        if (inet_pton(AF_INET6, host, &in6->sin6_addr) != 1) {
                *why = strchr(host, '%') ? "the scope goes after the port: [ADDR]:PORT%INTERFACE"
                                         : "not a valid IPv6 address";
                return -EINVAL;
        }
        if (close[1] != ':') {
                *why = close[1] ? "expected ':PORT' after ']'" : "missing ':PORT' after ']'";
                return -EINVAL;
        }
        s = close + 2;
        pct = strchr(s, '%');
        k = pct ? (size_t) (pct - s) : strlen(s);
        if (k >= sizeof port) {
                *why = "the port must be between 1 and 65535";
                return -EINVAL;
        }
        memcpy(port, s, k);
        port[k] = '\0';
        r = parse_port(port, &n, why);
        if (r < 0)
                return r;
        if (pct) {
                uint32_t idx = 0;

                if (parse_uint32(pct + 1, &idx) < 0 && strlen(pct + 1) < IF_NAMESIZE)
                        idx = if_nametoindex(pct + 1);
                if (idx == 0) {
                        *why = pct[1] ? "no such network interface after '%'"
                                      : "expected an interface name or index after '%'";
                        return -EINVAL;
                }
                in6->sin6_scope_id = idx;
        }
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(n);
        ret->sockaddr_len = sizeof(struct sockaddr_in6);
        return 0;
}

/* "ADDR:PORT": a dotted IPv4 address (host names are not resolved). */
static int parse_inet4(const char *s, ListenSpec *ret, const char **why) {
        struct sockaddr_in *in = (struct sockaddr_in *) &ret->sockaddr;
        const char *colon = strchr(s, ':');
        char host[INET_ADDRSTRLEN];
        size_t k;
        uint16_t n;
        int r;

        if (!colon) {
                *why = "expected a port, IPv4:PORT, [IPv6]:PORT, an absolute path or @name";
                return -EINVAL;
        }
        if (strchr(colon + 1, ':')) {
                *why = "an IPv6 address goes in brackets: [ADDR]:PORT";
                return -EINVAL;
        }
        if (strchr(colon + 1, '%')) {
                *why = "a scope (%INTERFACE) is for an IPv6 address only";
                return -EINVAL;
        }
        k = (size_t) (colon - s);
        if (k >= sizeof host)
                k = 0;          /* too long for an IPv4 address */
        memcpy(host, s, k);
        host[k] = '\0';
        if (inet_pton(AF_INET, host, &in->sin_addr) != 1) {
                *why = "expected an IPv4 address before ':PORT' (host names are not resolved)";
                return -EINVAL;
        }
        r = parse_port(colon + 1, &n, why);
        if (r < 0)
                return r;
        in->sin_family = AF_INET;
        in->sin_port = htons(n);
        ret->sockaddr_len = sizeof(struct sockaddr_in);
        return 0;
}

/* A bare port: [::]:PORT, or 0.0.0.0:PORT without IPv6 (as systemd). */
static int parse_any(const char *s, ListenSpec *ret, const char **why) {
        uint16_t n;
        int r;

        r = parse_port(s, &n, why);
        if (r < 0)
                return r;
        if (socket_ipv6_is_supported()) {
                struct sockaddr_in6 *in6 = (struct sockaddr_in6 *) &ret->sockaddr;

                in6->sin6_family = AF_INET6;
                in6->sin6_port = htons(n);
                in6->sin6_addr = in6addr_any;
                ret->sockaddr_len = sizeof(struct sockaddr_in6);
        } else {
                struct sockaddr_in *in = (struct sockaddr_in *) &ret->sockaddr;

                in->sin_family = AF_INET;
                in->sin_port = htons(n);
                in->sin_addr.s_addr = htonl(INADDR_ANY);
                ret->sockaddr_len = sizeof(struct sockaddr_in);
        }
        return 0;
}

int listen_address_parse(const char *s, int type, ListenSpec *ret, const char **ret_why) {
        ListenSpec l = { .type = type };
        const char *why = "invalid address";
        int r;

        if (isempty(s))
                r = -EINVAL;
        else if (s[0] == '/' || s[0] == '@')
                r = parse_unix(s, &l, &why);
        else if (s[0] == '[')
                r = parse_inet6(s, &l, &why);
        else if (strspn(s, "0123456789") == strlen(s))
                r = parse_any(s, &l, &why);
        else
                r = parse_inet4(s, &l, &why);
        if (r >= 0 && type == SOCK_SEQPACKET && l.sockaddr.ss_family != AF_UNIX) {
                why = "ListenSequentialPacket= is for AF_UNIX only (an absolute path or @name)";
                r = -EINVAL;
        }
        if (r < 0) {
                if (ret_why)
                        *ret_why = why;
                return -EINVAL;
        }
        *ret = l;
        return 0;
}

/* ---- the key parsers ----------------------------------------------------- */

static int listen_type_of(const ConfigItem *item) {
        if (streq(item->key, "ListenStream"))
                return SOCK_STREAM;
        if (streq(item->key, "ListenDatagram"))
                return SOCK_DGRAM;
        if (streq(item->key, "ListenSequentialPacket"))
                return SOCK_SEQPACKET;
        return -EINVAL;
}

/* ListenStream=, ListenDatagram=, ListenSequentialPacket=: each adds one
 * socket, in order; an empty one resets the whole list, of every type (as
 * systemd's socket_free_ports()). */
int config_parse_listen(ConfigParser *p, const ConfigItem *item, const char *value, void *data,
                        const void *def) {
        PoolConfig *c = p->target;
        int type = listen_type_of(item);
        const char *why = NULL;
        ListenSpec l, *n;
        int r;

        if (type < 0)
                return -EINVAL;         /* a table entry that is not a Listen*= key */
        if (isempty(value)) {
                listen_spec_list_free(&c->listen, &c->n_listen);
                return 0;
        }
        r = listen_address_parse(value, type, &l, &why);
        if (r < 0)
                return config_invalid(p, item, value, why);
        for (size_t i = 0; i < c->n_listen; i++)
                if (listen_spec_equal(&c->listen[i], &l))
                        return config_invalid(p, item, value, "the same socket is already listed");
        if (c->n_listen >= POOL_LISTEN_MAX)
                return config_error(p, "Invalid %s= value '%s': at most %u sockets per pool "
                                       "(an empty %s= resets the list)",
                                    item->key, value, POOL_LISTEN_MAX, item->key);
        l.address = strdup(value);
        if (!l.address)
                return -ENOMEM;
        n = realloc(c->listen, (c->n_listen + 1) * sizeof(ListenSpec));
        if (!n) {
                free(l.address);
                return -ENOMEM;
        }
        c->listen = n;
        c->listen[c->n_listen++] = l;
        return 0;
}

/* systemd's fdname_is_valid(): printable ASCII but ':' (the separator of
 * $LISTEN_FDNAMES), at most 255 characters. */
int config_parse_fd_name(ConfigParser *p, const ConfigItem *item, const char *value, void *data,
                         const void *def) {
        if (!isempty(value)) {
                if (strlen(value) > 255)
                        return config_invalid(p, item, value, "a name may be at most 255 characters");
                for (const char *s = value; *s; s++)
                        if ((unsigned char) *s < 0x20 || (unsigned char) *s >= 0x7f || *s == ':')
                                return config_invalid(p, item, value,
                                                      "expected printable ASCII characters other than ':'");
        }
        return config_parse_string(p, item, value, data, def);
}

/* BindIPv6Only=: default, both or ipv6-only; as systemd, a boolean too
 * (yes: ipv6-only, no: both). */
int config_parse_bind_ipv6_only(ConfigParser *p, const ConfigItem *item, const char *value, void *data,
                                const void *def) {
        BindIPv6Only *t = data, b;
        int k;

        if (isempty(value)) {
                *t = *(const BindIPv6Only *) def;
                return 0;
        }
        b = bind_ipv6_only_from_string(value);
        if (b < 0) {
                k = parse_boolean(value);
                if (k < 0)
                        return config_invalid(p, item, value, "expected default, both, ipv6-only or a boolean");
                b = k ? BIND_IPV6_ONLY_IPV6_ONLY : BIND_IPV6_ONLY_BOTH;
        }
        *t = b;
        return 0;
}

/* SocketMode=: an octal access mode up to 07777 (systemd's parse_mode()). */
int config_parse_mode(ConfigParser *p, const ConfigItem *item, const char *value, void *data,
                      const void *def) {
        unsigned m;

        if (isempty(value)) {
                *(mode_t *) data = *(const mode_t *) def;
                return 0;
        }
        if (parse_mode(value, 07777, &m) < 0)
                return config_invalid(p, item, value, "expected an octal mode like 0660 (at most 07777)");
        *(mode_t *) data = (mode_t) m;
        return 0;
}
