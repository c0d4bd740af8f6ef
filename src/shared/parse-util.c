/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "parse-util.h"
#include "string-util.h"

#define DIGITS "0123456789"

#define USEC_PER_MINUTE (UINT64_C(60) * USEC_PER_SEC)
#define USEC_PER_HOUR   (UINT64_C(60) * USEC_PER_MINUTE)
#define USEC_PER_DAY    (UINT64_C(24) * USEC_PER_HOUR)
#define USEC_PER_WEEK   (UINT64_C(7) * USEC_PER_DAY)
#define USEC_PER_MONTH  (UINT64_C(2629800) * USEC_PER_SEC)  /* 30.44 days, as systemd */
#define USEC_PER_YEAR   (UINT64_C(31557600) * USEC_PER_SEC) /* 365.25 days, as systemd */

static inline bool ascii_isdigit(char c) {
        return c >= '0' && c <= '9';
}

static const char *skip_ws(const char *s) {
        return s + strspn(s, WHITESPACE);
}

/* ---- integers and booleans ---------------------------------------------- */

int parse_uint64(const char *s, uint64_t *ret) {
        unsigned long long v;
        char *e;

        if (!s)
                return -EINVAL;
        if (s[0] == '-' && ascii_isdigit(s[1]))
                return -ERANGE;
        if (!ascii_isdigit(s[0]))
                return -EINVAL;

        errno = 0;
        v = strtoull(s, &e, 10);
        if (errno == ERANGE)
                return -ERANGE;
        if (errno > 0)
                return -errno;
        if (*e != '\0')
                return -EINVAL;

        if (ret)
                *ret = (uint64_t) v;
        return 0;
}

int parse_uint32(const char *s, uint32_t *ret) {
        uint64_t v;
        int r;

        r = parse_uint64(s, &v);
        if (r < 0)
                return r;
        if (v > UINT32_MAX)
                return -ERANGE;
        if (ret)
                *ret = (uint32_t) v;
        return 0;
}

int parse_boolean(const char *s) {
        static const char *const yes[] = { "1", "yes", "y", "true", "t", "on" };
        static const char *const no[] = { "0", "no", "n", "false", "f", "off" };

        if (!s)
                return -EINVAL;
        for (size_t i = 0; i < ELEMENTSOF(yes); i++)
                if (strcasecmp(s, yes[i]) == 0)
                        return 1;
        for (size_t i = 0; i < ELEMENTSOF(no); i++)
                if (strcasecmp(s, no[i]) == 0)
                        return 0;
        return -EINVAL;
}

/* ---- percentages --------------------------------------------------------- */

/* "N%", "N.N%" or "N.NN%" -> permyriad (hundredths of a percent), unbounded
 * above, as systemd's parse_permyriad_unbounded(). */
static int parse_permyriad_unbounded(const char *s, uint64_t *ret) {
        const char *pc, *dot;
        uint64_t whole = 0, frac = 0, v;
        size_t len, n_whole, n_frac = 0;

        len = strlen(s);
        if (len < 2 || s[len - 1] != '%')
                return -EINVAL;
        pc = s + len - 1;

        if (s[0] == '-' && ascii_isdigit(s[1]))
                return -ERANGE;

        dot = memchr(s, '.', pc - s);
        n_whole = (size_t) ((dot ?: pc) - s);
        if (n_whole == 0 || strspn(s, DIGITS) != n_whole)
                return -EINVAL;
        if (dot) {
                n_frac = (size_t) (pc - dot - 1);
                if (n_frac < 1 || n_frac > 2 || strspn(dot + 1, DIGITS) != n_frac)
                        return -EINVAL;
        }

        for (size_t i = 0; i < n_whole; i++) {
                if (whole > (UINT64_MAX - 9) / 10)
                        return -ERANGE;
                whole = whole * 10 + (uint64_t) (s[i] - '0');
        }
        for (size_t i = 0; i < 2; i++)
                frac = frac * 10 + (i < n_frac ? (uint64_t) (dot[1 + i] - '0') : 0);

        if (whole > (UINT64_MAX - frac) / 100)
                return -ERANGE;
        v = whole * 100 + frac;

        *ret = v;
        return 0;
}

