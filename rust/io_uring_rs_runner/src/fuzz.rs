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
//!
//! Generation and execution are apart: the [`Rng`] draws a concrete [`Op`]
//! (every field a value; pointers and descriptors symbolic, [`Ptr`] and
//! [`Fd`], resolved when it runs), and [`State::apply`] runs it with the
//! checks. An epoch is the life of one ring: the ops from its creation to
//! the [`Op::Close`] or [`Op::Finish`] that ends it. The fuzz keeps the
//! current epoch's ops as its trace, which `trace.rs` reduces and writes as
//! a file, and [`State::apply`] replays.

use crate::abi::{pipe, write_fd, RawRing, Sys, OP_ASYNC_CANCEL};
use crate::stress::{scratch_at, Counts, Owed, Rng, SCRATCH_ROOM};
use crate::uapi::*;
use std::collections::VecDeque;
use std::os::fd::{AsRawFd, OwnedFd};
use std::time::{Duration, Instant};

/// A pointer argument, resolved when the op runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ptr {
    /// 0.
    Null,
    /// This many bytes into the scratch region (`stress::scratch_at`).
    Scratch(u64),
    /// A valid timespec of 0.5 ms ([`TS`]).
    Timespec,
    /// Zeroed room for a probe of 256 ops, made for the call.
    Room,
    /// A kernel address: never valid for the user.
    Kernel(u64),
    /// A small number taken as an address (unmapped).
    Raw(u64),
}

/// A descriptor argument, resolved when the op runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Fd {
    /// The ring's own descriptor.
    Ring,
    /// The read end of the ring's pipe `i` (0 or 1).
    PipeR(u8),
    /// The write end of the ring's pipe `i` (0 or 1).
    PipeW(u8),
    /// -1.
    None,
    /// 9999, never open.
    Bad,
}

/// One submission queue entry, with symbolic descriptor and address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Sqe {
    pub(crate) opcode: u8,
    pub(crate) flags: u8,
    pub(crate) fd: Fd,
    pub(crate) addr: Ptr,
    pub(crate) len: u32,
    pub(crate) user_data: u64,
    pub(crate) ioprio: u16,
    pub(crate) op_flags: u32,
    pub(crate) off: u64,
    pub(crate) buf_index: u16,
}

/// What goes into one SQ array slot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Push {
    /// An entry.
    Sqe(Sqe),
    /// A raw index naming no entry (at least `sq_entries`): dropped when
    /// consumed.
    Index(u32),
}

/// One `mmap()` of a set-up descriptor: offset and length in pages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Mmap {
    pub(crate) off: u64,
    pub(crate) pages: u32,
}

/// One operation of the fuzz, every value concrete.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Op {
    /// Entries (or bad slots) pushed into the SQ ring, as many as there is
    /// room for, then an enter of `to_submit`.
    Submit { push: Vec<Push>, to_submit: u32 },
    /// An enter with these arguments (`GETEVENTS` never set).
    Enter {
        to_submit: u32,
        min: u32,
        flags: u32,
        arg: Ptr,
        argsz: u64,
    },
    /// A wait of 200 us for `min` completions, then a reap.
    Wait { min: u32 },
    /// A register.
    Register { opcode: u32, arg: Ptr, nr_args: u32 },
    /// An ioctl on the ring's descriptor.
    Ioctl { cmd: u32, arg: Ptr },
    /// A setup of its own, mapped and closed at once.
    Setup {
        entries: u32,
        flags: u32,
        cq_entries: u32,
        resv: [u32; 3],
        mmaps: Vec<Mmap>,
    },
    /// A forked task pushes these, submits them and exits; only with
    /// nothing queued (else nothing happens).
    Fork { sqes: Vec<Sqe> },
    /// Three bytes into pipe 0, so armed reads complete.
    Write,
    /// The ring closed with whatever is in flight: ends the epoch.
    Close,
    /// The ring drained (everything cancelled) and closed: ends the epoch.
    Finish,
}

impl Op {
    /// Whether the op ends its ring's epoch.
    pub(crate) fn ends_epoch(&self) -> bool {
        matches!(self, Op::Close | Op::Finish)
    }
}

/// Valid timespecs (0.5 ms), for the timeouts that are not given junk.
static TS: KernelTimespec = KernelTimespec {
    tv_sec: 0,
    tv_nsec: 500_000,
};

