// SPDX-License-Identifier: GPL-2.0

//! The ring context: `struct io_ring_ctx`, the state behind each of its
//! locks, and [`Ring`], a branded handle to it.
//!
//! Every lock is a private field; the only way to one is a method of
//! [`Ring`] that takes an execution context, or the guard of an earlier lock
//! (`locks.rs`). So the lock order `uring_lock` -> (`completion_lock`, io-wq
//! lock) -> `timeout_lock` holds by construction, `uring_lock` needs a
//! [`TaskCtx`], and every guard carries the ring's brand.

mod iowq;
mod locks;

pub(crate) use iowq::{
    Enqueued, InterruptProof, IoWorker, IoWqAcct, IoWqHash, IoWqState, IoWqWork, NewWorkerFor,
    RunningWork, WorkerKey, WorkerRoom,
};

pub(crate) use locks::{
    BothGuard, CompletionGuard, CqWaiter, IoWqGuard, ReapGuard, SqGuard, TimeoutGuard, UringGuard,
};

use super::channel::Channel;
use super::req::{ArcTree, RefTree, Req};
use super::sqe::{Cqe, Sqe};
use crate::glue::arc_slot::{ArcSlot, BoundedStack};
use crate::glue::atomic::{AtomicBool, AtomicU64, Ordering};
use crate::glue::atomic_lock::{new_atomic_lock, AtomicGuard, AtomicLock};
use crate::glue::brand::Brand;
use crate::glue::context::{AnyCtx, AtomicCtx, SqCtx, TaskCtx};
use crate::glue::file::{PollQueue, UserMm};
use crate::glue::irq_lock::{new_spinlock_irq, SpinLockIrq};
use crate::glue::kernel_api::{num_online_cpus, rlimit_nproc};
use crate::glue::kthread::KThread;
use crate::glue::rings::SharedRings;
use crate::glue::tctx::IoUringTask;
use kernel::prelude::*;
use kernel::rbtree::RBTree;
use kernel::sync::{
    new_condvar, new_mutex, new_spinlock, Arc, CondVar, CondVarTimeoutResult, Mutex, SpinLock,
};
use kernel::time::Jiffies;

/// Most freed requests a ring keeps for reuse, in each of its two caches
/// (at most its SQ size): one under `uring_lock`, for the requests freed
/// there and for allocation, and one under the io-wq lock, for those its
/// workers free (C's `locked_free_list`, which allocation splices over);
/// and most list nodes io-wq keeps for queueing work.
const REQ_CACHE_MAX: usize = 256;

/// State protected by `uring_lock`.
pub(crate) struct UringState {
    /// Poll-armed requests, by sequence number (C: `cancel_table_locked`);
    /// each entry holds the request's reference and, for a file request,
    /// its armed poll (C: `req->apoll`, `io_poll`'s wait-queue entries),
    /// unhooked from the file when the entry is removed.
    cancelable: RefTree<true>,
    /// Chain heads deferred by `IOSQE_IO_DRAIN`, in submission order (keyed
    /// by their drain sequence); each entry holds the head's reference.
    defer_list: RefTree,
    /// The ring's channels, by index.
    pub(crate) channels: KVec<Arc<Channel>>,
    /// Requests submitted so far (`cached_sq_head`).
    pub(crate) submitted: u64,
    /// The next chain must drain too (`drain_next`).
    pub(crate) drain_next: bool,
    /// A `IOSQE_CQE_SKIP_SUCCESS` request was submitted: draining is no
    /// longer possible (`drain_disabled`).
    pub(crate) drain_disabled: bool,
    /// Tasks that exited, each with the first sequence number allocated
    /// after its exit: its requests below that are a dead task's, whose
    /// task work C runs in the fallback worker (`PF_EXITING`). A later
    /// request with the same task id is a new task's.
    exited: KVec<TaskExit>,
    /// The task work of each thread that submitted (`io_uring_task`, one
    /// per ring and thread, as `tctx_list` links them); a slot whose
    /// thread exited is reused.
    tctxs: KVec<Arc<IoUringTask>>,
    /// The request cache (`submit_state.free_list`): the memory of freed
    /// requests, for the next allocations; a free finding it full frees
    /// the memory.
    req_cache: BoundedStack<ArcSlot<Req>>,
    /// The address space, credentials and file-size limit the last file
    /// read or write was prepared with, shared by the requests that were
    /// prepared while they stayed the submitter's ([`Self::user_mm`]).
    user_mm: Option<Arc<UserMm>>,
}

