// SPDX-License-Identifier: GPL-2.0

//! Marking ring B's request completed under ring A's `completion_lock`:
//! the mark is a load and a store, exact only under the request's own
//! ring's lock, so the guard and the request must carry the same brand.

// expect-error: error[E0521]: borrowed data escapes outside of closure
// expect-error: the struct `Ring<'r, 'id>` is invariant over the parameter `'id`

use crate::glue::context::TaskCtx;
use crate::glue::tctx::IoUringTask;
use crate::uring::model::req::{Req, ReqRef, ReqView};
use crate::uring::model::ring::{IoRingCtx, Ring};
use crate::uring::model::sqe::Sqe;
use kernel::prelude::*;
use kernel::sync::Arc;

/// A request of ring `rb`, to attack with ring `ra`'s lock.
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

/// The violation (`bug`): B's request marked under A's
/// `completion_lock`; the honest shape takes B's.
pub(crate) fn mark(a: &Arc<IoRingCtx>, b: &Arc<IoRingCtx>, cx: &mut TaskCtx) -> Result<bool> {
    Ring::open(a, |ra| {
        Ring::open(b, |rb| {
            let req_b = alloc(rb, cx)?;
            #[cfg(bug)]
            let mut g = ra.lock_uring(cx);
            #[cfg(not(bug))]
            let (_, mut g) = (ra, rb.lock_uring(cx));
            let marked = req_b.mark_completed(&g.lock_completion());
            Ok(marked)
        })
    })
}
