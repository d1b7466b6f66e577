// SPDX-License-Identifier: GPL-2.0

//! Class 5, spelling: one reference put twice (the count would drop below
//! the number of tokens, and a request still linked or listed would be
//! freed). `ReqRef::put` consumes the token, and `ReqRef` is not `Clone`.
// kbuild
// expect-error: error[E0382]: use of moved value: `req`

use crate::uring::model::req::{ReqArc, ReqRef};

/// The violation: the second put.
#[cfg(bug)]
pub(crate) fn put_twice(req: ReqRef<'_>) -> Option<ReqArc<'_>> {
    drop(req.put());
    req.put()
}

/// The honest shape: a second put needs a second token.
#[cfg(not(bug))]
pub(crate) fn put_twice(req: ReqRef<'_>) -> Option<ReqArc<'_>> {
    let other = req.pin().get_ref();
    drop(req.put());
    other.put()
}
