// SPDX-License-Identifier: GPL-2.0

//! Attack on io-wq's hashed work: the lifecycle moving a request to another
//! bucket (or out of its bucket) after `enqueue` set it, so that two writes
//! to one file would run at once. Only io-wq's `enqueue`, in the model,
//! under the io-wq lock, sets a request's bucket; the bucket a running
//! work holds busy is the worker's own copy.
// kbuild
// expect-error: error[E0624]: method `set_iowq_hash` is private

use crate::uring::model::req::ReqRef;
use crate::uring::model::ring::IoWqHash;

/// The violation: rehash a queued request.
#[cfg(bug)]
pub(crate) fn rehash(req: ReqRef<'_>) {
    req.set_iowq_hash(Some(IoWqHash::new(7)));
}

/// The honest shape: read the bucket.
#[cfg(not(bug))]
pub(crate) fn rehash(req: ReqRef<'_>) {
    let _ = req.iowq_hash() == Some(IoWqHash::new(7));
}
