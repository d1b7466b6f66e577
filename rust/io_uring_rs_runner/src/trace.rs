// SPDX-License-Identifier: GPL-2.0

//! Fuzz traces: the ops of a failing epoch of the long fuzz, reduced with
//! ddmin (delta debugging) in the same boot and written as a TOML file
//! that `io_uring_rs_scenarios fuzz-replay FILE...` replays.
//!
//! ```toml
//! # What it found, and which commit fixed it.
//! kind = "fuzz-trace"
//! description = "a ring kept alive by its own POLL_ADD after close()"
//! seed = "0x6b15c6c0"          # the make fuzz run it came from
//! failure = "leak: 1 ring(s) still open 5s after their epoch ended"
//! io_uring = true              # replay on the kernel's io_uring too (default)
//!
//! [[op]]
//! op = "submit"                # push (as many as there is room for), then enter
//! to_submit = 1
//! push = [
//!     { opcode = 6, flags = 0x0, fd = "ring", addr = "null", len = 0, user_data = 1 },
//!     { index = 105 },         # an SQ array slot naming no entry
//! ]
//!
//! [[op]]
//! op = "close"
//! ```
//!
//! Each `[[op]]` is one [`Op`] of `fuzz.rs`: `submit` (`push`, `to_submit`),
//! `enter` (`to_submit`, `min`, `flags`, `arg`, `argsz`), `wait` (`min`),
//! `register` (`opcode`, `arg`, `nr_args`), `ioctl` (`cmd`, `arg`), `setup`
//! (`entries`, `flags`, `cq_entries`, `resv`, `mmaps = [{ off, pages }]`),
//! `fork` (`sqes`), `write`, `close` and `finish`. An entry has `opcode`,
//! `flags`, `fd`, `addr`, `len`, `user_data` and, when not 0, `ioprio`,
//! `op_flags`, `off` (a string: it may not fit TOML's integers) and
//! `buf_index`. Descriptors: `"ring"`, `"pipe_r:I"`, `"pipe_w:I"` (the
//! ring's pipes 0 and 1), `"none"` (-1), `"bad"` (9999). Pointers:
//! `"null"`, `"timespec"` (0.5 ms), `"room"` (zeroed room for a probe),
//! `"scratch:OFF"` (into the fuzz's scratch buffer), `"kernel:0xADDR"`,
//! `"raw:0xADDR"`.
//!
//! A replay runs the ops in a forked child, on a fresh ring (another after
//! each `close` or `finish`), with the fuzz's checks; a ring still open at
//! the end is closed. It passes if every check holds and, on the module,
//! no ring of the child is left open ([`LEAK_WAIT`] after it exited).

use crate::abi::{pipe, Sys};
use crate::fuzz::LEAK_WAIT;
use crate::fuzz::{left_open, open_rings, Failure, Fd, Kind, Mmap, Op, Ptr, Push, Sqe, State};
use crate::module;
use serde::Deserialize;
use std::fmt::Write as _;
use std::io::Read;
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

/// The `kind` of a trace file.
const TRACE_KIND: &str = "fuzz-trace";

/// The marker lines around a trace file in the long fuzz's output, which
/// `scripts/fuzz.sh` cuts out of the VM's log.
const BEGIN: &str = "# fuzz-trace: begin";
const END: &str = "# fuzz-trace: end";

/// How long one replay may take before its child is killed.
const REPLAY_LIMIT: Duration = Duration::from_secs(60);

/// The reducer's budget: attempts, and time.
const MAX_ATTEMPTS: u32 = 300;
const MAX_TIME: Duration = Duration::from_secs(600);

/// A trace file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct TraceFile {
    pub(crate) description: String,
    pub(crate) seed: u64,
    pub(crate) failure: String,
    /// Whether `fuzz-replay` replays it on the kernel's io_uring too.
    pub(crate) io_uring: bool,
    pub(crate) ops: Vec<Op>,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    kind: String,
    description: String,
    seed: String,
    failure: String,
    #[serde(default = "yes")]
    io_uring: bool,
    #[serde(default)]
    op: Vec<RawOp>,
}

