// SPDX-License-Identifier: GPL-2.0

//! Attack on the armed polls: keeping a file's armed poll in another of the
//! ring's trees (the deferred heads here), where neither the poll's
//! wake-up task work nor a cancel looks for it, so that the poll stays
//! hooked to the file after its request left the cancelable list. Only the
//! cancelable tree (`RefTree<true>`) has entries that keep a poll.
// kbuild
// expect-error: error[E0599]: no method named `insert_armed` found for struct `RefTreeMut

use crate::glue::file::PollArm;
use crate::uring::model::req::{Req, ReqRef, ReqSlot};
use crate::uring::model::ring::UringGuard;

/// The violation: park the arm with a deferred head.
#[cfg(bug)]
pub(crate) fn park<'id>(
    g: &mut UringGuard<'_, 'id>,
    slot: ReqSlot,
    req: ReqRef<'id>,
    arm: PollArm<Req>,
) {
    let seq = req.seq();
    g.defer_list().insert_armed(slot, seq, req, arm);
}

/// The honest shape: the arm goes with its request onto the cancelable
/// list.
#[cfg(not(bug))]
pub(crate) fn park<'id>(
    g: &mut UringGuard<'_, 'id>,
    slot: ReqSlot,
    req: ReqRef<'id>,
    arm: PollArm<Req>,
) {
    let seq = req.seq();
    g.cancelable().insert_armed(slot, seq, req, arm);
}
