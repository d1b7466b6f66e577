// SPDX-License-Identifier: GPL-2.0

//! `kernel::prelude`.

pub use crate::alloc::{flags::*, KBox, KVec};
pub use crate::error::{code::*, Error, Result};
pub use crate::init::{InPlaceInit, Init, PinInit};
pub use crate::{pr_err, pr_info, pr_warn};
pub use core::pin::Pin;
pub use pinned_init::{pin_data, pin_init, pinned_drop, try_pin_init, PinnedDrop};
