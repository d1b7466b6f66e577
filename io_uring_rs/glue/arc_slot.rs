// SPDX-License-Identifier: GPL-2.0

//! The memory of a reference-counted allocation kept for reuse: what the
//! request cache holds (`io_alloc_req()`, `io_req_add_to_cache()`).
//!
//! An [`ArcSlot`] is an `Arc<T>` allocation that holds no value: the value
//! of its last reference was dropped in place ([`ArcSlot::reclaim`]), and
//! the next value is initialised in place ([`ArcSlot::pin_init`]). Nothing
//! of the old value survives into the new one, so a cached allocation is,
//! to its user, a fresh one; only the `krealloc()`/`kfree()` pair is saved.

use core::mem::{ManuallyDrop, MaybeUninit};
use core::ptr::NonNull;
use kernel::alloc::{AllocError, Flags};
use kernel::prelude::*;
use kernel::sync::Arc;

/// The memory of one `Arc<T>`, with no value in it.
///
/// # Invariants
///
/// `ptr` came from `Arc::into_raw` of an allocation whose count is one (this
/// is its only owner) and whose value was dropped in place: the memory is
/// uninitialised, and nothing drops it as a `T`.
pub(crate) struct ArcSlot<T> {
    ptr: NonNull<T>,
}

// SAFETY: The slot holds no `T`, only the memory of one, which it owns
// alone; it may be moved to and freed on any thread, as the `Arc<T>` it
// came from could be.
unsafe impl<T: Send + Sync> Send for ArcSlot<T> {}
// SAFETY: `&ArcSlot` gives access to nothing.
unsafe impl<T: Send + Sync> Sync for ArcSlot<T> {}

impl<T> ArcSlot<T> {
    /// Takes `arc`'s memory if `arc` is the allocation's last reference:
    /// drops its value in place and keeps the memory. Otherwise drops the
    /// reference and returns `None`.
    pub(crate) fn reclaim(arc: Arc<T>) -> Option<Self> {
        let unique = Arc::into_unique_or_drop(arc)?;
        // The only reference, as a raw pointer from here on: were the
        // value's destructor to unwind (the host mirror unwinds), the
        // memory would leak rather than be dropped a second time.
        let ptr = Arc::into_raw(Arc::from(unique)).cast_mut();
        // A pinned value may be dropped in place: its memory is reused only
        // after its destructor ran, and the slot's invariant keeps anything
        // from dropping it as a `T` again.
        // SAFETY: `ptr` is the value of the allocation's only reference,
        // which nothing else reaches; it is dropped here once.
        unsafe { core::ptr::drop_in_place(ptr) };
        // INVARIANT: `ptr` is from `Arc::into_raw` of the only reference,
        // and its value was dropped just above.
        NonNull::new(ptr).map(|ptr| ArcSlot { ptr })
    }

    /// Initialises a value in the slot and returns its first reference; on
    /// error the memory is freed.
    pub(crate) fn pin_init<E>(self, init: impl PinInit<T, E>) -> Result<Arc<T>, E> {
        let this = ManuallyDrop::new(self);
        // SAFETY: The memory is valid for writes of a `T` and owned by the
        // slot alone (type invariants); it stays where it is: on success it
        // becomes the `Arc`'s pinned value.
        match unsafe { init.__pinned_init(this.ptr.as_ptr()) } {
            // SAFETY: `ptr` is from `Arc::into_raw` of the allocation's only
            // reference, taken back once here, and its value is initialised.
            Ok(()) => Ok(unsafe { Arc::from_raw(this.ptr.as_ptr()) }),
            Err(e) => {
                // The memory is still empty: the slot frees it.
                drop(ManuallyDrop::into_inner(this));
                Err(e)
            }
        }
    }
}

impl<T> Drop for ArcSlot<T> {
    fn drop(&mut self) {
        // `MaybeUninit<T>` has `T`'s size and alignment (`repr(transparent)`):
        // the allocation is the one an `Arc<MaybeUninit<T>>` would have, and
        // dropping that frees the memory without dropping a `T`.
        let empty = self.ptr.as_ptr().cast_const().cast::<MaybeUninit<T>>();
        // SAFETY: `ptr` is from `Arc::into_raw` of the only reference (type
        // invariants), taken back once here, as the layout-equal type above.
        drop(unsafe { Arc::<MaybeUninit<T>>::from_raw(empty) });
    }
}

/// A bounded stack that allocates only when it is made, so it may be
/// filled and emptied under any lock: the caches of request memory
/// ([`ArcSlot`]) and of list nodes.
pub(crate) struct BoundedStack<T> {
    /// `slots[..len]` hold an entry each; the rest are `None`.
    slots: KVec<Option<T>>,
    len: usize,
}

impl<T> BoundedStack<T> {
    /// An empty stack with room for `cap` entries.
    pub(crate) fn new(cap: usize, flags: Flags) -> Result<Self, AllocError> {
        let mut slots = KVec::with_capacity(cap, flags)?;
        for _ in 0..cap {
            slots.push(None, flags)?;
        }
        Ok(BoundedStack { slots, len: 0 })
    }

    /// Whether the stack holds nothing.
    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Takes the entry pushed last.
    #[inline]
    pub(crate) fn pop(&mut self) -> Option<T> {
        self.len = self.len.checked_sub(1)?;
        self.slots.get_mut(self.len)?.take()
    }

    /// Keeps `v` if there is room; drops it otherwise.
    #[inline]
    pub(crate) fn push(&mut self, v: T) {
        match self.slots.get_mut(self.len) {
            Some(entry) => {
                // `slots[len]` is empty: there is nothing to drop.
                core::mem::forget(entry.replace(v));
                self.len += 1;
            }
            None => drop(v),
        }
    }
}
