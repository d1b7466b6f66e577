// SPDX-License-Identifier: GPL-2.0

//! The character device's entry points, called by `io_uring_rs_dev.c`.
//!
//! An open file owns one ring: `open` stores an `Arc` of it in
//! `file->private_data`, `release` takes it back and exits the ring, and
//! `ioctl` borrows it. Everything else is `uring::entry::dev`, in safe Rust.

use crate::glue::context::{SqCtx, TaskCtx};
use crate::glue::kernel_api::{AsBytes, FromBytes};
use crate::uapi::{
    IO_URING_RS_IOC_BLOCKFD, IO_URING_RS_IOC_ENTER, IO_URING_RS_IOC_REGISTER,
    IO_URING_RS_IOC_SETUP, IO_URING_RS_IOC_STATS, IO_URING_RS_IOC_VERSION,
};
use crate::uring::entry::dev;
use crate::uring::model::ring::IoRingCtx;
use core::ffi::{c_uint, c_void};
use core::sync::atomic::{AtomicPtr, Ordering};
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

/// The calling task's thread-group id (`current->tgid`, read in C: see
/// `io_uring_rs_current_tgid()`).
fn current_task() -> u32 {
    // SAFETY: Reads the current task's tgid; valid in any task context.
    unsafe { io_uring_rs_current_tgid() as u32 }
}

extern "C" {
    fn io_uring_rs_current_tgid() -> core::ffi::c_int;
}

/// The ring of `file`: `private_data`, null until the file is set up, then
/// an `Arc` from `Arc::into_raw` that stays until `release`.
///
/// # Safety
///
/// `file` is an open file of this device.
unsafe fn ring_slot<'a>(file: *mut bindings::file) -> &'a AtomicPtr<core::ffi::c_void> {
    // SAFETY: `private_data` is valid for the file's lifetime (function
    // safety); it is only accessed atomically, through this function.
    unsafe { AtomicPtr::from_ptr(&raw mut (*file).private_data) }
}

/// Borrows the ring of `file`, if it has one.
///
/// # Safety
///
/// As [`ring_slot`]; the borrow must end before `release`.
unsafe fn file_ring(file: *mut bindings::file) -> Option<Arc<IoRingCtx>> {
    // SAFETY: Function safety.
    let p = unsafe { ring_slot(file) }.load(Ordering::Acquire);
    if p.is_null() {
        return None;
    }
    // SAFETY: A non-null `private_data` came from `Arc::into_raw` and is
    // only released by `release`, which cannot run while the file is in a
    // system call.
    let ring = unsafe { ArcBorrow::from_raw(p as *const IoRingCtx) };
    Some(ring.into())
}

/// Makes `ring` the ring of `file` unless another thread did first; the
/// winner's ring is returned.
///
/// # Safety
///
/// As [`ring_slot`].
unsafe fn install_ring(file: *mut bindings::file, ring: Arc<IoRingCtx>) -> Result<Arc<IoRingCtx>> {
    let raw = Arc::into_raw(ring) as *mut core::ffi::c_void;
    // SAFETY: Function safety.
    let slot = unsafe { ring_slot(file) };
    match slot.compare_exchange(
        core::ptr::null_mut(),
        raw,
        Ordering::AcqRel,
        Ordering::Acquire,
    ) {
        // SAFETY: Function safety; the ring just stored is the file's.
        Ok(_) => Ok(unsafe { file_ring(file) }.ok_or(EINVAL)?),
        Err(_) => {
            // SAFETY: `raw` came from `Arc::into_raw` above and was not
            // stored.
            dev::discard(unsafe { Arc::from_raw(raw as *const IoRingCtx) });
            Err(EBUSY)
        }
    }
}

/// `open()`: the file has no ring until it is set up.
///
/// # Safety
///
/// Called by `io_uring_rs_dev.c` with a valid `file`.
#[no_mangle]
unsafe extern "C" fn io_uring_rs_open(file: *mut bindings::file) -> core::ffi::c_int {
    // SAFETY: `file` is valid (function safety).
    unsafe { (*file).private_data = core::ptr::null_mut() };
    0
}

