#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""workerpoolctl's side of the job lifecycle (issue #14), on the host: the
real daemon on a private dbus-daemon, real test workers. reload POOL waits
for RELOADING=1 ... READY=1 and the JobDone; freeze/thaw of pools and
workers (the cgroup's cgroup.freeze and the Frozen property); diagnose of a
hung worker names the function it hangs in; events and status show the
chain of replacements; status shows the job settings, the counters and the
last hang capture of a JobTimeoutSec= pool; the new state "waiting"."""

import json
import os
import re
import subprocess
import threading
import time

from test_bus import WORKERPOOLCTL, pool
from test_ctl import SLEEP, CtlTest
from wptest import TESTWORKER, main, wait_until


class CtlJobTest(CtlTest):
    def worker_ids(self, pool_name):
        return sorted(w[0] for w in self.list_workers(pool_name))

    def freeze_file(self, d, pool_name, wid):
        with open(os.path.join(d.pool_dir(pool_name), f"{pool_name}-{wid}.worker", "cgroup.freeze")) as f:
            return f.read().strip()

    def frozen_event(self, d, pool_name, wid):
        """The kernel's word: "frozen 1" in cgroup.events once every task is."""
        with open(os.path.join(d.pool_dir(pool_name), f"{pool_name}-{wid}.worker", "cgroup.events")) as f:
            return dict(l.split() for l in f if l.strip()).get("frozen")

    def wprop(self, wid, name):
        return self.ok("show", wid, "-p", name, "--value").strip()

    def events_json(self, *args):
        return json.loads(self.ok("events", "--json", *args))


class Reload(CtlJobTest):
    def test_reload_waits_for_ready_again(self):
        log = os.path.join(self.dir, "reloads")
        d = self.start_bus_daemon({
            # Type=notify-reload's protocol: SIGHUP -> RELOADING=1, append a line, READY=1
            "nr": pool(f"{TESTWORKER} on-hup:{log} ready pause", Type="notify", Workers=2),
            "plain": pool(SLEEP, Workers=1, ReloadSignal="SIGWINCH"),
            "off": pool(SLEEP, Workers=1),
        })
        self.wait_active("nr", 2)
        self.wait_active("plain", 1)
        pids = sorted(w[2] for w in self.list_workers("nr"))
        plain_pid = self.list_workers("plain")[0][2]

        # the command returns once every worker has said READY=1 again: by then
        # each one has written its line (before its READY=1)
        p = self.ctl("reload", "nr", timeout=40)
        self.assertEqual((p.returncode, p.stdout), (0, ""), p.stderr)
        with open(log) as f:
            self.assertEqual(f.read(), "reload\nreload\n")
        self.assertEqual(self.prop("nr", "ReadyWorkers"), "2")
        self.assertEqual(sorted(w[2] for w in self.list_workers("nr")), pids, "reload restarted workers")
        self.assertEqual(self.list_events("nr"), [])

        # --no-block: returns at once, the reload still happens
        p = self.ctl("reload", "--no-block", "nr")
        self.assertEqual(p.returncode, 0, p.stderr)
        wait_until(lambda: open(log).read().count("reload") == 4, what="the second reload")

        # several pools, one Type=simple (done once signalled; ReloadSignal=
        # SIGWINCH, which sleep ignores)
        p = self.ctl("reload", "nr", "plain", timeout=40)
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(log) as f:
            self.assertEqual(f.read().count("reload"), 6)
        self.assertEqual(self.list_workers("plain")[0][2], plain_pid)
        self.assertEqual(self.list_events("plain"), [])

        # a stopped pool: in a plain sentence
        self.ok("stop", "off")
        p = self.ctl("reload", "off")
        self.assertEqual((p.returncode, p.stderr), (1, "Pool off is not active, cannot reload it.\n"))
        self.assertEqual(self.ctl("reload", "nope").returncode, 4)

        # reload alone is daemon-reload (the unit's ExecReload=), as daemon-reload is
        d.write_pool("off", pool(SLEEP, Workers=1, Description="reloaded once"))
        self.ok("reload")
        self.assertEqual(self.prop("off", "Description"), "reloaded once")
        d.write_pool("off", pool(SLEEP, Workers=1, Description="reloaded twice"))
        self.ok("daemon-reload")
        self.assertEqual(self.prop("off", "Description"), "reloaded twice")
        self.assertEqual(self.ctl("daemon-reload", "nr").returncode, 2)
        self.assertCleanExit(d)


class Freeze(CtlJobTest):
    def test_freeze_thaw_pool_and_worker(self):
        d = self.start_bus_daemon({"fz": pool(SLEEP, Workers=2), "off": pool(SLEEP, Workers=1)})
        self.wait_active("fz", 2)
        a, b = self.worker_ids("fz")

        # a pool: every worker, nothing printed
        p = self.ctl("freeze", "fz")
        self.assertEqual((p.returncode, p.stdout, p.stderr), (0, "", ""))
        for wid in (a, b):
            self.assertEqual(self.freeze_file(d, "fz", wid), "1")
            wait_until(lambda: self.frozen_event(d, "fz", wid) == "1", what=f"worker {wid} frozen")
            self.assertEqual(self.wprop(wid, "Frozen"), "yes")
        self.assertRegex(self.ok("status", a), r"State: \S+ \(frozen\)")
        self.assertTrue(json.loads(self.ok("status", a, "--json"))[0]["frozen"])
        p = self.ctl("thaw", "fz")
        self.assertEqual((p.returncode, p.stdout, p.stderr), (0, "", ""))
        for wid in (a, b):
            self.assertEqual(self.freeze_file(d, "fz", wid), "0")
            self.assertEqual(self.wprop(wid, "Frozen"), "no")
        self.assertNotIn("(frozen)", self.ok("status", a))

        # a worker, by its id: only that one
        p = self.ctl("freeze", b)
        self.assertEqual((p.returncode, p.stdout), (0, ""), p.stderr)
        self.assertEqual((self.freeze_file(d, "fz", a), self.freeze_file(d, "fz", b)), ("0", "1"))
        self.assertEqual((self.wprop(a, "Frozen"), self.wprop(b, "Frozen")), ("no", "yes"))
        self.ok("thaw", b)
        self.assertEqual(self.freeze_file(d, "fz", b), "0")
        self.assertEqual(self.prop("fz", "ActiveWorkers"), "2")     # nothing was killed

        # no such pool, no such worker; a stopped pool in a plain sentence
        self.assertEqual(self.ctl("freeze", "nope").returncode, 4)
        self.assertEqual(self.ctl("thaw", "99999").returncode, 4)
        self.ok("stop", "off")
        p = self.ctl("freeze", "off")
        self.assertEqual((p.returncode, p.stderr), (1, "Pool off is not active, cannot freeze it.\n"))
        self.assertEqual(self.ctl("freeze").returncode, 2)
        self.assertCleanExit(d)


class Diagnose(CtlJobTest):
    def test_diagnose_names_where_it_hangs(self):
        d = self.start_bus_daemon({
            "h": pool(f"{TESTWORKER} ready busy:1 hang", Type="notify", Workers=1),
        })
        self.wait_active("h", 1)
        wait_until(lambda: self.prop("h", "BusyWorkers") == "1", what="the worker busy")
        (wid,) = self.worker_ids("h")
        pid = self.list_workers("h")[0][2]

        t0 = time.monotonic()
        p = self.ctl("diagnose", wid, timeout=40)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertLess(time.monotonic() - t0, 15)
        self.assertIn("hang_here", p.stdout)
        self.assertIn("nanosleep", p.stdout)
        # not stopped, not left frozen
        self.assertEqual(self.list_workers("h")[0][2], pid)
        self.assertEqual(self.wprop(wid, "Frozen"), "no")
        self.assertEqual(self.freeze_file(d, "h", wid), "0")
        self.assertEqual(self.list_events("h"), [])

        # a frozen worker stays frozen
        self.ok("freeze", wid)
        p = self.ctl("diagnose", wid, timeout=40)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("hang_here", p.stdout)
        self.assertEqual(self.wprop(wid, "Frozen"), "yes")
        self.ok("thaw", wid)

        # a pool name is not a worker; one that is not there
        p = self.ctl("diagnose", "h")
        self.assertEqual(p.returncode, 2)
        self.assertIn("not a worker id", p.stderr)
        self.assertEqual(self.ctl("diagnose", "99999").returncode, 4)
        self.assertEqual(self.ctl("diagnose", wid, wid).returncode, 2)
        self.assertCleanExit(d)


class Chain(CtlJobTest):
    def test_events_show_the_chain_of_replacements(self):
        d = self.start_bus_daemon({"c": pool(SLEEP, Workers=1, RestartSec="10ms")})
        self.wait_active("c", 1)
        (first,) = self.worker_ids("c")
        live = []
        f = subprocess.Popen([WORKERPOOLCTL, "--bus=" + self.bus.address, "events", "--follow", "--json"],
                             stdout=subprocess.PIPE, text=True)
        self.bgs.append(f)
        threading.Thread(target=lambda: [live.append(json.loads(l)) for l in f.stdout], daemon=True).start()
        time.sleep(0.3)         # subscribed

        self.ok("kill", first, "--signal=SIGKILL")
        wait_until(lambda: self.worker_ids("c") not in ([], [first]), what="the replacement")
        (second,) = self.worker_ids("c")
        self.wait_active("c", 1)
        # the replacement names the old one; the old one's record its successor
        self.assertEqual(self.wprop(second, "Replaces"), str(first))
        self.assertIn(f"Replaces: worker {first}", self.ok("status", second))
        self.assertEqual(json.loads(self.ok("status", second, "--json"))[0]["replaces"], first)
        wait_until(lambda: self.events_json()[-1]["successor"] == second, what="the successor in the record")
        ev = self.events_json()[-1]
        self.assertEqual((ev["id"], ev["replaces"], ev["successor"], ev["capture"]), (first, None, second, None))
        self.assertIsInstance(ev["jobs"], int)

        self.ok("kill", second, "--signal=SIGKILL")
        wait_until(lambda: self.worker_ids("c") not in ([], [second]), what="the second replacement")
        (third,) = self.worker_ids("c")
        self.wait_active("c", 1)
        wait_until(lambda: self.events_json()[-1]["successor"] == third, what="the second successor")
        ev = self.events_json()[-1]
        self.assertEqual((ev["id"], ev["replaces"], ev["successor"]), (second, first, third))

        # the table: the worker's place in the chain, in its own column
        out = self.ok("events", "--no-legend")
        rows = out.splitlines()
        self.assertEqual(len(rows), 2)
        self.assertIn(f" {first}->{second} ", rows[0])
        self.assertIn(f" {first}->{second}->{third} ", rows[1])
        header = self.ok("events").splitlines()[0]
        self.assertLess(header.index("CHAIN"), header.index("EVIDENCE"))
        # -o verbose: every field by name
        verbose = self.ok("events", "-o", "verbose")
        self.assertIn(f"    REPLACES={first}\n", verbose)
        self.assertIn(f"    SUCCESSOR={third}\n", verbose)
        self.assertIn("    REASON=killed\n", verbose)
        # status POOL: the last exits say who replaced whom
        st = self.ok("status", "c")
        self.assertRegex(st, rf"worker {second} \(pid \d+, replaces {first}\): killed .*; restart, replaced by {third}")
        # the live lines: the replaces field of the signal (the successor
        # starts only after the exit)
        wait_until(lambda: len(live) == 2, what="2 live exits")
        self.assertEqual([(e["id"], e["replaces"]) for e in live], [(first, None), (second, first)])
        self.assertCleanExit(d)


class HangCapture(CtlJobTest):
    def test_status_shows_the_job_timeout_and_its_capture(self):
        d = self.start_bus_daemon({
            # busy, then hangs: found hung after 1 s, captured, SIGABRT
            "jt": pool(f"{TESTWORKER} ready busy:1 hang", Type="notify", Workers=1, JobTimeoutSec="1",
                       RestartSec="1min"),
            # settings only: shown when set
            "set": pool(SLEEP, Workers=1, JobTimeoutSec="30s", JobTimeoutAction="fail-pool", MaxJobs=100,
                        RuntimeMaxSec="1h", FailureAction="stop-pool", ExecHealthCheck="/bin/true"),
            "bad": pool("/nonexistent/x", Workers=1, RestartSec="10ms", StartLimitBurst=2),
            "plain": pool(SLEEP, Workers=1),
        })
        self.wait_active("set", 1)
        wait_until(lambda: self.list_events("jt", "job-timeout"), timeout=30, what="the job timeout")

        st = self.ok("status", "jt")
        self.assertIn("JobTimeoutSec=1s", st)
        self.assertRegex(st, r"\n     Faults: 1 job timeout\n")
        self.assertIn(": job-timeout (", st)
        lines = st.splitlines()
        at = lines.index("  Last hang:")
        capture = []
        for l in lines[at + 1:]:
            if not l.startswith("             "):
                break
            capture.append(l)
        self.assertIn("hang_here", "\n".join(capture))
        self.assertLessEqual(len(capture), 16)      # 15 lines and the hint
        if len(capture) == 16:
            self.assertRegex(capture[-1], r"\.\.\. \d+ more lines: workerpoolctl events --pool=jt -o verbose$")
        self.assertEqual(json.loads(self.ok("status", "jt", "--json"))[0]["job_timeouts"], 1)
        self.assertIn("hang_here", json.loads(self.ok("status", "jt", "--json"))[0]["last_hang_capture"])

        # the whole capture in the exit record: -o verbose, JSON
        verbose = self.ok("events", "--pool=jt", "-o", "verbose")
        self.assertIn("    REASON=job-timeout\n", verbose)
        self.assertIn("    CAPTURE=\n", verbose)
        body = verbose.split("    CAPTURE=\n", 1)[1]
        self.assertIn("hang_here", body)
        self.assertIn("nanosleep", body)
        self.assertTrue(all(l.startswith("        ") for l in body.splitlines() if l), body)
        (ev,) = self.events_json("--pool=jt", "--reason=job-timeout")
        self.assertIn("hang_here", ev["capture"])
        self.assertNotIn("CAPTURE=", self.ok("events", "--pool=plain", "-o", "verbose"))

        # the settings, only where set
        st = self.ok("status", "set")
        self.assertIn("       Jobs: JobTimeoutSec=30s JobTimeoutAction=fail-pool MaxJobs=100 RuntimeMaxSec=1h\n",
                      st)
        self.assertIn("FailureAction=stop-pool", st)
        self.assertIn("HealthCheck: /bin/true\n", st)
        self.assertNotIn("Faults:", st)
        self.assertNotIn("Last hang:", st)
        plain = self.ok("status", "plain")
        for word in ("Jobs:", "FailureAction", "HealthCheck", "Faults:", "recycled", "Last hang:"):
            self.assertNotIn(word, plain)
        # the reason of a state next to it, as systemctl's "failed (Result: ...)"
        wait_until(lambda: self.prop("bad", "State") == "failed", what="bad failed")
        reason = self.prop("bad", "StateReason")
        self.assertNotEqual(reason, "")
        self.assertIn(f"      State: failed ({reason})\n", self.ok("status", "bad"))
        self.assertRegex(self.ok("status", "bad"), r"Faults: .*failed 1 time\b")
        self.assertCleanExit(d)


class Waiting(CtlJobTest):
    def test_list_workers_in_state_waiting(self):
        d = self.start_bus_daemon({
            "w": pool(f"{TESTWORKER} ready busy:1 waiting:1 pause", Type="notify", Workers=1),
            "i": pool(SLEEP, Workers=1),
        })
        self.wait_active("w", 1)
        self.wait_active("i", 1)
        (wid,) = self.worker_ids("w")
        wait_until(lambda: self.wprop(wid, "State") == "waiting", what="the worker waiting")
        out = self.ok("list-workers", "--state=waiting", "--no-legend")
        self.assertEqual([l.split()[0] for l in out.splitlines()], [str(wid)])
        self.assertIn("      State: waiting\n", self.ok("status", wid))
        self.assertIn("       Jobs: 0\n", self.ok("status", wid))
        self.assertCleanExit(d)


if __name__ == "__main__":
    main()
