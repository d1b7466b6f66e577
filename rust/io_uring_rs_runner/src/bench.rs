// SPDX-License-Identifier: GPL-2.0

//! Benchmarks P1 and P2, run on the timing kernel (`make bench`): the real
//! io_uring and the module alternately, repeated; one CSV row per
//! measurement on standard output (`csv,BENCH,PARAM,BACKEND,REP,VALUE,UNIT`).
//!
//! * P1: linked chains of NOPs forced through io-wq (`IOSQE_ASYNC`), chain
//!   length 1, 4 and 16: requests per second; and `P1inline`, the same
//!   NOPs issued inline, which tells io-wq's share from the rest.
//! * P2: N pending requests (half blocked reads, half their linked
//!   timeouts), then cancel-all: the time `close()` takes, and the time from
//!   an `IORING_ASYNC_CANCEL_ANY` to the last completion reaped.
//! * P5: N reads of a file that blocks and cannot be polled, each blocking
//!   an io-wq worker, then one `IORING_ASYNC_CANCEL_ALL` of them: the time
//!   from the cancel's submission to the last read's completion.

use crate::abi::Sys;
use crate::backend::Backend;
use crate::ring::RingBackend;
use crate::scenario::Entry;
use std::time::{Duration, Instant};

/// A measured phase that `scripts/insn-profile.sh` may profile alone
/// (`WINDOW=`, passed on as `IO_URING_RS_WINDOW`): while it runs, the
/// instruction counter counts. The phase is bracketed by two system calls
/// nothing else in the guest makes, `getpriority()` at its start and
/// `getpgid()` at its end, whose kernel entries the counter watches.
struct Window(bool);

impl Window {
    /// Opens the window if `name` is the phase to profile.
    fn open(name: &str) -> Window {
        let on = std::env::var("IO_URING_RS_WINDOW").is_ok_and(|w| w == name);
        if on {
            // SAFETY: A system call without pointers.
            unsafe { libc::getpriority(libc::PRIO_PROCESS, 0) };
        }
        Window(on)
    }
}

impl Drop for Window {
    fn drop(&mut self) {
        if self.0 {
            // SAFETY: A system call without pointers.
            unsafe { libc::getpgid(0) };
        }
    }
}

/// The channel P2's reads block on.
const CHAN: &str = "p2";

fn open(i: usize) -> Result<Box<dyn Backend>, String> {
    let sys = [Sys::Uring, Sys::Module][i];
    let b = RingBackend::open(sys, &[CHAN.to_string()], &[]).map_err(|e| e.to_string())?;
    Ok(Box::new(b))
}

fn nop(ud: u64, link: bool, force_async: bool) -> Entry {
    let mut flags = Vec::new();
    if force_async {
        flags.push("async".to_string());
    }
    if link {
        flags.push("link".into());
    }
    Entry {
        op: "nop".into(),
        user_data: ud,
        flags,
        ..Default::default()
    }
}

/// Reaps exactly `n` completions.
fn reap_n(b: &mut dyn Backend, n: usize) -> Result<(), String> {
    let mut got = 0;
    let start = Instant::now();
    while got < n {
        if start.elapsed() > Duration::from_secs(120) {
            return Err(format!("{}: {got} of {n} completions", b.name()));
        }
        got += b
            .reap((n - got).min(256), Duration::from_millis(1000))
            .map_err(|e| e.to_string())?
            .len();
    }
    Ok(())
}

/// What a P1 run measured: requests per second, the time of a batch
/// spent in the submit call (which the backend's task thread makes, the
/// hand-off to it included) and in waiting for its completions, and the
/// task's context switches a batch, voluntary and involuntary (the
/// latter: the task was preempted, by the backend's workers among others).
struct P1Run {
    rate: f64,
    submit_us: f64,
    wait_us: f64,
    switches: (f64, f64),
}

