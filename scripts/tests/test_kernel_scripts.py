# SPDX-License-Identifier: GPL-2.0
"""Tests of the kernel helpers: scripts/kllvm.sh, scripts/fetch-linux.sh,
scripts/kdir.sh, and vm-run.sh's VM_CPUS.

kllvm.sh must give the LLVM= value a tree was built with (recorded by
build-kernel.sh, or read from a tree's .config); fetch-linux.sh must use a
cached 7.2 tarball without asking the network, so that a cached kernel is
not rebuilt because unstable moved on; kdir.sh must let one build of a
kernel and flavour run at a time; vm-run.sh must refuse a CPU count it
cannot give the guest before it stages one.
"""

import os
import subprocess
import tempfile
import unittest

SCRIPTS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run(script, *args, env=None):
    return subprocess.run([os.path.join(SCRIPTS, script), *args], capture_output=True,
                          text=True, env={**os.environ, **(env or {})}, check=False)


def default_clang_major():
    try:
        out = subprocess.run(["clang", "--version"], capture_output=True, text=True,
                             check=False).stdout
    except FileNotFoundError:
        return None
    word = out.split("version ", 1)[1] if "version " in out else ""
    return int(word.split(".")[0]) if word[:1].isdigit() else None


class KLlvm(unittest.TestCase):
    def tree(self, config=None, recorded=None):
        d = tempfile.mkdtemp()
        self.addCleanup(lambda: subprocess.run(["rm", "-rf", d], check=False))
        if config is not None:
            with open(os.path.join(d, ".config"), "w") as f:
                f.write(config)
        if recorded is not None:
            with open(os.path.join(d, ".io_uring_rs-llvm"), "w") as f:
                f.write(recorded + "\n")
        return d

    def test_recorded_value_wins(self):
        d = self.tree(config="CONFIG_CLANG_VERSION=140006\n", recorded="-19")
        r = run("kllvm.sh", d)
        self.assertEqual((r.returncode, r.stdout.strip()), (0, "-19"))

    def test_other_clang_is_versioned(self):
        major = default_clang_major()
        other = 19 if major != 19 else 18
        d = self.tree(config="CONFIG_CLANG_VERSION=%d0107\n" % other)
        r = run("kllvm.sh", d)
        self.assertEqual((r.returncode, r.stdout.strip()), (0, "-%d" % other))

    @unittest.skipIf(default_clang_major() is None, "no clang on this machine")
    def test_default_clang_is_llvm_1(self):
        d = self.tree(config="CONFIG_CLANG_VERSION=%d0006\n" % default_clang_major())
        r = run("kllvm.sh", d)
        self.assertEqual((r.returncode, r.stdout.strip()), (0, "1"))

    def test_gcc_tree_is_refused(self):
        d = self.tree(config="CONFIG_CLANG_VERSION=0\nCONFIG_GCC_VERSION=120200\n")
        r = run("kllvm.sh", d)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("not built with clang", r.stderr)


class FetchLinux(unittest.TestCase):
    def test_cached_tarball_is_used_without_the_network(self):
        cache = tempfile.mkdtemp()
        self.addCleanup(lambda: subprocess.run(["rm", "-rf", cache], check=False))
        os.makedirs(os.path.join(cache, "src"))
        for v in ("7.2.9-1", "7.2.13-1"):
            open(os.path.join(cache, "src", "linux-source-7.2_%s.tar.xz" % v), "w").close()
        # No apt configuration exists in the cache: a network fetch would
        # have to write one (and, offline, fail).
        r = run("fetch-linux.sh", "7.2", env={"IO_URING_RS_CACHE": cache})
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.strip().splitlines()[-1],
                         os.path.join(cache, "src", "linux-source-7.2_7.2.13-1.tar.xz"))
        self.assertFalse(os.path.exists(os.path.join(cache, "apt-unstable", "sources.list")))

    def test_cold_cache_without_network_says_so(self):
        # An empty cache is not an error of its own: with unstable out of
        # reach (apt-get fails), the script must say why it has nothing.
        cache = tempfile.mkdtemp()
        fakebin = tempfile.mkdtemp()
        self.addCleanup(lambda: subprocess.run(["rm", "-rf", cache, fakebin], check=False))
        with open(os.path.join(fakebin, "apt-get"), "w") as f:
            f.write("#!/bin/sh\nexit 100\n")
        os.chmod(os.path.join(fakebin, "apt-get"), 0o755)
        r = run("fetch-linux.sh", "7.2", env={"IO_URING_RS_CACHE": cache,
                                               "PATH": fakebin + ":" + os.environ["PATH"]})
        self.assertEqual(r.returncode, 1)
        self.assertIn("cannot reach unstable and nothing is cached", r.stderr)


