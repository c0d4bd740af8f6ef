/* SPDX-License-Identifier: MIT */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shared/parse-util.h"
#include "shared/macro.h"
#include "shared/strv.h"

#define KiB UINT64_C(1024)
#define MiB (KiB * 1024)
#define GiB (MiB * 1024)
#define TiB (GiB * 1024)
#define PiB (TiB * 1024)
#define EiB (PiB * 1024)

#define MSEC USEC_PER_MSEC
#define SEC USEC_PER_SEC
#define MINUTE (60 * SEC)
#define HOUR (60 * MINUTE)
#define DAY (24 * HOUR)
#define WEEK (7 * DAY)

/* ---- parse_uint32 / parse_uint64 ---------------------------------------- */

Test(parse_int, uint64_good) {
        uint64_t v = 7;

        cr_assert_eq(parse_uint64("0", &v), 0);
        cr_assert_eq(v, 0);
        cr_assert_eq(parse_uint64("42", &v), 0);
        cr_assert_eq(v, 42);
        cr_assert_eq(parse_uint64("007", &v), 0);
        cr_assert_eq(v, 7);
        cr_assert_eq(parse_uint64("18446744073709551615", &v), 0);
        cr_assert_eq(v, UINT64_MAX);
        cr_assert_eq(parse_uint64("1", NULL), 0);
}

Test(parse_int, uint64_bad) {
        uint64_t v = 7;

        cr_assert_eq(parse_uint64("", &v), -EINVAL);
        cr_assert_eq(parse_uint64(NULL, &v), -EINVAL);
        cr_assert_eq(parse_uint64("abc", &v), -EINVAL);
        cr_assert_eq(parse_uint64("12abc", &v), -EINVAL);
        cr_assert_eq(parse_uint64("1.5", &v), -EINVAL);
        cr_assert_eq(parse_uint64(" 1", &v), -EINVAL);
        cr_assert_eq(parse_uint64("1 ", &v), -EINVAL);
        cr_assert_eq(parse_uint64("+1", &v), -EINVAL);
        cr_assert_eq(parse_uint64("0x10", &v), -EINVAL);
        cr_assert_eq(parse_uint64("-1", &v), -ERANGE);
        cr_assert_eq(parse_uint64("18446744073709551616", &v), -ERANGE);
        cr_assert_eq(parse_uint64("99999999999999999999999", &v), -ERANGE);
        cr_assert_eq(v, 7, "ret must not be written on failure");
}

Test(parse_int, uint32) {
        uint32_t v = 9;

        cr_assert_eq(parse_uint32("4294967295", &v), 0);
        cr_assert_eq(v, UINT32_MAX);
        cr_assert_eq(parse_uint32("0", &v), 0);
        cr_assert_eq(v, 0);
        v = 9;
        cr_assert_eq(parse_uint32("4294967296", &v), -ERANGE);
        cr_assert_eq(parse_uint32("-5", &v), -ERANGE);
        cr_assert_eq(parse_uint32("5x", &v), -EINVAL);
        cr_assert_eq(parse_uint32("", &v), -EINVAL);
        cr_assert_eq(v, 9);
}

/* ---- parse_boolean ------------------------------------------------------- */

Test(parse_boolean, values) {
        const char *yes[] = { "1", "yes", "YES", "y", "true", "True", "t", "on", "ON" };
        const char *no[] = { "0", "no", "No", "n", "false", "FALSE", "f", "off", "Off" };
        const char *bad[] = { "", "2", "yess", "of", "enable", "nope", " yes", "-1" };

        for (size_t i = 0; i < ELEMENTSOF(yes); i++)
                cr_assert_eq(parse_boolean(yes[i]), 1, "%s", yes[i]);
        for (size_t i = 0; i < ELEMENTSOF(no); i++)
                cr_assert_eq(parse_boolean(no[i]), 0, "%s", no[i]);
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                cr_assert_eq(parse_boolean(bad[i]), -EINVAL, "'%s'", bad[i]);
        cr_assert_eq(parse_boolean(NULL), -EINVAL);
}

