// SPDX-License-Identifier: GPL-2.0

//! READ, READV, WRITE and WRITEV on files (`io_uring/rw.c`).
//!
//! Issued inline (`uring_lock` held, `IO_URING_F_NONBLOCK`), a request makes
//! one `IOCB_NOWAIT` attempt. Where the file would block, a pollable file
//! (pipe, socket, eventfd) gets an armed poll (`poll.rs`) and the request is
//! issued again once the file is ready; any other file is punted to io-wq,
//! whose worker blocks on it. io-wq polls a pollable file too, as 6.12's
//! `io_wq_submit_work()` does at first; 6.12 blocks the worker after a
//! spurious wake-up, here the request polls again (Documentation/abi.rst:
//! a blocked worker would hold a slot of the shared workqueue until the
//! pipe is written).
//!
//! A result short of the buffers' length fails the links
//! (`__io_complete_rw_common()`).

use super::iowq::io_queue_iowq;
use super::issue::Issued;
use super::poll::io_arm_file_poll;
use crate::glue::context::TaskCtx;
use crate::glue::file::{File, FileMode};
use crate::uring::model::error::eopnotsupp;
use crate::uring::model::req::ReqRef;
use crate::uring::model::ring::{Ring, UringGuard};
use crate::uring::model::sqe::{
    FileRw, Op, EPOLLOUT, EPOLLRDNORM, EPOLLWRNORM, IO_POLL_UNMASK, POLLIN, RWF_NOWAIT,
};
use kernel::prelude::*;

/// `-ERESTARTSYS` and the other restart codes (`<linux/errno.h>`), which
/// only the kernel sees.
const ERESTARTSYS_ERRNO: i32 = -512;
const ERESTARTNOINTR_ERRNO: i32 = -513;
const ERESTARTNOHAND_ERRNO: i32 = -514;
const ERESTART_RESTARTBLOCK_ERRNO: i32 = -516;

/// What an attempt came to.
enum Attempt {
    /// A result.
    Done(Result<usize>),
    /// The file would block and can be polled.
    Poll,
    /// The file would block and cannot be polled: io-wq.
    Punt,
}

/// The events a read or write waits for (`io_issue_def::pollin`/`pollout`).
fn rw_events(write: bool) -> u32 {
    IO_POLL_UNMASK
        | if write {
            EPOLLOUT | EPOLLWRNORM
        } else {
            POLLIN | EPOLLRDNORM
        }
}

/// The request's file, if it may do this read or write: the mode checks
/// of `io_rw_init_file()`.
fn rw_file(rw: &FileRw, iopoll: bool) -> Result<(File<'_>, FileMode)> {
    let file = rw.file.get()?;
    let mode = file.mode();
    let allowed = if rw.write {
        mode.writable()
    } else {
        mode.readable()
    };
    if !allowed {
        return Err(EBADF);
    }
    // No file here does `O_DIRECT` with `->iopoll()`.
    if iopoll {
        return Err(eopnotsupp());
    }
    Ok((file, mode))
}

/// The attempt that may not block (`IO_URING_F_NONBLOCK`): with
/// `IOCB_NOWAIT` where the file honours it (`io_file_supports_nowait()`;
/// a buffered write to a regular file only with `FOP_BUFFER_WASYNC`).
fn rw_nowait(rw: &FileRw, file: File<'_>, mode: FileMode, cx: &TaskCtx) -> Attempt {
    let blocked = if mode.pollable() {
        Attempt::Poll
    } else {
        Attempt::Punt
    };
    let events = rw_events(rw.write);
    let supported = mode.nowait() || (mode.pollable() && file.poll_ready(events) != 0);
    if !supported || (rw.write && mode.regular() && !mode.buffered_write_nowait()) {
        return blocked;
    }
    match file.rw_nowait(cx, &rw.mm, rw.io()) {
        // `REQ_F_NOWAIT`: the caller asked not to wait.
        Err(e) if e == EAGAIN && rw.rw_flags & RWF_NOWAIT == 0 => blocked,
        r => Attempt::Done(r),
    }
}

/// Completes with `r`; a short result fails the links. An interrupted
/// read or write (a cancel interrupted its io-wq worker) completes with
/// `-EINTR`, never with a restart code user space cannot see
/// (`io_rw_done()`).
fn rw_done<'id>(req: ReqRef<'id>, r: Result<usize>, total: usize) -> Issued<'id> {
    let r = r.map_err(|e| match e.to_errno() {
        ERESTARTSYS_ERRNO
        | ERESTARTNOINTR_ERRNO
        | ERESTARTNOHAND_ERRNO
        | ERESTART_RESTARTBLOCK_ERRNO => EINTR,
        _ => e,
    });
    match r {
        Ok(n) => Issued::Done {
            req,
            res: n as i32,
            fail: n != total,
        },
        Err(e) => Issued::err(req, e),
    }
}

/// A read or write issued inline, or from task work after its poll fired.
pub(crate) fn io_rw<'id>(req: ReqRef<'id>, g: &mut UringGuard<'_, 'id>) -> Issued<'id> {
    let iopoll = g.ring().params().iopoll;
    let (attempt, total, write) = match req.op() {
        Some(Op::Rw(rw)) => {
            let attempt = match rw_file(rw, iopoll) {
                Ok((file, mode)) => rw_nowait(rw, file, mode, g.task()),
                Err(e) => Attempt::Done(Err(e)),
            };
            (attempt, rw.total, rw.write)
        }
        _ => return Issued::err(req, EINVAL),
    };
    match attempt {
        Attempt::Done(r) => rw_done(req, r, total),
        Attempt::Poll => io_arm_file_poll(req, rw_events(write), g),
        Attempt::Punt => {
            io_queue_iowq(req, g);
            Issued::Queued
        }
    }
}

/// A read or write in io-wq: a pollable file is tried without blocking
/// and polled; any other file is read or written blocking, which needs
/// the worker's context exclusively: no lock guard may be holding it.
pub(crate) fn io_rw_iowq<'id>(
    req: ReqRef<'id>,
    ring: Ring<'_, 'id>,
    cx: &mut TaskCtx,
) -> Issued<'id> {
    let iopoll = ring.params().iopoll;
    let (attempt, total, write) = match req.op() {
        Some(Op::Rw(rw)) => {
            let attempt = match rw_file(rw, iopoll) {
                Ok((file, mode)) if mode.pollable() => rw_nowait(rw, file, mode, cx),
                Ok((file, _)) => Attempt::Done(file.rw_blocking(cx, &rw.mm, rw.io())),
                Err(e) => Attempt::Done(Err(e)),
            };
            (attempt, rw.total, rw.write)
        }
        _ => return Issued::err(req, EINVAL),
    };
    match attempt {
        Attempt::Done(r) => rw_done(req, r, total),
        Attempt::Poll => io_arm_file_poll(req, rw_events(write), &mut ring.lock_uring(cx)),
        // Only a file that cannot be polled punts, and io-wq blocks on it.
        Attempt::Punt => Issued::err(req, EAGAIN),
    }
}
