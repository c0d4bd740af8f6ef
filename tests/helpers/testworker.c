/* SPDX-License-Identifier: MIT */
/* A misbehaving worker for the tests: each argument is one step, run in order.
 *   ready              sd_notify READY=1
 *   status:TEXT        STATUS=TEXT
 *   busy:1|0           X_WORKERPOOL_BUSY=
 *   stopping           STOPPING=1
 *   sleep:MS           sleep
 *   spin:MS            burn MS milliseconds of CPU time
 *   pause              wait forever (signals end it)
 *   watchdog:MS        send WATCHDOG=1 every MS, forever
 *   ignore-term        ignore SIGTERM
 *   exit:N             exit with status N
 *   segv | abort | fpe | ill | stack | stack-thread | kill-self:SIG
 *   alloc:MB           allocate and touch MB mebibytes (then go on)
 *   grandchild         fork a daemonized child that sleeps forever
 *   fork:N             fork N children that sleep forever (stay in the cgroup)
 *   write:PATH:TEXT    write TEXT to PATH (for checks from the test)
 *   flood              send notify messages as fast as possible, forever
 *   forkbomb           fork without end (only where TasksMax= holds it!)
 *   reboot[:PATH]      reboot(2) with a bad magic number (harmless: EINVAL when
 *                      allowed, EPERM without CAP_SYS_BOOT); with PATH, write
 *                      "errno N" there when it returns
 *   caps:PATH          copy /proc/self/status (Uid, Gid, Groups, Cap*,
 *                      NoNewPrivs, Seccomp) to PATH, then "Umask:" is ours
 *   limits:PATH        copy /proc/self/limits to PATH
 *   ids:PATH           write "RUID EUID SUID" to PATH
 *   exec:PROG ARGS...  execv PROG with the remaining arguments (argv[0] PROG)
 *   cgroup-move:PATH   write our pid into PATH/cgroup.procs (leave our leaf for
 *                      the cgroup directory PATH); exit 93 if that fails
 *   subcgroup:NAME     mkdir NAME in our own cgroup directory (found through
 *                      /proc/self/cgroup and the cgroup2 mount) and move there;
 *                      exit 93 if that fails
 *   status-bytes:HEX   STATUS= followed by the raw bytes HEX (e.g. fffe41), no
 *                      check that they are UTF-8
 *   notify-fds:N       a notify message ("STATUS=fds") carrying N open fds of
 *                      /dev/null (SCM_RIGHTS); exit 92 if it cannot be sent
 *   notify:TEXT        send TEXT as it is (e.g. notify:WATCHDOG=trigger)
 *   waiting:1|0        X_WORKERPOOL_WAITING= (busy, but waiting on other work)
 *   hang               block for ever in hang_here() -> nanosleep() (the
 *                      function a hung-worker capture must name)
 *   jobs:N:MS          N jobs (0: for ever): X_WORKERPOOL_BUSY=1, MS of work,
 *                      X_WORKERPOOL_BUSY=0, MS idle
 *   leak:KB:MS         allocate and touch KB kibibytes every MS, for ever
 *   count-exit:PATH:N  add one to the number in PATH; exit 0 while it is at
 *                      most N, else print "probe N failed" and exit 1 (a
 *                      health check that fails after N probes)
 *   on-hup:PATH        on SIGHUP: RELOADING=1, append "reload" to PATH, then
 *                      READY=1 (systemd's Type=notify-reload protocol)
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

/* In the sanitizer build the crashes must reach the kernel as they would
 * without ASan: its own handlers would turn them into "exit 1". */
const char *__asan_default_options(void);
const char *__asan_default_options(void) {
        return "handle_segv=0:handle_sigbus=0:handle_sigfpe=0:handle_sigill=0:handle_abort=0:"
               "allow_user_segv_handler=1:detect_leaks=0:disable_coredump=0";
}

static const char *hup_path;
static volatile sig_atomic_t hup_pending;

static void on_hup(int sig) {
        (void) sig;
        hup_pending = 1;
}

/* Answer a SIGHUP the way Type=notify-reload services do; called between
 * sleeps (the handler only sets a flag). */
static void handle_hup(void) {
        FILE *f;

        if (!hup_pending)
                return;
        hup_pending = 0;
        sd_notify(0, "RELOADING=1");
        f = fopen(hup_path, "ae");
        if (f) {
                fputs("reload\n", f);
                fclose(f);
        }
        sd_notify(0, "READY=1");
}

