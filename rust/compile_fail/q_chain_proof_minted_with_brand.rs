// SPDX-License-Identifier: GPL-2.0

//! Class 3, spellings: minting a chain proof for a ring with the
//! constructor the guards use (`ChainRead::of_uring`), which needs the
//! ring's `Brand<'id>`: `Ring::brand()` is private to the model, and so is
//! the sealed `View::parts` when called on a concrete view. (A fresh brand
//! from `Brand::open` names no ring; but see the report: `parts()` is
//! reachable through a generic `V: ReqView<'id>` bound.)
// kbuild
// expect-error: error[E0624]: method `brand` is private
// expect-error: error[E0599]: no method named `parts` found for reference `&ReqRef<'id>`

use crate::glue::context::TaskCtx;
use crate::uring::model::req::ReqRef;
use crate::uring::model::ring::Ring;

/// The violation: read proofs minted with the ring's brand.
#[cfg(bug)]
pub(crate) fn next<'id>(ring: Ring<'_, 'id>, req: &ReqRef<'id>, cx: &mut TaskCtx) -> bool {
    use crate::glue::chain::ChainRead;
    let mut g = ring.lock_uring(cx);
    let read = ChainRead::of_uring(g.state(), ring.brand());
    let linked = req.pin().link(&read).is_some();
    let other = ChainRead::of_uring(g.state(), req.parts().1);
    linked && req.pin().link(&other).is_some()
}

/// The honest shape: the guard makes the proof.
#[cfg(not(bug))]
pub(crate) fn next<'id>(ring: Ring<'_, 'id>, req: &ReqRef<'id>, cx: &mut TaskCtx) -> bool {
    let g = ring.lock_uring(cx);
    let linked = req.pin().link(&g.chain_read()).is_some();
    linked
}
