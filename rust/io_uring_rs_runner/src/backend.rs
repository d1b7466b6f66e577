// SPDX-License-Identifier: GPL-2.0

//! What a scenario needs from a ring: the two backends implement it.
//!
//! Submissions come from a dedicated thread, "the task": io_uring tracks
//! requests per task, and task cancellation acts on that task's requests.

use crate::scenario::Entry;
use crate::uapi::{
    IORING_ASYNC_CANCEL_ALL, IORING_ASYNC_CANCEL_ANY, IORING_ASYNC_CANCEL_USERDATA,
    IORING_TIMEOUT_ETIME_SUCCESS,
};
use std::io;
use std::time::Duration;

/// A ring under test.
pub(crate) trait Backend {
    /// `io_uring` or `io_uring_rs`.
    fn name(&self) -> &'static str;
    /// Submits the entries from the task; returns how many were consumed.
    fn submit(&mut self, entries: &[Entry]) -> io::Result<usize>;
    /// Writes `len` bytes into a channel from outside the ring.
    fn write(&mut self, chan: &str, len: u32) -> io::Result<()>;
    /// Waits up to `timeout` for `min` completions and takes what arrived.
    fn reap(&mut self, min: usize, timeout: Duration) -> io::Result<Vec<(u64, i32)>>;
    /// Cancels the task's requests: as on exec (`all`), or as on exit.
    fn cancel_task(&mut self, all: bool) -> io::Result<()>;
    /// Closes the ring (ring exit).
    fn close(&mut self);
    /// The task's voluntary and involuntary context switches so far
    /// (`getrusage()`), for the benchmarks' account of where time goes.
    fn task_switches(&mut self) -> (u64, u64);
}

/// The bits of `names` in `table`; `what` names the kind for errors.
fn bits(names: &[String], table: &[(&str, u32)], what: &str) -> io::Result<u32> {
    let mut f = 0;
    for name in names {
        match table.iter().find(|(n, _)| n == name) {
            Some((_, bit)) => f |= bit,
            None => return Err(invalid(format!("unknown {what} {name}"))),
        }
    }
    Ok(f)
}

/// `IOSQE_*` bits of the names in `flags`.
pub(crate) fn sqe_flags(e: &Entry) -> io::Result<u8> {
    let table = [
        ("drain", 1 << 1),
        ("link", 1 << 2),
        ("hardlink", 1 << 3),
        ("async", 1 << 4),
        ("skip_success", 1 << 6),
    ];
    Ok(bits(&e.flags, &table, "flag")? as u8)
}

/// `IORING_TIMEOUT_*` bits of `timeout_flags`.
pub(crate) fn timeout_flags(e: &Entry) -> io::Result<u32> {
    bits(
        &e.timeout_flags,
        &[("etime_success", IORING_TIMEOUT_ETIME_SUCCESS)],
        "timeout flag",
    )
}

/// `IORING_ASYNC_CANCEL_*` bits of `cancel_flags`.
pub(crate) fn cancel_flags(e: &Entry) -> io::Result<u32> {
    bits(
        &e.cancel_flags,
        &[
            ("all", IORING_ASYNC_CANCEL_ALL),
            ("any", IORING_ASYNC_CANCEL_ANY),
            ("userdata", IORING_ASYNC_CANCEL_USERDATA),
        ],
        "cancel flag",
    )
}

/// An `InvalidInput` error.
pub(crate) fn invalid(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg)
}

/// `op` as an opcode number.
pub(crate) fn opcode(e: &Entry) -> io::Result<u8> {
    Ok(match e.op.as_str() {
        "nop" => 0,
        "poll" => 6,
        "timeout" => 11,
        "timeout_remove" | "timeout_update" | "link_timeout_update" => 12,
        "cancel" => 14,
        "link_timeout" => 15,
        "read" => 22,
        "write" => 23,
        "raw" => e
            .opcode
            .ok_or_else(|| invalid("raw needs an opcode".into()))?,
        other => return Err(invalid(format!("unknown op {other}"))),
    })
}

/// Nanoseconds of `ms`.
pub(crate) fn ns(e: &Entry) -> u64 {
    e.ms.unwrap_or(0) * 1_000_000
}
