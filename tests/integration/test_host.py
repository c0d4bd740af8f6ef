#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Host integration tests: the real daemon, real workers, a scratch cgroup
under this machine's cgroup2 mount (no controllers needed)."""

import os
import re
import signal
import socket
import subprocess
import time

from wptest import DaemonTest, TESTWORKER, machine_lacks, main, pid_alive, skip_lacking, wait_until

SLEEP = "/bin/sleep"


def pool(exec_start, **keys):
    lines = ["[Pool]", f"ExecStart={exec_start}"]
    for k, v in keys.items():
        lines.append(f"{k}={v}")
    return "\n".join(lines) + "\n"


EXITED = r"Pool {p}: worker (\d+) \(pid (\d+)\) exited: {r} "


class Spawn(DaemonTest):
    def test_workers_each_in_own_cgroup(self):
        d = self.start({"sl": pool(f"{SLEEP} infinity", Workers=5)})
        ws = d.wait_workers("sl", 5)
        for cg, pids in ws.items():
            self.assertEqual(len(pids), 1, cg)
            with open(f"/proc/{pids[0]}/cgroup") as f:
                self.assertTrue(f.read().strip().endswith(f"/sl.pool/{cg}"))
            # (the pid is in its cgroup from the clone on, a moment before the exec)
            def argv0(pid=pids[0]):
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    return f.read().split(b"\0")[0]
            wait_until(lambda: argv0() == SLEEP.encode(), timeout=5, what="exec of the worker")
        # started outside its subtree, the daemon stays where it was started
        with open("/proc/self/cgroup") as f:
            ours = f.read().strip()
        with open(f"/proc/{d.proc.pid}/cgroup") as f:
            self.assertEqual(f.read().strip(), ours)
        self.assertFalse(os.path.exists(os.path.join(d.cgroot, "supervisor")))
        self.assertCleanExit(d)

    def test_daemon_started_inside_its_subtree_lives_in_a_leaf(self):
        """As systemd starts it (Delegate=yes: the unit's cgroup is the
        root): no internal processes, so the daemon moves into supervisor/,
        and back into the root on exit, removing supervisor/."""
        d = self.start({"in": pool(f"{SLEEP} infinity", Workers="2")}, inside_root=True)
        d.wait_workers("in", 2)
        with open(f"/proc/{d.proc.pid}/cgroup") as f:
            v2 = [l for l in f.read().splitlines() if l.startswith("0::")]
        self.assertEqual(v2, ["0::" + d.cgroot[len(d.mount):] + "/supervisor"])
        self.assertEqual(d.stop(), 0, d.log_text()[-3000:])
        self.assertFalse(os.path.exists(os.path.join(d.cgroot, "supervisor")))
        self.assertEqual(os.listdir(d.cgroot).count("in.pool"), 0)

    def test_workers_do_not_inherit_the_daemons_oom_score_adj(self):
        # (systemd sets -500; this container may only raise it, which shows the same)
        d = self.start({"o": pool(f"{SLEEP} infinity", Workers=2)}, oom_score_adj=300)
        ws = d.wait_workers("o", 2)
        with open(f"/proc/{d.proc.pid}/oom_score_adj") as f:
            self.assertEqual(f.read().strip(), "300")
        def adj(pid):
            with open(f"/proc/{pid}/oom_score_adj") as f:
                return f.read().strip()
        for pids in ws.values():
            # (in its cgroup from the clone on; reset in the child before the exec)
            wait_until(lambda: adj(pids[0]) == "0", timeout=5, what=f"oom_score_adj of {pids[0]}")
        self.assertCleanExit(d)

    def test_kill9_is_killed_and_replaced_in_new_cgroup(self):
        d = self.start({"sl": pool(f"{SLEEP} infinity", Workers=3, RestartSec="50ms")})
        ws = d.wait_workers("sl", 3)
        victim_cg, victim = sorted(ws.items())[0]
        os.kill(victim[0], signal.SIGKILL)
        m = d.wait_log(EXITED.format(p="sl", r="killed"))[0]
        self.assertEqual(int(m.group(2)), victim[0])
        self.assertIn("action: restart", d.wait_log(r"exited: killed.*")[0].group(0))
        ws2 = wait_until(lambda: (lambda w: w if len(w) == 3 and victim_cg not in w
                                  and all(w.values()) else None)(d.worker_pids("sl")),
                         what="replacement in a new cgroup")
        self.assertNotIn(victim[0], sum(ws2.values(), []))
        self.assertCleanExit(d)

    def test_exec_failed_backs_off_and_fails_pool(self):
        d = self.start({"bad": pool("/nonexistent/worker", Workers=1, RestartSec="20ms",
                                    RestartMaxDelaySec="200ms", StartLimitBurst=4,
                                    StartLimitIntervalSec="30s")})
        d.wait_log(EXITED.format(p="bad", r="exec-failed") + r"\(execve: No such file")
        d.wait_log(r"Pool bad: .* -> failed", timeout=15)
        attempts = len(d.wait_log(EXITED.format(p="bad", r="exec-failed")))
        self.assertEqual(attempts, 5)   # 1 start + 4 restarts, then the limit
        # delays grew: 20ms, 40ms, 80ms, 160ms
        self.assertIn("restart in 160ms", d.log_text())
        time.sleep(0.5)
        self.assertEqual(len(d.wait_log(EXITED.format(p="bad", r="exec-failed"))), 5)
        self.assertCleanExit(d)

    def test_sigterm_leaves_nothing_behind(self):
        d = self.start({"a": pool(f"{SLEEP} infinity", Workers=4),
                        "b": pool(f"{TESTWORKER} ready pause", Workers=2, Type="notify")})
        pids = sum(d.wait_workers("a", 4).values(), []) + sum(d.wait_workers("b", 2).values(), [])
        d.wait_log(r"Pool b: worker \d+ \(pid \d+\) is ready", count=2)
        self.assertCleanExit(d)
        for p in pids:
            self.assertFalse(pid_alive(p), p)
        self.assertEqual(len(d.wait_log(r"exited: stopped", count=6)), 6)


