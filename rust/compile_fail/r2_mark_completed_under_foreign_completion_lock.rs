// SPDX-License-Identifier: GPL-2.0

//! Marking ring B's request completed under ring A's `completion_lock`:
//! the mark is a load and a store, exact only under the request's own
//! ring's lock, so the guard and the request must carry the same brand.

// expect-error: error: lifetime may not live long enough

use crate::uring::model::req::{ReqRef, ReqView};
use crate::uring::model::ring::CompletionGuard;

/// The violation: a request of brand `'b` marked under a guard of `'a`.
#[cfg(bug)]
pub(crate) fn mark<'a, 'b>(req: &ReqRef<'b>, c: &CompletionGuard<'_, 'a>) -> bool {
    req.mark_completed(c)
}

/// The honest shape: the request's own ring's guard.
#[cfg(not(bug))]
pub(crate) fn mark<'b>(req: &ReqRef<'b>, c: &CompletionGuard<'_, 'b>) -> bool {
    req.mark_completed(c)
}
