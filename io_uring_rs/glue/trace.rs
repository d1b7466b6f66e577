// SPDX-License-Identifier: GPL-2.0

//! Events the core reports for tests to observe. In the module they cost
//! nothing; the host mirror counts them (its loom models check that every
//! linked-timeout claim outcome was reached).

pub(crate) use super::trace_kind::LtClaimKind;

/// A linked timeout's target was claimed.
#[inline(always)]
pub(crate) fn lt_claim(_kind: LtClaimKind) {}
