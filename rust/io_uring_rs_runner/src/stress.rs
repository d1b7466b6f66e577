// SPDX-License-Identifier: GPL-2.0

//! Stress and fuzz of `/dev/io_uring_rs`, bounded in time and count, with
//! the seed printed so that a failure can be replayed.
//!
//! Stress: several processes, each with rings shared by several threads,
//! submit chains with linked and hard-linked requests, linked timeouts,
//! io-wq reads, cancels by `user_data` and ALL, task cancels, channel writes
//! and ring closes, all at once. Every thread also keeps io-wq reads of a
//! channel nobody writes to blocked (chains of them, hard-linked, so that
//! ring exit's signal makes the chain continue), together more than the
//! io-wq workqueue's concurrency limit ([`IOWQ_MAX_ACTIVE`]), and half the
//! rings are closed without draining, with chains mid-flight. Accounting is
//! exact: every entry submitted gets exactly one completion, or is torn down
//! when its ring closes; no completion is duplicated or unknown.
//!
//! Ring exit is accounted too: it runs in the kernel after `close()`
//! returns, so after the run [`settle`] waits, through
//! `IO_URING_RS_IOC_STATS`, until every ring's exit has finished (every
//! request freed), and fails if that takes longer than [`SETTLE_LIMIT`] or
//! if any exit was slow enough to print the slow-exit warning.
//!
//! Fuzz: random ioctl numbers, random argument structures, random entries
//! and bad pointers. Every call must return (a result or an errno) and
//! every entry that was accepted must complete or be torn down.

use crate::module::{ioctl, stats, stats_file, DEVICE};
use crate::uapi::*;
use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The io-wq workqueue's concurrency limit (`max_active` 0 is
/// `WQ_DFL_ACTIVE`, 256): the stress keeps more reads blocked than this.
pub(crate) const IOWQ_MAX_ACTIVE: usize = 256;

/// Blocked io-wq reads the stress keeps, over all its threads.
const BLOCKED_TOTAL: usize = IOWQ_MAX_ACTIVE * 5 / 4;

/// How long every ring's exit may take to finish after a run.
pub(crate) const SETTLE_LIMIT: Duration = Duration::from_secs(60);

/// `IOSQE_IO_LINK`, `IOSQE_IO_HARDLINK`, `IOSQE_ASYNC`.
const LINK: u8 = 1 << 2;
const HARDLINK: u8 = 1 << 3;
const ASYNC: u8 = 1 << 4;

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

/// A ring shared by threads, with what it owes.
struct Shared {
    dev: File,
    /// Three channels the threads write to, then one nobody writes to.
    chans: Vec<u32>,
    /// `user_data` -> completions seen (must end at 1, or 0 if torn down).
    owed: Mutex<HashMap<u64, u32>>,
}

fn open_ring(rng: &mut Rng) -> Result<Arc<Shared>, String> {
    let dev = OpenOptions::new()
        .read(true)
        .write(true)
        .open(DEVICE)
        .map_err(|e| format!("open: {e}"))?;
    let mut chans = Vec::new();
    for i in 0..4 {
        let mut c = IoUringRsChannel {
            flags: if i == 0 && rng.below(2) == 0 {
                IO_URING_RS_CHANNEL_INFLIGHT
            } else {
                0
            },
            fd: 0,
        };
        ioctl(&dev, IO_URING_RS_IOC_CHANNEL, &mut c).map_err(|e| format!("channel: {e}"))?;
        chans.push(c.fd);
    }
    Ok(Arc::new(Shared {
        dev,
        chans,
        owed: Mutex::new(HashMap::new()),
    }))
}

/// Reaps what is there, checking each completion against what is owed.
fn reap(r: &Shared, min: u32, ms: u32) -> Result<u64, String> {
    let mut cqes = vec![IoUringRsCqe::default(); 128];
    let mut w = IoUringRsWait {
        cqes: cqes.as_mut_ptr() as u64,
        nr: cqes.len() as u32,
        min_complete: min,
        timeout_ms: ms,
        resv: 0,
    };
    let n = ioctl(&r.dev, IO_URING_RS_IOC_WAIT, &mut w).map_err(|e| format!("wait: {e}"))? as usize;
    let mut owed = r.owed.lock().unwrap();
    for c in &cqes[..n] {
        match owed.get_mut(&c.user_data) {
            Some(seen) if *seen == 0 => *seen = 1,
            Some(_) => return Err(format!("user_data {:#x} completed twice", c.user_data)),
            None => {
                return Err(format!(
                    "completion for unknown user_data {:#x}",
                    c.user_data
                ))
            }
        }
    }
    Ok(n as u64)
}

