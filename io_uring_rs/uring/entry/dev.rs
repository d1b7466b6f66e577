// SPDX-License-Identifier: GPL-2.0

//! `/dev/io_uring_rs`: the ioctl ABI (`uapi.rs`) over the core.
//!
//! Every input is validated before the core sees it: reserved fields must be
//! zero and sizes within the documented limits (`-EINVAL`), user pointers are
//! only accessed through `UserSlice` (`-EFAULT`), unknown commands are
//! `-ENOTTY`. What real io_uring reports per request (an unknown opcode or
//! flag, a bad argument) is reported the same way, as the request's
//! completion, by the core's preparation.

use super::submit::io_submit_sqes;
use crate::glue::context::TaskCtx;
use crate::uapi::*;
use crate::uring::lifecycle::cancel::{io_ring_exit, io_uring_cancel_generic};
use crate::uring::lifecycle::channel::{io_channel_create, io_channel_write};
use crate::uring::lifecycle::complete::{io_cqring_advance, io_cqring_peek};
use crate::uring::model::ring::{IoRingCtx, Ring};
use crate::uring::model::sqe::Sqe;
use core::mem::size_of;
use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use kernel::prelude::*;
use kernel::sync::Arc;
use kernel::time::{ktime_ms_delta, Ktime};
use kernel::types::{AsBytes, FromBytes};
use kernel::uaccess::UserSlice;

/// A ring exit still waiting for requests after this long prints the
/// slow-exit warning (once) and is counted in `slow_exits`; it goes on
/// cancelling until every request is freed.
const EXIT_WARN_MS: u32 = 30_000;
/// How long the cancel ioctl waits for the task's requests to go.
const CANCEL_TIMEOUT_MS: u32 = 20_000;

/// Module-wide ring accounting, read by `IO_URING_RS_IOC_STATS`. Each
/// counter changes on its own, so a reader sees a consistent value of each,
/// not a snapshot of all: `rings` and `exiting` are decremented last, after
/// the exit's other counters and after the exit dropped its reference to
/// the ring, so `exiting == 0` means every closed ring's requests are freed.
static RINGS: AtomicU32 = AtomicU32::new(0);
static EXITING: AtomicU32 = AtomicU32::new(0);
static EXITS: AtomicU64 = AtomicU64::new(0);
static SLOW_EXITS: AtomicU32 = AtomicU32::new(0);
static MAX_EXIT_MS: AtomicU32 = AtomicU32::new(0);

/// `open()`: a new ring.
pub(crate) fn open(cx: &TaskCtx) -> Result<Arc<IoRingCtx>> {
    let ring = IoRingCtx::create(cx)?;
    RINGS.fetch_add(1, Ordering::Relaxed);
    Ok(ring)
}

/// `release()` is about to queue the exit of a ring (`exiting` counts it).
pub(crate) fn exit_queued() {
    EXITING.fetch_add(1, Ordering::Relaxed);
}

/// `io_ring_exit_work()`: exits `ring` after its last file is closed; the
/// glue's `release()` runs it in a kernel worker, where no signal can cut a
/// wait short. The exit never gives up (`io_ring_exit()`), and module unload
/// drains the queue after the last file is closed: unload waits for every
/// exit, which waits for nothing but its own ring's requests.
pub(crate) fn io_ring_exit_work(ring: Arc<IoRingCtx>, cx: &mut TaskCtx) {
    let start = Ktime::ktime_get();
    let slow = Ring::open(&ring, |r| io_ring_exit(r, cx, EXIT_WARN_MS));
    drop(ring);
    let ms = ktime_ms_delta(Ktime::ktime_get(), start);
    MAX_EXIT_MS.fetch_max(u32::try_from(ms).unwrap_or(u32::MAX), Ordering::Relaxed);
    if slow {
        SLOW_EXITS.fetch_add(1, Ordering::Relaxed);
    }
    EXITS.fetch_add(1, Ordering::Relaxed);
    EXITING.fetch_sub(1, Ordering::Release);
    RINGS.fetch_sub(1, Ordering::Release);
}

/// The module-wide ring accounting.
fn stats() -> IoUringRsStats {
    IoUringRsStats {
        rings: RINGS.load(Ordering::Acquire),
        exiting: EXITING.load(Ordering::Acquire),
        exits: EXITS.load(Ordering::Relaxed),
        slow_exits: SLOW_EXITS.load(Ordering::Relaxed),
        max_exit_ms: MAX_EXIT_MS.load(Ordering::Relaxed),
    }
}

/// The task `task` exits with `ring` open (the file's `flush()` at exit):
/// cancel its inflight requests and record it as exited, as
/// `io_uring_files_cancel()` and then `PF_EXITING` do.
pub(crate) fn task_exit(ring: &Arc<IoRingCtx>, cx: &mut TaskCtx, task: u32) -> Result {
    Ring::open(ring, |r| {
        io_uring_cancel_generic(r, cx, task, false, CANCEL_TIMEOUT_MS)
    })
}

