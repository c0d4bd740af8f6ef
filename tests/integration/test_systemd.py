# SPDX-License-Identifier: MIT
"""workerpoold as a systemd service, in ONE boot of the VM rig with systemd
as PID 1 (tests/vm/vm-run --systemd; started by test-systemd-vm, which stages
a --prefix=/usr install in $WP_STAGE). Standard library only.

Prints one PASS/FAIL line per check, INFO lines for measurements, and ends
with "systemd: N passed, N failed, 0 skipped"; exits 1 if any check failed.
"""

import glob
import json
import os
import re
import shutil
import subprocess
import sys
import time

STAGE = os.environ.get("WP_STAGE", "")
TESTWORKER = os.environ.get("TESTWORKER", "")
UNIT = "workerpoold.service"
CG = "/sys/fs/cgroup/system.slice/workerpoold.service"
POOL = "renderers"                 # the installed example with limits
POOLS_D = "/etc/workerpoold/pools.d"
DROPIN_D = "/run/systemd/system/workerpoold.service.d"
WATCHDOG_SEC = 5
UNPRIV = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]

results = []


def check(name, ok, detail=""):
    results.append(bool(ok))
    print(f"{'PASS' if ok else 'FAIL'}: {name}" + (f" ({detail})" if detail else ""), flush=True)
    return bool(ok)


def info(msg):
    print(f"INFO: {msg}", flush=True)


def run(*args, check_rc=False, timeout=60):
    p = subprocess.run(list(args), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       timeout=timeout)
    if check_rc and p.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({p.returncode}): {p.stdout}")
    return p


def sh(cmd, **kw):
    return run("sh", "-c", cmd, **kw)


def wait_until(pred, timeout=30.0, interval=0.2):
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            return v
        time.sleep(interval)


def show(prop):
    return run("systemctl", "show", "-p", prop, "--value", UNIT).stdout.strip()


def main_pid():
    try:
        return int(show("MainPID"))
    except ValueError:
        return 0


def read(path):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return None


def pid_alive(pid):
    s = read(f"/proc/{pid}/stat")
    return bool(s) and s.rsplit(") ", 1)[1][0] != "Z"


def workers(pool=POOL):
    """{leaf name: [pids]} under the unit's cgroup."""
    out = {}
    for d in sorted(glob.glob(f"{CG}/{pool}.pool/{pool}-*.worker")):
        procs = read(f"{d}/cgroup.procs")
        out[os.path.basename(d)] = [int(x) for x in procs.split()] if procs else []
    return out


def all_worker_pids(ws):
    return sorted(p for ps in ws.values() for p in ps)


def wait_workers(n, pool=POOL, timeout=60):
    return wait_until(lambda: (lambda ws: ws if len(ws) == n and all(ws.values()) else None)(workers(pool)),
                      timeout)


def journal(*match, since=None):
    run("journalctl", "--sync")
    args = ["journalctl", "--no-pager", "-o", "json", "-u", "workerpoold"]
    if since:
        args += ["--since", since]
    p = run(*args, *match, timeout=120)
    out = []
    for line in p.stdout.splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            pass
    return out


def journal_text(since=None):
    run("journalctl", "--sync")
    args = ["journalctl", "--no-pager", "-o", "cat", "-u", "workerpoold"]
    if since:
        args += ["--since", since]
    return run(*args, timeout=120).stdout


def now_stamp():
    return time.strftime("%Y-%m-%d %H:%M:%S")


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


# ---------------------------------------------------------------------------

