// SPDX-License-Identifier: GPL-2.0

//! The link-chain cell: `req->link`, readable under `uring_lock` OR
//! `timeout_lock`, writable only under both.
//!
//! [`kernel::sync::LockedBy`] expresses "guarded by lock A"; it cannot express
//! the rule of the "Linked request fix" series: iterate a chain holding either
//! lock, modify it holding both. [`ChainCell`] is that rule as a primitive, in
//! the shape of `LockedBy`: it records which two locks own it and checks, on
//! every access, that the proof it is handed borrows a guard of one of them
//! (for reads) or of both (for writes). The proofs borrow the guards, so a
//! guard cannot be dropped while a chain reference obtained through it lives.
//!
//! The one access that holds a single lock and still writes is
//! [`ChainCell::remove_next_dying`]: the linked-timeout timer path detaching itself
//! from a target whose last reference is already gone (commit 3d879647fb03,
//! which restores 447c19f3b507). See `Documentation/locking.rst`.

use crate::glue::atomic::{AtomicU32, Ordering};
use core::cell::UnsafeCell;
use core::marker::PhantomData;
use kernel::sync::lock::{Backend, Guard, Lock};

/// The identity of a lock: its address.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct LockId(usize);

impl LockId {
    /// Returns the identity of `lock`.
    pub(crate) fn of<T: ?Sized, B: Backend>(lock: &Lock<T, B>) -> Self {
        LockId(core::ptr::from_ref(lock) as *const u8 as usize)
    }

    /// Checks that `guard` is a guard of `lock`: the data it dereferences to
    /// lies inside `lock` (distinct locks never overlap).
    fn verified<T, B: Backend>(lock: &Lock<T, B>, guard: &Guard<'_, T, B>) -> Self {
        let start = core::ptr::from_ref(lock) as *const u8 as usize;
        let data = core::ptr::from_ref::<T>(guard) as *const u8 as usize;
        let inside = data >= start && data < start + core::mem::size_of::<Lock<T, B>>().max(1);
        assert!(inside, "chain proof built from a guard of another lock");
        LockId(start)
    }
}

/// Evidence that one lock (`uring_lock` or `timeout_lock`) is held, for as
/// long as `'a`: chains owned by that lock may be read.
pub(crate) struct ChainRead<'a> {
    lock: LockId,
    _guard: PhantomData<&'a ()>,
}

impl<'a> ChainRead<'a> {
    /// Builds a read proof from a guard of `lock`; panics if `guard` does not
    /// belong to `lock`.
    pub(crate) fn new<T, B: Backend>(lock: &'a Lock<T, B>, guard: &'a Guard<'_, T, B>) -> Self {
        ChainRead {
            lock: LockId::verified(lock, guard),
            _guard: PhantomData,
        }
    }
}

/// Evidence that both `uring_lock` and `timeout_lock` are held, exclusively
/// borrowed: chains owned by the pair may be modified.
pub(crate) struct ChainWrite<'a> {
    uring: LockId,
    timeout: LockId,
    _guards: PhantomData<&'a mut ()>,
}

impl<'a> ChainWrite<'a> {
    /// Builds a write proof from guards of both locks; panics if a guard does
    /// not belong to its lock.
    pub(crate) fn new<U, BU: Backend, T, BT: Backend>(
        uring: &'a Lock<U, BU>,
        uring_guard: &'a mut Guard<'_, U, BU>,
        timeout: &'a Lock<T, BT>,
        timeout_guard: &'a mut Guard<'_, T, BT>,
    ) -> Self {
        ChainWrite {
            uring: LockId::verified(uring, uring_guard),
            timeout: LockId::verified(timeout, timeout_guard),
            _guards: PhantomData,
        }
    }
}

/// A request's chain state: its link, owned by the ring's chain locks
/// (readable under either, writable under both), and its reference count.
///
/// # Invariants
///
/// `value` is only accessed through `&T` while `uring` or `timeout` is held,
/// and through `&mut T` while both are held, or (by
/// [`ChainCell::remove_next_dying`]) with `timeout` held and `refs` at zero.
pub(crate) struct ChainCell<T> {
    uring: LockId,
    timeout: LockId,
    refs: Refs,
    value: UnsafeCell<T>,
}

// SAFETY: `&mut T` is handed out only while both owning locks are held, so to
// one thread at a time, which needs `T: Send`. `&T` may be handed out to two
// threads at once (one holding each lock), which needs `T: Sync`.
unsafe impl<T: Send + Sync> Sync for ChainCell<T> {}

impl<T> ChainCell<T> {
    /// Creates a cell owned by the pair (`uring`, `timeout`).
    pub(crate) fn new<U, BU: Backend, TS, BT: Backend>(
        uring: &Lock<U, BU>,
        timeout: &Lock<TS, BT>,
        value: T,
    ) -> Self {
        ChainCell {
            uring: LockId::of(uring),
            timeout: LockId::of(timeout),
            refs: Refs::new(1),
            value: UnsafeCell::new(value),
        }
    }

    /// The request's reference count (`req->refs`).
    pub(crate) fn refs(&self) -> &Refs {
        &self.refs
    }

    /// Takes a reference unless the count already reached zero
    /// (`req_ref_inc_not_zero()`): `Err` proves the request is dying.
    pub(crate) fn inc_not_zero(&self) -> Result<(), DyingTarget> {
        if self.refs.inc_not_zero() {
            Ok(())
        } else {
            Err(DyingTarget {
                cell: core::ptr::from_ref(self) as *const u8 as usize,
            })
        }
    }

