// SPDX-License-Identifier: GPL-2.0

//! Class 3, spelling found by the attack review: the lock-state markers of
//! `glue/chain.rs` can be implemented by any type, and `Brand::open` is
//! callable anywhere, so a `ChainWrite` can be made with no lock held. It
//! carries a fresh brand, which no request of a real ring has: it cannot
//! take a real request's link.
// kbuild
// expect-error: error[E0521]: borrowed data escapes outside of closure

use crate::glue::brand::Brand;
use crate::glue::chain::{ChainWrite, TimeoutLockState, UringLockState};
use crate::glue::context::TaskCtx;
use crate::uring::model::req::{ReqRef, ReqView};
use crate::uring::model::ring::Ring;

struct Fake;
impl UringLockState for Fake {}
impl TimeoutLockState for Fake {}

/// The violation: empty a request's link holding no lock.
#[cfg(bug)]
pub(crate) fn unlink<'id>(req: &ReqRef<'id>) -> bool {
    Brand::open(|brand| {
        let (mut u, mut t) = (Fake, Fake);
        let mut w = ChainWrite::of_both(&mut u, &mut t, brand);
        req.take_link(&mut w).is_some()
    })
}

/// The honest shape: both chain locks of the request's own ring.
#[cfg(not(bug))]
pub(crate) fn unlink<'id>(ring: Ring<'_, 'id>, req: &ReqRef<'id>, cx: &mut TaskCtx) -> bool {
    let mut g = ring.lock_uring(cx);
    let next = req.take_link(&mut g.lock_both().chain_write());
    let unlinked = next.is_some();
    if let Some(next) = next {
        drop(next.park());
    }
    unlinked
}
