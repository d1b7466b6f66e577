// SPDX-License-Identifier: GPL-2.0

//! The request lifecycle: issue, completion, link advancing, timeouts,
//! cancellation, io-wq, polls, reads and writes on files, and channel
//! operations. Built on the model; creates no execution context (it only
//! receives them, or guards made from them).

pub(crate) mod cancel;
pub(crate) mod channel;
pub(crate) mod complete;
pub(crate) mod iowq;
pub(crate) mod issue;
pub(crate) mod link;
pub(crate) mod poll;
pub(crate) mod rw;
pub(crate) mod timeout;
pub(crate) mod tw;
