// SPDX-License-Identifier: GPL-2.0

//! A ring's io-wq (`struct io_wq`): two accounts of pending work and
//! workers, the running work, and the workers' threads; what the io-wq lock
//! protects, and what only its guard may do (the worker loop is an entry
//! point, `entry/iowq.rs`; queueing and cancelling are the lifecycle's,
//! `lifecycle/iowq.rs`).
//!
//! Workers are kernel threads (`iou-wrk-PID`) created on demand, while an
//! account is below its limit and no worker of it is idle; a worker runs
//! pending work until there is none, then idles, and exits after
//! [`IO_WORKER_IDLE_TIMEOUT_MS`] without work unless it is its account's
//! last. Ring exit stops them all.
//!
//! Pending work is an intrusive FIFO per account (`acct->work_list`), the
//! work a worker runs is kept in the worker's entry (`worker->cur_work`):
//! queueing, taking and finishing work allocate nothing.

use super::locks::{IoWqGuard, IoWqLists, UringGuard};
use super::{IoRingCtx, Ring};
use crate::glue::arc_slot::{ArcSlot, BoundedStack};
use crate::glue::atomic::Ordering;
use crate::glue::brand::Brand;
use crate::glue::context::TaskCtx;
use crate::glue::kthread::{KThread, ThreadTask};
use crate::uring::model::req::{CurWork, RefList, Req, ReqArc, ReqPin, ReqRef, ReqView};
use crate::uring::model::sqe::Op;
use kernel::prelude::*;
use kernel::rbtree::RBTreeNodeReservation;
use kernel::sync::Arc;
use kernel::time::msecs_to_jiffies;

/// io-wq's two accounts (`IO_WQ_ACCT_BOUND`, `IO_WQ_ACCT_UNBOUND`): work
/// that finishes in bounded time, and work that may block indefinitely
/// (reads of pipes, sockets, channels), each with its own workers and
/// limit, so that blocked work cannot starve the rest.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum IoWqAcct {
    /// `IO_WQ_ACCT_BOUND`.
    Bound = 0,
    /// `IO_WQ_ACCT_UNBOUND`.
    Unbound = 1,
}

/// A hash bucket of io-wq work (`io_wq_hash_work()`): work of one bucket
/// runs one at a time, in the order it was queued. Writes to a regular
/// file are hashed by its inode, which serialises them per file as the
/// file system expects of buffered writes.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct IoWqHash(u8);

impl IoWqHash {
    /// `IO_WQ_HASH_ORDER`: 64 buckets.
    pub(crate) const ORDER: u32 = 6;
    /// The raw value of no bucket.
    pub(in crate::uring::model) const NONE: u8 = u8::MAX;

    /// The bucket `bucket` names, of the low [`Self::ORDER`] bits.
    pub(crate) fn new(bucket: u32) -> Self {
        IoWqHash((bucket & ((1 << Self::ORDER) - 1)) as u8)
    }

    /// The bucket stored as `raw`, if any.
    pub(in crate::uring::model) fn from_raw(raw: u8) -> Option<Self> {
        (raw != Self::NONE).then_some(IoWqHash(raw))
    }

    /// The value stored.
    pub(in crate::uring::model) fn raw(self) -> u8 {
        self.0
    }

    /// Its bit in the map of busy buckets (`wq->hash->map`).
    fn bit(self) -> u64 {
        1 << self.0
    }
}

/// What `io_prep_async_work()` decides of a request's work: its account,
/// and its hash bucket, if it is serialised.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct IoWqWork {
    /// The account it runs in.
    pub(crate) acct: IoWqAcct,
    /// Its bucket (`IO_WQ_WORK_HASHED`).
    pub(crate) hash: Option<IoWqHash>,
}

/// How long a worker idles before it exits (`WORKER_IDLE_TIMEOUT`).
pub(crate) const IO_WORKER_IDLE_TIMEOUT_MS: u32 = 5000;

