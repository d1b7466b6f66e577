// SPDX-License-Identifier: GPL-2.0

//! The character device's entry points, called by `io_uring_rs_dev.c`.
//!
//! An open file owns one ring: `open` stores an `Arc` of it in
//! `file->private_data`, `release` takes it back and exits the ring, and
//! `ioctl` borrows it. Everything else is `uring::entry::dev`, in safe Rust.

use crate::glue::context::TaskCtx;
use crate::uring::entry::dev;
use crate::uring::model::ring::IoRingCtx;
use kernel::bindings;
use kernel::prelude::*;
use kernel::sync::{Arc, ArcBorrow};

extern "C" {
    fn io_uring_rs_dev_register() -> core::ffi::c_int;
    fn io_uring_rs_dev_unregister();
}

/// The registered device; dropping it removes `/dev/io_uring_rs`.
pub(crate) struct Device {
    _private: (),
}

impl Device {
    /// Registers `/dev/io_uring_rs`.
    pub(crate) fn register() -> Result<Self> {
        // SAFETY: Called once, from the module's `init`; the matching
        // unregister is in `Drop`.
        let ret = unsafe { io_uring_rs_dev_register() };
        if ret < 0 {
            return Err(Error::from_errno(ret));
        }
        Ok(Device { _private: () })
    }
}

impl Drop for Device {
    fn drop(&mut self) {
        // SAFETY: `register` succeeded. No file can be open: each holds a
        // reference to the module, which is being unloaded.
        unsafe { io_uring_rs_dev_unregister() };
    }
}

/// The calling task's thread-group id.
fn current_task() -> u32 {
    // SAFETY: `current!()` is valid in a system call's task context, where
    // `open`, `ioctl` and `flush` run.
    let pid = unsafe { &kernel::task::Task::current() }
        .group_leader()
        .pid();
    pid as u32
}

/// `open()`: a new ring.
///
/// # Safety
///
/// Called by `io_uring_rs_dev.c` with a valid `file`.
#[no_mangle]
unsafe extern "C" fn io_uring_rs_open(file: *mut bindings::file) -> core::ffi::c_int {
    // SAFETY: `open()` runs in process context with no lock held.
    let cx = unsafe { TaskCtx::enter() };
    match dev::open(&cx) {
        Ok(ring) => {
            // SAFETY: `file` is valid (function safety); the pointer stored
            // here is taken back by `io_uring_rs_release`.
            unsafe { (*file).private_data = Arc::into_raw(ring) as *mut core::ffi::c_void };
            0
        }
        Err(e) => e.to_errno(),
    }
}

/// `release()`: the last file descriptor is gone; exit the ring.
///
/// # Safety
///
/// Called by `io_uring_rs_dev.c` once per successful open, with its `file`.
#[no_mangle]
unsafe extern "C" fn io_uring_rs_release(file: *mut bindings::file) -> core::ffi::c_int {
    // SAFETY: `private_data` was set by `io_uring_rs_open` from
    // `Arc::into_raw` and is released exactly once, here.
    let ring = unsafe { Arc::from_raw((*file).private_data as *const IoRingCtx) };
    // Exit the ring in a kernel worker, as `io_ring_ctx_wait_and_kill()`
    // queues `io_ring_exit_work()`: the closing task may have a signal
    // pending (or `TIF_NOTIFY_SIGNAL` from a real io_uring ring it also
    // uses), which would cut every wait short; a worker has none. Module
    // unload drains the queue, so no exit is left behind.
    dev::exit_queued();
    let queued = ring.clone();
    let spawned = crate::glue::wq::exit().try_spawn(GFP_KERNEL, move || {
        // SAFETY: A work item runs in a kernel worker: process context, no
        // lock held.
        let mut cx = unsafe { TaskCtx::enter() };
        dev::io_ring_exit_work(queued, &mut cx);
    });
    if spawned.is_err() {
        // No memory for the work item: exit in the closing task instead.
        // SAFETY: `release()` runs in process context with no lock held.
        let mut cx = unsafe { TaskCtx::enter() };
        dev::io_ring_exit_work(ring, &mut cx);
    }
    0
}