def step_install():
    expect = ["usr/sbin/workerpoold", "usr/bin/workerpoolctl",
              "usr/share/dbus-1/system.d/org.workerpoold1.conf",
              "usr/share/man/man8/workerpoold.8", "usr/share/man/man5/workerpoold.pool.5",
              "usr/share/man/man1/workerpoolctl.1", "usr/share/man/man5/org.workerpoold1.5",
              "usr/share/man/man8/workerpoold-exporter.8", "usr/bin/workerpoold-exporter",
              "usr/lib/sysusers.d/workerpoold-exporter.conf", "usr/lib/systemd/catalog/workerpoold.catalog",
              "usr/share/doc/workerpoold/examples/renderers.pool.example",
              "etc/workerpoold/workerpoold.conf", "etc/workerpoold/pools.d",
              "usr/lib/workerpoold/pools.d"]
    missing = [e for e in expect if not os.path.exists(os.path.join(STAGE, e))]
    units = [u for u in ("lib/systemd/system/workerpoold.service", "usr/lib/systemd/system/workerpoold.service")
             if os.path.exists(os.path.join(STAGE, u))]
    if not units:
        missing.append("(usr/)lib/systemd/system/workerpoold.service")
    check("install tree (prefix /usr, DESTDIR) has the packaged layout", not missing,
          "missing: " + ", ".join(missing) if missing else "unit in /" + (units[0] if units else "?"))
    extra = sorted(os.path.relpath(os.path.join(d, f), STAGE)
                   for d, _, fs in os.walk(STAGE) for f in fs)
    info("installed files: " + " ".join(extra))

    # Copy over the overlay root; keep /lib -> usr/lib (merged /usr) as it is.
    sh(f"tar -C '{STAGE}' -cf - . | tar -C / -xf - --keep-directory-symlink", check_rc=True)
    shutil.copy(f"/usr/share/doc/workerpoold/examples/{POOL}.pool.example", f"{POOLS_D}/{POOL}.pool")
    # The test's unit drop-in: a short watchdog, a short abort timeout.
    write(f"{DROPIN_D}/50-test.conf",
          f"[Service]\nWatchdogSec={WATCHDOG_SEC}s\nTimeoutAbortSec=5s\nRestartSec=1s\n")
    run("systemctl", "reload", "dbus", timeout=60)     # pick up the bus policy
    run("systemd-sysusers", timeout=60)                # the exporter's user, as a package's install does
    run("systemctl", "daemon-reload", check_rc=True, timeout=120)

    p = run("journalctl", "--update-catalog", timeout=120)
    cat = run("journalctl", "--list-catalog", timeout=60).stdout
    ids = ("a1e3c07b2f6d4c0e9b1d5f7a3c2e8b01", "a1e3c07b2f6d4c0e9b1d5f7a3c2e8b03", "5dd76d849d3645f886668c1f5539cedc")
    check("journalctl --update-catalog takes workerpoold.catalog (journalctl --list-catalog)",
          p.returncode == 0 and all(i in cat for i in ids),
          p.stdout.strip()[:300] or " | ".join(l for l in cat.splitlines() if "workerpoold" in l.lower())[:300])
    for u in (UNIT, "workerpoold-exporter.socket", "workerpoold-exporter.service"):
        p = run("systemd-analyze", "verify", u, timeout=120)
        lines = [l for l in p.stdout.splitlines() if "workerpoold" in l]
        check(f"systemd-analyze verify {u}", p.returncode == 0 and not lines,
              f"rc {p.returncode}: {' | '.join(lines)[:400]}" if p.returncode or lines else "")


def step_start():
    t0 = time.monotonic()
    p = run("systemctl", "start", UNIT, timeout=180)
    dt = time.monotonic() - t0
    if not check("systemctl start workerpoold (Type=notify: READY=1)", p.returncode == 0,
                 f"{dt:.1f}s" if p.returncode == 0 else p.stdout.strip() + "\n" +
                 run("journalctl", "--no-pager", "-u", "workerpoold", "-n", "40").stdout):
        return False
    ws = wait_workers(2)
    check(f"pool {POOL}: 2 workers running", ws, str(ws))
    return True


