// SPDX-License-Identifier: GPL-2.0

//! A request (`struct io_kiocb`), its reference tokens, its branded views,
//! and the request trees and lists that the ring's lists are made of.
//!
//! A request is reached through a view that carries its ring's brand:
//!
//! * [`ReqRef`]: one reference of the request (`req->refs`), owned. It is
//!   made only by allocation, by [`ReqPin::get_ref`] from another token,
//!   and by taking one out of where it was stored (a link, a list, a parked
//!   slot); [`ReqRef::put`] gives it up, and the last put is the one that
//!   advances the chain. Not `Clone`.
//! * [`ReqPin`]: a request borrowed from where a token of it is stored, or
//!   from a [`ReqRef`]: while it lives the count cannot reach zero.
//! * [`ReqArc`]: the request's memory only; its count may be zero.
//!
//! A chain may be read with `uring_lock` alone only through a pinned view;
//! a bare one needs `timeout_lock` ([`TimeoutRead`]). Modifying a chain needs
//! both locks ([`ChainWrite`]). What the linked-timeout timer may do with a
//! dying request rests on this (see `glue/chain.rs` and `claim.rs`).

mod claim;
mod list;
mod tree;

pub(crate) use claim::{io_link_timeout_claim, LinkTimeoutClaim, LiveTarget, TimerOutcome};
pub(crate) use list::{CurWork, RefList, RefListMut};
pub(crate) use tree::{ArcTree, ArcTreeMut, RefTree, RefTreeMut, RefTreeRef, ReqSlot};

use super::ring::{BothGuard, CompletionGuard, IoRingCtx, IoWqHash, Ring, UringGuard};
use super::sqe::{Op, Sqe, IOSQE_ASYNC, IOSQE_CQE_SKIP_SUCCESS, IOSQE_IO_HARDLINK, IOSQE_IO_LINK};
use crate::glue::atomic::{AtomicBool, AtomicI32, AtomicU32, AtomicU64, AtomicU8, Ordering};
use crate::glue::brand::Brand;
use crate::glue::chain::{ChainCell, ChainRead, ChainWrite, TimeoutCell, TimeoutRead};
use crate::glue::file::FileTable;
use crate::glue::tctx::IoUringTask;
use crate::glue::timer::HrTimer;
use crate::glue::tw_list::TwNode;
use crate::glue::work_list::WqNode;
use kernel::prelude::*;
use kernel::sync::Arc;

/// The request failed; its links must be cancelled (`REQ_F_FAIL`).
pub(crate) const REQ_F_FAIL: u32 = 1 << 0;
/// The request has (or had) an armed linked timeout (`REQ_F_LINK_TIMEOUT`).
pub(crate) const REQ_F_LINK_TIMEOUT: u32 = 1 << 1;
/// A linked timeout follows and is not armed yet (`REQ_F_ARM_LTIMEOUT`).
pub(crate) const REQ_F_ARM_LTIMEOUT: u32 = 1 << 2;
/// Task exit must cancel the chain this request is in (`REQ_F_INFLIGHT`).
pub(crate) const REQ_F_INFLIGHT: u32 = 1 << 3;
/// Post no completion on success (`REQ_F_CQE_SKIP`).
pub(crate) const REQ_F_CQE_SKIP: u32 = 1 << 4;
/// Post no completions for the links cancelled by this failure.
pub(crate) const REQ_F_SKIP_LINK_CQES: u32 = 1 << 5;
/// A hard link: a failure does not cancel the rest (`REQ_F_HARDLINK`).
pub(crate) const REQ_F_HARDLINK: u32 = 1 << 6;
/// The chain waits for every earlier request (`REQ_F_IO_DRAIN`).
pub(crate) const REQ_F_IO_DRAIN: u32 = 1 << 7;
/// `IO_DISARM_MASK`: completing the request must look at its link first.
pub(crate) const IO_DISARM_MASK: u32 = REQ_F_ARM_LTIMEOUT | REQ_F_LINK_TIMEOUT | REQ_F_FAIL;

