// SPDX-License-Identifier: GPL-2.0

//! Class 5, spellings: a request's link cell reached directly, to read or
//! splice it without a view and a proof: as the field `Req::link`, or
//! through `Linked::chain`, whose cell needs the model's witness for every
//! use. The field is private to the model, and so is the witness.
// kbuild
// expect-error: error[E0616]: field `link` of struct `Req` is private
// expect-error: error[E0423]: cannot initialize a tuple struct which contains private fields

use crate::uring::model::req::ReqArc;
use crate::uring::model::ring::TimeoutGuard;

/// The violation: the cell without the model.
#[cfg(bug)]
pub(crate) fn forge<'id>(lt: ReqArc<'id>, t: &mut TimeoutGuard<'_, 'id>) -> bool {
    use crate::glue::chain::Linked;
    use crate::uring::model::req::CellWitness;
    let read = t.chain_read();
    let linked = lt.link.next(&CellWitness(()), &read).is_some();
    let next = lt.chain().next(&CellWitness(()), &read).is_some();
    linked && next
}

/// The honest shape: read the link through a view and the guard's proof.
#[cfg(not(bug))]
pub(crate) fn forge<'id>(lt: ReqArc<'id>, t: &mut TimeoutGuard<'_, 'id>) -> bool {
    use crate::uring::model::req::ReqView;
    lt.link_locked(&t.chain_read()).is_some()
}
