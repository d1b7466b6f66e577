// SPDX-License-Identifier: GPL-2.0

//! The errno values io_uring returns that Linux 6.12's `kernel::error::code`
//! does not name (x86-64 values, as in `include/uapi/asm-generic/errno.h`).

use kernel::error::Error;

/// An errno value not in `kernel::error::code`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct Errno(i32);

/// Timer expired.
pub(crate) const ETIME: Errno = Errno(62);
/// Operation already in progress.
pub(crate) const EALREADY: Errno = Errno(114);
/// Connection (here: wait) timed out.
pub(crate) const ETIMEDOUT: Errno = Errno(110);
/// Operation not supported.
pub(crate) const EOPNOTSUPP: Errno = Errno(95);
/// Operation canceled.
pub(crate) const ECANCELED: Errno = Errno(125);

impl Errno {
    /// The negative value a completion carries.
    pub(crate) const fn to_errno(self) -> i32 {
        -self.0
    }
}

impl From<Errno> for Error {
    fn from(e: Errno) -> Error {
        Error::from_errno(-e.0)
    }
}
