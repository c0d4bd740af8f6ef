/* SPDX-License-Identifier: MIT */
#pragma once

/* The pool's listening sockets ([Socket], systemd.socket(5)): open one from
 * its ListenSpec with the pool's options, close it, recognise one inherited
 * across a re-exec, and name it. No logging but debug: the caller logs. */

#include <stdbool.h>

#include "../config/config.h"

/* Open, set up and bind s (listen() too for stream and seqpacket) with c's
 * options: Backlog=, BindIPv6Only=, FreeBind=, ReusePort=, NoDelay=,
 * KeepAlive= and, for an AF_UNIX path, SocketUser=, SocketGroup= (names or
 * ids) and SocketMode=. The fd is SOCK_CLOEXEC|SOCK_NONBLOCK. An AF_UNIX
 * path: a stale socket file there is replaced, anything else there is an
 * error, and so is a missing parent directory (never created). On error
 * -errno, nothing left behind, and, if ret_error, *ret_error a message for
 * the admin ("ListenStream=127.0.0.1:80: bind: Address already in use";
 * owned, NULL if out of memory); on success *ret_error = NULL. */
int listen_open(const ListenSpec *s, const PoolConfig *c, int *ret_fd, char **ret_error);

/* Close fd (-EBADF: nothing); with remove (RemoveOnStop=) also unlink s's
 * AF_UNIX path if a socket is there. */
void listen_close(const ListenSpec *s, const PoolConfig *c, int fd, bool remove);

/* Whether fd (inherited across a re-exec) is s's socket: same SO_TYPE,
 * SO_DOMAIN and local address, and listening for stream and seqpacket.
 * A spec with port 0 matches any port of its family and host address.
 * 1 yes, 0 no (also if fd is not a socket), -errno if fd cannot be asked. */
int listen_fd_matches(int fd, const ListenSpec *s);

/* s's address as systemd shows it: "127.0.0.1:8080", "[::1]:80",
 * "[fe80::1%eth0]:80", "/run/x.sock", "@name". Owned; NULL if out of
 * memory. */
char *listen_spec_to_string(const ListenSpec *s);

/* "ListenStream", "ListenDatagram", "ListenSequentialPacket", or NULL. */
const char *listen_type_to_key(int type);
