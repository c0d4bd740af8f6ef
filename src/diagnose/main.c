/* SPDX-License-Identifier: MIT */
/* workerpoold-diagnose [--max-bytes N] [--timeout SEC] PID...: the hang
 * capture (diagnose.h) of each process on stdout, line by line as it is
 * made. The daemon runs it on a hung worker whose cgroup it has frozen and
 * reads its stdout. A separate process because a thread that did not stop
 * stays our tracee until we exit, and so that a capture that hangs in the
 * kernel ends with us. Exit status 0 if something was captured. */
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config-build.h"
#include "diagnose.h"
#include "../shared/log.h"
#include "../shared/parse-util.h"
#include "../shared/string-util.h"

/* The output, shared with the watchdog: whoever holds the lock may write. */
static pthread_mutex_t output_lock = PTHREAD_MUTEX_INITIALIZER;
static bool output_ended;               /* an end line went out */
static atomic_bool output_captured;     /* a "process" line went out */
static usec_t arg_timeout = DIAGNOSE_TIMEOUT_USEC_DEFAULT;
static size_t arg_max_bytes = DIAGNOSE_MAX_BYTES_DEFAULT;

static void help(void) {
        printf("Usage: workerpoold-diagnose [OPTIONS] PID...\n\n"
               "Capture where the processes hang: for each thread its state, system call,\n"
               "wchan, kernel stack and user-space stack with symbol names. Meant for the\n"
               "processes of a frozen cgroup (cgroup.freeze); they are left as they were.\n"
               "Needs root (ptrace, /proc/PID/stack).\n\n"
               "  -h --help              Show this help\n"
               "     --version           Show the version\n"
               "     --max-bytes=SIZE    Print at most SIZE bytes (default: %zu), cut at a line\n"
               "                         with a last line \"... (truncated)\"\n"
               "     --timeout=TIME      Take at most TIME (default: 4s), then print the last\n"
               "                         line \"... (timed out)\" and exit\n"
               "\nExit status 0 if something was captured. See workerpoold(8), JOB TIMEOUTS AND DIAGNOSIS.\n",
               DIAGNOSE_MAX_BYTES_DEFAULT);
}

static void write_all(const char *s, size_t n) {
        while (n > 0) {
                ssize_t k = write(STDOUT_FILENO, s, n);

                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        return;
                s += k;
                n -= (size_t) k;
        }
}

static void on_line(const char *line, size_t len, void *userdata) {
        (void) pthread_mutex_lock(&output_lock);
        write_all(line, len);
        if (startswith(line, DIAGNOSE_END_PREFIX))
                output_ended = true;
        else if (startswith(line, "process "))
                atomic_store(&output_captured, true);
        (void) pthread_mutex_unlock(&output_lock);
}

/* The alarm. The capture checks its own, earlier, deadline between steps;
 * this one ends it where it cannot: in a system call that waits (reading a
 * process's memory or maps waits for its mm lock). A signal handler would
 * run only when that call returns; _exit() from a thread ends it at once, and
 * the kernel detaches every thread we still trace. */
static void *watchdog(void *userdata) {
        const struct timespec *until = userdata;

        bool locked = false;

        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, until, NULL) == EINTR)
                ;
        /* Not for ever: a write to a full pipe holds the lock (then no end line). */
        for (unsigned i = 0; i < 100 && !locked; i++)
                if (!(locked = pthread_mutex_trylock(&output_lock) == 0))
                        (void) usleep(1000);
        if (locked && !output_ended)
                write_all(DIAGNOSE_TIMED_OUT_LINE, strlen(DIAGNOSE_TIMED_OUT_LINE));
        log_error("Timed out: %s.", atomic_load(&output_captured) ? "printed what was captured"
                                                                  : "nothing was captured");
        _exit(atomic_load(&output_captured) ? 0 : 1);
}

