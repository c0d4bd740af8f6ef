#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""[Sandbox]: system call filters, users and capabilities, NoNewPrivileges=,
rlimits and umask, checked from inside real workers. Runs on the host (root)
and in the VM:
    tests/vm/vm-run -- python3 tests/integration/test_sandbox.py"""

import os
import shutil
import stat
import subprocess
import tempfile
import time

from wptest import DaemonTest, TESTWORKER, WORKERPOOLD, cgroup2_mount, main, reachable_copy, wait_until

EXITED = r"Pool {}: worker \d+ \(pid \d+\) exited: (\S+) \((.*)\); action"
ALL_CAPS = None  # filled from /proc/self/status of the test (root)


def status_fields(path):
    out = {}
    with open(path) as f:
        for line in f:
            k, _, v = line.partition(":")
            out[k] = v.strip()
    return out


def our_cap_bnd():
    return status_fields("/proc/self/status")["CapBnd"]


class Sandbox(DaemonTest):
    def setUp(self):
        super().setUp()
        self.dir = tempfile.mkdtemp(prefix="wp-sandbox-")
        os.chmod(self.dir, 0o777)   # workers running as nobody write here
        # and run this copy of the test worker (the build tree may be where
        # nobody cannot go)
        self.nobody_worker = reachable_copy(TESTWORKER)

    def tearDown(self):
        super().tearDown()
        shutil.rmtree(self.dir, ignore_errors=True)

    def out(self, name):
        return os.path.join(self.dir, name)

    def pool(self, execstart, sandbox, extra=""):
        return ("[Pool]\nRestart=no\nExecStart=%s\n%s[Sandbox]\n%s\n" %
                (execstart, extra, sandbox))

    def exit_of(self, d, pool, timeout=30):
        m = d.wait_log(EXITED.format(pool), timeout=timeout)[0]
        return m.group(1), m.group(2)

    def probe_loaded(self, d):
        return "Fault probe loaded" in d.log_text()

    # -- SystemCallFilter= ---------------------------------------------------

    def test_reboot_killed_by_system_service_filter(self):
        d = self.start({"sc": self.pool(f"{TESTWORKER} reboot exit:0",
                                        "SystemCallFilter=@system-service")})
        reason, evidence = self.exit_of(d, "sc")
        self.assertEqual(reason, "seccomp", evidence)
        self.assertIn("SIGSYS from the system call filter", evidence)
        if self.probe_loaded(d):
            self.assertIn("syscall reboot (", evidence)
        self.assertCleanExit(d)

    def test_reboot_denied_by_deny_list(self):
        d = self.start({"sc": self.pool(f"{TESTWORKER} reboot exit:0",
                                        "SystemCallFilter=~@reboot @mount")})
        reason, evidence = self.exit_of(d, "sc")
        self.assertEqual(reason, "seccomp", evidence)
        self.assertCleanExit(d)

    def test_reboot_gets_eperm_and_goes_on(self):
        res = self.out("reboot")
        d = self.start({"sc": self.pool(f"{TESTWORKER} reboot:{res} exit:0",
                                        "SystemCallFilter=@system-service\n"
                                        "SystemCallErrorNumber=EPERM")})
        reason, evidence = self.exit_of(d, "sc")
        self.assertEqual(reason, "success", evidence)
        with open(res) as f:
            self.assertEqual(f.read().strip(), "errno 1")   # EPERM, not EINVAL (22)
        self.assertCleanExit(d)

    def test_reboot_gets_its_own_errno(self):
        # ~name:ERRNO: reboot fails with EACCES, while other denied calls
        # (and reboot's own default) would kill
        res = self.out("reboot")
        d = self.start({"sc": self.pool(f"{TESTWORKER} reboot:{res} exit:0",
                                        "SystemCallFilter=~@mount @reboot:EACCES")})
        reason, evidence = self.exit_of(d, "sc")
        self.assertEqual(reason, "success", evidence)
        with open(res) as f:
            self.assertEqual(f.read().strip(), "errno 13")   # EACCES
        self.assertCleanExit(d)

    def test_unfiltered_reboot_is_einval(self):
        # the control: without a filter the bad magic gets EINVAL from the kernel
        res = self.out("reboot")
        d = self.start({"sc": self.pool(f"{TESTWORKER} reboot:{res} exit:0", "")})
        self.assertEqual(self.exit_of(d, "sc")[0], "success")
        with open(res) as f:
            self.assertEqual(f.read().strip(), "errno 22")
        self.assertCleanExit(d)

    def test_filter_status_and_architectures(self):
        res = self.out("status")
        d = self.start({"sc": self.pool(f"{TESTWORKER} caps:{res} exit:0",
                                        "SystemCallArchitectures=native")})
        self.assertEqual(self.exit_of(d, "sc")[0], "success")
        s = status_fields(res)
        self.assertEqual(s["Seccomp"], "2")          # a filter is loaded
        self.assertEqual(s["Seccomp_filters"], "1")
        self.assertCleanExit(d)

    def test_bad_filter_refuses_pool(self):
        d = self.start({"sc": self.pool(f"{TESTWORKER} pause",
                                        "SystemCallFilter=@system-service @bogus")})
        d.wait_log(r"sc\.pool:5: Invalid SystemCallFilter= entry '@bogus': unknown system call group")
        self.assertEqual(d.worker_cgroups("sc"), [])
        d.stop()

    # -- users and capabilities ---------------------------------------------

    def test_nobody_has_no_capabilities(self):
        res = self.out("status")
        d = self.start({"nb": self.pool(f"{self.nobody_worker} caps:{res} exit:0", "User=nobody")})
        self.assertEqual(self.exit_of(d, "nb")[0], "success")
        s = status_fields(res)
        self.assertEqual(s["Uid"].split(), ["65534"] * 4)
        for k in ("CapInh", "CapPrm", "CapEff", "CapAmb"):
            self.assertEqual(int(s[k], 16), 0, k)
        self.assertEqual(s["CapBnd"], our_cap_bnd())   # not asked to change
        self.assertCleanExit(d)

    def test_nobody_with_empty_bounding_set(self):
        res = self.out("status")
        d = self.start({"nb": self.pool(f"{self.nobody_worker} caps:{res} exit:0",
                                        "User=nobody\nCapabilityBoundingSet=\n"
                                        "NoNewPrivileges=yes\nSupplementaryGroups=0")})
        self.assertEqual(self.exit_of(d, "nb")[0], "success")
        s = status_fields(res)
        for k in ("CapInh", "CapPrm", "CapEff", "CapAmb", "CapBnd"):
            self.assertEqual(int(s[k], 16), 0, k)
        self.assertEqual(s["NoNewPrivs"], "1")
        self.assertIn("0", s["Groups"].split())
        self.assertCleanExit(d)

    def test_ambient_capability_for_nobody(self):
        res = self.out("status")
        d = self.start({"amb": self.pool(f"{self.nobody_worker} caps:{res} exit:0",
                                         "User=nobody\nAmbientCapabilities=CAP_NET_BIND_SERVICE\n"
                                         "CapabilityBoundingSet=CAP_NET_BIND_SERVICE")})
        self.assertEqual(self.exit_of(d, "amb")[0], "success")
        s = status_fields(res)
        for k in ("CapPrm", "CapEff", "CapAmb", "CapBnd"):
            self.assertEqual(int(s[k], 16), 1 << 10, k)
        self.assertCleanExit(d)

    def test_ambient_outside_bounding_set_is_exec_failed(self):
        d = self.start({"amb": self.pool(f"{self.nobody_worker} exit:0",
                                         "User=nobody\nAmbientCapabilities=CAP_NET_BIND_SERVICE\n"
                                         "CapabilityBoundingSet=CAP_CHOWN")})
        reason, evidence = self.exit_of(d, "amb")
        self.assertEqual(reason, "exec-failed")
        self.assertTrue(evidence.startswith("capabilities: "), evidence)
        self.assertCleanExit(d)

    def setuid_copy(self):
        path = self.out("suid-testworker")
        shutil.copy(TESTWORKER, path)
        os.chown(path, 0, 0)
        os.chmod(path, 0o4755)
        return path

    def run_setuid(self, nnp):
        suid = self.setuid_copy()
        res = self.out("ids-%d" % nnp)
        d = self.start({"su": self.pool(f"{self.nobody_worker} exec:{suid} ids:{res} exit:0",
                                        "User=nobody\nNoNewPrivileges=%s" % ("yes" if nnp else "no"))})
        self.assertEqual(self.exit_of(d, "su")[0], "success")
        self.assertCleanExit(d)
        with open(res) as f:
            return [int(x) for x in f.read().split()]

    def test_no_new_privileges_holds_for_setuid_binary(self):
        ids = self.run_setuid(False)
        if ids[1] != 0:
            self.skipTest("setuid bit not honoured on %s (nosuid mount?)" % self.dir)
        self.assertEqual(ids, [65534, 0, 0])              # the control: setuid works
        self.assertEqual(self.run_setuid(True), [65534] * 3)

    # -- the shipped profiles ------------------------------------------------

    def test_profiles_run_a_notify_worker(self):
        prof = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "policy", "profiles")
        names = sorted(f for f in os.listdir(prof) if f.endswith(".conf"))
        self.assertGreaterEqual(len(names), 2)
        pools, dropins = {}, {}
        for n in names:
            pool = n[:-5]
            pools[pool] = ("[Pool]\nRestart=no\nType=notify\nTimeoutStartSec=20s\n"
                           f"ExecStart={TESTWORKER} ready status:up sleep:200 exit:0\n"
                           "")  # as root: the harness runtime dir is 0700
            with open(os.path.join(prof, n)) as f:
                dropins[(pool, "50-sandbox.conf")] = f.read()
        d = self.start(pools, dropins=dropins)
        for pool in pools:
            d.wait_log(r"Pool %s: worker \d+ \(pid \d+\) is ready" % pool, timeout=30)
            reason, evidence = self.exit_of(d, pool)
            self.assertEqual(reason, "success", f"{pool}: {evidence}")
        self.assertCleanExit(d)

    # -- Limit*=, UMask= -----------------------------------------------------

    def test_limits_and_umask(self):
        lim, st = self.out("limits"), self.out("status")
        # raising a hard limit needs CAP_SYS_RESOURCE (a container may lack it)
        sys_resource = int(status_fields("/proc/self/status")["CapEff"], 16) & (1 << 24)
        nice = "LimitNICE=-5\n" if sys_resource else ""
        d = self.start({"lim": self.pool(f"{TESTWORKER} limits:{lim} caps:{st} exit:0",
                                         "LimitNOFILE=100:200\nLimitSTACK=4M\nLimitCORE=infinity\n"
                                         "LimitCPU=1min\nUMask=0027\n" + nice)})
        self.assertEqual(self.exit_of(d, "lim")[0], "success")
        with open(lim) as f:
            text = f.read()
        rows = {}
        for line in text.splitlines()[1:]:
            parts = line[26:].split()
            rows[line[:26].strip()] = parts[:2]
        self.assertEqual(rows["Max open files"], ["100", "200"], text)
        self.assertEqual(rows["Max stack size"], [str(4 << 20)] * 2, text)
        self.assertEqual(rows["Max core file size"], ["unlimited"] * 2, text)
        self.assertEqual(rows["Max cpu time"], ["60"] * 2, text)
        if sys_resource:
            self.assertEqual(rows["Max nice priority"], ["25"] * 2, text)
        self.assertEqual(status_fields(st)["TestworkerUmask"], "0027")
        self.assertCleanExit(d)

    # -- PrivateTmp= ---------------------------------------------------------

    def test_private_tmp(self):
        # the results go outside /tmp and /var/tmp, which the workers cannot see
        out = tempfile.mkdtemp(prefix="wp-privtmp-", dir="/run")
        self.addCleanup(shutil.rmtree, out, True)
        marker = tempfile.NamedTemporaryFile(prefix="wp-host-marker-", dir="/tmp")
        self.addCleanup(marker.close)
        # ExecStart= makes "$$" a "$": "$$$$" is the shell's "$$"
        script = ("echo $$ > /tmp/mine.$$ && echo $$ > /var/tmp/mine.$$ && "
                  "ls -A /tmp > {o}/{p}-tmp.$$ && ls -A /var/tmp > {o}/{p}-vartmp.$$ && "
                  "{{ grep -E ' /(var/)?tmp ' /proc/self/mountinfo > {o}/{p}-mounts.$$; true; }}"
                  ).replace("$$", "$$$$")
        d = self.start({
            "pt": self.pool('/bin/sh -c "%s"' % script.format(o=out, p="pt"), "PrivateTmp=yes",
                            extra="Workers=2\n"),
            "shared": self.pool('/bin/sh -c "%s"' % script.format(o=out, p="shared"), "PrivateTmp=no"),
            # the harness's runtime dir (notify socket) is under /tmp: said at load
            "ptnotify": self.pool("/bin/true", "PrivateTmp=yes", extra="Type=notify\n"),
        })
        d.wait_log(r"Pool ptnotify: PrivateTmp=yes hides the notify socket /tmp/\S+ from the workers")
        for m in d.wait_log(EXITED.format("(?:pt|shared)"), timeout=30, count=3):
            self.assertEqual(m.group(1), "success", m.group(0))
        files = sorted(os.listdir(out))

        def read(name):
            with open(os.path.join(out, name)) as f:
                return f.read().split("\n")

        pt_pids = [n.split(".")[1] for n in files if n.startswith("pt-tmp.")]
        self.assertEqual(len(pt_pids), 2, files)
        for pid in pt_pids:
            # each worker sees only its own file: not the host's, not the other worker's
            self.assertEqual(read("pt-tmp." + pid), ["mine." + pid, ""])
            self.assertEqual(read("pt-vartmp." + pid), ["mine." + pid, ""])
            mounts = [line.split() for line in read("pt-mounts." + pid) if line]
            self.assertEqual(sorted(m[4] for m in mounts), ["/tmp", "/var/tmp"], mounts)
            for m in mounts:
                self.assertEqual(m[m.index("-") + 1], "tmpfs", m)
                self.assertIn("nosuid", m[5])
                self.assertIn("nodev", m[5])
            # and nothing it wrote reached the host
            self.assertFalse(os.path.exists("/tmp/mine." + pid))
            self.assertFalse(os.path.exists("/var/tmp/mine." + pid))
        # the control worker shares the host's /tmp
        shared_pid = [n.split(".")[1] for n in files if n.startswith("shared-tmp.")][0]
        self.assertIn(os.path.basename(marker.name), read("shared-tmp." + shared_pid))
        for p in ("/tmp/mine.", "/var/tmp/mine."):
            os.unlink(p + shared_pid)
        self.assertCleanExit(d)

    # A chroot, as on a machine made with debootstrap: / is not a mount
    # point, so it cannot be made a slave itself. The chroot's directory is
    # on a shared mount here (in a mount namespace of the test's own), so a
    # mount of the worker's that propagated back would show. The test's own
    # mounts stay in its namespace: the mount it makes them under ($iso: /,
    # or where the test itself runs in a chroot, a mount point in it) is made
    # private first (unshare --propagation private would fail there as the
    # daemon once did: EINVAL on /).
    CHROOT_SH = r"""