/// One random operation on a shared ring.
fn step(r: &Shared, rng: &mut Rng, next_ud: &mut u64, c: &mut Counts) -> Result<(), String> {
    c.ops += 1;
    match rng.below(10) {
        0..=5 => {
            // A chain of one to three: NOP, READ (maybe io-wq), short
            // TIMEOUT, each maybe followed by a LINK_TIMEOUT.
            let len = 1 + rng.below(3) as usize;
            let mut sqes = Vec::new();
            for i in 0..len {
                let last = i + 1 == len;
                let link = if rng.below(4) == 0 { HARDLINK } else { LINK };
                let mut s = IoUringRsSqe {
                    user_data: *next_ud,
                    flags: if last { 0 } else { link },
                    ..Default::default()
                };
                *next_ud += 1;
                match rng.below(3) {
                    0 => s.opcode = 0,
                    1 => {
                        s.opcode = 22;
                        s.fd = r.chans[rng.below(3) as usize] as i32;
                        s.len = 1 + rng.below(4) as u32;
                        if rng.below(3) == 0 {
                            s.flags |= ASYNC;
                        }
                    }
                    _ => {
                        s.opcode = 11;
                        s.addr = rng.below(3_000_000);
                    }
                }
                let with_lt = rng.below(3) == 0;
                if with_lt {
                    s.flags |= LINK;
                }
                sqes.push(s);
                if with_lt {
                    sqes.push(IoUringRsSqe {
                        opcode: 15,
                        addr: rng.below(2_000_000),
                        flags: if last { 0 } else { link },
                        user_data: *next_ud,
                        ..Default::default()
                    });
                    *next_ud += 1;
                }
            }
            submit(r, &sqes, c)
        }
        6 => {
            // Cancel something by user_data, or ALL of one user_data.
            let target = next_ud.saturating_sub(1 + rng.below(20));
            let s = IoUringRsSqe {
                opcode: 14,
                addr: target,
                op_flags: if rng.below(4) == 0 { 1 } else { 0 },
                user_data: *next_ud,
                ..Default::default()
            };
            *next_ud += 1;
            submit(r, &[s], c)
        }
        7 => {
            let mut w = IoUringRsChannelWrite {
                fd: r.chans[rng.below(3) as usize],
                len: 1 + rng.below(8) as u32,
            };
            ioctl(&r.dev, IO_URING_RS_IOC_CHANNEL_WRITE, &mut w)
                .map(|_| ())
                .map_err(|e| format!("channel write: {e}"))
        }
        8 => {
            let mut x = IoUringRsCancel {
                flags: if rng.below(2) == 0 {
                    IO_URING_RS_CANCEL_ALL
                } else {
                    0
                },
                resv: 0,
            };
            ioctl(&r.dev, IO_URING_RS_IOC_CANCEL, &mut x)
                .map(|_| ())
                .map_err(|e| format!("task cancel: {e}"))
        }
        _ => {
            c.cqes += reap(r, 0, 1)?;
            Ok(())
        }
    }
}

fn submit(r: &Shared, sqes: &[IoUringRsSqe], c: &mut Counts) -> Result<(), String> {
    {
        let mut owed = r.owed.lock().unwrap();
        for s in sqes {
            owed.insert(s.user_data, 0);
        }
    }
    let mut s = IoUringRsSubmit {
        sqes: sqes.as_ptr() as u64,
        nr: sqes.len() as u32,
        resv: 0,
    };
    let n = ioctl(&r.dev, IO_URING_RS_IOC_SUBMIT, &mut s).map_err(|e| format!("submit: {e}"))?;
    if n as usize != sqes.len() {
        return Err(format!("submitted {n} of {}", sqes.len()));
    }
    c.sqes += sqes.len() as u64;
    Ok(())
}

/// Random operations each thread makes in each round at the least.
const MIN_STEPS: usize = 8;

/// Keeps `n` io-wq reads of the ring's unwritten channel blocked: chains
/// of two hard-linked reads and a NOP, so that when ring exit signals the
/// head (`-EINTR`), the chain goes on in the same io-wq worker, on a ring
/// whose exit has begun.
fn block_reads(r: &Shared, n: usize, next_ud: &mut u64, c: &mut Counts) -> Result<(), String> {
    let dead = r.chans[3] as i32;
    let mut left = n;
    while left > 0 {
        let mut sqes = Vec::new();
        for i in 0..left.min(2) {
            sqes.push(IoUringRsSqe {
                opcode: 22,
                flags: ASYNC | HARDLINK,
                fd: dead,
                len: 1,
                user_data: *next_ud + i as u64,
                ..Default::default()
            });
        }
        let len = sqes.len() as u64;
        sqes.push(IoUringRsSqe {
            opcode: 0,
            user_data: *next_ud + len,
            ..Default::default()
        });
        *next_ud += len + 1;
        left -= len as usize;
        submit(r, &sqes, c)?;
    }
    Ok(())
}

