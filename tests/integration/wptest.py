# SPDX-License-Identifier: MIT
"""Host integration harness: the real workerpoold, real workers, a scratch
cgroup under this machine's cgroup2 mount. Standard library only."""

import atexit
import collections
import os
import re
import resource
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import unittest

WORKERPOOLD = os.path.abspath(os.environ.get("WORKERPOOLD", "build/src/workerpoold"))
TESTWORKER = os.path.abspath(os.environ.get("TESTWORKER", "build/tests/helpers/testworker"))
HERE = os.path.dirname(os.path.abspath(__file__))
POLICY = os.environ.get("WORKERPOOLD_POLICY",
                        os.path.join(HERE, "..", "..", "policy", "org.workerpoold1.conf"))


def cgroup2_mount():
    with open("/proc/self/mountinfo") as f:
        for line in f:
            pre, _, post = line.partition(" - ")
            if post.startswith("cgroup2 "):
                return pre.split()[4]
    return None


def wait_until(pred, timeout=10.0, interval=0.02, what="condition"):
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def pid_alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ")[1][0] != "Z"
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False


_reachable = {}     # program -> its copy
_reachable_dir = []


def reachable_copy(path):
    """A copy of the program `path` that every user can run, for what runs
    as another user (User=nobody, setpriv): the build tree may be where such
    a user cannot go (a clone in /root, mode 0700). In a 0755 directory
    under /tmp, made once per test process and removed at its exit."""
    if path not in _reachable:
        if not _reachable_dir:
            d = tempfile.mkdtemp(prefix="wp-reachable-", dir="/tmp")
            os.chmod(d, 0o755)
            atexit.register(shutil.rmtree, d, True)
            p = d
            while p != "/":     # every parent searchable by anyone, or say which is not
                p = os.path.dirname(p)
                if not os.stat(p).st_mode & 0o001:
                    raise AssertionError(f"{p} is not searchable by other users: {d} cannot be reached")
            _reachable_dir.append(d)
        copy = os.path.join(_reachable_dir[0], "%d-%s" % (len(_reachable), os.path.basename(path)))
        shutil.copy(path, copy)
        os.chmod(copy, 0o755)
        _reachable[path] = copy
    return _reachable[path]


