# SPDX-License-Identifier: GPL-2.0
"""Tests of scripts/insn-profile.sh's parts: the QEMU plugin that counts
instructions (scripts/qemu-tbcount.c), run by a stand-in for QEMU that
executes a given sequence of blocks, and the symboliser
(scripts/insn_profile.py).

The plugin must count every block's instructions and runs, or with window=ON:OFF
only what runs from a block at ON up to the next block at OFF, summed over
the windows; the symboliser must subtract the run without a benchmark when
there is one, and take a windowed profile as it is.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import unittest

SCRIPTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(SCRIPTS, "tests", "fixtures", "tbcount")

ON, OFF, A, B = 0xFFFFFFFF81000100, 0xFFFFFFFF81000200, 0xFFFFFFFF81000300, 0x400000


@unittest.skipIf(shutil.which("gcc") is None, "no gcc on this machine")
class TbCount(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp()
        cls.plugin = os.path.join(cls.dir, "tbcount.so")
        cls.qemu = os.path.join(cls.dir, "fake_qemu")
        for cmd in (["gcc", "-shared", "-fPIC", "-O2", "-Wall", "-Werror", "-o", cls.plugin,
                     os.path.join(SCRIPTS, "qemu-tbcount.c"), "-lpthread"],
                    ["gcc", "-O2", "-Wall", "-Werror", "-rdynamic", "-o", cls.qemu,
                     os.path.join(FIXTURES, "fake_qemu.c"), "-ldl"]):
            subprocess.run(cmd, check=True)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir)

    def run_blocks(self, blocks, *args):
        out = os.path.join(self.dir, "out.tb")
        if os.path.exists(out):
            os.unlink(out)
        feed = "".join(" ".join(["%x" % b[0]] + ["%d" % x for x in b[1:]]) + "\n"
                       for b in blocks)
        subprocess.run([self.qemu, self.plugin, "out=" + out, *args], input=feed, text=True,
                       check=True)
        with open(out) as f:
            return {int(a, 16): tuple(int(x) for x in rest)
                    for a, *rest in (line.split() for line in f)}

    def test_every_block_counts(self):
        blocks = [(A, 5), (B, 2), (A, 5), (ON, 1), (A, 5)]
        self.assertEqual(self.run_blocks(blocks), {A: (15, 3), B: (2, 1), ON: (1, 1)})

    def test_only_windows_count(self):
        # B is first translated inside the first window; OFF's own
        # instructions are past the window, ON's are in it.
        blocks = [(A, 5), (ON, 1), (A, 5), (B, 2), (OFF, 3), (A, 5), (B, 2),
                  (ON, 1), (B, 2), (OFF, 3), (A, 5)]
        counts = self.run_blocks(blocks, "window=%x:%x" % (ON, OFF))
        self.assertEqual(counts, {ON: (2, 2), A: (5, 1), B: (4, 2)})

    def test_split_counts_each_vcpu(self):
        # (address, instructions, vCPU); a third vCPU counts as the second.
        blocks = [(A, 5, 0), (A, 5, 1), (B, 2, 1), (A, 5, 2), (B, 2, 0)]
        self.assertEqual(self.run_blocks(blocks, "split"),
                         {A: (15, 3, 5, 10), B: (4, 2, 2, 2)})

    def test_split_counts_each_vcpu_in_windows(self):
        blocks = [(A, 5, 0), (ON, 1, 0), (A, 5, 1), (B, 2, 0), (OFF, 3, 0), (A, 5, 0)]
        counts = self.run_blocks(blocks, "window=%x:%x" % (ON, OFF), "split")
        self.assertEqual(counts, {ON: (1, 1, 1, 0), A: (5, 1, 0, 5), B: (2, 1, 2, 0)})

    def test_a_window_never_opened_counts_nothing(self):
        counts = self.run_blocks([(A, 5), (OFF, 3)], "window=%x:%x" % (ON, OFF))
        self.assertEqual(counts, {})


class Symboliser(unittest.TestCase):
    def profile(self, runs):
        d = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, d)
        with open(os.path.join(d, "System.map"), "w") as f:
            f.write("ffffffff81000000 T kfunc\n")
        for name, counts in runs.items():
            with open(os.path.join(d, name + ".tb"), "w") as f:
                f.writelines(" ".join(["%x" % c[0]] + ["%d" % x for x in c[1:]]) + "\n"
                             for c in counts)
            with open(os.path.join(d, "guest-%s.log" % name), "w") as f:
                f.write("sym,ffffffffa0000000 t mfunc [io_uring_rs]\n")
        r = subprocess.run([sys.executable, os.path.join(SCRIPTS, "insn_profile.py"),
                            os.path.join(d, "System.map"), d, "10", "5"],
                           capture_output=True, text=True, check=True)
        return r.stdout

    def test_the_idle_run_is_subtracted(self):
        out = self.profile({
            "none": [(0xFFFFFFFF81000010, 100)],
            "io_uring": [(0xFFFFFFFF81000010, 300), (0x400000, 50)],
            "io_uring_rs": [(0xFFFFFFFF81000010, 200), (0xFFFFFFFFA0000010, 400)],
        })
        # Without the executions column, the blocks are not known.
        self.assertIn("io_uring_rs: 0 blocks a request", out)
        self.assertIn("io_uring: 25 instructions a request: user 5, kernel 20, module 0", out)
        self.assertIn("io_uring_rs: 50 instructions a request: user 0, kernel 10, module 40",
                      out)

    def test_a_windowed_profile_is_taken_as_it_is(self):
        out = self.profile({
            "io_uring": [(0xFFFFFFFF81000010, 300)],
            "io_uring_rs": [(0xFFFFFFFFA0000010, 400, 80)],
        })
        self.assertIn("io_uring_rs: 8 blocks a request in the kernel and module "
                      "(5.0 instructions a block)", out)
        self.assertIn("io_uring: 30 instructions a request: user 0, kernel 30, module 0", out)
        self.assertIn("io_uring_rs: 40 instructions a request: user 0, kernel 0, module 40",
                      out)

    def test_a_split_profile_is_told_by_vcpu(self):
        out = self.profile({
            "io_uring": [(0xFFFFFFFF81000010, 300, 60, 100, 200), (0x400000, 50, 10, 50, 0)],
            "io_uring_rs": [(0xFFFFFFFFA0000010, 400, 80, 100, 300)],
        })
        self.assertIn("io_uring: vCPU 0: 15 instructions a request: user 5, kernel 10, "
                      "module 0", out)
        self.assertIn("io_uring: vCPU 1: 20 instructions a request: user 0, kernel 20, "
                      "module 0", out)
        self.assertIn("io_uring_rs: vCPU 1: 30 instructions a request: user 0, kernel 0, "
                      "module 30", out)

    def test_a_split_profile_subtracts_the_idle_run_by_vcpu(self):
        out = self.profile({
            "none": [(0xFFFFFFFF81000010, 100, 10, 40, 60)],
            "io_uring": [(0xFFFFFFFF81000010, 300, 30, 240, 60)],
            "io_uring_rs": [(0xFFFFFFFFA0000010, 400, 80, 100, 300)],
        })
        self.assertIn("io_uring: vCPU 0: 20 instructions a request: user 0, kernel 20, "
                      "module 0", out)
        self.assertIn("io_uring: vCPU 1: 0 instructions a request", out)
        self.assertIn("io_uring_rs: vCPU 0: 6 instructions a request: user 0, kernel -4, "
                      "module 10", out)


if __name__ == "__main__":
    unittest.main()
