// SPDX-License-Identifier: GPL-2.0

//! io_uring_rs: a safe-Rust reference model of io_uring's ring context, link
//! chains, io-wq `free_work` and request cancellation.
//!
//! Loading the module runs its in-kernel self-test and prints the results as
//! KTAP on the kernel log; a failing self-test fails the load with `-EINVAL`,
//! as `kselftest_module.h` test modules do.
// `pin_init!` of `Req` (about twenty fields) nests deeper than the default.
#![recursion_limit = "256"]

use kernel::prelude::*;

mod glue;
mod ktap;
mod selftest;
mod uapi;
mod uring;

// 7.2's `module!` takes a list of `authors`; 6.12's, one `author`.
#[cfg(not(kernel_7_2))]
module! {
    type: IoUringRs,
    name: "io_uring_rs",
    author: "io_uring_rs developers",
    description: "Safe-Rust reference model of io_uring link chains and cancellation",
    license: "GPL",
}

#[cfg(kernel_7_2)]
module! {
    type: IoUringRs,
    name: "io_uring_rs",
    authors: ["io_uring_rs developers"],
    description: "Safe-Rust reference model of io_uring link chains and cancellation",
    license: "GPL",
}

struct IoUringRs {
    // Dropped first: no file can be opened once the device is gone.
    _device: glue::chardev::Device,
    _queues: glue::wq::Queues,
}

impl kernel::Module for IoUringRs {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let queues = glue::wq::Queues::new()?;
        // SAFETY: Module `init` runs in process context with no lock held.
        let mut cx = unsafe { glue::context::TaskCtx::enter() };
        let report = selftest::run(&mut cx);
        pr_info!(
            "loaded: self-test {} passed, {} failed\n",
            report.passed,
            report.failed
        );
        if report.failed != 0 {
            return Err(EINVAL);
        }
        let device = glue::chardev::Device::register()?;
        Ok(IoUringRs {
            _device: device,
            _queues: queues,
        })
    }
}

impl Drop for IoUringRs {
    fn drop(&mut self) {
        pr_info!("unloaded\n");
    }
}
