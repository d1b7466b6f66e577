// SPDX-License-Identifier: GPL-2.0

//! Host benchmarks of the typed locking: P3 (what a proof-carrying chain
//! walk costs against an unchecked walk of the same chain, in instructions,
//! under callgrind) and P4 (locks taken per `io_wq_free_work()`, counted).

use crate::glue::chain::{next_unchecked, ChainRead};
use crate::glue::context::TaskCtx;
use crate::uring::lifecycle::iowq::{io_wq_free_work, FreeWorkLock};
use crate::uring::model::req::{Req, ReqArc, ReqPin, ReqRef, ReqView};
use crate::uring::model::ring::{IoRingCtx, Ring};
use crate::uring::model::sqe::{Op, Sqe, IOSQE_IO_LINK};
use kernel::sync::lock::acquisitions;
use kernel::sync::Arc;

fn task_ctx() -> TaskCtx {
    // SAFETY: The benchmark's thread is a task and holds no lock of the core.
    unsafe { TaskCtx::enter() }
}

fn req<'id>(ring: Ring<'_, 'id>, flags: u8, link: Option<ReqRef<'id>>) -> ReqRef<'id> {
    let sqe = Sqe {
        flags,
        ..Sqe::default()
    };
    Req::alloc(
        &mut ring.lock_uring(&mut task_ctx()),
        &sqe,
        &crate::host_tctx(),
        Ok(Op::Nop),
        link,
        0,
    )
    .expect("alloc")
}

/// A ring with a chain of linked requests; the head's reference is parked.
pub struct Chain {
    head: Arc<Req>,
    _ring: Arc<IoRingCtx>,
}

/// A ring with a chain of `n` linked requests.
pub fn chain(n: usize) -> Chain {
    let ring = IoRingCtx::create(&task_ctx()).expect("ring");
    let head = Ring::open(&ring, |r| {
        let mut next = None;
        for _ in 0..n {
            next = Some(req(r, IOSQE_IO_LINK, next.take()));
        }
        next.expect("n > 0").park().into_arc()
    });
    Chain { head, _ring: ring }
}

impl Chain {
    /// Walks the chain as the core does ([`walk_checked`]), holding
    /// `uring_lock`.
    pub fn walk_checked(&self) -> usize {
        let mut cx = task_ctx();
        ReqArc::open(self.head.clone(), |ring, head| {
            let head = head.unpark().expect("parked");
            let g = ring.lock_uring(&mut cx);
            let n = walk_checked(head.pin(), &g.chain_read());
            drop(g);
            drop(head.park());
            n
        })
    }

    /// Walks the chain without proofs ([`walk_unchecked`]), holding the same
    /// lock.
    pub fn walk_unchecked(&self) -> usize {
        let mut cx = task_ctx();
        ReqArc::open(self.head.clone(), |ring, head| {
            let _g = ring.lock_uring(&mut cx);
            walk_unchecked(head.arc())
        })
    }
}

/// Walks the chain with a read proof of `uring_lock` and branded views
/// (what the core does): the proof and the brand are zero-sized.
#[inline(never)]
fn walk_checked<'id>(head: ReqPin<'_, 'id>, proof: &ChainRead<'_, 'id>) -> usize {
    let mut n = 0;
    let mut cur = Some(head);
    while let Some(r) = cur {
        n += 1;
        cur = r.link(proof);
    }
    n
}

/// Walks the same chain reading each link with no proof: the baseline.
#[inline(never)]
fn walk_unchecked(head: &Arc<Req>) -> usize {
    let mut n = 0;
    let mut cur = Some(head);
    while let Some(r) = cur {
        n += 1;
        // SAFETY: `uring_lock` is held, so no writer (who needs it) exists.
        cur = unsafe { next_unchecked(&**r) };
    }
    n
}

/// P4: locks taken by `io_wq_free_work()` for a put that is not the last,
/// the last put of an unlinked request, of a linked one, and of a linked one
/// whose caller already holds `uring_lock` (`FreeWorkLock::Locked`).
pub fn free_work_lock_counts() -> [(&'static str, u64); 4] {
    let mut cx = task_ctx();
    let ring = IoRingCtx::create(&task_ctx()).expect("ring");
    Ring::open(&ring, |r| {
        // The requests' memory is kept alive past each measurement: freeing
        // a request takes `exit_lock`, which is not free_work's.
        let mut kept = Vec::new();
        fn put<'id>(
            kept: &mut Vec<Arc<Req>>,
            req: ReqRef<'id>,
            lock: FreeWorkLock<'_, '_, 'id>,
        ) -> u64 {
            kept.push(req.to_arc().into_arc());
            let before = acquisitions();
            let freed = io_wq_free_work(req, lock);
            let n = acquisitions() - before;
            if let Some(next) = freed.next {
                kept.push(next.park().into_arc());
            }
            n
        }

        let unlinked = req(r, 0, None);
        let not_last = put(
            &mut kept,
            unlinked.pin().get_ref(),
            FreeWorkLock::Unlocked(&mut cx),
        );
        let last_unlinked = put(&mut kept, unlinked, FreeWorkLock::Unlocked(&mut cx));

        let linked = req(r, IOSQE_IO_LINK, Some(req(r, 0, None)));
        let last_linked = put(&mut kept, linked, FreeWorkLock::Unlocked(&mut cx));

        let linked2 = req(r, IOSQE_IO_LINK, Some(req(r, 0, None)));
        let mut g = r.lock_uring(&mut cx);
        let locked = put(&mut kept, linked2, FreeWorkLock::Locked(&mut g));
        drop(g);
        [
            ("put; not the last", not_last),
            ("last put; unlinked", last_unlinked),
            ("last put; linked", last_linked),
            ("last put; linked; caller holds uring_lock", locked),
        ]
    })
}

/// Where an inline request's instructions go (`scripts/profile.sh`'s host
/// half, under callgrind): `batches` batches of 256 NOPs submitted with
/// `io_submit_sqes()` and reaped with `io_cqring_wait()`, as P1inline does
/// through the device. Returns the completions reaped.
pub fn inline_nops(batches: usize) -> usize {
    let mut cx = task_ctx();
    let ring = IoRingCtx::create(&task_ctx()).expect("ring");
    let tctx = crate::host_tctx();
    let sqes = [Sqe::default(); 256];
    let mut n = 0;
    for _ in 0..batches {
        let done = crate::uring::entry::submit::io_submit_sqes(
            &ring,
            &mut cx,
            &sqes,
            &tctx,
            &crate::uring::model::sqe::InlineNs,
            false,
        )
        .expect("submit");
        assert_eq!(done, sqes.len());
        n += Ring::open(&ring, |r| {
            crate::uring::lifecycle::complete::io_cqring_wait(r, &mut cx, sqes.len(), 1000).len()
        });
    }
    n
}
