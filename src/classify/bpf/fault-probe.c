/* SPDX-License-Identifier: MIT */

/* User space half of the fault probe: loads fault-probe.bpf.c, drains its
 * ring buffer into a bounded per-process table, and answers "what do we
 * know about the signal that killed pid X".
 *
 * The stack overflow rule (fault_evidence_is_stack_overflow()):
 *
 *   a real fault (SIGSEGV SEGV_MAPERR/SEGV_ACCERR or SIGBUS BUS_ADRERR),
 *   the faulting thread's stack mapping [s, e) is known,
 *   the fault address lies below it, in the guard area: s - 4 MiB <= addr < s,
 *   and the thread's sp is at the bottom of its stack: s - 4 MiB <= sp < s + 4 KiB.
 *
 * Why these pieces, case by case:
 *  - main thread: the stack is a grows-down VMA; it cannot grow past
 *    RLIMIT_STACK or into stack_guard_gap (1 MiB) of the mapping below, and
 *    the fault (SEGV_MAPERR) lands just below s. With large frames (200 KiB)
 *    sp is moved down before anything is touched, so sp can lie up to a
 *    frame below s, outside any VMA: looking up "the VMA around sp" finds
 *    nothing. The BPF side therefore looks up mm->start_stack, which always
 *    lies in the main stack VMA.
 *  - other threads (glibc, musl): the stack is an mmap with a PROT_NONE
 *    guard (one page by default) at its low end; the fault (SEGV_ACCERR)
 *    lands in the guard, or with large frames below it (SEGV_MAPERR). sp may
 *    be in the stack VMA, in the guard VMA or below both. The TLS block and
 *    struct pthread sit at the top of the same mapping, so the thread's
 *    fsbase is always in the stack VMA: that is what the BPF side looks up.
 *  - the guard area is 4 MiB deep: the kernel's default gap (1 MiB) plus
 *    frames of a few MiB. A wild pointer that happens to land there while sp
 *    is not at the bottom of the stack is no overflow: hence the sp test.
 *    A stack access faults at most 128 bytes (red zone) + a word below sp,
 *    so in a real overflow sp < s + a few hundred bytes; 4 KiB is generous,
 *    and mid-stack faults (NULL, read-only page, even a read-only page
 *    mapped right below the stack) stay out.
 *  - a sent SIGSEGV (raise(), kill -SEGV: si_code <= 0) is never a fault.
 *  - a SIGSEGV handler on an alternate stack sees the same first record
 *    (the fault is recorded when generated, on the overflowing stack);
 *    whether it re-raises (SI_TKILL from itself) or returns (the fault
 *    repeats), fault_probe_take() picks the most recent real fault.
 *    Without an alternate stack the kernel cannot push the signal frame and
 *    sends SIGSEGV/SI_KERNEL; the preceding real fault wins again.
 */

#include <errno.h>
#include <inttypes.h>
#include <linux/types.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fault-probe.h"
#include "../../shared/log.h"
#include "../../shared/macro.h"

#define STACK_GUARD_MAX (UINT64_C(4) * 1024 * 1024)
#define STACK_SP_SLACK  UINT64_C(4096)

#ifndef SEGV_MAPERR
#  define SEGV_MAPERR 1
#endif
#ifndef SEGV_ACCERR
#  define SEGV_ACCERR 2
#endif
#ifndef BUS_ADRERR
#  define BUS_ADRERR 2
#endif

bool fault_evidence_is_stack_overflow(const FaultEvidence *e) {
        uint64_t s;

        if (!e)
                return false;
        if (!((e->signo == SIGSEGV && (e->si_code == SEGV_MAPERR || e->si_code == SEGV_ACCERR)) ||
              (e->signo == SIGBUS && e->si_code == BUS_ADRERR)))
                return false;
        if (e->stack_start == 0 || e->stack_end <= e->stack_start || e->sp == 0)
                return false;

        s = e->stack_start;
        if (e->fault_addr >= s || s - e->fault_addr > STACK_GUARD_MAX)
                return false;
        if (e->sp >= s + STACK_SP_SLACK || (e->sp < s && s - e->sp > STACK_GUARD_MAX))
                return false;
        return true;
}

