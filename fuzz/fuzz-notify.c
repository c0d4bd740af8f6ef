/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the sd_notify message parser (notify_parse()), which
 * reads datagrams any worker process can send. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "notify/notify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        NotifyMessage m;

        if (notify_parse((const char *) data, size, &m) == 0) {
                /* The status must be a terminated string within its buffer. */
                if (m.has_status && !memchr(m.status, 0, sizeof m.status))
                        __builtin_trap();
                if (m.busy < -1 || m.busy > 1)
                        __builtin_trap();
        }
        return 0;
}
