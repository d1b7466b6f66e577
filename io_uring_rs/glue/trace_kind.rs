// SPDX-License-Identifier: GPL-2.0

//! The kinds of the core's trace events, shared by the module's and the
//! host's `trace.rs`.

/// Which party claimed a linked timeout's target.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum LtClaimKind {
    /// The timer pinned a live target.
    TimerLive,
    /// The timer found the target dying and spliced it.
    TimerDying,
    /// The target's completion claimed first.
    Disarm,
}
