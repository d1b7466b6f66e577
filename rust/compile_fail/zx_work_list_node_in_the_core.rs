// SPDX-License-Identifier: GPL-2.0

//! Class 1, spelling found by the attack review of io-wq's intrusive work
//! list: an entry is linked through a node of the object itself, and the
//! list owns one reference of each entry through its predecessor's node
//! (`glue/work_list.rs`). A type whose `wq_node` returned another object's
//! node, or a different node on each call, would let one node be linked on
//! two lists, and a reference be taken back twice. `HasWqNode` is an
//! `unsafe trait`, which the core (`forbid(unsafe_code)`) cannot implement:
//! the one entry type, the request, is the glue's (`glue/work.rs`).
// kbuild
// expect-error: error[E0200]: the trait `HasWqNode` requires an `unsafe impl` declaration

use crate::glue::work_list::{WorkList, WqNode};
use crate::uring::model::req::Req;
use kernel::sync::Arc;

/// The violation: two objects that share one node.
#[cfg(bug)]
struct Twin {
    node: Arc<WqNode<Twin>>,
}

#[cfg(bug)]
impl crate::glue::work_list::HasWqNode for Twin {
    fn wq_node(&self) -> &WqNode<Twin> {
        &self.node
    }
}

/// The honest shape: requests, whose node is their own, on a list.
pub(crate) fn queue(list: &mut WorkList<Req>, req: Arc<Req>) -> bool {
    list.push_back(req).is_ok()
}
