// SPDX-License-Identifier: GPL-2.0

//! Loom models of the races the typed locking is about: io-wq `free_work`
//! against cancellation, the linked-timeout timer's claim against the
//! target's completion, and timeout expiry against ring exit, on chains of
//! up to three requests.
//!
//! Every model runs the real core against loom's locks, condition variables
//! and atomics, on the host runtime's three workers (task work, io-wq,
//! timers) plus the test's threads. Each checks, in every interleaving loom
//! explores: every request posts exactly one completion, results are
//! consistent with one order of events, ring exit frees every request, and
//! the core reported no internal error. `LOOM_MAX_PREEMPTIONS` (default 2)
//! bounds the exploration.

use crate::glue::wq::Runtime;
use crate::selftest::{cancel, link_timeout, nop, read, timeout, write};
use crate::uring::cancel::io_ring_exit;
use crate::uring::channel::io_channel_create;
use crate::uring::complete::io_cqring_wait;
use crate::uring::context::TaskCtx;
use crate::uring::errno::{EALREADY, ECANCELED, ETIME};
use crate::uring::ring::IoRingCtx;
use crate::uring::sqe::{IOSQE_ASYNC, IOSQE_IO_LINK};
use crate::uring::submit::io_submit_sqes;
use kernel::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;

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
    let mut cx = TaskCtx::enter();
    let ring = IoRingCtx::create().unwrap();
    body(&ring, &mut cx);
    let mut out: Vec<(u64, i32)> = Vec::new();
    while out.len() < reap {
        let cq = io_cqring_wait(&ring, &mut cx, reap - out.len(), 60_000);
        out.extend(cq.iter().map(|c| (c.user_data, c.res)));
    }
    assert!(!io_ring_exit(&ring, &mut cx, 60_000), "ring exit was slow");
    assert_eq!(ring.inflight(), 0, "a request leaked");
    rt.shutdown();
    let cq = core::mem::take(&mut ring.lock_completion(&mut cx).state().cq);
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
            let fd = io_channel_create(ring, cx, false).unwrap();
            let chain = [read(L | A, 1, fd, 1), nop(L, 2), nop(0, 3)];
            io_submit_sqes(ring, cx, &chain, 1).unwrap();
            let r = ring.clone();
            let writer = loom::thread::spawn(move || {
                let mut cx = TaskCtx::enter();
                io_submit_sqes(&r, &mut cx, &[write(0, 4, fd, 1)], 1).unwrap();
            });
            io_submit_sqes(ring, cx, &[cancel(0, 5, 1, 0)], 1).unwrap();
            writer.join().unwrap();
        });
        assert_eq!(cq.len(), 5, "{cq:?}");
        let (read, cancel) = (res(&cq, 1), res(&cq, 5));
        assert_eq!(res(&cq, 4), 1);
        if read == 1 {
            assert_eq!((res(&cq, 2), res(&cq, 3)), (0, 0), "{cq:?}");
        } else {
            assert!(read == -4 || read == ECANCELED.to_errno(), "{cq:?}");
            let c = ECANCELED.to_errno();
            assert_eq!((res(&cq, 2), res(&cq, 3)), (c, c), "{cq:?}");
        }
        assert!(
            [0, EALREADY.to_errno(), -2].contains(&cancel),
            "cancel result {cancel}: {cq:?}"
        );
    });
}

/// A linked timeout that fires at once races its target's completion: the
/// timer's claim (live or dying target) against disarm in
/// `io_req_find_next()`.
#[test]
fn link_timeout_claim_races_completion() {
    use crate::uring::timeout::CLAIM_OUTCOMES;
    let before: Vec<u32> = CLAIM_OUTCOMES.iter().map(|c| c.load(Relaxed)).collect();
    model("link_timeout_claim_races_completion", || {
        let cq = run(3, |ring, cx| {
            let fd = io_channel_create(ring, cx, false).unwrap();
            let chain = [read(L, 1, fd, 1), link_timeout(0, 2, 0)];
            io_submit_sqes(ring, cx, &chain, 1).unwrap();
            io_submit_sqes(ring, cx, &[write(0, 3, fd, 1)], 1).unwrap();
        });
        assert_eq!(cq.len(), 3, "{cq:?}");
        let (target, lt) = (res(&cq, 1), res(&cq, 2));
        if target == ECANCELED.to_errno() {
            // The timer won and cancelled the target.
            assert_eq!(lt, ETIME.to_errno(), "{cq:?}");
        } else {
            // The target completed; the timeout was disarmed, or fired too
            // late to find it.
            assert_eq!(target, 1, "{cq:?}");
            assert!(
                [ECANCELED.to_errno(), ETIME.to_errno(), -2].contains(&lt),
                "{cq:?}"
            );
        }
    });
    // Every outcome of the claim was reached in some interleaving.
    for (i, what) in ["live target", "dying target", "disarm first"]
        .iter()
        .enumerate()
    {
        let n = CLAIM_OUTCOMES[i].load(Relaxed) - before[i];
        eprintln!("loom: claim outcome {what}: {n} interleavings");
        assert!(n > 0, "no interleaving reached the claim outcome: {what}");
    }
}

/// A timeout heading a chain of three expires while ring exit kills it
/// (`io_kill_timeouts()` under `uring_lock`).
#[test]
fn timeout_expiry_races_ring_exit() {
    model("timeout_expiry_races_ring_exit", || {
        let cq = run(0, |ring, cx| {
            let chain = [timeout(L, 1, 0, 0, 0), nop(L, 2), nop(0, 3)];
            io_submit_sqes(ring, cx, &chain, 1).unwrap();
        });
        assert_eq!(cq.len(), 3, "{cq:?}");
        let t = res(&cq, 1);
        assert!(t == ETIME.to_errno() || t == ECANCELED.to_errno(), "{cq:?}");
        let c = ECANCELED.to_errno();
        assert_eq!((res(&cq, 2), res(&cq, 3)), (c, c), "{cq:?}");
    });
}
