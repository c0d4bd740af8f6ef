#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Socket pools (issue #15) with real servers under real load: the daemon
opens [Socket] Listen*= once, as root, and every worker gets them as fds
3.. ($LISTEN_FDS). lighttpd -D workers sharing one port under wrk while
the pool restarts, the daemon re-executes and reloads and workers are
killed; gunicorn as user nobody on a privileged port; Scaling=ondemand
started by a connection; an AF_UNIX socket's mode, owner and removal; bad
addresses; the variables a worker gets; workerpoolctl list-sockets and
status. The real daemon on a private bus, 127.0.0.1 only."""

import json
import os
import pwd
import re
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time

from test_bus import BusTest, WORKERPOOLCTL, error_name, pool
from wptest import WORKERPOOLD, main, wait_until

HERE = os.path.dirname(os.path.abspath(__file__))
FILES = os.path.join(HERE, "sockets")
LIGHTTPD = shutil.which("lighttpd", path="/usr/sbin:/usr/bin") or "/usr/sbin/lighttpd"
GUNICORN = "/usr/bin/gunicorn"     # Debian's, on Debian's python3 (not the python3 on PATH)
WRK = shutil.which("wrk") or "/usr/bin/wrk"
CURL = shutil.which("curl") or "/usr/bin/curl"
NOBODY_UID = pwd.getpwnam("nobody").pw_uid


def free_port():
    """A port of 127.0.0.1 nobody listens on (bound to 0, read back, closed)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def socket_pool(exec_start, listen, socket_keys=None, **keys):
    """A pool file with a [Socket] section: listen a list of (key, address)."""
    text = pool(exec_start, **keys) + "[Socket]\n"
    text += "".join(f"{k}={a}\n" for k, a in listen)
    text += "".join(f"{k}={v}\n" for k, v in (socket_keys or {}).items())
    return text


def parse_wrk(out):
    """wrk's report -> {"requests", "connect", "read", "write", "timeout", "non2xx"}."""
    m = re.search(r"(\d+) requests in", out)
    assert m, "no wrk report:\n" + out
    r = {"requests": int(m.group(1)), "connect": 0, "read": 0, "write": 0, "timeout": 0, "non2xx": 0}
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if m:
        r.update(zip(("connect", "read", "write", "timeout"), map(int, m.groups())))
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if m:
        r["non2xx"] = int(m.group(1))
    return r


def socket_inode(path):
    """"socket:[123]" -> 123, else None."""
    try:
        m = re.fullmatch(r"socket:\[(\d+)\]", os.readlink(path))
    except OSError:
        return None
    return int(m.group(1)) if m else None


