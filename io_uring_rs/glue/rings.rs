// SPDX-License-Identifier: GPL-2.0

//! The SQ and CQ rings and the SQE array, shared with user space with the
//! layout of Linux 6.12 (`struct io_rings` in `io_uring_types.h`, the
//! offsets reported in `struct io_uring_params`).
//!
//! User space may write any byte of the shared memory at any time, so every
//! access is an atomic load or store of an aligned word (C's `READ_ONCE()`
//! / `WRITE_ONCE()`, `smp_load_acquire()` / `smp_store_release()` on the
//! heads and tails); an index read from the memory is masked or checked
//! before use. Nothing here trusts a value user space can write.

use super::region::Region;
use crate::glue::context::TaskCtx;
use crate::uapi::{IoUringCqe, IoUringSqe};
use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use kernel::prelude::*;

/// `offsetof(struct io_rings, sq.head)`.
pub(crate) const SQ_HEAD: u32 = 0;
/// `sq.tail`.
pub(crate) const SQ_TAIL: u32 = 4;
/// `cq.head`.
pub(crate) const CQ_HEAD: u32 = 8;
/// `cq.tail`.
pub(crate) const CQ_TAIL: u32 = 12;
/// `sq_ring_mask`.
pub(crate) const SQ_RING_MASK: u32 = 16;
/// `cq_ring_mask`.
pub(crate) const CQ_RING_MASK: u32 = 20;
/// `sq_ring_entries`.
pub(crate) const SQ_RING_ENTRIES: u32 = 24;
/// `cq_ring_entries`.
pub(crate) const CQ_RING_ENTRIES: u32 = 28;
/// `sq_dropped`.
pub(crate) const SQ_DROPPED: u32 = 32;
/// `sq_flags`.
pub(crate) const SQ_FLAGS: u32 = 36;
/// `cq_flags`.
// Used by the device calls (`entry/dev.rs`), which the host mirror lacks.
#[cfg_attr(not(MODULE), allow(dead_code))]
pub(crate) const CQ_FLAGS: u32 = 40;
/// `cq_overflow`.
pub(crate) const CQ_OVERFLOW: u32 = 44;
/// `cqes`, cache-line aligned.
pub(crate) const CQES: u32 = 64;

/// `-EOVERFLOW`: ring sizes whose memory size overflows.
fn eoverflow() -> Error {
    Error::from_errno(-(kernel::bindings::EOVERFLOW as i32))
}

const SQE_SIZE: usize = core::mem::size_of::<IoUringSqe>();
const CQE_SIZE: usize = core::mem::size_of::<IoUringCqe>();

/// `rings_size()`: the size of the rings and the offset of the SQ array,
/// which follows the CQEs at the next cache line.
fn rings_size(sq_entries: u32, cq_entries: u32) -> Option<(usize, usize)> {
    let cqes_end = (CQES as usize).checked_add((cq_entries as usize).checked_mul(CQE_SIZE)?)?;
    let array = cqes_end.checked_add(63)? & !63;
    let size = array.checked_add((sq_entries as usize).checked_mul(4)?)?;
    Some((size, array))
}

/// The shared rings of one io_uring instance.
///
/// # Invariants
///
/// `sq_entries` and `cq_entries` are powers of two; `rings` holds
/// [`rings_size`] bytes with the SQ array at `sq_array`, and `sqes`
/// `sq_entries` entries.
pub(crate) struct SharedRings {
    rings: Region,
    sqes: Region,
    sq_entries: u32,
    cq_entries: u32,
    sq_array: usize,
}

impl SharedRings {
    /// Allocates the rings (`io_allocate_scq_urings()`) and writes their
    /// constant fields. The sizes must be powers of two (`-EINVAL`).
    pub(crate) fn new(cx: &TaskCtx, sq_entries: u32, cq_entries: u32) -> Result<Self> {
        if !sq_entries.is_power_of_two() || !cq_entries.is_power_of_two() {
            return Err(EINVAL);
        }
        let (size, sq_array) = rings_size(sq_entries, cq_entries).ok_or_else(eoverflow)?;
        let sqes_size = (sq_entries as usize)
            .checked_mul(SQE_SIZE)
            .ok_or_else(eoverflow)?;
        let rings = Region::alloc(cx, size)?;
        let sqes = Region::alloc(cx, sqes_size)?;
        let r = SharedRings {
            rings,
            sqes,
            sq_entries,
            cq_entries,
            sq_array,
        };
        r.word(SQ_RING_MASK as usize)
            .store(sq_entries - 1, Ordering::Relaxed);
        r.word(CQ_RING_MASK as usize)
            .store(cq_entries - 1, Ordering::Relaxed);
        r.word(SQ_RING_ENTRIES as usize)
            .store(sq_entries, Ordering::Relaxed);
        r.word(CQ_RING_ENTRIES as usize)
            .store(cq_entries, Ordering::Relaxed);
        Ok(r)
    }

