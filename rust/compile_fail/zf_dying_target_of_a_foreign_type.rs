// SPDX-License-Identifier: GPL-2.0

//! Class 5 and 7, spellings found by the attack reviews: a linked type of
//! the core's own, to mint a `DyingTarget` (count to zero, then a failed
//! `ref_inc_not_zero`) and splice with it, or to be handed the glue's key
//! to every cell by `remove_next` and keep it. `Linked` is an `unsafe`
//! trait: the core, `forbid(unsafe_code)`, cannot implement it, and the
//! request's impl is in the glue.
// kbuild
// expect-error: error[E0200]: the trait `Linked` requires an `unsafe impl` declaration

use crate::glue::chain::{ChainCell, Linked};
use crate::uring::model::req::{ReqRef, ReqView};
use crate::uring::model::ring::TimeoutGuard;

/// A linked type of the attacker's own.
#[cfg(bug)]
pub(crate) struct Fake {
    link: ChainCell<Fake>,
}

#[cfg(bug)]
impl Linked for Fake {
    type Witness = ();

    fn chain(&self) -> &ChainCell<Fake> {
        &self.link
    }
}

/// The honest shape: a request's chain, read under its ring's lock.
#[cfg(not(bug))]
pub(crate) fn read<'id>(victim: &ReqRef<'id>, t: &TimeoutGuard<'_, 'id>) -> bool {
    let _: Option<&ChainCell<crate::uring::model::req::Req>> = None;
    fn linked<T: Linked>() {}
    linked::<crate::uring::model::req::Req>();
    victim.link_locked(&t.chain_read()).is_some()
}
