// SPDX-License-Identifier: GPL-2.0

//! Class 1, spelling found by the second attack review: an io-wq cancel
//! match callback (atomic context, under the io-wq spinlock) allocates a
//! list node with the task evidence its caller's uring guard lends
//! (`UringGuard::task`), captured by the closure. The io-wq guard borrows
//! the uring guard mutably, so the shared borrow cannot live across it;
//! and the callback's own context is an `AtomicCtx`.
// kbuild
// expect-error: error[E0502]: cannot borrow `*g` as mutable because it is also borrowed as immutable

use crate::uring::lifecycle::iowq::io_wq_cancel_cb;
use crate::uring::model::req::ReqSlot;
use crate::uring::model::ring::UringGuard;

/// The violation: a sleeping allocation under the io-wq spinlock.
#[cfg(bug)]
pub(crate) fn cancel(g: &mut UringGuard<'_, '_>) -> bool {
    let task = g.task();
    let found = io_wq_cancel_cb(&mut g.lock_iowq(), |_r, _actx| ReqSlot::new(task).is_ok());
    found.1.is_some()
}

/// The honest shape: allocate before the spinlock.
#[cfg(not(bug))]
pub(crate) fn cancel(g: &mut UringGuard<'_, '_>) -> bool {
    let slot = ReqSlot::new(g.task()).ok();
    let found = io_wq_cancel_cb(&mut g.lock_iowq(), |_r, _actx| slot.is_some());
    found.1.is_some()
}