/// What a request's task-work item does when it runs.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(u8)]
pub(crate) enum TwAction {
    /// Nothing queued.
    None = 0,
    /// Issue the request (`io_req_task_submit()`).
    Submit,
    /// Complete with the stored result (`io_req_task_complete()`).
    Complete,
    /// Cancel this request and the rest of its chain (`io_req_tw_fail_links()`).
    FailLinks,
    /// A linked timeout fired (`io_req_task_link_timeout()`).
    LinkTimeout,
    /// A poll-armed request's channel became ready: issue again.
    PollWake,
}

impl TwAction {
    fn from_u8(v: u8) -> Self {
        match v {
            1 => TwAction::Submit,
            2 => TwAction::Complete,
            3 => TwAction::FailLinks,
            4 => TwAction::LinkTimeout,
            5 => TwAction::PollWake,
            _ => TwAction::None,
        }
    }
}

/// Task work that needs no reference of the request: it finds the one it
/// completes where it is kept.
#[derive(Clone, Copy)]
pub(crate) enum BareTw {
    /// A linked timeout's expiry: `timeout->prev`, the link, or parked.
    LinkTimeout,
    /// A poll wake-up: the cancelable list.
    PollWake,
}

/// Queues task work `action` for `req` on its task's list
/// (`io_req_task_work_add()`); an exiting ring's goes to the fallback
/// worker, which terminates it (`io_should_terminate_tw()`). Any context:
/// it allocates nothing.
fn task_work_add(req: Arc<Req>, action: TwAction) {
    let prev = req.set_tw_action(action);
    if prev != TwAction::None {
        pr_err!(
            "BUG: task work {:?} queued on {:#x} over pending {:?}\n",
            action,
            req.user_data(),
            prev
        );
    }
    let tctx = req.tctx.clone();
    let dying = req.ring.is_dying();
    IoUringTask::add(&tctx, req, dying);
}

/// Queues `action` for `req` with no reference (`io_req_task_work_add()`).
/// Any context: it allocates nothing and takes no ring lock.
pub(crate) fn task_work_add_bare(req: Arc<Req>, action: BareTw) {
    let action = match action {
        BareTw::LinkTimeout => TwAction::LinkTimeout,
        BareTw::PollWake => TwAction::PollWake,
    };
    task_work_add(req, action);
}

/// Linked-timeout state of a request, protected by `timeout_lock`.
struct TimeoutData {
    /// LINK_TIMEOUT: the request it guards (`timeout->head`, no reference),
    /// set when armed and taken exactly once, by the timer or by disarm:
    /// the claim.
    head: Option<Arc<Req>>,
    /// LINK_TIMEOUT: a reference of the live target the timer pinned, for
    /// task work (`timeout->prev`).
    prev: Option<Arc<Req>>,
}

/// `req_set_fail()` on `flags`: failed, and a request that would skip its
/// completion posts it after all, and skips its links' instead. A request
/// that fails its preparation is made with these flags.
fn failed_flags(flags: u32) -> u32 {
    let flags = flags | REQ_F_FAIL;
    if flags & REQ_F_CQE_SKIP != 0 {
        (flags & !REQ_F_CQE_SKIP) | REQ_F_SKIP_LINK_CQES
    } else {
        flags
    }
}

