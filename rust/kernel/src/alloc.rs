// SPDX-License-Identifier: GPL-2.0

//! `kernel::alloc`: `KVec`, `KBox` and allocation flags.

use core::ops::{Deref, DerefMut};

/// Allocation failure.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct AllocError;

/// `kernel::alloc::flags`.
pub mod flags {
    /// Allocation flags (ignored on the host).
    #[derive(Clone, Copy, PartialEq, Eq, Debug)]
    pub struct Flags(u32);
    /// `GFP_KERNEL`.
    pub const GFP_KERNEL: Flags = Flags(0);
    /// `GFP_ATOMIC`.
    pub const GFP_ATOMIC: Flags = Flags(1);
    /// `GFP_KERNEL_ACCOUNT`.
    pub const GFP_KERNEL_ACCOUNT: Flags = Flags(2);
}
pub use flags::Flags;

/// `KBox`: a box whose allocation can fail, as in the kernel.
#[derive(Debug)]
pub struct KBox<T>(Box<T>);

impl<T> KBox<T> {
    /// Moves `v` into a new allocation.
    pub fn new(v: T, _flags: Flags) -> Result<Self, AllocError> {
        Ok(KBox(Box::new(v)))
    }
}

impl<T> Deref for KBox<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> DerefMut for KBox<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

/// `KVec`: a vector whose growth can fail, as in the kernel.
#[derive(Debug)]
pub struct KVec<T>(Vec<T>);

impl<T> Default for KVec<T> {
    fn default() -> Self {
        KVec(Vec::new())
    }
}

impl<T> KVec<T> {
    /// An empty vector.
    pub const fn new() -> Self {
        KVec(Vec::new())
    }

    /// A vector with room for `n` elements.
    pub fn with_capacity(n: usize, _flags: Flags) -> Result<Self, AllocError> {
        Ok(KVec(Vec::with_capacity(n)))
    }

    /// `n` clones of `value`.
    pub fn from_elem(value: T, n: usize, _flags: Flags) -> Result<Self, AllocError>
    where
        T: Clone,
    {
        Ok(KVec(vec![value; n]))
    }

    /// Appends `v`.
    pub fn push(&mut self, v: T, _flags: Flags) -> Result<(), AllocError> {
        self.0.push(v);
        Ok(())
    }

    /// Appends `n` clones of `value`.
    pub fn extend_with(&mut self, n: usize, value: T, _flags: Flags) -> Result<(), AllocError>
    where
        T: Clone,
    {
        self.0.resize(self.0.len() + n, value);
        Ok(())
    }
}

impl<T> Deref for KVec<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        &self.0
    }
}

impl<T> DerefMut for KVec<T> {
    fn deref_mut(&mut self) -> &mut [T] {
        &mut self.0
    }
}
