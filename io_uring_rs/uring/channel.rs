// SPDX-License-Identifier: GPL-2.0

//! Channels: the module's pipes, so that requests can wait.
//!
//! A channel holds a count of buffered bytes. READ takes up to `len` bytes,
//! WRITE adds `len`, POLL_ADD waits until bytes are buffered. Issued inline,
//! a READ or POLL_ADD that cannot complete is poll-armed, as io_uring arms
//! poll for a pipe (FAST_POLL): it waits on the channel and on the ring's
//! cancelable list under `uring_lock`, and a WRITE wakes it through task
//! work. Issued in io-wq (`IOSQE_ASYNC`) it blocks the worker until data
//! arrives or io-wq cancel signals it (`-EINTR`).
//!
//! A channel created with `tracks_inflight` stands for an io_uring file
//! descriptor: requests on it are `REQ_F_INFLIGHT`, so task exit cancels
//! their chains.

use super::cancel::CancelData;
use super::errno::ECANCELED;
use super::issue::{finish, io_issue_sqe, Issued};
use super::link::io_match_task_safe;
use super::locks::UringGuard;
use super::req::{Req, TwAction};
use super::sqe::{Op, POLLIN};
use super::tw;
use crate::glue::atomic::Ordering;
use kernel::prelude::*;
use kernel::rbtree::{RBTree, RBTreeNode};
use kernel::sync::{new_condvar, new_spinlock, Arc, CondVar, SpinLock};

/// State protected by the channel's lock.
pub(crate) struct ChanState {
    /// Bytes written and not yet read.
    bytes: u64,
    /// Poll-armed requests waiting for bytes, by sequence number.
    waiters: RBTree<u64, Arc<Req>>,
}

/// A channel.
#[pin_data]
pub(crate) struct Channel {
    #[pin]
    state: SpinLock<ChanState>,
    /// Blocked io-wq readers wait here.
    #[pin]
    wait: CondVar,
    /// Requests on this channel are `REQ_F_INFLIGHT`.
    pub(crate) tracks_inflight: bool,
}

impl Channel {
    /// Creates an empty channel.
    pub(crate) fn create(tracks_inflight: bool) -> Result<Arc<Self>> {
        Arc::pin_init(
            try_pin_init!(Channel {
                state <- new_spinlock!(
                    ChanState {
                        bytes: 0,
                        waiters: RBTree::new()
                    },
                    "Channel::state"
                ),
                wait <- new_condvar!("Channel::wait"),
                tracks_inflight,
            }? Error),
            GFP_KERNEL,
        )
    }

    /// Wakes blocked readers (io-wq cancel's signal).
    pub(crate) fn wake_all(&self) {
        let _g = self.state.lock();
        self.wait.notify_all();
    }
}

fn take_bytes(st: &mut ChanState, len: u32) -> Option<i32> {
    if st.bytes == 0 {
        return None;
    }
    let n = st.bytes.min(u64::from(len));
    st.bytes -= n;
    Some(n as i32)
}

/// How poll arming went.
enum Armed {
    /// Waiting on the channel and on the cancelable list.
    Waiting,
    /// Bytes arrived meanwhile: `take` took them (READ) or saw them (POLL).
    Ready(i32),
}

/// Poll-arms `req` on `chan`: checks readiness and joins the channel's
/// waiters under the channel lock (so no WRITE can slip in between), then
/// joins the ring's cancelable list. A WRITE's wake-up runs as task work,
/// which needs `uring_lock`, so it cannot look at the cancelable list before
/// `req` is on it.
fn arm_poll(
    req: &Arc<Req>,
    chan: &Channel,
    g: &mut UringGuard<'_>,
    take: impl FnOnce(&mut ChanState) -> Option<i32>,
) -> Result<Armed> {
    let cnode = RBTreeNode::new(req.seq, req.clone(), GFP_KERNEL)?;
    let wnode = RBTreeNode::new(req.seq, req.clone(), GFP_KERNEL)?;
    {
        let mut st = chan.state.lock();
        if let Some(n) = take(&mut st) {
            return Ok(Armed::Ready(n));
        }
        st.waiters.insert(wnode);
    }
    g.state().cancelable.insert(cnode);
    Ok(Armed::Waiting)
}

/// READ issued inline: completes at once or poll-arms.
pub(crate) fn io_read(req: &Arc<Req>, g: &mut UringGuard<'_>) -> Issued {
    let Some(Op::Read { chan, len }) = &req.op else {
        return Issued::err(EINVAL);
    };
    let len = *len;
    match arm_poll(req, chan, g, |st| take_bytes(st, len)) {
        Ok(Armed::Waiting) => Issued::Queued,
        Ok(Armed::Ready(n)) => read_done(n, len),
        Err(e) => Issued::err(e),
    }
}

/// A short read fails the link, as in `io_rw_done()`.
fn read_done(n: i32, len: u32) -> Issued {
    Issued::Done {
        res: n,
        fail: (n as u32) < len,
    }
}

/// READ in io-wq: blocks until bytes arrive or io-wq cancel signals.
pub(crate) fn io_read_blocking(req: &Arc<Req>) -> Issued {
    let Some(Op::Read { chan, len }) = &req.op else {
        return Issued::err(EINVAL);
    };
    let mut st = chan.state.lock();
    loop {
        if let Some(n) = take_bytes(&mut st, *len) {
            return read_done(n, *len);
        }
        if req.signalled.load(Ordering::Acquire) || chan.wait.wait_interruptible(&mut st) {
            return Issued::err(EINTR);
        }
    }
}

