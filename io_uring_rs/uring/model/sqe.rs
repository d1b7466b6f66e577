// SPDX-License-Identifier: GPL-2.0

//! Submission and completion entries, opcodes, flags, and preparation
//! (`io_init_req()` and each opcode's `->prep()`).

use super::channel::Channel;
use super::error::eopnotsupp;
use super::ring::{RingParams, UringState};
use crate::glue::context::TaskCtx;
use crate::glue::file::{import_iovec, import_ubuf, FileSlot, RwIo, UserMm};
use crate::glue::kernel_api::ktime_get_ns;
use crate::uapi::IoVec;
use kernel::prelude::*;
use kernel::sync::Arc;

/// `IORING_OP_NOP`.
pub(crate) const OP_NOP: u8 = 0;
/// `IORING_OP_READV`.
pub(crate) const OP_READV: u8 = 1;
/// `IORING_OP_WRITEV`.
pub(crate) const OP_WRITEV: u8 = 2;
/// `IORING_OP_POLL_ADD` (on a file, or a channel).
pub(crate) const OP_POLL_ADD: u8 = 6;
/// `IORING_OP_POLL_REMOVE`.
pub(crate) const OP_POLL_REMOVE: u8 = 7;
/// `IORING_OP_TIMEOUT`.
pub(crate) const OP_TIMEOUT: u8 = 11;
/// `IORING_OP_TIMEOUT_REMOVE`.
pub(crate) const OP_TIMEOUT_REMOVE: u8 = 12;
/// `IORING_OP_ASYNC_CANCEL`.
pub(crate) const OP_ASYNC_CANCEL: u8 = 14;
/// `IORING_OP_LINK_TIMEOUT`.
pub(crate) const OP_LINK_TIMEOUT: u8 = 15;
/// `IORING_OP_READ` (from a file, or a channel).
pub(crate) const OP_READ: u8 = 22;
/// `IORING_OP_WRITE` (to a file, or a channel).
pub(crate) const OP_WRITE: u8 = 23;

/// `IORING_OP_LAST` of the kernel the module is built for: opcodes from
/// here on are unknown.
pub(crate) use crate::glue::kernel_api::IORING_OP_LAST;

/// `IOSQE_IO_DRAIN`.
pub(crate) const IOSQE_IO_DRAIN: u8 = 1 << 1;
/// `IOSQE_IO_LINK`.
pub(crate) const IOSQE_IO_LINK: u8 = 1 << 2;
/// `IOSQE_IO_HARDLINK`.
pub(crate) const IOSQE_IO_HARDLINK: u8 = 1 << 3;
/// `IOSQE_ASYNC`.
pub(crate) const IOSQE_ASYNC: u8 = 1 << 4;
/// `IOSQE_CQE_SKIP_SUCCESS`.
pub(crate) const IOSQE_CQE_SKIP_SUCCESS: u8 = 1 << 6;
const IOSQE_SUPPORTED: u8 =
    IOSQE_IO_DRAIN | IOSQE_IO_LINK | IOSQE_IO_HARDLINK | IOSQE_ASYNC | IOSQE_CQE_SKIP_SUCCESS;

/// Whether `io_init_req()` gets as far as `sqe`'s draining flags: its
/// opcode is known and its flags are supported. Only then does
/// `IOSQE_CQE_SKIP_SUCCESS` turn draining off, or `IOSQE_IO_DRAIN` drain.
pub(crate) fn sqe_flags_apply(sqe: &Sqe) -> bool {
    sqe.opcode < IORING_OP_LAST && sqe.flags & !IOSQE_SUPPORTED == 0
}

/// `IORING_TIMEOUT_ABS`: the timespec is a `CLOCK_MONOTONIC` time.
pub(crate) const IORING_TIMEOUT_ABS: u32 = 1 << 0;
/// `IORING_TIMEOUT_BOOTTIME | IORING_TIMEOUT_REALTIME`.
const IORING_TIMEOUT_CLOCK_MASK: u32 = (1 << 2) | (1 << 3);
/// `IORING_TIMEOUT_MULTISHOT`.
const IORING_TIMEOUT_MULTISHOT: u32 = 1 << 6;
// The flags user space shares with the runner live in `uapi.rs`, where a
// host test compares them with `<linux/io_uring.h>`.
pub(crate) use crate::uapi::{
    IORING_ASYNC_CANCEL_ALL, IORING_ASYNC_CANCEL_ANY, IORING_ASYNC_CANCEL_USERDATA,
    IORING_LINK_TIMEOUT_UPDATE, IORING_TIMEOUT_ETIME_SUCCESS, IORING_TIMEOUT_UPDATE,
};
/// `POLLIN`.
pub(crate) const POLLIN: u32 = 0x1;
/// `EPOLLOUT`.
pub(crate) const EPOLLOUT: u32 = 0x4;
/// `EPOLLRDNORM`.
pub(crate) const EPOLLRDNORM: u32 = 0x40;
/// `EPOLLWRNORM`.
pub(crate) const EPOLLWRNORM: u32 = 0x100;
/// `IO_POLL_UNMASK`: `EPOLLERR | EPOLLHUP`, always polled for and reported.
pub(crate) const IO_POLL_UNMASK: u32 = 0x8 | 0x10;
/// `UIO_MAXIOV`.
const UIO_MAXIOV: u32 = 1024;

