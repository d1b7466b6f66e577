// SPDX-License-Identifier: GPL-2.0

//! `io_uring_rs_scenarios`: runs io_uring scenarios on the real io_uring and
//! on `/dev/io_uring_rs`, and fails on any result outside the scenario's
//! expectation or any disagreement between the two.
//!
//! ```text
//! io_uring_rs_scenarios run PATH...   every *.toml under each PATH (KTAP)
//! io_uring_rs_scenarios abi [FILTER [io_uring|io_uring_rs]]
//!                                     the ring ABI on both, compared (KTAP)
//! io_uring_rs_scenarios demo FILE     one scenario, both backends, as a table
//! io_uring_rs_scenarios stress [SEED SECS PROCS THREADS FUZZ_ITERATIONS] [--unload]
//! io_uring_rs_scenarios bench [REPS P1_REQUESTS P2_LARGEST]
//! io_uring_rs_scenarios faults KO      allocation failure at every site (fail-nth)
//! io_uring_rs_scenarios limits        ring sizes bounded, rings charged to the memcg (KTAP)
//! io_uring_rs_scenarios ring-stress-io_uring [SEED SECS THREADS]   the ring stress on io_uring
//! io_uring_rs_scenarios link-race [SEED SECS THREADS]   io-wq chains against their timeouts, both
//! io_uring_rs_scenarios fuzz [SEED OPS SECS]   the long fuzz (make fuzz)
//! io_uring_rs_scenarios fuzz-replay PATH...   reduced fuzz traces, on both (KTAP)
//! io_uring_rs_scenarios exec-target   exits 0: what a task execs
//! io_uring_rs_scenarios as-user UID GID SUBCOMMAND...  one of these, unprivileged
//! ```
//!
//! Exit status as kselftest wants: 0 all passed, 1 a failure, 4 skipped
//! (no device).
//!
//! `run` and `demo` hold the kernel's io_uring to an entry's `res_6_12` on
//! Linux 6.12 and to `res` on 6.13 and later (`scenario.rs`); the kernel is
//! `uname(2)`'s release, or `IO_URING_RS_KERNEL` (a release string such as
//! `6.12.117` or `7.2.13`) if set.

mod abi;
mod backend;
mod bench;
mod faults;
mod fuzz;
mod limits;
mod link_race;
mod module;
mod ring;
mod ring_stress;
mod scenario;
mod stress;
mod task;
#[cfg(test)]
mod tests;
mod trace;
#[cfg(test)]
mod trace_tests;
#[path = "../../../io_uring_rs/uapi.rs"]
mod uapi;
mod unpriv;

use abi::Sys;
use backend::Backend;
use ring::RingBackend;
use scenario::{parse_res, res_name, Kernel, Scenario, KERNEL_ENV};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Completions by `user_data`, in arrival order.
type Cqes = Vec<(u64, i32)>;

/// How long a `wait` step (or the final drain) waits at most.
const WAIT_LIMIT: Duration = Duration::from_secs(5);

/// A backend and the side it stands for.
type Side = (Sys, Box<dyn Backend>);

fn backends(sc: &Scenario) -> Result<Vec<Side>, String> {
    let chans = sc.channels();
    let mut out: Vec<Side> = Vec::new();
    for sys in [Sys::Uring, Sys::Module] {
        let b = RingBackend::open(sys, &chans, &sc.inflight_channels)
            .map_err(|e| format!("{}: {e}", sys.name()))?;
        out.push((sys, Box::new(b)));
    }
    Ok(out)
}

/// Reaps until `total` completions were seen or the limit passed.
fn reap_until(
    b: &mut dyn Backend,
    got: &mut Cqes,
    total: usize,
    limit: Duration,
) -> Result<(), String> {
    let start = Instant::now();
    while got.len() < total {
        let left = limit.saturating_sub(start.elapsed());
        if left.is_zero() {
            break;
        }
        let more = b
            .reap(total - got.len(), left.min(Duration::from_millis(500)))
            .map_err(|e| format!("{}: reap: {e}", b.name()))?;
        got.extend(more);
    }
    Ok(())
}

