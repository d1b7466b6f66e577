// SPDX-License-Identifier: GPL-2.0

//! `kernel::workqueue`: work items embedded in the object they run for.
//!
//! The queues themselves are the host glue's (`io_uring_rs_host::glue::wq`);
//! this module has the item side: `Work`, `WorkItem`, `HasWork`.

use crate::init::PinInit;
use crate::str::CStr;
use crate::sync::{Arc, LockClassKey};
use core::marker::PhantomData;
use std::sync::atomic::{AtomicBool, Ordering};

/// A work item's state: queued or not (`WORK_STRUCT_PENDING`).
pub struct Work<T: ?Sized, const ID: u64 = 0> {
    pending: AtomicBool,
    _owner: PhantomData<fn(&T)>,
}

impl<T: ?Sized, const ID: u64> Work<T, ID> {
    /// An initialiser for an idle work item.
    pub fn new(_name: &'static CStr, _key: &'static LockClassKey) -> impl PinInit<Self> {
        Work {
            pending: AtomicBool::new(false),
            _owner: PhantomData,
        }
    }
}

/// `kernel::new_work!`.
#[macro_export]
macro_rules! new_work {
    ($($name:literal)?) => {
        $crate::workqueue::Work::new("", $crate::static_lock_class!())
    };
}
pub use new_work;

/// What a work item runs.
pub trait WorkItem<const ID: u64 = 0> {
    /// The pointer the queue holds while the item is queued.
    type Pointer;
    /// Runs the item.
    fn run(this: Self::Pointer);
}

/// A type with an embedded [`Work`] for `ID`.
///
/// # Safety
///
/// `work` must return the embedded field (as the kernel's `raw_get_work`).
pub unsafe trait HasWork<T, const ID: u64 = 0> {
    /// The embedded work item.
    fn work(&self) -> &Work<T, ID>;
}

/// `kernel::impl_has_work!`.
#[macro_export]
macro_rules! impl_has_work {
    ($(impl$({$($generics:tt)*})?
       HasWork<$work_type:ty $(, $id:tt)?>
       for $self:ty
       { self.$field:ident }
    )*) => {$(
        // SAFETY: `work` returns the named field.
        unsafe impl$(<$($generics)+>)? $crate::workqueue::HasWork<$work_type $(, $id)?> for $self {
            fn work(&self) -> &$crate::workqueue::Work<$work_type $(, $id)?> {
                &self.$field
            }
        }
    )*};
}
pub use impl_has_work;

impl<T: ?Sized, const ID: u64> Work<T, ID> {
    /// Clears pending: the host glue's `cancel_work()` took the item off
    /// its queue.
    pub fn clear_pending(&self) {
        self.pending.store(false, Ordering::Release);
    }

    /// The item's identity on a queue: its address.
    pub fn key(&self) -> usize {
        core::ptr::from_ref(self) as *const u8 as usize
    }
}

/// A pointer to a work item that a queue can hold (`RawWorkItem`).
pub trait RawWorkItem<const ID: u64>: Send + 'static {
    /// Marks the item pending; false if it already was.
    fn mark_pending(&self) -> bool;
    /// The item's [`Work::key`].
    fn key(&self) -> usize;
    /// Clears pending and runs the item.
    fn run(self);
}

impl<T, const ID: u64> RawWorkItem<ID> for Arc<T>
where
    T: WorkItem<ID, Pointer = Arc<T>> + HasWork<T, ID> + Send + Sync + 'static,
{
    fn mark_pending(&self) -> bool {
        !self.work().pending.swap(true, Ordering::AcqRel)
    }

    fn key(&self) -> usize {
        self.work().key()
    }

    fn run(self) {
        self.work().pending.store(false, Ordering::Release);
        T::run(self);
    }
}
