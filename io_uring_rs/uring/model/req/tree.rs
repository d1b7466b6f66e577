// SPDX-License-Identifier: GPL-2.0

//! Request trees: the lists the ring's locks protect (`cancel_table`,
//! `defer_list`, `timeout_list`, `ltimeout_list`); io-wq's work is on
//! intrusive lists (`list.rs`).
//!
//! A tree is reached only through a view the lock's guard makes, which
//! carries the ring's brand: only requests of that ring go in, and what comes
//! out is branded. A [`RefTree`] stores one reference of each request (whoever
//! removes an entry owns it); an [`ArcTree`] stores memory only. Nodes are
//! allocated before the lock is taken ([`ReqSlot`]), so inserting cannot fail
//! and cannot lose a reference.

use super::{Brand, Req, ReqArc, ReqPin, ReqRef};
use crate::glue::context::TaskCtx;
use kernel::prelude::*;
use kernel::rbtree::{RBTree, RBTreeNodeReservation};
use kernel::sync::Arc;

/// A tree node allocated ahead of its insertion.
pub(crate) struct ReqSlot(RBTreeNodeReservation<u64, Arc<Req>>);

impl ReqSlot {
    /// Allocates a node, in task context (it may sleep).
    pub(crate) fn new(_cx: &TaskCtx) -> Result<Self> {
        Ok(ReqSlot(RBTreeNodeReservation::new(GFP_KERNEL_ACCOUNT)?))
    }
}

/// A tree of request references, by key.
pub(crate) struct RefTree {
    tree: RBTree<u64, Arc<Req>>,
}

impl RefTree {
    /// An empty tree.
    pub(crate) fn new() -> Self {
        RefTree {
            tree: RBTree::new(),
        }
    }

    /// The tree of ring `brand`, exclusively. Only the ring's guards call it.
    pub(in crate::uring::model) fn view<'id>(&mut self, brand: Brand<'id>) -> RefTreeMut<'_, 'id> {
        RefTreeMut {
            tree: &mut self.tree,
            brand,
        }
    }

    /// The tree of ring `brand`, shared. Only the ring's guards call it.
    pub(in crate::uring::model) fn view_ref<'id>(&self, brand: Brand<'id>) -> RefTreeRef<'_, 'id> {
        RefTreeRef {
            tree: &self.tree,
            brand,
        }
    }
}

/// A [`RefTree`] of ring `'id`, shared.
#[derive(Clone, Copy)]
pub(crate) struct RefTreeRef<'g, 'id> {
    tree: &'g RBTree<u64, Arc<Req>>,
    brand: Brand<'id>,
}

impl<'g, 'id> RefTreeRef<'g, 'id> {
    /// The entries in key order, pinned by the references the tree holds.
    pub(crate) fn iter(self) -> impl Iterator<Item = (u64, ReqPin<'g, 'id>)> {
        let brand = self.brand;
        self.tree
            .iter()
            .map(move |(k, arc)| (*k, ReqPin { arc, brand }))
    }

    /// The first entry after key `after` that `pick` accepts.
    pub(crate) fn find_after(
        self,
        after: u64,
        mut pick: impl FnMut(ReqPin<'g, 'id>) -> bool,
    ) -> Option<(u64, ReqPin<'g, 'id>)> {
        self.iter().find(|(k, r)| *k > after && pick(*r))
    }

    /// The first entry.
    pub(crate) fn first(self) -> Option<(u64, ReqPin<'g, 'id>)> {
        self.iter().next()
    }

    /// Whether the tree is empty.
    pub(crate) fn is_empty(self) -> bool {
        self.tree.iter().next().is_none()
    }
}

/// A [`RefTree`] of ring `'id`, exclusively.
pub(crate) struct RefTreeMut<'g, 'id> {
    tree: &'g mut RBTree<u64, Arc<Req>>,
    brand: Brand<'id>,
}

impl<'id> RefTreeMut<'_, 'id> {
    /// Stores `req`'s reference under `key`, in `slot`. A key is used once:
    /// an entry it replaced would keep its reference (none does: keys are
    /// sequence numbers).
    pub(crate) fn insert(&mut self, slot: ReqSlot, key: u64, req: ReqRef<'id>) {
        drop(self.tree.insert(slot.0.into_node(key, req.arc)));
    }

    /// Removes the entry under `key` and returns its reference.
    pub(crate) fn remove(&mut self, key: u64) -> Option<ReqRef<'id>> {
        let arc = self.tree.remove(&key)?;
        Some(ReqRef {
            arc,
            brand: self.brand,
        })
    }
}

/// A tree of requests (memory only), by key.
pub(crate) struct ArcTree {
    tree: RBTree<u64, Arc<Req>>,
}

impl ArcTree {
    /// An empty tree.
    pub(crate) fn new() -> Self {
        ArcTree {
            tree: RBTree::new(),
        }
    }

    /// The tree of ring `brand`. Only the ring's guards call it.
    pub(in crate::uring::model) fn view<'id>(&mut self, brand: Brand<'id>) -> ArcTreeMut<'_, 'id> {
        ArcTreeMut {
            tree: &mut self.tree,
            brand,
        }
    }
}

/// An [`ArcTree`] of ring `'id`, exclusively.
pub(crate) struct ArcTreeMut<'g, 'id> {
    tree: &'g mut RBTree<u64, Arc<Req>>,
    brand: Brand<'id>,
}

impl<'id> ArcTreeMut<'_, 'id> {
    /// Stores `req` under `key`, in `slot`.
    pub(crate) fn insert(&mut self, slot: ReqSlot, key: u64, req: ReqArc<'id>) {
        drop(self.tree.insert(slot.0.into_node(key, req.arc)));
    }

    /// Removes and returns the entry under `key`.
    pub(crate) fn remove(&mut self, key: u64) -> Option<ReqArc<'id>> {
        let arc = self.tree.remove(&key)?;
        Some(ReqArc {
            arc,
            brand: self.brand,
        })
    }

    /// The first entry `pick` accepts.
    pub(crate) fn find(&self, mut pick: impl FnMut(&Req) -> bool) -> Option<(u64, ReqArc<'id>)> {
        let brand = self.brand;
        self.tree.iter().find(|(_, r)| pick(r)).map(|(k, arc)| {
            (
                *k,
                ReqArc {
                    arc: arc.clone(),
                    brand,
                },
            )
        })
    }
}