/* ---- parse_size ---------------------------------------------------------- */

static uint64_t size_ok(const char *s, uint64_t base) {
        uint64_t v = 12345;
        int r = parse_size(s, base, &v);

        cr_assert_eq(r, 0, "parse_size(\"%s\") = %d", s, r);
        return v;
}

Test(parse_size, plain_and_suffixes) {
        cr_assert_eq(size_ok("0", 0), 0);
        cr_assert_eq(size_ok("4096", 0), 4096);
        cr_assert_eq(size_ok("4096B", 0), 4096);
        cr_assert_eq(size_ok("1K", 0), KiB);
        cr_assert_eq(size_ok("512M", 0), 512 * MiB);
        cr_assert_eq(size_ok("2G", 0), 2 * GiB);
        cr_assert_eq(size_ok("3T", 0), 3 * TiB);
        cr_assert_eq(size_ok("1P", 0), PiB);
        cr_assert_eq(size_ok("1E", 0), EiB);
        cr_assert_eq(size_ok("15E", 0), 15 * EiB);
        cr_assert_eq(size_ok("5 M", 0), 5 * MiB);      /* systemd allows a space */
        cr_assert_eq(size_ok(" 5M", 0), 5 * MiB);
}

Test(parse_size, fractions_and_sums) {
        cr_assert_eq(size_ok("1.5G", 0), GiB + GiB / 2);
        cr_assert_eq(size_ok("0.5K", 0), 512);
        cr_assert_eq(size_ok("1.25M", 0), MiB + MiB / 4);
        cr_assert_eq(size_ok("2.M", 0), 2 * MiB);       /* "10.M" is valid in systemd */
        cr_assert_eq(size_ok("1.5", 0), 1);             /* fractions of a byte are dropped */
        cr_assert_eq(size_ok("1G 512M", 0), GiB + 512 * MiB);
        cr_assert_eq(size_ok("1G512M", 0), GiB + 512 * MiB);
        cr_assert_eq(size_ok("1M 10", 0), MiB + 10);
        cr_assert_eq(size_ok("0.000000001E", 0), 1152921504);  /* 9 digits kept */
}

Test(parse_size, infinity) {
        cr_assert_eq(size_ok("infinity", 0), CGROUP_LIMIT_MAX);
        cr_assert_eq(size_ok("  infinity  ", 0), CGROUP_LIMIT_MAX);
}

Test(parse_size, percent) {
        cr_assert_eq(size_ok("50%", 1000), 500);
        cr_assert_eq(size_ok("100%", 1000), 1000);
        cr_assert_eq(size_ok("0%", 1000), 0);
        cr_assert_eq(size_ok("12.5%", 8000), 1000);
        cr_assert_eq(size_ok("0.01%", 10000), 1);
        cr_assert_eq(size_ok("33%", 100), 33);
        /* no overflow on a huge base */
        cr_assert_eq(size_ok("50%", UINT64_MAX - 1), (UINT64_MAX - 1) / 2);
        cr_assert_eq(size_ok("100%", UINT64_MAX - 1), UINT64_MAX - 1);
        cr_assert_eq(size_ok("25%", 16 * GiB), 4 * GiB);
}

