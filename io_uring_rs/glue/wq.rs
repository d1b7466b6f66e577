// SPDX-License-Identifier: GPL-2.0

//! The module's three workqueues: the task-work fallback, io-wq, and ring
//! exit.
//!
//! Linux 6.12's Rust workqueue API can enqueue on the system queues but has
//! no `alloc_workqueue()`, flush or cancel. A work item must not be running
//! module code when the module is freed, so the module owns its queues and
//! `destroy_workqueue()` (which drains them) runs in the module's exit.
//!
//! * `tw` is the fallback worker of task work (`io_fallback_tw()`): it runs
//!   a task-work list (`glue/tctx.rs`) whose thread cannot, under
//!   `uring_lock`. It is ordered (one item at a time, FIFO).
//! * `iowq` is unbound and may block: io-wq workers run there.
//! * `exit` is unbound: ring exit (`io_ring_exit_work()`) runs there. It
//!   cannot share `iowq`, whose active slots blocked io-wq work may fill
//!   while only the exit would cancel it, nor `tw`, whose items the exit
//!   waits for.
//!
//! `tw` and `exit` are `WQ_HIGHPRI`, so that their items run in another
//! worker pool than `iowq`'s. Unbound workqueues with the same attributes
//! share one pool, with one FIFO worklist: there a task-work item waited
//! behind every active io-wq item, each of which first needed a new worker
//! (a blocked read keeps its worker), and with hundreds of io-wq reads
//! blocked every completion and every ring exit crawled (issue 14).
//!
//! [`iowq_cancel`] takes a pending io-wq item back off its queue
//! (`cancel_work()`), so that a cancelled request that has not started is
//! freed by its canceller and never needs one of `iowq`'s active slots,
//! which blocked io-wq work of other rings may hold (C's io-wq removes
//! pending work from its list the same way: `io_wq_remove_pending()`).

use core::sync::atomic::{AtomicPtr, Ordering};
use kernel::bindings;
use kernel::prelude::*;
use kernel::sync::Arc;
use kernel::workqueue::{HasWork, Queue, Work};

static TW: AtomicPtr<bindings::workqueue_struct> = AtomicPtr::new(core::ptr::null_mut());
static IOWQ: AtomicPtr<bindings::workqueue_struct> = AtomicPtr::new(core::ptr::null_mut());
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
                bindings::wq_flags_WQ_UNBOUND
                    | bindings::wq_flags___WQ_ORDERED
                    | bindings::wq_flags_WQ_HIGHPRI,
                1,
            )
        };
        if tw.is_null() {
            return Err(ENOMEM);
        }
        // SAFETY: As above.
        let iowq = unsafe {
            alloc_workqueue(
                kernel::c_str!("io_uring_rs_iowq").as_char_ptr(),
                bindings::wq_flags_WQ_UNBOUND,
                0,
            )
        };
        // SAFETY: As above.
        let exit = unsafe {
            alloc_workqueue(
                kernel::c_str!("io_uring_rs_exit").as_char_ptr(),
                bindings::wq_flags_WQ_UNBOUND | bindings::wq_flags_WQ_HIGHPRI,
                0,
            )
        };
        if iowq.is_null() || exit.is_null() {
            for wq in [tw, iowq, exit] {
                if !wq.is_null() {
                    // SAFETY: `wq` was allocated above; nothing was queued.
                    unsafe { bindings::destroy_workqueue(wq) };
                }
            }
            return Err(ENOMEM);
        }
        TW.store(tw, Ordering::Release);
        IOWQ.store(iowq, Ordering::Release);
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
        // Ring exits first: they need the other two to finish.
        for q in [&EXIT, &TW, &IOWQ] {
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

/// The io-wq queue (unbound; items may block).
pub(crate) fn iowq() -> &'static Queue {
    queue(&IOWQ)
}

/// The ring-exit queue (unbound).
pub(crate) fn exit() -> &'static Queue {
    queue(&EXIT)
}

/// Takes `req`'s io-wq item (ID 1) off its queue if it is queued and has not
/// started, dropping the reference the queue held; returns whether it did.
/// Then the item never runs. If it did not (never queued, already started),
/// nothing changes: the worker that picks it up drops that reference.
/// Called in task context (`io_run_cancel()`).
pub(crate) fn iowq_cancel<T: HasWork<T, 1>>(req: &Arc<T>) -> bool {
    let ptr: *const T = &**req;
    // SAFETY: `ptr` points to a live `T`: `req` keeps it alive.
    let work = unsafe { <T as HasWork<T, 1>>::raw_get_work(ptr.cast_mut()) };
    // SAFETY: `work` points to the initialised, pinned `Work` field of that
    // live `Req`.
    let raw = unsafe { Work::raw_get(work) };
    // SAFETY: `raw` is an initialised `work_struct` that outlives the call.
    if !unsafe { bindings::cancel_work(raw) } {
        return false;
    }
    // `cancel_work()` returned true: the item was pending and now never
    // runs. While pending, the queue owned the reference that `Arc::into_raw`
    // leaked when the item was enqueued (the `Arc<T>` `RawWorkItem` impl).
    // SAFETY: `ptr` is that reference's pointer; it is reclaimed once, here.
    drop(unsafe { Arc::from_raw(ptr) });
    true
}
