// SPDX-License-Identifier: GPL-2.0

//! A relative, one-shot hrtimer whose callback runs in hard-IRQ context, as
//! `io_timeout_fn()` and `io_link_timeout_fn()` do in C.
//!
//! Linux 6.12 has no Rust hrtimer (it came in 6.15). The timer is embedded in
//! the object it fires for; while it is armed it owns one `Arc` of that object,
//! which the callback (or a successful cancel) takes back, so the object
//! outlives the callback. The callback gets an [`AtomicCtx`] of its own: it
//! can take `timeout_lock` and can never take `uring_lock`.

use crate::glue::context::AtomicCtx;
use core::marker::PhantomData;
use core::sync::atomic::{AtomicPtr, Ordering};
use kernel::bindings;
use kernel::prelude::*;
use kernel::sync::Arc;
use kernel::types::Opaque;

pub(crate) use super::timer_api::{TimerDone, TimerOwner, TryCancel};

/// A one-shot `CLOCK_MONOTONIC` hrtimer in hard-IRQ mode.
///
/// # Invariants
///
/// `timer` is initialised if and only if `armable` (C keeps a request's
/// timer in its async data, which only timeouts allocate: most requests
/// never pay for `hrtimer_init()`). `owner` is null or a pointer from
/// `Arc::into_raw` that the armed timer owns; it is non-null from a
/// successful [`HrTimer::start`] until the callback runs or a cancel
/// succeeds, whichever takes it back first; it stays null if not `armable`.
#[repr(C)]
#[pin_data]
pub(crate) struct HrTimer<T> {
    #[pin]
    timer: Opaque<bindings::hrtimer>,
    armable: bool,
    owner: AtomicPtr<T>,
    _owner: PhantomData<T>,
}

// SAFETY: The hrtimer core serialises callback and cancellation; `owner` is
// an atomic pointer to a `T: Send + Sync`.
unsafe impl<T: Send + Sync> Send for HrTimer<T> {}
// SAFETY: As above; `&HrTimer` only allows start and cancel, both thread-safe.
unsafe impl<T: Send + Sync> Sync for HrTimer<T> {}

impl<T: TimerOwner> HrTimer<T> {
    /// Returns an initialiser for an unarmed timer; one that is not
    /// `armable` is left uninitialised, and is never started.
    pub(crate) fn new(armable: bool) -> impl PinInit<Self> {
        pin_init!(HrTimer {
            timer <- Opaque::ffi_init(move |slot: *mut bindings::hrtimer| {
                if !armable {
                    return;
                }
                #[cfg(not(kernel_7_2))]
                // SAFETY: `slot` is valid for writes; `hrtimer_init` initialises
                // every field, then the callback is set before any start.
                unsafe {
                    bindings::hrtimer_init(
                        slot,
                        bindings::CLOCK_MONOTONIC as i32,
                        bindings::hrtimer_mode_HRTIMER_MODE_REL,
                    );
                    (*slot).function = Some(Self::run);
                }
                #[cfg(kernel_7_2)]
                // SAFETY: `slot` is valid for writes; `hrtimer_setup` (7.2's
                // replacement of `hrtimer_init`) initialises every field and
                // the callback.
                unsafe {
                    bindings::hrtimer_setup(
                        slot,
                        Some(Self::run),
                        bindings::CLOCK_MONOTONIC as i32,
                        bindings::hrtimer_mode_HRTIMER_MODE_REL,
                    );
                }
            }),
            armable,
            owner: AtomicPtr::new(core::ptr::null_mut()),
            _owner: PhantomData,
        })
    }

    /// Arms the timer to fire in `ns` nanoseconds, owning `this` until then.
    /// Returns `this` back if the timer is already armed, or not armable.
    pub(crate) fn start(this: Arc<T>, ns: u64) -> core::result::Result<(), Arc<T>> {
        if !this.timer().armable {
            return Err(this);
        }
        let raw = Arc::into_raw(this).cast_mut();
        // SAFETY: `raw` came from `Arc::into_raw` just above.
        let timer = unsafe { (*raw).timer() };
        if timer
            .owner
            .compare_exchange(
                core::ptr::null_mut(),
                raw,
                Ordering::AcqRel,
                Ordering::Acquire,
            )
            .is_err()
        {
            // SAFETY: `raw` came from `Arc::into_raw` and was not stored.
            return Err(unsafe { Arc::from_raw(raw) });
        }
        let ns = i64::try_from(ns).unwrap_or(i64::MAX);
        // SAFETY: The timer is armable, so `new` initialised it; it is pinned
        // inside the `Arc`'d owner, which the stored reference keeps alive
        // while armed.
        unsafe {
            bindings::hrtimer_start_range_ns(
                timer.timer.get(),
                ns,
                0,
                bindings::hrtimer_mode_HRTIMER_MODE_REL,
            )
        };
        Ok(())
    }

    /// Cancels the timer unless its callback already runs or ran.
    pub(crate) fn try_to_cancel(&self) -> TryCancel {
        if !self.armable {
            return TryCancel::Inactive;
        }
        // SAFETY: The timer is armable, so `new` initialised it.
        match unsafe { bindings::hrtimer_try_to_cancel(self.timer.get()) } {
            1 => {
                self.reclaim();
                TryCancel::Cancelled
            }
            0 => TryCancel::Inactive,
            _ => TryCancel::Running,
        }
    }

    /// Drops the reference a cancelled timer held.
    fn reclaim(&self) {
        let raw = self.owner.swap(core::ptr::null_mut(), Ordering::AcqRel);
        if !raw.is_null() {
            // SAFETY: A non-null `owner` came from `Arc::into_raw` (type
            // invariant) and the swap made us its only holder.
            drop(unsafe { Arc::from_raw(raw) });
        }
    }

    /// The hrtimer callback.
    ///
    /// # Safety
    ///
    /// Only the hrtimer core calls it, with the `hrtimer` of an `HrTimer<T>`
    /// that [`HrTimer::start`] armed.
    unsafe extern "C" fn run(ptr: *mut bindings::hrtimer) -> bindings::hrtimer_restart {
        // `HrTimer` is `repr(C)` with the hrtimer first, so `ptr` is the
        // address of the `HrTimer` it is embedded in.
        let timer = ptr.cast::<HrTimer<T>>();
        // SAFETY: The hrtimer core calls us with a pointer to a timer armed by
        // `start`, whose owner it keeps alive through `owner`.
        let raw = unsafe { (*timer).owner.swap(core::ptr::null_mut(), Ordering::AcqRel) };
        if !raw.is_null() {
            // SAFETY: `raw` came from `Arc::into_raw` and the swap made us its
            // only holder.
            let this = unsafe { Arc::from_raw(raw) };
            // SAFETY: An hrtimer callback runs in hard-IRQ context and holds
            // no lock of the module; this is its only context.
            let cx = unsafe { AtomicCtx::enter() };
            let _done = T::timer_fired(this, cx);
        }
        bindings::hrtimer_restart_HRTIMER_NORESTART
    }
}