/// A request: the Rust counterpart of `struct io_kiocb`.
#[pin_data]
pub(crate) struct Req {
    /// Unique, increasing within the ring: the key in the ring's lists.
    seq: u64,
    /// The submitter's `user_data`.
    user_data: u64,
    /// The `IOSQE_*` flags it was submitted with.
    sqe_flags: u8,
    /// The prepared opcode; `None` if preparation failed.
    op: Option<Op>,
    /// `REQ_F_*`.
    flags: AtomicU32,
    /// The result to post (`req->cqe.res`).
    res: AtomicI32,
    /// `req->link` (owning the next request's reference) and `req->refs`.
    link: ChainCell<Req>,
    /// Linked-timeout state.
    timeout: TimeoutCell<TimeoutData>,
    /// TIMEOUT with a count: the completion count that fires it (written
    /// once, before the timeout is published on `timeout_list`).
    target_seq: AtomicU64,
    /// A drained chain head: how many requests were submitted before it.
    drain_seq: AtomicU64,
    /// TIMEOUT and LINK_TIMEOUT: the hrtimer (armable only in those).
    #[pin]
    timer: HrTimer<Req>,
    /// The submitting task's task work (`req->tctx`).
    tctx: Arc<IoUringTask>,
    /// The node on its list (`req->io_task_work.node`); reachable for the
    /// glue's `HasTwNode`, and harmless: only `TwList` uses it.
    pub(crate) tw_node: TwNode,
    tw_action: AtomicU8,
    /// The node on io-wq's pending work (`req->work.list`); reachable for
    /// the glue's `HasWqNode`, and harmless: only `WorkList` uses it.
    pub(crate) wq_node: WqNode<Req>,
    /// The io-wq hash bucket of its work (`IO_WQ_WORK_HASHED` and the
    /// bits above `IO_WQ_HASH_SHIFT`), or [`IoWqHash::NONE`]: set by
    /// io-wq's `enqueue` alone, under the io-wq lock.
    iowq_hash: AtomicU8,
    /// io-wq cancel asked a running request to stop (`IO_WQ_WORK_CANCEL`
    /// plus the signal to the worker).
    signalled: AtomicBool,
    /// The completion was posted (or suppressed): it must happen once.
    completed: AtomicBool,
    /// The `IORING_ASYNC_CANCEL_ALL` request that last matched this one
    /// (`req->work.cancel_seq`): one cancel counts a request once.
    cancel_seq: AtomicU64,
    /// The ring (`req->ctx`); every request holds a reference. Declared
    /// last, so it is dropped last: the ring counts the request freed only
    /// when nothing of it is left (its link, file, task work).
    ring: ReqCtx,
}

/// A request's reference to its ring, which counts the request freed when
/// it is dropped (`io_req_put_ctx`'s `percpu_ref_put(&ctx->refs)`). A field
/// of its own rather than a `PinnedDrop` of [`Req`]: on Linux 7.2,
/// `#[pinned_drop]` expands to an `unsafe impl`, which the core forbids.
/// It also uncounts a request task exit had to cancel
/// (`io_clean_op()`'s `inflight_tracked` decrement).
struct ReqCtx {
    ctx: Arc<IoRingCtx>,
    /// Counted in the ring's `inflight_tracked` ([`Req::track_inflight`]).
    tracked: AtomicBool,
}

impl core::ops::Deref for ReqCtx {
    type Target = Arc<IoRingCtx>;

    fn deref(&self) -> &Arc<IoRingCtx> {
        &self.ctx
    }
}

impl Drop for ReqCtx {
    fn drop(&mut self) {
        if self.tracked.load(Ordering::Relaxed) {
            self.ctx.inflight_tracked_dec();
        }
        self.ctx.request_freed();
    }
}

/// The witness of [`Req`]'s cells (`Linked::Witness`): only the model makes
/// one, so only the model uses the chain cells and makes chain proofs.
pub(crate) struct CellWitness(pub(in crate::uring::model) ());

/// The model's witness.
pub(in crate::uring::model) const W: &CellWitness = &CellWitness(());