set -eu
iso=$1 base=$2 out=$3 daemon_dir=$4 cgmount=$5 cgroot=$6
mount --make-rprivate "$iso"
r=$base/root
mount -t tmpfs -o mode=755 wp-chroot "$base"
mount --make-shared "$base"
grep " $base " /proc/self/mountinfo > "$out/base-mount"
mkdir -p "$r/usr" "$r/etc" "$r/dev" "$r/proc" "$r/out" "$r/wp" "$r/run" "$r$cgmount"
mkdir -m 1777 -p "$r/tmp" "$r/var/tmp"
for d in bin sbin lib lib32 lib64 libx32; do
        if [ -L "/$d" ]; then ln -s "$(readlink "/$d")" "$r/$d"
        elif [ -d "/$d" ]; then mkdir "$r/$d"; mount --rbind "/$d" "$r/$d"
        fi
done
mount --rbind /usr "$r/usr"
mount --bind /etc "$r/etc"
mount --rbind /dev "$r/dev"
mount -t proc proc "$r/proc"
mount --bind "$out" "$r/out"
mount --bind "$daemon_dir" "$r/wp"
mount --bind "$cgmount" "$r$cgmount"
touch "$r/tmp/chroot-marker" "$r/var/tmp/chroot-marker"
chroot "$r" /wp/workerpoold --config-dir /out/pools.d --runtime-dir /run/wp --cgroup-root "$cgroot" \
        --config /dev/null --log-level debug 2> "$out/daemon.log" &
