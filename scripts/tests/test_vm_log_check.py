# SPDX-License-Identifier: GPL-2.0
"""Tests of scripts/vm_log_check.py, fed with logs captured on the debug kernel.

The fixtures were cut out of real runs by capture-fixtures.sh: clean.log and
ktap-pass.log are a passing `make check` run; the others are what the debug
kernel printed when splat.ko triggered each class of splat.
"""

import contextlib
import io
import os
import tempfile
import unittest

from scripts import vm_log_check as chk

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")


def fixture(name):
    with open(os.path.join(FIXTURES, name)) as f:
        return f.read().splitlines(keepends=True)


def with_splat(splat):
    """The clean console log with a captured splat spliced into its middle."""
    clean = fixture("clean.log")
    mid = len(clean) // 2
    return clean[:mid] + fixture(splat) + clean[mid:]


class SplatScan(unittest.TestCase):
    def test_clean_log_has_no_splat(self):
        self.assertEqual(chk.find_splats(fixture("clean.log")), [])

    def test_clean_run_passes(self):
        v = chk.judge(fixture("clean.log"), fixture("ktap-pass.log"))
        self.assertTrue(v.passed, v.problems)
        self.assertEqual(v.counts(), (4 + 3, 0, 0))

    def assert_splat_fails(self, name, kind):
        console = with_splat(name)
        kinds = [k for _, k, _ in chk.find_splats(console)]
        self.assertIn(kind, kinds)
        v = chk.judge(console, fixture("ktap-pass.log"))
        self.assertFalse(v.passed)
        passed, failed, _ = v.counts()
        self.assertEqual(failed, 1)

    def test_lockdep_report_fails(self):
        self.assert_splat_fails("lockdep.log", "lockdep")

    def test_kasan_report_fails(self):
        self.assert_splat_fails("kasan.log", "kasan")

    def test_warning_fails(self):
        self.assert_splat_fails("warn.log", "warning")

    def test_sleep_in_atomic_fails(self):
        self.assert_splat_fails("atomic_sleep.log", "atomic-sleep")

    def test_kmemleak_report_fails(self):
        self.assert_splat_fails("leak.log", "kmemleak")

    def test_kcsan_report_outside_the_module_is_a_finding(self):
        # kcsan.log: a report the data-race kernel printed at boot
        # (calibrate_APIC_clock / lapic_cal_handler), no frame of ours.
        console = with_splat("kcsan.log")
        self.assertEqual(chk.find_splats(console), [])
        findings = chk.kcsan_findings(console)
        self.assertEqual(len(findings), 1)
        self.assertIn("calibrate_APIC_clock", findings[0][1])
        v = chk.judge(console, fixture("ktap-pass.log"))
        self.assertTrue(v.passed, v.problems)

    def test_kcsan_report_with_a_module_frame_fails(self):
        # The same report with one frame of its stack the module's.
        report = [line.replace("calibrate_APIC_clock+0x469/0x6a0",
                               "_RNvNtCs1_11io_uring_rs4glue3foo+0x12/0x40 [io_uring_rs]")
                  for line in fixture("kcsan.log")]
        clean = fixture("clean.log")
        console = clean[:10] + report + clean[10:]
        self.assertEqual(chk.kcsan_findings(console), [])
        self.assertEqual([k for _, k, _ in chk.find_splats(console)], ["kcsan"])
        v = chk.judge(console, fixture("ktap-pass.log"))
        self.assertFalse(v.passed)

    def test_a_race_between_two_cpus_is_read(self):
        # kcsan-race.log: splat.ko kind=race on the two-CPU KCSAN guest,
        # the loading task on CPU 1 and a kernel thread on CPU 0.
        report = fixture("kcsan-race.log")
        text = "".join(report)
        self.assertIn("on cpu 1", text)
        self.assertIn("on cpu 0", text)
        clean = fixture("clean.log")
        console = clean[:10] + report + clean[10:]
        findings = chk.kcsan_findings(console)
        self.assertEqual(len(findings), 1)
        self.assertIn("splat_racer", findings[0][1])
        self.assertTrue(chk.judge(console, fixture("ktap-pass.log")).passed)
        # The same race in the module fails the run.
        ours = [line.replace("[splat]", "[io_uring_rs]") for line in report]
        console = clean[:10] + ours + clean[10:]
        self.assertEqual([k for _, k, _ in chk.find_splats(console)], ["kcsan"])
        self.assertFalse(chk.judge(console, fixture("ktap-pass.log")).passed)

    def test_a_kernel_race_beside_a_module_work_item_is_a_finding(self):
        # kcsan-wq-race.log: splat.ko kind=wq_race, two work items of one
        # unbound queue racing; the footer names the reporting worker's
        # work ("Workqueue: splat_wq splat_wq_racer [splat]").
        report = fixture("kcsan-wq-race.log")
        footer = [n for n, line in enumerate(report) if "Workqueue: splat_wq " in line]
        self.assertEqual(len(footer), 1)
        clean = fixture("clean.log")
        # The race made the kernel's (as CI's report of a race in
        # process_scheduled_works() reading the worker's runtime), with
        # the module's work in the footer: a finding, not a failure.
        kernels = [line.replace("splat_wq_racer+", "worker_thread_fn+")
                   .replace("splat_wq_racer [splat]", "worker_thread_fn")
                   .replace(" [splat]", "") for line in report]
        kernels[footer[0]] = report[footer[0]].replace("[splat]", "[io_uring_rs]")
        console = clean[:10] + kernels + clean[10:]
        self.assertEqual(chk.find_splats(console), [])
        self.assertEqual(len(chk.kcsan_findings(console)), 1)
        self.assertTrue(chk.judge(console, fixture("ktap-pass.log")).passed)
        # With the racing frames the module's, it fails the run.
        for ours in (
                [line.replace("[splat]", "[io_uring_rs]") for line in report],
                # a frame alone, the title and footer the kernel's
                [line.replace("splat_wq_racer+0x4f/0x80 [splat]",
                              "splat_wq_racer+0x4f/0x80 [io_uring_rs]", 1)
                 if n == 4 else kernels[n] for n, line in enumerate(report)]):
            console = clean[:10] + ours + clean[10:]
            self.assertEqual([k for _, k, _ in chk.find_splats(console)], ["kcsan"])
            self.assertFalse(chk.judge(console, fixture("ktap-pass.log")).passed)

    def test_an_unclosed_kcsan_report_does_not_hide_the_log(self):
        report = fixture("kcsan.log")[:-1]
        console = report + ["[    2.0] filler\n"] * chk.KCSAN_MAX_LINES + fixture("warn.log")
        self.assertIn("warning", [k for _, k, _ in chk.find_splats(console)])

    def test_splat_line_numbers_point_into_the_log(self):
        console = with_splat("kasan.log")
        for n, _, text in chk.find_splats(console):
            self.assertEqual(console[n - 1].rstrip("\n"), text)

    def test_other_report_lines(self):
        for line in [
            "[   12.1] INFO: task kworker/0:1:12 blocked for more than 30 seconds.",
            "[   12.1] rcu: INFO: rcu_preempt self-detected stall on CPU",
            "[   12.1] watchdog: BUG: soft lockup - CPU#0 stuck for 22s!",
            "[   12.1] Oops: general protection fault, probably for non-canonical address",
            "[   12.1] kernel BUG at mm/slub.c:123!",
            "[   12.1] ODEBUG: free active (active state 0) object: 0000 object type: work_struct",
            "[   12.1] list_add corruption. next->prev should be prev",
            "[   12.1] io_uring_rs: BUG: request 0x1 completed twice",
        ]:
            self.assertTrue(chk.find_splats([line]), line)