Test(parse_size, bad) {
        const char *einval[] = {
                "", "M", "abc", "5X", "5KiB", "512MB", "1K 1G", "1M 1M", "5%x", "5M foo",
                "5M ", ".5G", "infinityx", "infinity 5", "1,5G", "0x10", "+5M", "5m", "5k",
        };
        uint64_t v = 99;

        for (size_t i = 0; i < ELEMENTSOF(einval); i++)
                cr_assert_eq(parse_size(einval[i], 0, &v), -EINVAL, "'%s'", einval[i]);
        cr_assert_eq(parse_size(NULL, 0, &v), -EINVAL);

        cr_assert_eq(parse_size("-5M", 0, &v), -ERANGE);
        cr_assert_eq(parse_size("16E", 0, &v), -ERANGE);
        cr_assert_eq(parse_size("15.99E 1E", 0, &v), -EINVAL);  /* E twice */
        cr_assert_eq(parse_size("15E 1P", 0, &v), 0);
        cr_assert_eq(parse_size("15E 1023P 1024T", 0, &v), -ERANGE);
        cr_assert_eq(parse_size("18446744073709551616", 0, &v), -ERANGE);
        cr_assert_eq(parse_size("17179869184G", 0, &v), -ERANGE);

        /* percentages */
        v = 99;
        cr_assert_eq(parse_size("50%", 0, &v), -EINVAL, "percent refused without a base");
        cr_assert_eq(parse_size("101%", 1000, &v), -ERANGE);
        cr_assert_eq(parse_size("100.01%", 1000, &v), -ERANGE);
        cr_assert_eq(parse_size("-1%", 1000, &v), -ERANGE);
        cr_assert_eq(parse_size("%", 1000, &v), -EINVAL);
        cr_assert_eq(parse_size("1.234%", 1000, &v), -EINVAL);
        cr_assert_eq(parse_size("5 %", 1000, &v), -EINVAL);
        cr_assert_eq(parse_size("x%", 1000, &v), -EINVAL);
        cr_assert_eq(v, 99, "ret must not be written on failure");
}

/* ---- parse_time ---------------------------------------------------------- */

static usec_t time_ok(const char *s, usec_t unit) {
        usec_t v = 12345;
        int r = parse_time(s, unit, &v);

        cr_assert_eq(r, 0, "parse_time(\"%s\") = %d", s, r);
        return v;
}

Test(parse_time, units) {
        cr_assert_eq(time_ok("5us", SEC), 5);
        cr_assert_eq(time_ok("5usec", SEC), 5);
        cr_assert_eq(time_ok("5\xce\xbcs", SEC), 5);
        cr_assert_eq(time_ok("100ms", SEC), 100 * MSEC);
        cr_assert_eq(time_ok("100msec", SEC), 100 * MSEC);
        cr_assert_eq(time_ok("5s", 1), 5 * SEC);
        cr_assert_eq(time_ok("5sec", 1), 5 * SEC);
        cr_assert_eq(time_ok("5second", 1), 5 * SEC);
        cr_assert_eq(time_ok("5seconds", 1), 5 * SEC);
        cr_assert_eq(time_ok("2m", 1), 2 * MINUTE);
        cr_assert_eq(time_ok("2min", 1), 2 * MINUTE);
        cr_assert_eq(time_ok("2minutes", 1), 2 * MINUTE);
        cr_assert_eq(time_ok("3h", 1), 3 * HOUR);
        cr_assert_eq(time_ok("3hr", 1), 3 * HOUR);
        cr_assert_eq(time_ok("3hours", 1), 3 * HOUR);
        cr_assert_eq(time_ok("1d", 1), DAY);
        cr_assert_eq(time_ok("2days", 1), 2 * DAY);
        cr_assert_eq(time_ok("1w", 1), WEEK);
        cr_assert_eq(time_ok("1weeks", 1), WEEK);
        cr_assert_eq(time_ok("1M", 1), UINT64_C(2629800) * SEC);
        cr_assert_eq(time_ok("1y", 1), UINT64_C(31557600) * SEC);
}

Test(parse_time, default_unit) {
        cr_assert_eq(time_ok("5", SEC), 5 * SEC);
        cr_assert_eq(time_ok("5", MSEC), 5 * MSEC);
        cr_assert_eq(time_ok("5", 1), 5);
        cr_assert_eq(time_ok("0", SEC), 0);
        cr_assert_eq(time_ok("1.5", SEC), 1500 * MSEC);
        cr_assert_eq(parse_time("5", 0, NULL), -EINVAL);
}

