/* SPDX-License-Identifier: MIT */
#pragma once

/* The record fault-probe.bpf.c hands to fault-probe.c through the ring
 * buffer. Private to this directory. Both sides include it: the BPF side
 * after vmlinux.h, user space after <linux/types.h>, so only __u64/__s32. */

enum {
        FAULT_PROBE_HAVE_SIGINFO = 1u << 0,  /* a real siginfo was passed (not SEND_SIG_NOINFO/PRIV) */
        FAULT_PROBE_HAVE_SENDER  = 1u << 1,  /* sender_pid/sender_comm are valid */
        FAULT_PROBE_HAVE_REGS    = 1u << 2,  /* sp/ip: the target generated it itself */
        FAULT_PROBE_HAVE_STACK   = 1u << 3,  /* stack_start/stack_end/stack_vm_flags valid */
        FAULT_PROBE_MAIN_THREAD  = 1u << 4,  /* target is the thread group leader */
};

/* Mirrors TRACE_SIGNAL_* of include/trace/events/signal.h. */
enum {
        FAULT_PROBE_RESULT_DELIVERED,
        FAULT_PROBE_RESULT_IGNORED,
        FAULT_PROBE_RESULT_ALREADY_PENDING,
        FAULT_PROBE_RESULT_OVERFLOW_FAIL,
        FAULT_PROBE_RESULT_LOSE_INFO,
};

struct fault_probe_event {
        __u64 timestamp_ns;     /* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
        __u64 start_time;       /* target's group leader start_time: tells pid reuse apart */
        __u64 fault_addr;       /* si_addr, for si_code > 0 */
        __u64 sp;               /* target's user sp/ip, when HAVE_REGS */
        __u64 ip;
        __u64 anchor;           /* address whose VMA was looked up: start_stack or fsbase */
        __u64 stack_start;      /* that VMA, when HAVE_STACK */
        __u64 stack_end;
        __u64 stack_vm_flags;
        __s32 signo;
        __s32 si_code;
        __s32 result;           /* FAULT_PROBE_RESULT_* */
        __s32 pid;              /* target tgid */
        __s32 tid;              /* target thread */
        __s32 sender_pid;       /* current tgid, when HAVE_SENDER */
        __s32 syscall;          /* SIGSYS/SYS_SECCOMP: si_syscall, else -1 */
        __u32 flags;            /* FAULT_PROBE_HAVE_* ... */
        char sender_comm[16];
};
