// SPDX-License-Identifier: GPL-2.0

//! The core: ring context, requests, link chains, io-wq, timeouts and
//! cancellation, written without `unsafe`.
//!
//! Three tiers, each importing only from the ones below it:
//!
//! * [`model`]: the ring and its locks and guards, requests and their
//!   reference tokens, chain cells, the linked-timeout claim, SQE parsing;
//!   the rules of `Documentation/locking.rst` are its types.
//! * [`lifecycle`]: what happens to a request: issue, completion, timeouts,
//!   cancellation, io-wq, channel operations.
//! * [`entry`]: submission, the task-work runner, the io-wq worker loop, the
//!   timer callbacks and the device calls: the only functions that receive
//!   execution contexts from the glue and open a ring's brand.
//!
//! The same files build in the kernel module and, against the host
//! implementation of the kernel API subset they use, in `rust/`.
#![forbid(unsafe_code)]

pub(crate) mod entry;
pub(crate) mod lifecycle;
pub(crate) mod model;

/// One compile-fail case, compiled as core code: it sees exactly what the
/// lifecycle and entry tiers see, under the core's `forbid(unsafe_code)`.
/// `scripts/compile-fail.sh` puts it there and removes it when done; rustfmt
/// must not follow the path (the cases are formatted in `rust/compile_fail/`).
#[cfg(io_uring_rs_compile_fail)]
#[rustfmt::skip]
#[path = "../../rust/target/compile-fail/case.rs"]
#[allow(dead_code)]
mod compile_fail_case;
