/* SPDX-License-Identifier: MIT */
#pragma once

/* A worker's standard output and error (StandardOutput=, StandardError=).
 *
 * Files and /dev/null are the worker's own fds: the daemon opens a pool's
 * files once (output_pool_open()) and never sees a byte. journal, and
 * inherit when our stderr is not the journal, are carried: the pool has one
 * AF_UNIX stream socket pair, every worker writes to the same end, and the
 * kernel tags what each process writes with its pid (SO_PASSCRED; a read
 * never mixes two senders), so a line is attributed to its worker without
 * an fd per worker. Lines reach the journal with the worker's fields
 * (SYSLOG_IDENTIFIER=POOL, WORKERPOOL_POOL=, WORKERPOOL_WORKER=) or our
 * stderr as "POOL[WORKER]: line". Reads are of the lowest priority with a
 * budget per loop turn, so a worker that writes without end slows only its
 * own pool's writers (the socket fills, their writes wait), never the bus,
 * the exits or another pool. */

#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

typedef struct Pool Pool;
typedef struct Worker Worker;
typedef struct PoolOutput PoolOutput;

/* What a worker's fds 1 and 2 are, for the spawn: the pool's carried
 * socket, a file of the pool's, /dev/null, or the daemon's own. */
typedef struct OutputFds {
        int stdout_fd, stderr_fd;       /* > 2, or off */
        bool stdout_null, stderr_null;
} OutputFds;

/* The pool's files (file:, append:, truncate:), opened when it starts or
 * its config changes or after a re-exec (truncate:PATH is emptied only
 * when truncate is true: the pool's start); -errno (logged, and why[] says
 * it) if one cannot be opened: the old ones are kept. */
int output_pool_open(Pool *p, bool truncate, char *why, size_t n);
void output_pool_close(Pool *p);
/* The carried socket: read what is there, write out the lines without
 * their end yet, close it (the pool stopped or goes). */
void output_pool_free(Pool *p);
/* Write out the lines without their end yet (the pool stopped). */
void output_pool_flush(Pool *p);

/* Before the spawn of a worker: its fds 1 and 2 (the carried socket is
 * made at the first). */
int output_prepare(Pool *p, OutputFds *ret);

/* Re-exec: the carried socket goes to the next image. */
void output_pool_set_inherit(Pool *p, bool inherit);
void output_pool_serialize(const Pool *p, FILE *f);
void output_pool_adopt(Pool *p, int read_fd, int write_fd, int journal);

/* The prefix and the journal fields of a carried line (exposed for tests):
 * "<N>" at the start sets the priority, as sd-daemon(3)'s prefixes do for
 * systemd (SyslogLevelPrefix=yes); *line is moved past it. */
int output_line_priority(const char **line, size_t *n, int def);