int parse_percent(const char *s, bool allow_over_100, unsigned *ret) {
        unsigned long long v;
        size_t len;
        char *e;

        if (!s)
                return -EINVAL;
        len = strlen(s);
        if (len < 2 || s[len - 1] != '%')
                return -EINVAL;
        if (s[0] == '-' && ascii_isdigit(s[1]))
                return -ERANGE;
        if (!ascii_isdigit(s[0]))
                return -EINVAL;

        errno = 0;
        v = strtoull(s, &e, 10);
        if (errno == ERANGE)
                return -ERANGE;
        if (e != s + len - 1)
                return -EINVAL;
        if (v > UINT_MAX)
                return -ERANGE;
        if (!allow_over_100 && v > 100)
                return -ERANGE;

        if (ret)
                *ret = (unsigned) v;
        return 0;
}

int parse_cpu_quota(const char *s, usec_t *ret) {
        uint64_t pm;
        int r;

        if (!s)
                return -EINVAL;
        if (s[0] == '\0') {
                if (ret)
                        *ret = USEC_INFINITY;
                return 0;
        }

        r = parse_permyriad_unbounded(s, &pm);
        if (r < 0)
                return r;
        if (pm == 0)
                return -ERANGE;        /* systemd: a quota of 0% is invalid */
        /* 1 permyriad = 100 usec of CPU time per second */
        if (pm >= USEC_INFINITY / 100)
                return -ERANGE;

        if (ret)
                *ret = pm * 100;
        return 0;
}

/* ---- sizes --------------------------------------------------------------- */

/* base * pm / 10000 without overflowing (pm <= 10000). */
static uint64_t scale_permyriad(uint64_t base, uint64_t pm) {
        return base / 10000 * pm + base % 10000 * pm / 10000;
}

int parse_size(const char *s, uint64_t percent_base, uint64_t *ret) {
        static const struct {
                const char *suffix;
                uint64_t factor;
        } table[] = {
                { "E", UINT64_C(1) << 60 },
                { "P", UINT64_C(1) << 50 },
                { "T", UINT64_C(1) << 40 },
                { "G", UINT64_C(1) << 30 },
                { "M", UINT64_C(1) << 20 },
                { "K", UINT64_C(1) << 10 },
                { "B", 1 },
                { "", 1 },
        };
        const char *p;
        uint64_t total = 0;
        size_t start = 0;

        if (!s)
                return -EINVAL;

        p = skip_ws(s);
        if (startswith(p, "infinity") && *skip_ws(p + strlen("infinity")) == '\0') {
                if (ret)
                        *ret = CGROUP_LIMIT_MAX;
                return 0;
        }

        if (strchr(p, '%')) {
                uint64_t pm;
                int r;

                if (percent_base == 0)
                        return -EINVAL;
                r = parse_permyriad_unbounded(p, &pm);
                if (r < 0)
                        return r;
                if (pm > 10000)
                        return -ERANGE;
                if (ret)
                        *ret = scale_permyriad(percent_base, pm);
                return 0;
        }

        /* Like systemd: one or more "<number>[.<fraction>]<suffix>" terms with
         * strictly decreasing suffixes, e.g. "1G 512M". */
        do {
                uint64_t l, frac_num = 0, frac_den = 1, add;
                unsigned long long v;
                size_t i;
                char *e;

                p = skip_ws(p);
                if (*p == '-')
                        return -ERANGE;
                if (!ascii_isdigit(*p))
                        return -EINVAL;

                errno = 0;
                v = strtoull(p, &e, 10);
                if (errno == ERANGE)
                        return -ERANGE;
                l = (uint64_t) v;

                if (*e == '.') {
                        e++;
                        /* keep at most 9 fraction digits: exact enough, and no overflow below */
                        for (; ascii_isdigit(*e); e++)
                                if (frac_den < UINT64_C(1000000000)) {
                                        frac_num = frac_num * 10 + (uint64_t) (*e - '0');
                                        frac_den *= 10;
                                }
                }

                e = (char *) skip_ws(e);

                for (i = start; i < ELEMENTSOF(table); i++)
                        if (startswith(e, table[i].suffix))
                                break;
                if (i >= ELEMENTSOF(table))
                        return -EINVAL;

                if (l > UINT64_MAX / table[i].factor)
                        return -ERANGE;
                add = l * table[i].factor;
                if (frac_num > 0) {
                        /* factor * num / den, split so that nothing overflows */
                        uint64_t f = table[i].factor / frac_den * frac_num +
                                     table[i].factor % frac_den * frac_num / frac_den;
                        if (f > UINT64_MAX - add)
                                return -ERANGE;
                        add += f;
                }
                if (add > UINT64_MAX - total)
                        return -ERANGE;
                total += add;

                p = e + strlen(table[i].suffix);
                start = i + 1;
        } while (*p != '\0');

        if (ret)
                *ret = total;
        return 0;
}

