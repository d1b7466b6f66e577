// SPDX-License-Identifier: GPL-2.0

//! `/dev/io_uring_rs`: the ioctl ABI (`uapi.rs`) over the core.
//!
//! Every input is validated before the core sees it: reserved fields must be
//! zero and sizes within the documented limits (`-EINVAL`), user pointers are
//! only accessed through `UserSlice` (`-EFAULT`), unknown commands are
//! `-ENOTTY`. What real io_uring reports per request (an unknown opcode or
//! flag, a bad argument) is reported the same way, as the request's
//! completion, by the core's preparation.

use super::sqpoll::io_sq_offload_create;
use super::submit::io_submit_from_sq;
use super::tw::tctx_task_work;
use crate::glue::context::{SqCtx, TaskCtx};
use crate::glue::kernel_api::{
    ktime_get_ns, ktime_ms_delta, mmap_unknown_offset, rlimit_nproc, user_slice, AsBytes, FromBytes,
};
use crate::glue::region::Region;
use crate::glue::rings;
use crate::glue::tctx::IoUringTask;
use crate::uapi::*;
use crate::uring::lifecycle::cancel::{
    io_ring_exit, io_uring_cancel_generic, io_uring_cancel_inflight,
};
use crate::uring::lifecycle::complete::{io_cqring_overflow_flush, io_cqring_wait_user};
use crate::uring::model::error::eownerdead;
use crate::uring::model::ring::{IoRingCtx, Ring, RingParams};
use crate::uring::model::sqe::{
    op_supported, Sqe, UserMem, EPOLLOUT, EPOLLRDNORM, EPOLLWRNORM, IORING_OP_LAST, POLLIN,
};
use core::mem::size_of;
use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use kernel::prelude::*;
use kernel::sync::Arc;
use kernel::time::{msecs_to_jiffies, Jiffies};

/// A ring exit still waiting for requests after this long prints the
/// slow-exit warning (once) and is counted in `slow_exits`; it goes on
/// cancelling until every request is freed.
const EXIT_WARN_MS: u32 = 30_000;
/// How long the cancel ioctl waits for the task's requests to go.
const CANCEL_TIMEOUT_MS: u32 = 20_000;

/// Module-wide ring accounting, read by `IO_URING_RS_IOC_STATS`. Each
/// counter changes on its own, so a reader sees a consistent value of each,
/// not a snapshot of all: `rings` and `exiting` are decremented last, after
/// the exit's other counters and after the exit dropped its reference to
/// the ring, so `exiting == 0` means every closed ring's requests are freed.
static RINGS: AtomicU32 = AtomicU32::new(0);
static EXITING: AtomicU32 = AtomicU32::new(0);
static EXITS: AtomicU64 = AtomicU64::new(0);
static SLOW_EXITS: AtomicU32 = AtomicU32::new(0);
static MAX_EXIT_MS: AtomicU32 = AtomicU32::new(0);

/// A ring made for a file that another thread set up first: it never
/// held a request.
pub(crate) fn discard(ring: Arc<IoRingCtx>) {
    drop(ring);
    RINGS.fetch_sub(1, Ordering::Release);
}

/// Setup flags Linux 6.12 knows (`io_uring_setup()`).
const SETUP_KNOWN: u32 = IORING_SETUP_IOPOLL
    | IORING_SETUP_SQPOLL
    | IORING_SETUP_SQ_AFF
    | IORING_SETUP_CQSIZE
    | IORING_SETUP_CLAMP
    | IORING_SETUP_ATTACH_WQ
    | IORING_SETUP_R_DISABLED
    | IORING_SETUP_SUBMIT_ALL
    | IORING_SETUP_COOP_TASKRUN
    | IORING_SETUP_TASKRUN_FLAG
    | IORING_SETUP_SQE128
    | IORING_SETUP_CQE32
    | IORING_SETUP_SINGLE_ISSUER
    | IORING_SETUP_DEFER_TASKRUN
    | IORING_SETUP_NO_MMAP
    | IORING_SETUP_REGISTERED_FD_ONLY
    | IORING_SETUP_NO_SQARRAY;

/// Setup flags this module implements; the rest of [`SETUP_KNOWN`] is
/// refused with `-EINVAL`, what 6.12 answers for a flag it does not take.
const SETUP_SUPPORTED: u32 = IORING_SETUP_CQSIZE
    | IORING_SETUP_CLAMP
    | IORING_SETUP_SUBMIT_ALL
    | IORING_SETUP_IOPOLL
    | IORING_SETUP_SQPOLL;

