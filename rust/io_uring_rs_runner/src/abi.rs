// SPDX-License-Identifier: GPL-2.0

//! `io_uring_rs_scenarios abi`: the ring ABI, compared. Every case runs on
//! the kernel's io_uring (the system calls) and on `/dev/io_uring_rs` (the
//! ioctls that stand for them), through the same raw ring code below: the
//! memory layout user space sees (sizes, offsets, flags), submission through
//! the mapped SQ ring, completion through the mapped CQ ring, CQ overflow,
//! waits with a timeout, the probe and the errors of bad input must agree,
//! and so must misuse: a ring used from another process, entered by many
//! threads at once, closed or unmapped while in use, mapped wrongly.
//! One KTAP line per case.

use crate::uapi::*;
use std::ffi::CString;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

/// Where the three system calls go.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Sys {
    /// The kernel's io_uring.
    Uring,
    /// `/dev/io_uring_rs`.
    Module,
}

fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

/// `-errno` of a failed call, or its result.
fn ret(r: libc::c_long) -> i64 {
    if r < 0 {
        -i64::from(errno())
    } else {
        r
    }
}

impl Sys {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Sys::Uring => "io_uring",
            Sys::Module => "io_uring_rs",
        }
    }

    /// `io_uring_setup(entries, p)`: the ring's descriptor, or `-errno`.
    pub(crate) fn setup(self, entries: u32, p: &mut IoUringParams) -> Result<OwnedFd, i64> {
        let fd = match self {
            // SAFETY: `p` is a valid, writable `struct io_uring_params`.
            Sys::Uring => ret(unsafe {
                libc::syscall(libc::SYS_io_uring_setup, entries, p as *mut IoUringParams)
            }),
            Sys::Module => {
                let path = CString::new("/dev/io_uring_rs").unwrap();
                // SAFETY: `path` is a NUL-terminated string.
                let fd = ret(
                    unsafe { libc::open(path.as_ptr(), libc::O_RDWR | libc::O_CLOEXEC) }.into(),
                );
                if fd < 0 {
                    return Err(fd);
                }
                let s = IoUringRsSetup {
                    entries,
                    resv: 0,
                    params: p as *mut IoUringParams as u64,
                };
                // SAFETY: `s` is the ioctl's argument; the kernel reads it
                // and the parameters it points to.
                let r =
                    ret(unsafe { libc::ioctl(fd as i32, IO_URING_RS_IOC_SETUP as _, &s) }.into());
                if r < 0 {
                    // SAFETY: `fd` was opened above and is not used again.
                    unsafe { libc::close(fd as i32) };
                    return Err(r);
                }
                fd
            }
        };
        if fd < 0 {
            return Err(fd);
        }
        // SAFETY: `fd` is a new descriptor we own.
        Ok(unsafe { OwnedFd::from_raw_fd(fd as i32) })
    }

    /// `io_uring_enter()`: its result or `-errno`.
    pub(crate) fn enter(
        self,
        fd: &OwnedFd,
        to_submit: u32,
        min: u32,
        flags: u32,
        arg: u64,
        argsz: u64,
    ) -> i64 {
        self.enter_raw(fd.as_raw_fd(), to_submit, min, flags, arg, argsz)
    }

    /// `io_uring_enter()` on a descriptor number that may no longer be
    /// open: its result or `-errno`.
    fn enter_raw(self, fd: i32, to_submit: u32, min: u32, flags: u32, arg: u64, argsz: u64) -> i64 {
        match self {
            // SAFETY: The kernel checks every argument.
            Sys::Uring => ret(unsafe {
                libc::syscall(
                    libc::SYS_io_uring_enter,
                    fd,
                    to_submit,
                    min,
                    flags,
                    arg,
                    argsz,
                )
            }),
            Sys::Module => {
                let e = IoUringRsEnter {
                    to_submit,
                    min_complete: min,
                    flags,
                    resv: 0,
                    arg,
                    argsz,
                };
                // SAFETY: `e` is the ioctl's argument.
                ret(unsafe { libc::ioctl(fd, IO_URING_RS_IOC_ENTER as _, &e) }.into())
            }
        }
    }

    /// `io_uring_register()`: its result or `-errno`.
    pub(crate) fn register(self, fd: &OwnedFd, opcode: u32, arg: u64, nr_args: u32) -> i64 {
        match self {
            // SAFETY: The kernel checks every argument.
            Sys::Uring => ret(unsafe {
                libc::syscall(
                    libc::SYS_io_uring_register,
                    fd.as_raw_fd(),
                    opcode,
                    arg,
                    nr_args,
                )
            }),
            Sys::Module => {
                let r = IoUringRsRegister {
                    opcode,
                    nr_args,
                    arg,
                };
                // SAFETY: `r` is the ioctl's argument.
                ret(
                    unsafe { libc::ioctl(fd.as_raw_fd(), IO_URING_RS_IOC_REGISTER as _, &r) }
                        .into(),
                )
            }
        }
    }
}

/// A mapping of part of a ring.
struct Map {
    ptr: *mut u8,
    len: usize,
}

impl Map {
    fn new(fd: &OwnedFd, off: u64, len: usize) -> Result<Map, i64> {
        Map::with_flags(fd, off, len, libc::MAP_SHARED | libc::MAP_POPULATE)
    }

    /// A mapping with the `mmap()` flags `flags`.
    fn with_flags(fd: &OwnedFd, off: u64, len: usize, flags: i32) -> Result<Map, i64> {
        // SAFETY: A fresh mapping of the ring's descriptor; the kernel
        // checks offset, length and flags.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                flags,
                fd.as_raw_fd(),
                off as libc::off_t,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(-i64::from(errno()));
        }
        Ok(Map {
            ptr: ptr.cast(),
            len,
        })
    }

    /// The `u32` at byte `off`, shared with the kernel.
    fn u32(&self, off: u32) -> &std::sync::atomic::AtomicU32 {
        assert!(off as usize + 4 <= self.len);
        // SAFETY: In bounds (checked), 4-aligned (ring offsets are), and
        // only accessed atomically while the mapping lives.
        unsafe { std::sync::atomic::AtomicU32::from_ptr(self.ptr.add(off as usize).cast()) }
    }
}

// SAFETY: A `Map` owns its mapping, which any thread of the process may use
// (and unmap, once, in `drop`); the kernel-shared words are only accessed
// atomically, the SQE slots only before they are published.
unsafe impl Send for Map {}

impl Drop for Map {
    fn drop(&mut self) {
        // SAFETY: The mapping made in `new`, unmapped once.
        unsafe { libc::munmap(self.ptr.cast(), self.len) };
    }
}

/// A ring driven through its mapped memory, as liburing drives one.
pub(crate) struct RawRing {
    sys: Sys,
    fd: OwnedFd,
    p: IoUringParams,
    rings: Map,
    sqes: Map,
    sqe_tail: u32,
}

use std::sync::atomic::Ordering::{Acquire, Relaxed, Release};

impl RawRing {
    pub(crate) fn new(sys: Sys, entries: u32, mut p: IoUringParams) -> Result<RawRing, i64> {
        let fd = sys.setup(entries, &mut p)?;
        RawRing::attach(sys, fd, p)
    }

    /// The length of the rings' mapping for the parameters `p`.
    fn rings_len(p: &IoUringParams) -> usize {
        (p.sq_off.array + 4 * p.sq_entries).max(p.cq_off.cqes + 16 * p.cq_entries) as usize
    }

    /// Maps the rings of the ring `fd`, set up with the parameters `p`
    /// (which may be another process's, or mapped before): submission
    /// goes on from the SQ tail in the ring.
    fn attach(sys: Sys, fd: OwnedFd, p: IoUringParams) -> Result<RawRing, i64> {
        let rings = Map::new(&fd, IORING_OFF_SQ_RING, RawRing::rings_len(&p))?;
        let sqes = Map::new(&fd, IORING_OFF_SQES, 64 * p.sq_entries as usize)?;
        let mut r = RawRing {
            sys,
            fd,
            p,
            rings,
            sqes,
            sqe_tail: 0,
        };
        r.resync_tail();
        Ok(r)
    }

    /// Unmaps the rings: the descriptor and the parameters, to map them
    /// again with `attach`.
    fn detach(self) -> (OwnedFd, IoUringParams) {
        (self.fd, self.p)
    }

    /// Goes on from the SQ tail in the ring (another process pushed).
    pub(crate) fn resync_tail(&mut self) {
        self.sqe_tail = self.word(self.p.sq_off.tail);
    }

    /// Queues `sqe` in the SQ ring (not yet submitted).
    pub(crate) fn push(&mut self, sqe: &IoUringSqe) {
        let mask = self.p.sq_entries - 1;
        let idx = self.sqe_tail & mask;
        // SAFETY: `idx` < `sq_entries`: the slot is inside the SQE mapping,
        // which the kernel reads only after the tail is published below.
        unsafe {
            std::ptr::write_volatile(
                self.sqes.ptr.add(64 * idx as usize).cast::<IoUringSqe>(),
                *sqe,
            )
        };
        self.rings
            .u32(self.p.sq_off.array + 4 * idx)
            .store(idx, Relaxed);
        self.sqe_tail = self.sqe_tail.wrapping_add(1);
        self.rings
            .u32(self.p.sq_off.tail)
            .store(self.sqe_tail, Release);
    }

    /// Puts a raw index into the next SQ array slot (a bad one is dropped).
    pub(crate) fn push_index(&mut self, idx: u32) {
        let slot = self.sqe_tail & (self.p.sq_entries - 1);
        self.rings
            .u32(self.p.sq_off.array + 4 * slot)
            .store(idx, Relaxed);
        self.sqe_tail = self.sqe_tail.wrapping_add(1);
        self.rings
            .u32(self.p.sq_off.tail)
            .store(self.sqe_tail, Release);
    }

    /// Pushes `sqes` and submits them: every one must be consumed.
    /// Returns how many were.
    pub(crate) fn submit_all(&mut self, sqes: &[IoUringSqe]) -> Result<u64, String> {
        for s in sqes {
            self.push(s);
        }
        let n = self.enter(sqes.len() as u32, 0, 0);
        if n != sqes.len() as i64 {
            return Err(format!("submitted {n} of {}", sqes.len()));
        }
        Ok(n as u64)
    }

    /// A forked task pushes `sqes` into the ring it shares, submits them
    /// and exits at once (its requests still in flight are cancelled by
    /// its exit); this one then goes on from the tail the task left.
    pub(crate) fn fork_submit_exit(&mut self, sqes: &[IoUringSqe]) -> Result<(), String> {
        // SAFETY: The child only writes the shared ring, makes one system
        // call and exits, allocating nothing (the entries are built).
        match unsafe { libc::fork() } {
            -1 => Err(format!("fork: {}", std::io::Error::last_os_error())),
            0 => {
                for s in sqes {
                    self.push(s);
                }
                self.enter(sqes.len() as u32, 0, 0);
                // SAFETY: Ends the child without running the parent's
                // destructors (the ring is the parent's to close).
                unsafe { libc::_exit(0) }
            }
            pid => {
                let mut status = 0;
                // SAFETY: `pid` is our child.
                unsafe { libc::waitpid(pid, &mut status, 0) };
                self.resync_tail();
                Ok(())
            }
        }
    }

    pub(crate) fn enter(&self, to_submit: u32, min: u32, flags: u32) -> i64 {
        self.sys.enter(&self.fd, to_submit, min, flags, 0, 0)
    }

    /// Takes every CQE in the CQ ring.
    pub(crate) fn reap(&self) -> Vec<(u64, i32)> {
        let mut out = Vec::new();
        let head_w = self.rings.u32(self.p.cq_off.head);
        let mut head = head_w.load(Relaxed);
        let tail = self.rings.u32(self.p.cq_off.tail).load(Acquire);
        while head != tail {
            let off = self.p.cq_off.cqes + 16 * (head & (self.p.cq_entries - 1));
            let lo = u64::from(self.rings.u32(off).load(Relaxed));
            let hi = u64::from(self.rings.u32(off + 4).load(Relaxed));
            out.push((lo | hi << 32, self.rings.u32(off + 8).load(Relaxed) as i32));
            head = head.wrapping_add(1);
        }
        head_w.store(head, Release);
        out
    }

    /// Waits up to `timeout` for `min` completions
    /// (`IORING_ENTER_EXT_ARG`): the result of the call.
    pub(crate) fn wait(&self, min: u32, timeout: std::time::Duration) -> i64 {
        wait_fd(self.sys, self.fd.as_raw_fd(), min, timeout)
    }

