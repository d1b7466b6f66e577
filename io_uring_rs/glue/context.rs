// SPDX-License-Identifier: GPL-2.0

//! Execution contexts as values: [`TaskCtx`] (may sleep) and [`AtomicCtx`]
//! (may not).
//!
//! Both are created only here, by `unsafe` constructors whose contract is the
//! context the caller runs in, so only the glue's entry points (module
//! `init`, the device's system calls, the work items, the hrtimer callback)
//! create them; the core is `#![forbid(unsafe_code)]` and can only receive
//! them. Neither is `Clone`, `Copy`, `Default`, `Send` or `Sync`.
//!
//! A [`TaskCtx`] can take every ring lock (the model's `Ring::lock_uring`
//! borrows it mutably for as long as the guard lives, so one context holds
//! at most one ring's `uring_lock`). An [`AtomicCtx`] can take only
//! `timeout_lock`; a timer callback receives it by value, so whatever it
//! consumes it with (the linked-timeout claim) happens once per callback.

use core::marker::PhantomData;
use kernel::time::Jiffies;

/// A context that may sleep: a system call, a work item, module `init`.
pub(crate) struct TaskCtx {
    _not_send: PhantomData<*mut ()>,
}

impl TaskCtx {
    /// Enters task context.
    ///
    /// # Safety
    ///
    /// The caller runs in a context that may sleep (process context, no
    /// spinlock held, interrupts enabled), and holds no ring lock, for as
    /// long as the returned value lives.
    pub(crate) unsafe fn enter() -> Self {
        TaskCtx {
            _not_send: PhantomData,
        }
    }
}

impl TaskCtx {
    /// Lets others run (`cond_resched()`): a loop over entries user space
    /// chose (a submission of up to 32768) must not hold the CPU. A shared
    /// `TaskCtx` is the evidence that the caller may sleep (no spinlock
    /// guard borrows it).
    /// The host's threads are preempted by the host: nothing to do there.
    pub(crate) fn cond_resched(&self) {
        #[cfg(MODULE)]
        // SAFETY: The caller may sleep (`TaskCtx`).
        unsafe {
            io_uring_rs_cond_resched()
        };
    }

    /// Whether the scheduler wants the CPU back (`need_resched()`): a loop
    /// that holds a sleeping lock lets go of it before [`Self::cond_resched`]
    /// when this says so. Never on the host, whose threads the host preempts.
    pub(crate) fn need_resched(&self) -> bool {
        #[cfg(MODULE)]
        // SAFETY: Reads the current task's flag; valid in any context.
        let resched = unsafe { io_uring_rs_need_resched() };
        #[cfg(not(MODULE))]
        let resched = false;
        resched
    }

    /// Sleeps `jiffies` where no signal can end the sleep
    /// (`schedule_timeout_uninterruptible()`): the wait of a task that has
    /// `TIF_NOTIFY_SIGNAL` set and cannot return to user space to clear it
    /// (its `flush()` at exit or exec), where every interruptible sleep ends
    /// at once. The host's wait is a plain sleep (a yield under loom).
    pub(crate) fn sleep_uninterruptible(&self, jiffies: Jiffies) {
        #[cfg(MODULE)]
        // SAFETY: The caller may sleep (`TaskCtx`).
        unsafe {
            io_uring_rs_sleep_uninterruptible(jiffies)
        };
        #[cfg(all(not(MODULE), not(loom)))]
        std::thread::sleep(std::time::Duration::from_millis(jiffies as u64));
        #[cfg(all(not(MODULE), loom))]
        {
            let _ = jiffies;
            loom::thread::yield_now();
        }
    }
}

/// The right to consume a ring's SQ (take its SQ lock) once: made only at a
/// system call's entry point, consumed by `Ring::lock_sq`. The SQ lock's
/// guard lends its task context to the submission it serialises; without a
/// second `SqCtx` that context cannot take an SQ lock again (a
/// self-deadlock on one ring, an order inversion across two).
pub(crate) struct SqCtx {
    _not_send: PhantomData<*mut ()>,
}

impl SqCtx {
    /// Enters a system call that may submit from an SQ ring.
    ///
    /// # Safety
    ///
    /// The caller is the entry point of a system call (or a test thread),
    /// holds no SQ lock, and makes one `SqCtx` per call.
    pub(crate) unsafe fn enter() -> Self {
        SqCtx {
            _not_send: PhantomData,
        }
    }
}

/// An atomic context: it may take `timeout_lock` (an IRQ-safe spinlock) and
/// nothing that sleeps.
pub(crate) struct AtomicCtx {
    _not_send: PhantomData<*mut ()>,
}

impl AtomicCtx {
    /// Enters atomic context.
    ///
    /// # Safety
    ///
    /// The caller holds no ring lock other than, possibly, the io-wq lock of
    /// one ring (whose order allows `timeout_lock` next), and no other
    /// [`TaskCtx`] or [`AtomicCtx`] of the same thread is usable while the
    /// returned value lives (a task-context caller must have lent its
    /// [`TaskCtx`] to the io-wq lock's guard).
    pub(crate) unsafe fn enter() -> Self {
        AtomicCtx {
            _not_send: PhantomData,
        }
    }
}

mod sealed {
    pub(crate) trait Sealed {}
    impl Sealed for super::TaskCtx {}
    impl Sealed for super::AtomicCtx {}
}

/// Any execution context: what `timeout_lock` accepts.
pub(crate) trait AnyCtx: sealed::Sealed {}
impl AnyCtx for TaskCtx {}
impl AnyCtx for AtomicCtx {}

#[cfg(MODULE)]
extern "C" {
    fn io_uring_rs_task_sigpending() -> core::ffi::c_int;
    fn io_uring_rs_cond_resched();
    fn io_uring_rs_need_resched() -> bool;
    fn io_uring_rs_sleep_uninterruptible(jiffies: Jiffies);
}

/// Whether the current task has a signal to deliver (`task_sigpending()`),
/// as opposed to only `TIF_NOTIFY_SIGNAL`, which `task_work_add()` sets
/// (io_uring's own task work on a task that also uses a real ring): an
/// interruptible sleep ends for either, but only the first is an `-EINTR`
/// for the caller; the second is `-ERESTARTSYS`, so that the task runs its
/// task work on the way out and the system call starts again. The host has
/// no task work: every interruption is a signal.
pub(crate) fn task_sigpending() -> bool {
    #[cfg(MODULE)]
    {
        // SAFETY: Reads the current task's pending signals; valid in any
        // context.
        unsafe { io_uring_rs_task_sigpending() != 0 }
    }
    #[cfg(not(MODULE))]
    {
        true
    }
}

/// A proof that its holder may interrupt a kernel thread's wait
/// ([`ThreadTask::notify_signal`](crate::glue::kthread::ThreadTask::notify_signal)).
///
/// # Safety
///
/// Only the code that the module's rules let interrupt a thread can make
/// a value of an implementing type: io-wq's cancel of running work, which
/// marks the work before it interrupts the worker (a worker clears the
/// interruption only after marked work; `Documentation/locking.rst`, rule
/// 13). The core cannot implement an `unsafe trait`.
pub(crate) unsafe trait MayInterrupt {}
