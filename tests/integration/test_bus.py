#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""D-Bus integration tests: the real daemon on a private dbus-daemon whose
configuration includes the installed policy (policy/org.workerpoold1.conf),
driven with busctl and workerpoolctl, as root and as user nobody."""

import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time

from wptest import DaemonTest, PrivateBus, TESTWORKER, main, reachable_copy, skip_lacking, wait_until

WORKERPOOLCTL = os.environ.get("WORKERPOOLCTL", "build/src/bus/workerpoolctl")
SLEEP = "/bin/sleep"
NAME = "org.workerpoold1"
MGR = ("/org/workerpoold1", "org.workerpoold1.Manager")
POOL_IF = "org.workerpoold1.Pool"
WORKER_IF = "org.workerpoold1.Worker"
NOBODY = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]


def pool(exec_start, **keys):
    lines = ["[Pool]", f"ExecStart={exec_start}"]
    lines += [f"{k}={v}" for k, v in keys.items()]
    return "\n".join(lines) + "\n"


def error_name(p):
    """The D-Bus error a busctl run (with SYSTEMD_LOG_LEVEL=debug) got back."""
    m = re.findall(r"type=error .* error-name=(\S+)", p.stderr)
    return m[-1] if m else "?: " + p.stderr[-300:]


FAKE_SSH = r"""#!/usr/bin/env python3
import json, os, select, socket, sys
with open(os.environ["WP_FAKE_SSH_LOG"], "a") as f:
    f.write(json.dumps(sys.argv[1:]) + "\n")
s = socket.socket(socket.AF_UNIX)
try:
    s.connect(os.environ["WP_FAKE_SSH_BUS"])
except OSError as e:
    sys.exit("ssh: connect to host: %s" % e)
fds = [0, s.fileno()]
while fds:
    for fd in select.select(fds, [], [])[0]:
        data = os.read(fd, 65536)
        if fd == 0:
            if not data:
                s.shutdown(socket.SHUT_WR); fds.remove(0); continue
            s.sendall(data)
        else:
            if not data:
                sys.exit(0)
            os.write(1, data)
