// SPDX-License-Identifier: GPL-2.0

//! Class 5, spelling found by the second attack review: a pin taken from a
//! list (`RefTreeRef::iter`: pinned by the reference the list holds) kept
//! while that entry is removed and its reference put. The request's count
//! may then be zero and the dying splice may write the link the pin still
//! reads under `uring_lock` alone. The pin borrows the list view, which
//! borrows the guard; removing needs the guard exclusively.
// kbuild
// expect-error: error[E0502]: cannot borrow `*g` as mutable because it is also borrowed as immutable

use crate::uring::lifecycle::complete::io_put_req;
use crate::uring::model::ring::UringGuard;

/// The violation: put the list's reference, then read through its pin.
#[cfg(bug)]
pub(crate) fn drop_then_read(g: &mut UringGuard<'_, '_>) -> bool {
    let Some((key, pin)) = g.cancelable_ref().first() else {
        return false;
    };
    if let Some(r) = g.cancelable().remove(key) {
        io_put_req(r, g);
    }
    let linked = pin.link(&g.chain_read()).is_some();
    linked
}

/// The honest shape: read while the list still holds the reference.
#[cfg(not(bug))]
pub(crate) fn drop_then_read(g: &mut UringGuard<'_, '_>) -> bool {
    let (key, linked) = {
        let proof = g.chain_read();
        let Some((key, pin)) = g.cancelable_ref().first() else {
            return false;
        };
        (key, pin.link(&proof).is_some())
    };
    if let Some(r) = g.cancelable().remove(key) {
        io_put_req(r, g);
    }
    linked
}
