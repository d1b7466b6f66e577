// SPDX-License-Identifier: GPL-2.0

//! The error codes io_uring completes requests with that Linux 6.12's
//! `kernel::error::code` does not name, made from the kernel's own errno
//! constants. Everything in the core is `Result<_, Error>`; a completion
//! carries [`Error::to_errno`].

use kernel::bindings;
use kernel::error::Error;

macro_rules! errno {
    ($($(#[$doc:meta])* $fn:ident = $name:ident;)*) => {$(
        $(#[$doc])*
        pub(crate) fn $fn() -> Error {
            Error::from_errno(-(bindings::$name as i32))
        }
    )*};
}

errno! {
    /// `-ETIME`: a timeout expired.
    etime = ETIME;
    /// `-EALREADY`: the target is already running.
    ealready = EALREADY;
    /// `-ETIMEDOUT`: a wait for requests to go timed out.
    etimedout = ETIMEDOUT;
    /// `-EOPNOTSUPP`: draining after `IOSQE_CQE_SKIP_SUCCESS`, or an
    /// opcode 6.12 knows that is not implemented.
    eopnotsupp = EOPNOTSUPP;
    /// `-EBADFD`: an io_uring call on a file that is not set up.
    // Used by the device calls (`entry/dev.rs`), which the host mirror lacks.
    #[cfg_attr(not(MODULE), allow(dead_code))]
    ebadfd = EBADFD;
    /// `-EOWNERDEAD`: an SQPOLL ring whose thread is gone.
    // Used by the device calls (`entry/dev.rs`), which the host mirror lacks.
    #[cfg_attr(not(MODULE), allow(dead_code))]
    eownerdead = EOWNERDEAD;
    /// `-EBADR`: completions were lost (`IO_CHECK_CQ_DROPPED_BIT`).
    // Used by the device calls (`entry/dev.rs`), which the host mirror lacks.
    #[cfg_attr(not(MODULE), allow(dead_code))]
    ebadr = EBADR;
    /// `-ECANCELED`: the request was cancelled.
    ecanceled = ECANCELED;
}