/// `flush()` of a task that exits (`PF_EXITING`, checked by the C shim):
/// the task cancels its inflight requests and is recorded as exited. A
/// plain `close()` does nothing: io_uring does not cancel on close.
///
/// # Safety
///
/// Called by `io_uring_rs_dev.c` with an open `file` of this device.
#[no_mangle]
unsafe extern "C" fn io_uring_rs_flush_exit(file: *mut bindings::file) -> core::ffi::c_int {
    // SAFETY: `private_data` holds the `Arc` stored by `io_uring_rs_open`,
    // alive until `release`, which cannot run while the file is flushed.
    let ring = unsafe { ArcBorrow::from_raw((*file).private_data as *const IoRingCtx) };
    let ring: Arc<IoRingCtx> = ring.into();
    // SAFETY: `flush()` runs in process context with no lock held.
    let mut cx = unsafe { TaskCtx::enter() };
    if dev::task_exit(&ring, &mut cx, current_task()).is_err() {
        pr_err!("BUG: task exit did not cancel its inflight requests\n");
    }
    0
}

/// `unlocked_ioctl()`.
///
/// # Safety
///
/// Called by the VFS with an open `file` of this device.
#[no_mangle]
unsafe extern "C" fn io_uring_rs_ioctl(
    file: *mut bindings::file,
    cmd: core::ffi::c_uint,
    arg: core::ffi::c_ulong,
) -> core::ffi::c_long {
    // SAFETY: `private_data` holds the `Arc` stored by `io_uring_rs_open`,
    // alive until `release`, which cannot run during an ioctl on the file.
    let ring = unsafe { ArcBorrow::from_raw((*file).private_data as *const IoRingCtx) };
    // Requests hold the ring: the core takes an `Arc`.
    let ring: Arc<IoRingCtx> = ring.into();
    // SAFETY: An ioctl runs in process context with no lock held.
    let mut cx = unsafe { TaskCtx::enter() };
    match dev::ioctl(&ring, &mut cx, current_task(), cmd, arg as usize) {
        Ok(v) => v as core::ffi::c_long,
        Err(e) => e.to_errno() as core::ffi::c_long,
    }
}

// SAFETY: `IoUringRsSqe` is `repr(C)` of integers with no padding (64
// bytes, checked by the host test against the C header): any bytes are a
// valid value, and it has no uninitialised bytes to leak.
unsafe impl kernel::types::FromBytes for crate::uapi::IoUringRsSqe {}
// SAFETY: As above; 16 bytes of integers, no padding.
unsafe impl kernel::types::AsBytes for crate::uapi::IoUringRsCqe {}
// SAFETY: `repr(C)` integers, no padding (u64 then two u32).
unsafe impl kernel::types::FromBytes for crate::uapi::IoUringRsSubmit {}
// SAFETY: `repr(C)` integers, no padding (u64 then four u32).
unsafe impl kernel::types::FromBytes for crate::uapi::IoUringRsWait {}
// SAFETY: `repr(C)` integers, no padding (two u32).
unsafe impl kernel::types::FromBytes for crate::uapi::IoUringRsCancel {}
// SAFETY: `repr(C)` integers, no padding (two u32).
unsafe impl kernel::types::FromBytes for crate::uapi::IoUringRsChannel {}
// SAFETY: As above.
unsafe impl kernel::types::AsBytes for crate::uapi::IoUringRsChannel {}
// SAFETY: `repr(C)` integers, no padding (two u32).
unsafe impl kernel::types::FromBytes for crate::uapi::IoUringRsChannelWrite {}
// SAFETY: `repr(C)` integers, no padding (eight u32).
unsafe impl kernel::types::AsBytes for crate::uapi::IoUringRsVersion {}
// SAFETY: `repr(C)` integers, no padding (two u32, a u64 at offset 8, two
// u32).
unsafe impl kernel::types::AsBytes for crate::uapi::IoUringRsStats {}
