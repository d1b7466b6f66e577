// SPDX-License-Identifier: GPL-2.0

//! `io_uring_rs_scenarios limits`: one user cannot pin unbounded kernel
//! memory through a ring, on the kernel's io_uring and on `/dev/io_uring_rs`
//! alike (issue 13, "Bounded resources"):
//!
//! - ring sizes are bounded and clamped as io_uring bounds them: above
//!   `IORING_MAX_ENTRIES` (32768) SQ or `IORING_MAX_CQ_ENTRIES` (65536) CQ
//!   entries a setup fails with `-EINVAL`, or is clamped with
//!   `IORING_SETUP_CLAMP`, with the same results on both;
//! - the ring memory is charged to the caller's memory cgroup: a forked
//!   child in a cgroup of its own sets up large rings, and `memory.current`
//!   grows by about as much per ring on both;
//! - a memory limit holds: under a small `memory.max` a ring that does not
//!   fit fails with `-ENOMEM` (no OOM kill, no kernel report),
//!   `memory.current` and `memory.peak` stay at or below the limit, and
//!   once the rings are closed the charge comes back and a new ring works;
//! - a task confined to some CPUs (`taskset`, a cpuset) runs its io-wq
//!   work on those alone: a child pinned to CPU 0 blocks a read in an
//!   io-wq worker, whose CPU mask must be CPU 0 on both.
//!
//! The limit is reached without the memcg OOM killer, whose report
//! (`dump_stack()`) the VM log check counts as a splat: a charge fails
//! without it only for an allocation with `__GFP_NORETRY` or
//! `__GFP_RETRY_MAYFAIL`, or of more than `PAGE_ALLOC_COSTLY_ORDER`
//! (`try_charge_memcg()`, `mem_cgroup_oom()`). So the child fills the
//! cgroup with rings only while their charge surely fits with room to spare
//! (reading `memory.current`), then sets up one ring whose first region
//! surely does not fit: the module allocates ring pages with
//! `__GFP_RETRY_MAYFAIL`, io_uring from 6.13 on tries a compound page of
//! order 9 and (memcg accounting being on) does not fall back to order-0
//! pages. io_uring 6.12 does fall back to order-0 `GFP_KERNEL_ACCOUNT`
//! pages (`io_mem_alloc_single()`), which would invoke the OOM killer: on
//! 6.12 its over-the-limit ring is not attempted.
//!
//! One KTAP line per check.

use crate::abi::{blockfd, write_fd, RawRing, Sys, OP_READ};
use crate::scenario::Kernel;
use crate::uapi::*;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Where cgroup2 is (or gets) mounted.
const CGROUP_ROOT: &str = "/sys/fs/cgroup";
/// A page, as the memory cgroup counts.
const PAGE: u64 = 4096;
/// Rings set up to measure the charge of one.
const CHARGE_RINGS: u64 = 8;
/// Their size: large enough that a ring dwarfs the noise.
const CHARGE_ENTRIES: u32 = 4096;
/// `memory.max` is the child's baseline plus this.
const LIMIT_ABOVE: u64 = 4 << 20;
/// `MEMCG_CHARGE_BATCH`: a CPU's stock of pages charged ahead, which
/// `memory.current` counts before they are used.
const BATCH: u64 = 64 * PAGE;
/// Room kept for the small accounted allocations (file, ring structures,
/// page tables, the child's own pages) made before the ring pages.
const HEADROOM: u64 = 32 * PAGE;
/// How far above its baseline a cgroup may stay once its rings are closed:
/// the per-CPU stocks (two CPUs) and slab remainders.
const SLACK: u64 = 1 << 20;
/// How long a closed ring's memory may take to come back.
const RELEASE_LIMIT: Duration = Duration::from_secs(20);
/// How long one child may take.
const CHILD_LIMIT: Duration = Duration::from_secs(120);

/// Setup parameters with `flags` and `cq_entries`.
fn params(flags: u32, cq_entries: u32) -> IoUringParams {
    IoUringParams {
        flags,
        cq_entries,
        ..IoUringParams::default()
    }
}

