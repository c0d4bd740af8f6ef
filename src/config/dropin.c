/* SPDX-License-Identifier: MIT */
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../shared/fd-util.h"
#include "../shared/macro.h"
#include "dropin.h"

#define DROPIN_SIZE_MAX 65536

static void put_assignment(FILE *f, const char *key, const char *value) {
        fprintf(f, "%s=%s\n", key, value);
}

static const char *line_key_end(const char *l, size_t len) {
        const char *eq = memchr(l, '=', len);

        if (!eq)
                return NULL;
        while (eq > l && (eq[-1] == ' ' || eq[-1] == '\t'))
                eq--;
        return eq;
}

int dropin_text_set(const char *old, const char *section, const char *key, const char *value,
                    char **ret) {
        _cleanup_(freep) char *data = NULL;
        size_t size = 0;
        FILE *f;
        bool in_section = false, done = false;
        size_t klen = strlen(key), slen = strlen(section);
        const char *p = old ?: "";

        if (isempty(section) || isempty(key) || !value)
                return -EINVAL;
        f = open_memstream(&data, &size);
        if (!f)
                return -ENOMEM;
        if (!old)
                fputs("# Written by workerpoold (SetProperties, workerpoolctl set-property).\n", f);

        while (*p) {
                const char *nl = strchr(p, '\n');
                size_t len = nl ? (size_t) (nl - p) : strlen(p);
                const char *s = p, *kend;

                while (s < p + len && (*s == ' ' || *s == '\t'))
                        s++;
                if (*s == '[') {
                        /* Leaving our section without having seen the key: add it at its end. */
                        if (in_section && !done) {
                                put_assignment(f, key, value);
                                done = true;
                        }
                        in_section = (size_t) (p + len - s) >= slen + 2 && strneq(s + 1, section, slen) &&
                                     s[slen + 1] == ']';
                } else if (in_section && !done && (kend = line_key_end(s, (size_t) (p + len - s))) &&
                           (size_t) (kend - s) == klen && strneq(s, key, klen)) {
                        put_assignment(f, key, value);
                        done = true;
                        p += len + (nl ? 1 : 0);
                        continue;
                } else if (in_section && done && (kend = line_key_end(s, (size_t) (p + len - s))) &&
                           (size_t) (kend - s) == klen && strneq(s, key, klen)) {
                        /* a later duplicate would win over ours: drop it */
                        p += len + (nl ? 1 : 0);
                        continue;
                }
                fwrite(p, 1, len, f);
                fputs("\n", f);
                p += len + (nl ? 1 : 0);
        }
        if (!done) {
                if (!in_section) {
                        fputs("[", f);
                        fputs(section, f);
                        fputs("]\n", f);
                }
                put_assignment(f, key, value);
        }
        if (fclose(f) != 0 || !data)
                return -ENOMEM;
        *ret = TAKE_PTR(data);
        return 0;
}

static int read_file_small(const char *path, char **ret) {
        _cleanup_(closep) int fd = -EBADF;
        _cleanup_(freep) char *buf = NULL;
        size_t n = 0;
        ssize_t k;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return -errno;
        buf = malloc(DROPIN_SIZE_MAX + 1);
        if (!buf)
                return -ENOMEM;
        while ((k = read(fd, buf + n, DROPIN_SIZE_MAX - n)) > 0)
                n += (size_t) k;
        if (k < 0)
                return -errno;
        if (n >= DROPIN_SIZE_MAX)
                return -EFBIG;
        buf[n] = 0;
        *ret = TAKE_PTR(buf);
        return 0;
}

static int write_file_atomic(const char *dir, const char *name, const char *text) {
        _cleanup_(freep) char *tmp = NULL, *path = NULL;
        size_t n = strlen(text);
        int fd, r = 0;

        if (asprintf(&tmp, "%s/.#%sXXXXXX", dir, name) < 0 || asprintf(&path, "%s/%s", dir, name) < 0)
                return -ENOMEM;
        fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (fchmod(fd, 0644) < 0 || write(fd, text, n) != (ssize_t) n || fsync(fd) < 0)
                r = errno > 0 ? -errno : -EIO;
        safe_close(fd);
        if (r == 0 && rename(tmp, path) < 0)
                r = -errno;
        if (r < 0)
                (void) unlink(tmp);
        return r;
}

int dropin_persist(const char *config_dir, const char *pool, const DropinAssignment *a, size_t n,
                   char **ret_path, const char **ret_what) {
        _cleanup_(freep) char *dir = NULL, *path = NULL, *text = NULL;
        int r;

        if (asprintf(&dir, "%s/%s.pool.d", config_dir, pool) < 0 ||
            asprintf(&path, "%s/" DROPIN_SET_PROPERTY, dir) < 0)
                return -ENOMEM;

        *ret_what = "read";
        r = read_file_small(path, &text);
        if (r < 0 && r != -ENOENT && r != -ENOTDIR)     /* none yet */
                goto fail;
        for (size_t i = 0; i < n; i++) {
                char *t = NULL;

                r = dropin_text_set(text, a[i].section, a[i].key, a[i].value, &t);
                if (r < 0)
                        return r;
                free(text);
                text = t;
        }
        *ret_what = "create the directory of";
        r = mkdir_p_at(AT_FDCWD, dir, 0755);
        if (r < 0)
                goto fail;
        *ret_what = "write";
        r = write_file_atomic(dir, DROPIN_SET_PROPERTY, text);
        if (r < 0)
                goto fail;
        *ret_path = TAKE_PTR(path);
        return 0;
fail:
        *ret_path = TAKE_PTR(path);
        return r;
}