/// A task that exited: requests of `task` with a sequence number below
/// `before` were submitted by it.
#[derive(Clone, Copy)]
struct TaskExit {
    task: u32,
    before: u64,
}

impl CompletionState {
    /// The completion count that count-based timeouts measure: the CQ tail
    /// without the timeouts' own completions (`cached_cq_tail -
    /// cq_timeouts`).
    pub(crate) fn timeout_seq(&self) -> u64 {
        self.cq_tail.wrapping_sub(self.cq_timeouts)
    }

    /// Asks to be woken once the CQ tail reaches `want`, keeping the
    /// earliest target of all waiters.
    pub(crate) fn wake_at(&mut self, want: u32) {
        self.cq_wake_tail = Some(match self.cq_wake_tail {
            Some(w) if (w.wrapping_sub(want) as i32) < 0 => w,
            _ => want,
        });
    }

    /// The CQ ring's tail (`cached_cq_tail`): the next slot to fill.
    pub(crate) fn cached_cq_tail(&self) -> u32 {
        self.cq_tail as u32
    }
}

impl UringState {
    /// The submitter's address space, credentials and `RLIMIT_FSIZE`, for
    /// a file read or write, which a kernel worker takes on to run it (C's
    /// io-wq workers share the task's address space and limits, and take
    /// on the credentials of each request, `REQ_F_CREDS`). The last
    /// snapshot is shared while the calling task's are the same ones; a
    /// new one is taken when any differs.
    pub(crate) fn user_mm(&mut self, cx: &TaskCtx) -> Result<Arc<UserMm>> {
        if let Some(mm) = self.user_mm.as_ref().filter(|mm| mm.is_current(cx)) {
            return Ok(mm.clone());
        }
        let mm = Arc::new(UserMm::current(cx)?, GFP_KERNEL_ACCOUNT)?;
        self.user_mm = Some(mm.clone());
        Ok(mm)
    }

    /// Adds the calling thread's task work `t`, made on its first
    /// submission (`io_uring_add_tctx_node()`), in the slot of an exited
    /// thread if there is one.
    // Used by the device calls (`entry/dev.rs`), which the host mirror
    // lacks; the host tests call it.
    #[cfg_attr(not(MODULE), allow(dead_code))]
    pub(crate) fn tctx_add(&mut self, t: Arc<IoUringTask>) -> Result {
        match self.tctxs.iter_mut().find(|s| s.task_exiting()) {
            Some(slot) => *slot = t,
            None => self.tctxs.push(t, GFP_KERNEL)?,
        }
        Ok(())
    }

    /// The calling thread's task work on this ring, if it submitted here.
    // Used by the device calls (`entry/dev.rs`), which the host mirror
    // lacks; the host tests call it.
    #[cfg_attr(not(MODULE), allow(dead_code))]
    pub(crate) fn tctx_of_current(&self) -> Option<&Arc<IoUringTask>> {
        self.tctxs.iter().find(|t| t.is_current())
    }

    /// The task work lists of thread group `tgid`, or of every thread.
    pub(crate) fn tctxs(&self, tgid: Option<u32>) -> impl Iterator<Item = &Arc<IoUringTask>> {
        self.tctxs.iter().filter(move |t| match tgid {
            Some(g) => t.tgid() == g,
            None => true,
        })
    }

    /// Forgets every thread's task work list (ring exit, once nothing is
    /// queued on them).
    pub(crate) fn drop_tctxs(&mut self) {
        self.tctxs = KVec::new();
    }

