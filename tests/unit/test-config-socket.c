/* SPDX-License-Identifier: MIT */
/* [Socket] and RestartParallel= (config-socket.c): the Listen*= address
 * forms as sockaddrs, the list rules, every key's default and errors with
 * their file:line, through the pool files as the daemon loads them. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "config-fixture.h"
#include "config/config.h"
#include "shared/macro.h"
#include "shared/strv.h"

/* ---- fixture: one pool dir ------------------------------------------------ */

static char root[PATH_MAX];
static const char *dirs[2];

static void setup(void) {
        scratch_dir_make(root, sizeof root, "test-config-socket");
        dirs[0] = root;
        dirs[1] = NULL;
}

static void teardown(void) {
        scratch_dir_remove(root);
}

TestSuite(socket_config, .init = setup, .fini = teardown);

/* Write ROOT/t.pool: line 1 [Pool], 2 ExecStart=, 3 [Socket], then body
 * (its first line is line 4). Returns the path (static). */
static const char *write_socket_pool(const char *body) {
        static char path[PATH_MAX + 16];
        FILE *f;

        snprintf(path, sizeof path, "%s/t.pool", root);
        f = fopen(path, "we");
        cr_assert_not_null(f, "fopen %s: %m", path);
        cr_assert(fprintf(f, "[Pool]\nExecStart=/usr/bin/true\n[Socket]\n%s", body) >= 0);
        cr_assert_eq(fclose(f), 0);
        return path;
}

static PoolConfig *load_ok(const char *body) {
        _cleanup_(strv_freep) char **errors = NULL;
        PoolConfig *c = NULL;
        int r;

        write_socket_pool(body);
        r = config_load_pool("t", dirs, NULL, &c, &errors);
        cr_assert_eq(r, 0, "config_load_pool() = %d, errors:\n%s", r, errors_joined(errors));
        cr_assert_not_null(c);
        return c;
}

static char **load_bad(const char *body) {
        char **errors = NULL;
        PoolConfig *c = NULL;

        write_socket_pool(body);
        cr_assert_eq(config_load_pool("t", dirs, NULL, &c, &errors), -EINVAL, "loaded:\n%s", body);
        cr_assert_null(c);
        cr_assert_not_null(errors);
        return errors;
}

/* One bad line (line 4): exactly "PATH:4: Invalid KEY= value 'VALUE': WHY". */
static void assert_bad_line(const char *key, const char *value, const char *why) {
        _cleanup_(freep) char *body = NULL;
        _cleanup_(strv_freep) char **errors = NULL;

        cr_assert_geq(asprintf(&body, "%s=%s\n", key, value), 0);
        errors = load_bad(body);
        cr_assert_eq(strv_length(errors), 1, "%s=%s:\n%s", key, value, errors_joined(errors));
        assert_error(errors, "%s/t.pool:4: Invalid %s= value '%s': %s", root, key, value, why);
}

static bool have_ipv6(void) {
        return access("/proc/net/if_inet6", F_OK) >= 0;
}

static const struct sockaddr_in *in4(const ListenSpec *l) {
        cr_assert_eq(l->sockaddr.ss_family, AF_INET, "%s: family %d", l->address, l->sockaddr.ss_family);
        cr_assert_eq(l->sockaddr_len, sizeof(struct sockaddr_in));
        return (const struct sockaddr_in *) &l->sockaddr;
}

static const struct sockaddr_in6 *in6(const ListenSpec *l) {
        cr_assert_eq(l->sockaddr.ss_family, AF_INET6, "%s: family %d", l->address, l->sockaddr.ss_family);
        cr_assert_eq(l->sockaddr_len, sizeof(struct sockaddr_in6));
        return (const struct sockaddr_in6 *) &l->sockaddr;
}

static const struct sockaddr_un *un(const ListenSpec *l) {
        cr_assert_eq(l->sockaddr.ss_family, AF_UNIX, "%s: family %d", l->address, l->sockaddr.ss_family);
        return (const struct sockaddr_un *) &l->sockaddr;
}

static void assert_in6_addr(const struct sockaddr_in6 *a, const char *text) {
        struct in6_addr want;

        cr_assert_eq(inet_pton(AF_INET6, text, &want), 1);
        cr_assert_eq(memcmp(&a->sin6_addr, &want, sizeof want), 0, "not %s", text);
}

/* ---- the address forms ----------------------------------------------------- */

