// SPDX-License-Identifier: GPL-2.0

//! Loom models of the races the typed locking is about: io-wq `free_work`
//! against cancellation, the linked-timeout timer's claim against the
//! target's completion, timeout expiry against ring exit, on chains of up to
//! three requests, and ring exit against an io-wq chain's continuation and
//! against work pending behind another ring's blocked io-wq work.
//!
//! Every model runs the real core against loom's locks, condition variables
//! and atomics, on the host runtime's three workers (task work, io-wq,
//! timers) plus the test's threads. Each checks, in every interleaving loom
//! explores: every request posts exactly one completion, results are
//! consistent with one order of events, ring exit frees every request, and
//! the core reported no internal error. `LOOM_MAX_PREEMPTIONS` (default 2)
//! bounds the exploration.

use crate::glue::context::TaskCtx;
use crate::glue::trace::{lt_claims, LtClaimKind};
use crate::glue::wq::Runtime;
use crate::selftest::{cancel, link_timeout, nop, read, timeout, write};
use crate::uring::entry::submit::io_submit_sqes;
use crate::uring::lifecycle::cancel::io_ring_exit;
use crate::uring::lifecycle::channel::io_channel_create;
use crate::uring::lifecycle::complete::io_cqring_wait;
use crate::uring::model::error::{ealready, ecanceled, etime};
use crate::uring::model::ring::{IoRingCtx, Ring};
use crate::uring::model::sqe::InlineNs;
use crate::uring::model::sqe::{IOSQE_ASYNC, IOSQE_IO_LINK};
use kernel::error::code::{EFAULT, EINTR};
use kernel::sync::Arc;

fn task_ctx() -> TaskCtx {
    // SAFETY: A model's thread is a task and holds no lock of the core.
    unsafe { TaskCtx::enter() }
}

const L: u8 = IOSQE_IO_LINK;
const A: u8 = IOSQE_ASYNC;

fn model(name: &str, f: impl Fn() + Sync + Send + 'static) {
    let mut b = loom::model::Builder::new();
    if b.preemption_bound.is_none() {
        b.preemption_bound = Some(2);
    }
    let runs = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = runs.clone();
    b.check(move || {
        counted.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        f();
    });
    eprintln!(
        "loom: {name}: {} interleavings, preemption bound {:?}",
        runs.load(std::sync::atomic::Ordering::Relaxed),
        b.preemption_bound
    );
}

/// Runs `body` on a ring with the runtime started, waits for `reap`
/// completions, exits the ring, stops the runtime, and returns every
/// completion by `user_data` (each at most once).
fn run(reap: usize, body: impl FnOnce(&Arc<IoRingCtx>, &mut TaskCtx)) -> Vec<(u64, i32)> {
    let rt = Runtime::start();
    let mut cx = task_ctx();
    let ring = IoRingCtx::create(&task_ctx()).unwrap();
    body(&ring, &mut cx);
    let mut out: Vec<(u64, i32)> = Vec::new();
    while out.len() < reap {
        let cq = Ring::open(&ring, |r| {
            io_cqring_wait(r, &mut cx, reap - out.len(), 60_000)
        });
        out.extend(cq.iter().map(|c| (c.user_data, c.res)));
    }
    assert!(
        !Ring::open(&ring, |r| io_ring_exit(r, &mut cx, 60_000)),
        "ring exit was slow"
    );
    assert_eq!(ring.inflight(), 0, "a request leaked");
    rt.shutdown();
    let cq = Ring::open(&ring, |r| io_cqring_wait(r, &mut cx, 0, 0));
    out.extend(cq.iter().map(|c| (c.user_data, c.res)));
    out.sort();
    for w in out.windows(2) {
        assert_ne!(w[0].0, w[1].0, "two completions for one request: {out:?}");
    }
    assert_eq!(
        kernel::print::error_count(),
        0,
        "the core reported an internal error"
    );
    out
}

fn res(cq: &[(u64, i32)], ud: u64) -> i32 {
    cq.iter()
        .find(|(u, _)| *u == ud)
        .unwrap_or_else(|| panic!("no completion for {ud}: {cq:?}"))
        .1
}