    /// Records that `task` exited after submitting every request numbered
    /// below `before`. One record per task id: a later exit moves it.
    pub(crate) fn set_task_exited(&mut self, task: u32, before: u64) -> Result {
        if let Some(e) = self.exited.iter_mut().find(|e| e.task == task) {
            e.before = e.before.max(before);
            return Ok(());
        }
        self.exited.push(TaskExit { task, before }, GFP_KERNEL)?;
        Ok(())
    }

    /// Whether request `seq` of `task` was submitted by a task that has
    /// exited since.
    pub(crate) fn task_exited(&self, task: u32, seq: u64) -> bool {
        self.exited.iter().any(|e| e.task == task && seq < e.before)
    }
}

/// State protected by the SQ lock: consuming the shared SQ ring.
pub(crate) struct SqState {
    /// The next SQ entry to consume (`cached_sq_head`).
    pub(crate) cached_sq_head: u32,
    /// The entries of the batch being submitted, copied out of the shared
    /// SQ ring: submission reads an entry twice (its chain's flags, then
    /// the entry), and user space may rewrite the shared entry between
    /// the two. Kept from batch to batch, so that a batch allocates and
    /// clears nothing once this is as long as the longest batch (at most
    /// the SQ ring's size).
    pub(crate) sqes: KVec<Sqe>,
}

/// State protected by `completion_lock`. The CQ ring itself is shared
/// memory (`IoRingCtx::rings`): only this lock's holder writes its entries
/// and tail.
pub(crate) struct CompletionState {
    /// A timeout with a completion count was armed once
    /// (`ctx->off_timeout_used`): only then must completions look for the
    /// counted timeouts they satisfy (`io_flush_timeouts()`).
    pub(crate) off_timeout_used: bool,
    /// Completions that did not fit the CQ ring, oldest first from
    /// `overflow_head` (`cq_overflow_list`).
    pub(crate) overflow: KVec<Cqe>,
    /// The first entry of `overflow` not yet flushed.
    pub(crate) overflow_head: usize,
    /// A completion was lost because even the overflow list could not grow
    /// (`IO_CHECK_CQ_DROPPED_BIT`): the next wait reports `-EBADR`.
    pub(crate) dropped: bool,
    /// The smallest CQ tail a waiter waits for (`io_should_wake()`), if
    /// one waits; waiters set it again after every wake-up.
    pub(crate) cq_wake_tail: Option<u32>,
    /// Timeouts that fired or were satisfied (`cq_timeouts`): any change
    /// ends a wait, whatever the count, and their completions do not count
    /// for other timeouts (`io_timeout_seq()`).
    pub(crate) cq_timeouts: u64,
    /// Completions posted into the CQ ring since the ring was created; its
    /// low 32 bits are the CQ tail (`cached_cq_tail`, [`Self::cached_cq_tail`]).
    pub(crate) cq_tail: u64,
    /// Requests completed, with or without a posted completion
    /// (`cq_tail` + `cq_extra`): what a drained request waits for.
    pub(crate) completed: u64,
}

/// State protected by `timeout_lock`.
pub(crate) struct TimeoutState {
    /// Armed `IORING_OP_TIMEOUT` requests (`timeout_list`); each entry holds
    /// the request's reference: whoever removes it completes it.
    timeout_list: RefTree,
    /// Armed `IORING_OP_LINK_TIMEOUT` requests (`ltimeout_list`); their
    /// reference is their target's link.
    ltimeout_list: ArcTree,
}

/// What `io_uring_setup()` decided: sizes and the flags that change
/// behaviour.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RingParams {
    /// SQ entries, a power of two.
    pub(crate) sq_entries: u32,
    /// CQ entries, a power of two, at least `sq_entries`.
    pub(crate) cq_entries: u32,
    /// `IORING_SETUP_SUBMIT_ALL`.
    pub(crate) submit_all: bool,
    /// `IORING_SETUP_SQPOLL`: a kernel thread submits from the SQ ring
    /// (`entry/sqpoll.rs`); it idles after `sq_thread_idle_ms` without work.
    // Used by the device calls (`entry/dev.rs`), which the host mirror lacks.
    #[cfg_attr(not(MODULE), allow(dead_code))]
    pub(crate) sqpoll: bool,
    /// `sq_thread_idle` in milliseconds.
    pub(crate) sq_thread_idle_ms: u32,
    /// `IORING_SETUP_IOPOLL`: only opcodes that can be polled; a wait for
    /// completions does not sleep (`io_iopoll_check()`).
    pub(crate) iopoll: bool,
    /// READ, WRITE and POLL_ADD name the ring's channels (the in-kernel
    /// self-test's rings), not file descriptors.
    pub(crate) channels: bool,
}

