// SPDX-License-Identifier: GPL-2.0

//! Class 1, spelling found by the attack review of the task-work lists: a
//! list entry is linked through a node of the object itself, and the list
//! owns a leaked reference of each entry until a batch yields it back
//! (`glue/tw_list.rs`). A second type whose `tw_node` returned another
//! object's node, or a different node on each call, would let one
//! reference be taken back twice. `HasTwNode` is an `unsafe trait`, which
//! the core (`forbid(unsafe_code)`) cannot implement: the one entry type,
//! the request, is the glue's (`glue/work.rs`).
// kbuild
// expect-error: error[E0200]: the trait `HasTwNode` requires an `unsafe impl` declaration

use crate::glue::tctx::IoUringTask;
use crate::glue::tw_list::TwNode;
use crate::uring::model::req::Req;
use kernel::sync::Arc;

/// The violation: two objects that share one node.
#[cfg(bug)]
struct Twin {
    node: Arc<TwNode>,
}

#[cfg(bug)]
impl crate::glue::tw_list::HasTwNode for Twin {
    fn tw_node(&self) -> &TwNode {
        &self.node
    }
}

/// The honest shape: a request goes on its task's list through
/// `IoUringTask::add`.
pub(crate) fn queue(tctx: &Arc<IoUringTask>, req: Arc<Req>) {
    IoUringTask::add(tctx, req, false);
}
