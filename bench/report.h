/* SPDX-License-Identifier: MIT */
/* The datagram a bench worker sends to the harness (bench/run unpacks it
 * with struct format "<IiiIQQ"). */
#pragma once
#include <stdint.h>

#define WPB_MAGIC 0x57504231u   /* "WPB1" */

enum {
        WPB_RUNNING = 1,        /* reached main() */
        WPB_SIGBENCH = 2,       /* .value: ps of CPU per handled kill(self) */
};

struct wpb_report {
        uint32_t magic;
        int32_t pid;
        int32_t kind;
        uint32_t pad;
        uint64_t t_ns;          /* CLOCK_MONOTONIC on entering main() */
        uint64_t value;
};
