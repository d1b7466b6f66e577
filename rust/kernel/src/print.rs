// SPDX-License-Identifier: GPL-2.0

//! `pr_*!`: to standard error. `pr_err!` is counted, so tests can assert the
//! core never reported an internal error.

use std::sync::atomic::{AtomicUsize, Ordering};

static ERRORS: AtomicUsize = AtomicUsize::new(0);

/// How many `pr_err!` were printed.
pub fn error_count() -> usize {
    ERRORS.load(Ordering::Relaxed)
}

#[doc(hidden)]
pub fn count_error() {
    ERRORS.fetch_add(1, Ordering::Relaxed);
}

/// `pr_info!`.
#[macro_export]
macro_rules! pr_info {
    ($($arg:tt)*) => {{
        if std::env::var_os("IO_URING_RS_VERBOSE").is_some() {
            eprint!("io_uring_rs: {}", format_args!($($arg)*));
        }
    }};
}

/// `pr_warn!`.
#[macro_export]
macro_rules! pr_warn {
    ($($arg:tt)*) => {
        eprint!("io_uring_rs: warning: {}", format_args!($($arg)*))
    };
}

/// `pr_err!`.
#[macro_export]
macro_rules! pr_err {
    ($($arg:tt)*) => {{
        $crate::print::count_error();
        eprint!("io_uring_rs: {}", format_args!($($arg)*));
    }};
}
