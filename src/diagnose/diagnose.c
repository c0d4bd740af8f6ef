/* SPDX-License-Identifier: MIT */
/* The hang capture: see diagnose.h. A process is captured in four steps,
 * so that what /proc says is what the hang looks like and not what our
 * stop looks like (a stopped thread's wchan is ptrace_stop):
 *   1. read each thread's /proc files (state, syscall, wchan, kernel stack);
 *   2. PTRACE_SEIZE + PTRACE_INTERRUPT each thread, wait (bounded) for the stops;
 *   3. write each thread's lines, unwinding its stack with libdwfl;
 *   4. detach each thread, handing back a signal it stopped for. */
#include <dirent.h>
#include <elfutils/libdwfl.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "diagnose.h"
#include "../shared/fd-util.h"
#include "../shared/string-util.h"
#include "../shared/utf8.h"
#include "../spawn/seccomp.h"

#define END_LINE_LEN (sizeof(DIAGNOSE_TRUNCATED_LINE) - 1)
_Static_assert(sizeof(DIAGNOSE_TRUNCATED_LINE) == sizeof(DIAGNOSE_TIMED_OUT_LINE),
               "the end lines must be as long: room for either is kept");
#define KERNEL_STACK_MAX_LINES 64

typedef struct Capture {
        char *text;             /* max + 1 bytes, allocated once */
        size_t len, max;
        usec_t deadline;        /* CLOCK_MONOTONIC */
        int end;                /* 0, or why the text ended: -ENOBUFS (size), -ETIME (time) */
        const DiagnoseOptions *o;
} Capture;

typedef enum TaskTrace {
        TASK_NOT_SEIZED,
        TASK_SEIZED,            /* stop asked for, not seen (yet) */
        TASK_STOPPED,
} TaskTrace;

typedef struct Task {
        pid_t tid;
        char comm[64];
        char state[64];
        char syscall[96];
        char wchan[128];
        char *kernel_stack;     /* the stack file's text, or NULL ... */
        int kernel_stack_error; /* ... and why */
        pid_t tracer;           /* TracerPid: someone else's tracee cannot be ours */
        TaskTrace trace;
        int error;              /* why there is no user stack */
        int detach_signal;      /* a signal-delivery-stop's signal, handed back at detach */
} Task;

static usec_t now_usec(void) {
        struct timespec ts;

        (void) clock_gettime(CLOCK_MONOTONIC, &ts);
        return (usec_t) ts.tv_sec * USEC_PER_SEC + (usec_t) ts.tv_nsec / NSEC_PER_USEC;
}

/* Copy a line as valid UTF-8 without control characters: each byte that is
 * neither becomes U+FFFD. dst holds 3 * strlen(src) + 1 bytes. */
static size_t line_sanitize(char *dst, const char *src) {
        size_t n = strlen(src), out = 0;

        for (size_t i = 0; i < n;) {
                size_t k = utf8_valid_len(src + i, n - i);
                unsigned char ch = (unsigned char) src[i];

                if (k == 0 || (k == 1 && (ch < 0x20 || ch == 0x7f))) {
                        memcpy(dst + out, "\xef\xbf\xbd", 3);
                        out += 3;
                        i++;
                        continue;
                }
                memcpy(dst + out, src + i, k);
                out += k;
                i += k;
        }
        dst[out] = 0;
        return out;
}

static void capture_append(Capture *c, const char *s, size_t n) {
        memcpy(c->text + c->len, s, n);
        c->len += n;
        c->text[c->len] = 0;
        if (c->o->on_line)
                c->o->on_line(s, n, c->o->userdata);
}

static void capture_end(Capture *c, int reason) {
        if (c->end != 0)
                return;
        c->end = reason;
        capture_append(c, reason == -ETIME ? DIAGNOSE_TIMED_OUT_LINE : DIAGNOSE_TRUNCATED_LINE, END_LINE_LEN);
}

/* True when nothing more may be written: out of room, or out of time (then
 * the end line is written now). */
static bool capture_over(Capture *c) {
        if (c->end == 0 && now_usec() >= c->deadline)
                capture_end(c, -ETIME);
        return c->end != 0;
}

/* One line (without its '\n'); cut at DIAGNOSE_LINE_MAX. Returns whether it
 * went in: room for an end line is always kept. */