    /// The `u32` at byte offset `off` of the rings.
    ///
    /// # Panics
    ///
    /// If `off` is not 4-aligned or not inside the rings: callers pass
    /// constants and masked indices, so this is a bug in this file.
    #[allow(clippy::manual_is_multiple_of)] // The kernel's MSRV predates it.
    #[inline]
    fn word(&self, off: usize) -> &AtomicU32 {
        assert!(off % 4 == 0 && off + 4 <= self.rings.len());
        // SAFETY: `off` is in bounds and aligned (checked above; the region
        // is page aligned), the region lives as long as `self`, and all
        // accesses to it are atomic.
        unsafe { AtomicU32::from_ptr(self.rings.as_ptr().add(off).cast()) }
    }

    /// The `u64` at byte offset `off` of `region`.
    ///
    /// # Panics
    ///
    /// If `off` is not 8-aligned or not inside `region` (a bug here).
    #[allow(clippy::manual_is_multiple_of)] // The kernel's MSRV predates it.
    #[inline]
    fn dword(region: &Region, off: usize) -> &AtomicU64 {
        assert!(off % 8 == 0 && off + 8 <= region.len());
        // SAFETY: As in `word`.
        unsafe { AtomicU64::from_ptr(region.as_ptr().add(off).cast()) }
    }

    /// The eight `u64` of SQE `idx` in `region`: one bounds check for the
    /// entry, where reading it word by word would check each.
    ///
    /// # Panics
    ///
    /// If the entry is not inside `region` (a bug here).
    #[inline]
    fn sqe_words(region: &Region, idx: usize) -> &[AtomicU64; 8] {
        let off = idx * SQE_SIZE;
        assert!(off + SQE_SIZE <= region.len());
        // The region is page aligned and `SQE_SIZE` is 64: the entry is
        // 8-aligned, and `[AtomicU64; 8]` is 64 bytes, 8-aligned.
        // SAFETY: In bounds (checked above) and aligned; the region outlives
        // `region`'s borrow, and every access to it is atomic.
        unsafe { &*region.as_ptr().add(off).cast::<[AtomicU64; 8]>() }
    }

    /// SQ size (`sq_entries`).
    pub(crate) fn sq_entries(&self) -> u32 {
        self.sq_entries
    }

    /// CQ size (`cq_entries`).
    pub(crate) fn cq_entries(&self) -> u32 {
        self.cq_entries
    }

    /// Byte offset of the SQ array (`sq_off.array`).
    // Used by the device calls (`entry/dev.rs`), which the host mirror lacks.
    #[cfg_attr(not(MODULE), allow(dead_code))]
    pub(crate) fn sq_array_offset(&self) -> u32 {
        self.sq_array as u32
    }

    /// The SQ tail user space published (`smp_load_acquire()`).
    pub(crate) fn sq_tail(&self) -> u32 {
        self.word(SQ_TAIL as usize).load(Ordering::Acquire)
    }

    /// Publishes the SQ tail (in-kernel submitters only).
    pub(crate) fn set_sq_tail(&self, tail: u32) {
        self.word(SQ_TAIL as usize).store(tail, Ordering::Release);
    }

    /// The SQ head as last published.
    pub(crate) fn sq_head(&self) -> u32 {
        self.word(SQ_HEAD as usize).load(Ordering::Acquire)
    }

    /// `sq_dropped`.
    pub(crate) fn sq_dropped(&self) -> u32 {
        self.word(SQ_DROPPED as usize).load(Ordering::Relaxed)
    }

    /// Publishes the SQ head: the entries before it may be reused
    /// (`smp_store_release()`).
    pub(crate) fn set_sq_head(&self, head: u32) {
        self.word(SQ_HEAD as usize).store(head, Ordering::Release);
    }

