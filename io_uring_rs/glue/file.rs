// SPDX-License-Identifier: GPL-2.0

//! Files for the core, implemented by `io_uring_rs_dev.c` (Linux 6.12's Rust
//! API has no file abstraction): a request's file reference
//! (`fget()`/`fput()`), the submitter's address space the request's buffers
//! live in, the buffers themselves (`io_import_iovec()` at preparation),
//! one read or write through `->read_iter()`/`->write_iter()` (with
//! `IOCB_NOWAIT` for the inline attempt), and one-shot poll entries on the
//! file's wait queues (`io_uring/poll.c`).
//!
//! On Linux 7.2 a request's file is the kernel crate's `ARef<fs::File>` in a
//! `SetOnce`, and a submitter's file table holds an `ARef<Task>`: the
//! reference counts, the set-once slot and their thread safety are the
//! kernel crate's, so that side has no `Drop`, no compare-and-exchange and
//! no `unsafe impl Send`/`Sync` of its own.

use crate::glue::context::TaskCtx;
use crate::uapi::IoVec;
use core::ffi::{c_int, c_uint, c_ulong, c_void};
use core::ptr::NonNull;
#[cfg(not(kernel_7_2))]
use core::{
    marker::PhantomData,
    ptr,
    sync::atomic::{AtomicPtr, Ordering},
};
use kernel::prelude::*;
use kernel::sync::{Arc, ArcBorrow};
#[cfg(kernel_7_2)]
use {crate::glue::kernel_api::ARef, kernel::sync::SetOnce, kernel::task::Task};

#[cfg(not(kernel_7_2))]
extern "C" {
    fn io_uring_rs_fput(file: *mut c_void);
    fn io_uring_rs_task_get() -> *mut c_void;
    fn io_uring_rs_task_put(task: *mut c_void);
}

extern "C" {
    fn io_uring_rs_fget_task(task: *mut c_void, fd: c_int) -> *mut c_void;
    fn io_uring_rs_file_flags(file: *mut c_void) -> c_uint;
    fn io_uring_rs_mm_grab() -> *mut c_void;
    fn io_uring_rs_mm_drop(mm: *mut c_void);
    fn io_uring_rs_cred_get() -> *const c_void;
    fn io_uring_rs_cred_put(cred: *const c_void);
    fn io_uring_rs_fsize() -> c_ulong;
    fn io_uring_rs_mm_is_current(mm: *mut c_void, cred: *const c_void, fsize: c_ulong) -> bool;
    fn io_uring_rs_mm_enter(
        mm: *mut c_void,
        cred: *const c_void,
        fsize: c_ulong,
        old_cred: *mut *const c_void,
        old_fsize: *mut c_ulong,
    ) -> c_int;
    fn io_uring_rs_mm_leave(
        mm: *mut c_void,
        entered: c_int,
        old_cred: *const c_void,
        old_fsize: c_ulong,
    );
    fn io_uring_rs_iovec_import(addr: u64, nr: u32, vectored: bool, iov: *mut IoVec) -> isize;
    fn io_uring_rs_file_rw(
        file: *mut c_void,
        write: bool,
        iov: *const IoVec,
        nr: usize,
        pos: i64,
        nowait: bool,
        rw_flags: u32,
    ) -> isize;
    fn io_uring_rs_poll_arm(
        file: *mut c_void,
        events: u32,
        woken: unsafe extern "C" fn(*mut c_void),
        data: *mut c_void,
        mask: *mut u32,
    ) -> *mut c_void;
    fn io_uring_rs_poll_free(p: *mut c_void);
    fn io_uring_rs_file_poll_ready(file: *mut c_void, events: u32) -> u32;
    fn io_uring_rs_file_hash(file: *mut c_void, bits: u32) -> u32;
    fn io_uring_rs_pollq_alloc() -> *mut c_void;
    fn io_uring_rs_pollq_free(q: *mut c_void);
    fn io_uring_rs_pollq_wait(file: *mut c_void, q: *mut c_void, pt: *mut c_void);
    fn io_uring_rs_pollq_wake(q: *mut c_void);
}

