// SPDX-License-Identifier: GPL-2.0

//! `io_uring_rs_scenarios faults KO`: allocation failure at every site the
//! module's code reaches from a system call, systematically, as syzkaller's
//! fail-nth mode does.
//!
//! A fixed program of operations on one ring (set-up, NOPs and chains
//! inline and through io-wq, a read armed on a pipe with a linked timeout,
//! a timeout, a poll and its removal, cancels, a read blocked in io-wq and
//! its cancel, the probe, io-wq's limits, the wait for every completion,
//! a close with a request pending) runs again and again: for operation `k`
//! and `n` = 1, 2, ..., the `n`-th allocation operation `k` makes from the
//! module's text fails (`/proc/thread-self/fail-nth`, with failslab's and
//! fail_page_alloc's stack-trace filter set to the module's `.text`), until
//! `k` completes without reaching an `n`-th. Every run must end cleanly:
//! each call returns its result or `-ENOMEM` (`-EAGAIN` for a submission
//! that could not allocate its first request, as io_uring's), every entry
//! the kernel consumed completes exactly once with its own result or the
//! error of the failure (`-ENOMEM`, the rest of its chain `-ECANCELED`),
//! nothing hangs, and the ring's exit finishes (the module's accounting
//! settles to no ring). A run in which no failure was reached must give
//! exactly the results of the program without faults. The VM run's kernel
//! log check and kmemleak scan judge the rest.

use crate::abi::{
    blockfd, pipe, RawRing, Sys, IOSQE_ASYNC, IOSQE_IO_LINK, OP_ASYNC_CANCEL, OP_LINK_TIMEOUT,
    OP_NOP, OP_POLL_ADD, OP_POLL_REMOVE, OP_READ, OP_TIMEOUT,
};
use crate::stress::{settle, stats_now};
use crate::uapi::*;
use std::collections::BTreeMap;
use std::os::fd::{AsRawFd, OwnedFd};
use std::time::Duration;

/// The fault attributes confined to the module's text.
const ATTRS: [&str; 2] = ["failslab", "fail_page_alloc"];

/// No operation of the program makes more allocations than this; reaching
/// it means a failure path that allocates without end.
const MAX_NTH: u32 = 400;

/// How long the program waits for the completions it is owed.
const WAIT: Duration = Duration::from_secs(10);

const ENOMEM: i32 = -libc::ENOMEM;
const ECANCELED: i32 = -libc::ECANCELED;
const EAGAIN: i64 = -(libc::EAGAIN as i64);

/// The address range of section `.text` of the loaded module: its address
/// from sysfs, its size from the module's ELF file `ko`.
fn module_text(ko: &str) -> Result<(u64, u64), String> {
    let addr = std::fs::read_to_string("/sys/module/io_uring_rs/sections/.text")
        .map_err(|e| format!("module .text address: {e}"))?;
    let addr = u64::from_str_radix(addr.trim().trim_start_matches("0x"), 16)
        .map_err(|e| format!("module .text address {addr:?}: {e}"))?;
    let elf = std::fs::read(ko).map_err(|e| format!("{ko}: {e}"))?;
    let size = elf_section_size(&elf, ".text").ok_or_else(|| format!("{ko}: no .text"))?;
    Ok((addr, addr + size))
}

