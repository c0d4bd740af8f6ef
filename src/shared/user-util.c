/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>

#include "macro.h"
#include "parse-util.h"
#include "user-util.h"

/* getpwnam_r() and friends want a buffer; a group with many members needs
 * a large one (ERANGE: try twice the size). */
#define NSS_BUFFER_START 4096u
#define NSS_BUFFER_MAX   (1024u * 1024u)

int user_lookup(const char *user, UserEntry *ret) {
        struct passwd pw, *pwp = NULL;
        uint32_t id;
        bool numeric = parse_uint32(user, &id) >= 0;
        int r;

        for (size_t size = NSS_BUFFER_START; size <= NSS_BUFFER_MAX; size *= 2) {
                _cleanup_(freep) char *buf = malloc(size);

                if (!buf)
                        return -ENOMEM;
                r = numeric ? getpwuid_r((uid_t) id, &pw, buf, size, &pwp)
                            : getpwnam_r(user, &pw, buf, size, &pwp);
                if (r == ERANGE)
                        continue;
                if (r != 0)
                        return -r;
                if (!pwp)
                        return -ESRCH;
                *ret = (UserEntry) { .uid = pw.pw_uid, .gid = pw.pw_gid };
                snprintf(ret->name, sizeof ret->name, "%s", pw.pw_name);
                snprintf(ret->home, sizeof ret->home, "%s", pw.pw_dir ?: "/");
                snprintf(ret->shell, sizeof ret->shell, "%s", pw.pw_shell ?: "/bin/sh");
                return 0;
        }
        return -ERANGE;
}

int group_lookup(const char *group, gid_t *ret) {
        struct group gr, *grp = NULL;
        uint32_t id;
        bool numeric = parse_uint32(group, &id) >= 0;
        int r;

        for (size_t size = NSS_BUFFER_START; size <= NSS_BUFFER_MAX; size *= 2) {
                _cleanup_(freep) char *buf = malloc(size);

                if (!buf)
                        return -ENOMEM;
                r = numeric ? getgrgid_r((gid_t) id, &gr, buf, size, &grp)
                            : getgrnam_r(group, &gr, buf, size, &grp);
                if (r == ERANGE)
                        continue;
                if (r != 0)
                        return -r;
                if (!grp)
                        return -ESRCH;
                *ret = gr.gr_gid;
                return 0;
        }
        return -ERANGE;
}
