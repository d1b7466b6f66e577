// SPDX-License-Identifier: GPL-2.0

//! The user-space ABI of `/dev/io_uring_rs`: the ioctls that stand for
//! io_uring's three system calls, two of the device's own, and the layouts
//! of io_uring's ABI they carry.
//!
//! Shared, by path, between the module and the user-space runner, so it uses
//! nothing but `core`. `include/uapi/io_uring_rs.h` is the same ABI for C;
//! a host test checks that the two agree field by field.
//!
//! An `open()` of the device becomes a ring with `IO_URING_RS_IOC_SETUP`;
//! closing its last file descriptor exits the ring (everything pending is
//! cancelled).
#![allow(dead_code)]

/// ABI version reported by [`IO_URING_RS_IOC_VERSION`]: 2 is the ring ABI
/// alone (1 had the batch ioctls and channels).
pub(crate) const IO_URING_RS_VERSION: u32 = 2;

/// Feature: linked timeouts, including `IORING_LINK_TIMEOUT_UPDATE`.
pub(crate) const IO_URING_RS_FEAT_LINK_TIMEOUT: u32 = 1 << 1;
/// Feature: `IOSQE_IO_DRAIN`.
pub(crate) const IO_URING_RS_FEAT_DRAIN: u32 = 1 << 2;

/// [`IO_URING_RS_IOC_VERSION`]: what this module implements.
#[repr(C)]
#[derive(Clone, Copy, Default, Debug)]
pub(crate) struct IoUringRsVersion {
    /// [`IO_URING_RS_VERSION`].
    pub(crate) version: u32,
    /// `IO_URING_RS_FEAT_*`.
    pub(crate) features: u32,
    /// `sizeof(struct io_uring_sqe)`, 64.
    pub(crate) sqe_size: u32,
    /// `sizeof(struct io_uring_cqe)`, 16.
    pub(crate) cqe_size: u32,
    /// [`IO_URING_RS_MAX_ENTRIES`].
    pub(crate) max_submit: u32,
    /// [`IO_URING_RS_MAX_CQ_ENTRIES`].
    pub(crate) max_cqes: u32,
    /// Zero.
    pub(crate) resv: [u32; 2],
}

/// [`IO_URING_RS_IOC_STATS`]: module-wide ring accounting, so that user
/// space can tell when every ring's exit has finished.
#[repr(C)]
#[derive(Clone, Copy, Default, Debug)]
pub(crate) struct IoUringRsStats {
    /// Rings whose exit has not finished: those of open files (a file has
    /// one once set up) and closed ones still exiting.
    pub(crate) rings: u32,
    /// Closed rings whose exit has not finished.
    pub(crate) exiting: u32,
    /// Ring exits finished since the module was loaded.
    pub(crate) exits: u64,
    /// Exits that printed the slow-exit warning.
    pub(crate) slow_exits: u32,
    /// The longest ring exit so far, in milliseconds.
    pub(crate) max_exit_ms: u32,
}

/// The largest SQ ring (`IORING_MAX_ENTRIES`).
pub(crate) const IO_URING_RS_MAX_ENTRIES: u32 = 32768;
/// The largest CQ ring (`IORING_MAX_CQ_ENTRIES`).
pub(crate) const IO_URING_RS_MAX_CQ_ENTRIES: u32 = 65536;

const IOC_NRBITS: u32 = 8;
const IOC_TYPEBITS: u32 = 8;
const IOC_SIZEBITS: u32 = 14;
const IOC_NRSHIFT: u32 = 0;
const IOC_TYPESHIFT: u32 = IOC_NRSHIFT + IOC_NRBITS;
const IOC_SIZESHIFT: u32 = IOC_TYPESHIFT + IOC_TYPEBITS;
const IOC_DIRSHIFT: u32 = IOC_SIZESHIFT + IOC_SIZEBITS;
const IOC_WRITE: u32 = 1;
const IOC_READ: u32 = 2;

const fn ioc(dir: u32, nr: u32, size: usize) -> u32 {
    (dir << IOC_DIRSHIFT)
        | ((b'U' as u32) << IOC_TYPESHIFT)
        | (nr << IOC_NRSHIFT)
        | ((size as u32) << IOC_SIZESHIFT)
}

/// `_IOR('U', 0, struct io_uring_rs_version)`.
pub(crate) const IO_URING_RS_IOC_VERSION: u32 =
    ioc(IOC_READ, 0, core::mem::size_of::<IoUringRsVersion>());
// Numbers 1 to 5 belonged to the batch ioctls of ABI version 1.
/// `_IOR('U', 6, struct io_uring_rs_stats)`.
pub(crate) const IO_URING_RS_IOC_STATS: u32 =
    ioc(IOC_READ, 6, core::mem::size_of::<IoUringRsStats>());

