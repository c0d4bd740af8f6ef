/* SPDX-License-Identifier: MIT */

/* fault-probe-crasher MODE: dies the way MODE says, for test-fault-probe.
 * Core dumps are turned off. Modes that the driver must synchronise with
 * print "ready PID\n" on stdout first; "fork-*" modes print "child PID\n"
 * and exit with the child's fate re-encoded (128 + signal). */

#include <errno.h>
#include <inttypes.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BIG_FRAME (200 * 1024)

static volatile int never = -1;         /* keeps recursion from looking infinite */
static volatile char sink;

static __attribute__((noinline)) int recurse_small(int depth) {
        volatile char buf[256];

        buf[0] = (char) depth;
        buf[sizeof(buf) - 1] = (char) depth;
        if (depth == never)
                return 0;
        return recurse_small(depth + 1) + buf[0] + buf[sizeof(buf) - 1];
}

/* 200 KiB frames: sp drops 200 KiB at once, then the top of the frame is
 * touched first, so sp is far below the faulting address. */
static __attribute__((noinline)) int recurse_big(int depth) {
        volatile char buf[BIG_FRAME];

        buf[sizeof(buf) - 1] = (char) depth;
        buf[0] = (char) depth;
        if (depth == never)
                return 0;
        return recurse_big(depth + 1) + buf[0] + buf[sizeof(buf) - 1];
}

static void die_on_segv_dfl(void) {
        signal(SIGSEGV, SIG_DFL);
        signal(SIGBUS, SIG_DFL);
}

static void handler_reraise(int sig, siginfo_t *si, void *uc) {
        die_on_segv_dfl();
        raise(sig);                     /* pending until we return; then SIG_DFL kills */
}

static void handler_return(int sig, siginfo_t *si, void *uc) {
        die_on_segv_dfl();              /* the faulting instruction runs again and kills */
}

static void install_handler(void (*h)(int, siginfo_t *, void *), bool altstack) {
        struct sigaction sa = {
                .sa_sigaction = h,
                .sa_flags = SA_SIGINFO | (altstack ? SA_ONSTACK : 0),
        };

        if (altstack) {
                stack_t ss = {
                        .ss_size = 64 * 1024,
                };

                ss.ss_sp = malloc(ss.ss_size);
                if (!ss.ss_sp || sigaltstack(&ss, NULL) < 0) {
                        perror("sigaltstack");
                        _exit(2);
                }
        }
        sigemptyset(&sa.sa_mask);
        if (sigaction(SIGSEGV, &sa, NULL) < 0 || sigaction(SIGBUS, &sa, NULL) < 0) {
                perror("sigaction");
                _exit(2);
        }
}

static void null_read(void) {
        volatile char *volatile p = NULL;

        sink = *p;
}

static void rodata_write(void) {
        static const char ro[] = "read-only";
        volatile char *volatile p = (volatile char *) ro;

        p[0] = 'R';
}

/* A read-only page mapped right below this thread's stack (below the guard
 * for a thread, in the gap below the main stack), then written to from the
 * middle of the stack: the address is where an overflow would fault, sp is
 * not. Must not count as a stack overflow. */
static uintptr_t main_stack_start(void) {
        char line[512];
        uintptr_t start = 0, end;
        FILE *f;

        f = fopen("/proc/self/maps", "re");
        if (!f)
                return 0;
        while (fgets(line, sizeof(line), f))
                if (strstr(line, "[stack]") && sscanf(line, "%" SCNxPTR "-%" SCNxPTR, &start, &end) == 2)
                        break;
        fclose(f);
        return start;
}