class Classify(DaemonTest):
    def run_one(self, steps, reason, **keys):
        d = self.start({"c": pool(f"{TESTWORKER} {steps}", Restart="no", **keys)})
        m = d.wait_log(EXITED.format(p="c", r=reason))
        self.assertCleanExit(d)
        return d, m

    def test_success(self):
        # a success that Restart= does not restart: the worker is done, its
        # slot retires (and with every slot retired the pool ends: stopped,
        # and the state change says why)
        d, _ = self.run_one("exit:0", "success")
        self.assertIn("action: retire", d.log_text())
        self.assertRegex(d.log_text(), r"Pool c: stopping -> stopped: every worker has ended: 1 retired, "
                                       r"0 not restarted\.")

    def test_exit_code(self):
        self.run_one("exit:3", "exit-code")

    def test_abort(self):
        self.run_one("abort", "abort")

    def test_segfault(self):
        self.run_one("segv", "segfault")

    def test_signal_fpe(self):
        self.run_one("fpe", "signal")

    def test_crash_at_once_after_the_daemons_start_has_its_evidence(self):
        """The fault probe loads in a thread while the daemon starts up, and
        the first spawn waits for it: workers that fault within a millisecond
        of their exec, started with the daemon, still get the probe's
        evidence (the address, the stack guard)."""
        d = self.start({"segv": pool(f"{TESTWORKER} segv", Restart="no", Workers=4),
                        "stack": pool(f"{TESTWORKER} stack", Restart="no", Workers=2)})
        d.wait_log(r"Fault probe (loaded|not loaded)")
        if "Fault probe loaded" not in d.log_text():
            if machine_lacks("fault-probe"):
                skip_lacking(self, "fault-probe", "the daemon could not load it")
            self.fail("the fault probe did not load:\n" + d.log_text()[-2000:])
        segv = d.wait_log(EXITED.format(p="segv", r="segfault") + r"\((.*)\); action", count=4)
        for m in segv:
            self.assertRegex(m.group(3), r"^SIGSEGV at 0x[0-9a-f]+$", m.group(0))   # the address: the probe's
        for m in d.wait_log(EXITED.format(p="stack", r="stack-overflow"), count=2):
            self.assertNotIn("evidence: none", m.group(0))
        self.assertCleanExit(d)

    def test_exit_before_ready_is_a_protocol_violation(self):
        # any exit of its own before READY=1, whatever the status (systemd's
        # Result=protocol); a crash keeps its own reason
        d, m = self.run_one("exit:3", "protocol", Type="notify")
        self.assertRegex(d.log_text(), r"exited: protocol \(exit status 3 before READY=1\)")

    def test_exit_0_before_ready_is_one_too(self):
        d, m = self.run_one("exit:0", "protocol", Type="notify")
        self.assertRegex(d.log_text(), r"exited: protocol \(exit status 0 before READY=1\)")

    def test_a_crash_before_ready_keeps_its_reason(self):
        d, m = self.run_one("segv", "segfault", Type="notify")
        self.assertRegex(d.log_text(), r"exited: segfault \(.*, before READY=1\)")

    def test_success_exit_status(self):
        self.run_one("exit:42", "success", SuccessExitStatus="42")

    def test_restart_prevent_retires(self):
        d = self.start({"c": pool(f"{TESTWORKER} sleep:100 exit:75", Workers=2,
                                  RestartPreventExitStatus="75")})
        d.wait_log(r"exited: exit-code \(exit status 75\); action: retire", count=2)
        d.wait_log(r"running -> stopping: every worker has ended: 2 retired, 0 not restarted")
        self.assertCleanExit(d)