impl RingParams {
    /// The rings the in-kernel self-test uses.
    pub(crate) const DEFAULT: RingParams = RingParams {
        sq_entries: 4096,
        cq_entries: 8192,
        submit_all: false,
        sqpoll: false,
        sq_thread_idle_ms: 0,
        iopoll: false,
        channels: true,
    };
}

/// The bit of `IoRingCtx::freed` that says a waiter for frees may sleep.
const FREED_WAITING: u64 = 1;

/// One ring: the Rust counterpart of `struct io_ring_ctx`.
#[pin_data]
pub(crate) struct IoRingCtx {
    /// The shared rings (`ctx->rings`, `ctx->sq_sqes`).
    rings: SharedRings,
    /// Setup parameters.
    params: RingParams,
    /// Serialises consumers of the SQ ring (in C, `uring_lock` is held
    /// across `io_submit_sqes()`); taken before `uring_lock`.
    #[pin]
    sq_lock: Mutex<SqState>,
    /// The SQPOLL thread, until ring exit stops it.
    #[pin]
    sq_thread: Mutex<Option<KThread>>,
    /// Set by `io_uring_enter(IORING_ENTER_SQ_WAKEUP)`, cleared by the idle
    /// SQPOLL thread when it wakes (`sq_data->wait`).
    #[pin]
    sq_wakeup: Mutex<bool>,
    /// Where the idle SQPOLL thread sleeps.
    #[pin]
    sq_wait: CondVar,
    /// `ctx->uring_lock`: submission, task work, cancelable lists.
    #[pin]
    uring_lock: Mutex<UringState>,
    /// `ctx->completion_lock`: the completion queue.
    #[pin]
    completion_lock: SpinLock<CompletionState>,
    /// `ctx->timeout_lock`: timeout lists and linked-timeout claims; taken
    /// with interrupts disabled because the timer callbacks take it.
    #[pin]
    timeout_lock: SpinLockIrq<TimeoutState>,
    /// The io-wq lock, under which cancel match callbacks run.
    #[pin]
    iowq_lock: AtomicLock<IoWqState>,
    /// Where idle bound io-wq workers wait for work.
    #[pin]
    iowq_wait_bound: CondVar,
    /// Where idle unbound io-wq workers wait for work.
    #[pin]
    iowq_wait_unbound: CondVar,
    /// The io-wq workers' threads, by worker id, with the worker's key,
    /// until ring exit (or the next worker's creation, once they exited);
    /// taken before the io-wq lock, never under it.
    #[pin]
    iowq_threads: Mutex<RBTree<u64, (WorkerKey, KThread)>>,
    /// Woken when a completion is posted.
    #[pin]
    cq_wait: CondVar,
    /// Serialises reapers: a reaper copies completions out, then consumes
    /// them, so a failed copy loses none. Taken before any other lock.
    #[pin]
    reap_lock: Mutex<()>,
    /// The waiters for frees (IRQ-safe, innermost: a request is dropped in
    /// any context); a free takes it to wake them, only when
    /// [`FREED_WAITING`] says someone may wait.
    #[pin]
    exit_lock: SpinLockIrq<u32>,
    /// Requests freed so far, times two, plus [`FREED_WAITING`]. A free
    /// and a waiter each change it with one read-modify-write, so one of
    /// them sees the other: the waiter the free (and does not sleep), or
    /// the free the waiter (and wakes it under the lock it sleeps with).
    freed: AtomicU64,
    /// Woken when a request is freed.
    #[pin]
    exit_wait: CondVar,
    /// Sequence number of the next request; one more than the number of
    /// requests allocated so far. Written only with `uring_lock` held
    /// ([`UringGuard::seq_allocated`]), so no atomic read-modify-write is
    /// needed; read without it.
    next_seq: AtomicU64,
    /// Requests marked `REQ_F_INFLIGHT` and not yet freed, of every task
    /// (C counts them per task, `tctx->inflight_tracked`): while it is 0,
    /// task exit has nothing to cancel, and does not look.
    inflight_tracked: AtomicU64,
    /// Whether io-wq's request cache has memory for the allocation cache:
    /// written under the io-wq lock, read without it as a hint, so an
    /// allocation with both caches empty does not take the lock to find
    /// nothing (a stale answer costs one allocation or one acquisition).
    iowq_cache_filled: AtomicBool,
    /// Set once ring exit has started; no submission is accepted after.
    dying: AtomicBool,
    /// `defer_list` is not empty: completions must flush it
    /// (`drain_active`).
    drain_active: AtomicBool,
    /// What `->poll()` of the ring's file waits on (`ctx->poll_wq`); every
    /// completion posted wakes it. The last field: it is dropped after
    /// `uring_lock`'s state, whose armed polls may sit on it.
    poll_wq: PollQueue,
}