class Daemon:
    """One workerpoold with its own config dir, runtime dir and cgroup root."""

    def __init__(self, pools, extra_args=(), dropins=None, successor_of=None, oom_score_adj=None,
                 nofile=None, rundir=None, cgroot=None, stderr_file=None, inside_root=False):
        """nofile=(soft, hard): the daemon's RLIMIT_NOFILE at its start;
        rundir, cgroot: --runtime-dir / --cgroup-root of another instance
        (a second daemon on the same ones) instead of fresh ones;
        stderr_file: the daemon's stderr goes there, not to the test (no
        lines to wait for: a flood of output would fill the test's memory);
        inside_root: start the daemon in its cgroup root, as systemd starts
        it in its unit's delegated cgroup (it then moves into supervisor/
        and, on exit, back into the root, which stays)."""
        if successor_of:   # a new instance on the same config and cgroup root
            self.tmp = successor_of.tmp
        else:
            self.tmp = tempfile.TemporaryDirectory(prefix="wp-test-")
        self.confdir = os.path.join(self.tmp.name, "pools.d")
        self.rundir = rundir or os.path.join(self.tmp.name, "run")
        os.makedirs(self.confdir, exist_ok=True)
        for name, text in pools.items():
            self.write_pool(name, text)
        for (name, fname), text in (dropins or {}).items():
            d = os.path.join(self.confdir, name + ".pool.d")
            os.makedirs(d, exist_ok=True)
            with open(os.path.join(d, fname), "w") as f:
                f.write(text)
        mount = cgroup2_mount()
        assert mount, "no cgroup2 mount"
        self.mount = mount
        self.cgroot = successor_of.cgroot if successor_of else os.path.join(
            mount, "wp-test-%d-%d" % (os.getpid(), time.monotonic_ns() % 10**9))
        if cgroot:
            self.cgroot = cgroot
        self.lines = []
        self.cond = threading.Condition()
        args = [WORKERPOOLD, "--config-dir", self.confdir, "--runtime-dir", self.rundir,
                "--cgroup-root", self.cgroot, "--config", os.path.join(self.tmp.name, "none.conf"),
                "--log-level", "debug", *extra_args]
        env = dict(os.environ)
        env.pop("JOURNAL_STREAM", None)
        env.pop("NOTIFY_SOCKET", None)
        def preexec():
            if oom_score_adj is not None:   # as systemd's OOMScoreAdjust= would
                with open("/proc/self/oom_score_adj", "w") as f:
                    f.write(str(oom_score_adj))
            if nofile is not None:          # as systemd's LimitNOFILE= would
                resource.setrlimit(resource.RLIMIT_NOFILE, nofile)
            if inside_root:                 # as systemd's Delegate=yes would
                os.makedirs(self.cgroot, exist_ok=True)
                with open(os.path.join(self.cgroot, "cgroup.procs"), "w") as f:
                    f.write("0")
        err = open(stderr_file, "wb") if stderr_file else subprocess.PIPE
        self.proc = subprocess.Popen(args, stderr=err, stdout=subprocess.DEVNULL,
                                     text=True, env=env, preexec_fn=preexec)
        if stderr_file:
            err.close()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        self.exit_code = None

    def _read(self):
        for line in self.proc.stderr or ():
            with self.cond:
                self.lines.append(line.rstrip("\n"))
                self.cond.notify_all()
            if os.environ.get("WPTEST_VERBOSE"):
                print("  |", line.rstrip("\n"), flush=True)

    def write_pool(self, name, text):
        """text: str, or bytes written as they are (e.g. not UTF-8)."""
        with open(os.path.join(self.confdir, name + ".pool"), "wb" if isinstance(text, bytes) else "w") as f:
            f.write(text)

    def remove_pool(self, name):
        os.unlink(os.path.join(self.confdir, name + ".pool"))

    def log_text(self):
        with self.cond:
            return "\n".join(self.lines)

    def wait_log(self, pattern, timeout=10.0, count=1, start=0):
        """Wait until `count` lines (from index `start`) match; return the matches."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                found = [m for m in (rx.search(l) for l in self.lines[start:]) if m]
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                if left <= 0 or self.proc.poll() is not None and not self.reader.is_alive():
                    raise AssertionError(
                        f"no {count} log line(s) matching {pattern!r} within {timeout}s; log tail:\n"
                        + "\n".join(self.lines[-40:]))
                self.cond.wait(min(left, 0.2))

    def mark(self):
        with self.cond:
            return len(self.lines)

    def pool_dir(self, pool):
        return os.path.join(self.cgroot, pool + ".pool")

    def worker_cgroups(self, pool):
        d = self.pool_dir(pool)
        try:
            return sorted(e for e in os.listdir(d) if e.endswith(".worker"))
        except FileNotFoundError:
            return []

    def cgroup_pids(self, path):
        try:
            with open(os.path.join(path, "cgroup.procs")) as f:
                return [int(x) for x in f.read().split()]
        except (FileNotFoundError, OSError):   # ENODEV: removed while we read it
            return []

    def worker_pids(self, pool):
        """{cgroup name: [pids]} for live worker cgroups."""
        return {w: self.cgroup_pids(os.path.join(self.pool_dir(pool), w))
                for w in self.worker_cgroups(pool)}

    def wait_workers(self, pool, n, timeout=10.0):
        def ok():
            ws = self.worker_pids(pool)
            return ws if len(ws) == n and all(len(p) >= 1 for p in ws.values()) else None
        return wait_until(ok, timeout, what=f"{n} workers in pool {pool}")

    def signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self, timeout=30.0):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.exit_code = self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.exit_code = self.proc.wait()
                raise AssertionError("daemon did not exit within %ss after SIGTERM" % timeout)
        else:
            self.exit_code = self.proc.returncode
        self.reader.join(5)
        return self.exit_code

    def cleanup(self):
        """Best effort: never leave processes or cgroups on the machine."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if os.path.isdir(self.cgroot):
            for dirpath, dirnames, _ in os.walk(self.cgroot, topdown=False):
                try:
                    with open(os.path.join(dirpath, "cgroup.kill"), "w") as f:
                        f.write("1")
                except OSError:
                    pass
            # Killed processes leave their cgroups a little later (their
            # parent, the daemon, may be gone): retry for up to 5 s.
            deadline = time.monotonic() + 5
            while os.path.isdir(self.cgroot) and time.monotonic() < deadline:
                time.sleep(0.05)
                for dirpath, dirnames, _ in os.walk(self.cgroot, topdown=False):
                    try:
                        os.rmdir(dirpath)
                    except OSError:
                        pass
        self.tmp.cleanup()


class DaemonTest(unittest.TestCase):
    """Each test gets self.start(pools) and automatic cleanup."""

    def setUp(self):
        if os.geteuid() != 0:
            self.skipTest("needs root (writes cgroups)")
        if not cgroup2_mount():
            self.skipTest("no cgroup2 mount")
        self.daemons = []

    def tearDown(self):
        for d in self.daemons:
            d.cleanup()

    def start(self, pools, **kw):
        d = Daemon(pools, **kw)
        self.daemons.append(d)
        return d

    def assertCleanExit(self, d, timeout=30.0):
        code = d.stop(timeout)
        self.assertEqual(code, 0, "daemon exit code\n" + d.log_text()[-3000:])
        self.assertFalse(os.path.exists(d.cgroot), "cgroup root left behind: %s" % d.cgroot)