/* Where a hung-worker capture must find us: not inlined, not static. */
static void msleep(long ms) {
        struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                if (hup_path)
                        handle_hup();
        if (hup_path)
                handle_hup();   /* one that came between a check and the sleep */
}

static volatile int sink;
void hang_here(void) __attribute__((noinline));
void hang_here(void) {
        for (;;) {
                struct timespec ts = { 3600, 0 };

                nanosleep(&ts, NULL);
        }
}

/* The cgroup2 mount point, from /proc/self/mountinfo (field 5 of the line
 * whose file system type, after " - ", is cgroup2). */
static int cgroup2_mount(char *buf, size_t size) {
        char line[4096];
        FILE *f = fopen("/proc/self/mountinfo", "re");
        int r = -1;

        if (!f)
                return -1;
        while (fgets(line, sizeof line, f)) {
                char *sep = strstr(line, " - "), *mp = line;

                if (!sep || strncmp(sep + 3, "cgroup2 ", 8) != 0)
                        continue;
                for (int k = 0; k < 4 && mp; k++)
                        mp = strchr(mp, ' ') ? strchr(mp, ' ') + 1 : NULL;
                if (!mp || !strchr(mp, ' '))
                        continue;
                snprintf(buf, size, "%.*s", (int) (strchr(mp, ' ') - mp), mp);
                r = 0;
                break;
        }
        fclose(f);
        return r;
}

/* Our own cgroup directory: the cgroup2 mount + the "0::" line. */
static int own_cgroup_dir(char *buf, size_t size) {
        char mount[2048], line[4096];
        FILE *f;
        int r = -1;

        if (cgroup2_mount(mount, sizeof mount) < 0)
                return -1;
        f = fopen("/proc/self/cgroup", "re");
        if (!f)
                return -1;
        while (fgets(line, sizeof line, f))
                if (strncmp(line, "0::", 3) == 0) {
                        line[strcspn(line, "\n")] = 0;
                        snprintf(buf, size, "%s%s", mount, line + 3);
                        r = 0;
                        break;
                }
        fclose(f);
        return r;
}

static int move_into(const char *dir) {
        char path[4096];
        FILE *f;

        snprintf(path, sizeof path, "%s/cgroup.procs", dir);
        f = fopen(path, "we");
        if (!f)
                return -1;
        fprintf(f, "%d\n", (int) getpid());
        return fclose(f) == 0 ? 0 : -1;
}

static int copy_file(const char *from, const char *to, const char *extra) {
        char buf[8192];
        size_t n;
        FILE *in, *out;

        in = fopen(from, "re");
        if (!in)
                return 95;
        out = fopen(to, "we");
        if (!out) {
                fclose(in);
                return 97;
        }
        while ((n = fread(buf, 1, sizeof buf, in)) > 0)
                fwrite(buf, 1, n, out);
        if (extra)
                fputs(extra, out);
        fclose(in);
        return fclose(out) == 0 ? 0 : 97;
}

static int recurse(int depth) {
        volatile char frame[1024];

        frame[0] = (char) depth;
        return recurse(depth + 1) + frame[0];
}

static void *stack_thread(void *arg) {
        (void) arg;
        sink = recurse(0);
        return NULL;
}