impl Req {
    /// Allocates a request of `g`'s ring from `sqe` whose link owns
    /// `link`, in memory from the request cache if it has some, and counts
    /// it in the ring's `inflight` until it is freed. Returns the request's
    /// first reference. Task context with `uring_lock` held: it may sleep.
    // Inlined into submission, its one caller: a call here moves the
    // prepared opcode and the entry's fields once more.
    #[inline(always)]
    pub(crate) fn alloc<'id>(
        g: &mut UringGuard<'_, 'id>,
        sqe: &Sqe,
        tctx: &Arc<IoUringTask>,
        op: Result<Op>,
        link: Option<ReqRef<'id>>,
        extra_flags: u32,
    ) -> Result<ReqRef<'id>> {
        let link = link.map(|l| l.arc);
        let slot = g.io_alloc_req();
        let ring = g.ring();
        let seq = g.next_seq();
        let init = Req::new(ring.ctx(), seq, sqe, tctx.clone(), op, link, extra_flags);
        let arc = match slot {
            Some(slot) => slot.pin_init(init)?,
            None => Arc::pin_init(init, GFP_KERNEL_ACCOUNT)?,
        };
        g.seq_allocated(seq);
        Ok(ReqRef {
            arc,
            brand: ring.brand(),
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn new(
        ring: &Arc<IoRingCtx>,
        seq: u64,
        sqe: &Sqe,
        tctx: Arc<IoUringTask>,
        op: Result<Op>,
        link: Option<Arc<Req>>,
        extra_flags: u32,
    ) -> impl PinInit<Self, Error> {
        let mut flags = extra_flags;
        let res = match &op {
            Ok(_) => 0,
            Err(e) => e.to_errno(),
        };
        if sqe.flags & IOSQE_CQE_SKIP_SUCCESS != 0 {
            flags |= REQ_F_CQE_SKIP;
        }
        if op.is_err() {
            flags = failed_flags(flags);
        }
        if sqe.flags & IOSQE_IO_HARDLINK != 0 {
            flags |= REQ_F_HARDLINK;
        }
        let (user_data, sqe_flags) = (sqe.user_data, sqe.flags);
        // Only timeouts arm the timer (C's `io_timeout_data`).
        let armable = matches!(op, Ok(Op::Timeout { .. } | Op::LinkTimeout { .. }));
        let ring = ring.clone();
        try_pin_init!(Req {
            seq,
            user_data,
            sqe_flags,
            op: op.ok(),
            flags: AtomicU32::new(flags),
            res: AtomicI32::new(res),
            link: ChainCell::new(W, link),
            timeout: TimeoutCell::new(TimeoutData {
                head: None,
                prev: None
            }),
            timer <- HrTimer::new(armable),
            tctx,
            tw_node: TwNode::new(),
            tw_action: AtomicU8::new(TwAction::None as u8),
            wq_node: WqNode::new(),
            iowq_hash: AtomicU8::new(IoWqHash::NONE),
            signalled: AtomicBool::new(false),
            completed: AtomicBool::new(false),
            cancel_seq: AtomicU64::new(0),
            target_seq: AtomicU64::new(0),
            drain_seq: AtomicU64::new(0),
            // Last: a failed initializer drops what it made, and a ring
            // reference dropped counts a request freed.
            ring: ReqCtx {
                ctx: ring,
                tracked: AtomicBool::new(false),
            },
        }? Error)
    }

    /// The request's sequence number: its key in the ring's lists.
    pub(crate) fn seq(&self) -> u64 {
        self.seq
    }

    /// The submitter's `user_data`.
    pub(crate) fn user_data(&self) -> u64 {
        self.user_data
    }

    /// The submitting task's thread group: what task cancellation matches.
    pub(crate) fn task(&self) -> u32 {
        self.tctx.tgid()
    }

    /// Whether the submitting thread is exiting (`PF_EXITING`): C's
    /// `io_should_terminate_tw()` sees that flag from the moment the task
    /// enters `do_exit()`, before the device's `flush()` records the exit.
    pub(crate) fn task_exiting(&self) -> bool {
        self.tctx.task_exiting()
    }

    /// The submitter's file table, where the request's descriptor resolves
    /// as it is issued (`io_assign_file()`).
    pub(crate) fn files(&self) -> Option<&FileTable> {
        self.tctx.files()
    }

    /// The prepared opcode; `None` if preparation failed.
    pub(crate) fn op(&self) -> Option<&Op> {
        self.op.as_ref()
    }

    /// The chain cell, for the glue's `Linked` impl; every use of it needs
    /// the model's witness.
    pub(crate) fn link_cell(&self) -> &ChainCell<Req> {
        &self.link
    }

    /// The hrtimer of a TIMEOUT or LINK_TIMEOUT.
    pub(crate) fn timer(&self) -> &HrTimer<Req> {
        &self.timer
    }

    /// Marks the request `REQ_F_INFLIGHT` (task exit must cancel its
    /// chain) and counts it in the ring's `inflight_tracked` once, until it
    /// is freed (`io_req_track_inflight()`).
    pub(crate) fn track_inflight(&self) {
        self.set_flags(REQ_F_INFLIGHT);
        if !self.ring.tracked.swap(true, Ordering::AcqRel) {
            self.ring.inflight_tracked_inc();
        }
    }

    /// Whether the submitter linked a next request (`IO_REQ_LINK_FLAGS`).
    pub(crate) fn has_link_flags(&self) -> bool {
        self.sqe_flags & (IOSQE_IO_LINK | IOSQE_IO_HARDLINK) != 0
    }

    /// Whether the link is a hard link.
    pub(crate) fn is_hardlink(&self) -> bool {
        self.flags() & REQ_F_HARDLINK != 0
    }

    /// Whether the submitter forced io-wq (`IOSQE_ASYNC`).
    pub(crate) fn force_async(&self) -> bool {
        self.sqe_flags & IOSQE_ASYNC != 0
    }

    /// The `REQ_F_*` flags.
    pub(crate) fn flags(&self) -> u32 {
        self.flags.load(Ordering::Acquire)
    }

    /// Sets `REQ_F_*` flags.
    pub(crate) fn set_flags(&self, f: u32) {
        self.flags.fetch_or(f, Ordering::AcqRel);
    }

    /// Clears `REQ_F_*` flags.
    pub(crate) fn clear_flags(&self, f: u32) {
        self.flags.fetch_and(!f, Ordering::AcqRel);
    }

    /// The result to post.
    pub(crate) fn res(&self) -> i32 {
        self.res.load(Ordering::Acquire)
    }

    /// Sets the result (`io_req_set_res()`).
    pub(crate) fn set_res(&self, res: i32) {
        self.res.store(res, Ordering::Release);
    }

    /// Marks the request failed (`req_set_fail()`, [`failed_flags`]).
    pub(crate) fn set_fail(&self) {
        let _ = self
            .flags
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |f| {
                Some(failed_flags(f))
            });
    }

    /// Records what task work should do, returning the previous action.
    pub(crate) fn set_tw_action(&self, a: TwAction) -> TwAction {
        TwAction::from_u8(self.tw_action.swap(a as u8, Ordering::AcqRel))
    }

    /// Takes the queued task-work action.
    pub(crate) fn take_tw_action(&self) -> TwAction {
        self.set_tw_action(TwAction::None)
    }

    /// The io-wq hash bucket its work was queued with, if any.
    pub(crate) fn iowq_hash(&self) -> Option<IoWqHash> {
        IoWqHash::from_raw(self.iowq_hash.load(Ordering::Relaxed))
    }

    /// Records the io-wq hash bucket of its work. Only io-wq's `enqueue`
    /// calls it, under the io-wq lock.
    pub(in crate::uring::model) fn set_iowq_hash(&self, hash: Option<IoWqHash>) {
        self.iowq_hash.store(
            hash.map_or(IoWqHash::NONE, IoWqHash::raw),
            Ordering::Relaxed,
        );
    }

    /// Whether io-wq cancel asked the running request to stop.
    pub(crate) fn signalled(&self) -> bool {
        self.signalled.load(Ordering::Acquire)
    }

    /// Asks the running request to stop (`IO_WQ_WORK_CANCEL`); only
    /// io-wq's cancel of running work, which interrupts its worker too.
    pub(in crate::uring::model) fn signal(&self) {
        self.signalled.store(true, Ordering::Release);
    }

    /// Records that the `IORING_ASYNC_CANCEL_ALL` request `seq` matched this
    /// one; returns the previous matcher.
    pub(crate) fn swap_cancel_seq(&self, seq: u64) -> u64 {
        self.cancel_seq.swap(seq, Ordering::AcqRel)
    }

    /// The completion count that fires a counted TIMEOUT (0: none).
    pub(crate) fn target_seq(&self) -> u64 {
        self.target_seq.load(Ordering::Relaxed)
    }

    /// Sets the completion count that fires a counted TIMEOUT.
    pub(crate) fn set_target_seq(&self, n: u64) {
        self.target_seq.store(n, Ordering::Relaxed);
    }

    /// How many requests were submitted before this chain head.
    pub(crate) fn drain_seq(&self) -> u64 {
        self.drain_seq.load(Ordering::Relaxed)
    }

    /// Sets how many requests were submitted before this chain head.
    pub(crate) fn set_drain_seq(&self, n: u64) {
        self.drain_seq.store(n, Ordering::Relaxed);
    }
}

