// SPDX-License-Identifier: GPL-2.0

//! Class 1, spelling found by the attack review: the model's allocations
//! (`ReqSlot::new`, `Req::alloc`, `Channel::create`, `IoRingCtx::create`)
//! may sleep. They take the task context as evidence, shared: a timer's
//! `AtomicCtx` is not one. (`zj_` has the same under a spinlock.)
// kbuild
// expect-error: error[E0308]: mismatched types
// expect-error: expected `&TaskCtx`, found `&AtomicCtx`

use crate::glue::context::AtomicCtx;
#[cfg(not(bug))]
use crate::glue::context::TaskCtx;
use crate::uring::model::req::ReqSlot;
#[cfg(not(bug))]
use crate::uring::model::ring::Ring;
use kernel::prelude::*;

/// The violation: allocate in a timer.
#[cfg(bug)]
pub(crate) fn slots(timer_cx: &AtomicCtx) -> Result {
    drop(ReqSlot::new(timer_cx)?);
    Ok(())
}

/// The honest shape: allocate first, then lock.
#[cfg(not(bug))]
pub(crate) fn slots(ring: Ring<'_, '_>, cx: &mut TaskCtx) -> Result {
    let mut g = ring.lock_uring(cx);
    let slot = ReqSlot::new(g.task())?;
    let t = g.lock_timeout();
    drop(t);
    drop(slot);
    Ok(())
}
