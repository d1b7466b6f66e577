#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Judge one io_uring_rs VM run from its two serial logs.

The console log (ttyS0) carries the whole kernel log and is scanned for
splats: lockdep, KASAN, kmemleak, BUG, WARNING, Oops, hung tasks, RCU stalls,
and KCSAN reports with a frame of the module (one without is listed as a
finding about the kernel's own code, not a failure).
The KTAP log (ttyS1) carries only what the guest's init wrote: the kselftest
KTAP stream and the ``io_uring_rs-guest:`` status lines. The run passes only
if the guest finished, every KTAP case passed and the kernel log is clean.
"""

import argparse
import re
import sys

# Each entry: (kind, pattern). A line of the console log that matches any of
# them fails the run. Kernel log lines carry a "[    1.234567] " timestamp;
# the patterns are searched anywhere in the line.
SPLAT_PATTERNS = [
    ("lockdep", re.compile(r"WARNING: possible (circular|recursive) locking")),
    ("lockdep", re.compile(r"WARNING: inconsistent lock state")),
    ("lockdep", re.compile(r"WARNING: (suspicious RCU usage|lock held when returning)")),
    ("lockdep", re.compile(r"(WARNING|BUG): .*lock.*(detected|held|freed)")),
    ("lockdep", re.compile(r"INFO: possible (irq lock inversion|circular)")),
    ("kasan", re.compile(r"BUG: KASAN: ")),
    ("kmemleak", re.compile(r"kmemleak: \d+ new suspected memory leaks")),
    ("kmemleak", re.compile(r"(^|\] )unreferenced object 0x")),
    ("atomic-sleep", re.compile(r"BUG: sleeping function called from invalid context")),
    ("atomic-sleep", re.compile(r"BUG: scheduling while atomic")),
    ("debugobjects", re.compile(r"ODEBUG: ")),
    ("list", re.compile(r"list_(add|del) corruption")),
    ("hung-task", re.compile(r"INFO: task .* blocked for more than \d+ seconds")),
    ("rcu-stall", re.compile(r"rcu: INFO: rcu_\w+ (self-)?detected stall")),
    ("rcu-stall", re.compile(r"rcu_\w+ detected stalls? on CPU")),
    ("soft-lockup", re.compile(r"watchdog: BUG: soft lockup")),
    ("oops", re.compile(r"Oops: |general protection fault|Kernel panic - not syncing")),
    ("bug", re.compile(r"(kernel )?BUG: |kernel BUG at ")),
    ("warning", re.compile(r"WARNING: CPU: \d+ PID: \d+ at ")),
    ("warning", re.compile(r"-+\[ cut here \]-+")),
    ("ubsan", re.compile(r"UBSAN: ")),
    ("call-trace", re.compile(r"Call Trace:")),
]

GUEST = "io_uring_rs-guest: "
RESULT = re.compile(r"^(ok|not ok) (\d+)(?: (?:- )?([^#]*?))?\s*(?:#\s*(.*))?$")
PLAN = re.compile(r"^1\.\.(\d+)")


# A KCSAN report: from its "BUG: KCSAN:" line to the line of "=" that
# closes it. One with a function of the module in its title or in a frame
# of one of its stacks ("  foo+0x12/0x40 [io_uring_rs]") fails the run;
# one without is a finding about the kernel's own code (the data race
# kernel runs the real io_uring beside the module), listed but not a
# failure (Documentation/testing.rst, "The data-race run"). The footer's
# "Workqueue: <queue> <function> [io_uring_rs]" names the work the
# reporting worker runs, not a frame of the race: a race in the workqueue
# code around one of the module's work items is the kernel's.
KCSAN_START = re.compile(r"BUG: KCSAN: ")
KCSAN_END = re.compile(r"(^|\] )={40,}\s*$")
MODULE = r" \[io_uring_rs\]$"
MODULE_FRAME = re.compile(
    r"^(\[[ 0-9.]*\] )?( \S+\+0x[0-9a-f]+/0x[0-9a-f]+|  \+-> reordered to: \S+)" + MODULE)
MODULE_IN_TITLE = re.compile(r"BUG: KCSAN: .*\[io_uring_rs\]")
# The longest report KCSAN prints (two stacks of 64 frames, the locks).
KCSAN_MAX_LINES = 200


def kcsan_reports(lines):
    """Return (first line number, last line number, title, in_module) for
    every KCSAN report in ``lines``."""
    reports = []
    start = None
    for n, line in enumerate(lines, 1):
        text = line.rstrip("\r\n")
        m = KCSAN_START.search(text)
        if m:
            # A report cut short by the next one ends before it.
            if start is not None:
                reports.append((start, n - 1, title, in_module))
            start, title = n, text[m.start():]
            in_module = bool(MODULE_IN_TITLE.search(text))
            continue
        if start is None:
            continue
        in_module = in_module or bool(MODULE_FRAME.search(text))
        # A report whose closing line never came (a cut log) ends after
        # KCSAN_MAX_LINES, so that it cannot hide the rest of the log.
        if KCSAN_END.search(text) or n - start >= KCSAN_MAX_LINES:
            reports.append((start, n, title, in_module))
            start = None
    if start is not None:
        reports.append((start, len(lines), title, in_module))
    return reports


def kcsan_findings(lines):
    """Return (line number, title) of every KCSAN report outside the module."""
    return [(a, title) for a, _, title, mod in kcsan_reports(lines) if not mod]


def find_splats(lines):
    """Return (line number, kind, text) for every splat line in ``lines``."""
    found = []
    findings = set()
    for a, b, _, in_module in kcsan_reports(lines):
        if in_module:
            found.append((a, "kcsan", lines[a - 1].rstrip("\r\n")))
        findings.update(range(a, b + 1))
    for n, line in enumerate(lines, 1):
        if n in findings:
            continue
        text = line.rstrip("\r\n")
        for kind, pattern in SPLAT_PATTERNS:
            if pattern.search(text):
                found.append((n, kind, text))
                break
    return sorted(found)


class Case:
    """One KTAP result line."""

    def __init__(self, ok, num, name, directive):
        self.ok = ok
        self.num = num
        self.name = (name or "").strip()
        self.directive = (directive or "").strip()
        self.children = []
        self.plan = None

    @property
    def skipped(self):
        return self.directive.upper().startswith("SKIP")

    def leaves(self):
        """The cases that count: nested ones if any, else this one."""
        if not self.children:
            return [self]
        out = []
        for child in self.children:
            out.extend(child.leaves())
        # A test whose own line says "not ok" fails even if every child it
        # printed passed (it may have crashed before printing the rest).
        if not self.ok and all(c.ok for c in out):
            out.append(self)
        return out


def parse_ktap(lines):
    """Parse a KTAP/TAP stream with kselftest's "# "-prefixed nesting.

    Returns (plan, top-level cases, bail-out seen). The output a kselftest
    program prints is prefixed with "# " by runner.sh and precedes the
    program's own result line; it becomes that case's children.
    """
    plan = None
    cases = []
    pending = []
    bail = False
    for line in lines:
        text = line.rstrip("\r\n")
        if text.startswith("Bail out!"):
            bail = True
            continue
        if text.startswith("# ") or text == "#":
            pending.append(text[2:])
            continue
        m = PLAN.match(text)
        if m and plan is None:
            plan = int(m.group(1))
            continue
        m = RESULT.match(text)
        if m:
            case = Case(m.group(1) == "ok", int(m.group(2)), m.group(3), m.group(4))
            if pending:
                case.plan, case.children, inner_bail = parse_ktap(pending)
                if inner_bail:
                    case.ok = False
            pending = []
            cases.append(case)
    return plan, cases, bail


class Verdict:
    """The judgement of one run: cases, problems, counts."""

    def __init__(self):
        self.leaves = []
        self.problems = []
        self.splats = []
        self.kcsan_findings = []
        self.finished = False
        self.guest_rc = None
        self.leaks = None
        self.kmemleak_required = True
        # The CPUs QEMU gave the guest (None: not checked), and those the
        # guest reported it brought up.
        self.cpus_expected = None
        self.cpus = None

    @property
    def passed(self):
        return not self.problems and not self.splats and all(c.ok for c in self.leaves)

    def counts(self):
        """(passed, failed, skipped) over the KTAP leaves plus the log checks."""
        p = sum(1 for c in self.leaves if c.ok and not c.skipped)
        s = sum(1 for c in self.leaves if c.skipped)
        f = sum(1 for c in self.leaves if not c.ok)
        # The checks of the run itself count as cases too.
        leak_ok = self.leaks == 0 or (self.leaks is None and not self.kmemleak_required)
        checks = [self.finished, not self.splats, leak_ok]
        if self.cpus_expected is not None:
            checks.append(self.cpus == self.cpus_expected)
        for ok in checks:
            if ok:
                p += 1
            else:
                f += 1
        return p, f, s


def judge(console_lines, ktap_lines, require_ktap=True, require_kmemleak=True, cpus=None):
    """Judge a run from the console and KTAP logs; with `cpus`, the guest
    must report that many CPUs brought up."""
    v = Verdict()
    v.kmemleak_required = require_kmemleak
    v.cpus_expected = cpus
    v.splats = find_splats(console_lines)
    v.kcsan_findings = kcsan_findings(console_lines)
    body = []
    for line in ktap_lines:
        text = line.rstrip("\r\n")
        if text.startswith(GUEST):
            status = text[len(GUEST):]
            m = re.match(r"done rc=(\d+)", status)
            if m:
                v.finished = True
                v.guest_rc = int(m.group(1))
            m = re.match(r"kmemleak suspects=(\d+)", status)
            if m:
                v.leaks = int(m.group(1))
            m = re.match(r"start .* cpus=(\d+)", status)
            if m:
                v.cpus = int(m.group(1))
            continue
        body.append(text)
    if not v.finished:
        v.problems.append("the guest did not finish (hang, panic or timeout)")
    if cpus is not None and v.cpus != cpus:
        seen = "no CPU count" if v.cpus is None else f"{v.cpus} CPU(s)"
        v.problems.append(f"the guest reported {seen}; QEMU gave it {cpus}")
    if v.leaks is None and require_kmemleak:
        v.problems.append("no kmemleak scan result")
    elif v.leaks:
        v.problems.append(f"kmemleak reported {v.leaks} suspected leak(s)")
    if not require_ktap:
        if v.guest_rc not in (None, 0):
            v.problems.append(f"the guest's program exited with {v.guest_rc}")
        return v
    plan, cases, bail = parse_ktap(body)
    if bail:
        v.problems.append("KTAP: Bail out!")
    if plan is None:
        v.problems.append("KTAP: no test plan")
    elif plan != len(cases):
        v.problems.append(f"KTAP: plan 1..{plan} but {len(cases)} result(s)")
    for case in cases:
        if case.children and case.plan is not None and case.plan != len(case.children):
            v.problems.append(f"KTAP: '{case.name}' planned {case.plan}, ran {len(case.children)}")
        v.leaves.extend(case.leaves())
    if not any(c.ok and not c.skipped for c in v.leaves):
        v.problems.append("KTAP: no test case passed (nothing ran?)")
    return v


def report(v, console_path, out=None):
    """Print a human-readable account of the verdict."""
    out = out or sys.stdout
    for c in v.leaves:
        status = "SKIP" if c.skipped else ("ok" if c.ok else "FAIL")
        print(f"  {status:4} {c.name}", file=out)
    for n, kind, text in v.splats[:20]:
        print(f"  splat ({kind}) {console_path}:{n}: {text}", file=out)
    if len(v.splats) > 20:
        print(f"  ... {len(v.splats) - 20} more splat line(s)", file=out)
    for n, title in v.kcsan_findings:
        print(f"  kcsan finding outside the module (not a failure) {console_path}:{n}: {title}",
              file=out)
    for problem in v.problems:
        print(f"  problem: {problem}", file=out)
    p, f, s = v.counts()
    word = "PASS" if v.passed else "FAIL"
    print(f"vm: {word}: {p} passed, {f} failed, {s} skipped; "
          f"{len(v.splats)} splat line(s); log: {console_path}", file=out)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--console", required=True, help="ttyS0 log (kernel console)")
    ap.add_argument("--ktap", required=True, help="ttyS1 log (KTAP and status)")
    ap.add_argument("--counts", help="write 'passed failed skipped' here")
    ap.add_argument("--no-ktap", action="store_true",
                    help="the guest ran the demo, not a KTAP suite")
    ap.add_argument("--no-kmemleak", action="store_true",
                    help="the kernel has no kmemleak (the timing kernel)")
    ap.add_argument("--cpus", type=int,
                    help="the CPUs QEMU gave the guest, which it must report")
    args = ap.parse_args(argv)
    with open(args.console, errors="replace") as f:
        console = f.readlines()
    try:
        with open(args.ktap, errors="replace") as f:
            ktap = f.readlines()
    except FileNotFoundError:
        ktap = []
    v = judge(console, ktap, require_ktap=not args.no_ktap,
              require_kmemleak=not args.no_kmemleak, cpus=args.cpus)
    report(v, args.console)
    if args.counts:
        with open(args.counts, "w") as f:
            f.write("%d %d %d\n" % v.counts())
    return 0 if v.passed else 1


if __name__ == "__main__":
    sys.exit(main())
