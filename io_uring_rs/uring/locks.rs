// SPDX-License-Identifier: GPL-2.0

//! Ring lock guards, in lock order: `uring_lock` -> (`completion_lock`,
//! io-wq lock) -> `timeout_lock`.
//!
//! A guard for a later lock is obtained through the guard of the earlier one
//! wherever C nests them, so no code path can take them the other way round.
//! Guards hand out chain proofs ([`ChainRead`], [`ChainWrite`]) that borrow
//! them: a chain reference cannot outlive the lock that protects it.

use super::context::AtomicCtx;
use super::ring::{CompletionState, IoRingCtx, IoWqState, TimeoutState, UringState};
use crate::glue::chain::{ChainRead, ChainWrite};
use crate::glue::irq_lock::SpinLockIrqBackend;
use kernel::sync::lock::{mutex::MutexBackend, spinlock::SpinLockBackend, Guard};
use kernel::sync::CondVarTimeoutResult;
use kernel::time::Jiffies;

/// `uring_lock` held.
pub(crate) struct UringGuard<'a> {
    ring: &'a IoRingCtx,
    guard: Guard<'a, UringState, MutexBackend>,
}

impl<'a> UringGuard<'a> {
    pub(super) fn new(ring: &'a IoRingCtx, guard: Guard<'a, UringState, MutexBackend>) -> Self {
        UringGuard { ring, guard }
    }

    /// The ring this guard locks.
    pub(crate) fn ring(&self) -> &'a IoRingCtx {
        self.ring
    }

    /// The state `uring_lock` protects.
    pub(crate) fn state(&mut self) -> &mut UringState {
        &mut self.guard
    }

    /// The state `uring_lock` protects, shared.
    pub(crate) fn state_ref(&self) -> &UringState {
        &self.guard
    }

    /// Proof that this ring's chains may be read.
    pub(crate) fn chain_read(&self) -> ChainRead<'_> {
        ChainRead::new(&self.ring.uring_lock, &self.guard)
    }

    /// Takes `completion_lock` inside `uring_lock`.
    pub(crate) fn lock_completion(&mut self) -> CompletionGuard<'_> {
        CompletionGuard::new(self.ring, self.ring.completion_lock.lock())
    }

    /// Takes `timeout_lock` inside `uring_lock`.
    pub(crate) fn lock_timeout(&mut self) -> TimeoutGuard<'_> {
        TimeoutGuard::new(self.ring, self.ring.timeout_lock.lock())
    }

    /// Takes the io-wq lock inside `uring_lock`.
    pub(crate) fn lock_iowq(&mut self) -> IoWqGuard<'_> {
        IoWqGuard::new(self.ring.iowq_lock.lock())
    }

    /// Takes `timeout_lock` too: both chain locks, so chains may be modified.
    pub(crate) fn lock_both(&mut self) -> BothGuard<'_, 'a> {
        let timeout = self.ring.timeout_lock.lock();
        BothGuard {
            ring: self.ring,
            uring: &mut self.guard,
            timeout,
        }
    }
}

/// `uring_lock` and `timeout_lock` held: link chains may be modified.
pub(crate) struct BothGuard<'b, 'a> {
    ring: &'a IoRingCtx,
    uring: &'b mut Guard<'a, UringState, MutexBackend>,
    timeout: Guard<'b, TimeoutState, SpinLockIrqBackend>,
}

impl<'b, 'a> BothGuard<'b, 'a> {
    /// Proof that this ring's chains may be modified.
    pub(crate) fn chain_write(&mut self) -> ChainWrite<'_> {
        ChainWrite::new(
            &self.ring.uring_lock,
            self.uring,
            &self.ring.timeout_lock,
            &mut self.timeout,
        )
    }

    /// Proof that this ring's chains may be read.
    pub(crate) fn chain_read(&self) -> ChainRead<'_> {
        ChainRead::new(&self.ring.timeout_lock, &self.timeout)
    }

    /// The state `timeout_lock` protects.
    pub(crate) fn timeout_state(&mut self) -> &mut TimeoutState {
        &mut self.timeout
    }
}

/// `completion_lock` held.
pub(crate) struct CompletionGuard<'a> {
    ring: &'a IoRingCtx,
    guard: Guard<'a, CompletionState, SpinLockBackend>,
}

impl<'a> CompletionGuard<'a> {
    pub(super) fn new(
        ring: &'a IoRingCtx,
        guard: Guard<'a, CompletionState, SpinLockBackend>,
    ) -> Self {
        CompletionGuard { ring, guard }
    }

    /// The ring this guard locks.
    pub(crate) fn ring(&self) -> &'a IoRingCtx {
        self.ring
    }

    /// The state `completion_lock` protects.
    pub(crate) fn state(&mut self) -> &mut CompletionState {
        &mut self.guard
    }

    /// Takes `timeout_lock` inside `completion_lock`.
    pub(crate) fn lock_timeout(&mut self) -> TimeoutGuard<'_> {
        TimeoutGuard::new(self.ring, self.ring.timeout_lock.lock())
    }

    /// Sleeps on the ring's completion wait queue, releasing the lock, for at
    /// most `jiffies`; returns what is left (0 on timeout or signal).
    pub(crate) fn wait_cq(&mut self, jiffies: Jiffies) -> Jiffies {
        match self
            .ring
            .cq_wait
            .wait_interruptible_timeout(&mut self.guard, jiffies)
        {
            CondVarTimeoutResult::Woken { jiffies } => jiffies,
            CondVarTimeoutResult::Timeout | CondVarTimeoutResult::Signal { .. } => 0,
        }
    }
}

/// `timeout_lock` held.
pub(crate) struct TimeoutGuard<'a> {
    ring: &'a IoRingCtx,
    guard: Guard<'a, TimeoutState, SpinLockIrqBackend>,
}

impl<'a> TimeoutGuard<'a> {
    pub(super) fn new(
        ring: &'a IoRingCtx,
        guard: Guard<'a, TimeoutState, SpinLockIrqBackend>,
    ) -> Self {
        TimeoutGuard { ring, guard }
    }

    /// The state `timeout_lock` protects.
    pub(crate) fn state(&mut self) -> &mut TimeoutState {
        &mut self.guard
    }

    /// The state `timeout_lock` protects, shared.
    pub(crate) fn state_ref(&self) -> &TimeoutState {
        &self.guard
    }

    /// Proof that this ring's chains may be read.
    pub(crate) fn chain_read(&self) -> ChainRead<'_> {
        ChainRead::new(&self.ring.timeout_lock, &self.guard)
    }
}

/// The io-wq lock held. Cancel match callbacks run under it in atomic
/// context, as `io_wq_cancel_cb()` runs them under io-wq's raw spinlocks.
pub(crate) struct IoWqGuard<'a> {
    guard: Guard<'a, IoWqState, SpinLockBackend>,
    atomic: AtomicCtx,
}

impl<'a> IoWqGuard<'a> {
    pub(super) fn new(guard: Guard<'a, IoWqState, SpinLockBackend>) -> Self {
        IoWqGuard {
            guard,
            atomic: AtomicCtx::in_match_callback(),
        }
    }

    /// The io-wq state and the atomic context match callbacks run in.
    pub(crate) fn split(&mut self) -> (&mut IoWqState, &mut AtomicCtx) {
        (&mut self.guard, &mut self.atomic)
    }
}
