// SPDX-License-Identifier: GPL-2.0

//! (b) Patch 3/3: `io_uring_try_cancel_requests()` dropped `uring_lock`
//! and then called `io_kill_timeouts()`, whose `io_match_task()` walks each
//! timeout's chain. `io_kill_timeouts()` takes the `uring_lock` guard, so
//! once the guard is dropped there is nothing to call it with.
// kbuild
// expect-error: error[E0382]: borrow of moved value: `g`

use crate::glue::context::TaskCtx;
use crate::uring::lifecycle::poll::io_poll_remove_all;
use crate::uring::lifecycle::timeout::io_kill_timeouts;
use crate::uring::model::ring::Ring;

/// The shape before the fix.
#[cfg(bug)]
pub(crate) fn try_cancel(ring: Ring<'_, '_>, cx: &mut TaskCtx) -> bool {
    let mut g = ring.lock_uring(cx);
    let mut ret = io_poll_remove_all(&mut g, None, true);
    drop(g);
    ret |= io_kill_timeouts(&mut g, None, true);
    ret
}

/// The fixed shape: the timeouts are killed before the unlock.
#[cfg(not(bug))]
pub(crate) fn try_cancel(ring: Ring<'_, '_>, cx: &mut TaskCtx) -> bool {
    let mut g = ring.lock_uring(cx);
    let mut ret = io_poll_remove_all(&mut g, None, true);
    ret |= io_kill_timeouts(&mut g, None, true);
    drop(g);
    ret
}
