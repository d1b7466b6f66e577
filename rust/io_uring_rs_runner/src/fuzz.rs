// SPDX-License-Identifier: GPL-2.0

//! Fuzz of `/dev/io_uring_rs` through the io_uring ABI, bounded in count,
//! with the seed printed so that a failure can be replayed.
//!
//! Random setups (entries, flags, reserved fields, bad parameter pointers)
//! and `mmap()` offsets; on set-up rings, random entries (mostly
//! well-formed, on pipes, the ring itself, a bad descriptor or no file, with
//! buffers that are valid, unmapped or in the kernel) pushed into the SQ
//! ring, with now and then an SQ array slot naming no entry; enters with
//! random counts, flags and argument pointers; registers with random
//! opcodes; unknown ioctl numbers; the device's ioctls on bad pointers.
//! Now and then a forked task submits entries on the ring it inherited and
//! exits (its requests still in flight are cancelled by the task's exit),
//! and a ring is closed with whatever is in flight.
//! Every call must return a result or one of the documented errors. Every
//! entry the kernel consumed (the SQ head it publishes says which) must
//! complete exactly once or be torn down at ring exit, and no completion
//! may name anything else.

use crate::abi::{pipe, write_fd, RawRing, Sys, OP_ASYNC_CANCEL};
use crate::stress::{scratch, Counts, Owed, Rng};
use crate::uapi::*;
use std::collections::VecDeque;
use std::os::fd::{AsRawFd, OwnedFd};
use std::time::Duration;

/// One ring under fuzz and what it owes.
struct Fuzzed {
    r: RawRing,
    pipes: Vec<[OwnedFd; 2]>,
    /// Pushed, not yet consumed: `Some(user_data)`, or `None` for an SQ
    /// array slot that names no entry (dropped when consumed).
    queued: VecDeque<Option<u64>>,
    owed: Owed,
    head: u32,
}

/// Valid timespecs (0.5 ms), for the timeouts that are not given junk.
static TS: KernelTimespec = KernelTimespec {
    tv_sec: 0,
    tv_nsec: 500_000,
};

/// A refused call must say why with one of the documented errors.
fn check_errno(what: &str, ret: i64) -> Result<(), String> {
    const OK: [i32; 10] = [
        libc::EINVAL,
        libc::EBADFD,
        libc::EFAULT,
        libc::EBADF,
        libc::ENOMEM,
        libc::EAGAIN,
        libc::EBUSY,
        libc::ETIME,
        libc::EINTR,
        libc::EOPNOTSUPP,
    ];
    if ret >= 0 || OK.contains(&(-ret as i32)) {
        Ok(())
    } else {
        Err(format!("{what}: unexpected error {ret}"))
    }
}

impl Fuzzed {
    fn new() -> Result<Self, String> {
        let p = IoUringParams {
            flags: IORING_SETUP_CQSIZE,
            cq_entries: 8,
            ..IoUringParams::default()
        };
        // A CQ ring as small as the SQ ring: it overflows often.
        let r = RawRing::new(Sys::Module, 8, p).map_err(|e| format!("setup {e}"))?;
        let pipes = vec![pipe()?, pipe()?];
        // SAFETY: `fcntl` on descriptors we own; nonblocking writes keep a
        // full pipe from stopping the run.
        unsafe { libc::fcntl(pipes[0][1].as_raw_fd(), libc::F_SETFL, libc::O_NONBLOCK) };
        Ok(Fuzzed {
            r,
            pipes,
            queued: VecDeque::new(),
            owed: Owed::default(),
            head: 0,
        })
    }

    /// Moves what the kernel consumed since the last call from `queued`
    /// to `owed`.
    fn consumed(&mut self) -> Result<u64, String> {
        let head = self.r.sq_head();
        let n = head.wrapping_sub(self.head);
        if n as usize > self.queued.len() {
            return Err(format!(
                "the SQ head moved by {n} with {} queued",
                self.queued.len()
            ));
        }
        self.head = head;
        let mut entries = 0;
        for _ in 0..n {
            if let Some(ud) = self.queued.pop_front().flatten() {
                self.owed.owe(ud);
                entries += 1;
            }
        }
        Ok(entries)
    }