#[derive(Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
enum RawOp {
    Submit {
        push: Vec<RawPush>,
        to_submit: u32,
    },
    Enter {
        to_submit: u32,
        min: u32,
        flags: u32,
        arg: String,
        argsz: u64,
    },
    Wait {
        min: u32,
    },
    Register {
        opcode: u32,
        arg: String,
        nr_args: u32,
    },
    Ioctl {
        cmd: u32,
        arg: String,
    },
    Setup {
        entries: u32,
        flags: u32,
        cq_entries: u32,
        resv: [u32; 3],
        mmaps: Vec<RawMmap>,
    },
    Fork {
        sqes: Vec<RawSqe>,
    },
    Write,
    Close,
    Finish,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawPush {
    Index(RawIndex),
    Sqe(RawSqe),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIndex {
    index: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMmap {
    off: u64,
    pages: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSqe {
    opcode: u8,
    flags: u8,
    fd: String,
    addr: String,
    len: u32,
    user_data: u64,
    #[serde(default)]
    ioprio: u16,
    #[serde(default)]
    op_flags: u32,
    #[serde(default)]
    off: Option<String>,
    #[serde(default)]
    buf_index: u16,
}

/// A number written in decimal or as `0x` hex.
fn num(s: &str) -> Result<u64, String> {
    match s.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16),
        None => s.parse(),
    }
    .map_err(|e| format!("bad number {s:?}: {e}"))
}

fn parse_ptr(s: &str) -> Result<Ptr, String> {
    Ok(match s.split_once(':') {
        None if s == "null" => Ptr::Null,
        None if s == "timespec" => Ptr::Timespec,
        None if s == "room" => Ptr::Room,
        Some(("scratch", n)) => Ptr::Scratch(num(n)?),
        Some(("kernel", n)) => Ptr::Kernel(num(n)?),
        Some(("raw", n)) => Ptr::Raw(num(n)?),
        _ => return Err(format!("bad pointer {s:?}")),
    })
}

fn ptr_str(p: Ptr) -> String {
    match p {
        Ptr::Null => "null".into(),
        Ptr::Timespec => "timespec".into(),
        Ptr::Room => "room".into(),
        Ptr::Scratch(n) => format!("scratch:{n}"),
        Ptr::Kernel(a) => format!("kernel:{a:#x}"),
        Ptr::Raw(a) => format!("raw:{a:#x}"),
    }
}

fn parse_fd(s: &str) -> Result<Fd, String> {
    let pipe = |n: &str| match n {
        "0" => Ok(0),
        "1" => Ok(1),
        _ => Err(format!("bad pipe {s:?} (0 or 1)")),
    };
    Ok(match s.split_once(':') {
        None if s == "ring" => Fd::Ring,
        None if s == "none" => Fd::None,
        None if s == "bad" => Fd::Bad,
        Some(("pipe_r", n)) => Fd::PipeR(pipe(n)?),
        Some(("pipe_w", n)) => Fd::PipeW(pipe(n)?),
        _ => return Err(format!("bad descriptor {s:?}")),
    })
}

fn fd_str(fd: Fd) -> String {
    match fd {
        Fd::Ring => "ring".into(),
        Fd::PipeR(i) => format!("pipe_r:{i}"),
        Fd::PipeW(i) => format!("pipe_w:{i}"),
        Fd::None => "none".into(),
        Fd::Bad => "bad".into(),
    }
}

impl RawSqe {
    fn sqe(self) -> Result<Sqe, String> {
        Ok(Sqe {
            opcode: self.opcode,
            flags: self.flags,
            fd: parse_fd(&self.fd)?,
            addr: parse_ptr(&self.addr)?,
            len: self.len,
            user_data: self.user_data,
            ioprio: self.ioprio,
            op_flags: self.op_flags,
            off: self.off.as_deref().map(num).transpose()?.unwrap_or(0),
            buf_index: self.buf_index,
        })
    }
}

impl RawOp {
    fn op(self) -> Result<Op, String> {
        Ok(match self {
            RawOp::Submit { push, to_submit } => Op::Submit {
                push: push
                    .into_iter()
                    .map(|p| match p {
                        RawPush::Index(i) => Ok(Push::Index(i.index)),
                        RawPush::Sqe(s) => s.sqe().map(Push::Sqe),
                    })
                    .collect::<Result<_, _>>()?,
                to_submit,
            },
            RawOp::Enter {
                to_submit,
                min,
                flags,
                arg,
                argsz,
            } => Op::Enter {
                to_submit,
                min,
                flags,
                arg: parse_ptr(&arg)?,
                argsz,
            },
            RawOp::Wait { min } => Op::Wait { min },
            RawOp::Register {
                opcode,
                arg,
                nr_args,
            } => Op::Register {
                opcode,
                arg: parse_ptr(&arg)?,
                nr_args,
            },
            RawOp::Ioctl { cmd, arg } => Op::Ioctl {
                cmd,
                arg: parse_ptr(&arg)?,
            },
            RawOp::Setup {
                entries,
                flags,
                cq_entries,
                resv,
                mmaps,
            } => Op::Setup {
                entries,
                flags,
                cq_entries,
                resv,
                mmaps: mmaps
                    .into_iter()
                    .map(|m| Mmap {
                        off: m.off,
                        pages: m.pages,
                    })
                    .collect(),
            },
            RawOp::Fork { sqes } => Op::Fork {
                sqes: sqes
                    .into_iter()
                    .map(RawSqe::sqe)
                    .collect::<Result<_, _>>()?,
            },
            RawOp::Write => Op::Write,
            RawOp::Close => Op::Close,
            RawOp::Finish => Op::Finish,
        })
    }
}

impl TraceFile {
    /// Parses a trace file.
    pub(crate) fn parse(text: &str) -> Result<TraceFile, String> {
        let raw: RawFile = toml::from_str(text).map_err(|e| e.to_string())?;
        if raw.kind != TRACE_KIND {
            return Err(format!("kind {:?}, not {TRACE_KIND:?}", raw.kind));
        }
        let ops = raw
            .op
            .into_iter()
            .enumerate()
            .map(|(i, o)| o.op().map_err(|e| format!("op {i}: {e}")))
            .collect::<Result<_, _>>()?;
        Ok(TraceFile {
            description: raw.description,
            seed: num(&raw.seed)?,
            failure: raw.failure,
            io_uring: raw.io_uring,
            ops,
        })
    }

    /// The file's text, which [`TraceFile::parse`] reads back; `comment`
    /// lines first.
    pub(crate) fn to_toml(&self, comment: &[String]) -> String {
        let mut s = String::new();
        for c in comment {
            let _ = writeln!(s, "# {c}");
        }
        let _ = writeln!(s, "kind = {}", quote(TRACE_KIND));
        let _ = writeln!(s, "description = {}", quote(&self.description));
        let _ = writeln!(s, "seed = \"{:#x}\"", self.seed);
        let _ = writeln!(s, "failure = {}", quote(&self.failure));
        let _ = writeln!(s, "io_uring = {}", self.io_uring);
        for op in &self.ops {
            s.push_str("\n[[op]]\n");
            write_op(&mut s, op);
        }
        s
    }
}

/// `text` as a TOML basic string.
fn quote(text: &str) -> String {
    let mut q = String::from("\"");
    for ch in text.chars() {
        match ch {
            '"' => q.push_str("\\\""),
            '\\' => q.push_str("\\\\"),
            c if c.is_control() => {
                let _ = write!(q, "\\u{:04x}", c as u32);
            }
            c => q.push(c),
        }
    }
    q.push('"');
    q
}

/// An entry as an inline table.
fn sqe_str(e: &Sqe) -> String {
    let mut s = format!(
        "{{ opcode = {}, flags = {:#x}, fd = {}, addr = {}, len = {}, user_data = {}",
        e.opcode,
        e.flags,
        quote(&fd_str(e.fd)),
        quote(&ptr_str(e.addr)),
        e.len,
        e.user_data
    );
    if e.ioprio != 0 {
        let _ = write!(s, ", ioprio = {}", e.ioprio);
    }
    if e.op_flags != 0 {
        let _ = write!(s, ", op_flags = {:#x}", e.op_flags);
    }
    if e.off != 0 {
        let _ = write!(s, ", off = \"{:#x}\"", e.off);
    }
    if e.buf_index != 0 {
        let _ = write!(s, ", buf_index = {}", e.buf_index);
    }
    s + " }"
}

/// `items` as a TOML array, one per line.
fn array(items: impl Iterator<Item = String>) -> String {
    let mut s = String::from("[\n");
    for i in items {
        let _ = writeln!(s, "    {i},");
    }
    s + "]"
}

fn write_op(s: &mut String, op: &Op) {
    let _ = match op {
        Op::Submit { push, to_submit } => {
            let items = push.iter().map(|p| match p {
                Push::Sqe(e) => sqe_str(e),
                Push::Index(i) => format!("{{ index = {i} }}"),
            });
            writeln!(
                s,
                "op = \"submit\"\nto_submit = {to_submit}\npush = {}",
                array(items)
            )
        }
        Op::Enter {
            to_submit,
            min,
            flags,
            arg,
            argsz,
        } => writeln!(
            s,
            "op = \"enter\"\nto_submit = {to_submit}\nmin = {min}\nflags = {flags:#x}\narg = {}\nargsz = {argsz}",
            quote(&ptr_str(*arg))
        ),
        Op::Wait { min } => writeln!(s, "op = \"wait\"\nmin = {min}"),
        Op::Register {
            opcode,
            arg,
            nr_args,
        } => writeln!(
            s,
            "op = \"register\"\nopcode = {opcode}\narg = {}\nnr_args = {nr_args}",
            quote(&ptr_str(*arg))
        ),
        Op::Ioctl { cmd, arg } => writeln!(
            s,
            "op = \"ioctl\"\ncmd = {cmd:#x}\narg = {}",
            quote(&ptr_str(*arg))
        ),
        Op::Setup {
            entries,
            flags,
            cq_entries,
            resv,
            mmaps,
        } => {
            let items = mmaps
                .iter()
                .map(|m| format!("{{ off = {:#x}, pages = {} }}", m.off, m.pages));
            writeln!(
                s,
                "op = \"setup\"\nentries = {entries}\nflags = {flags:#x}\ncq_entries = {cq_entries}\nresv = [{}, {}, {}]\nmmaps = {}",
                resv[0],
                resv[1],
                resv[2],
                array(items)
            )
        }
        Op::Fork { sqes } => writeln!(
            s,
            "op = \"fork\"\nsqes = {}",
            array(sqes.iter().map(sqe_str))
        ),
        Op::Write => writeln!(s, "op = \"write\""),
        Op::Close => writeln!(s, "op = \"close\""),
        Op::Finish => writeln!(s, "op = \"finish\""),
    };
}

/// Runs `ops` on fresh rings of `sys` with the fuzz's checks; a ring still
/// open at the end is closed. The error names the op that failed
/// (`op N: ...`).
fn replay(sys: Sys, ops: &[Op]) -> Result<(), String> {
    let mut st = State::new(sys);
    for (i, op) in ops.iter().enumerate() {
        st.apply(op).map_err(|e| format!("op {i}: {e}"))?;
    }
    st.close();
    Ok(())
}

/// The kind of a replay's failure `msg` (`op N: ...`).
pub(crate) fn replay_kind(msg: &str) -> Kind {
    Kind::of(msg.split_once(": ").map_or(msg, |(_, m)| m))
}

/// [`replay`] in a forked child, whose descriptors die with it: its
/// verdict. A child that gives none within [`REPLAY_LIMIT`] is killed.
fn replay_in_child(sys: Sys, ops: &[Op]) -> Result<(), String> {
    let [rd, wr] = pipe()?;
    // SAFETY: The process is single-threaded here (the fuzz and the
    // replays run on the main thread only), so the child may allocate.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(format!("fork: {}", std::io::Error::last_os_error()));
    }
    if pid == 0 {
        drop(rd);
        let msg = replay(sys, ops).err().unwrap_or_default();
        crate::abi::write_fd(&wr, msg.as_bytes());
        // SAFETY: Ends the child without the parent's destructors.
        unsafe { libc::_exit(0) };
    }
    drop(wr);
    let mut pfd = libc::pollfd {
        fd: rd.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    let ms = REPLAY_LIMIT.as_millis() as i32;
    // SAFETY: One valid pollfd. The child closes its end when it exits.
    let ready = unsafe { libc::poll(&mut pfd, 1, ms) };
    let mut msg = String::new();
    if ready > 0 {
        let _ = std::fs::File::from(rd).read_to_string(&mut msg);
    } else {
        // SAFETY: `pid` is our child, not yet reaped.
        unsafe { libc::kill(pid, libc::SIGKILL) };
        msg = format!("hang: no verdict within {REPLAY_LIMIT:?}");
    }
    let mut status = 0;
    // SAFETY: `pid` is our child.
    unsafe { libc::waitpid(pid, &mut status, 0) };
    if msg.is_empty() {
        Ok(())
    } else {
        Err(msg)
    }
}

/// What [`reduce`] did.
pub(crate) struct Reduced {
    pub(crate) ops: Vec<Op>,
    /// Whether the whole trace gave the failure again; if not, `ops` is
    /// the whole trace.
    pub(crate) reproduced: bool,
    pub(crate) attempts: u32,
    /// Rings left open by attempts that reproduced a leak: they stay.
    pub(crate) leaked: u32,
    pub(crate) took: Duration,
}

/// The reducer's judge: runs candidates, within a budget.
struct Judge {
    kind: Kind,
    attempts: u32,
    leaked: u32,
    start: Instant,
}

impl Judge {
    /// Whether `ops` gives the failure again; `None` once the budget is
    /// spent (or the module's stats cannot be read). A leak is a ring of the attempt's child still open
    /// [`LEAK_WAIT`] after it exited: the count is compared with the one
    /// before the attempt, since a reproducing attempt's ring stays open.
    fn test(&mut self, ops: &[Op]) -> Option<bool> {
        if self.attempts >= MAX_ATTEMPTS || self.start.elapsed() > MAX_TIME {
            return None;
        }
        self.attempts += 1;
        let before = open_rings().ok()?;
        let verdict = replay_in_child(Sys::Module, ops);
        let left = left_open(before, LEAK_WAIT).ok()?;
        self.leaked += left;
        Some(match &self.kind {
            Kind::Leak => left > 0,
            kind => verdict.is_err_and(|m| replay_kind(&m) == *kind),
        })
    }
}

/// ddmin: a 1-minimal sublist of `items` (no single chunk of the final
/// granularity can go) for which `test` holds, given that it holds for
/// `items`; stops when `test` says the budget is spent (`None`).
pub(crate) fn ddmin<T: Clone>(
    mut items: Vec<T>,
    test: &mut dyn FnMut(&[T]) -> Option<bool>,
) -> Vec<T> {
    let mut n = 2;
    while items.len() >= 2 {
        let len = items.len();
        let chunk = len.div_ceil(n);
        let bounds: Vec<(usize, usize)> = (0..len)
            .step_by(chunk)
            .map(|a| (a, (a + chunk).min(len)))
            .collect();
        let mut next = None;
        // A chunk alone, then everything but a chunk.
        for &(a, b) in &bounds {
            match test(&items[a..b]) {
                None => return items,
                Some(true) => {
                    next = Some((items[a..b].to_vec(), 2));
                    break;
                }
                Some(false) => {}
            }
        }
        if next.is_none() && bounds.len() > 2 {
            for &(a, b) in &bounds {
                let rest: Vec<T> = items[..a].iter().chain(&items[b..]).cloned().collect();
                match test(&rest) {
                    None => return items,
                    Some(true) => {
                        next = Some((rest, (n - 1).max(2)));
                        break;
                    }
                    Some(false) => {}
                }
            }
        }
        match next {
            Some((smaller, m)) => {
                items = smaller;
                n = m;
            }
            None if n >= len => break,
            None => n = (2 * n).min(len),
        }
    }
    items
}

/// Reduces `trace` to the ops that still give a failure of `kind`: ddmin
/// over the ops, then each entry of a `submit` or `fork` taken out alone.
/// Within [`MAX_ATTEMPTS`] attempts and [`MAX_TIME`].
pub(crate) fn reduce(trace: &[Op], kind: &Kind) -> Reduced {
    let mut j = Judge {
        kind: kind.clone(),
        attempts: 0,
        leaked: 0,
        start: Instant::now(),
    };
    let reproduced = j.test(trace) == Some(true);
    let mut ops = trace.to_vec();
    if reproduced {
        ops = ddmin(ops, &mut |c| j.test(c));
        'ops: for k in 0..ops.len() {
            let mut e = 0;
            loop {
                let mut cand = ops.clone();
                let entries = match &mut cand[k] {
                    Op::Submit { push, .. } if e < push.len() && push.len() > 1 => {
                        push.remove(e);
                        true
                    }
                    Op::Fork { sqes } if e < sqes.len() && sqes.len() > 1 => {
                        sqes.remove(e);
                        true
                    }
                    _ => false,
                };
                if !entries {
                    break;
                }
                match j.test(&cand) {
                    None => break 'ops,
                    Some(true) => ops = cand,
                    Some(false) => e += 1,
                }
            }
        }
    }
    Reduced {
        ops,
        reproduced,
        attempts: j.attempts,
        leaked: j.leaked,
        took: j.start.elapsed(),
    }
}

/// After a failure of the long fuzz from `seed`: reduces its epoch's trace
/// and prints the trace file between marker lines.
pub(crate) fn report(seed: u64, f: &Failure) {
    println!(
        "# fuzz: reducing the failing epoch (operations {} to {}, {} ops) with ddmin, in forked children",
        f.ops.0,
        f.ops.1,
        f.trace.len()
    );
    let r = reduce(&f.trace, &f.kind);
    let how = if r.reproduced {
        format!(
            "reduced by ddmin from {} to {} ops in {} attempts, {:.0} s",
            f.trace.len(),
            r.ops.len(),
            r.attempts,
            r.took.as_secs_f64()
        )
    } else {
        format!(
            "not reduced: the epoch's {} ops did not give the failure again in a child (timing?)",
            f.trace.len()
        )
    };
    println!("# fuzz: {how}");
    if r.leaked > 0 {
        println!(
            "# fuzz: the reducer's reproducing attempts left {} ring(s) open for good (the module cannot be unloaded)",
            r.leaked
        );
    }
    let file = TraceFile {
        description: format!(
            "make fuzz seed {seed}, operations {} to {}: {how}",
            f.ops.0, f.ops.1
        ),
        seed,
        failure: f.msg.clone(),
        io_uring: true,
        ops: r.ops,
    };
    let comment = [format!(
        "io_uring_rs_scenarios fuzz {seed}: {}",
        match f.kind {
            Kind::Leak => "a ring left open after its epoch".to_string(),
            Kind::Check(ref k) => k.clone(),
        }
    )];
    println!("{BEGIN}");
    print!("{}", file.to_toml(&comment));
    println!("{END}");
}

/// One replay of `t` on `sys`, judged: every check holds and, on the
/// module, no ring of the child is left open.
fn judge(t: &TraceFile, sys: Sys) -> Result<(), String> {
    match sys {
        Sys::Module => {
            let before = open_rings()?;
            let verdict = replay_in_child(sys, &t.ops);
            let left = left_open(before, LEAK_WAIT)?;
            verdict?;
            match left {
                0 => Ok(()),
                n => Err(format!(
                    "leak: {n} ring(s) still open {LEAK_WAIT:?} after the replay exited"
                )),
            }
        }
        Sys::Uring => replay_in_child(sys, &t.ops),
    }
}

/// `fuzz-replay PATH...`: replays every trace file on the module and,
/// unless the file says `io_uring = false`, on the kernel's io_uring; one
/// KTAP case for each.
pub(crate) fn cmd_fuzz_replay(paths: &[String]) -> i32 {
    println!("KTAP version 1");
    if let Err(e) = module::probe() {
        println!("1..0 # SKIP {}: {e}", module::DEVICE);
        return 4;
    }
    let files = match crate::toml_files(paths, |_| true) {
        Ok(f) => f,
        Err(e) => {
            println!("Bail out! {e}");
            return 1;
        }
    };
    let mut cases = Vec::new();
    for f in &files {
        let name = f
            .file_stem()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        let t = std::fs::read_to_string(f)
            .map_err(|e| e.to_string())
            .and_then(|s| TraceFile::parse(&s));
        match t {
            Ok(t) => {
                for sys in [Sys::Module, Sys::Uring] {
                    if sys == Sys::Module || t.io_uring {
                        cases.push((format!("{name}.{}", sys.name()), Ok((t.clone(), sys))));
                    }
                }
            }
            Err(e) => cases.push((name, Err(format!("bad trace file: {e}")))),
        }
    }
    println!("1..{}", cases.len());
    let (mut passed, mut failed) = (0, 0);
    for (i, (name, case)) in cases.into_iter().enumerate() {
        let verdict = case.and_then(|(t, sys)| {
            println!("# {name}: {} ({} ops)", t.description, t.ops.len());
            judge(&t, sys)
        });
        crate::ktap_case(i + 1, &name, verdict, &mut passed, &mut failed);
    }
    println!("# Totals: pass:{passed} fail:{failed} xfail:0 xpass:0 skip:0 error:0");
    i32::from(failed != 0)
}