/* ---- time spans ---------------------------------------------------------- */

static const char *extract_multiplier(const char *p, usec_t *ret) {
        /* Order matters: longer spellings before their prefixes, and "min"
         * before "months"/"msec"/"ms"/"m" (as systemd's table). */
        static const struct {
                const char *suffix;
                usec_t usec;
        } table[] = {
                { "seconds", USEC_PER_SEC },    { "second", USEC_PER_SEC },
                { "sec", USEC_PER_SEC },        { "s", USEC_PER_SEC },
                { "minutes", USEC_PER_MINUTE }, { "minute", USEC_PER_MINUTE },
                { "min", USEC_PER_MINUTE },     { "months", USEC_PER_MONTH },
                { "month", USEC_PER_MONTH },    { "M", USEC_PER_MONTH },
                { "msec", USEC_PER_MSEC },      { "ms", USEC_PER_MSEC },
                { "m", USEC_PER_MINUTE },       { "hours", USEC_PER_HOUR },
                { "hour", USEC_PER_HOUR },      { "hr", USEC_PER_HOUR },
                { "h", USEC_PER_HOUR },         { "days", USEC_PER_DAY },
                { "day", USEC_PER_DAY },        { "d", USEC_PER_DAY },
                { "weeks", USEC_PER_WEEK },     { "week", USEC_PER_WEEK },
                { "w", USEC_PER_WEEK },         { "years", USEC_PER_YEAR },
                { "year", USEC_PER_YEAR },      { "y", USEC_PER_YEAR },
                { "usec", 1 },                  { "us", 1 },
                { "\xce\xbcs", 1 },             /* μs */
        };

        for (size_t i = 0; i < ELEMENTSOF(table); i++) {
                const char *e = startswith(p, table[i].suffix);
                if (e) {
                        *ret = table[i].usec;
                        return e;
                }
        }
        return p;
}

int parse_time(const char *s, usec_t default_unit, usec_t *ret) {
        const char *p;
        usec_t usec = 0;
        bool something = false;

        if (!s || default_unit == 0)
                return -EINVAL;

        p = skip_ws(s);
        if (startswith(p, "infinity")) {
                if (*skip_ws(p + strlen("infinity")) != '\0')
                        return -EINVAL;
                if (ret)
                        *ret = USEC_INFINITY;
                return 0;
        }

        for (;;) {
                usec_t multiplier = default_unit, k;
                unsigned long long l;
                const char *after;
                char *e;

                p = skip_ws(p);
                if (*p == '\0') {
                        if (!something)
                                return -EINVAL;
                        break;
                }
                if (*p == '-')
                        return -ERANGE;
                if (!ascii_isdigit(*p))
                        return -EINVAL;

                errno = 0;
                l = strtoull(p, &e, 10);
                if (errno == ERANGE)
                        return -ERANGE;

                if (*e == '.')
                        p = e + 1 + strspn(e + 1, DIGITS);
                else
                        p = e;

                /* As systemd: a unit may follow after whitespace; without a
                 * unit the next term must be separated by whitespace. */
                after = extract_multiplier(skip_ws(p), &multiplier);
                if (after == p && *after != '\0')
                        return -EINVAL;       /* e.g. "12.34.56", "5x" */
                p = after;

                if (l > USEC_INFINITY / multiplier)
                        return -ERANGE;
                k = (usec_t) l * multiplier;
                if (k >= USEC_INFINITY - usec)
                        return -ERANGE;
                usec += k;
                something = true;

                if (*e == '.') {
                        usec_t m = multiplier / 10;
                        const char *b;

                        for (b = e + 1; ascii_isdigit(*b); b++, m /= 10) {
                                k = (usec_t) (*b - '0') * m;
                                if (k >= USEC_INFINITY - usec)
                                        return -ERANGE;
                                usec += k;
                        }
                        if (b == e + 1)
                                return -EINVAL;        /* "3.", "3.s" */
                }
        }

        if (ret)
                *ret = usec;
        return 0;
}

