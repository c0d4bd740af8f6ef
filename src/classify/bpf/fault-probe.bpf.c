/* SPDX-License-Identifier: MIT OR GPL-2.0-only */

/* The fault probe: catches the evidence of a fatal signal when it is
 * generated, which waitid() cannot give afterwards. One program on
 * tp_btf/signal_generate; everything it learns goes into one ring buffer
 * record per signal. See fault-probe.c for how the records are used and
 * for the stack overflow rule.
 *
 * Hot path (every signal on the system): the signal number against a skip
 * mask, then the target's cgroup against our subtree: three BTF loads and,
 * for a task at or below our root's level, one probe read. Only signals to
 * tasks inside the subtree go further.
 *
 * Portability (one CO-RE object for 6.1 and later):
 *  - the siginfo pointer may be SEND_SIG_NOINFO (0) or SEND_SIG_PRIV (1):
 *    those are told apart first; si_code is then a BTF load, but the union
 *    members (_sigfault._addr, _sigsys._syscall) are probe reads: 6.1's
 *    verifier rejects a BTF load of _sigfault._addr;
 *  - bpf_find_vma() is called at most once per run: the tracepoint runs
 *    with irqs off and on 6.1 a second call in the same run finds the
 *    mmap_lock's deferred unlock still queued and returns -EBUSY;
 *  - cgroup ancestry by one probe read of cgroup.ancestors[] at the
 *    root's level (given by user space), see task_in_subtree().
 */

#include "vmlinux.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "fault-probe-event.h"

/* vmlinux.h has no macros: the few uapi values we need. */
#define SIGILL     4
#define SIGTRAP    5
#define SIGBUS     7
#define SIGFPE     8
#define SIGKILL    9
#define SIGSEGV   11
#define SIGCHLD   17
#define SIGCONT   18
#define SIGSTOP   19
#define SIGTSTP   20
#define SIGTTIN   21
#define SIGTTOU   22
#define SIGURG    23
#define SIGWINCH  28
#define SIGSYS    31
#define _NSIG     64

#define SI_USER     0
#define SI_KERNEL   0x80
#define SI_QUEUE    (-1)
#define SI_TKILL    (-6)
#define SYS_SECCOMP 1

/* Never fatal by default (or stop, not kill): not worth a record. */
#define SKIP_MASK ((1ULL << SIGCHLD) | (1ULL << SIGCONT) | (1ULL << SIGSTOP) | \
                   (1ULL << SIGTSTP) | (1ULL << SIGTTIN) | (1ULL << SIGTTOU) | \
                   (1ULL << SIGURG) | (1ULL << SIGWINCH))

char LICENSE[] SEC("license") = "Dual MIT/GPL";

/* Set by user space before load: the inode number of the subtree's root
 * cgroup directory on cgroup2, i.e. its kernfs id, and its level in the
 * hierarchy (0: the hierarchy's root). */
const volatile __u64 root_cgroup_id = 0;
const volatile int root_cgroup_level = 0;

/* root_css: the address of the root's struct cgroup once a task in the
 * subtree has been seen (an id is never reused, and the address is checked
 * against the id again on every match); 0: not seen yet. root_level is
 * unused (it keeps the .bss layout of earlier builds, which a re-exec may
 * hand over). */
int root_level = -1;
__u64 root_css = 0;             /* a number: only ever compared */

/* Records lost because the ring buffer was full. */
__u64 n_dropped = 0;

#define RINGBUF_SIZE (256 * 1024)

struct {
        __uint(type, BPF_MAP_TYPE_RINGBUF);
        __uint(max_entries, RINGBUF_SIZE);
} events SEC(".maps");

/* Is the task's cgroup v2 cgroup root_cgroup_id or below it? Ancestry, not
 * equality: sub-processes of workers live in the worker's cgroup or below.
 *
 * The task's cgroup's ancestor at the root's level (cgroup.ancestors[],
 * read with one probe read: the verifier refuses a BTF load from a flexible
 * array of pointers) is the root or not. A task above the root's level
 * costs three BTF loads; one at or below it one probe read more (~60 ns in
 * a VM). No loop: a walk up cgroup.self.parent by BTF loads was cheaper at
 * run time for shallow trees, but the verifier checked each of its loads
 * against the kernel's whole BTF (a linear search by name), which cost tens
 * of milliseconds at every start of the daemon. */
