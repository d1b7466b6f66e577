// SPDX-License-Identifier: GPL-2.0

//! In-kernel self-test of the core, run at module load and reported as KTAP.
#![deny(unsafe_code)]

use crate::glue::context::{SqCtx, TaskCtx};
use crate::glue::tctx::IoUringTask;
use crate::ktap::{Ktap, Report};
use crate::uapi::{IORING_SQ_CQ_OVERFLOW, IORING_SQ_NEED_WAKEUP};
use crate::uring::entry::sqpoll::io_sq_offload_create;
use crate::uring::entry::submit::{io_submit_from_sq, io_submit_sqes};
use crate::uring::lifecycle::cancel::{io_ring_exit, io_uring_cancel_generic};
use crate::uring::lifecycle::channel::{io_channel_create, io_channel_write};
use crate::uring::lifecycle::complete::io_cqring_wait;
use crate::uring::model::ring::{IoRingCtx, Ring, RingParams};
use crate::uring::model::sqe::*;
use kernel::prelude::*;
use kernel::sync::Arc;

pub(crate) type CaseResult = core::result::Result<(), &'static str>;

const TASK: u32 = 1;

pub(crate) fn sqe(opcode: u8, flags: u8, user_data: u64) -> Sqe {
    Sqe {
        opcode,
        flags,
        user_data,
        ..Sqe::default()
    }
}

pub(crate) fn nop(flags: u8, ud: u64) -> Sqe {
    sqe(OP_NOP, flags, ud)
}

/// Runs `body` on a fresh ring, then exits the ring and checks nothing leaked.
fn with_ring(
    cx: &mut TaskCtx,
    body: impl FnOnce(&Arc<IoRingCtx>, &mut TaskCtx) -> CaseResult,
) -> CaseResult {
    let ring = IoRingCtx::create(cx).map_err(|_| "ring allocation failed")?;
    run_and_exit(&ring, cx, body)
}

/// Runs `body` on `ring`, then exits the ring and checks nothing leaked.
fn run_and_exit(
    ring: &Arc<IoRingCtx>,
    cx: &mut TaskCtx,
    body: impl FnOnce(&Arc<IoRingCtx>, &mut TaskCtx) -> CaseResult,
) -> CaseResult {
    let res = body(ring, cx);
    if Ring::open(ring, |r| io_ring_exit(r, cx, 5000)) {
        return Err("ring exit took longer than 5 s");
    }
    if ring.inflight() != 0 {
        return Err("requests leaked at ring exit");
    }
    res
}

/// The test's task work: the fallback worker runs it, since the test's
/// thread waits in the kernel and never returns to user space to run it.
fn tctx() -> Result<Arc<IoUringTask>, &'static str> {
    IoUringTask::new_fallback(TASK).map_err(|_| "no memory for task work")
}

fn submit(ring: &Arc<IoRingCtx>, cx: &mut TaskCtx, sqes: &[Sqe]) -> CaseResult {
    match io_submit_sqes(ring, cx, sqes, &tctx()?, &InlineNs, false) {
        Ok(n) if n == sqes.len() => Ok(()),
        _ => Err("submission failed"),
    }
}

/// Reaps until `n` completions arrived or about five seconds passed.
fn reap(
    ring: &Arc<IoRingCtx>,
    cx: &mut TaskCtx,
    n: usize,
) -> core::result::Result<KVec<Cqe>, &'static str> {
    let mut got = KVec::new();
    for _ in 0..50 {
        for c in Ring::open(ring, |r| io_cqring_wait(r, cx, n - got.len(), 100)).iter() {
            got.push(*c, GFP_KERNEL).map_err(|_| "oom")?;
        }
        if got.len() >= n {
            break;
        }
    }
    if got.len() != n {
        for c in got.iter() {
            pr_info!("# got user_data={} res={}\n", c.user_data, c.res);
        }
        return Err("wrong number of completions");
    }
    Ok(got)
}

/// Reaps `want.len()` completions and checks them in order.
fn expect_in_order(ring: &Arc<IoRingCtx>, cx: &mut TaskCtx, want: &[(u64, i32)]) -> CaseResult {
    let got = reap(ring, cx, want.len())?;
    for (c, (ud, res)) in got.iter().zip(want.iter()) {
        if c.user_data != *ud || c.res != *res {
            pr_info!(
                "# got user_data={} res={}, want {} {}\n",
                c.user_data,
                c.res,
                ud,
                res
            );
            return Err("wrong completion");
        }
    }
    Ok(())
}

pub(crate) fn read(flags: u8, ud: u64, fd: i32, len: u32) -> Sqe {
    Sqe {
        fd,
        len,
        ..sqe(OP_READ, flags, ud)
    }
}

pub(crate) fn write(flags: u8, ud: u64, fd: i32, len: u32) -> Sqe {
    Sqe {
        fd,
        len,
        ..sqe(OP_WRITE, flags, ud)
    }
}

pub(crate) fn poll(flags: u8, ud: u64, fd: i32) -> Sqe {
    Sqe {
        fd,
        op_flags: POLLIN,
        ..sqe(OP_POLL_ADD, flags, ud)
    }
}

pub(crate) fn timeout(flags: u8, ud: u64, ms: u64, count: u64, tflags: u32) -> Sqe {
    Sqe {
        addr: ms * 1_000_000,
        len: 1,
        off: count,
        op_flags: tflags,
        ..sqe(OP_TIMEOUT, flags, ud)
    }
}

pub(crate) fn link_timeout(flags: u8, ud: u64, ms: u64) -> Sqe {
    Sqe {
        addr: ms * 1_000_000,
        len: 1,
        ..sqe(OP_LINK_TIMEOUT, flags, ud)
    }
}

