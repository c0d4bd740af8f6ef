/* SPDX-License-Identifier: MIT */
/* workerpoold-exporter: Prometheus' HTTP endpoint for workerpoold's metrics,
 * in a process of its own so that no HTTP parser runs in the root daemon
 * (as systemd itself serves no HTTP and prometheus-community's
 * systemd_exporter reads the bus). Socket-activated (units/
 * workerpoold-exporter.socket) or --listen; unprivileged; each scrape is one
 * Manager.GetMetrics() call, printed by the same code as `workerpoolctl
 * metrics`. One connection at a time, each bounded in size and time: a
 * Prometheus server scrapes every few seconds, and a client that stalls
 * holds the others in the backlog for at most --timeout. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-daemon.h>

#include "config-build.h"
#include "../bus/bus-util.h"
#include "../shared/macro.h"

#define REQUEST_MAX 8192
#define LISTEN_MAX 16

static const char *arg_bus_address;
static const char *arg_listen;
static unsigned arg_timeout_ms = 5000;

static void help(void) {
        printf("Usage: workerpoold-exporter [OPTIONS]\n\n"
               "Serve workerpoold's metrics to Prometheus over HTTP (GET /metrics), from the\n"
               "sockets systemd passes (workerpoold-exporter.socket) or --listen.\n\n"
               "  -h --help                  Show this help\n"
               "     --version               Show the version\n"
               "  -l --listen=[ADDRESS:]PORT Listen here instead of on the passed sockets\n"
               "                             (ADDRESS: an IPv4 address, or an IPv6 one in [])\n"
               "     --bus=ADDRESS           The daemon's bus (default: the system bus)\n"
               "     --timeout=SECONDS       Per connection and per bus call (default 5)\n");
}

static int parse_argv(int argc, char *argv[]) {
        enum { ARG_VERSION = 0x100, ARG_BUS, ARG_TIMEOUT };
        static const struct option options[] = {
                { "help",    no_argument,       NULL, 'h' },
                { "version", no_argument,       NULL, ARG_VERSION },
                { "listen",  required_argument, NULL, 'l' },
                { "bus",     required_argument, NULL, ARG_BUS },
                { "timeout", required_argument, NULL, ARG_TIMEOUT },
                {}
        };
        int c;

        while ((c = getopt_long(argc, argv, "hl:", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("workerpoold-exporter %s\n", PACKAGE_VERSION);
                        return 0;
                case 'l':
                        arg_listen = optarg;
                        break;
                case ARG_BUS:
                        arg_bus_address = optarg;
                        break;
                case ARG_TIMEOUT: {
                        char *end;
                        double s = strtod(optarg, &end);

                        if (*end != '\0' || end == optarg || !(s > 0 && s <= 3600)) {
                                fprintf(stderr, "Invalid --timeout=%s: expected seconds, 0 < s <= 3600.\n", optarg);
                                return -EINVAL;
                        }
                        arg_timeout_ms = (unsigned) (s * 1000);
                        break;
                }
                default:
                        return -EINVAL;
                }
        if (optind < argc) {
                fprintf(stderr, "workerpoold-exporter takes no arguments. See --help.\n");
                return -EINVAL;
        }
        return 1;
}

/* --listen: "PORT", "ADDRESS:PORT", "[ADDRESS6]:PORT". */
static int listen_on(const char *spec) {
        _cleanup_(freep) char *host = NULL;
        struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE | AI_NUMERICHOST |
                                  AI_NUMERICSERV };
        struct addrinfo *ai = NULL;
        const char *port = spec, *colon = strrchr(spec, ':');
        int fd, r, one = 1;

        if (colon) {
                const char *h = spec;
                size_t n = (size_t) (colon - spec);

                if (n >= 2 && h[0] == '[' && h[n - 1] == ']')
                        h++, n -= 2;
                host = strndup(h, n);
                if (!host)
                        return -ENOMEM;
                port = colon + 1;
        }
        r = getaddrinfo(host, port, &hints, &ai);
        if (r != 0) {
                fprintf(stderr, "Invalid --listen=%s: %s\n", spec, gai_strerror(r));
                return -EINVAL;
        }
        fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
            bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, SOMAXCONN) < 0) {
                r = -errno;
                fprintf(stderr, "Cannot listen on %s: %s\n", spec, strerror(errno));
                if (fd >= 0)
                        close(fd);
                freeaddrinfo(ai);
                return r;
        }
        freeaddrinfo(ai);
        return fd;
}

