// SPDX-License-Identifier: GPL-2.0

//! Class 4, spelling: two rings opened nested, then ring B's request's link
//! read under ring A's `uring_lock`: ring A's chain proof carries A's
//! brand, the request view B's, and brands are generative.
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

/// The violation: B's chain walked under A's lock.
#[cfg(bug)]
pub(crate) fn next(a: &Arc<IoRingCtx>, b: &Arc<IoRingCtx>, cx: &mut TaskCtx) -> Result<bool> {
    Ring::open(a, |ra| {
        Ring::open(b, |rb| {
            let req_b = alloc(rb, cx, None)?;
            let g = ra.lock_uring(cx);
            let linked = req_b.pin().link(&g.chain_read()).is_some();
            drop(g);
            drop(req_b.put());
            Ok(linked)
        })
    })
}

/// The honest shape: B's chain under B's lock.
#[cfg(not(bug))]
pub(crate) fn next(a: &Arc<IoRingCtx>, b: &Arc<IoRingCtx>, cx: &mut TaskCtx) -> Result<bool> {
    Ring::open(a, |_ra| {
        Ring::open(b, |rb| {
            let req_b = alloc(rb, cx, None)?;
            let g = rb.lock_uring(cx);
            let linked = req_b.pin().link(&g.chain_read()).is_some();
            drop(g);
            drop(req_b.put());
            Ok(linked)
        })
    })
}