/// `_IO('U', 7)`: a new file whose reads block until it is written, with
/// no `->poll()` and no `FMODE_NOWAIT` (`[io_uring_rs_block]`, made by the
/// C shim); returns its descriptor. A read of it runs in io-wq on io_uring
/// and on the module alike, and only a cancel that interrupts the worker
/// ends it: the tests' and benchmarks' request blocked in io-wq.
pub(crate) const IO_URING_RS_IOC_BLOCKFD: u32 = ioc(0, 7, 0);

/// [`IO_URING_RS_IOC_SETUP`]: `io_uring_setup(entries, params)` on the
/// opened file, which becomes the ring; once per file.
#[repr(C)]
#[derive(Clone, Copy, Default, Debug)]
pub(crate) struct IoUringRsSetup {
    /// The SQ size asked for, as `io_uring_setup()`'s first argument.
    pub(crate) entries: u32,
    /// Must be 0.
    pub(crate) resv: u32,
    /// User address of a `struct io_uring_params`, read and written back.
    pub(crate) params: u64,
}

/// [`IO_URING_RS_IOC_ENTER`]: `io_uring_enter()`'s arguments after the fd.
#[repr(C)]
#[derive(Clone, Copy, Default, Debug)]
pub(crate) struct IoUringRsEnter {
    /// Entries to submit from the SQ ring.
    pub(crate) to_submit: u32,
    /// Completions to wait for with `IORING_ENTER_GETEVENTS`.
    pub(crate) min_complete: u32,
    /// `IORING_ENTER_*`.
    pub(crate) flags: u32,
    /// Must be 0.
    pub(crate) resv: u32,
    /// A `sigset_t` or, with `IORING_ENTER_EXT_ARG`, a `struct
    /// io_uring_getevents_arg`.
    pub(crate) arg: u64,
    /// The size of what `arg` points to.
    pub(crate) argsz: u64,
}

/// [`IO_URING_RS_IOC_REGISTER`]: `io_uring_register()`'s arguments after
/// the fd.
#[repr(C)]
#[derive(Clone, Copy, Default, Debug)]
pub(crate) struct IoUringRsRegister {
    /// `IORING_REGISTER_*`.
    pub(crate) opcode: u32,
    /// Number of arguments at `arg`.
    pub(crate) nr_args: u32,
    /// User address of the arguments.
    pub(crate) arg: u64,
}

/// `_IOW('U', 16, struct io_uring_rs_setup)`.
pub(crate) const IO_URING_RS_IOC_SETUP: u32 =
    ioc(IOC_WRITE, 16, core::mem::size_of::<IoUringRsSetup>());
/// `_IOW('U', 17, struct io_uring_rs_enter)`.
pub(crate) const IO_URING_RS_IOC_ENTER: u32 =
    ioc(IOC_WRITE, 17, core::mem::size_of::<IoUringRsEnter>());
/// `_IOW('U', 18, struct io_uring_rs_register)`.
pub(crate) const IO_URING_RS_IOC_REGISTER: u32 =
    ioc(IOC_WRITE, 18, core::mem::size_of::<IoUringRsRegister>());

/// `struct iovec`: a user buffer of READV and WRITEV, and the one buffer
/// of READ and WRITE once imported.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct IoVec {
    /// `iov_base`: a user address.
    pub(crate) base: u64,
    /// `iov_len`.
    pub(crate) len: u64,
}

/// `struct io_uring_sqe` of `<linux/io_uring.h>`: the ring ABI's submission
/// entry (64 bytes), with the union members the core reads named by their
/// first meaning (`off` is also `addr2`, `op_flags` every `*_flags`).
#[repr(C)]
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
pub(crate) struct IoUringSqe {
    /// `IORING_OP_*`.
    pub(crate) opcode: u8,
    /// `IOSQE_*`.
    pub(crate) flags: u8,
    /// `ioprio`.
    pub(crate) ioprio: u16,
    /// The file descriptor.
    pub(crate) fd: i32,
    /// `off`, or `addr2`.
    pub(crate) off: u64,
    /// `addr`.
    pub(crate) addr: u64,
    /// `len`.
    pub(crate) len: u32,
    /// `rw_flags`, `poll32_events`, `timeout_flags`, `cancel_flags`, ...
    pub(crate) op_flags: u32,
    /// Returned in the completion.
    pub(crate) user_data: u64,
    /// `buf_index`.
    pub(crate) buf_index: u16,
    /// `personality`.
    pub(crate) personality: u16,
    /// `splice_fd_in`, `file_index`.
    pub(crate) splice_fd_in: u32,
    /// `addr3`.
    pub(crate) addr3: u64,
    /// `__pad2[0]`.
    pub(crate) pad2: u64,
}

