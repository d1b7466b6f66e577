// SPDX-License-Identifier: GPL-2.0

//! The atomics the core's protocols use.
//!
//! In the kernel these are `core`'s; the host build substitutes loom's when
//! it model-checks, so every atomic the request protocol relies on is one
//! loom sees.

pub(crate) use core::sync::atomic::{
    AtomicBool, AtomicI32, AtomicPtr, AtomicU32, AtomicU64, AtomicU8, Ordering,
};
