// SPDX-License-Identifier: GPL-2.0

//! Ring lock guards, in lock order: `uring_lock` -> (`completion_lock`,
//! io-wq lock) -> `timeout_lock`.
//!
//! A guard for a later lock is obtained through the guard of the earlier one
//! wherever C nests them, so no code path can take them the other way round.
//! Guards carry the ring's brand and hand out the zero-sized chain proofs
//! ([`ChainRead`], [`TimeoutRead`], [`ChainWrite`], [`TimeoutWrite`]),
//! which borrow them: no chain reference outlives the lock that protects it,
//! and none reaches another ring's request.

use super::iowq::IoWqWorkers;
use super::{CompletionState, IoWqState, Ring, SqState, TimeoutState, UringState};
use crate::glue::arc_slot::ArcSlot;
use crate::glue::atomic::Ordering;
use crate::glue::atomic_lock::AtomicGuard;
use crate::glue::chain::{ChainRead, ChainWrite, TimeoutRead, TimeoutWrite};
use crate::glue::context::{task_sigpending, AtomicCtx, TaskCtx};
use crate::glue::irq_lock::SpinLockIrqBackend;
use crate::uring::model::req::{ArcTreeMut, RefListMut, RefTreeMut, RefTreeRef, Req, ReqArc, W};
use kernel::prelude::*;
use kernel::sync::lock::{mutex::MutexBackend, spinlock::SpinLockBackend, Guard};
use kernel::sync::CondVarTimeoutResult;
use kernel::time::Jiffies;

/// `uring_lock` of ring `'id` held. Holds the task context it was taken
/// with, and lends it only to the io-wq lock's guard.
pub(crate) struct UringGuard<'a, 'id> {
    ring: Ring<'a, 'id>,
    guard: Guard<'a, UringState, MutexBackend>,
    cx: &'a mut TaskCtx,
}

impl<'a, 'id> UringGuard<'a, 'id> {
    pub(super) fn new(
        ring: Ring<'a, 'id>,
        guard: Guard<'a, UringState, MutexBackend>,
        cx: &'a mut TaskCtx,
    ) -> Self {
        UringGuard { ring, guard, cx }
    }

    /// The ring this guard locks.
    pub(crate) fn ring(&self) -> Ring<'a, 'id> {
        self.ring
    }

    /// The task context this guard was taken in, shared: evidence for what
    /// may sleep (allocation), and useless for locking, which needs it
    /// exclusively. A spinlock guard taken from this guard borrows it, so
    /// no such evidence exists while one is held.
    pub(crate) fn task(&self) -> &TaskCtx {
        self.cx
    }

    /// The plain state `uring_lock` protects.
    pub(crate) fn state(&mut self) -> &mut UringState {
        &mut self.guard
    }

    /// The plain state with the task context, for preparation, which
    /// resolves files and imports buffers.
    pub(crate) fn state_and_task(&mut self) -> (&mut UringState, &TaskCtx) {
        (&mut self.guard, self.cx)
    }

    /// The sequence number of the request about to be allocated: the
    /// allocation counter. [`Self::seq_allocated`] counts it once the
    /// request exists.
    pub(in crate::uring::model) fn next_seq(&self) -> u64 {
        self.ring.ctx.next_seq.load(Ordering::Relaxed)
    }

    /// Counts request `seq` (from [`Self::next_seq`]) allocated. Only a
    /// holder of this ring's `uring_lock` writes the counter, so a load
    /// and a store do what an atomic increment would.
    pub(in crate::uring::model) fn seq_allocated(&mut self, seq: u64) {
        self.ring.ctx.next_seq.store(seq + 1, Ordering::Release);
    }

    /// `io_alloc_req()`: the memory of a freed request, if the cache has
    /// one; an empty cache first takes what io-wq's workers freed, if they
    /// freed any.
    #[inline]
    pub(crate) fn io_alloc_req(&mut self) -> Option<ArcSlot<Req>> {
        if self.guard.req_cache.is_empty() {
            self.io_alloc_req_refill();
        }
        self.guard.req_cache.pop()
    }

    /// `__io_alloc_req_refill()`: an empty cache takes what io-wq's workers
    /// freed, if they freed any.
    #[inline(never)]
    fn io_alloc_req_refill(&mut self) {
        if self.ring.ctx.iowq_cache_filled.load(Ordering::Relaxed) {
            let cache = &mut self.guard.req_cache;
            let mut w = IoWqGuard::new(self.ring, self.ring.ctx.iowq_lock.lock(self.cx));
            w.req_cache_splice(cache);
        }
    }