impl IoRingCtx {
    /// Returns an initialiser for an empty ring with `rings`.
    fn new(
        rings: SharedRings,
        poll_wq: PollQueue,
        params: RingParams,
        req_cache: BoundedStack<ArcSlot<Req>>,
        iowq: IoWqState,
    ) -> impl PinInit<Self, Error> {
        try_pin_init!(IoRingCtx {
            rings,
            poll_wq,
            params,
            sq_lock <- new_mutex!(
                SqState {
                    cached_sq_head: 0,
                    sqes: KVec::new(),
                },
                "IoRingCtx::sq_lock"
            ),
            sq_thread <- new_mutex!(None, "IoRingCtx::sq_thread"),
            sq_wakeup <- new_mutex!(false, "IoRingCtx::sq_wakeup"),
            sq_wait <- new_condvar!("IoRingCtx::sq_wait"),
            uring_lock <- new_mutex!(
                UringState {
                    cancelable: RefTree::new(),
                    defer_list: RefTree::new(),
                    channels: KVec::new(),
                    submitted: 0,
                    drain_next: false,
                    drain_disabled: false,
                    exited: KVec::new(),
                    tctxs: KVec::new(),
                    req_cache,
                    user_mm: None,
                },
                "IoRingCtx::uring_lock"
            ),
            completion_lock <- new_spinlock!(
                CompletionState {
                    off_timeout_used: false,
                    overflow: KVec::new(),
                    overflow_head: 0,
                    dropped: false,
                    cq_wake_tail: None,
                    cq_timeouts: 0,
                    cq_tail: 0,
                    completed: 0,
                },
                "IoRingCtx::completion_lock"
            ),
            timeout_lock <- new_spinlock_irq!(
                TimeoutState {
                    timeout_list: RefTree::new(),
                    ltimeout_list: ArcTree::new(),
                },
                "IoRingCtx::timeout_lock"
            ),
            iowq_lock <- new_atomic_lock!(iowq, "IoRingCtx::iowq_lock"),
            iowq_wait_bound <- new_condvar!("IoRingCtx::iowq_wait_bound"),
            iowq_wait_unbound <- new_condvar!("IoRingCtx::iowq_wait_unbound"),
            iowq_threads <- new_mutex!(RBTree::new(), "IoRingCtx::iowq_threads"),
            cq_wait <- new_condvar!("IoRingCtx::cq_wait"),
            reap_lock <- new_mutex!((), "IoRingCtx::reap_lock"),
            exit_lock <- new_spinlock_irq!(0, "IoRingCtx::exit_lock"),
            freed: AtomicU64::new(0),
            exit_wait <- new_condvar!("IoRingCtx::exit_wait"),
            next_seq: AtomicU64::new(1),
            inflight_tracked: AtomicU64::new(0),
            iowq_cache_filled: AtomicBool::new(false),
            dying: AtomicBool::new(false),
            drain_active: AtomicBool::new(false),
        }? Error)
    }