/// `io_uring_create()`'s sizing: the SQ rounded up to a power of two, the CQ
/// twice that or `cq_entries` rounded (`IORING_SETUP_CQSIZE`), clamped with
/// `IORING_SETUP_CLAMP`, else `-EINVAL` when too big.
fn ring_sizes(entries: u32, p: &IoUringParams) -> Result<(u32, u32)> {
    // 0 is refused; above `max`, clamped with `IORING_SETUP_CLAMP`, else
    // refused; then rounded up to a power of two.
    let size = |n: u32, max: u32| match n {
        0 => Err(EINVAL),
        n if n > max && p.flags & IORING_SETUP_CLAMP == 0 => Err(EINVAL),
        n => Ok(n.min(max).next_power_of_two()),
    };
    let sq = size(entries, IORING_MAX_ENTRIES)?;
    let cq = if p.flags & IORING_SETUP_CQSIZE != 0 {
        let cq = size(p.cq_entries, IORING_MAX_CQ_ENTRIES)?;
        if cq < sq {
            return Err(EINVAL);
        }
        cq
    } else {
        2 * sq
    };
    Ok((sq, cq))
}

/// `IO_URING_RS_IOC_SETUP`: `io_uring_setup(2)` (`io_uring_create()`):
/// reads the parameters, makes the ring and its shared memory, and writes
/// the sizes, offsets and features back.
pub(crate) fn setup(cx: &TaskCtx, arg: usize) -> Result<Arc<IoRingCtx>> {
    let s: IoUringRsSetup = read_arg(arg)?;
    if s.resv != 0 {
        return Err(EINVAL);
    }
    let mut p: IoUringParams = read_arg(s.params as usize)?;
    if p.resv != [0; 3] || p.flags & !SETUP_KNOWN != 0 || p.flags & !SETUP_SUPPORTED != 0 {
        return Err(EINVAL);
    }
    let (sq_entries, cq_entries) = ring_sizes(s.entries, &p)?;
    let ring = IoRingCtx::create_with(
        cx,
        RingParams {
            sq_entries,
            cq_entries,
            submit_all: p.flags & IORING_SETUP_SUBMIT_ALL != 0,
            iopoll: p.flags & IORING_SETUP_IOPOLL != 0,
            sqpoll: p.flags & IORING_SETUP_SQPOLL != 0,
            sq_thread_idle_ms: p.sq_thread_idle,
            channels: false,
        },
    )?;
    RINGS.fetch_add(1, Ordering::Relaxed);
    p.sq_entries = sq_entries;
    p.cq_entries = cq_entries;
    p.sq_off = IoSqringOffsets {
        head: rings::SQ_HEAD,
        tail: rings::SQ_TAIL,
        ring_mask: rings::SQ_RING_MASK,
        ring_entries: rings::SQ_RING_ENTRIES,
        flags: rings::SQ_FLAGS,
        dropped: rings::SQ_DROPPED,
        array: ring.rings().sq_array_offset(),
        resv1: 0,
        user_addr: 0,
    };
    p.cq_off = IoCqringOffsets {
        head: rings::CQ_HEAD,
        tail: rings::CQ_TAIL,
        ring_mask: rings::CQ_RING_MASK,
        ring_entries: rings::CQ_RING_ENTRIES,
        overflow: rings::CQ_OVERFLOW,
        cqes: rings::CQES,
        flags: rings::CQ_FLAGS,
        resv1: 0,
        user_addr: 0,
    };
    p.features = IORING_FEAT_SINGLE_MMAP
        | IORING_FEAT_NODROP
        | IORING_FEAT_SUBMIT_STABLE
        | IORING_FEAT_RW_CUR_POS
        | IORING_FEAT_FAST_POLL
        | IORING_FEAT_POLL_32BITS
        | IORING_FEAT_SQPOLL_NONFIXED
        | IORING_FEAT_EXT_ARG
        | IORING_FEAT_CQE_SKIP
        | IORING_FEAT_LINKED_FILE;
    if let Err(e) = write_arg(s.params as usize, &p) {
        discard(ring);
        return Err(e);
    }
    Ok(ring)
}

