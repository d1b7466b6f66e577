// SPDX-License-Identifier: GPL-2.0

//! What the core sees of a timer: the owner trait and the cancel result.
//! The kernel's `timer.rs` (an hrtimer) and the host's (a thread) both
//! implement [`HrTimer`] against it.

use super::timer::HrTimer;
use crate::glue::context::AtomicCtx;
use kernel::sync::Arc;

/// An object with an embedded [`HrTimer`].
pub(crate) trait TimerOwner: Send + Sync + Sized + 'static {
    /// Returns the embedded timer.
    fn timer(&self) -> &HrTimer<Self>;

    /// The callback: atomic context (hard IRQ in the kernel), with the
    /// reference the armed timer held. The context is the callback's own,
    /// by value: whatever consumes it happens once per expiry, and the
    /// callback can only return by consuming it ([`TimerDone::new`]).
    fn timer_fired(this: Arc<Self>, cx: AtomicCtx) -> TimerDone;
}

/// Evidence that a timer callback used up its context: the only way to
/// return from [`TimerOwner::timer_fired`].
#[must_use = "a timer callback returns it"]
pub(crate) struct TimerDone {
    _private: (),
}

impl TimerDone {
    /// Ends a timer callback, consuming its context.
    pub(crate) fn new(_cx: AtomicCtx) -> Self {
        TimerDone { _private: () }
    }
}

/// The result of `HrTimer::try_to_cancel` (`hrtimer_try_to_cancel()`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum TryCancel {
    /// The timer was pending and will not fire.
    Cancelled,
    /// The timer was not armed, or has already run.
    Inactive,
    /// The callback is running now (C: `-1`).
    Running,
}