pub(crate) fn cancel(flags: u8, ud: u64, target: u64, cflags: u32) -> Sqe {
    Sqe {
        addr: target,
        op_flags: cflags,
        ..sqe(OP_ASYNC_CANCEL, flags, ud)
    }
}

fn timeout_update(ud: u64, target: u64, ms: u64, flags: u32) -> Sqe {
    Sqe {
        addr: target,
        off: ms * 1_000_000,
        op_flags: flags,
        ..sqe(OP_TIMEOUT_REMOVE, 0, ud)
    }
}

fn timeout_remove(ud: u64, target: u64) -> Sqe {
    Sqe {
        addr: target,
        ..sqe(OP_TIMEOUT_REMOVE, 0, ud)
    }
}

/// Reaps `want.len()` completions; checks them regardless of order
/// (`user_data` must be unique in `want`).
fn expect_any_order(ring: &Arc<IoRingCtx>, cx: &mut TaskCtx, want: &[(u64, i32)]) -> CaseResult {
    let got = reap(ring, cx, want.len())?;
    for (ud, res) in want.iter() {
        match got.iter().find(|c| c.user_data == *ud) {
            Some(c) if c.res == *res => {}
            Some(c) => {
                pr_info!("# user_data={} res={}, want {}\n", ud, c.res, res);
                return Err("wrong result");
            }
            None => return Err("a completion is missing"),
        }
    }
    Ok(())
}

/// Checks that no completion arrives within `ms`.
fn expect_none(ring: &Arc<IoRingCtx>, cx: &mut TaskCtx, ms: u32) -> CaseResult {
    let got = Ring::open(ring, |r| io_cqring_wait(r, cx, 1, ms));
    if let Some(c) = got.first() {
        pr_info!("# unexpected user_data={} res={}\n", c.user_data, c.res);
        return Err("unexpected completion");
    }
    Ok(())
}

/// Cancels the task's requests as task exit (`all` false: the inflight
/// ones, then the task is gone) or exec (`all` true) does.
fn task_cancel(ring: &Arc<IoRingCtx>, cx: &mut TaskCtx, all: bool) -> CaseResult {
    Ring::open(ring, |r| io_uring_cancel_generic(r, cx, TASK, all, 2000))
        .map_err(|_| "task cancel hung")
}

fn chan(
    ring: &Arc<IoRingCtx>,
    cx: &mut TaskCtx,
    inflight: bool,
) -> core::result::Result<i32, &'static str> {
    Ring::open(ring, |r| io_channel_create(r, cx, inflight)).map_err(|_| "channel creation failed")
}

/// Cancels with ALL the `n` reads of `user_data` 7 that block in io-wq,
/// pending or running: running work is interrupted (its count is io-wq's,
/// not the requests': see `s16`), and every read must end.
fn cancel_all_blocked(ring: &Arc<IoRingCtx>, cx: &mut TaskCtx, n: usize) -> CaseResult {
    submit(ring, cx, &[cancel(0, 9, 7, IORING_ASYNC_CANCEL_ALL)])?;
    let got = reap(ring, cx, n + 1)?;
    let ended = got
        .iter()
        .filter(|c| c.user_data == 7 && (c.res == EINTR_ || c.res == ECANCELED))
        .count();
    if ended != n || !got.iter().any(|c| c.user_data == 9) {
        return Err("cancel ALL did not end every blocked read");
    }
    Ok(())
}

const L: u8 = IOSQE_IO_LINK;
const H: u8 = IOSQE_IO_HARDLINK;
const A: u8 = IOSQE_ASYNC;
const S: u8 = IOSQE_CQE_SKIP_SUCCESS;
const D: u8 = IOSQE_IO_DRAIN;
const ECANCELED: i32 = -(kernel::bindings::ECANCELED as i32);
const ETIME: i32 = -(kernel::bindings::ETIME as i32);
const EALREADY: i32 = -(kernel::bindings::EALREADY as i32);
const EOPNOTSUPP: i32 = -(kernel::bindings::EOPNOTSUPP as i32);
const EINVAL_: i32 = -(kernel::bindings::EINVAL as i32);
const ENOENT_: i32 = -(kernel::bindings::ENOENT as i32);
const EINTR_: i32 = -(kernel::bindings::EINTR as i32);
const EFAULT_: i32 = -(kernel::bindings::EFAULT as i32);