/// io-wq runs a linked read whose data arrives while the head is cancelled:
/// `io_wq_free_work()` (with `uring_lock`) races `io_try_cancel()`.
#[test]
fn free_work_races_cancel() {
    model("free_work_races_cancel", || {
        let cq = run(5, |ring, cx| {
            let fd = Ring::open(ring, |r| io_channel_create(r, cx, false)).unwrap();
            let chain = [read(L | A, 1, fd, 1), nop(L, 2), nop(0, 3)];
            io_submit_sqes(ring, cx, &chain, &crate::host_tctx(), &InlineNs, false).unwrap();
            let r = ring.clone();
            let writer = loom::thread::spawn(move || {
                let mut cx = task_ctx();
                io_submit_sqes(
                    &r,
                    &mut cx,
                    &[write(0, 4, fd, 1)],
                    &crate::host_tctx(),
                    &InlineNs,
                    false,
                )
                .unwrap();
            });
            io_submit_sqes(
                ring,
                cx,
                &[cancel(0, 5, 1, 0)],
                &crate::host_tctx(),
                &InlineNs,
                false,
            )
            .unwrap();
            writer.join().unwrap();
        });
        assert_eq!(cq.len(), 5, "{cq:?}");
        let (read, cancel) = (res(&cq, 1), res(&cq, 5));
        assert_eq!(res(&cq, 4), 1);
        if read == 1 {
            assert_eq!((res(&cq, 2), res(&cq, 3)), (0, 0), "{cq:?}");
        } else {
            assert!(read == -4 || read == ecanceled().to_errno(), "{cq:?}");
            let c = ecanceled().to_errno();
            assert_eq!((res(&cq, 2), res(&cq, 3)), (c, c), "{cq:?}");
        }
        assert!(
            [0, ealready().to_errno(), -2].contains(&cancel),
            "cancel result {cancel}: {cq:?}"
        );
    });
}

/// A linked timeout that fires at once races its target's completion: the
/// timer's claim (live or dying target) against disarm in
/// `io_req_find_next()`.
#[test]
fn link_timeout_claim_races_completion() {
    let kinds = [
        LtClaimKind::TimerLive,
        LtClaimKind::TimerDying,
        LtClaimKind::Disarm,
    ];
    let before = kinds.map(lt_claims);
    model("link_timeout_claim_races_completion", || {
        let cq = run(3, |ring, cx| {
            let fd = Ring::open(ring, |r| io_channel_create(r, cx, false)).unwrap();
            let chain = [read(L, 1, fd, 1), link_timeout(0, 2, 0)];
            io_submit_sqes(ring, cx, &chain, &crate::host_tctx(), &InlineNs, false).unwrap();
            io_submit_sqes(
                ring,
                cx,
                &[write(0, 3, fd, 1)],
                &crate::host_tctx(),
                &InlineNs,
                false,
            )
            .unwrap();
        });
        assert_eq!(cq.len(), 3, "{cq:?}");
        let (target, lt) = (res(&cq, 1), res(&cq, 2));
        if target == ecanceled().to_errno() {
            // The timer won and cancelled the target.
            assert_eq!(lt, etime().to_errno(), "{cq:?}");
        } else {
            // The target completed; the timeout was disarmed, or fired too
            // late to find it.
            assert_eq!(target, 1, "{cq:?}");
            assert!(
                [ecanceled().to_errno(), etime().to_errno(), -2].contains(&lt),
                "{cq:?}"
            );
        }
    });
    // Every outcome of the claim was reached in some interleaving.
    for (kind, before) in kinds.into_iter().zip(before) {
        let n = lt_claims(kind) - before;
        eprintln!("loom: claim outcome {kind:?}: {n} interleavings");
        assert!(n > 0, "no interleaving reached the claim outcome {kind:?}");
    }
}

/// A timeout heading a chain of three expires while ring exit kills it
/// (`io_kill_timeouts()` under `uring_lock`).
#[test]
fn timeout_expiry_races_ring_exit() {
    model("timeout_expiry_races_ring_exit", || {
        let cq = run(0, |ring, cx| {
            let chain = [timeout(L, 1, 0, 0, 0), nop(L, 2), nop(0, 3)];
            io_submit_sqes(ring, cx, &chain, &crate::host_tctx(), &InlineNs, false).unwrap();
        });
        assert_eq!(cq.len(), 3, "{cq:?}");
        let t = res(&cq, 1);
        assert!(
            t == etime().to_errno() || t == ecanceled().to_errno(),
            "{cq:?}"
        );
        let c = ecanceled().to_errno();
        assert_eq!((res(&cq, 2), res(&cq, 3)), (c, c), "{cq:?}");
    });
}