Test(socket_config, port_alone_is_ipv6_any_dual_stack) {
        _cleanup_(pool_config_freep) PoolConfig *c = load_ok("ListenStream=8080\n");

        cr_assert_eq(c->n_listen, 1);
        cr_assert_eq(c->listen[0].type, SOCK_STREAM);
        cr_assert_str_eq(c->listen[0].address, "8080");
        if (have_ipv6()) {
                const struct sockaddr_in6 *a = in6(&c->listen[0]);

                cr_assert_eq(a->sin6_port, htons(8080));
                cr_assert(IN6_IS_ADDR_UNSPECIFIED(&a->sin6_addr));
                cr_assert_eq(a->sin6_scope_id, 0);
        } else {                /* as systemd without IPv6: 0.0.0.0 */
                const struct sockaddr_in *a = in4(&c->listen[0]);

                cr_assert_eq(a->sin_port, htons(8080));
                cr_assert_eq(a->sin_addr.s_addr, htonl(INADDR_ANY));
        }
        cr_assert_eq(c->bind_ipv6_only, BIND_IPV6_ONLY_DEFAULT);
}

Test(socket_config, ipv4_address_and_port) {
        _cleanup_(pool_config_freep) PoolConfig *c = load_ok("ListenStream=1.2.3.4:80\n"
                                                             "ListenDatagram=127.0.0.1:65535\n");
        const struct sockaddr_in *a;

        cr_assert_eq(c->n_listen, 2);
        a = in4(&c->listen[0]);
        cr_assert_eq(c->listen[0].type, SOCK_STREAM);
        cr_assert_eq(a->sin_port, htons(80));
        cr_assert_eq(a->sin_addr.s_addr, htonl(0x01020304));
        a = in4(&c->listen[1]);
        cr_assert_eq(c->listen[1].type, SOCK_DGRAM);
        cr_assert_eq(a->sin_port, htons(65535));
        cr_assert_eq(a->sin_addr.s_addr, htonl(INADDR_LOOPBACK));
        cr_assert_str_eq(c->listen[1].address, "127.0.0.1:65535");
}

Test(socket_config, ipv6_address_and_port) {
        _cleanup_(pool_config_freep) PoolConfig *c = load_ok("ListenStream=[::1]:80\n"
                                                             "ListenStream=[2001:db8::17]:8443\n"
                                                             "ListenStream=[::]:81\n");
        const struct sockaddr_in6 *a;

        cr_assert_eq(c->n_listen, 3);
        a = in6(&c->listen[0]);
        cr_assert_eq(a->sin6_port, htons(80));
        cr_assert(IN6_IS_ADDR_LOOPBACK(&a->sin6_addr));
        cr_assert_eq(a->sin6_scope_id, 0);
        a = in6(&c->listen[1]);
        cr_assert_eq(a->sin6_port, htons(8443));
        assert_in6_addr(a, "2001:db8::17");
        a = in6(&c->listen[2]);
        cr_assert_eq(a->sin6_port, htons(81));
        cr_assert(IN6_IS_ADDR_UNSPECIFIED(&a->sin6_addr));
}

Test(socket_config, ipv6_scope_after_the_port) {
        _cleanup_(pool_config_freep) PoolConfig *c = load_ok("ListenStream=[fe80::1]:80%lo\n"
                                                             "ListenStream=[fe80::2]:80%7\n");

        cr_assert_eq(c->n_listen, 2);
        assert_in6_addr(in6(&c->listen[0]), "fe80::1");
        cr_assert_eq(in6(&c->listen[0])->sin6_scope_id, if_nametoindex("lo"));
        cr_assert_neq(if_nametoindex("lo"), 0);
        cr_assert_eq(in6(&c->listen[1])->sin6_scope_id, 7);
        cr_assert_eq(in6(&c->listen[1])->sin6_port, htons(80));
}

Test(socket_config, unix_path) {
        _cleanup_(pool_config_freep) PoolConfig *c = load_ok("ListenStream=/run/app.sock\n"
                                                             "ListenDatagram=/run/app.dgram\n"
                                                             "ListenSequentialPacket=/run/app.seq\n");
        const struct sockaddr_un *a;

        cr_assert_eq(c->n_listen, 3);
        cr_assert_eq(c->listen[0].type, SOCK_STREAM);
        cr_assert_eq(c->listen[1].type, SOCK_DGRAM);
        cr_assert_eq(c->listen[2].type, SOCK_SEQPACKET);
        a = un(&c->listen[0]);
        cr_assert_str_eq(a->sun_path, "/run/app.sock");
        /* with the trailing NUL, as systemd's sockaddr_un_set_path() */
        cr_assert_eq(c->listen[0].sockaddr_len, offsetof(struct sockaddr_un, sun_path) + strlen("/run/app.sock") + 1);
        cr_assert_str_eq(un(&c->listen[2])->sun_path, "/run/app.seq");
}

