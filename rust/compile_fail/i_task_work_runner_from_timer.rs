// SPDX-License-Identifier: GPL-2.0

//! Class 1, spelling: a timer callback runs a task's task-work list or the
//! io-wq worker loop inline instead of queueing them. Both entries take
//! `uring_lock` and may sleep; they take a `TaskCtx`, and the callback has
//! only its `AtomicCtx`.
// kbuild
// expect-error: error[E0308]: mismatched types
// expect-error: expected `&mut TaskCtx`, found `&mut AtomicCtx`

use crate::glue::context::AtomicCtx;
use crate::glue::tctx::IoUringTask;
use crate::uring::lifecycle::tw::BareTw;
use crate::uring::model::req::ReqArc;

/// The violation: the task's task work and the io-wq work run in the timer.
#[cfg(bug)]
pub(crate) fn timer_cb(lt: ReqArc<'_>, tctx: &IoUringTask, mut cx: AtomicCtx) {
    use crate::uring::entry::{iowq::io_wq_worker, tw::tctx_task_work};
    tctx_task_work(tctx, &mut cx);
    io_wq_worker(lt.into_arc(), &mut cx);
}

/// The honest shape: the timer queues task work.
#[cfg(not(bug))]
pub(crate) fn timer_cb(lt: ReqArc<'_>, _tctx: &IoUringTask, cx: AtomicCtx) {
    use crate::uring::lifecycle::tw;
    drop(cx);
    tw::queue_bare(lt.into_arc(), BareTw::LinkTimeout);
}
