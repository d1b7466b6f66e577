// SPDX-License-Identifier: GPL-2.0

//! The ring context: `struct io_ring_ctx` and the state behind each lock.

use super::channel::Channel;
use super::context::{AnyCtx, TaskCtx};
use super::locks::{CompletionGuard, IoWqGuard, TimeoutGuard, UringGuard};
use super::req::Req;
use super::sqe::Cqe;
use crate::glue::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use crate::glue::irq_lock::{new_spinlock_irq, SpinLockIrq};
use kernel::prelude::*;
use kernel::rbtree::RBTree;
use kernel::sync::{
    new_condvar, new_mutex, new_spinlock, Arc, CondVar, CondVarTimeoutResult, Mutex, SpinLock,
};
use kernel::time::Jiffies;

/// State protected by `uring_lock`.
pub(crate) struct UringState {
    /// Poll-armed requests, by sequence number (C: `cancel_table_locked`):
    /// the cancelable list that cancellation walks under `uring_lock`.
    pub(crate) cancelable: RBTree<u64, Arc<Req>>,
    /// The ring's channels, by index.
    pub(crate) channels: KVec<Arc<Channel>>,
    /// Chain heads deferred by `IOSQE_IO_DRAIN`, in submission order
    /// (keyed by their drain sequence).
    pub(crate) defer_list: RBTree<u64, Arc<Req>>,
    /// Requests submitted so far (`cached_sq_head`).
    pub(crate) submitted: u64,
    /// The next chain must drain too (`drain_next`).
    pub(crate) drain_next: bool,
    /// A `IOSQE_CQE_SKIP_SUCCESS` request was submitted: draining is no
    /// longer possible (`drain_disabled`).
    pub(crate) drain_disabled: bool,
}

/// State protected by `completion_lock`.
pub(crate) struct CompletionState {
    /// Posted completions; those before `cq_head` were reaped.
    pub(crate) cq: KVec<Cqe>,
    /// The first completion not yet reaped.
    pub(crate) cq_head: usize,
    /// How many unreaped completions the waiter needs before it is woken
    /// (`io_should_wake()`); `usize::MAX` when nobody waits.
    pub(crate) cq_wait_nr: usize,
    /// Completions posted since the ring was created (`cq_tail`).
    pub(crate) cq_tail: u64,
    /// Requests completed, with or without a posted completion
    /// (`cq_tail` + `cq_extra`): what a drained request waits for.
    pub(crate) completed: u64,
}

/// State protected by `timeout_lock`.
pub(crate) struct TimeoutState {
    /// Armed `IORING_OP_TIMEOUT` requests (`timeout_list`).
    pub(crate) timeout_list: RBTree<u64, Arc<Req>>,
    /// Armed `IORING_OP_LINK_TIMEOUT` requests (`ltimeout_list`).
    pub(crate) ltimeout_list: RBTree<u64, Arc<Req>>,
}

/// State protected by the io-wq lock (C: `acct->lock` and `wq->lock`).
pub(crate) struct IoWqState {
    /// Requests handed to io-wq and not yet finished, pending or running.
    pub(crate) works: RBTree<u64, Arc<Req>>,
}

/// One ring: the Rust counterpart of `struct io_ring_ctx`.
#[pin_data]
pub(crate) struct IoRingCtx {
    /// `ctx->uring_lock`: submission, task work, cancelable lists.
    #[pin]
    pub(crate) uring_lock: Mutex<UringState>,
    /// `ctx->completion_lock`: the completion queue.
    #[pin]
    pub(crate) completion_lock: SpinLock<CompletionState>,
    /// `ctx->timeout_lock`: timeout lists and linked-timeout claims; taken
    /// with interrupts disabled because the timer callbacks take it.
    #[pin]
    pub(crate) timeout_lock: SpinLockIrq<TimeoutState>,
    /// The io-wq lock, under which cancel match callbacks run.
    #[pin]
    pub(crate) iowq_lock: SpinLock<IoWqState>,
    /// Woken when a completion is posted.
    #[pin]
    pub(crate) cq_wait: CondVar,
    /// Serialises reapers: a reaper copies completions out, then consumes
    /// them, so a failed copy loses none. Taken alone, before any other.
    #[pin]
    pub(crate) reap_lock: Mutex<()>,
    /// Counts freed requests; taken (IRQ-safe, innermost) when a request is
    /// dropped, in any context, so that waiters for frees miss no wake-up.
    #[pin]
    exit_lock: SpinLockIrq<u64>,
    /// Woken when a request is freed.
    #[pin]
    exit_wait: CondVar,
    /// Sequence number of the next request.
    next_seq: AtomicU64,
    /// Requests allocated and not yet freed (`ctx->refs` in C).
    pub(crate) inflight: AtomicUsize,
    /// Set once ring exit has started; no submission is accepted after.
    pub(crate) dying: AtomicBool,
    /// `defer_list` is not empty: completions must flush it
    /// (`drain_active`).
    pub(crate) drain_active: AtomicBool,
}