/// P1: requests per second of `total` requests in chains of `len`, through
/// io-wq (`force_async`) or issued inline.
fn p1(b: &mut dyn Backend, len: usize, total: usize, force_async: bool) -> Result<P1Run, String> {
    let per_batch = (256 / len).max(1);
    let mut batch = Vec::new();
    for c in 0..per_batch {
        for i in 0..len {
            batch.push(nop((c * len + i) as u64, i + 1 < len, force_async));
        }
    }
    let before = b.task_switches();
    let window = Window::open(if force_async { "P1" } else { "P1inline" });
    let start = Instant::now();
    let (mut done, mut batches) = (0, 0u32);
    let mut submitting = Duration::ZERO;
    while done < total {
        let t = Instant::now();
        b.submit(&batch).map_err(|e| e.to_string())?;
        submitting += t.elapsed();
        reap_n(b, batch.len())?;
        done += batch.len();
        batches += 1;
    }
    let elapsed = start.elapsed();
    drop(window);
    let after = b.task_switches();
    let batches = f64::from(batches.max(1));
    let per_batch = |d: Duration| d.as_secs_f64() * 1e6 / batches;
    // After the first call of `task_switches()` the task waits for its
    // next job: a voluntary switch that is none of P1's.
    let vol = after.0.saturating_sub(before.0 + 1) as f64 / batches;
    let invol = after.1.saturating_sub(before.1) as f64 / batches;
    Ok(P1Run {
        rate: done as f64 / elapsed.as_secs_f64(),
        submit_us: per_batch(submitting),
        wait_us: per_batch(elapsed - submitting),
        switches: (vol, invol),
    })
}

/// Prints a P1 run: its rate as a measurement, and where a batch's time
/// went as a comment.
fn print_p1(bench: &str, len: usize, name: &str, rep: usize, r: &P1Run) {
    println!("csv,{bench},{len},{name},{rep},{:.0},req/s", r.rate);
    println!(
        "# {bench} {name} chains of {len}: a batch {:.0} us submitting, {:.0} us waiting; \
         the task switched {:.2} times voluntarily, {:.2} preempted",
        r.submit_us, r.wait_us, r.switches.0, r.switches.1
    );
}

/// P2: N pending requests; returns (close time, cancel-all time) in ms,
/// each on a ring of its own.
fn p2(i: usize, n: usize) -> Result<(f64, f64), String> {
    let pend = |b: &mut dyn Backend| -> Result<(), String> {
        let mut chunk = Vec::new();
        for c in 0..n / 2 {
            chunk.push(Entry {
                op: "read".into(),
                user_data: 2 * c as u64,
                flags: vec!["link".into()],
                chan: Some(CHAN.into()),
                len: Some(1),
                ..Default::default()
            });
            chunk.push(Entry {
                op: "link_timeout".into(),
                user_data: 2 * c as u64 + 1,
                ms: Some(600_000),
                ..Default::default()
            });
            if chunk.len() >= 256 {
                b.submit(&chunk).map_err(|e| e.to_string())?;
                chunk.clear();
            }
        }
        if !chunk.is_empty() {
            b.submit(&chunk).map_err(|e| e.to_string())?;
        }
        Ok(())
    };
    let mut b = open(i)?;
    pend(b.as_mut())?;
    let window = Window::open("P2close");
    let start = Instant::now();
    b.close();
    let close_ms = start.elapsed().as_secs_f64() * 1e3;
    drop(window);

    let mut b = open(i)?;
    pend(b.as_mut())?;
    let window = Window::open("P2cancel");
    let start = Instant::now();
    let cancel = Entry {
        op: "cancel".into(),
        user_data: u64::MAX,
        cancel_flags: vec!["any".into()],
        ..Default::default()
    };
    b.submit(&[cancel]).map_err(|e| e.to_string())?;
    reap_n(b.as_mut(), n + 1)?;
    let cancel_ms = start.elapsed().as_secs_f64() * 1e3;
    drop(window);
    b.close();
    Ok((close_ms, cancel_ms))
}

/// How long P5 lets its reads reach their workers and block before it
/// cancels them.
fn p5_settle(n: usize) -> Duration {
    Duration::from_millis(200 + n as u64)
}