/* ---- signals ------------------------------------------------------------- */

static const char *const signal_table[] = {
        [SIGHUP] = "SIGHUP",       [SIGINT] = "SIGINT",       [SIGQUIT] = "SIGQUIT",
        [SIGILL] = "SIGILL",       [SIGTRAP] = "SIGTRAP",     [SIGABRT] = "SIGABRT",
        [SIGBUS] = "SIGBUS",       [SIGFPE] = "SIGFPE",       [SIGKILL] = "SIGKILL",
        [SIGUSR1] = "SIGUSR1",     [SIGSEGV] = "SIGSEGV",     [SIGUSR2] = "SIGUSR2",
        [SIGPIPE] = "SIGPIPE",     [SIGALRM] = "SIGALRM",     [SIGTERM] = "SIGTERM",
#ifdef SIGSTKFLT
        [SIGSTKFLT] = "SIGSTKFLT",
#endif
        [SIGCHLD] = "SIGCHLD",     [SIGCONT] = "SIGCONT",     [SIGSTOP] = "SIGSTOP",
        [SIGTSTP] = "SIGTSTP",     [SIGTTIN] = "SIGTTIN",     [SIGTTOU] = "SIGTTOU",
        [SIGURG] = "SIGURG",       [SIGXCPU] = "SIGXCPU",     [SIGXFSZ] = "SIGXFSZ",
        [SIGVTALRM] = "SIGVTALRM", [SIGPROF] = "SIGPROF",     [SIGWINCH] = "SIGWINCH",
        [SIGIO] = "SIGIO",
#ifdef SIGPWR
        [SIGPWR] = "SIGPWR",
#endif
        [SIGSYS] = "SIGSYS",
};

/* Names for SIGRTMIN+0 .. SIGRTMIN+32; which of these exist depends on libc. */
static const char *const signal_rt_table[] = {
        "SIGRTMIN",    "SIGRTMIN+1",  "SIGRTMIN+2",  "SIGRTMIN+3",  "SIGRTMIN+4",
        "SIGRTMIN+5",  "SIGRTMIN+6",  "SIGRTMIN+7",  "SIGRTMIN+8",  "SIGRTMIN+9",
        "SIGRTMIN+10", "SIGRTMIN+11", "SIGRTMIN+12", "SIGRTMIN+13", "SIGRTMIN+14",
        "SIGRTMIN+15", "SIGRTMIN+16", "SIGRTMIN+17", "SIGRTMIN+18", "SIGRTMIN+19",
        "SIGRTMIN+20", "SIGRTMIN+21", "SIGRTMIN+22", "SIGRTMIN+23", "SIGRTMIN+24",
        "SIGRTMIN+25", "SIGRTMIN+26", "SIGRTMIN+27", "SIGRTMIN+28", "SIGRTMIN+29",
        "SIGRTMIN+30", "SIGRTMIN+31", "SIGRTMIN+32",
};

const char *signal_to_string(int sig) {
        if (sig > 0 && (size_t) sig < ELEMENTSOF(signal_table) && signal_table[sig])
                return signal_table[sig];
        if (sig >= SIGRTMIN && sig <= SIGRTMAX && (size_t) (sig - SIGRTMIN) < ELEMENTSOF(signal_rt_table))
                return signal_rt_table[sig - SIGRTMIN];
        return NULL;
}

/* "RTMIN", "RTMIN+N", "RTMAX", "RTMAX-N" (without "SIG"). */
static int parse_signal_rt(const char *n) {
        const char *e;
        uint32_t off = 0;
        int r, sig;

        if ((e = startswith(n, "RTMIN"))) {
                if (*e == '+') {
                        r = parse_uint32(e + 1, &off);
                        if (r < 0)
                                return r;
                } else if (*e != '\0')
                        return -EINVAL;
                if (off > (uint32_t) (SIGRTMAX - SIGRTMIN))
                        return -ERANGE;
                sig = SIGRTMIN + (int) off;
        } else if ((e = startswith(n, "RTMAX"))) {
                if (*e == '-') {
                        r = parse_uint32(e + 1, &off);
                        if (r < 0)
                                return r;
                } else if (*e != '\0')
                        return -EINVAL;
                if (off > (uint32_t) (SIGRTMAX - SIGRTMIN))
                        return -ERANGE;
                sig = SIGRTMAX - (int) off;
        } else
                return -EINVAL;

        return sig;
}

