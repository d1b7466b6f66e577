// SPDX-License-Identifier: GPL-2.0

//! Advancing and failing link chains: `io_req_find_next()`,
//! `io_disarm_next()`, `io_fail_links()`, `io_req_tw_fail_links()`,
//! `io_match_task_safe()`.
//!
//! Every modification holds a [`BothGuard`] (`uring_lock` and
//! `timeout_lock`); every walk a chain proof of either lock.

use super::complete::io_req_complete;
use super::timeout::io_disarm_linked_timeout;
use super::tw;
use crate::glue::chain::{ChainRead, TimeoutRead};
use crate::uring::model::error::ecanceled;
use crate::uring::model::req::{
    ReqPin, ReqRef, ReqView, TwAction, IO_DISARM_MASK, REQ_F_ARM_LTIMEOUT, REQ_F_CQE_SKIP,
    REQ_F_FAIL, REQ_F_INFLIGHT, REQ_F_LINK_TIMEOUT, REQ_F_SKIP_LINK_CQES,
};
use crate::uring::model::ring::{BothGuard, UringGuard};
use crate::uring::model::sqe::Op;

/// Returns `req`'s next request if it is a linked timeout.
pub(crate) fn next_link_timeout<'a, 'id>(
    req: &'a impl ReqView<'id>,
    chain: &'a TimeoutRead<'_, 'id>,
) -> Option<ReqPin<'a, 'id>> {
    req.link_locked(chain)
        .filter(|next| matches!(next.op(), Some(Op::LinkTimeout { .. })))
}

/// Detaches `req`'s next request and returns its reference
/// (`io_req_find_next()`), first disarming a linked timeout and failing the
/// chain as `req`'s flags ask.
pub(crate) fn io_req_find_next<'id>(
    req: &impl ReqView<'id>,
    b: &mut BothGuard<'_, 'id>,
) -> Option<ReqRef<'id>> {
    if req.flags() & IO_DISARM_MASK != 0 {
        io_disarm_next(req, b);
    }
    req.take_link(&mut b.chain_write())
}

/// `io_disarm_next()`: the request completed; deal with what follows it.
fn io_disarm_next<'id>(req: &impl ReqView<'id>, b: &mut BothGuard<'_, 'id>) {
    let flags = req.flags();
    if flags & REQ_F_ARM_LTIMEOUT != 0 {
        // The linked timeout was never armed: no timer can race with us.
        req.clear_flags(REQ_F_ARM_LTIMEOUT);
        if next_link_timeout(req, &b.chain_read()).is_some() {
            if let Some(lt) = req.remove_next_linked(&mut b.chain_write()) {
                lt.set_res(ecanceled().to_errno());
                tw::queue(lt, TwAction::Complete);
            }
        }
    } else if flags & REQ_F_LINK_TIMEOUT != 0 {
        if let Some(lt) = io_disarm_linked_timeout(req, b) {
            lt.set_res(ecanceled().to_errno());
            tw::queue(lt, TwAction::Complete);
        }
    }
    if req.flags() & REQ_F_FAIL != 0 && !req.is_hardlink() {
        io_fail_links(req, b);
    }
}

/// `io_fail_links()`: detaches the rest of the chain and cancels it from
/// task work, in order.
fn io_fail_links<'id>(req: &impl ReqView<'id>, b: &mut BothGuard<'_, 'id>) {
    let skip = req.flags() & REQ_F_SKIP_LINK_CQES != 0;
    let Some(first) = req.take_link(&mut b.chain_write()) else {
        return;
    };
    {
        let proof = b.chain_read();
        let mut cur = Some(first.pin());
        while let Some(r) = cur {
            if skip {
                r.set_flags(REQ_F_CQE_SKIP);
            } else {
                r.clear_flags(REQ_F_CQE_SKIP);
            }
            cur = r.link(&proof);
        }
    }
    tw::queue(first, TwAction::FailLinks);
}

/// `io_req_tw_fail_links()`: completes every request of a detached chain
/// with `-ECANCELED`, or with its own error if it failed preparation.
pub(crate) fn io_req_tw_fail_links<'id>(first: ReqRef<'id>, g: &mut UringGuard<'_, 'id>) {
    let mut cur = Some(first);
    while let Some(r) = cur {
        cur = r.take_link(&mut g.lock_both().chain_write());
        if r.flags() & REQ_F_FAIL == 0 {
            r.set_res(ecanceled().to_errno());
        }
        io_req_complete(r, g);
    }
}

/// `io_match_linked()`: whether any request of the chain from `head` is
/// `REQ_F_INFLIGHT`.
pub(crate) fn io_match_linked<'id>(head: ReqPin<'_, 'id>, chain: &ChainRead<'_, 'id>) -> bool {
    let mut cur = Some(head);
    while let Some(r) = cur {
        if r.flags() & REQ_F_INFLIGHT != 0 {
            return true;
        }
        cur = r.link(chain);
    }
    false
}

/// `io_match_task_safe()`: whether task cancellation for `task` must cancel
/// the chain headed by `head`. Unlike C, which walks chains without a
/// `REQ_F_LINK_TIMEOUT` head under no lock, the walk always holds a chain
/// lock: the caller's proof.
pub(crate) fn io_match_task_safe<'id>(
    head: ReqPin<'_, 'id>,
    task: Option<u32>,
    cancel_all: bool,
    chain: &ChainRead<'_, 'id>,
) -> bool {
    match task {
        Some(t) if head.task() != t => false,
        _ if cancel_all => true,
        _ => io_match_linked(head, chain),
    }
}
