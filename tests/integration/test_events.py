#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Lifecycle events (issue #16): every real transition recorded once, in a
bounded ring per pool, with one schema in the history
(ListLifecycleEvents, workerpoolctl events --type=) and live
(LifecycleEvent, workerpoolctl events --follow)."""

import json
import os
import signal
import subprocess
import time

from test_bus import BusTest, MGR, NAME, WORKERPOOLCTL, pool
from wptest import TESTWORKER, main, wait_until


class Events(BusTest):
    def history(self, pool_name="", types="", since=0, n=0):
        p = self.ctl("events", "--json=short", f"--type={types or 'all'}", *([f"--pool={pool_name}"] if pool_name else []),
                     *([f"--since=@{since}"] if since else []), *([f"-n{n}"] if n else []))
        self.assertEqual(p.returncode, 0, p.stderr)
        return json.loads(p.stdout)

    def follow(self):
        p = subprocess.Popen([WORKERPOOLCTL, "--bus=" + self.bus.address, "events", "--type=all", "--follow",
                              "--json=short"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.bgs.append(p)
        return p

    def test_every_transition_once_same_schema_live_and_in_history(self):
        d = self.start_bus_daemon({
            "web": pool(f"{TESTWORKER} ready pause", Workers=2, Type="notify", RestartSec="50ms"),
        })
        self.wait_active("web", 2)
        live = self.follow()
        time.sleep(0.5)         # subscribed (the history it prints first is not counted)
        t0 = time.time()

        workers = self.list_workers("web")
        victim = workers[0]
        os.kill(victim[2], 9)                                   # exited, started (replacing), ready
        wait_until(lambda: victim[0] not in [w[0] for w in self.list_workers("web")] and
                   len([w for w in self.list_workers("web") if w[3] == "idle"]) == 2, what="replaced")
        self.ctl("scale", "web", 3)                             # scale, started, ready
        self.wait_active("web", 3)
        self.ctl("scale", "web", 2)                             # scale, stopping, exited
        self.wait_active("web", 2)
        self.mgr("Reload")                                      # reload
        self.mgr("Reexecute")                                   # reexec
        d.wait_log(r"Acquired the bus name org\.workerpoold1", count=2, timeout=20)
        self.wait_active("web", 2)

        hist = [e for e in self.history("web") if e["time_usec"] >= int(t0 * 1e6)]
        types = [e["type"] for e in hist]
        print(f"\n  {len(hist)} events: {' '.join(types)}", flush=True)
        self.assertEqual(types.count("exited"), 2, types)       # the killed one, the one scaled away
        self.assertEqual(types.count("started"), 2, types)      # its replacement, the third
        self.assertEqual(types.count("ready"), 2, types)
        self.assertEqual(types.count("scale"), 2, types)
        self.assertEqual(types.count("stopping"), 1, types)
        self.assertEqual(types.count("reload"), 1, types)
        self.assertEqual(types.count("reexec"), 1, types)
        exited = [e for e in hist if e["type"] == "exited"]
        self.assertEqual(exited[0]["worker"], victim[0])
        self.assertEqual(exited[0]["fields"].get("WORKERPOOL_REASON"), "killed")
        started = [e for e in hist if e["type"] == "started"]
        self.assertEqual(started[0]["fields"].get("WORKERPOOL_REPLACES"), str(victim[0]))
        scale = [e for e in hist if e["type"] == "scale"]
        self.assertEqual((scale[0]["fields"]["WORKERPOOL_SCALE_FROM"], scale[0]["fields"]["WORKERPOOL_SCALE_TO"]),
                         ("2", "3"))
        self.assertRegex(scale[0]["fields"]["WORKERPOOL_SCALE_BY"], r"^Scale\(\) by :")
        stopping = [e for e in hist if e["type"] == "stopping"][0]
        self.assertEqual(stopping["fields"].get("WORKERPOOL_STOP_CAUSE"), "stop")
        self.assertEqual([e["seq"] for e in hist], sorted(e["seq"] for e in hist))

        # live: the same events, field for field, up to the re-exec (the
        # follower's connection survives it; the daemon's own is new)
        def got():
            lines = []
            for line in live.stdout:
                ev = json.loads(line)
                if ev["time_usec"] >= int(t0 * 1e6):
                    lines.append(ev)
                if ev["type"] == "reexec":
                    return lines
            return lines
        seen = got()
        self.assertEqual(seen, hist[:len(seen)])
        self.assertEqual([e["type"] for e in seen], types[:len(seen)])
        self.assertEqual(seen[-1]["type"], "reexec")

        # filters: type, since, -n
        only = self.history("web", "exited,scale")
        self.assertEqual({e["type"] for e in only}, {"exited", "scale"})
        self.assertEqual(self.history("web", n=3), self.history("web")[-3:])
        later = self.history("web", since=int(time.time()) + 3600)
        self.assertEqual(later, [])
        p = self.ctl("events", "--type=nonsense")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("Invalid event type 'nonsense'", p.stderr)
        p = self.ctl("events", "--since=yesterdayish")
        self.assertEqual(p.returncode, 2)
        self.assertIn("Invalid --since=", p.stderr)
        # the table
        p = self.ctl("events", "--type=scale", "--pool=web")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertRegex(p.stdout.splitlines()[0], r"^TIME\s+POOL\s+WORKER\s+TYPE\s+MESSAGE")
        self.assertIn("scaling from 2 to 3 workers", p.stdout)
        self.assertCleanExit(d)

    def test_the_ring_stays_bounded(self):
        """A worker that crashes without end: the pool keeps its last 256
        events, the oldest go."""
        d = self.start_bus_daemon({
            "crash": pool(f"{TESTWORKER} exit:3", Workers=1, RestartSec="0", StartLimitIntervalSec=0),
        })
        wait_until(lambda: self.pget("crash", "Restarts") >= 150, timeout=60, interval=0.2,
                   what="150 restarts")
        hist = self.history("crash")
        self.assertEqual(len(hist), 256)
        self.assertEqual([e["seq"] for e in hist], list(range(hist[0]["seq"], hist[0]["seq"] + 256)))
        self.assertGreater(hist[0]["seq"], 1, "the oldest went")
        self.assertCleanExit(d)

    def test_a_follower_that_does_not_read_costs_the_daemon_nothing(self):
        """A --follow client stopped (SIGSTOP) while a crash loop makes
        thousands of events: the daemon's memory stays where it was (it
        queues nothing per listener), and the bus answers. Under ASan the
        freed memory sits in its quarantine and RSS grows with the churn
        alone (35 -> 162 MiB in CI): the daemon runs without one here."""
        asan = os.environ.get("ASAN_OPTIONS")
        os.environ["ASAN_OPTIONS"] = ":".join(x for x in (asan, "quarantine_size_mb=0",
                                                           "thread_local_quarantine_size_kb=0") if x)
        self.addCleanup(lambda: os.environ.pop("ASAN_OPTIONS") if asan is None
                        else os.environ.__setitem__("ASAN_OPTIONS", asan))
        d = self.start_bus_daemon({"calm": pool(f"{TESTWORKER} ready pause", Workers=1, Type="notify")})
        self.wait_active("calm", 1)
        live = self.follow()
        time.sleep(0.5)
        os.kill(live.pid, signal.SIGSTOP)
        self.addCleanup(lambda: live.poll() is None and os.kill(live.pid, signal.SIGCONT))
        rss0 = rss(d.proc.pid)
        d.write_pool("crash", pool(f"{TESTWORKER} exit:3", Workers=4, RestartSec="0", StartLimitIntervalSec=0))
        self.mgr("Reload")
        wait_until(lambda: self.pget("crash", "Restarts") >= 1500, timeout=120, interval=0.5,
                   what="1,500 restarts")
        events = self.history("crash")
        rss1 = rss(d.proc.pid)
        t = time.monotonic()
        self.assertEqual(self.pget("calm", "ReadyWorkers"), 1)
        took = time.monotonic() - t
        print(f"\n  {events[-1]['seq']} events with a stopped follower: daemon RSS {rss0 >> 10} -> "
              f"{rss1 >> 10} KiB, a bus call {took * 1e3:.0f} ms", flush=True)
        self.assertEqual(len(events), 256)
        self.assertGreater(events[-1]["seq"], 3000)     # started, ready, exited per restart
        self.assertLess(rss1, rss0 + (8 << 20))
        os.kill(live.pid, signal.SIGCONT)
        self.assertCleanExit(d)


def rss(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) << 10
    return 0


if __name__ == "__main__":
    main()
