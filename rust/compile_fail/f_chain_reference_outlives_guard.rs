// SPDX-License-Identifier: GPL-2.0

//! (f) Keeping a reference into a chain after the lock that protects it is
//! released. A chain proof borrows the guard, and what the chain hands out
//! borrows the proof: the guard cannot be dropped while either lives.
// kbuild
// expect-error: error[E0505]: cannot move out of `g` because it is borrowed

use crate::glue::context::TaskCtx;
use crate::uring::model::req::{ReqRef, ReqView};
use crate::uring::model::ring::Ring;

/// The shape before the fix.
#[cfg(bug)]
pub(crate) fn has_next<'id>(ring: Ring<'_, 'id>, req: &ReqRef<'id>, cx: &mut TaskCtx) -> bool {
    let g = ring.lock_uring(cx);
    let proof = g.chain_read();
    let next = req.pin().link(&proof);
    drop(g);
    next.is_some()
}

/// The fixed shape: take a reference of its own (a token) while locked.
#[cfg(not(bug))]
pub(crate) fn has_next<'id>(ring: Ring<'_, 'id>, req: &ReqRef<'id>, cx: &mut TaskCtx) -> bool {
    let g = ring.lock_uring(cx);
    let next = req.pin().link(&g.chain_read()).map(|n| n.get_ref());
    drop(g);
    let has = next.is_some();
    if let Some(n) = next {
        drop(n.park());
    }
    has
}
