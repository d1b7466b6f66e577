// SPDX-License-Identifier: GPL-2.0

//! The host's shared region: zeroed, 8-byte aligned memory that only
//! atomics touch, standing for the pages the module maps into a process.

use crate::glue::context::TaskCtx;
use core::sync::atomic::AtomicU64;
use kernel::prelude::*;

/// A region of `len` bytes (see the module's `glue/region.rs`).
pub(crate) struct Region {
    mem: Box<[AtomicU64]>,
    len: usize,
}

impl Region {
    /// Allocates `len` zeroed bytes.
    pub(crate) fn alloc(_cx: &TaskCtx, len: usize) -> Result<Self> {
        let words = len.div_ceil(8);
        let mem: Box<[AtomicU64]> = (0..words).map(|_| AtomicU64::new(0)).collect();
        Ok(Region { mem, len })
    }

    /// The memory, written only through atomics.
    #[inline]
    pub(crate) fn as_ptr(&self) -> *mut u8 {
        self.mem.as_ptr() as *mut u8
    }

    /// The usable length in bytes.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.len
    }
}
