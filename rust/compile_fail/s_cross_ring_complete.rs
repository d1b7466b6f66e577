// SPDX-License-Identifier: GPL-2.0

//! Class 4, spelling: completing ring B's request with ring A's uring guard
//! (`io_req_complete` posts to A's CQ and advances B's chain under A's
//! locks). The guard and the request must carry the same brand.
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
use crate::uring::lifecycle::complete::io_req_complete;

/// The violation: B's request completed under A's lock.
#[cfg(bug)]
pub(crate) fn complete(a: &Arc<IoRingCtx>, b: &Arc<IoRingCtx>, cx: &mut TaskCtx) -> Result {
    Ring::open(a, |ra| {
        Ring::open(b, |rb| {
            let req_b = alloc(rb, cx, None)?;
            io_req_complete(req_b, &mut ra.lock_uring(cx));
            Ok(())
        })
    })
}

/// The honest shape: B's request under B's lock.
#[cfg(not(bug))]
pub(crate) fn complete(a: &Arc<IoRingCtx>, b: &Arc<IoRingCtx>, cx: &mut TaskCtx) -> Result {
    Ring::open(a, |_ra| {
        Ring::open(b, |rb| {
            let req_b = alloc(rb, cx, None)?;
            io_req_complete(req_b, &mut rb.lock_uring(cx));
            Ok(())
        })
    })
}
