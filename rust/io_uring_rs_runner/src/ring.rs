// SPDX-License-Identifier: GPL-2.0

//! The one backend: a ring driven through its mapped memory ([`RawRing`]),
//! set up on the kernel's io_uring or on `/dev/io_uring_rs` ([`Sys`]). A
//! scenario is the same entries, on the same pipes, submitted and reaped by
//! the same code twice; only the three system calls differ.
//!
//! A channel is a pipe without `O_NONBLOCK`; a read of it that would block
//! arms poll, inline and in io-wq (`IOSQE_ASYNC`) alike, as a pipe is
//! `FMODE_NOWAIT` and pollable (`io_wq_submit_work()`), so it is never a
//! request running in io-wq. An inflight channel is the file descriptor of
//! a second ring of the same kind (polling a ring's file descriptor is what
//! makes a request `REQ_F_INFLIGHT`).
//!
//! The task is a process with a file table of its own ([`Task`]): its exit
//! closes its copies of the descriptors, which is how `/dev/io_uring_rs`
//! learns of it (`->flush()`), as io_uring learns of it in `do_exit()`. Every
//! descriptor a scenario uses is therefore made before the task starts.

use crate::abi::{RawRing, Sys};
use crate::backend::{cancel_flags, invalid, ns, opcode, sqe_flags, timeout_flags, Backend};
use crate::scenario::Entry;
use crate::task::Task;
use crate::uapi::{
    IoUringParams, IoUringSqe, KernelTimespec, IORING_ASYNC_CANCEL_ANY, IORING_LINK_TIMEOUT_UPDATE,
    IORING_TIMEOUT_UPDATE,
};
use std::collections::HashMap;
use std::io;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// SQ entries of a scenario's ring (the CQ has twice as many).
const ENTRIES: u32 = 256;

fn os_err(e: i64) -> io::Error {
    io::Error::from_raw_os_error(-e as i32)
}

/// A ring of either kind, its channels and the memory its entries point to.
pub(crate) struct RingBackend {
    sys: Sys,
    ring: Option<Arc<Mutex<RawRing>>>,
    task: Task,
    pipes: HashMap<String, [OwnedFd; 2]>,
    inflight_rings: HashMap<String, RawRing>,
    /// Buffers and timespecs the kernel may still use. Each is boxed: the
    /// kernel holds its address, which must not move when the list grows.
    keep: Vec<Box<[u8]>>,
    #[allow(clippy::vec_box)]
    specs: Vec<Box<KernelTimespec>>,
}

impl RingBackend {
    /// Sets up a ring on `sys` and makes the channels named in `channels`;
    /// those also named in `inflight` are rings, the others pipes.
    pub(crate) fn open(sys: Sys, channels: &[String], inflight: &[String]) -> io::Result<Self> {
        let ring = RawRing::new(sys, ENTRIES, IoUringParams::default()).map_err(os_err)?;
        let mut pipes = HashMap::new();
        let mut inflight_rings = HashMap::new();
        for name in channels.iter().chain(inflight) {
            if inflight.contains(name) {
                if !inflight_rings.contains_key(name) {
                    let r = RawRing::new(sys, 4, IoUringParams::default()).map_err(os_err)?;
                    inflight_rings.insert(name.clone(), r);
                }
            } else if !pipes.contains_key(name) {
                let p = crate::abi::pipe().map_err(io::Error::other)?;
                pipes.insert(name.clone(), p);
            }
        }
        Ok(RingBackend {
            sys,
            ring: Some(Arc::new(Mutex::new(ring))),
            task: Task::start(),
            pipes,
            inflight_rings,
            keep: Vec::new(),
            specs: Vec::new(),
        })
    }

