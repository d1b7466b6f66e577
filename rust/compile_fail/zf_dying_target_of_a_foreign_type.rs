// SPDX-License-Identifier: GPL-2.0

//! Class 5, spelling found by the attack review: a `DyingTarget` minted
//! outside the model (put a cell's count to zero, then fail
//! `ref_inc_not_zero`) and spliced against a real request. Core code can
//! only make cells of its own types, and a `DyingTarget` of such a type
//! splices only that type: never a request.
// kbuild
// expect-error: error[E0308]: mismatched types

use crate::glue::chain::{ChainCell, Key, Linked};
use crate::uring::model::req::{ReqRef, ReqView};
use crate::uring::model::ring::TimeoutGuard;

/// A linked type of the attacker's own.
pub(crate) struct Fake {
    link: ChainCell<Fake>,
}

impl Linked for Fake {
    type Witness = ();

    fn chain(&self, _key: Key) -> &ChainCell<Fake> {
        &self.link
    }
}

/// The violation: splice a real request's link with a fake dying target.
#[cfg(bug)]
pub(crate) fn splice<'id>(fake: &Fake, victim: &ReqRef<'id>, t: &TimeoutGuard<'_, 'id>) {
    let read = t.chain_read();
    assert!(fake.link.ref_put_and_test());
    if let Err(dying) = fake.link.ref_inc_not_zero(&read) {
        drop(dying.splice(victim, &read));
    }
}

/// The honest shape: the fake type's cells splice only the fake type.
#[cfg(not(bug))]
pub(crate) fn splice<'id>(
    fake: &Fake,
    other: &Fake,
    victim: &ReqRef<'id>,
    t: &TimeoutGuard<'_, 'id>,
) {
    let read = t.chain_read();
    assert!(fake.link.ref_put_and_test());
    if let Err(dying) = fake.link.ref_inc_not_zero(&read) {
        drop(dying.splice(other, &read));
    }
    let _ = victim.link_locked(&read);
}
