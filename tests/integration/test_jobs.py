#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The worker's job and the pool's flow (issue #14), the daemon's side, on
the host: the real daemon on a private dbus-daemon, real test workers.
MaxJobs= recycling (exactly N jobs, replacement first, no start limit),
JobTimeoutSec= with the capture of where the worker hangs and
JobTimeoutSignal=/JobTimeoutAction=, waiting is not hanging
(WaitTimeoutSec=), protocol violations and ProtocolViolationLimit= with
FailureAction=, the pool that ends (--exit-when-done), respawn correlation,
Pool.Reload, Freeze/Thaw/Diagnose, RuntimeMaxSec=, a re-exec that keeps the
new fields. (Health checks and ExecStartPre=/ExecStopPost=: test_health.py;
the client's side: test_ctl_jobs.py; memory.high recycling: test_vm.py.)"""

import ast
import json
import os
import re
import signal
import threading
import time

import test_admin
from test_bus import NAME, POOL_IF, WORKER_IF, pool
from test_ctl import SLEEP, CtlTest
from wptest import TESTWORKER, main, pid_alive, wait_until

# ListEvents' record, in the order of the bus contract (a(tsuttssbiisttttts))
EVENT = ("id pool pid started_at exited_at reason evidence core_dumped code status action "
         "memory_peak cpu_usec replaces successor jobs capture").split()
CLD_EXITED = 1
EXITED = r"Pool {p}: worker {w} \(pid \d+\) exited: {r} "


class JobTest(CtlTest):
    monitor = test_admin.Jobs.monitor       # gdbus monitor on the daemon's signals

    def events(self, pool_name, reason=""):
        evs = self.list_events(pool_name, reason)
        for e in evs:
            self.assertEqual(len(e), len(EVENT), f"ListEvents record is not the 17-field one: {e}")
        return [dict(zip(EVENT, e)) for e in evs]

    def worker_path(self, wid):
        return json.loads(self.mgr("GetWorker", "t", wid).stdout.split(None, 1)[1])

    def wget(self, wid, prop):
        return self.get(self.worker_path(wid), WORKER_IF, prop)

    def workers(self, pool_name):
        """{id: (pid, state)} from ListWorkers."""
        return {w[0]: (w[2], w[3]) for w in self.list_workers(pool_name)}

    def pcall(self, pool_name, method, **kw):
        return self.call(self.pool_path(pool_name), POOL_IF, method, **kw)

    def freeze_file(self, d, pool_name, wid):
        with open(os.path.join(d.pool_dir(pool_name), f"{pool_name}-{wid}.worker", "cgroup.freeze")) as f:
            return f.read().strip()

    def signals(self, mon):
        """Every line of the monitor from now on, in a list that grows."""
        lines = []
        threading.Thread(target=lambda: [lines.append(l) for l in iter(mon.stdout.readline, "")],
                         daemon=True).start()
        return lines

    def wait_event(self, pool_name, reason, count=1, timeout=15):
        return wait_until(lambda: (lambda e: e if len(e) >= count else None)(self.events(pool_name, reason)),
                          timeout, interval=0.1, what=f"{count} {reason} exit(s) in pool {pool_name}")

    def no_event(self, pool_name, seconds):
        time.sleep(seconds)
        self.assertEqual(self.events(pool_name), [])


class MaxJobs(JobTest):
    def test_recycled_after_exactly_max_jobs_replacement_first(self):
        """MaxJobs=3: each worker goes after its 3rd job with recycled and
        action replaced, its successor (started before it stops) names it;
        8 recycles under StartLimitBurst=2 never fail the pool; the pool
        never has fewer than N-1 ready or N active workers. Two workers only
        wait (the first two to take a slot), the third does the jobs; its
        replacement waits on a lock until it is gone: one recycle at a
        time, as the N-1 promise is for one recycle."""
        doer = self.script("doer.sh", f"""#!/bin/sh
for slot in 1 2; do
        mkdir {self.dir}/idle-$slot 2>/dev/null && exec {TESTWORKER} ready pause
done
exec 9>{self.dir}/lock
flock 9
exec {TESTWORKER} ready jobs:0:50
""")
        d = self.start_bus_daemon({"mj": pool(doer, Type="notify", Workers=3, MaxJobs=3, StartLimitBurst=2,
                                              StartLimitIntervalSec="30s", TimeoutStopSec=2)})
        self.wait_active("mj", 3)
        path = self.pool_path("mj")
        low = []

        def sample():
            out = self.busctl("get-property", NAME, path, POOL_IF, "ReadyWorkers", "ActiveWorkers").stdout
            ready, active = (int(l.split()[1]) for l in out.splitlines())
            if ready < 2 or active < 3:
                low.append((ready, active))
            return len(self.events("mj", "recycled")) >= 8
        wait_until(sample, 30, interval=0.01, what="8 recycles")
        self.assertEqual(low, [], "(ReadyWorkers, ActiveWorkers) below (N-1, N) while recycling")

        evs = self.events("mj", "recycled")[:8]
        for e in evs:
            self.assertEqual((e["jobs"], e["action"]), (3, "replaced"), e)
            self.assertIn("MaxJobs=3", e["evidence"])
        for old, new in zip(evs, evs[1:]):
            self.assertEqual((old["successor"], new["replaces"]), (new["id"], old["id"]), (old, new))
        self.assertEqual([e["reason"] for e in self.events("mj")][:8], ["recycled"] * 8, "other exits")
        # the replacement started before the old one stopped: its start line first
        log = d.log_text()
        for e in evs:
            started = re.search(r"Pool mj: worker %d started \(pid \d+\), replacing worker %d\." %
                                (e["successor"], e["id"]), log)
            exited = re.search(EXITED.format(p="mj", w=e["id"], r="recycled"), log)
            self.assertTrue(started and exited, e)
            self.assertLess(started.start(), exited.start(), f"worker {e['id']} stopped before its successor")
        self.assertNotEqual(self.pget("mj", "State"), "failed")
        self.assertEqual(self.pget("mj", "Failures"), 0)
        self.assertGreaterEqual(self.pget("mj", "Recycled"), 8)
        self.assertNotIn("start limit", d.log_text())
        self.assertCleanExit(d)


class JobTimeout(JobTest):
    def test_hung_worker_captured_signalled_killed(self):
        """JobTimeoutSec=1: busy, then blocked in hang_here() -> nanosleep():
        job-timeout, the capture names both (record and LastHangCapture),
        SIGABRT by default, JobTimeoutSignal=SIGTERM in the evidence, and
        cgroup.kill after TimeoutStopSec= for one that ignores it."""
        hang = f"{TESTWORKER} ready busy:1 hang"
        keys = dict(Type="notify", JobTimeoutSec=1, TimeoutStopSec=2, RestartSec="1min")
        d = self.start_bus_daemon({
            "jt": pool(hang, **keys),
            "jterm": pool(hang, JobTimeoutSignal="SIGTERM", **keys),
            "jkill": pool(f"{TESTWORKER} ready ignore-term busy:1 hang", JobTimeoutSignal="SIGTERM",
                          **dict(keys, TimeoutStopSec=1)),
        })
        (e,) = self.wait_event("jt", "job-timeout", timeout=20)
        self.assertIn("JobTimeoutSec", e["evidence"])
        self.assertNotEqual(e["code"], CLD_EXITED, e)
        self.assertEqual(e["status"], signal.SIGABRT, e)
        self.assertGreater(e["exited_at"] - e["started_at"], 900_000, "hung before JobTimeoutSec=1 ran out")
        for where in ("hang_here", "nanosleep"):
            self.assertIn(where, e["capture"])
            self.assertIn(where, self.pget("jt", "LastHangCapture"))
        self.assertEqual(self.pget("jt", "JobTimeouts"), 1)
        self.assertEqual(self.pget("jt", "JobTimeoutUSec"), 1_000_000)
        d.wait_log(r"Pool jt: worker %d \(pid \d+\) is hung: busy longer than JobTimeoutSec=" % e["id"])

        (t,) = self.wait_event("jterm", "job-timeout", timeout=20)
        self.assertEqual(t["status"], signal.SIGTERM, t)
        self.assertIn("SIGTERM", t["evidence"])
        self.assertIn("hang_here", t["capture"])

        (k,) = self.wait_event("jkill", "job-timeout", timeout=20)
        self.assertEqual(k["status"], signal.SIGKILL, k)
        self.assertGreater(k["exited_at"] - k["started_at"], 1_900_000, "killed before TimeoutStopSec=1")
        self.assertEqual(d.worker_cgroups("jkill"), [])
        self.assertCleanExit(d)

    def test_fail_pool_action(self):
        d = self.start_bus_daemon({"jf": pool(f"{TESTWORKER} ready busy:1 hang", Type="notify", Workers=2,
                                              JobTimeoutSec=1, TimeoutStopSec=2, JobTimeoutAction="fail-pool",
                                              RestartSec="10ms")})
        wait_until(lambda: self.pget("jf", "State") == "failed", 20, interval=0.1, what="pool jf failed")
        self.assertEqual(self.pget("jf", "JobTimeoutAction"), "fail-pool")
        self.assertEqual(self.pget("jf", "Failures"), 1)
        self.assertIn("JobTimeoutAction=fail-pool", self.pget("jf", "StateReason"))
        evs = self.wait_event("jf", "job-timeout")
        self.assertNotIn("restart", {e["action"] for e in evs})
        time.sleep(0.5)
        self.assertEqual(self.pget("jf", "State"), "failed", "restarted after fail-pool")
        self.assertCleanExit(d)


class Waiting(JobTest):
    def test_waiting_is_not_hanging(self):
        """busy, X_WORKERPOOL_WAITING=1 for 2.5 s, busy 0.6 s more:
        JobTimeoutSec=1 counts neither the wait nor the time before it: not
        killed, one job. WaitTimeoutSec=1 is the wait's own limit."""
        d = self.start_bus_daemon({
            "w": pool(f"{TESTWORKER} ready busy:1 waiting:1 sleep:2500 waiting:0 sleep:600 busy:0 pause",
                      Type="notify", JobTimeoutSec=1, RestartSec="1min"),
            "wt": pool(f"{TESTWORKER} ready busy:1 waiting:1 pause", Type="notify", WaitTimeoutSec=1,
                       TimeoutStopSec=2, RestartSec="1min"),
        })
        self.wait_active("w", 1)
        ((wid, (pid, _)),) = self.workers("w").items()
        wait_until(lambda: self.wget(wid, "State") == "waiting", what="worker waiting")
        self.assertEqual(self.workers("w")[wid], (pid, "waiting"))

        (e,) = self.wait_event("wt", "job-timeout", timeout=20)
        self.assertIn("WaitTimeoutSec", e["evidence"])
        self.assertEqual(self.pget("wt", "JobTimeouts"), 1)
        self.assertEqual(self.pget("wt", "WaitTimeoutUSec"), 1_000_000)

        wait_until(lambda: self.wget(wid, "State") == "idle", 10, what="the waiting worker's job done")
        self.assertEqual(self.events("w"), [])
        self.assertEqual(self.workers("w")[wid], (pid, "idle"))
        self.assertEqual(self.wget(wid, "Jobs"), 1)
        self.assertEqual(self.pget("w", "JobTimeouts"), 0)
        self.assertCleanExit(d)


class Protocol(JobTest):
    def test_violations_have_their_own_reason(self):
        """The three violations of workerpoold(8); and what is not one: an
        exit after READY=1, or while busy after STOPPING=1, also when the
        messages come just before the exit (they are in the socket before
        the exit is: the daemon must read them first)."""
        notify = dict(Type="notify", Restart="no")
        d = self.start_bus_daemon({
            "early-exit": pool(f"{TESTWORKER} sleep:100 exit:0", **notify),
            "early-busy": pool(f"{TESTWORKER} busy:1 pause", **notify),
            "busy-exit": pool(f"{TESTWORKER} ready busy:1 sleep:100 exit:0", **notify),
            "said-stopping": pool(f"{TESTWORKER} ready sleep:100 busy:1 sleep:100 stopping sleep:100 exit:0",
                                  **notify),
            "simple": pool(f"{TESTWORKER} sleep:100 exit:0", Restart="no"),
            "stopping-at-once": pool(f"{TESTWORKER} ready busy:1 stopping exit:0", **notify),
            "ready-at-once": pool(f"{TESTWORKER} ready exit:0", **notify),
        })
        for name, says in (("early-exit", "READY=1"), ("early-busy", "READY=1"), ("busy-exit", "STOPPING=1")):
            (e,) = self.wait_event(name, "protocol")
            self.assertEqual(self.pget(name, "ProtocolViolations"), 1, name)
            self.assertIn(says, e["evidence"], name)
        for name in ("said-stopping", "simple", "stopping-at-once", "ready-at-once"):
            (e,) = self.wait_event(name, "")
            self.assertEqual((e["reason"], self.pget(name, "ProtocolViolations")), ("success", 0), (name, e))
        self.assertCleanExit(d)

    def test_violation_limit_stops_the_pool(self):
        """ProtocolViolationLimit=2, FailureAction=stop-pool: the second
        violation fails the pool and its two good workers are stopped: no
        pid of the pool alive, no worker cgroup left."""
        script = self.script("one-bad.sh", f"""#!/bin/sh
for slot in 1 2; do
        mkdir {self.dir}/good-$slot 2>/dev/null && exec {TESTWORKER} ready pause
done
exec {TESTWORKER} exit:0
""")
        d = self.start_bus_daemon({"pv": pool(script, Type="notify", Workers=3, Restart="always",
                                              RestartSec="100ms", StartLimitBurst=100, ProtocolViolationLimit=2,
                                              FailureAction="stop-pool")})
        good = wait_until(lambda: (lambda ws: ws if len(ws) == 2 else None)(
            [pid for pid, state in self.workers("pv").values() if state == "idle"]), what="two good workers")
        wait_until(lambda: self.pget("pv", "State") == "failed", 15, interval=0.1, what="pool pv failed")
        self.assertEqual(self.pget("pv", "ProtocolViolations"), 2)
        self.assertIn("protocol violation", self.pget("pv", "StateReason").lower())
        self.assertEqual(self.pget("pv", "FailureAction"), "stop-pool")
        wait_until(lambda: not any(map(pid_alive, good)), 10, what="the good workers stopped")
        wait_until(lambda: d.worker_cgroups("pv") == [], 10, what="no worker cgroup left")
        self.assertEqual(d.cgroup_pids(d.pool_dir("pv")), [])
        self.assertEqual(self.workers("pv"), {})
        reasons = sorted(e["reason"] for e in self.events("pv"))
        self.assertEqual(reasons, ["protocol", "protocol", "stopped", "stopped"], self.events("pv"))
        self.assertCleanExit(d)


class PoolEnds(JobTest):
    def wait_exit(self, d, timeout=20):
        wait_until(lambda: d.proc.poll() is not None, timeout, interval=0.05, what="the daemon's exit")
        code = d.stop()
        self.assertFalse(os.path.exists(d.cgroot), "cgroup root left behind")
        return code

    def test_stopped_when_every_worker_has_ended(self):
        d = self.start_bus_daemon({"end": pool(f"{TESTWORKER} sleep:200 exit:0", Workers=2, Restart="no"),
                                   "ret": pool(f"{TESTWORKER} sleep:200 exit:0", Workers=2)})
        for name in ("end", "ret"):
            wait_until(lambda: self.pget(name, "State") == "stopped", 10, interval=0.1, what=f"{name} stopped")
            m = re.fullmatch(r"every worker has ended: (\d+) retired, (\d+) not restarted",
                             self.pget(name, "StateReason"))
            self.assertTrue(m, self.pget(name, "StateReason"))
            self.assertEqual(int(m.group(1)) + int(m.group(2)), 2)
        self.assertEqual(self.pget("ret", "StateReason"), "every worker has ended: 2 retired, 0 not restarted")
        d.wait_log(r"Pool end: \S+ -> stopped")
        self.assertIsNone(d.proc.poll(), "exited without --exit-when-done")
        self.assertCleanExit(d)

    def test_exit_when_done(self):
        ok = pool(f"{TESTWORKER} sleep:300 exit:0", Workers=2, Restart="no")
        d = self.start({"a": ok, "b": ok}, extra_args=["--bus", self.bus.address, "--exit-when-done"])
        self.assertEqual(self.wait_exit(d), 0, d.log_text()[-2000:])
        d = self.start({"a": ok, "b": pool(f"{TESTWORKER} sleep:300 exit:1", Restart="no")},
                       extra_args=["--bus", self.bus.address, "--exit-when-done"])
        self.assertEqual(self.wait_exit(d), 1, d.log_text()[-2000:])
        d.wait_log(r"exiting with status 1")

    def test_failure_action_exit(self):
        d = self.start_bus_daemon({"fa": pool(f"{TESTWORKER} exit:1", Restart="always", RestartSec="10ms",
                                              StartLimitBurst=2, FailureAction="exit"),
                                   "calm": pool(SLEEP, Workers=2)})
        calm = [p for ps in d.wait_workers("calm", 2).values() for p in ps]
        self.assertEqual(self.wait_exit(d), 1, d.log_text()[-2000:])
        self.assertFalse([p for p in calm if pid_alive(p)], "workers left running")


class Respawn(JobTest):
    def test_replacement_names_the_killed_worker(self):
        d = self.start_bus_daemon({"r": pool(SLEEP, RestartSec="10ms")})
        self.wait_active("r", 1)
        mon = self.signals(self.monitor())
        ((old, _),) = self.workers("r").items()
        self.call(self.worker_path(old), WORKER_IF, "Kill", "s", "SIGKILL")
        new = wait_until(lambda: [w for w in self.workers("r") if w != old], what="the replacement")[0]
        self.assertEqual(self.wget(new, "Replaces"), old)
        (e,) = wait_until(lambda: [e for e in self.events("r") if e["successor"]], what="the successor")
        self.assertEqual((e["id"], e["reason"], e["replaces"], e["successor"]), (old, "killed", 0, new))
        pid = self.wget(new, "Pid")
        d.wait_log(r"Pool r: worker %d started \(pid %d\), replacing worker %d\.$" % (new, pid, old))
        started = wait_until(lambda: [l for l in mon if ".WorkerStarted " in l], what="WorkerStarted")
        args = started[0].split(".WorkerStarted ", 1)[1]      # (uint64 2, uint32 345, uint64 1)
        self.assertEqual([int(x) for x in re.findall(r"[ (](\d+)[,)]", args)], [new, pid, old], args)
        self.assertCleanExit(d)


class Reload(JobTest):
    def job_done(self, mon, pool_name, timeout=15):
        """The JobDone of pool `pool_name` (its object path): (job, result, message)."""
        path = self.pool_path(pool_name)
        line = wait_until(lambda: [l for l in mon if l.startswith(path + ":") and ".JobDone " in l], timeout,
                          what=f"JobDone of {pool_name}")[0]
        mon.remove(line)
        return tuple(ast.literal_eval(line.split(".JobDone ", 1)[1])[1:])

    def test_reload_signals_and_waits(self):
        log = os.path.join(self.dir, "reloads")
        deaf = self.script("deaf.sh", f"#!/bin/sh\ntrap '' HUP\nexec {TESTWORKER} ready pause\n")
        d = self.start_bus_daemon({
            "nr": pool(f"{TESTWORKER} on-hup:{log} ready pause", Type="notify", Workers=2),
            "deaf": pool(deaf, Type="notify", TimeoutStartSec=2),
            "off": pool(SLEEP),
        })
        self.wait_active("nr", 2)
        self.wait_active("deaf", 1)
        before = self.workers("nr")
        mon = self.signals(self.monitor())
        self.pcall("nr", "Reload")
        self.assertEqual(self.job_done(mon, "nr")[:2], ("reload", "done"))
        with open(log) as f:
            self.assertEqual(f.read(), "reload\nreload\n")
        self.assertEqual(self.workers("nr"), before)
        self.assertEqual(self.pget("nr", "ReadyWorkers"), 2)
        self.assertEqual(self.pget("nr", "ReloadSignal"), "SIGHUP")

        (wid,) = self.workers("deaf")
        t0 = time.monotonic()
        self.pcall("deaf", "Reload")
        job, result, message = self.job_done(mon, "deaf", timeout=10)
        self.assertEqual((job, result), ("reload", "failed"), message)
        self.assertGreater(time.monotonic() - t0, 1.5, "failed before TimeoutStartSec=2")
        self.assertIn(f"worker {wid}", message)
        self.assertIn(wid, self.workers("deaf"), "a reload that timed out killed the worker")

        self.pcall("off", "Stop")
        wait_until(lambda: self.pget("off", "State") == "stopped", what="off stopped")
        self.assertEqual(self.call_error(self.pool_path("off"), POOL_IF, "Reload"),
                         "org.workerpoold1.Error.PoolInactive")
        self.assertCleanExit(d)


class Freeze(JobTest):
    def test_freeze_thaw_and_diagnose(self):
        d = self.start_bus_daemon({
            "fz": pool(SLEEP, Workers=2),
            "fb": pool(f"{TESTWORKER} ready busy:1 pause", Type="notify", JobTimeoutSec=1, TimeoutStopSec=2,
                       RestartSec="1min"),
            "h": pool(f"{TESTWORKER} ready busy:1 hang", Type="notify"),
        })
        self.wait_active("fz", 2)
        ids = sorted(self.workers("fz"))
        self.assertEqual(self.pcall("fz", "Freeze").stdout.split(), ["u", "2"])
        for wid in ids:
            self.assertEqual((self.freeze_file(d, "fz", wid), self.wget(wid, "Frozen")), ("1", "true"))
        self.assertEqual(self.pcall("fz", "Thaw").stdout.split(), ["u", "2"])
        for wid in ids:
            self.assertEqual((self.freeze_file(d, "fz", wid), self.wget(wid, "Frozen")), ("0", "false"))

        # frozen while busy: the job's clock stands still, nobody is hung
        wait_until(lambda: self.pget("fb", "BusyWorkers") == 1, what="fb busy")
        self.pcall("fb", "Freeze")
        self.no_event("fb", 2.5)
        self.assertEqual(self.pget("fb", "JobTimeouts"), 0)
        self.pcall("fb", "Thaw")
        self.wait_event("fb", "job-timeout", timeout=6)     # still busy after the thaw: hung in due time

        # Diagnose: the capture on demand; the worker goes on, thawed
        self.wait_active("h", 1)
        ((wid, (pid, _)),) = self.workers("h").items()
        wait_until(lambda: self.pget("h", "BusyWorkers") == 1, what="h busy")
        out = self.busctl("--json=short", "call", NAME, self.worker_path(wid), WORKER_IF, "Diagnose").stdout
        text = json.loads(out)["data"][0]
        self.assertIn("hang_here", text)
        self.assertIn("nanosleep", text)
        self.assertEqual(self.workers("h"), {wid: (pid, "busy")})
        self.assertEqual((self.wget(wid, "Frozen"), self.freeze_file(d, "h", wid)), ("false", "0"))
        self.assertEqual(self.events("h"), [])
        self.assertCleanExit(d)


class RuntimeMax(JobTest):
    def test_recycled_when_idle_after_runtime_max(self):
        d = self.start_bus_daemon({
            "rt": pool(SLEEP, RuntimeMaxSec=2),
            "rb": pool(f"{TESTWORKER} ready busy:1 sleep:3000 busy:0 pause", Type="notify", RuntimeMaxSec=1),
        })
        e = self.wait_event("rt", "recycled", timeout=10)[0]
        self.assertIn("RuntimeMaxSec", e["evidence"])
        self.assertEqual(e["action"], "replaced")
        self.assertGreater(e["exited_at"] - e["started_at"], 1_900_000)
        self.assertLess(e["exited_at"] - e["started_at"], 4_000_000)
        self.assertEqual(self.pget("rt", "RuntimeMaxUSec"), 2_000_000)
        # busy at its RuntimeMaxSec=1: it finishes the 3 s job first
        b = self.wait_event("rb", "recycled", timeout=10)[0]
        self.assertGreater(b["exited_at"] - b["started_at"], 2_900_000, b)
        self.assertEqual(b["jobs"], 1)
        self.assertCleanExit(d)


class Reexec(JobTest):
    def test_reexec_keeps_jobs_and_the_new_record_fields(self):
        once = self.script("hang-once.sh", f"""#!/bin/sh
mkdir {self.dir}/hung 2>/dev/null && exec {TESTWORKER} ready busy:1 hang
exec {TESTWORKER} ready jobs:3:30 pause
""")
        d = self.start_bus_daemon({"rx": pool(once, Type="notify", JobTimeoutSec=1, TimeoutStopSec=2,
                                              RestartSec="10ms")})
        wait_until(lambda: [e for e in self.events("rx") if e["successor"]], 20, what="the hung one replaced")
        (wid,) = self.workers("rx")
        wait_until(lambda: self.wget(wid, "Jobs") == 3, what="3 jobs done")
        (e,) = self.events("rx")
        self.assertEqual((e["reason"], e["successor"], self.wget(wid, "Replaces")), ("job-timeout", wid, e["id"]))
        self.assertIn("hang_here", e["capture"])
        before = (self.events("rx"), self.workers("rx"), self.pget("rx", "LastHangCapture"),
                  self.pget("rx", "JobTimeouts"))
        mark = d.mark()
        self.mgr("Reexecute")
        d.wait_log(r"Re-executed", start=mark, timeout=20)
        d.wait_log(r"Acquired the bus name", start=mark, timeout=10)
        after = (self.events("rx"), self.workers("rx"), self.pget("rx", "LastHangCapture"),
                 self.pget("rx", "JobTimeouts"))
        self.assertEqual(after, before)
        self.assertEqual((self.wget(wid, "Jobs"), self.wget(wid, "Replaces")), (3, e["id"]))
        self.assertCleanExit(d)


if __name__ == "__main__":
    main()