static uint64_t now_ms(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

/* Wait for fd until deadline: > 0 ready, 0 timed out. */
static int wait_fd(int fd, short events, uint64_t deadline) {
        for (;;) {
                uint64_t now = now_ms();
                struct pollfd p = { .fd = fd, .events = events };
                int r;

                if (now >= deadline)
                        return 0;
                r = poll(&p, 1, (int) (deadline - now));
                if (r < 0 && errno == EINTR)
                        continue;
                return r < 0 ? -errno : r;
        }
}

static int write_all(int fd, const char *buf, size_t n, uint64_t deadline) {
        while (n > 0) {
                ssize_t k = send(fd, buf, n, MSG_NOSIGNAL | MSG_DONTWAIT);

                if (k < 0 && (errno == EAGAIN || errno == EINTR)) {
                        int r = wait_fd(fd, POLLOUT, deadline);

                        if (r <= 0)
                                return r < 0 ? r : -ETIMEDOUT;
                        continue;
                }
                if (k < 0)
                        return -errno;
                buf += k;
                n -= (size_t) k;
        }
        return 0;
}

static int respond(int fd, uint64_t deadline, const char *status, const char *type, const char *body,
                   size_t n, bool head) {
        char header[512];
        int k, r;

        k = snprintf(header, sizeof header,
                     "HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nConnection: close\r\n"
                     "Server: workerpoold-exporter/%s\r\n\r\n", status, type, n, PACKAGE_VERSION);
        r = write_all(fd, header, (size_t) k, deadline);
        if (r >= 0 && !head)
                r = write_all(fd, body, n, deadline);
        return r;
}

static int respond_text(int fd, uint64_t deadline, const char *status, const char *text, bool head) {
        return respond(fd, deadline, status, "text/plain; charset=utf-8", text, strlen(text), head);
}

/* The bus, (re)connected when needed: the daemon may restart between scrapes. */
static sd_bus *bus;

static int bus_get(sd_bus **ret) {
        int r;

        if (bus && sd_bus_is_open(bus) > 0) {
                *ret = bus;
                return 0;
        }
        bus = sd_bus_flush_close_unref(bus);
        if (arg_bus_address) {
                r = sd_bus_new(&bus);
                if (r >= 0)
                        r = sd_bus_set_address(bus, arg_bus_address);
                if (r >= 0)
                        r = sd_bus_set_bus_client(bus, true);
                if (r >= 0)
                        r = sd_bus_start(bus);
        } else
                r = sd_bus_open_system(&bus);
        if (r < 0) {
                bus = sd_bus_flush_close_unref(bus);
                return r;
        }
        (void) sd_bus_set_method_call_timeout(bus, (uint64_t) arg_timeout_ms * 1000);
        *ret = bus;
        return 0;
}

static int serve_metrics(int fd, uint64_t deadline, bool head) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        char *text = NULL;
        size_t n = 0;
        FILE *f;
        sd_bus *b;
        int r;

        r = bus_get(&b);
        if (r >= 0)
                r = sd_bus_call_method(b, BUS_NAME, BUS_PATH, BUS_MANAGER_INTERFACE, "GetMetrics", &e, &reply,
                                       NULL);
        if (r < 0) {
                char msg[512];

                snprintf(msg, sizeof msg, "workerpoold cannot be asked for its metrics: %s\n",
                         e.message ?: strerror(-r));
                fprintf(stderr, "%s", msg);
                sd_bus_error_free(&e);
                if (r == -ECONNRESET || r == -ENOTCONN || r == -EPIPE)
                        bus = sd_bus_flush_close_unref(bus);
                return respond_text(fd, deadline, "503 Service Unavailable", msg, head);
        }
        f = open_memstream(&text, &n);
        if (!f) {
                sd_bus_message_unref(reply);
                return -ENOMEM;
        }
        r = metrics_print(reply, f);
        sd_bus_message_unref(reply);
        if (fclose(f) != 0 && r >= 0)
                r = -ENOMEM;
        if (r < 0) {
                free(text);
                fprintf(stderr, "Cannot read workerpoold's metrics: %s\n", strerror(-r));
                return respond_text(fd, deadline, "500 Internal Server Error",
                                    "workerpoold's metrics reply could not be read.\n", head);
        }
        r = respond(fd, deadline, "200 OK", METRICS_CONTENT_TYPE, text, n, head);
        free(text);
        return r;
}