/// Runs `sc` on `b`; returns the completions it produced.
fn run_on(b: &mut dyn Backend, sc: &Scenario) -> Result<Cqes, String> {
    let mut got = Cqes::new();
    let mut closed = false;
    for step in &sc.steps {
        if !step.submit.is_empty() {
            let n = b
                .submit(&step.submit)
                .map_err(|e| format!("{}: submit: {e}", b.name()))?;
            if n != step.submit.len() {
                return Err(format!(
                    "{}: submitted {n} of {}",
                    b.name(),
                    step.submit.len()
                ));
            }
        }
        if let Some(w) = &step.write {
            b.write(&w.chan, w.len)
                .map_err(|e| format!("{}: write: {e}", b.name()))?;
        }
        if let Some(ms) = step.sleep_ms {
            std::thread::sleep(Duration::from_millis(ms));
        }
        if let Some(what) = &step.cancel_task {
            b.cancel_task(what == "all")
                .map_err(|e| format!("{}: cancel_task: {e}", b.name()))?;
        }
        if let Some(n) = step.wait {
            reap_until(b, &mut got, n, WAIT_LIMIT)?;
            if got.len() < n {
                return Err(format!(
                    "{}: {} of {n} completions after {:?}: {}",
                    b.name(),
                    got.len(),
                    WAIT_LIMIT,
                    show(&got)
                ));
            }
        }
        if step.close == Some(true) {
            b.close();
            closed = true;
        }
    }
    if !closed {
        reap_until(b, &mut got, sc.expected_cqes(), WAIT_LIMIT)?;
        // Anything more (a duplicate, an unexpected completion) shows here.
        let extra = b.reap(0, Duration::from_millis(50)).unwrap_or_default();
        got.extend(extra);
        b.close();
    }
    Ok(got)
}

