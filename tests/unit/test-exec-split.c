/* SPDX-License-Identifier: MIT */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/exec-split.h"
#include "shared/macro.h"
#include "shared/strv.h"

/* ---- split_quoted -------------------------------------------------------- */

static void assert_words(char **l, const char *const *expected) {
        size_t n = 0;

        while (expected[n])
                n++;
        cr_assert_eq(strv_length(l), n, "got %zu words, expected %zu", strv_length(l), n);
        for (size_t i = 0; i < n; i++)
                cr_assert_str_eq(l[i], expected[i], "word %zu", i);
}

#define WORDS(...) ((const char *const[]) { __VA_ARGS__, NULL })

static void split_ok(const char *s, const char *const *expected) {
        _cleanup_(strv_freep) char **l = NULL;
        int r = split_quoted(s, &l);

        cr_assert_eq(r, 0, "split_quoted(\"%s\") = %d", s, r);
        cr_assert_not_null(l);
        assert_words(l, expected);
}

Test(split_quoted, good) {
        split_ok("a b  c", WORDS("a", "b", "c"));
        split_ok("  leading\ttabs\n", WORDS("leading", "tabs"));
        split_ok("\"double quoted\" 'single quoted'", WORDS("double quoted", "single quoted"));
        split_ok("a\"b c\"d", WORDS("ab cd"));
        split_ok("\"\" ''", WORDS("", ""));
        split_ok("'\\n stays' \"\\n goes\"", WORDS("\\n stays", "\n goes"));
        split_ok("\\x41\\x62 \\t\\\\", WORDS("Ab", "\t\\"));
        split_ok("\"say \\\"hi\\\"\"", WORDS("say \"hi\""));
        split_ok("'it'\\''s'", WORDS("it's"));
        split_ok("a\\ b", WORDS("a b"));
        split_ok("\\101\\s\\;", WORDS("A ;"));
        split_ok("FOO=bar \"BAZ=with space\"", WORDS("FOO=bar", "BAZ=with space"));
        split_ok("%n %% %x", WORDS("%n", "%%", "%x"));  /* no specifiers here */
}

Test(split_quoted, empty) {
        _cleanup_(strv_freep) char **l = NULL, **m = NULL;

        cr_assert_eq(split_quoted("", &l), 0);
        cr_assert_not_null(l);
        cr_assert_null(l[0]);
        cr_assert_eq(split_quoted("   ", &m), 0);
        cr_assert_eq(strv_length(m), 0);
}

Test(split_quoted, bad) {
        static const struct {
                const char *s;
                const char *why;
        } bad[] = {
                { "\"unterminated", "unterminated double quote" },
                { "a 'unterminated", "unterminated single quote" },
                { "trailing\\", "trailing backslash" },
                { "\\q", "invalid escape sequence" },
                { "\\x4", "invalid escape sequence" },
                { "\\xZZ", "invalid escape sequence" },
                { "\\x00", "invalid escape sequence" },
                { "\\000", "invalid escape sequence" },
                { "\\8", "invalid escape sequence" },
        };

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                char **l = (char **) 0x1;
                const char *why = NULL;

                cr_assert_eq(split_quoted_full(bad[i].s, &l, &why), -EINVAL, "'%s'", bad[i].s);
                cr_assert_eq(l, (char **) 0x1, "ret must not be written on failure");
                cr_assert_str_eq(why, bad[i].why, "'%s'", bad[i].s);
                cr_assert_eq(split_quoted(bad[i].s, &l), -EINVAL);
        }
}

/* ---- exec_split ---------------------------------------------------------- */

static char **exec_ok(const char *s, const char *name) {
        char **l = NULL;
        const char *why = "(none)";
        int r = exec_split_full(s, name, &l, &why);

        cr_assert_eq(r, 0, "exec_split(\"%s\") = %d (%s)", s, r, why);
        cr_assert_not_null(l);
        return l;
}

