// SPDX-License-Identifier: GPL-2.0

//! A lock-free, intrusive list of objects waiting for task work: C's
//! `llist` of `io_uring_task::task_list`, whose nodes are
//! `req->io_task_work.node`.
//!
//! Any context may [`TwList::push`] (a timer, a wake-up under a wait-queue
//! lock): it allocates nothing and takes no lock. [`TwList::take_all`]
//! empties the list at once and hands its entries back oldest first, as
//! `tctx_task_work()` reverses the `llist` it took (`llist_reverse_order()`).
//!
//! # Invariants
//!
//! A node is on at most one list at a time, once: its `queued` flag is set
//! before it is linked and cleared only after it was unlinked (by
//! [`TwBatch`], which owns the entries it took). A linked entry owns one
//! reference of its object, leaked from an [`Arc`] by [`TwList::push`] and
//! reclaimed exactly once, when the batch that unlinked it yields it.

use crate::glue::atomic::{AtomicBool, AtomicPtr, Ordering};
use core::marker::PhantomData;
use core::ptr;
use kernel::sync::Arc;

/// The node an object embeds to be put on a [`TwList`]
/// (`io_task_work.node`).
pub(crate) struct TwNode {
    /// The next entry (an `Arc::into_raw` pointer of the same type), or
    /// null; meaningful only while `queued`.
    next: AtomicPtr<()>,
    /// The node is linked on a list (or about to be).
    queued: AtomicBool,
}

impl TwNode {
    /// A node on no list.
    pub(crate) fn new() -> Self {
        TwNode {
            next: AtomicPtr::new(ptr::null_mut()),
            queued: AtomicBool::new(false),
        }
    }
}

/// An object with an embedded [`TwNode`].
///
/// # Safety
///
/// `tw_node` returns the same node of `self` every time, and nothing but
/// [`TwList`] uses it.
pub(crate) unsafe trait HasTwNode: Sized + Send + Sync {
    /// The embedded node.
    fn tw_node(&self) -> &TwNode;
}

/// A list of objects that wait for task work (`struct llist_head`).
pub(crate) struct TwList<T: HasTwNode> {
    /// The newest entry, or null.
    head: AtomicPtr<T>,
    _owns: PhantomData<Arc<T>>,
}

// SAFETY: The list owns references of `T`s (`Arc<T>` is `Send` and `Sync`
// for `T: Send + Sync`); its head is an atomic.
unsafe impl<T: HasTwNode> Send for TwList<T> {}
// SAFETY: As above; every operation through `&TwList` is atomic.
unsafe impl<T: HasTwNode> Sync for TwList<T> {}

/// `obj`'s node.
///
/// # Safety
///
/// `obj` is a pointer from `Arc::into_raw` whose reference is still owned
/// by a list or a batch.
unsafe fn node<'a, T: HasTwNode + 'a>(obj: *mut T) -> &'a TwNode {
    // SAFETY: The reference owned by the list keeps `*obj` alive.
    unsafe { &*obj }.tw_node()
}

impl<T: HasTwNode> TwList<T> {
    /// An empty list.
    pub(crate) fn new() -> Self {
        TwList {
            head: AtomicPtr::new(ptr::null_mut()),
            _owns: PhantomData,
        }
    }

    /// Adds `obj` (`llist_add()`); returns whether the list was empty. If
    /// `obj` is already on a list, nothing changes and `obj` comes back.
    /// Any context: it allocates nothing and takes no lock.
    pub(crate) fn push(&self, obj: Arc<T>) -> Result<bool, Arc<T>> {
        if obj.tw_node().queued.swap(true, Ordering::AcqRel) {
            return Err(obj);
        }
        let p = Arc::into_raw(obj).cast_mut();
        // SAFETY: `p` is from `Arc::into_raw`; the list owns it from here.
        let n = unsafe { node(p) };
        let mut head = self.head.load(Ordering::Relaxed);
        loop {
            n.next.store(head.cast(), Ordering::Relaxed);
            match self
                .head
                .compare_exchange_weak(head, p, Ordering::AcqRel, Ordering::Relaxed)
            {
                Ok(_) => return Ok(head.is_null()),
                Err(h) => head = h,
            }
        }
    }

    /// Whether the list is empty (a snapshot).
    pub(crate) fn is_empty(&self) -> bool {
        self.head.load(Ordering::Acquire).is_null()
    }

    /// Takes every entry (`llist_del_all()`), oldest first.
    pub(crate) fn take_all(&self) -> TwBatch<T> {
        let mut p = self.head.swap(ptr::null_mut(), Ordering::AcqRel);
        let mut prev: *mut T = ptr::null_mut();
        while !p.is_null() {
            // SAFETY: `p` was linked by `push`: the batch owns its
            // reference now.
            let n = unsafe { node(p) };
            let next = n.next.load(Ordering::Relaxed).cast::<T>();
            n.next.store(prev.cast(), Ordering::Relaxed);
            prev = p;
            p = next;
        }
        TwBatch {
            head: prev,
            _owns: PhantomData,
        }
    }
}

impl<T: HasTwNode> Drop for TwList<T> {
    fn drop(&mut self) {
        drop(self.take_all());
    }
}

/// The entries one [`TwList::take_all`] took, oldest first; dropping the
/// batch drops the ones not yielded.
pub(crate) struct TwBatch<T: HasTwNode> {
    head: *mut T,
    _owns: PhantomData<Arc<T>>,
}

// SAFETY: The batch owns references of `T`s, which are `Send + Sync`.
unsafe impl<T: HasTwNode> Send for TwBatch<T> {}

impl<T: HasTwNode> Iterator for TwBatch<T> {
    type Item = Arc<T>;

    fn next(&mut self) -> Option<Arc<T>> {
        let p = self.head;
        if p.is_null() {
            return None;
        }
        // SAFETY: `p` is owned by this batch (`take_all`).
        let n = unsafe { node(p) };
        self.head = n.next.load(Ordering::Relaxed).cast();
        // The node is unlinked: it may be pushed again from here on.
        n.queued.store(false, Ordering::Release);
        // SAFETY: `p` came from `Arc::into_raw` in `push`; the batch owned
        // that reference and gives it up here, once.
        Some(unsafe { Arc::from_raw(p) })
    }
}

impl<T: HasTwNode> Drop for TwBatch<T> {
    fn drop(&mut self) {
        for obj in self.by_ref() {
            drop(obj);
        }
    }
}