    fn reap(&mut self) -> Result<u64, String> {
        let got = self.r.reap_lossless()?;
        self.owed.pay(&got)?;
        Ok(got.len() as u64)
    }

    /// A random entry: mostly well-formed, on a random file, with a
    /// random buffer.
    fn sqe(&self, rng: &mut Rng, ud: u64) -> IoUringSqe {
        // The ring's own descriptor too: a request takes its file at issue,
        // so one naming its own ring, linked behind a head that never
        // completes, holds nothing that keeps the ring alive.
        let fds = [
            -1,
            self.r.raw_fd(),
            self.pipes[0][0].as_raw_fd(),
            self.pipes[0][1].as_raw_fd(),
            self.pipes[1][0].as_raw_fd(),
            9999,
        ];
        let addr = match rng.below(6) {
            0 | 1 => scratch(rng),
            2 => &TS as *const KernelTimespec as u64,
            3 => 0,
            4 => 0xffff_8000_0000_0000 | rng.below(1 << 40),
            _ => rng.below(5_000_000),
        };
        let mut s = IoUringSqe {
            opcode: [0, 1, 2, 6, 7, 11, 12, 14, 15, 22, 23, 31, 200][rng.below(13) as usize],
            // Any flag but DRAIN (which could stall the rest of the run)
            // and CQE_SKIP_SUCCESS (accounting needs every completion).
            flags: (rng.next() & 0x3f) as u8 & !(1 << 1),
            fd: fds[rng.below(fds.len() as u64) as usize],
            addr,
            len: rng.below(17) as u32,
            user_data: ud,
            ..IoUringSqe::default()
        };
        if s.opcode == 11 || s.opcode == 15 {
            s.len = 1;
        }
        if rng.below(6) == 0 {
            s.ioprio = rng.next() as u16;
            s.op_flags = rng.next() as u32;
            s.off = rng.next();
            s.buf_index = rng.next() as u16;
        }
        s
    }

    /// Everything that can complete does; the rest stays owed and is torn
    /// down when the ring closes. Returns the counts.
    fn finish(mut self, mut c: Counts) -> Result<Counts, String> {
        // Whatever is still queued is submitted (room made in the CQ ring
        // first) or refused for good.
        for _ in 0..4 {
            let pending = self.r.sq_pending();
            if pending == 0 {
                break;
            }
            c.cqes += self.reap()?;
            let n = self.r.enter(pending, 0, 0);
            check_errno("final enter", n)?;
            c.sqes += self.consumed()?;
        }
        for [_, wr] in &self.pipes {
            write_fd(wr, &[b'x'; 4096]);
        }
        let x = IoUringSqe {
            opcode: OP_ASYNC_CANCEL,
            fd: -1,
            op_flags: IORING_ASYNC_CANCEL_ANY | IORING_ASYNC_CANCEL_ALL,
            user_data: u64::MAX,
            ..IoUringSqe::default()
        };
        if self.r.sq_pending() == 0 {
            self.queued.push_back(Some(x.user_data));
            self.r.push(&x);
            self.r.enter(1, 0, 0);
            c.sqes += self.consumed()?;
        }
        loop {
            self.r.wait(1, Duration::from_millis(50));
            let n = self.reap()?;
            c.cqes += n;
            if n == 0 {
                break;
            }
        }
        c.rings += 1;
        c.torn_down += self.owed.len() as u64;
        Ok(c)
    }
}

impl Fuzzed {
    /// A forked task pushes `n` random entries (`user_data` from `ud`),
    /// submits them and exits; the entries it left in the SQ ring go with
    /// the next enter. Only with nothing queued, so the task's entries
    /// follow the tail in order.
    fn fork_submit_exit(&mut self, rng: &mut Rng, ud: u64, n: u64) -> Result<u64, String> {
        if self.r.sq_pending() != 0 {
            return Ok(0);
        }
        let sqes: Vec<IoUringSqe> = (0..n).map(|i| self.sqe(rng, ud + i)).collect();
        // SAFETY: The child only writes the shared ring, makes one ioctl
        // and exits, allocating nothing (the entries are built above).
        match unsafe { libc::fork() } {
            -1 => Err(format!("fork: {}", std::io::Error::last_os_error())),
            0 => {
                for s in &sqes {
                    self.r.push(s);
                }
                self.r.enter(n as u32, 0, 0);
                // SAFETY: Ends the child without running the parent's
                // destructors (the ring is the parent's to close).
                unsafe { libc::_exit(0) }
            }
            pid => {
                let mut status = 0;
                // SAFETY: `pid` is our child.
                unsafe { libc::waitpid(pid, &mut status, 0) };
                self.r.resync_tail();
                self.queued.extend((0..n).map(|i| Some(ud + i)));
                self.consumed()
            }
        }
    }

