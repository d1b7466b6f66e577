// SPDX-License-Identifier: GPL-2.0

//! (a) Patch 1/3: `io_wq_free_work()` read and cleared `req->link` on the
//! last put without `uring_lock`. An io-wq worker can take `timeout_lock`
//! on its own, but `io_req_find_next()` modifies the chain and so needs
//! both chain locks: a [`BothGuard`], which only comes from a `uring_lock`
//! guard.
//!
//! [`BothGuard`]: crate::uring::model::ring::BothGuard
// kbuild
// expect-error: error[E0308]: mismatched types
// expect-error: expected `&mut BothGuard<'_, '_>`, found `&mut TimeoutGuard<'_, '_>`

use crate::glue::context::TaskCtx;
use crate::uring::lifecycle::link::io_req_find_next;
use crate::uring::model::req::{ReqRef, ReqView};

/// The shape before the fix.
#[cfg(bug)]
pub(crate) fn free_work<'id>(req: ReqRef<'id>, cx: &mut TaskCtx) -> Option<ReqRef<'id>> {
    let last = req.put()?;
    if !last.has_link_flags() {
        return None;
    }
    let mut t = last.ring().lock_timeout(cx);
    io_req_find_next(&last, &mut t)
}

/// The fixed shape: `uring_lock`, then both chain locks.
#[cfg(not(bug))]
pub(crate) fn free_work<'id>(req: ReqRef<'id>, cx: &mut TaskCtx) -> Option<ReqRef<'id>> {
    let last = req.put()?;
    if !last.has_link_flags() {
        return None;
    }
    let mut g = last.ring().lock_uring(cx);
    let next = io_req_find_next(&last, &mut g.lock_both());
    next
}
