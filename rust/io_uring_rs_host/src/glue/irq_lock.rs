// SPDX-License-Identifier: GPL-2.0

//! The IRQ-safe spinlock: on the host, a lock like the others.

use kernel::sync::lock::{Backend, Lock};

/// A spinlock taken with interrupts disabled.
pub(crate) type SpinLockIrq<T> = Lock<T, SpinLockIrqBackend>;

/// Creates a [`SpinLockIrq`] initialiser.
macro_rules! new_spinlock_irq {
    ($inner:expr, $name:literal) => {
        kernel::sync::lock::Lock::<_, $crate::glue::irq_lock::SpinLockIrqBackend>::new(
            $inner,
            $name,
            kernel::static_lock_class!(),
        )
    };
}
pub(crate) use new_spinlock_irq;

/// The backend of [`SpinLockIrq`].
pub(crate) struct SpinLockIrqBackend;
impl Backend for SpinLockIrqBackend {}
