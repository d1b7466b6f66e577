// SPDX-License-Identifier: GPL-2.0

//! The link-chain cell: `req->link` and `req->refs`.
//!
//! The rule of the "Linked request fix" series: a chain may be walked holding
//! `uring_lock` OR `timeout_lock`, and modified only holding both.
//! [`kernel::sync::LockedBy`] expresses "guarded by lock A" with a run-time
//! owner compare; [`ChainCell`] expresses the two-lock rule with no run-time
//! check at all:
//!
//! * Only the model can use any of it: every constructor and method takes a
//!   witness (`Linked::Witness`) of which only the model can make a value,
//!   and the one `Linked` type is the model's request (an `unsafe` trait:
//!   the core cannot implement it).
//! * The proofs ([`ChainRead`], [`TimeoutRead`], [`ChainWrite`],
//!   [`TimeoutWrite`]) are zero-sized. The model's lock guards build them
//!   from a borrow of the locked state and the ring's brand `'id`, and hand
//!   a cell out only through a request view of the same brand, so a proof
//!   of ring A never meets a cell of ring B.
//! * The link owns one reference (`req->refs`) of the next request: the
//!   chain is a list of reference tokens. The cell offers no way to store an
//!   arbitrary value: a link is set at construction (to an older request)
//!   and afterwards only taken or spliced, so chains stay acyclic and no
//!   request links to itself.
//! * The count is changed only through the model's tokens. A request whose
//!   count reached zero has no token and no parked reference left, and a
//!   chain read under `uring_lock` alone needs a token-backed view; so a
//!   holder of `timeout_lock` and of a [`DyingTarget`] has the dying
//!   request's link to itself ([`DyingTarget::splice`], commit 3d879647fb03
//!   restoring 447c19f3b507). See `Documentation/locking.rst`.

use crate::glue::atomic::{AtomicU32, Ordering};
use crate::glue::brand::Brand;
use core::cell::UnsafeCell;
use core::marker::PhantomData;
use kernel::sync::Arc;

/// A type linked by [`ChainCell`]s, and what it takes to use them.
///
/// Every method of the cells and every constructor of the proofs takes a
/// `&Self::Witness`, so only the code that can make a witness can use them.
///
/// # Safety
///
/// Implemented once, by the glue, for the model's request type: its
/// `Witness` is a type of which only the model can make a value, and
/// [`Linked::chain`] returns the object's own cell.
pub(crate) unsafe trait Linked: Sized {
    /// The type of the witness.
    type Witness;

    /// The object's cell.
    fn chain(&self) -> &ChainCell<Self>;
}

/// Evidence that `uring_lock` or `timeout_lock` of ring `'id` is held for
/// `'a`: its chains may be read.
pub(crate) struct ChainRead<'a, 'id> {
    _guard: PhantomData<&'a ()>,
    _brand: Brand<'id>,
}

impl<'a, 'id> ChainRead<'a, 'id> {
    /// The read proof of a `uring_lock` guard of ring `'id`: `_g` is the
    /// state it locks. Only the holder of `R`'s witness can make one.
    pub(crate) fn of_uring<R: Linked>(
        _w: &R::Witness,
        _g: &'a impl Sized,
        brand: Brand<'id>,
    ) -> Self {
        ChainRead {
            _guard: PhantomData,
            _brand: brand,
        }
    }
}

/// Evidence that `timeout_lock` of ring `'id` is held for `'a`: its chains
/// may be read, including the links of requests no token pins.
pub(crate) struct TimeoutRead<'a, 'id> {
    read: ChainRead<'a, 'id>,
}

impl<'a, 'id> TimeoutRead<'a, 'id> {
    /// The read proof of a `timeout_lock` guard of ring `'id`.
    pub(crate) fn of_timeout<R: Linked>(
        _w: &R::Witness,
        _g: &'a impl Sized,
        brand: Brand<'id>,
    ) -> Self {
        TimeoutRead {
            read: ChainRead {
                _guard: PhantomData,
                _brand: brand,
            },
        }
    }
}

impl<'a, 'id> core::ops::Deref for TimeoutRead<'a, 'id> {
    type Target = ChainRead<'a, 'id>;

    fn deref(&self) -> &ChainRead<'a, 'id> {
        &self.read
    }
}

/// Evidence that `timeout_lock` of ring `'id` is held, exclusively
/// borrowed: the state it protects in requests may be modified.
pub(crate) struct TimeoutWrite<'a, 'id> {
    _guard: PhantomData<&'a mut ()>,
    _brand: Brand<'id>,
}

impl<'a, 'id> TimeoutWrite<'a, 'id> {
    /// The write proof of an exclusively borrowed `timeout_lock` guard.
    pub(crate) fn of_timeout<R: Linked>(
        _w: &R::Witness,
        _g: &'a mut impl Sized,
        brand: Brand<'id>,
    ) -> Self {
        TimeoutWrite {
            _guard: PhantomData,
            _brand: brand,
        }
    }
}

