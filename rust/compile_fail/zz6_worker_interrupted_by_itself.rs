// SPDX-License-Identifier: GPL-2.0

//! Attack on io-wq's cancel of running work, from the other side of
//! `zz5_`: a thread of the core interrupting itself (or any thread whose
//! task it holds) without a cancel marking its work. The worker clears the
//! interruption only after marked work, so its later waits would end at
//! once. Interrupting takes a proof that only the model's running work
//! makes, after marking.
// kbuild
// expect-error: error[E0423]: cannot initialize a tuple struct which contains private fields

use crate::glue::kthread::ThreadCtx;
use crate::uring::model::ring::InterruptProof;

/// The violation: a worker thread interrupts itself.
#[cfg(bug)]
pub(crate) fn interrupt_self(tcx: &mut ThreadCtx) {
    if let Some(task) = tcx.current_task() {
        task.notify_signal(&InterruptProof(()));
    }
}

/// The honest shape: the thread's task is only handed to io-wq.
#[cfg(not(bug))]
pub(crate) fn interrupt_self(tcx: &mut ThreadCtx) {
    drop(tcx.current_task());
}
