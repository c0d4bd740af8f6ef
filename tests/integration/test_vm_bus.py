#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The bus against real controllers: needs cgroup v2 with memory, cpu and
pids, so it runs in the VM (tests/vm/vm-run), on a private dbus-daemon."""

import os

from test_bus import BusTest, POOL_IF, SLEEP, pool
from wptest import cgroup2_mount, main

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


if __name__ == "__main__":
    main()