/// Evidence that both `uring_lock` and `timeout_lock` of ring `'id` are
/// held, exclusively borrowed: its chains may be modified.
pub(crate) struct ChainWrite<'a, 'id> {
    _guards: PhantomData<&'a mut ()>,
    _brand: Brand<'id>,
}

impl<'a, 'id> ChainWrite<'a, 'id> {
    /// The write proof of exclusively borrowed guards of both chain locks.
    pub(crate) fn of_both<R: Linked>(
        _w: &R::Witness,
        _u: &'a mut impl Sized,
        _t: &'a mut impl Sized,
        brand: Brand<'id>,
    ) -> Self {
        ChainWrite {
            _guards: PhantomData,
            _brand: brand,
        }
    }
}

/// A request's chain state: its link, which owns one reference of the next
/// request, and its reference count.
///
/// # Invariants
///
/// * `next` is read only while `uring_lock` or `timeout_lock` of the owning
///   ring is held, and written only while both are held, or by
///   [`DyingTarget::splice`] with `timeout_lock` held and `refs` at zero.
/// * `refs` counts the reference tokens of the request that exist, plus
///   `parked`; once it is zero it stays zero.
/// * A chain built from cells is acyclic: `next` is set at construction to
///   an existing request and is afterwards only taken or spliced.
pub(crate) struct ChainCell<R> {
    refs: AtomicU32,
    parked: AtomicU32,
    next: UnsafeCell<Option<Arc<R>>>,
}

// SAFETY: `&mut Option<Arc<R>>` is handed out only with both owning locks
// held (or to the dying splice, which excludes every other access), so to one
// thread at a time, which needs `Arc<R>: Send`. `&Option<Arc<R>>` may be
// handed to two threads at once (one holding each lock), which needs
// `Arc<R>: Sync`. The counts are atomics.
unsafe impl<R: Send + Sync> Sync for ChainCell<R> {}

impl<R: Linked> ChainCell<R> {
    /// Creates the cell of a request whose link owns `next`'s token, with one
    /// reference: the token the creator receives.
    pub(crate) fn new(_w: &R::Witness, next: Option<Arc<R>>) -> Self {
        ChainCell {
            refs: AtomicU32::new(1),
            parked: AtomicU32::new(0),
            next: UnsafeCell::new(next),
        }
    }

    /// The next request.
    pub(crate) fn next<'a>(
        &'a self,
        _w: &R::Witness,
        _proof: &'a ChainRead<'_, '_>,
    ) -> Option<&'a Arc<R>> {
        // SAFETY: One of the owning locks is held while `_proof` lives, and
        // writers need both (type invariant), so no `&mut` exists meanwhile.
        // The dying splice excludes this read: see `DyingTarget`.
        unsafe { (*self.next.get()).as_ref() }
    }

    fn next_mut<'a>(&'a self, _proof: &'a mut ChainWrite<'_, '_>) -> &'a mut Option<Arc<R>> {
        // SAFETY: Both owning locks are held while `_proof` is exclusively
        // borrowed: no reader (who needs one) and no other writer exists.
        unsafe { &mut *self.next.get() }
    }

    /// Takes the link (and the next request's token) out.
    pub(crate) fn take(&self, _w: &R::Witness, proof: &mut ChainWrite<'_, '_>) -> Option<Arc<R>> {
        self.next_mut(proof).take()
    }

    /// Unlinks the next request and links the one after it instead
    /// (`io_remove_next_linked()`); returns the removed request's token.
    pub(crate) fn remove_next(
        &self,
        _w: &R::Witness,
        proof: &mut ChainWrite<'_, '_>,
    ) -> Option<Arc<R>> {
        let nxt = self.next_mut(proof).take()?;
        let after = nxt.chain().next_mut(proof).take();
        *self.next_mut(proof) = after;
        Some(nxt)
    }

    /// Takes one more reference (`req_ref_get()`). The caller holds a token.
    pub(crate) fn ref_get(&self, _w: &R::Witness) {
        let old = self.refs.fetch_add(1, Ordering::Relaxed);
        debug_assert!(old != 0, "request reference taken after the last put");
    }

    /// Drops a reference; returns whether it was the last
    /// (`req_ref_put_and_test()`). The caller gives up a token.
    pub(crate) fn ref_put_and_test(&self, _w: &R::Witness) -> bool {
        let old = self.refs.fetch_sub(1, Ordering::AcqRel);
        debug_assert!(old != 0, "request reference put below zero");
        old == 1
    }

    /// Takes a reference unless the count reached zero
    /// (`req_ref_inc_not_zero()`), with `timeout_lock` held; `Err` is the
    /// evidence that the request is dying.
    pub(crate) fn ref_inc_not_zero<'c>(
        &'c self,
        _w: &R::Witness,
        _t: &TimeoutRead<'_, '_>,
    ) -> Result<(), DyingTarget<'c, R>> {
        let mut cur = self.refs.load(Ordering::Relaxed);
        loop {
            if cur == 0 {
                return Err(DyingTarget { cell: self });
            }
            match self.refs.compare_exchange_weak(
                cur,
                cur + 1,
                Ordering::Acquire,
                Ordering::Relaxed,
            ) {
                Ok(_) => return Ok(()),
                Err(now) => cur = now,
            }
        }
    }

    /// Parks a token in the request itself (for a work item that holds only
    /// the request's memory); the count does not change.
    pub(crate) fn park(&self, _w: &R::Witness) {
        self.parked.fetch_add(1, Ordering::Relaxed);
    }

    /// Takes a parked token back; false if none is parked.
    pub(crate) fn unpark(&self, _w: &R::Witness) -> bool {
        self.parked
            .fetch_update(Ordering::Acquire, Ordering::Relaxed, |n| n.checked_sub(1))
            .is_ok()
    }

    /// Whether exactly one reference exists (read under `timeout_lock`).
    fn sole_ref(&self) -> bool {
        self.refs.load(Ordering::Acquire) == 1
    }
}

