/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the pool config parser (config_load_pool()) and the
 * daemon config parser (manager_config_load()), as they run on admin files:
 * the input is written to fuzz.pool; a line "--dropin--" splits off the rest
 * as the drop-in fuzz.pool.d/10-fuzz.conf. A loaded config is copied and
 * every [Sandbox] key is set once more through pool_config_set_property(). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config.h"
#include "shared/strv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static char dir[] = "/tmp/wp-fuzz-config-XXXXXX";
static char pool_path[128], dropin_dir[128], dropin_path[160];

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        if (!mkdtemp(dir))
                abort();
        snprintf(pool_path, sizeof pool_path, "%s/fuzz.pool", dir);
        snprintf(dropin_dir, sizeof dropin_dir, "%s/fuzz.pool.d", dir);
        snprintf(dropin_path, sizeof dropin_path, "%s/10-fuzz.conf", dropin_dir);
        if (mkdir(dropin_dir, 0755) < 0)
                abort();
        return 0;
}

static void write_file(const char *path, const uint8_t *data, size_t size) {
        FILE *f = fopen(path, "we");

        if (!f)
                abort();
        if (size > 0 && fwrite(data, 1, size, f) != size)
                abort();
        fclose(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static const char sep[] = "\n--dropin--\n";
        const char *const dirs[] = { dir, NULL };
        const uint8_t *split;
        PoolConfig *c = NULL, *copy = NULL;
        ManagerConfig mc;
        char **errors = NULL;
        size_t main_size = size;

        if (size > 64 * 1024)
                return 0;
        split = memmem(data, size, sep, sizeof sep - 1);
        if (split) {
                main_size = (size_t) (split - data);
                write_file(dropin_path, split + sizeof sep - 1, size - main_size - (sizeof sep - 1));
        } else
                (void) unlink(dropin_path);
        write_file(pool_path, data, main_size);

        if (config_load_pool("fuzz", dirs, NULL, &c, &errors) == 0) {
                static const char *const keys[] = {
                        "SystemCallFilter", "LimitNOFILE", "CapabilityBoundingSet", "UMask",
                        "SupplementaryGroups", "SystemCallErrorNumber", NULL,
                };

                if (pool_config_dup(c, &copy) == 0) {
                        for (const char *const *k = keys; *k; k++) {
                                char *err = NULL;

                                (void) pool_config_set_property(copy, NULL, *k, "", &err);
                                free(err);
                        }
                        pool_config_free(copy);
                }
                pool_config_free(c);
        }
        strv_free(errors);

        errors = NULL;
        manager_config_init(&mc);
        (void) manager_config_load(&mc, pool_path, &errors);
        strv_free(errors);
        return 0;
}
