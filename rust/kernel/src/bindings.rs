// SPDX-License-Identifier: GPL-2.0

//! `kernel::bindings`: the C constants the core uses (bindgen generates
//! them as `u32` from `include/uapi/asm-generic/errno.h`).

/// Timer expired.
pub const ETIME: u32 = 62;
/// Connection timed out.
pub const ETIMEDOUT: u32 = 110;
/// Operation not supported.
pub const EOPNOTSUPP: u32 = 95;
/// Operation already in progress.
pub const EALREADY: u32 = 114;
/// Operation canceled.
pub const ECANCELED: u32 = 125;
/// No such file or directory.
pub const ENOENT: u32 = 2;
/// Interrupted system call.
pub const EINTR: u32 = 4;
/// Invalid argument.
pub const EINVAL: u32 = 22;
/// Bad address.
pub const EFAULT: u32 = 14;
