/* SPDX-License-Identifier: MIT */
/* listen.c on real sockets: TCP on 127.0.0.1 (port 0, then a free fixed
 * port) accepting a connect(); the options read back with getsockopt();
 * IPv6 on ::1 (or, without IPv6, its error); UDP; AF_UNIX stream and
 * seqpacket with SocketMode=/SocketUser=/SocketGroup=, a stale socket file
 * replaced, a missing directory, RemoveOnStop=, abstract names; a port in
 * use; listen_fd_matches() and listen_spec_to_string(). */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <fcntl.h>
#include <grp.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "pool/listen.h"

static char dir[] = "/tmp/test-listen-XXXXXX";
static PoolConfig config;

static void setup(void) {
        cr_assert_not_null(mkdtemp(dir), "mkdtemp: %m");
        config = (PoolConfig) { .backlog = SOMAXCONN, .socket_mode = 0666 };
}

static void teardown(void) {
        char cmd[64];

        snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
        cr_assert_eq(system(cmd), 0);
}

TestSuite(listen, .init = setup, .fini = teardown, .timeout = 30);

/* Specs as the parser (config-socket.c) makes them; they own nothing here. */
static ListenSpec spec_in(int type, const char *ip, unsigned port) {
        static char address[8][64];
        static unsigned n;
        ListenSpec s = { .type = type, .address = address[n++ % 8] };
        struct sockaddr_in *in = (struct sockaddr_in *) &s.sockaddr;

        snprintf(s.address, 64, "%s:%u", ip, port);
        in->sin_family = AF_INET;
        in->sin_port = htons(port);
        cr_assert_eq(inet_pton(AF_INET, ip, &in->sin_addr), 1);
        s.sockaddr_len = sizeof *in;
        return s;
}

static ListenSpec spec_in6(int type, const char *ip, unsigned port, unsigned scope) {
        static char address[8][64];
        static unsigned n;
        ListenSpec s = { .type = type, .address = address[n++ % 8] };
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *) &s.sockaddr;

        snprintf(s.address, 64, "[%s]:%u", ip, port);
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(port);
        in6->sin6_scope_id = scope;
        cr_assert_eq(inet_pton(AF_INET6, ip, &in6->sin6_addr), 1);
        s.sockaddr_len = sizeof *in6;
        return s;
}

/* A path, or "@name" (abstract: no NUL counted, as systemd). */
static ListenSpec spec_un(int type, const char *address) {
        ListenSpec s = { .type = type, .address = (char *) address };
        struct sockaddr_un *un = (struct sockaddr_un *) &s.sockaddr;
        size_t l = strlen(address);

        cr_assert_lt(l, sizeof un->sun_path);
        un->sun_family = AF_UNIX;
        memcpy(un->sun_path, address, l);
        if (address[0] == '@') {
                un->sun_path[0] = 0;
                s.sockaddr_len = offsetof(struct sockaddr_un, sun_path) + l;
        } else
                s.sockaddr_len = offsetof(struct sockaddr_un, sun_path) + l + 1;
        return s;
}

static const char *in_dir(const char *name) {
        static char buf[4][128];
        static unsigned n;
        char *p = buf[n++ % 4];

        snprintf(p, 128, "%s/%s", dir, name);
        return p;
}

static int open_ok(const ListenSpec *s) {
        char *error = (char *) "unset";
        int fd = -1, r;

        r = listen_open(s, &config, &fd, &error);
        cr_assert_eq(r, 0, "listen_open(%s): %s", s->address, error ?: "?");
        cr_assert_null(error);
        cr_assert_geq(fd, 0);
        cr_assert(fcntl(fd, F_GETFD) & FD_CLOEXEC);
        cr_assert(fcntl(fd, F_GETFL) & O_NONBLOCK);
        return fd;
}

/* listen_open() fails with r and exactly this message. */
static void open_fails(const ListenSpec *s, int r, const char *message) {
        char *error = NULL;
        int fd = -1;

        cr_assert_eq(listen_open(s, &config, &fd, &error), r, "listen_open(%s): %s", s->address, error ?: "?");
        cr_assert_eq(fd, -1);
        cr_assert_not_null(error);
        cr_assert_str_eq(error, message);
        free(error);
}