/// `MAX_RW_COUNT`: the most one read or write moves.
const MAX_RW_COUNT: u64 = (i32::MAX as u64) & !4095;

/// What a file can do (`io_uring_rs_file_flags()`).
#[derive(Clone, Copy)]
pub(crate) struct FileMode(u32);

impl FileMode {
    /// Opened for reading (`FMODE_READ`).
    pub(crate) fn readable(self) -> bool {
        self.0 & (1 << 0) != 0
    }
    /// Opened for writing (`FMODE_WRITE`).
    pub(crate) fn writable(self) -> bool {
        self.0 & (1 << 1) != 0
    }
    /// `IOCB_NOWAIT` is honoured (`FMODE_NOWAIT`).
    pub(crate) fn nowait(self) -> bool {
        self.0 & (1 << 2) != 0
    }
    /// It has `->poll()` (`file_can_poll()`).
    pub(crate) fn pollable(self) -> bool {
        self.0 & (1 << 3) != 0
    }
    /// A regular file (`REQ_F_ISREG`).
    pub(crate) fn regular(self) -> bool {
        self.0 & (1 << 4) != 0
    }
    /// A ring of this module (`io_is_uring_fops()`).
    pub(crate) fn ring(self) -> bool {
        self.0 & (1 << 5) != 0
    }
    /// Buffered writes honour `IOCB_NOWAIT` (`FOP_BUFFER_WASYNC`).
    pub(crate) fn buffered_write_nowait(self) -> bool {
        self.0 & (1 << 6) != 0
    }
    /// Opened `O_DIRECT` on a file system whose direct writes may run in
    /// parallel (`FOP_DIO_PARALLEL_WRITE`).
    pub(crate) fn dio_parallel_write(self) -> bool {
        self.0 & (1 << 7) != 0
    }
}

/// The file of a request: its descriptor, resolved once, as the request
/// is issued (`io_assign_file()`), in the submitter's file table, and
/// held until the request is freed. A request that is not issued yet
/// (behind its link, or deferred by a drain) holds no file.
///
/// # Invariants
///
/// 6.12: `file` is NULL, or a `struct file` this slot holds one reference
/// to; once set it never changes until the slot is dropped. (7.2: the
/// `SetOnce` and the `ARef` keep the same rules.)
pub(crate) struct FileSlot {
    fd: i32,
    #[cfg(not(kernel_7_2))]
    file: AtomicPtr<c_void>,
    #[cfg(kernel_7_2)]
    file: SetOnce<ARef<kernel::fs::File>>,
}

impl FileSlot {
    /// The slot of descriptor `fd`, not resolved yet.
    pub(crate) fn new(fd: i32) -> Self {
        FileSlot {
            fd,
            #[cfg(not(kernel_7_2))]
            file: AtomicPtr::new(ptr::null_mut()),
            #[cfg(kernel_7_2)]
            file: SetOnce::new(),
        }
    }

