/* SPDX-License-Identifier: MIT */
/* An example Type=notify worker: reports READY=1, pretends to handle jobs
 * (X_WORKERPOOL_BUSY=1/0), pets the watchdog, and with --misbehave-after=SEC
 * dies in one of several ways so you can watch workerpoold classify it. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_term(int sig) {
        (void) sig;
        stop = 1;
}

static void msleep(long ms) {
        struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

        nanosleep(&ts, NULL);
}

static void misbehave(void) {
        volatile int *null = NULL;

        switch (rand() % 4) {
        case 0:
                fprintf(stderr, "example-worker: exiting with status 1\n");
                exit(1);
        case 1:
                fprintf(stderr, "example-worker: aborting\n");
                abort();
        case 2:
                fprintf(stderr, "example-worker: dereferencing NULL\n");
                (void) *null;
                break;
        default:
                /* Bounded, so that a host without the memory controller
                 * (no MemoryMax= enforced) does not run out of memory. */
                fprintf(stderr, "example-worker: leaking memory until the limit\n");
                for (int mib = 0; mib < 256; mib++) {
                        char *p = malloc(1 << 20);
                        if (p)
                                memset(p, 1, 1 << 20);
                        msleep(2);
                }
                fprintf(stderr, "example-worker: 256M and no limit hit (no memory controller?)\n");
                exit(3);
        }
}

int main(int argc, char *argv[]) {
        static const struct option options[] = {
                { "misbehave-after", required_argument, NULL, 'm' },
                { "help", no_argument, NULL, 'h' },
                {}
        };
        long misbehave_after = 0, jobs = 0;
        time_t start = time(NULL);
        int c;

        while ((c = getopt_long(argc, argv, "m:h", options, NULL)) >= 0)
                switch (c) {
                case 'm':
                        misbehave_after = atol(optarg);
                        break;
                case 'h':
                        printf("Usage: example-worker [--misbehave-after=SEC]\n");
                        return 0;
                default:
                        return 2;
                }

        srand((unsigned) (time(NULL) ^ getpid()));
        signal(SIGTERM, on_term);
        sd_notify(0, "READY=1\nSTATUS=waiting for jobs");

        while (!stop) {
                sd_notify(0, "X_WORKERPOOL_BUSY=1");
                msleep(100 + rand() % 400);
                jobs++;
                sd_notifyf(0, "X_WORKERPOOL_BUSY=0\nWATCHDOG=1\nSTATUS=%ld jobs done", jobs);
                msleep(500);
                if (misbehave_after > 0 && time(NULL) - start >= misbehave_after)
                        misbehave();
        }
        sd_notify(0, "STOPPING=1");
        return 0;
}
