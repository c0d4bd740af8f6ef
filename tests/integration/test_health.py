#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Health checks and the pool's own commands (issue #14, "Health, hooks and
reload"), on the host with the real daemon on a private bus: a worker whose
ExecHealthCheck= fails HealthCheckRetries= times in a row is replaced as
unhealthy with the probe's status and first line; probes run in the
worker's cgroup as its user, in its private /tmp, only once it is ready;
NotifyAccess=exec hears the running probe; ExecStartPre= runs before the
first worker, each command in a fresh leaf, and its failure fails the start
with the output in the journal and runs ExecStopPost=; ExecStopPost= runs
once the last worker of a stopping pool is gone."""

import json
import os
import shutil
import subprocess
import tempfile
import time

from test_admin import AdminTest
from wptest import TESTWORKER, cgroup2_mount, main, reachable_copy, wait_until

NAME = "org.workerpoold1"
MGR = ("/org/workerpoold1", "org.workerpoold1.Manager")
POOL_IF = "org.workerpoold1.Pool"
WORKER_IF = "org.workerpoold1.Worker"
EXITED = r"Pool {p}: worker (\d+) \(pid (\d+)\) exited: {r} \((.*)\); action: (.+)\.$"


def pool(exec_start, *lines, **keys):
    """A [Pool] section: ExecStart=, then `lines` (for keys given more than
    once, e.g. ExecStartPre=), then the keys; [Sandbox] keys after a line
    "[Sandbox]" in lines."""
    body = "".join(f"{k}={v}\n" for k, v in keys.items())
    head, sandbox = [], []
    target = head
    for l in lines:
        if l == "[Sandbox]":
            target = sandbox
            continue
        target.append(l + "\n")
    text = "[Pool]\n" + f"ExecStart={exec_start}\n" + "".join(head) + body
    if sandbox:
        text += "[Sandbox]\n" + "".join(sandbox)
    return text


class HealthTest(AdminTest):
    """The admin tests' private bus and busctl helpers (busctl, pool_path,
    prop, call), and a directory for what probes and commands write."""

    def setUp(self):
        super().setUp()
        # What probes and commands write for the test: anyone may write
        # (User=nobody), and not under /tmp (PrivateTmp= hides it).
        self.out = tempfile.mkdtemp(prefix="wp-health-", dir="/dev/shm")
        os.chmod(self.out, 0o777)
        self.addCleanup(shutil.rmtree, self.out, True)

    def start_bus(self, pools, **kw):
        d = self.start(pools, extra_args=["--bus", self.bus.address], **kw)
        # on the bus before anything is asked of it (a pool without workers
        # gives nothing else to wait for)
        wait_until(lambda: self.busctl("call", NAME, *MGR, "ListPools", check=False).returncode == 0,
                   timeout=20, what="the daemon on the bus")
        return d

    def worker_prop(self, wid, prop):
        path = json.loads(self.busctl("call", NAME, *MGR, "GetWorker", "t", str(wid)).stdout)["data"][0]
        return json.loads(self.busctl("get-property", NAME, path, WORKER_IF, prop).stdout)["data"]

    def path(self, name):
        return os.path.join(self.out, name)

    def read(self, name):
        try:
            with open(self.path(name)) as f:
                return f.read()
        except FileNotFoundError:
            return None


class HealthChecks(HealthTest):
    def test_failing_probe_replaces_the_worker_as_unhealthy(self):
        """count-exit passes twice, then fails: after HealthCheckRetries=3
        failures in a row (probes 3, 4, 5) the worker is stopped, its exit
        is `unhealthy` with the exit status and the first line, each
        failure was logged, and a new worker takes its place."""
        count = self.path("count")
        d = self.start_bus({"h": pool(f"{TESTWORKER} pause", ExecHealthCheck=f"{TESTWORKER} count-exit:{count}:2",
                                      HealthCheckIntervalSec="100ms", HealthCheckRetries=3, RestartSec="50ms")})
        first = d.wait_workers("h", 1)
        for k in (1, 2, 3):
            d.wait_log(r"Pool h: worker \d+ \(pid \d+\): health check failed \(%d of 3\): exit status 1: "
                       r"probe %d failed" % (k, k + 2), timeout=10)
        m = d.wait_log(EXITED.format(p="h", r="unhealthy"), timeout=10)[0]
        self.assertIn("health check failed 3 times in a row: exit status 1: probe 5 failed", m.group(3))
        self.assertNotIn("second line", m.group(3), "the first line only")
        self.assertNotEqual(m.group(4), "none", m.group(0))
        old_pid = int(m.group(2))
        self.assertIn(old_pid, sum(first.values(), []))
        wait_until(lambda: (lambda ws: len(ws) == 1 and old_pid not in sum(ws.values(), []))(d.worker_pids("h")),
                   timeout=10, what="a new worker")
        self.assertCleanExit(d)

    def test_passing_probe_keeps_the_worker_and_runs_one_at_a_time(self):
        """A probe that passes (and takes longer than the interval) never
        replaces the worker, and never runs twice at once."""
        script = os.path.join(self.out, "slow-probe.sh")
        with open(script, "w") as f:
            f.write(f"#!/bin/sh\nmkdir {self.out}/running || exit 7\necho x >>{self.out}/ran\n"
                    f"sleep 0.3\nrmdir {self.out}/running\n")
        os.chmod(script, 0o755)
        d = self.start_bus({"p": pool("/bin/sleep infinity", ExecHealthCheck=script, HealthCheckIntervalSec="50ms",
                                      HealthCheckRetries=1)})
        d.wait_workers("p", 1)
        wait_until(lambda: (self.read("ran") or "").count("x") >= 4, timeout=10, what="four probes")
        self.assertNotIn("health check failed", d.log_text())
        self.assertNotRegex(d.log_text(), EXITED.format(p="p", r=r"\S+"))
        self.assertCleanExit(d)

    def test_probe_runs_in_the_workers_cgroup_as_its_user(self):
        worker = reachable_copy(TESTWORKER)
        probe = (f"/bin/sh -c \"{{ id -u; echo $$MAINPID $$WORKERPOOL_WORKER_ID; grep ^0:: /proc/self/cgroup; }} "
                 f">{self.out}/seen.tmp && mv {self.out}/seen.tmp {self.out}/seen\"")
        d = self.start_bus({"u": pool(f"{worker} pause", "[Sandbox]", "User=nobody", ExecHealthCheck=probe,
                                      HealthCheckIntervalSec="100ms")})
        ws = d.wait_workers("u", 1)
        wait_until(lambda: self.read("seen"), timeout=10, what="a probe")
        uid, ids, cgroup = self.read("seen").splitlines()
        leaf, pids = list(ws.items())[0]
        self.assertEqual(uid, "65534")
        self.assertEqual(ids.split()[0], str(pids[0]), "MAINPID is the worker's main process")
        self.assertEqual("u-%s.worker" % ids.split()[1], leaf)
        rel = d.cgroot[len(d.mount):]
        self.assertEqual(cgroup, f"0::{rel}/u.pool/{leaf}")
        self.assertCleanExit(d)

    def test_probe_sees_the_workers_private_tmp(self):
        # the worker's /tmp is a fresh one: its program must not live under
        # /tmp (a build tree may: a clone in /tmp)
        worker = os.path.join(self.out, "testworker")
        shutil.copy(TESTWORKER, worker)
        os.chmod(worker, 0o755)
        d = self.start_bus({"t": pool(f"{worker} write:/tmp/marker:inside-%n pause", "[Sandbox]",
                                      "PrivateTmp=yes", ExecHealthCheck=f"/bin/cp /tmp/marker {self.out}/marker",
                                      HealthCheckIntervalSec="100ms")})
        d.wait_workers("t", 1)
        wait_until(lambda: self.read("marker"), timeout=10, what="the probe's copy of the worker's /tmp/marker")
        self.assertEqual(self.read("marker"), "inside-t")
        self.assertNotIn("health check failed", d.log_text())
        self.assertCleanExit(d)

    def test_never_before_ready_and_a_timeout_is_a_failure(self):
        """A Type=notify worker that is ready only after a while gets no
        probe before; then a probe that hangs is killed at
        HealthCheckTimeoutSec= and counts."""
        d = self.start_bus({"r": pool(f"{TESTWORKER} sleep:800 ready pause", Type="notify",
                                      ExecHealthCheck=f"/bin/sh -c 'echo probe >>{self.out}/probes; exec sleep 30'",
                                      HealthCheckIntervalSec="50ms", HealthCheckTimeoutSec="200ms",
                                      HealthCheckRetries=2, Restart="no")})
        d.wait_workers("r", 1)
        time.sleep(0.5)
        self.assertIsNone(self.read("probes"), "a probe ran before READY=1")
        d.wait_log(r"Pool r: worker \d+ \(pid \d+\) is ready")
        m = d.wait_log(EXITED.format(p="r", r="unhealthy"), timeout=10)[0]
        self.assertIn("health check failed 2 times in a row: timed out after 200ms", m.group(3))
        self.assertEqual(self.read("probes"), "probe\nprobe\n")
        self.assertCleanExit(d)

    def test_notify_access_exec_hears_the_probe(self):
        """Under NotifyAccess=exec a notify message from the running probe
        speaks for the worker; under main it is dropped."""
        probe = f"{TESTWORKER} notify:STATUS=from-probe sleep:500"
        d = self.start_bus({"e": pool(f"{TESTWORKER} ready status:from-main pause", Type="notify",
                                      NotifyAccess="exec", ExecHealthCheck=probe, HealthCheckIntervalSec="100ms"),
                            "m": pool(f"{TESTWORKER} ready status:from-main pause", Type="notify",
                                      ExecHealthCheck=probe, HealthCheckIntervalSec="100ms")})
        we = int(d.wait_log(r"Pool e: worker (\d+) \(pid \d+\) is ready")[0].group(1))
        wm = int(d.wait_log(r"Pool m: worker (\d+) \(pid \d+\) is ready")[0].group(1))
        wait_until(lambda: self.worker_prop(we, "StatusText") == "from-probe", timeout=10,
                   what="the probe's STATUS= under NotifyAccess=exec")
        d.wait_log(r"Pool m: worker %d: notify message from pid \d+ dropped \(NotifyAccess=main\)" % wm)
        self.assertEqual(self.worker_prop(wm, "StatusText"), "from-main")
        self.assertCleanExit(d)


class Commands(HealthTest):
    def command_leaves(self, d, name):
        try:
            return sorted(e for e in os.listdir(d.pool_dir(name)) if e.endswith(".command"))
        except FileNotFoundError:
            return []

    def test_start_pre_before_the_first_worker_each_in_a_fresh_leaf(self):
        log = self.path("log")
        d = self.start_bus({"a": pool(f"/bin/sh -c 'echo worker >>{log}; exec sleep infinity'",
                                      f"ExecStartPre=/bin/sh -c 'echo pre-output; echo one >>{log}; "
                                      f"grep ^0:: /proc/self/cgroup >>{log}'",
                                      "ExecStartPre=-/bin/false",
                                      f"ExecStartPre=/bin/sh -c 'echo two-$${{WORKERPOOL_POOL}}-${{X}} >>{log}'",
                                      Environment="X=y")})
        d.wait_workers("a", 1)
        wait_until(lambda: self.prop("a", "State") == "running", what="running")
        rel = d.cgroot[len(d.mount):]
        self.assertEqual(self.read("log").splitlines(),
                         ["one", f"0::{rel}/a.pool/start-pre-1.command", "two-a-y", "worker"])
        d.wait_log(r"Pool a: ExecStartPre=/bin/sh: pre-output")
        d.wait_log(r"Pool a: ExecStartPre=-/bin/false failed, ignoring: exit status 1")
        self.assertEqual(self.command_leaves(d, "a"), [], "every command's leaf is removed")
        self.assertCleanExit(d)

    def test_start_pre_failure_fails_the_start_and_runs_stop_post(self):
        d = self.start_bus({"b": pool("/bin/sleep infinity",
                                      "ExecStartPre=/bin/sh -c 'echo \"cannot prepare: disk full\"; echo more; exit 3'",
                                      f"ExecStartPre=/bin/touch {self.out}/not-run",
                                      f"ExecStopPost=/bin/sh -c 'echo post >>{self.out}/post'")})
        wait_until(lambda: self.prop("b", "State") == "failed", timeout=10, what="failed")
        self.assertIn("ExecStartPre=/bin/sh failed: exit status 3: cannot prepare: disk full",
                      self.prop("b", "StateReason"))
        # the whole output is in the journal, line by line
        d.wait_log(r"Pool b: ExecStartPre=/bin/sh: cannot prepare: disk full")
        d.wait_log(r"Pool b: ExecStartPre=/bin/sh: more")
        wait_until(lambda: self.read("post") == "post\n", timeout=10, what="ExecStopPost= after the failure")
        self.assertIsNone(self.read("not-run"), "the rest of ExecStartPre= is skipped")
        self.assertEqual(d.worker_cgroups("b"), [], "no worker started")
        wait_until(lambda: self.command_leaves(d, "b") == [], what="the leaves removed")
        self.assertCleanExit(d)

    def test_stop_post_once_the_last_worker_is_gone(self):
        """Workers that ignore SIGTERM, killed after TimeoutStopSec=: the
        one ExecStopPost= runs after both are gone (it lists the pool's
        cgroup: only its own leaf is there), then the pool is stopped."""
        mount = cgroup2_mount()
        stop_post = (f"ExecStopPost=/bin/sh -c 'p=$(sed -n \"s/^0:://p\" /proc/self/cgroup); "
                     f"cd {mount}$(dirname $p) && ls -d */ >{self.out}/listing; echo done >>{self.out}/post'")
        d = self.start_bus({"s": pool(f"{TESTWORKER} ignore-term pause", stop_post, Workers=2,
                                      TimeoutStopSec="500ms")})
        d.wait_workers("s", 2)
        wait_until(lambda: self.prop("s", "State") == "running", what="running")
        self.assertIsNone(self.read("post"), "not while running")
        self.call("s", "Stop")
        wait_until(lambda: self.prop("s", "State") == "stopped", timeout=10, what="stopped")
        self.assertEqual(self.read("listing"), "stop-post-1.command/\n")
        self.assertEqual(self.read("post"), "done\n")
        self.assertEqual(self.command_leaves(d, "s"), [])
        self.assertCleanExit(d)


if __name__ == "__main__":
    main()
