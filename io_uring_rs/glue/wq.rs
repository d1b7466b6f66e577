// SPDX-License-Identifier: GPL-2.0

//! The module's two workqueues: the task-work fallback and ring exit.
//!
//! Linux 6.12's Rust workqueue API can enqueue on the system queues but has
//! no `alloc_workqueue()`, flush or cancel. A work item must not be running
//! module code when the module is freed, so the module owns its queues and
//! `destroy_workqueue()` (which drains them) runs in the module's exit.
//!
//! * `tw` is the fallback worker of task work (`io_fallback_tw()`): it runs
//!   a task-work list (`glue/tctx.rs`) whose thread cannot, under
//!   `uring_lock`. It is ordered (one item at a time, FIFO).
//! * `exit` is unbound: ring exit (`io_ring_exit_work()`) runs there. It
//!   cannot share `tw`, whose items the exit waits for.
//!
//! Both run at normal priority, as C's fallback work (`system_wq`) and
//! `iou_exit` do: a ring exit with many requests is seconds of CPU that
//! must not starve the tasks of the CPU it runs on (at `WQ_HIGHPRI`, nice
//! -20, the task that closed the ring waited for the whole exit).
//!
//! io-wq's workers are kernel threads of their ring (`glue/kthread.rs`,
//! `uring/model/ring/iowq.rs`), not items of a queue: a worker blocked in a
//! read holds nothing another ring's work, a task-work item or an exit
//! needs.

use core::sync::atomic::{AtomicPtr, Ordering};
use kernel::bindings;
use kernel::prelude::*;
use kernel::workqueue::Queue;

static TW: AtomicPtr<bindings::workqueue_struct> = AtomicPtr::new(core::ptr::null_mut());
static EXIT: AtomicPtr<bindings::workqueue_struct> = AtomicPtr::new(core::ptr::null_mut());

/// Ownership of the module's workqueues; dropping it drains and frees them.
pub(crate) struct Queues {
    _private: (),
}

impl Queues {
    /// Allocates the queues. Called once, from the module's `init`.
    pub(crate) fn new() -> Result<Self> {
        // SAFETY: The format strings are NUL-terminated and take no argument.
        let tw = unsafe {
            alloc_workqueue(
                kernel::c_str!("io_uring_rs_tw").as_char_ptr(),
                bindings::wq_flags_WQ_UNBOUND | bindings::wq_flags___WQ_ORDERED,
                1,
            )
        };
        if tw.is_null() {
            return Err(ENOMEM);
        }
        // SAFETY: As above.
        let exit = unsafe {
            alloc_workqueue(
                kernel::c_str!("io_uring_rs_exit").as_char_ptr(),
                bindings::wq_flags_WQ_UNBOUND,
                0,
            )
        };
        if exit.is_null() {
            for wq in [tw, exit] {
                if !wq.is_null() {
                    // SAFETY: `wq` was allocated above; nothing was queued.
                    unsafe { bindings::destroy_workqueue(wq) };
                }
            }
            return Err(ENOMEM);
        }
        TW.store(tw, Ordering::Release);
        EXIT.store(exit, Ordering::Release);
        Ok(Queues { _private: () })
    }
}

// `alloc_workqueue` became a macro around `alloc_workqueue_noprof` (memory
// allocation profiling) after 6.12; 7.2's bindings have only the function.
#[cfg(not(kernel_7_2))]
use bindings::alloc_workqueue;
#[cfg(kernel_7_2)]
use bindings::alloc_workqueue_noprof as alloc_workqueue;

impl Drop for Queues {
    fn drop(&mut self) {
        // Ring exits first: they need the fallback worker to finish.
        for q in [&EXIT, &TW] {
            let wq = q.swap(core::ptr::null_mut(), Ordering::AcqRel);
            // SAFETY: `wq` was allocated in `new`; the swap makes this its
            // only destruction. `destroy_workqueue` drains it first.
            unsafe { bindings::destroy_workqueue(wq) };
        }
    }
}

fn queue(q: &AtomicPtr<bindings::workqueue_struct>) -> &'static Queue {
    let wq = q.load(Ordering::Acquire);
    assert!(
        !wq.is_null(),
        "io_uring_rs workqueue used outside the module's lifetime"
    );
    // SAFETY: The queue is valid from `Queues::new` until `Queues` is dropped
    // in the module's exit, after every ring (the only users) is gone.
    unsafe { Queue::from_raw(wq) }
}

/// The task-work fallback queue (ordered).
pub(crate) fn fallback() -> &'static Queue {
    queue(&TW)
}

/// The ring-exit queue (unbound).
pub(crate) fn exit() -> &'static Queue {
    queue(&EXIT)
}
