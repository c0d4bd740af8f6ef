#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The classification matrix: every reason of the vocabulary provoked by real
misbehaving workers, N times each, all pools at once; prints a report and
fails on any single wrong classification. Runs on the host (everything that
needs no memory controller) and in the VM (adds oom-kill):
    WPTEST_MATRIX_N=20 tests/vm/vm-run -- python3 tests/integration/test_matrix.py"""

import collections
import os
import re
import shutil
import signal
import tempfile
import time

from wptest import NOT_RUN, DaemonTest, TESTWORKER, cgroup2_mount, machine_lacks, main, wait_until

N = int(os.environ.get("WPTEST_MATRIX_N", "20"))


def have_memory_controller():
    with open(os.path.join(cgroup2_mount(), "cgroup.controllers")) as f:
        return "memory" in f.read().split()


# pool name -> (expected reason, pool keys)
CASES = {
    "success": ("success", dict(ExecStart=f"{TESTWORKER} sleep:300 exit:0")),
    "exitcode": ("exit-code", dict(ExecStart=f"{TESTWORKER} sleep:300 exit:3")),
    "abort": ("abort", dict(ExecStart=f"{TESTWORKER} sleep:300 abort")),
    "nullread": ("segfault", dict(ExecStart=f"{TESTWORKER} sleep:300 segv")),
    "stackmain": ("stack-overflow", dict(ExecStart=f"{TESTWORKER} sleep:300 stack")),
    "stackthread": ("stack-overflow", dict(ExecStart=f"{TESTWORKER} sleep:300 stack-thread")),
    "fpe": ("signal", dict(ExecStart=f"{TESTWORKER} sleep:300 fpe")),
    "raisesegv": ("signal", dict(ExecStart=f"{TESTWORKER} sleep:300 kill-self:11")),
    "execfail": ("exec-failed", dict(ExecStart="/nonexistent/worker")),
    "watchdog": ("watchdog", dict(ExecStart=f"{TESTWORKER} ready pause", Type="notify",
                                  WatchdogSec="500ms")),
    "starttimeout": ("timeout", dict(ExecStart=f"{TESTWORKER} pause", Type="notify",
                                     TimeoutStartSec="500ms")),
    "killed": ("killed", dict(ExecStart=f"{TESTWORKER} pause")),
    # ended by the daemon's own stop at the end of the test
    "stop": ("stopped", dict(ExecStart=f"{TESTWORKER} ready pause", Type="notify")),
}
# What the cases that need the fault probe's evidence get without it (a
# machine where bpf() is refused: the daemon goes on without the probe).
WITHOUT_PROBE = {
    "stackmain": ("segfault", "SIGSEGV, evidence: none (fault probe not loaded)"),
    "stackthread": ("segfault", "SIGSEGV, evidence: none (fault probe not loaded)"),
    "raisesegv": ("segfault", "SIGSEGV, evidence: none (fault probe not loaded)"),
}
# [Sandbox] sections of the cases above that need one.
SANDBOX = {
    "seccomp": "[Sandbox]\nSystemCallFilter=@system-service\n",
    "core": "[Sandbox]\nLimitCORE=infinity\n",
}
CASES["seccomp"] = ("seccomp", dict(ExecStart=f"{TESTWORKER} sleep:300 reboot"))


def core_expectation():
    """Whether a dumped core is expected, and why not if not. The kernel
    reports "dumped" only if it could write the core: a relative pattern
    goes to the worker's working directory (a temp dir here), a pipe needs
    its program."""
    with open("/proc/sys/kernel/core_pattern") as f:
        pattern = f.read().strip()
    if pattern.startswith("|"):
        prog = pattern[1:].split()[0] if pattern[1:].split() else ""
        if not os.access(prog, os.X_OK):
            return False, f"core_pattern pipes to {prog}, which is not there"
        return True, None
    if pattern.startswith("/") and not os.path.isdir(os.path.dirname(pattern)):
        return False, f"core_pattern directory {os.path.dirname(pattern)} does not exist"
    return True, None


def fixed_core_name():
    with open("/proc/sys/kernel/core_pattern") as f:
        pattern = f.read().strip()
    with open("/proc/sys/kernel/core_uses_pid") as f:
        uses_pid = f.read().strip() != "0"
    return not pattern.startswith("|") and "%p" not in pattern and not uses_pid


CORE_DIR = tempfile.mkdtemp(prefix="wp-matrix-core-")
CASES["core"] = ("signal", dict(ExecStart=f"{TESTWORKER} sleep:300 fpe", WorkingDirectory=CORE_DIR))

OOM = ("oom-kill", dict(ExecStart=f"{TESTWORKER} sleep:300 alloc:100 pause"),
       "[Resources]\nMemoryMax=32M\nMemorySwapMax=0\n")


class Matrix(DaemonTest):
    def test_matrix(self):
        cases = dict(CASES)
        extra = {}
        if have_memory_controller():
            cases["oom"] = OOM[:2]
            extra["oom"] = OOM[2]
        pools = {}
        for name, (_, keys) in cases.items():
            # Restart=on-failure, as a real pool would run: the first exit of
            # each of the N workers is checked, reason and action; the
            # restarted ones go on misbehaving meanwhile (with backoff).
            text = ("[Pool]\nRestart=on-failure\nStartLimitIntervalSec=0\nRestartSec=200ms\n"
                    "Workers=%d\n" % N)
            text += "".join(f"{k}={v}\n" for k, v in keys.items())
            pools[name] = text + extra.get(name, "") + SANDBOX.get(name, "")
        d = self.start(pools)
        d.wait_log(r"Fault probe (loaded|not loaded)")
        probe = "Fault probe loaded" in d.log_text()
        if not probe:
            # Only where tools/test found the machine refusing the probe;
            # anywhere else a probe that does not load is a failure.
            self.assertTrue(machine_lacks("fault-probe"),
                            "the fault probe did not load:\n" + d.log_text()[-2000:])
            for name, (reason, ev) in WITHOUT_PROBE.items():
                cases[name] = (reason, cases[name][1])
        # the admin's kill -9 for the "killed" pool
        ws = d.wait_workers("killed", N, timeout=300)
        for pids in ws.values():
            os.kill(pids[0], signal.SIGKILL)
        rx = r"Pool (\S+): worker (\d+) \(pid \d+\) exited: (\S+) \((.*)\); action: ([a-z-]+)"
        d.wait_log(r"Pool stop: worker \d+ \(pid \d+\) is ready", count=N, timeout=300)
        for name in cases:
            if name != "stop":
                d.wait_log(r"Pool %s: worker \d+ \(pid \d+\) exited: " % name, count=N, timeout=400)
        self.assertCleanExit(d)
        # the first exit of each of the first N workers of every pool
        first = collections.defaultdict(list)
        seen = set()
        for m in (re.search(rx, l) for l in d.lines):
            if not m or (m.group(1), m.group(2)) in seen:
                continue
            seen.add((m.group(1), m.group(2)))
            if len(first[m.group(1)]) < N:
                first[m.group(1)].append(m)
        lines = [m for ms in first.values() for m in ms]
        got = collections.defaultdict(collections.Counter)
        actions = collections.defaultdict(collections.Counter)
        evidence = {}
        for m in lines:
            got[m.group(1)][m.group(3)] += 1
            actions[m.group(1)][m.group(5)] += 1
            evidence.setdefault((m.group(1), m.group(3)), m.group(4))
        print("\nclassification matrix (%d workers per case, Restart=on-failure):" % N)
        print("  %-13s %-15s %-28s %s" % ("case", "expected", "got", "actions"))
        bad = []
        for name, (want, _) in cases.items():
            c = got[name]
            # Restart=on-failure: a success retires its slot, our own stop
            # leaves it (the pool is stopping), any failure restarts
            want_action = {"success": "retire", "stopped": "none"}.get(want, "restart")
            ok = c[want] == N and sum(c.values()) == N and actions[name][want_action] == N
            print("  %-13s %-15s %-28s %-18s %s" % (name, want, dict(c), dict(actions[name]),
                                                    "ok" if ok else "WRONG"))
            if not ok:
                bad.append((name, dict(c), dict(actions[name]), [evidence.get((name, r)) for r in c]))
        print("  e.g. stack-overflow evidence:", evidence.get(("stackmain", "stack-overflow")))
        print("  e.g. killed evidence:", evidence.get(("killed", "killed")))
        # every "core" worker dumped core (if the kernel could write it)
        want_core, why = core_expectation()
        core_ev = [m.group(4) for m in lines if m.group(1) == "core"]
        if want_core:
            undumped = [e for e in core_ev if not e.endswith(", core dumped")]
            print("  core dumps: %d of %d, e.g. %s" % (len(core_ev) - len(undumped), len(core_ev),
                                                      core_ev[:1]))
            if fixed_core_name():
                # N workers dump at once to the same file name: the kernel
                # unlinks and creates it O_EXCL, so racing dumps may lose.
                self.assertLess(len(undumped), len(core_ev), core_ev)
            else:
                self.assertEqual(undumped, [])
        else:
            print("  core dump flag not checked:", why)
        print("  e.g. seccomp evidence:", evidence.get(("seccomp", "seccomp")))
        if not probe:
            # what they got is the probe-less evidence; what they would get
            # with the probe is checked in the VM (vm-matrix)
            for name, (reason, ev) in WITHOUT_PROBE.items():
                self.assertEqual(evidence.get((name, reason)), ev, name)
            NOT_RUN["fault-probe"] += len(WITHOUT_PROBE)
            print("  without the fault probe: %s classified %s, with the probe: not run here"
                  % (", ".join(WITHOUT_PROBE), "segfault"))
        shutil.rmtree(CORE_DIR, ignore_errors=True)
        self.assertEqual(bad, [])


if __name__ == "__main__":
    main()
