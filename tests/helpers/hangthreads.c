/* SPDX-License-Identifier: MIT */
/* A hung process for the hang capture's tests (test-diagnose): three
 * threads, each blocked for ever in a function of its own, which a capture
 * must name:
 *   main thread  main_here() -> nanosleep()
 *   "hang-a"     thread_a_here() -> nanosleep()
 *   "hang-b\xff" thread_b_here() -> pause()   (its name is not UTF-8)
 * "ready" on stdout once the threads run; on SIGUSR1 (only hang-b takes it)
 * "alive" on stdout: the test's proof that the process runs on after a
 * capture. With the argument "vfork" the main thread instead waits in
 * vfork() for a child that never execs (a thread no ptrace stop reaches).
 * Built -O0 -fno-omit-frame-pointer with symbols. */
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static pthread_barrier_t started;
static volatile sig_atomic_t got_usr1;

static void say(const char *s) {
        (void) !write(STDOUT_FILENO, s, strlen(s));
}

static void on_usr1(int sig) {
        (void) sig;
        got_usr1 = 1;
}

void thread_a_here(void) __attribute__((noinline));
void thread_a_here(void) {
        for (;;) {
                struct timespec ts = { 3600, 0 };

                nanosleep(&ts, NULL);
        }
}

void thread_b_here(void) __attribute__((noinline));
void thread_b_here(void) {
        for (;;) {
                pause();
                if (got_usr1) {
                        got_usr1 = 0;
                        say("alive\n");
                }
        }
}

void main_here(void) __attribute__((noinline));
void main_here(void) {
        for (;;) {
                struct timespec ts = { 3600, 0 };

                nanosleep(&ts, NULL);
        }
}

void vfork_here(void) __attribute__((noinline));
void vfork_here(void) {
        if (vfork() == 0)
                for (;;)        /* the parent waits in vfork() for ever */
                        (void) syscall(SYS_ppoll, NULL, 0, NULL, NULL, 0);
        main_here();
}

static void *thread_a(void *p) {
        (void) prctl(PR_SET_NAME, "hang-a");
        pthread_barrier_wait(&started);
        thread_a_here();
        return NULL;
}

static void *thread_b(void *p) {
        sigset_t ss;

        (void) prctl(PR_SET_NAME, "hang-b\xff");
        sigemptyset(&ss);
        sigaddset(&ss, SIGUSR1);
        pthread_sigmask(SIG_UNBLOCK, &ss, NULL);
        pthread_barrier_wait(&started);
        thread_b_here();
        return NULL;
}

int main(int argc, char *argv[]) {
        struct sigaction sa = { .sa_handler = on_usr1 };
        pthread_t a, b;
        sigset_t ss;

        sigaction(SIGUSR1, &sa, NULL);
        sigemptyset(&ss);
        sigaddset(&ss, SIGUSR1);
        pthread_sigmask(SIG_BLOCK, &ss, NULL);  /* inherited by hang-a; hang-b unblocks it */
        pthread_barrier_init(&started, NULL, 3);
        if (pthread_create(&a, NULL, thread_a, NULL) != 0 || pthread_create(&b, NULL, thread_b, NULL) != 0)
                return 1;
        pthread_barrier_wait(&started);
        say("ready\n");
        if (argc > 1 && strcmp(argv[1], "vfork") == 0)
                vfork_here();
        main_here();
        return 0;
}
