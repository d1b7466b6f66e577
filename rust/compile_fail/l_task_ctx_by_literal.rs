// SPDX-License-Identifier: GPL-2.0

//! Class 1, spelling: building the contexts by struct literal instead of the
//! `unsafe` constructors: a task context in a timer callback, and a second
//! atomic context (to claim a linked timeout twice). Their fields are
//! private to the glue.
// kbuild
// expect-error: error[E0451]: field `_not_send` of struct `TaskCtx` is private
// expect-error: error[E0451]: field `_not_send` of struct `AtomicCtx` is private

use crate::glue::context::{AtomicCtx, TaskCtx};
use crate::uring::model::ring::Ring;

/// The violation: contexts made from nothing.
#[cfg(bug)]
pub(crate) fn timer_cb(ring: Ring<'_, '_>, cx: AtomicCtx) {
    use core::marker::PhantomData;
    let mut task = TaskCtx {
        _not_send: PhantomData,
    };
    drop(ring.lock_uring(&mut task));
    let mut again = AtomicCtx {
        _not_send: PhantomData,
    };
    drop(ring.lock_timeout(&mut again));
    drop(cx);
}

/// The honest shape: the callback's own context, once.
#[cfg(not(bug))]
pub(crate) fn timer_cb(ring: Ring<'_, '_>, mut cx: AtomicCtx) {
    drop(ring.lock_timeout(&mut cx));
    drop(cx);
}

/// A task context only comes from the caller.
pub(crate) fn task(ring: Ring<'_, '_>, cx: &mut TaskCtx) {
    drop(ring.lock_uring(cx));
}
