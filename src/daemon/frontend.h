/* SPDX-License-Identifier: MIT */
#pragma once

/* The daemon's control front end as the daemon sees it: an interface that
 * src/daemon/ owns and the D-Bus layer (src/bus/bus.c) implements, so that
 * the daemon never includes the layer above it. main() sets it up once the
 * instance lock is held, before any pool starts. */

typedef struct Manager Manager;

typedef enum FrontendTransport {
        FRONTEND_TRANSPORT_SYSTEM,      /* the system bus (default) */
        FRONTEND_TRANSPORT_USER,        /* the session bus */
        FRONTEND_TRANSPORT_ADDRESS,     /* the bus at an address */
        FRONTEND_TRANSPORT_NONE,
} FrontendTransport;

typedef struct Frontend {
        /* Connect and publish; 0 once the bus name is ours. Logs. -ENOENT or
         * -ECONNREFUSED: no bus there. */
        int (*setup)(Manager *m, FrontendTransport transport, const char *address);
        /* Close; safe if setup failed or never ran. */
        void (*done)(Manager *m);
} Frontend;

extern const Frontend bus_frontend;
