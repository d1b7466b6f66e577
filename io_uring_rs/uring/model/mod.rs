// SPDX-License-Identifier: GPL-2.0

//! The model: what io_uring's data structures are, and the rules for
//! touching them, as types. Imports nothing from the tiers above.
//!
//! The rules hold for every caller outside this folder: its types (with
//! `glue/chain.rs`, the one primitive with `unsafe`) are the trusted base
//! that `Documentation/locking.rst` reviews line by line.

pub(crate) mod channel;
pub(crate) mod error;
pub(crate) mod req;
pub(crate) mod ring;
pub(crate) mod sqe;
