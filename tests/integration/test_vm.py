#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""VM integration tests: need cgroup v2 with the memory, cpu, pids (and io)
controllers, which this project's hosts lack. Run inside the throw-away VM:
    tests/vm/vm-run -- python3 tests/integration/test_vm.py"""

import os
import re
import signal

from test_bus import pool
from test_jobs import JobTest
from wptest import DaemonTest, TESTWORKER, main, wait_until

SLEEP = "/bin/sleep"
MIB = 1024 * 1024


def read(path):
    with open(path) as f:
        return f.read().strip()


class Limits(DaemonTest):
    def setUp(self):
        super().setUp()
        from wptest import cgroup2_mount
        ctrl = read(os.path.join(cgroup2_mount(), "cgroup.controllers")).split()
        for c in ("memory", "cpu", "pids"):
            if c not in ctrl:
                self.skipTest(f"no {c} controller here: run me in the VM (tests/vm/vm-run)")

    def test_limits_in_every_worker_and_live_retune(self):
        text = ("[Pool]\nExecStart=/bin/sleep infinity\nWorkers=3\n"
                "[Resources]\nMemoryMax=64M\nMemoryHigh=48M\nMemorySwapMax=0\n"
                "CPUQuota=50%\nCPUWeight=200\nTasksMax=16\n")
        d = self.start({"lim": text})
        ws = d.wait_workers("lim", 3)
        for cg in ws:
            p = os.path.join(d.pool_dir("lim"), cg)
            self.assertEqual(read(p + "/memory.max"), str(64 * MIB))
            self.assertEqual(read(p + "/memory.high"), str(48 * MIB))
            if os.path.exists(p + "/memory.swap.max"):
                self.assertEqual(read(p + "/memory.swap.max"), "0")
            self.assertEqual(read(p + "/cpu.max"), "50000 100000")
            self.assertEqual(read(p + "/cpu.weight"), "200")
            self.assertEqual(read(p + "/pids.max"), "16")
            self.assertEqual(read(p + "/memory.oom.group"), "1")
        # reload with a new MemoryMax: live cgroups change, nobody restarts
        d.write_pool("lim", text.replace("MemoryMax=64M", "MemoryMax=128M").replace("TasksMax=16", "TasksMax=infinity"))
        d.signal(signal.SIGHUP)
        d.wait_log(r"Pool lim: new limits applied to 3 live workers")
        self.assertEqual(d.worker_pids("lim"), ws)
        for cg in ws:
            p = os.path.join(d.pool_dir("lim"), cg)
            self.assertEqual(read(p + "/memory.max"), str(128 * MIB))
            self.assertEqual(read(p + "/pids.max"), "max")
        self.assertCleanExit(d)

    def test_oom_kill_10_times(self):
        hog = f"{TESTWORKER} sleep:200 alloc:100 pause"
        d = self.start({
            "hog": f"[Pool]\nExecStart={hog}\nRestartSec=0\nStartLimitBurst=100\n"
                   "[Resources]\nMemoryMax=32M\nMemorySwapMax=0\n",
            "calm": "[Pool]\nExecStart=/bin/sleep infinity\nWorkers=2\n",
        })
        calm = d.wait_workers("calm", 2)
        m = d.wait_log(r"Pool hog: worker (\d+) \(pid (\d+)\) exited: (\S+) \((.*)\); action: (\S+)",
                       count=10, timeout=120)
        report = [(x.group(1), x.group(3), x.group(5)) for x in m[:10]]
        print("\nOOM runs:", report)
        for wid, reason, action in report:
            self.assertEqual(reason, "oom-kill", report)
            self.assertEqual(action, "restart", report)
        self.assertEqual(len({r[0] for r in report}), 10)   # new worker id each time
        self.assertEqual(d.worker_pids("calm"), calm)          # others untouched
        self.assertEqual(d.proc.poll(), None)
        self.assertCleanExit(d)

    def test_oom_vs_kill9_near_limit_50_50(self):
        """50 workers killed by an admin's kill -9 while close to their limit
        say "killed"; 50 that really run out of memory say "oom-kill"."""
        n = 50
        d = self.start({
            "near": "[Pool]\nExecStart=%s alloc:12 pause\nRestart=no\nWorkers=%d\n"
                    "[Resources]\nMemoryMax=16M\nMemorySwapMax=0\n" % (TESTWORKER, n),
            "hog": "[Pool]\nExecStart=%s sleep:100 alloc:64 pause\nRestart=no\nWorkers=%d\n"
                   "[Resources]\nMemoryMax=16M\nMemorySwapMax=0\n" % (TESTWORKER, n),
        })
        ws = d.wait_workers("near", n, timeout=120)

        def all_near():
            for cg in ws:
                cur = int(read(os.path.join(d.pool_dir("near"), cg, "memory.current")))
                if cur < 12 * MIB:
                    return False
            return True
        wait_until(all_near, timeout=120, what="every worker close to its limit")
        for pids in ws.values():
            os.kill(pids[0], signal.SIGKILL)
        rx = r"Pool %s: worker \d+ \(pid \d+\) exited: (\S+) "
        near = [m.group(1) for m in d.wait_log(rx % "near", count=n, timeout=120)]
        hog = [m.group(1) for m in d.wait_log(rx % "hog", count=n, timeout=120)]
        print("\n  kill -9 near the limit: %d/%d killed; real OOM: %d/%d oom-kill"
              % (near.count("killed"), n, hog.count("oom-kill"), n))
        self.assertEqual(near, ["killed"] * n)
        self.assertEqual(hog, ["oom-kill"] * n)
        self.assertCleanExit(d)


class MemoryRecycling(JobTest):
    """MemoryRecycle= (issue #14): a worker that grows with its jobs is
    replaced at an idle moment, before the OOM killer has to act. Needs the
    memory controller: the VM."""

    def setUp(self):
        super().setUp()
        from wptest import cgroup2_mount
        if "memory" not in read(os.path.join(cgroup2_mount(), "cgroup.controllers")).split():
            self.skipTest("no memory controller here: run me in the VM (tests/vm/vm-run)")

    def leaker(self, jobs):
        """A Type=notify worker whose every job keeps 1 MiB more (jobs:N:MS
        and leak:KB:MS both loop, so the steps are spelt out)."""
        return self.script("leaker.sh", "#!/bin/sh\nexec %s ready $(i=0; while [ $i -lt %d ]; do "
                           "echo busy:1 alloc:1 sleep:20 busy:0 sleep:20; i=$((i+1)); done) pause\n"
                           % (TESTWORKER, jobs))

    def test_memory_high_recycles_10_times_before_any_oom_kill(self):
        # 80 jobs of 1 MiB: past MemoryMax=60M (an oom-kill) unless recycled at memory.high
        d = self.start_bus_daemon({"mh": pool(self.leaker(80), Type="notify", MemoryRecycle="high")
                                   + "[Resources]\nMemoryHigh=20M\nMemoryMax=60M\nMemorySwapMax=0\n"})
        evs = self.wait_event("mh", "", count=10, timeout=240)[:10]
        print("\n  memory.high recycles:", [(e["id"], e["reason"], e["jobs"], e["memory_peak"] // MIB)
                                           for e in evs])
        self.assertEqual([e["reason"] for e in evs], ["recycled"] * 10, evs)
        for e in evs:
            self.assertEqual(e["action"], "replaced", e)
            self.assertRegex(e["evidence"], r"memory\.high|MemoryHigh=", e)
            self.assertGreaterEqual(e["jobs"], 10, "recycled before it reached memory.high")
            self.assertLess(e["memory_peak"], 60 * MIB, e)
        for old, new in zip(evs, evs[1:]):
            self.assertEqual(old["successor"], new["id"])
        self.assertEqual(self.events("mh", "oom-kill"), [])
        self.assertEqual(self.pget("mh", "State"), "running")
        self.assertCleanExit(d)

    def test_memory_recycle_size_waits_for_the_idle_moment(self):
        """MemoryRecycle=10M: over it in the middle of a 1.5 s job, the
        worker is replaced when the job ends, not before; a small one is not."""
        d = self.start_bus_daemon({
            "ms": pool(f"{TESTWORKER} ready busy:1 alloc:16 sleep:1500 busy:0 pause", Type="notify",
                       MemoryRecycle="10M"),
            "small": pool(f"{TESTWORKER} ready jobs:0:50", Type="notify", MemoryRecycle="10M"),
        })
        e = self.wait_event("ms", "recycled", timeout=60)[0]
        self.assertIn("MemoryRecycle=", e["evidence"])
        self.assertEqual((e["action"], e["jobs"]), ("replaced", 1))
        self.assertGreater(e["exited_at"] - e["started_at"], 1_500_000, "recycled in the middle of its job")
        self.assertEqual(self.events("small"), [])
        self.assertCleanExit(d)


if __name__ == "__main__":
    main()