/// One account's work and workers (`struct io_wq_acct`).
struct IoWqAcctState {
    /// Pending work, oldest first (`acct->work_list`); each entry holds
    /// io-wq's reference (`io_req_refcount()` + get), the request's own
    /// reference is parked in it.
    pending: RefList,
    /// Workers alive or being created (`acct->nr_workers`).
    nr_workers: u32,
    /// Workers idle, waiting for work (`wq->free_list`).
    nr_free: u32,
    /// The limit of `nr_workers` (`acct->max_workers`).
    max_workers: u32,
    /// Workers that will look at the pending work again without being
    /// woken: being created, or running work that cannot sleep (see
    /// [`IoWorkerState::returning`]). C counts running workers, a worker
    /// being created among them (`acct->nr_running`), through the
    /// scheduler's hooks; the module counts those it knows cannot sleep.
    nr_returning: u32,
    /// Work queued without waking an idle worker, for a returning worker
    /// to take, since the pending list was last empty: at least as many
    /// as are pending (some may have been taken since, and a wake-up for
    /// them finds no work).
    nr_unwoken: u32,
}

impl IoWqAcctState {
    /// Counts one more worker if the account is below its limit and io-wq
    /// is not exiting; says whether it did (the caller then creates it).
    fn count_new_worker(&mut self, exit: bool) -> bool {
        let room = !exit && self.nr_workers < self.max_workers;
        if room {
            self.nr_workers += 1;
            self.nr_returning += 1;
        }
        room
    }
}

/// What io-wq knows of one worker (`struct io_worker`): its account, its
/// task, to interrupt, once it runs, and the work it runs, with io-wq's
/// reference (`worker->cur_work`), and that work's hash bucket, which the
/// worker holds busy until it finishes the work.
struct IoWorkerState {
    id: u64,
    acct: IoWqAcct,
    task: Option<ThreadTask>,
    cur_work: CurWork,
    hash: Option<IoWqHash>,
    /// The worker will ask for work again without sleeping first: it is
    /// being created, or its work is a NOP that ends its chain
    /// ([`returns_unwoken`]). Counted in its account's `nr_returning` until
    /// the worker finds no work, or takes work that may sleep.
    returning: bool,
}

impl IoWorkerState {
    /// Worker `id` of `acct`, not started yet.
    fn new(id: u64, acct: IoWqAcct) -> Self {
        IoWorkerState {
            id,
            acct,
            task: None,
            cur_work: CurWork::new(),
            hash: None,
            // Counted by `count_new_worker()`.
            returning: true,
        }
    }
}

/// Where a worker's entry is in io-wq's table of workers: its slot, and
/// its id, unique for the ring's life, which the entry in the slot must
/// carry (a slot is reused once its worker is gone). Only the table makes
/// one.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct WorkerKey {
    slot: usize,
    id: u64,
}

/// io-wq's workers (`wq->all_list`), in slots: a worker reaches its own
/// entry by its key in constant time, twice a request, where a tree by id
/// took a walk each time. An exited worker's slot is empty (`None`) until
/// a new worker takes it. Every slot up to the capacity exists, so adding
/// a worker allocates nothing under the io-wq lock: a full table is
/// replaced by a larger one allocated before ([`WorkerRoom`]).
///
/// # Invariants
///
/// `used` slots are occupied, and every slot below `first_free` is: adding
/// a worker looks for an empty slot from there, so a table that only grows
/// finds one at once, and whether it is full is a compare.
struct WorkerTable {
    slots: KVec<Option<IoWorkerState>>,
    used: usize,
    first_free: usize,
}

impl WorkerTable {
    fn get(&self, key: WorkerKey) -> Option<&IoWorkerState> {
        self.slots
            .get(key.slot)?
            .as_ref()
            .filter(|w| w.id == key.id)
    }

    fn get_mut(&mut self, key: WorkerKey) -> Option<&mut IoWorkerState> {
        self.slots
            .get_mut(key.slot)?
            .as_mut()
            .filter(|w| w.id == key.id)
    }

    fn remove(&mut self, key: WorkerKey) -> Option<IoWorkerState> {
        let slot = self.slots.get_mut(key.slot)?;
        match slot {
            Some(w) if w.id == key.id => {
                self.used -= 1;
                self.first_free = self.first_free.min(key.slot);
                slot.take()
            }
            _ => None,
        }
    }

    fn iter(&self) -> impl Iterator<Item = &IoWorkerState> {
        self.slots.iter().flatten()
    }

    /// How many slots a table needs for one more worker: `None` if this
    /// one has an empty slot.
    fn room_wanted(&self) -> Option<usize> {
        let full = self.used == self.slots.len();
        full.then(|| (2 * self.slots.len()).max(4))
    }

