// SPDX-License-Identifier: GPL-2.0

//! Class 1, spelling found by the attack review: a sleeping allocation
//! under `timeout_lock`, an IRQ-safe spinlock. A `UringGuard` lends its
//! task context as allocation evidence (`UringGuard::task`) only while no
//! spinlock guard made from it lives.
// kbuild
// expect-error: error[E0502]: cannot borrow `g` as immutable because it is also borrowed as mutable

use crate::glue::context::TaskCtx;
use crate::uring::model::req::ReqSlot;
use crate::uring::model::ring::Ring;
use kernel::prelude::*;

/// The violation: allocate holding `timeout_lock`.
#[cfg(bug)]
pub(crate) fn slot(ring: Ring<'_, '_>, cx: &mut TaskCtx) -> Result {
    let mut g = ring.lock_uring(cx);
    let t = g.lock_timeout();
    let slot = ReqSlot::new(g.task())?;
    drop(t);
    drop(slot);
    Ok(())
}

/// The honest shape: allocate first, then lock.
#[cfg(not(bug))]
pub(crate) fn slot(ring: Ring<'_, '_>, cx: &mut TaskCtx) -> Result {
    let mut g = ring.lock_uring(cx);
    let slot = ReqSlot::new(g.task())?;
    let t = g.lock_timeout();
    drop(t);
    drop(slot);
    Ok(())
}