fn read_arg<T: FromBytes>(arg: usize) -> Result<T> {
    UserSlice::new(arg, size_of::<T>()).reader().read::<T>()
}

fn write_arg<T: AsBytes>(arg: usize, v: &T) -> Result {
    UserSlice::new(arg, size_of::<T>()).writer().write(v)
}

/// Dispatches an ioctl on `ring` from task `task`.
pub(crate) fn ioctl(
    ring: &Arc<IoRingCtx>,
    cx: &mut TaskCtx,
    task: u32,
    cmd: u32,
    arg: usize,
) -> Result<isize> {
    match cmd {
        IO_URING_RS_IOC_VERSION => {
            let v = IoUringRsVersion {
                version: IO_URING_RS_VERSION,
                features: IO_URING_RS_FEAT_CHANNELS
                    | IO_URING_RS_FEAT_LINK_TIMEOUT
                    | IO_URING_RS_FEAT_DRAIN,
                sqe_size: size_of::<IoUringRsSqe>() as u32,
                cqe_size: size_of::<IoUringRsCqe>() as u32,
                max_submit: IO_URING_RS_MAX_SUBMIT,
                max_cqes: IO_URING_RS_MAX_CQES,
                resv: [0; 2],
            };
            write_arg(arg, &v)?;
            Ok(0)
        }
        IO_URING_RS_IOC_SUBMIT => submit(ring, cx, task, read_arg(arg)?),
        IO_URING_RS_IOC_WAIT => Ring::open(ring, |r| wait(r, cx, read_arg(arg)?)),
        IO_URING_RS_IOC_CANCEL => {
            let c: IoUringRsCancel = read_arg(arg)?;
            if c.resv != 0 || c.flags & !IO_URING_RS_CANCEL_ALL != 0 {
                return Err(EINVAL);
            }
            let all = c.flags & IO_URING_RS_CANCEL_ALL != 0;
            Ring::open(ring, |r| {
                io_uring_cancel_generic(r, cx, task, all, CANCEL_TIMEOUT_MS)
            })?;
            Ok(0)
        }
        IO_URING_RS_IOC_CHANNEL => {
            let mut c: IoUringRsChannel = read_arg(arg)?;
            if c.flags & !IO_URING_RS_CHANNEL_INFLIGHT != 0 || c.fd != 0 {
                return Err(EINVAL);
            }
            let inflight = c.flags & IO_URING_RS_CHANNEL_INFLIGHT != 0;
            c.fd = Ring::open(ring, |r| io_channel_create(r, cx, inflight))? as u32;
            write_arg(arg, &c)?;
            Ok(c.fd as isize)
        }
        IO_URING_RS_IOC_CHANNEL_WRITE => {
            let w: IoUringRsChannelWrite = read_arg(arg)?;
            Ring::open(ring, |r| io_channel_write(r, cx, w.fd, w.len))?;
            Ok(w.len as isize)
        }
        IO_URING_RS_IOC_STATS => {
            write_arg(arg, &stats())?;
            Ok(0)
        }
        _ => Err(ENOTTY),
    }
}

fn submit(ring: &Arc<IoRingCtx>, cx: &mut TaskCtx, task: u32, s: IoUringRsSubmit) -> Result<isize> {
    if s.resv != 0 || s.nr == 0 || s.nr > IO_URING_RS_MAX_SUBMIT {
        return Err(EINVAL);
    }
    let n = s.nr as usize;
    let len = n.checked_mul(size_of::<IoUringRsSqe>()).ok_or(EINVAL)?;
    let mut reader = UserSlice::new(s.sqes as usize, len).reader();
    let mut sqes = KVec::with_capacity(n, GFP_KERNEL)?;
    for _ in 0..n {
        sqes.push(reader.read::<Sqe>()?, GFP_KERNEL)?;
    }
    Ok(io_submit_sqes(ring, cx, &sqes, task)? as isize)
}

fn wait(ring: Ring<'_, '_>, cx: &mut TaskCtx, w: IoUringRsWait) -> Result<isize> {
    if w.resv != 0
        || w.nr == 0
        || w.nr > IO_URING_RS_MAX_CQES
        || w.min_complete > w.nr
        || w.timeout_ms > IO_URING_RS_MAX_WAIT_MS
    {
        return Err(EINVAL);
    }
    let len = (w.nr as usize) * size_of::<IoUringRsCqe>();
    let mut writer = UserSlice::new(w.cqes as usize, len).writer();
    let mut reaper = ring.lock_reap(cx);
    let cqes = io_cqring_peek(
        &mut reaper,
        w.min_complete as usize,
        w.nr as usize,
        w.timeout_ms,
    )?;
    for c in cqes.iter() {
        writer.write(&IoUringRsCqe {
            user_data: c.user_data,
            res: c.res,
            flags: c.flags,
        })?;
    }
    // Only what reached user space is consumed: a bad pointer loses nothing.
    io_cqring_advance(&mut reaper, cqes.len());
    Ok(cqes.len() as isize)
}