    /// Adds `w` in an empty slot, moving every entry into `room`'s table
    /// first if this one has none; `room` then holds this empty table, for
    /// the caller to free after the lock. Gives `w` back if there is no
    /// empty slot in either.
    fn insert(
        &mut self,
        w: IoWorkerState,
        room: &mut WorkerRoom,
    ) -> Result<WorkerKey, IoWorkerState> {
        let from = self.first_free;
        let empty = self
            .slots
            .get(from..)
            .and_then(|s| s.iter().position(Option::is_none));
        let slot = match empty {
            Some(i) => from + i,
            None => match room.0.as_mut().filter(|t| t.len() > self.slots.len()) {
                Some(larger) => {
                    for (to, from) in larger.iter_mut().zip(self.slots.iter_mut()) {
                        *to = from.take();
                    }
                    core::mem::swap(&mut self.slots, larger);
                    larger.len()
                }
                None => return Err(w),
            },
        };
        let key = WorkerKey { slot, id: w.id };
        self.slots[slot] = Some(w);
        self.used += 1;
        self.first_free = slot + 1;
        Ok(key)
    }
}

/// A larger table of workers, every slot empty, allocated before the io-wq
/// lock is taken when the table had no empty slot
/// ([`IoWqGuard::worker_room_wanted`]); or nothing, when it had one.
pub(crate) struct WorkerRoom(Option<KVec<Option<IoWorkerState>>>);

impl WorkerRoom {
    /// Room of `wanted` slots, if any are, in task context (it may sleep).
    pub(crate) fn new(_cx: &TaskCtx, wanted: Option<usize>) -> Result<Self> {
        let Some(n) = wanted else {
            return Ok(WorkerRoom(None));
        };
        let mut slots = KVec::with_capacity(n, GFP_KERNEL)?;
        for _ in 0..n {
            slots.push(None, GFP_KERNEL)?;
        }
        Ok(WorkerRoom(Some(slots)))
    }
}

/// io-wq's list of workers of ring `'id`, under its lock.
pub(crate) struct IoWqWorkers<'g, 'id> {
    workers: &'g WorkerTable,
    brand: Brand<'id>,
}

impl<'g, 'id> IoWqWorkers<'g, 'id> {
    /// The running work (`io_wq_for_each_worker()`'s `cur_work`).
    pub(crate) fn running(&self) -> impl Iterator<Item = RunningWork<'g, 'id>> {
        let brand = self.brand;
        self.workers.iter().filter_map(move |worker| {
            let req = worker.cur_work.get(brand)?;
            Some(RunningWork { req, worker })
        })
    }
}

/// A request a worker runs, seen under the io-wq lock.
pub(crate) struct RunningWork<'g, 'id> {
    /// The request, pinned by io-wq's reference.
    pub(crate) req: ReqPin<'g, 'id>,
    worker: &'g IoWorkerState,
}

impl RunningWork<'_, '_> {
    /// Marks the request cancelled (`IO_WQ_WORK_CANCEL`) and interrupts
    /// the worker that runs it (`__io_wq_worker_cancel()`:
    /// `__set_notify_signal()`). The mark comes first, under the io-wq
    /// lock: a worker whose finished work is unmarked was not interrupted
    /// for it, and need not clear the interruption.
    pub(crate) fn signal_and_interrupt(&self) {
        self.req.signal();
        if let Some(task) = &self.worker.task {
            task.notify_signal(&InterruptProof(()));
        }
    }
}

/// The proof that interrupts a worker ([`MayInterrupt`], implemented in
/// the glue): its field is private to this file, which makes one only in
/// [`RunningWork::signal_and_interrupt`], after marking the work.
///
/// [`MayInterrupt`]: crate::glue::context::MayInterrupt
pub(crate) struct InterruptProof(());

/// State protected by the io-wq lock (C: `acct->lock` and `wq->lock`).
pub(crate) struct IoWqState {
    /// The bound and the unbound account.
    acct: [IoWqAcctState; 2],
    /// The workers (`wq->all_list`), with the work they run.
    workers: WorkerTable,
    /// The buckets of which a worker runs work (`wq->hash->map`): bit `h`
    /// is set exactly while a worker's `hash` is bucket `h`.
    hash_map: u64,
    /// The id of the next worker.
    next_id: u64,
    /// Ring exit stops the workers (`IO_WQ_BIT_EXIT`).
    exit: bool,
    /// Workers that left `workers` on their way out whose threads are not
    /// reaped yet: only then does starting a worker look for threads to
    /// reap, a walk of them all.
    unreaped: usize,
    /// The memory of requests the workers freed, for the request cache
    /// (`locked_free_list`).
    req_cache: BoundedStack<ArcSlot<Req>>,
}