Test(parse_time, combined_and_fractions) {
        cr_assert_eq(time_ok("1min 30s", 1), 90 * SEC);
        cr_assert_eq(time_ok("1min30s", 1), 90 * SEC);
        cr_assert_eq(time_ok("1m30s", 1), 90 * SEC);
        cr_assert_eq(time_ok("1h 2min 3s 4ms 5us", 1), HOUR + 2 * MINUTE + 3 * SEC + 4 * MSEC + 5);
        cr_assert_eq(time_ok("2 s", 1), 2 * SEC);
        cr_assert_eq(time_ok("  2s  ", 1), 2 * SEC);
        cr_assert_eq(time_ok("1.5s", 1), 1500 * MSEC);
        cr_assert_eq(time_ok("0.5min", 1), 30 * SEC);
        cr_assert_eq(time_ok("1.25h", 1), HOUR + 15 * MINUTE);
        cr_assert_eq(time_ok("0.000001s", 1), 1);
        cr_assert_eq(time_ok("0.0000001s", 1), 0);      /* below 1us */
        cr_assert_eq(time_ok("5s 5s", 1), 10 * SEC);    /* terms add up */
        cr_assert_eq(time_ok("1s 5", 1), SEC + 5);
}

Test(parse_time, infinity) {
        cr_assert_eq(time_ok("infinity", SEC), USEC_INFINITY);
        cr_assert_eq(time_ok(" infinity ", SEC), USEC_INFINITY);
}

Test(parse_time, bad) {
        const char *einval[] = {
                "", " ", "s", "abc", "5x", "5 x", "5sx", "1.2.3", "3.", "3.s", "infinity5",
                "infinity 5s", "+5s", ".5s", "5S", "5 mins x", "1,5s",
        };
        usec_t v = 77;

        for (size_t i = 0; i < ELEMENTSOF(einval); i++)
                cr_assert_eq(parse_time(einval[i], SEC, &v), -EINVAL, "'%s'", einval[i]);
        cr_assert_eq(parse_time(NULL, SEC, &v), -EINVAL);
        cr_assert_eq(parse_time("-5s", SEC, &v), -ERANGE);
        cr_assert_eq(parse_time("5s -1s", SEC, &v), -ERANGE);
        cr_assert_eq(parse_time("18446744073709551615us", SEC, &v), -ERANGE);   /* == infinity */
        cr_assert_eq(parse_time("18446744073709551616", SEC, &v), -ERANGE);
        cr_assert_eq(parse_time("600000y", SEC, &v), -ERANGE);
        cr_assert_eq(parse_time("500000y 500000y", SEC, &v), -ERANGE);
        cr_assert_eq(v, 77, "ret must not be written on failure");
        cr_assert_eq(parse_time("18446744073709551614us", SEC, &v), 0);
        cr_assert_eq(v, UINT64_MAX - 1);
}

/* ---- parse_percent / parse_cpu_quota ------------------------------------- */

Test(parse_percent, values) {
        unsigned v = 3;

        cr_assert_eq(parse_percent("0%", false, &v), 0);
        cr_assert_eq(v, 0);
        cr_assert_eq(parse_percent("50%", false, &v), 0);
        cr_assert_eq(v, 50);
        cr_assert_eq(parse_percent("100%", false, &v), 0);
        cr_assert_eq(v, 100);
        cr_assert_eq(parse_percent("250%", true, &v), 0);
        cr_assert_eq(v, 250);

        v = 3;
        cr_assert_eq(parse_percent("101%", false, &v), -ERANGE);
        cr_assert_eq(parse_percent("-1%", true, &v), -ERANGE);
        cr_assert_eq(parse_percent("99999999999999999999%", true, &v), -ERANGE);
        cr_assert_eq(parse_percent("4294967296%", true, &v), -ERANGE);
        cr_assert_eq(parse_percent("50", false, &v), -EINVAL);
        cr_assert_eq(parse_percent("%", false, &v), -EINVAL);
        cr_assert_eq(parse_percent("", false, &v), -EINVAL);
        cr_assert_eq(parse_percent("5.5%", false, &v), -EINVAL);
        cr_assert_eq(parse_percent("x%", false, &v), -EINVAL);
        cr_assert_eq(parse_percent("5%%", false, &v), -EINVAL);
        cr_assert_eq(parse_percent(" 5%", false, &v), -EINVAL);
        cr_assert_eq(v, 3);
}