/// After the file got its ring: starts the SQPOLL thread of a ring that
/// asked for one (`io_sq_offload_create()`). On failure the file keeps the
/// ring without a thread, on which `io_uring_enter()` is `-EOWNERDEAD`, as
/// in 6.12 when the thread is gone.
pub(crate) fn setup_started(cx: &TaskCtx, ring: &Arc<IoRingCtx>, task: u32) -> Result {
    if !ring.params().sqpoll {
        return Ok(());
    }
    io_sq_offload_create(cx, ring, task, read_user_ns)
}

/// Reads a user timespec (for the SQPOLL thread, in its creator's address
/// space).
fn read_user_ns(addr: u64) -> Result<u64> {
    UserMemory.read_ns(addr)
}

/// `io_uring_poll()`'s mask: `EPOLLOUT | EPOLLWRNORM` while the SQ ring
/// has room, `EPOLLIN | EPOLLRDNORM` while the CQ ring or the overflow list
/// holds completions.
pub(crate) fn io_uring_poll_mask(ring: &IoRingCtx) -> u32 {
    let rings = ring.rings();
    let mut mask = 0;
    if rings.sq_tail().wrapping_sub(rings.sq_head()) < rings.sq_entries() {
        mask |= EPOLLOUT | EPOLLWRNORM;
    }
    if rings.cq_tail() != rings.cq_head() || rings.sq_flags() & IORING_SQ_CQ_OVERFLOW != 0 {
        mask |= POLLIN | EPOLLRDNORM;
    }
    mask
}

/// The region `mmap()` maps at `offset` (`io_uring_validate_mmap_request()`,
/// which looks at the bits of `IORING_OFF_MMAP_MASK` only). An unknown
/// offset fails as it does on the kernel the module is loaded on (6.12:
/// `-ENOMEM`, 7.2: `-EINVAL`; `Documentation/abi.rst`).
pub(crate) fn mmap_region(ring: &IoRingCtx, offset: u64) -> Result<&Region> {
    match offset & IORING_OFF_MMAP_MASK {
        IORING_OFF_SQ_RING | IORING_OFF_CQ_RING => Ok(ring.rings().rings_region()),
        IORING_OFF_SQES => Ok(ring.rings().sqes_region()),
        _ => Err(mmap_unknown_offset()),
    }
}

/// UserMem of the io_uring ABI: `struct __kernel_timespec` in user
/// memory (`get_timespec64()`), negative fields refused as
/// `__io_timeout_prep()` refuses them.
struct UserMemory;

impl UserMem for UserMemory {
    fn read_ns(&self, addr: u64) -> Result<u64> {
        let ts: KernelTimespec = read_arg(addr as usize)?;
        if ts.tv_sec < 0 || ts.tv_nsec < 0 {
            return Err(EINVAL);
        }
        Ok((ts.tv_sec as u64)
            .saturating_mul(1_000_000_000)
            .saturating_add(ts.tv_nsec as u64))
    }
}

/// `IORING_ENTER_*` Linux 6.12 knows.
const ENTER_KNOWN: u32 = IORING_ENTER_GETEVENTS
    | IORING_ENTER_SQ_WAKEUP
    | IORING_ENTER_SQ_WAIT
    | IORING_ENTER_EXT_ARG
    | IORING_ENTER_REGISTERED_RING
    | IORING_ENTER_ABS_TIMER;

/// Jiffies of `ns`, rounded up, and one more if not 0: a sleep of `n`
/// jiffies ends at the `n`th tick from now, which may come one jiffy less
/// a fraction after its start, and a timed wait must not end before its
/// time (C's waits are hrtimers).
fn ns_to_jiffies(ns: u64) -> Jiffies {
    let ms = ns.div_ceil(1_000_000);
    let j = msecs_to_jiffies(u32::try_from(ms).unwrap_or(u32::MAX));
    if j == 0 {
        0
    } else {
        j + 1
    }
}