impl IoWqState {
    /// The lists of ring `brand`.
    pub(super) fn lists<'g, 'id>(&'g mut self, brand: Brand<'id>) -> IoWqLists<'g, 'id> {
        let [bound, unbound] = &mut self.acct;
        IoWqLists {
            pending: [bound.pending.view(brand), unbound.pending.view(brand)],
            workers: IoWqWorkers {
                workers: &self.workers,
                brand,
            },
        }
    }

    /// No work and no workers; at most `bound` bound and `unbound` unbound
    /// workers; a request cache of `cache` entries. Task context.
    pub(super) fn new(bound: u32, unbound: u32, cache: usize) -> Result<Self> {
        let acct = |max_workers| IoWqAcctState {
            pending: RefList::new(),
            nr_workers: 0,
            nr_free: 0,
            max_workers,
            nr_returning: 0,
            nr_unwoken: 0,
        };
        Ok(IoWqState {
            acct: [acct(bound), acct(unbound)],
            workers: WorkerTable {
                slots: KVec::new(),
                used: 0,
                first_free: 0,
            },
            unreaped: 0,
            hash_map: 0,
            next_id: 1,
            exit: false,
            req_cache: BoundedStack::new(cache, GFP_KERNEL_ACCOUNT)?,
        })
    }
}

/// Whether a worker running `req` asks for work again without sleeping:
/// a NOP that ends its chain (no next request to find under `uring_lock`,
/// and no linked timeout to arm under it). The one wait left to it is for
/// `uring_lock`, taken to queue drained chains while a drain is active,
/// whose holder never waits for io-wq work: pending work is late then,
/// never stranded.
fn returns_unwoken(req: &Req) -> bool {
    matches!(req.op(), Some(Op::Nop)) && !req.has_link_flags()
}

impl IoWqState {
    /// Keeps io-wq's reference `req` as the work of worker `key`, which
    /// runs nothing, and `hash` as the bucket it holds busy in `hash_map`.
    /// Returns the worker's account (one lookup of the worker for both),
    /// and whether the worker now returns unwoken ([`returns_unwoken`]).
    #[inline(always)]
    fn set_cur_work<'id>(
        &mut self,
        key: WorkerKey,
        req: ReqRef<'id>,
        hash: Option<IoWqHash>,
    ) -> Option<(IoWqAcct, bool)> {
        // A worker calls this for itself, registered and without work:
        // `worker_add` made its entry, and only its own exit removes it.
        let returning = returns_unwoken(&req);
        let (prev, acct) = match self.workers.get_mut(key) {
            Some(w) => {
                if let Some(old) = core::mem::replace(&mut w.hash, hash) {
                    self.hash_map &= !old.bit();
                }
                if let Some(h) = hash {
                    self.hash_map |= h.bit();
                }
                let a = &mut self.acct[w.acct as usize];
                if returning && !w.returning {
                    a.nr_returning += 1;
                } else if !returning && w.returning {
                    a.nr_returning -= 1;
                }
                w.returning = returning;
                (w.cur_work.set(req), Some((w.acct, returning)))
            }
            None => (Some(req), None),
        };
        if let Some(req) = prev {
            pr_err!(
                "BUG: io-wq worker {} lost work {:#x}\n",
                key.id,
                req.user_data()
            );
        }
        acct
    }
}

/// An io-wq worker thread's data: its ring, which it keeps alive, its
/// account, and its key in io-wq's table of workers.
pub(crate) struct IoWorker {
    ring: Arc<IoRingCtx>,
    acct: IoWqAcct,
    key: WorkerKey,
}

impl IoWorker {
    /// The account whose work this worker runs.
    pub(crate) fn acct(&self) -> IoWqAcct {
        self.acct
    }

    /// The worker's key in io-wq's table of workers.
    pub(crate) fn key(&self) -> WorkerKey {
        self.key
    }

