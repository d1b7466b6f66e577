// SPDX-License-Identifier: GPL-2.0

//! `io_uring_rs_scenarios abi`: the ring ABI, compared. Every case runs on
//! the kernel's io_uring (the system calls) and on `/dev/io_uring_rs` (the
//! ioctls that stand for them), through the same raw ring code below: the
//! memory layout user space sees (sizes, offsets, flags), submission through
//! the mapped SQ ring, completion through the mapped CQ ring, CQ overflow,
//! waits with a timeout, the probe and the errors of bad input must agree.
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
    fn name(self) -> &'static str {
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
        match self {
            // SAFETY: The kernel checks every argument.
            Sys::Uring => ret(unsafe {
                libc::syscall(
                    libc::SYS_io_uring_enter,
                    fd.as_raw_fd(),
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
                ret(unsafe { libc::ioctl(fd.as_raw_fd(), IO_URING_RS_IOC_ENTER as _, &e) }.into())
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
        // SAFETY: A fresh shared mapping of the ring's descriptor; the
        // kernel checks offset and length.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED | libc::MAP_POPULATE,
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
        let rings_len = (p.sq_off.array + 4 * p.sq_entries).max(p.cq_off.cqes + 16 * p.cq_entries);
        let rings = Map::new(&fd, IORING_OFF_SQ_RING, rings_len as usize)?;
        let sqes = Map::new(&fd, IORING_OFF_SQES, 64 * p.sq_entries as usize)?;
        Ok(RawRing {
            sys,
            fd,
            p,
            rings,
            sqes,
            sqe_tail: 0,
        })
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

    pub(crate) fn sq_flags(&self) -> u32 {
        self.rings.u32(self.p.sq_off.flags).load(Acquire)
    }

    fn word(&self, off: u32) -> u32 {
        self.rings.u32(off).load(Acquire)
    }
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
    let first = r.reap();
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

type Case = (&'static str, fn(Sys) -> Result<String, String>);

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
        let a = run(Sys::Uring);
        let b = run(Sys::Module);
        let ok = matches!((&a, &b), (Ok(x), Ok(y)) if x == y);
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
