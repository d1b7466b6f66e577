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
//!
//! The cancelable tree (`RefTree<true>`) also keeps each file request's
//! armed poll in the request's entry (C: `req->apoll`, found through the
//! request's one `cancel_table` entry): arming costs no second node, and
//! taking the entry out unhooks the poll.

use super::{Brand, Req, ReqArc, ReqPin, ReqRef};
use crate::glue::context::TaskCtx;
use crate::glue::file::PollArm;
use kernel::prelude::*;
use kernel::rbtree::{RBTree, RBTreeNodeReservation};
use kernel::sync::Arc;

/// What a node holds: a request, and in a tree that has them the poll armed
/// for it. The poll is declared first, so a dropped entry unhooks it before
/// it lets go of the request.
pub(crate) struct TreeEntry {
    arm: Option<PollArm<Req>>,
    req: Arc<Req>,
}

impl TreeEntry {
    /// The request, with the entry's poll (if any) unhooked from its file:
    /// after this returns, the poll's wake-up will not run.
    fn into_req(self) -> Arc<Req> {
        drop(self.arm);
        self.req
    }
}

/// A tree node allocated ahead of its insertion.
pub(crate) struct ReqSlot(RBTreeNodeReservation<u64, TreeEntry>);

impl ReqSlot {
    /// Allocates a node, in task context (it may sleep).
    pub(crate) fn new(_cx: &TaskCtx) -> Result<Self> {
        Ok(ReqSlot(RBTreeNodeReservation::new(GFP_KERNEL_ACCOUNT)?))
    }
}

/// A tree of request references, by key; with `ARMS`, each entry may also
/// keep the request's armed poll.
pub(crate) struct RefTree<const ARMS: bool = false> {
    tree: RBTree<u64, TreeEntry>,
}

impl<const ARMS: bool> RefTree<ARMS> {
    /// An empty tree.
    pub(crate) fn new() -> Self {
        RefTree {
            tree: RBTree::new(),
        }
    }

    /// The tree of ring `brand`, exclusively. Only the ring's guards call it.
    pub(in crate::uring::model) fn view<'id>(
        &mut self,
        brand: Brand<'id>,
    ) -> RefTreeMut<'_, 'id, ARMS> {
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
    tree: &'g RBTree<u64, TreeEntry>,
    brand: Brand<'id>,
}

impl<'g, 'id> RefTreeRef<'g, 'id> {
    /// The entries in key order, pinned by the references the tree holds.
    pub(crate) fn iter(self) -> impl Iterator<Item = (u64, ReqPin<'g, 'id>)> {
        let brand = self.brand;
        self.tree
            .iter()
            .map(move |(k, e)| (*k, ReqPin { arc: &e.req, brand }))
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
pub(crate) struct RefTreeMut<'g, 'id, const ARMS: bool = false> {
    tree: &'g mut RBTree<u64, TreeEntry>,
    brand: Brand<'id>,
}

impl<'id, const ARMS: bool> RefTreeMut<'_, 'id, ARMS> {
    /// Stores `req`'s reference under `key`, in `slot`. A key is used once:
    /// an entry it replaced would keep its reference (none does: keys are
    /// sequence numbers).
    pub(crate) fn insert(&mut self, slot: ReqSlot, key: u64, req: ReqRef<'id>) {
        self.insert_entry(slot, key, req, None);
    }

    /// Stores `req`'s reference, and the poll armed for it if any.
    fn insert_entry(
        &mut self,
        slot: ReqSlot,
        key: u64,
        req: ReqRef<'id>,
        arm: Option<PollArm<Req>>,
    ) {
        let entry = TreeEntry { arm, req: req.arc };
        drop(self.tree.insert(slot.0.into_node(key, entry)));
    }

    /// Removes the entry under `key` and returns its reference; a poll the
    /// entry kept is unhooked first.
    pub(crate) fn remove(&mut self, key: u64) -> Option<ReqRef<'id>> {
        let arc = self.tree.remove(&key)?.into_req();
        Some(ReqRef {
            arc,
            brand: self.brand,
        })
    }
}

impl<'id> RefTreeMut<'_, 'id, true> {
    /// Stores `req`'s reference under `key`, in `slot`, with the poll armed
    /// for it: the poll stays hooked to its file until the entry is removed
    /// (or the tree dropped).
    pub(crate) fn insert_armed(
        &mut self,
        slot: ReqSlot,
        key: u64,
        req: ReqRef<'id>,
        arm: PollArm<Req>,
    ) {
        self.insert_entry(slot, key, req, Some(arm));
    }
}

/// A tree of requests (memory only), by key.
pub(crate) struct ArcTree {
    tree: RBTree<u64, TreeEntry>,
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
    tree: &'g mut RBTree<u64, TreeEntry>,
    brand: Brand<'id>,
}

impl<'id> ArcTreeMut<'_, 'id> {
    /// Stores `req` under `key`, in `slot`.
    pub(crate) fn insert(&mut self, slot: ReqSlot, key: u64, req: ReqArc<'id>) {
        let entry = TreeEntry {
            arm: None,
            req: req.arc,
        };
        drop(self.tree.insert(slot.0.into_node(key, entry)));
    }

    /// Removes and returns the entry under `key`.
    pub(crate) fn remove(&mut self, key: u64) -> Option<ReqArc<'id>> {
        let arc = self.tree.remove(&key)?.into_req();
        Some(ReqArc {
            arc,
            brand: self.brand,
        })
    }

    /// The first entry `pick` accepts.
    pub(crate) fn find(&self, mut pick: impl FnMut(&Req) -> bool) -> Option<(u64, ReqArc<'id>)> {
        let brand = self.brand;
        self.tree.iter().find(|(_, e)| pick(&e.req)).map(|(k, e)| {
            (
                *k,
                ReqArc {
                    arc: e.req.clone(),
                    brand,
                },
            )
        })
    }
}