Test(socket_config, unix_path_longest) {
        char path[sizeof(((struct sockaddr_un *) NULL)->sun_path)], body[sizeof path + 32];
        _cleanup_(pool_config_freep) PoolConfig *c = NULL;

        /* 107 bytes: the longest that leaves room for the NUL */
        memset(path, 'a', sizeof path);
        path[0] = '/';
        path[sizeof path - 1] = '\0';
        snprintf(body, sizeof body, "ListenStream=%s\n", path);
        c = load_ok(body);
        cr_assert_str_eq(un(&c->listen[0])->sun_path, path);
        cr_assert_eq(c->listen[0].sockaddr_len, sizeof(struct sockaddr_un));
}

Test(socket_config, abstract) {
        _cleanup_(pool_config_freep) PoolConfig *c = load_ok("ListenStream=@app\n"
                                                             "ListenSequentialPacket=@x\n");
        const struct sockaddr_un *a = un(&c->listen[0]);

        cr_assert_eq(a->sun_path[0], '\0');
        cr_assert_eq(memcmp(a->sun_path + 1, "app", 3), 0);
        /* the leading NUL and the name, no trailing NUL */
        cr_assert_eq(c->listen[0].sockaddr_len, offsetof(struct sockaddr_un, sun_path) + 1 + 3);
        cr_assert_str_eq(c->listen[0].address, "@app");
        cr_assert_eq(c->listen[1].type, SOCK_SEQPACKET);
        cr_assert_eq(c->listen[1].sockaddr_len, offsetof(struct sockaddr_un, sun_path) + 2);
}

/* ---- the list ---------------------------------------------------------------- */

Test(socket_config, several_in_order_and_reset) {
        _cleanup_(pool_config_freep) PoolConfig *c = load_ok("ListenStream=/run/a.sock\n"
                                                             "ListenDatagram=127.0.0.1:53\n"
                                                             "ListenStream=127.0.0.1:53\n" /* TCP too: another socket */
                                                             "ListenStream=\n"             /* resets all types */
                                                             "ListenSequentialPacket=@s\n"
                                                             "ListenStream=[::1]:9\n"
                                                             "ListenDatagram=/run/d.sock\n");
        static const char *const want[] = { "@s", "[::1]:9", "/run/d.sock" };
        static const int types[] = { SOCK_SEQPACKET, SOCK_STREAM, SOCK_DGRAM };

        cr_assert_eq(c->n_listen, 3);
        for (size_t i = 0; i < 3; i++) {
                cr_assert_str_eq(c->listen[i].address, want[i]);
                cr_assert_eq(c->listen[i].type, types[i]);
        }
}

Test(socket_config, reset_in_a_dropin) {
        _cleanup_(strv_freep) char **errors = NULL;
        _cleanup_(pool_config_freep) PoolConfig *c = NULL;
        char dir[PATH_MAX + 16], path[PATH_MAX + 32];
        FILE *f;

        write_socket_pool("ListenStream=8080\nListenStream=/run/a.sock\n");
        snprintf(dir, sizeof dir, "%s/t.pool.d", root);
        cr_assert_eq(mkdir(dir, 0755), 0);
        snprintf(path, sizeof path, "%s/10-sock.conf", dir);
        f = fopen(path, "we");
        cr_assert_not_null(f);
        fputs("[Socket]\nListenDatagram=\nListenStream=127.0.0.1:8081\n", f);
        cr_assert_eq(fclose(f), 0);
        cr_assert_eq(config_load_pool("t", dirs, NULL, &c, &errors), 0, "%s", errors_joined(errors));
        cr_assert_eq(c->n_listen, 1);
        cr_assert_str_eq(c->listen[0].address, "127.0.0.1:8081");
}

Test(socket_config, at_most_64) {
        _cleanup_(freep) char *body = NULL;
        _cleanup_(strv_freep) char **errors = NULL;
        _cleanup_(pool_config_freep) PoolConfig *c = NULL;
        char *b = NULL, *nb;
        const char *path;

        cr_assert_eq(POOL_LISTEN_MAX, 64);
        for (unsigned i = 0; i < POOL_LISTEN_MAX; i++) {
                cr_assert_geq(asprintf(&nb, "%sListenStream=127.0.0.1:%u\n", b ?: "", 10000 + i), 0);
                free(b);
                b = nb;
        }
        c = load_ok(b);
        cr_assert_eq(c->n_listen, 64);
        cr_assert_eq(in4(&c->listen[63])->sin_port, htons(10063));

        /* the 65th, on line 4 + 64 */
        cr_assert_geq(asprintf(&body, "%sListenDatagram=/run/one-too-many.sock\n", b), 0);
        free(b);
        errors = load_bad(body);
        path = write_socket_pool(body);
        cr_assert_eq(strv_length(errors), 1, "%s", errors_joined(errors));
        assert_error(errors, "%s:68: Invalid ListenDatagram= value '/run/one-too-many.sock': at most 64 "
                     "sockets per pool (an empty ListenDatagram= resets the list)", path);
}

