// SPDX-License-Identifier: GPL-2.0

//! Class 2, spellings: `completion_lock` first, then `uring_lock` (the CQ
//! waiter's guard borrows the context), and, inside `uring_lock`,
//! `io_req_complete()` (which takes `completion_lock` again) while a
//! completion guard taken from the uring guard still lives: the completion
//! guard borrows the uring guard mutably.
// kbuild
// expect-error: error[E0499]: cannot borrow `*cx` as mutable more than once at a time
// expect-error: error[E0499]: cannot borrow `g` as mutable more than once at a time

use crate::glue::context::TaskCtx;
use crate::uring::lifecycle::complete::io_req_complete;
use crate::uring::model::req::ReqRef;
use crate::uring::model::ring::Ring;

/// The violation: completion_lock -> uring_lock, twice.
#[cfg(bug)]
pub(crate) fn complete<'id>(ring: Ring<'_, 'id>, req: ReqRef<'id>, cx: &mut TaskCtx) {
    let mut c = ring.lock_completion(cx);
    let g = ring.lock_uring(cx);
    c.state().completed += 1;
    drop(g);
    drop(c);
    let mut g = ring.lock_uring(cx);
    let c = g.lock_completion();
    io_req_complete(req, &mut g);
    drop(c);
}

/// The honest shape: completion under uring_lock, through the guard.
#[cfg(not(bug))]
pub(crate) fn complete<'id>(ring: Ring<'_, 'id>, req: ReqRef<'id>, cx: &mut TaskCtx) {
    let mut g = ring.lock_uring(cx);
    io_req_complete(req, &mut g);
    drop(g);
    let mut c = ring.lock_completion(cx);
    let _ = c.wait_cq(0);
}