static int sockopt(int fd, int level, int name) {
        int v = -1;
        socklen_t l = sizeof v;

        cr_assert_eq(getsockopt(fd, level, name, &v, &l), 0, "getsockopt: %m");
        return v;
}

static unsigned local_port(int fd) {
        struct sockaddr_storage a;
        socklen_t l = sizeof a;

        cr_assert_eq(getsockname(fd, (struct sockaddr *) &a, &l), 0);
        return ntohs(a.ss_family == AF_INET ? ((struct sockaddr_in *) &a)->sin_port
                                            : ((struct sockaddr_in6 *) &a)->sin6_port);
}

/* A port nothing listens on: bind port 0, read it back, close. */
static unsigned free_port(void) {
        struct sockaddr_in in = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        unsigned port;

        cr_assert_geq(fd, 0);
        cr_assert_eq(bind(fd, (struct sockaddr *) &in, sizeof in), 0, "bind: %m");
        port = local_port(fd);
        close(fd);
        return port;
}

/* connect() a client to the address fd is bound to, then accept() it on fd
 * (non-blocking: wait for it). Both ends pass a byte. */
static void connect_accept(int fd, int type) {
        struct sockaddr_storage a;
        socklen_t l = sizeof a;
        struct pollfd p = { .fd = fd, .events = POLLIN };
        char c = 0;
        int client, conn;

        cr_assert_eq(getsockname(fd, (struct sockaddr *) &a, &l), 0);
        client = socket(a.ss_family, type | SOCK_CLOEXEC, 0);
        cr_assert_geq(client, 0);
        cr_assert_eq(connect(client, (struct sockaddr *) &a, l), 0, "connect: %m");
        cr_assert_eq(poll(&p, 1, 5000), 1);
        conn = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
        cr_assert_geq(conn, 0, "accept: %m");
        cr_assert_eq(write(client, "x", 1), 1);
        cr_assert_eq(read(conn, &c, 1), 1);
        cr_assert_eq(c, 'x');
        close(conn);
        close(client);
}

static bool have_ipv6(void) {
        char buf[256];
        FILE *f = fopen("/proc/net/if_inet6", "re");
        bool any;

        if (!f)
                return false;
        any = fgets(buf, sizeof buf, f) != NULL;
        fclose(f);
        return any;
}

/* net.ipv6.bindv6only: BindIPv6Only=default */
static int kernel_bindv6only(void) {
        FILE *f = fopen("/proc/sys/net/ipv6/bindv6only", "re");
        int v = -1;

        cr_assert_not_null(f);
        cr_assert_eq(fscanf(f, "%d", &v), 1);
        fclose(f);
        return v;
}

static void assert_string(const ListenSpec *s, const char *expected) {
        char *t = listen_spec_to_string(s);

        cr_assert_not_null(t);
        cr_assert_str_eq(t, expected);
        free(t);
}

Test(listen, tcp_port_zero) {
        ListenSpec s = spec_in(SOCK_STREAM, "127.0.0.1", 0);
        int fd = open_ok(&s);

        cr_assert_eq(sockopt(fd, SOL_SOCKET, SO_TYPE), SOCK_STREAM);
        cr_assert_eq(sockopt(fd, SOL_SOCKET, SO_ACCEPTCONN), 1);
        cr_assert_eq(sockopt(fd, SOL_SOCKET, SO_REUSEADDR), 1);
        cr_assert_neq(local_port(fd), 0u);
        connect_accept(fd, SOCK_STREAM);
        listen_close(&s, &config, fd, true);
}

