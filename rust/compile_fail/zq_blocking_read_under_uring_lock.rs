// SPDX-License-Identifier: GPL-2.0

//! Class 1 and 2, spelling found by the review of the file paths: a
//! blocking read or write (a pipe nobody writes) issued inline would hold
//! `uring_lock` for as long as the file blocks, and every completion, task
//! work and cancel of the ring behind it. A blocking attempt takes the
//! task context exclusively; under `uring_lock` the guard holds it, and
//! lends only a shared reference, which is enough for the attempt that
//! may not block.
// kbuild
// expect-error: error[E0308]: mismatched types
// expect-error: types differ in mutability

use crate::glue::context::TaskCtx;
use crate::uring::model::ring::Ring;
use crate::uring::model::sqe::FileRw;
use kernel::prelude::*;

/// The violation: block on the file with `uring_lock` held.
#[cfg(bug)]
pub(crate) fn issue(ring: Ring<'_, '_>, rw: &FileRw, cx: &mut TaskCtx) -> Result<usize> {
    let g = ring.lock_uring(cx);
    rw.file.get()?.rw_blocking(g.task(), &rw.mm, rw.io())
}

/// The honest shapes: without blocking under the lock, blocking without it.
#[cfg(not(bug))]
pub(crate) fn issue(ring: Ring<'_, '_>, rw: &FileRw, cx: &mut TaskCtx) -> Result<usize> {
    let n = {
        let g = ring.lock_uring(cx);
        rw.file.get()?.rw_nowait(g.task(), &rw.mm, rw.io())?
    };
    Ok(n + rw.file.get()?.rw_blocking(cx, &rw.mm, rw.io())?)
}
