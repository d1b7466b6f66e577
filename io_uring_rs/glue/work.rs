// SPDX-License-Identifier: GPL-2.0

//! A request's two work items: task work (ID 0) and io-wq (ID 1).
//!
//! `impl_has_work!` expands to an `unsafe impl`, which the core does not
//! allow, so the declarations live here.

use crate::uring::req::Req;
use crate::uring::{iowq, tw};
use kernel::sync::Arc;
use kernel::workqueue::{impl_has_work, WorkItem};

impl_has_work! {
    impl HasWork<Req, 0> for Req { self.tw_work }
    impl HasWork<Req, 1> for Req { self.iowq_work }
}

impl WorkItem<0> for Req {
    type Pointer = Arc<Req>;

    fn run(this: Arc<Req>) {
        tw::run(this);
    }
}

impl WorkItem<1> for Req {
    type Pointer = Arc<Req>;

    fn run(this: Arc<Req>) {
        iowq::io_wq_worker(this);
    }
}
