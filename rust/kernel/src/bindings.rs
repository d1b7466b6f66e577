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
/// File descriptor in bad state.
pub const EBADFD: u32 = 77;
/// Invalid request descriptor.
pub const EBADR: u32 = 53;
/// Value too large for defined data type.
pub const EOVERFLOW: u32 = 75;
/// Owner died.
pub const EOWNERDEAD: u32 = 130;