    /// Closes the ring with whatever is in flight: ring exit tears it
    /// down. Returns the counts.
    fn close(self, mut c: Counts) -> Counts {
        c.rings += 1;
        c.torn_down += self.owed.len() as u64;
        c
    }
}

/// Random `io_uring_setup()` arguments: a descriptor or a documented error;
/// random `mmap()` offsets on what was set up.
fn fuzz_setup(rng: &mut Rng) -> Result<(), String> {
    let mut p = IoUringParams {
        flags: match rng.below(4) {
            0 => rng.next() as u32,
            1 => IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP,
            _ => 0,
        },
        cq_entries: rng.below(1 << 17) as u32,
        ..IoUringParams::default()
    };
    if rng.below(8) == 0 {
        p.resv[rng.below(3) as usize] = rng.next() as u32;
    }
    let entries = match rng.below(4) {
        0 => rng.next() as u32,
        _ => rng.below(5000) as u32,
    };
    let fd = match Sys::Module.setup(entries, &mut p) {
        Ok(fd) => fd,
        Err(e) => return check_errno("setup", e),
    };
    for _ in 0..4 {
        let off = [
            IORING_OFF_SQ_RING,
            IORING_OFF_CQ_RING,
            IORING_OFF_SQES,
            rng.next() & 0xffff_f000,
        ][rng.below(4) as usize];
        let len = 4096 * (1 + rng.below(64) as usize);
        // SAFETY: a fresh mapping the kernel checks, unmapped below.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                fd.as_raw_fd(),
                off as libc::off_t,
            )
        };
        if ptr == libc::MAP_FAILED {
            let e = std::io::Error::last_os_error().raw_os_error().unwrap_or(0);
            check_errno("mmap", -i64::from(e))?;
        } else {
            // SAFETY: the mapping made just above.
            unsafe { libc::munmap(ptr, len) };
        }
    }
    Ok(())
}

/// `fuzz`: `iters` random calls, on fresh rings every 500.
pub(crate) fn cmd_fuzz(seed: u64, iters: u64) -> Result<Counts, String> {
    cmd_fuzz_until(seed, iters, None)
}

/// The operation a failure of [`cmd_fuzz_until`] names ("... iter N: ...").
pub(crate) fn failing_iter(msg: &str) -> Option<u64> {
    let (_, rest) = msg.split_once(" iter ")?;
    rest.split(':').next()?.parse().ok()
}