mod sealed {
    use super::{Arc, Brand, Req};

    /// The key to [`View::parts`]: only this module makes one. A bound
    /// `V: ReqView<'id>` lets any code call the supertrait's methods, so the
    /// method must need what only the model has, or the brand would leak.
    pub(crate) struct ViewKey(pub(super) ());

    /// The parts of a view, for the model only.
    pub(crate) trait View<'id> {
        fn parts(&self, key: ViewKey) -> (&Arc<Req>, Brand<'id>);
    }
}

use sealed::ViewKey;

/// A view's parts, for the model's own methods.
fn parts<'v, 'id>(v: &'v (impl sealed::View<'id> + ?Sized)) -> (&'v Arc<Req>, Brand<'id>) {
    v.parts(ViewKey(()))
}

/// A branded view of a request: [`ReqRef`], [`ReqPin`] or [`ReqArc`].
/// Sealed: only the model makes views.
pub(crate) trait ReqView<'id>: sealed::View<'id> + core::ops::Deref<Target = Req> {
    /// The request's ring, under the same brand.
    fn ring(&self) -> Ring<'_, 'id> {
        let (arc, brand) = parts(self);
        Ring::from_parts(&arc.ring, brand)
    }

    /// Marks the completion done; false if it already was (a bug). Every
    /// completion is posted under its ring's `completion_lock`, which `_c`
    /// holds for this ring (the brand), so a load and a store tell the
    /// first from a second; no atomic read-modify-write is needed.
    fn mark_completed(&self, _c: &CompletionGuard<'_, 'id>) -> bool {
        let (arc, _) = parts(self);
        if arc.completed.load(Ordering::Relaxed) {
            return false;
        }
        arc.completed.store(true, Ordering::Relaxed);
        true
    }

