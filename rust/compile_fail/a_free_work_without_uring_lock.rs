// SPDX-License-Identifier: GPL-2.0

//! (a) Patch 1/3: `io_wq_free_work()` read and cleared `req->link` on the
//! last put without `uring_lock`. An io-wq worker can take `timeout_lock`
//! on its own, but `io_req_find_next()` modifies the chain and so needs
//! both chain locks: a [`BothGuard`], which only comes from a `uring_lock`
//! guard.
//!
//! [`BothGuard`]: crate::uring::locks::BothGuard
// kbuild
// expect-error: error[E0308]: mismatched types
// expect-error: expected `&mut BothGuard<'_, '_>`, found `&mut TimeoutGuard<'_>`

use crate::uring::context::TaskCtx;
use crate::uring::link::io_req_find_next;
use crate::uring::req::Req;
use kernel::sync::Arc;

/// The shape before the fix.
#[cfg(bug)]
pub(crate) fn free_work(req: Arc<Req>, cx: &mut TaskCtx) -> Option<Arc<Req>> {
    if !req.refs().put_and_test() || !req.has_link_flags() {
        return None;
    }
    let ring = req.ring.clone();
    let mut t = ring.lock_timeout(cx);
    io_req_find_next(&req, &mut t)
}

/// The fixed shape: `uring_lock`, then both chain locks.
#[cfg(not(bug))]
pub(crate) fn free_work(req: Arc<Req>, cx: &mut TaskCtx) -> Option<Arc<Req>> {
    if !req.refs().put_and_test() || !req.has_link_flags() {
        return None;
    }
    let ring = req.ring.clone();
    let mut g = ring.lock_uring(cx);
    let next = io_req_find_next(&req, &mut g.lock_both());
    next
}
