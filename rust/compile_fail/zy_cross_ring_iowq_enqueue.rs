// SPDX-License-Identifier: GPL-2.0

//! Class 4, spelling: queueing ring B's request as pending io-wq work of
//! ring A. A's worker would run it, and A's cancel fail it, under A's locks.
//! io-wq's lists are reached only through the io-wq guard's branded views
//! (`IoWqGuard::split`), which take only references of their ring's brand.
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
fn alloc<'id>(rb: Ring<'_, 'id>, cx: &mut TaskCtx) -> Result<ReqRef<'id>> {
    let tctx = IoUringTask::new_fallback(0)?;
    Req::alloc(
        &mut rb.lock_uring(cx),
        &Sqe::default(),
        &tctx,
        Err(EINVAL),
        None,
        0,
    )
}

#[cfg(bug)]
pub(crate) fn enqueue(a: &Arc<IoRingCtx>, b: &Arc<IoRingCtx>, cx: &mut TaskCtx) -> Result {
    Ring::open(a, |ra| {
        Ring::open(b, |rb| {
            let req_b = alloc(rb, cx)?;
            let mut w = ra.lock_iowq(cx);
            let (mut lists, _) = w.split();
            let _ = lists.pending[0].push_back(req_b);
            Ok(())
        })
    })
}

#[cfg(not(bug))]
pub(crate) fn enqueue(a: &Arc<IoRingCtx>, b: &Arc<IoRingCtx>, cx: &mut TaskCtx) -> Result {
    Ring::open(a, |_ra| {
        Ring::open(b, |rb| {
            let req_b = alloc(rb, cx)?;
            let mut w = rb.lock_iowq(cx);
            let (mut lists, _) = w.split();
            let _ = lists.pending[0].push_back(req_b);
            Ok(())
        })
    })
}
