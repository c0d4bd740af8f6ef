/* SPDX-License-Identifier: MIT */
/* The fault probe (eBPF) hooked into the manager's event loop. Without it
 * (no BTF, no privilege, built without bpf) segfaults say "evidence: none". */
#include <string.h>
#include <sys/wait.h>

#include "../classify/bpf/fault-probe.h"
#include "../shared/log.h"
#include "manager.h"

static int on_fault_probe(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Manager *m = userdata;

        (void) fault_probe_process(m->fault_probe);
        return 0;
}

void manager_fault_probe_setup(Manager *m) {
        uint64_t id;
        int r;

        /* After a re-exec the previous image's probe, attached all along,
         * is ours already. */
        r = m->fault_probe ? 0 : cgroup_get_id(m->cgroup_root_fd, &id);
        if (r >= 0 && !m->fault_probe)
                r = fault_probe_new(id, &m->fault_probe);
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
