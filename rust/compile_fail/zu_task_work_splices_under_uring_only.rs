// SPDX-License-Identifier: GPL-2.0

//! Finding 1 of `review-7.2.rst`: in Linux 7.2 the linked timeout's task
//! work, `io_req_task_link_timeout()`, splices itself out of the live
//! target's chain (`prev->link = req->link; req->link = NULL`,
//! 7.2 timeout.c:378-380) holding only the task-work runner's
//! `uring_lock`, while `io_match_task_safe()` can walk that chain under
//! `timeout_lock` alone from the io-wq cancel callback on task exit
//! (7.2 cancel.c:424-430): a change under one chain lock beside a walk
//! under the other. It is documented as a finding, read from the source
//! against the series' rule (a change to a chain holds both locks); it was
//! not reproduced and is not proven to be a live bug. Here the task work
//! reaches the pinned target the module's way, then splices it after
//! `timeout_lock` is released, with only its `UringGuard`:
//! [`LiveTarget::splice`] takes a `BothGuard`.
//!
//! [`LiveTarget::splice`]: crate::uring::model::req::LiveTarget
// kbuild
// expect-error: error[E0308]: mismatched types
// expect-error: expected `&mut BothGuard<'_, '_>`, found `&mut UringGuard<'_, '_>`

use crate::uring::lifecycle::complete::io_put_req;
use crate::uring::model::req::{ReqArc, ReqView};
use crate::uring::model::ring::UringGuard;

/// The 7.2 shape: the splice holds `uring_lock` only.
#[cfg(bug)]
pub(crate) fn task_link_timeout<'id>(lt: ReqArc<'id>, g: &mut UringGuard<'_, 'id>) {
    let live = lt.take_live_target(&mut g.lock_both());
    if let Some(live) = live {
        let (target, lt_ref) = live.splice(&lt, g);
        if let Some(lt_ref) = lt_ref {
            io_put_req(lt_ref, g);
        }
        io_put_req(target, g);
    }
}

/// The module's shape (`io_req_task_link_timeout()` in
/// `lifecycle/timeout.rs`): the splice holds both chain locks.
#[cfg(not(bug))]
pub(crate) fn task_link_timeout<'id>(lt: ReqArc<'id>, g: &mut UringGuard<'_, 'id>) {
    let spliced = {
        let mut b = g.lock_both();
        lt.take_live_target(&mut b)
            .map(|live| live.splice(&lt, &mut b))
    };
    if let Some((target, lt_ref)) = spliced {
        if let Some(lt_ref) = lt_ref {
            io_put_req(lt_ref, g);
        }
        io_put_req(target, g);
    }
}
