// SPDX-License-Identifier: GPL-2.0

//! `link_race`: the load aimed at the chain races the "Linked request fix"
//! series closed, on either backend.
//!
//! Threads each keep a ring busy with chains whose requests run in io-wq
//! (`IOSQE_ASYNC`) followed by a linked timeout and more links: the
//! timeouts are drawn around the time io-wq takes to run the request
//! (0 to 40 us), so the timer's `io_link_timeout_fn()` (hrtimer context,
//! `timeout_lock`: it unlinks the timeout from `prev->link`) and the
//! worker's `io_wq_put_work()` / `io_wq_free_work()` (which reads and
//! clears `req->link`: patch 1/3 put `uring_lock` around it) meet on the
//! same request. Now and then `ASYNC_CANCEL` of everything walks the
//! io-wq lists while workers finish chains, and a forked task submits
//! chains on the ring and exits at once, so that task-exit cancellation
//! walks chains (`io_match_task_safe()`) while they complete.
//!
//! Accounting is exact: every entry submitted, by the thread or by a
//! forked task, completes exactly once. The run counts the crossings it
//! produced: chains whose request completed successfully while its linked
//! timeout expired (the timeout's `-ETIME` beside the request's result),
//! which is when the two paths above ran on the same request at the same
//! time. On the data-race kernel KCSAN watches these paths in the C
//! io_uring (Documentation/testing.rst, "The data-race run").

use crate::abi::{
    pipe, write_fd, RawRing, Sys, IOSQE_ASYNC, IOSQE_IO_LINK, OP_ASYNC_CANCEL, OP_LINK_TIMEOUT,
    OP_NOP, OP_READ,
};
use crate::stress::{Owed, Rng};
use crate::uapi::*;
use std::collections::HashMap;
use std::os::fd::{AsRawFd, OwnedFd};
use std::time::{Duration, Instant};

/// What a run did.
#[derive(Default, Clone, Copy)]
pub(crate) struct RaceCounts {
    pub(crate) chains: u64,
    pub(crate) sqes: u64,
    pub(crate) cqes: u64,
    /// Requests that completed successfully while their linked timeout
    /// expired.
    pub(crate) crossings: u64,
    /// Linked timeouts that cancelled their request.
    pub(crate) timed_out: u64,
    pub(crate) cancel_alls: u64,
    /// Tasks that submitted chains and exited with them in flight.
    pub(crate) exits: u64,
}

impl std::ops::AddAssign for RaceCounts {
    fn add_assign(&mut self, o: RaceCounts) {
        self.chains += o.chains;
        self.sqes += o.sqes;
        self.cqes += o.cqes;
        self.crossings += o.crossings;
        self.timed_out += o.timed_out;
        self.cancel_alls += o.cancel_alls;
        self.exits += o.exits;
    }
}

/// The role of an entry in its chain, in the low bits of its `user_data`
/// (the chain's number above them).
const ROLE_REQ: u64 = 0;
const ROLE_TIMEOUT: u64 = 1;
const ROLE_NEXT: u64 = 2;
const ROLE_CANCEL: u64 = 3;
const ROLE_BITS: u32 = 2;

/// The results of a chain's request and of its linked timeout, as they
/// arrive.
#[derive(Default)]
struct Chain {
    req: Option<i32>,
    timeout: Option<i32>,
}

/// One thread's ring and what it owes.
struct Racer {
    r: RawRing,
    owed: Owed,
    chains: HashMap<u64, Chain>,
    next_chain: u64,
    pipe: [OwnedFd; 2],
    /// Where reads land: the kernel writes it at any time, nobody reads it.
    buf: Box<[u8; 4096]>,
    c: RaceCounts,
}

impl Racer {
    fn new(sys: Sys) -> Result<Self, String> {
        let r =
            RawRing::new(sys, 64, IoUringParams::default()).map_err(|e| format!("setup {e}"))?;
        let pipe = pipe()?;
        // SAFETY: `fcntl` on a descriptor we own: a full pipe must not
        // stop the run.
        unsafe { libc::fcntl(pipe[1].as_raw_fd(), libc::F_SETFL, libc::O_NONBLOCK) };
        Ok(Racer {
            r,
            owed: Owed::default(),
            chains: HashMap::new(),
            next_chain: 1,
            pipe,
            buf: Box::new([0; 4096]),
            c: RaceCounts::default(),
        })
    }

