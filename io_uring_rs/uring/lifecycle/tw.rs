// SPDX-License-Identifier: GPL-2.0

//! Queueing task work: what C runs in the submitting task with `uring_lock`
//! held (`io_req_task_work_add()`); `entry/tw.rs` runs it.
//!
//! The module has no hook into a task's return to user space, so task work
//! runs the way C's fallback path runs it (`io_fallback_req_func()`): in a
//! kernel worker that takes `uring_lock`. The queue is ordered, so items run
//! one at a time and in the order they were queued, as a task's list does.
//! Both functions allocate nothing and may be called in any context.

use crate::uring::model::req::{task_work_add_bare, Req, ReqRef, TwAction};
use kernel::sync::Arc;

pub(crate) use crate::uring::model::req::BareTw;

/// Queues `action` for `req`, with the reference the caller gives up: it is
/// parked in the request until the task work takes it back.
pub(crate) fn queue(req: ReqRef<'_>, action: TwAction) {
    req.task_work_add(action);
}

/// Queues `action` for `req` with no reference.
pub(crate) fn queue_bare(req: Arc<Req>, action: BareTw) {
    task_work_add_bare(req, action);
}