Test(socket_config, the_same_socket_twice) {
        _cleanup_(strv_freep) char **errors = load_bad("ListenStream=127.0.0.1:80\n"
                                                       "ListenStream=127.0.0.01:80\n"  /* not an address */
                                                       "ListenStream=@a\n"
                                                       "ListenStream=@a\n");

        assert_error(errors, "%s/t.pool:7: Invalid ListenStream= value '@a': the same socket is already listed",
                     root);
        assert_error(errors, "%s/t.pool:5: Invalid ListenStream= value '127.0.0.01:80': expected an IPv4 "
                     "address before ':PORT' (host names are not resolved)", root);
        cr_assert_eq(strv_length(errors), 2, "%s", errors_joined(errors));
}

/* ---- defaults and the other keys ------------------------------------------- */

static void assert_socket_defaults(const PoolConfig *c) {
        cr_assert_eq(c->n_listen, 0);
        cr_assert_null(c->listen);
        cr_assert_null(c->fd_name);
        cr_assert_eq(c->backlog, SOMAXCONN);
        cr_assert_eq(c->bind_ipv6_only, BIND_IPV6_ONLY_DEFAULT);
        cr_assert_not(c->free_bind);
        cr_assert_not(c->reuse_port);
        cr_assert_not(c->no_delay);
        cr_assert_not(c->keep_alive);
        cr_assert_eq(c->defer_accept_usec, 0);
        cr_assert_null(c->socket_user);
        cr_assert_null(c->socket_group);
        cr_assert_eq(c->socket_mode, 0666);
        cr_assert_not(c->remove_on_stop);
        cr_assert_eq(c->restart_parallel, 1);
}

Test(socket_config, defaults) {
        _cleanup_(pool_config_freep) PoolConfig *c = load_ok("");
        _cleanup_(pool_config_freep) PoolConfig *n = NULL;

        assert_socket_defaults(c);
        cr_assert_eq(pool_config_new("x", NULL, &n), 0);
        assert_socket_defaults(n);
}

static const char all_keys[] =
        "ListenStream=127.0.0.1:8080\n"
        "ListenStream=/run/app.sock\n"
        "FileDescriptorName=web http\n"
        "Backlog=128\n"
        "BindIPv6Only=ipv6-only\n"
        "FreeBind=yes\n"
        "ReusePort=true\n"
        "NoDelay=on\n"
        "KeepAlive=1\n"
        "DeferAcceptSec=1min 5s\n"
        "SocketUser=www-data\n"
        "SocketGroup=33\n"
        "SocketMode=0660\n"
        "RemoveOnStop=yes\n"
        "[Pool]\n"
        "RestartParallel=4\n";

Test(socket_config, every_key) {
        _cleanup_(pool_config_freep) PoolConfig *c = load_ok(all_keys);

        cr_assert_eq(c->n_listen, 2);
        cr_assert_str_eq(c->fd_name, "web http");
        cr_assert_eq(c->backlog, 128);
        cr_assert_eq(c->bind_ipv6_only, BIND_IPV6_ONLY_IPV6_ONLY);
        cr_assert(c->free_bind && c->reuse_port && c->no_delay && c->keep_alive && c->remove_on_stop);
        cr_assert_eq(c->defer_accept_usec, 65 * 1000000ULL);
        cr_assert_str_eq(c->socket_user, "www-data");
        cr_assert_str_eq(c->socket_group, "33");
        cr_assert_eq(c->socket_mode, 0660);
        cr_assert_eq(c->restart_parallel, 4);
}

Test(socket_config, empty_resets_to_default) {
        _cleanup_(freep) char *body = NULL;
        _cleanup_(pool_config_freep) PoolConfig *c = NULL;

        cr_assert_geq(asprintf(&body, "%s[Socket]\nListenStream=\nFileDescriptorName=\nBacklog=\nBindIPv6Only=\n"
                               "FreeBind=\nReusePort=\nNoDelay=\nKeepAlive=\nDeferAcceptSec=\nSocketUser=\nSocketGroup=\n"
                               "SocketMode=\nRemoveOnStop=\n[Pool]\nRestartParallel=\n", all_keys), 0);
        c = load_ok(body);
        assert_socket_defaults(c);
}