/// `IO_URING_RS_IOC_ENTER`: `io_uring_enter(2)` on `ring`.
fn enter(
    ring: &Arc<IoRingCtx>,
    cx: &mut TaskCtx,
    sq: SqCtx,
    task: u32,
    arg: usize,
) -> Result<isize> {
    let e: IoUringRsEnter = read_arg(arg)?;
    if e.resv != 0 || e.flags & !ENTER_KNOWN != 0 {
        return Err(EINVAL);
    }
    if e.flags & IORING_ENTER_REGISTERED_RING != 0 {
        // No ring file is ever registered (`IORING_REGISTER_RING_FDS` is
        // not implemented).
        return Err(EINVAL);
    }
    let mut ret = 0;
    if ring.params().sqpoll {
        // The thread submits; the call only wakes it (`IORING_ENTER_SQ_WAIT`
        // returns at once: the SQ ring is never full for longer than a pass).
        if !ring.has_sq_thread() {
            return Err(eownerdead());
        }
        if e.flags & IORING_ENTER_SQ_WAKEUP != 0 {
            ring.sq_wake();
        }
        ret = e.to_submit as isize;
    } else if e.to_submit != 0 {
        let tctx = tctx_current(ring, cx, task)?;
        ret = io_submit_from_sq(ring, cx, sq, e.to_submit, &tctx, &UserMemory)? as isize;
        if ret != e.to_submit as isize {
            return Ok(ret);
        }
    }
    if e.flags & IORING_ENTER_GETEVENTS == 0 {
        return Ok(ret);
    }
    let (sig, ts) = if e.flags & IORING_ENTER_EXT_ARG != 0 {
        if e.argsz != size_of::<IoUringGeteventsArg>() as u64 {
            return Err(EINVAL);
        }
        let a: IoUringGeteventsArg = read_arg(e.arg as usize)?;
        (a.sigmask, a.ts)
    } else {
        (e.arg, 0)
    };
    if sig != 0 {
        // A signal mask for the wait (`set_user_sigmask()`) is not exported
        // to modules: refused, see Documentation/abi.rst.
        return Err(EINVAL);
    }
    let timeout = if ts != 0 {
        let ns = UserMemory.read_ns(ts)?;
        let ns = if e.flags & IORING_ENTER_ABS_TIMER != 0 {
            let now = ktime_get_ns() as u64;
            ns.saturating_sub(now)
        } else {
            ns
        };
        Some(ns_to_jiffies(ns))
    } else {
        None
    };
    let min = e.min_complete.min(ring.rings().cq_entries());
    if ring.params().iopoll {
        // `io_iopoll_check()`: no request of this module is completed by
        // polling (none is on `iopoll_list`), so it returns at once, after
        // flushing what overflowed.
        Ring::open(ring, |r| {
            io_cqring_overflow_flush(&mut r.lock_completion(cx))
        });
        return Ok(ret);
    }
    let waited = Ring::open(ring, |r| {
        io_cqring_wait_user(r, cx, min, timeout, ret == 0, &mut |cx| {
            io_run_task_work(ring, cx) != 0
        })
    });
    if ret == 0 {
        waited?;
    }
    Ok(ret)
}

/// `IORING_REGISTER_PROBE` (`io_probe()`): the caller's zeroed array of
/// `nr_args` ops is filled with what this ring supports.
fn probe(ring: &IoRingCtx, arg: u64, nr_args: u32) -> Result<isize> {
    if arg == 0 || nr_args > 256 {
        return Err(EINVAL);
    }
    let head = size_of::<IoUringProbe>();
    let len = head + nr_args as usize * size_of::<IoUringProbeOp>();
    let mut bytes = KVec::with_capacity(len, GFP_KERNEL)?;
    user_slice(arg as usize, len)
        .reader()
        .read_all(&mut bytes, GFP_KERNEL)?;
    if bytes.iter().any(|b| *b != 0) {
        return Err(EINVAL);
    }
    let nr = nr_args.min(u32::from(IORING_OP_LAST));
    let mut w = user_slice(arg as usize, len).writer();
    w.write(&IoUringProbe {
        last_op: IORING_OP_LAST - 1,
        ops_len: nr as u8,
        ..IoUringProbe::default()
    })?;
    for op in 0..nr_args {
        let supported = op < nr && op_supported(op as u8, ring.params().channels);
        w.write(&IoUringProbeOp {
            op: op as u8,
            flags: if supported { IO_URING_OP_SUPPORTED } else { 0 },
            ..IoUringProbeOp::default()
        })?;
    }
    Ok(0)
}

