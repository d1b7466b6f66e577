// SPDX-License-Identifier: GPL-2.0

//! A request's io-wq work item (ID 1): an entry point that runs in a kernel
//! worker, so it creates the task context. And the request's `unsafe impl`s
//! of the chain primitive, `Linked`, of a file poll's target, `PollTarget`,
//! and of the task-work list's node, `HasTwNode`.
//!
//! `impl_has_work!` expands to an `unsafe impl`, which the core does not
//! allow, so the declarations live here.

use crate::glue::chain::{ChainCell, Linked};
use crate::glue::context::TaskCtx;
use crate::glue::file::PollTarget;
use crate::glue::tw_list::{HasTwNode, TwNode};
use crate::uring::entry::iowq;
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
// `task_work_add_bare` allocates nothing, does not sleep, and takes no
// ring lock: it pushes on a lock-free list and queues a callback or a work
// item (IRQ-safe spinlocks of the scheduler and the workqueue).
unsafe impl PollTarget for Req {
    fn poll_woken(this: Arc<Self>) {
        task_work_add_bare(this, BareTw::PollWake);
    }
}

// SAFETY: `tw_node` is the request's own node, and the model uses it for
// nothing else.
unsafe impl HasTwNode for Req {
    fn tw_node(&self) -> &TwNode {
        &self.tw_node
    }
}

impl_has_work! {
    impl HasWork<Req, 1> for Req { self.iowq_work }
}

impl WorkItem<1> for Req {
    type Pointer = Arc<Req>;

    fn run(this: Arc<Req>) {
        // SAFETY: A work item runs in a kernel worker: process context, no
        // lock held.
        let mut cx = unsafe { TaskCtx::enter() };
        iowq::io_wq_worker(this, &mut cx);
    }
}
