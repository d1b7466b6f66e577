// SPDX-License-Identifier: GPL-2.0

//! The host's files: none. The host mirror runs the core without a VFS, so
//! no descriptor resolves (`-EBADF`) and no user buffer can be imported
//! (`-EFAULT`); the types keep the module's signatures (`glue/file.rs`),
//! and the core's file paths are exercised in the kernel (the ABI and
//! liburing tests), not here.

use crate::glue::context::TaskCtx;
use crate::uapi::IoVec;
use core::marker::PhantomData;
use kernel::prelude::*;
use kernel::sync::Arc;

/// What a file can do: nothing on the host.
#[derive(Clone, Copy)]
pub(crate) struct FileMode(());

impl FileMode {
    pub(crate) fn readable(self) -> bool {
        false
    }
    pub(crate) fn writable(self) -> bool {
        false
    }
    pub(crate) fn nowait(self) -> bool {
        false
    }
    pub(crate) fn pollable(self) -> bool {
        false
    }
    pub(crate) fn regular(self) -> bool {
        false
    }
    pub(crate) fn ring(self) -> bool {
        false
    }
    pub(crate) fn buffered_write_nowait(self) -> bool {
        false
    }
}

/// What a read or write does (the module's `glue/file.rs`); the host
/// reads and writes nothing.
#[derive(Clone, Copy)]
#[allow(dead_code)]
pub(crate) struct RwIo<'a> {
    pub(crate) write: bool,
    pub(crate) iov: &'a [IoVec],
    pub(crate) pos: i64,
    pub(crate) rw_flags: u32,
}

/// A file reference: none can be made on the host.
pub(crate) struct File(());

impl File {
    pub(crate) fn fget(_cx: &TaskCtx, _fd: i32) -> Result<Self> {
        Err(EBADF)
    }

    pub(crate) fn mode(&self) -> FileMode {
        FileMode(())
    }

    pub(crate) fn poll_ready(&self, _events: u32) -> u32 {
        0
    }

    pub(crate) fn rw(
        &self,
        _cx: &TaskCtx,
        _mm: &UserMm,
        _io: RwIo<'_>,
        _nowait: bool,
    ) -> Result<usize> {
        Err(EBADF)
    }
}

pub(crate) fn import_iovec(
    _cx: &TaskCtx,
    _addr: u64,
    _len: u32,
    _vectored: bool,
) -> Result<KVec<IoVec>> {
    Err(EFAULT)
}

/// An address space: none on the host.
pub(crate) struct UserMm(());

impl UserMm {
    pub(crate) fn current(_cx: &TaskCtx) -> Result<Self> {
        Err(EFAULT)
    }
}

/// What a poll entry wakes (the module's `glue/file.rs`).
pub(crate) trait PollTarget: Send + Sync + 'static {
    // Called by the module's wake-up callback; the host has no wait queues.
    #[allow(dead_code)]
    fn poll_woken(this: Arc<Self>);
}

/// An armed poll: none can be made on the host.
pub(crate) struct PollArm<T: PollTarget>(PhantomData<Arc<T>>);

impl<T: PollTarget> Drop for PollArm<T> {
    // Stands for unhooking the poll from the file's wait queues.
    fn drop(&mut self) {}
}

impl<T: PollTarget> PollArm<T> {
    pub(crate) fn arm(
        _cx: &TaskCtx,
        _file: &File,
        _events: u32,
        _target: Arc<T>,
    ) -> Result<(Self, u32)> {
        Err(EBADF)
    }
}

/// A request's file, resolved at preparation: never, on the host.
pub(crate) struct FileSlot(Option<File>);

impl FileSlot {
    pub(crate) fn prep(cx: &TaskCtx, fd: i32) -> Self {
        FileSlot(File::fget(cx, fd).ok())
    }

    pub(crate) fn prep_in(_table: &FileTable, _fd: i32) -> Self {
        FileSlot(None)
    }

    pub(crate) fn get(&self) -> Result<&File> {
        self.0.as_ref().ok_or(EBADF)
    }
}

/// A task's file table: empty on the host.
pub(crate) struct FileTable(());

impl FileTable {
    pub(crate) fn current(_cx: &TaskCtx) -> Self {
        FileTable(())
    }
}

/// The ring file's poll queue: nobody polls on the host.
pub(crate) struct PollQueue(());

impl PollQueue {
    pub(crate) fn new(_cx: &TaskCtx) -> Result<Self> {
        Ok(PollQueue(()))
    }

    pub(crate) fn wake(&self) {}
}