def step_layout():
    cgpath = show("ControlGroup")
    check("unit cgroup is system.slice/workerpoold.service", cgpath == "/system.slice/workerpoold.service",
          cgpath)
    pid = main_pid()
    dcg = (read(f"/proc/{pid}/cgroup") or "").strip()
    check("daemon runs in .../workerpoold.service/supervisor",
          dcg == "0::/system.slice/workerpoold.service/supervisor", f"pid {pid}: {dcg}")
    ws = workers()
    ok = len(ws) == 2 and all(re.fullmatch(rf"{POOL}-\d+\.worker", w) for w in ws)
    bad = []
    for w in ws:
        for pid in ws[w]:
            c = read(f"/proc/{pid}/cgroup")
            if c != f"0::/system.slice/workerpoold.service/{POOL}.pool/{w}":
                bad.append(f"{pid}: {c}")
    check(f"workers run in .../{POOL}.pool/{POOL}-N.worker", ok and not bad and ws, f"{sorted(ws)} {bad}")
    lim = {}
    for w in ws:
        d = f"{CG}/{POOL}.pool/{w}"
        lim[w] = (read(f"{d}/memory.max"), read(f"{d}/memory.high"), read(f"{d}/cpu.max"),
                  read(f"{d}/pids.max"))
    check("each worker leaf has the pool's limits (MemoryMax=64M MemoryHigh=48M CPUQuota=20% TasksMax=16)",
          lim and all(v == (str(64 << 20), str(48 << 20), "20000 100000", "16") for v in lim.values()),
          str(lim))
    sc = read(f"{CG}/cgroup.subtree_control")
    check("controllers delegated and enabled below the unit's cgroup",
          sc and all(c in sc.split() for c in ("cpu", "memory", "pids")), sc)

    st = run("systemctl", "status", "--no-pager", UNIT).stdout
    m = re.search(r'Status: "([^"]*)"', st)
    check("systemctl status shows the daemon's STATUS line",
          m and re.search(r"\d+ pools \(\d+ failed\), \d+ workers", m.group(1)), m.group(0) if m else st[:300])

    adj = read(f"/proc/{main_pid()}/oom_score_adj")
    check("daemon has OOMScoreAdjust=-500", adj == "-500", adj)
    wadj = {p: read(f"/proc/{p}/oom_score_adj") for p in all_worker_pids(ws)}
    info(f"workers' oom_score_adj (inherited unless the daemon resets it): {wadj}")
    info("process tree: " + " | ".join(run("systemd-cgls", "--no-pager", "-u", UNIT).stdout.splitlines()[:12]))


def step_bus():
    p = run("busctl", "--system", "tree", "--list", "org.workerpoold1")
    check("busctl --system tree org.workerpoold1", p.returncode == 0 and "/org/workerpoold1" in p.stdout,
          " ".join(p.stdout.split())[:300])
    p = run("workerpoolctl", "status")
    check("workerpoolctl status (root)", p.returncode == 0 and POOL in p.stdout, p.stdout.strip()[:600])

    p = run(*UNPRIV, "busctl", "--system", "get-property", "org.workerpoold1", "/org/workerpoold1",
            "org.workerpoold1.Manager", "NPools")
    check("nobody: busctl get-property Manager NPools", p.returncode == 0 and p.stdout.startswith("u "),
          p.stdout.strip())
    p = run(*UNPRIV, "workerpoolctl", "list-pools")
    check("nobody: workerpoolctl list-pools", p.returncode == 0 and POOL in p.stdout, p.stdout.strip()[:300])

    before = sorted(workers())
    p = run(*UNPRIV, "workerpoolctl", "scale", POOL, "3")
    p2 = run(*UNPRIV, "dbus-send", "--system", "--print-reply", "--dest=org.workerpoold1",
             f"/org/workerpoold1/pool/{POOL}", "org.workerpoold1.Pool.Scale", "uint32:3")
    time.sleep(1)
    after = sorted(workers())
    check("nobody: workerpoolctl scale is refused (AccessDenied), nothing changes",
          p.returncode != 0 and p2.returncode != 0 and "AccessDenied" in p2.stdout and before == after,
          f"workerpoolctl rc {p.returncode}: {p.stdout.strip()[:200]}; dbus-send: {p2.stdout.strip()[:160]}")


