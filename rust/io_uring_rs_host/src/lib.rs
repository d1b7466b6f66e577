// SPDX-License-Identifier: GPL-2.0

//! The io_uring_rs core, built in userspace.
//!
//! The core (`io_uring_rs/uring/`), the shared glue (`chain.rs`, `work.rs`)
//! and the in-kernel self-test are the module's own files, included by path.
//! What differs is the rest of the glue (`src/glue/`): a thread for the
//! hrtimer, threads for the workqueues, and loom's atomics under
//! `--cfg loom`.
// `pin_init!` of `Req` (about twenty fields) nests deeper than the default.
#![recursion_limit = "256"]

#[cfg(not(loom))]
pub mod bench;
pub(crate) mod glue;
#[path = "../../../io_uring_rs/ktap.rs"]
pub(crate) mod ktap;
#[path = "../../../io_uring_rs/selftest.rs"]
pub(crate) mod selftest;
#[path = "../../../io_uring_rs/uring/mod.rs"]
pub(crate) mod uring;

#[cfg(all(test, not(loom)))]
mod tests;

#[cfg(all(test, loom))]
mod loom_tests;

/// Runs the in-kernel self-test on the host, printing its KTAP report with
/// `IO_URING_RS_VERBOSE` set; returns (passed, failed), as the module's
/// `init` does.
pub fn self_test() -> (u32, u32) {
    // SAFETY: The caller's thread is a task: it may sleep, and holds no lock
    // of the core.
    let mut cx = unsafe { glue::context::TaskCtx::enter() };
    let report = selftest::run(&mut cx);
    (report.passed, report.failed)
}

/// The device's user-space ABI: the core's entries are its entries.
#[path = "../../../io_uring_rs/uapi.rs"]
pub(crate) mod uapi;

#[cfg(all(test, not(loom)))]
mod uapi_tests;

/// The task work of the tests' and the benchmark's task (id 1): the host
/// has no tasks, so the fallback worker runs it.
#[cfg_attr(all(not(test), loom), allow(dead_code))]
pub(crate) fn host_tctx() -> kernel::sync::Arc<glue::tctx::IoUringTask> {
    // SAFETY: Host tests and the benchmark call this from their own
    // threads, tasks that hold no lock of the core.
    let cx = unsafe { glue::context::TaskCtx::enter() };
    glue::tctx::IoUringTask::new_fallback_in(&cx, 1).expect("task work")
}
