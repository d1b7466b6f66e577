// SPDX-License-Identifier: GPL-2.0

//! Entry points: the functions the glue calls with an execution context
//! (`TaskCtx` or `AtomicCtx`) it created. Each opens the ring it works on
//! under a fresh brand and hands the lifecycle branded guards and requests.

// The device calls need `kernel::uaccess`, which the host mirror lacks.
#[cfg(MODULE)]
pub(crate) mod dev;
pub(crate) mod iowq;
pub(crate) mod sqpoll;
pub(crate) mod submit;
pub(crate) mod timer;
pub(crate) mod tw;
