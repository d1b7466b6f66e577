// SPDX-License-Identifier: GPL-2.0

//! The hrtimer callbacks of TIMEOUT (`io_timeout_fn()`) and LINK_TIMEOUT
//! (`io_link_timeout_fn()`), in atomic context.

use crate::glue::context::AtomicCtx;
use crate::glue::timer::{HrTimer, TimerOwner};
use crate::uring::lifecycle::timeout::{io_link_timeout_fn, io_timeout_fn};
use crate::uring::lifecycle::tw;
use crate::uring::model::req::{Req, ReqArc, TwAction};
use crate::uring::model::sqe::Op;
use kernel::sync::Arc;

impl TimerOwner for Req {
    fn timer(&self) -> &HrTimer<Req> {
        self.timer()
    }

    fn timer_fired(this: Arc<Self>, mut cx: AtomicCtx) {
        ReqArc::open(this, |ring, req| match req.op() {
            Some(Op::Timeout { .. }) => io_timeout_fn(ring, req, &mut cx),
            Some(Op::LinkTimeout { .. }) => {
                let outcome = io_link_timeout_fn(ring, req, cx);
                tw::queue_bare(outcome.into_lt().into_arc(), TwAction::LinkTimeout);
            }
            _ => {}
        })
    }
}