/// A submission queue entry: `struct io_uring_sqe` (`uapi.rs`), which the
/// core reads as it is.
pub(crate) use crate::uapi::IoUringSqe as Sqe;

/// The memory an entry's addresses point into: user memory for the ring
/// ABI, or, for in-kernel callers ([`InlineNs`]), none (a timespec's
/// "address" is the duration itself).
pub(crate) trait UserMem {
    /// The duration of the `struct __kernel_timespec` at `addr` (TIMEOUT,
    /// LINK_TIMEOUT, a timeout update), in nanoseconds
    /// (`get_timespec64()`); `-EFAULT` if it cannot be read, `-EINVAL` if
    /// negative.
    fn read_ns(&self, addr: u64) -> Result<u64>;

    /// The buffers of a READ or WRITE (`len` bytes at `addr`, kept inline
    /// as C's `import_ubuf()` keeps it) or a READV or WRITEV (`len` iovecs
    /// at `addr`, copied), checked in the current task's address space
    /// (`io_import_iovec()`).
    fn import_iovec(&self, cx: &TaskCtx, addr: u64, len: u32, vectored: bool) -> Result<IoVecs> {
        if vectored {
            import_iovec(cx, addr, len).map(IoVecs::Many)
        } else {
            import_ubuf(cx, addr, len).map(IoVecs::One)
        }
    }
}

/// The buffers of a prepared read or write: one, inline, or an array.
pub(crate) enum IoVecs {
    /// READ or WRITE: no allocation.
    One(IoVec),
    /// READV or WRITEV.
    Many(KVec<IoVec>),
}

impl IoVecs {
    /// The buffers, in order.
    pub(crate) fn as_slice(&self) -> &[IoVec] {
        match self {
            IoVecs::One(v) => core::slice::from_ref(v),
            IoVecs::Many(v) => v,
        }
    }
}

/// The in-kernel self-test's timespecs: the "address" is the duration in
/// nanoseconds.
pub(crate) struct InlineNs;

impl UserMem for InlineNs {
    fn read_ns(&self, addr: u64) -> Result<u64> {
        Ok(addr)
    }

    fn import_iovec(&self, _: &TaskCtx, _: u64, _: u32, _: bool) -> Result<IoVecs> {
        Err(EFAULT)
    }
}

/// A completion queue entry: `struct io_uring_cqe`.
pub(crate) use crate::uapi::IoUringCqe as Cqe;

/// A prepared opcode with its arguments.
pub(crate) enum Op {
    /// `IORING_OP_NOP`.
    Nop,
    /// `IORING_OP_TIMEOUT`: fires after `ns`, or after `count` completions.
    Timeout { ns: u64, count: u64, flags: u32 },
    /// `IORING_OP_LINK_TIMEOUT`: cancels the previous request after `ns`,
    /// or at `CLOCK_MONOTONIC` time `ns` if `abs`.
    LinkTimeout { ns: u64, abs: bool },
    /// `IORING_OP_TIMEOUT_REMOVE`, or an update when `update` is set.
    TimeoutRemove {
        target: u64,
        update: Option<(u64, bool)>,
    },
    /// `IORING_OP_ASYNC_CANCEL`.
    AsyncCancel { target: u64, flags: u32 },
    /// `IORING_OP_REMOVE_BUFFERS`: no buffer group ever exists
    /// (`IORING_OP_PROVIDE_BUFFERS` is not implemented).
    RemoveBuffers,
    /// `IORING_OP_READ` from a channel.
    Read { chan: Arc<Channel>, len: u32 },
    /// `IORING_OP_WRITE` to a channel.
    Write { chan: Arc<Channel>, len: u32 },
    /// `IORING_OP_POLL_ADD` on a channel.
    PollAdd { chan: Arc<Channel>, mask: u32 },
    /// `IORING_OP_READ`, `READV`, `WRITE` or `WRITEV` on a file. Boxed,
    /// as C keeps a read's or write's state in `req->async_data`: every
    /// request carries its opcode, and the others need a third of the
    /// room.
    Rw(KBox<FileRw>),
    /// `IORING_OP_POLL_ADD` on a file: one shot, for `events` (which
    /// include [`IO_POLL_UNMASK`]).
    PollFile { file: FileSlot, events: u32 },
    /// `IORING_OP_POLL_REMOVE` of the POLL_ADD whose `user_data` is
    /// `target`.
    PollRemove { target: u64 },
}

