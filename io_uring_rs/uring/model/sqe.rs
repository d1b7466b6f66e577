// SPDX-License-Identifier: GPL-2.0

//! Submission and completion entries, opcodes, flags, and preparation
//! (`io_init_req()` and each opcode's `->prep()`).

use super::channel::Channel;
use super::ring::UringState;
use kernel::prelude::*;
use kernel::sync::Arc;

/// `IORING_OP_NOP`.
pub(crate) const OP_NOP: u8 = 0;
/// `IORING_OP_POLL_ADD` (on a channel).
pub(crate) const OP_POLL_ADD: u8 = 6;
/// `IORING_OP_TIMEOUT`.
pub(crate) const OP_TIMEOUT: u8 = 11;
/// `IORING_OP_TIMEOUT_REMOVE`.
pub(crate) const OP_TIMEOUT_REMOVE: u8 = 12;
/// `IORING_OP_ASYNC_CANCEL`.
pub(crate) const OP_ASYNC_CANCEL: u8 = 14;
/// `IORING_OP_LINK_TIMEOUT`.
pub(crate) const OP_LINK_TIMEOUT: u8 = 15;
/// `IORING_OP_READ` (from a channel).
pub(crate) const OP_READ: u8 = 22;
/// `IORING_OP_WRITE` (to a channel).
pub(crate) const OP_WRITE: u8 = 23;

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

/// `IORING_TIMEOUT_UPDATE` (TIMEOUT_REMOVE).
pub(crate) const IORING_TIMEOUT_UPDATE: u32 = 1 << 1;
/// `IORING_LINK_TIMEOUT_UPDATE` (TIMEOUT_REMOVE).
pub(crate) const IORING_LINK_TIMEOUT_UPDATE: u32 = 1 << 4;
/// `IORING_TIMEOUT_ETIME_SUCCESS` (TIMEOUT).
pub(crate) const IORING_TIMEOUT_ETIME_SUCCESS: u32 = 1 << 5;
/// `IORING_ASYNC_CANCEL_ALL`.
pub(crate) const IORING_ASYNC_CANCEL_ALL: u32 = 1 << 0;
/// `IORING_ASYNC_CANCEL_ANY`.
pub(crate) const IORING_ASYNC_CANCEL_ANY: u32 = 1 << 3;
/// `POLLIN`.
pub(crate) const POLLIN: u32 = 0x1;

/// A submission queue entry: the ABI's entry (`uapi.rs`), which the core
/// reads as it is.
pub(crate) use crate::uapi::IoUringRsSqe as Sqe;

/// A completion queue entry.
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
pub(crate) struct Cqe {
    /// The request's `user_data`.
    pub(crate) user_data: u64,
    /// Result: a count, a mask, or a negative errno.
    pub(crate) res: i32,
    /// `IORING_CQE_F_*` (none are produced yet).
    pub(crate) flags: u32,
}

/// A prepared opcode with its arguments.
pub(crate) enum Op {
    /// `IORING_OP_NOP`.
    Nop,
    /// `IORING_OP_TIMEOUT`: fires after `ns`, or after `count` completions.
    Timeout { ns: u64, count: u64, flags: u32 },
    /// `IORING_OP_LINK_TIMEOUT`: cancels the previous request after `ns`.
    LinkTimeout { ns: u64 },
    /// `IORING_OP_TIMEOUT_REMOVE`, or an update when `update` is set.
    TimeoutRemove {
        target: u64,
        update: Option<(u64, bool)>,
    },
    /// `IORING_OP_ASYNC_CANCEL`.
    AsyncCancel { target: u64, flags: u32 },
    /// `IORING_OP_READ` from a channel.
    Read { chan: Arc<Channel>, len: u32 },
    /// `IORING_OP_WRITE` to a channel.
    Write { chan: Arc<Channel>, len: u32 },
    /// `IORING_OP_POLL_ADD` on a channel.
    PollAdd { chan: Arc<Channel>, mask: u32 },
}

fn channel(state: &UringState, fd: i32) -> Result<Arc<Channel>> {
    let idx = usize::try_from(fd).map_err(|_| EBADF)?;
    state.channels.get(idx).cloned().ok_or(EBADF)
}

/// Validates `sqe` and decodes its opcode (`io_init_req()` + `->prep()`).
///
/// Errors are what real io_uring returns: unknown opcode or flag,
/// reserved fields set, or arguments out of range give `-EINVAL`; a channel
/// that does not exist gives `-EBADF`.
pub(crate) fn prep(state: &UringState, sqe: &Sqe) -> Result<Op> {
    if sqe.flags & !IOSQE_SUPPORTED != 0 || sqe.ioprio != 0 || sqe.resv != [0, 0] {
        return Err(EINVAL);
    }
    let no_args = |s: &Sqe| s.fd == 0 && s.off == 0 && s.addr == 0 && s.len == 0 && s.addr2 == 0;
    match sqe.opcode {
        OP_NOP => {
            if !no_args(sqe) || sqe.op_flags != 0 {
                return Err(EINVAL);
            }
            Ok(Op::Nop)
        }
        OP_TIMEOUT => {
            if sqe.op_flags & !IORING_TIMEOUT_ETIME_SUCCESS != 0 || sqe.fd != 0 || sqe.len != 0 {
                return Err(EINVAL);
            }
            Ok(Op::Timeout {
                ns: sqe.addr,
                count: sqe.off,
                flags: sqe.op_flags,
            })
        }
        OP_LINK_TIMEOUT => {
            if sqe.op_flags != 0 || sqe.off != 0 || sqe.fd != 0 || sqe.len != 0 {
                return Err(EINVAL);
            }
            Ok(Op::LinkTimeout { ns: sqe.addr })
        }
        OP_TIMEOUT_REMOVE => {
            if sqe.fd != 0 || sqe.off != 0 || sqe.len != 0 {
                return Err(EINVAL);
            }
            let update = match sqe.op_flags {
                0 => None,
                IORING_TIMEOUT_UPDATE => Some((sqe.addr2, false)),
                IORING_LINK_TIMEOUT_UPDATE => Some((sqe.addr2, true)),
                _ => return Err(EINVAL),
            };
            if update.is_none() && sqe.addr2 != 0 {
                return Err(EINVAL);
            }
            Ok(Op::TimeoutRemove {
                target: sqe.addr,
                update,
            })
        }
        OP_ASYNC_CANCEL => {
            let known = IORING_ASYNC_CANCEL_ALL | IORING_ASYNC_CANCEL_ANY;
            if sqe.op_flags & !known != 0 || sqe.fd != 0 || sqe.off != 0 || sqe.len != 0 {
                return Err(EINVAL);
            }
            Ok(Op::AsyncCancel {
                target: sqe.addr,
                flags: sqe.op_flags,
            })
        }
        OP_READ | OP_WRITE => {
            if sqe.op_flags != 0 || sqe.off != 0 || sqe.addr != 0 || sqe.addr2 != 0 {
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
            if sqe.op_flags != 0 || sqe.off != 0 || sqe.addr != 0 || sqe.addr2 != 0 {
                return Err(EINVAL);
            }
            if sqe.len & !POLLIN != 0 || sqe.len == 0 {
                return Err(EINVAL);
            }
            let chan = channel(state, sqe.fd)?;
            Ok(Op::PollAdd {
                chan,
                mask: sqe.len,
            })
        }
        _ => Err(EINVAL),
    }
}
