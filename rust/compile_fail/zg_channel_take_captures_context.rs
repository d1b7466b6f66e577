// SPDX-License-Identifier: GPL-2.0

//! Class 1 and 2, spelling found by the attack review: `Channel::arm` runs
//! its `take` under the channel's spinlock; a closure that captured the
//! task context (or a ring guard) could take `uring_lock`, a mutex, under
//! it, or the io-wq lock against its order. `take` is a plain function
//! pointer: it captures nothing.
// kbuild
// expect-error: error[E0308]: mismatched types
// expect-error: expected fn pointer, found closure

use crate::glue::context::TaskCtx;
use crate::uring::model::channel::Channel;
use crate::uring::model::req::{ReqRef, ReqView};
use crate::uring::model::ring::Ring;
use kernel::prelude::*;

/// The violation: lock a mutex under the channel's spinlock.
#[cfg(bug)]
pub(crate) fn arm<'id>(
    ring: Ring<'_, 'id>,
    chan: &Channel,
    req: &ReqRef<'id>,
    cx: &mut TaskCtx,
) -> Result<Option<i32>> {
    let task = unsafe_free_copy(cx);
    chan.arm(
        task,
        req.arc(),
        |_bytes, _arg| {
            drop(ring.lock_uring(cx));
            None
        },
        0,
    )
}

#[cfg(bug)]
fn unsafe_free_copy(cx: &TaskCtx) -> &TaskCtx {
    cx
}

/// The honest shape: a plain function looks at the bytes.
#[cfg(not(bug))]
pub(crate) fn arm<'id>(chan: &Channel, req: &ReqRef<'id>, cx: &mut TaskCtx) -> Result<Option<i32>> {
    fn ready(bytes: &mut u64, _arg: u32) -> Option<i32> {
        (*bytes > 0).then_some(1)
    }
    chan.arm(cx, req.arc(), ready, 0)
}