class Stop(DaemonTest):
    def test_ignores_sigterm_killed_after_timeout(self):
        d = self.start({"t": pool(f"{TESTWORKER} ignore-term ready pause", Type="notify",
                                  TimeoutStopSec="300ms")})
        d.wait_log(r"is ready")
        t0 = time.monotonic()
        self.assertCleanExit(d)
        self.assertGreater(time.monotonic() - t0, 0.25)
        self.assertRegex(d.log_text(), EXITED.format(p="t", r="timeout"))

    def test_grandchild_is_ended_and_cgroup_removed(self):
        marker = "/tmp/wp-grandchild-%d" % os.getpid()
        d = self.start({"g": pool(f"{TESTWORKER} grandchild sleep:300 exit:1", Restart="no")})
        ws = d.wait_workers("g", 1)
        cg = list(ws)[0]
        path = os.path.join(d.pool_dir("g"), cg)
        wait_until(lambda: len(d.cgroup_pids(path)) >= 2, what="grandchild")
        gpids = d.cgroup_pids(path)
        d.wait_log(r"left processes behind, killing them")
        wait_until(lambda: not os.path.exists(path), what="cgroup removal")
        for p in gpids:
            wait_until(lambda: not pid_alive(p), what=f"pid {p} gone")
        self.assertCleanExit(d)


