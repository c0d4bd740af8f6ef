#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The bus against real controllers: needs cgroup v2 with memory, cpu and
pids, so it runs in the VM (tests/vm/vm-run), on a private dbus-daemon."""

import os

from test_bus import BusTest, POOL_IF, SLEEP, pool
from wptest import cgroup2_mount, main, wait_until

MIB = 1 << 20


def read(path):
    with open(path) as f:
        return f.read().strip()


class LiveLimits(BusTest):
    def setUp(self):
        super().setUp()
        ctrl = read(os.path.join(cgroup2_mount(), "cgroup.controllers")).split()
        for c in ("memory", "cpu", "pids"):
            if c not in ctrl:
                self.skipTest(f"no {c} controller: run me in the VM")

    def test_set_properties_changes_every_live_cgroup_in_one_call(self):
        d = self.start_bus_daemon({"lim": pool(f"{SLEEP} infinity", Workers=20)
                                   + "[Resources]\nMemoryMax=64M\nTasksMax=16\n"})
        ws = d.wait_workers("lim", 20, timeout=60)
        for cg in ws:
            self.assertEqual(read(os.path.join(d.pool_dir("lim"), cg, "memory.max")), str(64 * MIB))
        self.call(self.pool_path("lim"), POOL_IF, "SetProperties", "ba(sv)", "false", 3,
                  "MemoryMax", "s", "200M", "TasksMax", "t", 32, "CPUQuota", "s", "25%")
        # when the call has returned, every live leaf has the new values
        for cg in ws:
            leaf = os.path.join(d.pool_dir("lim"), cg)
            self.assertEqual(read(leaf + "/memory.max"), str(200 * MIB))
            self.assertEqual(read(leaf + "/pids.max"), "32")
            self.assertEqual(read(leaf + "/cpu.max"), "25000 100000")
        self.assertEqual(d.worker_pids("lim"), ws)     # nobody restarted
        # persisted: survives Reload, and new workers get it too
        self.mgr("Reload")
        self.call(self.pool_path("lim"), POOL_IF, "Scale", "u", 21)
        ws2 = d.wait_workers("lim", 21)
        for cg in ws2:
            self.assertEqual(read(os.path.join(d.pool_dir("lim"), cg, "memory.max")), str(200 * MIB))
        self.assertCleanExit(d)


    def test_fork_bomb_and_memory_hog_contained(self):
        """TasksMax= holds a fork bomb and MemoryMax= a memory hog, each in its
        own worker cgroup; the daemon keeps answering the bus meanwhile, and
        the other pool is untouched."""
        import statistics
        import time
        from wptest import TESTWORKER
        d = self.start_bus_daemon({
            "bomb": pool(f"{TESTWORKER} forkbomb", Workers=2, Restart="no")
                    + "[Resources]\nTasksMax=32\nCPUQuota=20%\n",
            "hog": pool(f"{TESTWORKER} alloc:200 pause", Workers=2, RestartSec="1s")
                   + "[Resources]\nMemoryMax=32M\nMemorySwapMax=0\n",
            "calm": pool(f"{SLEEP} infinity", Workers=3),
        })
        calm = d.wait_workers("calm", 3)
        ws = d.wait_workers("bomb", 2, timeout=60)
        for cg in ws:
            leaf = os.path.join(d.pool_dir("bomb"), cg)
            self.assertEqual(read(leaf + "/pids.max"), "32")
        lat = []
        end = time.monotonic() + 10
        while time.monotonic() < end:
            t = time.monotonic()
            self.busctl("get-property", "org.workerpoold1", "/org/workerpoold1",
                        "org.workerpoold1.Manager", "NWorkers")
            lat.append((time.monotonic() - t) * 1000)
        for cg in ws:
            leaf = os.path.join(d.pool_dir("bomb"), cg)
            self.assertLessEqual(int(read(leaf + "/pids.current")), 32)
            self.assertGreater(int(read(leaf + "/pids.events").split()[1]), 0)   # max hit
        d.wait_log(r"Pool hog: worker \d+ \(pid \d+\) exited: oom-kill", count=2, timeout=60)
        self.assertEqual(d.worker_pids("calm"), calm)
        # the same calls once the storm is over, for comparison
        self.call(self.pool_path("bomb"), "org.workerpoold1.Pool", "Stop")
        self.call(self.pool_path("hog"), "org.workerpoold1.Pool", "Stop")
        wait_until(lambda: not d.worker_cgroups("bomb") and not d.worker_cgroups("hog"), timeout=60,
                   what="storm pools stopped")
        calm_lat = []
        for _ in range(len(lat)):
            t = time.monotonic()
            self.busctl("get-property", "org.workerpoold1", "/org/workerpoold1",
                        "org.workerpoold1.Manager", "NWorkers")
            calm_lat.append((time.monotonic() - t) * 1000)
        print(f"\n  fork bomb + memory hog (TCG VM, 2 vCPUs): bus latency median "
              f"{statistics.median(lat):.0f} ms (max {max(lat):.0f}) during the storm, "
              f"{statistics.median(calm_lat):.0f} ms after; {len(lat)} calls each")
        self.assertLess(statistics.median(lat), 5000)
        self.assertCleanExit(d, timeout=120)


if __name__ == "__main__":
    main()