#if HAVE_FAULT_PROBE_BPF

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fault-probe-event.h"
/* A light skeleton (bpftool gen skeleton -L): a loader program does the
 * CO-RE relocations in the kernel, against the kernel's own BTF. With
 * libbpf's skeleton, libbpf read the kernel's 5.5 MB BTF, parsed its
 * 125,000 types and searched them for each relocated type: two thirds of
 * the probe's load, and the probe's load is on the way to the first
 * worker (bench/RESULTS.md, issue 17). */
#include "fault-probe.skel.h"

#define TABLE_SIZE          512u    /* processes with records at once */
#define TABLE_BUCKETS       1024u
#define RECORDS_PER_PROCESS 6u      /* most recent records kept per process */

typedef struct Record {
        FaultEvidence ev;
        uint64_t seq;                   /* arrival order, 0: empty */
        int result;                     /* FAULT_PROBE_RESULT_* */
} Record;

typedef struct ProcessEntry {
        pid_t pid;                      /* 0: free */
        uint64_t start_time;            /* the incarnation of pid these records are about */
        uint64_t last_seq;              /* for LRU eviction */
        int next;                       /* bucket chain or free list, -1: end */
        unsigned head;                  /* next slot in records[] */
        Record records[RECORDS_PER_PROCESS];
        Record last_fault[2];           /* most recent real SIGSEGV [0] and SIGBUS [1] fault,
                                         * kept even when records[] has wrapped */
} ProcessEntry;

struct FaultProbe {
        struct fault_probe_bpf *skel;   /* owned; NULL when taken over from the previous image */
        /* Taken over (skel == NULL): the fds the previous image handed on. */
        int events_fd, bss_fd, link_fd;
        struct ring_buffer *rb;         /* owned */
        ProcessEntry *entries;          /* owned, TABLE_SIZE, calloc()ed: untouched pages cost nothing */
        int buckets[TABLE_BUCKETS];
        int free_head;                  /* freed entries below n_touched */
        unsigned n_touched;             /* entries[n_touched...] have never been used */
        uint64_t seq;
        uint64_t n_dropped_seen;
};

static bool is_real_fault(int signo, int si_code) {
        return si_code > 0 && si_code != SI_KERNEL &&
                (signo == SIGSEGV || signo == SIGBUS || signo == SIGILL || signo == SIGFPE || signo == SIGTRAP);
}

static unsigned pid_bucket(pid_t pid) {
        uint32_t h = (uint32_t) pid * UINT32_C(2654435761);
        return (h >> 16) % TABLE_BUCKETS;
}

/* The entries are taken in order and only then touched: a daemon whose
 * workers seldom die of signals keeps a few pages of the table resident,
 * not all 440 KiB of it. */
static void table_init(FaultProbe *p) {
        for (unsigned i = 0; i < TABLE_BUCKETS; i++)
                p->buckets[i] = -1;
        p->free_head = -1;
        p->n_touched = 0;
}

static ProcessEntry *table_find(FaultProbe *p, pid_t pid) {
        for (int i = p->buckets[pid_bucket(pid)]; i >= 0; i = p->entries[i].next)
                if (p->entries[i].pid == pid)
                        return &p->entries[i];
        return NULL;
}

static void table_remove(FaultProbe *p, ProcessEntry *e) {
        int idx = (int) (e - p->entries);
        int *link = &p->buckets[pid_bucket(e->pid)];

        while (*link >= 0 && *link != idx)
                link = &p->entries[*link].next;
        if (*link == idx)
                *link = e->next;

        *e = (ProcessEntry) { .next = p->free_head };
        p->free_head = idx;
}

static ProcessEntry *table_add(FaultProbe *p, pid_t pid) {
        ProcessEntry *e;
        unsigned b;
        int idx;

        if (p->free_head < 0 && p->n_touched < TABLE_SIZE)
                idx = (int) p->n_touched++;
        else {
                if (p->free_head < 0) {
                        /* Full: drop the process we heard from least recently.
                         * Processes that never die of a signal (sub-processes
                         * of workers that nobody calls fault_probe_forget()
                         * for) end up here. */
                        ProcessEntry *lru = &p->entries[0];

                        for (unsigned i = 1; i < TABLE_SIZE; i++)
                                if (p->entries[i].last_seq < lru->last_seq)
                                        lru = &p->entries[i];
                        log_debug("Fault probe: table full, forgetting pid %i", (int) lru->pid);
                        table_remove(p, lru);
                }
                idx = p->free_head;
                p->free_head = p->entries[idx].next;
        }
        e = &p->entries[idx];

        b = pid_bucket(pid);
        *e = (ProcessEntry) { .pid = pid, .next = p->buckets[b] };
        p->buckets[b] = idx;
        return e;
}

