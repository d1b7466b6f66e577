// SPDX-License-Identifier: GPL-2.0

//! A task's task work on one ring: the part of `struct io_uring_task` that
//! queues and runs task work (`task_list`, `task_work`), one per ring and
//! submitting thread (C keeps one per task, for all its rings).
//!
//! [`IoUringTask::add`] is `io_req_normal_work_add()`: the request goes on
//! the list, and the first one since the list was last run queues the
//! list's `callback_head` on the task with `task_work_add(TWA_SIGNAL)`. The
//! task runs the list on its way back to user space (`tctx_task_work()`,
//! the callback), and `io_uring_enter()` runs it when its wait would sleep
//! ([`IoUringTask::take_all`], from `entry/dev.rs`). The callback and the
//! fallback work item are entry points: they create the task context, as
//! `work.rs` does for io-wq. Where the task cannot
//! run it, the list goes to the fallback worker (`io_fallback_tw()`, the
//! `wq::fallback()` queue), which runs it under the same rules:
//!
//! * the task is past `exit_task_work()` (`task_work_add()` fails);
//! * the submitter is a kernel thread (the SQPOLL thread, the in-kernel
//!   self-test's context): it never returns to user space. C's SQPOLL
//!   thread runs its own list in its loop; the module's does not;
//! * the task is cancelling its requests in `flush()` at exit or exec, or
//!   the ring is exiting: those wait in the kernel for requests whose task
//!   work must not wait for them in turn.
//!
//! # Invariants
//!
//! `notified` is set while the list's `callback_head` is queued on the task
//! and has not started: it is queued at most once at a time. A request on
//! the list is run by whoever takes it next: the callback, `enter`, or the
//! fallback worker, whichever comes first.
//!
//! On the host there are no tasks: every list is run by the fallback
//! worker.

use crate::glue::atomic::{AtomicBool, Ordering};
use crate::glue::context::TaskCtx;
use crate::glue::file::FileTable;
use crate::glue::tw_list::{TwBatch, TwList};
use crate::glue::wq;
use crate::uring::model::req::Req;
use kernel::prelude::*;
use kernel::sync::Arc;
use kernel::workqueue::{impl_has_work, new_work, Work, WorkItem};

/// One ring's task work of one task (`struct io_uring_task`).
#[pin_data]
pub(crate) struct IoUringTask {
    /// The submitter's thread group: the id requests are matched by.
    tgid: u32,
    /// The task that runs the list (`tctx->task`), if it is a user task.
    bind: TaskBind,
    /// Requests with queued task work (`tctx->task_list`).
    list: TwList<Req>,
    /// The callback is queued on the task and has not started.
    notified: AtomicBool,
    /// The task waits in the kernel for its requests (`flush()` at exit or
    /// exec): new task work goes to the fallback worker.
    cancelling: AtomicBool,
    /// The submitter's file table, where its requests' descriptors
    /// resolve as they are issued; none for the in-kernel self-test.
    files: Option<FileTable>,
    /// The fallback worker's item (`ctx->fallback_work`).
    #[pin]
    fallback: Work<IoUringTask>,
}

impl IoUringTask {
    /// The task work of the calling thread, of thread group `tgid`, whose
    /// file table its requests use. A kernel thread's goes to the fallback
    /// worker. Task context.
    // Used by the device calls (`entry/dev.rs`), which the host mirror
    // lacks; the host tests call it.
    #[cfg_attr(not(MODULE), allow(dead_code))]
    pub(crate) fn new_current(cx: &TaskCtx, tgid: u32) -> Result<Arc<Self>> {
        Self::new(tgid, TaskBind::current()?, Some(FileTable::current(cx)))
    }

    /// Task work that only the fallback worker runs, for thread group
    /// `tgid`, whose requests name no file.
    pub(crate) fn new_fallback(tgid: u32) -> Result<Arc<Self>> {
        Self::new(tgid, TaskBind::none(), None)
    }

    /// Task work that only the fallback worker runs, for thread group
    /// `tgid`, whose requests' descriptors resolve in the calling task's
    /// table (an SQPOLL thread's, made by its creator). Task context.
    pub(crate) fn new_fallback_in(cx: &TaskCtx, tgid: u32) -> Result<Arc<Self>> {
        Self::new(tgid, TaskBind::none(), Some(FileTable::current(cx)))
    }