static void exec_bad(const char *s, int error, const char *why_part) {
        char **l = (char **) 0x1;
        const char *why = NULL;
        int r = exec_split_full(s, "web", &l, &why);

        cr_assert_eq(r, error, "exec_split(\"%s\") = %d, expected %d", s, r, error);
        cr_assert_eq(l, (char **) 0x1, "ret must not be written on failure");
        cr_assert_not_null(why, "'%s'", s);
        cr_assert_not_null(strstr(why, why_part), "'%s': reason '%s'", s, why);
        cr_assert_eq(exec_split(s, "web", &l), error);
}

Test(exec_split, absolute) {
        _cleanup_(strv_freep) char **l = exec_ok("/usr/bin/thumbd --stdin", "web");
        _cleanup_(strv_freep) char **m = exec_ok("  /nonexistent/prog  ", "web");

        assert_words(l, WORDS("/usr/bin/thumbd", "--stdin"));
        assert_words(m, WORDS("/nonexistent/prog"));   /* absolute paths are not checked */
}

Test(exec_split, quoting_and_escapes) {
        _cleanup_(strv_freep) char **a = exec_ok("/bin/echo \"a b\" 'c d' e\\ f", "web");
        _cleanup_(strv_freep) char **b = exec_ok("/bin/echo '\\t' \"\\t\" \\t", "web");
        _cleanup_(strv_freep) char **c = exec_ok("/bin/echo \"\" x\"y\"z \\x41", "web");
        _cleanup_(strv_freep) char **d = exec_ok("/bin/echo ';' \\;", "web");
        _cleanup_(strv_freep) char **e = exec_ok("\"/bin/echo\" $HOME ${X}", "web");

        assert_words(a, WORDS("/bin/echo", "a b", "c d", "e f"));
        assert_words(b, WORDS("/bin/echo", "\\t", "\t", "\t"));
        assert_words(c, WORDS("/bin/echo", "", "xyz", "A"));
        assert_words(d, WORDS("/bin/echo", ";", ";"));
        assert_words(e, WORDS("/bin/echo", "$HOME", "${X}"));
}

Test(exec_split, specifiers) {
        _cleanup_(strv_freep) char **a = exec_ok("/usr/bin/srv --name=%n --pct=100%% %n%n", "web");
        _cleanup_(strv_freep) char **b = exec_ok("/srv/%n/bin/run '%n' \"%%n\"", "api.v2");

        assert_words(a, WORDS("/usr/bin/srv", "--name=web", "--pct=100%", "webweb"));
        assert_words(b, WORDS("/srv/api.v2/bin/run", "api.v2", "%n"));
}

Test(exec_split, bad_specifiers) {
        exec_bad("/bin/echo %i", -EINVAL, "specifier");
        exec_bad("/bin/echo %", -EINVAL, "specifier");
        exec_bad("/bin/echo 100%", -EINVAL, "specifier");
        exec_bad("/bin/echo %N", -EINVAL, "specifier");
        exec_bad("/bin/echo '%h'", -EINVAL, "specifier");
}

Test(exec_split, path_lookup) {
        _cleanup_(strv_freep) char **l = exec_ok("sleep 10", "web");
        _cleanup_(strv_freep) char **m = exec_ok("\"true\"", "web");

        cr_assert(streq(l[0], "/usr/bin/sleep") || streq(l[0], "/bin/sleep"), "got %s", l[0]);
        cr_assert_eq(access(l[0], X_OK), 0);
        assert_words(l + 1, WORDS("10"));
        cr_assert(streq(m[0], "/usr/bin/true") || streq(m[0], "/bin/true"), "got %s", m[0]);
        cr_assert_eq(strv_length(m), 1);
}

Test(exec_split, path_lookup_failures) {
        exec_bad("no-such-program-workerpoold-test --x", -ENOENT, "not found");
        exec_bad("bin/sleep 1", -EINVAL, "absolute");
        exec_bad("./sleep 1", -EINVAL, "absolute");
        exec_bad("/usr/bin/../bin/sleep", -EINVAL, "absolute");
        exec_bad("/usr//bin/sleep", -EINVAL, "absolute");
        exec_bad("/usr/bin/", -EINVAL, "absolute");
        exec_bad("'' foo", -EINVAL, "empty program");
}

