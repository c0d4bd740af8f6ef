/* SPDX-License-Identifier: MIT */
/* The fault probe (eBPF) hooked into the manager's event loop. Without it
 * (no BTF, no privilege, built without bpf) segfaults say "evidence: none". */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "../classify/bpf/fault-probe.h"
#include "../shared/log.h"
#include "manager.h"

/* Loading takes milliseconds (the kernel's CO-RE relocations and the
 * verifier), all of it in system calls: nothing the main thread touches. */
typedef struct FaultProbeLoad {
        pthread_t thread;
        uint64_t root_id;
        int root_level;
        FaultProbe *probe;
        int r;
} FaultProbeLoad;

static void *fault_probe_load_thread(void *userdata) {
        FaultProbeLoad *l = userdata;

        l->r = fault_probe_new(l->root_id, l->root_level, &l->probe);
        return NULL;
}

static int fault_probe_load_join(Manager *m) {
        FaultProbeLoad *l = TAKE_PTR(m->fault_probe_load);
        int r;

        if (!l)
                return -ECHILD;
        (void) pthread_join(l->thread, NULL);
        m->fault_probe = l->probe;
        r = l->r;
        free(l);
        return r;
}

/* What the probe watches: our cgroup root, by id and level. */
static int fault_probe_target(Manager *m, uint64_t *ret_id, int *ret_level) {
        int r;

        r = cgroup_get_id(m->cgroup_root_fd, ret_id);
        if (r < 0)
                return r;
        return cgroup_get_level(m->cgroup_root, ret_level);
}

void manager_fault_probe_start(Manager *m) {
        _cleanup_(freep) FaultProbeLoad *l = NULL;
        int r;

        /* After a re-exec the previous image's probe, attached all along,
         * is ours already. */
        if (m->fault_probe || m->fault_probe_load || m->cgroup_root_fd < 0)
                return;
        l = calloc(1, sizeof(*l));
        if (!l)
                return;
        if (fault_probe_target(m, &l->root_id, &l->root_level) < 0)
                return;         /* manager_fault_probe_setup() says why */
        r = -pthread_create(&l->thread, NULL, fault_probe_load_thread, l);
        if (r < 0) {
                log_debug_errno(r, "Cannot start a thread for the fault probe, loading it later: %m");
                return;
        }
        m->fault_probe_load = TAKE_PTR(l);
}

static int on_fault_probe(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Manager *m = userdata;

        (void) fault_probe_process(m->fault_probe);
        return 0;
}

void manager_fault_probe_setup(Manager *m) {
        uint64_t id;
        int level, r;

        if (m->fault_probe_source)
                return;         /* done already */
        if (m->fault_probe_load)
                r = fault_probe_load_join(m);
        else if (m->fault_probe)
                r = 0;          /* taken over from the previous image */
        else {
                /* No thread (it could not start): load it here. */
                r = fault_probe_target(m, &id, &level);
                if (r >= 0)
                        r = fault_probe_new(id, level, &m->fault_probe);
        }
        if (r < 0) {
                log_warning_errno(r, "Fault probe not loaded (%m): stack overflows are reported as "
                                     "segfaults and signal senders are unknown.");
                return;
        }
        r = sd_event_add_io(m->event, &m->fault_probe_source, fault_probe_get_fd(m->fault_probe),
                            EPOLLIN, on_fault_probe, m);
        if (r < 0) {
                log_warning_errno(r, "Cannot watch the fault probe: %m");
                m->fault_probe = fault_probe_free(m->fault_probe);
                return;
        }
        (void) sd_event_source_set_description(m->fault_probe_source, "fault-probe");
        log_info("Fault probe %s: stack overflows and signal senders are identified.",
                 m->fault_probe_taken_over ? "taken over from the previous image" : "loaded");
}

void manager_fault_probe_done(Manager *m) {
        if (m->fault_probe_load)
                (void) fault_probe_load_join(m);
        m->fault_probe_source = sd_event_source_disable_unref(m->fault_probe_source);
        m->fault_probe = fault_probe_free(m->fault_probe);
}

void manager_fault_evidence(Manager *m, pid_t pid, ExitInfo *i) {
        FaultEvidence ev;

        if (!m->fault_probe)
                return;
        if (i->code == CLD_EXITED) {
                fault_probe_forget(m->fault_probe, pid);
                return;
        }
        if (fault_probe_take(m->fault_probe, pid, i->status, &ev) < 0)
                return;
        i->have_evidence = true;
        i->kernel_fault = ev.kernel_fault;
        i->stack_overflow = ev.stack_overflow;
        i->fault_addr = ev.fault_addr;
        exit_info_set_sender(i, ev.sender_pid, ev.sender_comm, sizeof ev.sender_comm);
        i->syscall = ev.syscall;
}
