// SPDX-License-Identifier: GPL-2.0

//! A spinlock whose holder is in atomic context: its guard carries an
//! [`AtomicCtx`].
//!
//! io-wq runs its cancel match callbacks under its spinlock; the callbacks
//! may take `timeout_lock` and nothing that sleeps. Taking this lock borrows
//! the caller's [`TaskCtx`] for as long as the guard lives, so the caller
//! cannot use both contexts at once.

use crate::glue::context::{AtomicCtx, TaskCtx};
use core::marker::PhantomData;
use kernel::prelude::*;
use kernel::sync::lock::{spinlock::SpinLockBackend, Guard};
use kernel::sync::{CondVar, CondVarTimeoutResult, SpinLock};
use kernel::time::Jiffies;

/// A spinlock whose guard is an atomic context.
#[pin_data]
pub(crate) struct AtomicLock<T> {
    #[pin]
    lock: SpinLock<T>,
}

/// Creates an [`AtomicLock`] initialiser with its own lockdep class.
macro_rules! new_atomic_lock {
    ($inner:expr, $name:literal) => {
        $crate::glue::atomic_lock::AtomicLock::new(kernel::new_spinlock!($inner, $name))
    };
}
pub(crate) use new_atomic_lock;

impl<T> AtomicLock<T> {
    /// Returns an initialiser around the spinlock `lock` initialises.
    pub(crate) fn new(lock: impl PinInit<SpinLock<T>>) -> impl PinInit<Self> {
        pin_init!(AtomicLock { lock <- lock })
    }

    /// Takes the lock, lending the caller's task context to the guard.
    pub(crate) fn lock<'a>(&'a self, _cx: &'a mut TaskCtx) -> AtomicGuard<'a, T> {
        let guard = self.lock.lock();
        // The caller's only other context is lent to the guard for as long,
        // and the io-wq lock comes before `timeout_lock` in the lock order.
        // SAFETY: A spinlock is held until the guard drops: atomic context.
        let cx = unsafe { AtomicCtx::enter() };
        AtomicGuard {
            guard,
            cx,
            _task: PhantomData,
        }
    }
}

/// An [`AtomicLock`] held.
pub(crate) struct AtomicGuard<'a, T> {
    guard: Guard<'a, T, SpinLockBackend>,
    cx: AtomicCtx,
    _task: PhantomData<&'a mut TaskCtx>,
}

impl<T: Unpin> AtomicGuard<'_, T> {
    /// The protected data and the atomic context the holder is in.
    pub(crate) fn split(&mut self) -> (&mut T, &mut AtomicCtx) {
        (&mut self.guard, &mut self.cx)
    }
}

impl<T> AtomicGuard<'_, T> {
    /// Sleeps on `cv` with the lock released, until woken, interrupted, or
    /// `jiffies` pass; returns whether the time ran out. The holder is in
    /// task context again while it sleeps: the guard borrowed the task
    /// context it was taken with, and `&mut self` keeps the atomic one from
    /// use until the lock is held again.
    pub(crate) fn wait_timeout(&mut self, cv: &CondVar, jiffies: Jiffies) -> bool {
        matches!(
            cv.wait_interruptible_timeout(&mut self.guard, jiffies),
            CondVarTimeoutResult::Timeout
        )
    }
}