    /// `io_req_add_to_cache()`: keeps the memory of `req` if this was its
    /// last reference and the cache has room (the request is dropped here
    /// either way).
    pub(crate) fn io_req_cache_free(&mut self, req: ReqArc<'id>) {
        let Some(slot) = ArcSlot::reclaim(req.into_arc()) else {
            return;
        };
        self.guard.req_cache.push(slot);
    }

    /// The poll-armed requests.
    pub(crate) fn cancelable(&mut self) -> RefTreeMut<'_, 'id, true> {
        self.guard.cancelable.view(self.ring.brand())
    }

    /// The poll-armed requests, shared (to walk beside a chain proof).
    pub(crate) fn cancelable_ref(&self) -> RefTreeRef<'_, 'id> {
        self.guard.cancelable.view_ref(self.ring.brand())
    }

    /// The deferred chain heads.
    pub(crate) fn defer_list(&mut self) -> RefTreeMut<'_, 'id> {
        self.guard.defer_list.view(self.ring.brand())
    }

    /// The deferred chain heads, shared.
    pub(crate) fn defer_list_ref(&self) -> RefTreeRef<'_, 'id> {
        self.guard.defer_list.view_ref(self.ring.brand())
    }

    /// Proof that this ring's chains may be read.
    pub(crate) fn chain_read(&self) -> ChainRead<'_, 'id> {
        ChainRead::of_uring::<Req>(W, &*self.guard, self.ring.brand())
    }

    /// Takes `completion_lock` inside `uring_lock`.
    pub(crate) fn lock_completion(&mut self) -> CompletionGuard<'_, 'id> {
        CompletionGuard::new(self.ring, self.ring.ctx.completion_lock.lock())
    }

    /// Takes `timeout_lock` inside `uring_lock`.
    pub(crate) fn lock_timeout(&mut self) -> TimeoutGuard<'_, 'id> {
        TimeoutGuard::new(self.ring, self.ring.ctx.timeout_lock.lock())
    }

    /// Takes the io-wq lock inside `uring_lock`.
    pub(crate) fn lock_iowq(&mut self) -> IoWqGuard<'_, 'id> {
        IoWqGuard::new(self.ring, self.ring.ctx.iowq_lock.lock(self.cx))
    }

    /// Takes `timeout_lock` too: both chain locks, so chains may be modified.
    pub(crate) fn lock_both(&mut self) -> BothGuard<'_, 'id> {
        let timeout = TimeoutGuard::new(self.ring, self.ring.ctx.timeout_lock.lock());
        BothGuard {
            uring: &mut self.guard,
            timeout,
        }
    }
}

/// `uring_lock` and `timeout_lock` of ring `'id` held: its link chains may be
/// modified.
pub(crate) struct BothGuard<'b, 'id> {
    uring: &'b mut UringState,
    timeout: TimeoutGuard<'b, 'id>,
}

impl<'b, 'id> BothGuard<'b, 'id> {
    /// Proof that this ring's chains may be modified.
    pub(crate) fn chain_write(&mut self) -> ChainWrite<'_, 'id> {
        ChainWrite::of_both::<Req>(
            W,
            self.uring,
            &mut *self.timeout.guard,
            self.timeout.ring.brand(),
        )
    }

    /// Proof that this ring's chains may be read.
    pub(crate) fn chain_read(&self) -> TimeoutRead<'_, 'id> {
        self.timeout.chain_read()
    }

    /// The `timeout_lock` part.
    pub(crate) fn timeout(&mut self) -> &mut TimeoutGuard<'b, 'id> {
        &mut self.timeout
    }
}

/// The SQ lock of ring `'id` held: the holder consumes the SQ ring. It
/// comes before `uring_lock`, and lends its task context to whatever the
/// submission takes next (a mutex guard may be held while sleeping).
pub(crate) struct SqGuard<'a, 'id> {
    ring: Ring<'a, 'id>,
    guard: Guard<'a, SqState, MutexBackend>,
    cx: &'a mut TaskCtx,
}

