// SPDX-License-Identifier: GPL-2.0

//! Execution contexts as types.
//!
//! Every path that takes a ring lock starts from a context token. A
//! [`TaskCtx`] (a task, a task-work item, an io-wq worker) may sleep and so may
//! take `uring_lock`. An [`AtomicCtx`] (an hrtimer callback, an io-wq cancel
//! match callback running under io-wq's spinlock) may only take
//! `timeout_lock`: [`IoRingCtx::lock_uring`] does not accept it, so taking
//! `uring_lock` there does not compile.
//!
//! Taking a lock borrows the token mutably for as long as the guard lives;
//! further locks come from the guard ([`UringGuard::lock_timeout`], ...), so
//! the lock order `uring_lock` -> `completion_lock` -> `timeout_lock` holds by
//! construction.
//!
//! [`IoRingCtx::lock_uring`]: super::ring::IoRingCtx::lock_uring
//! [`UringGuard::lock_timeout`]: super::locks::UringGuard::lock_timeout

use core::marker::PhantomData;

/// A context that may sleep: it can take every ring lock.
pub(crate) struct TaskCtx {
    _not_send: PhantomData<*mut ()>,
}

impl TaskCtx {
    /// Enters task context. Only entry points create one: the module's
    /// `init`, a task-work item, an io-wq worker, a system call.
    pub(crate) fn enter() -> Self {
        TaskCtx {
            _not_send: PhantomData,
        }
    }
}

/// An atomic context: it can take `timeout_lock` and nothing that sleeps.
pub(crate) struct AtomicCtx {
    _not_send: PhantomData<*mut ()>,
}

impl AtomicCtx {
    /// The context of an hrtimer callback (hard IRQ).
    pub(crate) fn in_timer() -> Self {
        AtomicCtx {
            _not_send: PhantomData,
        }
    }

    /// The context of an io-wq cancel match callback (under io-wq's lock).
    pub(crate) fn in_match_callback() -> Self {
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
