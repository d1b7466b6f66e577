// SPDX-License-Identifier: GPL-2.0

//! Class 4, spelling: inserting ring B's request into ring A's cancelable
//! list: A's cancel path would then complete it under A's locks. A list view
//! carries its ring's brand, and takes only references of that brand.
// kbuild
// expect-error: error[E0521]: borrowed data escapes outside of closure
// expect-error: the struct `Ring<'r, 'id>` is invariant over the parameter `'id`

use crate::glue::context::TaskCtx;
use crate::glue::tctx::IoUringTask;
use crate::uring::model::req::{Req, ReqRef};
use crate::uring::model::ring::{IoRingCtx, Ring};
use crate::uring::model::sqe::Sqe;
use kernel::prelude::*;
use kernel::sync::Arc;

/// A request of ring `rb`, to attack with ring `ra`'s locks.
fn alloc<'id>(
    rb: Ring<'_, 'id>,
    cx: &mut TaskCtx,
    link: Option<ReqRef<'id>>,
) -> Result<ReqRef<'id>> {
    let tctx = IoUringTask::new_fallback(0)?;
    Req::alloc(
        &mut rb.lock_uring(cx),
        &Sqe::default(),
        &tctx,
        Err(EINVAL),
        link,
        0,
    )
}
use crate::uring::model::req::ReqSlot;

/// The violation: B's request in A's list.
#[cfg(bug)]
pub(crate) fn insert(a: &Arc<IoRingCtx>, b: &Arc<IoRingCtx>, cx: &mut TaskCtx) -> Result {
    Ring::open(a, |ra| {
        Ring::open(b, |rb| {
            let req_b = alloc(rb, cx, None)?;
            let slot = ReqSlot::new(cx)?;
            ra.lock_uring(cx)
                .cancelable()
                .insert(slot, req_b.seq(), req_b);
            Ok(())
        })
    })
}

/// The honest shape: B's request in B's list.
#[cfg(not(bug))]
pub(crate) fn insert(a: &Arc<IoRingCtx>, b: &Arc<IoRingCtx>, cx: &mut TaskCtx) -> Result {
    Ring::open(a, |_ra| {
        Ring::open(b, |rb| {
            let req_b = alloc(rb, cx, None)?;
            let slot = ReqSlot::new(cx)?;
            rb.lock_uring(cx)
                .cancelable()
                .insert(slot, req_b.seq(), req_b);
            Ok(())
        })
    })
}