    /// `io_assign_file()`: the file, resolved in `table` unless it was
    /// resolved before; `-EBADF` if the descriptor names none. Without a
    /// table (the in-kernel self-test) nothing resolves. Task context: the
    /// lookup takes the task's `task_lock()`, which is not IRQ-safe.
    #[cfg(not(kernel_7_2))]
    pub(crate) fn assign(&self, _cx: &TaskCtx, table: Option<&FileTable>) -> Result<File<'_>> {
        if let (true, Some(table)) = (self.file.load(Ordering::Acquire).is_null(), table) {
            // SAFETY: `task` is referenced (type invariants of
            // `FileTable`); the lookup takes a reference to the file it
            // returns, or NULL.
            let raw = unsafe { io_uring_rs_fget_task(table.task.as_ptr(), self.fd) };
            let won = !raw.is_null()
                && self
                    .file
                    .compare_exchange(ptr::null_mut(), raw, Ordering::AcqRel, Ordering::Acquire)
                    .is_ok();
            if !raw.is_null() && !won {
                // SAFETY: Another assignment won; the reference is ours.
                unsafe { io_uring_rs_fput(raw) };
            }
        }
        self.get()
    }

    /// `io_assign_file()`, as above.
    #[cfg(kernel_7_2)]
    pub(crate) fn assign(&self, _cx: &TaskCtx, table: Option<&FileTable>) -> Result<File<'_>> {
        if let (None, Some(table)) = (self.file.as_ref(), table) {
            // SAFETY: `table.task` is a live task (an `ARef`); the lookup
            // takes a reference to the file it returns, or NULL.
            let raw = unsafe { io_uring_rs_fget_task(table.task.as_ptr().cast(), self.fd) };
            if let Some(raw) = NonNull::new(raw.cast::<kernel::fs::File>()) {
                // SAFETY: `raw` is a `struct file` whose reference the lookup
                // gave us; `fs::File` is `repr(transparent)` over it.
                let file = unsafe { ARef::from_raw(raw) };
                // A losing assignment's reference drops here.
                self.file.populate(file);
            }
        }
        self.get()
    }

    /// The file resolved by [`FileSlot::assign`], or `-EBADF`.
    #[cfg(not(kernel_7_2))]
    pub(crate) fn get(&self) -> Result<File<'_>> {
        let raw = NonNull::new(self.file.load(Ordering::Acquire)).ok_or(EBADF)?;
        Ok(File {
            raw,
            _slot: PhantomData,
        })
    }

    /// The file resolved by [`FileSlot::assign`], or `-EBADF`.
    #[cfg(kernel_7_2)]
    pub(crate) fn get(&self) -> Result<File<'_>> {
        let file = self.file.as_ref().ok_or(EBADF)?;
        Ok(File { file })
    }
}

#[cfg(not(kernel_7_2))]
impl Drop for FileSlot {
    fn drop(&mut self) {
        if let Some(raw) = NonNull::new(*self.file.get_mut()) {
            // SAFETY: The reference this slot holds (type invariants).
            unsafe { io_uring_rs_fput(raw.as_ptr()) };
        }
    }
}

/// What a read or write does.
#[derive(Clone, Copy)]
pub(crate) struct RwIo<'a> {
    /// A write (`WRITE`, `WRITEV`), else a read.
    pub(crate) write: bool,
    /// The user buffers.
    pub(crate) iov: &'a [IoVec],
    /// The file offset; -1 for the file position (ignored by a stream).
    pub(crate) pos: i64,
    /// `RWF_*` (`rw_flags`), checked by the VFS (`kiocb_set_rw_flags()`).
    pub(crate) rw_flags: u32,
}

/// A request's file, borrowed from its [`FileSlot`].
///
/// # Invariants
///
/// 6.12: `raw` is a `struct file` the slot holds a reference to for `'a`.
#[cfg(not(kernel_7_2))]
#[derive(Clone, Copy)]
pub(crate) struct File<'a> {
    raw: NonNull<c_void>,
    _slot: PhantomData<&'a FileSlot>,
}

#[cfg(not(kernel_7_2))]
// SAFETY: Every operation through `File` is one the VFS allows
// concurrently on a shared `struct file`, from any task.
unsafe impl Send for File<'_> {}
#[cfg(not(kernel_7_2))]
// SAFETY: As above.
unsafe impl Sync for File<'_> {}

/// A request's file, borrowed from its [`FileSlot`] (7.2: the kernel
/// crate's `fs::File`).
#[cfg(kernel_7_2)]
#[derive(Clone, Copy)]
pub(crate) struct File<'a> {
    file: &'a kernel::fs::File,
}