"""


class BusTest(DaemonTest):
    with_policy = True

    def setUp(self):
        super().setUp()
        for tool in ("busctl", "dbus-daemon", "setpriv"):
            if not shutil.which(tool):
                self.skipTest(f"needs {tool}")
        self.bus = PrivateBus(self.with_policy)
        self.bgs = []

    def tearDown(self):
        for p in self.bgs:
            if p.poll() is None:
                p.kill()
                p.wait()
        super().tearDown()
        self.bus.close()

    def start_bus_daemon(self, pools, timeout=10, **kw):
        d = self.start(pools, extra_args=["--bus", self.bus.address], **kw)
        d.wait_log(r"Acquired the bus name org\.workerpoold1", timeout=timeout)
        return d

    # --- busctl ---
    def busctl(self, *args, nobody=False, check=True):
        args = [str(a) for a in args]
        k = 0
        while k < len(args) and args[k].startswith("--"):
            k += 1
        # "--": values like "-1" are arguments, not options
        cmd = (NOBODY if nobody else []) + ["busctl", "--address=" + self.bus.address, *args[:k], "--",
                                            *args[k:]]
        env = dict(os.environ, SYSTEMD_LOG_LEVEL="debug")
        p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=60)
        if check and p.returncode != 0:
            raise AssertionError(f"{cmd} failed: {p.stderr[-2000:]}")
        return p

    def call(self, path, iface, method, sig="", *args, **kw):
        return self.busctl("call", NAME, path, iface, method, *([sig, *args] if sig else []), **kw)

    def call_error(self, path, iface, method, sig="", *args, nobody=False):
        """Call, expect failure, return the D-Bus error name."""
        p = self.call(path, iface, method, sig, *args, nobody=nobody, check=False)
        self.assertNotEqual(p.returncode, 0, f"{method}{args} succeeded: {p.stdout}")
        return error_name(p)

    def mgr(self, method, sig="", *args, **kw):
        return self.call(*MGR, method, sig, *args, **kw)

    def get(self, path, iface, prop, nobody=False):
        out = self.busctl("get-property", NAME, path, iface, prop, nobody=nobody).stdout.split(None, 1)
        t, v = out[0], out[1].strip() if len(out) > 1 else ""
        if t in ("u", "t", "i", "x", "q", "y"):
            return int(v)
        if t in ("s", "o"):
            return json.loads(v)
        return v

    def pool_path(self, name):
        return json.loads(self.mgr("GetPool", "s", name).stdout.split(None, 1)[1])

    def pget(self, name, prop, **kw):
        return self.get(self.pool_path(name), POOL_IF, prop, **kw)

    def list_workers(self, pool_name=""):
        out = self.busctl("--json=short", "call", NAME, *MGR, "ListWorkers", "ss", pool_name, "").stdout
        return json.loads(out)["data"][0]

    def list_events(self, pool_name="", reason="", n=0):
        out = self.busctl("--json=short", "call", NAME, *MGR, "ListEvents", "ssu", pool_name, reason,
                          n).stdout
        return json.loads(out)["data"][0]

    def wait_active(self, name, n, timeout=30):
        def ok():
            # While the daemon starts hundreds of workers in one go its loop
            # may not answer within busctl's 25 s (sanitizer builds): retry.
            try:
                return self.pget(name, "ActiveWorkers") == n and self.pget(name, "ReadyWorkers") == n
            except AssertionError as e:
                if "timed out" not in str(e):
                    raise
                return False
        wait_until(ok, timeout, interval=0.1, what=f"{n} active workers in {name}")

    # --- workerpoolctl ---
    def ctl(self, *args, nobody=False):
        # as nobody: a copy it can reach (the build tree may be where it cannot go)
        ctl = reachable_copy(WORKERPOOLCTL) if nobody else WORKERPOOLCTL
        cmd = (NOBODY if nobody else []) + [ctl, "--bus=" + self.bus.address, *map(str, args)]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=60)

    def ctl_tty(self, *args, **env):
        """workerpoolctl with its stdout on a pseudo-terminal: what a user sees."""
        import pty
        master, slave = pty.openpty()
        e = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
        e["TERM"] = "xterm"
        e.update(env)
        try:
            p = subprocess.run([WORKERPOOLCTL, "--bus=" + self.bus.address, *map(str, args)],
                               stdout=slave, stderr=subprocess.PIPE, env=e, timeout=60)
            os.close(slave)
            slave = -1
            out = b""
            while True:
                try:
                    chunk = os.read(master, 65536)
                except OSError:   # EIO: the writer is gone
                    break
                if not chunk:
                    break
                out += chunk
        finally:
            if slave >= 0:
                os.close(slave)
            os.close(master)
        return p.returncode, out.decode()

    def check_remote(self, pools):
        """-H: sd-bus runs `ssh -xT ... HOST systemd-stdio-bridge` and talks
        D-Bus over its stdio. A stand-in ssh first in PATH records its
        arguments and pipes stdio to our private bus."""
        d = tempfile.mkdtemp(prefix="wp-fakessh-")
        self.addCleanup(shutil.rmtree, d, True)
        with open(os.path.join(d, "ssh"), "w") as f:
            f.write(FAKE_SSH)
        os.chmod(os.path.join(d, "ssh"), 0o755)
        env = dict(os.environ, PATH=d + ":" + os.environ["PATH"],
                   WP_FAKE_SSH_LOG=os.path.join(d, "argv"),
                   WP_FAKE_SSH_BUS=self.bus.address.split("path=")[1].split(",")[0])
        p = subprocess.run([WORKERPOOLCTL, "-H", "admin@pool-host", "list-pools", "--json"],
                           capture_output=True, text=True, env=env, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(json.loads(p.stdout), pools)
        with open(os.path.join(d, "argv")) as f:
            argv = json.loads(f.readline())
        self.assertIn("admin@pool-host", argv)
        self.assertEqual(argv[argv.index("admin@pool-host") + 1], "systemd-stdio-bridge", argv)
        # an unreachable host is an error, not a hang
        env["WP_FAKE_SSH_BUS"] = os.path.join(d, "nothing-here")
        p = subprocess.run([WORKERPOOLCTL, "-H", "nohost", "list-pools"], capture_output=True,
                           text=True, env=env, timeout=60)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertTrue(p.stderr.strip(), "no error message")

    def follow_events(self):
        p = subprocess.Popen([WORKERPOOLCTL, "--bus=" + self.bus.address, "events", "--follow", "--json"],
                             stdout=subprocess.PIPE, text=True)
        self.bgs.append(p)
        lines = []

        def reader():
            for line in p.stdout:
                lines.append(json.loads(line))
        threading.Thread(target=reader, daemon=True).start()
        time.sleep(0.3)   # subscribed
        return lines


class Introspection(BusTest):
    def test_introspect_tree_and_managed_objects(self):
        d = self.start_bus_daemon({"web-1": pool(f"{SLEEP} infinity", Workers=2)})
        self.wait_active("web-1", 2)
        path = self.pool_path("web-1")
        self.assertEqual(path, "/org/workerpoold1/pool/web_2d1")
        tree = self.busctl("tree", NAME).stdout
        self.assertIn(path, tree)
        for w in self.list_workers():
            self.assertIn(w[4], tree)
        intro = self.busctl("introspect", NAME, "/org/workerpoold1").stdout
        for m in ("ListPools", "ListWorkers", "GetPool", "GetWorker", "ListEvents", "Reload", "NWorkers",
                  "org.freedesktop.DBus.ObjectManager"):
            self.assertIn(m, intro)
        intro = self.busctl("introspect", NAME, path).stdout
        rows = {l.split()[0]: l for l in intro.splitlines() if l.startswith(".")}
        for m in ("Start", "Stop", "Restart", "Scale", "SetProperties", "ResetFailed", "KillWorkers",
                  "WorkerExited", "WorkerStarted", "WorkerReady", "PoolStateChanged"):
            self.assertIn("." + m, rows)
        self.assertIn("emits-change", rows[".State"])
        self.assertIn("writable", rows[".MemoryMax"])
        self.assertIn("writable", rows[".Workers"])
        self.assertNotIn("emits-change", rows[".MemoryCurrent"])
        xml = self.busctl("call", NAME, path, "org.freedesktop.DBus.Introspectable", "Introspect").stdout
        self.assertIn('name=\\"CPUUsageNSec\\"', xml)
        self.assertIn('EmitsChangedSignal\\" value=\\"false', xml)
        objs = self.busctl("--json=short", "call", NAME, "/org/workerpoold1",
                           "org.freedesktop.DBus.ObjectManager", "GetManagedObjects").stdout
        objs = json.loads(objs)["data"][0]
        self.assertIn(path, objs)
        self.assertEqual(sum(1 for p in objs if "/worker/" in p), 2)
        self.assertCleanExit(d)

    def test_pool_and_worker_properties(self):
        d = self.start_bus_daemon({"p": pool(f"{SLEEP} infinity", Workers=2, MaxWorkers=8,
                                             Description="two sleepers")})
        self.wait_active("p", 2)
        self.assertEqual(self.pget("p", "Name"), "p")
        self.assertEqual(self.pget("p", "Description"), "two sleepers")
        self.assertEqual(self.pget("p", "State"), "running")
        self.assertEqual(self.pget("p", "Workers"), 2)
        self.assertEqual(self.pget("p", "MaxWorkers"), 8)
        self.assertEqual(self.pget("p", "Type"), "simple")
        self.assertEqual(self.pget("p", "MemoryMax"), 2**64 - 1)
        self.assertIsInstance(self.pget("p", "CPUUsageNSec"), int)
        self.assertIn("/bin/sleep", self.busctl("get-property", NAME, self.pool_path("p"), POOL_IF,
                                                "ExecStart").stdout)
        ws = self.list_workers("p")
        self.assertEqual(len(ws), 2)
        wid, wpool, pid, state, wpath, started = ws[0]
        self.assertEqual((wpool, state), ("p", "idle"))
        self.assertEqual(self.get(wpath, WORKER_IF, "Pid"), pid)
        self.assertEqual(self.get(wpath, WORKER_IF, "Id"), wid)
        self.assertEqual(self.get(wpath, WORKER_IF, "State"), "idle")
        self.assertEqual(self.get(wpath, WORKER_IF, "Pool"), "p")
        cg = self.get(wpath, WORKER_IF, "CgroupPath")
        with open(f"/proc/{pid}/cgroup") as f:
            self.assertTrue(f.read().strip().endswith(cg), cg)
        self.assertGreater(self.get(wpath, WORKER_IF, "StartedAt"), 0)
        self.assertEqual(self.get(wpath, WORKER_IF, "StartedAt"), started)
        path = json.loads(self.mgr("GetWorker", "t", wid).stdout.split(None, 1)[1])
        self.assertEqual(path, wpath)
        self.assertEqual(self.get("/org/workerpoold1", "org.workerpoold1.Manager", "NWorkers"), 2)
        self.assertEqual(self.get("/org/workerpoold1", "org.workerpoold1.Manager", "NPools"), 1)
        self.assertCleanExit(d)


class Scaling(BusTest):
    def test_scale_up_down_classified_stopped(self):
        d = self.start_bus_daemon({"s": pool(f"{SLEEP} infinity", Workers=2, MaxWorkers=20)})
        self.wait_active("s", 2)
        events = self.follow_events()
        path = self.pool_path("s")
        self.call(path, POOL_IF, "Scale", "u", 6)
        self.wait_active("s", 6)
        self.assertEqual(len(d.wait_workers("s", 6)), 6)
        self.call(path, POOL_IF, "Scale", "u", 1)
        self.wait_active("s", 1)
        wait_until(lambda: len(events) >= 5, what="5 WorkerExited signals")
        self.assertEqual({e["reason"] for e in events}, {"stopped"})
        self.assertEqual({e["action"] for e in events}, {"none"})
        evs = self.list_events("s")
        self.assertEqual(len(evs), 5)
        self.assertEqual({e[5] for e in evs}, {"stopped"})
        self.assertEqual(self.pget("s", "Workers"), 1)
        self.assertEqual(self.pget("s", "State"), "running")
        self.assertCleanExit(d)

    def test_thousand_workers(self):
        n = 1000
        d = self.start_bus_daemon({"big": pool(f"{SLEEP} infinity", Workers=n, MaxWorkers=n,
                                               ExitHistory=4096, TimeoutStopSec="30s")},
                                  timeout=120)
        self.wait_active("big", n, timeout=120)
        times = []
        for _ in range(7):
            t0 = time.monotonic()
            ws = self.list_workers()
            times.append((time.monotonic() - t0) * 1000)
            self.assertEqual(len(ws), n)
        times.sort()
        median = times[len(times) // 2]
        print(f"\n  ListWorkers with {n} workers (busctl, process start included): "
              f"median {median:.1f} ms, min {times[0]:.1f} ms, max {times[-1]:.1f} ms", flush=True)
        self.assertLess(median, 50.0)
        path = self.pool_path("big")
        t0 = time.monotonic()
        self.call(path, POOL_IF, "Scale", "u", 10)
        self.wait_active("big", 10, timeout=120)
        wait_until(lambda: len(d.worker_cgroups("big")) == 10, 120, what="990 cgroups removed")
        down = time.monotonic() - t0
        evs = self.list_events("big")
        self.assertEqual(len(evs), n - 10)
        self.assertEqual({e[5] for e in evs}, {"stopped"})
        t0 = time.monotonic()
        self.call(path, POOL_IF, "Scale", "u", n)   # answered before the workers start
        self.wait_active("big", n, timeout=180)
        up = time.monotonic() - t0
        print(f"  Scale {n} -> 10 converged in {down:.1f} s, 10 -> {n} in {up:.1f} s", flush=True)
        self.assertEqual(len(d.worker_cgroups("big")), n)
        self.assertEqual(self.pget("big", "State"), "running")
        self.assertCleanExit(d)


class Properties(BusTest):
    def test_set_properties_live_runtime_and_persisted(self):
        d = self.start_bus_daemon({"sp": pool(f"{SLEEP} infinity", Workers=2, MaxWorkers=10)})
        self.wait_active("sp", 2)
        path = self.pool_path("sp")
        dropin = os.path.join(d.confdir, "sp.pool.d", "50-set-property.conf")
        pids = {w[2] for w in self.list_workers("sp")}

        # runtime: live, not written
        self.call(path, POOL_IF, "SetProperties", "ba(sv)", "true", 3, "Workers", "u", 4, "Restart", "s",
                  "always", "MemoryHigh", "s", "100M")
        self.wait_active("sp", 4)
        self.assertEqual(self.pget("sp", "Restart"), "always")
        self.assertEqual(self.pget("sp", "MemoryHigh"), 100 << 20)
        self.assertFalse(os.path.exists(dropin))
        # no worker was restarted for the limits
        self.assertTrue(pids <= {w[2] for w in self.list_workers("sp")})

        # persisted, like systemctl set-property
        self.call(path, POOL_IF, "SetProperties", "ba(sv)", "false", 3, "MemoryMax", "s", "512M",
                  "Workers", "u", 3, "CPUQuota", "s", "50%")
        self.wait_active("sp", 3)
        self.assertEqual(self.pget("sp", "MemoryMax"), 512 << 20)
        self.assertEqual(self.pget("sp", "CPUQuotaPerSecUSec"), 500000)
        with open(dropin) as f:
            text = f.read()
        self.assertIn("MemoryMax=512M", text)
        self.assertIn("Workers=3", text)
        self.assertIn("[Resources]", text)
        # a second change merges into the same drop-in
        self.call(path, POOL_IF, "SetProperties", "ba(sv)", "false", 1, "MemoryMax", "t", 256 << 20)
        with open(dropin) as f:
            text = f.read()
        self.assertEqual(text.count("MemoryMax="), 1)
        self.assertIn(f"MemoryMax={256 << 20}", text)

        self.mgr("Reload")
        d.wait_log(r"Reloading the configuration")
        self.assertEqual(self.pget("sp", "MemoryMax"), 256 << 20)
        self.assertEqual(self.pget("sp", "CPUQuotaPerSecUSec"), 500000)
        self.assertEqual(self.pget("sp", "Workers"), 3)
        self.assertEqual(self.pget("sp", "MemoryHigh"), 2**64 - 1)   # runtime change is gone
        self.assertEqual(self.pget("sp", "Restart"), "on-failure")
        self.assertIn(dropin, self.busctl("get-property", NAME, path, POOL_IF, "DropInPaths").stdout)

        # busctl set-property: runtime semantics, same checks
        self.busctl("set-property", NAME, path, POOL_IF, "Workers", "u", 5)
        self.wait_active("sp", 5)
        self.busctl("set-property", NAME, path, POOL_IF, "TasksMax", "t", 64)
        self.assertEqual(self.pget("sp", "TasksMax"), 64)
        with open(dropin) as f:
            self.assertNotIn("TasksMax", f.read())

        # workerpoolctl set-property
        p = self.ctl("set-property", "sp", "CPUWeight=200", "MemorySwapMax=0", "--runtime")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(self.pget("sp", "CPUWeight"), 200)
        self.assertEqual(self.pget("sp", "MemorySwapMax"), 0)
        self.assertCleanExit(d)


class Kill(BusTest):
    def test_kill_workers_and_worker_kill(self):
        d = self.start_bus_daemon({"k": pool(f"{SLEEP} infinity", Workers=3, RestartSec="50ms")})
        self.wait_active("k", 3)
        events = self.follow_events()
        path = self.pool_path("k")
        old = {w[2] for w in self.list_workers("k")}
        out = self.call(path, POOL_IF, "KillWorkers", "s", "SIGKILL").stdout
        self.assertEqual(out.strip(), "u 3")
        wait_until(lambda: len(events) >= 3, what="3 WorkerExited")
        self.assertEqual({e["reason"] for e in events}, {"killed"})
        self.assertEqual({e["action"] for e in events}, {"restart"})
        wait_until(lambda: (lambda ws: len(ws) == 3 and not ({w[2] for w in ws} & old)
                            and all(w[3] == "idle" for w in ws))(self.list_workers("k")),
                   what="3 replacements")
        # one worker, by its object
        w = self.list_workers("k")[0]
        self.call(w[4], WORKER_IF, "Kill", "s", "KILL")
        wait_until(lambda: len(events) >= 4, what="4th WorkerExited")
        self.assertEqual((events[3]["id"], events[3]["reason"]), (w[0], "killed"))
        self.assertIn("administrator", events[3]["evidence"])
        wait_until(lambda: len(self.list_workers("k")) == 3 and w[0] not in
                   [x[0] for x in self.list_workers("k")], what="replacement")
        # workerpoolctl kill ID
        w = self.list_workers("k")[0]
        p = self.ctl("kill", w[0], "--signal=SIGKILL")
        self.assertEqual(p.returncode, 0, p.stderr)
        wait_until(lambda: len(events) >= 5, what="5th WorkerExited")
        self.assertEqual(events[4]["reason"], "killed")
        self.assertEqual(len(self.list_events("k", "killed")), 5)
        self.assertGreaterEqual(self.pget("k", "Restarts"), 5)
        self.assertCleanExit(d)


class Access(BusTest):
    def test_unprivileged_denied_by_policy(self):
        d = self.start_bus_daemon({"a": pool(f"{SLEEP} infinity", Workers=2, MaxWorkers=5)})
        self.wait_active("a", 2)
        path = self.pool_path("a")
        # reading works
        self.assertEqual(self.pget("a", "Workers", nobody=True), 2)
        self.mgr("ListPools", nobody=True)
        self.mgr("ListWorkers", "ss", "", "", nobody=True)
        self.busctl("introspect", NAME, path, nobody=True)
        self.busctl("tree", NAME, nobody=True)
        self.busctl("call", NAME, path, "org.freedesktop.DBus.Properties", "GetAll", "s", POOL_IF, nobody=True)
        # changing does not
        denied = "org.freedesktop.DBus.Error.AccessDenied"
        self.assertEqual(self.call_error(path, POOL_IF, "Scale", "u", 3, nobody=True), denied)
        self.assertEqual(self.call_error(path, POOL_IF, "Stop", nobody=True), denied)
        self.assertEqual(self.call_error(path, POOL_IF, "SetProperties", "ba(sv)", "true", 1, "Workers", "u",
                                         1, nobody=True), denied)
        self.assertEqual(self.call_error(path, POOL_IF, "KillWorkers", "s", "KILL", nobody=True), denied)
        self.assertEqual(self.call_error(*MGR, "Reload", nobody=True), denied)
        w = self.list_workers("a")[0]
        self.assertEqual(self.call_error(w[4], WORKER_IF, "Kill", "s", "KILL", nobody=True), denied)
        p = self.busctl("set-property", NAME, path, POOL_IF, "Workers", "u", 1, nobody=True, check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertEqual(error_name(p), denied)
        # workerpoolctl as nobody: reading works, scaling fails with 1
        p = self.ctl("list-pools", nobody=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        p = self.ctl("scale", "a", 3, nobody=True)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertEqual(self.pget("a", "Workers"), 2)
        self.assertEqual(self.pget("a", "ActiveWorkers"), 2)
        self.assertCleanExit(d)


class DaemonCheck(BusTest):
    with_policy = False

    def test_daemon_checks_euid_itself(self):
        d = self.start_bus_daemon({"a": pool(f"{SLEEP} infinity", Workers=1, MaxWorkers=5)})
        self.wait_active("a", 1)
        path = self.pool_path("a")
        np = "org.workerpoold1.Error.NotPermitted"
        self.assertEqual(self.call_error(path, POOL_IF, "Scale", "u", 3, nobody=True), np)
        self.assertEqual(self.call_error(*MGR, "Reload", nobody=True), np)
        self.assertEqual(self.call_error(path, POOL_IF, "SetProperties", "ba(sv)", "true", 1, "Workers", "u",
                                         2, nobody=True), np)
        p = self.busctl("set-property", NAME, path, POOL_IF, "MemoryMax", "t", 1 << 30, nobody=True,
                        check=False)
        self.assertEqual(error_name(p), np)
        self.assertEqual(self.pget("a", "Workers", nobody=True), 1)
        self.assertEqual(self.pget("a", "MemoryMax"), 2**64 - 1)
        self.call(path, POOL_IF, "Scale", "u", 2)
        self.wait_active("a", 2)
        self.assertCleanExit(d)


class Hostile(BusTest):
    def test_hostile_arguments(self):
        d = self.start_bus_daemon({"h": pool(f"{SLEEP} infinity", Workers=2, MinWorkers=1, MaxWorkers=50),
                                   "u": pool(f"{SLEEP} infinity", Workers=1)})
        self.wait_active("h", 2)
        path = self.pool_path("h")
        upath = self.pool_path("u")
        w = self.list_workers("h")[0][4]
        E = "org.workerpoold1.Error."
        IA = "org.freedesktop.DBus.Error.InvalidArgs"
        big = "x" * 20000
        SP = (path, POOL_IF, "SetProperties", "ba(sv)", "false")
        table = [
            ((path, POOL_IF, "Scale", "s", "x"), IA),
            ((path, POOL_IF, "Scale"), IA),
            ((path, POOL_IF, "Scale", "u", 4294967295), E + "OutOfRange"),
            ((path, POOL_IF, "Scale", "u", 0), E + "OutOfRange"),
            ((path, POOL_IF, "Scale", "u", 51), E + "OutOfRange"),
            ((upath, POOL_IF, "Scale", "u", 4000000000), E + "OutOfRange"),
            ((*MGR, "GetPool", "s", ""), E + "NoSuchPool"),
            ((*MGR, "GetPool", "s", "nope"), E + "NoSuchPool"),
            ((*MGR, "GetPool", "s", big), E + "NoSuchPool"),
            ((*MGR, "GetPool", "s", "../../h"), E + "NoSuchPool"),
            ((*MGR, "GetPool", "t", 5), IA),
            ((*MGR, "GetWorker", "t", 0), E + "NoSuchWorker"),
            ((*MGR, "GetWorker", "t", 18446744073709551615), E + "NoSuchWorker"),
            ((*MGR, "ListWorkers", "ss", "nope", ""), E + "NoSuchPool"),
            ((*MGR, "ListWorkers", "ss", "", "sleeping"), E + "InvalidValue"),
            ((*MGR, "ListWorkers", "s", ""), IA),
            ((*MGR, "ListEvents", "ssu", "", "bogus", 0), E + "InvalidValue"),
            ((*MGR, "ListEvents", "ssu", big, "", 0), E + "NoSuchPool"),
            ((*SP, 1, "Foo", "s", "1"), E + "InvalidValue"),
            ((*SP, 1, "", "s", "1"), E + "InvalidValue"),
            ((*SP, 1, "ExecStart", "s", "/bin/evil"), E + "InvalidValue"),
            ((*SP, 1, "MemoryMax", "s", "-1"), E + "InvalidValue"),
            ((*SP, 1, "MemoryMax", "s", "lots"), E + "InvalidValue"),
            ((*SP, 1, "MemoryMax", "s", "0"), E + "InvalidValue"),
            ((*SP, 1, "MemoryMax", "t", 0), E + "InvalidValue"),
            ((*SP, 1, "MemoryMax", "b", "true"), E + "InvalidValue"),
            ((*SP, 1, "MemoryMax", "s", "512M\nExecStart=/bin/evil"), E + "InvalidValue"),
            ((*SP, 1, "MemoryMax", "s", "512M\\"), E + "InvalidValue"),
            ((*SP, 1, "MemoryMax", "s", big), E + "InvalidValue"),
            ((*SP, 1, "Workers", "u", 4294967295), E + "OutOfRange"),
            ((*SP, 1, "Workers", "u", 0), E + "OutOfRange"),
            ((*SP, 1, "Workers", "s", "abc"), E + "InvalidValue"),
            ((*SP, 1, "Workers", "d", "1.5"), E + "InvalidValue"),
            ((*SP, 1, "Restart", "s", "sometimes"), E + "InvalidValue"),
            ((*SP, 1, "Restart", "t", 5), E + "InvalidValue"),
            ((*SP, 1, "CPUQuota", "s", "0%"), E + "InvalidValue"),
            ((*SP, 1, "CPUQuota", "s", "fast"), E + "InvalidValue"),
            ((*SP, 1, "CPUWeight", "t", 0), E + "InvalidValue"),
            ((*SP, 1, "CPUWeight", "t", 99999), E + "InvalidValue"),
            ((*SP, 1, "TasksMax", "s", "-5"), E + "InvalidValue"),
            ((*SP, 1, "RestartSec", "s", "forever"), E + "InvalidValue"),
            ((*SP, 2, "MemoryMax", "s", "1G", "Restart", "s", "bogus"), E + "InvalidValue"),
            ((path, POOL_IF, "SetProperties", "b", "true"), IA),
            ((path, POOL_IF, "KillWorkers", "s", ""), E + "InvalidValue"),
            ((path, POOL_IF, "KillWorkers", "s", "SIGFOO"), E + "InvalidValue"),
            ((path, POOL_IF, "KillWorkers", "s", "0"), E + "InvalidValue"),
            ((path, POOL_IF, "KillWorkers", "s", "65"), E + "InvalidValue"),
            ((path, POOL_IF, "KillWorkers", "s", "99999999999999999999"), E + "InvalidValue"),
            ((path, POOL_IF, "KillWorkers", "s", big), E + "InvalidValue"),
            ((w, WORKER_IF, "Kill", "s", "-9"), E + "InvalidValue"),
            ((w, WORKER_IF, "Kill", "u", 9), IA),
            (("/org/workerpoold1/worker/999999", WORKER_IF, "Kill", "s", "KILL"),
             "org.freedesktop.DBus.Error.UnknownObject"),
            (("/org/workerpoold1/worker/0x1", WORKER_IF, "Restart"), "org.freedesktop.DBus.Error.UnknownObject"),
            (("/org/workerpoold1/pool/nope", POOL_IF, "Start"), "org.freedesktop.DBus.Error.UnknownObject"),
            ((path, POOL_IF, "NoSuchMethod"), "org.freedesktop.DBus.Error.UnknownMethod"),
        ]
        bad = []
        for args, want in table:
            got = self.call_error(*args)
            if got != want:
                bad.append(f"{args[2:]!r:.120}: {got} (wanted {want})")
        self.assertEqual(bad, [])
        # set-property on the bus
        for prop, sig, val, want in [("Workers", "u", 4294967295, E + "OutOfRange"),
                                     ("MemoryMax", "t", 0, E + "InvalidValue"),
                                     ("Restart", "s", "", None),
                                     ("State", "s", "running", "org.freedesktop.DBus.Error.PropertyReadOnly"),
                                     ("Workers", "s", "3", IA)]:
            p = self.busctl("set-property", NAME, path, POOL_IF, prop, sig, val, check=False)
            if want:
                self.assertNotEqual(p.returncode, 0, prop)
                self.assertEqual(error_name(p), want, prop)
        # nothing changed, and the daemon still answers
        self.assertEqual(self.pget("h", "Workers"), 2)
        self.assertEqual(self.pget("h", "MemoryMax"), 2**64 - 1)
        self.assertFalse(os.path.exists(os.path.join(d.confdir, "h.pool.d")))
        self.assertEqual(len(self.list_workers("h")), 2)
        self.assertIsNone(d.proc.poll())
        self.mgr("ListPools")
        self.assertCleanExit(d)


class Reload(BusTest):
    def test_reload_reports_config_errors_keeps_pool(self):
        d = self.start_bus_daemon({"web": pool("/bin/sleep infinity", Workers=2),
                                   "cmd": pool("/bin/sleep infinity", Workers=2)})
        before = d.wait_workers("web", 2)
        cmd_before = d.wait_workers("cmd", 2)
        d.write_pool("web", pool("/bin/sleep infinity", Workers=2) + "[Resources]\nMemoryMax=lots\n")
        d.write_pool("cmd", pool("/bin/sleep 100000", Workers=2))
        p = self.mgr("Reload", check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("InvalidConfig", p.stderr + p.stdout)
        self.assertRegex(p.stderr, r"web\.pool:5: .*MemoryMax")
        self.assertEqual(d.worker_pids("web"), before)       # kept as it was
        # a changed ExecStart= rolls the other pool over, one worker at a time
        d.wait_log(r"Pool cmd: rolling restart of 2 workers")
        d.wait_log(r"Pool cmd: rolling restart done", timeout=30)
        after = d.wait_workers("cmd", 2)
        self.assertFalse(set(sum(after.values(), [])) & set(sum(cmd_before.values(), [])))
        for pids in after.values():
            with open(f"/proc/{pids[0]}/cmdline", "rb") as f:
                self.assertEqual(f.read().split(b"\0")[1], b"100000")
        self.assertCleanExit(d)


class Reexec(BusTest):
    def test_reexec_keeps_every_worker(self):
        """200 workers and a crash-looping pool: after Reexecute the daemon
        (same pid) has the same workers in the same cgroups, restarted none,
        and classifies the exits that happened while it was exec'ing."""
        d = self.start_bus_daemon({
            "big": pool("/bin/sleep infinity", Workers=200, RestartSec=0),
            "crashy": pool(f"{TESTWORKER} sleep:40 exit:1", Workers=5, RestartSec="5ms",
                           StartLimitIntervalSec=0),
        })
        before = d.wait_workers("big", 200, timeout=60)
        d.wait_log(r"Pool crashy: worker \d+ \(pid \d+\) exited: exit-code", count=10)
        pid = d.proc.pid
        mark = d.mark()
        self.mgr("Reexecute")
        took = d.wait_log(r"Re-executed: took over (\d+) workers", start=mark, timeout=30)[0]
        self.assertGreaterEqual(int(took.group(1)), 200)
        d.wait_log(r"Acquired the bus name org\.workerpoold1", start=mark)
        self.assertEqual(d.proc.pid, pid)
        self.assertIsNone(d.proc.poll())
        self.assertEqual(d.wait_workers("big", 200), before)
        self.assertNotRegex("\n".join(d.lines[mark:]), r"Pool big: worker \d+ started")
        # Every crashy worker started before the re-exec gets its exit classified.
        started = {int(m.group(1)) for m in
                   (re.search(r"Pool crashy: worker (\d+) started", l) for l in d.lines[:mark]) if m}
        def all_exited():
            done = {int(m.group(1)) for m in
                    (re.search(r"Pool crashy: worker (\d+) \(pid \d+\) exited: exit-code", l)
                     for l in list(d.lines)) if m}
            return started <= done
        wait_until(all_exited, timeout=20, what="exits of the workers started before the re-exec")
        # ids go on, never reused; the bus works on the new image
        self.assertEqual(self.pget("big", "ActiveWorkers"), 200)
        victim = list(before.values())[0][0]
        os.kill(victim, signal.SIGKILL)
        d.wait_log(r"Pool big: worker \d+ \(pid %d\) exited: killed" % victim, start=mark)
        d.wait_workers("big", 200)
        self.assertCleanExit(d)

    def test_reexec_keeps_the_fault_probe_attached(self):
        """Workers killed while the daemon re-executes: the new image takes
        the attached probe over (it does not load a new one), so each kill
        still names its sender; the probe's records of a worker killed just
        before the exec survive it too."""
        d = self.start_bus_daemon({"w": pool("/bin/sleep infinity", Workers=6, RestartSec=0)})
        d.wait_log(r"Fault probe (loaded|not loaded)")   # (it loads in a thread, after the bus name)
        if "Fault probe loaded" not in d.log_text():
            skip_lacking(self, "fault-probe", "the daemon could not load it")
        before = d.wait_workers("w", 6)
        victims = [pids[0] for pids in list(before.values())]
        mark = d.mark()
        # one killed right before: its record is read, then the exit waits for the new image
        d.proc.send_signal(signal.SIGSTOP)
        os.kill(victims[0], signal.SIGKILL)
        d.proc.send_signal(signal.SIGCONT)
        self.mgr("Reexecute")
        # the rest while the new image starts (a fresh probe would miss them while it loads)
        for v in victims[1:]:
            os.kill(v, signal.SIGKILL)
        d.wait_log(r"Re-executed: took over", start=mark, timeout=30)
        d.wait_log(r"Fault probe taken over from the previous image", start=mark)
        self.assertNotIn("Fault probe loaded", "\n".join(d.lines[mark:]))
        me = r"SIGKILL sent by pid %d \(python" % os.getpid()
        for v in victims:
            m = d.wait_log(r"Pool w: worker \d+ \(pid %d\) exited: killed \(([^)]*\)?[^)]*)\)" % v,
                           start=mark, timeout=20)[0]
            self.assertRegex(m.group(0), me, "pid %d: no sender" % v)
        d.wait_workers("w", 6)
        # and the probe still works after
        victim = list(d.wait_workers("w", 6).values())[0][0]
        os.kill(victim, signal.SIGKILL)
        self.assertRegex(d.wait_log(r"\(pid %d\) exited: killed.*" % victim, start=mark)[0].group(0), me)
        self.assertCleanExit(d)


