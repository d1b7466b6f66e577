// SPDX-License-Identifier: GPL-2.0

//! Class 4 and 5, spelling found by the attack review: a `ChainCell<Req>`
//! made outside the model, linking a real request of ring B, whose
//! `remove_next` (with a genuine proof of ring A) would empty B's link under
//! A's locks. Making a cell of `Req` needs `Req`'s witness, which only the
//! model can make.
// kbuild
// expect-error: error[E0423]: cannot initialize a tuple struct which contains private fields

use crate::glue::chain::ChainCell;
use crate::glue::context::TaskCtx;
use crate::uring::model::req::{CellWitness, Req, ReqRef, ReqView};
use crate::uring::model::ring::UringGuard;

/// The violation: a fake cell whose link is ring B's request.
#[cfg(bug)]
pub(crate) fn steal<'a, 'b>(ga: &mut UringGuard<'_, 'a>, req_b: &ReqRef<'b>) -> bool {
    let fake = ChainCell::<Req>::new(&CellWitness(()), Some(req_b.arc().clone()));
    let stolen = fake.remove_next(&mut ga.lock_both().chain_write());
    stolen.is_some()
}

/// The honest shape: ring B's request, ring B's locks.
#[cfg(not(bug))]
pub(crate) fn steal<'b>(req_b: &ReqRef<'b>, cx: &mut TaskCtx) -> bool {
    let ring = req_b.ring();
    let mut g = ring.lock_uring(cx);
    let next = req_b.remove_next_linked(&mut g.lock_both().chain_write());
    let stolen = next.is_some();
    if let Some(next) = next {
        drop(next.park());
    }
    stolen
}
