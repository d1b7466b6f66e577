// SPDX-License-Identifier: GPL-2.0

//! The real io_uring backend: the `io-uring` crate on pipes.
//!
//! A channel is a blocking pipe (so that `IOSQE_ASYNC` reads block in
//! io-wq, and inline reads arm poll, as for any pipe); an inflight channel
//! is the file descriptor of a second ring (polling an io_uring file
//! descriptor is what makes a request `REQ_F_INFLIGHT`).

use crate::backend::{cancel_flags, ns, opcode, sqe_flags, timeout_flags, Backend};
use crate::scenario::Entry;
use crate::task::Task;
use io_uring::{opcode as op, squeue, types, IoUring};
use std::collections::HashMap;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The ring and the lock that serialises access to its queues.
struct Ring {
    uring: IoUring,
    queues: Mutex<()>,
}

/// A real io_uring ring.
pub(crate) struct UringBackend {
    ring: Option<Arc<Ring>>,
    task: Task,
    pipes: HashMap<String, (OwnedFd, OwnedFd)>,
    inflight: Vec<String>,
    inflight_rings: HashMap<String, IoUring>,
    /// Buffers and timespecs the kernel may still use. Each is boxed: the
    /// kernel holds its address, which must not move when the list grows.
    keep: Vec<Box<[u8]>>,
    #[allow(clippy::vec_box)]
    specs: Vec<Box<types::Timespec>>,
}

fn pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0 as RawFd; 2];
    // SAFETY: `fds` has room for the two descriptors `pipe2` writes.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `pipe2` succeeded: both are new descriptors we own.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// An entry with the raw bytes changed by `f` (an invalid opcode, a
/// non-zero `ioprio`): the crate's builders only make valid entries.
fn patch(e: squeue::Entry, f: impl FnOnce(&mut [u8; 64])) -> squeue::Entry {
    // SAFETY: `squeue::Entry` is `repr(C)` around the 64-byte
    // `io_uring_sqe`, which is plain integers: any bytes are a valid value.
    let mut raw: [u8; 64] = unsafe { std::mem::transmute(e) };
    f(&mut raw);
    // SAFETY: As above.
    unsafe { std::mem::transmute(raw) }
}

impl UringBackend {
    /// Sets up a ring; `inflight` names the channels that stand for an
    /// io_uring file descriptor; with `exec` the task is a process that
    /// can exec (see [`Task::start_process`]).
    pub(crate) fn open(inflight: &[String], exec: bool) -> io::Result<Self> {
        Ok(UringBackend {
            ring: Some(Arc::new(Ring {
                uring: IoUring::new(256)?,
                queues: Mutex::new(()),
            })),
            task: if exec {
                Task::start_process()
            } else {
                Task::start()
            },
            pipes: HashMap::new(),
            inflight: inflight.to_vec(),
            inflight_rings: HashMap::new(),
            keep: Vec::new(),
            specs: Vec::new(),
        })
    }

