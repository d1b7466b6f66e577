// SPDX-License-Identifier: GPL-2.0

//! Class 4, spelling found by the second attack review: re-branding. A
//! request of ring B is opened again (`ReqArc::open` on its `Arc`) inside
//! ring A's activation, hoping the fresh brand can meet ring A's guard. The
//! brand `ReqArc::open` makes is fresh and universally quantified: it is
//! neither A's nor B's, and ring A's guard cannot enter its closure as
//! a guard of that brand.
// kbuild
// expect-error: error[E0521]: borrowed data escapes outside of closure

use crate::uring::model::req::{ReqArc, ReqRef, ReqView};
use crate::uring::model::ring::UringGuard;

/// The violation: ring B's link taken under ring A's locks.
#[cfg(bug)]
pub(crate) fn steal<'a, 'b>(ga: &mut UringGuard<'_, 'a>, req_b: &ReqRef<'b>) -> bool {
    ReqArc::open(req_b.arc().clone(), |_ring, rb| {
        rb.take_link(&mut ga.lock_both().chain_write()).is_some()
    })
}

/// The honest shape: the re-opened request under its own ring's guard.
#[cfg(not(bug))]
pub(crate) fn steal<'b>(cx: &mut crate::glue::context::TaskCtx, req_b: &ReqRef<'b>) -> bool {
    ReqArc::open(req_b.arc().clone(), |ring, rb| {
        let mut g = ring.lock_uring(cx);
        let next = rb.take_link(&mut g.lock_both().chain_write());
        let stolen = next.is_some();
        if let Some(next) = next {
            drop(next.park());
        }
        stolen
    })
}