    /// A chain of three or five entries: a request in io-wq, its linked
    /// timeout of `ts`, a NOP (and again, a second request and timeout
    /// in the middle of the chain). Returns the entries; `ts` must live
    /// until they are submitted (the timeout reads it at preparation).
    fn chain(&mut self, rng: &mut Rng, ts: &KernelTimespec) -> Vec<IoUringSqe> {
        let id = self.next_chain;
        self.next_chain += 1;
        self.chains.insert(id, Chain::default());
        let ud = |role| id << ROLE_BITS | role;
        let req = |rng: &mut Rng, user_data| {
            let mut s = IoUringSqe {
                opcode: OP_NOP,
                fd: -1,
                flags: IOSQE_ASYNC | IOSQE_IO_LINK,
                user_data,
                ..IoUringSqe::default()
            };
            if rng.below(3) == 0 {
                // A read of the pipe: data there or not (then io-wq arms
                // poll, and the write below or the timeout ends it).
                s.opcode = OP_READ;
                s.fd = self.pipe[0].as_raw_fd();
                s.addr = self.buf.as_ptr() as u64 + rng.below(4000);
                s.len = 8;
            }
            s
        };
        let timeout = |user_data, flags| IoUringSqe {
            opcode: OP_LINK_TIMEOUT,
            fd: -1,
            flags,
            addr: ts as *const KernelTimespec as u64,
            len: 1,
            user_data,
            ..IoUringSqe::default()
        };
        let next = IoUringSqe {
            opcode: OP_NOP,
            fd: -1,
            user_data: ud(ROLE_NEXT),
            ..IoUringSqe::default()
        };
        let mut sqes = vec![
            req(rng, ud(ROLE_REQ)),
            timeout(ud(ROLE_TIMEOUT), IOSQE_IO_LINK),
        ];
        if rng.below(4) == 0 {
            // A second request with its own timeout further down the
            // chain: its timer is armed when the first has finished.
            let id2 = self.next_chain;
            self.next_chain += 1;
            self.chains.insert(id2, Chain::default());
            sqes.push(req(rng, id2 << ROLE_BITS | ROLE_REQ));
            sqes.push(timeout(id2 << ROLE_BITS | ROLE_TIMEOUT, IOSQE_IO_LINK));
        }
        sqes.push(next);
        sqes
    }

    /// A timeout spread evenly on a log scale from 1 us to 8 ms: io-wq
    /// takes a few microseconds to run a request on hardware and tens to
    /// hundreds under emulation, so some timers fire before, some during
    /// and some after it on either.
    fn timespec(rng: &mut Rng) -> KernelTimespec {
        let exp = rng.below(1300) as f64 / 100.0;
        KernelTimespec {
            tv_sec: 0,
            tv_nsec: (1000.0 * exp.exp2()) as i64,
        }
    }

    fn submit(&mut self, sqes: &[IoUringSqe]) -> Result<(), String> {
        for s in sqes {
            self.owed.owe(s.user_data);
        }
        self.c.sqes += self.r.submit_all(sqes)?;
        Ok(())
    }

    /// Takes what completed, waiting up to `ms` for at least `min`;
    /// how many it took.
    fn reap(&mut self, min: u32, ms: u64) -> Result<usize, String> {
        let got = self.owed.reap(&self.r, min, Duration::from_millis(ms))?;
        self.c.cqes += got.len() as u64;
        for &(ud, res) in &got {
            let id = ud >> ROLE_BITS;
            let Some(ch) = self.chains.get_mut(&id) else {
                continue;
            };
            match ud & ((1 << ROLE_BITS) - 1) {
                ROLE_REQ => ch.req = Some(res),
                ROLE_TIMEOUT => ch.timeout = Some(res),
                _ => continue,
            }
            if let (Some(req), Some(t)) = (ch.req, ch.timeout) {
                let eti = -libc::ETIME;
                if req >= 0 && t == eti {
                    self.c.crossings += 1;
                } else if req == -libc::ECANCELED && t == eti {
                    self.c.timed_out += 1;
                }
                self.chains.remove(&id);
            }
        }
        Ok(got.len())
    }

