// SPDX-License-Identifier: GPL-2.0

//! `kernel::rbtree`: an ordered map whose nodes are allocated up front.

use crate::alloc::Flags;
use crate::error::Result;
use std::collections::BTreeMap;

/// `RBTree<K, V>`.
#[derive(Debug)]
pub struct RBTree<K, V>(BTreeMap<K, V>);

impl<K, V> Default for RBTree<K, V> {
    fn default() -> Self {
        RBTree(BTreeMap::new())
    }
}

/// A node allocated before the tree's lock is taken.
pub struct RBTreeNode<K, V> {
    key: K,
    value: V,
}

impl<K, V> RBTreeNode<K, V> {
    /// Allocates a node.
    pub fn new(key: K, value: V, _flags: Flags) -> Result<Self> {
        Ok(RBTreeNode { key, value })
    }

    /// Drops the key and value, keeping the node's memory.
    pub fn into_reservation(self) -> RBTreeNodeReservation<K, V> {
        RBTreeNodeReservation {
            _node: core::marker::PhantomData,
        }
    }
}

/// A node's memory, allocated before its key and value are known
/// (`RBTreeNodeReservation`).
pub struct RBTreeNodeReservation<K, V> {
    _node: core::marker::PhantomData<(K, V)>,
}

impl<K, V> RBTreeNodeReservation<K, V> {
    /// Allocates a node.
    pub fn new(_flags: Flags) -> Result<Self> {
        Ok(RBTreeNodeReservation {
            _node: core::marker::PhantomData,
        })
    }

    /// Fills the node.
    pub fn into_node(self, key: K, value: V) -> RBTreeNode<K, V> {
        RBTreeNode { key, value }
    }
}

impl<K: Ord + Clone, V> RBTree<K, V> {
    /// An empty tree.
    pub fn new() -> Self {
        RBTree(BTreeMap::new())
    }

    /// Inserts `node`, returning the node it replaced.
    pub fn insert(&mut self, node: RBTreeNode<K, V>) -> Option<RBTreeNode<K, V>> {
        let RBTreeNode { key, value } = node;
        let old = self.0.insert(key.clone(), value);
        old.map(|value| RBTreeNode { key, value })
    }

    /// Removes and returns the value under `key`.
    pub fn remove(&mut self, key: &K) -> Option<V> {
        self.0.remove(key)
    }

    /// Removes and returns the node under `key`, to insert it elsewhere
    /// without allocating.
    pub fn remove_node(&mut self, key: &K) -> Option<RBTreeNode<K, V>> {
        let (key, value) = self.0.remove_entry(key)?;
        Some(RBTreeNode { key, value })
    }

    /// The value under `key`.
    pub fn get(&self, key: &K) -> Option<&V> {
        self.0.get(key)
    }

    /// The value under `key`, exclusively.
    pub fn get_mut(&mut self, key: &K) -> Option<&mut V> {
        self.0.get_mut(key)
    }

    /// In-order iteration (a concrete iterator without drop glue, as the
    /// kernel's, so borrows end where they end in the kernel build).
    pub fn iter(&self) -> std::collections::btree_map::Iter<'_, K, V> {
        self.0.iter()
    }

    /// The values, in key order.
    pub fn values(&self) -> std::collections::btree_map::Values<'_, K, V> {
        self.0.values()
    }
}
