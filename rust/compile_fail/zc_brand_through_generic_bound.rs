// SPDX-License-Identifier: GPL-2.0

//! Class 3 and 4, spelling found by the attack review: a bound
//! `V: ReqView<'id>` lets any code call the methods of `ReqView`'s sealed
//! supertrait, and `parts()` returned the view's brand; with it, a proof of
//! ring B could be made from ring A's locked state. `parts` now needs a key
//! that only the model can make, and the key's type cannot be named.
// kbuild
// expect-error: error[E0061]: this method takes 1 argument but 0 arguments were supplied

use crate::glue::brand::Brand;
use crate::glue::context::TaskCtx;
use crate::uring::model::req::{ReqRef, ReqView};
use crate::uring::model::ring::Ring;

/// The violation: take a request's brand, make its ring's proof elsewhere.
#[cfg(bug)]
fn brand_of<'id, V: ReqView<'id>>(v: &V) -> Brand<'id> {
    v.parts().1
}

/// The honest shape: a proof comes from a guard of the request's own ring.
#[cfg(not(bug))]
pub(crate) fn linked<'id>(ring: Ring<'_, 'id>, req: &ReqRef<'id>, cx: &mut TaskCtx) -> bool {
    let g = ring.lock_uring(cx);
    let linked = req.pin().link(&g.chain_read()).is_some();
    linked
}
