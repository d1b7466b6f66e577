// SPDX-License-Identifier: GPL-2.0

//! Class 3, spelling: a chain proof written as a struct literal, to walk a
//! chain under no lock, or to modify it under `uring_lock` alone. The
//! proofs' fields are private to `glue/chain.rs`, and a brand is needed too.
// kbuild
// expect-error: error[E0451]: fields `_guard` and `_brand` of struct `ChainRead` are private
// expect-error: error[E0451]: fields `_guards` and `_brand` of struct `ChainWrite` are private

use crate::glue::context::TaskCtx;
use crate::uring::model::req::{ReqRef, ReqView};
use crate::uring::model::ring::Ring;

/// The violation: proofs from nothing.
#[cfg(bug)]
pub(crate) fn next<'id>(ring: Ring<'_, 'id>, req: &ReqRef<'id>, cx: &mut TaskCtx) -> bool {
    use crate::glue::chain::{ChainRead, ChainWrite};
    use core::marker::PhantomData;
    let read = ChainRead {
        _guard: PhantomData,
        _brand: todo!("any brand"),
    };
    let linked = req.pin().link(&read).is_some();
    let _g = ring.lock_uring(cx);
    let mut write = ChainWrite {
        _guards: PhantomData,
        _brand: todo!("any brand"),
    };
    linked && req.take_link(&mut write).is_some()
}

/// The honest shape: the proofs come from the guards.
#[cfg(not(bug))]
pub(crate) fn next<'id>(ring: Ring<'_, 'id>, req: &ReqRef<'id>, cx: &mut TaskCtx) -> bool {
    let mut g = ring.lock_uring(cx);
    let linked = req.pin().link(&g.chain_read()).is_some();
    let next = req.take_link(&mut g.lock_both().chain_write());
    let taken = next.is_some();
    if let Some(n) = next {
        drop(n.park());
    }
    linked && taken
}
