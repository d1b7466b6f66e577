// SPDX-License-Identifier: GPL-2.0

//! KTAP output for the in-kernel self-test (`Documentation/dev-tools/ktap.rst`).
//!
//! Every line goes to the kernel log through `pr_info!`, so it carries the
//! `io_uring_rs: ` prefix; `selftests/io_uring_rs_module.sh` strips it.
#![deny(unsafe_code)]

use kernel::prelude::*;

/// Counts of a finished KTAP run.
pub(crate) struct Report {
    /// Cases that printed `ok`.
    pub(crate) passed: u32,
    /// Cases that printed `not ok`.
    pub(crate) failed: u32,
}

/// A KTAP version 1 test plan being printed, one result line per case.
pub(crate) struct Ktap {
    next: u32,
    report: Report,
}

impl Ktap {
    /// Prints the version line and the plan for `cases` cases.
    pub(crate) fn new(cases: u32) -> Self {
        pr_info!("KTAP version 1\n");
        pr_info!("1..{}\n", cases);
        Ktap {
            next: 1,
            report: Report {
                passed: 0,
                failed: 0,
            },
        }
    }

    /// Runs one case and prints its result line; an `Err` carries the reason,
    /// printed as a diagnostic line before `not ok`.
    pub(crate) fn case(
        &mut self,
        name: &str,
        f: impl FnOnce() -> core::result::Result<(), &'static str>,
    ) {
        let n = self.next;
        self.next += 1;
        match f() {
            Ok(()) => {
                self.report.passed += 1;
                pr_info!("ok {} {}\n", n, name);
            }
            Err(why) => {
                self.report.failed += 1;
                pr_info!("# {}: {}\n", name, why);
                pr_info!("not ok {} {}\n", n, name);
            }
        }
    }

    /// Ends the run and returns its counts.
    pub(crate) fn finish(self) -> Report {
        self.report
    }
}