    /// `sq_array[pos & mask]`: the SQE index user space put there.
    pub(crate) fn sq_array(&self, pos: u32) -> u32 {
        let slot = (pos & (self.sq_entries - 1)) as usize;
        self.word(self.sq_array + 4 * slot).load(Ordering::Relaxed)
    }

    /// Stores `sq_array[pos & mask]` (in-kernel submitters only).
    pub(crate) fn set_sq_array(&self, pos: u32, idx: u32) {
        let slot = (pos & (self.sq_entries - 1)) as usize;
        self.word(self.sq_array + 4 * slot)
            .store(idx, Ordering::Relaxed);
    }

    /// A copy of SQE `idx`, or `None` if `idx` is out of range.
    pub(crate) fn sqe(&self, idx: u32) -> Option<IoUringSqe> {
        if idx >= self.sq_entries {
            return None;
        }
        let mut w = [0u64; 8];
        for (w, a) in w.iter_mut().zip(Self::sqe_words(&self.sqes, idx as usize)) {
            *w = a.load(Ordering::Relaxed);
        }
        Some(sqe_from_words(&w))
    }

    /// Stores SQE `idx` (in-kernel submitters only).
    ///
    /// # Panics
    ///
    /// If `idx` is not below `sq_entries`.
    pub(crate) fn set_sqe(&self, idx: u32, sqe: &IoUringSqe) {
        assert!(idx < self.sq_entries);
        let base = idx as usize * SQE_SIZE;
        for (i, w) in sqe_to_words(sqe).iter().enumerate() {
            Self::dword(&self.sqes, base + 8 * i).store(*w, Ordering::Relaxed);
        }
    }

    /// Counts an SQ entry with an invalid index (`sq_dropped`).
    pub(crate) fn inc_sq_dropped(&self) {
        self.word(SQ_DROPPED as usize)
            .fetch_add(1, Ordering::Relaxed);
    }

    /// Sets `bits` in the SQ ring's flags (`atomic_or()`, then
    /// `smp_mb__after_atomic()`): sequentially consistent, so an SQ tail
    /// read after it and a flags read after the tail's store (user space
    /// puts a full barrier between them) cannot both miss the other side.
    pub(crate) fn set_sq_flags(&self, bits: u32) {
        self.word(SQ_FLAGS as usize)
            .fetch_or(bits, Ordering::SeqCst);
    }

    /// Clears `bits` in the SQ ring's flags (`atomic_andnot()`).
    pub(crate) fn clear_sq_flags(&self, bits: u32) {
        self.word(SQ_FLAGS as usize)
            .fetch_and(!bits, Ordering::AcqRel);
    }

    /// The SQ ring's flags.
    pub(crate) fn sq_flags(&self) -> u32 {
        self.word(SQ_FLAGS as usize).load(Ordering::Acquire)
    }

    /// The CQ head user space published (`smp_load_acquire()`: the CQEs
    /// before it were read, so their slots may be written).
    pub(crate) fn cq_head(&self) -> u32 {
        self.word(CQ_HEAD as usize).load(Ordering::Acquire)
    }

    /// Consumes CQEs up to `head` (in-kernel reapers only).
    pub(crate) fn set_cq_head(&self, head: u32) {
        self.word(CQ_HEAD as usize).store(head, Ordering::Release);
    }

    /// The CQ tail as last published.
    pub(crate) fn cq_tail(&self) -> u32 {
        self.word(CQ_TAIL as usize).load(Ordering::Acquire)
    }

    /// Publishes the CQ tail: the CQEs before it are written
    /// (`smp_store_release()`).
    pub(crate) fn set_cq_tail(&self, tail: u32) {
        self.word(CQ_TAIL as usize).store(tail, Ordering::Release);
    }

