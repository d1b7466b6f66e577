// SPDX-License-Identifier: GPL-2.0

//! The host's files: in-memory pipes, so that the core's file paths (the
//! inline attempt, the armed poll, its wake-up and task work, cancellation
//! and ring exit of armed requests) run on the host and under Miri with the
//! module's signatures (`glue/file.rs`). A test makes a pipe with
//! [`pipe`], whose two descriptors live in a process-wide table until
//! [`close`]. "User" memory is what a test lends with [`UserRegion`]: an
//! address in a range of its own, which the host's "user copies" translate
//! back into the lent pointer (so Miri sees every access with its
//! provenance), and `-EFAULT` for any other address.

use crate::glue::context::TaskCtx;
use crate::uapi::IoVec;
use core::marker::PhantomData;
use kernel::prelude::*;
use kernel::sync::Arc;
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

/// `EPOLLIN | EPOLLRDNORM`, `EPOLLOUT | EPOLLWRNORM`, `EPOLLHUP`.
const POLL_IN: u32 = 0x1 | 0x40;
const POLL_OUT: u32 = 0x4 | 0x100;
const POLL_HUP: u32 = 0x10;

/// A waiter's wake-up: runs once, under the pipe's lock.
type Wake = Box<dyn FnMut() + Send>;

/// A pipe: its bytes, whether the write end is open, and the armed polls.
struct Pipe {
    bytes: VecDeque<u8>,
    writer_open: bool,
    waiters: HashMap<u64, Wake>,
    next_waiter: u64,
}

impl Pipe {
    /// The events the read end (`!write`) or the write end is ready for.
    fn ready(&self, write: bool) -> u32 {
        if write {
            POLL_OUT
        } else if !self.writer_open {
            POLL_HUP | if self.bytes.is_empty() { 0 } else { POLL_IN }
        } else if self.bytes.is_empty() {
            0
        } else {
            POLL_IN
        }
    }

    /// Wakes every armed poll (a write, or the writer's close).
    fn wake_all(&mut self) {
        for (_, mut w) in self.waiters.drain() {
            w();
        }
    }
}

/// One end of a pipe, or of a "regular file": a pipe that cannot be
/// polled, whose writes are never attempted without blocking
/// (`FOP_BUFFER_WASYNC` unset), so io-wq takes them, hashed; each write
/// appends its bytes whole, so the bytes are the order writes ran in.
struct End {
    pipe: Arc<Mutex<Pipe>>,
    write: bool,
    regular: bool,
}

/// The descriptor table.
static FILES: Mutex<Option<HashMap<i32, Arc<End>>>> = Mutex::new(None);
// Used by the host tests only.
#[cfg_attr(any(not(test), loom), allow(dead_code))]
static NEXT_FD: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(1000);

/// Makes a pipe: `(read end, write end)`.
// Used by the host tests only.
#[cfg_attr(any(not(test), loom), allow(dead_code))]
pub(crate) fn pipe() -> (i32, i32) {
    pipe_of(false)
}

/// Makes a "regular file" (see [`End`]): `(read end, write end)`.
// Used by the host tests only.
#[cfg_attr(any(not(test), loom), allow(dead_code))]
pub(crate) fn regular_file() -> (i32, i32) {
    pipe_of(true)
}

/// Everything written to a pipe or "regular file" and not read yet.
// Used by the host tests only.
#[cfg_attr(any(not(test), loom), allow(dead_code))]
pub(crate) fn contents(fd: i32) -> Vec<u8> {
    let end = lookup(fd).expect("no such descriptor");
    let p = end.pipe.lock().unwrap();
    p.bytes.iter().copied().collect()
}

/// How many armed polls wait on a pipe.
// Used by the host tests only.
#[cfg_attr(any(not(test), loom), allow(dead_code))]
pub(crate) fn waiters(fd: i32) -> usize {
    let end = lookup(fd).expect("no such descriptor");
    let p = end.pipe.lock().unwrap();
    p.waiters.len()
}