impl<'a, 'id> SqGuard<'a, 'id> {
    pub(super) fn new(
        ring: Ring<'a, 'id>,
        guard: Guard<'a, SqState, MutexBackend>,
        cx: &'a mut TaskCtx,
    ) -> Self {
        SqGuard { ring, guard, cx }
    }

    /// The ring this guard locks.
    pub(crate) fn ring(&self) -> Ring<'a, 'id> {
        self.ring
    }

    /// The SQ consumer's state.
    pub(crate) fn state(&mut self) -> &mut SqState {
        &mut self.guard
    }

    /// The SQ consumer's state and the task context, for the submission
    /// under this lock, which reads the entries it copied into the state.
    pub(crate) fn state_and_task(&mut self) -> (&mut SqState, &mut TaskCtx) {
        (&mut self.guard, self.cx)
    }
}

/// `completion_lock` of ring `'id` held.
pub(crate) struct CompletionGuard<'a, 'id> {
    ring: Ring<'a, 'id>,
    guard: Guard<'a, CompletionState, SpinLockBackend>,
}

impl<'a, 'id> CompletionGuard<'a, 'id> {
    pub(super) fn new(
        ring: Ring<'a, 'id>,
        guard: Guard<'a, CompletionState, SpinLockBackend>,
    ) -> Self {
        CompletionGuard { ring, guard }
    }

    /// The state `completion_lock` protects.
    pub(crate) fn state(&mut self) -> &mut CompletionState {
        &mut self.guard
    }

    /// The ring this guard locks.
    pub(crate) fn ring(&self) -> Ring<'a, 'id> {
        self.ring
    }

    /// Wakes the waiters for completions.
    pub(crate) fn wake_cq(&self) {
        self.ring.ctx.cq_wait.notify_all();
    }

    /// Takes `timeout_lock` inside `completion_lock`.
    pub(crate) fn lock_timeout(&mut self) -> TimeoutGuard<'_, 'id> {
        TimeoutGuard::new(self.ring, self.ring.ctx.timeout_lock.lock())
    }
}

/// `completion_lock` taken alone from task context: the only guard that may
/// sleep on the completion queue (never with `uring_lock` held).
pub(crate) struct CqWaiter<'a, 'id> {
    c: CompletionGuard<'a, 'id>,
}

impl<'a, 'id> CqWaiter<'a, 'id> {
    pub(super) fn new(c: CompletionGuard<'a, 'id>) -> Self {
        CqWaiter { c }
    }

    /// Sleeps on the ring's completion wait queue, releasing the lock, for at
    /// most `jiffies`; returns what is left (0 on timeout or signal).
    pub(crate) fn wait_cq(&mut self, jiffies: Jiffies) -> Jiffies {
        match self
            .c
            .ring
            .ctx
            .cq_wait
            .wait_interruptible_timeout(&mut self.c.guard, jiffies)
        {
            CondVarTimeoutResult::Woken { jiffies } => jiffies,
            CondVarTimeoutResult::Timeout | CondVarTimeoutResult::Signal { .. } => 0,
        }
    }

    /// As [`Self::wait_cq`], but a pending signal is `-EINTR`, and an
    /// interruption by task work alone `-ERESTARTSYS` (see
    /// [`task_sigpending`]).
    // Used by the device calls (`entry/dev.rs`), which the host mirror lacks.
    #[cfg_attr(not(MODULE), allow(dead_code))]
    pub(crate) fn wait_cq_interruptible(&mut self, jiffies: Jiffies) -> Result<Jiffies> {
        match self
            .c
            .ring
            .ctx
            .cq_wait
            .wait_interruptible_timeout(&mut self.c.guard, jiffies)
        {
            CondVarTimeoutResult::Woken { jiffies } => Ok(jiffies),
            CondVarTimeoutResult::Timeout => Ok(0),
            CondVarTimeoutResult::Signal { .. } if task_sigpending() => Err(EINTR),
            CondVarTimeoutResult::Signal { .. } => Err(ERESTARTSYS),
        }
    }
}

impl<'a, 'id> core::ops::Deref for CqWaiter<'a, 'id> {
    type Target = CompletionGuard<'a, 'id>;

    fn deref(&self) -> &CompletionGuard<'a, 'id> {
        &self.c
    }
}

impl<'a, 'id> core::ops::DerefMut for CqWaiter<'a, 'id> {
    fn deref_mut(&mut self) -> &mut CompletionGuard<'a, 'id> {
        &mut self.c
    }
}

