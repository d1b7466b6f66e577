// SPDX-License-Identifier: GPL-2.0

//! "The task": a thread that runs what a backend asks of it, so that the
//! rings see one submitting task that can exit.

use std::sync::mpsc::{channel, Receiver, Sender};
use std::thread::JoinHandle;

type Job = Box<dyn FnOnce() + Send>;

/// A thread running jobs in order.
pub(crate) struct Task {
    tx: Option<Sender<Job>>,
    handle: Option<JoinHandle<()>>,
}

impl Task {
    /// Starts the thread.
    pub(crate) fn start() -> Self {
        let (tx, rx): (Sender<Job>, Receiver<Job>) = channel();
        let handle = std::thread::spawn(move || {
            while let Ok(job) = rx.recv() {
                job();
            }
        });
        Task {
            tx: Some(tx),
            handle: Some(handle),
        }
    }

    /// Runs `f` on the task and returns its result.
    pub(crate) fn run<R: Send + 'static>(&mut self, f: impl FnOnce() -> R + Send + 'static) -> R {
        if self.tx.is_none() {
            *self = Task::start();
        }
        let (rtx, rrx) = channel();
        let job: Job = Box::new(move || {
            let _ = rtx.send(f());
        });
        self.tx
            .as_ref()
            .expect("started")
            .send(job)
            .expect("task alive");
        rrx.recv().expect("task answered")
    }

    /// Lets the thread exit and waits for it; the next `run` starts a new
    /// one.
    pub(crate) fn exit(&mut self) {
        self.tx = None;
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

impl Drop for Task {
    fn drop(&mut self) {
        self.exit();
    }
}