    /// The worker's ring, opened under a fresh brand: an entry point's
    /// activation of the ring.
    pub(crate) fn open<R>(&self, f: impl for<'r, 'id> FnOnce(Ring<'r, 'id>) -> R) -> R {
        Ring::open(&self.ring, f)
    }
}

/// What queueing work asks of the caller.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Enqueued {
    /// An idle worker was woken, or every worker is busy at the limit:
    /// one of them takes the work.
    Taken,
    /// A worker must be created (`io_wq_create_worker()`); it is counted.
    CreateWorker,
}

/// A worker that a worker taking work that may sleep counted
/// ([`IoWqGuard::next_work`], [`IoWqGuard::run_linked`]), to be created for the
/// task `pid` in account `acct` (`io_wq_create_worker()`). Only the count
/// makes one, and creating consumes it: no worker is created uncounted or
/// twice for one count.
pub(crate) struct NewWorkerFor {
    acct: IoWqAcct,
    pid: u32,
}

impl NewWorkerFor {
    /// The account the worker is counted in.
    pub(crate) fn acct(&self) -> IoWqAcct {
        self.acct
    }

    /// The task whose pending work asked for it.
    pub(crate) fn pid(&self) -> u32 {
        self.pid
    }
}

/// A worker counted by [`IoWqGuard::enqueue`], its thread not yet started.
pub(crate) struct NewWorker {
    acct: IoWqAcct,
    key: WorkerKey,
}

impl<'a, 'id> IoWqGuard<'a, 'id> {
    fn state(&mut self) -> &mut IoWqState {
        self.guard.split().0
    }

