// SPDX-License-Identifier: GPL-2.0

//! A request's two work items, task work (ID 0) and io-wq (ID 1): entry
//! points that run in a kernel worker, so they create the task context.
//! And the request's `unsafe impl`s of the chain primitive, `Linked`, and
//! of a file poll's target, `PollTarget`.
//!
//! `impl_has_work!` expands to an `unsafe impl`, which the core does not
//! allow, so the declarations live here.

use crate::glue::chain::{ChainCell, Linked};
use crate::glue::context::TaskCtx;
use crate::glue::file::PollTarget;
use crate::uring::entry::{iowq, tw};
use crate::uring::model::req::{task_work_add_bare, BareTw, CellWitness, Req};
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

// SAFETY: A file's poll fired: the request is issued again from task work.
// `task_work_add_bare` allocates nothing, does not sleep, and takes only the
// workqueue's IRQ-safe spinlocks, inside which no ring lock is taken.
unsafe impl PollTarget for Req {
    fn poll_woken(this: Arc<Self>) {
        task_work_add_bare(this, BareTw::PollWake);
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