/// `struct io_uring_cqe` (16 bytes).
#[repr(C)]
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
pub(crate) struct IoUringCqe {
    /// The request's `user_data`.
    pub(crate) user_data: u64,
    /// Result or negative errno.
    pub(crate) res: i32,
    /// `IORING_CQE_F_*`.
    pub(crate) flags: u32,
}

/// `struct io_sqring_offsets`.
#[repr(C)]
#[derive(Clone, Copy, Default, Debug)]
pub(crate) struct IoSqringOffsets {
    pub(crate) head: u32,
    pub(crate) tail: u32,
    pub(crate) ring_mask: u32,
    pub(crate) ring_entries: u32,
    pub(crate) flags: u32,
    pub(crate) dropped: u32,
    pub(crate) array: u32,
    pub(crate) resv1: u32,
    pub(crate) user_addr: u64,
}

/// `struct io_cqring_offsets`.
#[repr(C)]
#[derive(Clone, Copy, Default, Debug)]
pub(crate) struct IoCqringOffsets {
    pub(crate) head: u32,
    pub(crate) tail: u32,
    pub(crate) ring_mask: u32,
    pub(crate) ring_entries: u32,
    pub(crate) overflow: u32,
    pub(crate) cqes: u32,
    pub(crate) flags: u32,
    pub(crate) resv1: u32,
    pub(crate) user_addr: u64,
}

/// `struct io_uring_params` (120 bytes).
#[repr(C)]
#[derive(Clone, Copy, Default, Debug)]
pub(crate) struct IoUringParams {
    pub(crate) sq_entries: u32,
    pub(crate) cq_entries: u32,
    pub(crate) flags: u32,
    pub(crate) sq_thread_cpu: u32,
    pub(crate) sq_thread_idle: u32,
    pub(crate) features: u32,
    pub(crate) wq_fd: u32,
    pub(crate) resv: [u32; 3],
    pub(crate) sq_off: IoSqringOffsets,
    pub(crate) cq_off: IoCqringOffsets,
}

/// `struct io_uring_getevents_arg` (`IORING_ENTER_EXT_ARG`).
#[repr(C)]
#[derive(Clone, Copy, Default, Debug)]
pub(crate) struct IoUringGeteventsArg {
    pub(crate) sigmask: u64,
    pub(crate) sigmask_sz: u32,
    pub(crate) min_wait_usec: u32,
    pub(crate) ts: u64,
}

/// `struct __kernel_timespec`.
#[repr(C)]
#[derive(Clone, Copy, Default, Debug)]
pub(crate) struct KernelTimespec {
    pub(crate) tv_sec: i64,
    pub(crate) tv_nsec: i64,
}

/// `struct io_uring_probe` without its trailing ops (16 bytes).
#[repr(C)]
#[derive(Clone, Copy, Default, Debug)]
pub(crate) struct IoUringProbe {
    pub(crate) last_op: u8,
    pub(crate) ops_len: u8,
    pub(crate) resv: u16,
    pub(crate) resv2: [u32; 3],
}

/// `struct io_uring_probe_op` (8 bytes).
#[repr(C)]
#[derive(Clone, Copy, Default, Debug)]
pub(crate) struct IoUringProbeOp {
    pub(crate) op: u8,
    pub(crate) resv: u8,
    pub(crate) flags: u16,
    pub(crate) resv2: u32,
}

/// `IO_URING_OP_SUPPORTED`.
pub(crate) const IO_URING_OP_SUPPORTED: u16 = 1 << 0;

/// `IORING_OFF_SQ_RING`.
pub(crate) const IORING_OFF_SQ_RING: u64 = 0;
/// `IORING_OFF_CQ_RING`.
pub(crate) const IORING_OFF_CQ_RING: u64 = 0x800_0000;
/// `IORING_OFF_SQES`.
pub(crate) const IORING_OFF_SQES: u64 = 0x1000_0000;
/// `IORING_OFF_MMAP_MASK`: the bits of an `mmap()` offset that select the
/// region.
pub(crate) const IORING_OFF_MMAP_MASK: u64 = 0xf800_0000;

