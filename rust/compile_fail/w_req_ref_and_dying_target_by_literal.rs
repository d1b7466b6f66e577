// SPDX-License-Identifier: GPL-2.0

//! Class 5, spellings: a request reference made from nothing (a `ReqRef`
//! literal, whose put would drop a count it never had), and a `DyingTarget`
//! written by literal (to splice a live request's link with `timeout_lock`
//! only). Their fields are private to the model and to `glue/chain.rs`.
// kbuild
// expect-error: error[E0451]: fields `arc` and `brand` of struct `ReqRef` are private
// expect-error: error[E0451]: field `cell` of struct `DyingTarget` is private

use crate::uring::model::req::{ReqArc, ReqView};
use crate::uring::model::ring::TimeoutGuard;

/// The violation: a token and a dying claim, forged.
#[cfg(bug)]
pub(crate) fn forge<'id>(lt: ReqArc<'id>, t: &mut TimeoutGuard<'_, 'id>) -> bool {
    use crate::glue::chain::DyingTarget;
    use crate::uring::model::req::{Req, ReqRef};
    let own: ReqRef<'id> = ReqRef {
        arc: lt.arc().clone(),
        brand: todo!("a brand"),
    };
    let dying: DyingTarget<'_, Req> = DyingTarget {
        cell: todo!("a cell"),
    };
    let spliced = dying
        .splice(todo!("the model's witness"), &*lt, &t.chain_read())
        .is_some();
    drop(own.put());
    spliced
}

/// The honest shape: a token only from another (`get_ref`, `unpark`).
#[cfg(not(bug))]
pub(crate) fn forge<'id>(lt: ReqArc<'id>, t: &mut TimeoutGuard<'_, 'id>) -> bool {
    let Some(own) = lt.unpark() else {
        return false;
    };
    let linked = own.link_locked(&t.chain_read()).is_some();
    drop(own.park());
    linked
}
