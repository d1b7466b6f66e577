// SPDX-License-Identifier: GPL-2.0

//! Poll-armed requests (`io_uring/poll.c`): a READ, WRITE or POLL_ADD that
//! waits for its file (or channel) to become ready sits on the ring's
//! cancelable list with its reference, a file's armed poll in the same
//! entry (taking the entry off unhooks the poll). The poll's wake-up queues task work
//! ([`io_poll_task_func`]) that takes the request off the list and issues
//! it again; cancellation takes it off instead and completes it with
//! `-ECANCELED`. Both run under `uring_lock`, so exactly one of them finds
//! the request.

use super::cancel::CancelData;
use super::issue::{finish, io_issue_sqe, Issued};
use super::link::io_match_task_safe;
use super::tw::{self, BareTw};
use crate::glue::file::PollArm;
use crate::uring::model::error::ecanceled;
use crate::uring::model::req::{ReqArc, ReqRef, ReqSlot, ReqView};
use crate::uring::model::ring::UringGuard;
use crate::uring::model::sqe::Op;
use kernel::prelude::*;

/// `__io_arm_poll_handler()` for a file request: arms a one-shot poll for
/// `events` on its file. If the file is ready now, a POLL_ADD completes
/// with the ready events, and a read or write is issued again from task
/// work (`IO_APOLL_READY`); otherwise the request waits on the cancelable
/// list with its poll until the wake-up's task work issues it again.
pub(crate) fn io_arm_file_poll<'id>(
    req: ReqRef<'id>,
    events: u32,
    g: &mut UringGuard<'_, 'id>,
) -> Issued<'id> {
    let slot = match ReqSlot::new(g.task()) {
        Ok(slot) => slot,
        Err(e) => return Issued::err(req, e),
    };
    let armed = req
        .op()
        .and_then(Op::file)
        .ok_or(EINVAL)
        .and_then(|file| file.get())
        .and_then(|file| PollArm::arm(g.task(), file, events, req.arc().clone()));
    let (arm, mask) = match armed {
        Ok(armed) => armed,
        Err(e) => return Issued::err(req, e),
    };
    let seq = req.seq();
    if mask != 0 {
        drop(arm);
        if matches!(req.op(), Some(Op::PollFile { .. })) {
            return Issued::res(req, mask as i32);
        }
        let arc = req.arc().clone();
        g.cancelable().insert(slot, seq, req);
        tw::queue_bare(arc, BareTw::PollWake);
        return Issued::Queued;
    }
    // A wake-up from here on queues task work, which waits for
    // `uring_lock`: it finds the request on the list.
    g.cancelable().insert_armed(slot, seq, req, arm);
    Issued::Queued
}

/// Task work for a poll-armed request whose file or channel became ready
/// (`io_poll_task_func()`): issue it again unless cancellation took it.
/// Terminated task work (`terminate`: its task exited) cancels it instead,
/// as `io_poll_check_events()` returns `-ECANCELED`, links included.
pub(crate) fn io_poll_task_func<'id>(
    req: ReqArc<'id>,
    terminate: bool,
    g: &mut UringGuard<'_, 'id>,
) {
    let Some(req) = g.cancelable().remove(req.seq()) else {
        return;
    };
    if terminate {
        poll_cancel_one(req, g);
        return;
    }
    if let Issued::Done { req, res, fail } = io_issue_sqe(req, g) {
        finish(req, res, fail, g);
    }
}

/// Disarms a poll-armed request taken off the cancelable list (which
/// unhooked a file's poll) and completes it cancelled.
fn poll_cancel_one<'id>(req: ReqRef<'id>, g: &mut UringGuard<'_, 'id>) {
    if let Some(Op::Read { chan, .. } | Op::PollAdd { chan, .. }) = req.op() {
        chan.disarm(&req);
    }
    finish(req, ecanceled().to_errno(), true, g);
}

/// `io_poll_cancel()`: cancels the first poll-armed request `cd` matches.
pub(crate) fn io_poll_cancel(g: &mut UringGuard<'_, '_>, cd: &CancelData) -> bool {
    let found = g
        .cancelable_ref()
        .iter()
        .find(|(_, r)| cd.matches(r))
        .map(|(key, _)| key);
    let Some(req) = found.and_then(|key| g.cancelable().remove(key)) else {
        return false;
    };
    poll_cancel_one(req, g);
    true
}

/// `io_poll_remove_all()`: cancels the poll-armed requests of `task`.
pub(crate) fn io_poll_remove_all(
    g: &mut UringGuard<'_, '_>,
    task: Option<u32>,
    cancel_all: bool,
) -> bool {
    let mut found = false;
    loop {
        let key = {
            let proof = g.chain_read();
            g.cancelable_ref()
                .iter()
                .find(|(_, r)| io_match_task_safe(*r, task, cancel_all, &proof))
                .map(|(key, _)| key)
        };
        let Some(req) = key.and_then(|key| g.cancelable().remove(key)) else {
            return found;
        };
        poll_cancel_one(req, g);
        found = true;
        // Ring exit may cancel 100,000s here: let the CPU's other tasks
        // run (sleeping with `uring_lock` held is allowed).
        g.task().cond_resched();
    }
}

/// POLL_ADD on a file (`io_poll_add()`).
pub(crate) fn io_poll_add<'id>(req: ReqRef<'id>, g: &mut UringGuard<'_, 'id>) -> Issued<'id> {
    let Some(Op::PollFile { events, .. }) = req.op() else {
        return Issued::err(req, EINVAL);
    };
    let events = *events;
    io_arm_file_poll(req, events, g)
}

/// `io_poll_remove()`: cancels the armed POLL_ADD whose `user_data` is the
/// target (only a POLL_ADD: `io_poll_find(..., poll_only)`); 0 if found,
/// `-ENOENT` if not.
pub(crate) fn io_poll_remove(req: &ReqRef<'_>, g: &mut UringGuard<'_, '_>) -> i32 {
    let Some(Op::PollRemove { target }) = req.op() else {
        return EINVAL.to_errno();
    };
    let target = *target;
    let found = g
        .cancelable_ref()
        .iter()
        .find(|(_, r)| {
            r.user_data() == target
                && matches!(r.op(), Some(Op::PollFile { .. } | Op::PollAdd { .. }))
        })
        .map(|(key, _)| key);
    match found.and_then(|key| g.cancelable().remove(key)) {
        Some(preq) => {
            poll_cancel_one(preq, g);
            0
        }
        None => ENOENT.to_errno(),
    }
}