impl Op {
    /// Whether the opcode works on a file or on a channel that stands for
    /// one (`def->needs_file`).
    pub(crate) fn needs_file(&self) -> bool {
        self.channel().is_some() || self.file().is_some()
    }

    /// The channel of a channel opcode.
    pub(crate) fn channel(&self) -> Option<&Arc<Channel>> {
        match self {
            Op::Read { chan, .. } | Op::Write { chan, .. } | Op::PollAdd { chan, .. } => Some(chan),
            _ => None,
        }
    }

    /// The file of a file opcode.
    pub(crate) fn file(&self) -> Option<&FileSlot> {
        match self {
            Op::Rw(rw) => Some(&rw.file),
            Op::PollFile { file, .. } => Some(file),
            _ => None,
        }
    }
}

/// A read or write on a file, as prepared (`struct io_rw` with its
/// imported iovecs).
pub(crate) struct FileRw {
    /// The file.
    pub(crate) file: FileSlot,
    /// The submitter's address space, where `iov` points, with its
    /// credentials and file-size limit.
    pub(crate) mm: Arc<UserMm>,
    /// The buffers.
    pub(crate) iov: IoVecs,
    /// Their total length: a result short of it fails the links.
    pub(crate) total: usize,
    /// The file offset; -1 for the file position.
    pub(crate) pos: i64,
    /// WRITE or WRITEV.
    pub(crate) write: bool,
    /// `RWF_*`.
    pub(crate) rw_flags: u32,
}

/// `RWF_NOWAIT`: a read or write that would block fails with `-EAGAIN`.
pub(crate) const RWF_NOWAIT: u32 = 0x8;

impl FileRw {
    /// What one attempt does.
    pub(crate) fn io(&self) -> RwIo<'_> {
        RwIo {
            write: self.write,
            iov: self.iov.as_slice(),
            pos: self.pos,
            rw_flags: self.rw_flags,
        }
    }
}

fn channel(state: &UringState, fd: i32) -> Result<Arc<Channel>> {
    let idx = usize::try_from(fd).map_err(|_| EBADF)?;
    state.channels.get(idx).cloned().ok_or(EBADF)
}