Test(parse_cpu_quota, values) {
        usec_t v = 1;

        cr_assert_eq(parse_cpu_quota("50%", &v), 0);
        cr_assert_eq(v, 500000);
        cr_assert_eq(parse_cpu_quota("100%", &v), 0);
        cr_assert_eq(v, 1000000);
        cr_assert_eq(parse_cpu_quota("150%", &v), 0);
        cr_assert_eq(v, 1500000);
        cr_assert_eq(parse_cpu_quota("400%", &v), 0);
        cr_assert_eq(v, 4000000);
        cr_assert_eq(parse_cpu_quota("12.5%", &v), 0);
        cr_assert_eq(v, 125000);
        cr_assert_eq(parse_cpu_quota("0.01%", &v), 0);
        cr_assert_eq(v, 100);
        cr_assert_eq(parse_cpu_quota("", &v), 0);
        cr_assert_eq(v, USEC_INFINITY);

        v = 1;
        cr_assert_eq(parse_cpu_quota("0%", &v), -ERANGE);
        cr_assert_eq(parse_cpu_quota("-5%", &v), -ERANGE);
        cr_assert_eq(parse_cpu_quota("99999999999999999999%", &v), -ERANGE);
        cr_assert_eq(parse_cpu_quota("50", &v), -EINVAL);
        cr_assert_eq(parse_cpu_quota("half", &v), -EINVAL);
        cr_assert_eq(parse_cpu_quota("1.234%", &v), -EINVAL);
        cr_assert_eq(parse_cpu_quota("5.%", &v), -EINVAL);
        cr_assert_eq(parse_cpu_quota(".5%", &v), -EINVAL);
        cr_assert_eq(parse_cpu_quota("infinity", &v), -EINVAL);
        cr_assert_eq(parse_cpu_quota(NULL, &v), -EINVAL);
        cr_assert_eq(v, 1);
}

/* ---- signals ------------------------------------------------------------- */

Test(signal, names_with_and_without_prefix) {
        static const struct {
                const char *name;
                int sig;
        } table[] = {
                { "HUP", SIGHUP },   { "INT", SIGINT },       { "QUIT", SIGQUIT }, { "ILL", SIGILL },
                { "TRAP", SIGTRAP }, { "ABRT", SIGABRT },     { "BUS", SIGBUS },   { "FPE", SIGFPE },
                { "KILL", SIGKILL }, { "USR1", SIGUSR1 },     { "SEGV", SIGSEGV }, { "USR2", SIGUSR2 },
                { "PIPE", SIGPIPE }, { "ALRM", SIGALRM },     { "TERM", SIGTERM }, { "STKFLT", SIGSTKFLT },
                { "CHLD", SIGCHLD }, { "CONT", SIGCONT },     { "STOP", SIGSTOP }, { "TSTP", SIGTSTP },
                { "TTIN", SIGTTIN }, { "TTOU", SIGTTOU },     { "URG", SIGURG },   { "XCPU", SIGXCPU },
                { "XFSZ", SIGXFSZ }, { "VTALRM", SIGVTALRM }, { "PROF", SIGPROF }, { "WINCH", SIGWINCH },
                { "IO", SIGIO },     { "PWR", SIGPWR },       { "SYS", SIGSYS },
        };
        char buf[32];

        for (size_t i = 0; i < ELEMENTSOF(table); i++) {
                snprintf(buf, sizeof buf, "SIG%s", table[i].name);
                cr_assert_eq(parse_signal(table[i].name), table[i].sig, "%s", table[i].name);
                cr_assert_eq(parse_signal(buf), table[i].sig, "%s", buf);
                cr_assert_str_eq(signal_to_string(table[i].sig), buf);
        }
        /* every standard signal 1..31 has a name */
        for (int s = 1; s < 32; s++) {
                const char *n = signal_to_string(s);
                cr_assert_not_null(n, "signal %d", s);
                cr_assert_eq(parse_signal(n), s);
        }
}