#[cfg_attr(any(not(test), loom), allow(dead_code))]
fn pipe_of(regular: bool) -> (i32, i32) {
    let p = Arc::new(
        Mutex::new(Pipe {
            bytes: VecDeque::new(),
            writer_open: true,
            waiters: HashMap::new(),
            next_waiter: 0,
        }),
        GFP_KERNEL,
    )
    .unwrap();
    let mut files = FILES.lock().unwrap();
    let files = files.get_or_insert_with(HashMap::new);
    let fd = || NEXT_FD.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let (r, w) = (fd(), fd());
    for (fd, write) in [(r, false), (w, true)] {
        let end = Arc::new(
            End {
                pipe: p.clone(),
                write,
                regular,
            },
            GFP_KERNEL,
        )
        .unwrap();
        files.insert(fd, end);
    }
    (r, w)
}

/// `write(2)` of `data` to a pipe's write end, from "user space".
// Used by the host tests only.
#[cfg_attr(any(not(test), loom), allow(dead_code))]
pub(crate) fn write(fd: i32, data: &[u8]) {
    let end = lookup(fd).expect("no such descriptor");
    let mut p = end.pipe.lock().unwrap();
    p.bytes.extend(data);
    p.wake_all();
}

/// Closes a descriptor; closing a write end hangs the pipe up.
// Used by the host tests only.
#[cfg_attr(any(not(test), loom), allow(dead_code))]
pub(crate) fn close(fd: i32) {
    let end = FILES.lock().unwrap().as_mut().and_then(|f| f.remove(&fd));
    if let Some(end) = end {
        if end.write {
            let mut p = end.pipe.lock().unwrap();
            p.writer_open = false;
            p.wake_all();
        }
    }
}

fn lookup(fd: i32) -> Option<Arc<End>> {
    FILES.lock().unwrap().as_ref()?.get(&fd).cloned()
}

/// A region of "user memory" lent by a test: its address is
/// `region << 32`, translated while the guard lives.
pub(crate) struct UserRegion {
    id: u64,
}

/// A lent pointer and its length.
struct Lent(*mut u8, usize);

// SAFETY: The pointer is only dereferenced by the host's user copies while
// the test that lent it keeps the region (and the memory) alive.
unsafe impl Send for Lent {}

static USER: Mutex<Option<HashMap<u64, Lent>>> = Mutex::new(None);
static NEXT_REGION: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

impl UserRegion {
    /// Lends `mem` as user memory until the region is dropped.
    // Used by the host tests only.
    #[cfg_attr(any(not(test), loom), allow(dead_code))]
    pub(crate) fn lend(mem: &mut [u8]) -> Self {
        let id = NEXT_REGION.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut user = USER.lock().unwrap();
        user.get_or_insert_with(HashMap::new)
            .insert(id, Lent(mem.as_mut_ptr(), mem.len()));
        UserRegion { id }
    }

    /// The "user address" of byte `off` of the region.
    // Used by the host tests only.
    #[cfg_attr(any(not(test), loom), allow(dead_code))]
    pub(crate) fn addr(&self, off: usize) -> u64 {
        (self.id << 32) + off as u64
    }
}

impl Drop for UserRegion {
    fn drop(&mut self) {
        USER.lock().unwrap().as_mut().map(|u| u.remove(&self.id));
    }
}

/// The lent pointer to `len` bytes at user address `addr`, or `-EFAULT`.
fn user_ptr(addr: u64, len: usize) -> Result<*mut u8> {
    let user = USER.lock().unwrap();
    let lent = user
        .as_ref()
        .and_then(|u| u.get(&(addr >> 32)))
        .ok_or(EFAULT)?;
    let off = (addr & 0xffff_ffff) as usize;
    if off.checked_add(len).is_none_or(|end| end > lent.1) {
        return Err(EFAULT);
    }
    Ok(lent.0.wrapping_add(off))
}

/// What a file can do: a pipe end, or a "regular file"'s.
#[derive(Clone, Copy)]
pub(crate) struct FileMode {
    write: bool,
    regular: bool,
}