class BuildKernelDir(unittest.TestCase):
    def test_dir_on_a_cold_cache(self):
        # `--dir` names the tree without fetching or building, also before
        # any 7.2 source is cached (make clean on a new machine).
        cache = tempfile.mkdtemp()
        self.addCleanup(lambda: subprocess.run(["rm", "-rf", cache], check=False))
        fragment = os.path.join(os.path.dirname(SCRIPTS), "selftests", "config")
        for kernel in ("6.12", "7.2"):
            r = run("build-kernel.sh", "--dir", "debug", fragment,
                    env={"IO_URING_RS_CACHE": cache, "KERNEL": kernel})
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertTrue(r.stdout.strip().startswith(
                os.path.join(cache, "kernel-%s-debug-" % kernel)), r.stdout)
        self.assertEqual(os.listdir(cache), [])


class KdirLock(unittest.TestCase):
    def test_one_build_of_a_kernel_at_a_time(self):
        # kdir.sh with stub bootstrap.sh and build-kernel.sh beside it: two
        # callers of one kernel and flavour must not build at once (the
        # second would clear the first's tree), callers of another flavour
        # may.
        d = tempfile.mkdtemp()
        self.addCleanup(lambda: subprocess.run(["rm", "-rf", d], check=False))
        with open(os.path.join(SCRIPTS, "kdir.sh")) as f:
            kdir = f.read()
        stubs = {
            "kdir.sh": kdir,
            "bootstrap.sh": "#!/bin/sh\nexit 0\n",
            "build-kernel.sh": "#!/bin/sh\n"
                               "echo \"start $1 $(date +%s.%N)\" >>\"$LOG\"\n"
                               "sleep 0.5\n"
                               "echo \"end $1 $(date +%s.%N)\" >>\"$LOG\"\n"
                               "echo /tree/$1\n",
        }
        for name, text in stubs.items():
            path = os.path.join(d, name)
            with open(path, "w") as f:
                f.write(text)
            os.chmod(path, 0o755)
        log = os.path.join(d, "log")
        env = {**os.environ, "IO_URING_RS_CACHE": os.path.join(d, "cache"), "LOG": log,
               "KERNEL": "6.12"}
        procs = [subprocess.Popen([os.path.join(d, "kdir.sh"), flavour], env=env,
                                  stdout=subprocess.PIPE, text=True)
                 for flavour in ("debug", "debug", "timing")]
        outs = [p.communicate()[0].strip() for p in procs]
        self.assertEqual(outs, ["/tree/debug", "/tree/debug", "/tree/timing"])
        with open(log) as f:
            events = [line.split() for line in f]
        spans = {}
        for kind, flavour, t in events:
            spans.setdefault(flavour, []).append((kind, float(t)))
        debug = sorted(spans["debug"], key=lambda e: e[1])
        # Serialised: start, end, start, end.
        self.assertEqual([k for k, _ in debug], ["start", "end", "start", "end"], debug)
        # The other flavour ran beside them.
        timing = dict(spans["timing"])
        self.assertLess(timing["start"], debug[-1][1])


if __name__ == "__main__":
    unittest.main()


class VmRun(unittest.TestCase):
    def test_a_bad_cpu_count_is_refused_before_the_guest_is_staged(self):
        for bad in ("0", "two", "12"):
            r = run("vm-run.sh", "exec", env={"KDIR": "/nonexistent", "VM_CPUS": bad})
            self.assertEqual(r.returncode, 2, r.stderr)
            self.assertIn("VM_CPUS must be 1 to 9", r.stderr)
            self.assertIn(f"'{bad}'", r.stderr)