Test(signal, aliases_numbers_rt) {
        cr_assert_eq(parse_signal("SIGIOT"), SIGABRT);
        cr_assert_eq(parse_signal("POLL"), SIGIO);
        cr_assert_eq(parse_signal("CLD"), SIGCHLD);
        cr_assert_eq(parse_signal("9"), 9);
        cr_assert_eq(parse_signal("15"), SIGTERM);
        cr_assert_eq(parse_signal("64"), 64);
        cr_assert_eq(parse_signal("SIGRTMIN"), SIGRTMIN);
        cr_assert_eq(parse_signal("RTMIN+3"), SIGRTMIN + 3);
        cr_assert_eq(parse_signal("SIGRTMAX"), SIGRTMAX);
        cr_assert_eq(parse_signal("RTMAX-1"), SIGRTMAX - 1);
        cr_assert_str_eq(signal_to_string(SIGRTMIN), "SIGRTMIN");
        cr_assert_str_eq(signal_to_string(SIGRTMIN + 2), "SIGRTMIN+2");
        for (int s = SIGRTMIN; s <= SIGRTMAX; s++)
                cr_assert_eq(parse_signal(signal_to_string(s)), s);
}

Test(signal, bad) {
        const char *bad[] = { "", "SIG", "FOO", "SIGFOO", "term", "sigterm", "SIG TERM", "TERM ",
                              "RTMIN+", "RTMINx", "RTMAX+1", "RTMIN-1", "9x", "SIGSIGTERM" };

        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                cr_assert_eq(parse_signal(bad[i]), -EINVAL, "'%s'", bad[i]);
        cr_assert_eq(parse_signal(NULL), -EINVAL);
        cr_assert_eq(parse_signal("0"), -ERANGE);
        cr_assert_eq(parse_signal("65"), -ERANGE);
        cr_assert_eq(parse_signal("99999999999"), -ERANGE);
        cr_assert_eq(parse_signal("RTMIN+99"), -ERANGE);
        cr_assert_null(signal_to_string(0));
        cr_assert_null(signal_to_string(-1));
        cr_assert_null(signal_to_string(65));
        cr_assert_null(signal_to_string(1000));
}

/* ---- formatting ---------------------------------------------------------- */

Test(format, bytes) {
        char buf[64];

        cr_assert_str_eq(format_bytes(buf, sizeof buf, CGROUP_LIMIT_MAX), "infinity");
        cr_assert_str_eq(format_bytes(buf, sizeof buf, 0), "0B");
        cr_assert_str_eq(format_bytes(buf, sizeof buf, 1023), "1023B");
        cr_assert_str_eq(format_bytes(buf, sizeof buf, 1024), "1K");
        cr_assert_str_eq(format_bytes(buf, sizeof buf, 1536), "1.5K");
        cr_assert_str_eq(format_bytes(buf, sizeof buf, 256 * MiB), "256M");
        cr_assert_str_eq(format_bytes(buf, sizeof buf, GiB + GiB / 2), "1.5G");
        cr_assert_str_eq(format_bytes(buf, sizeof buf, GiB - 1), "1023.9M");
        cr_assert_str_eq(format_bytes(buf, sizeof buf, 3 * TiB), "3T");
        cr_assert_str_eq(format_bytes(buf, sizeof buf, 15 * EiB), "15E");
        cr_assert_str_eq(format_bytes(buf, sizeof buf, UINT64_MAX - 1), "15.9E");
        cr_assert_eq(format_bytes(buf, sizeof buf, 1), buf);
}

