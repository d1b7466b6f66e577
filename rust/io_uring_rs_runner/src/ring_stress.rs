// SPDX-License-Identifier: GPL-2.0

//! `ring_stress`: the io_uring ABI of `/dev/io_uring_rs` under load, with
//! real files and a CQ ring of 4 entries.
//!
//! Threads each set up rings (SQ and CQ of 4 entries, the CQ ring with
//! `IORING_SETUP_CQSIZE`) and submit, through the mapped SQ ring, random
//! chains of NOP floods (far more completions than the CQ ring holds),
//! reads of pipes that are written later from user space, `WRITE` and
//! `READ` through the ring, `POLL_ADD` and `POLL_REMOVE`, reads linked to
//! short linked timeouts, `ASYNC_CANCEL` of armed reads, `IOSQE_ASYNC`
//! reads, `WRITEV`/`READV` of a regular file, and `POLL_ADD` on the ring's
//! own descriptor. Accounting is exact: every completion names an entry
//! that was submitted and had none yet, the CQ ring's overflow counter stays
//! 0 (nothing is lost, however full the CQ ring is), and at the end of a
//! round every entry has completed, after the pipes were written and
//! what still waits was cancelled. Half the rings are then closed with
//! reads still armed on a pipe nobody writes, which ring exit tears down;
//! [`crate::stress::settle`] then waits until every exit finished.

use crate::abi::{
    pipe, tmpfile, write_fd, RawRing, Sys, IOSQE_ASYNC, IOSQE_IO_LINK, OP_ASYNC_CANCEL,
    OP_LINK_TIMEOUT, OP_NOP, OP_POLL_ADD, OP_POLL_REMOVE, OP_READ, OP_READV, OP_WRITE, OP_WRITEV,
};
use crate::stress::{Counts, Owed, Rng};
use crate::uapi::*;
use std::os::fd::{AsRawFd, OwnedFd};
use std::time::{Duration, Instant};

const LINK: u8 = IOSQE_IO_LINK;
const ASYNC: u8 = IOSQE_ASYNC;

/// `write(2)` of `n` bytes to a pipe.
fn write_all(fd: &OwnedFd, n: usize) {
    write_fd(fd, &vec![b'x'; n]);
}

/// One thread's ring, its files and what it owes.
struct Round {
    r: RawRing,
    owed: Owed,
    next_ud: u64,
    pipes: Vec<[OwnedFd; 2]>,
    file: OwnedFd,
    /// Buffers and iovec arrays the kernel may use until their entries
    /// complete. Each is boxed: the kernel holds its address, which must
    /// not move when the list grows.
    #[allow(clippy::vec_box)]
    bufs: Vec<Box<[u8; 64]>>,
    #[allow(clippy::vec_box)]
    iovs: Vec<Box<[libc::iovec; 2]>>,
    ts: Box<KernelTimespec>,
    c: Counts,
}

impl Round {
    fn sqe(&mut self, opcode: u8, fd: i32, flags: u8) -> IoUringSqe {
        self.next_ud += 1;
        self.owed.owe(self.next_ud);
        IoUringSqe {
            opcode,
            fd,
            flags,
            user_data: self.next_ud,
            ..IoUringSqe::default()
        }
    }

    fn buf(&mut self) -> u64 {
        self.bufs.push(Box::new([0u8; 64]));
        self.bufs.last_mut().unwrap().as_mut_ptr() as u64
    }

    /// Submits `sqes` (one chain or several); every one must be consumed.
    fn submit(&mut self, sqes: &[IoUringSqe]) -> Result<(), String> {
        self.c.sqes += self.r.submit_all(sqes)?;
        self.c.ops += 1;
        Ok(())
    }

    /// Takes what completed; waits up to `ms` for at least `min`.
    fn reap(&mut self, min: u32, ms: u64) -> Result<usize, String> {
        let got = self.owed.reap(&self.r, min, Duration::from_millis(ms))?;
        self.c.cqes += got.len() as u64;
        Ok(got.len())
    }

