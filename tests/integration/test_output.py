#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Workers' output (issue #16): StandardOutput=/StandardError= as systemd's
(inherit, null, journal, file:, append:, truncate:), each carried line
attributed "POOL[WORKER]: " when our stderr is not the journal, the pipes
through a re-exec, and a flood of output that must not slow the bus or
another pool (bus latency measured during it). Under journald (the VM's
systemd boot, test_systemd.py) the lines are journal entries with the
worker's fields."""

import os
import re
import statistics
import subprocess
import tempfile
import time

from test_bus import MGR, NAME, BusTest, pool
from wptest import main, wait_until

SH = "/bin/sh"


def sh(script):
    """ExecStart= of a shell script (systemd's quoting: the script in '')."""
    return f"{SH} -c '{script}'"


class OutputTest(BusTest):
    def setUp(self):
        super().setUp()
        self.dir = tempfile.mkdtemp(prefix="wp-output-")
        self.addCleanup(subprocess.run, ["rm", "-rf", self.dir])


class Attribution(OutputTest):
    def test_lines_are_prefixed_and_routed(self):
        """inherit (the default here): every line of stdout and stderr as
        POOL[WORKER]: LINE on the daemon's stderr, a "<N>" prefix taken off,
        a last line without its newline too; null: nothing; file:, append:,
        truncate: the worker writes there itself."""
        out, app, trunc = (os.path.join(self.dir, n) for n in ("out", "app", "trunc"))
        with open(app, "w") as f:
            f.write("old line\n")
        with open(trunc, "w") as f:
            f.write("to be emptied\n")
        talk = sh('echo "out $WP_N"; echo "err $WP_N" >&2; echo "<3>warned"; printf "no newline"; '
                  'exec sleep infinity')
        d = self.start_bus_daemon({
            "talk": pool(talk, Workers=2, Environment="WP_N=x"),
            "quiet": pool(sh('echo "should not appear"; exec sleep infinity'), Workers=1,
                          StandardOutput="null"),
            "journal": pool(sh('echo "to the journal"; exec sleep infinity'), Workers=1, StandardOutput="journal"),
            "filed": pool(sh('echo "to the file"; echo "to the other" >&2; exec sleep infinity'), Workers=1,
                          StandardOutput=f"file:{out}", StandardError=f"append:{app}"),
            "trunc": pool(sh('echo "fresh"; exec sleep infinity'), Workers=1, StandardOutput=f"truncate:{trunc}"),
        })
        for name, n in (("talk", 2), ("quiet", 1), ("journal", 1), ("filed", 1), ("trunc", 1)):
            self.wait_active(name, n)
        ids = sorted(w[0] for w in self.list_workers("talk"))
        for wid in ids:
            for text in ("out x", "err x", "warned"):
                d.wait_log(rf"^talk\[{wid}\]: {re.escape(text)}$")
        # without journald, journal falls back to our stderr, attributed the same
        jid = self.list_workers("journal")[0][0]
        d.wait_log(rf"^journal\[{jid}\]: to the journal$")
        # the line without a newline comes when the pipe closes: stop the pool
        self.ctl("stop", "talk")
        for wid in ids:
            d.wait_log(rf"^talk\[{wid}\]: no newline$")
        self.assertNotIn("<3>", d.log_text())
        self.assertNotIn("should not appear", d.log_text())
        wait_until(lambda: os.path.exists(out) and open(out).read() == "to the file\n", what="file:")
        wait_until(lambda: open(app).read() == "old line\nto the other\n", what="append:")
        wait_until(lambda: open(trunc).read() == "fresh\n", what="truncate:")
        self.assertNotIn("to the file", d.log_text())
        self.assertCleanExit(d)

    def test_bad_values_and_files(self):
        """A bad StandardOutput= is file:line; a file that cannot be opened
        fails that pool, saying which; the others run."""
        d = self.start_bus_daemon({
            "bad": pool("/bin/true", StandardOutput="tty"),
            "rel": pool("/bin/true", StandardError="file:relative/path"),
            "nodir": pool(sh("exec sleep infinity"), StandardOutput=f"file:{self.dir}/missing/out"),
            "good": pool(sh('echo "fine"; exec sleep infinity'), Workers=1),
        })
        self.wait_active("good", 1)
        d.wait_log(r"bad\.pool:3: Invalid StandardOutput= value 'tty': expected inherit, null, journal, "
                   r"file:PATH, append:PATH or truncate:PATH")
        d.wait_log(r"rel\.pool:3: Invalid StandardError= value 'file:relative/path': expected an absolute path")
        wait_until(lambda: self.pget("nodir", "State") == "failed", what="nodir failed")
        self.assertRegex(self.pget("nodir", "StateReason"), r"StandardOutput=file:.*/missing/out: No such file")
        self.assertEqual(d.worker_pids("nodir"), {})
        self.assertCleanExit(d)

    def test_reexec_keeps_the_pipes(self):
        """The pipes go through a re-exec: the same worker keeps writing (no
        SIGPIPE), its lines still attributed."""
        d = self.start_bus_daemon({
            "tick": pool(sh('n=0; while :; do n=$((n+1)); echo "tick $n"; sleep 0.05; done'), Workers=1)})
        self.wait_active("tick", 1)
        w = self.list_workers("tick")[0]
        d.wait_log(rf"^tick\[{w[0]}\]: tick 3$")
        self.mgr("Reexecute")
        d.wait_log(r"Acquired the bus name org\.workerpoold1", count=2, timeout=20)
        mark = d.mark()
        d.wait_log(rf"^tick\[{w[0]}\]: tick \d+$", start=mark, count=5)
        self.assertEqual(self.list_workers("tick")[0][2], w[2], "the same worker, still writing")
        self.assertEqual(self.pget("tick", "Restarts"), 0)
        self.assertCleanExit(d)