    fn ring(&self) -> io::Result<&Arc<Ring>> {
        self.ring
            .as_ref()
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotConnected, "ring closed"))
    }

    fn chan_fd(&mut self, name: &str, write_end: bool) -> io::Result<RawFd> {
        if self.inflight.iter().any(|n| n == name) {
            if !self.inflight_rings.contains_key(name) {
                self.inflight_rings
                    .insert(name.to_string(), IoUring::new(4)?);
            }
            return Ok(self.inflight_rings[name].as_raw_fd());
        }
        if !self.pipes.contains_key(name) {
            self.pipes.insert(name.to_string(), pipe()?);
        }
        let (rd, wr) = &self.pipes[name];
        Ok(if write_end {
            wr.as_raw_fd()
        } else {
            rd.as_raw_fd()
        })
    }

    fn timespec(&mut self, e: &Entry) -> *const types::Timespec {
        let ns = ns(e);
        let ts = Box::new(
            types::Timespec::new()
                .sec(ns / 1_000_000_000)
                .nsec((ns % 1_000_000_000) as u32),
        );
        let p: *const types::Timespec = &*ts;
        self.specs.push(ts);
        p
    }

    fn buffer(&mut self, len: u32) -> *mut u8 {
        let mut b = vec![0u8; len.max(1) as usize].into_boxed_slice();
        let p = b.as_mut_ptr();
        self.keep.push(b);
        p
    }

    /// The entry for `e`.
    fn entry(&mut self, e: &Entry) -> io::Result<squeue::Entry> {
        let len = e.len.unwrap_or(0);
        let target = e.target.unwrap_or(0);
        let entry = match e.op.as_str() {
            "nop" => op::Nop::new().build(),
            "read" => {
                let fd = self.chan_fd(e.chan.as_deref().unwrap_or(""), false)?;
                let buf = self.buffer(len);
                op::Read::new(types::Fd(fd), buf, len).build()
            }
            "write" => {
                let fd = self.chan_fd(e.chan.as_deref().unwrap_or(""), true)?;
                let buf = self.buffer(len);
                op::Write::new(types::Fd(fd), buf, len).build()
            }
            "poll" => {
                let fd = self.chan_fd(e.chan.as_deref().unwrap_or(""), false)?;
                op::PollAdd::new(types::Fd(fd), libc::POLLIN as u32).build()
            }
            "timeout" => {
                let ts = self.timespec(e);
                op::Timeout::new(ts)
                    .count(e.count.unwrap_or(0))
                    .flags(types::TimeoutFlags::from_bits_retain(timeout_flags(e)?))
                    .build()
            }
            "link_timeout" => op::LinkTimeout::new(self.timespec(e)).build(),
            "timeout_remove" => op::TimeoutRemove::new(target).build(),
            "timeout_update" => op::TimeoutUpdate::new(target, self.timespec(e)).build(),
            "link_timeout_update" => op::TimeoutUpdate::new(target, self.timespec(e))
                .flags(types::TimeoutFlags::LINK_TIMEOUT_UPDATE)
                .build(),
            "cancel" => {
                let flags = cancel_flags(e)?;
                if flags == 0 {
                    op::AsyncCancel::new(target).build()
                } else if flags & (1 << 3) != 0 {
                    op::AsyncCancel2::new(types::CancelBuilder::any()).build()
                } else {
                    op::AsyncCancel2::new(types::CancelBuilder::user_data(target).all()).build()
                }
            }
            "raw" => {
                let code = opcode(e)?;
                patch(op::Nop::new().build(), |raw| raw[0] = code)
            }
            other => return Err(crate::backend::invalid(format!("unknown op {other}"))),
        };
        let mut entry = entry
            .flags(squeue::Flags::from_bits_retain(sqe_flags(e)?))
            .user_data(e.user_data);
        if let Some(p) = e.ioprio {
            entry = patch(entry, |raw| raw[2..4].copy_from_slice(&p.to_ne_bytes()));
        }
        Ok(entry)
    }
}

impl Backend for UringBackend {
    fn name(&self) -> &'static str {
        "io_uring"
    }

    fn submit(&mut self, entries: &[Entry]) -> io::Result<usize> {
        let sqes = entries
            .iter()
            .map(|e| self.entry(e))
            .collect::<io::Result<Vec<_>>>()?;
        let ring = self.ring()?.clone();
        self.task.run(move || {
            let _q = ring.queues.lock().unwrap_or_else(|e| e.into_inner());
            {
                // SAFETY: `queues` is held: no other access to the SQ.
                let mut sq = unsafe { ring.uring.submission_shared() };
                for e in &sqes {
                    // SAFETY: buffers and timespecs stay alive in the
                    // backend until the ring is closed.
                    unsafe { sq.push(e) }.map_err(|_| io::Error::other("SQ full"))?;
                }
            }
            ring.uring.submit()
        })
    }

    fn write(&mut self, chan: &str, len: u32) -> io::Result<()> {
        let fd = self.chan_fd(chan, true)?;
        let buf = vec![0u8; len as usize];
        // SAFETY: `buf` holds `len` bytes.
        let n = unsafe { libc::write(fd, buf.as_ptr().cast(), buf.len()) };
        if n < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    fn reap(&mut self, min: usize, timeout: Duration) -> io::Result<Vec<(u64, i32)>> {
        let ring = self.ring()?.clone();
        let _q = ring.queues.lock().unwrap_or_else(|e| e.into_inner());
        let ts = types::Timespec::from(timeout);
        let args = types::SubmitArgs::new().timespec(&ts);
        match ring.uring.submitter().submit_with_args(min, &args) {
            Ok(_) => {}
            Err(e) if e.raw_os_error() == Some(libc::ETIME) => {}
            Err(e) if e.raw_os_error() == Some(libc::EINTR) => {}
            Err(e) => return Err(e),
        }
        // SAFETY: `queues` is held: no other access to the CQ.
        let cq = unsafe { ring.uring.completion_shared() };
        Ok(cq.map(|c| (c.user_data(), c.result())).collect())
    }

    fn cancel_task(&mut self, all: bool) -> io::Result<()> {
        if all {
            // Exec: io_uring_task_cancel() cancels everything the task has
            // in flight before the new program starts.
            return self.task.exec();
        }
        // Task exit: io_uring_files_cancel() cancels the task's inflight
        // requests as the thread exits.
        self.task.exit();
        Ok(())
    }

    fn close(&mut self) {
        self.task.exit();
        self.ring = None;
    }
}