    fn ring(&self) -> io::Result<&Arc<Mutex<RawRing>>> {
        self.ring
            .as_ref()
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotConnected, "ring closed"))
    }

    fn chan_fd(&self, name: &str, write_end: bool) -> io::Result<RawFd> {
        if let Some(r) = self.inflight_rings.get(name) {
            return Ok(r.raw_fd());
        }
        match self.pipes.get(name) {
            Some([rd, wr]) => Ok(if write_end {
                wr.as_raw_fd()
            } else {
                rd.as_raw_fd()
            }),
            None => Err(invalid(format!(
                "channel {name} was not made before the task started"
            ))),
        }
    }

    fn timespec(&mut self, e: &Entry) -> u64 {
        let ns = ns(e);
        let ts = Box::new(KernelTimespec {
            tv_sec: (ns / 1_000_000_000) as i64,
            tv_nsec: (ns % 1_000_000_000) as i64,
        });
        let p = &*ts as *const KernelTimespec as u64;
        self.specs.push(ts);
        p
    }

    fn buffer(&mut self, len: u32) -> u64 {
        let mut b = vec![0u8; len.max(1) as usize].into_boxed_slice();
        let p = b.as_mut_ptr() as u64;
        self.keep.push(b);
        p
    }

    /// The entry for `e`, as liburing's `io_uring_prep_*()` fill it.
    fn sqe(&mut self, e: &Entry) -> io::Result<IoUringSqe> {
        let len = e.len.unwrap_or(0);
        let target = e.target.unwrap_or(0);
        let chan = e.chan.as_deref().unwrap_or("");
        let mut s = IoUringSqe {
            opcode: opcode(e)?,
            flags: sqe_flags(e)?,
            ioprio: e.ioprio.unwrap_or(0),
            fd: -1,
            user_data: e.user_data,
            ..IoUringSqe::default()
        };
        match e.op.as_str() {
            "read" | "write" => {
                s.fd = self.chan_fd(chan, e.op == "write")?;
                s.addr = self.buffer(len);
                s.len = len;
            }
            "poll" => {
                s.fd = self.chan_fd(chan, false)?;
                s.op_flags = libc::POLLIN as u32;
            }
            "timeout" => {
                s.addr = self.timespec(e);
                s.len = 1;
                s.off = u64::from(e.count.unwrap_or(0));
                s.op_flags = timeout_flags(e)?;
            }
            "link_timeout" => {
                s.addr = self.timespec(e);
                s.len = 1;
            }
            "timeout_remove" => s.addr = target,
            "timeout_update" | "link_timeout_update" => {
                s.addr = target;
                s.off = self.timespec(e);
                s.op_flags = IORING_TIMEOUT_UPDATE;
                if e.op == "link_timeout_update" {
                    s.op_flags |= IORING_LINK_TIMEOUT_UPDATE;
                }
            }
            "cancel" => {
                s.op_flags = cancel_flags(e)?;
                if s.op_flags & IORING_ASYNC_CANCEL_ANY == 0 {
                    s.addr = target;
                }
            }
            _ => {}
        }
        Ok(s)
    }
}

impl Backend for RingBackend {
    fn name(&self) -> &'static str {
        self.sys.name()
    }

    fn submit(&mut self, entries: &[Entry]) -> io::Result<usize> {
        let sqes = entries
            .iter()
            .map(|e| self.sqe(e))
            .collect::<io::Result<Vec<_>>>()?;
        let ring = self.ring()?.clone();
        self.task.run(move || {
            let mut r = ring.lock().unwrap_or_else(|e| e.into_inner());
            for s in &sqes {
                r.push(s);
            }
            let n = r.enter(sqes.len() as u32, 0, 0);
            if n < 0 {
                Err(os_err(n))
            } else {
                Ok(n as usize)
            }
        })
    }

    fn write(&mut self, chan: &str, len: u32) -> io::Result<()> {
        let fd = self.chan_fd(chan, true)?;
        let buf = vec![0u8; len as usize];
        // SAFETY: `buf` holds `len` bytes.
        if unsafe { libc::write(fd, buf.as_ptr().cast(), buf.len()) } < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    fn reap(&mut self, min: usize, timeout: Duration) -> io::Result<Vec<(u64, i32)>> {
        let ring = self.ring()?.clone();
        let r = ring.lock().unwrap_or_else(|e| e.into_inner());
        let n = r.wait(min as u32, timeout);
        if n < 0 && n != -i64::from(libc::ETIME) && n != -i64::from(libc::EINTR) {
            return Err(os_err(n));
        }
        Ok(r.reap())
    }

    fn cancel_task(&mut self, all: bool) -> io::Result<()> {
        if all {
            // Exec: io_uring_task_cancel() cancels everything the task has
            // in flight before the new program starts.
            return self.task.exec();
        }
        // Task exit: io_uring_files_cancel() cancels the task's inflight
        // requests as it exits.
        self.task.exit();
        Ok(())
    }

    fn close(&mut self) {
        self.task.exit();
        self.ring = None;
    }

    fn task_switches(&mut self) -> (u64, u64) {
        // The task thread's own counts: `RUSAGE_SELF` would add the
        // thread that waits for the completions.
        self.task.run(|| {
            // SAFETY: `getrusage()` fills the zeroed `rusage` it is given.
            let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
            // SAFETY: `ru` is a valid out-pointer.
            unsafe { libc::getrusage(libc::RUSAGE_THREAD, &mut ru) };
            (ru.ru_nvcsw as u64, ru.ru_nivcsw as u64)
        })
    }
}
