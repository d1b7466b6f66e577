// SPDX-License-Identifier: GPL-2.0

//! Class 4, spelling found by the second attack review: ring B's request
//! completed through `io_req_complete_post()` on ring A (io-wq's path, which
//! takes the ring and the task context rather than a guard). The ring and
//! the request must have one brand.
// kbuild
// expect-error: error[E0521]: borrowed data escapes outside of closure

use crate::glue::context::TaskCtx;
use crate::glue::tctx::IoUringTask;
use crate::uring::lifecycle::complete::io_req_complete_post;
use crate::uring::model::req::{Req, ReqRef};
use crate::uring::model::ring::{IoRingCtx, Ring};
use crate::uring::model::sqe::Sqe;
use kernel::prelude::*;
use kernel::sync::Arc;

/// A request of ring `r`.
fn alloc<'id>(r: Ring<'_, 'id>, cx: &mut TaskCtx) -> Result<ReqRef<'id>> {
    let tctx = IoUringTask::new_fallback(0)?;
    Req::alloc(
        &mut r.lock_uring(cx),
        &Sqe::default(),
        &tctx,
        Err(EINVAL),
        None,
        0,
    )
}

/// The violation: post B's completion on A.
#[cfg(bug)]
pub(crate) fn post(a: &Arc<IoRingCtx>, b: &Arc<IoRingCtx>, cx: &mut TaskCtx) -> Result {
    Ring::open(a, |ra| {
        Ring::open(b, |rb| {
            let req_b = alloc(rb, cx)?;
            io_req_complete_post(req_b, ra, cx);
            Ok(())
        })
    })
}

/// The honest shape: B's request completes on B.
#[cfg(not(bug))]
pub(crate) fn post(b: &Arc<IoRingCtx>, cx: &mut TaskCtx) -> Result {
    Ring::open(b, |rb| {
        let req_b = alloc(rb, cx)?;
        io_req_complete_post(req_b, rb, cx);
        Ok(())
    })
}