/// The size of section `name` of the 64-bit little-endian ELF file `elf`.
fn elf_section_size(elf: &[u8], name: &str) -> Option<u64> {
    let u16_at = |o: usize| Some(u16::from_le_bytes(elf.get(o..o + 2)?.try_into().ok()?));
    let u32_at = |o: usize| Some(u32::from_le_bytes(elf.get(o..o + 4)?.try_into().ok()?));
    let u64_at = |o: usize| Some(u64::from_le_bytes(elf.get(o..o + 8)?.try_into().ok()?));
    if elf.get(..5)? != b"\x7fELF\x02" {
        return None;
    }
    let shoff = usize::try_from(u64_at(0x28)?).ok()?;
    let (shentsize, shnum) = (usize::from(u16_at(0x3a)?), usize::from(u16_at(0x3c)?));
    let shstr = shoff + shentsize * usize::from(u16_at(0x3e)?);
    let strtab = usize::try_from(u64_at(shstr + 24)?).ok()?;
    (0..shnum).find_map(|i| {
        let sh = shoff + shentsize * i;
        let at = strtab + usize::try_from(u32_at(sh)?).ok()?;
        let end = at + elf.get(at..)?.iter().position(|&b| b == 0)?;
        (elf.get(at..end)? == name.as_bytes()).then(|| u64_at(sh + 32))?
    })
}

/// Writes `value` to fault attribute file `attr/file` in debugfs.
fn set_attr(attr: &str, file: &str, value: &str) -> Result<(), String> {
    let path = format!("/sys/kernel/debug/{attr}/{file}");
    std::fs::write(&path, value).map_err(|e| format!("{path}: {e}"))
}

/// Confines failslab and fail_page_alloc to allocations with a frame in
/// `[start, end)`, for every gfp mask and order, silently (fail-nth alone
/// decides which one fails: the probability stays 0).
fn confine(start: u64, end: u64) -> Result<(), String> {
    for attr in ATTRS {
        set_attr(attr, "require-start", &start.to_string())?;
        set_attr(attr, "require-end", &end.to_string())?;
        set_attr(attr, "stacktrace-depth", "32")?;
        set_attr(attr, "verbose", "0")?;
        set_attr(attr, "ignore-gfp-wait", "N")?;
        set_attr(attr, "probability", "0")?;
    }
    set_attr("fail_page_alloc", "ignore-gfp-highmem", "N")?;
    set_attr("fail_page_alloc", "min-order", "0")
}

/// This thread's `fail-nth` (`/proc/thread-self/fail-nth`, which cannot be
/// sought: opened for each access; the calls it makes allocate outside
/// the module's text, so they do not count).
struct FailNth;

impl FailNth {
    const PATH: &'static str = "/proc/thread-self/fail-nth";

    fn open() -> Result<Self, String> {
        FailNth.arm(0)?;
        Ok(FailNth)
    }

    /// Fails the `n`-th allocation from here on (0: none).
    fn arm(&mut self, n: u32) -> Result<(), String> {
        std::fs::write(Self::PATH, n.to_string()).map_err(|e| format!("fail-nth write: {e}"))
    }

    /// Whether the armed failure was injected; disarms it if not.
    fn injected(&mut self) -> Result<bool, String> {
        let s = std::fs::read_to_string(Self::PATH).map_err(|e| format!("fail-nth read: {e}"))?;
        let left: u32 = s.trim().parse().map_err(|_| format!("fail-nth {s:?}"))?;
        if left != 0 {
            self.arm(0)?;
        }
        Ok(left == 0)
    }
}

/// The operations of the program, in order.
const OPS: &[&str] = &[
    "setup",
    "nop_and_linked_nops",
    "async_linked_nops",
    "armed_read_with_link_timeout",
    "timeout",
    "poll_add_and_remove",
    "cancel_armed_read",
    "read_blocked_in_iowq",
    "cancel_blocked_read",
    "register_probe",
    "register_iowq_max_workers",
    "wait_for_every_completion",
    "close_with_a_read_pending",
];

/// One run of the program: the ring, its files, what it is owed.
struct Prog {
    r: Option<RawRing>,
    pipe: [OwnedFd; 2],
    block: OwnedFd,
    buf: Box<[u8; 64]>,
    ts_long: Box<KernelTimespec>,
    ts_short: Box<KernelTimespec>,
    /// Owed completions: user_data and the results it may complete with
    /// in a run without a fault.
    owed: BTreeMap<u64, &'static [i32]>,
    /// Whether a failure was injected in this run.
    faulted: bool,
}