    fn new(tgid: u32, bind: TaskBind, files: Option<FileTable>) -> Result<Arc<Self>> {
        Arc::pin_init(
            pin_init!(IoUringTask {
                tgid,
                bind,
                list: TwList::new(),
                notified: AtomicBool::new(false),
                cancelling: AtomicBool::new(false),
                files,
                fallback <- new_work!("IoUringTask::fallback"),
            }),
            GFP_KERNEL_ACCOUNT,
        )
    }

    /// The submitter's thread group.
    pub(crate) fn tgid(&self) -> u32 {
        self.tgid
    }

    /// The submitter's file table (`io_assign_file()` resolves in it).
    pub(crate) fn files(&self) -> Option<&FileTable> {
        self.files.as_ref()
    }

    /// Whether the calling thread runs this list (it is the task it was
    /// made for, and that is a user task).
    // Used by the device calls (`entry/dev.rs`), which the host mirror
    // lacks; the host tests call it.
    #[cfg_attr(not(MODULE), allow(dead_code))]
    pub(crate) fn is_current(&self) -> bool {
        self.bind.is_current()
    }

    /// Whether the list's task is gone or going (`PF_EXITING`): it will
    /// never submit again. A list with no task never is.
    // Used by the device calls (`entry/dev.rs`), which the host mirror
    // lacks; the host tests call it.
    #[cfg_attr(not(MODULE), allow(dead_code))]
    pub(crate) fn task_exiting(&self) -> bool {
        self.bind.exiting()
    }

    /// `io_req_normal_work_add()`: queues `req`'s task work on this list
    /// (with the reference the caller gives up) and makes sure someone
    /// runs it: the task, or the fallback worker if `fallback` (the ring is
    /// exiting) or the task cannot. Any context: it allocates nothing.
    pub(crate) fn add(this: &Arc<Self>, req: Arc<Req>, fallback: bool) {
        if let Err(req) = this.list.push(req) {
            pr_err!(
                "BUG: task work of {:#x} queued while queued\n",
                req.user_data()
            );
            return;
        }
        if fallback || this.cancelling.load(Ordering::Acquire) {
            Self::run_in_fallback(this);
            return;
        }
        if this.notified.swap(true, Ordering::AcqRel) {
            // The callback is queued and has not started: it takes `req`.
            return;
        }
        if !this.bind.notify(Arc::clone(this)) {
            // Not queued (no user task, or it is past `exit_task_work()`):
            // clear first, so that a request pushed from here on notifies
            // again, and whatever is on the list now is taken below.
            this.notified.store(false, Ordering::Release);
            Self::run_in_fallback(this);
        }
    }

    /// Takes the list, oldest first, for the caller to run: the task
    /// itself (its callback, `io_uring_enter()`) or the fallback worker.
    pub(crate) fn take_all(&self) -> TwBatch<Req> {
        self.list.take_all()
    }

    /// Hands what is on the list to the fallback worker
    /// (`io_fallback_tw()`). Any context.
    pub(crate) fn run_in_fallback(this: &Arc<Self>) {
        if this.list.is_empty() {
            return;
        }
        // Already queued and not started: that run takes the list.
        let _ = wq::fallback().enqueue::<Arc<IoUringTask>, 0>(Arc::clone(this));
    }

    /// The task starts (`true`) or ends (`false`, exec) waiting in the
    /// kernel for its requests: from now on its task work goes to the
    /// fallback worker, and what is queued already goes there now.
    // Used by the device calls (`entry/dev.rs`), which the host mirror
    // lacks; the host tests call it.
    #[cfg_attr(not(MODULE), allow(dead_code))]
    pub(crate) fn set_cancelling(this: &Arc<Self>, cancelling: bool) {
        this.cancelling.store(cancelling, Ordering::Release);
        if cancelling {
            Self::run_in_fallback(this);
        }
    }

    /// The callback is about to run: a later request queues it again.
    #[cfg_attr(not(MODULE), allow(dead_code))]
    fn notify_started(&self) {
        self.notified.store(false, Ordering::Release);
    }
}

impl_has_work! {
    impl HasWork<IoUringTask, 0> for IoUringTask { self.fallback }
}

impl WorkItem<0> for IoUringTask {
    type Pointer = Arc<IoUringTask>;

    fn run(this: Arc<IoUringTask>) {
        // SAFETY: A work item runs in a kernel worker: process context, no
        // lock held.
        let mut cx = unsafe { crate::glue::context::TaskCtx::enter() };
        crate::uring::entry::tw::tctx_task_work(&this, &mut cx);
    }
}