    /// Takes every CQE, and fails if the CQ ring ever lost one
    /// (`cq_off.overflow`): with `IORING_FEAT_NODROP` a full CQ ring
    /// overflows into the kernel's list and loses nothing.
    pub(crate) fn reap_lossless(&self) -> Result<Vec<(u64, i32)>, String> {
        let got = self.reap();
        match self.cq_overflow() {
            0 => Ok(got),
            lost => Err(format!("the CQ ring lost {lost} completion(s)")),
        }
    }

    /// Completions the CQ ring lost (`cq_off.overflow`).
    pub(crate) fn cq_overflow(&self) -> u32 {
        self.word(self.p.cq_off.overflow)
    }

    /// The ring's descriptor.
    pub(crate) fn raw_fd(&self) -> i32 {
        self.fd.as_raw_fd()
    }

    /// The ring's descriptor, for calls of any shape.
    pub(crate) fn fd(&self) -> &OwnedFd {
        &self.fd
    }

    /// Where the system calls go.
    pub(crate) fn sys(&self) -> Sys {
        self.sys
    }

    /// The SQ head the kernel published: entries consumed so far.
    pub(crate) fn sq_head(&self) -> u32 {
        self.word(self.p.sq_off.head)
    }

    /// SQ entries not yet consumed.
    pub(crate) fn sq_pending(&self) -> u32 {
        self.sqe_tail.wrapping_sub(self.sq_head())
    }

    /// The SQ ring's size.
    pub(crate) fn sq_entries(&self) -> u32 {
        self.p.sq_entries
    }

    pub(crate) fn sq_flags(&self) -> u32 {
        self.rings.u32(self.p.sq_off.flags).load(Acquire)
    }

    fn word(&self, off: u32) -> u32 {
        self.rings.u32(off).load(Acquire)
    }
}

/// Waits on the ring `fd` up to `timeout` for `min` completions
/// (`IORING_ENTER_EXT_ARG`): the result of the call.
fn wait_fd(sys: Sys, fd: i32, min: u32, timeout: std::time::Duration) -> i64 {
    let ts = KernelTimespec {
        tv_sec: timeout.as_secs() as i64,
        tv_nsec: i64::from(timeout.subsec_nanos()),
    };
    let arg = IoUringGeteventsArg {
        ts: &ts as *const KernelTimespec as u64,
        ..IoUringGeteventsArg::default()
    };
    sys.enter_raw(
        fd,
        0,
        min,
        IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG,
        &arg as *const IoUringGeteventsArg as u64,
        std::mem::size_of::<IoUringGeteventsArg>() as u64,
    )
}

fn nop(ud: u64, flags: u8) -> IoUringSqe {
    IoUringSqe {
        opcode: 0,
        flags,
        user_data: ud,
        ..IoUringSqe::default()
    }
}

fn params(flags: u32, cq_entries: u32) -> IoUringParams {
    IoUringParams {
        flags,
        cq_entries,
        ..IoUringParams::default()
    }
}

/// What a setup returned, as compared: the errno, or the sizes and every
/// offset (the features differ: the module implements fewer).
fn setup_view(sys: Sys, entries: u32, p: IoUringParams) -> String {
    let mut p = p;
    match sys.setup(entries, &mut p) {
        Err(e) => format!("{e}"),
        Ok(_) => format!(
            "sq={} cq={} sq_off={:?} cq_off={:?}",
            p.sq_entries,
            p.cq_entries,
            (
                p.sq_off.head,
                p.sq_off.tail,
                p.sq_off.ring_mask,
                p.sq_off.ring_entries,
                p.sq_off.flags,
                p.sq_off.dropped,
                p.sq_off.array
            ),
            (
                p.cq_off.head,
                p.cq_off.tail,
                p.cq_off.ring_mask,
                p.cq_off.ring_entries,
                p.cq_off.overflow,
                p.cq_off.cqes,
                p.cq_off.flags
            ),
        ),
    }
}

/// Setups of many sizes and flags: results and layouts.
fn case_setup(sys: Sys) -> Result<String, String> {
    const CQSIZE: u32 = IORING_SETUP_CQSIZE;
    const CLAMP: u32 = IORING_SETUP_CLAMP;
    let cases: [(u32, u32, u32); 12] = [
        (1, 0, 0),
        (3, 0, 0),
        (100, 0, 0),
        (4096, 0, 0),
        (0, 0, 0),
        (40000, 0, 0),
        (40000, CLAMP, 0),
        (4, CQSIZE, 0),
        (8, CQSIZE, 5),
        (4, CQSIZE, 100),
        (4, CQSIZE | CLAMP, 1 << 20),
        (4, 1 << 20, 0),
    ];
    let mut out = String::new();
    for (entries, flags, cq) in cases {
        out += &setup_view(sys, entries, params(flags, cq));
        out += "; ";
    }
    let mut p = params(0, 0);
    p.resv[1] = 1;
    out += &setup_view(sys, 4, p);
    Ok(out)
}

/// NOPs submitted through the SQ ring and reaped from the CQ ring.
fn case_nops(sys: Sys) -> Result<String, String> {
    let mut r = RawRing::new(sys, 4, params(0, 0)).map_err(|e| format!("setup {e}"))?;
    for ud in 1..=3 {
        r.push(&nop(ud, 0));
    }
    let n = r.enter(3, 3, IORING_ENTER_GETEVENTS);
    Ok(format!(
        "enter={n} cqes={:?} sq_head={}",
        r.reap(),
        r.word(r.p.sq_off.head)
    ))
}

/// A CQ of 4 under 16 completions: nothing is lost (FEAT_NODROP), the
/// overflow flag comes and goes, order is kept.
fn case_overflow(sys: Sys) -> Result<String, String> {
    let mut r =
        RawRing::new(sys, 4, params(IORING_SETUP_CQSIZE, 4)).map_err(|e| format!("setup {e}"))?;
    let mut submitted = Vec::new();
    for round in 0..4 {
        for i in 0..4 {
            r.push(&nop(round * 4 + i, 0));
        }
        submitted.push(r.enter(4, 0, 0));
    }
    let flag_set = r.sq_flags() & IORING_SQ_CQ_OVERFLOW != 0;
    let mut got = Vec::new();
    for _ in 0..16 {
        got.extend(r.reap());
        if got.len() >= 16 {
            break;
        }
        r.enter(0, 1, IORING_ENTER_GETEVENTS);
    }
    let flag_after = r.sq_flags() & IORING_SQ_CQ_OVERFLOW != 0;
    let lost = r.word(r.p.cq_off.overflow);
    Ok(format!(
        "submitted={submitted:?} overflow_flag={flag_set}->{flag_after} lost={lost} cqes={got:?}"
    ))
}

/// A wait with `IORING_ENTER_EXT_ARG` and a 10 ms timeout: `-ETIME`.
fn case_ext_arg_timeout(sys: Sys) -> Result<String, String> {
    let r = RawRing::new(sys, 4, params(0, 0)).map_err(|e| format!("setup {e}"))?;
    let ts = KernelTimespec {
        tv_sec: 0,
        tv_nsec: 10_000_000,
    };
    let arg = IoUringGeteventsArg {
        ts: &ts as *const KernelTimespec as u64,
        ..IoUringGeteventsArg::default()
    };
    let size = std::mem::size_of::<IoUringGeteventsArg>() as u64;
    let a = &arg as *const IoUringGeteventsArg as u64;
    let flags = IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG;
    let timed_out = sys.enter(&r.fd, 0, 1, flags, a, size);
    let bad_size = sys.enter(&r.fd, 0, 1, flags, a, size - 1);
    let bad_flag = sys.enter(&r.fd, 0, 0, 1 << 12, 0, 0);
    Ok(format!(
        "timeout={timed_out} bad_argsz={bad_size} bad_flag={bad_flag}"
    ))
}

/// `IORING_REGISTER_PROBE`, and an unknown register opcode.
fn case_probe(sys: Sys) -> Result<String, String> {
    let r = RawRing::new(sys, 4, params(0, 0)).map_err(|e| format!("setup {e}"))?;
    let mut buf = vec![0u8; 16 + 8 * 64];
    let ok = sys.register(&r.fd, IORING_REGISTER_PROBE, buf.as_mut_ptr() as u64, 64);
    let (last_op, ops_len) = (buf[0], buf[1]);
    let nop_supported = buf[16 + 2] & 1;
    let dirty = sys.register(&r.fd, IORING_REGISTER_PROBE, buf.as_mut_ptr() as u64, 64);
    let too_many = sys.register(&r.fd, IORING_REGISTER_PROBE, buf.as_mut_ptr() as u64, 257);
    let unknown = sys.register(&r.fd, 9999, 0, 0);
    Ok(format!(
        "probe={ok} last_op={last_op} ops_len={ops_len} nop={nop_supported} dirty={dirty} nr>256={too_many} unknown={unknown}"
    ))
}

/// `mmap()` at an unknown offset, or larger than the region.
fn case_mmap(sys: Sys) -> Result<String, String> {
    let r = RawRing::new(sys, 4, params(0, 0)).map_err(|e| format!("setup {e}"))?;
    let bad_off = Map::new(&r.fd, 0x2000_0000, 4096).err();
    let too_big = Map::new(&r.fd, IORING_OFF_SQES, 1 << 20).err();
    Ok(format!("bad_offset={bad_off:?} too_big={too_big:?}"))
}

/// An SQ array slot naming no SQE is dropped and ends the batch; a
/// preparation failure that ends a chain stops submission after it.
fn case_dropped_and_prep_failure(sys: Sys) -> Result<String, String> {
    let mut r = RawRing::new(sys, 4, params(0, 0)).map_err(|e| format!("setup {e}"))?;
    r.push_index(100);
    let dropped = r.enter(1, 0, 0);
    let sq_dropped = r.word(r.p.sq_off.dropped);
    r.push(&nop(1, 0));
    r.push(&IoUringSqe {
        opcode: 200,
        ..nop(2, 0)
    });
    r.push(&nop(3, 0));
    let n = r.enter(3, 2, IORING_ENTER_GETEVENTS);
    let first = r.reap();
    let rest = r.enter(1, 1, IORING_ENTER_GETEVENTS);
    Ok(format!(
        "dropped_enter={dropped} sq_dropped={sq_dropped} enter={n} cqes={first:?} then={rest} {:?}",
        r.reap()
    ))
}

/// Timeouts read their `struct __kernel_timespec` from user memory.
fn case_timeouts(sys: Sys) -> Result<String, String> {
    let mut r = RawRing::new(sys, 8, params(0, 0)).map_err(|e| format!("setup {e}"))?;
    let ts = KernelTimespec {
        tv_sec: 0,
        tv_nsec: 5_000_000,
    };
    let long = KernelTimespec {
        tv_sec: 10,
        tv_nsec: 0,
    };
    let t = |ud, opcode, ts: &KernelTimespec, flags| IoUringSqe {
        opcode,
        flags,
        addr: ts as *const KernelTimespec as u64,
        len: 1,
        user_data: ud,
        ..IoUringSqe::default()
    };
    r.push(&t(1, 11, &ts, 0));
    r.push(&nop(2, 1 << 2));
    r.push(&t(3, 15, &long, 0));
    r.push(&IoUringSqe {
        addr: 8,
        ..t(4, 11, &ts, 0)
    });
    let n = r.enter(4, 4, IORING_ENTER_GETEVENTS);
    let mut got = r.reap();
    got.sort();
    Ok(format!("enter={n} cqes={got:?}"))
}

/// An `IORING_SETUP_IOPOLL` ring: NOP and REMOVE_BUFFERS (no group:
/// `-ENOENT`, the link after it `-ECANCELED`) may be used, a TIMEOUT may
/// not; a wait does not sleep.
fn case_iopoll(sys: Sys) -> Result<String, String> {
    let mut r =
        RawRing::new(sys, 4, params(IORING_SETUP_IOPOLL, 0)).map_err(|e| format!("setup {e}"))?;
    r.push(&IoUringSqe {
        opcode: 32,
        fd: 10,
        buf_index: 1,
        ..nop(1, 1 << 2)
    });
    r.push(&nop(2, 0));
    let ts = KernelTimespec {
        tv_sec: 0,
        tv_nsec: 1_000_000,
    };
    r.push(&IoUringSqe {
        opcode: 11,
        addr: &ts as *const KernelTimespec as u64,
        len: 1,
        ..nop(3, 0)
    });
    let n = r.enter(3, 0, 0);
    // The link failure of 2 and the preparation failure of 3 may post in
    // either order (task work against the submission).
    let mut first = r.reap();
    first.sort();
    let waited = r.enter(0, 1, IORING_ENTER_GETEVENTS);
    Ok(format!("enter={n} cqes={first:?} wait={waited}"))
}

