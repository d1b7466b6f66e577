// SPDX-License-Identifier: GPL-2.0

//! A request: `struct io_kiocb`.

use super::ring::{IoRingCtx, TimeoutState};
use super::sqe::IOSQE_ASYNC;
use super::sqe::{Op, Sqe, IOSQE_CQE_SKIP_SUCCESS, IOSQE_IO_HARDLINK, IOSQE_IO_LINK};
use super::timeout::LiveTarget;
use crate::glue::atomic::{AtomicBool, AtomicI32, AtomicU32, AtomicU64, AtomicU8, Ordering};
use crate::glue::chain::{ChainCell, Refs};
use crate::glue::timer::HrTimer;
use kernel::prelude::*;
use kernel::sync::{Arc, LockedBy};
use kernel::workqueue::{new_work, Work};

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
/// The chain waits for every earlier request (`REQ_F_IO_DRAIN`).
pub(crate) const REQ_F_IO_DRAIN: u32 = 1 << 7;
/// A hard link: a failure does not cancel the rest (`REQ_F_HARDLINK`).
pub(crate) const REQ_F_HARDLINK: u32 = 1 << 6;
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

/// Where a request is in io-wq.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(u8)]
pub(crate) enum IoWqState {
    /// Not handed to io-wq.
    Idle = 0,
    /// Queued, not started: cancelling it is `IO_WQ_CANCEL_OK`.
    Pending,
    /// A worker runs it: cancelling it is `IO_WQ_CANCEL_RUNNING`.
    Running,
    /// Cancelled while pending; the worker that picks it up drops it.
    Cancelled,
}

/// Timeout state of a request, protected by `timeout_lock`.
pub(crate) struct TimeoutData {
    /// LINK_TIMEOUT: the request it guards (`timeout->head`), set when armed
    /// and taken exactly once, by the timer or by disarm: the claim.
    pub(crate) head: Option<Arc<Req>>,
    /// LINK_TIMEOUT: the live target the timer pinned, for task work
    /// (`timeout->prev`).
    pub(crate) prev_live: Option<LiveTarget>,
}

/// A request: the Rust counterpart of `struct io_kiocb`.
#[pin_data(PinnedDrop)]
pub(crate) struct Req {
    /// The ring (`req->ctx`); every request holds a reference.
    pub(crate) ring: Arc<IoRingCtx>,
    /// Unique, increasing within the ring: the key in the ring's lists.
    pub(crate) seq: u64,
    /// The submitter's `user_data`.
    pub(crate) user_data: u64,
    /// The `IOSQE_*` flags it was submitted with.
    pub(crate) sqe_flags: u8,
    /// The submitting task, for task cancellation.
    pub(crate) task: u32,
    /// The prepared opcode; `None` if preparation failed.
    pub(crate) op: Option<Op>,
    /// `REQ_F_*`.
    flags: AtomicU32,
    /// The result to post (`req->cqe.res`).
    res: AtomicI32,
    /// `req->link`, the next request of the chain, and `req->refs`.
    pub(crate) link: ChainCell<Option<Arc<Req>>>,
    /// TIMEOUT and LINK_TIMEOUT state.
    pub(crate) timeout: LockedBy<TimeoutData, TimeoutState>,
    /// TIMEOUT with a count: the completion count that fires it (written
    /// once, before the timeout is published on `timeout_list`).
    pub(crate) target_seq: AtomicU64,
    /// A drained chain head: how many requests were submitted before it.
    pub(crate) drain_seq: AtomicU64,
    /// TIMEOUT and LINK_TIMEOUT: the hrtimer.
    #[pin]
    pub(crate) timer: HrTimer<Req>,
    /// The task-work item (`req->io_task_work`).
    #[pin]
    pub(crate) tw_work: Work<Req, 0>,
    tw_action: AtomicU8,
    /// The io-wq item (`req->work`).
    #[pin]
    pub(crate) iowq_work: Work<Req, 1>,
    iowq_state: AtomicU8,
    /// io-wq cancel asked a running request to stop (`IO_WQ_WORK_CANCEL`
    /// plus the signal to the worker).
    pub(crate) signalled: AtomicBool,
    /// The completion was posted (or suppressed): it must happen once.
    completed: AtomicBool,
    /// The `IORING_ASYNC_CANCEL_ALL` request that last matched this one
    /// (`req->work.cancel_seq`): one cancel counts a request once.
    pub(crate) cancel_seq: AtomicU64,
}