/// Ring exit against an io-wq chain continuing and against work waiting
/// for a worker that cannot run (issue 14).
///
/// The runtime has one io-wq thread, on which the workers of both rings
/// run one at a time: it stands for a machine where the ring's workers
/// cannot run while another ring's worker blocks. Ring A queues a chain
/// whose head (a NOP) completes in A's worker, which then runs the next
/// request, a read nobody feeds, if the ring still lives; ring B queues a
/// read nobody feeds, whose worker blocks until B exits; A queues another
/// NOP. A exits while its chain runs, or while its workers wait behind B's:
/// the exit must finish with B still blocking, so pending work must be
/// freed by the cancel itself, a worker that never ran must be stopped
/// without running, and the chain's next request must be cancelled, or
/// refused on the dying ring, not left blocking unseen.
#[test]
fn ring_exit_races_chain_continuation_and_iowq_cancel() {
    model("ring_exit_races_chain_continuation_and_iowq_cancel", || {
        let rt = Runtime::start();
        let mut cx = task_ctx();
        let a = IoRingCtx::create(&cx).unwrap();
        let b = IoRingCtx::create(&cx).unwrap();
        let fa = Ring::open(&a, |r| io_channel_create(r, &mut cx, false)).unwrap();
        let fb = Ring::open(&b, |r| io_channel_create(r, &mut cx, false)).unwrap();
        let chain = [nop(L | A, 1), read(A, 2, fa, 1)];
        io_submit_sqes(&a, &mut cx, &chain, &crate::host_tctx(), &InlineNs, false).unwrap();
        io_submit_sqes(
            &b,
            &mut cx,
            &[read(A, 10, fb, 1)],
            &crate::host_tctx(),
            &InlineNs,
            false,
        )
        .unwrap();
        io_submit_sqes(
            &a,
            &mut cx,
            &[nop(A, 3)],
            &crate::host_tctx(),
            &InlineNs,
            false,
        )
        .unwrap();
        let exit =
            |r: &Arc<IoRingCtx>, cx: &mut TaskCtx| Ring::open(r, |r| io_ring_exit(r, cx, 60_000));
        assert!(!exit(&a, &mut cx), "ring A's exit was slow");
        assert_eq!(a.inflight(), 0, "ring A's exit left a request");
        // B's read still blocks its worker, or waits for the io-wq thread.
        assert_eq!(b.inflight(), 1, "ring B's read did not wait");
        assert!(!exit(&b, &mut cx), "ring B's exit was slow");
        assert_eq!(b.inflight(), 0, "ring B's exit left a request");
        rt.shutdown();
        let take = |r: &Arc<IoRingCtx>, cx: &mut TaskCtx| {
            let mut cq: Vec<(u64, i32)> = Ring::open(r, |r| io_cqring_wait(r, cx, 0, 0))
                .iter()
                .map(|c| (c.user_data, c.res))
                .collect();
            cq.sort();
            cq
        };
        let (cqa, cqb) = (take(&a, &mut cx), take(&b, &mut cx));
        assert_eq!(cqa.len(), 3, "{cqa:?}");
        let (c, i, f) = (ecanceled().to_errno(), EINTR.to_errno(), EFAULT.to_errno());
        let head = res(&cqa, 1);
        assert!([0, c].contains(&head), "{cqa:?}");
        // Nothing feeds the read: cancelled while pending, signalled while
        // blocked, or refused on the dying ring: by the worker's
        // continuation (-ECANCELED) or by task work's issue, terminated as
        // 6.12 terminates a dying ring's task work (-EFAULT); never left
        // behind.
        assert!([i, c, f].contains(&res(&cqa, 2)), "{cqa:?}");
        if head == c {
            assert_eq!(res(&cqa, 2), c, "a failed head cancels the chain: {cqa:?}");
        }
        // Run by A's worker, or cancelled while it waited for one.
        assert!([0, c].contains(&res(&cqa, 3)), "{cqa:?}");
        assert_eq!(cqb.len(), 1, "{cqb:?}");
        assert!([i, c].contains(&res(&cqb, 10)), "{cqb:?}");
        assert_eq!(
            kernel::print::error_count(),
            0,
            "the core reported an internal error"
        );
    });
}