def step_exporter():
    """workerpoold-exporter.socket: the first scrape starts the service, as
    its own system user with no capability, and it serves the bus's numbers."""
    import urllib.error
    import urllib.request
    p = run("systemctl", "start", "workerpoold-exporter.socket", timeout=60)
    if not check("systemctl start workerpoold-exporter.socket", p.returncode == 0, p.stdout.strip()[:300]):
        return
    body = ""
    try:
        with urllib.request.urlopen("http://127.0.0.1:9867/metrics", timeout=30) as r:
            ctype, body = r.headers.get("Content-Type"), r.read().decode()
    except urllib.error.HTTPError as e:
        ctype = f"error {e}: {e.read().decode(errors='replace')[:300]}"
    except OSError as e:
        ctype = f"error {e}"
    if not ctype.startswith("text/plain"):
        ctype += " | " + " | ".join(run("journalctl", "--no-pager", "-o", "cat", "-u",
                                        "workerpoold-exporter.service", "-n", "10").stdout.splitlines())
    # the pool's 2 workers, idle or busy (the example's workers take jobs)
    wanted = re.search(rf'^workerpool_workers_wanted{{pool="{POOL}"}} (\S+)$', body, re.M)
    live = sum(float(m.group(1)) for m in re.finditer(
        rf'^workerpool_workers{{pool="{POOL}",state="(?:idle|busy|waiting)"}} (\S+)$', body, re.M))
    check("GET :9867/metrics (socket activation) answers in Prometheus' format with the pool's workers",
          ctype == "text/plain; version=0.0.4; charset=utf-8" and wanted and float(wanted.group(1)) == 2
          and live == 2, f"{ctype}; wanted {wanted.group(1) if wanted else '?'}, ready {live}")
    pid = int(run("systemctl", "show", "-P", "MainPID", "workerpoold-exporter.service").stdout.strip() or 0)
    st = read(f"/proc/{pid}/status") or ""
    uid = re.search(r"^Uid:\s+(\d+)", st, re.M)
    capeff = re.search(r"^CapEff:\s+(\S+)", st, re.M)
    want = run("id", "-u", "workerpoold-exporter").stdout.strip()
    check("the exporter runs as workerpoold-exporter (sysusers.d) with no capability",
          pid and uid and uid.group(1) == want and want != "0" and capeff and int(capeff.group(1), 16) == 0,
          f"pid {pid}, uid {uid.group(1) if uid else '?'}, CapEff {capeff.group(1) if capeff else '?'}")
    run("systemctl", "stop", "workerpoold-exporter.socket", "workerpoold-exporter.service", timeout=60)


def step_oom():
    """A worker killed by the OOM killer must not stop the service (OOMPolicy=continue)."""
    pid0 = main_pid()
    write(f"{POOLS_D}/hog.pool",
          f"[Pool]\nExecStart={TESTWORKER} sleep:1 alloc:64 pause\nWorkers=1\nRestart=no\n"
          "[Resources]\nMemoryMax=16M\nMemorySwapMax=0\n")
    since = now_stamp()
    p = run("systemctl", "reload", UNIT, timeout=120)
    check("systemctl reload adds a new pool", p.returncode == 0, p.stdout.strip()[:300])
    got = wait_until(lambda: [e for e in journal("WORKERPOOL_POOL=hog", since=since)
                              if e.get("WORKERPOOL_REASON") == "oom-kill"], 60)
    time.sleep(2)
    active = run("systemctl", "is-active", UNIT).stdout.strip()
    check("a worker's OOM kill: reason oom-kill, and the service keeps running (OOMPolicy=continue)",
          got and active == "active" and main_pid() == pid0,
          f"oom-kill entries {len(got or [])}, {active}, MainPID {pid0} -> {main_pid()}")
    os.unlink(f"{POOLS_D}/hog.pool")
    run("systemctl", "reload", UNIT, timeout=120)


