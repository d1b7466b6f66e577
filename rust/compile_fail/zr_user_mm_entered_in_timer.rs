// SPDX-License-Identifier: GPL-2.0

//! Class 1, spelling found by the review of the file paths: a timer
//! callback borrows a request's address space (`kthread_use_mm()`, which
//! takes `task_lock()` and may switch page tables) to reach its buffers.
//! Entering an address space is the glue's alone (`UserMm::enter` is
//! `pub(in crate::glue)`, and takes the process context's `TaskCtx`): the
//! core cannot call it, from a timer or anywhere else.
// kbuild
// expect-error: error[E0624]: method `enter` is private

use crate::glue::context::AtomicCtx;
use crate::uring::model::sqe::FileRw;

/// The violation: the timer enters the submitter's address space.
#[cfg(bug)]
pub(crate) fn timer_cb(rw: &FileRw, cx: AtomicCtx) -> bool {
    rw.mm.enter(&cx).is_ok()
}

/// The honest shape: the timer touches no user memory; the read it times
/// is retried from task work or io-wq, which have a `TaskCtx`.
#[cfg(not(bug))]
pub(crate) fn timer_cb(rw: &FileRw, cx: AtomicCtx) -> bool {
    drop(cx);
    rw.io().iov.is_empty()
}
