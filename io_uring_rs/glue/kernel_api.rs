// SPDX-License-Identifier: GPL-2.0

//! The kernel crate's items whose path or shape differs between Linux 6.12
//! and 7.2, under one name for the core.
//!
//! The core is one source for both kernels: where 7.2 moved an item
//! (`AsBytes`, `FromBytes`, `ARef`), changed a signature (`UserSlice::new`
//! takes a `UserPtr`) or replaced a type (`Ktime` became `Instant<C>` and
//! `Delta`), the core names the item here and this file picks the kernel's
//! spelling with `cfg(kernel_7_2)` (set by `io_uring_rs/kernel.mk`). The
//! host mirror builds the 6.12 side, without the device's items
//! (`cfg(MODULE)`).

#[cfg(all(MODULE, not(kernel_7_2)))]
pub(crate) use kernel::types::{ARef, AsBytes, FromBytes};

#[cfg(all(MODULE, kernel_7_2))]
pub(crate) use kernel::{
    sync::aref::ARef,
    transmute::{AsBytes, FromBytes},
};

#[cfg(MODULE)]
use kernel::uaccess::UserSlice;

/// The user memory of `len` bytes at address `addr` (`UserSlice::new`).
#[cfg(MODULE)]
pub(crate) fn user_slice(addr: usize, len: usize) -> UserSlice {
    #[cfg(not(kernel_7_2))]
    let ptr = addr;
    #[cfg(kernel_7_2)]
    let ptr = kernel::uaccess::UserPtr::from_addr(addr);
    UserSlice::new(ptr, len)
}

/// `IORING_OP_LAST` of the kernel's `<uapi/linux/io_uring.h>`: the
/// opcodes it numbers, of which the module implements a few. The probe
/// reports this range and an opcode beyond it is unknown (`-EINVAL`), as
/// on the kernel the module is loaded on; `io_uring_rs_dev.c` asserts the
/// value against the header at build time.
#[cfg(not(kernel_7_2))]
pub(crate) const IORING_OP_LAST: u8 = 58;
/// As above (7.2 adds seven opcodes, up to `IORING_OP_URING_CMD128`).
#[cfg(kernel_7_2)]
pub(crate) const IORING_OP_LAST: u8 = 65;

/// What `mmap()` of a ring at an offset that names no region returns:
/// 6.12 refuses it in `io_uring_get_unmapped_area()` with `-ENOMEM`; 7.2
/// passes the lookup's `-EINVAL` on.
#[cfg(MODULE)]
pub(crate) fn mmap_unknown_offset() -> kernel::error::Error {
    #[cfg(not(kernel_7_2))]
    let e = kernel::error::code::ENOMEM;
    #[cfg(kernel_7_2)]
    let e = kernel::error::code::EINVAL;
    e
}

#[cfg(MODULE)]
extern "C" {
    fn io_uring_rs_num_online_cpus() -> u32;
    fn io_uring_rs_rlimit_nproc() -> core::ffi::c_ulong;
}

/// The calling task's `RLIMIT_NPROC` (`task_rlimit()`), at most
/// `i32::MAX` (io-wq keeps its limits in an `int`). The host has 1024.
pub(crate) fn rlimit_nproc(_cx: &crate::glue::context::TaskCtx) -> u32 {
    #[cfg(MODULE)]
    // SAFETY: Reads the calling task's limit; a task context calls it.
    let n: u64 = unsafe { io_uring_rs_rlimit_nproc() };
    #[cfg(not(MODULE))]
    let n: u64 = 1024;
    n.min(i32::MAX as u64) as u32
}

/// The number of CPUs online (`num_online_cpus()`, a static inline in C).
pub(crate) fn num_online_cpus() -> u32 {
    #[cfg(MODULE)]
    // SAFETY: `num_online_cpus()` reads a counter; any context may call it.
    let n = unsafe { io_uring_rs_num_online_cpus() };
    #[cfg(not(MODULE))]
    let n = std::thread::available_parallelism().map_or(1, |n| n.get() as u32);
    n
}

/// The monotonic clock in nanoseconds (`ktime_get_ns()`).
pub(crate) fn ktime_get_ns() -> i64 {
    #[cfg(not(kernel_7_2))]
    let ns = kernel::time::Ktime::ktime_get().to_ns();
    #[cfg(kernel_7_2)]
    // 7.2's `Instant<Monotonic>` keeps its nanoseconds private, and an
    // absolute timeout needs them: the function it wraps, called directly.
    // SAFETY: `ktime_get()` reads the monotonic clock; it has no
    // preconditions and may be called from any context.
    let ns = unsafe { kernel::bindings::ktime_get() };
    ns
}

/// Whole milliseconds from `earlier` to `later`, both from
/// [`ktime_get_ns`] (`ktime_ms_delta()`).
#[cfg(MODULE)]
pub(crate) fn ktime_ms_delta(later: i64, earlier: i64) -> i64 {
    (later - earlier) / 1_000_000
}
