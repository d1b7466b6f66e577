// SPDX-License-Identifier: GPL-2.0

//! Ring brands: a generative lifetime for each activation of a ring.
//!
//! Zero-sized and safe; in the glue because the chain proofs
//! (`chain.rs`) carry it.
//!
//! A ring cannot carry a lifetime of its own (requests and files hold it by
//! `Arc`), but an activation can: an entry point opens its ring with
//! `Ring::open` or `ReqArc::open` (the model), which run a closure that
//! must work for every lifetime `'id`. Inside, `'id` names that ring and no
//! other: guards, chain proofs and request views carry it, so a proof of
//! one ring used on another ring's request is a type error, at no run-time
//! cost (the brand is zero-sized).

use core::marker::PhantomData;

/// The brand of one ring activation. `'id` is invariant, so two brands are
/// the same type only if they come from the same [`Brand::open`] call.
#[derive(Clone, Copy)]
pub(crate) struct Brand<'id> {
    _invariant: PhantomData<fn(&'id ()) -> &'id ()>,
}

impl Brand<'_> {
    /// Runs `f` with a fresh brand. A brand alone names nothing: only the
    /// model binds one to a ring (`Ring::open`), and no view, guard or proof
    /// of a real ring is ever made with a brand from here.
    pub(crate) fn open<R>(f: impl for<'id> FnOnce(Brand<'id>) -> R) -> R {
        f(Brand {
            _invariant: PhantomData,
        })
    }
}