/// Validates `sqe` and decodes its opcode (`io_init_req()` + `->prep()`).
///
/// Errors are what Linux 6.12 returns: an unknown opcode or flag, reserved
/// fields set, or arguments out of range give `-EINVAL`; an unreadable
/// timespec `-EFAULT`; a channel that does not exist `-EBADF`.
///
/// `params.channels` says whether READ, WRITE and POLL_ADD name the ring's
/// channels (the in-kernel self-test's rings); on a ring set up with
/// the io_uring ABI they, READV, WRITEV and POLL_REMOVE work on files, whose
/// descriptors `cx`'s task resolves.
pub(crate) fn prep(
    cx: &TaskCtx,
    state: &mut UringState,
    sqe: &Sqe,
    ts: &impl UserMem,
    params: &RingParams,
) -> Result<Op> {
    let channels = params.channels;
    if sqe.opcode >= IORING_OP_LAST {
        return Err(EINVAL);
    }
    if params.iopoll && !op_iopoll(sqe.opcode) {
        return Err(EINVAL);
    }
    if channels && sqe.opcode == OP_REMOVE_BUFFERS {
        return Err(eopnotsupp());
    }
    if sqe.flags & !IOSQE_SUPPORTED != 0 || sqe.ioprio != 0 || sqe.personality != 0 {
        return Err(EINVAL);
    }
    if channels && matches!(sqe.opcode, OP_READV | OP_WRITEV | OP_POLL_REMOVE) {
        return Err(eopnotsupp());
    }
    if !channels {
        if let Some(op) = prep_file(cx, state, sqe, ts)? {
            return Ok(op);
        }
    }
    match sqe.opcode {
        OP_NOP => {
            // `io_nop_prep()`: only `nop_flags` is read.
            if sqe.op_flags != 0 {
                return Err(EINVAL);
            }
            Ok(Op::Nop)
        }
        OP_TIMEOUT | OP_LINK_TIMEOUT => {
            // `__io_timeout_prep()`.
            let link = sqe.opcode == OP_LINK_TIMEOUT;
            if sqe.buf_index != 0 || sqe.len != 1 || sqe.splice_fd_in != 0 {
                return Err(EINVAL);
            }
            if link && sqe.off != 0 {
                return Err(EINVAL);
            }
            let flags = sqe.op_flags;
            let known = IORING_TIMEOUT_ABS
                | IORING_TIMEOUT_CLOCK_MASK
                | IORING_TIMEOUT_ETIME_SUCCESS
                | IORING_TIMEOUT_MULTISHOT;
            if flags & !known != 0
                || (flags & IORING_TIMEOUT_CLOCK_MASK).count_ones() > 1
                || flags & (IORING_TIMEOUT_MULTISHOT | IORING_TIMEOUT_ABS)
                    == IORING_TIMEOUT_MULTISHOT | IORING_TIMEOUT_ABS
            {
                return Err(EINVAL);
            }
            // Not implemented: other clocks, multishot (Documentation/abi.rst).
            if flags & (IORING_TIMEOUT_CLOCK_MASK | IORING_TIMEOUT_MULTISHOT) != 0 {
                return Err(EINVAL);
            }
            let ns = ts.read_ns(sqe.addr)?;
            Ok(if link {
                Op::LinkTimeout {
                    ns,
                    abs: flags & IORING_TIMEOUT_ABS != 0,
                }
            } else {
                Op::Timeout {
                    ns,
                    count: sqe.off,
                    flags,
                }
            })
        }
        OP_TIMEOUT_REMOVE => {
            // `io_timeout_remove_prep()`; `addr2` is `off`.
            if sqe.buf_index != 0 || sqe.len != 0 || sqe.splice_fd_in != 0 {
                return Err(EINVAL);
            }
            let flags = sqe.op_flags;
            let update = if flags & IORING_TIMEOUT_UPDATE_MASK != 0 {
                if flags & !(IORING_TIMEOUT_UPDATE_MASK | IORING_TIMEOUT_ABS) != 0 {
                    return Err(EINVAL);
                }
                let mut ns = ts.read_ns(sqe.off)?;
                if flags & IORING_TIMEOUT_ABS != 0 {
                    ns = abs_to_rel(ns);
                }
                Some((ns, flags & IORING_LINK_TIMEOUT_UPDATE != 0))
            } else if flags != 0 {
                return Err(EINVAL);
            } else {
                None
            };
            Ok(Op::TimeoutRemove {
                target: sqe.addr,
                update,
            })
        }
        OP_REMOVE_BUFFERS => {
            // `io_remove_buffers_prep()`: `fd` buffers of group `buf_index`.
            if sqe.op_flags != 0
                || sqe.addr != 0
                || sqe.len != 0
                || sqe.off != 0
                || sqe.splice_fd_in != 0
            {
                return Err(EINVAL);
            }
            if sqe.fd <= 0 || sqe.fd > MAX_BIDS_PER_BGID {
                return Err(EINVAL);
            }
            Ok(Op::RemoveBuffers)
        }
        OP_ASYNC_CANCEL => {
            // `io_async_cancel_prep()`.
            // The FD, FD_FIXED and OP keys are not implemented: -EINVAL
            // (Documentation/abi.rst).
            let known =
                IORING_ASYNC_CANCEL_ALL | IORING_ASYNC_CANCEL_ANY | IORING_ASYNC_CANCEL_USERDATA;
            if sqe.op_flags & !known != 0 || sqe.off != 0 || sqe.splice_fd_in != 0 {
                return Err(EINVAL);
            }
            Ok(Op::AsyncCancel {
                target: sqe.addr,
                flags: sqe.op_flags,
            })
        }
        OP_READ | OP_WRITE => {
            if sqe.op_flags != 0 || sqe.off != 0 || sqe.buf_index != 0 {
                return Err(EINVAL);
            }
            let chan = channel(state, sqe.fd)?;
            Ok(if sqe.opcode == OP_READ {
                Op::Read { chan, len: sqe.len }
            } else {
                Op::Write { chan, len: sqe.len }
            })
        }
        OP_POLL_ADD => {
            // `io_poll_add_prep()`: the mask is `poll32_events`, `len` the
            // poll flags (multishot and updates are not implemented).
            if sqe.off != 0 || sqe.addr != 0 || sqe.buf_index != 0 || sqe.len != 0 {
                return Err(EINVAL);
            }
            if sqe.op_flags & !POLLIN != 0 || sqe.op_flags == 0 {
                return Err(EINVAL);
            }
            let chan = channel(state, sqe.fd)?;
            Ok(Op::PollAdd {
                chan,
                mask: sqe.op_flags,
            })
        }
        _ => Err(eopnotsupp()),
    }
}

