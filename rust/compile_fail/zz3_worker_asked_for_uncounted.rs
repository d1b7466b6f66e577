// SPDX-License-Identifier: GPL-2.0

//! Attack on io-wq's worker count: asking for a worker that no count
//! made. `io_wq_create_worker_for()` creates the worker a worker going on
//! to its chain asked for, which `IoWqGuard::run_linked` counted in its
//! account; one created without the count would leave `nr_workers` short,
//! and its exit would take the count of another. Only the count makes a
//! `NewWorkerFor`: its fields are the model's.
// kbuild
// expect-error: error[E0451]: fields `acct` and `pid` of struct `NewWorkerFor` are private

use crate::glue::context::TaskCtx;
use crate::uring::lifecycle::iowq::io_wq_create_worker_for;
use crate::uring::model::req::ReqRef;
#[cfg(bug)]
use crate::uring::model::ring::{IoWqAcct, NewWorkerFor};
use crate::uring::model::ring::{Ring, WorkerKey};

/// The violation: a bound worker for task 1, out of thin air.
#[cfg(bug)]
pub(crate) fn go_on<'id>(ring: Ring<'_, 'id>, cx: &mut TaskCtx, next: ReqRef<'id>, id: WorkerKey) {
    ring.lock_iowq(cx).run_linked(next, id);
    let new = NewWorkerFor {
        acct: IoWqAcct::Bound,
        pid: 1,
    };
    io_wq_create_worker_for(ring, cx, new);
}

/// The honest shape: the worker the count asked for, if it asked.
#[cfg(not(bug))]
pub(crate) fn go_on<'id>(ring: Ring<'_, 'id>, cx: &mut TaskCtx, next: ReqRef<'id>, id: WorkerKey) {
    let new = ring.lock_iowq(cx).run_linked(next, id);
    if let Some(new) = new {
        io_wq_create_worker_for(ring, cx, new);
    }
}