class Config(DaemonTest):
    def test_bad_pools_refused_others_run(self):
        d = self.start({
            "good": pool(f"{SLEEP} infinity", Workers=2),
            "unknown": pool(f"{SLEEP} infinity", Wrokers=2),
            "badval": pool(f"{SLEEP} infinity") + "[Resources]\nMemoryMax=lots\n",
            "noexec": "[Pool]\nWorkers=2\n",
        })
        d.wait_workers("good", 2)
        d.wait_log(r"unknown\.pool:3: .*Wrokers")
        d.wait_log(r"badval\.pool:4: .*MemoryMax")
        d.wait_log(r"noexec\.pool.*ExecStart")
        for p in ("unknown", "badval", "noexec"):
            self.assertEqual(d.worker_cgroups(p), [])
        self.assertCleanExit(d)

    def test_memory_recycle_without_the_controller_says_so(self):
        d = self.start({"r": pool(f"{SLEEP} infinity", MemoryRecycle="100M")})
        d.wait_workers("r", 1)
        missing = re.search(r"cgroup controllers not available in .*: (.*)\. Running", d.log_text())
        if missing and "memory" in missing.group(1).split(", "):
            d.wait_log(r"Pool r: MemoryRecycle= is not enforced: no memory controller\.")
        else:
            self.assertNotIn("MemoryRecycle= is not enforced", d.log_text())
        self.assertCleanExit(d)

    def test_reload(self):
        d = self.start({"keep": pool(f"{SLEEP} infinity", Workers=2),
                        "gone": pool(f"{SLEEP} infinity", Workers=1)})
        keep = d.wait_workers("keep", 2)
        d.wait_workers("gone", 1)
        d.write_pool("new", pool(f"{SLEEP} infinity", Workers=1))
        d.write_pool("keep", pool(f"{SLEEP} infinity", Workers=3))
        d.remove_pool("gone")
        d.signal(signal.SIGHUP)
        d.wait_workers("new", 1)
        now = d.wait_workers("keep", 3)
        for cg in keep:   # nobody restarted
            self.assertEqual(now[cg], keep[cg])
        wait_until(lambda: not os.path.exists(d.pool_dir("gone")), what="removed pool gone")
        # a broken config keeps the running pool as it was
        d.write_pool("keep", pool(f"{SLEEP} infinity", Workers="many"))
        mark = d.mark()
        d.signal(signal.SIGHUP)
        d.wait_log(r"keep\.pool:3: ", start=mark)
        d.wait_log(r"Pool keep: keeping the running configuration", start=mark)
        time.sleep(0.2)
        self.assertEqual(d.worker_pids("keep"), now)
        self.assertCleanExit(d)


class Notify(DaemonTest):
    def test_ready_status_and_spoof(self):
        d = self.start({"n": pool(f"{TESTWORKER} status:hello ready pause", Type="notify",
                                  Workers=1)})
        d.wait_log(r"Pool n: worker \d+ \(pid \d+\) is ready")
        d.wait_log(r"Pool n: starting -> running")
        # A process outside any worker cgroup claims to be ready/stopping: dropped.
        sock = os.path.join(d.rundir, "notify")
        s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        s.sendto(b"STOPPING=1\nX_WORKERPOOL_BUSY=1", sock)
        s.close()
        d.wait_log(r"Notify message from pid \d+ outside any live worker cgroup, dropped")
        self.assertNotRegex(d.log_text(), r"running -> ")
        self.assertCleanExit(d)

    def test_start_timeout(self):
        d = self.start({"n": pool(f"{TESTWORKER} pause", Type="notify", TimeoutStartSec="200ms",
                                  Restart="no")})
        d.wait_log(EXITED.format(p="n", r="timeout"))
        self.assertCleanExit(d)

    def test_watchdog(self):
        d = self.start({"n": pool(f"{TESTWORKER} ready sleep:100000", Type="notify",
                                  WatchdogSec="300ms", Restart="no")})
        d.wait_log(EXITED.format(p="n", r="watchdog"))
        self.assertCleanExit(d)


class Scale(DaemonTest):
    def test_200_workers(self):
        d = self.start({"big": pool(f"{SLEEP} infinity", Workers=200, RestartSec=0)})
        ws = d.wait_workers("big", 200, timeout=60)
        self.assertEqual(len(set(sum(ws.values(), []))), 200)
        victims = [p[0] for p in list(ws.values())[:10]]
        for v in victims:
            os.kill(v, signal.SIGKILL)
        m = d.wait_log(EXITED.format(p="big", r="killed"), count=10, timeout=30)
        self.assertEqual(sorted(int(x.group(2)) for x in m), sorted(victims))
        ws2 = d.wait_workers("big", 200, timeout=30)
        self.assertFalse(set(victims) & set(sum(ws2.values(), [])))
        self.assertCleanExit(d)

    def test_one_fd_per_worker(self):
        """A live worker costs the daemon one fd (its pidfd), not two: no fd
        on its cgroup is kept (every spawn copies and closes the fd table)."""
        d = self.start({"fd": pool(f"{SLEEP} infinity", Workers=1)})
        d.wait_workers("fd", 1)
        fds = lambda: len(os.listdir(f"/proc/{d.proc.pid}/fd"))

        def resize(n, new=0):
            d.write_pool("fd", pool(f"{SLEEP} infinity", Workers=n))
            mark = d.mark()
            d.signal(signal.SIGHUP)
            if new:
                d.wait_log(r"Pool fd: worker \d+ started", count=new, start=mark, timeout=30)
            d.wait_workers("fd", n, timeout=30)

        resize(2, new=1)   # warm up: sd-event and the reload path create some fds lazily
        resize(1)
        d.wait_log(EXITED.format(p="fd", r="stopped"))
        wait_until(lambda: len(d.worker_cgroups("fd")) == 1, what="the stopped worker's leaf gone")
        before = fds()
        n = 50
        resize(1 + n, new=n)
        after = fds()
        print(f"\n  daemon fds: {before} with 1 worker, {after} with {1 + n}", flush=True)
        self.assertLessEqual(after - before, int(1.2 * n), "fds per worker")
        self.assertGreaterEqual(after - before, n)   # (the pidfds: the count is right)
        self.assertCleanExit(d)


