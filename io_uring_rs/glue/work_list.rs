// SPDX-License-Identifier: GPL-2.0

//! An intrusive FIFO of reference-counted objects: C's
//! `struct io_wq_work_list` (`wq_list_add_tail()`, `wq_list_del()` with the
//! entry before, `wq_list_for_each()`), io-wq's pending work.
//!
//! The list is plain data: whoever holds `&mut WorkList` (io-wq's lock)
//! changes it. Queueing allocates nothing, since the link is a field of the
//! object ([`WqNode`]); taking the first entry and removing an entry found
//! by a walk are O(1).
//!
//! # Invariants
//!
//! A node is on at most one list at a time, once: its `queued` flag is set
//! before it is linked and cleared only after it was unlinked. A list owns
//! one reference of each entry: the first in `first`, every other one in
//! the node of the entry before it. A node's `next` is touched only by the
//! list the node is on, through a borrow of that list (shared to read,
//! exclusive to write); off a list it is `None`. While the list is not
//! empty, `last` points to its last entry.

use crate::glue::atomic::{AtomicBool, Ordering};
use core::cell::UnsafeCell;
use core::ptr;
use kernel::sync::Arc;

/// The node an object embeds to be put on a [`WorkList`]
/// (`io_wq_work::list`).
pub(crate) struct WqNode<T> {
    /// The entry after this one, owned; `None` off a list and at its end.
    next: UnsafeCell<Option<Arc<T>>>,
    /// The node is on a list.
    queued: AtomicBool,
}

// SAFETY: `next` is touched only by the list the node is on, through that
// list's borrow: shared reads under `&WorkList`, writes under
// `&mut WorkList`, which its owner's lock serialises; `queued` is atomic.
// `Arc<T>` is `Send` and `Sync` for the `T: HasWqNode` (`Send + Sync`)
// that a list can hold.
unsafe impl<T: Send + Sync> Sync for WqNode<T> {}

impl<T> WqNode<T> {
    /// A node on no list.
    pub(crate) fn new() -> Self {
        WqNode {
            next: UnsafeCell::new(None),
            queued: AtomicBool::new(false),
        }
    }
}

/// An object with an embedded [`WqNode`].
///
/// # Safety
///
/// `wq_node` returns the same node of `self` every time, and nothing but
/// [`WorkList`] uses it.
pub(crate) unsafe trait HasWqNode: Sized + Send + Sync {
    /// The embedded node.
    fn wq_node(&self) -> &WqNode<Self>;
}

/// The entry after `obj`.
///
/// # Safety
///
/// `obj` is on a list the caller borrows (shared) while the result lives.
unsafe fn next_ref<T: HasWqNode>(obj: &T) -> &Option<Arc<T>> {
    // SAFETY: Only the list `obj` is on touches its node, and its writes
    // need the exclusive borrow the caller's shared one excludes.
    unsafe { &*obj.wq_node().next.get() }
}

/// The entry after `obj`, to change.
///
/// # Safety
///
/// `obj` is on a list the caller borrows exclusively while the result
/// lives, and no other reference of this node's `next` is alive.
#[allow(clippy::mut_from_ref)]
unsafe fn next_mut<T: HasWqNode>(obj: &T) -> &mut Option<Arc<T>> {
    // SAFETY: The caller's exclusive borrow of the list is the only way to
    // this node's `next` (see above).
    unsafe { &mut *obj.wq_node().next.get() }
}

/// A FIFO of `T`s (`struct io_wq_work_list`).
pub(crate) struct WorkList<T: HasWqNode> {
    first: Option<Arc<T>>,
    last: *const T,
}

// SAFETY: The list owns references of `T`s (`Arc<T>` is `Send` for
// `T: Send + Sync`); `last` points into one of them.
unsafe impl<T: HasWqNode> Send for WorkList<T> {}
// SAFETY: Through `&WorkList` the entries and their `next` fields are only
// read.
unsafe impl<T: HasWqNode> Sync for WorkList<T> {}

