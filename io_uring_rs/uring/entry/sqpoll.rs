// SPDX-License-Identifier: GPL-2.0

//! The `IORING_SETUP_SQPOLL` thread: `io_sq_thread()` and
//! `io_sq_offload_create()`.
//!
//! A kernel thread per ring (C shares one between rings that ask for it
//! with `IORING_SETUP_ATTACH_WQ`, which is not implemented) submits what user
//! space puts in the SQ ring, without system calls: while there is work, and
//! for `sq_thread_idle` after, it polls; then it sets `IORING_SQ_NEED_WAKEUP`
//! in the SQ ring's flags, looks once more, and sleeps until
//! `io_uring_enter(IORING_ENTER_SQ_WAKEUP)` wakes it. Ring exit stops it
//! first.

use super::submit::io_submit_from_sq;
use crate::glue::context::TaskCtx;
use crate::glue::kernel_api::ktime_get_ns;
use crate::glue::kthread::{KThread, ThreadCtx, ThreadKind};
use crate::glue::tctx::IoUringTask;
use crate::uapi::IORING_SQ_NEED_WAKEUP;
use crate::uring::model::ring::IoRingCtx;
use crate::uring::model::sqe::UserMem;
use kernel::prelude::*;
use kernel::sync::Arc;
use kernel::time::msecs_to_jiffies;

/// How often an idle thread looks whether ring exit asked it to stop (the
/// stop also wakes it; this bounds a wake-up lost to the race between its
/// check and its sleep).
const STOP_CHECK_MS: u32 = 100;

/// A reader of user timespecs the thread can keep.
pub(crate) type ReadNs = fn(u64) -> Result<u64>;

/// User memory for the thread: the creator's address space, which the
/// pass runs in.
struct FnUserMem {
    read_ns: ReadNs,
}

impl UserMem for FnUserMem {
    fn read_ns(&self, addr: u64) -> Result<u64> {
        (self.read_ns)(addr)
    }
}

/// What the thread works with.
struct SqData {
    ring: Arc<IoRingCtx>,
    /// The task work of its requests, which belong to the ring's creator:
    /// run by the fallback worker, since the thread never returns to user
    /// space (C's runs its own in `io_sq_tw()`). Their descriptors resolve
    /// in the creator's file table, which C's thread shares.
    tctx: Arc<IoUringTask>,
    idle_ns: u64,
    read_ns: ReadNs,
}

/// `io_sq_offload_create()`: starts the thread of `ring`, made by `task`,
/// which reads timespecs with `read_ns` (in the creator's address space).
pub(crate) fn io_sq_offload_create(
    cx: &TaskCtx,
    ring: &Arc<IoRingCtx>,
    task: u32,
    read_ns: ReadNs,
) -> Result {
    let idle_ms = match ring.params().sq_thread_idle_ms {
        0 => 1000,
        ms => ms,
    };
    let data = Arc::new(
        SqData {
            ring: ring.clone(),
            tctx: IoUringTask::new_fallback_in(cx, task)?,
            idle_ns: u64::from(idle_ms) * 1_000_000,
            read_ns,
        },
        GFP_KERNEL_ACCOUNT,
    )?;
    let t = KThread::spawn(cx, data, ThreadKind::SqPoll, task as i32, io_sq_thread)?;
    ring.set_sq_thread(cx, t);
    Ok(())
}

/// One pass: submits what the SQ ring holds, in the creator's address
/// space; whether there was any. The SQ ring is looked at first, through
/// the kernel's mapping: an empty pass does not switch address spaces. If
/// the creator's address space is gone, nothing can be read from it, and
/// nothing is submitted.
fn io_sq_thread_pass(d: &SqData, tcx: &mut ThreadCtx) -> bool {
    let rings = d.ring.rings();
    let avail = rings.sq_tail().wrapping_sub(rings.sq_head());
    if avail == 0 {
        return false;
    }
    tcx.pass(|cx, sq| {
        let mem = FnUserMem { read_ns: d.read_ns };
        io_submit_from_sq(&d.ring, cx, sq, avail, &d.tctx, &mem)
    })
    .is_some()
}

/// `io_sq_thread()`.
fn io_sq_thread(d: &SqData, tcx: &mut ThreadCtx) {
    let rings = d.ring.rings();
    let mut last = ktime_get_ns();
    while !tcx.should_stop() {
        if io_sq_thread_pass(d, tcx) {
            last = ktime_get_ns();
            tcx.cond_resched();
            continue;
        }
        if ((ktime_get_ns() - last) as u64) < d.idle_ns {
            tcx.cond_resched();
            continue;
        }
        // Idle: ask for a wake-up, then look once more before sleeping, so
        // that an entry published before the flag was seen is not missed.
        // Then sleep until `IORING_ENTER_SQ_WAKEUP` (as C, without looking
        // at the SQ again); the timeout only bounds how late a stop is seen.
        rings.set_sq_flags(IORING_SQ_NEED_WAKEUP);
        if !io_sq_thread_pass(d, tcx) {
            while !tcx.should_stop() {
                if d.ring
                    .sq_idle_wait(tcx.task(), msecs_to_jiffies(STOP_CHECK_MS))
                {
                    break;
                }
            }
        }
        rings.clear_sq_flags(IORING_SQ_NEED_WAKEUP);
        last = ktime_get_ns();
    }
}