static __always_inline bool task_in_subtree(struct task_struct *task) {
        struct cgroup *cgrp, *anc = NULL;
        struct kernfs_node *kn = NULL;
        int rl = root_cgroup_level;
        __u64 id = 0;

        cgrp = task->cgroups->dfl_cgrp;
        if (!cgrp || rl < 0 || cgrp->level < rl)
                return false;
        if (bpf_core_read(&anc, sizeof(anc), &cgrp->ancestors[rl]) < 0 || !anc)
                return false;
        if (root_css != 0 && (__u64) anc != root_css)
                return false;

        /* The first match, or a match: is it still our root? */
        if (bpf_core_read(&kn, sizeof(kn), &anc->kn) < 0 || !kn ||
            bpf_core_read(&id, sizeof(id), &kn->id) < 0 || id != root_cgroup_id)
                return false;
        root_css = (__u64) anc;
        return true;
}

/* Does the task run a handler for sig (neither SIG_DFL nor SIG_IGN)? */
static __always_inline bool task_has_handler(struct task_struct *task, int sig) {
        struct sighand_struct *sighand = BPF_CORE_READ(task, sighand);
        unsigned long handler = 0;

        if (!sighand || sig <= 0 || sig > _NSIG)
                return false;
        if (bpf_core_read(&handler, sizeof(handler), &sighand->action[sig - 1].sa.sa_handler) < 0)
                return false;
        return handler > 1;
}

struct vma_info {
        __u64 start;
        __u64 end;
        __u64 flags;
};

static long vma_info_cb(struct task_struct *task, struct vm_area_struct *vma, struct vma_info *info) {
        info->start = vma->vm_start;
        info->end = vma->vm_end;
        info->flags = vma->vm_flags;
        return 0;
}

static __always_inline bool is_fault_signal(int sig) {
        return sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE || sig == SIGTRAP;
}