def socket_inodes(pid):
    return {socket_inode(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")} - {None}


class SocketTest(BusTest):
    def setUp(self):
        super().setUp()
        for tool in (LIGHTTPD, GUNICORN, WRK, CURL):
            self.assertTrue(os.access(tool, os.X_OK), f"{tool} is missing (tools/deps installs it)")
        # where lighttpd (as root) and gunicorn (as nobody) read and write
        self.dir = tempfile.mkdtemp(prefix="wp-sockets-")
        os.chmod(self.dir, 0o755)
        self.addCleanup(shutil.rmtree, self.dir, True)
        os.mkdir(os.path.join(self.dir, "www"))
        with open(os.path.join(self.dir, "www", "index.html"), "w") as f:
            f.write("hello from lighttpd\n")
        with open(os.path.join(FILES, "lighttpd.conf.in")) as f:
            conf = f.read().replace("@DIR@", self.dir)
        self.lighttpd_conf = os.path.join(self.dir, "lighttpd.conf")
        with open(self.lighttpd_conf, "w") as f:
            f.write(conf)
        shutil.copy(os.path.join(FILES, "app.py"), os.path.join(self.dir, "app.py"))
        os.chmod(os.path.join(self.dir, "app.py"), 0o644)

    def lighttpd_pool(self, listen, socket_keys=None, **keys):
        keys.setdefault("KillSignal", "SIGINT")       # lighttpd's graceful stop
        keys.setdefault("RestartSec", "50ms")
        return socket_pool(f"{LIGHTTPD} -D -f {self.lighttpd_conf}", listen, socket_keys, **keys)

    def curl(self, url, *args, timeout=10):
        p = subprocess.run([CURL, "-sS", "--max-time", str(timeout), *args, url], capture_output=True,
                           text=True, timeout=timeout + 5)
        self.assertEqual(p.returncode, 0, f"curl {url}: {p.stderr}")
        return p.stdout

    def wrk(self, url, seconds, *args):
        """wrk in the background, bounded; .result() waits and parses."""
        p = subprocess.Popen([WRK, "-t2", "-c16", f"-d{seconds}s", "--timeout", "5s", *args, url],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.bgs.append(p)

        def result():
            out, _ = p.communicate(timeout=seconds + 20)
            return parse_wrk(out), out
        p.result = result
        return p

    def requests_per_pid(self):
        counts = {}
        for name in os.listdir(self.dir):
            m = re.fullmatch(r"access-(\d+)\.log", name)
            if m:
                with open(os.path.join(self.dir, name)) as f:
                    counts[int(m.group(1))] = sum(1 for _ in f)
        return counts

    def pids(self, d, name):
        return sorted(p for ps in d.worker_pids(name).values() for p in ps[:1])

    def restart(self, d, name, n):
        """workerpoolctl restart NAME (n workers), guarded: a rolling restart
        that runs away (far more workers than n) kills the daemon and fails
        the test before it fills the machine."""
        p = subprocess.Popen([WORKERPOOLCTL, "--bus=" + self.bus.address, "restart", name],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.bgs.append(p)
        deadline = time.monotonic() + 30
        while p.poll() is None:
            k = len(d.worker_cgroups(name))
            if k > 3 * n + 2 or time.monotonic() > deadline:
                d.proc.kill()
                p.kill()
                rx = re.compile(r"rolling|worker \d+ (started|\(pid \d+\): \S+ -> stopping)")
                log = [l for l in d.lines if rx.search(l)]
                self.fail(f"workerpoolctl restart {name}: {k} worker cgroups for Workers={n} "
                          f"({'ran away' if k > 3 * n + 2 else 'not done in 30 s'}); daemon killed. Log:\n"
                          + "\n".join(log[:30] + ["..."] + log[-5:]))
            time.sleep(0.05)
        self.assertEqual(p.returncode, 0, p.stderr.read())

    def assertNoErrors(self, res, out, what):
        errors = {k: res[k] for k in ("connect", "read", "write", "timeout", "non2xx") if res[k]}
        self.assertEqual(errors, {}, f"{what}: wrk saw errors:\n{out}")
        self.assertGreater(res["requests"], 1000, out)


class Lighttpd(SocketTest):
    def test_four_workers_one_port_restarts_under_load(self):
        """4 lighttpd on one ListenStream=: every worker accepts; wrk for
        10 s while workerpoolctl restart runs twice (the second time with
        RestartParallel=2): no socket error, no non-2xx. A new connection
        for each request: lighttpd's graceful stop (SIGINT) finishes the
        requests it has but closes its idle keep-alive connections
        (connection_graceful_shutdown_maint()), and wrk, whose next request
        is then on its way, counts each as a read error; that is lighttpd's,
        not the socket's (the kill -9 test below counts them)."""
        port = free_port()
        url = f"http://127.0.0.1:{port}/index.html"
        d = self.start_bus_daemon({"web": self.lighttpd_pool([("ListenStream", f"127.0.0.1:{port}")],
                                                             Workers=4)})
        d.wait_log(rf"Pool web: listening on 127\.0\.0\.1:{port}")
        self.wait_active("web", 4)
        first = self.pids(d, "web")
        self.assertEqual(self.curl(url), "hello from lighttpd\n")
        # a new connection for each request: the kernel hands them to every worker
        res, out = self.wrk(url, 2, "-H", "Connection: close").result()
        self.assertNoErrors(res, out, "warm-up")
        counts = self.requests_per_pid()
        self.assertEqual({p: counts.get(p, 0) > 0 for p in first}, {p: True for p in first},
                         f"requests per worker pid: {counts}")

        load = self.wrk(url, 10, "-H", "Connection: close")
        time.sleep(1.5)
        mark = d.mark()
        self.restart(d, "web", 4)
        second = self.pids(d, "web")
        self.assertEqual(len(second), 4)
        self.assertFalse(set(first) & set(second), "a worker was not replaced")
        d.write_pool("web", self.lighttpd_pool([("ListenStream", f"127.0.0.1:{port}")], Workers=4,
                                               RestartParallel=2))
        self.mgr("Reload")
        time.sleep(0.5)
        mark2 = d.mark()
        self.restart(d, "web", 4)
        self.assertEqual(load.poll(), None, "the restarts took longer than wrk ran")
        res, out = load.result()
        print(f"\n  4 lighttpd, 2 rolling restarts under wrk: {res['requests']} requests, "
              f"errors {res}", flush=True)
        self.assertNoErrors(res, out, "restarts")
        third = self.pids(d, "web")
        self.assertFalse(set(second) & set(third), "a worker was not replaced the second time")
        log = d.lines[mark:mark2]
        self.assertTrue(any("Pool web: rolling restart of 4 workers" in l for l in log), "\n".join(log))
        # RestartParallel=2: two new workers before the first old one is stopped
        log = d.lines[mark2:]
        first_stop = next(i for i, l in enumerate(log) if re.search(r"Pool web: worker \d+ \(pid \d+\) exited", l))
        started = [l for l in log[:first_stop] if re.search(r"Pool web: worker \d+ .*started", l)]
        self.assertGreaterEqual(len(started), 2, "RestartParallel=2:\n" + "\n".join(log[:first_stop + 1]))
        # every worker of the three generations served from the one socket
        counts = self.requests_per_pid()
        self.assertTrue(all(counts.get(p, 0) > 0 for p in third), f"{third}: {counts}")
        self.assertCleanExit(d)

    def test_reexec_reload_and_kill_under_load(self):
        """Under wrk: Manager.Reexecute and a Reload that leaves the socket
        as it is lose nothing and keep the very socket; SIGKILL of 2 of 4
        workers refuses no connection (requests in flight on them may fail)."""
        port = free_port()
        url = f"http://127.0.0.1:{port}/index.html"
        listen = [("ListenStream", f"127.0.0.1:{port}")]
        d = self.start_bus_daemon({"web": self.lighttpd_pool(listen, Workers=4)})
        self.wait_active("web", 4)
        workers = self.pids(d, "web")
        ino = socket_inode(f"/proc/{workers[0]}/fd/3")
        self.assertIsNotNone(ino)
        self.assertIn(ino, socket_inodes(d.proc.pid), "the daemon holds the workers' socket")

        load = self.wrk(url, 7)
        time.sleep(1.5)
        mark = d.mark()
        self.mgr("Reexecute")
        d.wait_log(r"Re-executed: took over", start=mark, timeout=30)
        d.wait_log(r"Acquired the bus name org\.workerpoold1", start=mark)
        self.assertEqual(self.pids(d, "web"), workers, "a re-exec keeps the workers")
        self.assertIn(ino, socket_inodes(d.proc.pid), "the socket went through the re-exec")
        time.sleep(1)
        d.write_pool("web", self.lighttpd_pool(listen, Workers=4, Description="reloaded"))
        self.mgr("Reload")
        wait_until(lambda: self.pget("web", "Description") == "reloaded", what="the reload")
        self.assertIn(ino, socket_inodes(d.proc.pid), "an unchanged ListenStream= keeps its socket")
        self.assertEqual(self.pids(d, "web"), workers, "no restart for a Description=")
        res, out = load.result()
        print(f"\n  reexec + reload under wrk: {res['requests']} requests, errors {res}", flush=True)
        self.assertNoErrors(res, out, "reexec and reload")

        load = self.wrk(url, 5)
        time.sleep(1.5)
        for pid in workers[:2]:
            os.kill(pid, signal.SIGKILL)
        for pid in workers[:2]:
            d.wait_log(rf"Pool web: worker \d+ \(pid {pid}\) exited: killed")
        wait_until(lambda: len(set(self.pids(d, "web")) - set(workers)) == 2, what="two new workers")
        res, out = load.result()
        print(f"\n  kill -9 of 2 of 4 lighttpd under wrk: {res['requests']} requests, "
              f"{res['connect']} connect errors, {res['read']} read, {res['write']} write, "
              f"{res['timeout']} timeouts, {res['non2xx']} non-2xx", flush=True)
        self.assertEqual(res["connect"], 0, out)
        self.assertEqual(res["non2xx"], 0, out)
        new = set(self.pids(d, "web")) - set(workers)
        self.assertEqual({socket_inode(f"/proc/{p}/fd/3") for p in new}, {ino}, "the new ones got the same socket")
        self.assertCleanExit(d)


class Gunicorn(SocketTest):
    def test_gunicorn_as_nobody_on_a_privileged_port(self):
        """gunicorn (taking $LISTEN_FDS) under User=nobody on 127.0.0.1:81: the
        daemon bound the port as root, the worker serves it as nobody."""
        # 81, unless taken on this machine: then another port below 1024
        port = next(p for p in range(81, 1024) if self._free(p))
        d = self.start_bus_daemon({"app": socket_pool(
            f"{GUNICORN} --workers 1 --chdir {self.dir} app:app", [("ListenStream", f"127.0.0.1:{port}")],
            Workers=1, Type="simple", KillSignal="SIGTERM", Environment="PYTHONDONTWRITEBYTECODE=1")
            + "[Sandbox]\nUser=nobody\n"})
        self.wait_active("app", 1)
        body = wait_until(lambda: self._get(f"http://127.0.0.1:{port}/"), timeout=15, interval=0.2,
                          what="gunicorn to answer")
        self.assertEqual(body, "hello from gunicorn\n")
        master = self.pids(d, "app")[0]
        with open(f"/proc/{master}/status") as f:
            uids = re.search(r"^Uid:\s+(.*)$", f.read(), re.M).group(1).split()
        self.assertEqual(set(map(int, uids)), {NOBODY_UID})
        with open(f"/proc/{master}/cmdline", "rb") as f:
            self.assertIn(b"gunicorn", f.read())
        res, out = self.wrk(f"http://127.0.0.1:{port}/", 2).result()
        self.assertNoErrors(res, out, "gunicorn")
        self.assertCleanExit(d)

    @staticmethod
    def _free(port):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
                return True
            except OSError:
                return False

    def _get(self, url):
        p = subprocess.run([CURL, "-sS", "--max-time", "5", url], capture_output=True, text=True, timeout=10)
        return p.stdout if p.returncode == 0 else None


class OnDemand(SocketTest):
    def test_a_connection_starts_the_first_worker(self):
        """Scaling=ondemand, Workers=0, MinWorkers=0: nothing runs; the first
        curl waits in the backlog, starts a worker and gets its answer; after
        IdleTimeoutSec= the pool is back at 0, still listening."""
        port = free_port()
        url = f"http://127.0.0.1:{port}/index.html"
        d = self.start_bus_daemon({"od": self.lighttpd_pool(
            [("ListenStream", f"127.0.0.1:{port}")], Workers=0, MinWorkers=0, MaxWorkers=4,
            Scaling="ondemand", IdleTimeoutSec=2)})
        d.wait_log(rf"Pool od: listening on 127\.0\.0\.1:{port}")
        time.sleep(0.5)
        self.assertEqual(self.pget("od", "ActiveWorkers"), 0)
        self.assertEqual(d.worker_pids("od"), {})
        self.assertEqual(self.pget("od", "NListening"), 1)
        t0 = time.monotonic()
        self.assertEqual(self.curl(url), "hello from lighttpd\n")
        took = time.monotonic() - t0
        self.assertEqual(len(d.worker_pids("od")), 1)
        wait_until(lambda: self.pget("od", "ActiveWorkers") == 0, timeout=10, interval=0.2,
                   what="back to 0 workers after IdleTimeoutSec=2")
        self.assertEqual(d.worker_pids("od"), {})
        print(f"\n  ondemand: first answer after {took * 1000:.0f} ms (worker started by the connection)",
              flush=True)
        # and again: the socket is still watched
        self.assertEqual(self.curl(url), "hello from lighttpd\n")
        self.assertCleanExit(d)


class Unix(SocketTest):
    def test_unix_socket_mode_owner_and_removal(self):
        """ListenStream=/run/wptest-X/sock with SocketMode=0660 and
        SocketUser=nobody: the file is as asked, lighttpd serves on it,
        and RemoveOnStop=yes removes it when the pool stops."""
        rundir = tempfile.mkdtemp(prefix="wptest-", dir="/run")
        self.addCleanup(shutil.rmtree, rundir, True)
        path = os.path.join(rundir, "sock")
        d = self.start_bus_daemon({"unix": self.lighttpd_pool(
            [("ListenStream", path)], {"SocketMode": "0660", "SocketUser": "nobody", "RemoveOnStop": "yes"},
            Workers=2)})
        self.wait_active("unix", 2)
        st = os.stat(path)
        self.assertTrue(stat.S_ISSOCK(st.st_mode))
        self.assertEqual(oct(stat.S_IMODE(st.st_mode)), oct(0o660))
        self.assertEqual(st.st_uid, NOBODY_UID)
        self.assertEqual(self.curl("http://localhost/index.html", "--unix-socket", path), "hello from lighttpd\n")
        self.assertEqual(json.loads(self.ctl("list-sockets", "--json").stdout),
                         [{"listen": path, "type": "Stream", "pool": "unix", "fdname": "unix"}])
        p = self.ctl("stop", "unix")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertFalse(os.path.lexists(path), "RemoveOnStop=yes: the socket file is still there")
        self.assertEqual(self.pget("unix", "NListening"), 0)
        p = self.ctl("start", "unix")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(self.curl("http://localhost/index.html", "--unix-socket", path), "hello from lighttpd\n")
        self.assertCleanExit(d)
        self.assertFalse(os.path.lexists(path), "the daemon's exit left the socket file")


class BadInput(SocketTest):
    def test_bad_addresses_fail_their_pool_only(self):
        """A port in use, an address that does not parse (file:line), a path
        in a missing directory: that pool fails or is refused, saying which
        address; the good pool serves."""
        busy = socket.socket()
        self.addCleanup(busy.close)
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        busy_port = busy.getsockname()[1]
        good_port = free_port()
        missing = f"/run/wptest-missing-{os.getpid()}/sub/sock"
        garbage = self.lighttpd_pool([("ListenStream", "127.0.0.1:http-ish")], Workers=1)
        d = self.start_bus_daemon({
            "inuse": self.lighttpd_pool([("ListenStream", f"127.0.0.1:{busy_port}")], Workers=1),
            "garbage": garbage,
            "nodir": self.lighttpd_pool([("ListenStream", missing)], Workers=1),
            "good": self.lighttpd_pool([("ListenStream", f"127.0.0.1:{good_port}")], Workers=2),
        })
        self.wait_active("good", 2)
        self.assertEqual(self.curl(f"http://127.0.0.1:{good_port}/index.html"), "hello from lighttpd\n")
        # garbage.pool:LINE: the ListenStream= line, as every other key's error
        line = 1 + garbage.splitlines().index("ListenStream=127.0.0.1:http-ish")
        m = d.wait_log(rf"garbage\.pool:{line}: .*ListenStream=.*127\.0\.0\.1:http-ish")[0]
        print(f"\n  {m.string}", flush=True)
        for name, address in (("inuse", f"127.0.0.1:{busy_port}"), ("nodir", missing)):
            m = d.wait_log(rf"Pool {name}: .*{re.escape(address)}")[0]
            print(f"  {m.string}", flush=True)
            wait_until(lambda: self.pget(name, "State") == "failed", what=f"pool {name} failed")
            reason = self.pget(name, "StateReason")
            self.assertIn(address, reason)
            status = self.ctl("status", name).stdout
            self.assertIn(address, status)
        self.assertRegex(self.pget("inuse", "StateReason"), r"in use")
        self.assertRegex(self.pget("nodir", "StateReason"), r"No such file or directory|does not exist")
        self.assertEqual(d.worker_pids("inuse"), {})
        self.assertEqual(self.pget("good", "State"), "running")
        self.assertEqual(self.curl(f"http://127.0.0.1:{good_port}/index.html"), "hello from lighttpd\n")

        # A reload that adds a port in use: Reload names it, and the pool
        # keeps its running sockets and workers.
        workers = self.pids(d, "good")
        ino = socket_inode(f"/proc/{workers[0]}/fd/3")
        d.write_pool("good", self.lighttpd_pool([("ListenStream", f"127.0.0.1:{good_port}"),
                                                 ("ListenStream", f"127.0.0.1:{busy_port}")], Workers=2))
        p = self.mgr("Reload", check=False)
        self.assertNotEqual(p.returncode, 0, p.stdout)
        self.assertEqual(error_name(p), "org.workerpoold1.Error.InvalidConfig", p.stderr)
        m = re.search(rf"Pool good: .*127\.0\.0\.1:{busy_port}.*in use.*", p.stderr)
        self.assertIsNotNone(m, p.stderr)
        print(f"  Reload: {m.group(0)}", flush=True)
        self.assertEqual(self.pget("good", "NListening"), 1)
        self.assertEqual(self.pids(d, "good"), workers)
        self.assertEqual(socket_inode(f"/proc/{workers[0]}/fd/3"), ino)
        self.assertEqual(self.curl(f"http://127.0.0.1:{good_port}/index.html"), "hello from lighttpd\n")
        self.assertCleanExit(d)


class Example(SocketTest):
    def test_the_example_pool_is_valid(self):
        """examples/pools.d/lighttpd.pool, as installed: workerpoold --verify
        takes it."""
        pools = os.path.join(self.dir, "pools.d")
        os.mkdir(pools)
        shutil.copy(os.path.join(HERE, "..", "..", "examples", "pools.d", "lighttpd.pool"), pools)
        p = subprocess.run([WORKERPOOLD, "--verify", "--config-dir", pools, "--config", "/nonexistent"],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("configuration is valid", p.stdout)


ENV_SCRIPT = """#!/bin/sh
echo "$LISTEN_PID $$ $LISTEN_FDS $LISTEN_FDNAMES ${LISTEN_PIDFDID:-none}" > "%s/env-$$"
exec sleep infinity
"""


class Protocol(SocketTest):
    def test_listen_variables_fds_and_the_listings(self):
        """LISTEN_PID is the worker's own pid, LISTEN_FDS and LISTEN_FDNAMES
        what the pool says, LISTEN_PIDFDID its pidfd's inode; fd 3 is the
        socket and nothing else is open beyond 0-2; list-sockets, status and
        show say the same."""
        script = os.path.join(self.dir, "env.sh")
        with open(script, "w") as f:
            f.write(ENV_SCRIPT % self.dir)
        os.chmod(script, 0o755)
        p1, p2 = free_port(), free_port()
        d = self.start_bus_daemon({
            "one": socket_pool(script, [("ListenStream", f"127.0.0.1:{p1}")], {"FileDescriptorName": "web"},
                               Workers=2),
            "two": socket_pool(script, [("ListenStream", f"127.0.0.1:{p2}"), ("ListenDatagram", f"127.0.0.1:{p2}")],
                               Workers=1),
        })
        self.wait_active("one", 2)
        self.wait_active("two", 1)
        for name, n, names in (("one", 1, "web"), ("two", 2, "two:two")):
            for pid in self.pids(d, name):
                envf = os.path.join(self.dir, f"env-{pid}")
                wait_until(lambda: os.path.exists(envf) and open(envf).read().endswith("\n"),
                           what=f"{envf}")
                with open(envf) as f:
                    listen_pid, shell_pid, fds, fdnames, pidfdid = f.read().split()
                self.assertEqual((int(listen_pid), int(shell_pid), int(fds), fdnames), (pid, pid, n, names))
                pidfd = os.pidfd_open(pid)
                try:
                    ino = os.fstat(pidfd).st_ino
                finally:
                    os.close(pidfd)
                # with pidfs (Linux 6.9) a pidfd's inode is the process's id for good
                self.assertEqual(pidfdid, str(ino), "LISTEN_PIDFDID")
                fds_open = sorted(int(x) for x in os.listdir(f"/proc/{pid}/fd"))
                self.assertEqual(fds_open, list(range(3 + n)), f"pid {pid}: fds {fds_open}")
                for fd in range(3, 3 + n):
                    self.assertIsNotNone(socket_inode(f"/proc/{pid}/fd/{fd}"), f"fd {fd}")
        # the listings
        out = self.ctl("list-sockets").stdout
        lines = out.splitlines()
        self.assertEqual(lines[0].split(), ["LISTEN", "TYPE", "POOL", "FDNAME"])
        rows = [l.split() for l in lines[1:] if l.strip() and "listed" not in l]
        self.assertEqual(rows, [[f"127.0.0.1:{p1}", "Stream", "one", "web"],
                                [f"127.0.0.1:{p2}", "Stream", "two", "two"],
                                [f"127.0.0.1:{p2}", "Datagram", "two", "two"]])
        self.assertIn("3 sockets listed.", out)
        p = self.ctl("list-sockets", "--no-legend", "two")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual([l.split() for l in p.stdout.splitlines()],
                         [[f"127.0.0.1:{p2}", "Stream", "two", "two"], [f"127.0.0.1:{p2}", "Datagram", "two", "two"]])
        self.assertEqual(self.ctl("list-sockets", "nosuchpool").returncode, 4)
        js = json.loads(self.ctl("list-sockets", "--json").stdout)
        self.assertEqual(js[0], {"listen": f"127.0.0.1:{p1}", "type": "Stream", "pool": "one", "fdname": "web"})
        status = self.ctl("status", "two").stdout
        self.assertRegex(status, rf"\n     Listen: 127\.0\.0\.1:{p2} \(Stream\)\n +127\.0\.0\.1:{p2} \(Datagram\)\n")
        st = json.loads(self.ctl("status", "one", "--json").stdout)[0]
        self.assertEqual((st["listen"], st["file_descriptor_name"], st["listening"]),
                         ([{"type": "Stream", "address": f"127.0.0.1:{p1}"}], "web", 1))
        self.assertEqual(self.ctl("show", "two", "-p", "Listen").stdout,
                         f"Listen=127.0.0.1:{p2} (Stream)\nListen=127.0.0.1:{p2} (Datagram)\n")
        self.assertCleanExit(d)


if __name__ == "__main__":
    main()