static void evidence_from_event(const struct fault_probe_event *ev, FaultEvidence *ret) {
        *ret = (FaultEvidence) {
                .signo = ev->signo,
                .si_code = ev->si_code,
                .pid = ev->pid,
                .tid = ev->tid,
                .kernel_fault = ev->si_code > 0,
                .syscall = ev->syscall,
                .timestamp_ns = ev->timestamp_ns,
        };

        if (is_real_fault(ev->signo, ev->si_code))
                ret->fault_addr = ev->fault_addr;
        if (ev->flags & FAULT_PROBE_HAVE_REGS)
                ret->sp = ev->sp;
        if (ev->flags & FAULT_PROBE_HAVE_STACK) {
                ret->stack_start = ev->stack_start;
                ret->stack_end = ev->stack_end;
        }
        if (ev->flags & FAULT_PROBE_HAVE_SENDER) {
                ret->sender_pid = ev->sender_pid;
                memcpy(ret->sender_comm, ev->sender_comm, sizeof(ret->sender_comm));
                ret->sender_comm[sizeof(ret->sender_comm) - 1] = '\0';
        }
        ret->stack_overflow = fault_evidence_is_stack_overflow(ret);
}

static int on_event(void *userdata, void *data, size_t size) {
        const struct fault_probe_event *ev = data;
        FaultProbe *p = userdata;
        ProcessEntry *e;
        Record *rec;

        if (size < sizeof(*ev) || ev->pid <= 0)
                return 0;

        e = table_find(p, ev->pid);
        if (e && e->start_time != ev->start_time) {
                /* The pid was reused: what we had is about a process long gone. */
                table_remove(p, e);
                e = NULL;
        }
        if (!e) {
                e = table_add(p, ev->pid);
                e->start_time = ev->start_time;
        }

        rec = &e->records[e->head];
        e->head = (e->head + 1) % RECORDS_PER_PROCESS;
        *rec = (Record) { .seq = ++p->seq, .result = ev->result };
        evidence_from_event(ev, &rec->ev);
        e->last_seq = rec->seq;

        if (is_real_fault(ev->signo, ev->si_code) && (ev->signo == SIGSEGV || ev->signo == SIGBUS))
                e->last_fault[ev->signo == SIGBUS] = *rec;

        return 0;
}

static bool record_sent_by_other(const Record *r) {
        return r->ev.sender_pid > 0 && r->ev.sender_pid != r->ev.pid;
}

static const Record *entry_pick(const ProcessEntry *e, int signo) {
        const Record *last = NULL, *fault = NULL;

        for (unsigned i = 0; i < RECORDS_PER_PROCESS; i++) {
                const Record *r = &e->records[i];

                if (r->seq == 0 || r->ev.signo != signo)
                        continue;
                /* An ignored signal did not kill it; one that was already pending
                 * was merged into the earlier one, which is what got delivered. */
                if (r->result == FAULT_PROBE_RESULT_IGNORED || r->result == FAULT_PROBE_RESULT_ALREADY_PENDING)
                        continue;
                if (!last || r->seq > last->seq)
                        last = r;
        }

        if (signo == SIGSEGV || signo == SIGBUS) {
                const Record *same = &e->last_fault[signo == SIGBUS], *other = &e->last_fault[signo != SIGBUS];

                fault = same->seq > 0 ? same : other->seq > 0 ? other : NULL;
                if (fault) {
                        /* A later SIGSEGV sent by someone else (kill -SEGV) is what
                         * killed it; one it sent itself (a handler re-raising, or
                         * the kernel failing to push a signal frame) is not news. */
                        if (last && last->seq > fault->seq && record_sent_by_other(last))
                                return last;
                        return fault;
                }
        }

        return last;
}