fn sqe(opcode: u8, flags: u8, fd: i32, addr: u64, len: u32, ud: u64) -> IoUringSqe {
    IoUringSqe {
        opcode,
        flags,
        fd,
        addr,
        len,
        user_data: ud,
        ..IoUringSqe::default()
    }
}

/// The link timeout of the program's armed read.
const LINK_TIMEOUT_UD: u64 = 21;

/// What completion `ud` may give besides its own results in a run with a
/// fault: a fault fails a request with `-ENOMEM`, the rest of its chain
/// with `-ECANCELED`, and what would have found it (a cancel, a poll
/// removal) with `-ENOENT`. A submission that could not allocate the link
/// timeout's request ends before it, as io_uring's does
/// (`io_submit_state_end()` queues the chain's head alone), and the next
/// submits the timeout alone, which has nothing to guard: `-EINVAL`.
fn on_fault(ud: u64) -> &'static [i32] {
    if ud == LINK_TIMEOUT_UD {
        &[ENOMEM, ECANCELED, -libc::ENOENT, -libc::EINVAL]
    } else {
        &[ENOMEM, ECANCELED, -libc::ENOENT]
    }
}

impl Prog {
    fn new() -> Result<Self, String> {
        Ok(Prog {
            r: None,
            pipe: pipe()?,
            block: blockfd()?,
            buf: Box::new([0; 64]),
            ts_long: Box::new(KernelTimespec {
                tv_sec: 30,
                tv_nsec: 0,
            }),
            ts_short: Box::new(KernelTimespec {
                tv_sec: 0,
                tv_nsec: 1_000_000,
            }),
            owed: BTreeMap::new(),
            faulted: false,
        })
    }

    /// Whether a result `res` of a call is allowed: `ok` without a fault,
    /// `ok` or `-ENOMEM` with one.
    fn call(&self, what: &str, res: i64, ok: i64) -> Result<(), String> {
        if res == ok || (self.faulted && res == -i64::from(libc::ENOMEM)) {
            return Ok(());
        }
        Err(format!("{what} returned {res}, not {ok}"))
    }

