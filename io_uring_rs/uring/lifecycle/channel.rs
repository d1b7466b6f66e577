// SPDX-License-Identifier: GPL-2.0

//! Channel operations: READ takes up to `len` bytes, WRITE adds `len`,
//! POLL_ADD waits until bytes are buffered.
//!
//! Issued inline, a READ or POLL_ADD that cannot complete is poll-armed, as
//! io_uring arms poll for a pipe (FAST_POLL): it waits on the channel and on
//! the ring's cancelable list (which holds its reference) under
//! `uring_lock`, and a WRITE wakes it through task work. Issued in io-wq
//! (`IOSQE_ASYNC`) it blocks the worker until data arrives or io-wq cancel
//! signals it (`-EINTR`).

use super::issue::Issued;
use super::tw::{self, BareTw};
use crate::glue::context::TaskCtx;
use crate::uring::model::channel::{Channel, Take};
use crate::uring::model::req::{ReqRef, ReqSlot, ReqView};
use crate::uring::model::ring::{Ring, UringGuard};
use crate::uring::model::sqe::{Op, POLLIN};
use kernel::prelude::*;
use kernel::sync::Arc;

/// READ: takes up to `len` bytes.
fn take_bytes(bytes: &mut u64, len: u32) -> Option<i32> {
    if *bytes == 0 {
        return None;
    }
    let n = (*bytes).min(u64::from(len));
    *bytes -= n;
    Some(n as i32)
}

/// Poll-arms `req` on `chan` unless `take` finds it ready; a waiting request
/// joins the ring's cancelable list with its reference. A WRITE's wake-up
/// runs as task work, which needs `uring_lock`, so it cannot look at the
/// cancelable list before `req` is on it.
fn arm_poll<'id>(
    req: ReqRef<'id>,
    chan: &Channel,
    g: &mut UringGuard<'_, 'id>,
    (take, arg): (Take, u32),
    ready: impl FnOnce(ReqRef<'id>, i32) -> Issued<'id>,
) -> Issued<'id> {
    let slot = match ReqSlot::new(g.task()) {
        Ok(slot) => slot,
        Err(e) => return Issued::err(req, e),
    };
    match chan.arm(g.task(), req.arc(), take, arg) {
        Ok(Some(n)) => ready(req, n),
        Ok(None) => {
            g.cancelable().insert(slot, req.seq(), req);
            Issued::Queued
        }
        Err(e) => Issued::err(req, e),
    }
}

/// READ issued inline: completes at once or poll-arms.
pub(crate) fn io_read<'id>(req: ReqRef<'id>, g: &mut UringGuard<'_, 'id>) -> Issued<'id> {
    let Some(Op::Read { chan, len }) = req.op() else {
        return Issued::err(req, EINVAL);
    };
    let (chan, len) = (chan.clone(), *len);
    arm_poll(req, &chan, g, (take_bytes, len), |req, n| {
        read_done(req, n, len)
    })
}

/// POLL_ADD: reports `mask`'s `POLLIN` once bytes are buffered.
fn take_readiness(bytes: &mut u64, mask: u32) -> Option<i32> {
    (*bytes > 0).then_some((mask & POLLIN) as i32)
}

/// A short read fails the link, as in `io_rw_done()`.
fn read_done(req: ReqRef<'_>, n: i32, len: u32) -> Issued<'_> {
    Issued::Done {
        req,
        res: n,
        fail: (n as u32) < len,
    }
}

/// READ in io-wq: blocks until bytes arrive or io-wq cancel signals.
pub(crate) fn io_read_blocking<'id>(req: ReqRef<'id>, cx: &mut TaskCtx) -> Issued<'id> {
    let Some(Op::Read { chan, len }) = req.op() else {
        return Issued::err(req, EINVAL);
    };
    let len = *len;
    match chan.wait_for(cx, &req, take_bytes, len) {
        Ok(n) => read_done(req, n, len),
        Err(e) => Issued::err(req, e),
    }
}

/// POLL_ADD issued inline.
pub(crate) fn io_poll_add<'id>(req: ReqRef<'id>, g: &mut UringGuard<'_, 'id>) -> Issued<'id> {
    let Some(Op::PollAdd { chan, mask }) = req.op() else {
        return Issued::err(req, EINVAL);
    };
    let (chan, mask) = (chan.clone(), *mask);
    arm_poll(req, &chan, g, (take_readiness, mask), Issued::res)
}

/// POLL_ADD in io-wq.
pub(crate) fn io_poll_blocking<'id>(req: ReqRef<'id>, cx: &mut TaskCtx) -> Issued<'id> {
    let Some(Op::PollAdd { chan, mask }) = req.op() else {
        return Issued::err(req, EINVAL);
    };
    let mask = *mask;
    match chan.wait_for(cx, &req, take_readiness, mask) {
        Ok(mask) => Issued::res(req, mask),
        Err(e) => Issued::err(req, e),
    }
}

/// Buffers `len` bytes in `chan` and queues the wake-up of every
/// poll-armed request (a `write(2)` to a pipe).
fn channel_write(chan: &Channel, len: u32) {
    for (_, w) in chan.write(len).iter() {
        tw::queue_bare(w.clone(), BareTw::PollWake);
    }
}

/// WRITE: buffers the bytes and wakes every waiter.
pub(crate) fn io_write(req: ReqRef<'_>) -> Issued<'_> {
    let Some(Op::Write { chan, len }) = req.op() else {
        return Issued::err(req, EINVAL);
    };
    let len = *len;
    channel_write(chan, len);
    Issued::res(req, len as i32)
}

/// Writes `len` bytes into channel `fd` of `ring` from outside the ring.
pub(crate) fn io_channel_write(ring: Ring<'_, '_>, cx: &mut TaskCtx, fd: u32, len: u32) -> Result {
    if len == 0 {
        return Err(EINVAL);
    }
    let chan = {
        let mut g = ring.lock_uring(cx);
        let idx = usize::try_from(fd).map_err(|_| EBADF)?;
        g.state().channels.get(idx).cloned().ok_or(EBADF)?
    };
    channel_write(&chan, len);
    Ok(())
}

/// Creates a channel on `ring` and returns its index (the `fd` of READ,
/// WRITE and POLL_ADD entries).
pub(crate) fn io_channel_create(
    ring: Ring<'_, '_>,
    cx: &mut TaskCtx,
    tracks_inflight: bool,
) -> Result<i32> {
    let chan: Arc<Channel> = Channel::create(cx, tracks_inflight)?;
    let mut g = ring.lock_uring(cx);
    let chans = &mut g.state().channels;
    chans.push(chan, GFP_KERNEL)?;
    i32::try_from(chans.len() - 1).map_err(|_| EMFILE)
}