#[cfg(MODULE)]
use kbind::TaskBind;

#[cfg(MODULE)]
mod kbind {
    use super::IoUringTask;
    use crate::glue::context::TaskCtx;
    use crate::glue::kernel_api::ARef;
    use core::ffi::{c_int, c_void};
    use core::ptr;
    use core::sync::atomic::{AtomicPtr, Ordering};
    use kernel::bindings;
    use kernel::prelude::*;
    use kernel::sync::Arc;
    use kernel::task::Task;
    use kernel::types::Opaque;

    extern "C" {
        fn io_uring_rs_task_work_add(
            task: *mut c_void,
            cb: *mut bindings::callback_head,
            func: unsafe extern "C" fn(*mut bindings::callback_head),
        ) -> c_int;
        fn io_uring_rs_current_task() -> *mut c_void;
        fn io_uring_rs_task_exiting(task: *mut c_void) -> bool;
        fn io_uring_rs_pin_new() -> *mut c_void;
        fn io_uring_rs_pin_get(pin: *mut c_void);
        fn io_uring_rs_pin_put(pin: *mut c_void);
    }

    /// The task a list belongs to, its `callback_head`, and the module pin
    /// that keeps the callback's code loaded.
    ///
    /// A queued callback runs module text whenever its task gets back to
    /// user space, and module exit can neither cancel it nor wait for it
    /// (6.12 exports neither `task_work_cancel()` nor `task_work_run()`).
    /// So every list of a user task holds a pin: a file of the module's
    /// (`io_uring_rs_pin_new()`, whose `f_op->owner` holds a module
    /// reference until its last `fput()`). The list holds one reference of
    /// it, and each queued callback one more, which the callback drops as
    /// the last thing it does. `fput()` never releases inline: `__fput()`
    /// and its `module_put()` run later, in kernel text (the task's next
    /// task work, or `delayed_fput()`), after the callback returned. Module
    /// exit therefore cannot start while a callback is queued or running.
    ///
    /// # Invariants
    ///
    /// `owner` holds a reference of the [`IoUringTask`] this is in (from
    /// `Arc::into_raw`) while `cb` is queued, and is null otherwise. `pin`
    /// is a file reference owned by this value, non-null if `task` is.
    #[repr(C)]
    pub(super) struct TaskBind {
        /// First: the callback finds the rest from it.
        cb: Opaque<bindings::callback_head>,
        owner: AtomicPtr<IoUringTask>,
        task: Option<ARef<Task>>,
        pin: *mut c_void,
    }

    // SAFETY: `cb` is only touched by `task_work_add()` and the callback,
    // which run one after the other (`IoUringTask::notified`); `pin` is a
    // file reference, whose `get_file()`/`fput()` may run on any thread;
    // the rest is `Send + Sync`.
    unsafe impl Send for TaskBind {}
    // SAFETY: As above.
    unsafe impl Sync for TaskBind {}

    /// The `task_struct` of `task` (`Task` is a transparent wrapper of
    /// it), as the C shim takes it: untyped, since bindgen's `task_struct`
    /// is not FFI-safe.
    fn raw(task: &Task) -> *mut c_void {
        ptr::from_ref(task).cast_mut().cast()
    }

    impl TaskBind {
        /// The calling thread, unless it is a kernel thread. Task context:
        /// it allocates the pin.
        pub(super) fn current() -> Result<Self> {
            // SAFETY: Returns `current`, valid while the caller runs.
            let cur = unsafe { io_uring_rs_current_task() };
            if cur.is_null() {
                return Ok(Self::none());
            }
            // SAFETY: Called in task context (function doc).
            let pin = unsafe { io_uring_rs_pin_new() };
            if pin.is_null() {
                return Err(ENOMEM);
            }
            // SAFETY: `cur` is the running task, valid for this call; the
            // borrow becomes a counted reference at once.
            let t: &Task = unsafe { &*cur.cast::<Task>() };
            Ok(TaskBind {
                cb: Opaque::uninit(),
                owner: AtomicPtr::new(ptr::null_mut()),
                task: Some(ARef::from(t)),
                pin,
            })
        }

        pub(super) fn none() -> Self {
            TaskBind {
                cb: Opaque::uninit(),
                owner: AtomicPtr::new(ptr::null_mut()),
                task: None,
                pin: ptr::null_mut(),
            }
        }

        pub(super) fn is_current(&self) -> bool {
            // SAFETY: Returns `current`.
            let cur = unsafe { io_uring_rs_current_task() };
            self.task.as_ref().is_some_and(|t| raw(t) == cur)
        }