    /// `io_wq_insert_work()` and the activation of `io_wq_enqueue()`:
    /// queues io-wq's reference `req` as pending `work`, oldest first, and
    /// wakes an idle worker of its account; with none, asks for a new one
    /// while the account is below its limit. It wakes none while a worker
    /// of the account will look at the pending work again unwoken
    /// (`nr_returning`): that worker takes the work next, and one woken
    /// beside it would take the submitter's CPU. (C wakes an idle worker
    /// for every new work, and creates one only if none runs,
    /// `acct->nr_running`, or the work is concurrent.) Hashed work asks as
    /// any other:
    /// C leaves it to a running worker, which it learns is blocked from
    /// the scheduler (`io_wq_worker_sleeping()`), and a module has no such
    /// hook. A request already queued (a bug of the caller's) comes back,
    /// queued once.
    pub(crate) fn enqueue(
        &mut self,
        work: IoWqWork,
        req: ReqRef<'id>,
    ) -> Result<Enqueued, ReqRef<'id>> {
        let brand = self.ring.brand();
        let acct = work.acct;
        let st = self.state();
        let a = &mut st.acct[acct as usize];
        // Read under this lock only: a request queued already keeps its
        // bucket.
        let old = req.iowq_hash();
        req.set_iowq_hash(work.hash);
        a.pending
            .view(brand)
            .push_back(req)
            .inspect_err(|req| req.set_iowq_hash(old))?;
        Ok(if a.nr_free > 0 {
            // Unless a worker that will look again takes it.
            if a.nr_returning == 0 {
                self.ring.ctx().iowq_wake(acct);
            } else {
                a.nr_unwoken += 1;
            }
            Enqueued::Taken
        } else if a.count_new_worker(st.exit) {
            Enqueued::CreateWorker
        } else {
            Enqueued::Taken
        })
    }

    /// `io_req_add_to_cache()` from a worker: keeps the memory of a request
    /// the worker freed while the cache has room; frees it otherwise.
    pub(crate) fn req_cache_free(&mut self, slot: ArcSlot<Req>) {
        self.state().req_cache.push(slot);
        let ctx = self.ring.ctx();
        ctx.iowq_cache_filled.store(true, Ordering::Relaxed);
    }

    /// `io_flush_cached_locked_reqs()`: hands what the workers freed to the
    /// allocation cache `cache`, which is empty and as large as this one.
    pub(super) fn req_cache_splice(&mut self, cache: &mut BoundedStack<ArcSlot<Req>>) {
        core::mem::swap(&mut self.state().req_cache, cache);
        let ctx = self.ring.ctx();
        ctx.iowq_cache_filled.store(false, Ordering::Relaxed);
    }

    /// How many slots the table of workers needs for one more worker, to
    /// allocate before [`Self::worker_add`]; `None` if it has room.
    pub(crate) fn worker_room_wanted(&mut self) -> Option<usize> {
        self.state().workers.room_wanted()
    }

    /// Registers a worker counted by `enqueue` under a new id, in an empty
    /// slot of the table or of `room`'s larger one (then `room` holds the
    /// old table, for the caller to free after the lock). Without an empty
    /// slot in either (a worker was added since `room` was sized), the
    /// worker is uncounted, and `ENOMEM` returned.
    pub(crate) fn worker_add(
        &mut self,
        acct: IoWqAcct,
        room: &mut WorkerRoom,
    ) -> Result<NewWorker> {
        let st = self.state();
        let id = st.next_id;
        st.next_id += 1;
        match st.workers.insert(IoWorkerState::new(id, acct), room) {
            Ok(key) => Ok(NewWorker { acct, key }),
            Err(_) => {
                self.worker_failed(acct, None);
                Err(ENOMEM)
            }
        }
    }

    /// Uncounts a worker whose thread could not be started (the caller
    /// then asks [`Self::no_workers`] whether its pending work is
    /// stranded).
    pub(crate) fn worker_failed(&mut self, acct: IoWqAcct, key: Option<WorkerKey>) {
        let st = self.state();
        let a = &mut st.acct[acct as usize];
        // Counted by `count_new_worker()`, and the entry never ran.
        let returning = match key.and_then(|key| st.workers.remove(key)) {
            Some(w) => w.returning,
            None => true,
        };
        if returning {
            a.nr_returning -= 1;
        }
        a.nr_workers -= 1;
        // Work queued for the worker that will not come: an idle one takes
        // it (the caller cancels the pending work if no worker is left).
        if a.nr_returning == 0 && a.nr_unwoken > 0 && a.nr_free > 0 {
            a.nr_unwoken -= 1;
            self.ring.ctx().iowq_wake(acct);
        }
    }

    /// Whether `acct` has no worker, alive or being created.
    pub(crate) fn no_workers(&mut self, acct: IoWqAcct) -> bool {
        self.state().acct[acct as usize].nr_workers == 0
    }

    /// A worker's thread started: records its task, for cancellation to
    /// interrupt what it runs.
    pub(crate) fn worker_started(&mut self, key: WorkerKey, task: Option<ThreadTask>) {
        if let Some(w) = self.state().workers.get_mut(key) {
            w.task = task;
        }
    }

    /// `io_get_next_work()` and the idling of `io_wq_worker()`: moves the
    /// oldest pending work of worker `key`'s account `acct` to the work the
    /// worker runs and returns it, with the worker to create for the rest
    /// if that work may sleep ([`Self::io_wq_worker_sleeping`]). With
    /// none, the worker idles until work comes,
    /// ring exit, or [`IO_WORKER_IDLE_TIMEOUT_MS`] passed; then it exits
    /// (`None`), unless it timed out as its account's last worker. An
    /// exiting worker is uncounted and forgotten under the same lock, so
    /// `enqueue` never counts on it.
    pub(crate) fn next_work(
        &mut self,
        acct: IoWqAcct,
        key: WorkerKey,
    ) -> Option<(ReqArc<'id>, Option<NewWorkerFor>)> {
        let brand = self.ring.brand();
        let mut timed_out = false;
        loop {
            let st = self.state();
            let a = &mut st.acct[acct as usize];
            if !st.exit {
                // The oldest work whose bucket no worker holds busy
                // (`io_get_next_work()`'s stall on a hashed bucket).
                let busy = st.hash_map;
                let mut pending = a.pending.view(brand);
                let req = if busy == 0 {
                    pending.pop_front()
                } else {
                    pending
                        .remove_first(|r| !matches!(r.iowq_hash(), Some(h) if busy & h.bit() != 0))
                };
                if pending.iter().next().is_none() {
                    a.nr_unwoken = 0;
                }
                if let Some(req) = req {
                    let arc = req.to_arc();
                    let hash = req.iowq_hash();
                    let new = match st.set_cur_work(key, req, hash) {
                        Some((acct, false)) => self.io_wq_worker_sleeping(acct),
                        _ => None,
                    };
                    return Some((arc, new));
                }
            }
            if let Some(w) = st.workers.get_mut(key) {
                if core::mem::take(&mut w.returning) {
                    a.nr_returning -= 1;
                }
            }
            let over = a.nr_workers > a.max_workers;
            if st.exit || over || (timed_out && a.nr_workers > 1) {
                a.nr_workers -= 1;
                // The worker's task reference is put here, under the lock:
                // `put_task_struct()` may be called in atomic context.
                if st.workers.remove(key).is_some() {
                    st.unreaped += 1;
                }
                return None;
            }
            a.nr_free += 1;
            let jiffies = msecs_to_jiffies(IO_WORKER_IDLE_TIMEOUT_MS);
            let ctx = self.ring.ctx();
            timed_out = ctx.iowq_idle_wait(acct, &mut self.guard, jiffies);
            self.state().acct[acct as usize].nr_free -= 1;
        }
    }

    /// Makes io-wq's reference `req` the work of worker `key`: the next
    /// request of a chain, which the worker that ran its predecessor runs
    /// next (`io_worker_handle_work()`). It holds no bucket: it was never
    /// queued.
    ///
    /// The request may block, and the worker with it. C then wakes or
    /// creates a worker for the account's pending work
    /// (`io_wq_worker_sleeping()`); a module cannot see a worker block, so
    /// the worker asks before it goes on ([`Self::io_wq_worker_sleeping`]),
    /// and the worker to create, if any, is returned. (A hashed write that
    /// waited for its bucket would otherwise wait for the whole chain of
    /// the write that held it.)
    pub(crate) fn run_linked(&mut self, req: ReqRef<'id>, key: WorkerKey) -> Option<NewWorkerFor> {
        match self.state().set_cur_work(key, req, None)? {
            (acct, false) => self.io_wq_worker_sleeping(acct),
            (_, true) => None,
        }
    }

    /// `io_wq_worker_sleeping()`, asked before the fact: a worker of
    /// `acct` took work that may sleep. If no other worker of the account
    /// will look at the pending work unwoken (`nr_returning`), and work no
    /// busy bucket holds back is pending, an idle worker is woken for work
    /// queued without a wake-up (`nr_unwoken`), or, with no idle worker,
    /// one is counted and returned for the caller to create, for the task
    /// of that work, while the account is below its limit.
    ///
    /// Inline: a worker asks for every request it goes on to, and the
    /// answer is almost always that nothing is to be done.
    #[inline]
    fn io_wq_worker_sleeping(&mut self, acct: IoWqAcct) -> Option<NewWorkerFor> {
        let a = &self.state().acct[acct as usize];
        // With a worker idle, queueing woke one for each pending work but
        // the unwoken.
        if a.nr_returning > 0 || (a.nr_free > 0 && a.nr_unwoken == 0) {
            return None;
        }
        self.io_wq_worker_sleeping_pending(acct)
    }

    /// [`Self::io_wq_worker_sleeping`] when work may be pending that no
    /// worker will look at: wakes or counts a worker for it.
    #[inline(never)]
    fn io_wq_worker_sleeping_pending(&mut self, acct: IoWqAcct) -> Option<NewWorkerFor> {
        let brand = self.ring.brand();
        let st = self.state();
        let busy = st.hash_map;
        let a = &mut st.acct[acct as usize];
        let pid = a
            .pending
            .view(brand)
            .iter()
            .find(|r| !matches!(r.iowq_hash(), Some(h) if busy & h.bit() != 0))?
            .task();
        if a.nr_free > 0 {
            a.nr_unwoken -= 1;
            self.ring.ctx().iowq_wake(acct);
            return None;
        }
        a.count_new_worker(st.exit)
            .then_some(NewWorkerFor { acct, pid })
    }

    /// Worker `key` finished its work: takes it back; returns io-wq's
    /// reference for `io_wq_free_work()`. From here on no cancel interrupts
    /// the worker for it. The work's bucket is free again, and, if work
    /// is pending (some may have waited for the bucket), an idle worker of
    /// the account is woken.
    pub(crate) fn finish(&mut self, key: WorkerKey) -> Option<ReqRef<'id>> {
        let brand = self.ring.brand();
        let st = self.state();
        let w = st.workers.get_mut(key)?;
        let req = w.cur_work.take(brand);
        if let Some(h) = w.hash.take() {
            st.hash_map &= !h.bit();
            let acct = w.acct;
            let a = &mut st.acct[acct as usize];
            if a.nr_free > 0 && a.pending.view(brand).iter().next().is_some() {
                self.ring.ctx().iowq_wake(acct);
            }
        }
        req
    }

    /// `io_wq_max_workers()`: sets the limits of the bound and the unbound
    /// account where `new` is not 0; returns the previous ones. Workers
    /// beyond a lowered limit finish what they run, and exit when idle.
    // Used by the device calls (`entry/dev.rs`), which the host mirror lacks.
    #[cfg_attr(not(MODULE), allow(dead_code))]
    pub(crate) fn max_workers(&mut self, new: [u32; 2]) -> [u32; 2] {
        let st = self.state();
        let mut prev = [0; 2];
        for (i, a) in st.acct.iter_mut().enumerate() {
            prev[i] = a.max_workers;
            if new[i] != 0 {
                a.max_workers = new[i];
            }
        }
        prev
    }

    /// Ring exit: no worker is created any more, and idle ones exit.
    pub(crate) fn exit(&mut self) {
        self.state().exit = true;
        let ctx = self.ring.ctx();
        ctx.iowq_wake_all();
    }
}

