// SPDX-License-Identifier: GPL-2.0

//! An interrupt-safe spinlock: `spin_lock_irqsave()` / `spin_unlock_irqrestore()`.
//!
//! C takes `timeout_lock` with interrupts disabled because the hrtimer
//! callbacks take it in hard-IRQ context. Linux 6.12's Rust `SpinLock` calls
//! plain `spin_lock()` and has no IRQ-safe variant (`SpinLockIrq` came later),
//! so this is a [`Backend`] for [`kernel::sync::lock::Lock`] that saves and
//! restores the interrupt state. Lockdep sees a normal `spinlock_t` with the
//! class key of the call site of [`new_spinlock_irq!`].

use kernel::bindings;
use kernel::sync::lock::{Backend, Lock};

/// A spinlock taken with interrupts disabled.
pub(crate) type SpinLockIrq<T> = Lock<T, SpinLockIrqBackend>;

/// Creates a [`SpinLockIrq`] initialiser with its own lockdep class.
macro_rules! new_spinlock_irq {
    ($inner:expr, $name:literal) => {
        kernel::sync::lock::Lock::<_, $crate::glue::irq_lock::SpinLockIrqBackend>::new(
            $inner,
            kernel::c_str!($name),
            kernel::static_lock_class!(),
        )
    };
}
pub(crate) use new_spinlock_irq;

/// The backend of [`SpinLockIrq`].
pub(crate) struct SpinLockIrqBackend;

// SAFETY: The underlying `spinlock_t` ensures mutual exclusion; `lock` and
// `relock` (the default, which calls `lock`) both disable interrupts and save
// their previous state, which `unlock` restores.
unsafe impl Backend for SpinLockIrqBackend {
    type State = bindings::spinlock_t;
    type GuardState = kernel::ffi::c_ulong;

    unsafe fn init(
        ptr: *mut Self::State,
        name: *const kernel::ffi::c_char,
        key: *mut bindings::lock_class_key,
    ) {
        // SAFETY: The caller guarantees `ptr` is valid for writes and `name`
        // and `key` are valid for reads indefinitely.
        unsafe { bindings::__spin_lock_init(ptr, name, key) }
    }

    unsafe fn lock(ptr: *mut Self::State) -> Self::GuardState {
        // SAFETY: The caller guarantees `ptr` points to an initialised
        // `spinlock_t`, whose first member (offset 0 of its union) is the
        // `raw_spinlock_t` that `spin_lock_irqsave()` takes.
        unsafe { bindings::_raw_spin_lock_irqsave(ptr.cast()) }
    }

    unsafe fn unlock(ptr: *mut Self::State, flags: &Self::GuardState) {
        // SAFETY: The caller guarantees it owns the lock at `ptr` (whose
        // `raw_spinlock_t` is at offset 0, as in `lock`); `flags` is what
        // `lock` saved.
        unsafe { bindings::_raw_spin_unlock_irqrestore(ptr.cast(), *flags) }
    }

    // 7.2's `Backend` also asks for these two (the module calls neither).
    #[cfg(kernel_7_2)]
    unsafe fn try_lock(ptr: *mut Self::State) -> Option<Self::GuardState> {
        let mut flags: Self::GuardState = 0;
        // SAFETY: The caller guarantees `ptr` points to an initialised
        // `spinlock_t`; `flags` is a valid place for the saved state.
        let locked = unsafe { io_uring_rs_spin_trylock_irqsave(ptr, &mut flags) };
        locked.then_some(flags)
    }

    #[cfg(kernel_7_2)]
    unsafe fn assert_is_held(ptr: *mut Self::State) {
        // SAFETY: The caller guarantees `ptr` points to an initialised
        // `spinlock_t`.
        unsafe { bindings::spin_assert_is_held(ptr) }
    }
}

#[cfg(kernel_7_2)]
extern "C" {
    /// `spin_trylock_irqsave()` (a macro in C): on success interrupts stay
    /// disabled and `*flags` holds their previous state; on failure they
    /// are restored.
    fn io_uring_rs_spin_trylock_irqsave(
        lock: *mut bindings::spinlock_t,
        flags: *mut kernel::ffi::c_ulong,
    ) -> bool;
}
