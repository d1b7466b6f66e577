// SPDX-License-Identifier: GPL-2.0

//! `kernel::error`: errno values as a type.

use core::num::NonZeroI32;

/// A negative errno value.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Error(NonZeroI32);

/// `kernel::error::Result`.
pub type Result<T = (), E = Error> = core::result::Result<T, E>;

impl Error {
    /// Creates an error from a negative errno; out of range gives `EINVAL`,
    /// as in the kernel.
    pub fn from_errno(errno: i32) -> Error {
        if !(-4095..0).contains(&errno) {
            return code::EINVAL;
        }
        Error(NonZeroI32::new(errno).expect("nonzero"))
    }

    /// The negative errno.
    pub fn to_errno(self) -> i32 {
        self.0.get()
    }
}

impl core::fmt::Debug for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Error({})", self.0.get())
    }
}

impl From<crate::alloc::AllocError> for Error {
    fn from(_: crate::alloc::AllocError) -> Error {
        code::ENOMEM
    }
}

impl From<core::convert::Infallible> for Error {
    fn from(e: core::convert::Infallible) -> Error {
        match e {}
    }
}

/// `kernel::error::code`.
pub mod code {
    use super::Error;
    use core::num::NonZeroI32;

    macro_rules! declare_err {
        ($($name:ident = $n:literal),* $(,)?) => {$(
            #[doc = concat!("`-", stringify!($name), "`.")]
            pub const $name: Error = Error(match NonZeroI32::new(-$n) {
                Some(v) => v,
                None => panic!(),
            });
        )*};
    }

    declare_err!(
        ENOENT = 2,
        EINTR = 4,
        ENXIO = 6,
        EBADF = 9,
        EAGAIN = 11,
        ENOMEM = 12,
        EFAULT = 14,
        EBUSY = 16,
        EINVAL = 22,
        EMFILE = 24,
        ENOTTY = 25,
        ERESTARTSYS = 512,
    );
}
