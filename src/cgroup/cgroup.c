/* SPDX-License-Identifier: MIT */
#include <fcntl.h>
#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../shared/fd-util.h"
#include "cgroup.h"

static const char *const controller_names[_CGROUP_CONTROLLER_MAX] = {
        [CGROUP_CONTROLLER_CPU] = "cpu",
        [CGROUP_CONTROLLER_MEMORY] = "memory",
        [CGROUP_CONTROLLER_PIDS] = "pids",
        [CGROUP_CONTROLLER_IO] = "io",
};

const char *cgroup_controller_to_string(CgroupController c) {
        if (c < 0 || c >= _CGROUP_CONTROLLER_MAX)
                return NULL;
        return controller_names[c];
}

/* The first cgroup2 mount in /proc/self/mountinfo ("ID PARENT MAJ:MIN ROOT
 * MOUNTPOINT OPTS [OPTIONAL...] - FSTYPE SOURCE SUPER"): its mount point and
 * the root of the hierarchy it shows (not "/" for a bind mount of a
 * subtree). mountinfo escapes spaces etc. as \040: a mount point with one is
 * skipped, keep it simple. */
static int cgroup2_mountinfo(char **ret_mountpoint, char **ret_root) {
        _cleanup_(freep) char *buf = NULL;
        char *line, *save = NULL;
        int r;

        r = read_full_file_at(AT_FDCWD, "/proc/self/mountinfo", &buf);
        if (r < 0)
                return r;
        for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char root[4096], mountpoint[4096], *sep = strstr(line, " - ");

                if (!sep || !strneq(sep + 3, "cgroup2 ", 8))
                        continue;
                if (sscanf(line, "%*s %*s %*s %4095s %4095s", root, mountpoint) != 2 ||
                    strchr(mountpoint, '\\'))
                        continue;
                if (ret_mountpoint && !(*ret_mountpoint = strdup(mountpoint)))
                        return -ENOMEM;
                if (ret_root && !(*ret_root = strdup(root))) {
                        if (ret_mountpoint)
                                *ret_mountpoint = mfree(*ret_mountpoint);
                        return -ENOMEM;
                }
                return 0;
        }
        return -ENOMEDIUM;
}

int cgroup_find_mount(char **ret_path) {
        return cgroup2_mountinfo(ret_path, NULL);
}

static int count_components(const char *path) {
        int n = 0;

        for (const char *s = path; *s; ) {
                s += strspn(s, "/");
                if (!*s)
                        break;
                n++;
                s += strcspn(s, "/");
        }
        return n;
}

int cgroup_get_level(const char *path, int *ret) {
        _cleanup_(freep) char *root = NULL;
        struct stat ns;
        int r;

        /* The initial cgroup namespace has a fixed inode number (the
         * kernel's PROC_CGROUP_INIT_INO); /proc/1/ns may not be ours to
         * look at. */
        if (stat("/proc/self/ns/cgroup", &ns) < 0)
                return -errno;
        if (ns.st_ino != 0xEFFFFFFBu)
                return -EOPNOTSUPP;
        r = cgroup2_mountinfo(NULL, &root);
        if (r < 0)
                return r;
        if (strchr(root, '\\'))
                return -EOPNOTSUPP;
        *ret = count_components(root) + count_components(path);
        return 0;
}

int cgroup_pid_get_path(pid_t pid, char **ret_path) {
        _cleanup_(freep) char *buf = NULL;
        char path[64], *line, *save = NULL;
        int r;

        if (pid == 0)
                snprintf(path, sizeof path, "/proc/self/cgroup");
        else
                snprintf(path, sizeof path, "/proc/%d/cgroup", (int) pid);
        r = read_full_file_at(AT_FDCWD, path, &buf);
        if (r < 0)
                return r;
        for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
                if (strneq(line, "0::", 3)) {
                        *ret_path = strdup(line + 3);
                        return *ret_path ? 0 : -ENOMEM;
                }
        return -ENOMEDIUM;
}

int cgroup_open(int dirfd, const char *name, int *ret_fd) {
        int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);

        if (fd < 0)
                return -errno;
        *ret_fd = fd;
        return 0;
}

int cgroup_create(int dirfd, const char *name, bool exist_ok, int *ret_fd) {
        if (mkdirat(dirfd, name, 0755) < 0 && (errno != EEXIST || !exist_ok))
                return -errno;
        return cgroup_open(dirfd, name, ret_fd);
}

int cgroup_remove(int dirfd, const char *name) {
        if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0)
                return -errno;
        return 0;
}