/// Prepares the file opcodes of a ring of the io_uring ABI; `None` for
/// the others.
fn prep_file(
    cx: &TaskCtx,
    state: &mut UringState,
    sqe: &Sqe,
    mem: &impl UserMem,
) -> Result<Option<Op>> {
    Ok(Some(match sqe.opcode {
        OP_READ | OP_WRITE | OP_READV | OP_WRITEV => {
            // `io_prep_rw()`: `rw_flags` are checked at issue.
            let vectored = matches!(sqe.opcode, OP_READV | OP_WRITEV);
            if vectored && sqe.len > UIO_MAXIOV {
                return Err(EINVAL);
            }
            let iov = mem.import_iovec(cx, sqe.addr, sqe.len, vectored)?;
            let total = iov.as_slice().iter().map(|v| v.len as usize).sum();
            let rw = FileRw {
                file: FileSlot::new(sqe.fd),
                mm: state.user_mm(cx)?,
                iov,
                total,
                pos: sqe.off as i64,
                write: matches!(sqe.opcode, OP_WRITE | OP_WRITEV),
                rw_flags: sqe.op_flags,
            };
            Op::Rw(KBox::new(rw, GFP_KERNEL_ACCOUNT)?)
        }
        OP_POLL_ADD => {
            // `io_poll_add_prep()`: the flags are in `len`, where 6.12
            // knows only `IORING_POLL_ADD_MULTI`; multishot polls are not
            // implemented, so every flag is `-EINVAL`.
            if sqe.buf_index != 0 || sqe.off != 0 || sqe.addr != 0 || sqe.len != 0 {
                return Err(EINVAL);
            }
            Op::PollFile {
                file: FileSlot::new(sqe.fd),
                events: (sqe.op_flags & 0xffff) | IO_POLL_UNMASK,
            }
        }
        OP_POLL_REMOVE => {
            // `io_poll_remove_prep()`: without update flags (updates are
            // not implemented, so they are `-EINVAL`), a new `user_data`
            // (`off`) or new events are `-EINVAL` too.
            if sqe.buf_index != 0 || sqe.splice_fd_in != 0 || sqe.len != 0 {
                return Err(EINVAL);
            }
            if sqe.off != 0 || sqe.op_flags != 0 {
                return Err(EINVAL);
            }
            Op::PollRemove { target: sqe.addr }
        }
        _ => return Ok(None),
    }))
}

/// `IORING_OP_REMOVE_BUFFERS`.
pub(crate) const OP_REMOVE_BUFFERS: u8 = 32;
/// `MAX_BIDS_PER_BGID`.
const MAX_BIDS_PER_BGID: i32 = 1 << 16;
/// `IORING_TIMEOUT_UPDATE | IORING_LINK_TIMEOUT_UPDATE`.
const IORING_TIMEOUT_UPDATE_MASK: u32 = IORING_TIMEOUT_UPDATE | IORING_LINK_TIMEOUT_UPDATE;

/// The nanoseconds from now to `CLOCK_MONOTONIC` time `ns` (0 if past).
pub(crate) fn abs_to_rel(ns: u64) -> u64 {
    ns.saturating_sub(ktime_get_ns().max(0) as u64)
}

/// Whether an opcode may be used on an `IORING_SETUP_IOPOLL` ring
/// (`io_issue_def::iopoll`); others fail preparation with `-EINVAL`.
fn op_iopoll(op: u8) -> bool {
    matches!(
        op,
        OP_NOP | OP_READ | OP_WRITE | OP_READV | OP_WRITEV | OP_REMOVE_BUFFERS
    )
}

/// Whether [`prep`] implements `op` on a ring (`IORING_REGISTER_PROBE`).
// Used by the device calls (`entry/dev.rs`), which the host mirror lacks.
#[cfg_attr(not(MODULE), allow(dead_code))]
pub(crate) fn op_supported(op: u8, channels: bool) -> bool {
    match op {
        OP_NOP | OP_TIMEOUT | OP_TIMEOUT_REMOVE | OP_ASYNC_CANCEL | OP_LINK_TIMEOUT => true,
        OP_REMOVE_BUFFERS | OP_READV | OP_WRITEV | OP_POLL_REMOVE => !channels,
        OP_READ | OP_WRITE | OP_POLL_ADD => true,
        _ => false,
    }
}
