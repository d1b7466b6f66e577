# SPDX-License-Identifier: GPL-2.0
"""Tests of the liburing oracle's judgement (selftests/io_uring_rs_liburing.sh).

The kselftest runs on the host against a staged directory in which the
liburing programs are small shell scripts that hang or pass as each test
asks, the module commands are stubs and the KTAP helpers a minimal stand-in.
A reference (io_uring) run that times out gets one more run; a second
timeout, or a timeout of the module's run, fails.
"""

import os
import shutil
import stat
import subprocess
import tempfile
import textwrap
import unittest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

KTAP = """\
KSFT_PASS=0
KSFT_FAIL=1
KSFT_SKIP=4
ktap_n=0
ktap_failed=0
ktap_print_header() { echo "TAP version 13"; }
ktap_set_plan() { echo "1..$1"; }
ktap_print_msg() { echo "# $*"; }
ktap_test_pass() { ktap_n=$((ktap_n + 1)); echo "ok $ktap_n $*"; }
ktap_test_skip() { ktap_n=$((ktap_n + 1)); echo "ok $ktap_n # SKIP $*"; }
ktap_test_fail() { ktap_n=$((ktap_n + 1)); ktap_failed=1; echo "not ok $ktap_n $*"; }
ktap_skip_all() { echo "1..0 # SKIP $*"; }
ktap_exit_fail_msg() { echo "Bail out! $*"; exit 1; }
ktap_finished() { exit $ktap_failed; }
"""

# A liburing program: hangs on the backends and runs the test names, passes
# otherwise. $PROG_STATE counts the runs of each backend.
PROG = """\
#!/bin/sh
backend=io_uring
[ -n "$LD_PRELOAD" ] && backend=io_uring_rs
n=$(cat "$PROG_STATE/$backend" 2>/dev/null || echo 0)
n=$((n + 1))
echo $n >"$PROG_STATE/$backend"
case " $PROG_HANGS " in
*" $backend:$n "*) exec sleep 30 ;;
esac
exit 0
"""


def executable(path, text):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR)


class Oracle(unittest.TestCase):
    def run_oracle(self, hangs):
        """Runs the kselftest with one program, `prog`, hanging on the runs
        `hangs` names ("io_uring:1" is the reference's first run)."""
        d = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, d, True)
        ksft, lu, bin_, state = (os.path.join(d, p) for p in
                                 ("io_uring_rs", "io_uring_rs/liburing", "bin", "state"))
        for p in (lu, os.path.join(d, "kselftest"), bin_, state):
            os.makedirs(p)
        shutil.copy(os.path.join(REPO, "selftests/io_uring_rs_liburing.sh"), ksft)
        shutil.copy(os.path.join(REPO, "selftests/liburing/lib.sh"), lu)
        with open(os.path.join(d, "kselftest/ktap_helpers.sh"), "w") as f:
            f.write(KTAP)
        with open(os.path.join(lu, "required.txt"), "w") as f:
            f.write("# the program\nprog\n")
        with open(os.path.join(lu, "timeout"), "w") as f:
            f.write("2\n")
        open(os.path.join(ksft, "io_uring_rs.ko"), "w").close()
        # An empty preload: the loader warns and goes on.
        open(os.path.join(lu, "libio_uring_rs_preload.so"), "w").close()
        executable(os.path.join(lu, "link.t"), "#!/bin/sh\nexit 0\n")
        executable(os.path.join(lu, "prog.t"), PROG)
        for cmd, body in (("id", "echo 0"), ("insmod", "exit 0"), ("rmmod", "exit 0")):
            executable(os.path.join(bin_, cmd), "#!/bin/sh\n%s\n" % body)
        env = {**os.environ, "PATH": bin_ + ":" + os.environ["PATH"], "PROG_STATE": state,
               "PROG_HANGS": " ".join(hangs), "LU_WORK": os.path.join(d, "work")}
        r = subprocess.run(["sh", os.path.join(ksft, "io_uring_rs_liburing.sh")],
                           capture_output=True, text=True, env=env, check=False,
                           timeout=120)
        runs = {}
        for backend in ("io_uring", "io_uring_rs"):
            with open(os.path.join(state, backend)) as f:
                runs[backend] = int(f.read())
        return r.returncode, r.stdout, runs

    def test_reference_timeout_is_run_again(self):
        rc, out, runs = self.run_oracle(["io_uring:1"])
        self.assertEqual(rc, 0, out)
        self.assertIn("prog on io_uring: timeout", out)
        self.assertIn("run again", out)
        self.assertIn("ok 3 prog: io_uring=0 io_uring_rs=0", out)
        self.assertEqual(runs, {"io_uring": 2, "io_uring_rs": 1})

    def test_reference_timing_out_twice_fails(self):
        rc, out, runs = self.run_oracle(["io_uring:1", "io_uring:2"])
        self.assertNotEqual(rc, 0, out)
        self.assertIn("not ok 1 prog: io_uring timeout", out)
        self.assertEqual(runs, {"io_uring": 2, "io_uring_rs": 1})

    def test_module_timeout_is_not_run_again(self):
        rc, out, runs = self.run_oracle(["io_uring_rs:1"])
        self.assertNotEqual(rc, 0, out)
        self.assertIn("not ok 2 prog: io_uring_rs timeout", out)
        self.assertEqual(runs, {"io_uring": 1, "io_uring_rs": 1})

    def test_no_timeout_runs_each_once(self):
        rc, out, runs = self.run_oracle([])
        self.assertEqual(rc, 0, out)
        self.assertNotIn("run again", out)
        self.assertEqual(runs, {"io_uring": 1, "io_uring_rs": 1})


if __name__ == "__main__":
    unittest.main()
