// SPDX-License-Identifier: GPL-2.0

//! Attack on io-wq's worker count: creating two workers for the one that
//! `IoWqGuard::run_linked` counted. The second would run uncounted, and
//! its exit would take the count of another. Creating consumes the
//! `NewWorkerFor`, which is neither `Copy` nor `Clone`.
// kbuild
// expect-error: error[E0382]: use of moved value: `new`

use crate::glue::context::TaskCtx;
use crate::uring::lifecycle::iowq::io_wq_create_worker_for;
use crate::uring::model::req::ReqRef;
use crate::uring::model::ring::{Ring, WorkerKey};

/// The violation: one count, two workers.
#[cfg(bug)]
pub(crate) fn go_on<'id>(ring: Ring<'_, 'id>, cx: &mut TaskCtx, next: ReqRef<'id>, id: WorkerKey) {
    let new = ring.lock_iowq(cx).run_linked(next, id);
    if let Some(new) = new {
        io_wq_create_worker_for(ring, cx, new);
        io_wq_create_worker_for(ring, cx, new);
    }
}

/// The honest shape: one count, one worker.
#[cfg(not(bug))]
pub(crate) fn go_on<'id>(ring: Ring<'_, 'id>, cx: &mut TaskCtx, next: ReqRef<'id>, id: WorkerKey) {
    let new = ring.lock_iowq(cx).run_linked(next, id);
    if let Some(new) = new {
        io_wq_create_worker_for(ring, cx, new);
    }
}
