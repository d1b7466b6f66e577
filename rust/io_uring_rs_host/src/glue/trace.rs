// SPDX-License-Identifier: GPL-2.0

//! The core's trace events, counted on the host (the module's `trace.rs`
//! compiles them away). Plain `core` atomics: statics in the loom build too.

pub(crate) use super::trace_kind::LtClaimKind;
use core::sync::atomic::{AtomicU32, Ordering};

static TIMER_LIVE: AtomicU32 = AtomicU32::new(0);
static TIMER_DYING: AtomicU32 = AtomicU32::new(0);
static DISARM: AtomicU32 = AtomicU32::new(0);

fn counter(kind: LtClaimKind) -> &'static AtomicU32 {
    match kind {
        LtClaimKind::TimerLive => &TIMER_LIVE,
        LtClaimKind::TimerDying => &TIMER_DYING,
        LtClaimKind::Disarm => &DISARM,
    }
}

/// A linked timeout's target was claimed.
pub(crate) fn lt_claim(kind: LtClaimKind) {
    counter(kind).fetch_add(1, Ordering::Relaxed);
}

/// How often `kind` happened so far.
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) fn lt_claims(kind: LtClaimKind) -> u32 {
    counter(kind).load(Ordering::Relaxed)
}