/// `timeout_lock` of ring `'id` held.
pub(crate) struct TimeoutGuard<'a, 'id> {
    ring: Ring<'a, 'id>,
    guard: Guard<'a, TimeoutState, SpinLockIrqBackend>,
}

impl<'a, 'id> TimeoutGuard<'a, 'id> {
    pub(super) fn new(
        ring: Ring<'a, 'id>,
        guard: Guard<'a, TimeoutState, SpinLockIrqBackend>,
    ) -> Self {
        TimeoutGuard { ring, guard }
    }

    /// The ring this guard locks.
    pub(crate) fn ring(&self) -> Ring<'a, 'id> {
        self.ring
    }

    /// Proof that this ring's chains may be read (any request's).
    pub(crate) fn chain_read(&self) -> TimeoutRead<'_, 'id> {
        TimeoutRead::of_timeout::<Req>(W, &*self.guard, self.ring.brand())
    }

    /// Proof that the timeout state of this ring's requests may be modified.
    pub(crate) fn write(&mut self) -> TimeoutWrite<'_, 'id> {
        TimeoutWrite::of_timeout::<Req>(W, &mut *self.guard, self.ring.brand())
    }

    /// The armed timeouts.
    pub(crate) fn timeout_list(&mut self) -> RefTreeMut<'_, 'id> {
        self.guard.timeout_list.view(self.ring.brand())
    }

    /// The armed timeouts, shared (to walk beside a chain proof).
    pub(crate) fn timeout_list_ref(&self) -> RefTreeRef<'_, 'id> {
        self.guard.timeout_list.view_ref(self.ring.brand())
    }

    /// The armed linked timeouts.
    pub(crate) fn ltimeout_list(&mut self) -> ArcTreeMut<'_, 'id> {
        self.guard.ltimeout_list.view(self.ring.brand())
    }
}

/// The io-wq lock of ring `'id` held. Cancel match callbacks run under it in
/// atomic context, as `io_wq_cancel_cb()` runs them under io-wq's raw
/// spinlocks.
pub(crate) struct IoWqGuard<'a, 'id> {
    pub(super) ring: Ring<'a, 'id>,
    pub(super) guard: AtomicGuard<'a, IoWqState>,
}

impl<'a, 'id> IoWqGuard<'a, 'id> {
    pub(super) fn new(ring: Ring<'a, 'id>, guard: AtomicGuard<'a, IoWqState>) -> Self {
        IoWqGuard { ring, guard }
    }

    /// The work io-wq holds, and the atomic context match callbacks run in.
    pub(crate) fn split(&mut self) -> (IoWqLists<'_, 'id>, &mut AtomicCtx) {
        let brand = self.ring.brand();
        let (st, cx) = self.guard.split();
        (st.lists(brand), cx)
    }
}

/// The work io-wq holds, under its lock: each account's pending work and
/// the workers, with the work they run.
pub(crate) struct IoWqLists<'g, 'id> {
    /// Pending work of the bound and the unbound account.
    pub(crate) pending: [RefListMut<'g, 'id>; 2],
    /// The workers, and the running work.
    pub(crate) workers: IoWqWorkers<'g, 'id>,
}

/// The reaper lock of ring `'id` held. It comes before `completion_lock`,
/// the one lock a reaper takes next; the guard holds the task context and
/// lends it to nothing else (not to another reaper lock).
pub(crate) struct ReapGuard<'a, 'id> {
    ring: Ring<'a, 'id>,
    _guard: Guard<'a, (), MutexBackend>,
    _cx: &'a mut TaskCtx,
}

impl<'a, 'id> ReapGuard<'a, 'id> {
    pub(super) fn new(
        ring: Ring<'a, 'id>,
        guard: Guard<'a, (), MutexBackend>,
        cx: &'a mut TaskCtx,
    ) -> Self {
        ReapGuard {
            ring,
            _guard: guard,
            _cx: cx,
        }
    }

    /// Takes `completion_lock` inside the reaper lock, with the right to
    /// sleep on the completion queue.
    pub(crate) fn lock_completion(&mut self) -> CqWaiter<'_, 'id> {
        CqWaiter::new(CompletionGuard::new(
            self.ring,
            self.ring.ctx.completion_lock.lock(),
        ))
    }
}
