// SPDX-License-Identifier: GPL-2.0

//! Class 1, spelling found by the review of issue-time file resolution: an
//! io-wq worker (or the fallback worker) resolves a request's descriptor in
//! the table of the context it runs in, a kernel worker's, instead of the
//! submitter's. A table is the glue's to make (`FileTable::current` is
//! `pub(in crate::glue)`): the core resolves only in the tables that the
//! submitters' task-work lists carry (`Req::files`).
// kbuild
// expect-error: error[E0624]: associated function `current` is private

use crate::glue::context::TaskCtx;
use crate::uring::model::req::Req;
use crate::uring::model::sqe::Op;

/// The violation: the worker's own table.
#[cfg(bug)]
pub(crate) fn assign(req: &Req, cx: &TaskCtx) -> bool {
    let table = crate::glue::file::FileTable::current(cx);
    req.op()
        .and_then(Op::file)
        .is_some_and(|f| f.assign(cx, Some(&table)).is_ok())
}

/// The honest shape: the submitter's table, which the request carries.
#[cfg(not(bug))]
pub(crate) fn assign(req: &Req, cx: &TaskCtx) -> bool {
    req.op()
        .and_then(Op::file)
        .is_some_and(|f| f.assign(cx, req.files()).is_ok())
}