impl<'a, 'id> UringGuard<'a, 'id> {
    /// `create_io_worker()`: starts the thread of worker `new` with
    /// `spawn` (its data, the worker's ring and account), and keeps it
    /// until ring exit; first reaps the threads of workers that exited.
    /// Returns the error of a thread that could not be started; the worker
    /// is then forgotten.
    pub(crate) fn iowq_start_worker(
        &mut self,
        new: NewWorker,
        spawn: impl FnOnce(&TaskCtx, Arc<IoWorker>) -> Result<KThread>,
    ) -> Result {
        let ring = self.ring();
        let ctx = ring.ctx();
        let mut threads = ctx.iowq_threads.lock();
        // Reaping a thread waits until it returned; a reaped worker left
        // io-wq's list of workers under the io-wq lock first, and counted
        // itself unreaped. Its thread is in `threads` by then: its creator
        // held that lock from before the thread ran until the insert.
        loop {
            let dead = {
                let mut w = self.lock_iowq();
                let st = w.state();
                if st.unreaped == 0 {
                    break;
                }
                let dead = threads
                    .iter()
                    .find(|(_, (key, _))| st.workers.get(*key).is_none())
                    .map(|(id, _)| *id);
                st.unreaped = if dead.is_some() { st.unreaped - 1 } else { 0 };
                dead
            };
            let Some(id) = dead else { break };
            drop(threads.remove(&id));
        }
        // The node first: a thread once started is never dropped here,
        // since it stops only through ring exit.
        let started = RBTreeNodeReservation::new(GFP_KERNEL)
            .and_then(|node| {
                let data = IoWorker {
                    ring: ctx.clone(),
                    acct: new.acct,
                    key: new.key,
                };
                Ok((node, Arc::new(data, GFP_KERNEL)?))
            })
            .and_then(|(node, data)| {
                let thread = spawn(self.task(), data)?;
                Ok(node.into_node(new.key.id, (new.key, thread)))
            });
        match started {
            Ok(node) => {
                drop(threads.insert(node));
                Ok(())
            }
            Err(e) => {
                drop(threads);
                self.lock_iowq().worker_failed(new.acct, Some(new.key));
                Err(e)
            }
        }
    }
}

impl<'r, 'id> Ring<'r, 'id> {
    /// Ring exit's end: asks every io-wq worker to exit and waits until
    /// they have (`io_wq_exit_workers()`). Every request is freed by then.
    pub(crate) fn iowq_exit(self, cx: &mut TaskCtx) {
        self.lock_iowq(cx).exit();
        let mut threads = self.ctx.iowq_threads.lock();
        while let Some(id) = threads.iter().next().map(|(id, _)| *id) {
            drop(threads.remove(&id));
        }
    }

    /// The threads the ring keeps and the workers in io-wq's table, for
    /// the self-tests: the threads of workers that left the table are
    /// reaped by the next creation.
    pub(crate) fn iowq_threads_and_workers(self, cx: &mut TaskCtx) -> (usize, usize) {
        let threads = self.ctx.iowq_threads.lock();
        let mut w = self.lock_iowq(cx);
        (threads.iter().count(), w.state().workers.used)
    }
}
