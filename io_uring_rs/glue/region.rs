// SPDX-License-Identifier: GPL-2.0

//! Pages shared with user space (io_uring's `io_pages_map()`), allocated
//! and mapped by `io_uring_rs_dev.c`: zeroed, charged to the caller's
//! memory cgroup, contiguous in the kernel, and `mmap()`ed by the process.

use crate::glue::context::TaskCtx;
use core::ffi::c_void;
use core::ptr::NonNull;
use kernel::prelude::*;

extern "C" {
    fn io_uring_rs_region_alloc(size: usize) -> *mut c_void;
    fn io_uring_rs_region_free(r: *mut c_void);
    fn io_uring_rs_region_ptr(r: *mut c_void) -> *mut c_void;
}

/// A region of `len` bytes shared with user space.
///
/// # Invariants
///
/// `raw` is a live `struct io_uring_rs_region` owned by this value, and
/// `ptr` its kernel mapping of at least `len` bytes, page aligned, valid
/// until drop. User space may write it at any time: it is only accessed
/// through atomics (`rings.rs`).
pub(crate) struct Region {
    raw: NonNull<c_void>,
    ptr: NonNull<u8>,
    len: usize,
}

// SAFETY: The region is plain memory owned by this value; every access
// through `as_ptr` is atomic.
unsafe impl Send for Region {}
// SAFETY: As above.
unsafe impl Sync for Region {}

impl Region {
    /// Allocates `len` zeroed bytes (rounded up to pages); it may sleep.
    pub(crate) fn alloc(_cx: &TaskCtx, len: usize) -> Result<Self> {
        // SAFETY: Any size is accepted; NULL means failure.
        let raw = NonNull::new(unsafe { io_uring_rs_region_alloc(len) }).ok_or(ENOMEM)?;
        // SAFETY: `raw` was just allocated and is live.
        let ptr = unsafe { io_uring_rs_region_ptr(raw.as_ptr()) };
        let ptr = NonNull::new(ptr.cast::<u8>()).ok_or(ENOMEM)?;
        Ok(Region { raw, ptr, len })
    }

    /// The kernel mapping (see the type invariants).
    #[inline]
    pub(crate) fn as_ptr(&self) -> *mut u8 {
        self.ptr.as_ptr()
    }

    /// The usable length in bytes.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The C region, for `mmap()` (`io_uring_rs_dev.c`).
    pub(crate) fn raw(&self) -> *mut c_void {
        self.raw.as_ptr()
    }
}

impl Drop for Region {
    fn drop(&mut self) {
        // SAFETY: `raw` is owned by this value (type invariants) and freed
        // once, here; user mappings hold their own page references.
        unsafe { io_uring_rs_region_free(self.raw.as_ptr()) };
    }
}