static const char index_html[] =
        "<!DOCTYPE html>\n<html><head><title>workerpoold exporter</title></head>\n"
        "<body><h1>workerpoold exporter</h1><p><a href=\"/metrics\">Metrics</a></p></body></html>\n";

/* One connection: read the request head (bounded), answer, close. */
static void serve(int fd) {
        uint64_t deadline = now_ms() + arg_timeout_ms;
        char req[REQUEST_MAX + 1], method[16], target[256];
        size_t n = 0;
        bool head;

        for (;;) {
                ssize_t k;
                int r;

                if (n >= REQUEST_MAX) {
                        (void) respond_text(fd, deadline, "431 Request Header Fields Too Large",
                                            "Request too large.\n", false);
                        return;
                }
                r = wait_fd(fd, POLLIN, deadline);
                if (r <= 0)
                        return;         /* timed out or gone: nothing to answer */
                k = recv(fd, req + n, REQUEST_MAX - n, MSG_DONTWAIT);
                if (k < 0 && (errno == EAGAIN || errno == EINTR))
                        continue;
                if (k <= 0)
                        return;
                n += (size_t) k;
                req[n] = '\0';
                if (strstr(req, "\r\n\r\n") || strstr(req, "\n\n"))
                        break;
        }
        if (sscanf(req, "%15s %255s HTTP/", method, target) != 2) {
                (void) respond_text(fd, deadline, "400 Bad Request", "Bad request.\n", false);
                return;
        }
        head = streq(method, "HEAD");
        if (!head && !streq(method, "GET")) {
                (void) respond_text(fd, deadline, "405 Method Not Allowed", "Only GET and HEAD.\n", false);
                return;
        }
        target[strcspn(target, "?")] = '\0';
        if (streq(target, "/metrics"))
                (void) serve_metrics(fd, deadline, head);
        else if (streq(target, "/"))
                (void) respond(fd, deadline, "200 OK", "text/html; charset=utf-8", index_html,
                               sizeof index_html - 1, head);
        else
                (void) respond_text(fd, deadline, "404 Not Found", "Not found: try /metrics.\n", head);
}

int main(int argc, char *argv[]) {
        struct pollfd fds[LISTEN_MAX];
        int n = 0, r;

        r = parse_argv(argc, argv);
        if (r <= 0)
                return r < 0 ? 2 : 0;
        (void) signal(SIGPIPE, SIG_IGN);

        if (arg_listen) {
                int fd = listen_on(arg_listen);

                if (fd < 0)
                        return 1;
                fds[n++] = (struct pollfd) { .fd = fd, .events = POLLIN };
        } else {
                r = sd_listen_fds(true);
                if (r < 0) {
                        fprintf(stderr, "Cannot take the passed sockets: %s\n", strerror(-r));
                        return 1;
                }
                if (r == 0) {
                        fprintf(stderr, "No socket passed (LISTEN_FDS) and no --listen: nothing to serve on. "
                                "See workerpoold-exporter(8).\n");
                        return 2;
                }
                if (r > LISTEN_MAX) {
                        fprintf(stderr, "%d sockets passed, at most %d are served.\n", r, LISTEN_MAX);
                        r = LISTEN_MAX;
                }
                for (int k = 0; k < r; k++) {
                        if (sd_is_socket(SD_LISTEN_FDS_START + k, AF_UNSPEC, SOCK_STREAM, 1) <= 0) {
                                fprintf(stderr, "Passed fd %d is not a listening stream socket.\n",
                                        SD_LISTEN_FDS_START + k);
                                return 1;
                        }
                        fds[n++] = (struct pollfd) { .fd = SD_LISTEN_FDS_START + k, .events = POLLIN };
                }
        }
        (void) sd_notify(false, "READY=1");

        for (;;) {
                r = poll(fds, (nfds_t) n, -1);
                if (r < 0) {
                        if (errno == EINTR)
                                continue;
                        fprintf(stderr, "poll: %m\n");
                        return 1;
                }
                for (int k = 0; k < n; k++) {
                        int c;

                        if (!(fds[k].revents & POLLIN))
                                continue;
                        c = accept4(fds[k].fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
                        if (c < 0)
                                continue;       /* gone already, or out of fds: the next one */
                        serve(c);
                        (void) shutdown(c, SHUT_WR);
                        close(c);
                }
        }
}
