// SPDX-License-Identifier: GPL-2.0

//! The hrtimer callbacks of TIMEOUT (`io_timeout_fn()`) and LINK_TIMEOUT
//! (`io_link_timeout_fn()`), in atomic context.

use crate::glue::context::AtomicCtx;
use crate::glue::timer::{HrTimer, TimerDone, TimerOwner};
use crate::uring::lifecycle::timeout::{io_link_timeout_fn, io_timeout_fn};
use crate::uring::model::req::{Req, ReqArc};
use crate::uring::model::sqe::Op;
use kernel::sync::Arc;

impl TimerOwner for Req {
    fn timer(&self) -> &HrTimer<Req> {
        self.timer()
    }

    fn timer_fired(this: Arc<Self>, cx: AtomicCtx) -> TimerDone {
        ReqArc::open(this, |ring, req| match req.op() {
            Some(Op::LinkTimeout { .. }) => io_link_timeout_fn(ring, req, cx).finish(),
            _ => io_timeout_fn(ring, req, cx),
        })
    }
}
