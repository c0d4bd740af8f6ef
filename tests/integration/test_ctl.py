#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""workerpoolctl in systemctl's dialect, on the host: the real daemon on a
private dbus-daemon (the installed policy), real workers. The pager on a
pseudo-terminal, show, is-active/is-failed, JSON modes, help, plain-worded
errors (no daemon, no bus, user nobody), bash completion, waiting for jobs,
live events, cat over the bus, limits no controller enforces."""

import json
import os
import pty
import re
import shutil
import subprocess
import tempfile
import threading
import time

from test_bus import BusTest, FAKE_SSH, NOBODY, WORKERPOOLCTL, pool
from wptest import PrivateBus, TESTWORKER, main, reachable_copy, wait_until

HERE = os.path.dirname(os.path.abspath(__file__))
COMPLETION = os.environ.get("WORKERPOOLCTL_COMPLETION",
                            os.path.join(HERE, "..", "..", "shell-completion", "bash", "workerpoolctl"))
MANPAGE = os.path.join(HERE, "..", "..", "man", "workerpoolctl.1")
SLEEP = "/bin/sleep infinity"
# the environment of the pager tests: none of the caller's pager settings
PAGER_VARS = ("SYSTEMD_PAGER", "PAGER", "LESS", "SYSTEMD_LESS", "SYSTEMD_PAGERSECURE", "SUDO_UID", "NO_COLOR",
              "LESSSECURE")

FAKE_PAGER = """#!/bin/sh
# a pager that says it ran: its arguments and environment, then what it got
{ echo "args=$*"; echo "LESS=$LESS"; echo "LESSSECURE=$LESSSECURE"; } > "$WP_PAGER_LOG"
tee "$WP_PAGER_LOG.in"
"""

# Stops ~1 s after its SIGTERM (then exits 0: classified stopped).
SLOW_STOP = """#!/bin/sh
trap 'sleep 1; exit 0' TERM
while :; do sleep 0.05; done
"""


class CtlTest(BusTest):
    def setUp(self):
        super().setUp()
        self.dir = tempfile.mkdtemp(prefix="wp-ctl-")
        self.addCleanup(shutil.rmtree, self.dir, True)

    def script(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, 0o755)
        return path

    def ctl(self, *args, nobody=False, env=None, timeout=30):
        if nobody:
            return super().ctl(*args, nobody=True)
        cmd = [WORKERPOOLCTL, "--bus=" + self.bus.address, *map(str, args)]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                              env=dict(os.environ, **(env or {})))

    def ok(self, *args, **kw):
        p = self.ctl(*args, **kw)
        self.assertEqual(p.returncode, 0, f"workerpoolctl {args}: {p.stderr}")
        return p.stdout

    def prop(self, pool_name, name):
        return self.ok("show", pool_name, "-p", name, "--value").strip()

    def tty(self, *args, env=None, bus=True):
        """workerpoolctl with stdout on a pseudo-terminal (stderr a pipe),
        in an environment without pager settings but `env`."""
        master, slave = pty.openpty()
        e = {k: v for k, v in os.environ.items() if k not in PAGER_VARS}
        e["TERM"] = "xterm"
        e.update(env or {})
        cmd = [WORKERPOOLCTL] + (["--bus=" + self.bus.address] if bus else []) + list(map(str, args))
        try:
            p = subprocess.run(cmd, stdout=slave, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, env=e,
                               timeout=30)
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
        return p.returncode, out.decode(errors="replace"), p.stderr.decode(errors="replace")


class Pager(CtlTest):
    def test_pager_on_a_terminal(self):
        d = self.start_bus_daemon({"web": pool(SLEEP, Workers=2, Description="web servers")})
        self.wait_active("web", 2)
        fake = self.script("pager", FAKE_PAGER)
        log = os.path.join(self.dir, "pager.log")

        def ran():
            if not os.path.exists(log):
                return None
            with open(log) as f:
                info = dict(l.split("=", 1) for l in f.read().splitlines())
            with open(log + ".in") as f:
                info["input"] = f.read()
            os.unlink(log)
            os.unlink(log + ".in")
            return info

        # $PAGER: it gets the output (colours kept) and LESS=FRSXMK, whatever LESS was
        rc, out, err = self.tty("list-pools", env={"PAGER": fake, "WP_PAGER_LOG": log, "LESS": "-X"})
        self.assertEqual(rc, 0, err)
        info = ran()
        self.assertIsNotNone(info, "the pager did not run")
        self.assertEqual(info["LESS"], "FRSXMK")
        self.assertIn("\033[1mPOOL", info["input"])
        self.assertIn("\033[0;1;32mrunning\033[0m", info["input"])
        self.assertIn("web servers", out)   # the pager wrote it to the terminal
        # $SYSTEMD_PAGER first, with its arguments; $SYSTEMD_LESS for LESS
        rc, out, err = self.tty("status", "web", env={"SYSTEMD_PAGER": fake + " -x --y", "PAGER": "/bin/false",
                                                      "SYSTEMD_LESS": "RS", "WP_PAGER_LOG": log})
        info = ran()
        self.assertEqual((rc, info["args"], info["LESS"]), (0, "-x --y", "RS"))
        self.assertIn("State: ", info["input"])
        # show, cat, help: paged too
        for args in (("show", "web"), ("cat", "web"), ("help",)):
            rc, out, err = self.tty(*args, env={"PAGER": fake, "WP_PAGER_LOG": log})
            self.assertEqual(rc, 0, err)
            self.assertIsNotNone(ran(), f"{args}: not paged")
        # off: PAGER=cat, an empty pager, SYSTEMD_PAGER= over PAGER, --no-pager, TERM=dumb
        for args, env in ((("list-pools",), {"PAGER": "cat"}),
                          (("list-pools",), {"PAGER": ""}),
                          (("list-pools",), {"SYSTEMD_PAGER": "", "PAGER": fake}),
                          (("--no-pager", "list-pools"), {"PAGER": fake}),
                          (("list-pools",), {"PAGER": fake, "TERM": "dumb"})):
            rc, out, err = self.tty(*args, env=dict(env, WP_PAGER_LOG=log))
            self.assertEqual(rc, 0, err)
            self.assertIsNone(ran(), f"{args} {env}: the pager ran")
            self.assertIn("web servers", out)
        # not a terminal: no pager
        p = self.ctl("list-pools", env={"PAGER": fake, "WP_PAGER_LOG": log})
        self.assertEqual(p.returncode, 0)
        self.assertIsNone(ran())
        # commands whose output is not a listing never page
        rc, out, err = self.tty("is-active", "web", env={"PAGER": fake, "WP_PAGER_LOG": log})
        self.assertEqual((rc, out.strip()), (0, "active"))
        self.assertIsNone(ran())
        # under sudo (secure mode) only less may page: not found here, so none
        rc, out, err = self.tty("list-pools", env={"PAGER": fake, "WP_PAGER_LOG": log, "SUDO_UID": "1000",
                                                   "PATH": self.dir})
        self.assertEqual(rc, 0, err)
        self.assertIsNone(ran(), "secure mode ran $PAGER")
        self.assertIn("web servers", out)
        rc, out, err = self.tty("list-pools", env={"PAGER": fake, "WP_PAGER_LOG": log, "SUDO_UID": "1000",
                                                   "SYSTEMD_PAGERSECURE": "0"})
        self.assertIsNotNone(ran(), "SYSTEMD_PAGERSECURE=0 did not allow $PAGER")
        self.assertCleanExit(d)


class Show(CtlTest):
    def test_show_property_value(self):
        d = self.start_bus_daemon({"web": pool(SLEEP, Workers=2, MaxWorkers=8, Description="web servers")})
        self.wait_active("web", 2)
        out = self.ok("show", "web")
        props = dict(l.split("=", 1) for l in out.splitlines())
        self.assertEqual(props["Name"], "web")
        self.assertEqual(props["Workers"], "2")
        self.assertEqual(props["State"], "running")
        self.assertEqual(props["MaxWorkers"], "8")
        self.assertEqual(props["ExecStart"], "/bin/sleep infinity")   # an array, space-separated
        self.assertEqual(props["MemoryMax"], "infinity")
        self.assertEqual(props["RestartUSec"], "100ms")
        self.assertEqual(props["FragmentPath"], os.path.join(d.confdir, "web.pool"))
        # every property of the object (GetAll), the empty ones only with --all
        allp = self.busctl("introspect", "org.workerpoold1", self.pool_path("web"), "org.workerpoold1.Pool").stdout
        names = {l.split()[0][1:] for l in allp.splitlines() if " property " in l}
        self.assertNotIn("User", props)
        full = dict(l.split("=", 1) for l in self.ok("show", "--all", "web").splitlines())
        self.assertEqual(set(full), names)
        self.assertEqual(full["User"], "")
        # -p (repeated, or a list), shown even when empty; --value
        out = self.ok("show", "web", "-p", "Workers", "-p", "State,User")
        self.assertEqual(out.splitlines(), ["State=running", "Workers=2", "User="])   # in the object's order
        self.assertEqual(self.ok("show", "web", "--property=Workers", "--value"), "2\n")
        self.assertEqual(self.ok("show", "web", "-p", "Description", "--value"), "web servers\n")
        # several pools: a blank line between them
        out = self.ok("show", "web", "web", "-p", "Name")
        self.assertEqual(out, "Name=web\n\nName=web\n")
        # the manager without a pool
        mgr = dict(l.split("=", 1) for l in self.ok("show").splitlines())
        self.assertEqual(mgr["NPools"], "1")
        self.assertIn("Version", mgr)
        # JSON: one object, values as printed
        obj = json.loads(self.ok("show", "web", "--json", "-p", "Workers,ExecStart"))
        self.assertEqual(obj, {"Workers": "2", "ExecStart": ["/bin/sleep", "infinity"]})
        p = self.ctl("show", "nope")
        self.assertEqual(p.returncode, 4, p.stderr)
        self.assertCleanExit(d)


class IsActive(CtlTest):
    def test_is_active_is_failed_words_and_exit_codes(self):
        slow = self.script("slow-stop", SLOW_STOP)
        d = self.start_bus_daemon({
            "run": pool(SLEEP, Workers=1),
            "deg": pool(SLEEP, Workers=2, RestartSec="1min"),
            "off": pool(SLEEP, Workers=1),
            "bad": pool("/nonexistent/x", Workers=1, RestartSec="10ms", StartLimitBurst=2),
            "boot": pool(f"{TESTWORKER} pause", Type="notify", Workers=1, TimeoutStartSec="1min"),
            "slow": pool(f"/bin/sh {slow}", Workers=1, TimeoutStopSec="10s"),
        })
        self.wait_active("run", 1)
        self.wait_active("slow", 1)
        wait_until(lambda: self.prop("bad", "State") == "failed", what="bad failed")
        self.ok("stop", "off")
        w = self.list_workers("deg")
        self.assertEqual(len(w), 2)
        self.ok("kill", w[0][0], "--signal=SIGKILL")
        wait_until(lambda: self.prop("deg", "State") == "degraded", what="deg degraded")

        def check(verb, pools, words, rc):
            p = self.ctl(verb, *pools)
            self.assertEqual((p.stdout.split(), p.returncode), (words, rc), f"{verb} {pools}: {p.stderr}")

        check("is-active", ["run"], ["active"], 0)
        check("is-active", ["run", "deg"], ["active", "active"], 0)   # degraded runs: active
        check("is-active", ["off"], ["inactive"], 3)
        check("is-active", ["boot"], ["activating"], 3)
        check("is-active", ["bad"], ["failed"], 3)
        check("is-active", ["run", "off"], ["active", "inactive"], 3)
        check("is-active", ["nope"], ["inactive"], 4)
        check("is-active", ["run", "nope", "off"], ["active", "inactive", "inactive"], 4)
        check("is-failed", ["bad"], ["failed"], 0)
        check("is-failed", ["run", "bad"], ["active", "failed"], 0)
        check("is-failed", ["run", "off", "nope"], ["active", "inactive", "inactive"], 1)
        # stopping: deactivating
        self.ok("stop", "--no-block", "slow")
        check("is-active", ["slow"], ["deactivating"], 3)
        # --quiet: the exit status only
        for verb, pools, rc in (("is-active", ["run"], 0), ("is-active", ["off"], 3), ("is-active", ["nope"], 4),
                                ("is-failed", ["bad"], 0), ("is-failed", ["run"], 1)):
            p = self.ctl(verb, "--quiet", *pools)
            self.assertEqual((p.stdout, p.returncode), ("", rc), f"{verb} -q {pools}")
        self.assertEqual(self.ctl("is-active").returncode, 2)
        self.assertCleanExit(d)


class Json(CtlTest):
    def test_json_modes(self):
        d = self.start_bus_daemon({"web": pool(SLEEP, Workers=2),
                                   "x": pool("/nonexistent/x", Workers=1, RestartSec="10ms", StartLimitBurst=2)})
        self.wait_active("web", 2)
        wait_until(lambda: self.prop("x", "State") == "failed", what="x failed")
        for args in (("list-pools",), ("list-workers",), ("status",), ("status", "web"), ("events",),
                     ("show", "web")):
            short = self.ok(*args, "--json")
            self.assertEqual(short.count("\n"), 1, f"{args}: not one line")
            data = json.loads(short)
            if args[0] != "status":     # status has live counters
                for mode in ("--json=short", "-ojson"):
                    self.assertEqual(self.ok(*args, mode), short, f"{args} {mode}")
            for mode in ("--json=pretty", "-ojson-pretty", "--output=json-pretty"):
                pretty = self.ok(*args, mode)
                self.assertGreater(pretty.count("\n"), 2, f"{args} {mode}: not indented")
                self.assertRegex(pretty, r'\n(        )+"[a-zA-Z_]+" : ', f"{args} {mode}")
                if args[0] != "status":
                    self.assertEqual(json.loads(pretty), data, f"{args} {mode}")
            self.assertNotIn("{", self.ok(*args, "--json", "--json=off"))
        self.assertEqual(self.ok("--json=help").split(), ["short", "pretty", "off"])
        for bad in ("--json=long", "-oxml"):
            p = self.ctl("list-pools", bad)
            self.assertEqual(p.returncode, 2, bad)
            self.assertIn("Unknown", p.stderr)
        self.assertCleanExit(d)


class Help(CtlTest):
    def test_help_verb(self):
        # no daemon, no bus: help needs neither
        nobus = ["--bus=unix:path=/nonexistent/bus"]
        h = subprocess.run([WORKERPOOLCTL, *nobus, "--help"], capture_output=True, text=True, timeout=10)
        v = subprocess.run([WORKERPOOLCTL, *nobus, "help"], capture_output=True, text=True, timeout=10)
        self.assertEqual((h.returncode, v.returncode), (0, 0), v.stderr)
        self.assertEqual(v.stdout, h.stdout)
        for word in ("show", "is-active", "is-failed", "--no-pager", "--no-block", "--value", "--property",
                     "--json[=short|pretty|off]", "--output", "--quiet"):
            self.assertIn(word, h.stdout)
        # issue #14's verbs, and what reload means with and without a pool
        for line in ("  reload POOL...  ", "  freeze WORKER|POOL...  ", "  thaw WORKER|POOL...  ",
                     "  diagnose WORKER  ", "  daemon-reload  ", "  status [POOL|WORKER...]  ",
                     "-o --output=json|json-pretty|short|verbose"):
            self.assertIn(line, h.stdout)
        self.assertRegex(h.stdout, r"\n  reload +Without a pool: the same as daemon-reload\n")
        self.assertEqual(subprocess.run([WORKERPOOLCTL, "-o", "help"], capture_output=True, text=True,
                                        timeout=10).stdout.split(), ["short", "verbose", "json", "json-pretty"])
        # every verb of the help has its entry in the man page, which mandoc finds clean
        verbs = re.findall(r"^  ([a-z][a-z-]+)(?= )", h.stdout.split("Options:")[0], re.M)
        self.assertIn("diagnose", verbs)
        with open(MANPAGE) as f:
            man = f.read()
        for verb in verbs:
            self.assertRegex(man, rf"\n\.It Cm {verb}\b", f"{verb}: not in workerpoolctl(1)")
        for word in ("ExecReload=", "daemon-reload", "Fl o Cm verbose", "CHAIN", "LastHangCapture", "waiting",
                     "job-timeout", "PoolInactive", "StateReason", "(frozen)"):
            self.assertIn(word, man)
        if shutil.which("mandoc"):
            lint = subprocess.run(["mandoc", "-Tlint", "-W", "warning", MANPAGE], capture_output=True, text=True)
            self.assertEqual((lint.returncode, lint.stdout + lint.stderr), (0, ""))


class Errors(CtlTest):
    def test_errors_in_plain_words(self):
        # a bus without the daemon: which bus, said once
        p = self.ctl("list-pools")
        self.assertEqual(p.returncode, 1)
        self.assertEqual(p.stderr, f"workerpoold is not running (no org.workerpoold1 on the bus at "
                                   f"{self.bus.address})\n")
        p = self.ctl("stop", "a", "b")
        self.assertEqual((p.returncode, p.stderr.count("workerpoold is not running")), (1, 1), p.stderr)
        # no bus at all
        p = subprocess.run([WORKERPOOLCTL, "--bus=unix:path=/nonexistent/bus", "status"], capture_output=True,
                           text=True, timeout=10)
        self.assertEqual(p.returncode, 1)
        self.assertEqual(p.stderr, "workerpoold is not running (cannot connect to the bus at "
                                   "unix:path=/nonexistent/bus: No such file or directory)\n")
        env = {k: v for k, v in os.environ.items() if k != "DBUS_SESSION_BUS_ADDRESS"}
        env["XDG_RUNTIME_DIR"] = self.dir
        p = subprocess.run([WORKERPOOLCTL, "--user", "is-active", "web"], capture_output=True, text=True,
                           timeout=10, env=env)
        self.assertEqual(p.returncode, 1)
        self.assertRegex(p.stderr, r"^workerpoold is not running \(cannot connect to the session bus: ")

        # user nobody: refused by the bus policy
        d = self.start_bus_daemon({"a": pool(SLEEP, Workers=1, MaxWorkers=5)})
        self.wait_active("a", 1)
        for args, what in ((("scale", "a", 3), "scale pool a"), (("stop", "a"), "stop pool a"),
                           (("set-property", "a", "Workers=2"), "set properties"), (("reload",), "reload")):
            p = self.ctl(*args, nobody=True)
            self.assertEqual(p.returncode, 1, p.stderr)
            self.assertEqual(p.stderr, f"Failed to {what}: changing pools needs root\n")
        self.assertEqual(self.prop("a", "State"), "running")
        # reading works, and other errors keep their message
        self.assertEqual(self.ctl("is-active", "a", nobody=True).stdout, "active\n")
        p = self.ctl("scale", "a", 99)
        self.assertEqual(p.returncode, 1)
        self.assertRegex(p.stderr, r"^Failed to scale pool a: .*99")
        self.assertNotIn("root", p.stderr)

        # refused by the daemon itself (a bus without the policy): its message second
        open_bus = PrivateBus(with_policy=False)
        self.addCleanup(open_bus.close)
        d2 = self.start({"b": pool(SLEEP, Workers=1, MaxWorkers=5)}, extra_args=["--bus", open_bus.address])
        d2.wait_log(r"Acquired the bus name org\.workerpoold1")
        p = subprocess.run(NOBODY + [reachable_copy(WORKERPOOLCTL), "--bus=" + open_bus.address, "scale", "b", "2"],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertRegex(p.stderr, r"^Failed to scale pool b: changing pools needs root \(workerpoold: Only root "
                                   r"may call org\.workerpoold1\.Pool\.Scale\(\).*\)\n$")
        self.assertCleanExit(d2)
        self.assertCleanExit(d)


class Completion(CtlTest):
    def complete(self, words, line=None):
        """Run the completion function in bash as bash would: COMP_WORDS and
        COMP_CWORD (the cursor on the last word); with line, also COMP_LINE
        and COMP_POINT, and words split at "=" and ":" as readline does."""
        setup = 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 )); '
        if line is not None:
            setup += 'COMP_LINE="$WP_LINE"; COMP_POINT=${#COMP_LINE}; '
        p = subprocess.run(["bash", "--norc", "--noprofile", "-c",
                            setup + '_workerpoolctl; printf "%s\\n" "${COMPREPLY[@]}"', "_", COMPLETION, *words],
                           capture_output=True, text=True, timeout=30, env=dict(os.environ, WP_LINE=line or ""))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stderr, "")
        return [w for w in p.stdout.splitlines() if w]

    @staticmethod
    def readline_words(line):
        words = []
        for w in line.split(" "):
            words += [x for x in re.split(r"([=:]+)", w) if x] or [""]
        return words

    def test_completion(self):
        # it loads, and registers itself
        p = subprocess.run(["bash", "--norc", "--noprofile", "-c", 'source "$1" && complete -p workerpoolctl',
                            "_", COMPLETION], capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("-F _workerpoolctl workerpoolctl", p.stdout)
        ctl, bus = WORKERPOOLCTL, "--bus=" + self.bus.address
        # verbs and options need no daemon
        self.assertEqual(self.complete([ctl, "st"]), ["status", "start", "stop"])
        self.assertEqual(self.complete([ctl, "is-"]), ["is-active", "is-failed"])
        self.assertIn("--no-pager", self.complete([ctl, "--no-"]))
        self.assertEqual(self.complete([ctl, "--json="]), ["--json=short", "--json=pretty", "--json=off"])

        d = self.start_bus_daemon({"web": pool(SLEEP, Workers=1), "worker-b": pool(SLEEP, Workers=1)})
        self.wait_active("web", 1)
        # pool names, from the daemon on the bus of the command line
        self.assertEqual(sorted(self.complete([ctl, bus, "stop", ""])), ["web", "worker-b"])
        self.assertEqual(self.complete([ctl, bus, "status", "we"]), ["web"])
        self.assertEqual(self.complete([ctl, bus, "scale", "web", ""]), [])
        self.assertEqual(self.complete([ctl, bus, "list-workers", "--pool=wo"]), ["--pool=worker-b"])
        # property names for show -p, keys for set-property
        props = self.complete([ctl, bus, "show", "web", "-p", "Memory"])
        self.assertIn("MemoryMax", props)
        self.assertIn("MemoryCurrent", props)
        self.assertEqual(self.complete([ctl, bus, "show", "web", "--property=Name,Rea"]),
                         ["--property=Name,ReadyWorkers"])
        self.assertEqual(self.complete([ctl, bus, "set-property", "web", "Memory"]),
                         ["MemoryMax=", "MemoryHigh=", "MemorySwapMax="])
        self.assertIn("Restart=always", self.complete([ctl, bus, "set-property", "web", "Restart=a"]))
        # as readline splits the words (at "=" and ":"): only the last part is replaced
        line = f"{ctl} {bus} list-workers --pool=wo"
        self.assertEqual(self.complete(self.readline_words(line), line), ["worker-b"])
        line = f"{ctl} {bus} restart "
        self.assertEqual(sorted(self.complete(self.readline_words(line), line)), ["web", "worker-b"])
        self.assertCleanExit(d)

    def test_completion_of_the_job_verbs(self):
        ctl, bus = WORKERPOOLCTL, "--bus=" + self.bus.address
        # the verbs of issue #14, and their options' values, without a daemon
        self.assertEqual(self.complete([ctl, "d"]), ["diagnose", "daemon-reload"])
        self.assertEqual(self.complete([ctl, "fr"]), ["freeze"])
        self.assertEqual(self.complete([ctl, "th"]), ["thaw"])
        self.assertEqual(self.complete([ctl, "rel"]), ["reload"])
        for reason in ("protocol", "job-timeout", "recycled", "unhealthy"):
            self.assertIn(f"--reason={reason}", self.complete([ctl, "events", "--reason="]))
        self.assertEqual(self.complete([ctl, "--state=w"]), ["--state=waiting"])
        self.assertEqual(self.complete([ctl, "-o", "v"]), ["verbose"])

        d = self.start_bus_daemon({"web": pool(SLEEP, Workers=2), "worker-b": pool(SLEEP, Workers=1)})
        self.wait_active("web", 2)
        self.wait_active("worker-b", 1)
        ids = sorted(str(w[0]) for w in self.list_workers())
        # reload: pools; freeze, thaw, status, show: pools and worker ids (as kill);
        # diagnose: worker ids, one
        self.assertEqual(sorted(self.complete([ctl, bus, "reload", ""])), ["web", "worker-b"])
        for verb in ("freeze", "thaw", "status", "show", "kill"):
            self.assertEqual(sorted(self.complete([ctl, bus, verb, ""])), sorted(["web", "worker-b"] + ids),
                             verb)
        self.assertEqual(sorted(self.complete([ctl, bus, "diagnose", ""])), ids)
        self.assertEqual(self.complete([ctl, bus, "diagnose", ids[0], ""]), [])
        self.assertEqual(self.complete([ctl, bus, "daemon-reload", ""]), [])
        self.assertCleanExit(d)


class Jobs(CtlTest):
    def timed(self, *args):
        t0 = time.monotonic()
        p = self.ctl(*args, timeout=40)
        return p, time.monotonic() - t0

    def test_waiting_for_jobs(self):
        slow = self.script("slow-stop", SLOW_STOP)
        d = self.start_bus_daemon({
            "slow": pool(f"/bin/sh {slow}", Workers=2, TimeoutStopSec="10s"),
            "nt": pool(f"{TESTWORKER} sleep:300 ready pause", Type="notify", Workers=1, MaxWorkers=5),
            "bad": pool(f"{TESTWORKER} sleep:100 exit:1", Type="notify", Workers=1, RestartSec="1min"),
        })
        self.wait_active("slow", 2)
        self.wait_active("nt", 1)

        # stop lasts until the last worker is gone (each takes ~1 s after SIGTERM)
        p, took = self.timed("stop", "slow")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertGreaterEqual(took, 0.9)
        self.assertLess(took, 8)
        self.assertEqual(d.worker_cgroups("slow"), [])
        self.assertEqual(self.prop("slow", "State"), "stopped")
        # start returns when every worker runs
        p, took = self.timed("start", "slow")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(self.prop("slow", "ReadyWorkers"), "2")
        # --no-block: at once, the stop still going on
        p, took = self.timed("--no-block", "stop", "slow")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertLess(took, 0.6)
        self.assertEqual(self.ctl("is-active", "slow").stdout, "deactivating\n")
        wait_until(lambda: self.prop("slow", "State") == "stopped", what="slow stopped")
        self.ok("start", "slow")

        # scale and set-property Workers= wait until the workers are ready (300 ms each)
        p, took = self.timed("scale", "nt", 3)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertGreaterEqual(took, 0.25)
        self.assertEqual(self.prop("nt", "ReadyWorkers"), "3")
        p, took = self.timed("scale", "nt", 4, "--no-block")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertLess(int(self.prop("nt", "ReadyWorkers")), 4)   # returned before the 4th was ready
        p = self.ctl("set-property", "nt", "Workers=5", "--runtime")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(self.prop("nt", "ReadyWorkers"), "5")
        # several pools: all of them
        p, took = self.timed("stop", "nt", "slow")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertGreaterEqual(took, 0.9)
        self.assertEqual((self.prop("nt", "State"), self.prop("slow", "State")), ("stopped", "stopped"))
        self.assertEqual(d.worker_cgroups("slow") + d.worker_cgroups("nt"), [])

        # a worker that exits before READY=1 (a protocol violation): the job
        # failed, and why
        self.ok("stop", "bad")
        p = self.ctl("start", "bad")
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertRegex(p.stderr, r"^Job for pool bad failed: worker \d+ exited before it was ready: "
                                   r"protocol \(.*1.*\)\.\n")
        self.assertIn('See "workerpoolctl status bad"', p.stderr)

        # replaced by a later call: canceled
        self.ok("start", "nt")
        mark = d.mark()
        waiter = subprocess.Popen([WORKERPOOLCTL, "--bus=" + self.bus.address, "restart", "nt"],
                                  stderr=subprocess.PIPE, text=True)
        self.bgs.append(waiter)
        d.wait_log(r"Pool nt: rolling restart of", start=mark)
        self.ok("stop", "nt", "--no-block")
        _, err = waiter.communicate(timeout=20)
        self.assertEqual(waiter.returncode, 1, err)
        # (replaced by the stop job, or overtaken by the stopping it began)
        self.assertRegex(err, r"^Job for pool nt canceled: (replaced by a stop job|the pool is stopping)\.\n$")
        # reload answers when done: nothing to wait for
        self.ok("reload")
        self.assertCleanExit(d)


class Events(CtlTest):
    def follower(self, *args):
        p = subprocess.Popen([WORKERPOOLCTL, "--bus=" + self.bus.address, "events", "--follow", *args],
                             stdout=subprocess.PIPE, text=True)
        self.bgs.append(p)
        lines = []
        threading.Thread(target=lambda: [lines.append(l.rstrip("\n")) for l in p.stdout], daemon=True).start()
        return lines

    def test_exit_cpu_time_is_the_workers_own(self):
        """An exit's CPU time comes from its rusage (no cpu.stat read on
        the exit path): a worker that burns 300 ms of CPU and exits says so."""
        self.start_bus_daemon({"spin": pool(f"{TESTWORKER} spin:300 exit:3", Workers=1, Restart="no")})
        wait_until(lambda: self.list_events("spin"), what="the exit")
        e = json.loads(self.ok("events", "--json"))[0]
        self.assertEqual((e["code"], e["status"]), (1, 3), e)     # CLD_EXITED, exit:3
        self.assertGreaterEqual(e["cpu_usec"], 300000, e)
        self.assertLess(e["cpu_usec"], (e["exited_at_usec"] - e["started_at_usec"]) + 20000, e)

    def test_follow_same_fields_and_columns(self):
        d = self.start_bus_daemon({"w": pool(SLEEP, Workers=3, MaxWorkers=5, RestartSec="10ms"),
                                   "a-longer-pool-name": pool(SLEEP, Workers=1)})
        self.wait_active("w", 3)
        ws = self.list_workers("w")
        self.ok("kill", ws[0][0], "--signal=SIGKILL")     # one exit in the history
        wait_until(lambda: len(self.list_events("w")) == 1, what="the first exit")
        self.wait_active("w", 3)
        live_json = self.follower("--json")
        live_text = self.follower()
        wait_until(lambda: len(live_json) == 1 and len(live_text) == 2, what="the history printed")
        self.ok("kill", ws[1][0], "--signal=SIGKILL")
        wait_until(lambda: len(live_json) == 2, what="the live exit")
        self.wait_active("w", 3)        # restarted: scaling down stops 2 workers, no pending restart
        self.ok("scale", "w", 1)
        wait_until(lambda: len(live_json) == 4 and len(live_text) == 5, what="3 live exits")

        # JSON: every live line as the same exit in the history (but the
        # successor: it starts after the exit the line tells)
        history = {e["id"]: e for e in json.loads(self.ok("events", "--json"))}
        for line in live_json:
            e = json.loads(line)
            e.pop("successor", None)
            self.assertEqual(e, {k: v for k, v in history[e["id"]].items() if k != "successor"})
            for k in ("started_at_usec", "exited_at_usec", "cpu_usec"):
                self.assertIsNotNone(e[k], k)
        # text: the columns of every line where the header says
        header = live_text[0]
        cols = {name: header.index(name) for name in ("TIME", "POOL", "WORKER", "PID", "REASON", "ACTION",
                                                      "CHAIN", "EVIDENCE")}
        for line in live_text[1:]:
            for name in ("POOL", "REASON", "ACTION", "CHAIN", "EVIDENCE"):      # left-aligned
                self.assertEqual(line[cols[name] - 2:cols[name]], "  ", f"{name}: {line!r}\n{header!r}")
                self.assertNotEqual(line[cols[name]], " ", f"{name}: {line!r}\n{header!r}")
            for name in ("WORKER", "PID"):                              # numbers, right-aligned
                end = cols[name] + len(name)
                self.assertTrue(line[end - 1].isdigit() and line[end] == " ", f"{name}: {line!r}\n{header!r}")
        self.assertIn("killed", live_text[2])
        self.assertIn("stopped", live_text[4])
        self.assertCleanExit(d)


class Cat(CtlTest):
    def test_cat_from_the_bus(self):
        d = self.start_bus_daemon({"c": pool(SLEEP, Workers=1)},
                                  dropins={("c", "10-desc.conf"): "[Pool]\nDescription=cats\n"})
        self.wait_active("c", 1)
        main_file = os.path.join(d.confdir, "c.pool")
        dropin = os.path.join(d.confdir, "c.pool.d", "10-desc.conf")
        loaded = f"# {main_file}\n{pool(SLEEP, Workers=1)}\n# {dropin}\n[Pool]\nDescription=cats\n"
        self.assertEqual(self.ok("cat", "c"), loaded)
        # the files change on disk: cat shows what was loaded
        d.write_pool("c", pool("/bin/true", Workers=7))
        os.unlink(dropin)
        self.assertEqual(self.ok("cat", "c"), loaded)
        # what set-property changed since, last
        self.ok("set-property", "c", "CPUWeight=50", "--runtime")
        out = self.ok("cat", "c")
        self.assertTrue(out.startswith(loaded + "\n# SetProperties()\n"), out)
        self.assertRegex(out, r"CPUWeight=50\n$")
        # -H: the remote daemon's (the same here, through a stand-in ssh), not local files
        fake = os.path.join(self.dir, "ssh")
        with open(fake, "w") as f:
            f.write(FAKE_SSH)
        os.chmod(fake, 0o755)
        env = dict(os.environ, PATH=self.dir + ":" + os.environ["PATH"], WP_FAKE_SSH_LOG=fake + ".log",
                   WP_FAKE_SSH_BUS=self.bus.address.split("path=")[1].split(",")[0])
        p = subprocess.run([WORKERPOOLCTL, "-H", "admin@pool-host", "cat", "c"], capture_output=True, text=True,
                           env=env, timeout=30)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout, out)
        self.assertEqual(self.ctl("cat", "nope").returncode, 4)
        self.assertCleanExit(d)


class Status(CtlTest):
    def test_limits_not_enforced(self):
        d = self.start_bus_daemon({"lim": pool(SLEEP, Workers=1) +
                                   "[Resources]\nMemoryMax=512M\nCPUWeight=50\nTasksMax=100\n",
                                   "free": pool(SLEEP, Workers=1)})
        self.wait_active("lim", 1)
        controllers = self.ok("show", "-p", "Controllers", "--value").split()
        out = self.ok("status", "lim")
        expect = []
        for limit, value, controller in (("MemoryMax", "512M", "memory"), ("CPUWeight", "50", "cpu"),
                                         ("TasksMax", "100", "pids")):
            note = f"{limit}={value} (not enforced: no {controller} controller)"
            if controller in controllers:
                self.assertNotIn(note, out)
                self.assertIn(f"{limit}={value}", out)
            else:
                self.assertIn(note, out)
                expect.append(limit)
        self.assertNotIn("MemoryHigh=infinity (not", out)    # not set: nothing to enforce
        self.assertNotIn("not enforced", self.ok("status", "free"))
        st = json.loads(self.ok("status", "--json"))
        self.assertEqual({s["pool"]: s["limits_not_enforced"] for s in st}, {"lim": expect, "free": []})
        self.assertCleanExit(d)


if __name__ == "__main__":
    main()
