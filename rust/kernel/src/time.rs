// SPDX-License-Identifier: GPL-2.0

//! `kernel::time`: jiffies at `HZ=1000`.

/// `kernel::time::Jiffies` (`c_ulong`).
pub type Jiffies = usize;
/// `kernel::time::Msecs`.
pub type Msecs = u32;

/// Converts milliseconds to jiffies.
pub fn msecs_to_jiffies(msecs: Msecs) -> Jiffies {
    msecs as Jiffies
}