    /// Creates a ring with the default sizes, in task context (it may
    /// sleep).
    pub(crate) fn create(cx: &TaskCtx) -> Result<Arc<Self>> {
        Self::create_with(cx, RingParams::DEFAULT)
    }

    /// Creates a ring with `params` (`io_uring_create()`), in task context.
    pub(crate) fn create_with(cx: &TaskCtx, params: RingParams) -> Result<Arc<Self>> {
        let rings = SharedRings::new(cx, params.sq_entries, params.cq_entries)?;
        let poll_wq = PollQueue::new(cx)?;
        // io-wq's limits, as C's `io_wq_create()` sets them for the task.
        let unbound = rlimit_nproc(cx);
        let cap = (params.sq_entries as usize).min(REQ_CACHE_MAX);
        let bound = params.sq_entries.min(4 * num_online_cpus());
        let iowq = IoWqState::new(bound, unbound, cap)?;
        Arc::pin_init(
            Self::new(
                rings,
                poll_wq,
                params,
                BoundedStack::new(cap, GFP_KERNEL_ACCOUNT)?,
                iowq,
            ),
            GFP_KERNEL_ACCOUNT,
        )
    }

    /// The queue `->poll()` of the ring's file waits on.
    pub(crate) fn poll_wq(&self) -> &PollQueue {
        &self.poll_wq
    }

    /// The shared rings.
    pub(crate) fn rings(&self) -> &SharedRings {
        &self.rings
    }

    /// The setup parameters.
    pub(crate) fn params(&self) -> &RingParams {
        &self.params
    }

    /// Keeps the SQPOLL thread until ring exit.
    pub(crate) fn set_sq_thread(&self, _cx: &TaskCtx, t: KThread) {
        *self.sq_thread.lock() = Some(t);
    }

    /// Whether the SQPOLL thread runs (`sq_data->thread`).
    // Used by the device calls (`entry/dev.rs`), which the host mirror lacks.
    #[cfg_attr(not(MODULE), allow(dead_code))]
    pub(crate) fn has_sq_thread(&self) -> bool {
        self.sq_thread.lock().is_some()
    }

    /// Where idle io-wq workers of `acct` wait.
    fn iowq_wait(&self, acct: IoWqAcct) -> &CondVar {
        match acct {
            IoWqAcct::Bound => &self.iowq_wait_bound,
            IoWqAcct::Unbound => &self.iowq_wait_unbound,
        }
    }

    /// Wakes an idle io-wq worker of `acct` (`io_wq_activate_free_worker()`).
    fn iowq_wake(&self, acct: IoWqAcct) {
        self.iowq_wait(acct).notify_one();
    }

    /// Wakes every idle io-wq worker.
    fn iowq_wake_all(&self) {
        self.iowq_wait_bound.notify_all();
        self.iowq_wait_unbound.notify_all();
    }

    /// An idle io-wq worker of `acct` waits, the io-wq lock released, until
    /// woken or `jiffies` pass; returns whether the time ran out.
    fn iowq_idle_wait(
        &self,
        acct: IoWqAcct,
        guard: &mut AtomicGuard<'_, IoWqState>,
        jiffies: Jiffies,
    ) -> bool {
        guard.wait_timeout(self.iowq_wait(acct), jiffies)
    }

    /// Stops the SQPOLL thread, if any, and waits until it has (the first
    /// step of ring exit, `io_sq_thread_finish()`).
    pub(crate) fn stop_sq_thread(&self, _cx: &mut TaskCtx) {
        let t = self.sq_thread.lock().take();
        if t.is_some() {
            // A thread asleep in `sq_idle_wait` must see the stop.
            self.sq_wake();
        }
        drop(t);
    }

    /// Wakes the idle SQPOLL thread (`IORING_ENTER_SQ_WAKEUP`).
    pub(crate) fn sq_wake(&self) {
        let mut w = self.sq_wakeup.lock();
        *w = true;
        self.sq_wait.notify_all();
    }