impl Req {
    /// Allocates a request from `sqe` whose link is `link`, and counts it in
    /// the ring's `inflight` until it is dropped.
    pub(crate) fn alloc(
        ring: &Arc<IoRingCtx>,
        sqe: &Sqe,
        task: u32,
        op: Result<Op>,
        link: Option<Arc<Req>>,
        extra_flags: u32,
    ) -> Result<Arc<Req>> {
        let req = Arc::pin_init(Req::new(ring, sqe, task, op, link, extra_flags), GFP_KERNEL)?;
        ring.inflight.fetch_add(1, Ordering::AcqRel);
        Ok(req)
    }

    /// Returns an initialiser for a request from `sqe`, whose link is `link`
    /// (the chain is built back to front before it is published).
    fn new(
        ring: &Arc<IoRingCtx>,
        sqe: &Sqe,
        task: u32,
        op: Result<Op>,
        link: Option<Arc<Req>>,
        extra_flags: u32,
    ) -> impl PinInit<Self, Error> {
        let mut flags = extra_flags;
        let res = match &op {
            Ok(_) => 0,
            Err(e) => {
                flags |= REQ_F_FAIL;
                e.to_errno()
            }
        };
        if sqe.flags & IOSQE_CQE_SKIP_SUCCESS != 0 {
            flags |= REQ_F_CQE_SKIP;
        }
        if sqe.flags & IOSQE_IO_HARDLINK != 0 {
            flags |= REQ_F_HARDLINK;
        }
        let link = ChainCell::new(&ring.uring_lock, &ring.timeout_lock, link);
        let timeout = LockedBy::new(
            &ring.timeout_lock,
            TimeoutData {
                head: None,
                prev_live: None,
            },
        );
        let (seq, user_data, sqe_flags) = (ring.next_seq(), sqe.user_data, sqe.flags);
        let ring = ring.clone();
        try_pin_init!(Req {
            ring,
            seq,
            user_data,
            sqe_flags,
            task,
            op: op.ok(),
            flags: AtomicU32::new(flags),
            res: AtomicI32::new(res),
            link,
            timeout,
            timer <- HrTimer::new(),
            tw_work <- new_work!("Req::tw_work"),
            tw_action: AtomicU8::new(TwAction::None as u8),
            iowq_work <- new_work!("Req::iowq_work"),
            iowq_state: AtomicU8::new(IoWqState::Idle as u8),
            signalled: AtomicBool::new(false),
            completed: AtomicBool::new(false),
            cancel_seq: AtomicU64::new(0),
            target_seq: AtomicU64::new(0),
            drain_seq: AtomicU64::new(0),
        }? Error)
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

    /// The request's reference count (`req->refs`).
    pub(crate) fn refs(&self) -> &Refs {
        self.link.refs()
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

    /// Marks the request failed (`req_set_fail()`): a request that would
    /// skip its completion posts it after all, and skips its links' instead.
    pub(crate) fn set_fail(&self) {
        let old = self.flags.fetch_or(REQ_F_FAIL, Ordering::AcqRel);
        if old & REQ_F_CQE_SKIP != 0 {
            self.clear_flags(REQ_F_CQE_SKIP);
            self.set_flags(REQ_F_SKIP_LINK_CQES);
        }
    }

    /// Marks the completion done; false if it already was (a bug).
    pub(crate) fn mark_completed(&self) -> bool {
        !self.completed.swap(true, Ordering::AcqRel)
    }

    /// Records what task work should do, returning the previous action.
    pub(crate) fn set_tw_action(&self, a: TwAction) -> TwAction {
        TwAction::from_u8(self.tw_action.swap(a as u8, Ordering::AcqRel))
    }

    /// Takes the queued task-work action.
    pub(crate) fn take_tw_action(&self) -> TwAction {
        self.set_tw_action(TwAction::None)
    }

    /// Where the request is in io-wq.
    pub(crate) fn iowq_state(&self) -> IoWqState {
        match self.iowq_state.load(Ordering::Acquire) {
            1 => IoWqState::Pending,
            2 => IoWqState::Running,
            3 => IoWqState::Cancelled,
            _ => IoWqState::Idle,
        }
    }

    /// Moves the io-wq state from `from` to `to`; false if it was not `from`.
    pub(crate) fn iowq_transition(&self, from: IoWqState, to: IoWqState) -> bool {
        self.iowq_state
            .compare_exchange(from as u8, to as u8, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }
}

#[pinned_drop]
impl PinnedDrop for Req {
    fn drop(self: Pin<&mut Self>) {
        self.ring.request_freed();
    }
}
