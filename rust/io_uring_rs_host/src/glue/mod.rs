// SPDX-License-Identifier: GPL-2.0

//! The host's glue layer: the kernel module's `arc_slot.rs`, `chain.rs`,
//! `context.rs`, `atomic_lock.rs`, `timer_api.rs`, `work.rs` and `work_list.rs`, and host
//! implementations of the rest.

#[path = "../../../../io_uring_rs/glue/arc_slot.rs"]
pub(crate) mod arc_slot;
pub(crate) mod atomic;
#[path = "../../../../io_uring_rs/glue/atomic_lock.rs"]
pub(crate) mod atomic_lock;
#[path = "../../../../io_uring_rs/glue/brand.rs"]
pub(crate) mod brand;
#[path = "../../../../io_uring_rs/glue/chain.rs"]
pub(crate) mod chain;
#[path = "../../../../io_uring_rs/glue/context.rs"]
pub(crate) mod context;
pub(crate) mod file;
pub(crate) mod irq_lock;
#[path = "../../../../io_uring_rs/glue/kernel_api.rs"]
pub(crate) mod kernel_api;
pub(crate) mod kthread;
pub(crate) mod region;
#[path = "../../../../io_uring_rs/glue/rings.rs"]
pub(crate) mod rings;
#[path = "../../../../io_uring_rs/glue/tctx.rs"]
pub(crate) mod tctx;
pub(crate) mod timer;
#[path = "../../../../io_uring_rs/glue/timer_api.rs"]
pub(crate) mod timer_api;
pub(crate) mod trace;
#[path = "../../../../io_uring_rs/glue/trace_kind.rs"]
pub(crate) mod trace_kind;
#[path = "../../../../io_uring_rs/glue/tw_list.rs"]
pub(crate) mod tw_list;
#[path = "../../../../io_uring_rs/glue/work.rs"]
pub(crate) mod work;
#[path = "../../../../io_uring_rs/glue/work_list.rs"]
pub(crate) mod work_list;
pub(crate) mod wq;
