// SPDX-License-Identifier: GPL-2.0

//! A kernel thread that works for the process that made it, named after
//! its job and its creator (`iou-sqp-PID`, `iou-wrk-PID`), as io_uring's
//! SQPOLL thread and io-wq workers are. It is stopped and reaped when its
//! handle is dropped. An SQPOLL thread's passes run in the
//! creator's address space (`kthread_use_mm()`), so that it can read the
//! creator's memory (timespecs); an io-wq worker needs none (a request
//! carries the address space it reads and writes). Between passes it holds the `mm_struct` only
//! (`mmgrab()`), never the address space: an address space kept alive by
//! the thread would keep the ring's `mmap()` of its own file, so the file
//! would never be released, the ring never exit, and the thread never stop.
//! Linux 6.12's Rust API has no kthread abstraction; the C side is in
//! `io_uring_rs_dev.c`.

use crate::glue::context::{MayInterrupt, SqCtx, TaskCtx};
use crate::glue::file::UserMm;
use core::ffi::{c_int, c_void};
use core::ptr::NonNull;
use kernel::prelude::*;
use kernel::sync::Arc;

extern "C" {
    fn io_uring_rs_kthread_start(
        f: unsafe extern "C" fn(*mut c_void) -> c_int,
        data: *mut c_void,
        pid: c_int,
        io_worker: bool,
    ) -> *mut c_void;
    fn io_uring_rs_kthread_stop(t: *mut c_void);
    fn io_uring_rs_task_get() -> *mut c_void;
    fn io_uring_rs_task_put(t: *mut c_void);
    fn io_uring_rs_task_notify_signal(t: *mut c_void);
    fn io_uring_rs_clear_notify_signal();
    fn io_uring_rs_kthread_should_stop() -> bool;
    fn io_uring_rs_cond_resched();
}

/// What a thread is for.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum ThreadKind {
    /// The SQPOLL thread (`iou-sqp-PID`), in its creator's address space.
    SqPoll,
    /// An io-wq worker (`iou-wrk-PID`).
    IoWorker,
}

/// What the thread works in: its creator's address space (`None` for a
/// kernel-thread creator, and for an io-wq worker), dropped with the handle.
struct Creator {
    mm: Option<UserMm>,
}

/// What the thread runs with: its data, its body, and its creator's.
struct Start<T> {
    data: Arc<T>,
    body: fn(&T, &mut ThreadCtx),
    creator: Creator,
}

/// The thread's execution context: process context, no lock held.
pub(crate) struct ThreadCtx {
    cx: TaskCtx,
    /// In the thread's `Start`, which outlives this context.
    creator: NonNull<Creator>,
}

impl ThreadCtx {
    /// Whether the thread was asked to stop (`kthread_should_stop()`).
    pub(crate) fn should_stop(&self) -> bool {
        // SAFETY: Called on the thread `KThread::spawn` made.
        unsafe { io_uring_rs_kthread_should_stop() }
    }

    /// Lets others run (`cond_resched()`).
    pub(crate) fn cond_resched(&mut self) {
        // SAFETY: The thread holds no lock (`&mut self`: no guard borrows
        // its context).
        unsafe { io_uring_rs_cond_resched() }
    }

    /// Runs one pass of work in the creator's address space, with the
    /// right to consume an SQ once (the pass stands for one system call);
    /// `None` if the address space is gone (the creator exited).
    pub(crate) fn pass<R>(&mut self, f: impl FnOnce(&mut TaskCtx, SqCtx) -> R) -> Option<R> {
        // SAFETY: `creator` points into the thread's `Start`, which lives
        // until the thread stopped.
        let creator = unsafe { self.creator.as_ref() };
        // Borrowed (`kthread_use_mm()`) until the guard drops.
        let _in_mm = creator.mm.as_ref()?.enter(&self.cx).ok()?;
        // SAFETY: The thread's loop is its entry point; it holds no SQ lock
        // while it has `&mut self`, and the `SqCtx` is used up in this pass.
        let sq = unsafe { SqCtx::enter() };
        Some(f(&mut self.cx, sq))
    }

    /// The task context, to sleep between passes.
    pub(crate) fn task(&mut self) -> &mut TaskCtx {
        &mut self.cx
    }

    /// A reference to this thread's task, for others to interrupt it
    /// (`None` never happens: `current` is never null).
    pub(crate) fn current_task(&self) -> Option<ThreadTask> {
        // SAFETY: `get_task_struct(current)` takes a reference of the
        // calling thread's task, which `ThreadTask` owns.
        let task = NonNull::new(unsafe { io_uring_rs_task_get() })?;
        Some(ThreadTask { task })
    }

    /// Done with what an interruption ([`ThreadTask::notify_signal`]) was
    /// for: clears `TIF_NOTIFY_SIGNAL`, so that later waits sleep again.
    pub(crate) fn clear_notify_signal(&mut self) {
        // SAFETY: Clears a flag of the calling thread.
        unsafe { io_uring_rs_clear_notify_signal() }
    }
}

