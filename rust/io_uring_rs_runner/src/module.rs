// SPDX-License-Identifier: GPL-2.0

//! `/dev/io_uring_rs`'s own ioctls: the ABI probe and the module-wide ring
//! accounting.

use crate::backend::invalid;
use crate::uapi::*;
use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::AsRawFd;

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
