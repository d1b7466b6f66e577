// SPDX-License-Identifier: GPL-2.0

//! In-kernel self-test, run at module load and reported as KTAP.

use crate::ktap::{Ktap, Report};
use crate::ring::IoRingCtx;

/// Runs every self-test case against `ring`.
pub(crate) fn run(ring: &IoRingCtx) -> Report {
    let mut t = Ktap::new(1);
    t.case("uring_lock_serialises_submit", || {
        let before = ring.submitted();
        let after = ring.submit(3);
        if after != before + 3 || ring.submitted() != after {
            return Err("submission count lost an update");
        }
        Ok(())
    });
    t.finish()
}