    /// `ASYNC_CANCEL` of everything in flight on the ring.
    fn cancel_all(&mut self) -> Result<(), String> {
        let id = self.next_chain;
        self.next_chain += 1;
        let x = IoUringSqe {
            opcode: OP_ASYNC_CANCEL,
            fd: -1,
            op_flags: IORING_ASYNC_CANCEL_ANY | IORING_ASYNC_CANCEL_ALL,
            user_data: id << ROLE_BITS | ROLE_CANCEL,
            ..IoUringSqe::default()
        };
        self.c.cancel_alls += 1;
        self.submit(&[x])
    }

    /// A forked task submits `sqes` on the ring and exits: its chains are
    /// cancelled by its exit while io-wq runs them. The entries complete
    /// on the ring and are owed here.
    fn fork_submit_exit(&mut self, sqes: &[IoUringSqe]) -> Result<(), String> {
        self.r.fork_submit_exit(sqes)?;
        for s in sqes {
            self.owed.owe(s.user_data);
        }
        if self.r.sq_pending() != 0 {
            return Err("the exiting task's entries were not all consumed".into());
        }
        self.c.sqes += sqes.len() as u64;
        self.c.exits += 1;
        Ok(())
    }

    /// One batch: up to eight chains, from this thread or a forked task,
    /// sometimes a cancel of everything, sometimes data for the reads.
    fn step(&mut self, rng: &mut Rng) -> Result<(), String> {
        let n = 1 + rng.below(8) as usize;
        let ts: Vec<KernelTimespec> = (0..n).map(|_| Racer::timespec(rng)).collect();
        let mut sqes = Vec::new();
        for t in &ts {
            sqes.extend(self.chain(rng, t));
        }
        self.c.chains += n as u64;
        if rng.below(16) == 0 {
            self.fork_submit_exit(&sqes)?;
        } else {
            self.submit(&sqes)?;
        }
        if rng.below(2) == 0 {
            write_fd(&self.pipe[1], &[b'x'; 8]);
        }
        if rng.below(8) == 0 {
            self.cancel_all()?;
        }
        self.reap(1, 1).map(|_| ())
    }

    /// Completes everything owed: reaps while completions come, and when
    /// none came for 20 ms, gives every read data and cancels the rest.
    fn drain(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !self.owed.is_empty() {
            if Instant::now() > deadline {
                return Err(format!("{} entries never completed", self.owed.len()));
            }
            if self.reap(1, 20)? == 0 {
                write_fd(&self.pipe[1], &[b'x'; 512]);
                self.cancel_all()?;
            }
        }
        Ok(())
    }
}

/// `link_race`: `threads` threads on `sys` for `secs`, each on rings of
/// 200 batches.
pub(crate) fn cmd_link_race(
    sys: Sys,
    seed: u64,
    secs: u64,
    threads: usize,
) -> Result<RaceCounts, String> {
    let deadline = Instant::now() + Duration::from_secs(secs);
    let handles: Vec<_> = (0..threads)
        .map(|i| {
            std::thread::spawn(move || -> Result<RaceCounts, String> {
                let mut rng = Rng::new(seed ^ ((i as u64 + 1) << 32));
                let mut c = RaceCounts::default();
                while Instant::now() < deadline || c.chains == 0 {
                    let mut r = Racer::new(sys)?;
                    for _ in 0..200 {
                        r.step(&mut rng)?;
                    }
                    r.drain()?;
                    c += r.c;
                }
                Ok(c)
            })
        })
        .collect();
    let mut total = RaceCounts::default();
    for h in handles {
        total += h
            .join()
            .map_err(|_| "a link race thread panicked".to_string())??;
    }
    Ok(total)
}