pid=$!
for i in $(seq 600); do
        [ "$(grep -c ' exited: ' "$out/daemon.log")" -ge 2 ] && break
        kill -0 $pid 2>/dev/null || break
        sleep 0.1
done
kill -TERM $pid 2>/dev/null || true
rc=0
wait $pid || rc=$?
echo $rc > "$out/daemon.rc"
{ grep -E " $r/(var/)?tmp " /proc/self/mountinfo || true; } > "$out/leaked"
ls -A "$r/tmp" > "$out/chroot-tmp"
ls -A "$r/var/tmp" > "$out/chroot-vartmp"
"""

    def test_private_tmp_in_a_chroot(self):
        out = tempfile.mkdtemp(prefix="wp-privtmp-chroot-")
        self.addCleanup(shutil.rmtree, out, True)
        with open("/proc/self/mountinfo") as f:
            mounts = {line.split()[4] for line in f}
        iso = "/" if "/" in mounts else next((d for d in ("/tmp", "/run", "/dev/shm") if d in mounts), None)
        if iso is None:
            self.fail("cannot keep the test's mounts to itself: neither /, /tmp, /run nor /dev/shm "
                      "is a mount point here")
        base = tempfile.mkdtemp(prefix="wp-chroot-", dir="/tmp" if iso == "/" else iso)
        self.addCleanup(os.rmdir, base)
        cgroot = os.path.join(cgroup2_mount(), "wp-test-chroot-%d-%d" % (os.getpid(), time.monotonic_ns() % 10**9))
        self.addCleanup(lambda: os.path.isdir(cgroot) and os.rmdir(cgroot))
        script = ("echo {p} > /tmp/mine-{p} && echo {p} > /var/tmp/mine-{p} && "
                  "ls -A /tmp > /out/{p}-tmp && ls -A /var/tmp > /out/{p}-vartmp && "
                  "ls -A / > /out/{p}-root && pwd > /out/{p}-cwd && "
                  "{{ grep -E ' /(var/)?tmp ' /proc/self/mountinfo > /out/{p}-mounts; true; }}")
        os.mkdir(os.path.join(out, "pools.d"))
        for name, private in (("pt", "yes"), ("shared", "no")):
            with open(os.path.join(out, "pools.d", name + ".pool"), "w") as f:
                f.write(self.pool('/bin/sh -c "%s"' % script.format(p=name), "PrivateTmp=" + private))
        subprocess.run(["unshare", "--mount", "--propagation", "unchanged", "sh", "-c", self.CHROOT_SH,
                        "chroot-test", iso, base, out, os.path.dirname(WORKERPOOLD), cgroup2_mount(), cgroot],
                       check=True, timeout=120)

        def read(name):
            with open(os.path.join(out, name)) as f:
                return f.read().split("\n")

        log = "\n".join(read("daemon.log"))
        self.assertIn("shared:", read("base-mount")[0])     # the test tests something
        self.assertEqual(read("daemon.rc"), ["0", ""], log)
        self.assertFalse(os.path.isdir(cgroot), "cgroup root left behind")
        for pool in ("pt", "shared"):
            self.assertRegex(log, EXITED.format(pool).replace(r"(\S+)", "success"))
        # the PrivateTmp= worker sees only its own file, in its own tmpfs, and
        # the same root (the chroot) as the other
        for d in ("tmp", "vartmp"):
            self.assertEqual(read("pt-" + d), ["mine-pt", ""])
            self.assertEqual(read("shared-" + d), ["chroot-marker", "mine-shared", ""])
        self.assertEqual(read("pt-root"), read("shared-root"))
        self.assertIn("wp", read("pt-root"))
        self.assertEqual(read("pt-cwd"), ["/", ""])
        mounts = [line.split() for line in read("pt-mounts") if line]
        self.assertEqual(sorted(m[4] for m in mounts), ["/tmp", "/var/tmp"], mounts)
        for m in mounts:
            self.assertEqual(m[m.index("-") + 1], "tmpfs", m)
        # and nothing of it reached the daemon's namespace: no mount, no file
        self.assertEqual(read("leaked"), [""])
        for d in ("tmp", "vartmp"):
            self.assertEqual(read("chroot-" + d), read("shared-" + d))

if __name__ == "__main__":
    main()