impl FileMode {
    pub(crate) fn readable(self) -> bool {
        !self.write
    }
    pub(crate) fn writable(self) -> bool {
        self.write
    }
    pub(crate) fn nowait(self) -> bool {
        true
    }
    pub(crate) fn pollable(self) -> bool {
        !self.regular
    }
    pub(crate) fn regular(self) -> bool {
        self.regular
    }
    pub(crate) fn ring(self) -> bool {
        false
    }
    pub(crate) fn buffered_write_nowait(self) -> bool {
        false
    }
    pub(crate) fn dio_parallel_write(self) -> bool {
        false
    }
}

/// What a read or write does (the module's `glue/file.rs`).
#[derive(Clone, Copy)]
pub(crate) struct RwIo<'a> {
    pub(crate) write: bool,
    pub(crate) iov: &'a [IoVec],
    // A pipe is a stream: it has no position.
    #[allow(dead_code)]
    pub(crate) pos: i64,
    pub(crate) rw_flags: u32,
}

/// A request's file, borrowed from its slot: a pipe end.
#[derive(Clone, Copy)]
pub(crate) struct File<'a>(&'a Arc<End>);

impl File<'_> {
    pub(crate) fn mode(&self) -> FileMode {
        FileMode {
            write: self.0.write,
            regular: self.0.regular,
        }
    }

    /// The pipe's address hashed to `bits` bits (`hash_ptr()`).
    pub(crate) fn inode_hash(&self, bits: u32) -> u32 {
        let key = core::ptr::from_ref::<Mutex<Pipe>>(&self.0.pipe) as u64;
        (key.wrapping_mul(0x61c8_8646_80b5_83eb) >> (64 - bits)) as u32
    }

    pub(crate) fn poll_ready(&self, events: u32) -> u32 {
        self.0.pipe.lock().unwrap().ready(self.0.write) & events
    }

    pub(crate) fn rw_nowait(&self, cx: &TaskCtx, mm: &UserMm, io: RwIo<'_>) -> Result<usize> {
        let _in_mm = mm.enter(cx)?;
        self.rw(io)
    }

    /// As the module's; a blocking read of an empty pipe, which no host
    /// test asks for, is `-EAGAIN` too.
    pub(crate) fn rw_blocking(&self, cx: &mut TaskCtx, mm: &UserMm, io: RwIo<'_>) -> Result<usize> {
        let _in_mm = mm.enter(cx)?;
        if self.0.regular {
            // A regular file's blocking write takes a while, as a disk's
            // does: io-wq workers running writes at once overlap.
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        self.rw(io)
    }

    /// A pipe read or write.
    fn rw(&self, io: RwIo<'_>) -> Result<usize> {
        if io.rw_flags != 0 {
            return Err(EINVAL);
        }
        let mut p = self.0.pipe.lock().unwrap();
        let mut n = 0usize;
        for v in io.iov {
            let base = user_ptr(v.base, v.len as usize)?;
            for i in 0..v.len as usize {
                if io.write {
                    // SAFETY: Host "user" buffers are the test's memory,
                    // valid for `len` bytes while the request lives.
                    p.bytes.push_back(unsafe { *base.add(i) });
                } else {
                    let Some(b) = p.bytes.pop_front() else {
                        return if n > 0 || !p.writer_open {
                            Ok(n)
                        } else {
                            Err(EAGAIN)
                        };
                    };
                    // SAFETY: As above.
                    unsafe { *base.add(i) = b };
                }
                n += 1;
            }
        }
        if io.write {
            p.wake_all();
        }
        Ok(n)
    }
}

/// The `len` iovecs at `addr`.
pub(crate) fn import_iovec(_cx: &TaskCtx, addr: u64, len: u32) -> Result<KVec<IoVec>> {
    let mut out = KVec::new();
    let size = core::mem::size_of::<IoVec>();
    let vecs = user_ptr(addr, len as usize * size)?;
    for i in 0..len as usize {
        // SAFETY: `user_ptr` checked that the lent region holds `len`
        // iovecs there; they may be unaligned.
        let v = unsafe { vecs.add(i * size).cast::<IoVec>().read_unaligned() };
        out.push(v, GFP_KERNEL)?;
    }
    Ok(out)
}

