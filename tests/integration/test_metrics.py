#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Metrics (issue #16): Manager.GetMetrics through `workerpoolctl metrics`
and workerpoold-exporter, checked by the real promtool, scraped by a real
Prometheus server (Debian's prometheus package) that answers PromQL with the
values the bus reports. Everything on 127.0.0.1, every wait bounded."""

import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

from test_bus import BusTest, NOBODY, pool
from wptest import TESTWORKER, main, reachable_copy, wait_until

EXPORTER = os.environ.get("WORKERPOOLD_EXPORTER", "build/src/bus/workerpoold-exporter")
PROMTOOL = "/usr/bin/promtool"
PROMETHEUS = "/usr/bin/prometheus"

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_metrics(text):
    """{(name, frozenset(labels)): value}, and {name: type}."""
    samples, types = {}, {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, t = line.split(" ", 3)
            types[name] = t
            continue
        if not line or line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        assert m, f"not a sample line: {line!r}"
        labels = frozenset(LABEL.findall(m.group(2) or ""))
        samples[(m.group(1), labels)] = float(m.group(3))
    return samples, types


def value(samples, name, **labels):
    return samples.get((name, frozenset(labels.items())))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# Socket activation as systemd does it: the socket is bound here, and the
# exporter gets it as fd 3 with LISTEN_FDS=1 and LISTEN_PID its own pid (the
# exec keeps the pid); setpriv drops to nobody on the way.
ACTIVATE = r"""
import os, socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(16)
if s.fileno() != 3:
    os.dup2(s.fileno(), 3)
os.set_inheritable(3, True)
os.environ.update(LISTEN_FDS="1", LISTEN_PID=str(os.getpid()))
os.execvp(sys.argv[2], sys.argv[2:])
"""


class MetricsTest(BusTest):
    def setUp(self):
        super().setUp()
        for tool in (PROMTOOL, PROMETHEUS):
            self.assertTrue(os.access(tool, os.X_OK), f"{tool} is missing (tools/deps installs prometheus)")
        self.dir = tempfile.mkdtemp(prefix="wp-metrics-")
        os.chmod(self.dir, 0o755)
        self.addCleanup(shutil.rmtree, self.dir, True)

    def pools(self):
        return {
            "web": pool(f"{TESTWORKER} ready pause", Workers=3, Type="notify"),
            # five jobs of 100 ms, then idle for ever
            "jobs": pool(f"{TESTWORKER} ready jobs:5:100 pause", Workers=1, Type="notify"),
            # exits 3 at once: the start limit fails the pool after 3 starts
            "crash": pool(f"{TESTWORKER} exit:3", Workers=1, Type="simple", Restart="on-failure",
                          RestartSec="50ms", StartLimitBurst=3, StartLimitIntervalSec=60),
        }

    def metrics(self):
        p = self.ctl("metrics")
        self.assertEqual(p.returncode, 0, p.stderr)
        return p.stdout

    def promtool(self, text):
        p = subprocess.run([PROMTOOL, "check", "metrics"], input=text, capture_output=True, text=True,
                           timeout=30)
        self.assertEqual(p.returncode, 0, f"promtool check metrics:\n{p.stdout}{p.stderr}\n--- input:\n{text}")

    def settled(self, d):
        """Every pool where the test wants it: web 3 idle, jobs done, crash failed."""
        self.wait_active("web", 3)
        wait_until(lambda: self.pget("crash", "State") == "failed", timeout=20, what="crash pool failed")
        wait_until(lambda: value(parse_metrics(self.metrics())[0], "workerpool_jobs_total", pool="jobs") == 5,
                   timeout=20, interval=0.2, what="5 jobs done")


class Ctl(MetricsTest):
    def test_metrics_promtool_and_the_bus_agree(self):
        """workerpoolctl metrics: promtool finds nothing to say, every family
        has the type its name says, and the numbers are the bus's."""
        t0 = time.time()
        d = self.start_bus_daemon(self.pools())
        self.settled(d)
        text = self.metrics()
        self.promtool(text)
        s, types = parse_metrics(text)
        for name, t in types.items():
            self.assertTrue(name.startswith("workerpool_"), name)
            self.assertEqual(t, "counter" if name.endswith("_total") else "gauge", name)

        started = value(s, "workerpool_start_time_seconds")
        self.assertIsNotNone(started)
        self.assertLessEqual(started, time.time())
        self.assertGreater(started, t0 - 5)

        # workers by state: the bus's list, state by state
        states = {}
        for w in self.list_workers("web"):
            states[w[3]] = states.get(w[3], 0) + 1
        self.assertEqual(states, {"idle": 3})
        for st in ("starting", "idle", "busy", "waiting", "hung", "stopping", "exited"):
            self.assertEqual(value(s, "workerpool_workers", pool="web", state=st), states.get(st, 0), st)
        self.assertEqual(value(s, "workerpool_workers_wanted", pool="web"), 3)
        self.assertEqual(value(s, "workerpool_pool_state", pool="web", state="running"), 1)
        self.assertEqual(value(s, "workerpool_pool_state", pool="web", state="failed"), 0)
        self.assertEqual(value(s, "workerpool_pool_state", pool="crash", state="failed"), 1)

        # exits by reason: the events the bus stored, reason by reason
        events = self.list_events("crash")
        self.assertGreaterEqual(len(events), 3)
        self.assertEqual({e[5] for e in events}, {"exit-code"})
        self.assertEqual(value(s, "workerpool_exits_total", pool="crash", reason="exit-code"), len(events))
        self.assertEqual(value(s, "workerpool_exits_total", pool="crash", reason="segfault"), 0)
        self.assertEqual(value(s, "workerpool_exits_total", pool="web", reason="exit-code"), 0)
        self.assertEqual(value(s, "workerpool_restarts_total", pool="crash"), self.pget("crash", "Restarts"))
        self.assertGreaterEqual(value(s, "workerpool_restarts_total", pool="crash"), 2)

        # jobs: 5 of 100 ms each; busy time about that (the daemon sees each
        # report a little after it was sent), and not the idle time
        self.assertEqual(value(s, "workerpool_jobs_total", pool="jobs"), 5)
        busy = value(s, "workerpool_busy_seconds_total", pool="jobs")
        self.assertGreater(busy, 0.4)
        self.assertLess(busy, time.time() - t0)
        self.assertEqual(value(s, "workerpool_busy_seconds_total", pool="web"), 0)

        # per worker: every live worker has its CPU time (cpu.stat is always
        # there); memory only with the memory controller
        memory = "memory" in self.busctl("get-property", "org.workerpoold1", "/org/workerpoold1",
                                         "org.workerpoold1.Manager", "Controllers").stdout.split()
        for w in self.list_workers():
            if w[3] == "exited":
                continue
            wid = str(w[0])
            cpu = value(s, "workerpool_worker_cpu_seconds_total", pool=w[1], worker=wid)
            self.assertIsNotNone(cpu, f"worker {wid}")
            self.assertGreaterEqual(cpu, 0)
            self.assertEqual(value(s, "workerpool_worker_start_time_seconds", pool=w[1], worker=wid),
                             w[5] / 1e6)
            self.assertEqual(value(s, "workerpool_worker_memory_bytes", pool=w[1], worker=wid) is not None,
                             memory, f"worker {wid}")
        # pressure: of the pool's cgroup, where the kernel has PSI
        cg = d.pool_dir("web")
        if os.path.exists(os.path.join(cg, "cpu.pressure")):
            self.assertIsNotNone(value(s, "workerpool_pool_pressure_cpu_waiting_seconds_total", pool="web"))

        # as nobody (the exporter's user): the bus policy lets it read them
        p = self.ctl("metrics", nobody=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(value(parse_metrics(p.stdout)[0], "workerpool_jobs_total", pool="jobs"), 5)

        # a re-exec keeps every counter
        self.mgr("Reexecute")
        d.wait_log(r"Acquired the bus name org\.workerpoold1", count=2, timeout=20)
        self.wait_active("web", 3)
        s2, _ = parse_metrics(self.metrics())
        for name, labels in (("workerpool_jobs_total", {"pool": "jobs"}),
                             ("workerpool_exits_total", {"pool": "crash", "reason": "exit-code"}),
                             ("workerpool_restarts_total", {"pool": "crash"}),
                             ("workerpool_start_time_seconds", {})):
            self.assertEqual(value(s2, name, **labels), value(s, name, **labels), f"{name} after re-exec")
        self.assertGreaterEqual(value(s2, "workerpool_busy_seconds_total", pool="jobs"), busy)
        self.assertCleanExit(d)


class Exporter(MetricsTest):
    def start_exporter(self, port, *args):
        exporter = reachable_copy(EXPORTER)
        p = subprocess.Popen(["/usr/bin/python3", "-c", ACTIVATE, str(port), *NOBODY, exporter,
                              "--bus=" + self.bus.address, *args],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.bgs.append(p)
        wait_until(lambda: self.http(port, "/")[0] == 200 or p.poll() is not None, timeout=10,
                   what="the exporter to answer")
        if p.poll() is not None:
            self.fail(f"the exporter exited with {p.returncode}: {p.stdout.read()}")
        return p

    def http(self, port, path, method="GET"):
        req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method)
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, r.headers.get("Content-Type"), r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.headers.get("Content-Type"), e.read().decode()
        except OSError:
            return None, None, ""

    def test_prometheus_scrapes_the_exporter(self):
        """The exporter (socket-activated, as nobody) serves what promtool
        passes; a real Prometheus scrapes it and answers PromQL with the
        bus's numbers, before and after a scale."""
        d = self.start_bus_daemon(self.pools())
        self.settled(d)
        port = free_port()
        exp = self.start_exporter(port, "--timeout=1")
        with open(f"/proc/{exp.pid}/status") as f:
            self.assertRegex(f.read(), r"(?m)^Uid:\s+65534\s")

        status, ctype, body = self.http(port, "/metrics")
        self.assertEqual(status, 200, body)
        self.assertEqual(ctype, "text/plain; version=0.0.4; charset=utf-8")
        self.promtool(body)
        self.assertEqual(value(parse_metrics(body)[0], "workerpool_jobs_total", pool="jobs"), 5)
        self.assertEqual(self.http(port, "/nothing")[0], 404)
        self.assertEqual(self.http(port, "/metrics", method="POST")[0], 405)
        # a client that connects and sends nothing holds the next scrape up
        # for --timeout at most
        stall = socket.create_connection(("127.0.0.1", port))
        self.addCleanup(stall.close)
        t = time.monotonic()
        self.assertEqual(self.http(port, "/metrics")[0], 200)
        self.assertLess(time.monotonic() - t, 5)

        # a real Prometheus, scraping every second
        pport = free_port()
        conf = os.path.join(self.dir, "prometheus.yml")
        with open(conf, "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                    "scrape_configs:\n  - job_name: workerpoold\n"
                    f"    static_configs:\n      - targets: ['127.0.0.1:{port}']\n")
        prom = subprocess.Popen([PROMETHEUS, f"--config.file={conf}",
                                 f"--storage.tsdb.path={os.path.join(self.dir, 'data')}",
                                 f"--web.listen-address=127.0.0.1:{pport}", "--log.level=warn"],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.bgs.append(prom)

        def query(q):
            url = f"http://127.0.0.1:{pport}/api/v1/query?" + urllib.parse.urlencode({"query": q})
            try:
                with urllib.request.urlopen(url, timeout=5) as r:
                    res = json.load(r)
            except OSError:
                return None
            if res.get("status") != "success" or not res["data"]["result"]:
                return None
            return {frozenset(x["metric"].items()): float(x["value"][1]) for x in res["data"]["result"]}

        def idle_web():
            r = query('workerpool_workers{state="idle",pool="web"}')
            return r and list(r.values())

        got = wait_until(idle_web, timeout=60, interval=0.5, what="Prometheus to scrape the exporter")
        idle = sum(1 for w in self.list_workers("web") if w[3] == "idle")
        self.assertEqual(got, [idle])
        self.assertEqual(idle, 3)
        self.assertEqual(query('up{job="workerpoold"}'), {frozenset({("__name__", "up"), ("job", "workerpoold"),
                                                                     ("instance", f"127.0.0.1:{port}")}): 1.0})
        print(f"\n  Prometheus: workerpool_workers{{state=\"idle\",pool=\"web\"}} = {got[0]:g}", flush=True)

        # live: scale to 2, and PromQL follows
        self.ctl("scale", "web", 2)
        self.wait_active("web", 2)
        wait_until(lambda: idle_web() == [2], timeout=30, interval=0.5, what="Prometheus to see 2 idle")
        self.assertEqual(query('workerpool_jobs_total{pool="jobs"}').popitem()[1], 5)

        # the daemon gone: 503, and Prometheus marks the target down
        d.stop()
        status, _, body = self.http(port, "/metrics")
        self.assertEqual(status, 503, body)
        self.assertIn("workerpoold cannot be asked", body)
        wait_until(lambda: (query('up{job="workerpoold"}') or {1: 1}).popitem()[1] == 0, timeout=30,
                   interval=0.5, what="up == 0")
        self.assertIsNone(exp.poll(), "the exporter outlives the daemon")

    def test_exporter_refuses_bad_arguments(self):
        for args, want in ((["--timeout=0"], "Invalid --timeout"), (["--listen=nonsense:x"], "Invalid --listen"),
                           ([], "No socket passed")):
            p = subprocess.run([EXPORTER, *args], capture_output=True, text=True, timeout=10,
                               env={k: v for k, v in os.environ.items() if not k.startswith("LISTEN_")})
            self.assertNotEqual(p.returncode, 0, args)
            self.assertIn(want, p.stderr, args)
        port = free_port()
        p = subprocess.Popen([EXPORTER, f"--listen=127.0.0.1:{port}", "--bus=" + self.bus.address],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.bgs.append(p)
        wait_until(lambda: self.http(port, "/")[0] == 200, timeout=10, what="the exporter on --listen")
        # no daemon on this bus: 503
        self.assertEqual(self.http(port, "/metrics")[0], 503)


if __name__ == "__main__":
    main()
