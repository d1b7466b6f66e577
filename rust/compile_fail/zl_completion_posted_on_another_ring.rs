// SPDX-License-Identifier: GPL-2.0

//! Class 4, spelling found by the second attack review: ring B's request's
//! completion filled into ring A's completion queue (leaking its user_data
//! and result to another ring's owner). The CQE filler is private to the
//! completion path (and takes the request's and the guard's brand); `zm_`
//! posts through the public path.
// kbuild
// expect-error: error[E0603]: function `io_fill_cqe_req` is private

use crate::glue::context::TaskCtx;
use crate::glue::tctx::IoUringTask;
#[cfg(bug)]
use crate::uring::lifecycle::complete::io_fill_cqe_req;
#[cfg(not(bug))]
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
            io_fill_cqe_req(&mut ra.lock_uring(cx).lock_completion(), &req_b);
            drop(req_b.park());
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