Test(socket_config, value_spellings) {
        _cleanup_(pool_config_freep) PoolConfig *c = NULL;

        c = load_ok("BindIPv6Only=both\nSocketMode=600\nBacklog=0\nFileDescriptorName=a.b-c_d!~\n"
                    "[Pool]\nRestartParallel=65536\n");
        cr_assert_eq(c->bind_ipv6_only, BIND_IPV6_ONLY_BOTH);
        cr_assert_eq(c->socket_mode, 0600);
        cr_assert_eq(c->backlog, 0);
        cr_assert_str_eq(c->fd_name, "a.b-c_d!~");
        cr_assert_eq(c->restart_parallel, 65536);
        c = pool_config_free(c);

        /* as systemd: a boolean is ipv6-only (yes) or both (no) */
        c = load_ok("BindIPv6Only=no\nSocketMode=07777\nBacklog=2147483647\n");
        cr_assert_eq(c->bind_ipv6_only, BIND_IPV6_ONLY_BOTH);
        cr_assert_eq(c->socket_mode, 07777);
        cr_assert_eq(c->backlog, INT_MAX);
        c = pool_config_free(c);
        c = load_ok("BindIPv6Only=yes\nBindIPv6Only=default\nBindIPv6Only=true\n");
        cr_assert_eq(c->bind_ipv6_only, BIND_IPV6_ONLY_IPV6_ONLY);
}

/* ---- errors ----------------------------------------------------------------- */

Test(socket_config, address_errors) {
        char longest[256], too_long[256];

        assert_bad_line("ListenStream", "0", "the port must be between 1 and 65535");
        assert_bad_line("ListenStream", "65536", "the port must be between 1 and 65535");
        assert_bad_line("ListenStream", "99999999999999999999999", "the port must be between 1 and 65535");
        assert_bad_line("ListenStream", "1.2.3.4:0", "the port must be between 1 and 65535");
        assert_bad_line("ListenStream", "1.2.3.4:", "expected a port number after ':'");
        assert_bad_line("ListenStream", "1.2.3.4:http", "expected a port number after ':'");
        assert_bad_line("ListenStream", "1.2.3.4:80x", "expected a port number after ':'");
        assert_bad_line("ListenStream", "1.2.3.4:80%lo", "a scope (%INTERFACE) is for an IPv6 address only");
        assert_bad_line("ListenStream", "1.2.3.4", "expected a port, IPv4:PORT, [IPv6]:PORT, an absolute path or @name");
        assert_bad_line("ListenStream", "localhost:80",
                        "expected an IPv4 address before ':PORT' (host names are not resolved)");
        assert_bad_line("ListenStream", "1.2.3.256:80",
                        "expected an IPv4 address before ':PORT' (host names are not resolved)");
        assert_bad_line("ListenStream", ":80",
                        "expected an IPv4 address before ':PORT' (host names are not resolved)");
        assert_bad_line("ListenStream", "::1:80", "an IPv6 address goes in brackets: [ADDR]:PORT");
        assert_bad_line("ListenStream", "[::1]", "missing ':PORT' after ']'");
        assert_bad_line("ListenStream", "[::1]80", "expected ':PORT' after ']'");
        assert_bad_line("ListenStream", "[::1", "missing ']' after the IPv6 address");
        assert_bad_line("ListenStream", "[]:80", "expected an IPv6 address in [brackets]");
        assert_bad_line("ListenStream", "[1.2.3.4]:80", "not a valid IPv6 address");
        assert_bad_line("ListenStream", "[::1]:0", "the port must be between 1 and 65535");
        assert_bad_line("ListenStream", "[::1]:123456789", "the port must be between 1 and 65535");
        assert_bad_line("ListenStream", "[fe80::1%lo]:80", "the scope goes after the port: [ADDR]:PORT%INTERFACE");
        assert_bad_line("ListenStream", "[fe80::1]:80%", "expected an interface name or index after '%'");
        assert_bad_line("ListenStream", "[fe80::1]:80%nosuchif0", "no such network interface after '%'");
        assert_bad_line("ListenStream", "[fe80::1]:80%0", "no such network interface after '%'");
        assert_bad_line("ListenStream", "/", "expected a socket path, not '/'");
        assert_bad_line("ListenStream", "@", "expected a name after '@'");
        assert_bad_line("ListenStream", "/run/../app.sock",
                        "expected a normalized absolute path (without '.', '..', '//' or a trailing '/')");
        assert_bad_line("ListenDatagram", "/run/app/",
                        "expected a normalized absolute path (without '.', '..', '//' or a trailing '/')");
        assert_bad_line("ListenStream", "run/app.sock",
                        "expected a port, IPv4:PORT, [IPv6]:PORT, an absolute path or @name");
        assert_bad_line("ListenSequentialPacket", "127.0.0.1:80",
                        "ListenSequentialPacket= is for AF_UNIX only (an absolute path or @name)");
        assert_bad_line("ListenSequentialPacket", "8080",
                        "ListenSequentialPacket= is for AF_UNIX only (an absolute path or @name)");

        /* 108 bytes with the NUL do not fit sun_path (107 do: unix_path_longest) */
        memset(too_long, 'a', 108);
        too_long[0] = '/';
        too_long[108] = '\0';
        assert_bad_line("ListenStream", too_long, "a socket path may be at most 107 bytes (sun_path)");
        memset(longest, 'b', 107);
        longest[0] = '@';
        longest[107] = '\0';
        {
                _cleanup_(pool_config_freep) PoolConfig *c = NULL;
                char body[sizeof longest + 32];

                snprintf(body, sizeof body, "ListenStream=%s\n", longest);
                c = load_ok(body);
                cr_assert_eq(c->listen[0].sockaddr_len, sizeof(struct sockaddr_un) - 1);
        }
        too_long[0] = '@';
        assert_bad_line("ListenStream", too_long, "an abstract socket name may be at most 106 bytes (sun_path)");
}

