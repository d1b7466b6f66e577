// SPDX-License-Identifier: GPL-2.0

//! The host's kernel thread (see the module's `glue/kthread.rs`): a thread
//! with a stop flag, joined when the handle is dropped. Under loom, whose
//! models allow five threads, an io-wq worker is a job of the runtime's
//! io-wq thread (`glue/wq.rs`); dropping the handle takes the job back if
//! it has not started (a kernel thread stopped before it ran never calls
//! its function), or waits until it ran.

use crate::glue::context::{MayInterrupt, SqCtx, TaskCtx};
use kernel::prelude::*;
use kernel::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// What a thread is for.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum ThreadKind {
    /// The SQPOLL thread.
    SqPoll,
    /// An io-wq worker.
    IoWorker,
}

/// The thread's execution context.
pub(crate) struct ThreadCtx {
    cx: TaskCtx,
    stop: std::sync::Arc<AtomicBool>,
}

impl ThreadCtx {
    /// Whether the thread was asked to stop.
    pub(crate) fn should_stop(&self) -> bool {
        self.stop.load(Ordering::Acquire)
    }

    /// Lets others run.
    pub(crate) fn cond_resched(&mut self) {
        std::thread::yield_now();
    }

    /// Runs one pass with the right to consume an SQ once (the host has
    /// one address space).
    pub(crate) fn pass<R>(&mut self, f: impl FnOnce(&mut TaskCtx, SqCtx) -> R) -> Option<R> {
        // SAFETY: The thread's loop is its entry point and holds no SQ lock
        // while it has `&mut self`.
        let sq = unsafe { SqCtx::enter() };
        Some(f(&mut self.cx, sq))
    }

    /// The task context, to sleep between passes.
    pub(crate) fn task(&mut self) -> &mut TaskCtx {
        &mut self.cx
    }

    /// A reference to this thread's task: on the host, what it waits for
    /// (a channel) is woken by the channel, so interrupting does nothing.
    pub(crate) fn current_task(&self) -> Option<ThreadTask> {
        Some(ThreadTask)
    }

    /// Clears the interruption (nothing on the host).
    pub(crate) fn clear_notify_signal(&mut self) {}
}

/// A reference to a thread's task.
pub(crate) struct ThreadTask;

impl ThreadTask {
    /// Interrupts what the task waits for (nothing on the host), for the
    /// holder of a [`MayInterrupt`] proof.
    pub(crate) fn notify_signal(&self, _proof: &impl MayInterrupt) {}
}

impl Drop for ThreadTask {
    /// Puts the task reference (the kernel's does; the host holds none).
    fn drop(&mut self) {}
}

/// A running thread; dropping the handle stops it and joins it.
pub(crate) struct KThread {
    stop: std::sync::Arc<AtomicBool>,
    #[cfg(not(loom))]
    handle: Option<std::thread::JoinHandle<()>>,
    #[cfg(loom)]
    done: crate::glue::wq::JobDone,
}

impl KThread {
    /// Starts a thread that runs `body(&data, ..)` until it returns.
    pub(crate) fn spawn<T: Send + Sync + 'static>(
        _cx: &TaskCtx,
        data: Arc<T>,
        _kind: ThreadKind,
        _pid: i32,
        body: fn(&T, &mut ThreadCtx),
    ) -> Result<Self> {
        let stop = std::sync::Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let job = move || {
            let mut tcx = ThreadCtx {
                // SAFETY: A new thread (or a runtime job) holds no lock.
                cx: unsafe { TaskCtx::enter() },
                stop: flag,
            };
            body(&data, &mut tcx);
        };
        #[cfg(not(loom))]
        {
            Ok(KThread {
                stop,
                handle: Some(std::thread::spawn(job)),
            })
        }
        #[cfg(loom)]
        {
            let done = crate::glue::wq::spawn_iowq_job(Box::new(job));
            Ok(KThread { stop, done })
        }
    }
}

impl Drop for KThread {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        #[cfg(not(loom))]
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
        #[cfg(loom)]
        self.done.stop();
    }
}
