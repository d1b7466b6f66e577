// SPDX-License-Identifier: GPL-2.0

//! io-wq's work: the pending work of an account, a FIFO of request
//! references ([`RefList`], C's `acct->work_list`), and the work a worker
//! runs ([`CurWork`], `worker->cur_work`).
//!
//! As with the request trees, a list is reached only through a view its
//! lock's guard makes, which carries the ring's brand: only requests of
//! that ring go in, and what comes out is branded. Each entry holds one
//! reference of its request; whoever takes an entry out owns it. The list
//! is intrusive (`glue/work_list.rs`): queueing allocates nothing.

use super::{Brand, Req, ReqPin, ReqRef};
use crate::glue::work_list::WorkList;
use kernel::sync::Arc;

/// A FIFO of request references.
pub(crate) struct RefList {
    list: WorkList<Req>,
}

impl RefList {
    /// An empty list.
    pub(crate) fn new() -> Self {
        RefList {
            list: WorkList::new(),
        }
    }

    /// The list of ring `brand`, exclusively. Only the ring's guards call
    /// it.
    pub(in crate::uring::model) fn view<'id>(&mut self, brand: Brand<'id>) -> RefListMut<'_, 'id> {
        RefListMut {
            list: &mut self.list,
            brand,
        }
    }
}

/// A [`RefList`] of ring `'id`, exclusively.
pub(crate) struct RefListMut<'g, 'id> {
    list: &'g mut WorkList<Req>,
    brand: Brand<'id>,
}

impl<'id> RefListMut<'_, 'id> {
    /// Adds `req`'s reference at the end (`wq_list_add_tail()`). A request
    /// is on one list at a time: one already queued comes back.
    pub(crate) fn push_back(&mut self, req: ReqRef<'id>) -> Result<(), ReqRef<'id>> {
        let brand = self.brand;
        self.list
            .push_back(req.arc)
            .map_err(|arc| ReqRef { arc, brand })
    }

    /// Takes the first entry out.
    pub(crate) fn pop_front(&mut self) -> Option<ReqRef<'id>> {
        let arc = self.list.pop_front()?;
        Some(ReqRef {
            arc,
            brand: self.brand,
        })
    }

    /// Takes out the first entry `pick` accepts.
    pub(crate) fn remove_first(
        &mut self,
        mut pick: impl FnMut(ReqPin<'_, 'id>) -> bool,
    ) -> Option<ReqRef<'id>> {
        let brand = self.brand;
        let arc = self.list.remove_first(|arc| pick(ReqPin { arc, brand }))?;
        Some(ReqRef { arc, brand })
    }

    /// The entries, oldest first, pinned by the references the list holds.
    pub(crate) fn iter(&self) -> impl Iterator<Item = ReqPin<'_, 'id>> {
        let brand = self.brand;
        self.list.iter().map(move |arc| ReqPin { arc, brand })
    }
}

/// The reference of the request a worker runs (`worker->cur_work`), or
/// none.
pub(crate) struct CurWork {
    arc: Option<Arc<Req>>,
}

impl CurWork {
    /// No work.
    pub(crate) fn new() -> Self {
        CurWork { arc: None }
    }

    /// The request, pinned by the reference kept here, of ring `brand`.
    /// Only the ring's guards call it.
    pub(in crate::uring::model) fn get<'id>(&self, brand: Brand<'id>) -> Option<ReqPin<'_, 'id>> {
        self.arc.as_ref().map(|arc| ReqPin { arc, brand })
    }

    /// Keeps `req`'s reference; returns the one kept before, if any.
    pub(in crate::uring::model) fn set<'id>(&mut self, req: ReqRef<'id>) -> Option<ReqRef<'id>> {
        let brand = req.brand;
        self.arc.replace(req.arc).map(|arc| ReqRef { arc, brand })
    }

    /// Takes the reference kept here, of ring `brand`. Only the ring's
    /// guards call it.
    pub(in crate::uring::model) fn take<'id>(&mut self, brand: Brand<'id>) -> Option<ReqRef<'id>> {
        self.arc.take().map(|arc| ReqRef { arc, brand })
    }
}