Test(listen, tcp_fixed_port) {
        unsigned port = free_port();
        ListenSpec s = spec_in(SOCK_STREAM, "127.0.0.1", port);
        char expected[32];
        int fd = open_ok(&s);

        cr_assert_eq(local_port(fd), port);
        connect_accept(fd, SOCK_STREAM);
        connect_accept(fd, SOCK_STREAM);
        snprintf(expected, sizeof expected, "127.0.0.1:%u", port);
        assert_string(&s, expected);
        listen_close(&s, &config, fd, false);
}

Test(listen, options_off) {
        ListenSpec s = spec_in(SOCK_STREAM, "127.0.0.1", 0);
        int fd = open_ok(&s);

        cr_assert_eq(sockopt(fd, SOL_SOCKET, SO_REUSEPORT), 0);
        cr_assert_eq(sockopt(fd, IPPROTO_TCP, TCP_NODELAY), 0);
        cr_assert_eq(sockopt(fd, SOL_SOCKET, SO_KEEPALIVE), 0);
        cr_assert_eq(sockopt(fd, IPPROTO_IP, IP_FREEBIND), 0);
        cr_assert_eq(sockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT), 0);
        listen_close(&s, &config, fd, false);
}

Test(listen, options_on) {
        ListenSpec s = spec_in(SOCK_STREAM, "127.0.0.1", 0);
        int fd;

        config.reuse_port = config.no_delay = config.keep_alive = config.free_bind = true;
        config.defer_accept_usec = 1500 * 1000;         /* 2 s: the kernel rounds it further */
        fd = open_ok(&s);
        cr_assert_gt(sockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT), 0);
        cr_assert_eq(sockopt(fd, SOL_SOCKET, SO_REUSEPORT), 1);
        cr_assert_eq(sockopt(fd, IPPROTO_TCP, TCP_NODELAY), 1);
        cr_assert_eq(sockopt(fd, SOL_SOCKET, SO_KEEPALIVE), 1);
        cr_assert_eq(sockopt(fd, IPPROTO_IP, IP_FREEBIND), 1);
        connect_accept(fd, SOCK_STREAM);
        listen_close(&s, &config, fd, false);
}

/* FreeBind=: an address this machine does not have (TEST-NET-1). */
Test(listen, free_bind_foreign_address) {
        ListenSpec s = spec_in(SOCK_STREAM, "192.0.2.1", 0);
        int fd;

        config.free_bind = true;
        fd = open_ok(&s);
        cr_assert_eq(sockopt(fd, SOL_SOCKET, SO_ACCEPTCONN), 1);
        listen_close(&s, &config, fd, false);
}

Test(listen, reuse_port_shares_the_port) {
        ListenSpec any = spec_in(SOCK_STREAM, "127.0.0.1", 0), s;
        unsigned port;
        int a, b;

        /* The port the first one got, not a "free" one found before: a test
         * running beside this one could take that in between, and with
         * SO_REUSEPORT (same uid) share it with us. */
        config.reuse_port = true;
        a = open_ok(&any);
        port = local_port(a);
        s = spec_in(SOCK_STREAM, "127.0.0.1", port);
        b = open_ok(&s);
        /* the kernel spreads the connections over both: accept each where it is */
        for (int i = 0; i < 8; i++) {
                struct sockaddr_in in = { .sin_family = AF_INET, .sin_port = htons(port),
                                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
                struct pollfd p[2] = { { .fd = a, .events = POLLIN }, { .fd = b, .events = POLLIN } };
                int client = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), conn;

                cr_assert_eq(connect(client, (struct sockaddr *) &in, sizeof in), 0, "connect: %m");
                cr_assert_geq(poll(p, 2, 5000), 1);
                conn = accept4(p[0].revents ? a : b, NULL, NULL, SOCK_CLOEXEC);
                cr_assert_geq(conn, 0, "accept: %m");
                close(conn);
                close(client);
        }
        listen_close(&s, &config, a, false);
        listen_close(&s, &config, b, false);
}