    /// Reads the value. Panics if `proof` is for another ring's lock.
    pub(crate) fn get<'a>(&'a self, proof: &'a ChainRead<'_>) -> &'a T {
        assert!(
            proof.lock == self.uring || proof.lock == self.timeout,
            "chain read with a proof of another ring's lock"
        );
        // SAFETY: One of the owning locks is held for as long as `proof`
        // borrows its guard, and writers need both locks (type invariant), so
        // no `&mut T` exists while the returned reference lives.
        unsafe { &*self.value.get() }
    }

    /// Reads the value with no proof and no owner check: the baseline the
    /// host benchmark (P3) compares [`ChainCell::get`] with. Not built into
    /// the module (`MODULE` is set there) and never used by the core.
    ///
    /// # Safety
    ///
    /// No `&mut T` may exist while the returned reference lives.
    #[cfg(not(any(MODULE, loom)))]
    pub(crate) unsafe fn get_unchecked(&self) -> &T {
        // SAFETY: The caller guarantees there is no writer.
        unsafe { &*self.value.get() }
    }

    /// Returns the value mutably. Panics if `proof` is for another ring.
    pub(crate) fn get_mut<'a>(&'a self, proof: &'a mut ChainWrite<'_>) -> &'a mut T {
        assert!(
            proof.uring == self.uring && proof.timeout == self.timeout,
            "chain write with a proof of another ring's locks"
        );
        // SAFETY: Both owning locks are held while `proof` is exclusively
        // borrowed, so no reader (who needs one of them) and no other writer
        // (who needs both) exists while the returned reference lives.
        unsafe { &mut *self.value.get() }
    }
}

impl<R> ChainCell<Option<kernel::sync::Arc<R>>> {
    /// `io_remove_next_linked()` on a dying request, holding only
    /// `timeout_lock`: the linked-timeout timer detaching itself from a
    /// target whose last reference is gone (`io_link_timeout_fn()` after
    /// commit 3d879647fb03). `link_of` returns a request's own cell.
    ///
    /// Sound because of the protocol documented on [`DyingTarget`]: a request
    /// whose references reached zero is reachable only through the thread
    /// that dropped the last one, and that thread modifies or reads the link
    /// only through [`ChainCell::get_mut`], so with `timeout_lock` held too.
    /// The removed request (the linked timeout) is reachable only through
    /// this link and through the timer that holds the claim.
    pub(crate) fn remove_next_dying(
        &self,
        dying: DyingTarget,
        proof: &ChainRead<'_>,
        link_of: fn(&R) -> &ChainCell<Option<kernel::sync::Arc<R>>>,
    ) -> Option<kernel::sync::Arc<R>> {
        assert!(
            dying.cell == core::ptr::from_ref(self) as *const u8 as usize,
            "dying proof of another request"
        );
        assert!(
            proof.lock == self.timeout,
            "dying splice without this ring's timeout_lock"
        );
        // The count is zero (`dying` came from this cell) and `timeout_lock`
        // is held (checked above). By the `DyingTarget` protocol, the only
        // other party that can reach this cell or the next request's uses
        // `get_mut`, which needs `timeout_lock` too.
        // SAFETY: Hence we have exclusive access to both cells' values.
        unsafe {
            let slot = &mut *self.value.get();
            let next = slot.take()?;
            let after = (*link_of(&next).value.get()).take();
            *slot = after;
            Some(next)
        }
    }
}

/// The request reference count (`req->refs`), separate from the memory
/// reference count of the `Arc` that holds the request.
///
/// It decides who performs the completion side of a request
/// (`req_ref_put_and_test()`), and lets the linked-timeout timer pin a target
/// only while it is alive (`req_ref_inc_not_zero()`).
pub(crate) struct Refs(AtomicU32);

impl Refs {
    /// Creates a count of `n` references.
    fn new(n: u32) -> Self {
        Refs(AtomicU32::new(n))
    }

    /// Takes one more reference on a request the caller already holds one on.
    pub(crate) fn get(&self) {
        let old = self.0.fetch_add(1, Ordering::Relaxed);
        assert!(old != 0, "request reference taken after the last put");
    }

    /// Drops a reference; returns whether it was the last.
    pub(crate) fn put_and_test(&self) -> bool {
        let old = self.0.fetch_sub(1, Ordering::AcqRel);
        assert!(old != 0, "request reference put below zero");
        old == 1
    }

    /// Takes a reference unless the count already reached zero; returns
    /// whether it did.
    fn inc_not_zero(&self) -> bool {
        let mut cur = self.0.load(Ordering::Relaxed);
        loop {
            if cur == 0 {
                return false;
            }
            match self
                .0
                .compare_exchange_weak(cur, cur + 1, Ordering::Acquire, Ordering::Relaxed)
            {
                Ok(_) => return true,
                Err(now) => cur = now,
            }
        }
    }
}

/// Proof that [`ChainCell::inc_not_zero`] found a request's count at zero.
///
/// The thread that dropped the last reference is completing the request: it
/// takes `uring_lock` and then `timeout_lock` (`io_req_find_next()` through a
/// [`ChainWrite`]) before it reads the request's link. Until then nobody else
/// can reach the request: it has left every list when it completed, and its
/// predecessor in the chain cleared its link when it was completed before it.
/// So the holder of `timeout_lock` and of this proof may splice the request's
/// link: the completing thread either runs after it (and sees the splice) or
/// has already claimed the linked timeout (and the timer has no claim).
#[must_use = "a dying linked-timeout target must be spliced (447c19f3b507)"]
pub(crate) struct DyingTarget {
    cell: usize,
}
