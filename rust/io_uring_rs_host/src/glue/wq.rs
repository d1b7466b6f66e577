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
//! order until the test shuts it down. [`iowq_cancel`] takes a queued io-wq
//! item back, as the kernel's `cancel_work()` does, so loom explores a
//! cancelled request that never needs the (single) io-wq worker; with
//! `std`, where every item has a thread of its own and none waits for
//! another, it takes nothing back.

use kernel::sync::Arc;
use kernel::workqueue::{HasWork, RawWorkItem};

/// A queued job.
pub(crate) type Job = Box<dyn FnOnce() + Send>;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Tw = 0,
    IoWq = 1,
    Timer = 2,
}

/// A workqueue.
pub(crate) struct Queue {
    kind: Kind,
}

static TW: Queue = Queue { kind: Kind::Tw };
static IOWQ: Queue = Queue { kind: Kind::IoWq };

/// The task-work fallback queue (ordered).
pub(crate) fn fallback() -> &'static Queue {
    &TW
}

/// The io-wq queue.
pub(crate) fn iowq() -> &'static Queue {
    &IOWQ
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

/// Takes `req`'s io-wq item off its queue if it has not started, dropping
/// the reference the queue held (the kernel's `cancel_work()`); returns
/// whether it did.
pub(crate) fn iowq_cancel<T: HasWork<T, 1>>(req: &Arc<T>) -> bool {
    let work = <T as HasWork<T, 1>>::work(req);
    match imp::take(Kind::IoWq, work.key()) {
        Some(job) => {
            // The job will never run: the item is idle again, as after
            // `cancel_work()`. Dropping the job drops the queue's reference.
            work.clear_pending();
            drop(job);
            true
        }
        None => false,
    }
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

    /// Every io-wq item has a thread of its own: none is ever taken back.
    pub(super) fn take(_kind: Kind, _key: usize) -> Option<Job> {
        None
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

    /// Removes the queued job of the work item `key`, if it has not started.
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