Test(socket_config, key_errors) {
        char name[300];

        assert_bad_line("FileDescriptorName", "a:b", "expected printable ASCII characters other than ':'");
        assert_bad_line("FileDescriptorName", "caf\xc3\xa9", "expected printable ASCII characters other than ':'");
        assert_bad_line("FileDescriptorName", "a\tb", "expected printable ASCII characters other than ':'");
        memset(name, 'n', 256);
        name[256] = '\0';
        assert_bad_line("FileDescriptorName", name, "a name may be at most 255 characters");
        name[255] = '\0';
        {
                _cleanup_(pool_config_freep) PoolConfig *c = NULL;
                char body[sizeof name + 32];

                snprintf(body, sizeof body, "FileDescriptorName=%s\n", name);
                c = load_ok(body);
                cr_assert_eq(strlen(c->fd_name), 255);
        }
        assert_bad_line("Backlog", "many", "expected an unsigned integer");
        assert_bad_line("Backlog", "2147483648", "must be between 0 and 2147483647");
        assert_bad_line("Backlog", "-1", "must be between 0 and 2147483647");
        assert_bad_line("BindIPv6Only", "ipv4", "expected default, both, ipv6-only or a boolean");
        assert_bad_line("FreeBind", "maybe", "expected a boolean (yes or no)");
        assert_bad_line("ReusePort", "2", "expected a boolean (yes or no)");
        assert_bad_line("NoDelay", "nope", "expected a boolean (yes or no)");
        assert_bad_line("KeepAlive", "always", "expected a boolean (yes or no)");
        assert_bad_line("DeferAcceptSec", "soon", "expected a time span like 5s, 100ms, 1min 30s or infinity");
        assert_bad_line("RemoveOnStop", "later", "expected a boolean (yes or no)");
        assert_bad_line("SocketUser", "bad:user", "expected a user or group name or a numeric id");
        assert_bad_line("SocketUser", "4294967295", "expected a user or group name or a numeric id");
        assert_bad_line("SocketGroup", "-wheel", "expected a user or group name or a numeric id");
        assert_bad_line("SocketGroup", "a/b", "expected a user or group name or a numeric id");
        assert_bad_line("SocketMode", "0888", "expected an octal mode like 0660 (at most 07777)");
        assert_bad_line("SocketMode", "010000", "expected an octal mode like 0660 (at most 07777)");
        assert_bad_line("SocketMode", "rw", "expected an octal mode like 0660 (at most 07777)");
        assert_bad_line("SocketMode", "-644", "expected an octal mode like 0660 (at most 07777)");
        assert_bad_line("SocketMode", "+644", "expected an octal mode like 0660 (at most 07777)");
}

Test(socket_config, restart_parallel_errors) {
        _cleanup_(strv_freep) char **errors = NULL;

        errors = load_bad("[Pool]\nRestartParallel=0\nRestartParallel=65537\nRestartParallel=all\n");
        assert_error(errors, "%s/t.pool:5: Invalid RestartParallel= value '0': must be between 1 and 65536", root);
        assert_error(errors, "%s/t.pool:6: Invalid RestartParallel= value '65537': must be between 1 and 65536", root);
        assert_error(errors, "%s/t.pool:7: Invalid RestartParallel= value 'all': expected an unsigned integer", root);
        cr_assert_eq(strv_length(errors), 3, "%s", errors_joined(errors));
}

