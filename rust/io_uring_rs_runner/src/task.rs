// SPDX-License-Identifier: GPL-2.0

//! "The task": a process that runs what a backend asks of it, so that the
//! rings see one submitting task that can exit and exec.
//!
//! A dedicated thread clones a child with `CLONE_VM | CLONE_VFORK`: the
//! child shares the runner's memory and runs the jobs with the thread's
//! stack of thread-locals while the thread waits in `clone()` (vfork's
//! contract), until the child execs or exits. Without `CLONE_FILES` the
//! child has a copy of the runner's file table, taken at the clone: its
//! exit closes those copies, and the close is what `/dev/io_uring_rs`'s
//! `->flush()` sees of a task's exit (io_uring itself is told by
//! `do_exit()`). Descriptors made after the clone are not the child's.

use std::ffi::{c_void, CStr};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::thread::JoinHandle;

type Job = Box<dyn FnOnce() + Send>;

/// The child's stack.
const CHILD_STACK: usize = 1 << 20;

/// What a process task's child execs: the runner, told to exit at once.
pub(crate) const EXEC_TARGET: &CStr = c"exec-target";

/// A process running jobs in order.
pub(crate) struct Task {
    tx: Option<Sender<Job>>,
    /// The thread; it returns the child's wait status.
    handle: Option<JoinHandle<i32>>,
}

/// The process task's child: runs the jobs until the channel closes.
extern "C" fn child_main(arg: *mut c_void) -> i32 {
    // SAFETY: `arg` is the thread's receiver, which outlives the child's
    // use of it: the thread waits in `clone()` until the child exits or
    // execs.
    let rx = unsafe { &*(arg as *const Receiver<Job>) };
    while let Ok(job) = rx.recv() {
        job();
    }
    0
}

impl Task {
    /// Starts a task: a process sharing the runner's memory, with a copy
    /// of its file table.
    pub(crate) fn start() -> Self {
        let (tx, rx): (Sender<Job>, Receiver<Job>) = channel();
        let handle = std::thread::spawn(move || {
            let mut stack = vec![0u8; CHILD_STACK];
            // SAFETY: one past the end of `stack`, which lives until the
            // child no longer runs on it (`clone()` returns in this thread
            // only when the child exited or exec'd).
            let top = unsafe { stack.as_mut_ptr().add(CHILD_STACK) };
            let flags = libc::CLONE_VM | libc::CLONE_VFORK | libc::SIGCHLD;
            // SAFETY: `child_main` only uses `rx`, see there; this thread
            // is suspended while the child runs on its thread-locals.
            let pid = unsafe {
                libc::clone(
                    child_main,
                    top.cast(),
                    flags,
                    &rx as *const Receiver<Job> as *mut c_void,
                )
            };
            if pid < 0 {
                return -1;
            }
            let mut status = 0;
            // SAFETY: `pid` is our child; `status` is a valid out-pointer.
            unsafe { libc::waitpid(pid, &mut status, 0) };
            status
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

    /// Lets the child exit and waits for it; the next `run` starts a new
    /// one. Returns the child's wait status.
    pub(crate) fn exit(&mut self) -> i32 {
        self.tx = None;
        match self.handle.take() {
            Some(h) => h.join().unwrap_or(-1),
            None => 0,
        }
    }

    /// Makes the task exec the runner with [`EXEC_TARGET`], which
    /// exits at once, and waits for it; `Ok` if it got there. Exec cancels
    /// everything the task has in flight (`io_uring_task_cancel()`).
    pub(crate) fn exec(&mut self) -> std::io::Result<()> {
        let tx = self
            .tx
            .take()
            .ok_or_else(|| std::io::Error::other("no task"))?;
        let job: Job = Box::new(|| {
            let path = c"/proc/self/exe";
            let arg0 = c"io_uring_rs_scenarios";
            let arg1 = EXEC_TARGET;
            let argv = [arg0.as_ptr(), arg1.as_ptr(), core::ptr::null()];
            let envp = [core::ptr::null()];
            // SAFETY: NUL-terminated strings and NULL-terminated arrays.
            unsafe { libc::execve(path.as_ptr(), argv.as_ptr(), envp.as_ptr()) };
            // SAFETY: exec failed: leave the child without unwinding into
            // the thread's frames.
            unsafe { libc::_exit(127) };
        });
        tx.send(job)
            .map_err(|_| std::io::Error::other("task gone"))?;
        drop(tx);
        match self.exit() {
            0 => Ok(()),
            status => Err(std::io::Error::other(format!(
                "exec of the task failed (wait status {status:#x})"
            ))),
        }
    }
}

impl Drop for Task {
    fn drop(&mut self) {
        self.exit();
    }
}
