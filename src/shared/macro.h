/* SPDX-License-Identifier: MIT */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

typedef uint64_t usec_t;
#define USEC_INFINITY   UINT64_MAX
#define USEC_PER_SEC    UINT64_C(1000000)
#define USEC_PER_MSEC   UINT64_C(1000)
#define NSEC_PER_USEC   UINT64_C(1000)
#define CGROUP_LIMIT_MAX UINT64_MAX

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _unused_ __attribute__((unused))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _sentinel_ __attribute__((sentinel))
#define _fallthrough_ __attribute__((fallthrough))
#define _likely_(x) __builtin_expect(!!(x), 1)
#define _unlikely_(x) __builtin_expect(!!(x), 0)

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

/* x is one of the values that follow (integers, evaluated once). */
#define IN_SET(x, first, ...)                                                   \
        ({                                                                      \
                const __typeof__(x) _in_set_x = (x);                            \
                const __typeof__(x) _in_set_v[] = { first, __VA_ARGS__ };       \
                bool _in_set_found = false;                                     \
                for (size_t _k = 0; _k < ELEMENTSOF(_in_set_v); _k++)           \
                        if (_in_set_v[_k] == _in_set_x)                         \
                                _in_set_found = true;                           \
                _in_set_found;                                                  \
        })
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

/* Take ownership of a pointer or fd: return it and reset the variable. */
#define TAKE_PTR(p) ({ typeof(p) _p = (p); (p) = NULL; _p; })
#define TAKE_FD(fd) ({ int _fd = (fd); (fd) = -EBADF; _fd; })

#define DEFINE_TRIVIAL_CLEANUP_FUNC(type, func)                 \
        static inline void func##p(type *p) {                   \
                if (*p)                                         \
                        *p = func(*p);                          \
        }

static inline int safe_close(int fd) {
        if (fd >= 0) {
                int saved = errno;
                (void) close(fd);
                errno = saved;
        }
        return -EBADF;
}

static inline void closep(int *fd) {
        *fd = safe_close(*fd);
}

static inline void freep(void *p) {
        free(*(void **) p);
        *(void **) p = NULL;
}

static inline void *mfree(void *p) {
        free(p);
        return NULL;
}

/* errno as a negative value, never 0 (for calls that "must" set errno). */
static inline int negative_errno(void) {
        return errno > 0 ? -errno : -EIO;
}

#define streq(a, b) (strcmp((a), (b)) == 0)
#define strneq(a, b, n) (strncmp((a), (b), (n)) == 0)
#define isempty(s) (!(s) || !(s)[0])
#define strempty(s) ((s) ?: "")
