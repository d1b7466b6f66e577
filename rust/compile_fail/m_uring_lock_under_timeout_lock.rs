// SPDX-License-Identifier: GPL-2.0

//! Class 2, spelling: `timeout_lock` first, then `uring_lock` (the reverse of
//! the order). A guard taken from the ring borrows the context for as long
//! as it lives, and `uring_lock` needs the context.
// kbuild
// expect-error: error[E0499]: cannot borrow `*cx` as mutable more than once at a time

use crate::glue::context::TaskCtx;
use crate::uring::model::req::{ReqRef, ReqView};
use crate::uring::model::ring::Ring;

/// The violation: timeout_lock -> uring_lock.
#[cfg(bug)]
pub(crate) fn walk<'id>(ring: Ring<'_, 'id>, req: &ReqRef<'id>, cx: &mut TaskCtx) -> bool {
    let t = ring.lock_timeout(cx);
    let g = ring.lock_uring(cx);
    let linked = req.link_locked(&t.chain_read()).is_some();
    drop(g);
    linked
}

/// The honest shape: uring_lock -> timeout_lock, the later from the earlier.
#[cfg(not(bug))]
pub(crate) fn walk<'id>(ring: Ring<'_, 'id>, req: &ReqRef<'id>, cx: &mut TaskCtx) -> bool {
    let mut g = ring.lock_uring(cx);
    let t = g.lock_timeout();
    let linked = req.link_locked(&t.chain_read()).is_some();
    drop(t);
    linked
}
