// SPDX-License-Identifier: GPL-2.0

//! `kernel::sync`: `Lock` with its mutex and spinlock backends, `Guard`,
//! `CondVar`, `LockedBy`, `Arc` and `UniqueArc`.
//!
//! A `Lock` is a raw lock next to an `UnsafeCell` holding the data, as in
//! the kernel, so the data's address is known without locking (`LockedBy`
//! and the core's chain proofs rely on that).

use crate::alloc::{AllocError, Flags};
use crate::error::Error;
use crate::init::PinInit;
use crate::str::CStr;
use crate::time::Jiffies;
use core::cell::UnsafeCell;
use core::marker::PhantomData;
use core::ops::{Deref, DerefMut};
use core::pin::Pin;

#[cfg(loom)]
use loom::sync as sys;
#[cfg(not(loom))]
use std::sync as sys;

/// A lockdep class key (unused on the host).
pub struct LockClassKey;

/// `kernel::static_lock_class!`.
#[macro_export]
macro_rules! static_lock_class {
    () => {{
        static CLASS: $crate::sync::LockClassKey = $crate::sync::LockClassKey;
        &CLASS
    }};
}

/// `kernel::sync::lock`.
pub mod lock {
    use super::*;

    /// A lock backend (a marker on the host: all backends are a mutex).
    pub trait Backend {}

    /// `kernel::sync::lock::mutex`.
    pub mod mutex {
        /// The `struct mutex` backend.
        pub struct MutexBackend;
        impl super::Backend for MutexBackend {}
    }

    /// `kernel::sync::lock::spinlock`.
    pub mod spinlock {
        /// The `spinlock_t` backend.
        pub struct SpinLockBackend;
        impl super::Backend for SpinLockBackend {}
    }

    /// A lock protecting a `T`.
    pub struct Lock<T: ?Sized, B: Backend> {
        _backend: PhantomData<B>,
        state: sys::Mutex<()>,
        data: UnsafeCell<T>,
    }

    // SAFETY: `data` is only reached through a `Guard`, i.e. with `state`
    // held, so `Lock` is a mutex around a `T: Send`.
    unsafe impl<T: ?Sized + Send, B: Backend> Send for Lock<T, B> {}
    // SAFETY: As above.
    unsafe impl<T: ?Sized + Send, B: Backend> Sync for Lock<T, B> {}

    impl<T, B: Backend> Lock<T, B> {
        /// An initialiser for a lock holding `t`.
        pub fn new(t: T, _name: &'static CStr, _key: &'static LockClassKey) -> impl PinInit<Self> {
            Lock {
                _backend: PhantomData,
                state: sys::Mutex::new(()),
                data: UnsafeCell::new(t),
            }
        }
    }

    thread_local! {
        static ACQUISITIONS: core::cell::Cell<u64> = const { core::cell::Cell::new(0) };
    }

    /// How many locks this thread has taken (the P4 benchmark counts them).
    pub fn acquisitions() -> u64 {
        ACQUISITIONS.with(|c| c.get())
    }

    impl<T: ?Sized, B: Backend> Lock<T, B> {
        /// Takes the lock.
        pub fn lock(&self) -> Guard<'_, T, B> {
            ACQUISITIONS.with(|c| c.set(c.get() + 1));
            let g = self.state.lock().unwrap_or_else(|e| e.into_inner());
            Guard {
                lock: self,
                raw: Some(g),
                _not_send: PhantomData,
            }
        }

        pub(crate) fn data_ptr(&self) -> *mut T {
            self.data.get()
        }
    }

    /// A held lock.
    #[must_use = "the lock unlocks immediately when the guard is unused"]
    pub struct Guard<'a, T: ?Sized, B: Backend> {
        lock: &'a Lock<T, B>,
        pub(crate) raw: Option<sys::MutexGuard<'a, ()>>,
        _not_send: PhantomData<*mut ()>,
    }

    impl<T: ?Sized, B: Backend> Deref for Guard<'_, T, B> {
        type Target = T;
        fn deref(&self) -> &T {
            // SAFETY: The guard holds the lock.
            unsafe { &*self.lock.data.get() }
        }
    }

    // `T: Unpin` as in 7.2 (6.12 has no bound): the core builds against
    // both kernels, so the mirror holds it to the stricter one.
    impl<T: ?Sized + Unpin, B: Backend> DerefMut for Guard<'_, T, B> {
        fn deref_mut(&mut self) -> &mut T {
            // SAFETY: The guard holds the lock, exclusively borrowed.
            unsafe { &mut *self.lock.data.get() }
        }
    }
}

use lock::{Backend, Guard, Lock};