Test(socket_config, keys_belong_in_their_section) {
        _cleanup_(strv_freep) char **errors = NULL;

        errors = load_bad("RestartParallel=2\n[Pool]\nListenStream=80\n");
        assert_error(errors, "%s/t.pool:4: Unknown key RestartParallel= in section [Socket] (it belongs in [Pool])",
                     root);
        assert_error(errors, "%s/t.pool:6: Unknown key ListenStream= in section [Pool] (it belongs in [Socket])",
                     root);
}

/* ---- the helpers ------------------------------------------------------------ */

Test(socket_config, bind_ipv6_only_names) {
        static const char *const names[] = { "default", "both", "ipv6-only" };

        cr_assert_eq(ELEMENTSOF(names), (size_t) _BIND_IPV6_ONLY_MAX);
        for (int i = 0; i < _BIND_IPV6_ONLY_MAX; i++) {
                cr_assert_str_eq(bind_ipv6_only_to_string((BindIPv6Only) i), names[i]);
                cr_assert_eq(bind_ipv6_only_from_string(names[i]), (BindIPv6Only) i);
        }
        cr_assert_null(bind_ipv6_only_to_string(_BIND_IPV6_ONLY_MAX));
        cr_assert_null(bind_ipv6_only_to_string(_BIND_IPV6_ONLY_INVALID));
        cr_assert_eq(bind_ipv6_only_from_string("yes"), _BIND_IPV6_ONLY_INVALID);
        cr_assert_eq(bind_ipv6_only_from_string("IPv6-only"), _BIND_IPV6_ONLY_INVALID);
        cr_assert_eq(bind_ipv6_only_from_string(""), _BIND_IPV6_ONLY_INVALID);
        cr_assert_eq(bind_ipv6_only_from_string(NULL), _BIND_IPV6_ONLY_INVALID);
}

Test(socket_config, listen_spec_equal) {
        _cleanup_(pool_config_freep) PoolConfig *c = load_ok("ListenStream=127.0.0.1:80\n"     /* 0 */
                                                             "ListenDatagram=127.0.0.1:80\n"   /* 1 */
                                                             "ListenStream=127.0.0.1:81\n"     /* 2 */
                                                             "ListenStream=127.0.0.2:80\n"     /* 3 */
                                                             "ListenStream=[::1]:80\n"         /* 4 */
                                                             "ListenStream=[::1]:80%lo\n"      /* 5 */
                                                             "ListenStream=/run/a\n"           /* 6 */
                                                             "ListenStream=/run/b\n"           /* 7 */
                                                             "ListenStream=@/run/a\n"          /* 8 */
                                                             "ListenStream=@run/a\n"           /* 9 */
                                                             "ListenSequentialPacket=/run/a\n" /* 10 */
                                                             "ListenStream=8080\n");           /* 11 */
        _cleanup_(pool_config_freep) PoolConfig *d = load_ok("ListenStream=127.0.0.1:80\n"
                                                             "ListenStream=[0:0::1]:80\n"
                                                             "ListenStream=/run/a\n"
                                                             "ListenStream=@run/a\n");
        ListenSpec any = { .type = SOCK_STREAM };
        const char *want = have_ipv6() ? "[::]:8080" : "0.0.0.0:8080";
        _cleanup_(strv_freep) char **errors = NULL;
        char body[128];

        cr_assert_eq(c->n_listen, 12);
        for (size_t i = 0; i < c->n_listen; i++)
                for (size_t j = 0; j < c->n_listen; j++)
                        cr_assert_eq(listen_spec_equal(&c->listen[i], &c->listen[j]), i == j,
                                     "%s vs %s", c->listen[i].address, c->listen[j].address);
        /* another spelling of the same address is the same socket */
        cr_assert(listen_spec_equal(&c->listen[0], &d->listen[0]));
        cr_assert(listen_spec_equal(&c->listen[4], &d->listen[1]));
        cr_assert(listen_spec_equal(&c->listen[6], &d->listen[2]));
        cr_assert(listen_spec_equal(&c->listen[9], &d->listen[3]));
        cr_assert_not(listen_spec_equal(&c->listen[0], &any));
        cr_assert_not(listen_spec_equal(&any, &any));   /* no address is no socket */

        /* "8080" is "[::]:8080": listed twice it is refused */
        snprintf(body, sizeof body, "ListenStream=8080\nListenStream=%s\n", want);
        errors = load_bad(body);
        assert_error(errors, "%s/t.pool:5: Invalid ListenStream= value '%s': the same socket is already listed",
                     root, want);
}