class CrashLoop(DaemonTest):
    def test_crash_loop_backs_off_cheaply(self):
        """4 workers that die at once, forever: the delay doubles up to the
        cap, and the daemon's own CPU use stays low (reported)."""
        d = self.start({"loop": pool(f"{TESTWORKER} exit:1", Workers=4, RestartSec="50ms",
                                     RestartMaxDelaySec="800ms", StartLimitIntervalSec=0)})
        d.wait_log(EXITED.format(p="loop", r="exit-code"), count=4)

        def cpu_ticks():
            with open(f"/proc/{d.proc.pid}/stat") as f:
                fields = f.read().rsplit(") ", 1)[1].split()
            return int(fields[11]) + int(fields[12])   # utime + stime

        t0, c0 = time.monotonic(), cpu_ticks()
        time.sleep(5)
        t1, c1 = time.monotonic(), cpu_ticks()
        exits = len(d.wait_log(EXITED.format(p="loop", r="exit-code")))
        share = (c1 - c0) / os.sysconf("SC_CLK_TCK") / (t1 - t0)
        print(f"\n  crash loop: {exits} exits, daemon CPU {share * 100:.1f}% of one core over {t1 - t0:.1f}s")
        self.assertIn("restart in 800ms", d.log_text())   # reached the cap
        self.assertNotIn("restart in 1.6s", d.log_text())
        self.assertLess(share, 0.10)
        self.assertCleanExit(d)


class Autoscale(DaemonTest):
    def test_ondemand_grows_when_all_busy_and_shrinks_when_idle(self):
        d = self.start({"od": pool(f"{TESTWORKER} ready busy:1 sleep:700 busy:0 pause", Type="notify",
                                   Scaling="ondemand", Workers=1, MinWorkers=1, MaxWorkers=4,
                                   IdleTimeoutSec="300ms")})
        ups = d.wait_log(r"Pool od: ondemand scaling from (\d+) to (\d+) workers: all \d+ workers busy",
                         count=3)
        self.assertEqual([(int(m.group(1)), int(m.group(2))) for m in ups], [(1, 2), (2, 3), (3, 4)])
        d.wait_workers("od", 4)
        # each goes idle after 700ms, and after 300ms idle it is stopped, down to MinWorkers=1
        d.wait_log(r"Pool od: ondemand scaling from \d+ to 1 workers: \d+ idle for 300ms", timeout=10)
        d.wait_workers("od", 1)
        self.assertNotRegex(d.log_text(), r"scaling from \d+ to 5")   # MaxWorkers= held
        self.assertCleanExit(d)
        self.assertRegex(d.log_text(), r"exited: stopped")

    def test_dynamic_keeps_idle_between_min_and_max(self):
        d = self.start({"dy": pool(f"{TESTWORKER} ready busy:1 pause", Type="notify", Scaling="dynamic",
                                   Workers=1, MaxWorkers=6, MinIdleWorkers=2, MaxIdleWorkers=3)})
        # every worker goes busy at once: the pool grows to keep 2 spare, up to MaxWorkers=6
        d.wait_log(r"Pool dy: dynamic scaling from \d+ to 6 workers: \d+ idle, MinIdleWorkers=2", timeout=10)
        d.wait_workers("dy", 6)
        time.sleep(0.3)
        self.assertEqual(len(d.worker_cgroups("dy")), 6)
        self.assertCleanExit(d)

    def test_dynamic_stops_excess_idle(self):
        d = self.start({"dz": pool(f"{TESTWORKER} ready pause", Type="notify", Scaling="dynamic",
                                   Workers=6, MinWorkers=1, MinIdleWorkers=1, MaxIdleWorkers=2)})
        d.wait_log(r"Pool dz: dynamic scaling from \d+ to 2 workers: \d+ idle, MaxIdleWorkers=2", timeout=10)
        d.wait_workers("dz", 2)
        self.assertCleanExit(d)