/// A setup's result as compared: the errno or the sizes.
fn setup_sizes(sys: Sys, entries: u32, flags: u32, cq: u32) -> String {
    let mut p = params(flags, cq);
    match sys.setup(entries, &mut p) {
        Ok(_) => format!("sq={} cq={}", p.sq_entries, p.cq_entries),
        Err(e) => format!("{e}"),
    }
}

/// The bounds and the clamping at and around the largest rings, with
/// io_uring's results (6.12 and 7.2 agree).
fn check_bounds(sys: Sys) -> (bool, String) {
    const CQSIZE: u32 = IORING_SETUP_CQSIZE;
    const CLAMP: u32 = IORING_SETUP_CLAMP;
    let max = IORING_MAX_ENTRIES;
    let cqmax = IORING_MAX_CQ_ENTRIES;
    let at_max = format!("sq={max} cq={cqmax}");
    let cases: [(u32, u32, u32, String); 14] = [
        (max, 0, 0, at_max.clone()),
        (max + 1, 0, 0, "-22".into()),
        (max + 1, CLAMP, 0, at_max.clone()),
        (u32::MAX, CLAMP, 0, at_max.clone()),
        (1 << 31, 0, 0, "-22".into()),
        (0, CLAMP, 0, "-22".into()),
        (4, CQSIZE, cqmax, format!("sq=4 cq={cqmax}")),
        (4, CQSIZE, cqmax + 1, "-22".into()),
        (4, CQSIZE | CLAMP, cqmax + 1, format!("sq=4 cq={cqmax}")),
        (4, CQSIZE | CLAMP, u32::MAX, format!("sq=4 cq={cqmax}")),
        (max, CQSIZE, cqmax, at_max.clone()),
        (max + 1, CQSIZE | CLAMP, 40000, at_max),
        (16, CQSIZE, 8, "-22".into()),
        (3, CQSIZE, 5, "sq=4 cq=8".into()),
    ];
    let mut ok = true;
    let mut out = String::new();
    for (entries, flags, cq, want) in cases {
        let got = setup_sizes(sys, entries, flags, cq);
        if got != want {
            ok = false;
            out += &format!("[{entries} {flags:#x} {cq}: {got}, want {want}] ");
        } else {
            out += &format!("{got}; ");
        }
    }
    (ok, out)
}

/// A child cgroup of the cgroup2 root.
struct Cgroup {
    dir: PathBuf,
}

impl Cgroup {
    /// Creates the cgroup `name` (anew if it was left behind).
    fn create(name: &str) -> Result<Cgroup, String> {
        let dir = Path::new(CGROUP_ROOT).join(name);
        let _ = std::fs::remove_dir(&dir);
        std::fs::create_dir(&dir).map_err(|e| format!("mkdir {}: {e}", dir.display()))?;
        Ok(Cgroup { dir })
    }

    fn read(&self, name: &str) -> Result<String, String> {
        let path = self.dir.join(name);
        std::fs::read_to_string(&path).map_err(|e| format!("read {}: {e}", path.display()))
    }

    fn write(&self, name: &str, value: &str) -> Result<(), String> {
        let path = self.dir.join(name);
        std::fs::write(&path, value).map_err(|e| format!("write {}: {e}", path.display()))
    }

    /// A file holding one number.
    fn number(&self, name: &str) -> Result<u64, String> {
        let s = self.read(name)?;
        s.trim()
            .parse()
            .map_err(|_| format!("{name}: not a number: {s:?}"))
    }

    /// `memory.current`: the bytes charged to the cgroup.
    fn current(&self) -> Result<u64, String> {
        self.number("memory.current")
    }

    /// The counter `key` of `memory.events`.
    fn event(&self, key: &str) -> Result<u64, String> {
        let s = self.read("memory.events")?;
        s.lines()
            .filter_map(|l| l.split_once(' '))
            .find(|(k, _)| *k == key)
            .and_then(|(_, v)| v.trim().parse().ok())
            .ok_or_else(|| format!("memory.events has no {key}: {s:?}"))
    }

    /// Moves the calling process into the cgroup.
    fn enter(&self) -> Result<(), String> {
        self.write("cgroup.procs", &std::process::id().to_string())
    }
}