static int libbpf_log(enum libbpf_print_level level, const char *format, va_list ap) {
        char buf[1024];
        size_t n;

        if (log_get_max_level() < LOG_DEBUG)
                return 0;

        (void) vsnprintf(buf, sizeof(buf), format, ap);
        n = strlen(buf);
        if (n > 0 && buf[n - 1] == '\n')
                buf[n - 1] = '\0';
        log_debug("libbpf: %s", buf);
        return 0;
}

/* The records say init-namespace pids; a daemon in another pid namespace
 * would look them up by different numbers. */
static int check_pid_namespace(void) {
        _cleanup_(freep) char *line = NULL;
        size_t n = 0;
        FILE *f;
        int r = 0;

        f = fopen("/proc/self/status", "re");
        if (!f)
                return -errno;
        while (getline(&line, &n, f) >= 0) {
                unsigned n_pids = 0;

                if (!strneq(line, "NSpid:", 6))
                        continue;
                for (char *s = line + 6; *s; ) {
                        s += strspn(s, " \t\n");
                        if (!*s)
                                break;
                        n_pids++;
                        s += strcspn(s, " \t\n");
                }
                if (n_pids > 1)
                        r = -EOPNOTSUPP;
                break;
        }
        fclose(f);
        return r;
}

static int fault_probe_load(FaultProbe *p, uint64_t root_cgroup_id, int root_level) {
        int r;

        if (access("/sys/kernel/btf/vmlinux", R_OK) < 0)
                return log_debug_errno(errno == ENOENT ? -EOPNOTSUPP : -errno,
                                       "Fault probe: kernel has no BTF: %m");

        p->skel = fault_probe_bpf__open();
        if (!p->skel)
                return log_debug_errno(negative_errno(), "Fault probe: cannot open BPF object: %m");

        p->skel->rodata->root_cgroup_id = root_cgroup_id;
        p->skel->rodata->root_cgroup_level = root_level;

        /* (For the verifier's words when it refuses the program:
         * bpftool -d prog loadall build/src/classify/bpf/fault-probe.bpf.o.) */
        r = fault_probe_bpf__load(p->skel);
        if (r < 0) {
                /* Unknown helper, missing tracepoint or type, CO-RE mismatch:
                 * this kernel cannot run the probe. */
                if (r == -EINVAL || r == -ESRCH || r == -ENOENT || r == -524 /* ENOTSUPP */)
                        r = -EOPNOTSUPP;
                return log_debug_errno(r, "Fault probe: cannot load BPF program: %m");
        }

        r = fault_probe_bpf__attach(p->skel);
        if (r < 0)
                return log_debug_errno(r, "Fault probe: cannot attach to signal_generate: %m");

        p->rb = ring_buffer__new(p->skel->maps.events.map_fd, on_event, p, NULL);
        if (!p->rb)
                return log_debug_errno(negative_errno(), "Fault probe: cannot set up ring buffer: %m");

        return 0;
}

int fault_probe_new(uint64_t root_cgroup_id, int root_level, FaultProbe **ret) {
        _cleanup_(fault_probe_freep) FaultProbe *p = NULL;
        libbpf_print_fn_t saved;
        int r;

        if (!ret || root_cgroup_id == 0 || root_level < 0)
                return -EINVAL;

        r = check_pid_namespace();
        if (r < 0)
                return log_debug_errno(r, "Fault probe: not in the initial pid namespace: %m");

        p = calloc(1, sizeof(*p));
        if (!p)
                return -ENOMEM;
        p->events_fd = p->bss_fd = p->link_fd = -EBADF;
        p->entries = calloc(TABLE_SIZE, sizeof(ProcessEntry));
        if (!p->entries)
                return -ENOMEM;
        table_init(p);

        /* libbpf prints to stderr by default; we only ever log at debug. */
        saved = libbpf_set_print(libbpf_log);
        r = fault_probe_load(p, root_cgroup_id, root_level);
        (void) libbpf_set_print(saved);
        if (r < 0)
                return r;

        log_debug("Fault probe: attached for cgroup id %" PRIu64 " at level %d", root_cgroup_id, root_level);
        *ret = TAKE_PTR(p);
        return 0;
}

