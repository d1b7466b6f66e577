// SPDX-License-Identifier: GPL-2.0

//! Channels: the module's pipes, so that requests can wait.
//!
//! A channel holds a count of buffered bytes and the poll-armed requests
//! waiting for some. Its lock is IRQ-safe and innermost, so it may be taken
//! in any context (io-wq's cancel callback wakes blocked readers under the
//! io-wq lock). A channel created with `tracks_inflight` stands for an
//! io_uring file descriptor: requests on it are `REQ_F_INFLIGHT`.

use super::req::Req;
use crate::glue::context::TaskCtx;
use crate::glue::irq_lock::{new_spinlock_irq, SpinLockIrq};
use kernel::prelude::*;
use kernel::rbtree::{RBTree, RBTreeNode};
use kernel::sync::{new_condvar, Arc, CondVar};

/// State protected by the channel's lock.
struct ChanState {
    /// Bytes written and not yet read.
    bytes: u64,
    /// Poll-armed requests waiting for bytes, by address (a channel may be
    /// used by requests of several rings, whose sequence numbers collide).
    waiters: RBTree<u64, Arc<Req>>,
}

/// A channel.
#[pin_data]
pub(crate) struct Channel {
    #[pin]
    state: SpinLockIrq<ChanState>,
    /// Blocked io-wq readers wait here.
    #[pin]
    wait: CondVar,
    /// Requests on this channel are `REQ_F_INFLIGHT`.
    tracks_inflight: bool,
}

/// A waiter's key: the request's address, unique while the waiter holds it.
fn waiter_key(req: &Req) -> u64 {
    core::ptr::from_ref(req) as usize as u64
}

/// What a reader takes from a channel's buffered bytes, given an argument
/// (a READ's length, a POLL_ADD's mask).
pub(crate) type Take = fn(&mut u64, u32) -> Option<i32>;

/// Poll-armed requests a write woke.
pub(crate) type Woken = RBTree<u64, Arc<Req>>;

impl Channel {
    /// Creates an empty channel (task context: it allocates).
    pub(crate) fn create(_cx: &TaskCtx, tracks_inflight: bool) -> Result<Arc<Self>> {
        Arc::pin_init(
            try_pin_init!(Channel {
                state <- new_spinlock_irq!(
                    ChanState {
                        bytes: 0,
                        waiters: RBTree::new()
                    },
                    "Channel::state"
                ),
                wait <- new_condvar!("Channel::wait"),
                tracks_inflight,
            }? Error),
            GFP_KERNEL,
        )
    }

    /// Whether requests on this channel are `REQ_F_INFLIGHT`.
    pub(crate) fn tracks_inflight(&self) -> bool {
        self.tracks_inflight
    }

    /// Poll-arms `req` (task context: it allocates): under the channel lock
    /// (so no write slips in between), `take(bytes, arg)` looks at the
    /// buffered bytes; if it takes nothing, `req` joins the waiters. Returns
    /// what `take` returned. `take` is a plain function: it runs under the
    /// channel's spinlock and can capture nothing that locks or sleeps.
    pub(crate) fn arm(
        &self,
        _cx: &TaskCtx,
        req: &Arc<Req>,
        take: Take,
        arg: u32,
    ) -> Result<Option<i32>> {
        let node = RBTreeNode::new(waiter_key(req), req.clone(), GFP_KERNEL_ACCOUNT)?;
        let mut st = self.state.lock();
        if let Some(n) = take(&mut st.bytes, arg) {
            return Ok(Some(n));
        }
        drop(st.waiters.insert(node));
        Ok(None)
    }

    /// Removes a poll-armed request from the waiters.
    pub(crate) fn disarm(&self, req: &Req) {
        drop(self.state.lock().waiters.remove(&waiter_key(req)));
    }

    /// Buffers `len` bytes (a `write(2)` to a pipe), wakes blocked readers,
    /// and returns the poll-armed requests to wake.
    pub(crate) fn write(&self, len: u32) -> Woken {
        let mut st = self.state.lock();
        st.bytes += u64::from(len);
        self.wait.notify_all();
        core::mem::take(&mut st.waiters)
    }

    /// Wakes blocked readers (io-wq cancel's signal).
    pub(crate) fn wake_all(&self) {
        let _g = self.state.lock();
        self.wait.notify_all();
    }

    /// Blocks until `take(bytes, arg)` takes something from the buffered
    /// bytes, or io-wq cancel signals `req`, or a signal arrives: `-EINTR`.
    pub(crate) fn wait_for(
        &self,
        _cx: &mut TaskCtx,
        req: &Req,
        take: Take,
        arg: u32,
    ) -> Result<i32> {
        let mut st = self.state.lock();
        loop {
            if let Some(n) = take(&mut st.bytes, arg) {
                return Ok(n);
            }
            if req.signalled() || self.wait.wait_interruptible(&mut st) {
                return Err(EINTR);
            }
        }
    }
}