class KtapVerdict(unittest.TestCase):
    def ktap_with(self, old, new):
        return [line.replace(old, new) for line in fixture("ktap-pass.log")]

    def test_failing_nested_case_fails(self):
        ktap = self.ktap_with("# ok 3 kernel:", "# not ok 3 kernel:")
        v = chk.judge(fixture("clean.log"), ktap)
        self.assertFalse(v.passed)
        self.assertEqual([c.name for c in v.leaves if not c.ok],
                         ["kernel: uring_lock_serialises_submit"])

    def test_failing_program_fails_even_if_its_cases_passed(self):
        ktap = self.ktap_with("ok 1 selftests:", "not ok 1 selftests:")
        v = chk.judge(fixture("clean.log"), ktap)
        self.assertFalse(v.passed)

    def test_guest_that_never_finished_fails(self):
        ktap = [l for l in fixture("ktap-pass.log") if "done rc=" not in l]
        v = chk.judge(fixture("clean.log"), ktap)
        self.assertFalse(v.passed)
        self.assertIn("did not finish", " ".join(v.problems))

    def test_plan_mismatch_fails(self):
        ktap = self.ktap_with("# 1..4", "# 1..5")
        v = chk.judge(fixture("clean.log"), ktap)
        self.assertFalse(v.passed)

    def test_kmemleak_suspects_fail(self):
        ktap = self.ktap_with("suspects=0", "suspects=2")
        v = chk.judge(fixture("clean.log"), ktap)
        self.assertFalse(v.passed)

    def test_bail_out_fails(self):
        ktap = fixture("ktap-pass.log")
        ktap.insert(5, "# Bail out! io_uring_rs is already loaded\n")
        v = chk.judge(fixture("clean.log"), ktap)
        self.assertFalse(v.passed)

    def test_the_guest_must_report_its_cpus(self):
        two = self.ktap_with("kernel=6.12.117", "kernel=6.12.117 cpus=2")
        v = chk.judge(fixture("clean.log"), two, cpus=2)
        self.assertTrue(v.passed, v.problems)
        self.assertEqual(v.counts(), (4 + 4, 0, 0))
        one = self.ktap_with("kernel=6.12.117", "kernel=6.12.117 cpus=1")
        v = chk.judge(fixture("clean.log"), one, cpus=2)
        self.assertFalse(v.passed)
        self.assertIn("reported 1 CPU(s); QEMU gave it 2", " ".join(v.problems))
        self.assertEqual(v.counts(), (4 + 3, 1, 0))
        v = chk.judge(fixture("clean.log"), fixture("ktap-pass.log"), cpus=2)
        self.assertFalse(v.passed)
        self.assertIn("no CPU count", " ".join(v.problems))

    def test_empty_run_fails(self):
        v = chk.judge(fixture("clean.log"), [])
        self.assertFalse(v.passed)

    def test_skip_is_counted_and_passes(self):
        ktap = self.ktap_with("# ok 4 rmmod", "# ok 4 rmmod # SKIP not loaded")
        v = chk.judge(fixture("clean.log"), ktap)
        self.assertTrue(v.passed, v.problems)
        self.assertEqual(v.counts(), (3 + 3, 0, 1))

    def test_main_exit_status_and_counts_file(self):
        with tempfile.TemporaryDirectory() as d:
            console = os.path.join(d, "console.log")
            ktap = os.path.join(d, "ktap.log")
            counts = os.path.join(d, "counts")
            with open(console, "w") as f:
                f.writelines(with_splat("lockdep.log"))
            with open(ktap, "w") as f:
                f.writelines(fixture("ktap-pass.log"))
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                rc = chk.main(["--console", console, "--ktap", ktap, "--counts", counts])
            self.assertEqual(rc, 1)
            self.assertIn("splat (lockdep)", out.getvalue())
            with open(counts) as f:
                self.assertEqual(f.read().split(), ["6", "1", "0"])


if __name__ == "__main__":
    unittest.main()