int parse_signal(const char *s) {
        static const struct {
                const char *name;
                int sig;
        } aliases[] = {
                { "IOT", SIGABRT },
                { "CLD", SIGCHLD },
                { "POLL", SIGIO },
        };
        const char *n;
        uint32_t v;

        if (isempty(s))
                return -EINVAL;

        if (ascii_isdigit(s[0])) {
                int r = parse_uint32(s, &v);
                if (r < 0)
                        return r;
                if (v < 1 || v >= _NSIG)
                        return -ERANGE;
                return (int) v;
        }

        n = startswith(s, "SIG") ?: s;
        for (size_t i = 1; i < ELEMENTSOF(signal_table); i++)
                if (signal_table[i] && streq(n, signal_table[i] + 3))
                        return (int) i;
        for (size_t i = 0; i < ELEMENTSOF(aliases); i++)
                if (streq(n, aliases[i].name))
                        return aliases[i].sig;
        return parse_signal_rt(n);
}

/* ---- formatting ---------------------------------------------------------- */

char *format_bytes(char *buf, size_t n, uint64_t bytes) {
        static const struct {
                const char *suffix;
                uint64_t factor;
        } table[] = {
                { "E", UINT64_C(1) << 60 }, { "P", UINT64_C(1) << 50 },
                { "T", UINT64_C(1) << 40 }, { "G", UINT64_C(1) << 30 },
                { "M", UINT64_C(1) << 20 }, { "K", UINT64_C(1) << 10 },
        };

        if (bytes == CGROUP_LIMIT_MAX) {
                snprintf(buf, n, "infinity");
                return buf;
        }

        for (size_t i = 0; i < ELEMENTSOF(table); i++) {
                uint64_t f = table[i].factor;

                if (bytes < f)
                        continue;
                if (bytes % f == 0)
                        snprintf(buf, n, "%" PRIu64 "%s", bytes / f, table[i].suffix);
                else
                        /* one decimal, truncated (as systemd) */
                        snprintf(buf, n, "%" PRIu64 ".%" PRIu64 "%s", bytes / f,
                                 bytes % f * 10 / f, table[i].suffix);
                return buf;
        }

        snprintf(buf, n, "%" PRIu64 "B", bytes);
        return buf;
}

char *format_timespan(char *buf, size_t n, usec_t t) {
        static const struct {
                const char *suffix;
                usec_t usec;
        } table[] = {
                { "w", USEC_PER_WEEK }, { "d", USEC_PER_DAY },   { "h", USEC_PER_HOUR },
                { "min", USEC_PER_MINUTE }, { "s", USEC_PER_SEC }, { "ms", USEC_PER_MSEC },
                { "us", 1 },
        };
        size_t off = 0;

        if (n == 0)
                return buf;
        if (t == USEC_INFINITY) {
                snprintf(buf, n, "infinity");
                return buf;
        }
        if (t == 0) {
                snprintf(buf, n, "0");
                return buf;
        }

        buf[0] = '\0';
        for (size_t i = 0; i < ELEMENTSOF(table) && t > 0; i++) {
                int k;

                if (t < table[i].usec)
                        continue;
                k = snprintf(buf + off, n - off, "%s%" PRIu64 "%s", off > 0 ? " " : "",
                             t / table[i].usec, table[i].suffix);
                if (k < 0 || (size_t) k >= n - off) {
                        buf[off] = '\0';      /* truncated: drop the partial term */
                        break;
                }
                off += (size_t) k;
                t %= table[i].usec;
        }
        return buf;
}

int parse_mode(const char *s, unsigned max, unsigned *ret) {
        unsigned long m;
        char *end;

        if (!s || s[0] < '0' || s[0] > '7')
                return -EINVAL;
        errno = 0;
        m = strtoul(s, &end, 8);
        if (errno != 0 || *end)
                return -EINVAL;
        if (m > max)
                return -ERANGE;
        *ret = (unsigned) m;
        return 0;
}
