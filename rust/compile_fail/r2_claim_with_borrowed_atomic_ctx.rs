// SPDX-License-Identifier: GPL-2.0

//! Class 6 and 1, spelling found by the second attack review: claiming a
//! linked timeout from an io-wq cancel callback, whose atomic context is
//! lent (`&mut AtomicCtx`), by moving it out (`*actx`) or swapping it out
//! (`mem::replace` needs a second context to put back). The claim takes a
//! context by value, which only a timer callback owns.
// kbuild
// expect-error: error[E0507]: cannot move out of `*actx` which is behind a mutable reference

use crate::uring::lifecycle::iowq::io_wq_cancel_cb;
use crate::uring::model::req::{io_link_timeout_claim, ReqView};
use crate::uring::model::ring::UringGuard;

/// The violation: claim the matched request's linked timeout in io-wq's
/// callback.
#[cfg(bug)]
pub(crate) fn cancel(g: &mut UringGuard<'_, '_>) -> bool {
    let found = io_wq_cancel_cb(&mut g.lock_iowq(), |r, actx| {
        let claim = io_link_timeout_claim(r.ring(), r.to_arc(), *actx);
        drop(claim);
        false
    });
    found.1.is_some()
}

/// The honest shape: the callback only looks, under `timeout_lock`.
#[cfg(not(bug))]
pub(crate) fn cancel(g: &mut UringGuard<'_, '_>) -> bool {
    let found = io_wq_cancel_cb(&mut g.lock_iowq(), |r, actx| {
        r.lt_head_is_set(&r.ring().lock_timeout(actx).chain_read())
    });
    found.1.is_some()
}