def step_watchdog():
    old_pid = main_pid()
    old_ws = workers()
    old_pids = all_worker_pids(old_ws)
    n0 = int(show("NRestarts") or 0)
    since = now_stamp()
    t0 = time.monotonic()
    os.kill(old_pid, 19)   # SIGSTOP: the loop stops petting the watchdog

    def restarted():
        pid = main_pid()
        return (int(show("NRestarts") or 0) > n0 and pid not in (0, old_pid) and
                run("systemctl", "is-active", UNIT).stdout.strip() == "active")
    ok = wait_until(restarted, WATCHDOG_SEC + 5 + 60, 0.5)
    dt = time.monotonic() - t0
    txt = journal_text(since)
    check("SIGSTOPped daemon: watchdog timeout, systemd restarts it (NRestarts, new MainPID)",
          ok and "Watchdog timeout" in txt,
          f"{dt:.1f}s after SIGSTOP (WatchdogSec={WATCHDOG_SEC}s, TimeoutAbortSec=5s), "
          f"MainPID {old_pid} -> {main_pid()}, NRestarts {n0} -> {show('NRestarts')}")
    leftover = [p for p in old_pids + [old_pid] if pid_alive(p)]
    check("the old daemon and its workers are gone (the restart ended the pools with the unit)",
          not leftover, f"old workers {old_pids}, alive: {leftover}")
    new_ws = wait_workers(2)
    check("the new instance runs new workers (a new tree: worker ids start again at 1)",
          new_ws and not set(all_worker_pids(new_ws)) & set(old_pids),
          f"{old_ws} -> {new_ws}")
    # STATUS= should follow the workers, not only say what it was at READY=1.
    wait_until(lambda: len(journal("MESSAGE_ID=a1e3c07b2f6d4c0e9b1d5f7a3c2e8b02", since=since)) >= 2, 30, 1)
    time.sleep(2)
    st = show("StatusText")
    check("STATUS= is updated when the workers become ready (\"2 ready\")",
          re.search(r"\b2 workers, 2 ready", st), st)


def step_reload():
    ws = wait_workers(2)
    pids = all_worker_pids(ws)
    pid0 = main_pid()
    since = now_stamp()
    write(f"{POOLS_D}/{POOL}.pool.d/broken.conf", "[Resources]\n# a bad value\nMemoryMax=lots\n")
    p = run("systemctl", "reload", UNIT, timeout=120)
    info(f"systemctl reload with a broken drop-in: rc {p.returncode} "
         "(ExecReload= reports the refused pool as a failed reload)")
    time.sleep(1)
    txt = journal_text(since)
    errline = next((l for l in txt.splitlines() if "broken.conf:3" in l), None)
    check("broken drop-in: the error is in journalctl -u workerpoold with file:line", errline, errline or
          txt[-600:])
    check("broken drop-in: the pool keeps running as it was (same pids, same limits), daemon still up",
          all_worker_pids(workers()) == pids and main_pid() == pid0 and
          run("systemctl", "is-active", UNIT).stdout.strip() == "active" and
          all(read(f"{CG}/{POOL}.pool/{w}/memory.max") == str(64 << 20) for w in ws),
          f"{pids} -> {all_worker_pids(workers())}")

    os.unlink(f"{POOLS_D}/{POOL}.pool.d/broken.conf")
    write(f"{POOLS_D}/{POOL}.pool.d/50-memory.conf", "[Resources]\nMemoryMax=96M\n")
    p = run("systemctl", "reload", UNIT, timeout=120)
    check("systemctl reload with MemoryMax=96M succeeds", p.returncode == 0, p.stdout.strip()[:300])
    mm = {w: read(f"{CG}/{POOL}.pool/{w}/memory.max") for w in ws}
    check("changed MemoryMax= is written to the live leaves without restarting anyone",
          all(v == str(96 << 20) for v in mm.values()) and all_worker_pids(workers()) == pids,
          f"{mm}, pids {pids} -> {all_worker_pids(workers())}")