impl<T: HasWqNode> WorkList<T> {
    /// An empty list.
    pub(crate) fn new() -> Self {
        WorkList {
            first: None,
            last: ptr::null(),
        }
    }

    /// Adds `obj` at the end (`wq_list_add_tail()`). If `obj` is on a list
    /// already, nothing changes and `obj` comes back.
    pub(crate) fn push_back(&mut self, obj: Arc<T>) -> Result<(), Arc<T>> {
        if obj.wq_node().queued.swap(true, Ordering::Acquire) {
            return Err(obj);
        }
        let p: *const T = &*obj;
        match self.first {
            None => self.first = Some(obj),
            Some(_) => {
                // SAFETY: The list is not empty, so `last` points to its
                // last entry, which the list keeps alive and borrows
                // exclusively here.
                let last = unsafe { &*self.last };
                // SAFETY: As above; the last entry's `next` is `None`.
                *unsafe { next_mut(last) } = Some(obj);
            }
        }
        self.last = p;
        Ok(())
    }

    /// Takes the first entry off (`wq_list_del()` of the first).
    pub(crate) fn pop_front(&mut self) -> Option<Arc<T>> {
        let obj = self.first.take()?;
        // SAFETY: `obj` was the first entry of this list, borrowed
        // exclusively.
        self.first = unsafe { next_mut(&*obj) }.take();
        if self.first.is_none() {
            self.last = ptr::null();
        }
        // The node is unlinked and its `next` is `None`: it may be queued
        // again from here on.
        obj.wq_node().queued.store(false, Ordering::Release);
        Some(obj)
    }

    /// The entries, first to last, as the references the list holds.
    pub(crate) fn iter(&self) -> Iter<'_, T> {
        Iter {
            next: self.first.as_ref(),
        }
    }

    /// Takes off the first entry `pick` accepts (`wq_list_del()` with the
    /// entry before it, found by the walk).
    pub(crate) fn remove_first(&mut self, mut pick: impl FnMut(&Arc<T>) -> bool) -> Option<Arc<T>> {
        if pick(self.first.as_ref()?) {
            return self.pop_front();
        }
        let mut prev: &T = self.first.as_deref()?;
        loop {
            // SAFETY: `prev` is an entry of this list, borrowed exclusively
            // (the walk only reads until it unlinks).
            let next = unsafe { next_ref(prev) }.as_ref()?;
            if pick(next) {
                break;
            }
            prev = &**next;
        }
        // SAFETY: As above; no other reference of `prev`'s `next` is alive
        // (the walk's ended with the loop).
        let prev_next = unsafe { next_mut(prev) };
        let obj = prev_next.take()?;
        // SAFETY: `obj` was on this list until just now; its `next` is
        // reached through nothing else.
        *prev_next = unsafe { next_mut(&*obj) }.take();
        if prev_next.is_none() {
            self.last = prev;
        }
        obj.wq_node().queued.store(false, Ordering::Release);
        Some(obj)
    }
}

impl<T: HasWqNode> Default for WorkList<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: HasWqNode> Drop for WorkList<T> {
    fn drop(&mut self) {
        // One entry at a time: dropping `first` whole would recurse through
        // every node.
        while self.pop_front().is_some() {}
    }
}

/// The entries of a [`WorkList`], first to last.
pub(crate) struct Iter<'a, T: HasWqNode> {
    next: Option<&'a Arc<T>>,
}

impl<'a, T: HasWqNode> Iterator for Iter<'a, T> {
    type Item = &'a Arc<T>;

    fn next(&mut self) -> Option<&'a Arc<T>> {
        let obj = self.next?;
        // SAFETY: `obj` is on the list this iterator borrows, shared, for
        // `'a`.
        self.next = unsafe { next_ref(&**obj) }.as_ref();
        Some(obj)
    }
}