impl File<'_> {
    /// The `struct file`, live while the view is (type invariants).
    fn raw(&self) -> *mut c_void {
        #[cfg(not(kernel_7_2))]
        let raw = self.raw.as_ptr();
        #[cfg(kernel_7_2)]
        let raw = self.file.as_ptr().cast();
        raw
    }

    /// What the file can do.
    pub(crate) fn mode(&self) -> FileMode {
        // SAFETY: `raw` is a live file (type invariants).
        FileMode(unsafe { io_uring_rs_file_flags(self.raw()) })
    }

    /// `hash_ptr(file_inode(file), bits)`: the file's inode hashed to
    /// `bits` bits.
    pub(crate) fn inode_hash(&self, bits: u32) -> u32 {
        // SAFETY: `raw` is a live file (type invariants); `hash_ptr` only
        // reads the inode's address.
        unsafe { io_uring_rs_file_hash(self.raw(), bits) }
    }

    /// The `events` the file is ready for now (`vfs_poll()` without
    /// queueing).
    pub(crate) fn poll_ready(&self, events: u32) -> u32 {
        // SAFETY: `raw` is a live file (type invariants).
        unsafe { io_uring_rs_file_poll_ready(self.raw(), events) }
    }

    /// One read or write `io` that may not block (`IOCB_NOWAIT`: `-EAGAIN`
    /// where it would), in the address space `mm`.
    pub(crate) fn rw_nowait(&self, cx: &TaskCtx, mm: &UserMm, io: RwIo<'_>) -> Result<usize> {
        self.rw(cx, mm, io, true)
    }

    /// One read or write `io` that may sleep for as long as the file makes
    /// it. It takes the context exclusively: a ring lock's guard borrows
    /// it, so no lock can be held across the wait (an io-wq worker's
    /// attempt, never an inline one under `uring_lock`).
    pub(crate) fn rw_blocking(&self, cx: &mut TaskCtx, mm: &UserMm, io: RwIo<'_>) -> Result<usize> {
        self.rw(cx, mm, io, false)
    }

    fn rw(&self, cx: &TaskCtx, mm: &UserMm, io: RwIo<'_>, nowait: bool) -> Result<usize> {
        // What `import_iovec()` guarantees the VFS, whoever made `io.iov`.
        let total = io.iov.iter().fold(0u64, |t, v| t.saturating_add(v.len));
        if total > MAX_RW_COUNT {
            return Err(EINVAL);
        }
        let _in_mm = mm.enter(cx)?;
        // SAFETY: `raw` is a live file; `iov` is `iov.len()` iovecs whose
        // bases are user addresses, read and written only with user
        // copies, in the address space `_in_mm` keeps current.
        let ret = unsafe {
            io_uring_rs_file_rw(
                self.raw(),
                io.write,
                io.iov.as_ptr(),
                io.iov.len(),
                io.pos,
                nowait,
                io.rw_flags,
            )
        };
        if ret < 0 {
            return Err(Error::from_errno(ret as i32));
        }
        Ok(ret as usize)
    }
}

/// `io_import_iovec()` of a READV or WRITEV: the `len` iovecs at `addr`,
/// copied and checked at preparation, in the current task's address space.
/// Their total length is clamped to `MAX_RW_COUNT`. `-EFAULT` for an
/// address user space cannot reach, `-EINVAL` for too many iovecs or a
/// negative length.
pub(crate) fn import_iovec(_cx: &TaskCtx, addr: u64, len: u32) -> Result<KVec<IoVec>> {
    let n = len as usize;
    let mut iov = KVec::with_capacity(n, GFP_KERNEL)?;
    for _ in 0..n {
        iov.push(IoVec { base: 0, len: 0 }, GFP_KERNEL)?;
    }
    // SAFETY: `iov` has room for `len` iovecs.
    let ret = unsafe { io_uring_rs_iovec_import(addr, len, true, iov.as_mut_ptr()) };
    if ret < 0 {
        return Err(Error::from_errno(ret as i32));
    }
    Ok(iov)
}

/// `import_ubuf()`: the one buffer of a READ or WRITE (`len` bytes at
/// `addr`, clamped to `MAX_RW_COUNT`), without allocating; `-EFAULT` for an
/// address user space cannot reach.
pub(crate) fn import_ubuf(_cx: &TaskCtx, addr: u64, len: u32) -> Result<IoVec> {
    let mut iov = IoVec { base: 0, len: 0 };
    // SAFETY: `iov` has room for the one iovec of a non-vectored import.
    let ret = unsafe { io_uring_rs_iovec_import(addr, len, false, &mut iov) };
    if ret < 0 {
        return Err(Error::from_errno(ret as i32));
    }
    Ok(iov)
}