impl Drop for Cgroup {
    fn drop(&mut self) {
        // Its processes have exited and were waited for: it is empty.
        let _ = std::fs::remove_dir(&self.dir);
    }
}

/// What a child measured, by name.
type Figures = BTreeMap<String, i64>;

/// Runs `body` in a forked child moved into `cg`; the figures it measured
/// (sent back through a pipe), or why it failed.
fn in_child(
    cg: &Cgroup,
    body: impl FnOnce(&mut Figures) -> Result<(), String>,
) -> Result<Figures, String> {
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two descriptors.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } < 0 {
        return Err(format!("pipe: {}", std::io::Error::last_os_error()));
    }
    // SAFETY: both descriptors are new and owned here.
    let (rd, wr) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    let _ = std::io::stdout().flush();
    // SAFETY: the runner has one thread here; the child only runs this
    // file's code and leaves by `_exit()`.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(format!("fork: {}", std::io::Error::last_os_error()));
    }
    if pid == 0 {
        drop(rd);
        let mut figures = Figures::new();
        let msg = match cg.enter().and_then(|()| body(&mut figures)) {
            Ok(()) => figures
                .iter()
                .map(|(k, v)| format!("{k} {v}\n"))
                .collect::<String>(),
            Err(e) => format!("error {e}\n"),
        };
        let _ = File::from(wr).write_all(msg.as_bytes());
        // SAFETY: ends the forked child without running the parent's exit
        // handlers.
        unsafe { libc::_exit(0) };
    }
    drop(wr);
    let got = read_until_eof(rd, CHILD_LIMIT);
    if got.is_err() {
        // SAFETY: `pid` is our child, not yet waited for.
        unsafe { libc::kill(pid, libc::SIGKILL) };
    }
    let mut status = 0;
    // SAFETY: `pid` is our child; `status` is valid for writes.
    unsafe { libc::waitpid(pid, &mut status, 0) };
    let text = got?;
    if !libc::WIFEXITED(status) {
        return Err(format!("child ended by signal {}", libc::WTERMSIG(status)));
    }
    let mut figures = Figures::new();
    for line in text.lines() {
        match line.split_once(' ') {
            Some(("error", e)) => return Err(e.to_string()),
            Some((k, v)) => {
                figures.insert(k.to_string(), v.parse().unwrap_or(i64::MIN));
            }
            None => return Err(format!("child said {line:?}")),
        }
    }
    Ok(figures)
}

/// A child pinned to CPU 0 blocks a read of an `[io_uring_rs_block]` file
/// in an io-wq worker of `sys`, and counts the workers named after it
/// (`iou-wrk-PID`) and how many of them may run on CPU 0 alone: a user
/// confined to some CPUs (`taskset`, a cpuset) does not run io-wq work on
/// others. io_uring's workers are threads of the task and inherit its
/// mask; the module's kernel threads are given it.
fn child_affinity(sys: Sys, f: &mut Figures) -> Result<(), String> {
    // SAFETY: `set` is a valid CPU set, zeroed then given CPU 0.
    let pinned = unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(0, &mut set);
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set)
    };
    if pinned != 0 {
        return Err(format!(
            "sched_setaffinity: {}",
            std::io::Error::last_os_error()
        ));
    }
    let mut r = RawRing::new(sys, 4, params(0, 0)).map_err(|e| format!("setup {e}"))?;
    let bf = blockfd()?;
    let mut buf = [0u8; 1];
    r.push(&crate::uapi::IoUringSqe {
        opcode: OP_READ,
        fd: bf.as_raw_fd(),
        addr: buf.as_mut_ptr() as u64,
        len: 1,
        user_data: 1,
        ..Default::default()
    });
    if r.enter(1, 0, 0) != 1 {
        return Err("the read was not submitted".into());
    }
    std::thread::sleep(Duration::from_millis(200));
    // SAFETY: `getpid` has no preconditions.
    let name = format!("iou-wrk-{}", unsafe { libc::getpid() });
    let (mut workers, mut on_cpu0) = (0, 0);
    for task in std::fs::read_dir("/proc")
        .map_err(|e| format!("/proc: {e}"))?
        .flatten()
    {
        let Ok(threads) = std::fs::read_dir(task.path().join("task")) else {
            continue;
        };
        for thread in threads.flatten() {
            let comm = std::fs::read_to_string(thread.path().join("comm")).unwrap_or_default();
            if comm.trim_end() != name {
                continue;
            }
            workers += 1;
            let status = std::fs::read_to_string(thread.path().join("status")).unwrap_or_default();
            if status
                .lines()
                .any(|l| l.split_whitespace().eq(["Cpus_allowed_list:", "0"]))
            {
                on_cpu0 += 1;
            }
        }
    }
    f.insert("workers".into(), workers);
    f.insert("on_cpu0".into(), on_cpu0);
    // The byte ends the read.
    write_fd(&bf, b"x");
    for _ in 0..100 {
        if !r.reap().is_empty() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    Err("the read did not complete".into())
}

