// SPDX-License-Identifier: GPL-2.0

//! The ring context (`struct io_ring_ctx`).
//!
//! For now it holds `uring_lock` and the state it protects; the link-chain
//! core builds on it.

use kernel::{new_mutex, prelude::*, sync::Mutex};

/// State protected by `uring_lock`.
pub(crate) struct UringState {
    /// Requests submitted on this ring.
    submitted: u64,
}

/// One ring: the Rust counterpart of `struct io_ring_ctx`.
#[pin_data]
pub(crate) struct IoRingCtx {
    /// `ctx->uring_lock`: the sleeping lock that serialises submission.
    #[pin]
    uring_lock: Mutex<UringState>,
}

impl IoRingCtx {
    /// Returns an initialiser for an empty ring.
    pub(crate) fn new() -> impl PinInit<Self> {
        pin_init!(IoRingCtx {
            uring_lock <- new_mutex!(UringState { submitted: 0 }, "IoRingCtx::uring_lock"),
        })
    }

    /// Accounts `n` submitted requests under `uring_lock`; returns the new total.
    pub(crate) fn submit(&self, n: u64) -> u64 {
        let mut state = self.uring_lock.lock();
        state.submitted += n;
        state.submitted
    }

    /// Returns the number of requests submitted so far.
    pub(crate) fn submitted(&self) -> u64 {
        self.uring_lock.lock().submitted
    }
}
