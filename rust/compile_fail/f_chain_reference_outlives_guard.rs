// SPDX-License-Identifier: GPL-2.0

//! (f) Keeping a reference into a chain after the lock that protects it is
//! released. A chain proof borrows the guard, and what the chain hands out
//! borrows the proof: the guard cannot be dropped while either lives.
// kbuild
// expect-error: error[E0505]: cannot move out of `g` because it is borrowed

use crate::uring::context::TaskCtx;
use crate::uring::req::Req;
use crate::uring::ring::IoRingCtx;

/// The shape before the fix.
#[cfg(bug)]
pub(crate) fn has_next(ring: &IoRingCtx, req: &Req, cx: &mut TaskCtx) -> bool {
    let g = ring.lock_uring(cx);
    let proof = g.chain_read();
    let next = req.link.get(&proof);
    drop(g);
    next.is_some()
}

/// The fixed shape: take a reference of its own (an `Arc`) while locked.
#[cfg(not(bug))]
pub(crate) fn has_next(ring: &IoRingCtx, req: &Req, cx: &mut TaskCtx) -> bool {
    let g = ring.lock_uring(cx);
    let next = req.link.get(&g.chain_read()).clone();
    drop(g);
    next.is_some()
}
