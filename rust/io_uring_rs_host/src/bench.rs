// SPDX-License-Identifier: GPL-2.0

//! Host benchmarks of the typed locking: P3 (what a proof-carrying chain
//! walk costs against an unchecked walk of the same chain, in instructions,
//! under callgrind) and P4 (locks taken per `io_wq_free_work()`, counted).

use crate::uring::context::TaskCtx;
use crate::uring::iowq::{io_wq_free_work, FreeWorkLock};
use crate::uring::req::Req;
use crate::uring::ring::IoRingCtx;
use crate::uring::sqe::{Op, Sqe, IOSQE_IO_LINK};
use kernel::sync::lock::acquisitions;
use kernel::sync::Arc;

fn req(ring: &Arc<IoRingCtx>, flags: u8, link: Option<Arc<Req>>) -> Arc<Req> {
    let sqe = Sqe {
        flags,
        ..Sqe::default()
    };
    Req::alloc(ring, &sqe, 1, Ok(Op::Nop), link, 0).expect("alloc")
}

/// A ring with a chain of linked requests.
pub struct Chain {
    ring: Arc<IoRingCtx>,
    head: Arc<Req>,
}

/// A ring with a chain of `n` linked requests.
pub fn chain(n: usize) -> Chain {
    let ring = IoRingCtx::create().expect("ring");
    let mut next = None;
    for _ in 0..n {
        next = Some(req(&ring, IOSQE_IO_LINK, next.take()));
    }
    Chain {
        ring,
        head: next.expect("n > 0"),
    }
}

impl Chain {
    /// Walks the chain as the core does ([`walk_checked`]).
    pub fn walk_checked(&self) -> usize {
        walk_checked(&self.ring, &self.head)
    }

    /// Walks the chain without proofs ([`walk_unchecked`]).
    pub fn walk_unchecked(&self) -> usize {
        walk_unchecked(&self.ring, &self.head)
    }
}

/// Walks the chain with a read proof of `uring_lock` (what the core does).
#[inline(never)]
fn walk_checked(ring: &IoRingCtx, head: &Req) -> usize {
    let mut cx = TaskCtx::enter();
    let g = ring.lock_uring(&mut cx);
    let proof = g.chain_read();
    let mut n = 0;
    let mut cur = Some(head);
    while let Some(r) = cur {
        n += 1;
        cur = r.link.get(&proof).as_deref();
    }
    n
}

/// Walks the same chain holding the same lock, but reading each link with
/// no proof and no owner check: the baseline.
#[inline(never)]
fn walk_unchecked(ring: &IoRingCtx, head: &Req) -> usize {
    let mut cx = TaskCtx::enter();
    let _g = ring.lock_uring(&mut cx);
    let mut n = 0;
    let mut cur = Some(head);
    while let Some(r) = cur {
        n += 1;
        // SAFETY: `uring_lock` is held, so no writer (who needs it) exists.
        cur = unsafe { r.link.get_unchecked() }.as_deref();
    }
    n
}

/// P4: locks taken by `io_wq_free_work()` for the last put of an unlinked
/// request, of a linked one, and of a linked one whose caller already holds
/// `uring_lock` (`FreeWorkLock::Locked`).
pub fn free_work_lock_counts() -> [(&'static str, u64); 4] {
    let mut cx = TaskCtx::enter();
    let ring = IoRingCtx::create().expect("ring");

    // What a put returns is kept alive: dropping the last reference of a
    // request takes `exit_lock`, which is not free_work's.
    let mut kept = Vec::new();
    let mut put = |r: &Arc<Req>, lock: FreeWorkLock<'_, '_>| {
        let before = acquisitions();
        kept.push(io_wq_free_work(r.clone(), lock));
        acquisitions() - before
    };

    let unlinked = req(&ring, 0, None);
    unlinked.refs().get();
    let not_last = put(&unlinked, FreeWorkLock::Unlocked(&mut TaskCtx::enter()));
    let last_unlinked = put(&unlinked, FreeWorkLock::Unlocked(&mut TaskCtx::enter()));

    let linked = req(&ring, IOSQE_IO_LINK, Some(req(&ring, 0, None)));
    let last_linked = put(&linked, FreeWorkLock::Unlocked(&mut TaskCtx::enter()));

    let linked2 = req(&ring, IOSQE_IO_LINK, Some(req(&ring, 0, None)));
    let mut g = ring.lock_uring(&mut cx);
    let locked = put(&linked2, FreeWorkLock::Locked(&mut g));
    drop(g);
    [
        ("put; not the last", not_last),
        ("last put; unlinked", last_unlinked),
        ("last put; linked", last_linked),
        ("last put; linked; caller holds uring_lock", locked),
    ]
}