    /// The request's memory, under the same brand.
    fn to_arc(&self) -> ReqArc<'id> {
        let (arc, brand) = parts(self);
        ReqArc {
            arc: arc.clone(),
            brand,
        }
    }

    /// The request, unbranded: an `Arc` gives access to nothing that a
    /// brand guards.
    fn arc(&self) -> &Arc<Req> {
        parts(self).0
    }

    /// The next request, with `timeout_lock` held (any view may read then).
    fn link_locked<'a>(&'a self, proof: &'a TimeoutRead<'_, 'id>) -> Option<ReqPin<'a, 'id>> {
        let (arc, brand) = parts(self);
        arc.link.next(W, proof).map(|arc| ReqPin { arc, brand })
    }

    /// Takes the link out: the rest of the chain, headed by its reference.
    fn take_link(&self, proof: &mut ChainWrite<'_, 'id>) -> Option<ReqRef<'id>> {
        let (arc, brand) = parts(self);
        arc.link.take(W, proof).map(|arc| ReqRef { arc, brand })
    }

    /// Unlinks the next request and links the one after it instead
    /// (`io_remove_next_linked()`); returns the removed request's reference.
    fn remove_next_linked(&self, proof: &mut ChainWrite<'_, 'id>) -> Option<ReqRef<'id>> {
        let (arc, brand) = parts(self);
        arc.link
            .remove_next(W, proof)
            .map(|arc| ReqRef { arc, brand })
    }

    /// `io_prep_linked_timeout()`'s `timeout->head = req`: makes this linked
    /// timeout claimable, for `target`. Both chain locks are held.
    fn set_lt_head(&self, target: &impl ReqView<'id>, b: &mut BothGuard<'_, 'id>) {
        let mut w = b.timeout().write();
        parts(self).0.timeout.get_mut::<Req>(W, &mut w).head = Some(target.arc().clone());
    }

    /// Whether this linked timeout is still claimable.
    fn lt_head_is_set(&self, proof: &TimeoutRead<'_, 'id>) -> bool {
        parts(self).0.timeout.get::<Req>(W, proof).head.is_some()
    }

    /// The target's completion claims this linked timeout
    /// (`__io_disarm_linked_timeout()`); false if the timer claimed it
    /// first. Needs `uring_lock`, which no timer callback can hold.
    fn claim_for_disarm(&self, b: &mut BothGuard<'_, 'id>) -> bool {
        let mut w = b.timeout().write();
        let claimed = parts(self)
            .0
            .timeout
            .get_mut::<Req>(W, &mut w)
            .head
            .take()
            .is_some();
        if claimed {
            crate::glue::trace::lt_claim(crate::glue::trace::LtClaimKind::Disarm);
        }
        claimed
    }

    /// Task work after the linked timeout fired: takes the live target the
    /// timer pinned (`timeout->prev`), if any.
    fn take_live_target(&self, b: &mut BothGuard<'_, 'id>) -> Option<LiveTarget<'id>> {
        let (arc, brand) = parts(self);
        let mut w = b.timeout().write();
        let target = arc.timeout.get_mut::<Req>(W, &mut w).prev.take()?;
        Some(LiveTarget {
            target: ReqRef { arc: target, brand },
        })
    }
}