Test(format, bytes_roundtrip) {
        const uint64_t values[] = { 0, 1, 512, KiB, 4 * KiB, 256 * MiB, 2 * GiB, 7 * TiB, 3 * PiB, 15 * EiB,
                                    GiB + GiB / 2, MiB / 2 * 3 };
        char buf[64];

        for (size_t i = 0; i < ELEMENTSOF(values); i++) {
                uint64_t v;

                format_bytes(buf, sizeof buf, values[i]);
                cr_assert_eq(parse_size(buf, 0, &v), 0, "%s", buf);
                cr_assert_eq(v, values[i], "%s", buf);
        }
}

Test(format, timespan) {
        char buf[64];

        cr_assert_str_eq(format_timespan(buf, sizeof buf, USEC_INFINITY), "infinity");
        cr_assert_str_eq(format_timespan(buf, sizeof buf, 0), "0");
        cr_assert_str_eq(format_timespan(buf, sizeof buf, 1), "1us");
        cr_assert_str_eq(format_timespan(buf, sizeof buf, 100 * MSEC), "100ms");
        cr_assert_str_eq(format_timespan(buf, sizeof buf, 90 * SEC), "1min 30s");
        cr_assert_str_eq(format_timespan(buf, sizeof buf, 1500 * MSEC), "1s 500ms");
        cr_assert_str_eq(format_timespan(buf, sizeof buf, 2 * HOUR), "2h");
        cr_assert_str_eq(format_timespan(buf, sizeof buf, DAY + HOUR + 1), "1d 1h 1us");
        cr_assert_str_eq(format_timespan(buf, sizeof buf, 2 * WEEK + 3 * DAY), "2w 3d");
        format_timespan(buf, sizeof buf, UINT64_MAX - 1);
        cr_assert_eq(buf[0], '3', "%s", buf);
        cr_assert_lt(strlen(buf), 64);

        /* a small buffer truncates, never overflows */
        char small[8];
        format_timespan(small, sizeof small, DAY + HOUR + MINUTE);
        cr_assert_lt(strlen(small), sizeof small);
}

Test(format, timespan_roundtrip) {
        const usec_t values[] = { 0, 1, 999, MSEC, 100 * MSEC, SEC, 90 * SEC, HOUR + 1, DAY * 400 + 7,
                                  UINT64_MAX - 1, USEC_INFINITY };
        char buf[64];

        for (size_t i = 0; i < ELEMENTSOF(values); i++) {
                usec_t v;

                format_timespan(buf, sizeof buf, values[i]);
                cr_assert_eq(parse_time(buf, SEC, &v), 0, "%s", buf);
                cr_assert_eq(v, values[i], "%s", buf);
        }
}

Test(parse, mode) {
        unsigned m = 1;

        cr_assert_eq(parse_mode("0660", 07777, &m), 0);
        cr_assert_eq(m, 0660);
        cr_assert_eq(parse_mode("027", 0777, &m), 0);
        cr_assert_eq(m, 027);
        cr_assert_eq(parse_mode("7777", 07777, &m), 0);
        cr_assert_eq(m, 07777);
        cr_assert_eq(parse_mode("1777", 0777, &m), -ERANGE);
        m = 5;
        for (const char *const *s = (const char *const[]) { "", "8", "0x1", "-1", "+1", " 1", "01a", "9", NULL }; *s; s++)
                cr_assert_eq(parse_mode(*s, 07777, &m), -EINVAL, "'%s'", *s);
        cr_assert_eq(parse_mode(NULL, 07777, &m), -EINVAL);
        cr_assert_eq(m, 5, "unchanged on failure");
}