    /// One random step.
    fn step(&mut self, rng: &mut Rng) -> Result<(), String> {
        let p = rng.below(self.pipes.len() as u64) as usize;
        let (rd, wr) = (self.pipes[p][0].as_raw_fd(), self.pipes[p][1].as_raw_fd());
        match rng.below(9) {
            0 => {
                // A flood of NOPs: four times the CQ ring.
                for _ in 0..4 {
                    let sqes: Vec<_> = (0..4).map(|_| self.sqe(OP_NOP, -1, 0)).collect();
                    self.submit(&sqes)?;
                }
            }
            1 => {
                // A read armed on a pipe, then written from user space.
                let mut s = self.sqe(OP_READ, rd, 0);
                s.addr = self.buf();
                s.len = 8;
                self.submit(&[s])?;
                write_all(&self.pipes[p][1], 8);
            }
            2 => {
                // WRITE then READ through the ring, linked.
                let mut w = self.sqe(OP_WRITE, wr, LINK);
                w.addr = self.buf();
                w.len = 16;
                let mut r = self.sqe(OP_READ, rd, 0);
                r.addr = self.buf();
                r.len = 16;
                self.submit(&[w, r])?;
            }
            3 => {
                // POLL_ADD, and its POLL_REMOVE or a write.
                let mut s = self.sqe(OP_POLL_ADD, rd, 0);
                s.op_flags = 1;
                let target = s.user_data;
                self.submit(&[s])?;
                if rng.below(2) == 0 {
                    let mut x = self.sqe(OP_POLL_REMOVE, -1, 0);
                    x.addr = target;
                    self.submit(&[x])?;
                } else {
                    write_all(&self.pipes[p][1], 1);
                }
            }
            4 => {
                // A read with a short linked timeout.
                let mut s = self.sqe(OP_READ, rd, LINK);
                s.addr = self.buf();
                s.len = 4;
                let mut t = self.sqe(OP_LINK_TIMEOUT, -1, 0);
                t.addr = &*self.ts as *const KernelTimespec as u64;
                t.len = 1;
                self.submit(&[s, t])?;
            }
            5 => {
                // An armed read (maybe in io-wq) and its cancel.
                let flags = if rng.below(2) == 0 { ASYNC } else { 0 };
                let mut s = self.sqe(OP_READ, rd, flags);
                s.addr = self.buf();
                s.len = 4;
                let target = s.user_data;
                self.submit(&[s])?;
                let mut x = self.sqe(OP_ASYNC_CANCEL, -1, 0);
                x.addr = target;
                self.submit(&[x])?;
            }
            6 => {
                // WRITEV then READV of a regular file, linked.
                let (a, b) = (self.buf(), self.buf());
                self.iovs.push(Box::new([
                    libc::iovec {
                        iov_base: a as *mut _,
                        iov_len: 32,
                    },
                    libc::iovec {
                        iov_base: b as *mut _,
                        iov_len: 32,
                    },
                ]));
                let iov = self.iovs.last().unwrap().as_ptr() as u64;
                let f = self.file.as_raw_fd();
                let mut w = self.sqe(OP_WRITEV, f, LINK);
                w.addr = iov;
                w.len = 2;
                let mut r = self.sqe(OP_READV, f, 0);
                r.addr = iov;
                r.len = 2;
                self.submit(&[w, r])?;
            }
            7 => {
                // POLL_ADD on the ring's own descriptor; a NOP wakes it.
                let mut s = self.sqe(OP_POLL_ADD, self.r.raw_fd(), 0);
                s.op_flags = 1;
                let n = self.sqe(OP_NOP, -1, 0);
                self.submit(&[s])?;
                self.submit(&[n])?;
            }
            _ => {
                self.reap(1, 20)?;
            }
        }
        self.reap(0, 0).map(|_| ())
    }

