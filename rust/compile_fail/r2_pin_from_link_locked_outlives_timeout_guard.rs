// SPDX-License-Identifier: GPL-2.0

//! Class 5, spelling found by the second attack review: a pin of a bare
//! request's next request, read under `timeout_lock` alone
//! (`ReqView::link_locked`, which any view may use, even one whose count is
//! zero), kept after `timeout_lock` is dropped and used to walk on under
//! `uring_lock` alone. The dying splice may have moved that link meanwhile.
//! The pin borrows the `TimeoutRead`, which borrows the timeout guard.
// kbuild
// expect-error: error[E0505]: cannot move out of `t` because it is borrowed
// expect-error: error[E0499]: cannot borrow `*cx` as mutable more than once at a time

use crate::glue::context::TaskCtx;
use crate::uring::model::req::{ReqArc, ReqView};
use crate::uring::model::ring::Ring;

/// The violation: a `timeout_lock` read continued under `uring_lock`.
#[cfg(bug)]
pub(crate) fn walk<'id>(ring: Ring<'_, 'id>, bare: &ReqArc<'id>, cx: &mut TaskCtx) -> bool {
    let t = ring.lock_timeout(cx);
    let read = t.chain_read();
    let next = bare.link_locked(&read);
    drop(t);
    let g = ring.lock_uring(cx);
    let linked = next.is_some_and(|n| n.link(&g.chain_read()).is_some());
    linked
}

/// The honest shape: the whole walk under the one lock that allowed it.
#[cfg(not(bug))]
pub(crate) fn walk<'id>(ring: Ring<'_, 'id>, bare: &ReqArc<'id>, cx: &mut TaskCtx) -> bool {
    let t = ring.lock_timeout(cx);
    let read = t.chain_read();
    let linked = bare
        .link_locked(&read)
        .is_some_and(|n| n.link(&read).is_some());
    linked
}