/// One reference of a request of ring `'id` (`req->refs`).
///
/// Dropping it instead of [`ReqRef::put`] leaks the count: the request is
/// then never advanced by a last put (memory is still freed with the last
/// `Arc`). The core always puts.
pub(crate) struct ReqRef<'id> {
    arc: Arc<Req>,
    brand: Brand<'id>,
}

impl<'id> ReqRef<'id> {
    /// Borrows the request, pinned by this reference.
    pub(crate) fn pin(&self) -> ReqPin<'_, 'id> {
        ReqPin {
            arc: &self.arc,
            brand: self.brand,
        }
    }

    /// Gives up this reference (`req_ref_put_and_test()`); returns the
    /// request if it was the last, for the caller to advance its chain.
    pub(crate) fn put(self) -> Option<ReqArc<'id>> {
        self.arc.link.ref_put_and_test(W).then_some(ReqArc {
            arc: self.arc,
            brand: self.brand,
        })
    }

    /// Queues `action` for the request with this reference, parked in it
    /// until the task work takes it back (`io_req_task_work_add()`).
    pub(crate) fn task_work_add(self, action: TwAction) {
        task_work_add(self.park().arc, action);
    }

    /// Parks this reference in the request, for a work item that holds only
    /// its memory ([`ReqArc::unpark`] takes it back).
    pub(crate) fn park(self) -> ReqArc<'id> {
        self.arc.link.park(W);
        ReqArc {
            arc: self.arc,
            brand: self.brand,
        }
    }

    /// Parks this reference and returns one more (`req_ref_get()`), which
    /// keeps the memory this one kept: [`Self::park`] and
    /// [`ReqPin::get_ref`] with the parked reference's memory dropped, in
    /// one `Arc` count instead of a count and a put. Whoever unparks it gets
    /// the memory from the returned reference's holder (io-wq's work item).
    pub(crate) fn park_and_get_ref(self) -> ReqRef<'id> {
        self.arc.link.ref_get(W);
        self.arc.link.park(W);
        self
    }
}

impl<'id> sealed::View<'id> for ReqRef<'id> {
    fn parts(&self, _key: ViewKey) -> (&Arc<Req>, Brand<'id>) {
        (&self.arc, self.brand)
    }
}
impl<'id> ReqView<'id> for ReqRef<'id> {}

impl core::ops::Deref for ReqRef<'_> {
    type Target = Req;

    fn deref(&self) -> &Req {
        &self.arc
    }
}