/// A reference to a kernel thread's task (`get_task_struct()`), which may
/// outlive the thread.
pub(crate) struct ThreadTask {
    task: NonNull<c_void>,
}

// SAFETY: A task reference may be used and dropped from any task.
unsafe impl Send for ThreadTask {}
// SAFETY: `&ThreadTask` only interrupts the task, which any context may.
unsafe impl Sync for ThreadTask {}

impl ThreadTask {
    /// Interrupts what the task waits for, or will wait for next, in any
    /// context (`__set_notify_signal()`): io-wq's cancel of running work,
    /// the one holder of a [`MayInterrupt`] proof.
    pub(crate) fn notify_signal(&self, _proof: &impl MayInterrupt) {
        // SAFETY: `task` is a task this handle holds a reference of.
        unsafe { io_uring_rs_task_notify_signal(self.task.as_ptr()) }
    }
}

impl Drop for ThreadTask {
    fn drop(&mut self) {
        // SAFETY: The reference `current_task` took, put once.
        unsafe { io_uring_rs_task_put(self.task.as_ptr()) }
    }
}

/// The thread's entry: runs the body, and leaves the data to the handle.
///
/// # Safety
///
/// Called by `kthread()` with the `Start<T>` that `KThread::spawn` passed.
unsafe extern "C" fn trampoline<T: Send + Sync + 'static>(data: *mut c_void) -> c_int {
    // SAFETY: `data` is the `Start<T>` of `KThread::spawn`, which the
    // handle frees only after `kthread_stop()` returned, that is after this
    // function returned.
    let start = unsafe { &*(data as *const Start<T>) };
    let mut tcx = ThreadCtx {
        // SAFETY: A kernel thread's function runs in process context with
        // no lock held.
        cx: unsafe { TaskCtx::enter() },
        creator: NonNull::from(&start.creator),
    };
    (start.body)(&start.data, &mut tcx);
    0
}

/// A running kernel thread; dropping the handle stops it and waits for it.
pub(crate) struct KThread {
    task: NonNull<c_void>,
    start: NonNull<c_void>,
    free: unsafe fn(NonNull<c_void>),
}

// SAFETY: The handle only stops the thread and frees what it started it
// with, from whichever task drops it.
unsafe impl Send for KThread {}
// SAFETY: `&KThread` gives access to nothing.
unsafe impl Sync for KThread {}

/// Frees a `Start<T>` (after its thread stopped).
///
/// # Safety
///
/// `p` is the `Start<T>` of a `KThread::spawn` whose thread has stopped or
/// never started, freed once.
unsafe fn free_start<T>(p: NonNull<c_void>) {
    // SAFETY: `p` came from `KBox::into_raw` of a `Start<T>` in `spawn`.
    drop(unsafe { KBox::from_raw(p.as_ptr().cast::<Start<T>>()) });
}

impl KThread {
    /// Starts a thread of `kind` named after `pid` that runs
    /// `body(&data, ..)` (an SQPOLL thread in the calling process's address
    /// space) until it returns; dropping the handle asks it to stop and
    /// waits until it has.
    pub(crate) fn spawn<T: Send + Sync + 'static>(
        cx: &TaskCtx,
        data: Arc<T>,
        kind: ThreadKind,
        pid: i32,
        body: fn(&T, &mut ThreadCtx),
    ) -> Result<Self> {
        let creator = Creator {
            mm: match kind {
                ThreadKind::SqPoll => UserMm::current(cx).ok(),
                ThreadKind::IoWorker => None,
            },
        };
        let start = KBox::new(
            Start {
                data,
                body,
                creator,
            },
            GFP_KERNEL_ACCOUNT,
        )?;
        // SAFETY: `KBox::into_raw` never returns null.
        let start = unsafe { NonNull::new_unchecked(KBox::into_raw(start).cast::<c_void>()) };
        // SAFETY: `trampoline::<T>` reads a `Start<T>`, which lives until
        // the handle (or the error path below) frees it after the thread
        // stopped (or never started).
        let t = unsafe {
            io_uring_rs_kthread_start(
                trampoline::<T>,
                start.as_ptr(),
                pid,
                kind == ThreadKind::IoWorker,
            )
        };
        let err = kernel::error::from_err_ptr(t);
        match (err, NonNull::new(t)) {
            (Ok(_), Some(task)) => Ok(KThread {
                task,
                start,
                free: free_start::<T>,
            }),
            (res, _) => {
                // SAFETY: No thread was started with `start`.
                unsafe { free_start::<T>(start) };
                Err(res.err().unwrap_or(ENOMEM))
            }
        }
    }
}

impl Drop for KThread {
    fn drop(&mut self) {
        // SAFETY: `task` is the thread `spawn` started and referenced;
        // `kthread_stop()` returns once its function returned (or it never
        // ran), after which `start` is ours to free.
        unsafe {
            io_uring_rs_kthread_stop(self.task.as_ptr());
            (self.free)(self.start);
        }
    }
}