def step_journal():
    # A worker event for sure: kill one worker; the pool restarts it.
    ws = workers()
    victim = all_worker_pids(ws)[0]
    os.kill(victim, 9)
    wait_until(lambda: victim not in all_worker_pids(workers()) and wait_workers(2, timeout=0), 30, 0.5)
    wait_until(lambda: [e for e in journal(f"WORKERPOOL_POOL={POOL}")
                        if e.get("WORKERPOOL_PID") == str(victim)], 20, 1)
    es = journal(f"WORKERPOOL_POOL={POOL}")
    ids = sorted({e.get("MESSAGE_ID") for e in es if e.get("MESSAGE_ID")})
    exited = [e for e in es if e.get("MESSAGE_ID") == "a1e3c07b2f6d4c0e9b1d5f7a3c2e8b03" and
              e.get("WORKERPOOL_PID") == str(victim)]
    check(f"journalctl -u workerpoold WORKERPOOL_POOL={POOL}: the pool's worker exit, with MESSAGE_ID "
          "and WORKERPOOL_* fields",
          exited and all(e.get("WORKERPOOL_POOL") == POOL and e.get("_SYSTEMD_UNIT") == UNIT for e in es),
          f"{len(es)} entries, MESSAGE_IDs {ids}" + (
              "; exit: " + " ".join(f"{k}={exited[-1].get(k)}" for k in
                                    ("WORKERPOOL_WORKER", "WORKERPOOL_REASON", "WORKERPOOL_EVIDENCE",
                                     "WORKERPOOL_ACTION")) if exited else ""))
    # Worker started (...b01) and ready (...b02) entries should carry the
    # pool's fields too, so that the filter shows a worker's whole story.
    allstart = journal("MESSAGE_ID=a1e3c07b2f6d4c0e9b1d5f7a3c2e8b01")
    mine = [e for e in allstart if e.get("WORKERPOOL_POOL") == POOL]
    bare = [e for e in allstart if not e.get("WORKERPOOL_POOL")]
    started = [e for e in es if e.get("MESSAGE_ID") == "a1e3c07b2f6d4c0e9b1d5f7a3c2e8b01"]
    check(f"WORKERPOOL_POOL={POOL} also shows the worker started events",
          allstart and not bare and mine and len(started) == len(mine),
          f"{len(bare)} of {len(allstart)} started entries lack WORKERPOOL_POOL=, "
          f"{len(started)} found by the filter of {len(mine)} for {POOL}" +
          (f"; e.g. fields {sorted(k for k in allstart[-1] if not k.startswith('_'))}" if allstart else ""))


def step_output():
    """Under journald a worker's own lines are journal entries of the unit
    with the pool's and the worker's fields (StandardOutput= default).
    ($$$$ in ExecStart= is the shell's $$, its pid.)"""
    write(f"{POOLS_D}/talk.pool", "[Pool]\nExecStart=/bin/sh -c 'echo \"hello from $$$$\"; echo oops >&2; "
          "exec sleep infinity'\nWorkers=2\n")
    run("systemctl", "reload", UNIT, timeout=120)
    got = wait_until(lambda: (lambda es: es if len(es) >= 4 else None)(
        [e for e in journal("WORKERPOOL_POOL=talk", "WORKERPOOL_OUTPUT=1")]), 60, 1)
    es = got or []
    hello = [e for e in es if str(e.get("MESSAGE", "")).startswith("hello from ")]
    ok = (len(hello) == 2 and all(e.get("SYSLOG_IDENTIFIER") == "talk" and e.get("_SYSTEMD_UNIT") == UNIT and
                                 e.get("WORKERPOOL_WORKER") and
                                 e["MESSAGE"] == f"hello from {e.get('SYSLOG_PID')}" for e in hello) and
          len({e.get("WORKERPOOL_WORKER") for e in hello}) == 2 and
          sum(1 for e in es if e.get("MESSAGE") == "oops") == 2)
    check("journalctl WORKERPOOL_POOL=talk shows each worker's own stdout and stderr lines, with its id",
          ok, "; ".join(" ".join(f"{k}={e.get(k)}" for k in ("MESSAGE", "SYSLOG_IDENTIFIER", "SYSLOG_PID",
                                                            "WORKERPOOL_WORKER")) for e in es[:4]))
    os.unlink(f"{POOLS_D}/talk.pool")
    run("systemctl", "reload", UNIT, timeout=120)


