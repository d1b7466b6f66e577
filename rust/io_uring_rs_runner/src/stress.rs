// SPDX-License-Identifier: GPL-2.0

//! Stress of `/dev/io_uring_rs` through the io_uring ABI, bounded in time,
//! with the seed printed so that a failure can be replayed.
//!
//! Several processes, each with rings shared by several threads (the SQ
//! and CQ rings behind a lock, as liburing asks of threads sharing a ring),
//! submit chains with linked and hard-linked requests, linked timeouts,
//! reads of pipes (some through io-wq), polls of a second ring's descriptor
//! (`REQ_F_INFLIGHT`), cancels by `user_data` and ALL, pipe writes, tasks
//! that submit and then exit or exec, and ring closes, all at once. Every
//! thread also sends a flood of `IOSQE_ASYNC` reads and of writes (which
//! io-wq runs hashed, one at a time) of a regular file to io-wq (together
//! more than the io-wq workqueue's concurrency limit,
//! [`IOWQ_MAX_ACTIVE`]) and keeps hard-linked reads of a pipe nobody writes
//! armed, and half the rings are closed without draining, with chains
//! mid-flight. The CQ ring overflows and must lose nothing. Accounting is
//! exact: every entry submitted gets exactly one completion, or is torn down
//! when its ring closes; no completion is duplicated or unknown.
//!
//! Ring exit is accounted too: it runs in the kernel after `close()`
//! returns, so after the run [`settle`] waits, through
//! `IO_URING_RS_IOC_STATS`, until every ring's exit has finished (every
//! request freed), and fails if that takes longer than [`SETTLE_LIMIT`] or
//! if any exit was slow enough to print the slow-exit warning.

use crate::abi::{
    pipe, tmpfile, write_fd, RawRing, Sys, IOSQE_ASYNC, IOSQE_IO_HARDLINK, IOSQE_IO_LINK,
    OP_ASYNC_CANCEL, OP_LINK_TIMEOUT, OP_NOP, OP_POLL_ADD, OP_READ, OP_TIMEOUT, OP_WRITE,
};
use crate::module::{stats, stats_file};
use crate::task::Task;
use crate::uapi::*;
use std::collections::HashSet;
use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// The io-wq workqueue's concurrency limit (`max_active` 0 is
/// `WQ_DFL_ACTIVE`, 256): the stress keeps more reads blocked than this.
pub(crate) const IOWQ_MAX_ACTIVE: usize = 256;

/// Blocked io-wq reads the stress keeps, over all its threads.
const BLOCKED_TOTAL: usize = IOWQ_MAX_ACTIVE * 5 / 4;

/// How long every ring's exit may take to finish after a run.
pub(crate) const SETTLE_LIMIT: Duration = Duration::from_secs(60);

const LINK: u8 = IOSQE_IO_LINK;
const HARDLINK: u8 = IOSQE_IO_HARDLINK;
const ASYNC: u8 = IOSQE_ASYNC;

/// A small, seedable PRNG (xorshift64*): reproducible everywhere.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }

    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// Counts of one ring's life.
#[derive(Default, Debug, Clone, Copy)]
pub(crate) struct Counts {
    pub(crate) ops: u64,
    pub(crate) sqes: u64,
    pub(crate) cqes: u64,
    pub(crate) torn_down: u64,
    /// Rings closed.
    pub(crate) rings: u64,
    /// Of those, closed without draining, chains mid-flight.
    pub(crate) undrained: u64,
}

impl std::ops::AddAssign for Counts {
    fn add_assign(&mut self, o: Counts) {
        self.ops += o.ops;
        self.sqes += o.sqes;
        self.cqes += o.cqes;
        self.torn_down += o.torn_down;
        self.rings += o.rings;
        self.undrained += o.undrained;
    }
}

/// Entries submitted whose completion has not come yet. Every completion
/// must name one: an unknown `user_data`, or one completed twice, is an
/// error. What is left when a ring closes is torn down by its exit.
#[derive(Default)]
pub(crate) struct Owed(HashSet<u64>);

impl Owed {
    pub(crate) fn owe(&mut self, user_data: u64) {
        self.0.insert(user_data);
    }

    /// Checks `cqes` against what is owed and settles them.
    pub(crate) fn pay(&mut self, cqes: &[(u64, i32)]) -> Result<(), String> {
        for (ud, res) in cqes {
            if !self.0.remove(ud) {
                return Err(format!(
                    "completion for {ud:#x} ({res}) not owed: unknown, or completed twice"
                ));
            }
        }
        Ok(())
    }