FaultProbe *fault_probe_free(FaultProbe *p) {
        if (!p)
                return NULL;
        ring_buffer__free(p->rb);
        fault_probe_bpf__destroy(p->skel);
        safe_close(p->events_fd);
        safe_close(p->bss_fd);
        safe_close(p->link_fd);         /* detaches a probe taken over */
        free(p->entries);
        free(p);
        return NULL;
}

int fault_probe_get_fd(FaultProbe *p) {
        if (!p || !p->rb)
                return -EINVAL;
        return ring_buffer__epoll_fd(p->rb);
}

int fault_probe_process(FaultProbe *p) {
        uint64_t dropped;
        int r;

        if (!p)
                return -EINVAL;
        if (!p->rb)                     /* the table tests run without BPF */
                return 0;

        r = ring_buffer__consume(p->rb);
        if (r < 0)
                return r;

        if (p->skel)
                dropped = __atomic_load_n(&p->skel->bss->n_dropped, __ATOMIC_RELAXED);
        else {
                struct fault_probe_bpf__bss bss = {};
                uint32_t zero = 0;

                if (bpf_map_lookup_elem(p->bss_fd, &zero, &bss) < 0)
                        return r;
                dropped = bss.n_dropped;
        }
        if (dropped != p->n_dropped_seen) {
                log_debug("Fault probe: ring buffer full, %" PRIu64 " records lost",
                          dropped - p->n_dropped_seen);
                p->n_dropped_seen = dropped;
        }
        return r;
}

int fault_probe_take(FaultProbe *p, pid_t pid, int signo, FaultEvidence *ret) {
        const Record *best;
        ProcessEntry *e;
        int r;

        if (!p || pid <= 0 || !ret)
                return -EINVAL;

        r = fault_probe_process(p);
        if (r < 0)
                return r;

        e = table_find(p, pid);
        if (!e)
                return -ENOENT;

        best = entry_pick(e, signo);
        if (best)
                *ret = best->ev;
        table_remove(p, e);
        return best ? 0 : -ENOENT;
}

void fault_probe_forget(FaultProbe *p, pid_t pid) {
        ProcessEntry *e;

        if (!p)
                return;
        e = table_find(p, pid);
        if (e)
                table_remove(p, e);
}

/* Re-exec: see fault-probe.h. */
static int probe_fd(const FaultProbe *p, int which) {
        if (p->skel)
                return which == 0 ? p->skel->maps.events.map_fd :
                       which == 1 ? p->skel->maps.bss.map_fd :
                                    p->skel->links.signal_generate_fd;
        return which == 0 ? p->events_fd : which == 1 ? p->bss_fd : p->link_fd;
}

static void fd_cloexec(int fd, bool cloexec) {
        int flags = fcntl(fd, F_GETFD);

        if (flags >= 0)
                (void) fcntl(fd, F_SETFD, cloexec ? flags | FD_CLOEXEC : flags & ~FD_CLOEXEC);
}

void fault_probe_set_inherit(FaultProbe *p, bool inherit) {
        if (!p)
                return;
        for (int k = 0; k < 3; k++)
                if (probe_fd(p, k) >= 0)
                        fd_cloexec(probe_fd(p, k), !inherit);
}

int fault_probe_serialize(FaultProbe *p, FILE *f) {
        if (!p || !p->rb)
                return -EINVAL;
        for (int k = 0; k < 3; k++)
                if (probe_fd(p, k) < 0)
                        return -EBADF;
        /* Records still in the ring buffer stay there for the next image. */
        fprintf(f, "probe\t%d\t%d\t%d\t%" PRIu64 "\t%" PRIu64 "\n", probe_fd(p, 0), probe_fd(p, 1),
                probe_fd(p, 2), p->seq, p->n_dropped_seen);
        for (unsigned i = 0; i < p->n_touched; i++) {
                const unsigned char *b = (const unsigned char *) &p->entries[i];

                if (p->entries[i].pid == 0)
                        continue;
                fprintf(f, "probe-entry\t%zu\t", sizeof(ProcessEntry));
                for (size_t k = 0; k < sizeof(ProcessEntry); k++)
                        fprintf(f, "%02x", b[k]);
                fputc('\n', f);
        }
        return 0;
}