_printf_(2, 3)
static bool capture_line(Capture *c, const char *format, ...) {
        char raw[DIAGNOSE_LINE_MAX], line[sizeof raw * 3 + 1];
        va_list ap;
        size_t n;
        int k;

        if (c->end != 0)
                return false;
        va_start(ap, format);
        k = vsnprintf(raw, sizeof raw, format, ap);
        va_end(ap);
        if (k < 0)
                return false;
        if ((size_t) k >= sizeof raw) {
                size_t cut = sizeof raw - 4;

                /* at the start of the character that position is in */
                while (cut > 0 && ((unsigned char) raw[cut] & 0xc0) == 0x80)
                        cut--;
                memcpy(raw + cut, "...", 4);
        }
        n = line_sanitize(line, raw);
        line[n++] = '\n';
        if (c->len + n + END_LINE_LEN > c->max) {
                capture_end(c, -ENOBUFS);
                return false;
        }
        capture_append(c, line, n);
        return true;
}

/* The first line of a small /proc file, or "?" if it cannot be read. */
static void read_first_line_at(int dirfd, const char *path, char *buf, size_t size) {
        if (read_file_at(dirfd, path, buf, size, NULL) < 0)
                snprintf(buf, size, "?");
        buf[strcspn(buf, "\n")] = 0;
}

static void task_read_status(Task *t, int proc_fd, const char *dir) {
        _cleanup_(freep) char *status = NULL;
        char path[64];

        snprintf(t->state, sizeof t->state, "?");
        snprintf(path, sizeof path, "%s/status", dir);
        if (read_full_file_at(proc_fd, path, &status) < 0)
                return;
        for (char *l = status; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
                const char *v;

                if ((v = startswith(l, "State:"))) {
                        v += strspn(v, WHITESPACE);
                        snprintf(t->state, sizeof t->state, "%.*s", (int) strcspn(v, "\n"), v);
                }
                else if ((v = startswith(l, "TracerPid:")))
                        t->tracer = (pid_t) strtol(v, NULL, 10);
        }
}

/* "clock_nanosleep (230)", "none" (not in a system call), "running". */
static void task_read_syscall(Task *t, int proc_fd, const char *dir) {
        _cleanup_(freep) char *name = NULL;
        char path[64], buf[256], *end;
        long nr;

        snprintf(path, sizeof path, "%s/syscall", dir);
        read_first_line_at(proc_fd, path, buf, sizeof buf);
        nr = strtol(buf, &end, 10);
        if (end == buf || (*end != ' ' && *end != 0)) {
                snprintf(t->syscall, sizeof t->syscall, "%.*s", (int) strcspn(buf, " "), buf);  /* "running", "?" */
                return;
        }
        if (nr < 0) {
                snprintf(t->syscall, sizeof t->syscall, "none");
                return;
        }
        name = seccomp_syscall_name((int) nr);
        snprintf(t->syscall, sizeof t->syscall, "%s (%ld)", name ?: "?", nr);
}

/* Step 1: what /proc says while the thread is as we found it. */
static void task_read_proc(Task *t, int proc_fd) {
        char dir[32], path[64];
        int r;

        snprintf(dir, sizeof dir, "task/%d", (int) t->tid);
        snprintf(path, sizeof path, "%s/comm", dir);
        read_first_line_at(proc_fd, path, t->comm, sizeof t->comm);
        task_read_status(t, proc_fd, dir);
        task_read_syscall(t, proc_fd, dir);
        snprintf(path, sizeof path, "%s/wchan", dir);
        read_first_line_at(proc_fd, path, t->wchan, sizeof t->wchan);
        snprintf(path, sizeof path, "%s/stack", dir);
        r = read_full_file_at(proc_fd, path, &t->kernel_stack);
        if (r < 0)
                t->kernel_stack_error = r;
}

static int tid_compare(const void *a, const void *b) {
        const Task *x = a, *y = b;

        return x->tid < y->tid ? -1 : x->tid > y->tid;
}

static void tasks_free(Task *tasks, size_t n) {
        for (size_t i = 0; i < n; i++)
                free(tasks[i].kernel_stack);
        free(tasks);
}

/* The threads of the process, the main thread first, then by tid; at most
 * DIAGNOSE_MAX_THREADS, *ret_total counts them all. */
