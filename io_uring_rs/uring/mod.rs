// SPDX-License-Identifier: GPL-2.0

//! The core: ring context, requests, link chains, io-wq, timeouts and
//! cancellation, written without `unsafe`.
//!
//! The same files build in the kernel module and, against the host
//! implementation of the kernel API subset they use, in `rust/`.
#![deny(unsafe_code)]

pub(crate) mod cancel;
pub(crate) mod channel;
pub(crate) mod complete;
pub(crate) mod context;
pub(crate) mod errno;
pub(crate) mod iowq;
pub(crate) mod issue;
pub(crate) mod link;
pub(crate) mod locks;
pub(crate) mod req;
pub(crate) mod ring;
pub(crate) mod sqe;
pub(crate) mod submit;
pub(crate) mod timeout;
pub(crate) mod tw;
