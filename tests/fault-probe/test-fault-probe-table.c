/* SPDX-License-Identifier: MIT */

/* The fault probe's user-space half against synthetic records: which record
 * fault_probe_take() picks, pid reuse, the bound on the table, and the
 * stack overflow rule at its edges. No BPF is loaded: the ring buffer
 * callback is fed directly. */

#include <criterion/criterion.h>

#include "fault-probe.c"

#define STACK_LO  UINT64_C(0x7ffff7000000)
#define STACK_HI  UINT64_C(0x7ffff7800000)

static FaultProbe *probe;

static void setup(void) {
        probe = calloc(1, sizeof(*probe));
        cr_assert_not_null(probe);
        probe->entries = calloc(TABLE_SIZE, sizeof(ProcessEntry));
        cr_assert_not_null(probe->entries);
        table_init(probe);
}

static void teardown(void) {
        probe = fault_probe_free(probe);
}

TestSuite(fault_probe_table, .init = setup, .fini = teardown);

static uint64_t clock_ns;

static void feed(const struct fault_probe_event *ev) {
        struct fault_probe_event copy = *ev;

        copy.timestamp_ns = ++clock_ns;
        cr_assert_eq(on_event(probe, &copy, sizeof(copy)), 0);
}

/* A SIGSEGV fault at addr with sp, on the main thread of pid. */
static struct fault_probe_event fault_event(pid_t pid, int code, uint64_t addr, uint64_t sp) {
        return (struct fault_probe_event) {
                .start_time = 1000 + (uint64_t) pid,
                .fault_addr = addr,
                .sp = sp,
                .stack_start = STACK_LO,
                .stack_end = STACK_HI,
                .signo = SIGSEGV,
                .si_code = code,
                .pid = pid,
                .tid = pid,
                .syscall = -1,
                .flags = FAULT_PROBE_HAVE_SIGINFO | FAULT_PROBE_HAVE_REGS | FAULT_PROBE_HAVE_STACK |
                         FAULT_PROBE_MAIN_THREAD,
        };
}

static struct fault_probe_event sent_event(pid_t pid, int signo, int code, pid_t sender, const char *comm) {
        struct fault_probe_event ev = {
                .start_time = 1000 + (uint64_t) pid,
                .signo = signo,
                .si_code = code,
                .pid = pid,
                .tid = pid,
                .sender_pid = sender,
                .syscall = -1,
                .flags = FAULT_PROBE_HAVE_SIGINFO | FAULT_PROBE_HAVE_SENDER,
        };

        snprintf(ev.sender_comm, sizeof(ev.sender_comm), "%s", comm);
        return ev;
}

Test(fault_probe_table, overflow_then_reraise_by_handler) {
        FaultEvidence e;
        struct fault_probe_event f = fault_event(100, SEGV_MAPERR, STACK_LO - 8, STACK_LO);
        struct fault_probe_event raise_ev = sent_event(100, SIGSEGV, SI_TKILL, 100, "worker");

        feed(&f);
        feed(&raise_ev);
        cr_assert_eq(fault_probe_take(probe, 100, SIGSEGV, &e), 0);
        cr_assert(e.kernel_fault);
        cr_assert(e.stack_overflow);
        cr_assert_eq(e.si_code, SEGV_MAPERR);
        cr_assert_eq(e.sender_pid, 0);
        /* take() forgets */
        cr_assert_eq(fault_probe_take(probe, 100, SIGSEGV, &e), -ENOENT);
}

Test(fault_probe_table, overflow_then_si_kernel) {
        FaultEvidence e;
        struct fault_probe_event f = fault_event(101, SEGV_MAPERR, STACK_LO - 64, STACK_LO - 100);
        struct fault_probe_event k = fault_event(101, SI_KERNEL, 0, STACK_LO - 100);

        feed(&f);
        feed(&k);
        cr_assert_eq(fault_probe_take(probe, 101, SIGSEGV, &e), 0);
        cr_assert_eq(e.si_code, SEGV_MAPERR);
        cr_assert(e.stack_overflow);
}

