/* SPDX-License-Identifier: MIT */
/* The fault probe (eBPF) hooked into the manager's event loop. Without it
 * (no BTF, no privilege, built without bpf) segfaults say "evidence: none". */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "../classify/bpf/fault-probe.h"
#include "../shared/log.h"
#include "manager.h"

/* Loading takes milliseconds (the kernel's CO-RE relocations and the
 * verifier), all of it in system calls: nothing the main thread touches.
 * r: the result, once the thread has ended (or, without a thread, at
 * once). */
typedef struct FaultProbeLoad {
        pthread_t thread;
        bool threaded;
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

/* Wait for the load to end; the probe, if it loaded, is m->fault_probe. */
static int fault_probe_load_finish(Manager *m) {
        _cleanup_(freep) FaultProbeLoad *l = TAKE_PTR(m->fault_probe_load);

        if (!l)
                return m->fault_probe ? 0 : -ENOMEM;    /* taken over, or no memory for l */
        if (l->threaded)
                (void) pthread_join(l->thread, NULL);
        m->fault_probe = l->probe;
        return l->r;
}

void manager_fault_probe_start(Manager *m) {
        FaultProbeLoad *l;

        /* After a re-exec the previous image's probe, attached all along,
         * is ours already. */
        if (m->fault_probe || m->fault_probe_load)
                return;
        l = m->fault_probe_load = calloc(1, sizeof(*l));
        if (!l)
                return;         /* manager_fault_probe_setup() says -ENOMEM */
        /* What the probe watches: our cgroup root, by id and level. */
        l->r = cgroup_get_id(m->cgroup_root_fd, &l->root_id);
        if (l->r >= 0)
                l->r = cgroup_get_level(m->cgroup_root, &l->root_level);
        if (l->r < 0)
                return;
        l->threaded = pthread_create(&l->thread, NULL, fault_probe_load_thread, l) == 0;
        if (!l->threaded)
                (void) fault_probe_load_thread(l);      /* then here and now */
}

static int on_fault_probe(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Manager *m = userdata;

        (void) fault_probe_process(m->fault_probe);
        return 0;
}

void manager_fault_probe_setup(Manager *m) {
        int r = fault_probe_load_finish(m);

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
        if (m->fault_probe_load)        /* never set up (start-up failed): wait for it */
                (void) fault_probe_load_finish(m);
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
