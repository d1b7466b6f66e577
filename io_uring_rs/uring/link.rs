// SPDX-License-Identifier: GPL-2.0

//! Walking and modifying link chains: `io_req_find_next()`,
//! `io_disarm_next()`, `io_fail_links()`, `io_remove_next_linked()`,
//! `io_match_task_safe()`.
//!
//! Every modification takes a [`BothGuard`] (`uring_lock` and `timeout_lock`),
//! every walk a [`ChainRead`] (either lock).

use super::complete::io_req_complete;
use super::errno::ECANCELED;
use super::locks::{BothGuard, UringGuard};
use super::req::{
    Req, TwAction, IO_DISARM_MASK, REQ_F_ARM_LTIMEOUT, REQ_F_CQE_SKIP, REQ_F_FAIL, REQ_F_INFLIGHT,
    REQ_F_LINK_TIMEOUT, REQ_F_SKIP_LINK_CQES,
};
use super::sqe::Op;
use super::timeout::io_disarm_linked_timeout;
use super::tw;
use crate::glue::chain::ChainRead;
use kernel::sync::Arc;

/// Returns `req`'s next request if it is a linked timeout.
pub(crate) fn next_link_timeout(req: &Req, chain: &ChainRead<'_>) -> Option<Arc<Req>> {
    match req.link.get(chain) {
        Some(next) if matches!(next.op, Some(Op::LinkTimeout { .. })) => Some(next.clone()),
        _ => None,
    }
}

/// Takes `req`'s next request out of the chain (`io_remove_next_linked()`).
pub(crate) fn io_remove_next_linked(req: &Req, b: &mut BothGuard<'_, '_>) -> Option<Arc<Req>> {
    let nxt = req.link.get_mut(&mut b.chain_write()).take()?;
    let after = nxt.link.get_mut(&mut b.chain_write()).take();
    *req.link.get_mut(&mut b.chain_write()) = after;
    Some(nxt)
}

/// Detaches `req`'s next request and returns it (`io_req_find_next()`),
/// first disarming a linked timeout and failing the chain as `req`'s flags
/// ask.
pub(crate) fn io_req_find_next(req: &Arc<Req>, b: &mut BothGuard<'_, '_>) -> Option<Arc<Req>> {
    if req.flags() & IO_DISARM_MASK != 0 {
        io_disarm_next(req, b);
    }
    req.link.get_mut(&mut b.chain_write()).take()
}

/// `io_disarm_next()`: the request completed; deal with what follows it.
fn io_disarm_next(req: &Arc<Req>, b: &mut BothGuard<'_, '_>) {
    let flags = req.flags();
    if flags & REQ_F_ARM_LTIMEOUT != 0 {
        // The linked timeout was never armed: no timer can race with us.
        req.clear_flags(REQ_F_ARM_LTIMEOUT);
        if next_link_timeout(req, &b.chain_read()).is_some() {
            if let Some(lt) = io_remove_next_linked(req, b) {
                lt.set_res(ECANCELED.to_errno());
                tw::queue(lt, TwAction::Complete);
            }
        }
    } else if flags & REQ_F_LINK_TIMEOUT != 0 {
        if let Some(lt) = io_disarm_linked_timeout(req, b) {
            lt.set_res(ECANCELED.to_errno());
            tw::queue(lt, TwAction::Complete);
        }
    }
    if req.flags() & REQ_F_FAIL != 0 && !req.is_hardlink() {
        io_fail_links(req, b);
    }
}

/// `io_fail_links()`: detaches the rest of the chain and cancels it from
/// task work, in order.
fn io_fail_links(req: &Req, b: &mut BothGuard<'_, '_>) {
    let skip = req.flags() & REQ_F_SKIP_LINK_CQES != 0;
    let Some(first) = req.link.get_mut(&mut b.chain_write()).take() else {
        return;
    };
    let mut cur = Some(first.clone());
    while let Some(r) = cur {
        if skip {
            r.set_flags(REQ_F_CQE_SKIP);
        } else {
            r.clear_flags(REQ_F_CQE_SKIP);
        }
        cur = r.link.get(&b.chain_read()).clone();
    }
    tw::queue(first, TwAction::FailLinks);
}

/// `io_req_tw_fail_links()`: completes every request of a detached chain
/// with `-ECANCELED`, or with its own error if it failed preparation.
pub(crate) fn io_req_tw_fail_links(first: Arc<Req>, g: &mut UringGuard<'_>) {
    let mut cur = Some(first);
    while let Some(r) = cur {
        cur = r.link.get_mut(&mut g.lock_both().chain_write()).take();
        if r.flags() & REQ_F_FAIL == 0 {
            r.set_res(ECANCELED.to_errno());
        }
        io_req_complete(r, g);
    }
}

/// `io_match_linked()`: whether any request of the chain from `head` is
/// `REQ_F_INFLIGHT`.
pub(crate) fn io_match_linked(head: &Req, chain: &ChainRead<'_>) -> bool {
    let mut cur = Some(head);
    while let Some(r) = cur {
        if r.flags() & REQ_F_INFLIGHT != 0 {
            return true;
        }
        cur = r.link.get(chain).as_deref();
    }
    false
}

/// `io_match_task_safe()`: whether task cancellation for `task` must cancel
/// the chain headed by `head`. Unlike C, which walks chains without a
/// `REQ_F_LINK_TIMEOUT` head under no lock, the walk always holds a chain
/// lock: the caller's proof.
pub(crate) fn io_match_task_safe(
    head: &Req,
    task: Option<u32>,
    cancel_all: bool,
    chain: &ChainRead<'_>,
) -> bool {
    match task {
        Some(t) if head.task != t => false,
        _ if cancel_all => true,
        _ => io_match_linked(head, chain),
    }
}