Test(fault_probe_table, handled_fault_then_kill_segv_from_outside) {
        FaultEvidence e;
        struct fault_probe_event f = fault_event(102, SEGV_MAPERR, 0, STACK_LO + 100000);
        struct fault_probe_event k = sent_event(102, SIGSEGV, SI_USER, 4242, "bash");

        feed(&f);
        feed(&k);
        cr_assert_eq(fault_probe_take(probe, 102, SIGSEGV, &e), 0);
        cr_assert_not(e.kernel_fault);
        cr_assert_eq(e.sender_pid, 4242);
        cr_assert_str_eq(e.sender_comm, "bash");
}

Test(fault_probe_table, raise_alone) {
        FaultEvidence e;
        struct fault_probe_event r = sent_event(103, SIGSEGV, SI_TKILL, 103, "worker");

        feed(&r);
        cr_assert_eq(fault_probe_take(probe, 103, SIGSEGV, &e), 0);
        cr_assert_not(e.kernel_fault);
        cr_assert_not(e.stack_overflow);
        cr_assert_eq(e.sender_pid, 103);
}

Test(fault_probe_table, fault_survives_ring_wrap) {
        FaultEvidence e;
        struct fault_probe_event f = fault_event(104, SEGV_ACCERR, STACK_LO - 4096, STACK_LO - 4096);

        feed(&f);
        for (unsigned i = 0; i < 3 * RECORDS_PER_PROCESS; i++) {
                struct fault_probe_event u = sent_event(104, SIGUSR1, SI_USER, 104, "worker");
                feed(&u);
        }
        struct fault_probe_event r = sent_event(104, SIGSEGV, SI_TKILL, 104, "worker");
        feed(&r);
        cr_assert_eq(fault_probe_take(probe, 104, SIGSEGV, &e), 0);
        cr_assert_eq(e.si_code, SEGV_ACCERR);
        cr_assert(e.stack_overflow);
}

Test(fault_probe_table, other_signals_most_recent_delivered) {
        FaultEvidence e;
        struct fault_probe_event a = sent_event(105, SIGKILL, SI_USER, 1, "init");
        struct fault_probe_event b = sent_event(105, SIGKILL, SI_USER, 4242, "bash");
        struct fault_probe_event c = sent_event(105, SIGKILL, SI_USER, 7, "late");

        c.result = FAULT_PROBE_RESULT_ALREADY_PENDING;
        feed(&a);
        feed(&b);
        feed(&c);
        cr_assert_eq(fault_probe_take(probe, 105, SIGKILL, &e), 0);
        cr_assert_eq(e.sender_pid, 4242);
        /* nothing for a signal it did not get */
        feed(&a);
        cr_assert_eq(fault_probe_take(probe, 105, SIGTERM, &e), -ENOENT);
        cr_assert_null(table_find(probe, 105));
}

Test(fault_probe_table, seccomp) {
        FaultEvidence e;
        struct fault_probe_event s = {
                .start_time = 1, .signo = SIGSYS, .si_code = 1 /* SYS_SECCOMP */,
                .pid = 106, .tid = 106, .syscall = 110, .flags = FAULT_PROBE_HAVE_SIGINFO,
        };

        feed(&s);
        cr_assert_eq(fault_probe_take(probe, 106, SIGSYS, &e), 0);
        cr_assert_eq(e.syscall, 110);
        cr_assert(e.kernel_fault);
        cr_assert_not(e.stack_overflow);
}

Test(fault_probe_table, pid_reuse) {
        FaultEvidence e;
        struct fault_probe_event old = fault_event(107, SEGV_MAPERR, STACK_LO - 8, STACK_LO);
        struct fault_probe_event now = sent_event(107, SIGSEGV, SI_TKILL, 107, "new");

        now.start_time = old.start_time + 1;
        feed(&old);
        feed(&now);
        cr_assert_eq(fault_probe_take(probe, 107, SIGSEGV, &e), 0);
        cr_assert_not(e.kernel_fault, "a fault of an earlier process with the same pid was used");
        cr_assert_str_eq(e.sender_comm, "new");
}

Test(fault_probe_table, forget) {
        FaultEvidence e;
        struct fault_probe_event f = fault_event(108, SEGV_MAPERR, 0, STACK_LO + 100000);

        feed(&f);
        fault_probe_forget(probe, 108);
        fault_probe_forget(probe, 108);
        cr_assert_eq(fault_probe_take(probe, 108, SIGSEGV, &e), -ENOENT);
}