/// A TIMEOUT at an absolute `CLOCK_MONOTONIC` time (`IORING_TIMEOUT_ABS`),
/// and timeout flags 6.12 refuses.
fn case_timeout_abs(sys: Sys) -> Result<String, String> {
    let mut r = RawRing::new(sys, 4, params(0, 0)).map_err(|e| format!("setup {e}"))?;
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `now` is a valid `struct timespec` to write.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut now) };
    let at = now.tv_sec * 1_000_000_000 + now.tv_nsec + 20_000_000;
    let ts = KernelTimespec {
        tv_sec: at / 1_000_000_000,
        tv_nsec: at % 1_000_000_000,
    };
    let t = |ud, flags| IoUringSqe {
        opcode: 11,
        addr: &ts as *const KernelTimespec as u64,
        len: 1,
        op_flags: flags,
        user_data: ud,
        ..IoUringSqe::default()
    };
    let mut out = String::new();
    // Absolute; then two clocks at once, and multishot with an absolute
    // time (both refused).
    for (ud, flags) in [(1, 1), (2, (1 << 2) | (1 << 3)), (3, (1 << 6) | 1)] {
        r.push(&t(ud, flags));
        let n = r.enter(1, 1, IORING_ENTER_GETEVENTS);
        out += &format!("enter={n} cqes={:?}; ", r.reap());
    }
    Ok(out)
}

/// An `IORING_SETUP_SQPOLL` ring: the thread submits, idles with
/// `IORING_SQ_NEED_WAKEUP` set, and is woken by `IORING_ENTER_SQ_WAKEUP`
/// (which every enter passes: the thread may be asleep before the first).
fn case_sqpoll(sys: Sys) -> Result<String, String> {
    let mut p = params(IORING_SETUP_SQPOLL, 0);
    p.sq_thread_idle = 10;
    let mut r = RawRing::new(sys, 4, p).map_err(|e| format!("setup {e}"))?;
    r.push(&nop(1, 0));
    r.push(&nop(2, 0));
    let n = r.enter(2, 2, IORING_ENTER_GETEVENTS | IORING_ENTER_SQ_WAKEUP);
    let first = r.reap();
    let mut idle = false;
    for _ in 0..200 {
        if r.sq_flags() & IORING_SQ_NEED_WAKEUP != 0 {
            idle = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    r.push(&nop(3, 0));
    let woken = r.enter(1, 1, IORING_ENTER_GETEVENTS | IORING_ENTER_SQ_WAKEUP);
    Ok(format!(
        "enter={n} cqes={first:?} idle={idle} woken={woken} {:?}",
        r.reap()
    ))
}

/// Writes by io-wq, inline and by an SQPOLL thread act as the submitter:
/// unprivileged, a write to the caller's own set-user-ID and set-group-ID
/// file clears both bits (`file_remove_privs()`: no `CAP_FSETID`; root
/// keeps them), and `RLIMIT_FSIZE` cuts a write short at the limit, then
/// refuses one past it (`-EFBIG`; `SIGXFSZ` ignored), until it is raised
/// again, on the same ring and task. The module's workers
/// and SQPOLL thread are kernel threads: they must take on the submitter's
/// credentials and limit (`Documentation/design.rst`).
fn case_writes_as_the_submitter(sys: Sys) -> Result<String, String> {
    let f = tmpfile()?;
    let data = [7u8; 8192];
    let mode = || {
        // SAFETY: `st` is writable; `f` is open.
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        // SAFETY: As above.
        unsafe { libc::fstat(f.as_raw_fd(), &mut st) };
        st.st_mode & 0o7777
    };
    let write = |r: &mut RawRing, flags: u8, len: u32, off: u64, flags_enter: u32| {
        r.push(&IoUringSqe {
            flags,
            ..rw_sqe(OP_WRITE, f.as_raw_fd(), data.as_ptr() as u64, len, off, 1)
        });
        r.enter(1, 1, IORING_ENTER_GETEVENTS | flags_enter);
        wait_sorted(r, 1)
    };
    let mut out = String::new();
    let mut r = RawRing::new(sys, 4, params(0, 0)).map_err(|e| format!("setup {e}"))?;
    for (name, flags) in [("iowq", IOSQE_ASYNC), ("inline", 0)] {
        // SAFETY: `f` is open; its owner may set both bits.
        unsafe { libc::fchmod(f.as_raw_fd(), 0o6755) };
        let cqe = write(&mut r, flags, 4, 0, 0);
        out += &format!("{name}: {cqe:?} mode={:o}; ", mode());
    }
    let mut p = params(IORING_SETUP_SQPOLL, 0);
    p.sq_thread_idle = 10;
    let mut sq = RawRing::new(sys, 4, p).map_err(|e| format!("setup sqpoll {e}"))?;
    // SAFETY: As above.
    unsafe { libc::fchmod(f.as_raw_fd(), 0o6755) };
    let cqe = write(&mut sq, 0, 4, 0, IORING_ENTER_SQ_WAKEUP);
    out += &format!("sqpoll: {cqe:?} mode={:o}; ", mode());
    drop(sq);
    let limit = libc::rlimit {
        rlim_cur: 4096,
        rlim_max: libc::RLIM_INFINITY,
    };
    let mut old = limit;
    // SAFETY: Valid rlimit structs; SIGXFSZ would end the process when a
    // thread of it (io_uring's worker) passes the limit.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
        libc::getrlimit(libc::RLIMIT_FSIZE, &mut old);
        libc::setrlimit(libc::RLIMIT_FSIZE, &limit);
    }
    let short = write(&mut r, IOSQE_ASYNC, 8192, 0, 0);
    let beyond = write(&mut r, IOSQE_ASYNC, 16, 8192, 0);
    // SAFETY: Restores what was read above.
    unsafe { libc::setrlimit(libc::RLIMIT_FSIZE, &old) };
    // The same ring and task, the limit raised again: a write past 4096
    // goes through (the module must not keep the limit it saw last).
    let raised = write(&mut r, IOSQE_ASYNC, 16, 8192, 0);
    // SAFETY: As above.
    unsafe { libc::signal(libc::SIGXFSZ, libc::SIG_DFL) };
    out += &format!("fsize 4096: {short:?} then {beyond:?}; raised: {raised:?}");
    Ok(out)
}

/// A pipe: `[read end, write end]`.
pub(crate) fn pipe() -> Result<[OwnedFd; 2], String> {
    let mut fds = [0i32; 2];
    // SAFETY: `fds` has room for the two descriptors.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(format!("pipe {}", errno()));
    }
    // SAFETY: Both descriptors are new and ours.
    Ok(fds.map(|fd| unsafe { OwnedFd::from_raw_fd(fd) }))
}