/// Drains a ring (unless `drain` is false: chains are closed mid-flight)
/// and closes it; returns the counts with what was torn down.
fn finish(r: Arc<Shared>, mut c: Counts, drain: bool) -> Result<Counts, String> {
    // Whatever can still complete soon does (a wait ends after 50 ms with
    // none); the rest, reads nobody writes to and long timeouts, is torn
    // down when the ring closes.
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
    let owed = r.owed.lock().unwrap();
    c.torn_down = owed.values().filter(|v| **v == 0).count() as u64;
    drop(owed);
    let r = Arc::try_unwrap(r).map_err(|_| "ring still shared".to_string())?;
    drop(r.dev);
    Ok(c)
}

/// Runs `threads` threads for `secs` on rings of this process, closing and
/// reopening rings as it goes; each thread keeps `blocked` io-wq reads
/// blocked on its ring.
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
                block_reads(&ring, blocked, &mut ud, &mut c)?;
                // The round's random operations start once the reads are
                // blocked (under TCG that alone can take a round's length),
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

/// `fuzz`: `iters` random ioctls with random arguments on fresh rings.
pub(crate) fn cmd_fuzz(seed: u64, iters: u64) -> Result<Counts, String> {
    let mut rng = Rng::new(seed);
    let mut c = Counts::default();
    let cmds = [
        IO_URING_RS_IOC_VERSION,
        IO_URING_RS_IOC_SUBMIT,
        IO_URING_RS_IOC_WAIT,
        IO_URING_RS_IOC_CANCEL,
        IO_URING_RS_IOC_CHANNEL,
        IO_URING_RS_IOC_CHANNEL_WRITE,
        IO_URING_RS_IOC_STATS,
    ];
    let mut ring = open_ring(&mut rng)?;
    let mut next_ud = 1u64;
    let buf = vec![0u64; 1 << 14];
    for i in 0..iters {
        if i % 500 == 499 {
            c += finish(ring, Counts::default(), rng.below(2) == 0)?;
            ring = open_ring(&mut rng)?;
        }
        c.ops += 1;
        // A pointer: valid, null, unmapped, kernel, or misaligned.
        let ptr = match rng.below(5) {
            0 | 1 => buf.as_ptr() as u64,
            2 => 0,
            3 => 0xffff_8000_0000_0000 | rng.below(1 << 40),
            _ => rng.next() & 0x7fff_ffff_ffff,
        };
        let mut arg = [0u64; 4];
        for a in arg.iter_mut() {
            *a = rng.next();
        }
        let which = rng.below(cmds.len() as u64 + 1) as usize;
        if which == cmds.len() {
            // An unknown command, on a random argument: must be -ENOTTY.
            let cmd = rng.next() as u32;
            if cmds.contains(&cmd) {
                continue;
            }
            match ioctl(&ring.dev, cmd, &mut arg) {
                Err(e) if e.raw_os_error() == Some(libc::ENOTTY) => {}
                other => {
                    return Err(format!(
                        "seed {seed} iter {i}: unknown ioctl {cmd:#x} gave {other:?}"
                    ));
                }
            }
            continue;
        }
        match cmds[which] {
            IO_URING_RS_IOC_SUBMIT => {
                // Random entries (mostly well-formed) at a real buffer.
                let n = 1 + rng.below(8) as usize;
                let mut sqes = Vec::with_capacity(n);
                for _ in 0..n {
                    let mut s = IoUringRsSqe {
                        opcode: [0, 6, 11, 12, 14, 15, 22, 23, 200][rng.below(9) as usize],
                        // Any flag but DRAIN (which could stall the rest
                        // of the run) and CQE_SKIP_SUCCESS (accounting
                        // needs every completion).
                        flags: (rng.next() & 0x3f) as u8 & !(1 << 1),
                        user_data: next_ud,
                        fd: rng.below(5) as i32 - 1,
                        len: rng.below(16) as u32,
                        addr: rng.below(5_000_000),
                        ..Default::default()
                    };
                    next_ud += 1;
                    if rng.below(8) == 0 {
                        s.ioprio = rng.next() as u16;
                        s.resv[0] = rng.next();
                        s.op_flags = rng.next() as u32;
                        s.off = rng.next();
                    }
                    sqes.push(s);
                }
                // Bad variants: a pointer that cannot be mapped (null or a
                // kernel address), a count of 0 or above the limit, a
                // reserved field set.
                let bad_ptr = match rng.below(2) {
                    0 => 0,
                    _ => 0xffff_8000_0000_0000 | rng.below(1 << 40),
                };
                let mut sub = IoUringRsSubmit {
                    sqes: match rng.below(6) {
                        0 => bad_ptr,
                        _ => sqes.as_ptr() as u64,
                    },
                    nr: match rng.below(20) {
                        0 => 0,
                        1 => IO_URING_RS_MAX_SUBMIT + 1 + rng.below(1 << 20) as u32,
                        _ => n as u32,
                    },
                    resv: u32::from(rng.below(10) == 0),
                };
                let valid =
                    sub.sqes == sqes.as_ptr() as u64 && sub.nr as usize == n && sub.resv == 0;
                if valid {
                    let mut owed = ring.owed.lock().unwrap();
                    for s in &sqes {
                        owed.insert(s.user_data, 0);
                    }
                }
                match ioctl(&ring.dev, IO_URING_RS_IOC_SUBMIT, &mut sub) {
                    Ok(k) if valid && k as usize == n => c.sqes += n as u64,
                    // As in 6.12, an entry that fails its preparation and
                    // ends its chain ends the batch: the rest is not owed.
                    Ok(k) if valid && k > 0 && (k as usize) < n => {
                        c.sqes += k as u64;
                        let mut owed = ring.owed.lock().unwrap();
                        for s in &sqes[k as usize..] {
                            owed.remove(&s.user_data);
                        }
                    }
                    Ok(k) if !valid => {
                        return Err(format!(
                        "seed {seed} iter {i}: bad submit accepted ({k}): {sub:?} entries at {:#x}",
                        sqes.as_ptr() as u64
                    ))
                    }
                    Ok(k) => return Err(format!("seed {seed} iter {i}: submitted {k} of {n}")),
                    Err(e) if !valid => check_errno(seed, i, &e)?,
                    Err(e) => {
                        return Err(format!("seed {seed} iter {i}: valid submit failed: {e}"))
                    }
                }
            }
            IO_URING_RS_IOC_WAIT => {
                if rng.below(2) == 0 {
                    c.cqes += reap(&ring, 0, rng.below(3) as u32)?;
                } else {
                    // A bad wait must fail cleanly and lose nothing.
                    let mut w = IoUringRsWait {
                        cqes: ptr,
                        nr: rng.below(1 << 17) as u32,
                        min_complete: 0,
                        timeout_ms: rng.below(3) as u32,
                        resv: (rng.below(4) == 0) as u32,
                    };
                    if w.cqes == buf.as_ptr() as u64 {
                        continue;
                    }
                    match ioctl(&ring.dev, IO_URING_RS_IOC_WAIT, &mut w) {
                        Ok(0) => {}
                        Ok(k) => {
                            return Err(format!(
                                "seed {seed} iter {i}: wait to a bad buffer copied {k}"
                            ))
                        }
                        Err(e) => check_errno(seed, i, &e)?,
                    }
                }
            }
            cmd => {
                // VERSION, CANCEL, CHANNEL, CHANNEL_WRITE, STATS with random
                // contents or a bad pointer.
                let r = if rng.below(3) == 0 {
                    // SAFETY: the device only reads or writes the few
                    // bytes the command encodes, at a possibly bad address,
                    // which it must refuse with -EFAULT.
                    let ret = unsafe {
                        libc::ioctl(std::os::fd::AsRawFd::as_raw_fd(&ring.dev), cmd as _, ptr)
                    };
                    if ret < 0 {
                        Err(std::io::Error::last_os_error())
                    } else {
                        Ok(ret as i64)
                    }
                } else {
                    ioctl(&ring.dev, cmd, &mut arg)
                };
                if let Err(e) = r {
                    check_errno(seed, i, &e)?;
                }
            }
        }
    }
    c += finish(ring, Counts::default(), true)?;
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

/// A refused call must say why with one of the documented errors.
fn check_errno(seed: u64, iter: u64, e: &std::io::Error) -> Result<(), String> {
    match e.raw_os_error() {
        Some(libc::EINVAL | libc::EFAULT | libc::EBADF | libc::ENOMEM | libc::EMFILE) => Ok(()),
        _ => Err(format!("seed {seed} iter {iter}: unexpected error {e}")),
    }
}