/// The address space of a request's submitter, held (`mmgrab()`) so that
/// a worker can borrow it (`kthread_use_mm()`) to reach the buffers; it
/// does not keep the address space itself alive. With it, the submitter's
/// credentials and `RLIMIT_FSIZE`, which a worker takes on for as long
/// (io_uring's workers are threads of the task, and have both): a worker
/// that wrote as root would keep a file's set-id bits
/// (`file_remove_privs()` sees `CAP_FSETID`) and ignore the size limit.
///
/// # Invariants
///
/// `mm` is an `mm_struct` this value holds one `mmgrab()` of; `cred` a
/// `struct cred` it holds one reference to.
pub(crate) struct UserMm {
    mm: NonNull<c_void>,
    cred: NonNull<c_void>,
    fsize: c_ulong,
}

// SAFETY: An `mmgrab()` reference and a credentials reference may be used
// and dropped from any task.
unsafe impl Send for UserMm {}
// SAFETY: `enter` only reads the pointers and the limit.
unsafe impl Sync for UserMm {}

impl UserMm {
    /// The current task's address space; `-EFAULT` for a kernel thread
    /// without one.
    pub(crate) fn current(_cx: &TaskCtx) -> Result<Self> {
        // SAFETY: Grabs the current task's mm, or returns NULL.
        let mm = NonNull::new(unsafe { io_uring_rs_mm_grab() }).ok_or(EFAULT)?;
        // SAFETY: Takes a reference to the current task's credentials,
        // which are never NULL.
        let cred = unsafe { io_uring_rs_cred_get() };
        let Some(cred) = NonNull::new(cred.cast_mut()) else {
            // SAFETY: The grab made above.
            unsafe { io_uring_rs_mm_drop(mm.as_ptr()) };
            return Err(EFAULT);
        };
        // SAFETY: Reads the current task's limit.
        let fsize = unsafe { io_uring_rs_fsize() };
        Ok(UserMm { mm, cred, fsize })
    }

    /// Whether the current task's address space, credentials and
    /// `RLIMIT_FSIZE` are the ones this holds, as [`Self::current`] would
    /// take them now; process context, as `current`.
    pub(crate) fn is_current(&self, _cx: &TaskCtx) -> bool {
        // SAFETY: Compares the pointers and the limit with the current
        // task's; nothing is dereferenced.
        unsafe { io_uring_rs_mm_is_current(self.mm.as_ptr(), self.cred.as_ptr(), self.fsize) }
    }

    /// Makes this the current address space until the guard drops: it is
    /// already (the submitter), or a kernel worker borrows it
    /// (`kthread_use_mm()`, which takes `task_lock()` and may switch page
    /// tables: process context only, hence `_cx`; a timer has no
    /// `TaskCtx`). `-EFAULT` if the address space is gone, or the current
    /// task has another. Glue only: the core never enters an address
    /// space; the glue's reads and writes of files and the SQPOLL thread's
    /// pass do.
    pub(in crate::glue) fn enter(&self, _cx: &TaskCtx) -> Result<InMm<'_>> {
        let mut old_cred = core::ptr::null();
        let mut old_fsize: c_ulong = 0;
        // SAFETY: `mm` is grabbed and `cred` referenced (type invariants),
        // for as long as the guard borrows `self`; the two outputs are
        // writable.
        let entered = unsafe {
            io_uring_rs_mm_enter(
                self.mm.as_ptr(),
                self.cred.as_ptr(),
                self.fsize,
                &mut old_cred,
                &mut old_fsize,
            )
        };
        if entered < 0 {
            return Err(Error::from_errno(entered));
        }
        Ok(InMm {
            mm: self,
            entered,
            old_cred,
            old_fsize,
            _not_send: core::marker::PhantomData,
        })
    }
}

impl Drop for UserMm {
    fn drop(&mut self) {
        // SAFETY: The grab this value holds (type invariants).
        unsafe { io_uring_rs_mm_drop(self.mm.as_ptr()) };
        // SAFETY: The reference this value holds (type invariants).
        unsafe { io_uring_rs_cred_put(self.cred.as_ptr()) };
    }
}

/// [`UserMm::enter`]'s guard. Not `Send`: it is undone on the same task.
pub(in crate::glue) struct InMm<'a> {
    mm: &'a UserMm,
    entered: c_int,
    /// What `io_uring_rs_mm_enter()` replaced, to restore.
    old_cred: *const c_void,
    old_fsize: c_ulong,
    _not_send: core::marker::PhantomData<*mut ()>,
}