Test(exec_split, bad_syntax) {
        exec_bad("", -EINVAL, "empty");
        exec_bad("   ", -EINVAL, "empty");
        exec_bad("/bin/echo \"unterminated", -EINVAL, "unterminated double quote");
        exec_bad("/bin/echo 'unterminated", -EINVAL, "unterminated single quote");
        exec_bad("/bin/echo \\q", -EINVAL, "escape");
        exec_bad("/bin/echo x\\", -EINVAL, "trailing backslash");
        exec_bad("-/bin/false", -EINVAL, "prefix");
        exec_bad("@/bin/sleep sleep", -EINVAL, "prefix");
        exec_bad("+/bin/true", -EINVAL, "prefix");
        exec_bad("!/bin/true", -EINVAL, "prefix");
        exec_bad(":/bin/true", -EINVAL, "prefix");
        exec_bad("/bin/true ; /bin/false", -EINVAL, "several commands");
}

Test(exec_split, no_name) {
        _cleanup_(strv_freep) char **l = NULL;

        cr_assert_eq(exec_split("/bin/echo %n", NULL, &l), -EINVAL);
        cr_assert_null(l);
        cr_assert_eq(exec_split("/bin/echo %%", NULL, &l), 0);
        assert_words(l, WORDS("/bin/echo", "%"));
}

Test(path, is_absolute_normalized) {
        cr_assert(path_is_absolute_normalized("/"));
        cr_assert(path_is_absolute_normalized("/usr/bin/x"));
        cr_assert(path_is_absolute_normalized("/a/.hidden/..x/x.."));
        cr_assert_not(path_is_absolute_normalized(NULL));
        cr_assert_not(path_is_absolute_normalized(""));
        cr_assert_not(path_is_absolute_normalized("usr/bin"));
        cr_assert_not(path_is_absolute_normalized("//usr"));
        cr_assert_not(path_is_absolute_normalized("/usr/"));
        cr_assert_not(path_is_absolute_normalized("/usr/./bin"));
        cr_assert_not(path_is_absolute_normalized("/usr/../bin"));
        cr_assert_not(path_is_absolute_normalized("/usr/.."));
        cr_assert_not(path_is_absolute_normalized("/."));
}


/* ---- exec_expand_env ------------------------------------------------------ */

static char **expand(const char *const *argv, const char *const *env) {
        char **l = NULL;

        cr_assert_eq(exec_expand_env((char *const *) argv, (char *const *) env, &l), 0);
        return l;
}

Test(exec_expand, like_systemd) {
        const char *env[] = { "PORT=8080", "ID=7", "ARGS=-a  -b c", "EMPTY=", "SPACED=one two", NULL };
        const char *argv[] = { "/bin/srv$$", "--port=${PORT}", "$ARGS", "${SPACED}", "$SPACED", "$UNSET",
                               "x${UNSET}y", "$$HOME", "cost=$$5", "$PORT-not-a-name", "${ID}.sock",
                               "${", "$", "$EMPTY", "${EMPTY}", NULL };
        _cleanup_(strv_freep) char **l = expand(argv, env);
        const char *want[] = { "/bin/srv$$",    /* argv[0] is never expanded */
                               "--port=8080", "-a", "-b", "c", "one two", "one", "two",
                               /* $UNSET: no word */
                               "xy", "$HOME", "cost=$5", "$PORT-not-a-name", "7.sock", "${", "$",
                               /* $EMPTY: no word */ "", NULL };

        cr_assert_eq(strv_length(l), strv_length((char **) want), "%zu words", strv_length(l));
        for (size_t i = 0; want[i]; i++)
                cr_assert_str_eq(l[i], want[i], "word %zu", i);
}