/// A refused call must say why with one of the documented errors of the
/// module. The kernel's io_uring documents others (its setup and register
/// do more), so on it any error is accepted.
fn check_errno(sys: Sys, what: &str, ret: i64) -> Result<(), String> {
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
    if ret >= 0 || sys == Sys::Uring || OK.contains(&(-ret as i32)) {
        Ok(())
    } else {
        Err(format!("{what}: unexpected error {ret}"))
    }
}

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

impl Fuzzed {
    fn new(sys: Sys) -> Result<Self, String> {
        let p = IoUringParams {
            flags: IORING_SETUP_CQSIZE,
            cq_entries: 8,
            ..IoUringParams::default()
        };
        // A CQ ring as small as the SQ ring: it overflows often.
        let r = RawRing::new(sys, 8, p).map_err(|e| format!("setup {e}"))?;
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

    fn fd(&self, fd: Fd) -> i32 {
        match fd {
            Fd::Ring => self.r.raw_fd(),
            Fd::PipeR(i) => self.pipes[usize::from(i & 1)][0].as_raw_fd(),
            Fd::PipeW(i) => self.pipes[usize::from(i & 1)][1].as_raw_fd(),
            Fd::None => -1,
            Fd::Bad => 9999,
        }
    }

    /// The entry `s` stands for on this ring.
    fn sqe(&self, s: &Sqe) -> IoUringSqe {
        IoUringSqe {
            opcode: s.opcode,
            flags: s.flags,
            fd: self.fd(s.fd),
            addr: ptr(s.addr, 0),
            len: s.len,
            user_data: s.user_data,
            ioprio: s.ioprio,
            op_flags: s.op_flags,
            off: s.off,
            buf_index: s.buf_index,
            ..IoUringSqe::default()
        }
    }

    /// Everything that can complete does; the rest stays owed and is torn
    /// down when the ring closes.
    fn finish(mut self, c: &mut Counts) -> Result<(), String> {
        let sys = self.r.sys();
        // Whatever is still queued is submitted (room made in the CQ ring
        // first) or refused for good.
        for _ in 0..4 {
            let pending = self.r.sq_pending();
            if pending == 0 {
                break;
            }
            c.cqes += self.reap()?;
            let n = self.r.enter(pending, 0, 0);
            check_errno(sys, "final enter", n)?;
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
        Ok(())
    }

    /// A forked task pushes `sqes`, submits them and exits; the entries it
    /// left in the SQ ring go with the next enter. Only with nothing
    /// queued, so the task's entries follow the tail in order.
    fn fork_submit_exit(&mut self, sqes: &[Sqe]) -> Result<u64, String> {
        if self.r.sq_pending() != 0 {
            return Ok(0);
        }
        let raw: Vec<IoUringSqe> = sqes.iter().map(|s| self.sqe(s)).collect();
        self.r.fork_submit_exit(&raw)?;
        self.queued.extend(sqes.iter().map(|s| Some(s.user_data)));
        self.consumed()
    }
}

/// The address `p` stands for; `room` is the op's zeroed room, if any.
fn ptr(p: Ptr, room: u64) -> u64 {
    match p {
        Ptr::Null => 0,
        Ptr::Scratch(off) => scratch_at(off),
        Ptr::Timespec => &TS as *const KernelTimespec as u64,
        Ptr::Room => room,
        Ptr::Kernel(a) | Ptr::Raw(a) => a,
    }
}

/// The device's own ioctls: on the module they take a bad pointer with a
/// documented error, any other number is `-ENOTTY`.
const KNOWN_IOCTLS: [u32; 5] = [
    IO_URING_RS_IOC_VERSION,
    IO_URING_RS_IOC_STATS,
    IO_URING_RS_IOC_SETUP,
    IO_URING_RS_IOC_ENTER,
    IO_URING_RS_IOC_REGISTER,
];

/// The fuzz's rings and counts: the ring of the current epoch, if one was
/// made since the last ended.
pub(crate) struct State {
    sys: Sys,
    f: Option<Fuzzed>,
    c: Counts,
}

impl State {
    pub(crate) fn new(sys: Sys) -> Self {
        State {
            sys,
            f: None,
            c: Counts::default(),
        }
    }

    /// Closes the current ring, if any, with whatever is in flight.
    pub(crate) fn close(&mut self) {
        close(&mut self.f, &mut self.c);
    }

    /// Runs `op` on the current ring (a new one if the last epoch ended),
    /// with the fuzz's checks: every error documented, every consumed
    /// entry owed exactly one completion, the SQ head never past the tail.
    /// On a failure the ring is closed, so that what it leaves shows.
    pub(crate) fn apply(&mut self, op: &Op) -> Result<(), String> {
        let res = self.apply_inner(op);
        if res.is_err() {
            self.close();
        }
        res
    }

    fn apply_inner(&mut self, op: &Op) -> Result<(), String> {
        let State { sys, f, c } = self;
        let sys = *sys;
        match op {
            Op::Submit { push, to_submit } => {
                let f = ring(f, sys)?;
                let room = f.r.sq_entries() - f.r.sq_pending();
                for p in push.iter().take(room as usize) {
                    match p {
                        Push::Index(idx) => {
                            f.r.push_index(*idx);
                            f.queued.push_back(None);
                        }
                        Push::Sqe(s) => {
                            let raw = f.sqe(s);
                            f.r.push(&raw);
                            f.queued.push_back(Some(s.user_data));
                        }
                    }
                }
                let n = f.r.enter(*to_submit, 0, 0);
                check_errno(sys, "enter", n)?;
                c.sqes += f.consumed()?;
            }
            Op::Enter {
                to_submit,
                min,
                flags,
                arg,
                argsz,
            } => {
                let f = ring(f, sys)?;
                let n = sys.enter(
                    f.r.fd(),
                    *to_submit,
                    *min,
                    flags & !IORING_ENTER_GETEVENTS,
                    ptr(*arg, 0),
                    *argsz,
                );
                check_errno(sys, "enter", n)?;
                c.sqes += f.consumed()?;
            }
            Op::Wait { min } => {
                let f = ring(f, sys)?;
                let n = f.r.wait(*min, Duration::from_micros(200));
                check_errno(sys, "wait", n)?;
                c.cqes += f.reap()?;
            }
            Op::Register {
                opcode,
                arg,
                nr_args,
            } => {
                let f = ring(f, sys)?;
                let mut room = vec![0u8; 16 + 8 * 256];
                let arg = ptr(*arg, room.as_mut_ptr() as u64);
                let n = sys.register(f.r.fd(), *opcode, arg, *nr_args);
                check_errno(sys, "register", n)?;
            }
            Op::Ioctl { cmd, arg } => {
                let f = ring(f, sys)?;
                // On io_uring's descriptor every number is unknown.
                let unknown = sys == Sys::Uring || !KNOWN_IOCTLS.contains(cmd);
                // SAFETY: The pointer is never valid (a kernel address);
                // the device must refuse it without touching user memory.
                let ret = unsafe { libc::ioctl(f.r.raw_fd(), *cmd as _, ptr(*arg, 0)) };
                let e = std::io::Error::last_os_error().raw_os_error().unwrap_or(0);
                match (unknown, ret) {
                    (true, -1) if e == libc::ENOTTY => {}
                    (true, _) => return Err(format!("unknown ioctl {cmd:#x} gave {ret}/{e}")),
                    (false, -1) => check_errno(sys, "ioctl", -i64::from(e))?,
                    (false, _) => {}
                }
                c.sqes += f.consumed()?;
            }
            Op::Setup {
                entries,
                flags,
                cq_entries,
                resv,
                mmaps,
            } => setup(sys, *entries, *flags, *cq_entries, *resv, mmaps)?,
            Op::Fork { sqes } => c.sqes += ring(f, sys)?.fork_submit_exit(sqes)?,
            Op::Write => {
                let f = ring(f, sys)?;
                write_fd(&f.pipes[0][1], &[b'y'; 3]);
            }
            Op::Close => {
                ring(f, sys)?;
                close(f, c);
            }
            Op::Finish => {
                ring(f, sys)?;
                f.take().expect("made above").finish(c)?;
            }
        }
        Ok(())
    }
}

/// The current epoch's ring in `f`; a new one on `sys` if the last epoch
/// ended.
fn ring(f: &mut Option<Fuzzed>, sys: Sys) -> Result<&mut Fuzzed, String> {
    if f.is_none() {
        *f = Some(Fuzzed::new(sys)?);
    }
    Ok(f.as_mut().expect("made above"))
}

/// Closes the ring in `f`, if any, with whatever is in flight (torn down
/// by its exit), and counts it in `c`.
fn close(f: &mut Option<Fuzzed>, c: &mut Counts) {
    if let Some(f) = f.take() {
        c.rings += 1;
        c.torn_down += f.owed.len() as u64;
    }
}

/// `io_uring_setup()` with these arguments: a descriptor or a documented
/// error; then `mmaps` on what was set up.
fn setup(
    sys: Sys,
    entries: u32,
    flags: u32,
    cq_entries: u32,
    resv: [u32; 3],
    mmaps: &[Mmap],
) -> Result<(), String> {
    let mut p = IoUringParams {
        flags,
        cq_entries,
        resv,
        ..IoUringParams::default()
    };
    let fd = match sys.setup(entries, &mut p) {
        Ok(fd) => fd,
        Err(e) => return check_errno(sys, "setup", e),
    };
    for m in mmaps {
        let len = 4096 * m.pages as usize;
        // SAFETY: A fresh mapping the kernel checks, unmapped below.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                fd.as_raw_fd(),
                m.off as libc::off_t,
            )
        };
        if ptr == libc::MAP_FAILED {
            let e = std::io::Error::last_os_error().raw_os_error().unwrap_or(0);
            check_errno(sys, "mmap", -i64::from(e))?;
        } else {
            // SAFETY: The mapping made just above.
            unsafe { libc::munmap(ptr, len) };
        }
    }
    Ok(())
}

