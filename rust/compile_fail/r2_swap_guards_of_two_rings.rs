// SPDX-License-Identifier: GPL-2.0

//! Class 4, spelling found by the second attack review: `mem::swap` of two
//! rings' guards (or request views), so that ring A's name holds ring B's
//! lock and the next proof made "from A" locks B. Brands are invariant:
//! two guards or views of different rings are different types.
// kbuild
// expect-error: error: lifetime may not live long enough

use crate::uring::model::req::ReqRef;
use crate::uring::model::ring::UringGuard;

/// The violation: exchange the guards, and the requests, of two rings.
#[cfg(bug)]
pub(crate) fn swap<'a, 'b>(
    ga: &mut UringGuard<'_, 'a>,
    gb: &mut UringGuard<'_, 'b>,
    ra: &mut ReqRef<'a>,
    rb: &mut ReqRef<'b>,
) {
    core::mem::swap(ga, gb);
    core::mem::swap(ra, rb);
}

/// The honest shape: two references of one ring may be exchanged.
#[cfg(not(bug))]
pub(crate) fn swap<'a>(ra: &mut ReqRef<'a>, rb: &mut ReqRef<'a>) {
    core::mem::swap(ra, rb);
}
