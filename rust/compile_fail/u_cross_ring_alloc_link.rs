// SPDX-License-Identifier: GPL-2.0

//! Class 4, spelling: linking a request of ring A, at allocation, to a
//! request of ring B: the chain would then cross rings, and ring A's locks
//! would walk and splice ring B's request. `Req::alloc` takes a link of
//! the ring's own brand.
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

/// The violation: A's request linked to B's.
#[cfg(bug)]
pub(crate) fn link(a: &Arc<IoRingCtx>, b: &Arc<IoRingCtx>, cx: &mut TaskCtx) -> Result {
    Ring::open(a, |ra| {
        Ring::open(b, |rb| {
            let req_b = alloc(rb, cx, None)?;
            let req_a = alloc(ra, cx, Some(req_b))?;
            drop(req_a.put());
            Ok(())
        })
    })
}

/// The honest shape: a chain within one ring.
#[cfg(not(bug))]
pub(crate) fn link(a: &Arc<IoRingCtx>, b: &Arc<IoRingCtx>, cx: &mut TaskCtx) -> Result {
    Ring::open(a, |_ra| {
        Ring::open(b, |rb| {
            let next = alloc(rb, cx, None)?;
            let head = alloc(rb, cx, Some(next))?;
            drop(head.put());
            Ok(())
        })
    })
}