    /// The idle SQPOLL thread sleeps until woken or `jiffies` pass; returns
    /// whether it was woken.
    pub(crate) fn sq_idle_wait(&self, _cx: &mut TaskCtx, jiffies: Jiffies) -> bool {
        let mut w = self.sq_wakeup.lock();
        if !*w {
            let _ = self.sq_wait.wait_interruptible_timeout(&mut w, jiffies);
        }
        core::mem::take(&mut *w)
    }

    /// The sequence number the next request will get: every request
    /// allocated so far has a smaller one.
    pub(crate) fn seq_horizon(&self) -> u64 {
        self.next_seq.load(Ordering::Relaxed)
    }

    /// Returns the number of requests not yet freed (`ctx->refs` in C):
    /// those allocated less those freed. The frees are read first: a
    /// request is counted allocated before it can be freed, so the
    /// difference is never negative, and it is 0 only if every request
    /// allocated by the time of the second read was freed by the first.
    pub(crate) fn inflight(&self) -> usize {
        let freed = self.freed();
        let allocated = self.next_seq.load(Ordering::Acquire) - 1;
        allocated.saturating_sub(freed) as usize
    }

    /// Counts a request marked `REQ_F_INFLIGHT` (once per request).
    pub(super) fn inflight_tracked_inc(&self) {
        self.inflight_tracked.fetch_add(1, Ordering::AcqRel);
    }

    /// Uncounts a request counted by [`Self::inflight_tracked_inc`] as it
    /// is freed, before it counts as freed.
    pub(super) fn inflight_tracked_dec(&self) {
        self.inflight_tracked.fetch_sub(1, Ordering::AcqRel);
    }

    /// Requests marked `REQ_F_INFLIGHT` not yet freed (`tctx_inflight(tctx,
    /// true)`, summed over the tasks).
    pub(crate) fn inflight_tracked(&self) -> u64 {
        self.inflight_tracked.load(Ordering::Acquire)
    }

    /// Accounts a freed request and wakes whoever waits for frees.
    pub(super) fn request_freed(&self) {
        if self.freed.fetch_add(2, Ordering::AcqRel) & FREED_WAITING != 0 {
            let _g = self.exit_lock.lock();
            self.exit_wait.notify_all();
        }
    }

    /// How many requests were freed so far: read before checking a
    /// condition, then passed to [`Ring::wait_freed`].
    pub(crate) fn freed(&self) -> u64 {
        self.freed.load(Ordering::Acquire) >> 1
    }

    /// Whether ring exit has started.
    pub(crate) fn is_dying(&self) -> bool {
        self.dying.load(Ordering::Acquire)
    }

    /// Marks the start of ring exit.
    pub(crate) fn set_dying(&self) {
        self.dying.store(true, Ordering::Release);
    }

    /// Whether deferred heads wait for completions (`drain_active`).
    pub(crate) fn drain_active(&self) -> bool {
        self.drain_active.load(Ordering::Acquire)
    }

    /// Sets or clears `drain_active`.
    pub(crate) fn set_drain_active(&self, on: bool) {
        self.drain_active.store(on, Ordering::Release);
    }
}

/// A ring within one activation: `'id` is its brand (see `brand.rs`).
#[derive(Clone, Copy)]
pub(crate) struct Ring<'r, 'id> {
    ctx: &'r Arc<IoRingCtx>,
    brand: Brand<'id>,
}

impl<'r> Ring<'r, '_> {
    /// Runs `f` with `ctx` under a fresh brand.
    pub(crate) fn open<R>(
        ctx: &'r Arc<IoRingCtx>,
        f: impl for<'id> FnOnce(Ring<'r, 'id>) -> R,
    ) -> R {
        Brand::open(|brand| f(Ring { ctx, brand }))
    }
}

impl<'r, 'id> Ring<'r, 'id> {
    /// The ring `ctx` under `brand`: a request's ring under its view's brand.
    pub(super) fn from_parts(ctx: &'r Arc<IoRingCtx>, brand: Brand<'id>) -> Self {
        Ring { ctx, brand }
    }

