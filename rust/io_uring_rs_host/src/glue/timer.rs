// SPDX-License-Identifier: GPL-2.0

//! The hrtimer on the host: a thread that waits for the expiry (or, under
//! loom, fires at any point the model picks) and calls the callback with an
//! [`AtomicCtx`], as the kernel's hard-IRQ callback gets.
//!
//! As in the kernel, an armed timer owns one `Arc` of its owner, which the
//! callback or a successful cancel takes back.

use super::wq::spawn_timer;
use crate::glue::context::AtomicCtx;
use kernel::prelude::*;
use kernel::sync::Arc;

#[cfg(loom)]
use loom::sync::{Condvar, Mutex, MutexGuard};
#[cfg(not(loom))]
use std::sync::{Condvar, Mutex, MutexGuard};

pub(crate) use super::timer_api::{TimerDone, TimerOwner, TryCancel};

struct State<T> {
    armed: Option<Arc<T>>,
    running: bool,
    generation: u64,
}

struct Shared<T> {
    state: Mutex<State<T>>,
    cv: Condvar,
}

/// A one-shot timer; one made not armable has no state and never fires.
pub(crate) struct HrTimer<T> {
    shared: Option<std::sync::Arc<Shared<T>>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl<T: TimerOwner> HrTimer<T> {
    /// Returns an initialiser for an unarmed timer; one that is not
    /// `armable` is never started.
    pub(crate) fn new(armable: bool) -> impl PinInit<Self> {
        HrTimer {
            shared: armable.then(|| {
                std::sync::Arc::new(Shared {
                    state: Mutex::new(State {
                        armed: None,
                        running: false,
                        generation: 0,
                    }),
                    cv: Condvar::new(),
                })
            }),
        }
    }

    /// Arms the timer to fire in `ns` nanoseconds, owning `this` until then.
    /// Returns `this` back if the timer is already armed.
    pub(crate) fn start(this: Arc<T>, ns: u64) -> core::result::Result<(), Arc<T>> {
        let Some(shared) = this.timer().shared.clone() else {
            return Err(this);
        };
        let generation = {
            let mut st = lock(&shared.state);
            if st.armed.is_some() {
                drop(st);
                return Err(this);
            }
            st.generation += 1;
            st.armed = Some(this);
            st.generation
        };
        spawn_timer(Box::new(move || {
            Self::wait_and_fire(shared, generation, ns)
        }));
        Ok(())
    }

    fn wait_and_fire(shared: std::sync::Arc<Shared<T>>, generation: u64, ns: u64) {
        let mut st = lock(&shared.state);
        #[cfg(not(loom))]
        {
            let deadline = std::time::Instant::now() + std::time::Duration::from_nanos(ns);
            loop {
                if st.generation != generation || st.armed.is_none() {
                    return;
                }
                let now = std::time::Instant::now();
                if now >= deadline {
                    break;
                }
                st = shared
                    .cv
                    .wait_timeout(st, deadline - now)
                    .unwrap_or_else(|e| e.into_inner())
                    .0;
            }
        }
        #[cfg(loom)]
        let _ = ns;
        if st.generation != generation {
            return;
        }
        let Some(owner) = st.armed.take() else {
            return;
        };
        st.running = true;
        drop(st);
        // SAFETY: The timer thread holds no lock of the core: it stands for
        // the hard-IRQ callback, whose only context this is.
        let _done = T::timer_fired(owner, unsafe { AtomicCtx::enter() });
        lock(&shared.state).running = false;
    }

    /// Cancels the timer unless its callback already runs or ran.
    pub(crate) fn try_to_cancel(&self) -> TryCancel {
        let Some(shared) = &self.shared else {
            return TryCancel::Inactive;
        };
        let mut st = lock(&shared.state);
        if st.running {
            return TryCancel::Running;
        }
        match st.armed.take() {
            Some(owner) => {
                st.generation += 1;
                shared.cv.notify_all();
                drop(st);
                drop(owner);
                TryCancel::Cancelled
            }
            None => TryCancel::Inactive,
        }
    }
}