/// `iters` random calls from `seed`, on fresh rings every 500, until
/// `deadline` if there is one; prints a progress line every 100,000. The
/// calls depend only on `seed` and the results, so a prefix replays.
pub(crate) fn cmd_fuzz_until(
    seed: u64,
    iters: u64,
    deadline: Option<std::time::Instant>,
) -> Result<Counts, String> {
    let mut rng = Rng::new(seed);
    let mut c = Counts::default();
    let mut f = Fuzzed::new()?;
    let mut next_ud = 1u64;
    for i in 0..iters {
        if i % 100_000 == 0 && i > 0 {
            println!("# fuzz: {i} operations, {} SQEs, {} CQEs", c.sqes, c.cqes);
            if deadline.is_some_and(|d| std::time::Instant::now() > d) {
                break;
            }
        }
        let at = |e: String| format!("seed {seed:#x} iter {i}: {e}");
        if i % 500 == 499 {
            c = f.finish(c).map_err(at)?;
            f = Fuzzed::new().map_err(at)?;
        }
        c.ops += 1;
        match rng.below(10) {
            0..=2 => {
                // Entries into the SQ ring (room permitting), sometimes
                // a slot naming no entry, then an enter of a random count.
                let room = f.r.sq_entries() - f.r.sq_pending();
                for _ in 0..rng.below(u64::from(room) + 1) {
                    if rng.below(16) == 0 {
                        f.r.push_index(f.r.sq_entries() + rng.below(100) as u32);
                        f.queued.push_back(None);
                    } else {
                        let s = f.sqe(&mut rng, next_ud);
                        f.r.push(&s);
                        f.queued.push_back(Some(next_ud));
                        next_ud += 1;
                    }
                }
                let to_submit = rng.below(u64::from(f.r.sq_pending()) + 3) as u32;
                let n = f.r.enter(to_submit, 0, 0);
                check_errno("enter", n).map_err(at)?;
                c.sqes += f.consumed().map_err(at)?;
            }
            3 => {
                // An enter with random flags and argument pointers.
                let flags = (rng.next() as u32) & 0x7f;
                let argp = match rng.below(3) {
                    0 => 0,
                    1 => 0xffff_8000_0000_0000 | rng.below(1 << 40),
                    _ => rng.below(1 << 20),
                };
                let n = f.r.sys().enter(
                    f.r.fd(),
                    rng.below(4) as u32,
                    rng.below(2) as u32,
                    flags & !IORING_ENTER_GETEVENTS,
                    argp,
                    rng.below(64),
                );
                check_errno("enter", n).map_err(at)?;
                c.sqes += f.consumed().map_err(at)?;
            }
            4 => {
                // A wait with a short timeout, then a reap.
                let n =
                    f.r.wait(1 + rng.below(4) as u32, Duration::from_micros(200));
                check_errno("wait", n).map_err(at)?;
                c.cqes += f.reap().map_err(at)?;
            }
            5 => {
                // A register of a random opcode and argument: none, a
                // kernel address, or zeroed room for a probe of 256 ops.
                let mut room = vec![0u8; 16 + 8 * 256];
                let arg = match rng.below(3) {
                    0 => 0,
                    1 => room.as_mut_ptr() as u64,
                    _ => 0xffff_8000_0000_0000 | rng.below(1 << 40),
                };
                let op = [IORING_REGISTER_PROBE, rng.below(64) as u32][rng.below(2) as usize];
                let n = f.r.sys().register(f.r.fd(), op, arg, rng.below(300) as u32);
                check_errno("register", n).map_err(at)?;
            }
            6 => {
                // An unknown ioctl (-ENOTTY), or a device ioctl on a bad
                // pointer (-EFAULT or another documented error).
                let known = [
                    IO_URING_RS_IOC_VERSION,
                    IO_URING_RS_IOC_STATS,
                    IO_URING_RS_IOC_SETUP,
                    IO_URING_RS_IOC_ENTER,
                    IO_URING_RS_IOC_REGISTER,
                ];
                let (cmd, unknown) = if rng.below(2) == 0 {
                    let cmd = rng.next() as u32;
                    (cmd, !known.contains(&cmd))
                } else {
                    (known[rng.below(known.len() as u64) as usize], false)
                };
                let ptr = 0xffff_8000_0000_0000 | rng.below(1 << 40);
                // SAFETY: the pointer is never valid; the device must
                // refuse it without touching user memory.
                let ret = unsafe { libc::ioctl(f.r.raw_fd(), cmd as _, ptr) };
                let e = std::io::Error::last_os_error().raw_os_error().unwrap_or(0);
                match (unknown, ret) {
                    (true, -1) if e == libc::ENOTTY => {}
                    (true, _) => return Err(at(format!("unknown ioctl {cmd:#x} gave {ret}/{e}"))),
                    (false, -1) => check_errno("ioctl", -i64::from(e)).map_err(at)?,
                    (false, _) => {}
                }
                c.sqes += f.consumed().map_err(at)?;
            }
            7 => fuzz_setup(&mut rng).map_err(at)?,
            8 => {
                let n = 1 + rng.below(4);
                c.sqes += f.fork_submit_exit(&mut rng, next_ud, n).map_err(at)?;
                next_ud += n;
            }
            _ => {
                if rng.below(8) == 0 {
                    c = f.close(c);
                    f = Fuzzed::new().map_err(at)?;
                } else {
                    fuzz_setup(&mut rng).map_err(at)?;
                }
            }
        }
        // Pipes get written now and then, so armed reads complete.
        if rng.below(4) == 0 {
            write_fd(&f.pipes[0][1], &[b'y'; 3]);
        }
    }
    f.finish(c)
}