static int tasks_list(int proc_fd, pid_t pid, Task **ret, size_t *ret_n, size_t *ret_total) {
        Task *tasks = NULL;
        size_t n = 0, total = 0, allocated = 0;
        struct dirent *de;
        DIR *d;
        int fd;

        fd = openat(proc_fd, "task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT ? -ESRCH : -errno;
        d = fdopendir(fd);
        if (!d) {
                safe_close(fd);
                return -errno;
        }
        while ((de = readdir(d))) {
                char *end;
                long tid = strtol(de->d_name, &end, 10);

                if (*end || tid <= 0)
                        continue;
                total++;
                if (n >= DIAGNOSE_MAX_THREADS)
                        continue;
                if (n == allocated) {
                        Task *t = reallocarray(tasks, allocated ? allocated * 2 : 16, sizeof *tasks);

                        if (!t) {
                                closedir(d);
                                tasks_free(tasks, n);
                                return -ENOMEM;
                        }
                        tasks = t;
                        allocated = allocated ? allocated * 2 : 16;
                }
                tasks[n++] = (Task) { .tid = (pid_t) tid };
        }
        closedir(d);
        if (n == 0) {
                free(tasks);
                return -ESRCH;
        }
        qsort(tasks, n, sizeof *tasks, tid_compare);
        for (size_t i = 1; i < n; i++)
                if (tasks[i].tid == pid) {
                        Task main_thread = tasks[i];

                        memmove(tasks + 1, tasks, i * sizeof *tasks);
                        tasks[0] = main_thread;
                        break;
                }
        *ret = tasks;
        *ret_n = n;
        *ret_total = total;
        return 0;
}

/* Step 2. No options: in particular not PTRACE_O_EXITKILL, our exit must
 * leave the thread alone. */
static void task_seize(Task *t) {
        if (ptrace(PTRACE_SEIZE, t->tid, NULL, NULL) < 0) {
                t->error = -errno;
                return;
        }
        t->trace = TASK_SEIZED;
        if (ptrace(PTRACE_INTERRUPT, t->tid, NULL, NULL) < 0)
                t->error = -errno;
}

static void tasks_wait_stopped(Task *tasks, size_t n, usec_t until) {
        useconds_t delay = 100;

        for (;;) {
                size_t pending = 0;

                for (size_t i = 0; i < n; i++) {
                        Task *t = tasks + i;
                        int status;
                        pid_t r;

                        if (t->trace != TASK_SEIZED || t->error != 0)
                                continue;
                        r = waitpid(t->tid, &status, __WALL | WNOHANG);
                        if (r == 0 || (r < 0 && errno == EINTR)) {
                                pending++;
                                continue;
                        }
                        if (r < 0)
                                t->error = -errno;
                        else if (!WIFSTOPPED(status)) {
                                t->trace = TASK_NOT_SEIZED;     /* it exited: not ours any more */
                                t->error = -ESRCH;
                        } else {
                                t->trace = TASK_STOPPED;
                                /* not our interrupt (PTRACE_EVENT_STOP) but a signal on
                                 * its way: it is delivered when we let go */
                                if ((status >> 16) == 0)
                                        t->detach_signal = WSTOPSIG(status);
                        }
                }
                if (pending == 0)
                        return;
                if (now_usec() >= until) {
                        for (size_t i = 0; i < n; i++)
                                if (tasks[i].trace == TASK_SEIZED && tasks[i].error == 0)
                                        tasks[i].error = -ETIME;
                        return;
                }
                (void) usleep(delay);
                delay = MIN(delay * 2, 10000u);
        }
}

/* Step 4. A thread that never stopped cannot be detached (PTRACE_DETACH
 * needs a stopped tracee): the kernel detaches it when we exit. */
static void tasks_detach(Task *tasks, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (tasks[i].trace != TASK_NOT_SEIZED)
                        (void) ptrace(PTRACE_DETACH, tasks[i].tid, NULL,
                                      (void *) (uintptr_t) tasks[i].detach_signal);
}

static Dwfl *dwfl_open_process(pid_t pid, char *error, size_t size) {
        static char *debuginfo_path = NULL;     /* the default: /usr/lib/debug */
        static const Dwfl_Callbacks callbacks = {
                .find_elf = dwfl_linux_proc_find_elf,
                .find_debuginfo = dwfl_standard_find_debuginfo,
                .debuginfo_path = &debuginfo_path,
        };
        Dwfl *dwfl;
        int r;

        dwfl = dwfl_begin(&callbacks);
        if (!dwfl) {
                snprintf(error, size, "libdwfl: %s", dwfl_errmsg(-1));
                return NULL;
        }
        dwfl_report_begin(dwfl);
        r = dwfl_linux_proc_report(dwfl, pid);
        if (r != 0 || dwfl_report_end(dwfl, NULL, NULL) != 0) {
                snprintf(error, size, "libdwfl: %s", r > 0 ? strerror(r) : dwfl_errmsg(-1));
                dwfl_end(dwfl);
                return NULL;
        }
        /* assume_ptrace_stopped: we stopped the threads, it must not PTRACE_ATTACH */
        r = dwfl_linux_proc_attach(dwfl, pid, true);
        if (r != 0) {
                snprintf(error, size, "libdwfl: %s", r > 0 ? strerror(r) : dwfl_errmsg(-1));
                dwfl_end(dwfl);
                return NULL;
        }
        return dwfl;
}

typedef struct Unwind {
        Capture *c;
        Dwfl *dwfl;
        unsigned n_frames;
} Unwind;

static int frame_callback(Dwfl_Frame *frame, void *userdata) {
        Unwind *u = userdata;
        Dwarf_Addr pc, pc_lookup, start = 0;
        const char *symbol = NULL, *module = NULL;
        bool activation;
        GElf_Sym sym;
        GElf_Off offset = 0;
        Dwfl_Module *m;

        if (capture_over(u->c))
                return DWARF_CB_ABORT;
        if (u->n_frames >= DIAGNOSE_MAX_FRAMES) {
                capture_line(u->c, "    ... (more frames)");
                return DWARF_CB_ABORT;
        }
        if (!dwfl_frame_pc(frame, &pc, &activation))
                return -1;
        /* a return address may be the first byte after a call that never returns */
        pc_lookup = activation ? pc : pc - 1;
        m = dwfl_addrmodule(u->dwfl, pc_lookup);
        if (m) {
                symbol = dwfl_module_addrinfo(m, pc_lookup, &offset, &sym, NULL, NULL, NULL);
                module = dwfl_module_info(m, NULL, &start, NULL, NULL, NULL, NULL, NULL);
                if (module && strrchr(module, '/'))
                        module = strrchr(module, '/') + 1;
        }
        if (symbol)
                capture_line(u->c, "    #%-3u0x%016" PRIx64 " %s+0x%" PRIx64 " (%s)", u->n_frames,
                             (uint64_t) pc, symbol, (uint64_t) (offset + (pc - pc_lookup)), module ?: "?");
        else if (module)
                capture_line(u->c, "    #%-3u0x%016" PRIx64 " ?? (%s+0x%" PRIx64 ")", u->n_frames,
                             (uint64_t) pc, module, (uint64_t) (pc - start));
        else
                capture_line(u->c, "    #%-3u0x%016" PRIx64 " ??", u->n_frames, (uint64_t) pc);
        u->n_frames++;
        return DWARF_CB_OK;
}

static const char *task_error_string(const Task *t, char *buf, size_t size) {
        if (t->error == -ETIME)
                return "it did not stop in time";
        if (t->error == -ESRCH)
                return "the thread is gone";
        if (t->error == -EPERM && t->tracer > 0) {
                snprintf(buf, size, "traced by pid %d", (int) t->tracer);
                return buf;
        }
        snprintf(buf, size, "ptrace: %s", strerror(-t->error));
        return buf;
}

/* Step 3, for one thread. */
static void task_write(Capture *c, const Task *t, Dwfl *dwfl, const char *dwfl_error) {
        char buf[128];

        capture_line(c, "thread %d (%s)", (int) t->tid, t->comm);
        capture_line(c, "  state: %s", t->state);
        capture_line(c, "  syscall: %s", t->syscall);
        capture_line(c, "  wchan: %s", t->wchan);
        if (t->kernel_stack) {
                unsigned lines = 0;

                capture_line(c, "  kernel stack:");
                for (const char *l = t->kernel_stack; *l && lines < KERNEL_STACK_MAX_LINES; lines++) {
                        size_t len = strcspn(l, "\n");
                        const char *s = l, *e;

                        /* "[<0>] do_freezer_trap+0x42/0x70": the address is always hidden */
                        if (startswith(s, "[<") && (e = memchr(s, ']', len)) && e[1] == ' ')
                                s = e + 2;
                        capture_line(c, "    %.*s", (int) (len - (size_t) (s - l)), s);
                        l += len + (l[len] == '\n');
                }
        } else
                capture_line(c, "  kernel stack: not available (%s)", strerror(-t->kernel_stack_error));

        if (t->trace != TASK_STOPPED)
                capture_line(c, "  user stack: not available (%s)", task_error_string(t, buf, sizeof buf));
        else if (!dwfl)
                capture_line(c, "  user stack: not available (%s)", dwfl_error);
        else if (capture_line(c, "  user stack:")) {
                Unwind u = { .c = c, .dwfl = dwfl };
                int r = dwfl_getthread_frames(dwfl, t->tid, frame_callback, &u);

                if (r < 0 && !capture_over(c)) {
                        if (u.n_frames == 0)
                                capture_line(c, "    not available (libdwfl: %s)", dwfl_errmsg(-1));
                        else
                                capture_line(c, "    ... (unwinding stopped: %s)", dwfl_errmsg(-1));
                }
        }
}

static int capture_process(Capture *c, pid_t pid) {
        _cleanup_(closep) int proc_fd = -EBADF;
        Task *tasks = NULL;
        size_t n = 0, total = 0;
        char path[32], comm[64], dwfl_error[256] = "";
        bool any_stopped = false;
        Dwfl *dwfl = NULL;
        int r;

        if (capture_over(c))
                return c->end;
        snprintf(path, sizeof path, "/proc/%d", (int) pid);
        proc_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (proc_fd < 0)
                return errno == ENOENT ? -ESRCH : -errno;
        r = read_file_at(proc_fd, "comm", comm, sizeof comm, NULL);
        if (r < 0)
                return r == -ENOENT ? -ESRCH : r;
        comm[strcspn(comm, "\n")] = 0;
        r = tasks_list(proc_fd, pid, &tasks, &n, &total);
        if (r < 0)
                return r;
        if (!capture_line(c, "process %d (%s), %zu thread%s%s", (int) pid, comm, total,
                          total == 1 ? "" : "s", total > n ? " (the first ones)" : "")) {
                tasks_free(tasks, n);
                return c->end;
        }

        for (size_t i = 0; i < n; i++)
                task_read_proc(tasks + i, proc_fd);
        for (size_t i = 0; i < n; i++)
                task_seize(tasks + i);
        tasks_wait_stopped(tasks, n, MIN(c->deadline, now_usec() + DIAGNOSE_STOP_TIMEOUT_USEC));

        for (size_t i = 0; i < n; i++)
                any_stopped = any_stopped || tasks[i].trace == TASK_STOPPED;
        if (any_stopped)
                dwfl = dwfl_open_process(pid, dwfl_error, sizeof dwfl_error);
        for (size_t i = 0; i < n && !capture_over(c); i++)
                task_write(c, tasks + i, dwfl, dwfl_error);
        if (dwfl)
                dwfl_end(dwfl);

        tasks_detach(tasks, n);
        tasks_free(tasks, n);
        return 0;
}

int diagnose_capture_pids(const pid_t *pids, size_t n_pids, const DiagnoseOptions *o,
                          int *ret_results, char **ret_text) {
        static const DiagnoseOptions defaults = {};
        Capture c = { .o = o ?: &defaults };
        usec_t timeout, now;
        int first_error = 0, n_captured = 0;

        if (!pids || n_pids == 0)
                return -EINVAL;
        for (size_t i = 0; i < n_pids; i++)
                if (pids[i] <= 0)
                        return -EINVAL;
        c.max = c.o->max_bytes ?: DIAGNOSE_MAX_BYTES_DEFAULT;
        if (c.max < DIAGNOSE_MAX_BYTES_MIN || c.max > DIAGNOSE_MAX_BYTES_MAX)
                return -EINVAL;
        timeout = c.o->timeout_usec ?: DIAGNOSE_TIMEOUT_USEC_DEFAULT;
        now = now_usec();
        c.deadline = timeout >= USEC_INFINITY - now ? USEC_INFINITY : now + timeout;
        c.text = malloc(c.max + 1);
        if (!c.text)
                return -ENOMEM;
        c.text[0] = 0;

        for (size_t i = 0; i < n_pids; i++) {
                int r = capture_process(&c, pids[i]);

                if (ret_results)
                        ret_results[i] = r;
                if (r >= 0)
                        n_captured++;
                else if (first_error == 0)
                        first_error = r;
        }
        if (n_captured == 0) {
                free(c.text);
                return first_error;
        }
        if (ret_text)
                *ret_text = c.text;
        else
                free(c.text);
        return n_captured;
}

int diagnose_capture(pid_t pid, const DiagnoseOptions *o, char **ret_text) {
        int r = diagnose_capture_pids(&pid, 1, o, NULL, ret_text);

        return r < 0 ? r : 0;
}