static int cgroup_remove_below(int fd, unsigned depth) {
        struct dirent *de;
        int dfd, r, ret = 0;
        DIR *d;

        dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return -errno;
        d = fdopendir(dfd);
        if (!d) {
                safe_close(dfd);
                return -errno;
        }
        while ((de = readdir(d))) {
                _cleanup_(closep) int child = -EBADF;

                if (de->d_type != DT_DIR || streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                if (depth >= CGROUP_REMOVE_MAX_DEPTH) {
                        ret = -ELOOP;
                        break;
                }
                r = cgroup_open(fd, de->d_name, &child);
                if (r >= 0)
                        r = cgroup_remove_below(child, depth + 1);
                if (r >= 0 || r == -ENOENT)
                        r = cgroup_remove(fd, de->d_name);
                if (r < 0 && r != -ENOENT && ret == 0)
                        ret = r;
        }
        closedir(d);
        return ret;
}

int cgroup_remove_recursive(int dirfd, const char *name) {
        _cleanup_(closep) int fd = -EBADF;
        int r;

        r = cgroup_open(dirfd, name, &fd);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        r = cgroup_remove_below(fd, 1);
        if (r == -ELOOP)
                return r;
        r = cgroup_remove(dirfd, name);
        return r == -ENOENT ? 0 : r;
}

static int parse_mask(const char *s, CgroupMask *ret) {
        CgroupMask m = 0;
        char buf[256], *w, *save = NULL;

        snprintf(buf, sizeof buf, "%s", s);
        for (w = strtok_r(buf, " \n", &save); w; w = strtok_r(NULL, " \n", &save))
                for (CgroupController c = 0; c < _CGROUP_CONTROLLER_MAX; c++)
                        if (streq(w, controller_names[c]))
                                m |= CGROUP_MASK(c);
        *ret = m;
        return 0;
}

int cgroup_get_controllers(int fd, CgroupMask *ret) {
        char buf[256];
        int r = read_file_at(fd, "cgroup.controllers", buf, sizeof buf, NULL);

        return r < 0 ? r : parse_mask(buf, ret);
}

int cgroup_get_subtree_control(int fd, CgroupMask *ret) {
        char buf[256];
        int r = read_file_at(fd, "cgroup.subtree_control", buf, sizeof buf, NULL);

        return r < 0 ? r : parse_mask(buf, ret);
}

int cgroup_enable_controllers(int fd, CgroupMask mask) {
        char buf[128] = "";
        size_t n = 0;

        for (CgroupController c = 0; c < _CGROUP_CONTROLLER_MAX; c++)
                if (mask & CGROUP_MASK(c))
                        n += snprintf(buf + n, sizeof buf - n, "%s+%s", n ? " " : "",
                                      controller_names[c]);
        if (n == 0)
                return 0;
        return write_file_at(fd, "cgroup.subtree_control", buf);
}

int cgroup_attach(int fd, pid_t pid) {
        char buf[32];

        snprintf(buf, sizeof buf, "%d", (int) pid);
        return write_file_at(fd, "cgroup.procs", buf);
}

int cgroup_kill(int fd) {
        return write_file_at(fd, "cgroup.kill", "1");
}

int cgroup_read_key(int fd, const char *file, const char *key, uint64_t *ret) {
        char buf[4096], *p;
        size_t k = strlen(key);
        int r;

        r = read_file_at(fd, file, buf, sizeof buf, NULL);
        if (r < 0)
                return r;
        for (p = buf; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
                if (strneq(p, key, k) && p[k] == ' ') {
                        char *end;
                        unsigned long long v;

                        errno = 0;
                        v = strtoull(p + k + 1, &end, 10);
                        if (errno != 0 || end == p + k + 1)
                                return -EINVAL;
                        *ret = v;
                        return 0;
                }
        return -ENOKEY;
}

int cgroup_read_u64(int fd, const char *file, uint64_t *ret) {
        char buf[64], *end;
        unsigned long long v;
        int r;

        r = read_file_at(fd, file, buf, sizeof buf, NULL);
        if (r < 0)
                return r;
        if (strneq(buf, "max", 3)) {
                *ret = CGROUP_LIMIT_MAX;
                return 0;
        }
        errno = 0;
        v = strtoull(buf, &end, 10);
        if (errno != 0 || end == buf)
                return -EINVAL;
        *ret = v;
        return 0;
}

int cgroup_is_populated(int fd) {
        uint64_t v;
        int r = cgroup_read_key(fd, "cgroup.events", "populated", &v);

        return r < 0 ? r : v > 0;
}

int cgroup_get_id(int fd, uint64_t *ret) {
        struct stat st;

        if (fstat(fd, &st) < 0)
                return -errno;
        *ret = st.st_ino;
        return 0;
}

int cgroup_write(int fd, const char *file, const char *value) {
        return write_file_at(fd, file, value);
}

static void format_limit(char *buf, size_t n, uint64_t v) {
        if (v == CGROUP_LIMIT_MAX)
                snprintf(buf, n, "max");
        else
                snprintf(buf, n, "%" PRIu64, v);
}

int cgroup_apply_limits(int fd, CgroupMask mask, const CgroupLimits *l) {
        char buf[64];
        int r, ret = 0;

#define APPLY(file, value)                                       \
        do {                                                     \
                r = cgroup_write(fd, file, value);               \
                if (r < 0 && ret == 0)                           \
                        ret = r;                                 \
        } while (0)

        if (mask & CGROUP_MASK(CGROUP_CONTROLLER_MEMORY)) {
                format_limit(buf, sizeof buf, l->memory_high);
                APPLY("memory.high", buf);
                format_limit(buf, sizeof buf, l->memory_max);
                APPLY("memory.max", buf);
                format_limit(buf, sizeof buf, l->memory_swap_max);
                r = cgroup_write(fd, "memory.swap.max", buf);
                if (r < 0 && r != -ENOENT && ret == 0)   /* no swap accounting */
                        ret = r;
                /* One worker incarnation is one unit for the OOM killer. */
                r = cgroup_write(fd, "memory.oom.group", "1");
                if (r < 0 && r != -ENOENT && ret == 0)
                        ret = r;
        }
        if (mask & CGROUP_MASK(CGROUP_CONTROLLER_CPU)) {
                if (l->cpu_quota_per_sec_usec == USEC_INFINITY)
                        snprintf(buf, sizeof buf, "max 100000");
                else   /* quota per 100ms period, at least 1ms as the kernel demands */
                        snprintf(buf, sizeof buf, "%" PRIu64 " 100000",
                                 MAX(l->cpu_quota_per_sec_usec / 10, (uint64_t) 1000));
                APPLY("cpu.max", buf);
                snprintf(buf, sizeof buf, "%" PRIu64, l->cpu_weight);
                APPLY("cpu.weight", buf);
        }
        if (mask & CGROUP_MASK(CGROUP_CONTROLLER_PIDS)) {
                format_limit(buf, sizeof buf, l->tasks_max);
                APPLY("pids.max", buf);
        }
#undef APPLY
        return ret;
}

static int cgroup_reap_one(int parent_fd, const char *name) {
        _cleanup_(closep) int fd = -EBADF;
        unsigned dummy;
        int r;

        r = cgroup_open(parent_fd, name, &fd);
        if (r < 0)
                return r == -ENOENT ? 0 : r;
        (void) cgroup_reap_children(fd, "", &dummy);
        if (cgroup_is_populated(fd) > 0) {
                (void) cgroup_kill(fd);
                for (int k = 0; k < 200 && cgroup_is_populated(fd) > 0; k++)
                        (void) usleep(10 * 1000);
        }
        return cgroup_remove(parent_fd, name);
}

int cgroup_reap_children(int fd, const char *suffix, unsigned *ret_n) {
        return cgroup_reap_children_except(fd, suffix, NULL, NULL, ret_n);
}

int cgroup_reap_children_except(int fd, const char *suffix, bool (*keep)(const char *name, void *userdata),
                                void *userdata, unsigned *ret_n) {
        _cleanup_(closep) int dfd = -EBADF;
        size_t k = strlen(suffix);
        unsigned n = 0;
        DIR *d;
        struct dirent *de;
        int r, ret = 0;

        dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return -errno;
        d = fdopendir(dfd);
        if (!d)
                return -errno;
        dfd = -EBADF;   /* owned by d now */
        while ((de = readdir(d))) {
                size_t l = strlen(de->d_name);

                if (de->d_type != DT_DIR || de->d_name[0] == '.' || l < k ||
                    !streq(de->d_name + l - k, suffix))
                        continue;
                if (keep && keep(de->d_name, userdata))
                        continue;
                r = cgroup_reap_one(fd, de->d_name);
                if (r < 0 && ret == 0)
                        ret = r;
                else if (r >= 0)
                        n++;
        }
        closedir(d);
        if (ret_n)
                *ret_n = n;
        return ret;
}

int pressure_parse(const char *text, Pressure *ret) {
        Pressure r = {};
        const char *p = text;

        if (!text)
                return -EINVAL;
        while (*p) {
                double a10, a60, a300;
                unsigned long long total;
                char kind[8];

                if (sscanf(p, "%7s avg10=%lf avg60=%lf avg300=%lf total=%llu", kind, &a10, &a60, &a300,
                           &total) == 5) {
                        if (streq(kind, "some")) {
                                r.some_avg10 = a10, r.some_avg60 = a60, r.some_avg300 = a300;
                                r.some_total = total;
                                r.have_some = true;
                        } else if (streq(kind, "full")) {
                                r.full_avg10 = a10, r.full_avg60 = a60, r.full_avg300 = a300;
                                r.full_total = total;
                                r.have_full = true;
                        }
                }
                p = strchr(p, '\n');
                if (!p)
                        break;
                p++;
        }
        if (!r.have_some && !r.have_full)
                return -EINVAL;
        *ret = r;
        return 0;
}

int cgroup_read_pressure(int fd, const char *file, Pressure *ret) {
        char buf[512];
        int r;

        if (fd < 0)
                return -EBADF;
        r = read_file_at(fd, file, buf, sizeof buf, NULL);
        if (r < 0)
                return r;
        return pressure_parse(buf, ret);
}