static void ro_below_stack_write(void) {
        size_t page = (size_t) sysconf(_SC_PAGESIZE);
        uintptr_t bottom, below;
        void *p;

        if (getpid() == (pid_t) syscall(SYS_gettid)) {
                /* Main thread: in the gap the stack would grow into. */
                bottom = main_stack_start();
                below = bottom - 16 * page;
        } else {
                pthread_attr_t attr;
                size_t size, guard = 0;
                void *addr;

                if (pthread_getattr_np(pthread_self(), &attr) != 0 ||
                    pthread_attr_getstack(&attr, &addr, &size) != 0 ||
                    pthread_attr_getguardsize(&attr, &guard) != 0) {
                        fprintf(stderr, "pthread_getattr_np failed\n");
                        _exit(2);
                }
                /* Thread: right below its guard page. */
                bottom = (uintptr_t) addr;
                below = bottom - guard - page;
        }
        if (bottom == 0) {
                fprintf(stderr, "cannot find the stack\n");
                _exit(2);
        }
        p = mmap((void *) below, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
        if (p == MAP_FAILED) {
                perror("mmap below stack");
                _exit(2);
        }
        ((volatile char *) p)[page - 8] = 1;
}

static void seccomp_kill_getppid(void) {
        struct sock_filter filter[] = {
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_getppid, 0, 1),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        };
        struct sock_fprog prog = {
                .len = sizeof(filter) / sizeof(filter[0]),
                .filter = filter,
        };

        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
            syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0) {
                perror("seccomp");
                _exit(2);
        }
        (void) syscall(__NR_getppid);
}

typedef struct Mode {
        const char *name;
        void (*run)(void);
        bool thread;                    /* run it on a new pthread */
} Mode;

static void run_overflow(void) {
        (void) recurse_small(0);
}

static void run_overflow_big(void) {
        (void) recurse_big(0);
}

static void run_overflow_altstack_reraise(void) {
        install_handler(handler_reraise, true);
        (void) recurse_small(0);
}

static void run_overflow_altstack_return(void) {
        install_handler(handler_return, true);
        (void) recurse_small(0);
}

static void run_overflow_handler_noaltstack(void) {
        install_handler(handler_reraise, false);
        (void) recurse_small(0);
}

static void run_raise_segv(void) {
        raise(SIGSEGV);
}

static void run_abort(void) {
        abort();
}

static volatile sig_atomic_t n_caught;

static void handler_count(int sig) {
        n_caught++;
}

static int cmp_double(const void *a, const void *b) {
        double x = *(const double *) a, y = *(const double *) b;

        return x < y ? -1 : x > y;
}

static double elapsed_ns(const struct timespec *a, const struct timespec *b) {
        return (double) (b->tv_sec - a->tv_sec) * 1e9 + (double) (b->tv_nsec - a->tv_nsec);
}

/* Time n kill(target, SIGUSR1) in chunks of 1000. Prints the median over
 * the chunks of this thread's CPU time per signal (steadier than wall time
 * on a shared machine), and of the wall time. */
static int bench_kill(pid_t target, long n) {
        const long chunk = 1000;
        long n_chunks = n / chunk > 0 ? n / chunk : 1;
        double *cpu, *wall;

        cpu = calloc((size_t) n_chunks, sizeof(double));
        wall = calloc((size_t) n_chunks, sizeof(double));
        if (!cpu || !wall)
                return 2;
        for (long k = 0; k < n_chunks; k++) {
                struct timespec wa, wb, ca, cb;

                clock_gettime(CLOCK_MONOTONIC, &wa);
                clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ca);
                for (long i = 0; i < chunk; i++)
                        if (kill(target, SIGUSR1) < 0) {
                                perror("kill");
                                return 2;
                        }
                clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cb);
                clock_gettime(CLOCK_MONOTONIC, &wb);
                cpu[k] = elapsed_ns(&ca, &cb) / (double) chunk;
                wall[k] = elapsed_ns(&wa, &wb) / (double) chunk;
        }
        qsort(cpu, (size_t) n_chunks, sizeof(double), cmp_double);
        qsort(wall, (size_t) n_chunks, sizeof(double), cmp_double);
        printf("bench %.1f %.1f\n", cpu[n_chunks / 2], wall[n_chunks / 2]);
        free(cpu);
        free(wall);
        return 0;
}

static int install_counter(void) {
        struct sigaction sa = { .sa_handler = handler_count };

        sigemptyset(&sa.sa_mask);
        if (sigaction(SIGUSR1, &sa, NULL) < 0) {
                perror("sigaction");
                return -1;
        }
        return 0;
}

/* bench-self N: kill(self, SIGUSR1), with a handler: the handler runs every
 * time, on the way back from kill(). */
static int run_bench_self(long n) {
        long n_chunks = n / 1000 > 0 ? n / 1000 : 1;
        int r;

        if (install_counter() < 0)
                return 2;
        r = bench_kill(getpid(), n);
        if (r == 0 && n_caught != n_chunks * 1000) {
                fprintf(stderr, "bench: caught %ld of %ld\n", (long) n_caught, n_chunks * 1000);
                return 2;
        }
        return r;
}