Test(fault_probe_table, bounded) {
        FaultEvidence e;
        unsigned used = 0;

        /* Many more processes than slots, none ever forgotten. */
        for (pid_t pid = 1000; pid < 1000 + 10 * (pid_t) TABLE_SIZE; pid++) {
                struct fault_probe_event u = sent_event(pid, SIGTERM, SI_USER, 1, "init");
                feed(&u);
        }
        for (unsigned i = 0; i < TABLE_SIZE; i++)
                used += probe->entries[i].pid != 0;
        cr_assert_eq(used, TABLE_SIZE);

        /* The oldest are gone, the newest are there, and lookups still work. */
        cr_assert_eq(fault_probe_take(probe, 1000, SIGTERM, &e), -ENOENT);
        cr_assert_eq(fault_probe_take(probe, 1000 + 10 * (pid_t) TABLE_SIZE - 1, SIGTERM, &e), 0);
        for (pid_t pid = 1000 + 9 * (pid_t) TABLE_SIZE; pid < 1000 + 10 * (pid_t) TABLE_SIZE - 1; pid++)
                cr_assert_eq(fault_probe_take(probe, pid, SIGTERM, &e), 0, "pid %d", (int) pid);

        used = 0;
        for (unsigned i = 0; i < TABLE_SIZE; i++)
                used += probe->entries[i].pid != 0;
        cr_assert_eq(used, 0);
}

/* The rule itself. s = stack start. */
static FaultEvidence ev_at(int signo, int code, int64_t addr_off, int64_t sp_off) {
        return (FaultEvidence) {
                .signo = signo,
                .si_code = code,
                .kernel_fault = code > 0,
                .fault_addr = STACK_LO + (uint64_t) addr_off,
                .sp = STACK_LO + (uint64_t) sp_off,
                .stack_start = STACK_LO,
                .stack_end = STACK_HI,
                .syscall = -1,
        };
}

Test(fault_probe_rule, overflow_shapes) {
        FaultEvidence e;

        /* call/push just below the main stack; sp still at its bottom */
        e = ev_at(SIGSEGV, SEGV_MAPERR, -8, 0);
        cr_assert(fault_evidence_is_stack_overflow(&e));
        /* glibc guard page hit, sp in the guard */
        e = ev_at(SIGSEGV, SEGV_ACCERR, -100, -4000);
        cr_assert(fault_evidence_is_stack_overflow(&e));
        /* 200 KiB frame: top of frame touched first, sp far below */
        e = ev_at(SIGSEGV, SEGV_MAPERR, -16, -200 * 1024);
        cr_assert(fault_evidence_is_stack_overflow(&e));
        e = ev_at(SIGBUS, BUS_ADRERR, -16, 32);
        cr_assert(fault_evidence_is_stack_overflow(&e));
}

Test(fault_probe_rule, not_overflow) {
        FaultEvidence e;

        /* NULL read from mid-stack */
        e = ev_at(SIGSEGV, SEGV_MAPERR, -(int64_t) STACK_LO, 300000);
        cr_assert_not(fault_evidence_is_stack_overflow(&e));
        /* read-only page right below the stack, written from mid-stack */
        e = ev_at(SIGSEGV, SEGV_ACCERR, -8192, 300000);
        cr_assert_not(fault_evidence_is_stack_overflow(&e));
        /* address inside the stack */
        e = ev_at(SIGSEGV, SEGV_ACCERR, 100, 0);
        cr_assert_not(fault_evidence_is_stack_overflow(&e));
        /* too far below */
        e = ev_at(SIGSEGV, SEGV_MAPERR, -(int64_t) (8 << 20), -(int64_t) (8 << 20));
        cr_assert_not(fault_evidence_is_stack_overflow(&e));
        /* sent, not a fault */
        e = ev_at(SIGSEGV, SI_TKILL, -8, 0);
        cr_assert_not(fault_evidence_is_stack_overflow(&e));
        /* SI_KERNEL, protection keys: not the rule */
        e = ev_at(SIGSEGV, SI_KERNEL, -8, 0);
        cr_assert_not(fault_evidence_is_stack_overflow(&e));
        e = ev_at(SIGSEGV, 4 /* SEGV_PKUERR */, -8, 0);
        cr_assert_not(fault_evidence_is_stack_overflow(&e));
        /* stack unknown */
        e = ev_at(SIGSEGV, SEGV_MAPERR, -8, 0);
        e.stack_start = e.stack_end = 0;
        cr_assert_not(fault_evidence_is_stack_overflow(&e));
}