    /// The fields of the CQE at position `pos` (masked): `user_data`, `res`
    /// and `flags`, with one bounds check for the entry.
    ///
    /// # Panics
    ///
    /// If the entry is not inside the rings (a bug here: `cq_entries` is a
    /// power of two the region was sized for).
    #[allow(clippy::manual_is_multiple_of)] // The kernel's MSRV predates it.
    #[inline]
    fn cqe_fields(&self, pos: u32) -> (&AtomicU64, &AtomicU32, &AtomicU32) {
        let off = CQES as usize + (pos & (self.cq_entries - 1)) as usize * CQE_SIZE;
        assert!(off % 8 == 0 && off + CQE_SIZE <= self.rings.len());
        // The entry is in bounds and 8-aligned (checked above; the region is
        // page aligned), so its fields at 0, 8 and 12 are in bounds and
        // aligned for their types; the region lives as long as `self`, and
        // all accesses to it are atomic.
        let p = self.rings.as_ptr();
        // SAFETY: `user_data`, at `off`: in bounds and aligned (above).
        let user_data = unsafe { AtomicU64::from_ptr(p.add(off).cast()) };
        // SAFETY: `res`, at `off + 8`: in bounds and aligned (above).
        let res = unsafe { AtomicU32::from_ptr(p.add(off + 8).cast()) };
        // SAFETY: `flags`, at `off + 12`: in bounds and aligned (above).
        let flags = unsafe { AtomicU32::from_ptr(p.add(off + 12).cast()) };
        (user_data, res, flags)
    }

    /// Writes the CQE at position `pos` (masked).
    #[inline]
    pub(crate) fn set_cqe(&self, pos: u32, cqe: &IoUringCqe) {
        let (user_data, res, flags) = self.cqe_fields(pos);
        user_data.store(cqe.user_data, Ordering::Relaxed);
        res.store(cqe.res as u32, Ordering::Relaxed);
        flags.store(cqe.flags, Ordering::Relaxed);
    }

    /// Reads the CQE at position `pos` (masked; in-kernel reapers only).
    pub(crate) fn cqe(&self, pos: u32) -> IoUringCqe {
        let (user_data, res, flags) = self.cqe_fields(pos);
        IoUringCqe {
            user_data: user_data.load(Ordering::Relaxed),
            res: res.load(Ordering::Relaxed) as i32,
            flags: flags.load(Ordering::Relaxed),
        }
    }

    /// Counts a completion lost for want of memory (`cq_overflow`, as
    /// `io_account_cq_overflow()`).
    pub(crate) fn inc_cq_overflow(&self) {
        self.word(CQ_OVERFLOW as usize)
            .fetch_add(1, Ordering::Relaxed);
    }

    /// The rings' region (`IORING_OFF_SQ_RING`, `IORING_OFF_CQ_RING`).
    // Used by the device calls (`entry/dev.rs`), which the host mirror lacks.
    #[cfg_attr(not(MODULE), allow(dead_code))]
    pub(crate) fn rings_region(&self) -> &Region {
        &self.rings
    }

    /// The SQE array's region (`IORING_OFF_SQES`).
    // Used by the device calls (`entry/dev.rs`), which the host mirror lacks.
    #[cfg_attr(not(MODULE), allow(dead_code))]
    pub(crate) fn sqes_region(&self) -> &Region {
        &self.sqes
    }
}

/// Decodes `struct io_uring_sqe` from its eight little-endian words.
fn sqe_from_words(w: &[u64; 8]) -> IoUringSqe {
    IoUringSqe {
        opcode: w[0] as u8,
        flags: (w[0] >> 8) as u8,
        ioprio: (w[0] >> 16) as u16,
        fd: (w[0] >> 32) as i32,
        off: w[1],
        addr: w[2],
        len: w[3] as u32,
        op_flags: (w[3] >> 32) as u32,
        user_data: w[4],
        buf_index: w[5] as u16,
        personality: (w[5] >> 16) as u16,
        splice_fd_in: (w[5] >> 32) as u32,
        addr3: w[6],
        pad2: w[7],
    }
}

/// Encodes `sqe` as [`sqe_from_words`] decodes it.
fn sqe_to_words(s: &IoUringSqe) -> [u64; 8] {
    [
        u64::from(s.opcode)
            | u64::from(s.flags) << 8
            | u64::from(s.ioprio) << 16
            | u64::from(s.fd as u32) << 32,
        s.off,
        s.addr,
        u64::from(s.len) | u64::from(s.op_flags) << 32,
        s.user_data,
        u64::from(s.buf_index) | u64::from(s.personality) << 16 | u64::from(s.splice_fd_in) << 32,
        s.addr3,
        s.pad2,
    ]
}