Test(socket_config, socket_options_changed) {
        _cleanup_(pool_config_freep) PoolConfig *a = load_ok("ListenStream=8080\n");
        static const char *const changes[] = {
                "Backlog=1\n", "BindIPv6Only=both\n", "FreeBind=yes\n", "ReusePort=yes\n", "NoDelay=yes\n",
                "KeepAlive=yes\n", "DeferAcceptSec=3\n", "SocketUser=nobody\n", "SocketGroup=nogroup\n", "SocketMode=0600\n",
        };
        static const char *const same[] = {
                "ListenStream=8080\nListenStream=/run/x\n", "FileDescriptorName=x\n", "RemoveOnStop=yes\n",
                "Backlog=4096\nSocketMode=666\n", "[Pool]\nRestartParallel=3\n",
        };

        cr_assert_not(pool_config_socket_options_changed(a, a));
        cr_assert(pool_config_socket_options_changed(a, NULL));
        cr_assert_not(pool_config_socket_options_changed(NULL, NULL));
        for (size_t i = 0; i < ELEMENTSOF(changes); i++) {
                _cleanup_(pool_config_freep) PoolConfig *b = load_ok(changes[i]);

                cr_assert(pool_config_socket_options_changed(a, b), "%s", changes[i]);
                cr_assert(pool_config_socket_options_changed(b, a), "%s", changes[i]);
        }
        for (size_t i = 0; i < ELEMENTSOF(same); i++) {
                _cleanup_(pool_config_freep) PoolConfig *b = load_ok(same[i]);

                cr_assert_not(pool_config_socket_options_changed(a, b), "%s", same[i]);
        }
}

Test(socket_config, dup_is_deep) {
        _cleanup_(pool_config_freep) PoolConfig *c = load_ok(all_keys);
        _cleanup_(pool_config_freep) PoolConfig *d = NULL;

        cr_assert_eq(pool_config_dup(c, &d), 0);
        cr_assert_eq(d->n_listen, 2);
        cr_assert_neq(d->listen, c->listen);
        for (size_t i = 0; i < 2; i++) {
                cr_assert(listen_spec_equal(&c->listen[i], &d->listen[i]));
                cr_assert_str_eq(d->listen[i].address, c->listen[i].address);
                cr_assert_neq(d->listen[i].address, c->listen[i].address);
        }
        cr_assert_str_eq(d->fd_name, "web http");
        cr_assert_neq(d->fd_name, c->fd_name);
        cr_assert_str_eq(d->socket_user, "www-data");
        cr_assert_neq(d->socket_user, c->socket_user);
        cr_assert_str_eq(d->socket_group, "33");
        cr_assert_neq(d->socket_group, c->socket_group);
        cr_assert_eq(d->restart_parallel, 4);
        cr_assert_not(pool_config_socket_options_changed(c, d));
        c = pool_config_free(c);        /* d owns its own copies (ASan) */
        cr_assert_str_eq(d->listen[1].address, "/run/app.sock");
}

/* The generic entry point accepts the keys (the bus's SetProperties() has a
 * list of its own, without them); a re-exec parses the same text again. */
Test(socket_config, set_property_and_sources) {
        _cleanup_(pool_config_freep) PoolConfig *c = load_ok("ListenStream=8080\n");
        _cleanup_(pool_config_freep) PoolConfig *r = NULL;
        _cleanup_(strv_freep) char **errors = NULL;
        char *why = NULL;

        cr_assert_eq(pool_config_set_property(c, NULL, "Backlog", "16", &why), 0);
        cr_assert_eq(c->backlog, 16);
        cr_assert_eq(pool_config_set_property(c, NULL, "ListenDatagram", "127.0.0.1:x", &why), -EINVAL);
        cr_assert_str_eq(why, "Invalid ListenDatagram= value '127.0.0.1:x': expected a port number after ':'");
        free(why);
        cr_assert_str_eq(pool_config_property_section("ListenStream"), "Socket");
        cr_assert_str_eq(pool_config_property_section("RestartParallel"), "Pool");

        cr_assert_eq(config_load_pool_from_sources("t", c->sources, NULL, &r, &errors), 0, "%s", errors_joined(errors));
        cr_assert_eq(r->n_listen, 1);
        cr_assert(listen_spec_equal(&r->listen[0], &c->listen[0]));
        cr_assert_eq(r->backlog, 16);
}
