// SPDX-License-Identifier: GPL-2.0

//! "The task": a thread that runs what a backend asks of it, so that the
//! rings see one submitting task that can exit.
//!
//! A task that must exec (`cancel_task = "all"`) is a process of its own
//! instead: exec replaces a whole thread group, and only exec cancels with
//! `cancel_all` in real io_uring. The thread clones a child with
//! `CLONE_VM | CLONE_VFORK | CLONE_FILES`: the child shares the runner's
//! memory and file descriptors, and runs the jobs with the thread's stack
//! of thread-locals while the thread waits in `clone()` (vfork's
//! contract), until the child execs or exits.

use std::ffi::{c_void, CStr};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::thread::JoinHandle;

type Job = Box<dyn FnOnce() + Send>;

/// The child's stack.
const CHILD_STACK: usize = 1 << 20;

/// What a process task's child execs: the runner, told to exit at once.
pub(crate) const EXEC_TARGET: &CStr = c"exec-target";

/// A thread running jobs in order.
pub(crate) struct Task {
    tx: Option<Sender<Job>>,
    /// The thread; it returns the child's wait status for a process task.
    handle: Option<JoinHandle<i32>>,
    /// Whether the jobs run in a child process that may exec.
    process: bool,
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
    /// Starts the thread.
    pub(crate) fn start() -> Self {
        let (tx, rx): (Sender<Job>, Receiver<Job>) = channel();
        let handle = std::thread::spawn(move || {
            while let Ok(job) = rx.recv() {
                job();
            }
            0
        });
        Task {
            tx: Some(tx),
            handle: Some(handle),
            process: false,
        }
    }

    /// Starts a task that is a process sharing the runner's memory and
    /// files, so that it can [`exec`](Task::exec).
    pub(crate) fn start_process() -> Self {
        let (tx, rx): (Sender<Job>, Receiver<Job>) = channel();
        let handle = std::thread::spawn(move || {
            let mut stack = vec![0u8; CHILD_STACK];
            // SAFETY: one past the end of `stack`, which lives until the
            // child no longer runs on it (`clone()` returns in this thread
            // only when the child exited or exec'd).
            let top = unsafe { stack.as_mut_ptr().add(CHILD_STACK) };
            let flags = libc::CLONE_VM | libc::CLONE_VFORK | libc::CLONE_FILES | libc::SIGCHLD;
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
            process: true,
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
    /// one. Returns the child's wait status for a process task.
    pub(crate) fn exit(&mut self) -> i32 {
        self.tx = None;
        match self.handle.take() {
            Some(h) => h.join().unwrap_or(-1),
            None => 0,
        }
    }

    /// Makes a process task exec the runner with [`EXEC_TARGET`], which
    /// exits at once, and waits for it; `Ok` if it got there. Exec cancels
    /// everything the task has in flight (`io_uring_task_cancel()`).
    pub(crate) fn exec(&mut self) -> std::io::Result<()> {
        if !self.process {
            // A thread's exec would replace the whole runner.
            return Err(std::io::Error::other("the task is not a process"));
        }
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
