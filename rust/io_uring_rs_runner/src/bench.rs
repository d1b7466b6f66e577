// SPDX-License-Identifier: GPL-2.0

//! Benchmarks P1 and P2, run on the timing kernel (`make bench`): the real
//! io_uring and the module alternately, repeated; one CSV row per
//! measurement on standard output (`csv,BENCH,PARAM,BACKEND,REP,VALUE,UNIT`).
//!
//! * P1: linked chains of NOPs forced through io-wq (`IOSQE_ASYNC`), chain
//!   length 1, 4 and 16: requests per second.
//! * P2: N pending requests (half blocked reads, half their linked
//!   timeouts), then cancel-all: the time `close()` takes, and the time from
//!   an `IORING_ASYNC_CANCEL_ANY` to the last completion reaped.

use crate::abi::Sys;
use crate::backend::Backend;
use crate::ring::RingBackend;
use crate::scenario::Entry;
use std::time::{Duration, Instant};

/// The channel P2's reads block on.
const CHAN: &str = "p2";

fn open(i: usize) -> Result<Box<dyn Backend>, String> {
    let sys = [Sys::Uring, Sys::Module][i];
    let b = RingBackend::open(sys, &[CHAN.to_string()], &[]).map_err(|e| e.to_string())?;
    Ok(Box::new(b))
}

fn nop(ud: u64, link: bool) -> Entry {
    let mut flags = vec!["async".to_string()];
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

/// P1: requests per second of `total` requests in chains of `len`.
fn p1(b: &mut dyn Backend, len: usize, total: usize) -> Result<f64, String> {
    let per_batch = (256 / len).max(1);
    let mut batch = Vec::new();
    for c in 0..per_batch {
        for i in 0..len {
            batch.push(nop((c * len + i) as u64, i + 1 < len));
        }
    }
    let start = Instant::now();
    let mut done = 0;
    while done < total {
        b.submit(&batch).map_err(|e| e.to_string())?;
        reap_n(b, batch.len())?;
        done += batch.len();
    }
    Ok(done as f64 / start.elapsed().as_secs_f64())
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
    let start = Instant::now();
    b.close();
    let close_ms = start.elapsed().as_secs_f64() * 1e3;

    let mut b = open(i)?;
    pend(b.as_mut())?;
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
    b.close();
    Ok((close_ms, cancel_ms))
}

/// Runs P1 and P2, `reps` times each, alternating the backends.
pub(crate) fn cmd_bench(reps: usize, p1_total: usize, p2_sizes: &[usize]) -> Result<(), String> {
    const NAMES: [&str; 2] = ["io_uring", "io_uring_rs"];
    for len in [1usize, 4, 16] {
        for rep in 0..reps {
            for (i, name) in NAMES.iter().enumerate() {
                let mut b = open(i)?;
                let rate = p1(b.as_mut(), len, p1_total)?;
                b.close();
                println!("csv,P1,{len},{name},{rep},{rate:.0},req/s");
            }
        }
    }
    for &n in p2_sizes {
        let r = if n >= 100_000 { 1 } else { reps };
        for rep in 0..r {
            for (i, name) in NAMES.iter().enumerate() {
                let (close_ms, cancel_ms) = p2(i, n)?;
                println!("csv,P2close,{n},{name},{rep},{close_ms:.2},ms");
                println!("csv,P2cancel,{n},{name},{rep},{cancel_ms:.2},ms");
            }
        }
    }
    Ok(())
}
