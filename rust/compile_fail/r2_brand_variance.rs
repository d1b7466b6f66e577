// SPDX-License-Identifier: GPL-2.0

//! Class 4, spelling found by the second attack review: variance. If a
//! brand were covariant, a bound `'a: 'b` (which any two nested lifetimes
//! can be given) would let `Ring<'_, 'a>`, `ReqPin<'_, 'a>` or
//! `ChainRead<'_, 'a>` be used as `'b`: two rings with one name. `Brand`
//! is invariant, and so is everything that carries it.
// kbuild
// expect-error: error: lifetime may not live long enough
// expect-error: function was supposed to return data with lifetime `'a` but it is returning data with lifetime `'b`

use crate::glue::chain::ChainRead;
use crate::uring::model::req::ReqPin;
use crate::uring::model::ring::Ring;

/// The violation: shorten the brand of a ring, a pin and a proof.
#[cfg(bug)]
pub(crate) fn ring<'r, 'a: 'b, 'b>(ring: Ring<'r, 'a>) -> Ring<'r, 'b> {
    ring
}

#[cfg(bug)]
pub(crate) fn pin<'r, 'a: 'b, 'b>(pin: ReqPin<'r, 'a>) -> ReqPin<'r, 'b> {
    pin
}

#[cfg(bug)]
pub(crate) fn proof<'r, 'a: 'b, 'b>(proof: ChainRead<'r, 'a>) -> ChainRead<'r, 'b> {
    proof
}

/// The honest shape: the other lifetimes are covariant; the brand is not.
#[cfg(not(bug))]
pub(crate) fn unify<'r: 's, 's, 'a>(
    ring: Ring<'r, 'a>,
    pin: ReqPin<'r, 'a>,
    proof: ChainRead<'r, 'a>,
) -> (Ring<'s, 'a>, ReqPin<'s, 'a>, ChainRead<'s, 'a>) {
    (ring, pin, proof)
}