    /// Waits up to `wait` for `min` completions on `r` (none if `min` is
    /// 0), takes every one (none may have been lost) and settles them.
    pub(crate) fn reap(
        &mut self,
        r: &RawRing,
        min: u32,
        wait: Duration,
    ) -> Result<Vec<(u64, i32)>, String> {
        if min > 0 {
            r.wait(min, wait);
        }
        let got = r.reap_lossless()?;
        self.pay(&got)?;
        Ok(got)
    }

    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A ring shared by threads, with its files and what it owes.
struct Shared {
    ring: Mutex<RawRing>,
    /// Pipes `[read end, write end]`: the first [`LIVE_PIPES`] are written
    /// by the threads (nonblocking), the last never is.
    pipes: Vec<[OwnedFd; 2]>,
    /// A regular file that floods of `IOSQE_ASYNC` reads go to io-wq for.
    file: OwnedFd,
    /// A second ring, when this ring has one: polling its descriptor
    /// makes a request `REQ_F_INFLIGHT`, which task exit cancels. (Behind
    /// a lock only because a ring's queues are not for sharing.)
    inflight: Option<Mutex<RawRing>>,
    owed: Mutex<Owed>,
}

/// Pipes the threads write to; one more is never written.
const LIVE_PIPES: usize = 3;

/// SQ entries of a stress ring (its CQ ring has twice as many; it
/// overflows under load, and must lose nothing).
const SQ_ENTRIES: u32 = 128;

/// Timeouts of 0.2 to 3 ms. The kernel reads a timespec when it prepares
/// the entry, which may be after the submitting thread moved on.
static TIMESPECS: [KernelTimespec; 4] = [
    KernelTimespec {
        tv_sec: 0,
        tv_nsec: 200_000,
    },
    KernelTimespec {
        tv_sec: 0,
        tv_nsec: 1_000_000,
    },
    KernelTimespec {
        tv_sec: 0,
        tv_nsec: 2_000_000,
    },
    KernelTimespec {
        tv_sec: 0,
        tv_nsec: 3_000_000,
    },
];

/// Where reads put their bytes, and the fuzz's buffers and iovec arrays:
/// 512 bytes at a random place of a region that holds nothing but zeros and
/// bytes read from the test's pipes and files (so an iovec read from it
/// points nowhere). Never freed, since a read may still complete into it
/// during a ring's exit, after `close()`.
pub(crate) fn scratch(rng: &mut Rng) -> u64 {
    scratch_at(rng.below(SCRATCH_ROOM))
}

/// Offsets into the scratch region that leave 512 bytes behind them.
pub(crate) const SCRATCH_ROOM: u64 = (1 << 16) - 512;

/// The address `off` bytes into the scratch region ([`scratch`]); `off`
/// below [`SCRATCH_ROOM`] (larger ones are clamped).
pub(crate) fn scratch_at(off: u64) -> u64 {
    static SCRATCH: OnceLock<usize> = OnceLock::new();
    let base = *SCRATCH
        .get_or_init(|| Box::leak(vec![0u8; 1 << 16].into_boxed_slice()).as_mut_ptr() as usize);
    base as u64 + off.min(SCRATCH_ROOM - 1)
}

fn open_ring(rng: &mut Rng) -> Result<Arc<Shared>, String> {
    let p = IoUringParams::default();
    let ring = RawRing::new(Sys::Module, SQ_ENTRIES, p).map_err(|e| format!("setup {e}"))?;
    let mut pipes = Vec::new();
    for i in 0..=LIVE_PIPES {
        let p = pipe()?;
        if i < LIVE_PIPES {
            // SAFETY: `fcntl` on a descriptor we own.
            unsafe { libc::fcntl(p[1].as_raw_fd(), libc::F_SETFL, libc::O_NONBLOCK) };
        }
        pipes.push(p);
    }
    let inflight = if rng.below(2) == 0 {
        Some(RawRing::new(Sys::Module, 4, p).map_err(|e| format!("setup {e}"))?)
    } else {
        None
    };
    let file = tmpfile()?;
    write_fd(&file, &[b'x'; 4096]);
    Ok(Arc::new(Shared {
        ring: Mutex::new(ring),
        pipes,
        file,
        inflight: inflight.map(Mutex::new),
        owed: Mutex::new(Owed::default()),
    }))
}

/// Reaps what is there, waiting up to `ms` for `min`, checking each
/// completion against what is owed; the CQ ring may overflow but must not
/// lose a completion.
fn reap(r: &Shared, min: u32, ms: u64) -> Result<u64, String> {
    let got = {
        let ring = r.ring.lock().unwrap();
        if min > 0 {
            ring.wait(min, Duration::from_millis(ms));
        }
        ring.reap_lossless()?
    };
    r.owed.lock().unwrap().pay(&got)?;
    Ok(got.len() as u64)
}

/// An entry of `opcode` on `fd`.
fn sqe(opcode: u8, fd: i32, flags: u8, next_ud: &mut u64) -> IoUringSqe {
    *next_ud += 1;
    IoUringSqe {
        opcode,
        fd,
        flags,
        user_data: *next_ud,
        ..IoUringSqe::default()
    }
}

/// A random chain of one to three: NOP, READ of a pipe (maybe through
/// io-wq), short TIMEOUT, POLL_ADD of the inflight ring, each maybe
/// followed by a LINK_TIMEOUT; links are hard a quarter of the time.
fn chain(r: &Shared, rng: &mut Rng, next_ud: &mut u64) -> Vec<IoUringSqe> {
    let len = 1 + rng.below(3) as usize;
    let mut sqes = Vec::new();
    for i in 0..len {
        let last = i + 1 == len;
        let link = if rng.below(4) == 0 { HARDLINK } else { LINK };
        let flags = if last { 0 } else { link };
        let mut s = match rng.below(4) {
            0 => sqe(OP_NOP, -1, flags, next_ud),
            1 => {
                let p = &r.pipes[rng.below(LIVE_PIPES as u64) as usize][0];
                let async_ = if rng.below(3) == 0 { ASYNC } else { 0 };
                let mut s = sqe(OP_READ, p.as_raw_fd(), flags | async_, next_ud);
                s.addr = scratch(rng);
                s.len = 1 + rng.below(4) as u32;
                s
            }
            2 if r.inflight.is_some() => {
                let fd = r
                    .inflight
                    .as_ref()
                    .map_or(-1, |i| i.lock().unwrap().raw_fd());
                let mut s = sqe(OP_POLL_ADD, fd, flags, next_ud);
                s.op_flags = libc::POLLIN as u32;
                s
            }
            _ => {
                let mut s = sqe(OP_TIMEOUT, -1, flags, next_ud);
                s.addr = &TIMESPECS[rng.below(4) as usize] as *const KernelTimespec as u64;
                s.len = 1;
                s
            }
        };
        let with_lt = rng.below(3) == 0;
        if with_lt {
            s.flags |= LINK;
        }
        sqes.push(s);
        if with_lt {
            let mut t = sqe(OP_LINK_TIMEOUT, -1, flags, next_ud);
            t.addr = &TIMESPECS[rng.below(4) as usize] as *const KernelTimespec as u64;
            t.len = 1;
            sqes.push(t);
        }
    }
    sqes
}

/// Submits `sqes` through the shared SQ ring; every one must be consumed.
fn submit(r: &Shared, sqes: &[IoUringSqe]) -> Result<(), String> {
    {
        let mut owed = r.owed.lock().unwrap();
        for s in sqes {
            owed.owe(s.user_data);
        }
    }
    let mut ring = r.ring.lock().unwrap();
    for s in sqes {
        ring.push(s);
    }
    let n = ring.enter(sqes.len() as u32, 0, 0);
    if n != sqes.len() as i64 {
        return Err(format!("submitted {n} of {}", sqes.len()));
    }
    Ok(())
}

/// One random operation on a shared ring.
fn step(r: &Arc<Shared>, rng: &mut Rng, next_ud: &mut u64, c: &mut Counts) -> Result<(), String> {
    c.ops += 1;
    match rng.below(12) {
        0..=5 => {
            let sqes = chain(r, rng, next_ud);
            submit(r, &sqes)?;
            c.sqes += sqes.len() as u64;
        }
        6 => {
            // Cancel something by user_data, or ALL of one user_data.
            let target = next_ud.saturating_sub(1 + rng.below(20));
            let mut s = sqe(OP_ASYNC_CANCEL, -1, 0, next_ud);
            s.addr = target;
            s.op_flags = if rng.below(4) == 0 { 1 } else { 0 };
            submit(r, &[s])?;
            c.sqes += 1;
        }
        7 | 8 => {
            let p = &r.pipes[rng.below(LIVE_PIPES as u64) as usize][1];
            // Nonblocking: a full pipe refuses (-EAGAIN), which is fine.
            write_fd(p, &[b'x'; 8][..1 + rng.below(8) as usize]);
        }
        9 => {
            // A task of its own submits a chain, then exits (io_uring
            // cancels its inflight requests) or execs (all of them).
            let sqes = chain(r, rng, next_ud);
            c.sqes += sqes.len() as u64;
            let shared = r.clone();
            let mut task = Task::start();
            task.run(move || submit(&shared, &sqes))?;
            if rng.below(2) == 0 {
                task.exit();
            } else {
                task.exec().map_err(|e| format!("exec: {e}"))?;
            }
        }
        _ => c.cqes += reap(r, 0, 0)?,
    }
    Ok(())
}

/// Random operations each thread makes in each round at the least.
const MIN_STEPS: usize = 8;

/// Keeps io-wq and ring exit busy: `n` `IOSQE_ASYNC` reads and hashed
/// writes of the regular file in one go (with the other threads and
/// processes, more than the io-wq workqueue's concurrency limit), and
/// chains of two hard-linked
/// `IOSQE_ASYNC` reads of the pipe nobody writes and a NOP, armed until
/// ring exit cancels the head and the chain goes on, on a ring whose exit
/// has begun.
fn block_reads(
    r: &Shared,
    rng: &mut Rng,
    n: usize,
    next_ud: &mut u64,
    c: &mut Counts,
) -> Result<(), String> {
    let mut flood = Vec::new();
    for i in 0..n.min(SQ_ENTRIES as usize / 2) {
        // Every other one a write issued inline: it would block on the
        // file, and io-wq takes it hashed by the file's inode, so the
        // writes run one at a time beside the unhashed reads.
        let mut s = match i % 2 {
            0 => sqe(OP_READ, r.file.as_raw_fd(), ASYNC, next_ud),
            _ => sqe(OP_WRITE, r.file.as_raw_fd(), 0, next_ud),
        };
        s.addr = scratch(rng);
        s.len = 16;
        s.off = rng.below(4096);
        flood.push(s);
    }
    submit(r, &flood)?;
    c.sqes += flood.len() as u64;
    let dead = r.pipes[LIVE_PIPES][0].as_raw_fd();
    let mut left = n;
    while left > 0 {
        let mut sqes = Vec::new();
        for _ in 0..left.min(2) {
            let mut s = sqe(OP_READ, dead, ASYNC | HARDLINK, next_ud);
            s.addr = scratch(rng);
            s.len = 1;
            sqes.push(s);
        }
        left -= sqes.len();
        sqes.push(sqe(OP_NOP, -1, 0, next_ud));
        submit(r, &sqes)?;
        c.sqes += sqes.len() as u64;
    }
    Ok(())
}

/// Drains a ring (unless `drain` is false: chains are closed mid-flight)
/// and closes it; returns the counts with what was torn down.
fn finish(r: Arc<Shared>, mut c: Counts, drain: bool) -> Result<Counts, String> {
    // Whatever can still complete soon does (a wait ends after 50 ms with
    // none); the rest, reads nobody writes to and polls of the inflight
    // ring, is torn down when the ring closes.
    if drain {
        loop {
            let n = reap(&r, 1, 50)?;
            c.cqes += n;
            if n == 0 {
                break;
            }
        }
    }
    c.rings += 1;
    c.undrained += u64::from(!drain);
    c.torn_down = r.owed.lock().unwrap().len() as u64;
    let r = Arc::try_unwrap(r).map_err(|_| "ring still shared".to_string())?;
    drop(r);
    Ok(c)
}

/// Runs `threads` threads for `secs` on rings of this process, closing and
/// reopening rings as it goes; each thread keeps `blocked` reads busy.
fn stress_process(seed: u64, secs: u64, threads: usize, blocked: usize) -> Result<Counts, String> {
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut rng = Rng::new(seed);
    let mut total = Counts::default();
    let mut round = 0u64;
    while Instant::now() < deadline {
        round += 1;
        let ring = open_ring(&mut rng)?;
        let round_len = Duration::from_millis(200 + rng.below(600));
        let mut handles = Vec::new();
        for t in 0..threads {
            let ring = ring.clone();
            let tseed = seed ^ (round << 16) ^ (t as u64 + 1);
            handles.push(std::thread::spawn(move || -> Result<Counts, String> {
                let mut rng = Rng::new(tseed);
                let mut ud = (t as u64 + 1) << 48 | round << 24;
                let mut c = Counts::default();
                block_reads(&ring, &mut rng, blocked, &mut ud, &mut c)?;
                // The round's random operations start once the reads are
                // queued (under TCG that alone can take a round's length),
                // and each thread makes a few even past the deadline.
                let round_end = (Instant::now() + round_len).min(deadline);
                let mut steps = 0;
                while steps < MIN_STEPS || Instant::now() < round_end {
                    step(&ring, &mut rng, &mut ud, &mut c)?;
                    steps += 1;
                }
                Ok(c)
            }));
        }
        let mut c = Counts::default();
        for h in handles {
            c += h
                .join()
                .map_err(|_| "a stress thread panicked".to_string())??;
        }
        total += finish(ring, c, rng.below(2) == 0)?;
    }
    Ok(total)
}

/// `stress`: `procs` processes of `threads` threads for `secs` seconds.
pub(crate) fn cmd_stress(
    seed: u64,
    secs: u64,
    procs: usize,
    threads: usize,
) -> Result<Counts, String> {
    let blocked = BLOCKED_TOTAL.div_ceil(procs.max(1) * threads.max(1));
    let mut children = Vec::new();
    for p in 1..procs {
        // SAFETY: the child only runs `stress_process` and exits; the
        // parent holds no lock at this point.
        let pid = unsafe { libc::fork() };
        if pid < 0 {
            return Err("fork failed".into());
        }
        if pid == 0 {
            let pseed = seed.wrapping_add(p as u64 * 7919);
            let code = match stress_process(pseed, secs, threads, blocked) {
                Ok(c) => {
                    println!("# stress child {p}: {c:?}");
                    0
                }
                Err(e) => {
                    println!("# stress child {p}: {e}");
                    1
                }
            };
            // SAFETY: ends the forked child without running the parent's
            // exit handlers.
            unsafe { libc::_exit(code) };
        }
        children.push(pid);
    }
    let mine = stress_process(seed, secs, threads, blocked);
    let mut bad = 0;
    for pid in children {
        let mut status = 0;
        // SAFETY: `pid` is our child; `status` is valid for writes.
        unsafe { libc::waitpid(pid, &mut status, 0) };
        if !(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0) {
            bad += 1;
        }
    }
    let c = mine?;
    if bad > 0 {
        return Err(format!("{bad} stress child process(es) failed"));
    }
    Ok(c)
}

/// The accounting before a run, for [`settle`].
pub(crate) fn stats_now() -> Result<IoUringRsStats, String> {
    stats_file()
        .and_then(|dev| stats(&dev))
        .map_err(|e| format!("stats: {e}"))
}

/// What [`settle`] saw.
pub(crate) struct Settled {
    /// Ring exits finished during the run and the wait.
    pub(crate) exits: u64,
    /// How long the last exits took to finish after the run.
    pub(crate) waited: Duration,
    /// The longest exit since the module was loaded, in milliseconds.
    pub(crate) max_exit_ms: u32,
}

/// Waits until every ring's exit has finished (every request of every
/// closed ring freed), at most [`SETTLE_LIMIT`]; fails if it did not, or if
/// an exit printed the slow-exit warning since `before` was read.
pub(crate) fn settle(before: &IoUringRsStats) -> Result<Settled, String> {
    let start = Instant::now();
    let dev = stats_file().map_err(|e| format!("stats: {e}"))?;
    loop {
        let s = stats(&dev).map_err(|e| format!("stats: {e}"))?;
        if s.slow_exits != before.slow_exits {
            return Err(format!(
                "{} ring exit(s) printed the slow-exit warning ({s:?})",
                s.slow_exits - before.slow_exits
            ));
        }
        // The stats file has no ring: none may be left.
        if s.exiting == 0 && s.rings == 0 {
            return Ok(Settled {
                exits: s.exits - before.exits,
                waited: start.elapsed(),
                max_exit_ms: s.max_exit_ms,
            });
        }
        if start.elapsed() > SETTLE_LIMIT {
            return Err(format!(
                "ring exits not finished {:?} after the run: {} ring(s) left, {} exiting ({s:?})",
                SETTLE_LIMIT, s.rings, s.exiting
            ));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
