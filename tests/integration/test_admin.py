#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The first hour of an admin (issue #13), the daemon's side: a worker killed
from outside comes back, start / reset-failed / restart refill slots, the
pool's state tells the truth, jobs end with JobDone, WATCHDOG=trigger says
so, NotifyAccess= with the real systemd-notify, $VAR in ExecStart=, the
configuration check. Real daemon, real private bus, real workers. (The
second instance, from the admin's side, is in test_adversary.py:
SecondInstance; the client's side of all this in test_ctl.py.)"""

import ast
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time

from wptest import DaemonTest, PrivateBus, TESTWORKER, WORKERPOOLD, cgroup2_mount, main, wait_until

NAME = "org.workerpoold1"
MGR = ("/org/workerpoold1", "org.workerpoold1.Manager")
POOL_IF = "org.workerpoold1.Pool"
EXITED = r"Pool {p}: worker (\d+) \(pid (\d+)\) exited: {r} \((.*)\); action: (\S+)\."
SYS_PYTHON = "/usr/bin/python3"    # Debian's: the one python3-systemd installs into
SYSTEMD_NOTIFY = shutil.which("systemd-notify") or "/usr/bin/systemd-notify"


def pool(exec_start, **keys):
    return "[Pool]\n" + f"ExecStart={exec_start}\n" + "".join(f"{k}={v}\n" for k, v in keys.items())


class AdminTest(DaemonTest):
    def setUp(self):
        super().setUp()
        self.bus = PrivateBus()
        self.addCleanup(self.bus.close)

    def start_bus(self, pools, **kw):
        return self.start(pools, extra_args=["--bus", self.bus.address], **kw)

    def busctl(self, *args, check=True):
        p = subprocess.run(["busctl", "--address=" + self.bus.address, "--json=short", *args],
                           capture_output=True, text=True, timeout=30)
        if check and p.returncode != 0:
            raise AssertionError(f"busctl {args}: {p.stderr}")
        return p

    def pool_path(self, name):
        p = self.busctl("call", NAME, *MGR, "GetPool", "s", name)
        return json.loads(p.stdout)["data"][0]

    def prop(self, name, prop):
        p = self.busctl("get-property", NAME, self.pool_path(name), POOL_IF, prop)
        return json.loads(p.stdout)["data"]

    def call(self, name, method, *args):
        return self.busctl("call", NAME, self.pool_path(name), POOL_IF, method, *args)


class KilledComesBack(AdminTest):
    def test_kill_term_of_a_worker_is_refilled(self):
        """kill -TERM from outside under the default Restart=on-failure: a
        failure, the worker comes back, the pool is running again."""
        d = self.start_bus({"r": pool("/bin/sleep infinity", Workers=3, RestartSec="50ms")})
        ws = d.wait_workers("r", 3)
        victim = list(ws.values())[0][0]
        os.kill(victim, signal.SIGTERM)
        m = d.wait_log(r"Pool r: worker \d+ \(pid %d\) exited: killed \((.*)\); action: (\S+)" % victim)[0]
        self.assertTrue(m.group(2).startswith("restart"), m.group(0))
        after = d.wait_workers("r", 3)
        self.assertNotIn(victim, [p for ps in after.values() for p in ps])
        wait_until(lambda: self.prop("r", "State") == "running", what="running again")
        self.assertCleanExit(d)

    def test_kill_workers_over_the_bus_is_refilled(self):
        """KillWorkers (workerpoolctl kill POOL) with the default SIGTERM:
        every worker is restored."""
        d = self.start_bus({"k": pool("/bin/sleep infinity", Workers=2, RestartSec="50ms")})
        before = d.wait_workers("k", 2)
        self.call("k", "KillWorkers", "s", "SIGTERM")
        d.wait_log(r"Pool k: worker \d+ \(pid \d+\) exited: killed .*action: restart", count=2)
        wait_until(lambda: (lambda ws: len(ws) == 2 and not set(sum(ws.values(), [])) &
                            set(sum(before.values(), [])))(d.worker_pids("k")), what="two new workers")
        self.assertCleanExit(d)


class Slots(AdminTest):
    def test_start_fills_vacant_slots(self):
        """Restart=no and a crash: the slot is vacant, the pool degraded;
        Start fills it (it used to change nothing)."""
        marker = os.path.join(self.bus.tmp, "crashed-once")
        script = os.path.join(self.bus.tmp, "crash-once.sh")
        with open(script, "w") as f:
            f.write(f"#!/bin/sh\nmkdir {marker} 2>/dev/null && exit 3\nexec sleep infinity\n")   # mkdir: one worker only
        os.chmod(script, 0o755)
        d = self.start_bus({"v": pool(script, Workers=2, Restart="no")})
        d.wait_log(r"Pool v: worker \d+ \(pid \d+\) exited: exit-code .*action: none")
        wait_until(lambda: self.prop("v", "State") == "degraded", what="degraded")
        self.assertEqual(len(d.worker_pids("v")), 1)
        self.call("v", "Start")
        d.wait_workers("v", 2)
        wait_until(lambda: self.prop("v", "State") == "running", what="running")
        self.assertCleanExit(d)

    def test_reset_failed_refills_retired_slots_and_restart_replaces_all(self):
        """A worker that exits 0 under on-failure retires its slot; Start
        leaves it retired, ResetFailed refills it; Restart replaces every
        worker."""
        marker = os.path.join(self.bus.tmp, "done-once")
        script = os.path.join(self.bus.tmp, "done-once.sh")
        with open(script, "w") as f:
            f.write(f"#!/bin/sh\nmkdir {marker} 2>/dev/null && exit 0\nexec sleep infinity\n")   # mkdir: one worker only
        os.chmod(script, 0o755)
        d = self.start_bus({"t": pool(script, Workers=2)})
        d.wait_log(r"Pool t: worker \d+ \(pid \d+\) exited: success .*action: retire")
        wait_until(lambda: self.prop("t", "Retired") == 1, what="one retired")
        self.call("t", "Start")
        time.sleep(0.3)
        self.assertEqual(len(d.worker_pids("t")), 1, "Start does not refill a retired slot")
        self.call("t", "ResetFailed")
        d.wait_workers("t", 2)
        self.assertEqual(self.prop("t", "Retired"), 0)
        before = set(sum(d.worker_pids("t").values(), []))
        self.call("t", "Restart")
        wait_until(lambda: (lambda ws: len(ws) == 2 and not set(sum(ws.values(), [])) & before)(d.worker_pids("t")),
                   what="both replaced")
        self.assertCleanExit(d)


class StateTruth(AdminTest):
    def test_starting_and_growing_are_not_degraded(self):
        """Workers that take a while to get ready: the pool is starting until
        they are, and a pool that grows stays running: never degraded."""
        slow = f"{TESTWORKER} sleep:400 ready pause"
        d = self.start_bus({"s": pool(slow, Type="notify", Workers=2)})
        d.wait_log(r"Pool s: starting -> running", timeout=10)
        mark = d.mark()
        self.call("s", "Scale", "u", "4")
        d.wait_log(r"Pool s: worker \d+ \(pid \d+\) is ready", count=2, start=mark)
        time.sleep(0.2)
        states = [l for l in d.lines if re.search(r"Pool s: \S+ -> \S+\.$", l)]
        self.assertFalse([l for l in states if "degraded" in l], "\n".join(states))
        self.assertEqual(self.prop("s", "State"), "running")
        self.assertCleanExit(d)

    def test_watchdog_trigger_has_evidence_of_its_own(self):
        d = self.start_bus({"w": pool(f"{TESTWORKER} ready sleep:100 notify:WATCHDOG=trigger pause", Type="notify",
                                      Restart="no")})
        m = d.wait_log(EXITED.format(p="w", r="watchdog"))[0]
        self.assertIn("WATCHDOG=trigger", m.group(3))
        self.assertNotIn("within WatchdogSec=", m.group(3))
        self.assertCleanExit(d)


class Jobs(AdminTest):
    def monitor(self):
        """gdbus monitor (glib's client, which listens with a match rule: no
        monitor rights needed) on the daemon's signals, started now."""
        p = subprocess.Popen(["gdbus", "monitor", "--address", self.bus.address, "--dest", NAME],
                             stdout=subprocess.PIPE, text=True)
        self.addCleanup(lambda: (p.kill(), p.wait(), p.stdout.close()))
        line = p.stdout.readline()           # "Monitoring signals from all objects owned by ..."
        self.assertIn("Monitoring", line)
        p.stdout.readline()                  # "The name ... is owned by ..."
        return p

    def job_done(self, mon, timeout=15):
        """The next JobDone signal's arguments (requester, job, result, message)."""
        got = []

        def read():
            for line in iter(mon.stdout.readline, ""):
                if ".JobDone " in line:
                    got.append(list(ast.literal_eval(line.split(".JobDone ", 1)[1])))
                    return
        threading.Thread(target=read, daemon=True).start()
        wait_until(lambda: got, timeout, what="a JobDone signal")
        return got[0]

    def test_stop_job_done_when_the_last_worker_is_gone(self):
        d = self.start_bus({"j": pool(f"{TESTWORKER} ignore-term pause", Workers=2, TimeoutStopSec="1s")})
        d.wait_workers("j", 2)
        mon = self.monitor()
        t0 = time.monotonic()
        self.call("j", "Stop")
        requester, job, result, message = self.job_done(mon)
        took = time.monotonic() - t0
        self.assertEqual((job, result), ("stop", "done"), message)
        self.assertTrue(requester.startswith(":"), requester)
        self.assertGreater(took, 0.9, "done only once the SIGTERM-ignoring workers are killed")
        self.assertEqual(d.worker_cgroups("j"), [])
        self.assertCleanExit(d)

    def test_start_job_fails_when_a_worker_never_gets_ready(self):
        d = self.start_bus({"f": pool(f"{TESTWORKER} exit:1", Type="notify", RestartSec="1min")})
        d.wait_log(r"Pool f: worker \d+ \(pid \d+\) exited")
        self.call("f", "Stop")
        wait_until(lambda: self.prop("f", "State") == "stopped", what="stopped")
        mon = self.monitor()
        self.call("f", "Start")
        requester, job, result, message = self.job_done(mon)
        self.assertEqual((job, result), ("start", "failed"))
        self.assertIn("exited before it was ready", message)
        self.assertIn("protocol (exit status 1 before READY=1)", message)
        self.assertCleanExit(d)

    def test_a_job_done_at_once_still_ends(self):
        d = self.start_bus({"a": pool("/bin/sleep infinity")})
        d.wait_workers("a", 1)
        wait_until(lambda: self.prop("a", "State") == "running", what="running")
        mon = self.monitor()
        self.call("a", "Start")
        self.assertEqual(self.job_done(mon)[1:3], ["start", "done"])
        self.assertCleanExit(d)


class NotifyAccessAndVariables(AdminTest):
    def notify_script(self, body):
        path = os.path.join(self.bus.tmp, "notify.sh")
        with open(path, "w") as f:
            f.write("#!/bin/sh\n" + body)
        os.chmod(path, 0o755)
        return path

    def test_systemd_notify_from_the_main_shell(self):
        """The real systemd-notify in the worker's shell script: as root it
        sends on its parent's behalf (systemd-notify(1): the PID defaults to
        the parent's), so NotifyAccess=main takes it, as systemd does; it
        waits (no --no-block) until the daemon has read it."""
        script = self.notify_script(f"{SYSTEMD_NOTIFY} --ready --status=from-systemd-notify\n"
                                    "echo notified >&2\nexec sleep infinity\n")
        d = self.start_bus({"m": pool(script, Type="notify", TimeoutStartSec="5s")})
        d.wait_log(r"Pool m: worker \d+ \(pid \d+\) is ready")
        wait_until(lambda: self.prop("m", "State") == "running", what="running")
        self.assertNotIn("Failed to invoke barrier", d.log_text())
        self.assertCleanExit(d)

    def test_a_child_is_refused_under_main_and_heard_under_all(self):
        """A child of the main process (python3-systemd's daemon.notify(),
        which sends with its own pid) is refused under the default
        NotifyAccess=main and heard under NotifyAccess=all."""
        if subprocess.run([SYS_PYTHON, "-c", "import systemd.daemon"], capture_output=True).returncode:
            self.skipTest("python3-systemd is not installed (tools/deps installs it)")
        script = self.notify_script(
            f"{SYS_PYTHON} -c 'import time; from systemd import daemon; "
            "daemon.notify(\"READY=1\"); time.sleep(2)'\nexec sleep infinity\n")
        d = self.start_bus({"m": pool(script, Type="notify", TimeoutStartSec="1500ms", Restart="no"),
                            "a": pool(script, Type="notify", NotifyAccess="all")})
        d.wait_log(r"Pool a: worker \d+ \(pid \d+\) is ready")
        d.wait_log(r"Pool m: worker \d+: notify message from pid \d+ dropped \(NotifyAccess=main\)")
        d.wait_log(EXITED.format(p="m", r="timeout"), timeout=10)
        self.assertEqual(self.prop("a", "State"), "running")
        self.assertCleanExit(d)

    def test_a_barrier_sender_is_looked_up_alive(self):
        """systemd-notify waits on a barrier (a message carrying a pipe) until
        the daemon closed it: the daemon holds the pipe until it has looked
        the sender up, so the barrier is never "outside any worker"."""
        script = self.notify_script(f"{SYSTEMD_NOTIFY} --ready\nexec sleep infinity\n")
        d = self.start_bus({"b": pool(script, Type="notify", NotifyAccess="all", Workers=3)})
        d.wait_log(r"Pool b: worker \d+ \(pid \d+\) is ready", count=3)
        time.sleep(0.3)
        self.assertNotIn("outside any live worker cgroup", d.log_text())
        self.assertCleanExit(d)

    def test_exec_start_variables(self):
        out = os.path.join(self.bus.tmp, "args")
        os.makedirs(out)
        d = self.start_bus({"e": pool(f"{TESTWORKER} write:{out}/${{WORKERPOOL_WORKER_ID}}:port=${{PORT}}-$$ "
                                      "$FLAGS pause", Workers=2, Environment="PORT=8080 \"FLAGS=sleep:1 sleep:1\"")})
        wait_until(lambda: len(os.listdir(out)) == 2, what="two workers wrote their files")
        for name in os.listdir(out):
            self.assertRegex(name, r"^\d+$")
            with open(os.path.join(out, name)) as f:
                self.assertEqual(f.read(), "port=8080-$")
        # $FLAGS was split into two arguments (two sleep steps), not one
        pid = sum(d.worker_pids("e").values(), [])[0]
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            args = f.read().split(b"\0")
        self.assertIn(b"sleep:1", args)
        self.assertEqual(args.count(b"sleep:1"), 2)
        self.assertCleanExit(d)


class Verify(DaemonTest):
    def test_verify_reports_file_line_and_touches_nothing(self):
        tmp = tempfile.mkdtemp(prefix="wp-verify-")
        self.addCleanup(shutil.rmtree, tmp, True)
        pools = os.path.join(tmp, "pools.d")
        os.makedirs(os.path.join(pools, "b.pool.d"))
        with open(os.path.join(pools, "a.pool"), "w") as f:
            f.write("[Pool]\nExecStart=/bin/true\n")
        with open(os.path.join(pools, "b.pool"), "w") as f:
            f.write("[Pool]\nExecStart=/bin/true\nWorkers=lots\n")
        with open(os.path.join(pools, "b.pool.d", "x.conf"), "w") as f:
            f.write("[Resources]\nMemoryMax=a lot\n")
        with open(os.path.join(pools, "not a name.pool"), "w") as f:
            f.write("[Pool]\nExecStart=/bin/true\n")
        before = set(os.listdir(cgroup2_mount()))
        p = subprocess.run([WORKERPOOLD, "--verify", "--config-dir", pools, "--config", "/nonexistent"],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn("b.pool:3: Invalid Workers= value 'lots'", p.stderr)
        self.assertIn("x.conf:2: Invalid MemoryMax= value 'a lot'", p.stderr)
        self.assertIn("'not a name' is not a valid pool name", p.stderr)
        self.assertEqual(set(os.listdir(cgroup2_mount())), before, "no cgroup made")
        os.unlink(os.path.join(pools, "b.pool"))
        os.unlink(os.path.join(pools, "not a name.pool"))
        p = subprocess.run([WORKERPOOLD, "--verify", "--config-dir", pools, "--config", "/nonexistent"],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("configuration is valid", p.stdout)


if __name__ == "__main__":
    main()