/// P5: N reads of an `[io_uring_rs_block]` file (no poll, no
/// `FMODE_NOWAIT`: each blocks an io-wq worker), then one
/// `IORING_ASYNC_CANCEL_ALL` of them; returns the time from the cancel's
/// submission to the last read's completion in ms, and how many reads were
/// interrupted running (`-EINTR`) rather than cancelled pending
/// (`-ECANCELED`).
fn p5(i: usize, n: usize) -> Result<(f64, usize), String> {
    use crate::abi::{blockfd, RawRing, OP_ASYNC_CANCEL, OP_READ};
    use crate::uapi::{IoUringParams, IoUringSqe, IORING_ASYNC_CANCEL_ALL};
    let sys = [Sys::Uring, Sys::Module][i];
    let entries = (n as u32 + 1).next_power_of_two();
    let mut r = RawRing::new(sys, entries, IoUringParams::default())
        .map_err(|e| format!("{}: setup {e}", sys.name()))?;
    let bf = blockfd()?;
    let mut buf = [0u8; 1];
    const TARGET: u64 = 5;
    for _ in 0..n {
        r.push(&IoUringSqe {
            opcode: OP_READ,
            fd: std::os::fd::AsRawFd::as_raw_fd(&bf),
            addr: buf.as_mut_ptr() as u64,
            len: 1,
            user_data: TARGET,
            ..IoUringSqe::default()
        });
    }
    let submitted = r.enter(n as u32, 0, 0);
    if submitted != n as i64 {
        return Err(format!("{}: submitted {submitted} of {n}", sys.name()));
    }
    std::thread::sleep(p5_settle(n));
    let early = r.reap();
    if !early.is_empty() {
        return Err(format!(
            "{}: {} reads completed unblocked",
            sys.name(),
            early.len()
        ));
    }
    let start = Instant::now();
    r.push(&IoUringSqe {
        opcode: OP_ASYNC_CANCEL,
        fd: -1,
        addr: TARGET,
        op_flags: IORING_ASYNC_CANCEL_ALL,
        user_data: 1,
        ..IoUringSqe::default()
    });
    r.enter(1, 0, 0);
    let mut reads = Vec::new();
    while reads.len() < n {
        if start.elapsed() > Duration::from_secs(120) {
            return Err(format!(
                "{}: {} of {n} reads completed",
                sys.name(),
                reads.len()
            ));
        }
        r.enter(0, 1, crate::uapi::IORING_ENTER_GETEVENTS);
        reads.extend(r.reap().into_iter().filter(|c| c.0 == TARGET).map(|c| c.1));
    }
    let ms = start.elapsed().as_secs_f64() * 1e3;
    let eintr = reads.iter().filter(|res| **res == -libc::EINTR).count();
    Ok((ms, eintr))
}

/// Runs P1, P2 and P5, `reps` times each, alternating the backends; with
/// `only`, just the benchmarks it names (`P1`, `P1inline`, `P2`, `P5`, or
/// one chain length of P1: `P1.1`, `P1.4`, `P1.16`),
/// and with `backend`, on that backend only (`scripts/profile.sh`).
pub(crate) fn cmd_bench(
    reps: usize,
    p1_total: usize,
    p2_sizes: &[usize],
    only: Option<&str>,
    backend: Option<&str>,
) -> Result<(), String> {
    let names: Vec<(usize, &str)> = ["io_uring", "io_uring_rs"]
        .into_iter()
        .enumerate()
        .filter(|(_, n)| backend.is_none_or(|b| b == *n))
        .collect();
    let run = |name: &str| only.is_none_or(|o| o.split(',').any(|n| n == name));
    let p1_len = |len: &usize| run("P1") || run(&format!("P1.{len}"));
    for len in [1usize, 4, 16].into_iter().filter(p1_len) {
        for rep in 0..reps {
            for &(i, name) in &names {
                let mut b = open(i)?;
                let run = p1(b.as_mut(), len, p1_total, true)?;
                b.close();
                print_p1("P1", len, name, rep, &run);
            }
        }
    }
    // The same NOPs issued inline: what submitting and reaping cost
    // without io-wq, to tell the two apart.
    for rep in (0..reps).filter(|_| run("P1inline")) {
        for &(i, name) in &names {
            let mut b = open(i)?;
            let run = p1(b.as_mut(), 1, p1_total, false)?;
            b.close();
            print_p1("P1inline", 1, name, rep, &run);
        }
    }
    for &n in p2_sizes.iter().filter(|_| run("P2")) {
        let r = if n >= 100_000 { 1 } else { reps };
        for rep in 0..r {
            for &(i, name) in &names {
                let (close_ms, cancel_ms) = p2(i, n)?;
                println!("csv,P2close,{n},{name},{rep},{close_ms:.2},ms");
                println!("csv,P2cancel,{n},{name},{rep},{cancel_ms:.2},ms");
            }
        }
    }
    for n in [16usize, 256, 1024].into_iter().filter(|_| run("P5")) {
        for rep in 0..reps {
            for &(i, name) in &names {
                let (ms, eintr) = p5(i, n)?;
                println!("csv,P5,{n},{name},{rep},{ms:.2},ms");
                println!("# P5 {name} N={n}: {eintr} of {n} reads cancelled running (-EINTR)");
            }
        }
    }
    Ok(())
}