class Cat(BusTest):
    def test_cat_shows_file_and_dropins(self):
        d = self.start_bus_daemon({"c": pool(f"{SLEEP} infinity")},
                                  dropins={("c", "20-more.conf"): "[Pool]\nWorkers=2\n",
                                           ("c", "10-less.conf"): "[Pool]\nDescription=cats\n"})
        d.wait_workers("c", 2)
        p = self.ctl("cat", "c")
        self.assertEqual(p.returncode, 0, p.stderr)
        main_file = os.path.join(d.confdir, "c.pool")
        a = p.stdout.index("# " + main_file)
        b = p.stdout.index("# " + os.path.join(d.confdir, "c.pool.d", "10-less.conf"))
        c = p.stdout.index("# " + os.path.join(d.confdir, "c.pool.d", "20-more.conf"))
        self.assertTrue(a < b < c, p.stdout)
        self.assertIn("Description=cats", p.stdout)
        self.assertEqual(self.ctl("cat", "nope").returncode, 4)
        self.assertCleanExit(d)


class Ctl(BusTest):
    def test_workerpoolctl(self):
        d = self.start_bus_daemon({"c": pool(f"{SLEEP} infinity", Workers=2, MaxWorkers=10,
                                             Description='Say "hi"\ttab ✓ ünïcode'),
                                   "x": pool("/nonexistent/x", Workers=1, RestartSec="10ms",
                                             StartLimitBurst=2, StartLimitIntervalSec="60s")})
        self.wait_active("c", 2)
        wait_until(lambda: self.pget("x", "State") == "failed", what="pool x failed")

        p = self.ctl("list-pools")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertNotIn("\t", p.stdout)
        self.assertNotIn("\033", p.stdout)   # not a tty: no colours
        lines = p.stdout.splitlines()
        self.assertTrue(lines[0].startswith("POOL"))
        col = lines[0].index("STATE")
        self.assertTrue(all(l[col - 2:col] == "  " for l in lines[1:3]), p.stdout)

        # on a terminal: a bold header, states in colour; NO_COLOR= and TERM=dumb turn it off
        # (without the pager: test_ctl.py has it)
        rc, out = self.ctl_tty("--no-pager", "list-pools")
        self.assertEqual(rc, 0)
        self.assertIn("\033[1mPOOL", out)
        self.assertIn("\033[0;1;32mrunning\033[0m", out)
        self.assertIn("\033[0;1;31mfailed\033[0m", out)
        rc, out = self.ctl_tty("--no-pager", "status", "x")
        self.assertIn("\033[0;1;31mexec-failed\033[0m", out)
        for env in ({"NO_COLOR": "1"}, {"TERM": "dumb"}):
            rc, out = self.ctl_tty("--no-pager", "list-pools", **env)
            self.assertEqual(rc, 0)
            self.assertIn("running", out)
            self.assertNotIn("\033", out, env)

        pools = json.loads(self.ctl("list-pools", "--json").stdout)
        self.check_remote(pools)
        byname = {x["pool"]: x for x in pools}
        self.assertEqual(byname["c"]["description"], 'Say "hi"\ttab ✓ ünïcode')
        self.assertEqual(byname["x"]["state"], "failed")
        ws = json.loads(self.ctl("list-workers", "--json", "--pool=c").stdout)
        self.assertEqual(len(ws), 2)
        ws = json.loads(self.ctl("list-workers", "--json", "--state=busy").stdout)
        self.assertEqual(ws, [])
        evs = json.loads(self.ctl("events", "--json", "--pool=x").stdout)
        self.assertEqual({e["reason"] for e in evs}, {"exec-failed"})
        st = json.loads(self.ctl("status", "--json").stdout)
        self.assertEqual({s["pool"] for s in st}, {"c", "x"})

        p = self.ctl("status", "x")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("failed", p.stdout)
        self.assertIn("exec-failed", p.stdout)
        self.assertIn("Last exits", p.stdout)
        p = self.ctl("status", "c")
        self.assertIn("MemoryMax=infinity", p.stdout)

        # exit codes
        self.assertEqual(self.ctl("status", "nope").returncode, 4)
        self.assertEqual(self.ctl("scale", "nope", 3).returncode, 4)
        self.assertEqual(self.ctl("kill", 999999).returncode, 4)
        self.assertEqual(self.ctl("scale", "c", "abc").returncode, 2)
        self.assertEqual(self.ctl("frobnicate").returncode, 2)
        self.assertEqual(self.ctl("scale", "c").returncode, 2)
        self.assertEqual(self.ctl("set-property", "c", "Foo=1").returncode, 1)
        self.assertEqual(self.ctl("set-property", "c", "novalue").returncode, 2)
        self.assertEqual(self.ctl("scale", "c", 11).returncode, 1)
        self.assertEqual(self.ctl("start", "x").returncode, 1)   # failed: reset-failed first
        self.assertEqual(self.ctl("--help").returncode, 0)
        self.assertIn("workerpoolctl", self.ctl("--version").stdout)

        self.assertEqual(self.ctl("scale", "c", 4).returncode, 0)
        self.wait_active("c", 4)
        self.assertEqual(self.ctl("stop", "c").returncode, 0)
        wait_until(lambda: self.pget("c", "State") == "stopped", what="c stopped")
        self.assertEqual(self.ctl("start", "c").returncode, 0)
        self.wait_active("c", 4)
        old = {w[2] for w in self.list_workers("c")}
        self.assertEqual(self.ctl("restart", "c").returncode, 0)
        wait_until(lambda: (lambda ws: len(ws) == 4 and not ({w[2] for w in ws} & old))(self.list_workers("c")),
                   timeout=20, what="rolling restart")
        self.assertEqual(self.ctl("reset-failed", "x").returncode, 0)
        self.assertEqual(self.ctl("reload").returncode, 0)
        self.assertCleanExit(d)


if __name__ == "__main__":
    main()