/// `IORING_REGISTER_IOWQ_MAX_WORKERS` (`io_register_iowq_max_workers()`):
/// sets the ring's io-wq limits of bound and unbound workers where the
/// caller's two counts are not 0, each at most the caller's
/// `RLIMIT_NPROC`, and writes back the previous limits. The ring's io-wq
/// exists from setup on, as the task's does in C once it set up a ring.
fn iowq_max_workers(
    ring: &Arc<IoRingCtx>,
    cx: &mut TaskCtx,
    arg: u64,
    nr_args: u32,
) -> Result<isize> {
    if arg == 0 || nr_args != 2 {
        return Err(EINVAL);
    }
    let new: [u32; 2] = read_arg(arg as usize)?;
    if new.iter().any(|n| *n > i32::MAX as u32) {
        return Err(EINVAL);
    }
    let nproc = rlimit_nproc(cx);
    let new = new.map(|n| n.min(nproc));
    let prev = Ring::open(ring, |r| r.lock_iowq(cx).max_workers(new));
    write_arg(arg as usize, &prev)?;
    Ok(0)
}

/// `IO_URING_RS_IOC_REGISTER`: `io_uring_register(2)`; the probe and the
/// io-wq limits are implemented, every other opcode is `-EINVAL`.
fn register(ring: &Arc<IoRingCtx>, cx: &mut TaskCtx, arg: usize) -> Result<isize> {
    let r: IoUringRsRegister = read_arg(arg)?;
    match r.opcode {
        IORING_REGISTER_PROBE => probe(ring, r.arg, r.nr_args),
        IORING_REGISTER_IOWQ_MAX_WORKERS => iowq_max_workers(ring, cx, r.arg, r.nr_args),
        _ => Err(EINVAL),
    }
}

/// `release()` is about to queue the exit of a ring (`exiting` counts it).
pub(crate) fn exit_queued() {
    EXITING.fetch_add(1, Ordering::Relaxed);
}

/// `io_ring_exit_work()`: exits `ring` after its last file is closed; the
/// glue's `release()` runs it in a kernel worker, where no signal can cut a
/// wait short. The exit never gives up (`io_ring_exit()`), and module unload
/// drains the queue after the last file is closed: unload waits for every
/// exit, which waits for nothing but its own ring's requests.
pub(crate) fn io_ring_exit_work(ring: Arc<IoRingCtx>, cx: &mut TaskCtx) {
    let start = ktime_get_ns();
    let slow = Ring::open(&ring, |r| io_ring_exit(r, cx, EXIT_WARN_MS));
    drop(ring);
    let ms = ktime_ms_delta(ktime_get_ns(), start);
    MAX_EXIT_MS.fetch_max(u32::try_from(ms).unwrap_or(u32::MAX), Ordering::Relaxed);
    if slow {
        SLOW_EXITS.fetch_add(1, Ordering::Relaxed);
    }
    EXITS.fetch_add(1, Ordering::Relaxed);
    EXITING.fetch_sub(1, Ordering::Release);
    RINGS.fetch_sub(1, Ordering::Release);
}

/// The module-wide ring accounting.
fn stats() -> IoUringRsStats {
    IoUringRsStats {
        rings: RINGS.load(Ordering::Acquire),
        exiting: EXITING.load(Ordering::Acquire),
        exits: EXITS.load(Ordering::Relaxed),
        slow_exits: SLOW_EXITS.load(Ordering::Relaxed),
        max_exit_ms: MAX_EXIT_MS.load(Ordering::Relaxed),
    }
}

/// The task `task` exits with `ring` open (the file's `flush()` at exit):
/// cancel its inflight requests and record it as exited, as
/// `io_uring_files_cancel()` and then `PF_EXITING` do.
///
/// From here on the task's task work on `ring` runs in the fallback worker:
/// the task is past running it (C: `PF_EXITING`).
pub(crate) fn task_exit(ring: &Arc<IoRingCtx>, cx: &mut TaskCtx, task: u32) -> Result {
    Ring::open(ring, |r| {
        set_cancelling(r, cx, task, true);
        io_uring_cancel_generic(r, cx, task, false, CANCEL_TIMEOUT_MS)
    })
}

/// The task `task` execs and `ring`'s file is closed on exec: cancel all
/// of its requests, as `io_uring_task_cancel()` does; the task lives on.
/// While it waits, its task work runs in the fallback worker.
pub(crate) fn task_exec(ring: &Arc<IoRingCtx>, cx: &mut TaskCtx, task: u32) -> Result {
    cancel_living(ring, cx, task, |r, cx| {
        io_uring_cancel_generic(r, cx, task, true, CANCEL_TIMEOUT_MS)
    })
}