/// Draws the fuzz's operations.
struct Gen {
    rng: Rng,
    /// The next `user_data`: every entry of a run has its own.
    next_ud: u64,
}

impl Gen {
    fn kernel(&mut self) -> u64 {
        0xffff_8000_0000_0000 | self.rng.below(1 << 40)
    }

    /// A random entry: mostly well-formed, on a random file, with a
    /// random buffer.
    fn sqe(&mut self) -> Sqe {
        let rng = &mut self.rng;
        // The ring's own descriptor too: a request takes its file at issue,
        // so one naming its own ring, linked behind a head that never
        // completes, holds nothing that keeps the ring alive.
        let fds = [
            Fd::None,
            Fd::Ring,
            Fd::PipeR(0),
            Fd::PipeW(0),
            Fd::PipeR(1),
            Fd::Bad,
        ];
        let addr = match rng.below(6) {
            0 | 1 => Ptr::Scratch(rng.below(SCRATCH_ROOM)),
            2 => Ptr::Timespec,
            3 => Ptr::Null,
            4 => Ptr::Kernel(0xffff_8000_0000_0000 | rng.below(1 << 40)),
            _ => Ptr::Raw(rng.below(5_000_000)),
        };
        let mut s = Sqe {
            opcode: [0, 1, 2, 6, 7, 11, 12, 14, 15, 22, 23, 31, 200][rng.below(13) as usize],
            // Any flag but DRAIN (which could stall the rest of the run)
            // and CQE_SKIP_SUCCESS (accounting needs every completion).
            flags: (rng.next() & 0x3f) as u8 & !(1 << 1),
            fd: fds[rng.below(fds.len() as u64) as usize],
            addr,
            len: rng.below(17) as u32,
            user_data: self.next_ud,
            ioprio: 0,
            op_flags: 0,
            off: 0,
            buf_index: 0,
        };
        self.next_ud += 1;
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

    /// Random `io_uring_setup()` arguments and `mmap()` offsets.
    fn setup(&mut self) -> Op {
        let rng = &mut self.rng;
        let flags = match rng.below(4) {
            0 => rng.next() as u32,
            1 => IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP,
            _ => 0,
        };
        let cq_entries = rng.below(1 << 17) as u32;
        let mut resv = [0; 3];
        if rng.below(8) == 0 {
            resv[rng.below(3) as usize] = rng.next() as u32;
        }
        let entries = match rng.below(4) {
            0 => rng.next() as u32,
            _ => rng.below(5000) as u32,
        };
        let mmaps = (0..4)
            .map(|_| Mmap {
                off: [
                    IORING_OFF_SQ_RING,
                    IORING_OFF_CQ_RING,
                    IORING_OFF_SQES,
                    rng.next() & 0xffff_f000,
                ][rng.below(4) as usize],
                pages: 1 + rng.below(64) as u32,
            })
            .collect();
        Op::Setup {
            entries,
            flags,
            cq_entries,
            resv,
            mmaps,
        }
    }

    /// The next operation on `f`, the current ring (its SQ ring's room
    /// and what is queued shape the draw).
    fn op(&mut self, f: &Fuzzed) -> Op {
        match self.rng.below(10) {
            0..=2 => {
                // Entries into the SQ ring (room permitting), sometimes
                // a slot naming no entry, then an enter of a random count.
                let room = f.r.sq_entries() - f.r.sq_pending();
                let n = self.rng.below(u64::from(room) + 1);
                let push: Vec<Push> = (0..n)
                    .map(|_| {
                        if self.rng.below(16) == 0 {
                            Push::Index(f.r.sq_entries() + self.rng.below(100) as u32)
                        } else {
                            Push::Sqe(self.sqe())
                        }
                    })
                    .collect();
                let pending = u64::from(f.r.sq_pending()) + n;
                Op::Submit {
                    push,
                    to_submit: self.rng.below(pending + 3) as u32,
                }
            }
            3 => {
                // An enter with random flags and argument pointers.
                let flags = (self.rng.next() as u32) & 0x7f & !IORING_ENTER_GETEVENTS;
                let arg = match self.rng.below(3) {
                    0 => Ptr::Null,
                    1 => Ptr::Kernel(self.kernel()),
                    _ => Ptr::Raw(self.rng.below(1 << 20)),
                };
                Op::Enter {
                    to_submit: self.rng.below(4) as u32,
                    min: self.rng.below(2) as u32,
                    flags,
                    arg,
                    argsz: self.rng.below(64),
                }
            }
            4 => Op::Wait {
                min: 1 + self.rng.below(4) as u32,
            },
            5 => {
                // A register of a random opcode and argument: none, a
                // kernel address, or zeroed room for a probe of 256 ops.
                let arg = match self.rng.below(3) {
                    0 => Ptr::Null,
                    1 => Ptr::Room,
                    _ => Ptr::Kernel(self.kernel()),
                };
                let random = self.rng.below(64) as u32;
                let opcode = [IORING_REGISTER_PROBE, random][self.rng.below(2) as usize];
                Op::Register {
                    opcode,
                    arg,
                    nr_args: self.rng.below(300) as u32,
                }
            }
            6 => {
                // An unknown ioctl (-ENOTTY), or a device ioctl on a bad
                // pointer (-EFAULT or another documented error).
                let cmd = if self.rng.below(2) == 0 {
                    self.rng.next() as u32
                } else {
                    KNOWN_IOCTLS[self.rng.below(KNOWN_IOCTLS.len() as u64) as usize]
                };
                Op::Ioctl {
                    cmd,
                    arg: Ptr::Kernel(self.kernel()),
                }
            }
            7 => self.setup(),
            8 => {
                let n = 1 + self.rng.below(4);
                Op::Fork {
                    sqes: (0..n).map(|_| self.sqe()).collect(),
                }
            }
            _ => {
                if self.rng.below(8) == 0 {
                    Op::Close
                } else {
                    self.setup()
                }
            }
        }
    }
}

/// A failure of the fuzz, with the epoch's trace that led to it.
pub(crate) struct Failure {
    /// What failed, with the seed and the operation.
    pub(crate) msg: String,
    /// Its kind, for the reducer to compare.
    pub(crate) kind: Kind,
    /// The ops of the failing epoch, the failing one last.
    pub(crate) trace: Vec<Op>,
    /// The number of the epoch's first operation, and of the failing one.
    pub(crate) ops: (u64, u64),
}

/// The kind of a failure: what a reduced trace must still give.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A ring outlived its epoch (`rings` of `IO_URING_RS_IOC_STATS`).
    Leak,
    /// A check failed; its message with every number taken out.
    Check(String),
}