/// `IORING_SETUP_*` of Linux 6.12.
pub(crate) const IORING_SETUP_IOPOLL: u32 = 1 << 0;
pub(crate) const IORING_SETUP_SQPOLL: u32 = 1 << 1;
pub(crate) const IORING_SETUP_SQ_AFF: u32 = 1 << 2;
pub(crate) const IORING_SETUP_CQSIZE: u32 = 1 << 3;
pub(crate) const IORING_SETUP_CLAMP: u32 = 1 << 4;
pub(crate) const IORING_SETUP_ATTACH_WQ: u32 = 1 << 5;
pub(crate) const IORING_SETUP_R_DISABLED: u32 = 1 << 6;
pub(crate) const IORING_SETUP_SUBMIT_ALL: u32 = 1 << 7;
pub(crate) const IORING_SETUP_COOP_TASKRUN: u32 = 1 << 8;
pub(crate) const IORING_SETUP_TASKRUN_FLAG: u32 = 1 << 9;
pub(crate) const IORING_SETUP_SQE128: u32 = 1 << 10;
pub(crate) const IORING_SETUP_CQE32: u32 = 1 << 11;
pub(crate) const IORING_SETUP_SINGLE_ISSUER: u32 = 1 << 12;
pub(crate) const IORING_SETUP_DEFER_TASKRUN: u32 = 1 << 13;
pub(crate) const IORING_SETUP_NO_MMAP: u32 = 1 << 14;
pub(crate) const IORING_SETUP_REGISTERED_FD_ONLY: u32 = 1 << 15;
pub(crate) const IORING_SETUP_NO_SQARRAY: u32 = 1 << 16;

/// `IORING_ENTER_*` of Linux 6.12.
pub(crate) const IORING_ENTER_GETEVENTS: u32 = 1 << 0;
pub(crate) const IORING_ENTER_SQ_WAKEUP: u32 = 1 << 1;
pub(crate) const IORING_ENTER_SQ_WAIT: u32 = 1 << 2;
pub(crate) const IORING_ENTER_EXT_ARG: u32 = 1 << 3;
pub(crate) const IORING_ENTER_REGISTERED_RING: u32 = 1 << 4;
pub(crate) const IORING_ENTER_ABS_TIMER: u32 = 1 << 5;

/// `IORING_SQ_*` (the SQ ring's `flags`).
pub(crate) const IORING_SQ_NEED_WAKEUP: u32 = 1 << 0;
pub(crate) const IORING_SQ_CQ_OVERFLOW: u32 = 1 << 1;

/// `IORING_FEAT_*` this module implements.
pub(crate) const IORING_FEAT_SINGLE_MMAP: u32 = 1 << 0;
pub(crate) const IORING_FEAT_NODROP: u32 = 1 << 1;
pub(crate) const IORING_FEAT_SUBMIT_STABLE: u32 = 1 << 2;
pub(crate) const IORING_FEAT_RW_CUR_POS: u32 = 1 << 3;
pub(crate) const IORING_FEAT_FAST_POLL: u32 = 1 << 5;
pub(crate) const IORING_FEAT_POLL_32BITS: u32 = 1 << 6;
pub(crate) const IORING_FEAT_SQPOLL_NONFIXED: u32 = 1 << 7;
pub(crate) const IORING_FEAT_EXT_ARG: u32 = 1 << 8;
pub(crate) const IORING_FEAT_CQE_SKIP: u32 = 1 << 11;
pub(crate) const IORING_FEAT_LINKED_FILE: u32 = 1 << 12;

/// `IORING_REGISTER_PROBE`.
pub(crate) const IORING_REGISTER_PROBE: u32 = 8;
/// `IORING_REGISTER_IOWQ_MAX_WORKERS`.
pub(crate) const IORING_REGISTER_IOWQ_MAX_WORKERS: u32 = 19;

/// `IORING_TIMEOUT_UPDATE` (TIMEOUT_REMOVE).
pub(crate) const IORING_TIMEOUT_UPDATE: u32 = 1 << 1;
/// `IORING_LINK_TIMEOUT_UPDATE` (TIMEOUT_REMOVE).
pub(crate) const IORING_LINK_TIMEOUT_UPDATE: u32 = 1 << 4;
/// `IORING_TIMEOUT_ETIME_SUCCESS` (TIMEOUT).
pub(crate) const IORING_TIMEOUT_ETIME_SUCCESS: u32 = 1 << 5;
/// `IORING_ASYNC_CANCEL_ALL`.
pub(crate) const IORING_ASYNC_CANCEL_ALL: u32 = 1 << 0;
/// `IORING_ASYNC_CANCEL_ANY`.
pub(crate) const IORING_ASYNC_CANCEL_ANY: u32 = 1 << 2;
/// `IORING_ASYNC_CANCEL_USERDATA`: match on `user_data`, which is what a
/// cancel without `ANY` does anyway (`io_cancel_req_match()`).
pub(crate) const IORING_ASYNC_CANCEL_USERDATA: u32 = 1 << 4;

/// `IORING_MAX_ENTRIES`.
pub(crate) const IORING_MAX_ENTRIES: u32 = 32768;
/// `IORING_MAX_CQ_ENTRIES`.
pub(crate) const IORING_MAX_CQ_ENTRIES: u32 = 2 * IORING_MAX_ENTRIES;