def step_stop():
    ws = workers()
    pids = all_worker_pids(ws) + [main_pid()]
    since = now_stamp()
    t0 = time.monotonic()
    p = run("systemctl", "stop", UNIT, timeout=200)
    dt = time.monotonic() - t0
    check("systemctl stop workerpoold", p.returncode == 0 and
          run("systemctl", "is-active", UNIT).stdout.strip() == "inactive", f"{dt:.1f}s")
    alive = [x for x in pids if pid_alive(x)]
    check("after stop: no worker left", not alive, f"alive: {alive}")
    left = os.path.exists(CG) and [d for d, _, _ in os.walk(CG)]
    check("after stop: no pool or worker cgroup left", not left, str(left))
    reasons = [e.get("WORKERPOOL_REASON") for e in journal(f"WORKERPOOL_POOL={POOL}", since=since)
               if e.get("WORKERPOOL_REASON")]
    check("KillMode=mixed: the daemon stopped its workers itself (reason stopped)",
          reasons and all(r == "stopped" for r in reasons), str(reasons))


def step_reexec():
    """workerpoolctl reexec with 200 workers: none lost, none restarted, same
    daemon pid, and systemd keeps the unit active."""
    write(f"{POOLS_D}/many.pool", "[Pool]\nExecStart=/bin/sleep infinity\nWorkers=200\n")
    run("systemctl", "reload", UNIT, timeout=120)
    ws = wait_workers(200, pool="many", timeout=300)
    if not check("200 workers in pool many before the re-exec", bool(ws), str(len(workers("many")))):
        return
    before = all_worker_pids(ws)
    pid0, n0 = main_pid(), show("NRestarts")
    since = now_stamp()
    # --since has a second's precision: the last "started" entries of the 200
    # may fall in the same second; only what comes after this counts
    t0_usec = time.time_ns() // 1000
    p = run("/usr/bin/workerpoolctl", "reexec", timeout=60)
    took = wait_until(lambda: [l for l in journal_text(since).splitlines() if "Re-executed: took over" in l], 60)
    time.sleep(2)
    after = all_worker_pids(workers("many"))
    started = [e for e in journal("WORKERPOOL_POOL=many", "MESSAGE_ID=a1e3c07b2f6d4c0e9b1d5f7a3c2e8b01",
                                  since=since)
               if int(e.get("__REALTIME_TIMESTAMP", "0")) > t0_usec]
    active = run("systemctl", "is-active", UNIT).stdout.strip()
    check("workerpoolctl reexec: same daemon pid, same 200 workers, none restarted, unit active",
          p.returncode == 0 and took and main_pid() == pid0 and sorted(after) == sorted(before)
          and not started and show("NRestarts") == n0 and active == "active",
          f"rc {p.returncode} {p.stdout.strip()[:200]}; {took[:1] if took else 'no took-over line'}; "
          f"MainPID {pid0}->{main_pid()}; workers {len(before)}->{len(after)}; started {len(started)}; {active}")
    p = run("/usr/bin/workerpoolctl", "status", timeout=60)
    check("the bus answers after the re-exec (workerpoolctl status)", p.returncode == 0, p.stdout.strip()[:200])
    os.unlink(f"{POOLS_D}/many.pool")
    run("systemctl", "reload", UNIT, timeout=120)
    wait_until(lambda: not workers("many"), 120)


def main():
    if not STAGE or not os.path.isdir(STAGE):
        print("FAIL: $WP_STAGE (the staged --prefix=/usr install) is missing")
        print("systemd: 0 passed, 1 failed, 0 skipped")
        return 1
    if os.environ.get("VM_MODE") != "systemd":
        print("FAIL: not in the VM rig's systemd mode (run through test-systemd-vm)")
        print("systemd: 0 passed, 1 failed, 0 skipped")
        return 1
    t0 = time.monotonic()
    steps = [step_install, step_start, step_layout, step_bus, step_exporter, step_oom, step_watchdog, step_reload,
             step_journal, step_output, step_reexec, step_stop]
    for s in steps:
        try:
            r = s()
        except Exception as e:       # one broken step must not hide the others' report
            check(f"{s.__name__} ran to the end", False, f"{type(e).__name__}: {e}")
            r = None
        if s is step_start and r is False:
            break
    if not all(results):
        print("---- journalctl -u workerpoold (tail) ----")
        print(run("journalctl", "--no-pager", "-u", "workerpoold", "-n", "80").stdout)
    info(f"checks took {time.monotonic() - t0:.1f}s in the VM")
    passed = sum(results)
    failed = len(results) - passed
    print(f"systemd: {passed} passed, {failed} failed, 0 skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
