/* SPDX-License-Identifier: MIT */
#pragma once

/* Where a hung worker hangs (issue #14): for every thread of a process, its
 * state, system call, wchan and kernel stack (/proc, read before we touch the
 * thread), and a user-space backtrace with symbol names (elfutils' libdwfl
 * over ptrace). Meant for a worker whose cgroup is frozen, works on any
 * process we may ptrace (root). Threads are stopped with PTRACE_SEIZE +
 * PTRACE_INTERRUPT (PTRACE_ATTACH's SIGSTOP never arrives in a frozen
 * cgroup v2) and detached afterwards, leaving them as they were (still
 * frozen). A thread that does not stop in time (one waiting for a vfork
 * child, or in an uninterruptible sleep) stays attached, with its stop
 * pending, until the calling process exits: the kernel then detaches it.
 * That is one reason the daemon runs this in a child, workerpoold-diagnose.
 *
 * The text is valid UTF-8 (invalid bytes and control characters of comm
 * names or symbols become U+FFFD), one record per line, at most max_bytes
 * long: a capture cut for size or time ends with DIAGNOSE_TRUNCATED_LINE or
 * DIAGNOSE_TIMED_OUT_LINE, always at a line boundary. Never logs; returns
 * -errno. libdwfl asks debuginfod only when $DEBUGINFOD_URLS is set (the
 * program unsets it). Format (docs/design.md, "Hang capture"):
 *
 *   process PID (COMM), N threads
 *   thread TID (COMM)
 *     state: S (sleeping)
 *     syscall: clock_nanosleep (230)            or: none, running
 *     wchan: hrtimer_nanosleep                  or: 0
 *     kernel stack:
 *       hrtimer_nanosleep+0xb5/0x130            (the "[<0>] " dropped)
 *     user stack:
 *       #0  0x00007f0e8c8e03b5 clock_nanosleep+0x55 (libc.so.6)
 *       #1  0x000055d0c0a011c6 ?? (prog+0x11c6)  (no symbol)
 *     user stack: not available (REASON)        instead, when not stopped
 */

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "../shared/macro.h"

#define DIAGNOSE_MAX_BYTES_DEFAULT      ((size_t) 8192)
#define DIAGNOSE_MAX_BYTES_MIN          ((size_t) 64)
#define DIAGNOSE_MAX_BYTES_MAX          ((size_t) 16 * 1024 * 1024)
#define DIAGNOSE_TIMEOUT_USEC_DEFAULT   (4 * USEC_PER_SEC)
/* How long to wait for the threads of one process to stop (within the timeout). */
#define DIAGNOSE_STOP_TIMEOUT_USEC      (500 * USEC_PER_MSEC)
#define DIAGNOSE_MAX_THREADS            4096
#define DIAGNOSE_MAX_FRAMES             64
#define DIAGNOSE_LINE_MAX               512     /* longer lines are cut, with "..." */

/* The last line of a capture that was cut; both are as long. Only they begin
 * with DIAGNOSE_END_PREFIX. */
#define DIAGNOSE_END_PREFIX             "... ("
#define DIAGNOSE_TRUNCATED_LINE         "... (truncated)\n"
#define DIAGNOSE_TIMED_OUT_LINE         "... (timed out)\n"

typedef struct DiagnoseOptions {
        size_t max_bytes;               /* 0: DIAGNOSE_MAX_BYTES_DEFAULT; MIN..MAX; never exceeded */
        usec_t timeout_usec;            /* 0: DIAGNOSE_TIMEOUT_USEC_DEFAULT; checked between steps */
        /* Optional: called with each line (its '\n' included) as it is added,
         * so that a caller killed by its own alarm has written what it had. */
        void (*on_line)(const char *line, size_t len, void *userdata);
        void *userdata;
} DiagnoseOptions;

/* Every thread of process pid (a thread group id). 0 and *ret_text (may be
 * NULL: then only on_line), or -ESRCH (no such process: no text at all),
 * -ETIME (out of time before anything was captured), -EINVAL, -ENOMEM. */
int diagnose_capture(pid_t pid, const DiagnoseOptions *o, char **ret_text);

/* The same for several processes, in order, into one text (the limits are
 * for the whole). Returns how many were captured (> 0), or the error of the
 * first if none was. ret_results (optional, n_pids entries): 0 or -errno
 * for each pid (-ESRCH: gone; -ETIME: not reached in time). */
int diagnose_capture_pids(const pid_t *pids, size_t n_pids, const DiagnoseOptions *o,
                          int *ret_results, char **ret_text);
