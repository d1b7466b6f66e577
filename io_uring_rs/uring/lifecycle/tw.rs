// SPDX-License-Identifier: GPL-2.0

//! Queueing task work: what C runs in the submitting task with `uring_lock`
//! held (`io_req_task_work_add()`); `entry/tw.rs` runs it.
//!
//! The module has no hook into a task's return to user space, so task work
//! runs the way C's fallback path runs it (`io_fallback_req_func()`): in a
//! kernel worker that takes `uring_lock`. The queue is ordered, so items run
//! one at a time and in the order they were queued, as a task's list does.
//! Both functions allocate nothing and may be called in any context.

use crate::glue::wq;
use crate::uring::model::req::{Req, ReqRef, TwAction};
use kernel::prelude::*;
use kernel::sync::Arc;

/// Queues `action` for `req`, with the reference the caller gives up: it is
/// parked in the request until the task work takes it back.
pub(crate) fn queue(req: ReqRef<'_>, action: TwAction) {
    enqueue(req.park().into_arc(), action);
}

/// Task work that needs no reference of the request: it finds the one it
/// completes where it is kept.
#[derive(Clone, Copy)]
pub(crate) enum BareTw {
    /// A linked timeout's expiry: `timeout->prev`, the link, or parked.
    LinkTimeout,
    /// A poll wake-up: the cancelable list.
    PollWake,
}

/// Queues `action` for `req` with no reference.
pub(crate) fn queue_bare(req: Arc<Req>, action: BareTw) {
    let action = match action {
        BareTw::LinkTimeout => TwAction::LinkTimeout,
        BareTw::PollWake => TwAction::PollWake,
    };
    enqueue(req, action);
}

fn enqueue(req: Arc<Req>, action: TwAction) {
    let prev = req.set_tw_action(action);
    if prev != TwAction::None {
        pr_err!(
            "BUG: task work {:?} queued on {:#x} over pending {:?}\n",
            action,
            req.user_data(),
            prev
        );
    }
    if wq::tw().enqueue::<Arc<Req>, 0>(req).is_err() {
        pr_err!("BUG: task work already queued\n");
    }
}
