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

/// `kernel::time::Ktime`: `CLOCK_MONOTONIC` nanoseconds (on the host, since
/// the first call).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Ktime {
    inner: i64,
}

impl Ktime {
    /// `ktime_get()`.
    pub fn ktime_get() -> Self {
        static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
        let start = START.get_or_init(std::time::Instant::now);
        Ktime {
            inner: start.elapsed().as_nanos() as i64,
        }
    }

    /// Nanoseconds.
    pub fn to_ns(self) -> i64 {
        self.inner
    }
}