/// `kernel::sync::Mutex`.
pub type Mutex<T> = Lock<T, lock::mutex::MutexBackend>;
/// `kernel::sync::SpinLock`.
pub type SpinLock<T> = Lock<T, lock::spinlock::SpinLockBackend>;

/// `kernel::new_mutex!`.
#[macro_export]
macro_rules! new_mutex {
    ($inner:expr $(, $name:literal)? $(,)?) => {
        $crate::sync::Mutex::new($inner, "", $crate::static_lock_class!())
    };
}
pub use new_mutex;

/// `kernel::new_spinlock!`.
#[macro_export]
macro_rules! new_spinlock {
    ($inner:expr $(, $name:literal)? $(,)?) => {
        $crate::sync::SpinLock::new($inner, "", $crate::static_lock_class!())
    };
}
pub use new_spinlock;

/// `kernel::new_condvar!`.
#[macro_export]
macro_rules! new_condvar {
    ($($name:literal)?) => {
        $crate::sync::CondVar::new("", $crate::static_lock_class!())
    };
}
pub use new_condvar;

/// The result of [`CondVar::wait_interruptible_timeout`].
pub enum CondVarTimeoutResult {
    /// The timeout elapsed.
    Timeout,
    /// Woken, with the jiffies left.
    Woken {
        /// Jiffies left.
        jiffies: Jiffies,
    },
    /// A signal is pending (never on the host).
    Signal {
        /// Jiffies left.
        jiffies: Jiffies,
    },
}

/// `kernel::sync::CondVar`.
pub struct CondVar {
    cv: sys::Condvar,
}

impl CondVar {
    /// An initialiser for a condition variable.
    pub fn new(_name: &'static CStr, _key: &'static LockClassKey) -> impl PinInit<Self> {
        CondVar {
            cv: sys::Condvar::new(),
        }
    }

    /// Sleeps, releasing the guard's lock, until notified.
    pub fn wait<T: ?Sized, B: Backend>(&self, guard: &mut Guard<'_, T, B>) {
        let g = guard.raw.take().expect("guard holds its lock");
        guard.raw = Some(self.cv.wait(g).unwrap_or_else(|e| e.into_inner()));
    }

    /// As [`CondVar::wait`]; returns whether a signal is pending (never).
    #[must_use]
    pub fn wait_interruptible<T: ?Sized, B: Backend>(&self, guard: &mut Guard<'_, T, B>) -> bool {
        self.wait(guard);
        false
    }

    /// Sleeps until notified or `jiffies` (milliseconds) passed.
    #[must_use]
    pub fn wait_interruptible_timeout<T: ?Sized, B: Backend>(
        &self,
        guard: &mut Guard<'_, T, B>,
        jiffies: Jiffies,
    ) -> CondVarTimeoutResult {
        let g = guard.raw.take().expect("guard holds its lock");
        #[cfg(not(loom))]
        {
            let start = std::time::Instant::now();
            let dur = std::time::Duration::from_millis(jiffies as u64);
            let (g, res) = self
                .cv
                .wait_timeout(g, dur)
                .unwrap_or_else(|e| e.into_inner());
            guard.raw = Some(g);
            let spent = start.elapsed().as_millis() as Jiffies;
            if res.timed_out() || spent >= jiffies {
                CondVarTimeoutResult::Timeout
            } else {
                CondVarTimeoutResult::Woken {
                    jiffies: jiffies - spent,
                }
            }
        }
        #[cfg(loom)]
        {
            // Loom has no clock: every wait may or may not be woken; one
            // jiffy passes per wait, so bounded loops end.
            let g = self.cv.wait(g).unwrap_or_else(|e| e.into_inner());
            guard.raw = Some(g);
            CondVarTimeoutResult::Woken {
                jiffies: jiffies.saturating_sub(1),
            }
        }
    }

    /// Wakes one waiter.
    pub fn notify_one(&self) {
        self.cv.notify_one();
    }

    /// Wakes every waiter.
    pub fn notify_all(&self) {
        self.cv.notify_all();
    }
}

/// `kernel::sync::LockedBy`: data protected by another object's lock.
pub struct LockedBy<T: ?Sized, U: ?Sized> {
    owner: *const U,
    data: UnsafeCell<T>,
}

// SAFETY: As in the kernel: access needs the owner's lock.
unsafe impl<T: ?Sized + Send, U: ?Sized> Send for LockedBy<T, U> {}
// SAFETY: As in the kernel: `&T` is only handed out with the owner locked
// and needs `T: Sync`; `&mut T` needs the owner exclusively.
unsafe impl<T: ?Sized + Send, U: ?Sized> Sync for LockedBy<T, U> {}