class Flood(OutputTest):
    def bus_latency(self, n=40):
        times = []
        for _ in range(n):
            t = time.monotonic()
            self.busctl("get-property", NAME, *MGR, "NWorkers")
            times.append(time.monotonic() - t)
        times.sort()
        return statistics.median(times), times[int(len(times) * 0.95) - 1], times[-1]

    def test_a_flood_of_output_slows_nobody_else(self):
        """Two workers write as fast as they can through the daemon (yes(1)
        into the carried pipe): the bus answers, another pool's crashed
        worker is restarted, and the daemon's memory stays where it was."""
        d = self.start({"calm": pool(sh("exec sleep infinity"), Workers=2, RestartSec="0")},
                       extra_args=["--bus", self.bus.address], stderr_file="/dev/null")
        # no log to wait on: the bus says when it is there
        wait_until(lambda: self.busctl("get-property", NAME, *MGR, "NPools", check=False).returncode == 0,
                   timeout=20, interval=0.1, what="the daemon on the bus")
        self.wait_active("calm", 2)
        base = self.bus_latency()
        rss0 = self.rss(d.proc.pid)

        d.write_pool("flood", pool("/usr/bin/yes 0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdef", Workers=2))
        self.mgr("Reload")
        self.wait_active("flood", 2)
        time.sleep(1)
        cpu0 = self.cpu(d.proc.pid)
        t0 = time.monotonic()
        flood = self.bus_latency()
        # a crash elsewhere is handled as fast as ever
        victim = self.list_workers("calm")[0]
        os.kill(victim[2], 9)
        t = time.monotonic()
        wait_until(lambda: len([w for w in self.list_workers("calm") if w[3] == "idle"]) == 2 and
                   victim[0] not in [w[0] for w in self.list_workers("calm")], timeout=10, interval=0.01,
                   what="the calm pool to replace its killed worker")
        restart = time.monotonic() - t
        busy = (self.cpu(d.proc.pid) - cpu0) / max(time.monotonic() - t0, 1e-3)
        rss1 = self.rss(d.proc.pid)
        carried = self.read_bytes(self.list_workers("flood"))
        print(f"\n  bus get-property, median/p95/max: idle {base[0] * 1e3:.1f}/{base[1] * 1e3:.1f}/"
              f"{base[2] * 1e3:.1f} ms, during the flood {flood[0] * 1e3:.1f}/{flood[1] * 1e3:.1f}/"
              f"{flood[2] * 1e3:.1f} ms; a killed worker of another pool replaced in {restart * 1e3:.0f} ms; "
              f"daemon CPU {busy * 100:.0f}%, RSS {rss0 >> 10} -> {rss1 >> 10} KiB; "
              f"{carried / 1e6:.0f} MB written by the flood so far", flush=True)
        self.assertGreater(carried, 10e6, "the flood flowed")
        # bounds that only a stalled loop breaks (a busy 2-CPU machine is slow)
        self.assertLess(flood[2], 2.0)
        self.assertLess(restart, 5.0)
        self.assertLess(rss1, rss0 + (16 << 20))
        self.assertCleanExit(d)

    @staticmethod
    def rss(pid):
        with open(f"/proc/{pid}/status") as f:
            return int(re.search(r"^VmRSS:\s+(\d+)", f.read(), re.M).group(1)) << 10

    @staticmethod
    def cpu(pid):
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(") ", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    @staticmethod
    def read_bytes(workers):
        total = 0
        for w in workers:
            try:
                with open(f"/proc/{w[2]}/io") as f:
                    total += int(re.search(r"^wchar:\s+(\d+)", f.read(), re.M).group(1))
            except OSError:
                pass
        return total


if __name__ == "__main__":
    main()
