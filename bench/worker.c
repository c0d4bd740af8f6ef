/* SPDX-License-Identifier: MIT */
/* wpb-worker: the one worker every system under test runs.
 *
 *   wpb-worker [NAME [sigbench COUNT]]
 *
 * On entry it takes CLOCK_MONOTONIC and sends one datagram (struct
 * wpb_report) to the abstract unix socket "@NAME" (NAME from $WPBENCH_SOCK,
 * else argv[1]: s6-supervise runs ./run with the service directory as its
 * argument), then pause()s forever.
 * The harness times every system on that timestamp: the worker's own "I am
 * running", not a supervisor's log.
 *
 * SIGUSR2 makes it fault (a store to address 0: a real SEGV_MAPERR), for
 * the crash-to-classified measurement. With "sigbench COUNT" it first sends
 * itself COUNT handled SIGUSR1 and reports the median CPU cost of one signal
 * (chunks of 1000) in .value (picoseconds), for the fault-probe overhead.
 *
 * No libc on x86-64 (cc -O2 -static -nostdlib -fno-stack-protector): on
 * this kind of VM a static glibc start-up (IRELATIVE relocations, TLS,
 * page faults of a 750 KiB binary) costs ~0.5 ms, more than the supervisor
 * work being measured; this one execs in ~0.15 ms. Elsewhere it builds
 * against libc (cc -O2 -static). */
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>

#include "report.h"

#if defined(__x86_64__) && defined(WPB_NOLIBC)
static long sys6(long n, long a, long b, long c, long d, long e, long f) {
        register long r10 __asm__("r10") = d, r8 __asm__("r8") = e, r9 __asm__("r9") = f;
        long ret;

        __asm__ volatile("syscall"
                         : "=a"(ret)
                         : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                         : "rcx", "r11", "memory");
        return ret;
}
#define SYS(n, a, b, c, d, e, f) sys6(n, (long) (a), (long) (b), (long) (c), (long) (d), (long) (e), (long) (f))

/* The kernel's struct sigaction (not libc's). */
struct ksigaction {
        void (*handler)(int);
        unsigned long flags;
        void (*restorer)(void);
        uint64_t mask;
};
#define SA_RESTORER_ 0x04000000

__attribute__((naked)) static void restorer(void) {
        __asm__ volatile("mov $15, %eax\n\tsyscall");   /* rt_sigreturn */
}

static void set_handler(int sig, void (*h)(int)) {
        struct ksigaction sa = { .handler = h, .flags = SA_RESTORER_, .restorer = restorer };

        SYS(SYS_rt_sigaction, sig, &sa, 0, 8, 0, 0);
}
#else
#include <stdlib.h>
#include <unistd.h>
#define SYS(n, a, b, c, d, e, f) syscall(n, a, b, c, d, e, f)
static void set_handler(int sig, void (*h)(int)) {
        struct sigaction sa = { .sa_handler = h };

        sigaction(sig, &sa, NULL);
}
#endif

static void on_usr1(int sig) {
        (void) sig;
}

static void on_usr2(int sig) {
        (void) sig;
        *(volatile int *) (uintptr_t) 0 = 1;   /* a real fault, not raise() */
}

static uint64_t clock_ns(int clk) {
        struct timespec ts;

        SYS(SYS_clock_gettime, clk, &ts, 0, 0, 0, 0);
        return (uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec;
}

static int str_eq(const char *a, const char *b) {
        while (*a && *a == *b)
                a++, b++;
        return *a == *b;
}

static long to_long(const char *s) {
        long v = 0;

        while (*s >= '0' && *s <= '9')
                v = v * 10 + (*s++ - '0');
        return v;
}

/* Median over chunks of 1000 of the CPU time of kill(self, SIGUSR1),
 * handled: ns per 1000 signals = ps per signal. */
static uint64_t sigbench(long count) {
        static uint64_t t[4096];
        long chunks = count / 1000;
        long pid = SYS(SYS_getpid, 0, 0, 0, 0, 0, 0);

        if (chunks < 1)
                chunks = 1;
        if (chunks > 4096)
                chunks = 4096;
        set_handler(SIGUSR1, on_usr1);
        for (long c = 0; c < chunks; c++) {
                uint64_t a = clock_ns(CLOCK_THREAD_CPUTIME_ID);

                for (int i = 0; i < 1000; i++)
                        SYS(SYS_kill, pid, SIGUSR1, 0, 0, 0, 0);
                t[c] = clock_ns(CLOCK_THREAD_CPUTIME_ID) - a;
        }
        for (long i = 1; i < chunks; i++)        /* insertion sort: small */
                for (long j = i; j > 0 && t[j - 1] > t[j]; j--) {
                        uint64_t x = t[j];

                        t[j] = t[j - 1];
                        t[j - 1] = x;
                }
        return t[chunks / 2];
}

static int run(int argc, char **argv, char **envp) {
        struct wpb_report rep = { .magic = WPB_MAGIC, .kind = WPB_RUNNING };
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        const char *name = NULL;
        size_t k = 0;
        long fd;

        rep.t_ns = clock_ns(CLOCK_MONOTONIC);
        rep.pid = (int32_t) SYS(SYS_getpid, 0, 0, 0, 0, 0, 0);

        /* $WPBENCH_SOCK first: s6-supervise runs ./run with the service
         * directory as argv[1]. */
        for (char **e = envp; !name && e && *e; e++) {
                const char *p = *e, *q = "WPBENCH_SOCK=";

                while (*q && *p == *q)
                        p++, q++;
                if (!*q)
                        name = p;
        }
        if (!name && argc > 1)
                name = argv[1];
        if (!name || !*name)
                return 2;
        while (name[k] && k + 2 < sizeof sa.sun_path) {
                sa.sun_path[1 + k] = name[k];   /* abstract: "\0NAME" */
                k++;
        }

        set_handler(SIGUSR2, on_usr2);
        if (argc > 3 && str_eq(argv[2], "sigbench")) {
                rep.kind = WPB_SIGBENCH;
                rep.value = sigbench(to_long(argv[3]));
        }

        fd = SYS(SYS_socket, AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, 0, 0, 0);
        if (fd < 0)
                return 3;
        /* Blocks while the harness's queue is full: the timestamp is taken. */
        if (SYS(SYS_sendto, fd, &rep, sizeof rep, 0, &sa,
                offsetof(struct sockaddr_un, sun_path) + 1 + k) < 0)
                return 4;
        SYS(SYS_close, fd, 0, 0, 0, 0, 0);

        for (;;)
                SYS(SYS_pause, 0, 0, 0, 0, 0, 0);
}

#if defined(__x86_64__) && defined(WPB_NOLIBC)
__attribute__((used)) static void start_c(long *sp) {
        int argc = (int) sp[0];
        char **argv = (char **) (sp + 1);

        SYS(SYS_exit_group, run(argc, argv, argv + argc + 1), 0, 0, 0, 0, 0);
}

__asm__(".text\n.global _start\n_start:\n\txor %rbp, %rbp\n\tmov %rsp, %rdi\n"
        "\tand $-16, %rsp\n\tcall start_c\n\thlt\n");
#else
int main(int argc, char *argv[]) {
        extern char **environ;

        return run(argc, argv, environ);
}
#endif