/// `release()`: the last file descriptor is gone; exit the ring.
///
/// # Safety
///
/// Called by `io_uring_rs_dev.c` once per successful open, with its `file`.
#[no_mangle]
unsafe extern "C" fn io_uring_rs_release(file: *mut bindings::file) -> core::ffi::c_int {
    // SAFETY: `file` is valid (function safety); nothing else uses it now.
    let p = unsafe { ring_slot(file) }.swap(core::ptr::null_mut(), Ordering::AcqRel);
    if p.is_null() {
        return 0;
    }
    // SAFETY: `private_data` was set from `Arc::into_raw` and is released
    // exactly once, here.
    let ring = unsafe { Arc::from_raw(p as *const IoRingCtx) };
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
/// the task cancels its inflight requests and is recorded as exited; or
/// that execs (`exec`: the file is closed on exec): the task cancels all
/// of its requests. A plain `close()` does nothing (io_uring does not
/// cancel on close) unless it closes the task's last descriptor of the
/// ring ([`io_uring_rs_flush_last`]).
///
/// # Safety
///
/// Called by `io_uring_rs_dev.c` with an open `file` of this device.
#[no_mangle]
unsafe extern "C" fn io_uring_rs_flush_exit(
    file: *mut bindings::file,
    exec: bool,
) -> core::ffi::c_int {
    // SAFETY: `file` is open (function safety); `flush` runs before
    // `release`.
    let Some(ring) = (unsafe { file_ring(file) }) else {
        return 0;
    };
    // SAFETY: `flush()` runs in process context with no lock held.
    let mut cx = unsafe { TaskCtx::enter() };
    if exec {
        if dev::task_exec(&ring, &mut cx, current_task()).is_err() {
            pr_err!("BUG: exec did not cancel the task's requests\n");
        }
    } else if dev::task_exit(&ring, &mut cx, current_task()).is_err() {
        pr_err!("BUG: task exit did not cancel its inflight requests\n");
    }
    0
}

/// `flush()` of a task's last descriptor of the ring, outside exit and
/// exec: no later `flush()` will tell the ring of the task's exit, so the
/// task's inflight requests (those that hold a ring's file, this one's
/// among them) are cancelled now, as its exit would cancel them; else a
/// ring whose own requests hold its file would never be released. The
/// task lives on.
///
/// # Safety
///
/// Called by `io_uring_rs_dev.c` with an open `file` of this device.
#[no_mangle]
unsafe extern "C" fn io_uring_rs_flush_last(file: *mut bindings::file) -> core::ffi::c_int {
    // SAFETY: `file` is open (function safety); `flush` runs before
    // `release`.
    let Some(ring) = (unsafe { file_ring(file) }) else {
        return 0;
    };
    // SAFETY: `flush()` runs in process context with no lock held.
    let mut cx = unsafe { TaskCtx::enter() };
    if dev::task_closed_last(&ring, &mut cx, current_task()).is_err() {
        pr_err!("BUG: the last close did not cancel the task's inflight requests\n");
    }
    0
}

/// `poll()` (`io_uring_poll()`): waits on the ring's poll queue; a file
/// not set up has no ring and no events.
///
/// # Safety
///
/// Called by `io_uring_rs_dev.c` from `->poll()` with its `file` and
/// `pt`.
#[no_mangle]
unsafe extern "C" fn io_uring_rs_poll(file: *mut bindings::file, pt: *mut c_void) -> c_uint {
    // SAFETY: `file` is open (function safety).
    let Some(ring) = (unsafe { file_ring(file) }) else {
        return 0;
    };
    // SAFETY: The arguments of `->poll()`; the queue lives as long as the
    // ring, which the file holds while it is polled.
    unsafe { ring.poll_wq().poll_wait(file.cast(), pt) };
    dev::io_uring_poll_mask(&ring)
}

/// `mmap()`: the region at `offset` of the file's ring, or an `ERR_PTR`.
///
/// # Safety
///
/// Called by `io_uring_rs_dev.c` with an open `file` of this device.
#[no_mangle]
unsafe extern "C" fn io_uring_rs_mmap_region(
    file: *mut bindings::file,
    offset: core::ffi::c_ulong,
) -> *mut core::ffi::c_void {
    // SAFETY: `file` is open and being mapped (function safety).
    let Some(ring) = (unsafe { file_ring(file) }) else {
        return EINVAL.to_ptr();
    };
    match dev::mmap_region(&ring, offset) {
        // The region lives as long as the ring, which the file holds for
        // the whole `mmap()`; the mapping takes its own page references.
        Ok(region) => region.raw(),
        Err(e) => e.to_ptr(),
    }
}

extern "C" {
    fn io_uring_rs_blockf_create() -> core::ffi::c_int;
}

/// `IO_URING_RS_IOC_BLOCKFD`: a new blocking test file's descriptor.
fn blockfd() -> Result<isize> {
    // SAFETY: Makes a file and installs it in the caller's table; no
    // precondition.
    let fd = unsafe { io_uring_rs_blockf_create() };
    if fd < 0 {
        return Err(Error::from_errno(fd));
    }
    Ok(fd as isize)
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
    // SAFETY: An ioctl runs in process context with no lock held.
    let mut cx = unsafe { TaskCtx::enter() };
    // SAFETY: The ioctl's entry point, with no SQ lock held; one per call.
    let sq = unsafe { SqCtx::enter() };
    let arg = arg as usize;
    // SAFETY: `file` is an open file of this device, in an ioctl (function
    // safety): `release` cannot run before the borrow ends.
    let ring = unsafe { file_ring(file) };
    let res = match (cmd, ring) {
        (IO_URING_RS_IOC_STATS, _) => dev::ioctl_stats(arg),
        (IO_URING_RS_IOC_VERSION, _) => dev::ioctl_version(arg),
        (IO_URING_RS_IOC_BLOCKFD, _) => blockfd(),
        (IO_URING_RS_IOC_SETUP, Some(_)) => Err(EBUSY),
        (IO_URING_RS_IOC_SETUP, None) => dev::setup(&cx, arg)
            .and_then(|ring| {
                // SAFETY: As above.
                unsafe { install_ring(file, ring) }
            })
            .and_then(|ring| dev::setup_started(&cx, &ring, current_task()))
            .map(|()| 0),
        (_, Some(ring)) => dev::ioctl(&ring, &mut cx, sq, current_task(), cmd, arg),
        (IO_URING_RS_IOC_ENTER | IO_URING_RS_IOC_REGISTER, None) => {
            Err(crate::uring::model::error::ebadfd())
        }
        (_, None) => Err(ENOTTY),
    };
    match res {
        Ok(v) => v as core::ffi::c_long,
        Err(e) => core::ffi::c_long::from(e.to_errno()),
    }
}

// SAFETY: `repr(C)` integers, no padding (eight u32).
unsafe impl AsBytes for crate::uapi::IoUringRsVersion {}
// SAFETY: `repr(C)` integers, no padding (two u32, a u64 at offset 8, two
// u32).
unsafe impl AsBytes for crate::uapi::IoUringRsStats {}
// SAFETY: `repr(C)` integers, no padding (two u32, a u64).
unsafe impl FromBytes for crate::uapi::IoUringRsSetup {}
// SAFETY: `repr(C)` integers, no padding (four u32, two u64).
unsafe impl FromBytes for crate::uapi::IoUringRsEnter {}
// SAFETY: `repr(C)` integers, no padding (two u32, a u64).
unsafe impl FromBytes for crate::uapi::IoUringRsRegister {}
// SAFETY: `repr(C)` integers, no padding: ten u32, then two offset structs
// of eight u32 and a u64 each (120 bytes, checked against the C header).
unsafe impl FromBytes for crate::uapi::IoUringParams {}
// SAFETY: As above.
unsafe impl AsBytes for crate::uapi::IoUringParams {}
// SAFETY: `repr(C)` integers, no padding (u64, two u32, u64).
unsafe impl FromBytes for crate::uapi::IoUringGeteventsArg {}
// SAFETY: `repr(C)`, two i64.
unsafe impl FromBytes for crate::uapi::KernelTimespec {}
// SAFETY: `repr(C)` integers, no padding (u8, u8, u16, three u32).
unsafe impl AsBytes for crate::uapi::IoUringProbe {}
// SAFETY: `repr(C)` integers, no padding (u8, u8, u16, u32).
unsafe impl AsBytes for crate::uapi::IoUringProbeOp {}
