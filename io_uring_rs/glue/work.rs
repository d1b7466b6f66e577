// SPDX-License-Identifier: GPL-2.0

//! A request's two work items, task work (ID 0) and io-wq (ID 1): entry
//! points that run in a kernel worker, so they create the task context.
//! And the request's one `unsafe impl` of the chain primitive, `Linked`.
//!
//! `impl_has_work!` expands to an `unsafe impl`, which the core does not
//! allow, so the declarations live here.

use crate::glue::chain::{ChainCell, Linked};
use crate::glue::context::TaskCtx;
use crate::uring::entry::{iowq, tw};
use crate::uring::model::req::{CellWitness, Req};
use kernel::sync::Arc;
use kernel::workqueue::{impl_has_work, WorkItem};

// SAFETY: `Req` is the one `Linked` type. Its witness, `CellWitness`, can
// only be made by the model (its field is private to it), and `chain`
// returns the request's own cell.
unsafe impl Linked for Req {
    type Witness = CellWitness;

    fn chain(&self) -> &ChainCell<Req> {
        self.link_cell()
    }
}

impl_has_work! {
    impl HasWork<Req, 0> for Req { self.tw_work }
    impl HasWork<Req, 1> for Req { self.iowq_work }
}

impl WorkItem<0> for Req {
    type Pointer = Arc<Req>;

    fn run(this: Arc<Req>) {
        // SAFETY: A work item runs in a kernel worker: process context, no
        // lock held.
        let mut cx = unsafe { TaskCtx::enter() };
        tw::run(this, &mut cx);
    }
}

impl WorkItem<1> for Req {
    type Pointer = Arc<Req>;

    fn run(this: Arc<Req>) {
        // SAFETY: As above.
        let mut cx = unsafe { TaskCtx::enter() };
        iowq::io_wq_worker(this, &mut cx);
    }
}
