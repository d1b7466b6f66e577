// SPDX-License-Identifier: GPL-2.0

//! Class 1, spelling of the allocation counter: a request allocated without
//! `uring_lock`. The ring's sequence counter, which counts allocations, is
//! written with a load and a store, not an atomic increment, so only one
//! writer may exist: `Req::alloc` takes the ring's `UringGuard` as the
//! proof, and the ring and task context alone are not one.
// kbuild
// expect-error: error[E0308]: mismatched types
// expect-error: expected `&mut UringGuard<'_, '_>`, found `Ring<'_, '_>`

use crate::glue::context::TaskCtx;
use crate::glue::tctx::IoUringTask;
use crate::uring::model::req::Req;
use crate::uring::model::ring::Ring;
use crate::uring::model::sqe::Sqe;
use kernel::prelude::*;

/// The violation: allocate with the ring alone, as before the counter.
#[cfg(bug)]
pub(crate) fn alloc(r: Ring<'_, '_>, cx: &mut TaskCtx) -> Result {
    let tctx = IoUringTask::new_fallback(0)?;
    let req = Req::alloc(r, &Sqe::default(), &tctx, Err(EINVAL), None, 0)?;
    drop(req.put());
    let _ = cx;
    Ok(())
}

/// The honest shape: allocate under the ring's `uring_lock`.
#[cfg(not(bug))]
pub(crate) fn alloc(r: Ring<'_, '_>, cx: &mut TaskCtx) -> Result {
    let tctx = IoUringTask::new_fallback(0)?;
    let req = Req::alloc(
        &mut r.lock_uring(cx),
        &Sqe::default(),
        &tctx,
        Err(EINVAL),
        None,
        0,
    )?;
    drop(req.put());
    Ok(())
}