impl IoRingCtx {
    /// Returns an initialiser for an empty ring.
    pub(crate) fn new() -> impl PinInit<Self, Error> {
        try_pin_init!(IoRingCtx {
            uring_lock <- new_mutex!(
                UringState {
                    cancelable: RBTree::new(),
                    channels: KVec::new(),
                    defer_list: RBTree::new(),
                    submitted: 0,
                    drain_next: false,
                    drain_disabled: false,
                },
                "IoRingCtx::uring_lock"
            ),
            completion_lock <- new_spinlock!(
                CompletionState {
                    cq: KVec::new(),
                    cq_head: 0,
                    cq_wait_nr: usize::MAX,
                    cq_tail: 0,
                    completed: 0,
                },
                "IoRingCtx::completion_lock"
            ),
            timeout_lock <- new_spinlock_irq!(
                TimeoutState {
                    timeout_list: RBTree::new(),
                    ltimeout_list: RBTree::new(),
                },
                "IoRingCtx::timeout_lock"
            ),
            iowq_lock <- new_spinlock!(
                IoWqState {
                    works: RBTree::new()
                },
                "IoRingCtx::iowq_lock"
            ),
            cq_wait <- new_condvar!("IoRingCtx::cq_wait"),
            reap_lock <- new_mutex!((), "IoRingCtx::reap_lock"),
            exit_lock <- new_spinlock_irq!(0, "IoRingCtx::exit_lock"),
            exit_wait <- new_condvar!("IoRingCtx::exit_wait"),
            next_seq: AtomicU64::new(1),
            inflight: AtomicUsize::new(0),
            dying: AtomicBool::new(false),
            drain_active: AtomicBool::new(false),
        }? Error)
    }

    /// Creates a ring.
    pub(crate) fn create() -> Result<Arc<Self>> {
        Arc::pin_init(Self::new(), GFP_KERNEL)
    }

    /// Takes `uring_lock`; only a context that may sleep can.
    pub(crate) fn lock_uring<'a>(&'a self, _cx: &'a mut TaskCtx) -> UringGuard<'a> {
        UringGuard::new(self, self.uring_lock.lock())
    }

    /// Takes `completion_lock` without `uring_lock` (io-wq completions).
    pub(crate) fn lock_completion<'a>(&'a self, _cx: &'a mut TaskCtx) -> CompletionGuard<'a> {
        CompletionGuard::new(self, self.completion_lock.lock())
    }

    /// Takes `timeout_lock` alone, from any context.
    pub(crate) fn lock_timeout<'a>(&'a self, _cx: &'a mut impl AnyCtx) -> TimeoutGuard<'a> {
        TimeoutGuard::new(self, self.timeout_lock.lock())
    }

    /// Takes the io-wq lock without `uring_lock`.
    pub(crate) fn lock_iowq<'a>(&'a self, _cx: &'a mut TaskCtx) -> IoWqGuard<'a> {
        IoWqGuard::new(self.iowq_lock.lock())
    }

    /// Returns a fresh request sequence number.
    pub(crate) fn next_seq(&self) -> u64 {
        self.next_seq.fetch_add(1, Ordering::Relaxed)
    }

    /// Returns the number of requests not yet freed.
    pub(crate) fn inflight(&self) -> usize {
        self.inflight.load(Ordering::Acquire)
    }

    /// Accounts a freed request and wakes whoever waits for frees.
    pub(crate) fn request_freed(&self) {
        self.inflight.fetch_sub(1, Ordering::AcqRel);
        let mut freed = self.exit_lock.lock();
        *freed += 1;
        self.exit_wait.notify_all();
    }

    /// How many requests were freed so far: read before checking a
    /// condition, then passed to [`IoRingCtx::wait_freed`].
    pub(crate) fn freed(&self) -> u64 {
        *self.exit_lock.lock()
    }

    /// Sleeps until a request is freed after `seen` was read, or for at most
    /// `jiffies`; returns the jiffies left, or `-EINTR` if a signal is
    /// pending (also `TIF_NOTIFY_SIGNAL`, which io_uring's own task work sets
    /// on a task that uses a real ring too).
    pub(crate) fn wait_freed(&self, seen: u64, jiffies: Jiffies) -> Result<Jiffies> {
        let mut freed = self.exit_lock.lock();
        if *freed != seen {
            return Ok(jiffies);
        }
        match self
            .exit_wait
            .wait_interruptible_timeout(&mut freed, jiffies)
        {
            CondVarTimeoutResult::Woken { jiffies } => Ok(jiffies),
            CondVarTimeoutResult::Timeout => Ok(0),
            CondVarTimeoutResult::Signal { .. } => Err(EINTR),
        }
    }
}