/// A self-test case: its KTAP name and its body.
pub(crate) type Case = (&'static str, fn(&mut TaskCtx) -> CaseResult);

/// Every case.
pub(crate) const CASES: &[Case] = &[
    // S1
    ("s1_chain_completes_in_order", |cx| {
        with_ring(cx, |ring, cx| {
            submit(ring, cx, &[nop(L, 1), nop(L, 2), nop(0, 3)])?;
            expect_in_order(ring, cx, &[(1, 0), (2, 0), (3, 0)])
        })
    }),
    // S2 / S6: a failing member cancels the rest.
    ("s6_timeout_in_link_fails_followers", |cx| {
        with_ring(cx, |ring, cx| {
            submit(ring, cx, &[timeout(L, 1, 1, 0, 0), nop(L, 2), nop(0, 3)])?;
            expect_in_order(ring, cx, &[(1, ETIME), (2, ECANCELED), (3, ECANCELED)])
        })
    }),
    // S4: a hard link survives the failure.
    ("s4_hardlink_continues", |cx| {
        with_ring(cx, |ring, cx| {
            submit(
                ring,
                cx,
                &[timeout(H, 1, 1, 0, 0), timeout(H, 2, 1, 0, 0), nop(0, 3)],
            )?;
            expect_in_order(ring, cx, &[(1, ETIME), (2, ETIME), (3, 0)])
        })
    }),
    // S5: preparation failure cancels the whole chain, before and after.
    ("s5_prep_failure_cancels_whole_chain", |cx| {
        with_ring(cx, |ring, cx| {
            let bad = Sqe {
                opcode: 200,
                ..nop(H, 2)
            };
            submit(ring, cx, &[nop(H, 1), bad, nop(L, 3), nop(0, 4)])?;
            expect_in_order(
                ring,
                cx,
                &[(1, ECANCELED), (2, EINVAL_), (3, ECANCELED), (4, ECANCELED)],
            )
        })
    }),
    // S7
    ("s7_etime_success_keeps_link", |cx| {
        with_ring(cx, |ring, cx| {
            submit(
                ring,
                cx,
                &[timeout(L, 1, 1, 0, IORING_TIMEOUT_ETIME_SUCCESS), nop(0, 2)],
            )?;
            expect_in_order(ring, cx, &[(1, ETIME), (2, 0)])
        })
    }),
    // S8: the linked timeout fires first.
    ("s8_link_timeout_fires", |cx| {
        with_ring(cx, |ring, cx| {
            let fd = chan(ring, cx, false)?;
            submit(
                ring,
                cx,
                &[read(L, 1, fd, 8), link_timeout(L, 2, 10), nop(0, 3)],
            )?;
            expect_any_order(ring, cx, &[(1, ECANCELED), (2, ETIME), (3, ECANCELED)])
        })
    }),
    // S9: the target completes first.
    ("s9_target_completes_first", |cx| {
        with_ring(cx, |ring, cx| {
            let fd = chan(ring, cx, false)?;
            submit(ring, cx, &[nop(L, 1), link_timeout(0, 2, 1000)])?;
            expect_any_order(ring, cx, &[(1, 0), (2, ECANCELED)])?;
            submit(ring, cx, &[read(L, 3, fd, 8), link_timeout(0, 4, 5000)])?;
            submit(ring, cx, &[write(0, 5, fd, 8)])?;
            expect_any_order(ring, cx, &[(3, 8), (4, ECANCELED), (5, 8)])
        })
    }),
    // S8b: the target runs in io-wq when the linked timeout fires: its
    // worker is interrupted, and the timeout's cancel, which found it
    // running and nothing else, reports -ENOENT (`io_try_cancel()` falls
    // through; abi_iowq_blocked_read_cancel checks it against io_uring).
    ("s8b_link_timeout_on_iowq_target", |cx| {
        with_ring(cx, |ring, cx| {
            let fd = chan(ring, cx, false)?;
            submit(ring, cx, &[read(L | A, 1, fd, 8), link_timeout(0, 2, 10)])?;
            expect_any_order(ring, cx, &[(1, EINTR_), (2, ENOENT_)])
        })
    }),
    // S11: a linked timeout with nothing to guard.
    ("s11_lone_link_timeout_einval", |cx| {
        with_ring(cx, |ring, cx| {
            submit(ring, cx, &[link_timeout(0, 1, 10)])?;
            expect_in_order(ring, cx, &[(1, EINVAL_)])
        })
    }),
    // S11: whether a linked timeout may follow is decided by the previous
    // entry's opcode, which an entry that failed preparation still has
    // (liburing link-timeout.c: test_fail_two_link_timeouts).
    ("s11_link_timeout_after_failed_link_timeout", |cx| {
        with_ring(cx, |ring, cx| {
            submit(
                ring,
                cx,
                &[
                    nop(L, 1),
                    link_timeout(L, 2, 10_000),
                    link_timeout(L, 3, 10_000),
                    link_timeout(0, 4, 10_000),
                ],
            )?;
            expect_any_order(
                ring,
                cx,
                &[(1, ECANCELED), (2, ECANCELED), (3, EINVAL_), (4, EINVAL_)],
            )
        })
    }),
    // S11: the same after a linked timeout that failed for its own reason
    // (`ioprio`); a linked timeout after another opcode that failed
    // preparation is valid and only cancelled with its chain.
    ("s11_link_timeout_after_failed_prep", |cx| {
        with_ring(cx, |ring, cx| {
            let fd = chan(ring, cx, false)?;
            let bad_lt = Sqe {
                ioprio: 1,
                ..link_timeout(L, 2, 10_000)
            };
            submit(
                ring,
                cx,
                &[read(L, 1, fd, 8), bad_lt, link_timeout(0, 3, 10_000)],
            )?;
            expect_any_order(ring, cx, &[(1, ECANCELED), (2, EINVAL_), (3, EINVAL_)])?;
            let bad_nop = Sqe {
                ioprio: 1,
                ..nop(L, 4)
            };
            submit(ring, cx, &[bad_nop, link_timeout(0, 5, 10_000)])?;
            expect_any_order(ring, cx, &[(4, EINVAL_), (5, ECANCELED)])?;
            submit(ring, cx, &[sqe(200, L, 6), link_timeout(0, 7, 10_000)])?;
            expect_any_order(ring, cx, &[(6, EINVAL_), (7, ECANCELED)])
        })
    }),
    // S13
    ("s13_cqe_skip_success", |cx| {
        with_ring(cx, |ring, cx| {
            submit(ring, cx, &[nop(L | S, 1), nop(L | S, 2), nop(0, 3)])?;
            expect_in_order(ring, cx, &[(3, 0)])?;
            // A failing member with CQE_SKIP posts; its cancelled links do not.
            submit(
                ring,
                cx,
                &[timeout(L | S, 4, 1, 0, 0), nop(L, 5), nop(0, 6)],
            )?;
            expect_in_order(ring, cx, &[(4, ETIME)])?;
            expect_none(ring, cx, 50)
        })
    }),
    // io-wq: free_work finds the next request of a chain (patch 1/3).
    ("iowq_free_work_runs_linked_next", |cx| {
        with_ring(cx, |ring, cx| {
            let fd = chan(ring, cx, false)?;
            submit(ring, cx, &[read(L | A, 1, fd, 4), nop(L, 2), nop(0, 3)])?;
            expect_none(ring, cx, 20)?;
            submit(ring, cx, &[write(0, 4, fd, 4)])?;
            expect_any_order(ring, cx, &[(1, 4), (2, 0), (3, 0), (4, 4)])
        })
    }),
    // S14 / S15: cancel by user_data, found pending, and not found.
    ("s14_s15_cancel_by_user_data", |cx| {
        with_ring(cx, |ring, cx| {
            let fd = chan(ring, cx, false)?;
            submit(ring, cx, &[read(L, 1, fd, 8), nop(0, 2)])?;
            submit(ring, cx, &[cancel(0, 3, 1, 0)])?;
            expect_any_order(ring, cx, &[(1, ECANCELED), (2, ECANCELED), (3, 0)])?;
            submit(ring, cx, &[cancel(0, 4, 1, 0)])?;
            expect_in_order(ring, cx, &[(4, ENOENT_)])
        })
    }),
    // S16: the target runs in io-wq.
    ("s16_cancel_running_iowq", |cx| {
        with_ring(cx, |ring, cx| {
            let fd = chan(ring, cx, false)?;
            submit(ring, cx, &[read(A, 1, fd, 8)])?;
            expect_none(ring, cx, 20)?;
            submit(ring, cx, &[cancel(0, 2, 1, 0)])?;
            expect_any_order(ring, cx, &[(1, EINTR_), (2, EALREADY)])
        })
    }),
    // More workers than io-wq's first table of workers holds (four): ten
    // reads block, a worker each, so the table grows twice while workers
    // run; cancel ALL must still find and interrupt each one's work.
    ("iowq_workers_beyond_the_first_table", |cx| {
        with_ring(cx, |ring, cx| {
            let fd = chan(ring, cx, false)?;
            let reads: KVec<Sqe> = (0..10)
                .map(|_| read(A, 7, fd, 8))
                .try_fold(KVec::new(), |mut v, sqe| {
                    v.push(sqe, GFP_KERNEL).map(|()| v)
                })
                .map_err(|_| "no memory")?;
            submit(ring, cx, &reads)?;
            expect_none(ring, cx, 50)?;
            cancel_all_blocked(ring, cx, 10)
        })
    }),
    // Work that may sleep gets a worker of its own, idle workers or not
    // (`io_wq_worker_sleeping()`): two workers are left idle, six reads
    // then block, each on its own channel, and the last one's data must
    // reach it while the five before it still block. Were the idle
    // workers woken for the first reads and no more workers made, the
    // last read would wait for one of the first.
    ("iowq_sleeping_work_gets_a_worker_each", |cx| {
        with_ring(cx, |ring, cx| {
            let (c0, c1) = (chan(ring, cx, false)?, chan(ring, cx, false)?);
            submit(ring, cx, &[read(A, 1, c0, 1), read(A, 2, c1, 1)])?;
            expect_none(ring, cx, 20)?;
            submit(ring, cx, &[write(0, 3, c0, 1), write(0, 4, c1, 1)])?;
            expect_any_order(ring, cx, &[(1, 1), (2, 1), (3, 1), (4, 1)])?;
            let mut reads = KVec::new();
            let mut last = 0;
            for i in 0..6 {
                last = chan(ring, cx, false)?;
                let ud = if i == 5 { 16 } else { 7 };
                reads
                    .push(read(A, ud, last, 1), GFP_KERNEL)
                    .map_err(|_| "no memory")?;
            }
            submit(ring, cx, &reads)?;
            expect_none(ring, cx, 20)?;
            submit(ring, cx, &[write(0, 20, last, 1)])?;
            expect_any_order(ring, cx, &[(16, 1), (20, 1)])?;
            cancel_all_blocked(ring, cx, 5)
        })
    }),
    // Workers that leave io-wq leave a slot and a thread behind: four of
    // six exit over a lowered limit, then six reads block again, the last
    // one's data must reach it (each has a worker, in reused slots), and
    // the creations reaped the exited workers' threads: the ring keeps a
    // thread for each worker in the table and no other.
    ("iowq_exited_workers_leave_no_thread", |cx| {
        with_ring(cx, |ring, cx| {
            let blocked = |ring: &Arc<IoRingCtx>, cx: &mut TaskCtx, last_ud: u64| {
                let mut reads = KVec::new();
                let mut last = 0;
                for i in 0..6 {
                    last = chan(ring, cx, false)?;
                    let ud = if i == 5 { last_ud } else { 7 };
                    reads
                        .push(read(A, ud, last, 1), GFP_KERNEL)
                        .map_err(|_| "no memory")?;
                }
                submit(ring, cx, &reads)?;
                expect_none(ring, cx, 20).map(|()| last)
            };
            blocked(ring, cx, 7)?;
            let limits = Ring::open(ring, |r| r.lock_iowq(cx).max_workers([0, 2]));
            cancel_all_blocked(ring, cx, 6)?;
            let mut workers = usize::MAX;
            for _ in 0..100 {
                workers = Ring::open(ring, |r| r.iowq_threads_and_workers(cx)).1;
                if workers <= 2 {
                    break;
                }
                expect_none(ring, cx, 10)?;
            }
            if workers > 2 {
                return Err("workers over the lowered limit did not exit");
            }
            Ring::open(ring, |r| r.lock_iowq(cx).max_workers(limits));
            let last = blocked(ring, cx, 16)?;
            submit(ring, cx, &[write(0, 20, last, 1)])?;
            expect_any_order(ring, cx, &[(16, 1), (20, 1)])?;
            let (threads, workers) = Ring::open(ring, |r| r.iowq_threads_and_workers(cx));
            if threads != workers {
                pr_info!("# {threads} threads for {workers} workers\n");
                return Err("a thread of an exited worker was not reaped");
            }
            cancel_all_blocked(ring, cx, 5)
        })
    }),
    // S17
    ("s17_cancel_all_and_any_count", |cx| {
        with_ring(cx, |ring, cx| {
            let fd = chan(ring, cx, false)?;
            submit(
                ring,
                cx,
                &[read(0, 7, fd, 1), poll(0, 7, fd), read(0, 7, fd, 1)],
            )?;
            submit(ring, cx, &[read(0, 8, fd, 1)])?;
            submit(ring, cx, &[cancel(0, 9, 7, IORING_ASYNC_CANCEL_ALL)])?;
            let got = reap(ring, cx, 4)?;
            let cancelled = got
                .iter()
                .filter(|c| c.user_data == 7 && c.res == ECANCELED)
                .count();
            let count = got.iter().find(|c| c.user_data == 9).map(|c| c.res);
            if cancelled != 3 || count != Some(3) {
                return Err("cancel ALL did not cancel and count all three");
            }
            // ANY matches whatever user_data: the read of 8 and one more.
            submit(ring, cx, &[read(0, 10, fd, 1)])?;
            submit(ring, cx, &[cancel(0, 11, 0, IORING_ASYNC_CANCEL_ANY)])?;
            expect_any_order(ring, cx, &[(8, ECANCELED), (10, ECANCELED), (11, 2)])
        })
    }),
    // S19
    ("s19_timeout_remove", |cx| {
        with_ring(cx, |ring, cx| {
            submit(ring, cx, &[timeout(0, 1, 10_000, 0, 0)])?;
            submit(ring, cx, &[timeout_remove(2, 1)])?;
            expect_any_order(ring, cx, &[(1, ECANCELED), (2, 0)])?;
            submit(ring, cx, &[timeout_remove(3, 1)])?;
            expect_in_order(ring, cx, &[(3, ENOENT_)])
        })
    }),
    // S12: a linked timeout's expiry is updated; updating one that does not
    // exist is -ENOENT.
    ("s12_link_timeout_update", |cx| {
        with_ring(cx, |ring, cx| {
            let fd = chan(ring, cx, false)?;
            submit(ring, cx, &[read(L, 1, fd, 8), link_timeout(0, 2, 10_000)])?;
            submit(
                ring,
                cx,
                &[timeout_update(3, 2, 10, IORING_LINK_TIMEOUT_UPDATE)],
            )?;
            expect_any_order(ring, cx, &[(1, ECANCELED), (2, ETIME), (3, 0)])?;
            submit(
                ring,
                cx,
                &[timeout_update(4, 2, 10, IORING_LINK_TIMEOUT_UPDATE)],
            )?;
            expect_in_order(ring, cx, &[(4, ENOENT_)])
        })
    }),
    // IORING_TIMEOUT_UPDATE re-arms a timeout.
    ("timeout_update_rearms", |cx| {
        with_ring(cx, |ring, cx| {
            submit(ring, cx, &[timeout(0, 1, 10_000, 0, 0)])?;
            submit(ring, cx, &[timeout_update(2, 1, 10, IORING_TIMEOUT_UPDATE)])?;
            expect_any_order(ring, cx, &[(1, ETIME), (2, 0)])
        })
    }),
    // S3: a short read fails the link.
    ("s3_short_read_fails_link", |cx| {
        with_ring(cx, |ring, cx| {
            let fd = chan(ring, cx, false)?;
            submit(ring, cx, &[write(0, 1, fd, 4)])?;
            submit(ring, cx, &[read(L, 2, fd, 8), nop(0, 3)])?;
            expect_in_order(ring, cx, &[(1, 4), (2, 4), (3, ECANCELED)])
        })
    }),
    // A write from outside the ring (write(2) to a pipe) wakes a poll-armed
    // request through task work.
    ("channel_write_wakes_poll", |cx| {
        with_ring(cx, |ring, cx| {
            let fd = chan(ring, cx, false)?;
            submit(ring, cx, &[poll(0, 1, fd)])?;
            expect_none(ring, cx, 20)?;
            Ring::open(ring, |r| io_channel_write(r, cx, fd as u32, 1))
                .map_err(|_| "channel write failed")?;
            expect_in_order(ring, cx, &[(1, POLLIN as i32)])
        })
    }),
    // TIMEOUT with a completion count.
    ("timeout_count_fires_on_completions", |cx| {
        with_ring(cx, |ring, cx| {
            submit(ring, cx, &[timeout(0, 1, 10_000, 2, 0)])?;
            submit(ring, cx, &[nop(0, 2), nop(0, 3)])?;
            expect_any_order(ring, cx, &[(1, 0), (2, 0), (3, 0)])
        })
    }),
    // S21: task exit cancels only chains with an INFLIGHT request.
    ("s21_task_exit_cancels_inflight_only", |cx| {
        with_ring(cx, |ring, cx| {
            let ringfd = chan(ring, cx, true)?;
            submit(ring, cx, &[poll(L, 1, ringfd), timeout(0, 2, 10_000, 0, 0)])?;
            submit(ring, cx, &[timeout(0, 3, 50, 0, 0)])?;
            task_cancel(ring, cx, false)?;
            expect_any_order(ring, cx, &[(1, ECANCELED), (2, ECANCELED), (3, ETIME)])
        })
    }),
    // S21: REQ_F_INFLIGHT is set when the request is issued, so task exit
    // does not cancel a chain whose inflight request still waits behind a
    // timeout; the timeout then fails the link as usual.
    ("s21_task_exit_spares_unissued_inflight", |cx| {
        with_ring(cx, |ring, cx| {
            let ringfd = chan(ring, cx, true)?;
            submit(ring, cx, &[timeout(L, 1, 50, 0, 0), poll(0, 2, ringfd)])?;
            task_cancel(ring, cx, false)?;
            expect_in_order(ring, cx, &[(1, ETIME), (2, ECANCELED)])
        })
    }),
    // S21 after the exit: C runs a dead task's task work in its fallback
    // worker, where `io_should_terminate_tw()` holds. Nothing here waits
    // for a clock to beat the exit: what fires after it is started after
    // it, by a request of a new task (a later one under the same id).
    //
    // A linked timeout firing after the exit does not cancel its target
    // (-ECANCELED, upstream's `tw.cancel`; the target waits for ring exit).
    ("s21_exit_link_timeout_leaves_target", |cx| {
        with_ring(cx, |ring, cx| {
            let fd = chan(ring, cx, false)?;
            submit(ring, cx, &[poll(L, 1, fd), link_timeout(0, 2, 10_000)])?;
            task_cancel(ring, cx, false)?;
            submit(
                ring,
                cx,
                &[timeout_update(3, 2, 1, IORING_LINK_TIMEOUT_UPDATE)],
            )?;
            expect_any_order(ring, cx, &[(2, ECANCELED), (3, 0)])?;
            expect_none(ring, cx, 50)
        })
    }),
    // The next request of a chain is issued from task work: terminated with
    // -EFAULT (`io_req_task_submit()`), which fails the chain, or goes on
    // to the next issue, terminated too, after a hard link. The timeouts
    // expire on the completion of the new task's NOP.
    ("s21_exit_next_issue_efault", |cx| {
        with_ring(cx, |ring, cx| {
            submit(
                ring,
                cx,
                &[timeout(L, 1, 10_000, 1, 0), nop(L, 2), nop(0, 3)],
            )?;
            submit(
                ring,
                cx,
                &[timeout(H, 4, 10_000, 1, 0), nop(H, 5), nop(0, 6)],
            )?;
            task_cancel(ring, cx, false)?;
            submit(ring, cx, &[nop(0, 7)])?;
            expect_any_order(
                ring,
                cx,
                &[
                    (1, 0),
                    (2, EFAULT_),
                    (3, ECANCELED),
                    (4, 0),
                    (5, EFAULT_),
                    (6, EFAULT_),
                    (7, 0),
                ],
            )?;
            // The new task's chains run.
            let et = IORING_TIMEOUT_ETIME_SUCCESS;
            submit(ring, cx, &[timeout(L, 8, 10, 0, et), nop(0, 9)])?;
            expect_in_order(ring, cx, &[(8, ETIME), (9, 0)])
        })
    }),
    // A poll-armed request woken after the exit is cancelled
    // (`io_poll_check_events()`), and so are its links; a drained request
    // issued after the exit fails with -EFAULT. Being deferred, it was not
    // issued, so not inflight, and the exit did not cancel it.
    ("s21_exit_poll_wake_and_deferred_issue", |cx| {
        with_ring(cx, |ring, cx| {
            let p = chan(ring, cx, false)?;
            let q = chan(ring, cx, false)?;
            let r = chan(ring, cx, false)?;
            let ringfd = chan(ring, cx, true)?;
            submit(ring, cx, &[poll(0, 1, p)])?;
            submit(ring, cx, &[read(L, 2, q, 8), nop(0, 3)])?;
            submit(ring, cx, &[poll(0, 4, r), poll(D, 5, ringfd)])?;
            task_cancel(ring, cx, false)?;
            for (fd, len) in [(p, 1), (q, 8), (r, 1)] {
                Ring::open(ring, |ring| io_channel_write(ring, cx, fd as u32, len))
                    .map_err(|_| "channel write failed")?;
            }
            expect_any_order(
                ring,
                cx,
                &[
                    (1, ECANCELED),
                    (2, ECANCELED),
                    (3, ECANCELED),
                    (4, ECANCELED),
                    (5, EFAULT_),
                ],
            )
        })
    }),
    // S20: exec cancels everything of the task.
    ("s20_exec_cancels_all", |cx| {
        with_ring(cx, |ring, cx| {
            submit(ring, cx, &[timeout(L, 1, 10_000, 0, 0), nop(0, 2)])?;
            task_cancel(ring, cx, true)?;
            expect_any_order(ring, cx, &[(1, ECANCELED), (2, ECANCELED)])
        })
    }),
    // S20 with drained chains: exec cancels every deferred chain. The
    // chains are detached before any is failed, so the completion of one
    // does not issue the next (`io_cancel_defer_files()`); the ring
    // drains normally afterwards.
    ("s20_exec_cancels_deferred_chains", |cx| {
        with_ring(cx, |ring, cx| {
            submit(
                ring,
                cx,
                &[timeout(0, 1, 10_000, 0, 0), nop(D, 2), nop(0, 3), nop(0, 4)],
            )?;
            expect_none(ring, cx, 20)?;
            task_cancel(ring, cx, true)?;
            expect_any_order(
                ring,
                cx,
                &[
                    (1, ECANCELED),
                    (2, ECANCELED),
                    (3, ECANCELED),
                    (4, ECANCELED),
                ],
            )?;
            submit(ring, cx, &[nop(D, 5), nop(0, 6)])?;
            expect_in_order(ring, cx, &[(5, 0), (6, 0)])
        })
    }),
    // S22: ring exit with pending linked work and timeouts.
    ("s22_ring_exit_with_pending_work", |cx| {
        with_ring(cx, |ring, cx| {
            let fd = chan(ring, cx, false)?;
            submit(
                ring,
                cx,
                &[read(L, 1, fd, 8), link_timeout(L, 2, 10_000), nop(0, 3)],
            )?;
            submit(ring, cx, &[read(L | A, 4, fd, 8), nop(0, 5)])?;
            submit(ring, cx, &[timeout(L, 6, 10_000, 0, 0), nop(0, 7)])?;
            submit(ring, cx, &[poll(L, 8, fd), link_timeout(0, 9, 10_000)])?;
            // Deferred behind all of the above until ring exit cancels it.
            submit(ring, cx, &[nop(D | L, 10), nop(0, 11)])?;
            expect_none(ring, cx, 20)
        })
    }),
    // S23: a drained request waits for everything before it; later ones
    // wait for it.
    ("s23_drain_waits_for_earlier", |cx| {
        with_ring(cx, |ring, cx| {
            submit(ring, cx, &[timeout(0, 1, 20, 0, 0), nop(D, 2), nop(0, 3)])?;
            expect_in_order(ring, cx, &[(1, ETIME), (2, 0), (3, 0)])
        })
    }),
    // S23: a drain in mid-link drains the chain and the next one
    // (liburing link_drain.c shape).
    ("s23_drain_in_link", |cx| {
        with_ring(cx, |ring, cx| {
            submit(
                ring,
                cx,
                &[
                    timeout(0, 0, 20, 0, 0),
                    nop(L, 1),
                    nop(L | D, 2),
                    nop(0, 3),
                    nop(0, 4),
                ],
            )?;
            expect_in_order(ring, cx, &[(0, ETIME), (1, 0), (2, 0), (3, 0), (4, 0)])
        })
    }),
    // S24
    ("s24_drain_after_cqe_skip_eopnotsupp", |cx| {
        with_ring(cx, |ring, cx| {
            submit(ring, cx, &[nop(S, 1), nop(D, 2)])?;
            expect_in_order(ring, cx, &[(2, EOPNOTSUPP)])?;
            expect_none(ring, cx, 20)
        })
    }),
    // S24 within one entry: `io_init_req()` turns draining off for the
    // entry's CQE_SKIP_SUCCESS before it reads the same entry's DRAIN.
    ("s24_drain_and_cqe_skip_on_one_entry", |cx| {
        with_ring(cx, |ring, cx| {
            submit(ring, cx, &[nop(S | D, 1)])?;
            expect_in_order(ring, cx, &[(1, EOPNOTSUPP)])?;
            expect_none(ring, cx, 20)
        })
    }),
    // S24 within one chain: the refused member fails the chain, whose
    // head posts (`req_set_fail()`) and, being CQE_SKIP_SUCCESS, hides the
    // completions of the links it fails (`REQ_F_SKIP_LINK_CQES`).
    ("s24_drain_after_cqe_skip_in_chain", |cx| {
        with_ring(cx, |ring, cx| {
            submit(ring, cx, &[nop(L | S, 1), nop(D, 2)])?;
            expect_in_order(ring, cx, &[(1, ECANCELED)])?;
            expect_none(ring, cx, 20)
        })
    }),
    // An entry that fails before its flags are read (an unknown opcode)
    // does not turn draining off.
    ("s24_cqe_skip_of_unknown_opcode_keeps_drain", |cx| {
        with_ring(cx, |ring, cx| {
            let bad = Sqe {
                opcode: 200,
                ..nop(S, 1)
            };
            submit(ring, cx, &[bad])?;
            submit(ring, cx, &[nop(D, 2)])?;
            expect_in_order(ring, cx, &[(1, EINVAL_), (2, 0)])?;
            expect_none(ring, cx, 20)
        })
    }),
    // A timeout's own completion does not count for another count-based
    // timeout (`cached_cq_tail - cq_timeouts`): both fire with -ETIME (in
    // either order: under Miri the clock outruns the program).
    ("timeout_cqes_do_not_count_for_timeouts", |cx| {
        with_ring(cx, |ring, cx| {
            submit(
                ring,
                cx,
                &[timeout(0, 1, 60, 1, 0), timeout(0, 2, 10, 1, 0)],
            )?;
            expect_any_order(ring, cx, &[(2, ETIME), (1, ETIME)])
        })
    }),
    // The CQ ring: a flood into 4 entries overflows and loses nothing.
    ("r1_cq_overflow_loses_nothing", |cx| {
        with_small_ring(cx, 4, 4, |ring, cx| {
            let mut sqes = KVec::new();
            for ud in 0..64 {
                sqes.push(nop(0, ud), GFP_KERNEL).map_err(|_| "oom")?;
            }
            submit(ring, cx, &sqes)?;
            if ring.rings().sq_flags() & IORING_SQ_CQ_OVERFLOW == 0 {
                return Err("IORING_SQ_CQ_OVERFLOW not set");
            }
            let got = reap(ring, cx, 64)?;
            for (i, c) in got.iter().enumerate() {
                if c.user_data != i as u64 || c.res != 0 {
                    return Err("overflowed completions out of order");
                }
            }
            if ring.rings().sq_flags() & IORING_SQ_CQ_OVERFLOW != 0 {
                return Err("IORING_SQ_CQ_OVERFLOW still set");
            }
            if ring.rings().cq_tail() != 64 {
                return Err("CQ tail is not 64");
            }
            expect_none(ring, cx, 10)
        })
    }),
    // SQPOLL: a kernel thread submits what the SQ ring holds, idles with
    // IORING_SQ_NEED_WAKEUP set, and submits again once woken.
    ("r3_sqpoll_thread_submits_and_idles", |cx| {
        let params = RingParams {
            sq_entries: 8,
            cq_entries: 16,
            sqpoll: true,
            sq_thread_idle_ms: 10,
            ..RingParams::DEFAULT
        };
        let ring = IoRingCtx::create_with(cx, params).map_err(|_| "ring allocation failed")?;
        run_and_exit(&ring, cx, |ring, cx| {
            io_sq_offload_create(cx, ring, TASK, inline_ns).map_err(|_| "no SQPOLL thread")?;
            let r = ring.rings();
            for (pos, ud) in [(0u32, 1u64), (1, 2)] {
                r.set_sqe(pos, &nop(0, ud));
                r.set_sq_array(pos, pos);
            }
            r.set_sq_tail(2);
            // As liburing submits to an SQPOLL ring: a full barrier after
            // publishing the tail, then a wake-up if the thread went idle
            // before it saw the entries (a slow start, or a preemption
            // here longer than the idle time, does it).
            core::sync::atomic::fence(core::sync::atomic::Ordering::SeqCst);
            if r.sq_flags() & IORING_SQ_NEED_WAKEUP != 0 {
                ring.sq_wake();
            }
            expect_in_order(ring, cx, &[(1, 0), (2, 0)])?;
            let mut idle = false;
            for _ in 0..100 {
                if r.sq_flags() & IORING_SQ_NEED_WAKEUP != 0 {
                    idle = true;
                    break;
                }
                let _ = expect_none(ring, cx, 10);
            }
            if !idle {
                return Err("IORING_SQ_NEED_WAKEUP never set");
            }
            r.set_sqe(2, &nop(0, 3));
            r.set_sq_array(2, 2);
            r.set_sq_tail(3);
            ring.sq_wake();
            expect_in_order(ring, cx, &[(3, 0)])
        })
    }),
    // The SQ ring: entries taken between head and tail through the SQ
    // array; a slot naming no entry is dropped and ends the batch.
    ("r2_sq_ring_submission_and_dropped", |cx| {
        with_small_ring(cx, 4, 8, |ring, cx| {
            let r = ring.rings();
            for (pos, ud) in [(0u32, 10u64), (1, 11)] {
                r.set_sqe(pos, &nop(0, ud));
                r.set_sq_array(pos, pos);
            }
            r.set_sq_array(2, 7);
            r.set_sqe(3, &nop(0, 13));
            r.set_sq_array(3, 3);
            r.set_sq_tail(4);
            let n = io_submit_from_sq(ring, cx, sq_ctx(), 8, &tctx()?, &InlineNs)
                .map_err(|_| "enter failed")?;
            if n != 2 || r.sq_head() != 3 || r.sq_dropped() != 1 {
                return Err("wrong count, head or sq_dropped after a bad slot");
            }
            let n = io_submit_from_sq(ring, cx, sq_ctx(), 8, &tctx()?, &InlineNs)
                .map_err(|_| "enter failed")?;
            if n != 1 || r.sq_head() != 4 {
                return Err("the entry after the bad slot was not submitted");
            }
            expect_in_order(ring, cx, &[(10, 0), (11, 0), (13, 0)])
        })
    }),
    // The request cache: a request freed under `uring_lock` leaves its
    // memory for the next allocation; one freed by an io-wq worker leaves
    // it in io-wq's cache, which allocation takes over once its own is
    // empty. Every request is counted freed all the same.
    ("req_cache_reuses_freed_requests", |cx| {
        with_small_ring(cx, 4, 8, |ring, cx| {
            // Each request is freed before the next is allocated: one
            // allocation serves all three.
            submit(ring, cx, &[nop(0, 1), nop(0, 2), nop(0, 3)])?;
            expect_in_order(ring, cx, &[(1, 0), (2, 0), (3, 0)])?;
            if take_cached(ring, cx) != 1 {
                return Err("a request did not reuse the memory of the one before");
            }
            // A chain is allocated whole, then freed whole.
            submit(ring, cx, &[nop(L, 1), nop(L, 2), nop(0, 3)])?;
            expect_in_order(ring, cx, &[(1, 0), (2, 0), (3, 0)])?;
            if take_cached(ring, cx) != 3 {
                return Err("inline frees did not fill the request cache");
            }
            // One chain, allocated before either runs: both are freed by
            // the worker, after it posted their completions.
            submit(ring, cx, &[nop(A | L, 4), nop(A, 5)])?;
            expect_in_order(ring, cx, &[(4, 0), (5, 0)])?;
            for _ in 0..500 {
                if ring.inflight() == 0 {
                    break;
                }
                let _ = expect_none(ring, cx, 10);
            }
            if take_cached(ring, cx) != 2 {
                return Err("io-wq frees did not reach the request cache");
            }
            submit(ring, cx, &[nop(0, 6)])?;
            expect_in_order(ring, cx, &[(6, 0)])?;
            if ring.inflight() != 0 {
                return Err("a cached request is counted in flight");
            }
            Ok(())
        })
    }),
];

/// Empties `ring`'s request cache; returns how many it held.
fn take_cached(ring: &Arc<IoRingCtx>, cx: &mut TaskCtx) -> usize {
    Ring::open(ring, |r| {
        let mut g = r.lock_uring(cx);
        let mut n = 0;
        while g.io_alloc_req().is_some() {
            n += 1;
        }
        n
    })
}

/// The SQPOLL thread's timespecs in the self-test: nanoseconds inline.
fn inline_ns(ns: u64) -> kernel::error::Result<u64> {
    Ok(ns)
}

/// A self-test case's right to consume an SQ once: the case stands for a
/// system call, entered from module `init` or a host test thread.
#[allow(unsafe_code)]
fn sq_ctx() -> SqCtx {
    // SAFETY: Each call is one simulated system call, made with no SQ lock
    // held (the cases take none across it).
    unsafe { SqCtx::enter() }
}

/// As [`with_ring`], with `sq` and `cq` entries.
fn with_small_ring(
    cx: &mut TaskCtx,
    sq: u32,
    cq: u32,
    body: impl FnOnce(&Arc<IoRingCtx>, &mut TaskCtx) -> CaseResult,
) -> CaseResult {
    let params = RingParams {
        sq_entries: sq,
        cq_entries: cq,
        ..RingParams::DEFAULT
    };
    let ring = IoRingCtx::create_with(cx, params).map_err(|_| "ring allocation failed")?;
    run_and_exit(&ring, cx, body)
}

/// Runs every self-test case.
pub(crate) fn run(cx: &mut TaskCtx) -> Report {
    let mut t = Ktap::new(CASES.len() as u32);
    for (name, body) in CASES {
        t.case(name, || body(cx));
    }
    t.finish()
}