static int parse_argv(int argc, char *argv[]) {
        enum { ARG_VERSION = 0x100, ARG_MAX_BYTES, ARG_TIMEOUT };
        static const struct option options[] = {
                { "help",      no_argument,       NULL, 'h'           },
                { "version",   no_argument,       NULL, ARG_VERSION   },
                { "max-bytes", required_argument, NULL, ARG_MAX_BYTES },
                { "timeout",   required_argument, NULL, ARG_TIMEOUT   },
                {}
        };
        uint64_t u;
        int c;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("workerpoold-diagnose %s\n", PACKAGE_VERSION);
                        return 0;
                case ARG_MAX_BYTES:
                        if (parse_size(optarg, 0, &u) < 0 || u < DIAGNOSE_MAX_BYTES_MIN ||
                            u > DIAGNOSE_MAX_BYTES_MAX) {
                                log_error("Invalid --max-bytes=%s (%zu to %zu bytes).", optarg,
                                          DIAGNOSE_MAX_BYTES_MIN, DIAGNOSE_MAX_BYTES_MAX);
                                return -EINVAL;
                        }
                        arg_max_bytes = (size_t) u;
                        break;
                case ARG_TIMEOUT:
                        if (parse_time(optarg, USEC_PER_SEC, &arg_timeout) < 0 || arg_timeout == 0 ||
                            arg_timeout == USEC_INFINITY) {
                                log_error("Invalid --timeout=%s (a time greater than 0, e.g. 4s).", optarg);
                                return -EINVAL;
                        }
                        break;
                case '?':
                        return -EINVAL;
                default:
                        abort();
                }
        if (optind >= argc) {
                log_error("No PID given (see --help).");
                return -EINVAL;
        }
        return 1;
}

int main(int argc, char *argv[]) {
        _cleanup_(freep) pid_t *pids = NULL;
        _cleanup_(freep) int *results = NULL;
        DiagnoseOptions o = { .on_line = on_line };
        struct timespec until;
        pthread_t thread;
        size_t n;
        usec_t grace;
        int r;

        log_setup();
        r = parse_argv(argc, argv);
        if (r <= 0)
                return r < 0 ? 2 : 0;

        n = (size_t) (argc - optind);
        pids = calloc(n, sizeof *pids);
        results = calloc(n, sizeof *results);
        if (!pids || !results)
                return log_oom(), 1;
        for (size_t i = 0; i < n; i++) {
                uint32_t u;

                if (parse_uint32(argv[optind + i], &u) < 0 || u == 0 || u > INT32_MAX) {
                        log_error("Invalid PID %s.", argv[optind + i]);
                        return 2;
                }
                pids[i] = (pid_t) u;
        }

        /* No network from a hang capture: libdwfl asks debuginfod only if this is set. */
        (void) unsetenv("DEBUGINFOD_URLS");

        (void) clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_sec += (time_t) (arg_timeout / USEC_PER_SEC);
        until.tv_nsec += (long) (arg_timeout % USEC_PER_SEC * NSEC_PER_USEC);
        if (until.tv_nsec >= 1000000000L) {
                until.tv_sec++;
                until.tv_nsec -= 1000000000L;
        }
        r = -pthread_create(&thread, NULL, watchdog, &until);
        if (r < 0)
                return log_error_errno(r, "Failed to start the watchdog: %m"), 1;

        /* the capture's own deadline comes first, so that it ends at a step of its own */
        grace = MIN(arg_timeout / 4, 500 * USEC_PER_MSEC);
        o.timeout_usec = arg_timeout - grace;
        o.max_bytes = arg_max_bytes;
        r = diagnose_capture_pids(pids, n, &o, results, NULL);

        (void) pthread_mutex_lock(&output_lock);       /* the watchdog writes no more */
        if (r == -EINVAL || r == -ENOMEM)               /* not about one process */
                return log_error_errno(r, "Failed to capture: %m"), 1;
        for (size_t i = 0; i < n; i++)
                if (results[i] == -ESRCH)
                        log_error("No process %d.", (int) pids[i]);
                else if (results[i] == -ETIME || results[i] == -ENOBUFS)
                        log_error("Process %d not captured: %s.", (int) pids[i],
                                  results[i] == -ETIME ? "out of time" : "out of room");
                else if (results[i] < 0)
                        log_error_errno(results[i], "Failed to capture process %d: %m", (int) pids[i]);
        if (r < 0)
                return 1;
        return 0;
}