/// The one buffer of a READ or WRITE, without allocating.
pub(crate) fn import_ubuf(_cx: &TaskCtx, addr: u64, len: u32) -> Result<IoVec> {
    Ok(IoVec {
        base: addr,
        len: u64::from(len),
    })
}

/// The address space: the host's one.
pub(crate) struct UserMm(());

impl UserMm {
    pub(crate) fn current(_cx: &TaskCtx) -> Result<Self> {
        Ok(UserMm(()))
    }

    /// As the module's: the host has one address space and one set of
    /// credentials.
    pub(crate) fn is_current(&self, _cx: &TaskCtx) -> bool {
        true
    }

    /// As the module's: process context only (there, `kthread_use_mm()`);
    /// the host's one address space is always current.
    pub(in crate::glue) fn enter(&self, _cx: &TaskCtx) -> Result<InMm<'_>> {
        Ok(InMm(PhantomData))
    }
}

/// [`UserMm::enter`]'s guard.
pub(in crate::glue) struct InMm<'a>(PhantomData<&'a UserMm>);

/// What a poll entry wakes (the module's `glue/file.rs`).
///
/// # Safety
///
/// As the module's: `poll_woken` may not sleep, allocate or lock.
pub(crate) unsafe trait PollTarget: Send + Sync + 'static {
    fn poll_woken(this: Arc<Self>);
}

/// An armed poll: a waiter on a pipe, removed when dropped.
pub(crate) struct PollArm<T: PollTarget> {
    pipe: Arc<Mutex<Pipe>>,
    id: u64,
    _target: core::marker::PhantomData<Arc<T>>,
}

impl<T: PollTarget> Drop for PollArm<T> {
    fn drop(&mut self) {
        drop(self.pipe.lock().unwrap().waiters.remove(&self.id));
    }
}

impl<T: PollTarget> PollArm<T> {
    pub(crate) fn arm(
        _cx: &TaskCtx,
        file: File<'_>,
        events: u32,
        target: Arc<T>,
    ) -> Result<(Self, u32)> {
        let mut p = file.0.pipe.lock().unwrap();
        let id = p.next_waiter;
        p.next_waiter += 1;
        let mask = p.ready(file.0.write) & events;
        if mask == 0 {
            let mut target = Some(target);
            p.waiters.insert(
                id,
                Box::new(move || {
                    if let Some(t) = target.take() {
                        T::poll_woken(t);
                    }
                }),
            );
        }
        drop(p);
        Ok((
            PollArm {
                pipe: file.0.pipe.clone(),
                id,
                _target: core::marker::PhantomData,
            },
            mask,
        ))
    }
}

/// A request's file: its descriptor, resolved once, as the request is
/// issued, in the (process-wide) table, and held until the request is
/// freed.
pub(crate) struct FileSlot {
    fd: i32,
    file: std::sync::OnceLock<Arc<End>>,
}

impl FileSlot {
    pub(crate) fn new(fd: i32) -> Self {
        FileSlot {
            fd,
            file: std::sync::OnceLock::new(),
        }
    }

    pub(crate) fn assign(&self, _cx: &TaskCtx, table: Option<&FileTable>) -> Result<File<'_>> {
        if let (None, Some(_)) = (self.file.get(), table) {
            if let Some(end) = lookup(self.fd) {
                // Another assignment may have won: its file is the same.
                let _ = self.file.set(end);
            }
        }
        self.get()
    }

    pub(crate) fn get(&self) -> Result<File<'_>> {
        self.file.get().map(File).ok_or(EBADF)
    }
}

/// A task's file table: the host's one.
pub(crate) struct FileTable(());

impl FileTable {
    pub(in crate::glue) fn current(_cx: &TaskCtx) -> Self {
        FileTable(())
    }
}

/// The ring file's poll queue: nobody polls a ring on the host.
pub(crate) struct PollQueue(());

impl PollQueue {
    pub(crate) fn new(_cx: &TaskCtx) -> Result<Self> {
        Ok(PollQueue(()))
    }

    pub(crate) fn wake(&self) {}
}
