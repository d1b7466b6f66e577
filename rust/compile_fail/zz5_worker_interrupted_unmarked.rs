// SPDX-License-Identifier: GPL-2.0

//! Attack on io-wq's cancel of running work: interrupting a worker for
//! work no cancel marked. The worker clears `TIF_NOTIFY_SIGNAL` only after
//! work that is marked (`IO_WQ_WORK_CANCEL`), so its later waits would end
//! at once. The running work's one method marks the request, then
//! interrupts the worker; the worker's entry and its task are the model's.
// kbuild
// expect-error: error[E0616]: field `worker` of struct `RunningWork` is private

use crate::uring::model::ring::IoWqGuard;

/// The violation: interrupt the workers of all running work, unmarked.
#[cfg(bug)]
pub(crate) fn interrupt_all(w: &mut IoWqGuard<'_, '_>) {
    let (lists, _) = w.split();
    for work in lists.workers.running() {
        if let Some(task) = &work.worker.task {
            task.notify_signal();
        }
    }
}

/// The honest shape: mark each, then interrupt its worker.
#[cfg(not(bug))]
pub(crate) fn interrupt_all(w: &mut IoWqGuard<'_, '_>) {
    let (lists, _) = w.split();
    for work in lists.workers.running() {
        work.signal_and_interrupt();
    }
}