impl Drop for InMm<'_> {
    fn drop(&mut self) {
        // SAFETY: Undoes `io_uring_rs_mm_enter()` on the same task, with
        // what it returned.
        unsafe {
            io_uring_rs_mm_leave(
                self.mm.mm.as_ptr(),
                self.entered,
                self.old_cred,
                self.old_fsize,
            )
        };
    }
}

/// What a poll entry wakes.
///
/// # Safety
///
/// [`PollTarget::poll_woken`] runs under a wait queue's spinlock, maybe in
/// an interrupt, and maybe inside any lock of this module (a ring's own
/// poll queue is woken under its `completion_lock`): it must not sleep,
/// allocate, or take any lock but IRQ-safe spinlocks that no ring lock
/// nests inside. The core may not implement it (it forbids `unsafe`); the
/// glue implements it for requests (`work.rs`).
pub(crate) unsafe trait PollTarget: Send + Sync + 'static {
    /// The file became ready, or its wait queue is going away
    /// (`POLLFREE`): called at most once per [`PollArm`].
    fn poll_woken(this: Arc<Self>);
}

/// An armed one-shot poll of a file that calls `T::poll_woken` with the
/// target it holds. Dropping it unhooks it from the file's wait queues
/// (after which it calls nothing) and drops the target.
///
/// # Invariants
///
/// `raw` is a live `struct io_uring_rs_poll` owned by this value, whose
/// data is `target`, a pointer from `Arc::into_raw` this value owns.
pub(crate) struct PollArm<T: PollTarget> {
    raw: NonNull<c_void>,
    target: *const T,
}

// SAFETY: The poll is freed from whichever task drops it; the target is
// `Send + Sync`.
unsafe impl<T: PollTarget> Send for PollArm<T> {}
// SAFETY: `&PollArm` gives access to nothing.
unsafe impl<T: PollTarget> Sync for PollArm<T> {}

/// The wake-up callback.
///
/// # Safety
///
/// `data` is the target of a live [`PollArm<T>`].
unsafe extern "C" fn poll_woken<T: PollTarget>(data: *mut c_void) {
    // SAFETY: The arm owns a reference to the target until it is dropped,
    // and it is dropped only after the poll was unhooked, which waits for
    // this callback (it runs under the wait queue's lock).
    let target = unsafe { ArcBorrow::<T>::from_raw(data as *const T) };
    T::poll_woken(target.into());
}

impl<T: PollTarget> PollArm<T> {
    /// Arms a one-shot poll for `events` on `file` (`vfs_poll()` with a
    /// queueing table); returns it with the events ready now. Nonzero
    /// events are the caller's to act on: `T::poll_woken` will not run.
    /// Otherwise it runs at most once.
    pub(crate) fn arm(
        _cx: &TaskCtx,
        file: File<'_>,
        events: u32,
        target: Arc<T>,
    ) -> Result<(Self, u32)> {
        let target = Arc::into_raw(target);
        let mut mask = 0u32;
        // SAFETY: `file` is live; `target` stays valid until the poll is
        // freed (see `Drop`); `mask` is writable.
        let raw = unsafe {
            io_uring_rs_poll_arm(
                file.raw(),
                events,
                poll_woken::<T>,
                target as *mut c_void,
                &mut mask,
            )
        };
        let err = kernel::error::from_err_ptr(raw).err();
        match (NonNull::new(raw), err) {
            (Some(raw), None) => Ok((PollArm { raw, target }, mask)),
            (_, e) => {
                // SAFETY: No poll holds `target`: it is ours again.
                drop(unsafe { Arc::from_raw(target) });
                Err(e.unwrap_or(ENOMEM))
            }
        }
    }
}

impl<T: PollTarget> Drop for PollArm<T> {
    fn drop(&mut self) {
        // SAFETY: The poll is owned by this value (type invariants); once
        // freed, its callback has returned and will not run again.
        unsafe { io_uring_rs_poll_free(self.raw.as_ptr()) };
        // SAFETY: The reference `arm` gave up, and no poll holds it now.
        drop(unsafe { Arc::from_raw(self.target) });
    }
}