/* bench-other N: kill(child, SIGUSR1) to a child that handles it: what a
 * sender pays, for a signal the probe records (sent by another process). */
static int run_bench_other(long n) {
        int sync[2], status, r;
        pid_t child;
        char c;

        if (pipe(sync) < 0)
                return 2;
        child = fork();
        if (child < 0)
                return 2;
        if (child == 0) {
                if (install_counter() < 0)
                        _exit(2);
                (void) write(sync[1], "x", 1);
                for (;;)
                        pause();
        }
        if (read(sync[0], &c, 1) != 1)
                return 2;
        r = bench_kill(child, n);
        (void) kill(child, SIGKILL);
        (void) waitpid(child, &status, 0);
        return r;
}

static void run_sleep(void) {
        printf("ready %d\n", (int) getpid());
        fflush(stdout);
        for (;;)
                pause();
}

static const Mode modes[] = {
        { "overflow-main",                 run_overflow,                   false },
        { "overflow-thread",               run_overflow,                   true  },
        { "overflow-main-bigframe",        run_overflow_big,               false },
        { "overflow-thread-bigframe",      run_overflow_big,               true  },
        { "overflow-altstack-reraise",     run_overflow_altstack_reraise,  false },
        { "overflow-altstack-return",      run_overflow_altstack_return,   false },
        { "overflow-thread-altstack",      run_overflow_altstack_reraise,  true  },
        { "overflow-handler-noaltstack",   run_overflow_handler_noaltstack, false },
        { "null-read-main",                null_read,                      false },
        { "null-read-thread",              null_read,                      true  },
        { "rowrite-main",                  rodata_write,                   false },
        { "rowrite-thread",                rodata_write,                   true  },
        { "rowrite-below-stack-main",      ro_below_stack_write,           false },
        { "rowrite-below-stack-thread",    ro_below_stack_write,           true  },
        { "raise-segv",                    run_raise_segv,                 false },
        { "abort",                         run_abort,                      false },
        { "seccomp-getppid",               seccomp_kill_getppid,           false },
        { "sleep",                         run_sleep,                      false },
};

static void *thread_main(void *userdata) {
        const Mode *m = userdata;

        m->run();
        return NULL;
}

static void run_mode(const Mode *m) {
        if (m->thread) {
                pthread_t t;
                int r;

                r = pthread_create(&t, NULL, thread_main, (void *) m);
                if (r != 0) {
                        fprintf(stderr, "pthread_create: %s\n", strerror(r));
                        _exit(2);
                }
                (void) pthread_join(t, NULL);
        } else
                m->run();
}

int main(int argc, char *argv[]) {
        struct rlimit nocore = {};
        const char *name;
        bool fork_child = false;

        if (argc < 2) {
                fprintf(stderr, "usage: %s MODE | bench-self N | bench-other N\n", argv[0]);
                return 2;
        }
        name = argv[1];
        if (strcmp(name, "bench-self") == 0)
                return run_bench_self(argc > 2 ? atol(argv[2]) : 1000000);
        if (strcmp(name, "bench-other") == 0)
                return run_bench_other(argc > 2 ? atol(argv[2]) : 1000000);
        if (strncmp(name, "fork-", 5) == 0) {
                fork_child = true;
                name += 5;
        }

        (void) setrlimit(RLIMIT_CORE, &nocore);
        (void) prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);

        for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
                if (strcmp(modes[i].name, name) != 0)
                        continue;

                if (fork_child) {
                        /* A worker's sub-process dies; the worker itself exits. */
                        int status;
                        pid_t pid;

                        fflush(stdout);
                        pid = fork();
                        if (pid < 0) {
                                perror("fork");
                                return 2;
                        }
                        if (pid == 0) {
                                run_mode(&modes[i]);
                                _exit(3);
                        }
                        printf("child %d\n", (int) pid);
                        fflush(stdout);
                        if (waitpid(pid, &status, 0) < 0) {
                                perror("waitpid");
                                return 2;
                        }
                        return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 4;
                }

                run_mode(&modes[i]);
                fprintf(stderr, "%s: survived\n", name);
                return 3;
        }

        fprintf(stderr, "unknown mode %s\n", name);
        return 2;
}