BUS_CONF = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path={sock}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Introspectable"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Properties"/>
  </policy>
  {extra}
</busconfig>
"""

# Without the policy file: anyone may call anything, so the daemon's own
# euid check is what answers.
OPEN_POLICY = """<policy context="default">
    <allow send_destination="org.workerpoold1"/>
  </policy>
  <policy user="root"><allow own="org.workerpoold1"/></policy>"""


class PrivateBus:
    """A private dbus-daemon of the system bus's type. with_policy: with the
    installed policy (POLICY) included, else OPEN_POLICY; extra: this text
    instead of either (e.g. "" for a bus on which nobody may own
    org.workerpoold1). log=True keeps the dbus-daemon's stderr in
    self.log_path (read it with log_text())."""

    def __init__(self, with_policy=True, extra=None, log=False):
        self.tmp = tempfile.mkdtemp(prefix="wp-bus-")
        os.chmod(self.tmp, 0o755)     # user nobody connects too
        self.sock = os.path.join(self.tmp, "bus")
        if extra is None:
            extra = f"<include>{os.path.abspath(POLICY)}</include>" if with_policy else OPEN_POLICY
        self.conf = os.path.join(self.tmp, "bus.conf")
        with open(self.conf, "w") as f:
            f.write(BUS_CONF.format(sock=self.sock, extra=extra))
        self.log_path = os.path.join(self.tmp, "dbus-daemon.log") if log else None
        self._start()

    def _start(self):
        err = open(self.log_path, "a") if self.log_path else None
        try:
            self.proc = subprocess.Popen(["dbus-daemon", "--config-file=" + self.conf, "--nofork",
                                          "--print-address"], stdout=subprocess.PIPE, stderr=err,
                                         text=True)
        finally:
            if err:
                err.close()
        self.address = self.proc.stdout.readline().strip()
        assert self.address.startswith("unix:"), self.address

    @property
    def plain_address(self):
        """The address without the server's guid: also good for the next
        dbus-daemon on the same socket (see restart())."""
        return "unix:path=" + self.sock

    def restart(self):
        """SIGKILL the dbus-daemon, as a crash would, and start a new one on
        the same socket (a new guid)."""
        self.proc.kill()
        self.proc.wait(10)
        self.proc.stdout.close()
        self._start()

    def log_text(self):
        if not self.log_path:
            return ""
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def close(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc.stdout.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


def machine_lacks(cap):
    """True if tools/test found that this machine cannot do `cap` (e.g.
    "fault-probe": bpf() refused); a test that needs it then calls
    skip_lacking(cap, why), which is reported as not run, not as a pass."""
    return cap in os.environ.get("WORKERPOOLD_MACHINE_LACKS", "").split()


LACKS_PREFIX = "this machine lacks "


# Checks inside a test that could not be made for what the machine lacks
# (a test that ran its other checks): cap -> count, reported by main().
NOT_RUN = collections.Counter()


def skip_lacking(test, cap, why):
    """Skip `test` because the machine lacks `cap`: "not run" for a cap that
    tools/test established, an ordinary skip (a CI failure) otherwise."""
    test.skipTest(f"{LACKS_PREFIX}{cap} ({why})")


def main():
    """Run with a closing line CI can read: 'LEVEL: N passed, N failed, N skipped'
    (and 'LEVEL: N not run: this machine lacks CAP' for what tools/test found
    missing here)."""
    import sys
    loader = unittest.TestLoader()
    suite = loader.loadTestsFromModule(sys.modules["__main__"])
    if len(sys.argv) > 1:
        suite = unittest.TestSuite(
            t for t in _flatten(suite) if any(a in t.id() for a in sys.argv[1:]))
    result = unittest.TextTestRunner(verbosity=2).run(suite)
    failed = len(result.failures) + len(result.errors)
    notrun = collections.Counter(NOT_RUN)
    skipped = 0
    for _, why in result.skipped:
        cap = why[len(LACKS_PREFIX):].split()[0] if why.startswith(LACKS_PREFIX) else None
        if cap and machine_lacks(cap):
            notrun[cap] += 1
        else:
            skipped += 1
    passed = result.testsRun - failed - len(result.skipped)
    level = os.path.basename(sys.argv[0]).replace("test_", "").replace(".py", "")
    print(f"{level}: {passed} passed, {failed} failed, {skipped} skipped")
    for cap, k in notrun.items():
        print(f"{level}: {k} not run: {LACKS_PREFIX}{cap}")
    sys.exit(1 if failed else (77 if skipped and passed == 0 else 0))


def _flatten(suite):
    for t in suite:
        if isinstance(t, unittest.TestSuite):
            yield from _flatten(t)
        else:
            yield t