/// Whether `sys`'s io-wq workers keep their submitter's CPU mask
/// ([`child_affinity`]), in a child of a cgroup of its own.
fn check_affinity(tap: &mut Tap, sys: Sys) {
    let name = sys.name();
    let got = Cgroup::create(&format!("io_uring_rs_limits_affinity_{name}"))
        .and_then(|cg| in_child(&cg, |f| child_affinity(sys, f)));
    let ok = match &got {
        Ok(f) => {
            let (workers, on_cpu0) = (fig(f, "workers"), fig(f, "on_cpu0"));
            println!("# {name}: {workers} io-wq workers of a task pinned to CPU 0, {on_cpu0} of them on CPU 0 alone");
            workers > 0 && on_cpu0 == workers
        }
        Err(e) => {
            println!("# {name}: affinity: {e}");
            false
        }
    };
    tap.check(ok, &format!("limits_iowq_workers_keep_the_cpu_mask_{name}"));
}

/// Reads `fd` to its end, at most for `limit`.
fn read_until_eof(fd: OwnedFd, limit: Duration) -> Result<String, String> {
    let start = Instant::now();
    let mut out = Vec::new();
    let mut file = File::from(fd);
    loop {
        let left = limit.saturating_sub(start.elapsed());
        if left.is_zero() {
            return Err(format!("child did not finish in {limit:?}"));
        }
        let mut pfd = libc::pollfd {
            fd: file.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: `pfd` is one valid `struct pollfd`.
        let n = unsafe { libc::poll(&mut pfd, 1, left.as_millis().min(1000) as i32) };
        if n <= 0 {
            continue;
        }
        let mut buf = [0u8; 4096];
        match file.read(&mut buf) {
            Ok(0) => break,
            Ok(k) => out.extend_from_slice(&buf[..k]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(format!("read: {e}")),
        }
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// Makes the child's later bookkeeping allocate nothing the cgroup would
/// notice: the descriptor table grown ahead (it is charged too), and the
/// cgroup files read once.
fn prepare_child(cg: &Cgroup) -> Result<(), String> {
    // SAFETY: duplicates stdin to a high number and closes it again: the
    // table keeps its size.
    unsafe {
        libc::dup2(0, 1000);
        libc::close(1000);
    }
    cg.current()?;
    cg.event("max")?;
    Ok(())
}

/// Waits until `cg`'s charge is at most `target` bytes (the closed rings'
/// memory came back: the module's ring exits settled first); the last
/// charge read.
fn wait_released(
    sys: Sys,
    cg: &Cgroup,
    target: u64,
    before: Option<&IoUringRsStats>,
) -> Result<u64, String> {
    if let (Sys::Module, Some(b)) = (sys, before) {
        crate::stress::settle(b)?;
    }
    let start = Instant::now();
    loop {
        let c = cg.current()?;
        if c <= target || start.elapsed() > RELEASE_LIMIT {
            return Ok(c);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The module's accounting before the child's rings, for `settle`.
fn stats_before(sys: Sys) -> Result<Option<IoUringRsStats>, String> {
    match sys {
        Sys::Module => crate::stress::stats_now().map(Some),
        Sys::Uring => Ok(None),
    }
}

/// The bytes a ring of `entries` maps: the rings (SQ array, CQEs) and the
/// SQE array.
fn mapped_bytes(entries: u32) -> u64 {
    let e = u64::from(entries);
    4 * e + 16 * 2 * e + 64 * e
}

/// A generous estimate of what a ring of `entries` charges: each region
/// rounded up to a power of two pages (io_uring's compound pages), plus
/// the ring's own structures.
fn charge_estimate(entries: u32) -> u64 {
    let e = u64::from(entries);
    let pow2 = |bytes: u64| bytes.div_ceil(PAGE).next_power_of_two() * PAGE;
    pow2(256 + 4 * e + 16 * 2 * e) + pow2(64 * e) + 32 * PAGE
}

/// The charge of `CHARGE_RINGS` rings of `CHARGE_ENTRIES`, set up and
/// mapped, then closed.
fn child_charge(sys: Sys, cg: &Cgroup, f: &mut Figures) -> Result<(), String> {
    prepare_child(cg)?;
    let before = stats_before(sys)?;
    let mut rings = Vec::with_capacity(CHARGE_RINGS as usize);
    let base = cg.current()?;
    for _ in 0..CHARGE_RINGS {
        let r = RawRing::new(sys, CHARGE_ENTRIES, params(0, 0))
            .map_err(|e| format!("setup of a {CHARGE_ENTRIES}-entry ring: {e}"))?;
        rings.push(r);
    }
    let loaded = cg.current()?;
    rings.clear();
    let released = wait_released(sys, cg, base + SLACK, before.as_ref())?;
    f.insert("base".into(), base as i64);
    f.insert("loaded".into(), loaded as i64);
    f.insert("released".into(), released as i64);
    Ok(())
}

/// Rings under a `memory.max` a few MiB above the child's baseline, until
/// one does not fit; then all closed, and a new ring.
fn child_limit(sys: Sys, cg: &Cgroup, over: bool, f: &mut Figures) -> Result<(), String> {
    prepare_child(cg)?;
    let before = stats_before(sys)?;
    let mut fds: Vec<OwnedFd> = Vec::with_capacity(1024);
    let base = cg.current()?;
    let max = (base + LIMIT_ABOVE).next_multiple_of(PAGE);
    cg.write("memory.max", &max.to_string())?;
    let (mut large, mut small) = (0i64, 0i64);
    // Rings only while their charge surely fits, with room left for the
    // next setup's small allocations: none of these may fail.
    while fds.len() < fds.capacity() {
        let left = max.saturating_sub(cg.current()?);
        let entries = [CHARGE_ENTRIES, 256]
            .into_iter()
            .find(|&e| left >= charge_estimate(e) + BATCH + HEADROOM);
        let Some(entries) = entries else { break };
        let fd = sys
            .setup(entries, &mut params(0, 0))
            .map_err(|e| format!("a {entries}-entry ring failed ({e}) with {left} bytes left"))?;
        fds.push(fd);
        if entries == CHARGE_ENTRIES {
            large += 1;
        } else {
            small += 1;
        }
    }
    let left = max.saturating_sub(cg.current()?);
    // The ring over the limit: its rings region alone (65536 CQEs, over
    // 1 MiB) is larger than what is left plus a CPU's stock.
    let over_res = if over {
        match sys.setup(
            IORING_MAX_ENTRIES,
            &mut params(IORING_SETUP_CQSIZE, IORING_MAX_CQ_ENTRIES),
        ) {
            Ok(fd) => {
                fds.push(fd);
                0
            }
            Err(e) => e,
        }
    } else {
        1
    };
    f.insert("base".into(), base as i64);
    f.insert("max".into(), max as i64);
    f.insert("large".into(), large);
    f.insert("small".into(), small);
    f.insert("left".into(), left as i64);
    f.insert("over".into(), over_res);
    f.insert("at_limit".into(), cg.current()? as i64);
    f.insert("peak".into(), cg.number("memory.peak")? as i64);
    f.insert("max_events".into(), cg.event("max")? as i64);
    f.insert("oom".into(), cg.event("oom")? as i64);
    f.insert("oom_kill".into(), cg.event("oom_kill")? as i64);
    fds.clear();
    let released = wait_released(sys, cg, base + SLACK, before.as_ref())?;
    f.insert("released".into(), released as i64);
    // A new ring, with a NOP through it.
    let again = RawRing::new(sys, CHARGE_ENTRIES, params(0, 0)).and_then(|mut r| {
        r.push(&IoUringSqe {
            user_data: 7,
            ..IoUringSqe::default()
        });
        let n = r.enter(1, 1, IORING_ENTER_GETEVENTS);
        match (n, r.reap().as_slice()) {
            (1, [(7, 0)]) => Ok(0),
            (n, _) if n < 0 => Err(n),
            _ => Err(i64::MIN),
        }
    });
    f.insert("again".into(), again.unwrap_or_else(|e| e));
    f.insert("peak_after".into(), cg.number("memory.peak")? as i64);
    cg.write("memory.max", "max")
}

/// Mounts cgroup2 if it is not, and lets child cgroups have the memory
/// controller; whether this mounted it.
fn prepare_hierarchy() -> Result<bool, String> {
    let root = Path::new(CGROUP_ROOT);
    let mut mounted = false;
    if !root.join("cgroup.controllers").exists() {
        let c = |s: &str| std::ffi::CString::new(s).unwrap();
        let (src, dst, fs) = (c("cgroup2"), c(CGROUP_ROOT), c("cgroup2"));
        // SAFETY: NUL-terminated strings; no mount data.
        let r =
            unsafe { libc::mount(src.as_ptr(), dst.as_ptr(), fs.as_ptr(), 0, std::ptr::null()) };
        if r < 0 {
            return Err(format!(
                "mount cgroup2 on {CGROUP_ROOT}: {}",
                std::io::Error::last_os_error()
            ));
        }
        mounted = true;
    }
    let controllers = std::fs::read_to_string(root.join("cgroup.controllers"))
        .map_err(|e| format!("cgroup.controllers: {e}"))?;
    if !controllers.split_whitespace().any(|c| c == "memory") {
        return Err(format!(
            "no memory controller (cgroup.controllers: {controllers:?})"
        ));
    }
    std::fs::write(root.join("cgroup.subtree_control"), "+memory")
        .map_err(|e| format!("+memory into cgroup.subtree_control: {e}"))?;
    Ok(mounted)
}

/// KTAP output.
struct Tap {
    n: usize,
    failed: usize,
}

impl Tap {
    fn check(&mut self, ok: bool, name: &str) {
        self.n += 1;
        if ok {
            println!("ok {} {name}", self.n);
        } else {
            self.failed += 1;
            println!("not ok {} {name}", self.n);
        }
    }
}

/// A figure of a child's, or `i64::MIN` if missing.
fn fig(f: &Figures, k: &str) -> i64 {
    f.get(k).copied().unwrap_or(i64::MIN)
}

/// The checks on one backend's charge and limit; the charge per ring, if
/// measured.
fn check_backend(tap: &mut Tap, sys: Sys, kernel: Kernel) -> Option<i64> {
    let name = sys.name();
    let slack = SLACK as i64;

    let charge = Cgroup::create(&format!("io_uring_rs_limits_charge_{name}"))
        .and_then(|cg| in_child(&cg, |f| child_charge(sys, &cg, f)));
    let per_ring = match &charge {
        Ok(f) => {
            let (base, loaded, released) = (fig(f, "base"), fig(f, "loaded"), fig(f, "released"));
            let per = (loaded - base) / CHARGE_RINGS as i64;
            let mapped = mapped_bytes(CHARGE_ENTRIES) as i64;
            println!(
                "# {name}: memory.current {base} -> {loaded} with {CHARGE_RINGS} rings of \
                 {CHARGE_ENTRIES} entries: {per} bytes per ring ({mapped} mapped); \
                 {released} once closed"
            );
            tap.check(
                per >= mapped / 2 && released <= base + slack,
                &format!("limits_rings_charged_to_the_memcg_{name}"),
            );
            Some(per)
        }
        Err(e) => {
            println!("# {name}: charge: {e}");
            tap.check(false, &format!("limits_rings_charged_to_the_memcg_{name}"));
            None
        }
    };

    // io_uring 6.12 falls back to order-0 GFP_KERNEL_ACCOUNT pages, and
    // would invoke the memcg OOM killer on a ring over the limit.
    let over = !(sys == Sys::Uring && kernel == Kernel::V6_12);
    let limit = Cgroup::create(&format!("io_uring_rs_limits_max_{name}"))
        .and_then(|cg| in_child(&cg, |f| child_limit(sys, &cg, over, f)));
    match &limit {
        Ok(f) => {
            let max = fig(f, "max");
            println!(
                "# {name}: memory.max {max} ({} above the baseline {}): {} rings of \
                 {CHARGE_ENTRIES} and {} of 256 entries fit ({} bytes left); the ring of \
                 {IORING_MAX_ENTRIES} entries over the limit: {}",
                max - fig(f, "base"),
                fig(f, "base"),
                fig(f, "large"),
                fig(f, "small"),
                fig(f, "left"),
                if over {
                    fig(f, "over").to_string()
                } else {
                    "not attempted (6.12's io_uring would OOM-kill)".into()
                }
            );
            println!(
                "# {name}: memory.current {} at the limit, memory.peak {}, events max {} \
                 oom {} oom_kill {}; {} once closed; a new ring: {}; memory.peak at the end {}",
                fig(f, "at_limit"),
                fig(f, "peak"),
                fig(f, "max_events"),
                fig(f, "oom"),
                fig(f, "oom_kill"),
                fig(f, "released"),
                fig(f, "again"),
                fig(f, "peak_after"),
            );
            let held = fig(f, "large") >= 1
                && fig(f, "at_limit") <= max
                && fig(f, "peak") <= max
                && fig(f, "oom") == 0
                && fig(f, "oom_kill") == 0
                && (!over
                    || (fig(f, "over") == -i64::from(libc::ENOMEM) && fig(f, "max_events") > 0));
            tap.check(held, &format!("limits_memory_max_holds_{name}"));
            let recovered = fig(f, "released") <= fig(f, "base") + slack
                && fig(f, "again") == 0
                && fig(f, "peak_after") <= max;
            tap.check(
                recovered,
                &format!("limits_recovers_after_the_limit_{name}"),
            );
        }
        Err(e) => {
            println!("# {name}: limit: {e}");
            tap.check(false, &format!("limits_memory_max_holds_{name}"));
            tap.check(false, &format!("limits_recovers_after_the_limit_{name}"));
        }
    }
    per_ring
}

/// `io_uring_rs_scenarios limits`: KTAP; exit status for kselftest.
pub(crate) fn cmd_limits() -> i32 {
    println!("TAP version 13");
    if let Err(e) = crate::module::probe() {
        println!("1..0 # SKIP {}: {e}", crate::module::DEVICE);
        return 4;
    }
    let kernel = match Kernel::running() {
        Ok((k, _)) => k,
        Err(e) => {
            println!("1..0 # SKIP {e}");
            return 4;
        }
    };
    let mounted = match prepare_hierarchy() {
        Ok(m) => m,
        Err(e) => {
            println!("1..0 # SKIP {e}");
            return 4;
        }
    };
    println!("1..10");
    let mut tap = Tap { n: 0, failed: 0 };
    let (a, b) = (check_bounds(Sys::Uring), check_bounds(Sys::Module));
    println!("# io_uring: {}\n# io_uring_rs: {}", a.1, b.1);
    tap.check(
        a.0 && b.0 && a.1 == b.1,
        "limits_ring_sizes_bounded_and_clamped",
    );

    let uring = check_backend(&mut tap, Sys::Uring, kernel);
    let module = check_backend(&mut tap, Sys::Module, kernel);
    check_affinity(&mut tap, Sys::Uring);
    check_affinity(&mut tap, Sys::Module);
    let alike = match (uring, module) {
        (Some(u), Some(m)) => {
            println!("# bytes charged per ring: io_uring {u}, io_uring_rs {m}");
            u > 0 && m * 2 >= u && m <= 2 * u
        }
        _ => false,
    };
    tap.check(alike, "limits_charged_as_io_uring_charges");
    if mounted {
        let dst = std::ffi::CString::new(CGROUP_ROOT).unwrap();
        // SAFETY: a NUL-terminated path.
        unsafe { libc::umount(dst.as_ptr()) };
    }
    println!(
        "# limits: {} passed, {} failed",
        tap.n - tap.failed,
        tap.failed
    );
    i32::from(tap.failed != 0)
}