int main(int argc, char *argv[]) {
        for (int i = 1; i < argc; i++) {
                const char *a = argv[i];

                if (strcmp(a, "ready") == 0)
                        sd_notify(0, "READY=1");
                else if (strncmp(a, "status:", 7) == 0)
                        sd_notifyf(0, "STATUS=%s", a + 7);
                else if (strncmp(a, "busy:", 5) == 0)
                        sd_notifyf(0, "X_WORKERPOOL_BUSY=%s", a + 5);
                else if (strcmp(a, "stopping") == 0)
                        sd_notify(0, "STOPPING=1");
                else if (strncmp(a, "sleep:", 6) == 0)
                        msleep(atol(a + 6));
                else if (strncmp(a, "spin:", 5) == 0) {
                        struct timespec t;
                        long long until = atol(a + 5) * 1000000LL;

                        do
                                clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
                        while (t.tv_sec * 1000000000LL + t.tv_nsec < until);
                }
                else if (strcmp(a, "pause") == 0) {
                        sigset_t hup, old;

                        /* SIGHUP only inside sigsuspend(): none is lost between
                         * the check and the wait. */
                        sigemptyset(&hup);
                        sigaddset(&hup, SIGHUP);
                        sigprocmask(SIG_BLOCK, &hup, &old);
                        sigdelset(&old, SIGHUP);
                        for (;;) {
                                if (hup_path && hup_pending) {
                                        sigprocmask(SIG_SETMASK, &old, NULL);
                                        handle_hup();
                                        sigprocmask(SIG_BLOCK, &hup, NULL);
                                        continue;
                                }
                                sigsuspend(&old);
                        }
                }
                else if (strncmp(a, "watchdog:", 9) == 0)
                        for (;;) {
                                sd_notify(0, "WATCHDOG=1");
                                msleep(atol(a + 9));
                        }
                else if (strcmp(a, "ignore-term") == 0)
                        signal(SIGTERM, SIG_IGN);
                else if (strncmp(a, "exit:", 5) == 0)
                        exit(atoi(a + 5));
                else if (strcmp(a, "segv") == 0)
                        sink = *(volatile int *) (uintptr_t) 8;
                else if (strcmp(a, "abort") == 0)
                        abort();
                else if (strcmp(a, "fpe") == 0)
                        raise(SIGFPE);
                else if (strcmp(a, "ill") == 0)
                        raise(SIGILL);
                else if (strcmp(a, "stack") == 0)
                        sink = recurse(0);
                else if (strcmp(a, "stack-thread") == 0) {
                        pthread_t t;

                        pthread_create(&t, NULL, stack_thread, NULL);
                        pthread_join(t, NULL);
                } else if (strncmp(a, "kill-self:", 10) == 0)
                        kill(getpid(), atoi(a + 10));
                else if (strncmp(a, "alloc:", 6) == 0) {
                        size_t n = (size_t) atol(a + 6) << 20;
                        char *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

                        if (p == MAP_FAILED)
                                return 99;
                        for (size_t k = 0; k < n; k += 4096)
                                p[k] = 1;
                } else if (strcmp(a, "grandchild") == 0) {
                        if (fork() == 0) {
                                setsid();
                                if (fork() == 0) {
                                        for (;;)
                                                pause();
                                }
                                _exit(0);
                        }
                } else if (strncmp(a, "fork:", 5) == 0) {
                        for (int k = atoi(a + 5); k > 0; k--)
                                if (fork() == 0)
                                        for (;;)
                                                pause();
                } else if (strcmp(a, "flood") == 0) {
                        for (unsigned long k = 0;; k++)
                                sd_notifyf(0, "STATUS=flood %lu\nX_WORKERPOOL_BUSY=%lu", k, k % 2);
                } else if (strcmp(a, "forkbomb") == 0) {
                        for (;;)
                                (void) fork();
                } else if (strncmp(a, "write:", 6) == 0) {
                        char path[4096];
                        const char *colon = strchr(a + 6, ':');
                        FILE *f;

                        if (!colon)
                                return 98;
                        snprintf(path, sizeof path, "%.*s", (int) (colon - a - 6), a + 6);
                        f = fopen(path, "we");
                        if (!f)
                                return 97;
                        fputs(colon + 1, f);
                        fclose(f);
                } else if (strcmp(a, "reboot") == 0 || strncmp(a, "reboot:", 7) == 0) {
                        long r = syscall(SYS_reboot, 0xdead, 0xbeef, 0, NULL);
                        int e = r < 0 ? errno : 0;

                        if (a[6] == ':') {
                                FILE *f = fopen(a + 7, "we");

                                if (!f)
                                        return 97;
                                fprintf(f, "errno %d\n", e);
                                fclose(f);
                        }
                } else if (strncmp(a, "caps:", 5) == 0) {
                        char extra[64];
                        mode_t m = umask(0);
                        int r;

                        umask(m);
                        snprintf(extra, sizeof extra, "TestworkerUmask:\t%04o\n", (unsigned) m);
                        if ((r = copy_file("/proc/self/status", a + 5, extra)) != 0)
                                return r;
                } else if (strncmp(a, "limits:", 7) == 0) {
                        int r = copy_file("/proc/self/limits", a + 7, NULL);

                        if (r != 0)
                                return r;
                } else if (strncmp(a, "ids:", 4) == 0) {
                        uid_t ru, eu, su;
                        FILE *f = fopen(a + 4, "we");

                        if (!f || getresuid(&ru, &eu, &su) < 0)
                                return 97;
                        fprintf(f, "%u %u %u\n", (unsigned) ru, (unsigned) eu, (unsigned) su);
                        fclose(f);
                } else if (strncmp(a, "exec:", 5) == 0) {
                        argv[i] = (char *) a + 5;
                        execv(a + 5, argv + i);
                        return 94;
                } else if (strncmp(a, "cgroup-move:", 12) == 0) {
                        if (move_into(a + 12) < 0) {
                                fprintf(stderr, "testworker: cannot move into %s: %m\n", a + 12);
                                return 93;
                        }
                } else if (strncmp(a, "subcgroup:", 10) == 0) {
                        char dir[4096], sub[8192];

                        if (own_cgroup_dir(dir, sizeof dir) < 0)
                                return 93;
                        snprintf(sub, sizeof sub, "%s/%s", dir, a + 10);
                        if ((mkdir(sub, 0755) < 0 && errno != EEXIST) || move_into(sub) < 0) {
                                fprintf(stderr, "testworker: cannot move into %s: %m\n", sub);
                                return 93;
                        }
                } else if (strncmp(a, "status-bytes:", 13) == 0) {
                        char msg[4096] = "STATUS=";
                        size_t n = 7;

                        for (const char *h = a + 13; h[0] && h[1] && n < sizeof msg - 1; h += 2) {
                                unsigned v;

                                if (sscanf(h, "%2x", &v) != 1)
                                        return 98;
                                msg[n++] = (char) v;
                        }
                        msg[n] = 0;
                        sd_notify(0, msg);
                } else if (strncmp(a, "waiting:", 8) == 0) {
                        sd_notifyf(0, "X_WORKERPOOL_WAITING=%s", a + 8);
                } else if (strcmp(a, "hang") == 0) {
                        hang_here();
                } else if (strncmp(a, "jobs:", 5) == 0) {
                        long n = atol(a + 5), ms;
                        const char *colon = strchr(a + 5, ':');

                        if (!colon)
                                return 98;
                        ms = atol(colon + 1);
                        for (long k = 0; n == 0 || k < n; k++) {
                                sd_notify(0, "X_WORKERPOOL_BUSY=1");
                                msleep(ms);
                                sd_notify(0, "X_WORKERPOOL_BUSY=0");
                                msleep(ms);
                        }
                } else if (strncmp(a, "leak:", 5) == 0) {
                        long kb = atol(a + 5), ms;
                        const char *colon = strchr(a + 5, ':');

                        if (!colon || kb <= 0)
                                return 98;
                        ms = atol(colon + 1);
                        for (;;) {
                                char *p = malloc((size_t) kb << 10);

                                if (!p)
                                        return 99;
                                for (long k = 0; k < kb << 10; k += 4096)
                                        p[k] = 1;
                                msleep(ms);
                        }
                } else if (strncmp(a, "count-exit:", 11) == 0) {
                        char path[4096];
                        const char *colon = strrchr(a + 11, ':');
                        long count = 0;
                        FILE *f;

                        if (!colon)
                                return 98;
                        snprintf(path, sizeof path, "%.*s", (int) (colon - a - 11), a + 11);
                        f = fopen(path, "re");
                        if (f) {
                                if (fscanf(f, "%ld", &count) != 1)
                                        count = 0;
                                fclose(f);
                        }
                        count++;
                        f = fopen(path, "we");
                        if (!f)
                                return 97;
                        fprintf(f, "%ld\n", count);
                        fclose(f);
                        if (count > atol(colon + 1)) {
                                printf("probe %ld failed\nsecond line\n", count);
                                exit(1);
                        }
                        exit(0);
                } else if (strncmp(a, "on-hup:", 7) == 0) {
                        struct sigaction sa = { .sa_handler = on_hup };

                        hup_path = a + 7;
                        sigaction(SIGHUP, &sa, NULL);
                } else if (strncmp(a, "notify:", 7) == 0) {
                        sd_notify(0, a + 7);
                } else if (strncmp(a, "notify-fds:", 11) == 0) {
                        int fds[253], n = atoi(a + 11);

                        if (n < 1 || n > 253)
                                return 98;
                        for (int k = 0; k < n; k++)
                                if ((fds[k] = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0)
                                        return 92;
                        if (sd_pid_notify_with_fds(0, 0, "STATUS=fds", fds, (unsigned) n) <= 0)
                                return 92;
                        for (int k = 0; k < n; k++)
                                close(fds[k]);
                } else {
                        fprintf(stderr, "testworker: unknown step %s\n", a);
                        return 96;
                }
        }
        return 0;
}
