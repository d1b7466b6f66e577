// SPDX-License-Identifier: GPL-2.0

//! The module's workqueues on the host.
//!
//! With `std`: task work (the host has no task to run it: every list goes
//! to the fallback worker) runs on one worker thread at a time, in order,
//! as on the kernel's ordered fallback queue; every io-wq item and every
//! armed timer gets a thread of its own.
//!
//! Under loom, which allows five threads, a test starts a [`Runtime`]: one
//! thread each for task work, io-wq and timers, which run what is queued in
//! order until the test shuts it down. io-wq's items are its workers, each
//! of which runs its ring's pending work until there is none; cancelled
//! work is taken off the ring's own list, never off a queue.

use kernel::workqueue::RawWorkItem;

/// A queued job.
pub(crate) type Job = Box<dyn FnOnce() + Send>;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Tw = 0,
    /// io-wq workers' jobs, under loom (`glue/kthread.rs`).
    #[cfg_attr(not(loom), allow(dead_code))]
    IoWq = 1,
    Timer = 2,
}

/// A workqueue.
pub(crate) struct Queue {
    kind: Kind,
}

static TW: Queue = Queue { kind: Kind::Tw };

/// The task-work fallback queue (ordered).
pub(crate) fn fallback() -> &'static Queue {
    &TW
}

impl Queue {
    /// Queues `w` unless it is already queued (then returns it back).
    pub(crate) fn enqueue<W: RawWorkItem<ID>, const ID: u64>(&self, w: W) -> Result<(), W> {
        if !w.mark_pending() {
            return Err(w);
        }
        submit(self.kind, w.key(), Box::new(move || w.run()));
        Ok(())
    }
}

/// Runs a timer's wait-and-fire job.
pub(crate) fn spawn_timer(job: Job) {
    submit(Kind::Timer, 0, job);
}

#[cfg(not(loom))]
mod imp {
    use super::{Job, Kind};
    use std::collections::VecDeque;
    use std::sync::Mutex;

    struct Ordered {
        jobs: VecDeque<Job>,
        active: bool,
    }

    static ORDERED: Mutex<Ordered> = Mutex::new(Ordered {
        jobs: VecDeque::new(),
        active: false,
    });

    fn ordered() -> std::sync::MutexGuard<'static, Ordered> {
        ORDERED.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(super) fn submit(kind: Kind, _key: usize, job: Job) {
        if kind != Kind::Tw {
            std::thread::spawn(job);
            return;
        }
        let mut q = ordered();
        q.jobs.push_back(job);
        if !q.active {
            q.active = true;
            std::thread::spawn(|| loop {
                let next = {
                    let mut q = ordered();
                    let next = q.jobs.pop_front();
                    if next.is_none() {
                        q.active = false;
                    }
                    next
                };
                match next {
                    Some(job) => job(),
                    None => return,
                }
            });
        }
    }
}

#[cfg(loom)]
mod imp {
    use super::{Job, Kind};
    use loom::sync::{Condvar, Mutex};
    use std::collections::VecDeque;

    pub(super) struct Rt {
        pub(super) state: Mutex<RtState>,
        pub(super) cv: Condvar,
    }

    pub(super) struct RtState {
        /// Queued jobs with their work item's key (0 for timers).
        pub(super) queues: [VecDeque<(usize, Job)>; 3],
        #[cfg_attr(not(test), allow(dead_code))]
        pub(super) closed: bool,
    }

    loom::lazy_static! {
        pub(super) static ref RT: Rt = Rt {
            state: Mutex::new(RtState {
                queues: [VecDeque::new(), VecDeque::new(), VecDeque::new()],
                closed: false,
            }),
            cv: Condvar::new(),
        };
    }

    pub(super) fn submit(kind: Kind, key: usize, job: Job) {
        let mut st = RT.state.lock().unwrap();
        st.queues[kind as usize].push_back((key, job));
        RT.cv.notify_all();
    }

    /// Removes the queued job `key`, if it has not started.
    pub(super) fn take(kind: Kind, key: usize) -> Option<Job> {
        let mut st = RT.state.lock().unwrap();
        let q = &mut st.queues[kind as usize];
        let pos = q.iter().position(|(k, _)| *k == key)?;
        q.remove(pos).map(|(_, job)| job)
    }

    #[cfg(test)]
    pub(super) fn worker(kind: Kind) {
        loop {
            let job = {
                let mut st = RT.state.lock().unwrap();
                loop {
                    if let Some((_, job)) = st.queues[kind as usize].pop_front() {
                        break job;
                    }
                    if st.closed {
                        return;
                    }
                    st = RT.cv.wait(st).unwrap();
                }
            };
            job();
        }
    }
}

use imp::submit;

/// A job of [`spawn_iowq_job`] (loom).
#[cfg(loom)]
pub(crate) struct JobDone {
    key: usize,
    done: std::sync::Arc<(loom::sync::Mutex<bool>, loom::sync::Condvar)>,
}

#[cfg(loom)]
impl JobDone {
    /// Takes the job off its queue if it has not started (it never runs,
    /// as a kernel thread stopped before it ran never calls its function);
    /// otherwise waits until it ran.
    pub(crate) fn stop(&self) {
        if imp::take(Kind::IoWq, self.key).is_some() {
            return;
        }
        let (done, cv) = &*self.done;
        let mut d = done.lock().unwrap();
        while !*d {
            d = cv.wait(d).unwrap();
        }
    }
}

/// Runs `job` on the runtime's io-wq thread, after what is queued there: a
/// host io-wq worker under loom (`glue/kthread.rs`).
#[cfg(loom)]
pub(crate) fn spawn_iowq_job(job: Job) -> JobDone {
    use core::sync::atomic::{AtomicUsize, Ordering};
    // Keys only tell jobs apart: not part of what loom explores.
    static NEXT: AtomicUsize = AtomicUsize::new(1);
    let key = NEXT.fetch_add(1, Ordering::Relaxed);
    let done = std::sync::Arc::new((loom::sync::Mutex::new(false), loom::sync::Condvar::new()));
    let mark = done.clone();
    submit(
        Kind::IoWq,
        key,
        Box::new(move || {
            job();
            let (d, cv) = &*mark;
            *d.lock().unwrap() = true;
            cv.notify_all();
        }),
    );
    JobDone { key, done }
}

/// The loom runtime: one worker thread per queue.
#[cfg(all(loom, test))]
pub(crate) struct Runtime {
    threads: Vec<loom::thread::JoinHandle<()>>,
}

#[cfg(all(loom, test))]
impl Runtime {
    /// Starts the three workers.
    pub(crate) fn start() -> Self {
        let threads = [Kind::Tw, Kind::IoWq, Kind::Timer]
            .into_iter()
            .map(|k| loom::thread::spawn(move || imp::worker(k)))
            .collect();
        Runtime { threads }
    }

    /// Lets the workers finish what is queued, then stops them.
    pub(crate) fn shutdown(self) {
        {
            let mut st = imp::RT.state.lock().unwrap();
            st.closed = true;
            imp::RT.cv.notify_all();
        }
        for t in self.threads {
            t.join().unwrap();
        }
    }
}
