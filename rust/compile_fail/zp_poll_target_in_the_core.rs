// SPDX-License-Identifier: GPL-2.0

//! Class 1, spelling found by the attack review of the file polls: a poll
//! entry's wake-up runs its target under the file's wait-queue spinlock,
//! maybe in an interrupt and inside a ring's `completion_lock`. A target
//! written in the core could take `uring_lock` (a mutex) there. Targets are
//! an `unsafe trait`, which the core (`forbid(unsafe_code)`) cannot
//! implement: the one target, a request queueing its task work, is the
//! glue's (`glue/work.rs`).
// kbuild
// expect-error: error[E0200]: the trait `PollTarget` requires an `unsafe impl` declaration

use crate::glue::context::TaskCtx;
use crate::glue::file::{File, PollArm};
use crate::uring::model::req::{Req, ReqRef, ReqView};
use kernel::prelude::*;

/// The violation: a target that sleeps in the wake-up.
#[cfg(bug)]
struct Sleeper(kernel::sync::Arc<crate::uring::model::ring::IoRingCtx>);

#[cfg(bug)]
impl crate::glue::file::PollTarget for Sleeper {
    fn poll_woken(this: kernel::sync::Arc<Self>) {
        let _ = this;
    }
}

/// The honest shape: the request is the target.
pub(crate) fn arm(cx: &TaskCtx, file: File<'_>, req: &ReqRef<'_>) -> Result<(PollArm<Req>, u32)> {
    PollArm::arm(cx, file, 1, req.arc().clone())
}
