// SPDX-License-Identifier: GPL-2.0

//! The host's kernel thread (see the module's `glue/kthread.rs`): a thread
//! with a stop flag, joined when the handle is dropped.

use crate::glue::context::{SqCtx, TaskCtx};
use kernel::prelude::*;
use kernel::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

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
}

/// A running thread; dropping the handle stops it and joins it.
pub(crate) struct KThread {
    stop: std::sync::Arc<AtomicBool>,
    handle: Option<std::thread::JoinHandle<()>>,
}

impl KThread {
    /// Starts a thread that runs `body(&data, ..)` until asked to stop.
    pub(crate) fn spawn<T: Send + Sync + 'static>(
        _cx: &TaskCtx,
        data: Arc<T>,
        _pid: i32,
        body: fn(&T, &mut ThreadCtx),
    ) -> Result<Self> {
        let stop = std::sync::Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let handle = std::thread::spawn(move || {
            let mut tcx = ThreadCtx {
                // SAFETY: A new thread holds no lock.
                cx: unsafe { TaskCtx::enter() },
                stop: flag,
            };
            body(&data, &mut tcx);
        });
        Ok(KThread {
            stop,
            handle: Some(handle),
        })
    }
}

impl Drop for KThread {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}