SEC("tp_btf/signal_generate")
int BPF_PROG(signal_generate, int sig, struct kernel_siginfo *info, struct task_struct *task,
             int group, int result) {
        struct fault_probe_event *e;
        unsigned long info_ptr = (unsigned long) info;
        __u64 pid_tgid, fault_addr = 0;
        int code = SI_USER, syscall = -1;
        bool self, fault, sent, seccomp;
        __u32 flags = 0;

        if (sig <= 0 || sig > _NSIG)
                return 0;
        if (sig < 64 && ((SKIP_MASK >> sig) & 1))
                return 0;
        if (result == FAULT_PROBE_RESULT_IGNORED)   /* cannot be what killed it */
                return 0;
        if (!task_in_subtree(task))
                return 0;

        /* Cold from here on: the target is one of ours. */
        if (info_ptr == 0)
                code = SI_USER;                 /* SEND_SIG_NOINFO: sent by current */
        else if (info_ptr == 1)
                code = SI_KERNEL;               /* SEND_SIG_PRIV */
        else {
                flags |= FAULT_PROBE_HAVE_SIGINFO;
                /* A probe read, not a BTF load: since Linux 6.1x the verifier
                 * types this argument as a scalar (it may be SEND_SIG_PRIV),
                 * and refuses the program with EACCES if it is dereferenced. */
                if (bpf_core_read(&code, sizeof(code), &info->si_code) < 0)
                        code = SI_USER;
        }

        fault = code > 0 && code != SI_KERNEL && is_fault_signal(sig);
        seccomp = sig == SIGSYS && code == SYS_SECCOMP;
        sent = code == SI_USER || code == SI_QUEUE || code == SI_TKILL;

        if ((flags & FAULT_PROBE_HAVE_SIGINFO) && code > 0 && code != SI_KERNEL) {
                if (seccomp)
                        (void) bpf_core_read(&syscall, sizeof(syscall), &info->_sifields._sigsys._syscall);
                else if (is_fault_signal(sig))
                        (void) bpf_core_read(&fault_addr, sizeof(fault_addr),
                                             &info->_sifields._sigfault._addr);
        }

        pid_tgid = bpf_get_current_pid_tgid();
        self = (__u32) pid_tgid == (__u32) task->pid;

        /* A signal the target will handle is evidence only if it is a fault,
         * a seccomp kill, or sent by another process (a handler may clean up
         * and re-raise: then who sent the first one matters). One that it
         * sent itself (an event loop waking itself up) or that nobody sent
         * (timers, SIGIO) is not: keep the ring buffer for what is. Signals
         * left at SIG_DFL are fatal (the others are in SKIP_MASK) and
         * ignored ones were dropped above. */
        if (!fault && !seccomp && sig != SIGKILL &&
            !(sent && (__u32) (pid_tgid >> 32) != (__u32) task->tgid) &&
            !(code == SI_KERNEL && (sig == SIGSEGV || sig == SIGBUS)) &&
            task_has_handler(task, sig))
                return 0;

        e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
        if (!e) {
                __sync_fetch_and_add(&n_dropped, 1);
                return 0;
        }

        e->timestamp_ns = bpf_ktime_get_ns();
        e->start_time = BPF_CORE_READ(task, group_leader, start_time);
        e->fault_addr = fault_addr;
        e->sp = e->ip = e->anchor = 0;
        e->stack_start = e->stack_end = e->stack_vm_flags = 0;
        e->signo = sig;
        e->si_code = code;
        e->result = result;
        e->pid = task->tgid;
        e->tid = task->pid;
        e->sender_pid = 0;
        e->syscall = syscall;
        __builtin_memset(e->sender_comm, 0, sizeof(e->sender_comm));

        if (e->pid == e->tid)
                flags |= FAULT_PROBE_MAIN_THREAD;

        if (sent) {
                flags |= FAULT_PROBE_HAVE_SENDER;
                e->sender_pid = pid_tgid >> 32;
                bpf_get_current_comm(e->sender_comm, sizeof(e->sender_comm));
        }

        /* A fault (or SI_KERNEL SIGSEGV: no room for a signal frame) raised
         * by the faulting thread itself: its registers are the ones it
         * faulted with. Find its stack mapping. sp itself may lie far below
         * the mapping (large frames) and the fault address inside a guard
         * VMA or in no VMA at all, so neither is looked up; an address that
         * is inside the stack mapping in every case is: the main thread's
         * mm->start_stack, or for other threads the TLS base (fsbase), which
         * glibc and musl place at the top of the thread's stack mapping,
         * above the guard. */
        if (self && code > 0 && is_fault_signal(sig)) {
                struct pt_regs *regs = (struct pt_regs *) bpf_task_pt_regs(task);
                struct vma_info vi = {};
                __u64 anchor;

                if (regs) {
                        flags |= FAULT_PROBE_HAVE_REGS;
                        e->sp = regs->sp;
                        e->ip = regs->ip;
                }

                if (flags & FAULT_PROBE_MAIN_THREAD)
                        anchor = BPF_CORE_READ(task, mm, start_stack);   /* 0 if no mm */
                else
                        anchor = task->thread.fsbase;
                if (anchor == 0)
                        anchor = e->sp;
                e->anchor = anchor;

                if (anchor != 0 && bpf_find_vma(task, anchor, vma_info_cb, &vi, 0) == 0) {
                        flags |= FAULT_PROBE_HAVE_STACK;
                        e->stack_start = vi.start;
                        e->stack_end = vi.end;
                        e->stack_vm_flags = vi.flags;
                }
        }

        e->flags = flags;

        /* No wakeup per record: fault_probe_take() drains the buffer itself
         * when a process has died, and a wakeup (irq_work, a self-IPI) costs
         * more than all the rest here. User space is woken only to keep the
         * buffer from filling up. */
        bpf_ringbuf_submit(e, bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) > RINGBUF_SIZE / 4 ?
                              BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP);
        return 0;
}