impl<T, U> LockedBy<T, U> {
    /// Data protected by `owner`'s lock.
    pub fn new<B: Backend>(owner: &Lock<U, B>, data: T) -> Self {
        LockedBy {
            owner: owner.data_ptr(),
            data: UnsafeCell::new(data),
        }
    }
}

impl<T: ?Sized, U> LockedBy<T, U> {
    /// Shared access; `owner` proves the lock is held. Panics on a wrong owner.
    pub fn access<'a>(&'a self, owner: &'a U) -> &'a T
    where
        T: Sync,
    {
        assert!(core::ptr::eq(owner, self.owner), "mismatched owners");
        // SAFETY: `owner` is the locked data of the right lock.
        unsafe { &*self.data.get() }
    }

    /// Exclusive access; `owner` proves the lock is held exclusively.
    pub fn access_mut<'a>(&'a self, owner: &'a mut U) -> &'a mut T {
        assert!(core::ptr::eq(owner, self.owner), "mismatched owners");
        // SAFETY: `owner` is the exclusively borrowed locked data.
        unsafe { &mut *self.data.get() }
    }
}

/// `kernel::sync::Arc`: a reference-counted, pinned allocation.
pub struct Arc<T: ?Sized>(std::sync::Arc<T>);

impl<T> Arc<T> {
    /// Allocates and pins `init`'s value.
    pub fn pin_init<E>(init: impl PinInit<T, E>, _flags: Flags) -> Result<Self, Error>
    where
        Error: From<E>,
    {
        let mut this = std::sync::Arc::<T>::new_uninit();
        let slot = std::sync::Arc::get_mut(&mut this)
            .expect("fresh Arc")
            .as_mut_ptr();
        // SAFETY: `slot` is valid for writes and is never moved (the `Arc`
        // is never unwrapped); on error it is freed without being dropped.
        unsafe { init.__pinned_init(slot)? };
        // SAFETY: `__pinned_init` succeeded, so every field is initialised.
        Ok(Arc(unsafe { this.assume_init() }))
    }

    /// Allocates `v`.
    pub fn new(v: T, _flags: Flags) -> Result<Self, AllocError> {
        Ok(Arc(std::sync::Arc::new(v)))
    }
}

impl<T> Arc<T> {
    /// Gives up the reference as a raw pointer (`Arc::into_raw`).
    pub fn into_raw(self) -> *const T {
        std::sync::Arc::into_raw(self.0)
    }

    /// Takes back a reference given up by [`Arc::into_raw`].
    ///
    /// # Safety
    ///
    /// `ptr` came from [`Arc::into_raw`], and its reference is taken back
    /// once.
    pub unsafe fn from_raw(ptr: *const T) -> Self {
        // SAFETY: As the function's safety section requires.
        Arc(unsafe { std::sync::Arc::from_raw(ptr) })
    }
}

impl<T> Arc<T> {
    /// The allocation as a [`UniqueArc`] if this is its only reference;
    /// otherwise drops this reference (`Arc::into_unique_or_drop`).
    pub fn into_unique_or_drop(this: Self) -> Option<Pin<UniqueArc<T>>> {
        let mut this = this;
        std::sync::Arc::get_mut(&mut this.0)?;
        // SAFETY: The value was pinned by the `Arc` and stays where it is.
        Some(unsafe { Pin::new_unchecked(UniqueArc { inner: this }) })
    }
}

/// `kernel::sync::UniqueArc`: the only reference of an [`Arc`] allocation.
pub struct UniqueArc<T: ?Sized> {
    inner: Arc<T>,
}

impl<T: ?Sized> Deref for UniqueArc<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.inner
    }
}

impl<T: ?Sized> DerefMut for UniqueArc<T> {
    fn deref_mut(&mut self) -> &mut T {
        std::sync::Arc::get_mut(&mut self.inner.0).expect("unique")
    }
}

impl<T: ?Sized> From<Pin<UniqueArc<T>>> for Arc<T> {
    fn from(item: Pin<UniqueArc<T>>) -> Self {
        // SAFETY: An `Arc`'s value is pinned too.
        unsafe { Pin::into_inner_unchecked(item) }.inner
    }
}

impl<T: ?Sized> Arc<T> {
    /// Whether two `Arc`s point to the same allocation.
    pub fn ptr_eq(a: &Self, b: &Self) -> bool {
        std::sync::Arc::ptr_eq(&a.0, &b.0)
    }
}

impl<T: ?Sized> Clone for Arc<T> {
    fn clone(&self) -> Self {
        Arc(self.0.clone())
    }
}

impl<T: ?Sized> Deref for Arc<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}