    /// Pushes `sqes`, owed with their results, and submits them.
    fn submit(&mut self, what: &str, sqes: &[(IoUringSqe, &'static [i32])]) -> Result<(), String> {
        let Some(r) = self.r.as_mut() else {
            return Ok(());
        };
        for (s, res) in sqes {
            r.push(s);
            self.owed.insert(s.user_data, res);
        }
        let len = sqes.len() as i64;
        let n = r.enter(len as u32, 0, 0);
        // What a failed submission left in the SQ ring goes with the next:
        // a shorter count, or `-EAGAIN` for none (as io_uring's).
        if self.faulted && ((0..len).contains(&n) || n == EAGAIN) {
            return Ok(());
        }
        self.call(what, n, len)
    }

    fn ring(&self) -> Option<&RawRing> {
        self.r.as_ref()
    }

    /// Takes the completions that arrived and checks them off.
    fn pay(&mut self) -> Result<(), String> {
        let Some(r) = self.r.as_ref() else {
            return Ok(());
        };
        for (ud, res) in r.reap_lossless()? {
            let Some(ok) = self.owed.remove(&ud) else {
                return Err(format!("completion {ud} ({res}) not owed, or twice"));
            };
            let faulty = self.faulted && on_fault(ud).contains(&res);
            if !ok.contains(&res) && !faulty {
                return Err(format!("completion {ud}: {res}, not one of {ok:?}"));
            }
        }
        Ok(())
    }

    /// Waits until every owed completion but `keep` arrived.
    fn wait_owed(&mut self, keep: &[u64]) -> Result<(), String> {
        let start = std::time::Instant::now();
        loop {
            // Entries a failed submission left go now.
            if let Some(r) = self.r.as_ref() {
                if r.sq_pending() > 0 {
                    let n = r.enter(r.sq_pending(), 0, 0);
                    if n < 0 && n != EAGAIN && n != -i64::from(libc::ENOMEM) {
                        return Err(format!("resubmission returned {n}"));
                    }
                }
                r.wait(1, Duration::from_millis(50));
            }
            self.pay()?;
            if self.owed.keys().all(|ud| keep.contains(ud)) {
                return Ok(());
            }
            if start.elapsed() > WAIT {
                return Err(format!("completions lost: {:?}", self.owed));
            }
        }
    }

    /// Runs operation `name` of [`OPS`].
    fn op(&mut self, name: &str) -> Result<(), String> {
        let rd = self.pipe[0].as_raw_fd();
        let buf = self.buf.as_mut_ptr() as u64;
        let bf = self.block.as_raw_fd();
        let long = &*self.ts_long as *const KernelTimespec as u64;
        let short = &*self.ts_short as *const KernelTimespec as u64;
        match name {
            "setup" => {
                let p = IoUringParams {
                    cq_entries: 64,
                    flags: IORING_SETUP_CQSIZE,
                    ..IoUringParams::default()
                };
                match RawRing::new(Sys::Module, 16, p) {
                    Ok(r) => self.r = Some(r),
                    Err(e) => self.call("setup", e, 0)?,
                }
                Ok(())
            }
            "nop_and_linked_nops" => self.submit(
                "enter",
                &[
                    (sqe(OP_NOP, 0, -1, 0, 0, 1), &[0]),
                    (sqe(OP_NOP, IOSQE_IO_LINK, -1, 0, 0, 2), &[0]),
                    (sqe(OP_NOP, 0, -1, 0, 0, 3), &[0]),
                ],
            ),
            "async_linked_nops" => self.submit(
                "enter",
                &[
                    (sqe(OP_NOP, IOSQE_ASYNC | IOSQE_IO_LINK, -1, 0, 0, 10), &[0]),
                    (sqe(OP_NOP, IOSQE_IO_LINK, -1, 0, 0, 11), &[0]),
                    (sqe(OP_NOP, 0, -1, 0, 0, 12), &[0]),
                ],
            ),
            "armed_read_with_link_timeout" => self.submit(
                "enter",
                &[
                    (sqe(OP_READ, IOSQE_IO_LINK, rd, buf, 8, 20), &[ECANCELED]),
                    (
                        sqe(OP_LINK_TIMEOUT, 0, -1, long, 1, LINK_TIMEOUT_UD),
                        &[ECANCELED],
                    ),
                ],
            ),
            "timeout" => self.submit(
                "enter",
                &[(sqe(OP_TIMEOUT, 0, -1, short, 1, 40), &[-libc::ETIME])],
            ),
            "poll_add_and_remove" => self.submit(
                "enter",
                &[
                    (
                        IoUringSqe {
                            op_flags: libc::POLLIN as u32,
                            ..sqe(OP_POLL_ADD, 0, rd, 0, 0, 50)
                        },
                        &[ECANCELED],
                    ),
                    (sqe(OP_POLL_REMOVE, 0, -1, 50, 0, 51), &[0]),
                ],
            ),
            "cancel_armed_read" => {
                self.submit("enter", &[(sqe(OP_ASYNC_CANCEL, 0, -1, 20, 0, 30), &[0])])
            }
            "read_blocked_in_iowq" => {
                self.submit(
                    "enter",
                    &[(sqe(OP_READ, 0, bf, buf, 4, 60), &[-libc::EINTR, ECANCELED])],
                )?;
                // Until a worker runs it, so that the cancel finds it running.
                std::thread::sleep(Duration::from_millis(20));
                Ok(())
            }
            "cancel_blocked_read" => self.submit(
                "enter",
                &[(
                    sqe(OP_ASYNC_CANCEL, 0, -1, 60, 0, 61),
                    &[0, -libc::EALREADY],
                )],
            ),
            "register_probe" => {
                let Some(r) = self.ring() else { return Ok(()) };
                let mut probe = vec![0u8; 16 + 8 * 64];
                let res =
                    r.sys()
                        .register(r.fd(), IORING_REGISTER_PROBE, probe.as_mut_ptr() as u64, 64);
                self.call("probe", res, 0)
            }
            "register_iowq_max_workers" => {
                let Some(r) = self.ring() else { return Ok(()) };
                let mut counts = [2u32, 2];
                let res = r.sys().register(
                    r.fd(),
                    IORING_REGISTER_IOWQ_MAX_WORKERS,
                    counts.as_mut_ptr() as u64,
                    2,
                );
                self.call("max_workers", res, 0)
            }
            "wait_for_every_completion" => self.wait_owed(&[]),
            "close_with_a_read_pending" => {
                self.submit("enter", &[(sqe(OP_READ, 0, rd, buf, 8, 70), &[ECANCELED])])?;
                self.pay()?;
                // Whatever is still owed is torn down by the ring's exit.
                self.r = None;
                self.owed.clear();
                Ok(())
            }
            other => Err(format!("no operation {other}")),
        }
    }
}

/// Runs the program with the `nth` allocation of operation `k` failed
/// (`nth` 0: none), then waits for the ring's exit. Returns whether the
/// failure was injected.
fn run(fail: &mut FailNth, k: usize, nth: u32) -> Result<bool, String> {
    let before = stats_now()?;
    let mut p = Prog::new()?;
    let mut injected = false;
    for (op, name) in OPS.iter().enumerate() {
        if op == k && nth > 0 {
            // Judged as if faulted until fail-nth says whether it was.
            p.faulted = true;
            fail.arm(nth)?;
            let res = p.op(name);
            injected = fail.injected()?;
            p.faulted = injected;
            res.map_err(|e| format!("{name}: {e}"))?;
        } else {
            p.op(name).map_err(|e| format!("{name}: {e}"))?;
        }
        if p.r.is_none() {
            break;
        }
    }
    drop(p);
    settle(&before).map_err(|e| format!("after the run: {e}"))?;
    Ok(injected)
}

/// `faults KO`: the systematic run, one KTAP case per operation, with the
/// number of failure points each reached; `KO` is the loaded module's file.
pub(crate) fn cmd_faults(ko: &str) -> i32 {
    let setup = module_text(ko).and_then(|(start, end)| {
        println!("# failures confined to the module's .text {start:#x}..{end:#x}");
        confine(start, end)?;
        FailNth::open()
    });
    let mut fail = match setup {
        Ok(f) => f,
        Err(e) => {
            println!("1..0 # SKIP fault injection unavailable: {e}");
            return 4;
        }
    };
    println!("TAP version 13");
    println!("1..{}", OPS.len() + 1);
    let mut failed = 0;
    let mut points = 0;
    let mut runs = 0;
    let baseline = run(&mut fail, usize::MAX, 0);
    match baseline {
        Ok(_) => println!("ok 1 faults_program_without_a_fault"),
        Err(e) => {
            println!("not ok 1 faults_program_without_a_fault # {e}");
            return 1;
        }
    }
    for (k, name) in OPS.iter().enumerate() {
        let mut nth = 1;
        let verdict = loop {
            runs += 1;
            match run(&mut fail, k, nth) {
                Ok(true) if nth < MAX_NTH => nth += 1,
                Ok(true) => break Err(format!("more than {MAX_NTH} failure points")),
                Ok(false) => break Ok(()),
                Err(e) => break Err(format!("allocation {nth} failed: {e}")),
            }
        };
        points += nth - 1;
        match verdict {
            Ok(()) => println!("ok {} faults_{name} # {} failure points", k + 2, nth - 1),
            Err(e) => {
                failed += 1;
                println!("not ok {} faults_{name} # {e}", k + 2);
            }
        }
    }
    println!("# {points} failure points reached and failed, in {runs} runs of the program");
    let _ = set_attr("failslab", "require-end", "0");
    i32::from(failed > 0)
}