class Stale(DaemonTest):
    def test_workers_left_by_a_crashed_instance_are_ended(self):
        d = self.start({"s": pool(f"{SLEEP} infinity", Workers=3),
                        "old": pool(f"{SLEEP} infinity", Workers=2)})
        pids = sum(d.wait_workers("s", 3).values(), []) + sum(d.wait_workers("old", 2).values(), [])
        d.proc.kill()          # no cleanup at all: the workers live on
        d.proc.wait()
        for p in pids:
            self.assertTrue(pid_alive(p))
        d.remove_pool("old")
        d2 = self.start({}, successor_of=d)
        d2.wait_log(r"Pool s: ended 3 workers left by a previous instance")
        d2.wait_log(r"Removed the cgroup of pool old left by a previous instance \(2 workers ended\)")
        new = sum(d2.wait_workers("s", 3).values(), [])
        self.assertFalse(set(new) & set(pids))
        for p in pids:
            wait_until(lambda: not pid_alive(p), what=f"stale pid {p} gone")
        self.assertFalse(os.path.exists(d2.pool_dir("old")))
        self.assertCleanExit(d2)


class Leaks(DaemonTest):
    def test_1000_crash_restart_cycles(self):
        """1,000 crash/restart cycles: fds and cgroups come back to where they
        were (memory: the ASan build of this same test fails on any leak)."""
        d = self.start({"idle": pool(f"{SLEEP} infinity")})
        d.wait_workers("idle", 1)
        def fds():
            # by kind: a leak shows as many more of one kind; sd-event's own
            # inotify fd is made once, when a leaf first still has processes
            # as its worker's exit is handled (a matter of timing): not a leak
            kinds = {}
            for fd in os.listdir(f"/proc/{d.proc.pid}/fd"):
                try:
                    t = os.readlink(f"/proc/{d.proc.pid}/fd/{fd}")
                except FileNotFoundError:
                    continue
                t = re.sub(r"[:\[]\d+\]?$", "", t)
                kinds[t] = kinds.get(t, 0) + 1
            return kinds

        def crash_cycles(n):
            d.write_pool("crash", pool(f"{TESTWORKER} exit:1", Workers=4, RestartSec=0,
                                       StartLimitIntervalSec=0))
            mark = d.mark()
            d.signal(signal.SIGHUP)
            d.wait_log(EXITED.format(p="crash", r="exit-code"), count=n, timeout=240, start=mark)
            d.remove_pool("crash")
            mark = d.mark()
            d.signal(signal.SIGHUP)
            d.wait_log(r"Pool crash: stopped and removed", start=mark, timeout=30)
            # (the line comes just before the rmdir)
            wait_until(lambda: not os.path.exists(d.pool_dir("crash")), timeout=10,
                       what="the pool cgroup removed")

        crash_cycles(20)      # warm up: sd-event creates its timerfd/inotify fd lazily
        before = fds()
        crash_cycles(1000)
        after = fds()
        if after.get("anon_inode:inotify", 0) == 1:
            before.setdefault("anon_inode:inotify", 1)
        self.assertEqual(after, before, "fds by kind after 1000 cycles")
        self.assertEqual(os.listdir(d.pool_dir("idle")).count("supervisor"), 0)
        self.assertEqual(sorted(os.listdir(d.cgroot)),
                         sorted(e for e in os.listdir(d.cgroot) if not e.endswith(".pool")
                                or e == "idle.pool"))
        self.assertCleanExit(d)


if __name__ == "__main__":
    main()
