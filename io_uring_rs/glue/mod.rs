// SPDX-License-Identifier: GPL-2.0

//! The glue layer: what the core needs beyond Linux 6.12's `kernel` crate.
//!
//! Every `unsafe` of the module is here, each with a `// SAFETY:` comment.
//! The core (`uring/`) denies `unsafe_code`.

pub(crate) mod atomic;
pub(crate) mod chain;
pub(crate) mod chardev;
pub(crate) mod irq_lock;
pub(crate) mod timer;
pub(crate) mod timer_api;
pub(crate) mod work;
pub(crate) mod wq;