    /// The ring's brand.
    pub(super) fn brand(self) -> Brand<'id> {
        self.brand
    }

    /// The ring, as the `Arc` that requests hold.
    pub(crate) fn ctx(self) -> &'r Arc<IoRingCtx> {
        self.ctx
    }

    /// Takes `uring_lock`; only a context that may sleep can.
    pub(crate) fn lock_uring<'a>(self, cx: &'a mut TaskCtx) -> UringGuard<'a, 'id>
    where
        'r: 'a,
    {
        UringGuard::new(self, self.ctx.uring_lock.lock(), cx)
    }

    /// Takes `completion_lock` without `uring_lock` (io-wq completions),
    /// with the right to sleep on the completion queue.
    pub(crate) fn lock_completion<'a>(self, _cx: &'a mut TaskCtx) -> CqWaiter<'a, 'id>
    where
        'r: 'a,
    {
        CqWaiter::new(CompletionGuard::new(self, self.ctx.completion_lock.lock()))
    }

    /// Takes `timeout_lock` alone, from any context.
    pub(crate) fn lock_timeout<'a>(self, _cx: &'a mut impl AnyCtx) -> TimeoutGuard<'a, 'id>
    where
        'r: 'a,
    {
        TimeoutGuard::new(self, self.ctx.timeout_lock.lock())
    }

    /// Takes `timeout_lock` for the linked-timeout claim, which keeps the
    /// timer callback's context (by value) for as long as the guard.
    pub(super) fn lock_timeout_for_claim(self, _cx: &AtomicCtx) -> TimeoutGuard<'r, 'id> {
        TimeoutGuard::new(self, self.ctx.timeout_lock.lock())
    }

    /// Takes the io-wq lock without `uring_lock`.
    pub(crate) fn lock_iowq<'a>(self, cx: &'a mut TaskCtx) -> IoWqGuard<'a, 'id>
    where
        'r: 'a,
    {
        IoWqGuard::new(self, self.ctx.iowq_lock.lock(cx))
    }

    /// Takes the SQ lock (before `uring_lock`), to consume the SQ ring; it
    /// uses up the system call's [`SqCtx`].
    pub(crate) fn lock_sq<'a>(self, cx: &'a mut TaskCtx, _sq: SqCtx) -> SqGuard<'a, 'id>
    where
        'r: 'a,
    {
        SqGuard::new(self, self.ctx.sq_lock.lock(), cx)
    }

    /// Takes the reaper lock (before `completion_lock`).
    pub(crate) fn lock_reap<'a>(self, cx: &'a mut TaskCtx) -> ReapGuard<'a, 'id>
    where
        'r: 'a,
    {
        ReapGuard::new(self, self.ctx.reap_lock.lock(), cx)
    }

    /// Sleeps until a request is freed after `seen` was read, or for at most
    /// `jiffies`; returns the jiffies left, or `-EINTR` if a signal is
    /// pending (also `TIF_NOTIFY_SIGNAL`, which io_uring's own task work sets
    /// on a task that uses a real ring too).
    pub(crate) fn wait_freed(
        self,
        _cx: &mut TaskCtx,
        seen: u64,
        jiffies: Jiffies,
    ) -> Result<Jiffies> {
        let ctx = self.ctx;
        let mut waiters = ctx.exit_lock.lock();
        *waiters += 1;
        let res = if ctx.freed.fetch_or(FREED_WAITING, Ordering::AcqRel) >> 1 != seen {
            Ok(jiffies)
        } else {
            match ctx
                .exit_wait
                .wait_interruptible_timeout(&mut waiters, jiffies)
            {
                CondVarTimeoutResult::Woken { jiffies } => Ok(jiffies),
                CondVarTimeoutResult::Timeout => Ok(0),
                CondVarTimeoutResult::Signal { .. } => Err(EINTR),
            }
        };
        *waiters -= 1;
        if *waiters == 0 {
            ctx.freed.fetch_and(!FREED_WAITING, Ordering::AcqRel);
        }
        res
    }
}

impl core::ops::Deref for Ring<'_, '_> {
    type Target = IoRingCtx;

    fn deref(&self) -> &IoRingCtx {
        self.ctx
    }
}