/// The next request of `r`, with no proof: the baseline the host benchmark
/// (P3) compares [`ChainCell::next`] with. Not in the module's build.
///
/// # Safety
///
/// No `&mut` to the link may exist while the returned reference lives.
#[cfg(not(any(MODULE, loom)))]
pub(crate) unsafe fn next_unchecked<R: Linked>(r: &R) -> Option<&Arc<R>> {
    // SAFETY: The caller guarantees there is no writer.
    unsafe { (*r.chain().next.get()).as_ref() }
}

/// Evidence that a request's reference count was found at zero under
/// `timeout_lock` (by [`ChainCell::ref_inc_not_zero`]). Neither `Copy` nor
/// `Clone`; borrows the dying request's cell; consumed by
/// [`DyingTarget::splice`].
///
/// A count of zero stays zero, and with it no token of the request and no
/// parked reference exists; every view that reads a link under `uring_lock`
/// alone is backed by a token. So the holder of `timeout_lock` excludes every
/// other access to this request's link.
#[must_use = "a dying linked-timeout target must be spliced (447c19f3b507)"]
pub(crate) struct DyingTarget<'c, R> {
    cell: &'c ChainCell<R>,
}

impl<R: Linked> DyingTarget<'_, R> {
    /// `io_remove_next_linked()` on the dying request, holding only
    /// `timeout_lock`: unlinks its next request `lt` (which must be the next)
    /// and returns `lt`'s token. Returns `None` if `lt` is not the next.
    ///
    /// The links of both requests are modified. The dying request's is its
    /// own (see above). `lt`'s is read under `uring_lock` alone only through
    /// a token of `lt`: if its count is one, that token is the link being
    /// taken here, and a new one can only be made from a token-backed view,
    /// which needs the dying request; then `lt`'s link is spliced too.
    /// Otherwise (no path of the core makes one) `lt` keeps the rest of the
    /// chain.
    pub(crate) fn splice(
        self,
        _w: &R::Witness,
        lt: &R,
        _t: &TimeoutRead<'_, '_>,
    ) -> Option<Arc<R>> {
        // SAFETY: See above: with `timeout_lock` held and the count at zero,
        // this is the only access to the dying request's link.
        let slot = unsafe { &mut *self.cell.next.get() };
        if !slot.as_deref().is_some_and(|n| core::ptr::eq(n, lt)) {
            return None;
        }
        let next = slot.take()?;
        let next_cell = next.chain();
        if next_cell.sole_ref() {
            // SAFETY: See above: the only token of `lt` is `next`, held here.
            *slot = unsafe { &mut *next_cell.next.get() }.take();
        }
        Some(next)
    }
}

/// State in a request that `timeout_lock` protects, read and written only
/// through the proofs of that lock: the replacement of a `LockedBy` whose
/// owner is checked at run time.
///
/// # Invariants
///
/// `value` is accessed only while `timeout_lock` of the owning ring is held:
/// shared through a [`TimeoutRead`], exclusively through a [`TimeoutWrite`].
pub(crate) struct TimeoutCell<T> {
    value: UnsafeCell<T>,
}

// SAFETY: Access needs `timeout_lock`, held by one thread at a time.
unsafe impl<T: Send> Sync for TimeoutCell<T> {}

impl<T> TimeoutCell<T> {
    /// Creates a cell holding `value`.
    pub(crate) fn new(value: T) -> Self {
        TimeoutCell {
            value: UnsafeCell::new(value),
        }
    }

    /// Shared access, for the holder of `R`'s witness.
    pub(crate) fn get<'a, R: Linked>(
        &'a self,
        _w: &R::Witness,
        _proof: &'a TimeoutRead<'_, '_>,
    ) -> &'a T {
        // SAFETY: `timeout_lock` is held and no `TimeoutWrite` exists while
        // a `TimeoutRead` of the same guard does.
        unsafe { &*self.value.get() }
    }

    /// Exclusive access, for the holder of `R`'s witness.
    pub(crate) fn get_mut<'a, R: Linked>(
        &'a self,
        _w: &R::Witness,
        _proof: &'a mut TimeoutWrite<'_, '_>,
    ) -> &'a mut T {
        // SAFETY: `timeout_lock` is held and its write proof is exclusively
        // borrowed for as long as the returned reference lives.
        unsafe { &mut *self.value.get() }
    }
}