/// A request of ring `'id` borrowed from where one of its references is
/// stored: its count is not zero while this lives.
#[derive(Clone, Copy)]
pub(crate) struct ReqPin<'a, 'id> {
    arc: &'a Arc<Req>,
    brand: Brand<'id>,
}

impl<'a, 'id> ReqPin<'a, 'id> {
    /// The next request, with `uring_lock` or `timeout_lock` held: the link
    /// stores the next request's reference, so it is pinned too.
    pub(crate) fn link<'p>(self, proof: &'p ChainRead<'_, 'id>) -> Option<ReqPin<'p, 'id>>
    where
        'a: 'p,
    {
        self.arc.link.next(W, proof).map(|arc| ReqPin {
            arc,
            brand: self.brand,
        })
    }

    /// Takes one more reference (`req_ref_get()`).
    pub(crate) fn get_ref(self) -> ReqRef<'id> {
        self.arc.link.ref_get(W);
        ReqRef {
            arc: self.arc.clone(),
            brand: self.brand,
        }
    }
}

impl<'id> sealed::View<'id> for ReqPin<'_, 'id> {
    fn parts(&self, _key: ViewKey) -> (&Arc<Req>, Brand<'id>) {
        (self.arc, self.brand)
    }
}
impl<'id> ReqView<'id> for ReqPin<'_, 'id> {}

impl core::ops::Deref for ReqPin<'_, '_> {
    type Target = Req;

    fn deref(&self) -> &Req {
        self.arc
    }
}

/// The memory of a request of ring `'id`; no reference of it.
#[derive(Clone)]
pub(crate) struct ReqArc<'id> {
    arc: Arc<Req>,
    brand: Brand<'id>,
}

impl ReqArc<'_> {
    /// Runs `f` with `req`'s ring opened under a fresh brand, and `req`
    /// under the same brand: an entry point's activation of a request.
    pub(crate) fn open<R>(
        req: Arc<Req>,
        f: impl for<'r, 'id> FnOnce(Ring<'r, 'id>, ReqArc<'id>) -> R,
    ) -> R {
        let ctx = req.ring.clone();
        Ring::open(&ctx, |ring| {
            let brand = ring.brand();
            f(ring, ReqArc { arc: req, brand })
        })
    }
}

impl<'id> ReqArc<'id> {
    /// `req` under `ring`'s brand if it is a request of that ring (the same
    /// context: the brand names a ring, not one opening of it); otherwise
    /// `req` back, for its own [`ReqArc::open`].
    pub(crate) fn adopt(ring: Ring<'_, 'id>, req: Arc<Req>) -> Result<Self, Arc<Req>> {
        if !core::ptr::eq::<IoRingCtx>(&**req.ring, &**ring.ctx()) {
            return Err(req);
        }
        Ok(ReqArc {
            arc: req,
            brand: ring.brand(),
        })
    }
}

impl<'id> ReqArc<'id> {
    /// Takes back a reference parked by [`ReqRef::park`], if one is.
    pub(crate) fn unpark(&self) -> Option<ReqRef<'id>> {
        self.arc.link.unpark(W).then(|| ReqRef {
            arc: self.arc.clone(),
            brand: self.brand,
        })
    }

    /// Takes back a reference parked by [`ReqRef::park`] in place of this
    /// memory, which it keeps: no count changes; this memory back if none
    /// is parked.
    pub(crate) fn into_unparked(self) -> Result<ReqRef<'id>, Self> {
        if !self.arc.link.unpark(W) {
            return Err(self);
        }
        Ok(ReqRef {
            arc: self.arc,
            brand: self.brand,
        })
    }

    /// The request, unbranded.
    pub(crate) fn into_arc(self) -> Arc<Req> {
        self.arc
    }
}

impl<'id> sealed::View<'id> for ReqArc<'id> {
    fn parts(&self, _key: ViewKey) -> (&Arc<Req>, Brand<'id>) {
        (&self.arc, self.brand)
    }
}
impl<'id> ReqView<'id> for ReqArc<'id> {}

impl core::ops::Deref for ReqArc<'_> {
    type Target = Req;

    fn deref(&self) -> &Req {
        &self.arc
    }
}
