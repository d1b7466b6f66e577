// SPDX-License-Identifier: GPL-2.0

//! The io_uring_rs backend: `/dev/io_uring_rs` through its ioctls.

use crate::backend::{cancel_flags, invalid, ns, opcode, sqe_flags, timeout_flags, Backend};
use crate::scenario::Entry;
use crate::task::Task;
use crate::uapi::*;
use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::time::Duration;

/// The device node.
pub(crate) const DEVICE: &str = "/dev/io_uring_rs";

/// Issues `cmd` with `arg` on `fd`.
pub(crate) fn ioctl<T>(fd: &File, cmd: u32, arg: &mut T) -> io::Result<i64> {
    // SAFETY: every io_uring_rs ioctl takes a pointer to the `repr(C)`
    // struct its number encodes, which `arg` is, alive for the call.
    let ret = unsafe { libc::ioctl(fd.as_raw_fd(), cmd as _, arg as *mut T) };
    if ret < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(i64::from(ret))
    }
}

/// A ring of the module.
pub(crate) struct ModuleBackend {
    dev: Option<Arc<File>>,
    task: Task,
    chans: HashMap<String, u32>,
    inflight: Vec<String>,
}

impl ModuleBackend {
    /// Opens a new ring; `inflight` names the channels that stand for an
    /// io_uring file descriptor.
    pub(crate) fn open(inflight: &[String]) -> io::Result<Self> {
        let dev = OpenOptions::new().read(true).write(true).open(DEVICE)?;
        Ok(ModuleBackend {
            dev: Some(Arc::new(dev)),
            task: Task::start(),
            chans: HashMap::new(),
            inflight: inflight.to_vec(),
        })
    }

    fn dev(&self) -> io::Result<&Arc<File>> {
        self.dev
            .as_ref()
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotConnected, "ring closed"))
    }

    fn chan(&mut self, name: &str) -> io::Result<u32> {
        if let Some(fd) = self.chans.get(name) {
            return Ok(*fd);
        }
        let mut c = IoUringRsChannel {
            flags: if self.inflight.iter().any(|n| n == name) {
                IO_URING_RS_CHANNEL_INFLIGHT
            } else {
                0
            },
            fd: 0,
        };
        ioctl(self.dev()?, IO_URING_RS_IOC_CHANNEL, &mut c)?;
        self.chans.insert(name.to_string(), c.fd);
        Ok(c.fd)
    }

    /// The raw entry for `e`.
    pub(crate) fn sqe(&mut self, e: &Entry) -> io::Result<IoUringRsSqe> {
        let mut s = IoUringRsSqe {
            opcode: opcode(e)?,
            flags: sqe_flags(e)?,
            ioprio: e.ioprio.unwrap_or(0),
            user_data: e.user_data,
            ..Default::default()
        };
        if let Some(chan) = &e.chan {
            s.fd = self.chan(chan)? as i32;
        }
        match e.op.as_str() {
            "read" | "write" => s.len = e.len.unwrap_or(0),
            "poll" => s.len = libc::POLLIN as u32,
            "timeout" => {
                s.addr = ns(e);
                s.off = u64::from(e.count.unwrap_or(0));
                s.op_flags = timeout_flags(e)?;
            }
            "link_timeout" => s.addr = ns(e),
            "timeout_remove" => s.addr = e.target.unwrap_or(0),
            "timeout_update" | "link_timeout_update" => {
                s.addr = e.target.unwrap_or(0);
                s.addr2 = ns(e);
                s.op_flags = if e.op == "timeout_update" {
                    1 << 1
                } else {
                    1 << 4
                };
            }
            "cancel" => {
                s.addr = e.target.unwrap_or(0);
                s.op_flags = cancel_flags(e)?;
            }
            _ => {}
        }
        Ok(s)
    }
}

impl Backend for ModuleBackend {
    fn name(&self) -> &'static str {
        "io_uring_rs"
    }

    fn submit(&mut self, entries: &[Entry]) -> io::Result<usize> {
        let sqes = entries
            .iter()
            .map(|e| self.sqe(e))
            .collect::<io::Result<Vec<_>>>()?;
        let dev = self.dev()?.clone();
        self.task.run(move || {
            let mut s = IoUringRsSubmit {
                sqes: sqes.as_ptr() as u64,
                nr: sqes.len() as u32,
                resv: 0,
            };
            ioctl(&dev, IO_URING_RS_IOC_SUBMIT, &mut s).map(|n| n as usize)
        })
    }

    fn write(&mut self, chan: &str, len: u32) -> io::Result<()> {
        let fd = self.chan(chan)?;
        let mut w = IoUringRsChannelWrite { fd, len };
        ioctl(self.dev()?, IO_URING_RS_IOC_CHANNEL_WRITE, &mut w).map(|_| ())
    }

    fn reap(&mut self, min: usize, timeout: Duration) -> io::Result<Vec<(u64, i32)>> {
        let mut cqes = vec![IoUringRsCqe::default(); 256];
        let mut w = IoUringRsWait {
            cqes: cqes.as_mut_ptr() as u64,
            nr: cqes.len() as u32,
            min_complete: min.min(cqes.len()) as u32,
            timeout_ms: timeout.as_millis().min(u128::from(IO_URING_RS_MAX_WAIT_MS)) as u32,
            resv: 0,
        };
        let n = ioctl(self.dev()?, IO_URING_RS_IOC_WAIT, &mut w)? as usize;
        Ok(cqes[..n].iter().map(|c| (c.user_data, c.res)).collect())
    }

    fn cancel_task(&mut self, all: bool) -> io::Result<()> {
        let dev = self.dev()?.clone();
        let flags = if all { IO_URING_RS_CANCEL_ALL } else { 0 };
        let ret = self.task.run(move || {
            let mut c = IoUringRsCancel { flags, resv: 0 };
            ioctl(&dev, IO_URING_RS_IOC_CANCEL, &mut c)
        });
        if !all {
            // Task exit: the task cancels its inflight requests, then goes.
            self.task.exit();
        }
        ret.map(|_| ())
    }

    fn close(&mut self) {
        self.task.exit();
        self.dev = None;
    }
}

/// Checks that the module is there and speaks this ABI version.
pub(crate) fn probe() -> io::Result<IoUringRsVersion> {
    let dev = OpenOptions::new().read(true).write(true).open(DEVICE)?;
    let mut v = IoUringRsVersion::default();
    ioctl(&dev, IO_URING_RS_IOC_VERSION, &mut v)?;
    if v.version != IO_URING_RS_VERSION || v.sqe_size != 64 || v.cqe_size != 16 {
        return Err(invalid(format!("unexpected ABI {v:?}")));
    }
    Ok(v)
}

/// Opens the device to read the module-wide ring accounting; the file's
/// own ring counts in `rings` while it is open.
pub(crate) fn stats_file() -> io::Result<File> {
    OpenOptions::new().read(true).write(true).open(DEVICE)
}

/// The module-wide ring accounting (`IO_URING_RS_IOC_STATS`).
pub(crate) fn stats(dev: &File) -> io::Result<IoUringRsStats> {
    let mut s = IoUringRsStats::default();
    ioctl(dev, IO_URING_RS_IOC_STATS, &mut s)?;
    Ok(s)
}