/// An unnamed regular file in `/tmp` (`O_TMPFILE`).
pub(crate) fn tmpfile() -> Result<OwnedFd, String> {
    let path = CString::new("/tmp").unwrap();
    // SAFETY: `path` is a NUL-terminated string.
    let fd = unsafe { libc::open(path.as_ptr(), libc::O_TMPFILE | libc::O_RDWR, 0o600) };
    if fd < 0 {
        return Err(format!("tmpfile {}", errno()));
    }
    // SAFETY: `fd` is new and ours.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// A new `[io_uring_rs_block]` file (`IO_URING_RS_IOC_BLOCKFD`): its reads
/// block until it is written, and it cannot be polled.
pub(crate) fn blockfd() -> Result<OwnedFd, String> {
    let path = CString::new("/dev/io_uring_rs").unwrap();
    // SAFETY: `path` is a NUL-terminated string.
    let dev = unsafe { libc::open(path.as_ptr(), libc::O_RDWR | libc::O_CLOEXEC) };
    if dev < 0 {
        return Err(format!("open /dev/io_uring_rs {}", errno()));
    }
    // SAFETY: `dev` is new and ours.
    let dev = unsafe { OwnedFd::from_raw_fd(dev) };
    // SAFETY: The ioctl takes no argument.
    let fd = unsafe { libc::ioctl(dev.as_raw_fd(), IO_URING_RS_IOC_BLOCKFD as _) };
    if fd < 0 {
        return Err(format!("IO_URING_RS_IOC_BLOCKFD {}", errno()));
    }
    // SAFETY: `fd` is new and ours.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Whether a thread named `iou-wrk-ID` runs, for the process's id or the
/// calling thread's: io_uring's workers are threads of the task
/// (`/proc/self/task`), the module's kernel threads (`/proc`).
pub(crate) fn iowq_worker_named() -> bool {
    // SAFETY: `gettid()` has no precondition.
    let tid = unsafe { libc::gettid() };
    let names = [
        format!("iou-wrk-{}", std::process::id()),
        format!("iou-wrk-{tid}"),
    ];
    ["/proc", "/proc/self/task"].iter().any(|dir| {
        std::fs::read_dir(dir).is_ok_and(|d| {
            d.flatten().any(|e| {
                std::fs::read_to_string(e.path().join("comm"))
                    .is_ok_and(|c| names.iter().any(|n| c.trim_end() == n))
            })
        })
    })
}

/// `write(2)` of `data`: the count or `-errno`.
pub(crate) fn write_fd(fd: &OwnedFd, data: &[u8]) -> i64 {
    // SAFETY: `data` is readable for its length.
    ret(unsafe { libc::write(fd.as_raw_fd(), data.as_ptr().cast(), data.len()) } as libc::c_long)
}

/// An entry of `opcode` on `fd` with `addr`, `len` and `off`.
fn rw_sqe(opcode: u8, fd: i32, addr: u64, len: u32, off: u64, ud: u64) -> IoUringSqe {
    IoUringSqe {
        opcode,
        fd,
        addr,
        len,
        off,
        user_data: ud,
        ..IoUringSqe::default()
    }
}

/// A LINK_TIMEOUT of `ts`, relative.
fn link_timeout_sqe(ts: &KernelTimespec, ud: u64) -> IoUringSqe {
    rw_sqe(
        OP_LINK_TIMEOUT,
        -1,
        ts as *const KernelTimespec as u64,
        1,
        0,
        ud,
    )
}

/// A READ of `len` bytes of `fd` into `buf` at offset 0.
fn read_sqe(fd: &OwnedFd, buf: &mut [u8], len: u32, ud: u64) -> IoUringSqe {
    rw_sqe(OP_READ, fd.as_raw_fd(), buf.as_mut_ptr() as u64, len, 0, ud)
}

pub(crate) const IOSQE_IO_LINK: u8 = 1 << 2;
pub(crate) const IOSQE_IO_HARDLINK: u8 = 1 << 3;
pub(crate) const IOSQE_ASYNC: u8 = 1 << 4;
pub(crate) const OP_NOP: u8 = 0;
pub(crate) const OP_READV: u8 = 1;
pub(crate) const OP_WRITEV: u8 = 2;
pub(crate) const OP_POLL_ADD: u8 = 6;
pub(crate) const OP_POLL_REMOVE: u8 = 7;
pub(crate) const OP_TIMEOUT: u8 = 11;
pub(crate) const OP_ASYNC_CANCEL: u8 = 14;
pub(crate) const OP_LINK_TIMEOUT: u8 = 15;
pub(crate) const OP_READ: u8 = 22;
pub(crate) const OP_WRITE: u8 = 23;

/// Waits for `n` completions (or 1 s) and takes them, sorted by
/// `user_data` so that completions racing each other compare equal.
fn wait_sorted(r: &RawRing, n: usize) -> Vec<(u64, i32)> {
    let mut got = wait_in_order(r, n, 100);
    got.sort();
    got
}

/// Waits for `n` completions (or `tries` times 10 ms) and takes them, in
/// the order they were posted.
fn wait_in_order(r: &RawRing, n: usize, tries: u32) -> Vec<(u64, i32)> {
    let mut got = r.reap();
    for _ in 0..tries {
        if got.len() >= n {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
        got.extend(r.reap());
    }
    got
}

/// Reads on a pipe: ready at once, then armed until a later `write(2)`,
/// then short (which fails the link behind it).
fn case_pipe_read(sys: Sys) -> Result<String, String> {
    let mut r = RawRing::new(sys, 8, params(0, 0)).map_err(|e| format!("setup {e}"))?;
    let [rd, wr] = pipe()?;
    let mut a = [0u8; 8];
    let mut b = [0u8; 8];
    let mut c = [0u8; 8];
    write_fd(&wr, b"abcd");
    r.push(&read_sqe(&rd, &mut a, 4, 1));
    r.push(&read_sqe(&rd, &mut b, 8, 2));
    let n = r.enter(2, 1, IORING_ENTER_GETEVENTS);
    std::thread::sleep(std::time::Duration::from_millis(20));
    let first = r.reap();
    let w = write_fd(&wr, b"efghijkl");
    let second = wait_sorted(&r, 1);
    write_fd(&wr, b"mnop");
    r.push(&IoUringSqe {
        flags: IOSQE_IO_LINK,
        ..read_sqe(&rd, &mut c, 8, 3)
    });
    r.push(&nop(4, 0));
    let m = r.enter(2, 2, IORING_ENTER_GETEVENTS);
    let third = wait_sorted(&r, 2);
    Ok(format!(
        "enter={n} first={first:?} write={w} second={second:?} enter={m} third={third:?} \
         data={:?}",
        [a, b, c].map(|x| String::from_utf8_lossy(&x).into_owned())
    ))
}

/// POLL_ADD on a pipe: ready at once, armed until written, removed by
/// POLL_REMOVE, and the hang-up of a closed writer.
fn case_pipe_poll(sys: Sys) -> Result<String, String> {
    let mut r = RawRing::new(sys, 8, params(0, 0)).map_err(|e| format!("setup {e}"))?;
    let [rd, wr] = pipe()?;
    let poll = |fd: &OwnedFd, events: u32, ud| IoUringSqe {
        op_flags: events,
        ..rw_sqe(OP_POLL_ADD, fd.as_raw_fd(), 0, 0, 0, ud)
    };
    let mut out = String::new();
    r.push(&poll(&rd, 1, 1));
    r.push(&poll(&wr, 4, 2));
    r.push(&rw_sqe(OP_POLL_REMOVE, -1, 7, 0, 0, 3));
    let n = r.enter(3, 2, IORING_ENTER_GETEVENTS);
    out += &format!("enter={n} {:?}; ", wait_sorted(&r, 2));
    r.push(&poll(&rd, 1, 4));
    r.enter(1, 0, 0);
    std::thread::sleep(std::time::Duration::from_millis(20));
    out += &format!("armed={:?} ", r.reap());
    write_fd(&wr, b"x");
    out += &format!("written={:?}; ", wait_sorted(&r, 1));
    r.push(&poll(&wr, 1, 5));
    r.enter(1, 0, 0);
    r.push(&rw_sqe(OP_POLL_REMOVE, -1, 5, 0, 0, 6));
    r.enter(1, 2, IORING_ENTER_GETEVENTS);
    out += &format!("removed={:?}; ", wait_sorted(&r, 2));
    let mut buf = [0u8; 1];
    // SAFETY: `buf` is writable.
    unsafe { libc::read(rd.as_raw_fd(), buf.as_mut_ptr().cast(), 1) };
    r.push(&poll(&rd, 1, 8));
    r.enter(1, 0, 0);
    drop(wr);
    out += &format!("hangup={:?}", wait_sorted(&r, 1));
    Ok(out)
}

/// An armed read cancelled by ASYNC_CANCEL, and one cancelled by its
/// linked timeout.
fn case_pipe_cancel(sys: Sys) -> Result<String, String> {
    let mut r = RawRing::new(sys, 8, params(0, 0)).map_err(|e| format!("setup {e}"))?;
    let [rd, _wr] = pipe()?;
    let mut buf = [0u8; 8];
    let addr = buf.as_mut_ptr() as u64;
    let read = |ud, flags| IoUringSqe {
        flags,
        ..rw_sqe(OP_READ, rd.as_raw_fd(), addr, 8, 0, ud)
    };
    r.push(&read(1, 0));
    r.enter(1, 0, 0);
    r.push(&rw_sqe(OP_ASYNC_CANCEL, -1, 1, 0, 0, 2));
    r.enter(1, 2, IORING_ENTER_GETEVENTS);
    let cancelled = wait_sorted(&r, 2);
    let ts = KernelTimespec {
        tv_sec: 0,
        tv_nsec: 10_000_000,
    };
    r.push(&read(3, IOSQE_IO_LINK));
    r.push(&link_timeout_sqe(&ts, 4));
    r.enter(2, 2, IORING_ENTER_GETEVENTS);
    let timed_out = wait_sorted(&r, 2);
    r.push(&read(5, IOSQE_ASYNC));
    r.enter(1, 0, 0);
    std::thread::sleep(std::time::Duration::from_millis(20));
    let armed_async = r.reap();
    write_fd(&_wr, b"12345678");
    let async_read = wait_sorted(&r, 1);
    Ok(format!(
        "cancel={cancelled:?} link_timeout={timed_out:?} async={armed_async:?}->{async_read:?}"
    ))
}

/// Reads of a file that blocks and cannot be polled run in io-wq workers
/// named after the task; a write ends one, and ASYNC_CANCEL (ANY) of the
/// other interrupts its worker: the read ends with `-EINTR`
/// (`io_wq_cancel_cb()`'s running case, `__set_notify_signal()`), and the
/// cancel does not count it (0). Then a linked timeout on such a read.
fn case_iowq_blocked_read(sys: Sys) -> Result<String, String> {
    let mut r = RawRing::new(sys, 8, params(0, 0)).map_err(|e| format!("setup {e}"))?;
    let bf = blockfd()?;
    let mut a = [1u8; 4];
    let mut b = [1u8; 4];
    r.push(&read_sqe(&bf, &mut a, 4, 1));
    r.push(&read_sqe(&bf, &mut b, 4, 2));
    let n = r.enter(2, 0, 0);
    let mut named = false;
    for _ in 0..100 {
        named = iowq_worker_named();
        if named {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    std::thread::sleep(std::time::Duration::from_millis(50));
    let blocked = r.reap();
    let w = write_fd(&bf, b"xyzw");
    let one: Vec<i32> = wait_sorted(&r, 1).iter().map(|c| c.1).collect();
    r.push(&IoUringSqe {
        op_flags: IORING_ASYNC_CANCEL_ANY,
        ..rw_sqe(OP_ASYNC_CANCEL, -1, 0, 0, 0, 3)
    });
    r.enter(1, 2, IORING_ENTER_GETEVENTS);
    let cancel: Vec<i32> = wait_sorted(&r, 2).iter().map(|c| c.1).collect();
    let zeroed = [a, b].iter().filter(|x| **x == [0; 4]).count();
    // A linked timeout that fires on a read blocked in io-wq interrupts
    // it; its own cancel found the read running and nothing else:
    // -ENOENT (`io_try_cancel()` falls through for running work).
    let ts = KernelTimespec {
        tv_sec: 0,
        tv_nsec: 20_000_000,
    };
    r.push(&IoUringSqe {
        flags: IOSQE_IO_LINK,
        ..read_sqe(&bf, &mut a, 4, 4)
    });
    r.push(&link_timeout_sqe(&ts, 5));
    r.enter(2, 2, IORING_ENTER_GETEVENTS);
    let timed_out = wait_sorted(&r, 2);
    Ok(format!(
        "enter={n} blocked={blocked:?} worker_named={named} write={w} read={one:?} \
         cancel,read={cancel:?} zeroed={zeroed} link_timeout={timed_out:?}"
    ))
}

/// `IORING_REGISTER_IOWQ_MAX_WORKERS`: the limits read back (the unbound
/// one is the caller's `RLIMIT_NPROC`; the bound one depends on which ring
/// made the task's io-wq in C, so only its being set is compared), set,
/// bad arguments; then, with at most two unbound workers, four blocked
/// reads, two of each user_data: ASYNC_CANCEL ALL of one user_data
/// interrupts what of it runs and cancels what waits, and the other two
/// are read once written. The limits are restored: io_uring's io-wq is the
/// task's.
fn case_iowq_max_workers(sys: Sys) -> Result<String, String> {
    let mut r = RawRing::new(sys, 8, params(0, 0)).map_err(|e| format!("setup {e}"))?;
    let reg = |r: &RawRing, counts: &mut [u32; 2], nr| {
        sys.register(
            &r.fd,
            IORING_REGISTER_IOWQ_MAX_WORKERS,
            counts.as_mut_ptr() as u64,
            nr,
        )
    };
    let mut first = [0u32; 2];
    let q = reg(&r, &mut first, 2);
    let mut nproc = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `nproc` is writable.
    unsafe { libc::getrlimit(libc::RLIMIT_NPROC, &mut nproc) };
    let unbound_is_nproc = u64::from(first[1]) == nproc.rlim_cur.min(i32::MAX as u64);
    let mut set = [0u32, 2];
    let s1 = reg(&r, &mut set, 2);
    let mut now = [0u32; 2];
    reg(&r, &mut now, 2);
    let bad_nr = reg(&r, &mut [0, 0], 1);
    let bad_val = reg(&r, &mut [0, 1 << 31], 2);
    let null = sys.register(&r.fd, IORING_REGISTER_IOWQ_MAX_WORKERS, 0, 2);
    let bf = blockfd()?;
    let mut bufs = [[1u8; 1]; 4];
    for (i, b) in bufs.iter_mut().enumerate() {
        r.push(&read_sqe(&bf, b, 1, 10 + (i as u64 & 1)));
    }
    r.enter(4, 0, 0);
    std::thread::sleep(std::time::Duration::from_millis(200));
    let blocked = r.reap();
    r.push(&IoUringSqe {
        op_flags: IORING_ASYNC_CANCEL_ALL,
        ..rw_sqe(OP_ASYNC_CANCEL, -1, 10, 0, 0, 1)
    });
    r.enter(1, 3, IORING_ENTER_GETEVENTS);
    let got = wait_sorted(&r, 3);
    let cancel: Vec<i32> = got.iter().filter(|c| c.0 == 1).map(|c| c.1).collect();
    let mut reads: Vec<i32> = got.iter().filter(|c| c.0 >= 10).map(|c| c.1).collect();
    reads.sort();
    // The two reads the cancel did not match (user_data 11), one running
    // and one waiting or both running: what a write of two bytes ends.
    let w = write_fd(&bf, b"xy");
    let rest: Vec<i32> = wait_sorted(&r, 2).iter().map(|c| c.1).collect();
    let mut restore = first;
    reg(&r, &mut restore, 2);
    Ok(format!(
        "query={q} bound_set={} unbound_is_nproc={unbound_is_nproc} set={s1} prev_unbound_ok={} \
         bound_kept={} unbound_now={} bad_nr={bad_nr} bad_val={bad_val} null={null} \
         blocked={blocked:?} cancel={cancel:?} reads={reads:?} write={w} rest={rest:?}",
        first[0] > 0,
        set[1] == first[1],
        now[0] == first[0],
        now[1]
    ))
}

/// A regular file: WRITEV then READ and READV at offsets, the file
/// position (-1), and the errors of bad input.
fn case_file_rw(sys: Sys) -> Result<String, String> {
    let mut r = RawRing::new(sys, 16, params(0, 0)).map_err(|e| format!("setup {e}"))?;
    let path = CString::new("/tmp").unwrap();
    // SAFETY: `path` is a NUL-terminated string.
    let fd = unsafe { libc::open(path.as_ptr(), libc::O_TMPFILE | libc::O_RDWR, 0o600) };
    if fd < 0 {
        return Err(format!("tmpfile {}", errno()));
    }
    // SAFETY: `fd` is new and ours.
    let file = unsafe { OwnedFd::from_raw_fd(fd) };
    let f = file.as_raw_fd();
    let (p1, p2) = (*b"hello ", *b"world");
    let wv = [
        libc::iovec {
            iov_base: p1.as_ptr() as *mut _,
            iov_len: p1.len(),
        },
        libc::iovec {
            iov_base: p2.as_ptr() as *mut _,
            iov_len: p2.len(),
        },
    ];
    let mut a = [0u8; 11];
    let (mut b1, mut b2) = ([0u8; 3], [0u8; 4]);
    let rv = [
        libc::iovec {
            iov_base: b1.as_mut_ptr().cast(),
            iov_len: b1.len(),
        },
        libc::iovec {
            iov_base: b2.as_mut_ptr().cast(),
            iov_len: b2.len(),
        },
    ];
    let mut tail = [0u8; 16];
    let [rd, wr] = pipe()?;
    r.push(&IoUringSqe {
        flags: IOSQE_IO_LINK,
        ..rw_sqe(OP_WRITEV, f, wv.as_ptr() as u64, 2, 0, 1)
    });
    r.push(&IoUringSqe {
        flags: IOSQE_IO_LINK,
        ..rw_sqe(OP_READ, f, a.as_mut_ptr() as u64, 11, 0, 2)
    });
    r.push(&IoUringSqe {
        flags: IOSQE_IO_LINK,
        ..rw_sqe(OP_READV, f, rv.as_ptr() as u64, 2, 2, 3)
    });
    r.push(&IoUringSqe {
        flags: IOSQE_IO_LINK,
        ..rw_sqe(OP_WRITE, f, b"!".as_ptr() as u64, 1, u64::MAX, 4)
    });
    r.push(&rw_sqe(OP_READ, f, tail.as_mut_ptr() as u64, 16, 0, 5));
    let n = r.enter(5, 5, IORING_ENTER_GETEVENTS);
    let ok = wait_sorted(&r, 5);
    let bad = [
        rw_sqe(OP_READ, f, 0x10, 4, 0, 10),
        rw_sqe(OP_READ, f, 0xffff_8880_0000_0000, 4, 0, 11),
        rw_sqe(OP_READ, -1, a.as_mut_ptr() as u64, 4, 0, 12),
        read_sqe(&wr, &mut a, 4, 13),
        rw_sqe(OP_WRITE, rd.as_raw_fd(), a.as_ptr() as u64, 4, 0, 14),
        rw_sqe(OP_READV, f, rv.as_ptr() as u64, 2000, 0, 15),
        rw_sqe(OP_READV, f, 0x10, 2, 0, 16),
        IoUringSqe {
            op_flags: 1 << 30,
            ..rw_sqe(OP_READ, f, a.as_mut_ptr() as u64, 4, 0, 17)
        },
        // `RWF_NOWAIT` on an empty pipe: `-EAGAIN`, not a poll.
        IoUringSqe {
            op_flags: 0x8,
            ..read_sqe(&rd, &mut a, 4, 18)
        },
    ];
    // One at a time: a preparation failure ends the batch.
    let mut errs = Vec::new();
    for sqe in &bad {
        r.push(sqe);
        let m = r.enter(1, 1, IORING_ENTER_GETEVENTS);
        errs.push((m, wait_sorted(&r, 1)));
    }
    Ok(format!(
        "enter={n} {ok:?} a={:?} v={:?}{:?} tail={:?}; {errs:?}",
        String::from_utf8_lossy(&a),
        String::from_utf8_lossy(&b1),
        String::from_utf8_lossy(&b2),
        String::from_utf8_lossy(&tail),
    ))
}

/// An eventfd polled and a socket read, both woken from user space.
fn case_eventfd_socket(sys: Sys) -> Result<String, String> {
    let mut r = RawRing::new(sys, 8, params(0, 0)).map_err(|e| format!("setup {e}"))?;
    // SAFETY: Plain system calls on new descriptors.
    let efd = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC) };
    let mut sv = [0i32; 2];
    // SAFETY: `sv` has room for two descriptors.
    let sp = unsafe { libc::socketpair(libc::AF_UNIX, libc::SOCK_STREAM, 0, sv.as_mut_ptr()) };
    if efd < 0 || sp != 0 {
        return Err(format!("eventfd/socketpair {}", errno()));
    }
    // SAFETY: The descriptors are new and ours.
    let (efd, s0, s1) = unsafe {
        (
            OwnedFd::from_raw_fd(efd),
            OwnedFd::from_raw_fd(sv[0]),
            OwnedFd::from_raw_fd(sv[1]),
        )
    };
    let mut buf = [0u8; 5];
    r.push(&IoUringSqe {
        op_flags: 1,
        ..rw_sqe(OP_POLL_ADD, efd.as_raw_fd(), 0, 0, 0, 1)
    });
    r.push(&read_sqe(&s0, &mut buf, 5, 2));
    r.enter(2, 0, 0);
    std::thread::sleep(std::time::Duration::from_millis(20));
    let armed = r.reap();
    write_fd(&efd, &1u64.to_ne_bytes());
    write_fd(&s1, b"hello");
    let done = wait_sorted(&r, 2);
    Ok(format!(
        "armed={armed:?} done={done:?} data={:?}",
        String::from_utf8_lossy(&buf)
    ))
}

/// The ring's own descriptor is pollable: `poll(2)` sees `POLLOUT` while
/// the SQ ring has room and `POLLIN` once a completion is in the CQ ring,
/// and a POLL_ADD on it is woken by the ring's next completion.
fn case_ring_fd_poll(sys: Sys) -> Result<String, String> {
    let mut r = RawRing::new(sys, 4, params(0, 0)).map_err(|e| format!("setup {e}"))?;
    let fd = r.fd.as_raw_fd();
    let poll_now = || {
        let mut p = libc::pollfd {
            fd,
            events: libc::POLLIN | libc::POLLOUT,
            revents: 0,
        };
        // SAFETY: One valid `pollfd`.
        unsafe { libc::poll(&mut p, 1, 0) };
        p.revents
    };
    let empty = poll_now();
    r.push(&IoUringSqe {
        op_flags: 1,
        ..rw_sqe(OP_POLL_ADD, fd, 0, 0, 0, 1)
    });
    r.enter(1, 0, 0);
    std::thread::sleep(std::time::Duration::from_millis(20));
    let armed = r.reap();
    r.push(&nop(2, 0));
    r.enter(1, 2, IORING_ENTER_GETEVENTS);
    let before_reap = poll_now();
    let done = wait_sorted(&r, 2);
    Ok(format!(
        "empty={empty:#x} armed={armed:?} full={before_reap:#x} done={done:?} after={:#x}",
        poll_now()
    ))
}

/// An SQPOLL ring's thread resolves descriptors in its creator's file
/// table: a pipe read that is ready, and one armed until written.
fn case_sqpoll_files(sys: Sys) -> Result<String, String> {
    let mut p = params(IORING_SETUP_SQPOLL, 0);
    p.sq_thread_idle = 50;
    let mut r = RawRing::new(sys, 4, p).map_err(|e| format!("setup {e}"))?;
    let [rd, wr] = pipe()?;
    let (mut a, mut b) = ([0u8; 3], [0u8; 3]);
    write_fd(&wr, b"abc");
    r.push(&read_sqe(&rd, &mut a, 3, 1));
    r.push(&read_sqe(&rd, &mut b, 3, 2));
    let n = r.enter(2, 1, IORING_ENTER_GETEVENTS | IORING_ENTER_SQ_WAKEUP);
    let first = wait_sorted(&r, 1);
    write_fd(&wr, b"def");
    let second = wait_sorted(&r, 1);
    Ok(format!(
        "enter={n} {first:?} {second:?} {:?} {:?}",
        String::from_utf8_lossy(&a),
        String::from_utf8_lossy(&b)
    ))
}

/// Exec cancels the task's requests (`io_uring_task_cancel()`): a child
/// arms a read on a pipe and a POLL_ADD, then execs; both are cancelled
/// (the module sees the exec when it closes the ring's `O_CLOEXEC`
/// descriptor). The parent's own armed read is left alone.
fn case_exec_cancels(sys: Sys) -> Result<String, String> {
    let mut r = RawRing::new(sys, 4, params(0, 0)).map_err(|e| format!("setup {e}"))?;
    let [rd, wr] = pipe()?;
    let mut mine = [0u8; 4];
    r.push(&read_sqe(&rd, &mut mine, 4, 1));
    let n1 = r.enter(1, 0, 0);
    let mut theirs = [0u8; 4];
    r.push(&read_sqe(&rd, &mut theirs, 4, 2));
    r.push(&IoUringSqe {
        op_flags: 1,
        ..rw_sqe(OP_POLL_ADD, rd.as_raw_fd(), 0, 0, 0, 3)
    });
    let prog = CString::new("/bin/busybox").unwrap();
    let arg0 = CString::new("true").unwrap();
    // SAFETY: The child only submits, execs and exits.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        let n = r.enter(2, 0, 0);
        let argv = [arg0.as_ptr(), std::ptr::null()];
        // SAFETY: `prog` and `argv` are NUL-terminated; on failure the
        // child exits without running the parent's handlers.
        unsafe {
            if n == 2 {
                libc::execv(prog.as_ptr(), argv.as_ptr());
            }
            libc::_exit(1)
        };
    }
    let mut status = 0;
    // SAFETY: `pid` is our child; `status` is writable.
    unsafe { libc::waitpid(pid, &mut status, 0) };
    let cancelled = wait_sorted(&r, 2);
    write_fd(&wr, b"abcd");
    let own = wait_sorted(&r, 1);
    Ok(format!(
        "enter={n1} child_status={} cancelled={cancelled:?} own={own:?}",
        libc::WEXITSTATUS(status)
    ))
}

/// A request takes its file as it is issued (`io_assign_file()`): a read
/// linked behind a head that has not completed, whose descriptor is closed
/// in between, names no file when its turn comes (`-EBADF`).
fn case_linked_file_taken_at_issue(sys: Sys) -> Result<String, String> {
    let mut r = RawRing::new(sys, 4, params(0, 0)).map_err(|e| format!("setup {e}"))?;
    let [rd, wr] = pipe()?;
    let [rd2, _wr2] = pipe()?;
    let (mut a, mut b) = ([0u8; 1], [0u8; 4]);
    r.push(&IoUringSqe {
        flags: IOSQE_IO_LINK,
        ..read_sqe(&rd, &mut a, 1, 1)
    });
    r.push(&read_sqe(&rd2, &mut b, 4, 2));
    let n = r.enter(2, 0, 0);
    std::thread::sleep(std::time::Duration::from_millis(20));
    let armed = r.reap();
    drop(rd2);
    write_fd(&wr, b"a");
    let done = wait_sorted(&r, 2);
    Ok(format!("enter={n} armed={armed:?} done={done:?}"))
}

/// How long a closed ring's exit may take to release what it held: both
/// backends exit in a kernel worker, which under TCG and the debug kernel
/// can take a second or more.
const RELEASE_BOUND: std::time::Duration = std::time::Duration::from_secs(10);

/// A POLL_ADD of the ring's own descriptor, linked behind a read that never
/// completes, holds no reference to the ring (it is not issued), so closing
/// the ring's descriptor releases it: ring exit cancels the read, whose
/// pipe then has no reader left, and its write end reports `POLLERR`.
fn case_linked_own_ring_released(sys: Sys) -> Result<String, String> {
    let mut r = RawRing::new(sys, 4, params(0, 0)).map_err(|e| format!("setup {e}"))?;
    let [rd, wr] = pipe()?;
    let mut buf = [0u8; 4];
    r.push(&IoUringSqe {
        flags: IOSQE_IO_LINK,
        ..read_sqe(&rd, &mut buf, 4, 1)
    });
    r.push(&IoUringSqe {
        op_flags: 1,
        ..rw_sqe(OP_POLL_ADD, r.raw_fd(), 0, 0, 0, 2)
    });
    let n = r.enter(2, 0, 0);
    drop(rd);
    drop(r);
    let released = wait_pollerr(&wr);
    Ok(format!("enter={n} released={released}"))
}

/// A ring that polls its own descriptor (an armed `POLL_ADD`, which holds
/// the ring's file) is released once its process has closed the
/// descriptor and exited: a child sets up the ring, arms a read of a pipe
/// and the poll, unmaps the rings, closes the descriptor and exits; the
/// pipe's write end then sees `POLLERR` (the read, the pipe's last reader,
/// is gone with the ring). io_uring cancels the poll at the task's exit
/// (`io_uring_files_cancel()`); the module, which hears of a task's exit
/// only through a descriptor's `flush()`, cancels it when the task closes
/// its last descriptor of the ring, and leaked the ring before.
fn case_own_poll_released_after_close_and_exit(sys: Sys) -> Result<String, String> {
    let [rd, wr] = pipe()?;
    let mut buf = [0u8; 4];
    // SAFETY: The child sets up a ring, submits, closes and exits.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        let mut n = -1;
        if let Ok(mut r) = RawRing::new(sys, 4, params(0, 0)) {
            r.push(&read_sqe(&rd, &mut buf, 4, 1));
            r.push(&IoUringSqe {
                op_flags: 1,
                ..rw_sqe(OP_POLL_ADD, r.raw_fd(), 0, 0, 0, 2)
            });
            n = r.enter(2, 0, 0);
        }
        // SAFETY: Ends the child without the parent's handlers.
        unsafe { libc::_exit(if n == 2 { 0 } else { 1 }) };
    }
    drop(rd);
    let mut status = 0;
    // SAFETY: `pid` is our child; `status` is writable.
    unsafe { libc::waitpid(pid, &mut status, 0) };
    let released = wait_pollerr(&wr);
    Ok(format!(
        "child_status={} released={released}",
        libc::WEXITSTATUS(status)
    ))
}

/// A thread's state letter in `/proc/self/task/TID/stat` (`S`: sleeping).
fn thread_state(tid: i32) -> char {
    std::fs::read_to_string(format!("/proc/self/task/{tid}/stat"))
        .ok()
        .and_then(|s| {
            s.rsplit_once(')')
                .and_then(|(_, r)| r.trim_start().chars().next())
        })
        .unwrap_or('?')
}

/// Waits (up to 10 s) until the thread `tid` sleeps, interruptibly or not:
/// whether it did.
fn wait_until_sleeping(tid: i32) -> bool {
    for _ in 0..1000 {
        if matches!(thread_state(tid), 'S' | 'D') {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    false
}

/// Polls `fd` (up to `RELEASE_BOUND`) until `poll(2)` reports `POLLERR`:
/// whether it did (the write end of a pipe whose last reader went).
fn wait_pollerr(fd: &OwnedFd) -> bool {
    let deadline = std::time::Instant::now() + RELEASE_BOUND;
    loop {
        let mut p = libc::pollfd {
            fd: fd.as_raw_fd(),
            events: libc::POLLOUT,
            revents: 0,
        };
        // SAFETY: One valid `pollfd`.
        unsafe { libc::poll(&mut p, 1, 0) };
        if p.revents & libc::POLLERR != 0 {
            return true;
        }
        if std::time::Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

/// `waitpid()` of the child `pid`: its exit status, or -1 if it did not
/// exit normally.
fn wait_child(pid: libc::pid_t) -> i32 {
    let mut status = 0;
    // SAFETY: `pid` is our child; `status` is writable.
    unsafe { libc::waitpid(pid, &mut status, 0) };
    if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    }
}

/// A `socketpair(AF_UNIX, SOCK_SEQPACKET)`.
fn seqpacket_pair() -> Result<[OwnedFd; 2], String> {
    let mut sv = [0i32; 2];
    // SAFETY: `sv` has room for two descriptors.
    let r = unsafe {
        libc::socketpair(
            libc::AF_UNIX,
            libc::SOCK_SEQPACKET | libc::SOCK_CLOEXEC,
            0,
            sv.as_mut_ptr(),
        )
    };
    if r != 0 {
        return Err(format!("socketpair {}", errno()));
    }
    // SAFETY: Both descriptors are new and ours.
    Ok(sv.map(|fd| unsafe { OwnedFd::from_raw_fd(fd) }))
}

/// What the parent sends the child: the ring's parameters, its
/// descriptor's number in the parent and whether the descriptor rides
/// along (`SCM_RIGHTS`) or must be taken with `pidfd_getfd(2)`.
#[derive(Clone, Copy)]
#[repr(C)]
struct RingMsg {
    p: IoUringParams,
    fd: i32,
    scm: i32,
}

/// Sends `msg` on `sock`, with `fd` in an `SCM_RIGHTS` message if given:
/// the result of `sendmsg(2)`.
fn send_ring_msg(sock: &OwnedFd, msg: &RingMsg, fd: Option<i32>) -> i64 {
    let mut iov = libc::iovec {
        iov_base: msg as *const RingMsg as *mut libc::c_void,
        iov_len: std::mem::size_of::<RingMsg>(),
    };
    let mut cbuf = [0u64; 4];
    // SAFETY: A zeroed `struct msghdr` is valid.
    let mut mh: libc::msghdr = unsafe { std::mem::zeroed() };
    mh.msg_iov = &mut iov;
    mh.msg_iovlen = 1;
    if let Some(fd) = fd {
        // SAFETY: `CMSG_SPACE` only computes.
        let space = unsafe { libc::CMSG_SPACE(4) } as usize;
        assert!(space <= std::mem::size_of_val(&cbuf));
        mh.msg_control = cbuf.as_mut_ptr().cast();
        mh.msg_controllen = space;
        // SAFETY: `mh` has a control buffer of `space` bytes, room for one
        // header and one descriptor, which are written in it.
        unsafe {
            let c = libc::CMSG_FIRSTHDR(&mh);
            (*c).cmsg_level = libc::SOL_SOCKET;
            (*c).cmsg_type = libc::SCM_RIGHTS;
            (*c).cmsg_len = libc::CMSG_LEN(4) as usize;
            std::ptr::write_unaligned(libc::CMSG_DATA(c).cast::<i32>(), fd);
        }
    }
    // SAFETY: `mh` and what it points to are valid for the call.
    ret(unsafe { libc::sendmsg(sock.as_raw_fd(), &mh, libc::MSG_NOSIGNAL) } as libc::c_long)
}

/// Receives a `RingMsg` on `sock`, and the descriptor that came with it
/// (`SCM_RIGHTS`).
fn recv_ring_msg(sock: &OwnedFd) -> Result<(RingMsg, Option<OwnedFd>), String> {
    let mut buf = [0u8; std::mem::size_of::<RingMsg>()];
    let mut iov = libc::iovec {
        iov_base: buf.as_mut_ptr().cast(),
        iov_len: buf.len(),
    };
    let mut cbuf = [0u64; 4];
    // SAFETY: A zeroed `struct msghdr` is valid.
    let mut mh: libc::msghdr = unsafe { std::mem::zeroed() };
    mh.msg_iov = &mut iov;
    mh.msg_iovlen = 1;
    mh.msg_control = cbuf.as_mut_ptr().cast();
    mh.msg_controllen = std::mem::size_of_val(&cbuf);
    // SAFETY: `mh` and what it points to are valid and writable.
    let n = unsafe { libc::recvmsg(sock.as_raw_fd(), &mut mh, libc::MSG_CMSG_CLOEXEC) };
    if n != buf.len() as isize {
        return Err(format!("recvmsg {n} {}", errno()));
    }
    // SAFETY: `buf` holds the `RingMsg` the parent sent, whose fields are
    // plain integers.
    let msg = unsafe { std::ptr::read_unaligned(buf.as_ptr().cast::<RingMsg>()) };
    let mut fd = None;
    // SAFETY: The kernel filled `mh`'s control buffer: the headers it
    // walks are in it, and an `SCM_RIGHTS` one holds a new descriptor.
    unsafe {
        let c = libc::CMSG_FIRSTHDR(&mh);
        if !c.is_null() && (*c).cmsg_level == libc::SOL_SOCKET && (*c).cmsg_type == libc::SCM_RIGHTS
        {
            let raw = std::ptr::read_unaligned(libc::CMSG_DATA(c).cast::<i32>());
            fd = Some(OwnedFd::from_raw_fd(raw));
        }
    }
    Ok((msg, fd))
}

/// The child of `case_ring_fd_scm_rights`: receives the ring, maps it,
/// submits and reaps three NOPs, submits two more that it leaves in the CQ
/// ring, and sends back what it saw.
fn scm_child(sys: Sys, sock: &OwnedFd) -> Result<String, String> {
    let (msg, fd) = recv_ring_msg(sock)?;
    let fd = match fd {
        Some(fd) => fd,
        None if msg.scm == 0 => {
            // SAFETY: Plain system calls; a new descriptor is ours.
            unsafe {
                let pidfd = libc::syscall(libc::SYS_pidfd_open, libc::getppid(), 0);
                if pidfd < 0 {
                    return Err(format!("pidfd_open {}", errno()));
                }
                let pidfd = OwnedFd::from_raw_fd(pidfd as i32);
                let fd = libc::syscall(libc::SYS_pidfd_getfd, pidfd.as_raw_fd(), msg.fd, 0);
                if fd < 0 {
                    return Err(format!("pidfd_getfd {}", errno()));
                }
                OwnedFd::from_raw_fd(fd as i32)
            }
        }
        None => return Err("no descriptor came".to_string()),
    };
    let mut r = RawRing::attach(sys, fd, msg.p).map_err(|e| format!("mmap {e}"))?;
    let tail0 = r.sqe_tail;
    for ud in 101..=103 {
        r.push(&nop(ud, 0));
    }
    let n = r.enter(3, 3, IORING_ENTER_GETEVENTS);
    let got = r.reap();
    r.push(&nop(201, 0));
    r.push(&nop(202, 0));
    let m = r.enter(2, 2, IORING_ENTER_GETEVENTS);
    Ok(format!(
        "tail0={tail0} enter={n} cqes={got:?} enter={m} sq_head={}",
        r.sq_head()
    ))
}

/// A ring's descriptor sent to another process over an `AF_UNIX` socket
/// (`SCM_RIGHTS`) works there: the child, which never had the ring, maps
/// the rings from the descriptor it received, submits and reaps NOPs and
/// leaves two in the CQ ring; the parent then sees the SQ and CQ heads and
/// tails the child left, reaps the two and goes on submitting.
///
/// io_uring refuses to send its files (`scm_fp_copy()`: `-EINVAL` since
/// Linux 6.7, so that no io_uring file can be in flight in a socket); the
/// module's file is a character device's and cannot be told apart there.
/// That refusal is printed, and the io_uring child then takes the
/// descriptor with `pidfd_getfd(2)` instead: what the two processes see of
/// the ring is compared.
fn case_ring_fd_scm_rights(sys: Sys) -> Result<String, String> {
    let [ps, cs] = seqpacket_pair()?;
    // SAFETY: The child only receives, uses the ring, reports and exits.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(format!("fork {}", errno()));
    }
    if pid == 0 {
        drop(ps);
        let report = scm_child(sys, &cs).unwrap_or_else(|e| format!("child error: {e}"));
        // SAFETY: `report` is readable for its length.
        unsafe {
            libc::send(
                cs.as_raw_fd(),
                report.as_ptr().cast(),
                report.len(),
                libc::MSG_NOSIGNAL,
            )
        };
        // SAFETY: The child ends without running the parent's handlers.
        unsafe { libc::_exit(0) };
    }
    drop(cs);
    let parent = || -> Result<(String, RawRing), String> {
        let r = RawRing::new(sys, 8, params(0, 0)).map_err(|e| format!("setup {e}"))?;
        let mut msg = RingMsg {
            p: r.p,
            fd: r.raw_fd(),
            scm: 1,
        };
        let sent = send_ring_msg(&ps, &msg, Some(r.raw_fd()));
        println!(
            "# abi_ring_fd_passed_by_scm_rights {}: sendmsg(SCM_RIGHTS)={sent}",
            sys.name()
        );
        match (sys, sent) {
            (_, n) if n > 0 => {}
            (Sys::Uring, n) if n == -i64::from(libc::EINVAL) => {
                msg.scm = 0;
                let again = send_ring_msg(&ps, &msg, None);
                if again <= 0 {
                    return Err(format!("sendmsg {again}"));
                }
            }
            (_, n) => return Err(format!("sendmsg(SCM_RIGHTS) {n}")),
        }
        let mut buf = [0u8; 512];
        // SAFETY: `buf` is writable for its length.
        let n = unsafe { libc::recv(ps.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len(), 0) };
        let child = String::from_utf8_lossy(&buf[..n.max(0) as usize]).into_owned();
        Ok((child, r))
    };
    let got = parent();
    drop(ps);
    let status = wait_child(pid);
    let (child, mut r) = got?;
    let state = format!(
        "sq_head={} sq_tail={} cq_head={} cq_tail={}",
        r.sq_head(),
        r.word(r.p.sq_off.tail),
        r.word(r.p.cq_off.head),
        r.word(r.p.cq_off.tail)
    );
    let left = r.reap();
    r.resync_tail();
    r.push(&nop(3, 0));
    let n = r.enter(1, 1, IORING_ENTER_GETEVENTS);
    Ok(format!(
        "child: {child} (status {status}); parent: {state} left={left:?} enter={n} {:?} \
         sq_head={}",
        r.reap(),
        r.sq_head()
    ))
}

/// A forked child uses the ring through the mapping and descriptor it
/// inherited: its NOPs complete into the CQ ring the parent reaps, and the
/// read it leaves armed on an empty pipe when it exits is cancelled when
/// the pipe is written (its task is gone); the parent then goes on
/// submitting from the SQ tail the child left.
fn case_ring_used_after_fork(sys: Sys) -> Result<String, String> {
    let mut r = RawRing::new(sys, 8, params(0, 0)).map_err(|e| format!("setup {e}"))?;
    let [rd, wr] = pipe()?;
    r.push(&nop(1, 0));
    let n = r.enter(1, 1, IORING_ENTER_GETEVENTS);
    let before = r.reap();
    let mut buf = [0u8; 4];
    // SAFETY: The child only submits through the ring and exits.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(format!("fork {}", errno()));
    }
    if pid == 0 {
        for ud in 11..=13 {
            r.push(&nop(ud, 0));
        }
        r.push(&read_sqe(&rd, &mut buf, 4, 14));
        let m = r.enter(4, 3, IORING_ENTER_GETEVENTS);
        // SAFETY: The child ends without running the parent's handlers.
        unsafe { libc::_exit(m.clamp(0, 100) as i32) };
    }
    let status = wait_child(pid);
    let nops = wait_sorted(&r, 3);
    let w = write_fd(&wr, b"abcd");
    let read = wait_sorted(&r, 1);
    r.resync_tail();
    r.push(&nop(21, 0));
    let m = r.enter(1, 1, IORING_ENTER_GETEVENTS);
    Ok(format!(
        "enter={n} {before:?} child_enter={status} nops={nops:?} write={w} read={read:?} \
         enter={m} {:?} sq_head={} buf={buf:?}",
        r.reap(),
        r.sq_head()
    ))
}

/// Eight threads enter one ring at once: each submits rounds of three NOPs
/// and a 1 ms TIMEOUT (the SQ ring, single-producer, under a user-space
/// lock with the submitting enter) and waits for completions
/// (`IORING_ENTER_GETEVENTS`, up to 20 ms) outside it, concurrently with
/// the others' submissions and waits; the CQ ring is reaped under the
/// lock. Every submission is whole, every completion arrives exactly once
/// with its result, and the CQ ring (as large as the whole run) never
/// overflows.
fn case_concurrent_enter_many_threads(sys: Sys) -> Result<String, String> {
    const THREADS: u64 = 8;
    const ROUNDS: u64 = 8;
    const TOTAL: usize = (THREADS * ROUNDS * 4) as usize;
    let r = RawRing::new(sys, 32, params(IORING_SETUP_CQSIZE, TOTAL as u32))
        .map_err(|e| format!("setup {e}"))?;
    let fd = r.raw_fd();
    let ts = KernelTimespec {
        tv_sec: 0,
        tv_nsec: 1_000_000,
    };
    let shared = std::sync::Mutex::new((r, Vec::new()));
    let submitted = std::sync::atomic::AtomicI64::new(0);
    let odd = std::sync::Mutex::new(std::collections::BTreeSet::new());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let reap = || {
        let mut g = shared.lock().unwrap();
        let got = g.0.reap();
        g.1.extend(got);
        g.1.len()
    };
    std::thread::scope(|s| {
        for t in 0..THREADS {
            let (shared, submitted, odd, ts) = (&shared, &submitted, &odd, &ts);
            s.spawn(move || {
                for round in 0..ROUNDS {
                    let ud = t * 1000 + round * 10;
                    {
                        let mut g = shared.lock().unwrap();
                        for i in 0..3 {
                            g.0.push(&nop(ud + i, 0));
                        }
                        g.0.push(&IoUringSqe {
                            opcode: OP_TIMEOUT,
                            addr: ts as *const KernelTimespec as u64,
                            len: 1,
                            user_data: ud + 3,
                            ..IoUringSqe::default()
                        });
                        let n = g.0.enter(4, 0, 0);
                        submitted.fetch_add(n, Relaxed);
                    }
                    let w = wait_fd(sys, fd, 1, std::time::Duration::from_millis(20));
                    if w != 0 && w != -i64::from(libc::ETIME) {
                        odd.lock().unwrap().insert(w);
                    }
                    reap();
                }
                while reap() < TOTAL && std::time::Instant::now() < deadline {
                    let w = wait_fd(sys, fd, 1, std::time::Duration::from_millis(20));
                    if w != 0 && w != -i64::from(libc::ETIME) {
                        odd.lock().unwrap().insert(w);
                    }
                }
            });
        }
    });
    let (r, mut got) = shared.into_inner().unwrap();
    got.sort();
    let mut want: Vec<(u64, i32)> = (0..THREADS)
        .flat_map(|t| {
            (0..ROUNDS).flat_map(move |round| {
                let ud = t * 1000 + round * 10;
                (0..4).map(move |i| (ud + i, if i == 3 { -libc::ETIME } else { 0 }))
            })
        })
        .collect();
    want.sort();
    let missing: Vec<_> = want.iter().filter(|c| !got.contains(c)).take(8).collect();
    let extra: Vec<_> = got.iter().filter(|c| !want.contains(c)).take(8).collect();
    Ok(format!(
        "submitted={} cqes={} exact={} missing={missing:?} extra={extra:?} odd_waits={:?} \
         overflow_flag={} lost={} sq_head={}",
        submitted.load(Relaxed),
        got.len(),
        got == want,
        odd.into_inner().unwrap(),
        r.sq_flags() & IORING_SQ_CQ_OVERFLOW != 0,
        r.cq_overflow(),
        r.sq_head()
    ))
}

/// Closes the ring `r`'s descriptor while a thread waits in enter on it:
/// the thread's result, the time it waited and what it reaped, and what a
/// later enter on the closed descriptor returns.
fn close_while_waiting(
    r: RawRing,
    submit: u32,
    timeout: Option<std::time::Duration>,
    after_close: impl FnOnce(),
) -> Result<String, String> {
    let fd = r.raw_fd();
    let sys = r.sys;
    let (tx, rx) = std::sync::mpsc::channel();
    let (blocked, still_waiting, (r, n, waited, got)) = std::thread::scope(|s| {
        let h = s.spawn(move || {
            // SAFETY: `gettid()` has no precondition.
            tx.send(unsafe { libc::gettid() }).unwrap();
            let t0 = std::time::Instant::now();
            let n = match timeout {
                Some(t) => r.wait(1, t),
                None => r.enter(submit, 1, IORING_ENTER_GETEVENTS),
            };
            let waited = t0.elapsed();
            let got = r.reap();
            (r, n, waited, got)
        });
        let blocked = rx.recv().is_ok_and(wait_until_sleeping);
        // SAFETY: `fd` is the ring's descriptor, which the ring owns: it
        // is forgotten below instead of being closed again.
        unsafe { libc::close(fd) };
        std::thread::sleep(std::time::Duration::from_millis(50));
        let still_waiting = !h.is_finished();
        after_close();
        (blocked, still_waiting, h.join().unwrap())
    });
    let again = sys.enter_raw(fd, 0, 0, 0, 0, 0);
    let long_enough = timeout.is_none_or(|t| waited >= t);
    let RawRing {
        fd: closed,
        rings,
        sqes,
        ..
    } = r;
    std::mem::forget(closed);
    drop((rings, sqes));
    Ok(format!(
        "blocked={blocked} still_waiting_after_close={still_waiting} enter={n} \
         waited_full={long_enough} cqes={got:?} closed_fd_enter={again}"
    ))
}

/// Closes the ring's only descriptor, with nothing mapped, while a thread
/// waits in the enter that submitted two reads of empty pipes: the call
/// then holds the ring's last reference. It goes on waiting, ends with the
/// first read's completion when its pipe is written, and its return
/// releases the ring, whose exit cancels the other read (its pipe loses
/// its last reader).
fn close_last_reference_while_waiting(sys: Sys) -> Result<String, String> {
    let mut r = RawRing::new(sys, 4, params(0, 0)).map_err(|e| format!("setup {e}"))?;
    let [rd, wr] = pipe()?;
    let [rd2, wr2] = pipe()?;
    let (mut a, mut b) = ([0u8; 4], [0u8; 4]);
    r.push(&read_sqe(&rd, &mut a, 4, 1));
    r.push(&read_sqe(&rd2, &mut b, 4, 2));
    let (fd, _) = r.detach();
    let raw = fd.as_raw_fd();
    let (tx, rx) = std::sync::mpsc::channel();
    let (blocked, still_waiting, n) = std::thread::scope(|s| {
        let h = s.spawn(move || {
            // SAFETY: `gettid()` has no precondition.
            tx.send(unsafe { libc::gettid() }).unwrap();
            sys.enter_raw(raw, 2, 1, IORING_ENTER_GETEVENTS, 0, 0)
        });
        let blocked = rx.recv().is_ok_and(wait_until_sleeping);
        drop(fd);
        std::thread::sleep(std::time::Duration::from_millis(50));
        let still_waiting = !h.is_finished();
        write_fd(&wr, b"abcd");
        (blocked, still_waiting, h.join().unwrap())
    });
    drop(rd2);
    Ok(format!(
        "blocked={blocked} still_waiting_after_close={still_waiting} enter={n} data={:?} \
         closed_fd_enter={} released={}",
        String::from_utf8_lossy(&a),
        sys.enter_raw(raw, 0, 0, 0, 0, 0),
        wait_pollerr(&wr2)
    ))
}

/// A thread blocked in enter (a read of an empty pipe submitted with
/// `min_complete` 1, or no request and an `IORING_ENTER_EXT_ARG` timeout of
/// 300 ms) while another thread closes the ring's descriptor: the wait
/// goes on (the call holds the file, the mappings hold the ring), ends
/// when the pipe is written (with the read's completion) or the timeout
/// passes (`-ETIME`), and the closed descriptor is then `-EBADF`; and
/// `close_last_reference_while_waiting`.
fn case_close_during_enter(sys: Sys) -> Result<String, String> {
    let mut r = RawRing::new(sys, 4, params(0, 0)).map_err(|e| format!("setup {e}"))?;
    let [rd, wr] = pipe()?;
    let mut buf = [0u8; 4];
    r.push(&read_sqe(&rd, &mut buf, 4, 1));
    let read = close_while_waiting(r, 1, None, || {
        write_fd(&wr, b"abcd");
    })?;
    let r = RawRing::new(sys, 4, params(0, 0)).map_err(|e| format!("setup {e}"))?;
    let timed = close_while_waiting(r, 0, Some(std::time::Duration::from_millis(300)), || {})?;
    Ok(format!(
        "read: {read} data={:?}; timeout: {timed}; last reference: {}",
        String::from_utf8_lossy(&buf),
        close_last_reference_while_waiting(sys)?
    ))
}

/// Requests in flight (two reads of an empty pipe, a 100 ms TIMEOUT and a
/// read of a pipe never written) when every ring mapping is unmapped: the
/// pipe is written and the timeout fires with nothing mapped, a wait for
/// three completions ends (the kernel's view of the CQ ring), and the ring
/// descriptor polls readable. Then either the descriptor is closed, or
/// (`remap`) the rings are mapped again from it, the three completions
/// that arrived meanwhile are reaped and a NOP goes through the new
/// mapping before it is closed. Either way ring exit cancels the read
/// still pending: its pipe loses its last reader.
fn munmap_in_flight(sys: Sys, remap: bool) -> Result<String, String> {
    let mut r = RawRing::new(sys, 8, params(0, 0)).map_err(|e| format!("setup {e}"))?;
    let [rd, wr] = pipe()?;
    let [rd2, wr2] = pipe()?;
    let (mut a, mut b, mut c) = ([0u8; 4], [0u8; 4], [0u8; 4]);
    let ts = KernelTimespec {
        tv_sec: 0,
        tv_nsec: 100_000_000,
    };
    r.push(&read_sqe(&rd, &mut a, 4, 1));
    r.push(&read_sqe(&rd, &mut b, 4, 2));
    r.push(&IoUringSqe {
        opcode: OP_TIMEOUT,
        addr: &ts as *const KernelTimespec as u64,
        len: 1,
        user_data: 3,
        ..IoUringSqe::default()
    });
    r.push(&read_sqe(&rd2, &mut c, 4, 4));
    let n = r.enter(4, 0, 0);
    let (fd, p) = r.detach();
    let w = write_fd(&wr, b"abcdefgh");
    let waited = wait_fd(sys, fd.as_raw_fd(), 3, std::time::Duration::from_secs(5));
    let mut pf = libc::pollfd {
        fd: fd.as_raw_fd(),
        events: libc::POLLIN | libc::POLLOUT,
        revents: 0,
    };
    // SAFETY: One valid `pollfd`.
    unsafe { libc::poll(&mut pf, 1, 0) };
    let mut data = [a, b].map(|x| String::from_utf8_lossy(&x).into_owned());
    data.sort();
    let mut out = format!(
        "enter={n} write={w} wait={waited} poll={:#x} data={data:?}",
        pf.revents
    );
    drop(rd2);
    if remap {
        let mut r = RawRing::attach(sys, fd, p).map_err(|e| format!("mmap again {e}"))?;
        let mut got = r.reap();
        got.sort();
        let sq = (r.sq_head(), r.sqe_tail);
        r.push(&nop(5, 0));
        let m = r.enter(1, 1, IORING_ENTER_GETEVENTS);
        out += &format!(" remapped: cqes={got:?} sq={sq:?} enter={m} {:?}", r.reap());
    } else {
        drop(fd);
    }
    Ok(format!("{out} released={}", wait_pollerr(&wr2)))
}

/// `munmap_in_flight` without mapping the rings again.
fn case_munmap_in_flight(sys: Sys) -> Result<String, String> {
    munmap_in_flight(sys, false)
}

/// `munmap_in_flight` mapping the rings again and reaping.
fn case_munmap_in_flight_remap(sys: Sys) -> Result<String, String> {
    munmap_in_flight(sys, true)
}

/// `mmap()` of a ring beyond `case_mmap`, on a ring of 256 entries (rings
/// of three pages, SQEs of four): the SQE array mapped shorter than it is
/// (one page, or the rings' length) is `-EFAULT` (it is mapped whole);
/// `IORING_OFF_CQ_RING` maps the same pages as `IORING_OFF_SQ_RING`; a
/// page offset inside the rings' region still maps from its start; and a
/// `MAP_PRIVATE` mapping sees the ring until it writes, and its writes
/// (a published SQ tail) never reach the kernel.
fn case_mmap_more(sys: Sys) -> Result<String, String> {
    let mut r = RawRing::new(sys, 256, params(0, 0)).map_err(|e| format!("setup {e}"))?;
    let len = RawRing::rings_len(&r.p);
    let sqes_page = Map::new(&r.fd, IORING_OFF_SQES, 4096).err();
    let sqes_rings_len = Map::new(&r.fd, IORING_OFF_SQES, len).err();
    let (sq, cq) = (r.p.sq_off, r.p.cq_off);
    r.push(&nop(1, 0));
    let n = r.enter(1, 1, IORING_ENTER_GETEVENTS);
    let cq_map = Map::new(&r.fd, IORING_OFF_CQ_RING, len).map(|m| {
        (
            m.u32(sq.ring_entries).load(Acquire),
            m.u32(cq.ring_entries).load(Acquire),
            m.u32(cq.tail).load(Acquire),
        )
    });
    let inner = Map::new(&r.fd, IORING_OFF_SQ_RING + 4096, 4096)
        .map(|m| m.u32(sq.ring_entries).load(Acquire));
    let private = Map::with_flags(&r.fd, IORING_OFF_SQ_RING, len, libc::MAP_PRIVATE)
        .map_err(|e| format!("MAP_PRIVATE {e}"))?;
    let seen = (
        private.u32(sq.ring_entries).load(Acquire),
        private.u32(cq.tail).load(Acquire),
    );
    // A NOP published through the private copy only.
    private.u32(sq.array).store(0, Relaxed);
    private.u32(sq.tail).store(r.sqe_tail + 1, Release);
    let private_submit = r.enter(1, 0, 0);
    r.push(&nop(2, 0));
    let m = r.enter(1, 1, IORING_ENTER_GETEVENTS);
    let after = (
        private.u32(sq.tail).load(Acquire),
        private.u32(cq.tail).load(Acquire),
        r.word(sq.tail),
        r.word(cq.tail),
    );
    Ok(format!(
        "sqes_one_page={sqes_page:?} sqes_rings_len={sqes_rings_len:?} enter={n} \
         cq_ring={cq_map:?} inner_page={inner:?} private_seen={seen:?} \
         private_submit={private_submit} enter={m} private/shared_tails={after:?} cqes={:?}",
        r.reap()
    ))
}

/// Leaves up to `n` idle bound io-wq workers: `n` forced NOPs at once,
/// waited for; returns how many completed.
fn idle_bound_workers(r: &mut RawRing, n: u32) -> usize {
    for i in 0..n {
        r.push(&nop(1000 + u64::from(i), IOSQE_ASYNC));
    }
    r.enter(n, n, IORING_ENTER_GETEVENTS);
    wait_sorted(r, n as usize).len()
}

/// Writes to two regular files that io-wq takes (buffered writes to a file
/// without `FOP_BUFFER_WASYNC` give `-EAGAIN` inline): io-wq hashes them by
/// the file's inode and runs the writes to one file one at a time, in
/// submission order, so each file's writes complete in that order and the
/// last write to a block wins. Idle bound workers, left by forced NOPs,
/// are woken for the writes and must pass over the busy file's work to
/// the other's. Writes forced with `IOSQE_ASYNC` are taken before their
/// file is, unhashed: only their results and the files' sizes are
/// compared.
fn case_hashed_file_writes(sys: Sys) -> Result<String, String> {
    const N: usize = 48;
    const BLOCK: usize = 32 << 10;
    let files = [tmpfile()?, tmpfile()?];
    let data: Vec<Vec<u8>> = (0..N).map(|i| vec![i as u8 + 1; BLOCK]).collect();
    let mut r = RawRing::new(sys, N as u32, params(0, 0)).map_err(|e| format!("setup {e}"))?;
    let mut out = format!("nops {}; ", idle_bound_workers(&mut r, 8));
    for (name, flags) in [("inline", 0), ("async", IOSQE_ASYNC)] {
        for (i, d) in data.iter().enumerate() {
            // Alternate files; every third write of a file goes to its
            // block 0, the rest to blocks of their own.
            let (fd, j) = (files[i % 2].as_raw_fd(), i / 2);
            let off = if j % 3 == 0 { 0 } else { j * BLOCK };
            r.push(&IoUringSqe {
                flags,
                ..rw_sqe(
                    OP_WRITE,
                    fd,
                    d.as_ptr() as u64,
                    BLOCK as u32,
                    off as u64,
                    i as u64,
                )
            });
        }
        r.enter(N as u32, N as u32, IORING_ENTER_GETEVENTS);
        let got = wait_in_order(&r, N, 500);
        let all_written = got.iter().all(|c| c.1 == BLOCK as i32);
        out += &format!("{name}: {} cqes, all written {all_written}", got.len());
        if flags == 0 {
            for (k, f) in files.iter().enumerate() {
                let order = got.iter().map(|c| c.0).filter(|ud| ud % 2 == k as u64);
                let in_order = order.eq((k as u64..N as u64).step_by(2));
                let mut first = [0u8; 1];
                // SAFETY: `first` is writable; `f` is open.
                let n = unsafe { libc::pread(f.as_raw_fd(), first.as_mut_ptr().cast(), 1, 0) };
                let last = if n == 1 { i32::from(first[0]) - 1 } else { -1 };
                out += &format!(
                    ", file {k} in submission order {in_order}, block 0 holds write {last}"
                );
            }
        }
        out += "; ";
    }
    for f in &files {
        // SAFETY: `st` is plain data, written by `fstat`; `f` is open.
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        // SAFETY: As above.
        unsafe { libc::fstat(f.as_raw_fd(), &mut st) };
        out += &format!("size {} ", st.st_size);
    }
    Ok(out)
}

/// A hashed write whose link blocks its worker: the bucket is free once the
/// write is done, and another write to the file, which waited for it, runs
/// on another worker at once (`io_worker_handle_work()` clears the bucket
/// and wakes the stalled account), not after the blocked read.
fn case_hashed_write_then_blocked_link(sys: Sys) -> Result<String, String> {
    let f = tmpfile()?;
    let bf = blockfd()?;
    // The first write long enough to be running when the second is queued.
    const LONG: usize = 4 << 20;
    let data = vec![5u8; LONG];
    let mut buf = [0u8; 4];
    let mut r = RawRing::new(sys, 16, params(0, 0)).map_err(|e| format!("setup {e}"))?;
    let nops = idle_bound_workers(&mut r, 4);
    let write = |len: usize, off: usize, ud: u64| {
        rw_sqe(
            OP_WRITE,
            f.as_raw_fd(),
            data.as_ptr() as u64,
            len as u32,
            off as u64,
            ud,
        )
    };
    r.push(&IoUringSqe {
        flags: IOSQE_IO_LINK,
        ..write(LONG, 0, 1)
    });
    r.push(&read_sqe(&bf, &mut buf, 4, 2));
    r.push(&write(4096, LONG, 3));
    r.enter(3, 0, 0);
    let writes = wait_sorted(&r, 2);
    let w = write_fd(&bf, b"abcd");
    let read = wait_sorted(&r, 1);
    Ok(format!(
        "nops {nops}; within a second: {writes:?}; then write={w} read={read:?}"
    ))
}

type Case = (&'static str, fn(Sys) -> Result<String, String>);

/// How often io_uring, the reference, may run a case whose line differs
/// from the module's, in all.
const REFERENCE_RUNS: u32 = 8;

const CASES: &[Case] = &[
    ("abi_setup_sizes_and_layout", case_setup),
    ("abi_nops_through_the_rings", case_nops),
    ("abi_cq_overflow_loses_nothing", case_overflow),
    ("abi_ext_arg_timeout", case_ext_arg_timeout),
    ("abi_register_probe", case_probe),
    ("abi_mmap_bad_offset_and_size", case_mmap),
    (
        "abi_sq_dropped_and_prep_failure",
        case_dropped_and_prep_failure,
    ),
    ("abi_timeouts_read_user_timespecs", case_timeouts),
    ("abi_iopoll_and_remove_buffers", case_iopoll),
    ("abi_timeout_abs_and_bad_flags", case_timeout_abs),
    ("abi_sqpoll_thread", case_sqpoll),
    ("abi_pipe_read_ready_armed_short", case_pipe_read),
    ("abi_pipe_poll_add_and_remove", case_pipe_poll),
    ("abi_pipe_read_cancel_timeout_async", case_pipe_cancel),
    ("abi_file_rw_vectors_and_errors", case_file_rw),
    ("abi_iowq_blocked_read_cancel", case_iowq_blocked_read),
    ("abi_iowq_max_workers", case_iowq_max_workers),
    ("abi_eventfd_poll_and_socket_read", case_eventfd_socket),
    ("abi_ring_fd_poll", case_ring_fd_poll),
    ("abi_sqpoll_files", case_sqpoll_files),
    ("abi_writes_as_the_submitter", case_writes_as_the_submitter),
    ("abi_hashed_file_writes_in_order", case_hashed_file_writes),
    (
        "abi_hashed_write_then_blocked_link",
        case_hashed_write_then_blocked_link,
    ),
    (
        "abi_own_poll_released_after_close_and_exit",
        case_own_poll_released_after_close_and_exit,
    ),
    ("abi_exec_cancels_the_task_s_requests", case_exec_cancels),
    (
        "abi_linked_file_taken_at_issue",
        case_linked_file_taken_at_issue,
    ),
    (
        "abi_linked_own_ring_released",
        case_linked_own_ring_released,
    ),
    ("abi_mmap_short_sqes_cq_offset_private", case_mmap_more),
    ("abi_ring_fd_passed_by_scm_rights", case_ring_fd_scm_rights),
    ("abi_ring_used_after_fork", case_ring_used_after_fork),
    (
        "abi_concurrent_enter_many_threads",
        case_concurrent_enter_many_threads,
    ),
    ("abi_close_during_enter", case_close_during_enter),
    ("abi_munmap_with_requests_in_flight", case_munmap_in_flight),
    (
        "abi_munmap_with_requests_in_flight_remap",
        case_munmap_in_flight_remap,
    ),
];

/// Runs every case (or those whose name contains `filter`) on both
/// backends, or on one (`only`, for debugging); KTAP; exit status for
/// kselftest.
pub(crate) fn cmd_abi(filter: Option<&str>, only: Option<&str>) -> i32 {
    let cases: Vec<&Case> = CASES
        .iter()
        .filter(|(n, _)| filter.is_none_or(|f| n.contains(f)))
        .collect();
    println!("TAP version 13");
    println!("1..{}", cases.len());
    let mut failed = 0;
    for (i, (name, case)) in cases.iter().enumerate() {
        let run = |sys: Sys| match only {
            Some(o) if o != sys.name() => Ok("(not run)".to_string()),
            _ => {
                println!("# {name} on {}", sys.name());
                case(sys)
            }
        };
        let mut a = run(Sys::Uring);
        // On a thread of its own: closing the io_uring ring queues task
        // work to the thread that used it (`io_ring_exit_work()` removes
        // its task context with `TWA_SIGNAL`), and `TIF_NOTIFY_SIGNAL` would
        // cut a module wait short there (Documentation/abi.rst).
        let b = std::thread::scope(|s| s.spawn(|| run(Sys::Module)).join())
            .unwrap_or_else(|_| Err("panicked".to_string()));
        let mut ok = matches!((&a, &b), (Ok(x), Ok(y)) if x == y);
        // io_uring is the reference, not what is tested, and on two CPUs
        // its io-wq races too (7.2 left a hashed write behind its bucket
        // holder's blocked link in two runs in a row): it runs up to
        // `REFERENCE_RUNS` times in all, and the module's one result must
        // be one io_uring gives.
        let mut runs = 1;
        while !ok && a.is_ok() && b.is_ok() && runs < REFERENCE_RUNS {
            println!(
                "# {name} io_uring: {}; run again",
                a.as_ref().unwrap_or_else(|e| e)
            );
            a = run(Sys::Uring);
            runs += 1;
            ok = matches!((&a, &b), (Ok(x), Ok(y)) if x == y);
        }
        for (sys, r) in [(Sys::Uring, &a), (Sys::Module, &b)] {
            println!(
                "# {name} {}: {}",
                sys.name(),
                r.as_ref().unwrap_or_else(|e| e)
            );
        }
        if ok {
            println!("ok {} {name}", i + 1);
        } else {
            failed += 1;
            println!("not ok {} {name}", i + 1);
        }
    }
    println!("# abi: {} passed, {failed} failed", cases.len() - failed);
    i32::from(failed != 0)
}