/// The task `task` closed its last descriptor of `ring` and lives on:
/// cancel its inflight requests (`REQ_F_INFLIGHT`: those that hold a
/// ring's file), which its exit, with no descriptor to flush, would not.
pub(crate) fn task_closed_last(ring: &Arc<IoRingCtx>, cx: &mut TaskCtx, task: u32) -> Result {
    cancel_living(ring, cx, task, |r, cx| {
        io_uring_cancel_inflight(r, cx, task, CANCEL_TIMEOUT_MS)
    })
}

/// Runs `cancel` for the task `task`, which lives on, with its task work
/// in the fallback worker while it waits.
fn cancel_living(
    ring: &Arc<IoRingCtx>,
    cx: &mut TaskCtx,
    task: u32,
    cancel: impl for<'r, 'id> FnOnce(Ring<'r, 'id>, &mut TaskCtx) -> Result,
) -> Result {
    Ring::open(ring, |r| {
        set_cancelling(r, cx, task, true);
        let ret = cancel(r, cx);
        set_cancelling(r, cx, task, false);
        ret
    })
}

/// `task`'s threads start or stop waiting in the kernel for their requests
/// on `ring` (`tctx->in_cancel`).
fn set_cancelling(r: Ring<'_, '_>, cx: &mut TaskCtx, task: u32, on: bool) {
    let mut g = r.lock_uring(cx);
    for t in g.state().tctxs(Some(task)) {
        IoUringTask::set_cancelling(t, on);
    }
}

/// The calling thread's task work on `ring`, made on its first submission
/// (`io_uring_add_tctx_node()`) outside `uring_lock`: only this thread adds
/// its own, so nobody adds it in between.
fn tctx_current(ring: &Arc<IoRingCtx>, cx: &mut TaskCtx, task: u32) -> Result<Arc<IoUringTask>> {
    let found = Ring::open(ring, |r| {
        r.lock_uring(cx).state().tctx_of_current().cloned()
    });
    if let Some(t) = found {
        return Ok(t);
    }
    let t = IoUringTask::new_current(cx, task)?;
    Ring::open(ring, |r| r.lock_uring(cx).state().tctx_add(t.clone()))?;
    Ok(t)
}

/// `io_run_task_work()`: the calling thread runs its task work on `ring`;
/// returns how many requests' it ran.
fn io_run_task_work(ring: &Arc<IoRingCtx>, cx: &mut TaskCtx) -> usize {
    let tctx = Ring::open(ring, |r| {
        let mut g = r.lock_uring(cx);
        let found = g.state().tctx_of_current().cloned();
        found
    });
    tctx.map_or(0, |tctx| tctx_task_work(&tctx, cx))
}

fn read_arg<T: FromBytes>(arg: usize) -> Result<T> {
    user_slice(arg, size_of::<T>()).reader().read::<T>()
}

fn write_arg<T: AsBytes>(arg: usize, v: &T) -> Result {
    user_slice(arg, size_of::<T>()).writer().write(v)
}

/// `IO_URING_RS_IOC_STATS`, on any file of the device.
pub(crate) fn ioctl_stats(arg: usize) -> Result<isize> {
    write_arg(arg, &stats())?;
    Ok(0)
}

/// `IO_URING_RS_IOC_VERSION`, on any file of the device.
pub(crate) fn ioctl_version(arg: usize) -> Result<isize> {
    let v = IoUringRsVersion {
        version: IO_URING_RS_VERSION,
        features: IO_URING_RS_FEAT_LINK_TIMEOUT | IO_URING_RS_FEAT_DRAIN,
        sqe_size: size_of::<Sqe>() as u32,
        cqe_size: size_of::<IoUringCqe>() as u32,
        max_submit: IO_URING_RS_MAX_ENTRIES,
        max_cqes: IO_URING_RS_MAX_CQ_ENTRIES,
        resv: [0; 2],
    };
    write_arg(arg, &v)?;
    Ok(0)
}

/// Dispatches an ioctl on the set-up `ring` from task `task`.
pub(crate) fn ioctl(
    ring: &Arc<IoRingCtx>,
    cx: &mut TaskCtx,
    sq: SqCtx,
    task: u32,
    cmd: u32,
    arg: usize,
) -> Result<isize> {
    match cmd {
        IO_URING_RS_IOC_ENTER => enter(ring, cx, sq, task, arg),
        IO_URING_RS_IOC_REGISTER => register(ring, cx, arg),
        _ => Err(ENOTTY),
    }
}
