// SPDX-License-Identifier: GPL-2.0

//! The glue layer: what the core needs beyond Linux 6.12's `kernel` crate.
//!
//! Every `unsafe` of the module is here, each with a `// SAFETY:` comment.
//! The core (`uring/`) forbids `unsafe_code`. The glue creates the execution
//! contexts (`context.rs`), at the module's entry points: `init`, the
//! device's system calls (`chardev.rs`), the work items (`work.rs`,
//! `wq.rs`), the hrtimer callback (`timer.rs`), the task-work callback and
//! its fallback item (`tctx.rs`).

pub(crate) mod arc_slot;
pub(crate) mod atomic;
pub(crate) mod atomic_lock;
pub(crate) mod brand;
pub(crate) mod chain;
pub(crate) mod chardev;
pub(crate) mod context;
pub(crate) mod file;
pub(crate) mod irq_lock;
pub(crate) mod kernel_api;
pub(crate) mod kthread;
pub(crate) mod region;
pub(crate) mod rings;
pub(crate) mod tctx;
pub(crate) mod timer;
pub(crate) mod timer_api;
pub(crate) mod trace;
pub(crate) mod trace_kind;
pub(crate) mod tw_list;
pub(crate) mod work;
pub(crate) mod work_list;
pub(crate) mod wq;