fn show(cqes: &Cqes) -> String {
    cqes.iter()
        .map(|(u, r)| format!("{u}={}", res_name(*r)))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Checks `got`, what `side` gave on `kernel`, against the scenario's
/// expectations.
fn check(sc: &Scenario, kernel: Kernel, side: Sys, got: &Cqes) -> Result<(), String> {
    let mut by_ud: BTreeMap<u64, Vec<i32>> = BTreeMap::new();
    for (u, r) in got {
        by_ud.entry(*u).or_default().push(*r);
    }
    for e in &sc.expects {
        let seen = by_ud.remove(&e.user_data).unwrap_or_default();
        if e.absent {
            if !seen.is_empty() {
                return Err(format!(
                    "{} completed ({}), expected none",
                    e.user_data,
                    res_name(seen[0])
                ));
            }
            continue;
        }
        match seen.as_slice() {
            [] => return Err(format!("no completion for {}", e.user_data)),
            [r] => {
                let ok: Vec<i32> = e
                    .accepted(kernel, side)
                    .iter()
                    .map(|v| parse_res(v).unwrap())
                    .collect();
                if !ok.contains(r) {
                    let want: Vec<String> = ok.iter().map(|r| res_name(*r)).collect();
                    let which = if e.held_to_6_12(kernel, side) {
                        " (res_6_12)"
                    } else {
                        ""
                    };
                    return Err(format!(
                        "{} gave {}, expected {}{which}",
                        e.user_data,
                        res_name(*r),
                        want.join(" or ")
                    ));
                }
            }
            more => return Err(format!("{} completed {} times", e.user_data, more.len())),
        }
    }
    if let Some((u, _)) = by_ud.iter().next() {
        return Err(format!("unexpected completion for {u}"));
    }
    let pos = |u: u64| got.iter().position(|(x, _)| *x == u);
    for w in sc.in_order.windows(2) {
        if let (Some(a), Some(b)) = (pos(w[0]), pos(w[1])) {
            if a > b {
                return Err(format!("{} completed before {}", w[1], w[0]));
            }
        }
    }
    Ok(())
}

/// Checks that the backends agree where the scenario says they must on
/// `kernel`: `a` is io_uring's, `b` io_uring_rs's.
fn compare(sc: &Scenario, kernel: Kernel, a: &Cqes, b: &Cqes) -> Result<(), String> {
    for e in sc.expects.iter().filter(|e| e.compared(kernel)) {
        let ra = a.iter().find(|(u, _)| *u == e.user_data).map(|c| c.1);
        let rb = b.iter().find(|(u, _)| *u == e.user_data).map(|c| c.1);
        if ra != rb {
            return Err(format!(
                "backends disagree on {}: io_uring {}, io_uring_rs {}",
                e.user_data,
                ra.map(res_name).unwrap_or_default(),
                rb.map(res_name).unwrap_or_default()
            ));
        }
    }
    Ok(())
}

/// Runs one scenario on both backends of `kernel`; returns the per-backend
/// completions and the verdict.
fn run_scenario(sc: &Scenario, kernel: Kernel) -> (Vec<(&'static str, Cqes)>, Result<(), String>) {
    let mut out = Vec::new();
    let mut verdict = Ok(());
    let bs = match backends(sc) {
        Ok(bs) => bs,
        Err(e) => return (out, Err(e)),
    };
    for (sys, mut b) in bs {
        let name = b.name();
        match run_on(b.as_mut(), sc) {
            Ok(cqes) => {
                if verdict.is_ok() {
                    verdict = check(sc, kernel, sys, &cqes).map_err(|e| format!("{name}: {e}"));
                }
                out.push((name, cqes));
            }
            Err(e) => {
                if verdict.is_ok() {
                    verdict = Err(e);
                }
                out.push((name, Cqes::new()));
            }
        }
    }
    if verdict.is_ok() && out.len() == 2 {
        verdict = compare(sc, kernel, &out[0].1, &out[1].1);
    }
    (out, verdict)
}

/// Each `PATH` that is a file, and every `*.toml` that `keep` accepts in
/// each that is a directory (not its subdirectories), sorted.
pub(crate) fn toml_files(
    paths: &[String],
    keep: impl Fn(&Path) -> bool,
) -> Result<Vec<PathBuf>, String> {
    let mut files = Vec::new();
    for p in paths {
        let p = Path::new(p);
        if p.is_dir() {
            let mut v: Vec<PathBuf> = std::fs::read_dir(p)
                .map_err(|e| format!("{}: {e}", p.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| f.extension().is_some_and(|x| x == "toml") && keep(f))
                .collect();
            v.sort();
            files.extend(v);
        } else {
            files.push(p.to_path_buf());
        }
    }
    Ok(files)
}

/// Prints `verdict` as KTAP case `n`, `name`, and counts it as passed or
/// failed.
pub(crate) fn ktap_case(
    n: usize,
    name: &str,
    verdict: Result<(), String>,
    passed: &mut u32,
    failed: &mut u32,
) {
    match verdict {
        Ok(()) => {
            *passed += 1;
            println!("ok {n} {name}");
        }
        Err(e) => {
            *failed += 1;
            println!("# {name}: {e}\nnot ok {n} {name}");
        }
    }
}

/// The running kernel, and a line that reports it.
fn kernel() -> Result<(Kernel, String), String> {
    let (kernel, release) = Kernel::running()?;
    let from = if std::env::var_os(KERNEL_ENV).is_some() {
        KERNEL_ENV
    } else {
        "uname"
    };
    let rule = match kernel {
        Kernel::V6_12 => "io_uring held to res_6_12 where an entry gives it",
        Kernel::Upstream => "res_6_12 ignored",
    };
    let line = format!("kernel {release} ({from}): {}, {rule}", kernel.name());
    Ok((kernel, line))
}

fn cmd_run(paths: &[String]) -> i32 {
    println!("KTAP version 1");
    if let Err(e) = module::probe() {
        println!("1..0 # SKIP {}: {e}", module::DEVICE);
        return 4;
    }
    let (kernel, kernel_line) = match kernel() {
        Ok(k) => k,
        Err(e) => {
            println!("Bail out! {e}");
            return 1;
        }
    };
    let files = match toml_files(paths, |f| !f.ends_with("demo.toml")) {
        Ok(f) => f,
        Err(e) => {
            println!("Bail out! {e}");
            return 1;
        }
    };
    println!("1..{}", files.len());
    println!("# {kernel_line}");
    let (mut passed, mut failed, mut cqes) = (0u32, 0u32, 0);
    for (i, f) in files.iter().enumerate() {
        let name = f.file_stem().unwrap_or_default().to_string_lossy();
        let sc = std::fs::read_to_string(f)
            .map_err(|e| e.to_string())
            .and_then(|t| Scenario::parse(&t));
        let verdict = match sc {
            Err(e) => Err(format!("bad scenario: {e}")),
            Ok(sc) => {
                let (out, verdict) = run_scenario(&sc, kernel);
                println!("# {name}: {}", sc.description);
                if let Some(src) = &sc.source {
                    println!("#   from {src}");
                }
                for (b, c) in &out {
                    println!("#   {b:12} {}", show(c));
                    cqes += c.len();
                }
                verdict
            }
        };
        ktap_case(i + 1, &name, verdict, &mut passed, &mut failed);
    }
    println!(
        "# scenarios: {} run, {cqes} completions checked, 0 disagreements allowed",
        files.len()
    );
    println!("# Totals: pass:{passed} fail:{failed} xfail:0 xpass:0 skip:0 error:0");
    if failed == 0 {
        0
    } else {
        1
    }
}

fn cmd_demo(file: &str) -> i32 {
    let sc = match std::fs::read_to_string(file)
        .map_err(|e| e.to_string())
        .and_then(|t| Scenario::parse(&t))
    {
        Ok(sc) => sc,
        Err(e) => {
            eprintln!("{file}: {e}");
            return 1;
        }
    };
    let (kernel, kernel_line) = match kernel() {
        Ok(k) => k,
        Err(e) => {
            eprintln!("{e}");
            return 1;
        }
    };
    let (out, verdict) = run_scenario(&sc, kernel);
    println!("{}", sc.description);
    println!("({kernel_line})");
    println!();
    println!(
        "  {:>9}  {:<22} {:<14} {:<14}",
        "user_data", "request", "io_uring", "io_uring_rs"
    );
    let mut uds: Vec<u64> = sc.expects.iter().map(|e| e.user_data).collect();
    uds.dedup();
    let what = |u: u64| {
        sc.steps
            .iter()
            .flat_map(|s| s.submit.iter())
            .find(|e| e.user_data == u)
            .map(|e| {
                let mut w = e.op.clone();
                if let Some(t) = e.target {
                    w += &format!(" of {t}");
                }
                if e.flags.iter().any(|f| f == "link") {
                    w += " (link)";
                }
                w
            })
            .unwrap_or_default()
    };
    for u in uds {
        let r = |i: usize| {
            out.get(i)
                .and_then(|(_, c)| c.iter().find(|(x, _)| *x == u))
                .map(|(_, r)| res_name(*r))
                .unwrap_or_else(|| "-".into())
        };
        println!("  {:>9}  {:<22} {:<14} {:<14}", u, what(u), r(0), r(1));
    }
    println!();
    match verdict {
        Ok(()) => {
            println!("both backends agree with each other and with the expectation");
            0
        }
        Err(e) => {
            println!("MISMATCH: {e}");
            1
        }
    }
}

/// How long `rmmod` may take after the run (`--unload`).
const UNLOAD_LIMIT: Duration = Duration::from_secs(20);

/// Runs stress and fuzz as two KTAP cases, with their counts; each waits
/// for every ring's exit to finish after its run. With `--unload`, a third
/// case unloads the module and fails if `rmmod` does not return within
/// [`UNLOAD_LIMIT`] (it may never: then it is left blocked, and the run's
/// hung-task check reports it too).
fn cmd_stress_fuzz(args: &[String]) -> i32 {
    let unload = args.iter().any(|a| a == "--unload");
    let args: Vec<&String> = args.iter().filter(|a| *a != "--unload").collect();
    let num = |i: usize, d: u64| args.get(i).and_then(|a| a.parse().ok()).unwrap_or(d);
    let seed = num(0, 0x10_0b1e);
    println!("KTAP version 1");
    if let Err(e) = module::probe() {
        println!("1..0 # SKIP {}: {e}", module::DEVICE);
        return 4;
    }
    println!("1..{}", if unload { 4 } else { 3 });
    let (secs, procs, threads, iters) = (
        num(1, 10),
        num(2, 3) as usize,
        num(3, 3) as usize,
        num(4, 5000),
    );
    let mut failed = 0;
    println!("# stress: seed {seed:#x}, {secs} s, {procs} processes x {threads} threads");
    let started = Instant::now();
    let res = stress::stats_now().and_then(|before| {
        let c = stress::cmd_stress(seed, secs, procs, threads)?;
        Ok((c, stress::settle(&before)?))
    });
    match res {
        Ok((c, s)) => println!(
            "# stress (first process; the others report above): {} ops, {} SQEs, {} CQEs checked, {} torn down at ring exit, {} rings closed ({} with chains mid-flight)\n\
             # stress: {} ring exits finished, the last {} ms after the run; longest exit {} ms; {:.1} s in all\nok 1 stress",
            c.ops, c.sqes, c.cqes, c.torn_down, c.rings, c.undrained,
            s.exits, s.waited.as_millis(), s.max_exit_ms, started.elapsed().as_secs_f64()
        ),
        Err(e) => {
            failed += 1;
            println!("# stress: {e}\nnot ok 1 stress");
        }
    }
    println!("# fuzz: seed {seed:#x}, {iters} ioctls");
    let res = stress::stats_now().and_then(|before| {
        let c = fuzz::cmd_fuzz(seed, iters)?;
        Ok((c, stress::settle(&before)?))
    });
    match res {
        Ok((c, s)) => println!(
            "# fuzz: {} ioctls, {} SQEs accepted, {} CQEs checked, {} torn down at ring exit\n\
             # fuzz: {} ring exits finished, the last {} ms after the run\nok 2 fuzz",
            c.ops,
            c.sqes,
            c.cqes,
            c.torn_down,
            s.exits,
            s.waited.as_millis()
        ),
        Err(e) => {
            failed += 1;
            println!("# fuzz: {e}\nnot ok 2 fuzz");
        }
    }
    println!("# ring_stress: seed {seed:#x}, {secs} s, {threads} threads, CQ ring of 4");
    let res = stress::stats_now().and_then(|before| {
        let c = ring_stress::cmd_ring_stress(Sys::Module, seed, secs, threads)?;
        Ok((c, stress::settle(&before)?))
    });
    match res {
        Ok((c, s)) => println!(
            "# ring_stress: {} steps, {} SQEs, {} CQEs checked, none lost; {} rings, {} closed with {} reads armed\n\
             # ring_stress: {} ring exits finished, the last {} ms after the run\nok 3 ring_stress",
            c.ops,
            c.sqes,
            c.cqes,
            c.rings,
            c.undrained,
            c.torn_down,
            s.exits,
            s.waited.as_millis()
        ),
        Err(e) => {
            failed += 1;
            println!("# ring_stress: {e}\nnot ok 3 ring_stress");
        }
    }
    if unload {
        match rmmod() {
            Ok(t) => println!("# rmmod returned after {} ms\nok 4 rmmod", t.as_millis()),
            Err(e) => {
                failed += 1;
                println!("# rmmod: {e}\nnot ok 4 rmmod");
            }
        }
    }
    i32::from(failed != 0)
}

/// Unloads the module; fails unless `rmmod` succeeds within
/// [`UNLOAD_LIMIT`] and the module is gone. A refused `rmmod` (the module
/// in use) is tried again until then: the task-work lists' module pins are
/// released by `delayed_fput()` a jiffy or so after the last ring's exit
/// (Documentation/design.rst, "Task work and module unload").
fn rmmod() -> Result<Duration, String> {
    let start = Instant::now();
    loop {
        let mut child = std::process::Command::new("rmmod")
            .arg("io_uring_rs")
            .stderr(std::process::Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot run rmmod: {e}"))?;
        let status = loop {
            if let Some(st) = child.try_wait().map_err(|e| e.to_string())? {
                break st;
            }
            if start.elapsed() > UNLOAD_LIMIT {
                return Err(format!(
                    "did not return within {UNLOAD_LIMIT:?} (left blocked)"
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        if status.success() {
            break;
        }
        if start.elapsed() > UNLOAD_LIMIT {
            return Err(format!("failed for {UNLOAD_LIMIT:?}: {status}"));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let took = start.elapsed();
    let modules = std::fs::read_to_string("/proc/modules").unwrap_or_default();
    if modules.lines().any(|l| l.starts_with("io_uring_rs ")) {
        return Err("returned, but the module is still loaded".into());
    }
    Ok(took)
}

/// `fuzz [SEED OPS SECS]`: the fuzz for `OPS` operations (default one
/// million) or `SECS` seconds (0: no limit), each epoch (a ring's life)
/// followed by a check that no ring was left open, then the ring exits
/// settled. A failure's epoch is reduced with ddmin in forked children and
/// printed as a trace file between marker lines (`make fuzz`).
fn cmd_fuzz_long(args: &[String]) -> i32 {
    let num = |i: usize, d: u64| args.get(i).and_then(|a| a.parse().ok()).unwrap_or(d);
    let (seed, ops, secs) = (num(0, 0x10_0b1e), num(1, 1_000_000), num(2, 0));
    let deadline = (secs > 0).then(|| Instant::now() + Duration::from_secs(secs));
    println!("KTAP version 1\n1..1");
    println!("# fuzz: seed {seed:#x}, {ops} operations, {secs} s (0: no limit)");
    let started = Instant::now();
    let before = match stress::stats_now() {
        Ok(b) => b,
        Err(e) => {
            println!("# fuzz: {e}\nnot ok 1 fuzz seed {seed:#x}");
            return 1;
        }
    };
    let res = fuzz::cmd_fuzz_until(seed, ops, deadline, true);
    let res = match res {
        Ok(c) => stress::settle(&before).map(|s| (c, s)),
        Err(f) => {
            println!("# fuzz: {}", f.msg);
            trace::report(seed, &f);
            Err(f.msg)
        }
    };
    match res {
        Ok((c, s)) => {
            println!(
                "# fuzz: {} operations, {} SQEs accepted, {} CQEs checked, {} torn down at ring exit, {} rings, {} ring exits, in {:.0} s\nok 1 fuzz seed {seed:#x}",
                c.ops, c.sqes, c.cqes, c.torn_down, c.rings, s.exits, started.elapsed().as_secs_f64()
            );
            0
        }
        Err(e) => {
            println!("# fuzz: {e}\nnot ok 1 fuzz seed {seed:#x}");
            1
        }
    }
}

/// `ring-stress-io_uring [SEED SECS THREADS]`: the ring stress on the
/// kernel's io_uring, for the data-race kernel to watch it under the load
/// the module gets (Documentation/testing.rst, "The data-race run").
fn cmd_ring_stress_uring(args: &[String]) -> i32 {
    let num = |i: usize, d: u64| args.get(i).and_then(|a| a.parse().ok()).unwrap_or(d);
    let (seed, secs, threads) = (num(0, 0x10_0b1e), num(1, 10), num(2, 4) as usize);
    println!("KTAP version 1\n1..1");
    println!("# ring_stress on io_uring: seed {seed:#x}, {secs} s, {threads} threads");
    match ring_stress::cmd_ring_stress(Sys::Uring, seed, secs, threads) {
        Ok(c) => {
            println!(
                "# ring_stress on io_uring: {} steps, {} SQEs, {} CQEs checked, none lost; {} rings\nok 1 ring_stress_io_uring",
                c.ops, c.sqes, c.cqes, c.rings
            );
            0
        }
        Err(e) => {
            println!("# ring_stress on io_uring: {e}\nnot ok 1 ring_stress_io_uring");
            1
        }
    }
}

/// `link-race [SEED SECS THREADS]`: the link race load
/// ([`link_race`]) for `SECS` on the kernel's io_uring, then for `SECS` on
/// the module with every ring exit settled after it (KTAP).
fn cmd_link_race(args: &[String]) -> i32 {
    let num = |i: usize, d: u64| args.get(i).and_then(|a| a.parse().ok()).unwrap_or(d);
    let (seed, secs, threads) = (num(0, 0x10_0b1e), num(1, 8), num(2, 4) as usize);
    println!("KTAP version 1\n1..2");
    println!("# link_race: seed {seed:#x}, {secs} s, {threads} threads on each backend");
    let mut rc = 0;
    for (n, sys) in [(1, Sys::Uring), (2, Sys::Module)] {
        let name = sys.name();
        let run = || {
            let before = match sys {
                Sys::Module => Some(stress::stats_now()?),
                Sys::Uring => None,
            };
            let c = link_race::cmd_link_race(sys, seed, secs, threads)?;
            if let Some(before) = before {
                stress::settle(&before)?;
            }
            Ok::<_, String>(c)
        };
        match run() {
            Ok(c) => println!(
                "# link_race on {name}: {} chains, {} SQEs, {} CQEs checked, none lost; \
                 {} requests completed as their linked timeout expired, {} cancelled by it; \
                 {} cancels of everything, {} tasks exited with chains in flight\nok {n} link_race_{name}",
                c.chains, c.sqes, c.cqes, c.crossings, c.timed_out, c.cancel_alls, c.exits
            ),
            Err(e) => {
                println!("# link_race on {name}: {e}\nnot ok {n} link_race_{name}");
                rc = 1;
            }
        }
    }
    rc
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    std::process::exit(dispatch(&args));
}

/// Runs the subcommand `args` names; its exit status.
fn dispatch(args: &[String]) -> i32 {
    match args.first().map(String::as_str) {
        Some("run") => cmd_run(&args[1..]),
        Some("abi") => abi::cmd_abi(
            args.get(1).map(String::as_str),
            args.get(2).map(String::as_str),
        ),
        // What a scenario's task execs to leave its rings (cancel_all).
        Some(a) if a.as_bytes() == task::EXEC_TARGET.to_bytes() => 0,
        Some("demo") if args.len() == 2 => cmd_demo(&args[1]),
        Some("stress") => cmd_stress_fuzz(&args[1..]),
        Some("ring-stress-io_uring") => cmd_ring_stress_uring(&args[1..]),
        Some("fuzz") => cmd_fuzz_long(&args[1..]),
        Some("link-race") => cmd_link_race(&args[1..]),
        Some("fuzz-replay") => trace::cmd_fuzz_replay(&args[1..]),
        Some("faults") if args.len() == 2 => faults::cmd_faults(&args[1]),
        Some("limits") => limits::cmd_limits(),
        Some("as-user") => unpriv::cmd_as_user(&args[1..], dispatch),
        Some("bench") => {
            let num = |i: usize, d: usize| args.get(i).and_then(|a| a.parse().ok()).unwrap_or(d);
            let sizes = [1_000, 10_000, num(3, 100_000)];
            let arg = |i: usize| args.get(i).map(|s| s.as_str());
            match bench::cmd_bench(num(1, 3), num(2, 20_000), &sizes, arg(4), arg(5)) {
                Ok(()) => 0,
                Err(e) => {
                    println!("bench failed: {e}");
                    1
                }
            }
        }
        _ => {
            eprintln!("usage: io_uring_rs_scenarios run PATH... | demo FILE | abi [FILTER [io_uring|io_uring_rs]] | stress [SEED SECS PROCS THREADS ITERS] [--unload] | bench [REPS P1 P2 [ONLY [BACKEND]]] | faults KO | limits | fuzz [SEED OPS SECS] | fuzz-replay PATH... | {}", unpriv::USAGE);
            eprintln!("run, demo: {KERNEL_ENV}=RELEASE (e.g. 6.12.117, 7.2.13) overrides uname(2)'s release; on 6.12 io_uring is held to res_6_12 where a scenario gives it");
            2
        }
    }
}