Test(listen, ipv6) {
        ListenSpec s = spec_in6(SOCK_STREAM, "::1", 0, 0);
        int fd;

        if (!have_ipv6()) {
                /* no IPv6 on this machine: the spec fails, and says so */
                char *error = NULL;

                cr_assert_lt(listen_open(&s, &config, &fd, &error), 0);
                cr_assert_not_null(error);
                cr_assert(strncmp(error, "ListenStream=[::1]:0: ", 22) == 0, "%s", error);
                free(error);
                return;
        }
        config.bind_ipv6_only = BIND_IPV6_ONLY_IPV6_ONLY;
        config.no_delay = true;
        fd = open_ok(&s);
        cr_assert_eq(sockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY), 1);
        cr_assert_eq(sockopt(fd, IPPROTO_TCP, TCP_NODELAY), 1);
        cr_assert_eq(sockopt(fd, SOL_SOCKET, SO_DOMAIN), AF_INET6);
        connect_accept(fd, SOCK_STREAM);
        cr_assert_eq(listen_fd_matches(fd, &s), 1);
        listen_close(&s, &config, fd, false);

        /* a bind to a specific IPv6 address makes any socket v6-only: the
         * other settings show on [::] */
        s = spec_in6(SOCK_STREAM, "::", 0, 0);
        fd = open_ok(&s);
        cr_assert_eq(sockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY), 1);
        listen_close(&s, &config, fd, false);
        config.bind_ipv6_only = BIND_IPV6_ONLY_BOTH;
        config.free_bind = true;
        fd = open_ok(&s);
        cr_assert_eq(sockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY), 0);
        cr_assert_eq(sockopt(fd, IPPROTO_IPV6, IPV6_FREEBIND), 1);
        listen_close(&s, &config, fd, false);
        config.bind_ipv6_only = BIND_IPV6_ONLY_DEFAULT;
        fd = open_ok(&s);
        cr_assert_eq(sockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY), kernel_bindv6only());
        listen_close(&s, &config, fd, false);
}

