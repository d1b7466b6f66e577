// SPDX-License-Identifier: GPL-2.0

//! The start of an io-wq worker's thread, whose function is an entry point.
//! And the request's `unsafe impl`s
//! of the chain primitive, `Linked`, of a file poll's target, `PollTarget`,
//! of the task-work list's node, `HasTwNode`, and of io-wq's work list's
//! node, `HasWqNode`; and the `unsafe impl` of `MayInterrupt` for io-wq's
//! interrupt proof.
//!
//! An `unsafe impl` is not allowed in the core, so the declarations live
//! here.

use crate::glue::chain::{ChainCell, Linked};
use crate::glue::context::{MayInterrupt, TaskCtx};
use crate::glue::file::PollTarget;
use crate::glue::kthread::{KThread, ThreadKind};
use crate::glue::tw_list::{HasTwNode, TwNode};
use crate::glue::work_list::{HasWqNode, WqNode};
use crate::uring::entry::iowq;
use crate::uring::model::req::{task_work_add_bare, BareTw, CellWitness, Req};
use crate::uring::model::ring::{InterruptProof, IoWorker};
use kernel::prelude::*;
use kernel::sync::Arc;

// SAFETY: `InterruptProof`'s field is private to the model's io-wq file,
// which makes one only in `RunningWork::signal_and_interrupt`, after it
// marked the running work (`IO_WQ_WORK_CANCEL`): so a worker is
// interrupted only for marked work, the one kind it clears the
// interruption after.
unsafe impl MayInterrupt for InterruptProof {}

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

// SAFETY: `wq_node` is the request's own node, and the model uses it for
// nothing else.
unsafe impl HasWqNode for Req {
    fn wq_node(&self) -> &WqNode<Req> {
        &self.wq_node
    }
}

/// Starts the thread of io-wq worker `data`, named after the task `pid`
/// whose request made it (`iou-wrk-PID`): the entry point of an io-wq
/// worker, `io_wq_worker()`, which the lifecycle cannot name.
pub(crate) fn spawn_io_worker(cx: &TaskCtx, data: Arc<IoWorker>, pid: u32) -> Result<KThread> {
    KThread::spawn(
        cx,
        data,
        ThreadKind::IoWorker,
        pid as i32,
        iowq::io_wq_worker,
    )
}
