/* SPDX-License-Identifier: MIT */
#pragma once

/* Words as systemd's unit files split them: ExecStart= (quotes, C escapes,
 * specifiers, the search path) and the other lists of words. Pure
 * functions, return 0 or -errno; ret_* written only on success. */

#include <stdbool.h>

/* ExecStart= argv splitting as systemd does: whitespace separates words;
 * "double" and 'single' quotes; C escapes (\n \t \\ \" \' \xNN) outside single
 * quotes; "%%" -> "%", "%n" -> `name`, other specifiers are an error. The
 * first word must be an absolute path, or a plain name found in
 * /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin (resolved to
 * the absolute path). Prefixes (-@:+!) are refused. */
int exec_split(const char *s, const char *name, char ***ret_argv);
/* Split a line into words with the same quoting (no specifiers, no path rule):
 * for Environment= and exit status lists. */
int split_quoted(const char *s, char ***ret_words);
/* Same as exec_split() and split_quoted(), and on failure also point
 * *ret_reason (if not NULL) at a static human-readable reason, e.g.
 * "unterminated double quote", for error messages. */
int exec_split_full(const char *s, const char *name, char ***ret_argv, const char **ret_reason);
int split_quoted_full(const char *s, char ***ret_words, const char **ret_reason);
/* Absolute, without "//", "." or ".." components, no trailing '/' (except "/"). */
bool path_is_absolute_normalized(const char *p);

/* Environment variables in ExecStart=, as systemd.service(5) says, at each
 * start with the worker's environment (KEY=VALUE strv): a word that is
 * exactly "$NAME" becomes the value split at whitespace (zero or more
 * words; none if unset); "${NAME}" anywhere in a word becomes the value as
 * it is (empty if unset); "$$" is a "$". Anything else stays as written.
 * argv[0], the program, is never expanded. */
int exec_expand_env(char *const *argv, char *const *env, char ***ret);