    /// Completes everything owed: writes every pipe, cancels what still
    /// waits (`IORING_ASYNC_CANCEL_ANY`), reaps until nothing is owed.
    fn drain(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !self.owed.is_empty() {
            if Instant::now() > deadline {
                return Err(format!("{} entries never completed", self.owed.len()));
            }
            for [_, wr] in &self.pipes {
                write_all(wr, 64);
            }
            let mut x = self.sqe(OP_ASYNC_CANCEL, -1, 0);
            x.op_flags = IORING_ASYNC_CANCEL_ANY | IORING_ASYNC_CANCEL_ALL;
            self.submit(&[x])?;
            self.reap(1, 50)?;
            // Empty the pipes again: what a read left must not feed the
            // next round.
            for [rd, _] in &self.pipes {
                let mut b = [0u8; 4096];
                // SAFETY: `b` is writable; the descriptor is nonblocking
                // below, so this never waits.
                unsafe {
                    libc::fcntl(rd.as_raw_fd(), libc::F_SETFL, libc::O_NONBLOCK);
                    libc::read(rd.as_raw_fd(), b.as_mut_ptr().cast(), b.len());
                    libc::fcntl(rd.as_raw_fd(), libc::F_SETFL, 0);
                }
            }
        }
        Ok(())
    }
}

/// One ring's life on this thread, on `sys`.
fn round(sys: Sys, rng: &mut Rng, steps: usize, close_armed: bool) -> Result<Counts, String> {
    let p = IoUringParams {
        flags: IORING_SETUP_CQSIZE,
        cq_entries: 4,
        ..IoUringParams::default()
    };
    let r = RawRing::new(sys, 4, p).map_err(|e| format!("setup {e}"))?;
    let mut t = Round {
        r,
        owed: Owed::default(),
        next_ud: 0,
        pipes: vec![pipe()?, pipe()?],
        file: tmpfile()?,
        bufs: Vec::new(),
        iovs: Vec::new(),
        ts: Box::new(KernelTimespec {
            tv_sec: 0,
            tv_nsec: 1_000_000,
        }),
        c: Counts::default(),
    };
    for _ in 0..steps {
        t.step(rng)?;
    }
    t.drain()?;
    t.c.rings = 1;
    // Reads armed on a pipe nobody writes: ring exit tears them down (the
    // write end closes after the ring).
    let [rd, wr] = pipe()?;
    if close_armed {
        let sqes: Vec<_> = (0..4)
            .map(|_| {
                let mut s = t.sqe(OP_READ, rd.as_raw_fd(), 0);
                s.addr = t.buf();
                s.len = 4;
                s
            })
            .collect();
        t.submit(&sqes)?;
        t.c.torn_down = t.owed.len() as u64;
        t.c.undrained = 1;
    }
    let c = t.c;
    drop(t);
    drop((rd, wr));
    Ok(c)
}

/// `ring_stress`: `threads` threads, each running rounds on `sys` for
/// `secs`.
pub(crate) fn cmd_ring_stress(
    sys: Sys,
    seed: u64,
    secs: u64,
    threads: usize,
) -> Result<Counts, String> {
    let deadline = Instant::now() + Duration::from_secs(secs);
    let handles: Vec<_> = (0..threads)
        .map(|i| {
            std::thread::spawn(move || -> Result<Counts, String> {
                let mut rng = Rng::new(seed ^ ((i as u64 + 1) << 32));
                let mut c = Counts::default();
                while Instant::now() < deadline || c.rings == 0 {
                    let steps = 20 + rng.below(60) as usize;
                    let close_armed = rng.below(2) == 0;
                    c += round(sys, &mut rng, steps, close_armed)?;
                }
                Ok(c)
            })
        })
        .collect();
    let mut total = Counts::default();
    for h in handles {
        total += h
            .join()
            .map_err(|_| "a ring stress thread panicked".to_string())??;
    }
    Ok(total)
}
