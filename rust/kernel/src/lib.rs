// SPDX-License-Identifier: GPL-2.0

//! A userspace implementation of the subset of Linux 6.12's `kernel` crate
//! that the io_uring_rs core uses, with the same paths and signatures.
//!
//! The core sources compile unchanged against it. Locks and condition
//! variables are `std`'s, or loom's when built with `--cfg loom`, so the
//! core's protocols can be model-checked. Pin-init is crates.io
//! `pinned-init`, which is Rust-for-Linux's own pin-init.

pub mod alloc;
pub mod bindings;
pub mod error;
pub mod prelude;
pub mod print;
pub mod rbtree;
pub mod sync;
pub mod time;
pub mod workqueue;

/// `kernel::init`: pin-init.
pub mod init {
    pub use pinned_init::{InPlaceInit, Init, PinInit};
}

/// `kernel::str`: names are plain strings on the host.
pub mod str {
    /// A lock or work name.
    pub type CStr = str;
}

/// `kernel::c_str!`: on the host a name is a `&'static str`.
#[macro_export]
macro_rules! c_str {
    ($s:literal) => {
        $s
    };
}