impl Kind {
    /// The kind of the check that failed with `msg`.
    pub(crate) fn of(msg: &str) -> Kind {
        let mut out = String::new();
        let mut in_num = false;
        // Digits and the hex digits and `x` of a number that started with
        // a digit ("0x1f") are one `N`.
        for ch in msg.chars() {
            let part = ch.is_ascii_digit() || (in_num && (ch.is_ascii_hexdigit() || ch == 'x'));
            if part && !in_num {
                out.push('N');
            }
            if !part {
                out.push(ch);
            }
            in_num = part;
        }
        Kind::Check(out)
    }
}

/// How long the long fuzz waits, after an epoch's ring was closed, for
/// every ring of the epoch to be released.
pub(crate) const LEAK_WAIT: Duration = Duration::from_secs(5);

/// Rings of the module whose file is still open: `rings` less those
/// `exiting` (closed, their exit running). Counts the stats file too.
pub(crate) fn open_rings() -> Result<u32, String> {
    let s = crate::stress::stats_now()?;
    Ok(s.rings - s.exiting)
}

/// Waits up to `limit` until no more than `base` rings are open
/// ([`open_rings`]); how many more are left open then (0: none).
pub(crate) fn left_open(base: u32, limit: Duration) -> Result<u32, String> {
    let start = Instant::now();
    loop {
        let now = open_rings()?;
        if now <= base {
            return Ok(0);
        }
        if start.elapsed() > limit {
            return Ok(now - base);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `fuzz`: `iters` random calls, on fresh rings every 500.
pub(crate) fn cmd_fuzz(seed: u64, iters: u64) -> Result<Counts, String> {
    cmd_fuzz_until(seed, iters, None, false).map_err(|f| f.msg)
}

/// The fuzz's trace: the ops of the current epoch.
struct Trace {
    seed: u64,
    ops: Vec<Op>,
    /// The operation the epoch started at.
    first: u64,
}

impl Trace {
    /// The failure `msg` of kind `kind` at operation `i`, with the trace.
    fn fail(&mut self, i: u64, msg: String, kind: Kind) -> Failure {
        Failure {
            msg: format!("seed {:#x} iter {i}: {msg}", self.seed),
            kind,
            trace: std::mem::take(&mut self.ops),
            ops: (self.first, i),
        }
    }
}

/// `iters` random calls from `seed`, on fresh rings every 500, until
/// `deadline` if there is one; prints a progress line every 100,000.
/// With `leak_check`, the end of every epoch waits ([`LEAK_WAIT`]) until
/// no more rings are open than before the run: only where nothing else
/// makes rings meanwhile.
pub(crate) fn cmd_fuzz_until(
    seed: u64,
    iters: u64,
    deadline: Option<Instant>,
    leak_check: bool,
) -> Result<Counts, Failure> {
    let mut g = Gen {
        rng: Rng::new(seed),
        next_ud: 1,
    };
    let mut st = State::new(Sys::Module);
    let mut t = Trace {
        seed,
        ops: Vec::new(),
        first: 0,
    };
    let base = match leak_check {
        true => Some(open_rings().map_err(|m| t.fail(0, m.clone(), Kind::of(&m)))?),
        false => None,
    };
    // `i` counts iterations: an operation, or the end of an epoch (every
    // 500th, and the last). `iters` operations are drawn, however many
    // epochs end between them.
    let mut i = 0u64;
    let mut next_report = 100_000;
    let mut out_of_time = false;
    loop {
        if st.c.ops == next_report {
            println!(
                "# fuzz: {} operations, {} SQEs, {} CQEs",
                st.c.ops, st.c.sqes, st.c.cqes
            );
            next_report += 100_000;
            out_of_time = deadline.is_some_and(|d| Instant::now() > d);
        }
        let last = st.c.ops == iters || out_of_time;
        let mut ops = Vec::new();
        if last || i % 500 == 499 {
            ops.push(Op::Finish);
        } else {
            let f = ring(&mut st.f, Sys::Module).map_err(|m| t.fail(i, m.clone(), Kind::of(&m)))?;
            ops.push(g.op(f));
            // Pipes get written now and then, so armed reads complete.
            if g.rng.below(4) == 0 {
                ops.push(Op::Write);
            }
            st.c.ops += 1;
        }
        for op in ops {
            if t.ops.is_empty() {
                t.first = i;
            }
            if let Err(m) = st.apply(&op) {
                t.ops.push(op);
                return Err(t.fail(i, m.clone(), Kind::of(&m)));
            }
            let ends = op.ends_epoch();
            t.ops.push(op);
            if ends {
                let left = match base {
                    Some(base) => {
                        left_open(base, LEAK_WAIT).map_err(|m| t.fail(i, m, Kind::Leak))?
                    }
                    None => 0,
                };
                if left > 0 {
                    let m = format!("leak: {left} ring(s) still open {LEAK_WAIT:?} after the epoch's ring was closed");
                    return Err(t.fail(i, m, Kind::Leak));
                }
                t.ops.clear();
            }
        }
        if last {
            break;
        }
        i += 1;
    }
    Ok(st.c)
}