int fault_probe_deserialize(const char *fields, FaultProbe **ret) {
        _cleanup_(fault_probe_freep) FaultProbe *p = NULL;
        unsigned long long seq, dropped;
        int fds[3];

        if (sscanf(fields, "%d\t%d\t%d\t%llu\t%llu", &fds[0], &fds[1], &fds[2], &seq, &dropped) != 5)
                return -EBADMSG;
        for (int k = 0; k < 3; k++)
                if (fds[k] <= STDERR_FILENO || fcntl(fds[k], F_GETFD) < 0) {
                        /* not what we handed on: close the rest, a new probe is loaded */
                        for (int j = 0; j < 3; j++)
                                if (fds[j] > STDERR_FILENO && fcntl(fds[j], F_GETFD) >= 0)
                                        (void) close(fds[j]);
                        return -EBADF;
                }

        p = calloc(1, sizeof(*p));
        if (!p)
                return -ENOMEM;
        p->events_fd = fds[0];
        p->bss_fd = fds[1];
        p->link_fd = fds[2];
        fault_probe_set_inherit(p, false);
        p->seq = seq;
        p->n_dropped_seen = dropped;
        p->entries = calloc(TABLE_SIZE, sizeof(ProcessEntry));
        if (!p->entries)
                return -ENOMEM;
        table_init(p);
        p->rb = ring_buffer__new(p->events_fd, on_event, p, NULL);
        if (!p->rb)
                return negative_errno();
        *ret = TAKE_PTR(p);
        return 0;
}

static int unhex(char c) {
        return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int fault_probe_deserialize_entry(FaultProbe *p, const char *fields) {
        ProcessEntry in, *e;
        unsigned char *b = (unsigned char *) &in;
        char *end;
        unsigned long size = strtoul(fields, &end, 10);
        int next;

        if (!p || *end != '\t')
                return -EINVAL;
        if (size != sizeof(ProcessEntry) || strlen(end + 1) != 2 * sizeof(ProcessEntry))
                return -EBADMSG;   /* another build's layout */
        for (size_t k = 0; k < sizeof(ProcessEntry); k++) {
                int hi = unhex(end[1 + 2 * k]), lo = unhex(end[2 + 2 * k]);

                if (hi < 0 || lo < 0)
                        return -EBADMSG;
                b[k] = (unsigned char) (hi << 4 | lo);
        }
        if (in.pid <= 0 || table_find(p, in.pid))
                return -EBADMSG;
        e = table_add(p, in.pid);
        next = e->next;
        *e = in;
        e->next = next;
        return 0;
}

#else /* !HAVE_FAULT_PROBE_BPF */

/* Built without eBPF: the daemon classifies without evidence. */

int fault_probe_new(uint64_t root_cgroup_id, int root_level, FaultProbe **ret) {
        return -EOPNOTSUPP;
}

FaultProbe *fault_probe_free(FaultProbe *p) {
        return NULL;
}

int fault_probe_get_fd(FaultProbe *p) {
        return -EOPNOTSUPP;
}

int fault_probe_process(FaultProbe *p) {
        return -EOPNOTSUPP;
}

int fault_probe_take(FaultProbe *p, pid_t pid, int signo, FaultEvidence *ret) {
        return -EOPNOTSUPP;
}

void fault_probe_forget(FaultProbe *p, pid_t pid) {
}

int fault_probe_serialize(FaultProbe *p, FILE *f) {
        return -EOPNOTSUPP;
}

void fault_probe_set_inherit(FaultProbe *p, bool inherit) {
}

int fault_probe_deserialize(const char *fields, FaultProbe **ret) {
        int fds[3];

        /* Built without the probe: detach the previous image's. */
        if (sscanf(fields, "%d\t%d\t%d", &fds[0], &fds[1], &fds[2]) == 3)
                for (int k = 0; k < 3; k++)
                        if (fds[k] > STDERR_FILENO)
                                (void) close(fds[k]);
        return -EOPNOTSUPP;
}

int fault_probe_deserialize_entry(FaultProbe *p, const char *fields) {
        return -EOPNOTSUPP;
}

#endif