        pub(super) fn exiting(&self) -> bool {
            self.task.as_ref().is_some_and(|t| {
                // SAFETY: `t` is a counted reference: the task is valid.
                unsafe { io_uring_rs_task_exiting(raw(t)) }
            })
        }

        /// Queues the callback on the task with `tctx`'s reference;
        /// whether it did. The caller set `tctx.notified`.
        pub(super) fn notify(&self, tctx: Arc<IoUringTask>) -> bool {
            let Some(task) = self.task.as_ref() else {
                return false;
            };
            // SAFETY: `pin` is a live file (invariant): the reference
            // taken here is the queued callback's.
            unsafe { io_uring_rs_pin_get(self.pin) };
            let p = Arc::into_raw(tctx).cast_mut();
            self.owner.store(p, Ordering::Release);
            let cb = self.cb.get();
            // SAFETY: `task` is valid (counted); `cb` is not queued
            // (`notified` was clear) and lives in `*p`, which the reference
            // in `owner` keeps alive until the callback runs.
            let ret = unsafe { io_uring_rs_task_work_add(raw(task), cb, tctx_task_work) };
            if ret != 0 {
                self.owner.store(ptr::null_mut(), Ordering::Relaxed);
                // SAFETY: Not queued: the reference leaked above is ours.
                drop(unsafe { Arc::from_raw(p) });
                // SAFETY: The callback's pin reference, taken above.
                unsafe { io_uring_rs_pin_put(self.pin) };
                return false;
            }
            true
        }
    }

    impl Drop for TaskBind {
        fn drop(&mut self) {
            if !self.pin.is_null() {
                // SAFETY: The list's own pin reference (invariant); any
                // context: `fput()` defers the release.
                unsafe { io_uring_rs_pin_put(self.pin) };
            }
        }
    }

    /// `tctx_task_work()`: the task runs its list, on its way back to user
    /// space or in `exit_task_work()`.
    ///
    /// # Safety
    ///
    /// Called by `task_work_run()` with the `cb` that `notify` queued.
    unsafe extern "C" fn tctx_task_work(cb: *mut bindings::callback_head) {
        // `cb` is the first field of a `repr(C)` `TaskBind`, which
        // `Opaque` makes transparent.
        let bind = cb.cast::<TaskBind>();
        // SAFETY: `bind` is live: `owner`'s reference keeps it so.
        let p = unsafe { &(*bind).owner }.swap(ptr::null_mut(), Ordering::AcqRel);
        // SAFETY: `owner` holds `Arc::into_raw`'s reference while queued
        // (invariant); the swap took it, once.
        let tctx = unsafe { Arc::from_raw(p) };
        // Read now: `tctx` may be freed below; the callback's own reference
        // keeps the file.
        let pin = tctx.bind.pin;
        tctx.notify_started();
        {
            // SAFETY: Task work runs in process context with no lock held.
            let mut cx = unsafe { TaskCtx::enter() };
            crate::uring::entry::tw::tctx_task_work(&tctx, &mut cx);
        }
        drop(tctx);
        // SAFETY: The reference `notify` took for this callback. The last
        // thing the callback does: the module stays loaded until `__fput()`
        // runs, after this returns (see `TaskBind`).
        unsafe { io_uring_rs_pin_put(pin) };
    }
}

#[cfg(not(MODULE))]
use hbind::TaskBind;

#[cfg(not(MODULE))]
#[cfg_attr(not(test), allow(dead_code))]
mod hbind {
    use super::IoUringTask;
    use kernel::sync::Arc;
    use std::thread::ThreadId;

    /// The host's threads never run task work: every list goes to the
    /// fallback worker. A list remembers its thread, so that a ring finds
    /// the calling thread's list as in the kernel.
    pub(super) struct TaskBind {
        thread: Option<ThreadId>,
    }

    impl TaskBind {
        pub(super) fn current() -> kernel::error::Result<Self> {
            Ok(TaskBind {
                thread: Some(std::thread::current().id()),
            })
        }

        pub(super) fn none() -> Self {
            TaskBind { thread: None }
        }

        pub(super) fn is_current(&self) -> bool {
            self.thread == Some(std::thread::current().id())
        }

        pub(super) fn exiting(&self) -> bool {
            false
        }

        pub(super) fn notify(&self, _tctx: Arc<IoUringTask>) -> bool {
            false
        }
    }
}