/// POLL_ADD issued inline.
pub(crate) fn io_poll_add(req: &Arc<Req>, g: &mut UringGuard<'_>) -> Issued {
    let Some(Op::PollAdd { chan, mask }) = &req.op else {
        return Issued::err(EINVAL);
    };
    let revents = (*mask & POLLIN) as i32;
    let ready = |st: &mut ChanState| (st.bytes > 0).then_some(revents);
    match arm_poll(req, chan, g, ready) {
        Ok(Armed::Waiting) => Issued::Queued,
        Ok(Armed::Ready(mask)) => Issued::res(mask),
        Err(e) => Issued::err(e),
    }
}

/// POLL_ADD in io-wq.
pub(crate) fn io_poll_blocking(req: &Arc<Req>) -> Issued {
    let Some(Op::PollAdd { chan, mask }) = &req.op else {
        return Issued::err(EINVAL);
    };
    let mut st = chan.state.lock();
    loop {
        if st.bytes > 0 {
            return Issued::res((*mask & POLLIN) as i32);
        }
        if req.signalled.load(Ordering::Acquire) || chan.wait.wait_interruptible(&mut st) {
            return Issued::err(EINTR);
        }
    }
}

/// WRITE: buffers the bytes and wakes every waiter.
pub(crate) fn io_write(req: &Arc<Req>) -> Issued {
    let Some(Op::Write { chan, len }) = &req.op else {
        return Issued::err(EINVAL);
    };
    chan.write(*len);
    Issued::res(*len as i32)
}

impl Channel {
    /// Buffers `len` bytes, wakes blocked readers, and queues the wake-up of
    /// every poll-armed request (a `write(2)` to a pipe).
    pub(crate) fn write(&self, len: u32) {
        let waiters = {
            let mut st = self.state.lock();
            st.bytes += u64::from(len);
            self.wait.notify_all();
            core::mem::take(&mut st.waiters)
        };
        for (_, w) in waiters.iter() {
            tw::queue(w.clone(), TwAction::PollWake);
        }
    }
}

/// Writes `len` bytes into channel `fd` of `ring` from outside the ring.
pub(crate) fn io_channel_write(
    ring: &super::ring::IoRingCtx,
    cx: &mut super::context::TaskCtx,
    fd: u32,
    len: u32,
) -> Result {
    if len == 0 {
        return Err(EINVAL);
    }
    let chan = {
        let mut g = ring.lock_uring(cx);
        let idx = usize::try_from(fd).map_err(|_| EBADF)?;
        g.state().channels.get(idx).cloned().ok_or(EBADF)?
    };
    chan.write(len);
    Ok(())
}

/// Task work for a poll-armed request whose channel became ready
/// (`io_poll_task_func()`): issue it again unless cancellation took it.
pub(crate) fn io_poll_task_func(req: Arc<Req>, g: &mut UringGuard<'_>) {
    if g.state().cancelable.remove(&req.seq).is_none() {
        return;
    }
    match io_issue_sqe(&req, g) {
        Issued::Done { res, fail } => finish(req, res, fail, g),
        Issued::Queued => {}
    }
}

/// Takes a poll-armed request off its channel and completes it cancelled.
fn poll_cancel_one(req: Arc<Req>, g: &mut UringGuard<'_>) {
    if let Some(Op::Read { chan, .. } | Op::PollAdd { chan, .. }) = &req.op {
        chan.state.lock().waiters.remove(&req.seq);
    }
    finish(req, ECANCELED.to_errno(), true, g);
}

/// `io_poll_cancel()`: cancels the first poll-armed request `cd` matches.
pub(crate) fn io_poll_cancel(g: &mut UringGuard<'_>, cd: &CancelData) -> bool {
    let found = g
        .state()
        .cancelable
        .iter()
        .find(|(_, r)| cd.matches(r))
        .map(|(seq, _)| *seq);
    let Some(req) = found.and_then(|seq| g.state().cancelable.remove(&seq)) else {
        return false;
    };
    poll_cancel_one(req, g);
    true
}

/// `io_poll_remove_all()`: cancels the poll-armed requests of `task`.
pub(crate) fn io_poll_remove_all(
    g: &mut UringGuard<'_>,
    task: Option<u32>,
    cancel_all: bool,
) -> bool {
    let mut found = false;
    loop {
        let seq = {
            let proof = g.chain_read();
            g.state_ref()
                .cancelable
                .iter()
                .find(|(_, r)| io_match_task_safe(r, task, cancel_all, &proof))
                .map(|(seq, _)| *seq)
        };
        let Some(req) = seq.and_then(|seq| g.state().cancelable.remove(&seq)) else {
            return found;
        };
        poll_cancel_one(req, g);
        found = true;
    }
}

/// Creates a channel on `ring` and returns its index (the `fd` of READ,
/// WRITE and POLL_ADD entries).
pub(crate) fn io_channel_create(
    ring: &super::ring::IoRingCtx,
    cx: &mut super::context::TaskCtx,
    tracks_inflight: bool,
) -> Result<i32> {
    let chan = Channel::create(tracks_inflight)?;
    let mut g = ring.lock_uring(cx);
    let chans = &mut g.state().channels;
    chans.push(chan, GFP_KERNEL)?;
    i32::try_from(chans.len() - 1).map_err(|_| EMFILE)
}
