// SPDX-License-Identifier: GPL-2.0

//! Class 3, spelling found by the attack review: a chain proof made with no
//! lock held, from any borrowed value and a fresh brand (`Brand::open` is
//! callable anywhere). Making a proof needs the witness of the `Linked`
//! type (`CellWitness`), which only the model can make.
// kbuild
// expect-error: error[E0423]: cannot initialize a tuple struct which contains private fields

use crate::glue::brand::Brand;
use crate::glue::chain::ChainWrite;
use crate::glue::context::TaskCtx;
use crate::uring::model::req::{CellWitness, Req, ReqRef, ReqView};
use crate::uring::model::ring::Ring;

/// The violation: empty a request's link holding no lock.
#[cfg(bug)]
pub(crate) fn unlink(req: &ReqRef<'_>) -> bool {
    Brand::open(|brand| {
        let (mut u, mut t) = (0u8, 0u8);
        let mut w = ChainWrite::of_both::<Req>(&CellWitness(()), &mut u, &mut t, brand);
        req.take_link(&mut w).is_some()
    })
}

/// The honest shape: both chain locks of the request's own ring.
#[cfg(not(bug))]
pub(crate) fn unlink<'id>(ring: Ring<'_, 'id>, req: &ReqRef<'id>, cx: &mut TaskCtx) -> bool {
    let mut g = ring.lock_uring(cx);
    let next = req.take_link(&mut g.lock_both().chain_write());
    let unlinked = next.is_some();
    if let Some(next) = next {
        drop(next.park());
    }
    unlinked
}