/* A bare port ("8080": [::]:PORT) under BindIPv6Only=both takes IPv4 too. */
Test(listen, ipv6_any_dual_stack) {
        unsigned port = free_port();
        ListenSpec s = spec_in6(SOCK_STREAM, "::", port, 0);
        struct sockaddr_in in = { .sin_family = AF_INET, .sin_port = htons(port),
                                  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        char *error = NULL;
        int fd = -1, client, r;

        /* [::] needs no IPv6 address, only the family in the kernel */
        config.bind_ipv6_only = BIND_IPV6_ONLY_BOTH;
        r = listen_open(&s, &config, &fd, &error);
        if (r == -EAFNOSUPPORT) {
                char message[128];

                snprintf(message, sizeof message,
                         "ListenStream=[::]:%u: socket: Address family not supported by protocol", port);
                cr_assert_str_eq(error, message);
                free(error);
                return;
        }
        cr_assert_eq(r, 0, "%s", error ?: "?");
        client = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        cr_assert_eq(connect(client, (struct sockaddr *) &in, sizeof in), 0, "connect over IPv4: %m");
        close(client);
        listen_close(&s, &config, fd, false);
}

Test(listen, udp) {
        ListenSpec s = spec_in(SOCK_DGRAM, "127.0.0.1", 0);
        struct sockaddr_in a;
        socklen_t l = sizeof a;
        struct pollfd p;
        char buf[8] = "";
        int fd, client;

        config.no_delay = config.keep_alive = true;        /* stream only: ignored */
        fd = open_ok(&s);
        cr_assert_eq(sockopt(fd, SOL_SOCKET, SO_TYPE), SOCK_DGRAM);
        cr_assert_eq(sockopt(fd, SOL_SOCKET, SO_ACCEPTCONN), 0);
        cr_assert_eq(sockopt(fd, SOL_SOCKET, SO_KEEPALIVE), 0);
        cr_assert_eq(getsockname(fd, (struct sockaddr *) &a, &l), 0);
        client = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        cr_assert_eq(sendto(client, "ping", 4, 0, (struct sockaddr *) &a, l), 4);
        p = (struct pollfd) { .fd = fd, .events = POLLIN };
        cr_assert_eq(poll(&p, 1, 5000), 1);
        cr_assert_eq(recv(fd, buf, sizeof buf, 0), 4);
        cr_assert_str_eq(buf, "ping");
        close(client);
        cr_assert_eq(listen_fd_matches(fd, &s), 1);
        listen_close(&s, &config, fd, false);
}

static void assert_owner_mode(const char *path, uid_t uid, gid_t gid, mode_t mode) {
        struct stat st;

        cr_assert_eq(lstat(path, &st), 0, "%s: %m", path);
        cr_assert(S_ISSOCK(st.st_mode), "%s is not a socket", path);
        cr_assert_eq(st.st_mode & 07777, mode, "%s: mode %o", path, st.st_mode & 07777);
        cr_assert_eq(st.st_uid, uid);
        cr_assert_eq(st.st_gid, gid);
}

Test(listen, unix_stream_mode_user) {
        const char *path = in_dir("stream.sock");
        ListenSpec s = spec_un(SOCK_STREAM, path);
        struct passwd *pw = getpwnam("nobody");
        int fd;

        cr_assert_not_null(pw, "no user nobody");
        config.socket_mode = 0660;
        config.socket_user = (char *) "nobody";
        fd = open_ok(&s);
        /* the user's own group, as systemd */
        assert_owner_mode(path, pw->pw_uid, pw->pw_gid, 0660);
        cr_assert_eq(sockopt(fd, SOL_SOCKET, SO_ACCEPTCONN), 1);
        connect_accept(fd, SOCK_STREAM);
        assert_string(&s, path);
        cr_assert_eq(listen_fd_matches(fd, &s), 1);
        listen_close(&s, &config, fd, true);
        cr_assert_neq(access(path, F_OK), 0);
}

Test(listen, unix_numeric_user_and_group) {
        const char *path = in_dir("numeric.sock");
        ListenSpec s = spec_un(SOCK_STREAM, path);
        struct group *gr = getgrgid(0);
        int fd;

        cr_assert_not_null(gr);
        config.socket_mode = 0600;
        config.socket_user = (char *) "65534";
        config.socket_group = gr->gr_name;      /* a name */
        fd = open_ok(&s);
        assert_owner_mode(path, 65534, 0, 0600);
        listen_close(&s, &config, fd, true);

        config.socket_user = NULL;
        config.socket_group = (char *) "12345"; /* an id without a name */
        fd = open_ok(&s);
        assert_owner_mode(path, getuid(), 12345, 0600);
        listen_close(&s, &config, fd, true);
}

Test(listen, unix_seqpacket) {
        const char *path = in_dir("seqpacket.sock");
        ListenSpec s = spec_un(SOCK_SEQPACKET, path);
        struct sockaddr_un a = { .sun_family = AF_UNIX };
        struct pollfd p;
        char buf[16] = "";
        int fd, client, conn;

        config.socket_mode = 0660;
        config.socket_user = (char *) "nobody";
        config.socket_group = (char *) "nogroup";
        fd = open_ok(&s);
        assert_owner_mode(path, getpwnam("nobody")->pw_uid, getgrnam("nogroup")->gr_gid, 0660);
        cr_assert_eq(sockopt(fd, SOL_SOCKET, SO_TYPE), SOCK_SEQPACKET);
        cr_assert_eq(sockopt(fd, SOL_SOCKET, SO_ACCEPTCONN), 1);
        strcpy(a.sun_path, path);
        client = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        cr_assert_eq(connect(client, (struct sockaddr *) &a, sizeof a), 0, "connect: %m");
        p = (struct pollfd) { .fd = fd, .events = POLLIN };
        cr_assert_eq(poll(&p, 1, 5000), 1);
        conn = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
        cr_assert_geq(conn, 0);
        /* message boundaries kept */
        cr_assert_eq(send(client, "one", 3, 0), 3);
        cr_assert_eq(send(client, "two", 3, 0), 3);
        cr_assert_eq(recv(conn, buf, sizeof buf, 0), 3);
        cr_assert_eq(memcmp(buf, "one", 3), 0);
        /* an accepted connection has the same address but is not the listener */
        cr_assert_eq(listen_fd_matches(conn, &s), 0);
        cr_assert_eq(listen_fd_matches(fd, &s), 1);
        close(conn);
        close(client);
        listen_close(&s, &config, fd, true);
        cr_assert_neq(access(path, F_OK), 0);
}

Test(listen, unix_datagram) {
        const char *path = in_dir("dgram.sock");
        ListenSpec s = spec_un(SOCK_DGRAM, path);
        struct sockaddr_un a = { .sun_family = AF_UNIX };
        char buf[8] = "";
        int fd, client;

        fd = open_ok(&s);
        assert_owner_mode(path, getuid(), getgid(), 0666);
        strcpy(a.sun_path, path);
        client = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        cr_assert_eq(sendto(client, "hi", 2, 0, (struct sockaddr *) &a, sizeof a), 2, "sendto: %m");
        cr_assert_eq(recv(fd, buf, sizeof buf, 0), 2);
        close(client);
        cr_assert_eq(listen_fd_matches(fd, &s), 1);
        listen_close(&s, &config, fd, true);
}

/* A socket file left by a process that died is replaced. */
Test(listen, unix_stale_socket_replaced) {
        const char *path = in_dir("stale.sock");
        ListenSpec s = spec_un(SOCK_STREAM, path);
        struct stat before, after;
        int old, fd;

        old = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        umask(0022);
        cr_assert_eq(bind(old, (struct sockaddr *) &s.sockaddr, s.sockaddr_len), 0, "bind: %m");
        close(old);
        cr_assert_eq(lstat(path, &before), 0);
        cr_assert_eq(before.st_mode & 07777, 0755);
        fd = open_ok(&s);
        cr_assert_eq(lstat(path, &after), 0);
        cr_assert(S_ISSOCK(after.st_mode));
        cr_assert(S_ISSOCK(before.st_mode));
        cr_assert_eq(after.st_mode & 07777, 0666);      /* ours, not the old 0755 */
        connect_accept(fd, SOCK_STREAM);
        listen_close(&s, &config, fd, false);
        cr_assert_eq(access(path, F_OK), 0, "RemoveOnStop=no keeps the file");
}

/* Anything but a socket at the path is left alone. */
Test(listen, unix_regular_file_kept) {
        const char *path = in_dir("file.sock");
        ListenSpec s = spec_un(SOCK_STREAM, path);
        char message[256];
        struct stat st;
        int f;

        f = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
        cr_assert_geq(f, 0);
        close(f);
        snprintf(message, sizeof message, "ListenStream=%s: %s exists and is not a socket", path, path);
        open_fails(&s, -EEXIST, message);
        cr_assert_eq(lstat(path, &st), 0);
        cr_assert(S_ISREG(st.st_mode));
        listen_close(&s, &config, -EBADF, true);
        cr_assert_eq(access(path, F_OK), 0, "RemoveOnStop= removes only a socket");
}

Test(listen, unix_missing_directory) {
        const char *missing = in_dir("missing"), *path = in_dir("missing/app.sock");
        ListenSpec s = spec_un(SOCK_STREAM, path);
        char message[256];

        snprintf(message, sizeof message, "ListenStream=%s: directory %s does not exist", path, missing);
        open_fails(&s, -ENOENT, message);
        cr_assert_neq(access(missing, F_OK), 0, "the directory is not created");
}

Test(listen, unix_unknown_user_leaves_nothing) {
        const char *path = in_dir("nouser.sock");
        ListenSpec s = spec_un(SOCK_STREAM, path);
        char message[256];

        config.socket_user = (char *) "no-such-user-wp";
        snprintf(message, sizeof message, "ListenStream=%s: SocketUser=no-such-user-wp: no such user", path);
        open_fails(&s, -ESRCH, message);
        config.socket_user = NULL;
        config.socket_group = (char *) "no-such-group-wp";
        snprintf(message, sizeof message, "ListenStream=%s: SocketGroup=no-such-group-wp: no such group", path);
        open_fails(&s, -ESRCH, message);
        cr_assert_neq(access(path, F_OK), 0);
}

Test(listen, remove_on_stop) {
        const char *path = in_dir("remove.sock");
        ListenSpec s = spec_un(SOCK_STREAM, path);
        int fd;

        fd = open_ok(&s);
        listen_close(&s, &config, fd, false);
        cr_assert_eq(access(path, F_OK), 0);
        fd = open_ok(&s);                      /* replaces the stale one */
        listen_close(&s, &config, fd, true);
        cr_assert_neq(access(path, F_OK), 0);
        listen_close(&s, &config, -EBADF, true); /* already gone: fine */
}

Test(listen, abstract) {
        char name[64];
        ListenSpec s, other;
        int fd;

        snprintf(name, sizeof name, "@workerpoold-test-listen-%d", (int) getpid());
        s = spec_un(SOCK_STREAM, name);
        config.socket_user = (char *) "nobody";   /* file system sockets only: ignored */
        fd = open_ok(&s);
        connect_accept(fd, SOCK_STREAM);
        assert_string(&s, name);
        cr_assert_eq(listen_fd_matches(fd, &s), 1);
        other = spec_un(SOCK_STREAM, "@workerpoold-test-listen-other");
        cr_assert_eq(listen_fd_matches(fd, &other), 0);
        /* the same name again is in use */
        {
                char message[160];

                snprintf(message, sizeof message, "ListenStream=%s: bind: Address already in use", name);
                open_fails(&s, -EADDRINUSE, message);
        }
        listen_close(&s, &config, fd, true);
        fd = open_ok(&s);                       /* free again once closed */
        listen_close(&s, &config, fd, true);
}

Test(listen, port_in_use) {
        unsigned port = free_port();
        ListenSpec s = spec_in(SOCK_STREAM, "127.0.0.1", port);
        char message[128];
        int fd = open_ok(&s);

        snprintf(message, sizeof message, "ListenStream=127.0.0.1:%u: bind: Address already in use", port);
        open_fails(&s, -EADDRINUSE, message);
        listen_close(&s, &config, fd, false);
}

Test(listen, error_without_ret_error) {
        ListenSpec s = spec_un(SOCK_STREAM, "/nonexistent-dir-wp/x.sock");
        int fd = -1;

        cr_assert_eq(listen_open(&s, &config, &fd, NULL), -ENOENT);
        cr_assert_eq(fd, -1);
}

Test(listen, fd_matches) {
        unsigned port = free_port(), other_port = port % 60000 + 1024;
        ListenSpec s = spec_in(SOCK_STREAM, "127.0.0.1", port);
        ListenSpec zero = spec_in(SOCK_STREAM, "127.0.0.1", 0);
        ListenSpec other = spec_in(SOCK_STREAM, "127.0.0.1", other_port);
        ListenSpec any = spec_in(SOCK_STREAM, "0.0.0.0", port);
        ListenSpec dgram = spec_in(SOCK_DGRAM, "127.0.0.1", port);
        ListenSpec v6 = spec_in6(SOCK_STREAM, "::1", port, 0);
        ListenSpec un = spec_un(SOCK_STREAM, in_dir("x.sock"));
        int fd = open_ok(&s), pipefd[2];

        cr_assert_eq(listen_fd_matches(fd, &s), 1);
        cr_assert_eq(listen_fd_matches(fd, &zero), 1, "port 0: any port");
        cr_assert_eq(listen_fd_matches(fd, &other), 0);
        cr_assert_eq(listen_fd_matches(fd, &any), 0);
        cr_assert_eq(listen_fd_matches(fd, &dgram), 0);
        cr_assert_eq(listen_fd_matches(fd, &v6), 0);
        cr_assert_eq(listen_fd_matches(fd, &un), 0);
        cr_assert_eq(pipe2(pipefd, O_CLOEXEC), 0);
        cr_assert_eq(listen_fd_matches(pipefd[0], &s), 0, "not a socket");
        close(pipefd[0]);
        close(pipefd[1]);
        listen_close(&s, &config, fd, false);
        cr_assert_eq(listen_fd_matches(fd, &s), -EBADF);

        /* a port-0 spec opened: matches itself, not an address elsewhere */
        fd = open_ok(&zero);
        cr_assert_eq(listen_fd_matches(fd, &zero), 1);
        other = spec_in(SOCK_STREAM, "127.0.0.2", 0);
        cr_assert_eq(listen_fd_matches(fd, &other), 0);
        listen_close(&zero, &config, fd, false);
}

Test(listen, fd_matches_unix_path) {
        const char *path = in_dir("match.sock");
        ListenSpec s = spec_un(SOCK_STREAM, path), no_nul = s, other = spec_un(SOCK_STREAM, in_dir("other.sock"));
        ListenSpec seq = spec_un(SOCK_SEQPACKET, path);
        int fd = open_ok(&s);

        no_nul.sockaddr_len--;                  /* a length without the NUL: the same path */
        cr_assert_eq(listen_fd_matches(fd, &s), 1);
        cr_assert_eq(listen_fd_matches(fd, &no_nul), 1);
        cr_assert_eq(listen_fd_matches(fd, &other), 0);
        cr_assert_eq(listen_fd_matches(fd, &seq), 0);
        listen_close(&s, &config, fd, true);
}

Test(listen, to_string) {
        ListenSpec s;
        char scoped[64];

        s = spec_in(SOCK_STREAM, "127.0.0.1", 8080);
        assert_string(&s, "127.0.0.1:8080");
        s = spec_in(SOCK_DGRAM, "0.0.0.0", 53);
        assert_string(&s, "0.0.0.0:53");
        s = spec_in6(SOCK_STREAM, "::1", 80, 0);
        assert_string(&s, "[::1]:80");
        s = spec_in6(SOCK_STREAM, "::", 8080, 0);       /* ListenStream=8080 */
        assert_string(&s, "[::]:8080");
        s = spec_in6(SOCK_STREAM, "fe80::1", 80, if_nametoindex("lo"));
        snprintf(scoped, sizeof scoped, "[fe80::1%%lo]:80");
        assert_string(&s, scoped);
        s = spec_in6(SOCK_STREAM, "fe80::1", 80, 999999);
        assert_string(&s, "[fe80::1%999999]:80");
        s = spec_un(SOCK_STREAM, "/run/x.sock");
        assert_string(&s, "/run/x.sock");
        s = spec_un(SOCK_SEQPACKET, "@name");
        assert_string(&s, "@name");
        s = spec_un(SOCK_STREAM, "@name");
        ((struct sockaddr_un *) &s.sockaddr)->sun_path[2] = 1;     /* unprintable */
        assert_string(&s, "@n\\x01me");
}

Test(listen, type_keys) {
        cr_assert_str_eq(listen_type_to_key(SOCK_STREAM), "ListenStream");
        cr_assert_str_eq(listen_type_to_key(SOCK_DGRAM), "ListenDatagram");
        cr_assert_str_eq(listen_type_to_key(SOCK_SEQPACKET), "ListenSequentialPacket");
        cr_assert_null(listen_type_to_key(SOCK_RAW));
}

Test(listen, bad_specs) {
        ListenSpec s = spec_in(SOCK_RAW, "127.0.0.1", 80);

        open_fails(&s, -EINVAL, "Listen=127.0.0.1:80: unsupported socket type 3");
        s = spec_in(SOCK_DGRAM, "127.0.0.1", 80);
        s.sockaddr.ss_family = AF_PACKET;
        open_fails(&s, -EAFNOSUPPORT, "ListenDatagram=127.0.0.1:80: unsupported address");
        /* no address as written: the error shows the parsed one */
        s = spec_in(SOCK_SEQPACKET, "127.0.0.1", 80);
        s.address = NULL;
        open_fails(&s, -ESOCKTNOSUPPORT,
                   "ListenSequentialPacket=127.0.0.1:80: socket: Socket type not supported");
}