/// The wait queue `->poll()` of a ring's file waits on (`ctx->poll_wq`).
///
/// # Invariants
///
/// `raw` is an initialised `struct wait_queue_head` owned by this value.
pub(crate) struct PollQueue {
    raw: NonNull<c_void>,
}

// SAFETY: A wait queue head is used from any context under its own lock.
unsafe impl Send for PollQueue {}
// SAFETY: As above.
unsafe impl Sync for PollQueue {}

impl PollQueue {
    /// An empty queue.
    pub(crate) fn new(_cx: &TaskCtx) -> Result<Self> {
        // SAFETY: Allocates and initialises a queue, or returns NULL.
        let raw = NonNull::new(unsafe { io_uring_rs_pollq_alloc() }).ok_or(ENOMEM)?;
        Ok(PollQueue { raw })
    }

    /// Wakes the pollers (`EPOLLIN`); any context. Cheap when none waits.
    pub(crate) fn wake(&self) {
        // SAFETY: `raw` is a live queue (type invariants).
        unsafe { io_uring_rs_pollq_wake(self.raw.as_ptr()) }
    }

    /// `poll_wait()` on this queue, for `->poll()` of `file`.
    ///
    /// # Safety
    ///
    /// `file` and `pt` are the arguments of a `->poll()` call in progress
    /// (`pt` may be NULL), and this queue outlives every entry `pt` adds,
    /// which holds while `file` holds the ring.
    pub(crate) unsafe fn poll_wait(&self, file: *mut c_void, pt: *mut c_void) {
        // SAFETY: Function safety; `raw` is a live queue.
        unsafe { io_uring_rs_pollq_wait(file, self.raw.as_ptr(), pt) }
    }
}

impl Drop for PollQueue {
    fn drop(&mut self) {
        // SAFETY: Owned (type invariants); no entry is left: every poller
        // held the file, and so the ring, while it waited.
        unsafe { io_uring_rs_pollq_free(self.raw.as_ptr()) }
    }
}

/// The file table of a submitting task, held through a reference to the
/// task: where a request's descriptors resolve as it is issued, whether
/// inline, from task work, in io-wq or by an SQPOLL thread (C's io-wq
/// workers and SQPOLL thread share their task's table); empty once the task
/// has exited.
///
/// # Invariants
///
/// 6.12: `task` is a `struct task_struct` this value holds a reference to
/// (7.2: an `ARef<Task>`).
pub(crate) struct FileTable {
    #[cfg(not(kernel_7_2))]
    task: NonNull<c_void>,
    #[cfg(kernel_7_2)]
    task: ARef<Task>,
}

#[cfg(not(kernel_7_2))]
// SAFETY: A task reference may be used and dropped from any task.
unsafe impl Send for FileTable {}
#[cfg(not(kernel_7_2))]
// SAFETY: Lookups in a task's table are safe concurrently.
unsafe impl Sync for FileTable {}

impl FileTable {
    /// The current task's. Glue only: the core resolves descriptors only
    /// in the tables that submitters' task-work lists carry
    /// (`IoUringTask`), never in the table of whatever context it runs in.
    #[cfg(kernel_7_2)]
    pub(in crate::glue) fn current(_cx: &TaskCtx) -> Self {
        let task: &Task = kernel::current!();
        FileTable {
            task: ARef::from(task),
        }
    }

    /// The current task's (as above).
    #[cfg(not(kernel_7_2))]
    pub(in crate::glue) fn current(_cx: &TaskCtx) -> Self {
        // SAFETY: `current` is a live task; the reference is ours.
        let task = unsafe { io_uring_rs_task_get() };
        // SAFETY: `get_task_struct(current)` returns `current`, never NULL.
        let task = unsafe { NonNull::new_unchecked(task) };
        FileTable { task }
    }
}

#[cfg(not(kernel_7_2))]
impl Drop for FileTable {
    fn drop(&mut self) {
        // SAFETY: The reference this value holds (type invariants).
        unsafe { io_uring_rs_task_put(self.task.as_ptr()) }
    }
}
