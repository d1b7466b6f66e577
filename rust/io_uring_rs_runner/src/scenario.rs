// SPDX-License-Identifier: GPL-2.0

//! The scenario format (TOML): steps, and the completions they must give.
//!
//! ```toml
//! description = "S8: the linked timeout fires before its target"
//! source = "liburing test/link-timeout.c: test_timeout_link_chain2"
//!
//! [[step]]
//! submit = [
//!     { op = "read", chan = "p", len = 8, user_data = 1, flags = ["link"] },
//!     { op = "link_timeout", ms = 10, user_data = 2 },
//! ]
//!
//! [[step]]
//! wait = 2                  # until this many completions arrived in all
//!
//! [[expect]]
//! user_data = 1
//! res = ["-ECANCELED"]      # what both backends must give
//! ```
//!
//! Steps: `submit` (entries), `wait` (completions so far), `write` (bytes
//! into a channel from outside the ring, as `write(2)` to a pipe),
//! `sleep_ms`, `cancel_task` (`"inflight"` as on task exit, `"all"` as on
//! exec), `close` (ring exit: nothing more is observable).
//!
//! Expectations: each `user_data` completes once with one of `res`
//! (`absent = true`: never), and `in_order` lists `user_data`s whose
//! completions must arrive in that order. Both backends must satisfy them
//! and agree with each other.
//!
//! `res` is upstream's answer: what Linux 6.13 and later (7.2 is tested)
//! give, and what io_uring_rs gives on every kernel. Where Linux 6.12
//! answers differently, `res_6_12` says what 6.12's io_uring gives:
//!
//! ```toml
//! [[expect]]
//! user_data = 2
//! res = ["-ENOENT"]         # upstream, and io_uring_rs
//! res_6_12 = [0]            # io_uring on 6.12
//! ```
//!
//! On a 6.12 kernel such an entry holds io_uring to `res_6_12` and
//! io_uring_rs to `res`, and the two are not compared on it; on any other
//! kernel `res_6_12` is ignored: both must give `res` and agree. The
//! runner takes the kernel from `uname(2)`'s release (`6.12.117` is 6.12;
//! 6.13 and later are upstream; older kernels are refused), or from
//! `IO_URING_RS_KERNEL` (a release string, e.g. `IO_URING_RS_KERNEL=7.2.13`)
//! if set. `res_6_12` needs at least one result and an entry that has
//! `res` (not `absent`), and may not repeat `res`.
//!
//! `may_differ = true` takes an entry out of the comparison on every
//! kernel: for a race that can really go either way on each backend, with
//! every answer in `res` (the description says which race). No scenario
//! uses it today. It is refused together with `res_6_12`, the strict rule:
//! `res_6_12` says 6.12 gives a fixed answer other than upstream's, on
//! which upstream's io_uring and io_uring_rs must agree; `may_differ` says
//! there is no fixed answer at all. Both at once would leave it open
//! whether `res_6_12` is 6.12's answer or the alternatives of a race, and
//! would drop the entry from the upstream comparison that `res_6_12`
//! relies on. A race on top of a kernel difference is written as
//! `may_differ` with every answer in `res`.

use crate::abi::Sys;
use serde::Deserialize;

/// A scenario file.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct Scenario {
    /// What it shows, with its S-table row.
    pub(crate) description: String,
    /// Where it comes from (a liburing test), if anywhere.
    #[serde(default)]
    pub(crate) source: Option<String>,
    /// Channels that stand for an io_uring file descriptor
    /// (`REQ_F_INFLIGHT`).
    #[serde(default)]
    pub(crate) inflight_channels: Vec<String>,
    /// The steps, in order.
    #[serde(rename = "step")]
    pub(crate) steps: Vec<Step>,
    /// The completions.
    #[serde(rename = "expect", default)]
    pub(crate) expects: Vec<Expect>,
    /// `user_data`s whose completions must arrive in this order.
    #[serde(default)]
    pub(crate) in_order: Vec<u64>,
}

/// One step.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct Step {
    #[serde(default)]
    pub(crate) submit: Vec<Entry>,
    #[serde(default)]
    pub(crate) wait: Option<usize>,
    #[serde(default)]
    pub(crate) write: Option<Write>,
    #[serde(default)]
    pub(crate) sleep_ms: Option<u64>,
    #[serde(default)]
    pub(crate) cancel_task: Option<String>,
    #[serde(default)]
    pub(crate) close: Option<bool>,
}

/// A channel write from outside the ring.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct Write {
    pub(crate) chan: String,
    pub(crate) len: u32,
}

/// A submission entry.
#[derive(Deserialize, Debug, Clone, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct Entry {
    /// `nop`, `read`, `write`, `poll`, `timeout`, `link_timeout`,
    /// `timeout_remove`, `timeout_update`, `link_timeout_update`, `cancel`,
    /// or `raw` (an opcode number, to test rejection).
    pub(crate) op: String,
    pub(crate) user_data: u64,
    /// `link`, `hardlink`, `async`, `drain`, `skip_success`.
    #[serde(default)]
    pub(crate) flags: Vec<String>,
    /// READ, WRITE, POLL: the channel.
    #[serde(default)]
    pub(crate) chan: Option<String>,
    /// READ, WRITE: bytes.
    #[serde(default)]
    pub(crate) len: Option<u32>,
    /// Timeouts: milliseconds.
    #[serde(default)]
    pub(crate) ms: Option<u64>,
    /// TIMEOUT: completion count.
    #[serde(default)]
    pub(crate) count: Option<u32>,
    /// TIMEOUT: `etime_success`.
    #[serde(default)]
    pub(crate) timeout_flags: Vec<String>,
    /// Cancel, remove, update: the target's `user_data`.
    #[serde(default)]
    pub(crate) target: Option<u64>,
    /// Cancel: `all`, `any`, `userdata`.
    #[serde(default)]
    pub(crate) cancel_flags: Vec<String>,
    /// `raw`: the opcode.
    #[serde(default)]
    pub(crate) opcode: Option<u8>,
    /// Any op: a non-zero `ioprio` (rejected, as in real io_uring).
    #[serde(default)]
    pub(crate) ioprio: Option<u16>,
}

/// An expected completion.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct Expect {
    pub(crate) user_data: u64,
    /// Accepted results (numbers or errno names, `"-ECANCELED"`):
    /// upstream's, and io_uring_rs's on every kernel.
    #[serde(default)]
    pub(crate) res: Vec<toml::Value>,
    /// What io_uring on Linux 6.12 gives instead of `res`; ignored on any
    /// other kernel.
    #[serde(default)]
    pub(crate) res_6_12: Option<Vec<toml::Value>>,
    /// No completion at all.
    #[serde(default)]
    pub(crate) absent: bool,
    /// The two backends may pick different alternatives (a race).
    #[serde(default)]
    pub(crate) may_differ: bool,
}

/// The kernel the scenarios run on, as far as they care.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Kernel {
    /// Linux 6.12: io_uring answers `res_6_12` where an entry gives one.
    V6_12,
    /// Linux 6.13 or later (7.2 is tested): `res` for both backends.
    Upstream,
}

/// The environment variable that overrides `uname(2)`'s release.
pub(crate) const KERNEL_ENV: &str = "IO_URING_RS_KERNEL";

impl Kernel {
    /// The kernel of a release string as `uname -r` prints it: `6.12.117`
    /// and `6.12.0-rc1` are 6.12, `6.13` and `7.2.13` are upstream; older
    /// releases and anything unreadable are refused (the scenarios hold
    /// no expectations for them).
    pub(crate) fn from_release(release: &str) -> Result<Kernel, String> {
        let mut parts = release.splitn(3, '.');
        let number = |p: Option<&str>| {
            let p = p.unwrap_or("");
            let end = p.find(|c: char| !c.is_ascii_digit()).unwrap_or(p.len());
            p[..end].parse::<u32>().ok()
        };
        let (Some(major), Some(minor)) = (number(parts.next()), number(parts.next())) else {
            return Err(format!("kernel release {release:?} is not MAJOR.MINOR..."));
        };
        match (major, minor) {
            (6, 12) => Ok(Kernel::V6_12),
            (m, n) if (m, n) > (6, 12) => Ok(Kernel::Upstream),
            _ => Err(format!(
                "kernel release {release:?}: scenarios know Linux 6.12 and 6.13 or later"
            )),
        }
    }

    /// The running kernel: `IO_URING_RS_KERNEL` if set, else `uname(2)`'s
    /// release. Returns the release string read too.
    pub(crate) fn running() -> Result<(Kernel, String), String> {
        let release = match std::env::var(KERNEL_ENV) {
            Ok(r) => r,
            Err(_) => uname_release()?,
        };
        Ok((Kernel::from_release(&release)?, release))
    }

    /// For reports.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Kernel::V6_12 => "6.12",
            Kernel::Upstream => "upstream (6.13 or later)",
        }
    }
}

/// `uname(2)`'s `release`.
pub(crate) fn uname_release() -> Result<String, String> {
    // SAFETY: `utsname` is plain data; all zeroes is a valid value.
    let mut u: libc::utsname = unsafe { std::mem::zeroed() };
    // SAFETY: `u` is a valid, writable `utsname`.
    if unsafe { libc::uname(&mut u) } != 0 {
        return Err(format!("uname: {}", std::io::Error::last_os_error()));
    }
    // SAFETY: the kernel wrote a NUL-terminated string into `release`,
    // which `u` owns.
    let release = unsafe { std::ffi::CStr::from_ptr(u.release.as_ptr()) };
    Ok(release.to_string_lossy().into_owned())
}

impl Expect {
    /// Whether `side` is held to `res_6_12` on `kernel`: io_uring on 6.12,
    /// if the entry has one.
    pub(crate) fn held_to_6_12(&self, kernel: Kernel, side: Sys) -> bool {
        self.res_6_12.is_some() && kernel == Kernel::V6_12 && side == Sys::Uring
    }

    /// The results `side` must give on `kernel`: `res_6_12` if it is held
    /// to it, `res` otherwise.
    pub(crate) fn accepted(&self, kernel: Kernel, side: Sys) -> &[toml::Value] {
        match &self.res_6_12 {
            Some(r) if self.held_to_6_12(kernel, side) => r,
            _ => &self.res,
        }
    }

    /// Whether the two backends must give the same result for this entry
    /// on `kernel`.
    pub(crate) fn compared(&self, kernel: Kernel) -> bool {
        let differs_here = kernel == Kernel::V6_12 && self.res_6_12.is_some();
        !(self.absent || self.may_differ || differs_here)
    }
}

/// Parses an errno name or number.
pub(crate) fn parse_res(v: &toml::Value) -> Result<i32, String> {
    match v {
        toml::Value::Integer(n) => {
            i32::try_from(*n).map_err(|_| format!("result {n} out of range"))
        }
        toml::Value::String(s) => {
            let (neg, name) = match s.strip_prefix('-') {
                Some(n) => (true, n),
                None => (false, s.as_str()),
            };
            let n = errno(name).ok_or_else(|| format!("unknown errno {s}"))?;
            Ok(if neg { -n } else { n })
        }
        other => Err(format!(
            "result {other} is neither a number nor an errno name"
        )),
    }
}

/// The errno values scenarios name.
pub(crate) fn errno(name: &str) -> Option<i32> {
    Some(match name {
        "ENOENT" => libc::ENOENT,
        "EINTR" => libc::EINTR,
        "EBADF" => libc::EBADF,
        "EAGAIN" => libc::EAGAIN,
        "EINVAL" => libc::EINVAL,
        "ETIME" => libc::ETIME,
        "EALREADY" => libc::EALREADY,
        "ECANCELED" => libc::ECANCELED,
        "EOPNOTSUPP" => libc::EOPNOTSUPP,
        "EFAULT" => libc::EFAULT,
        _ => return None,
    })
}

/// The name of an errno value, for reports.
pub(crate) fn res_name(res: i32) -> String {
    for name in [
        "ENOENT",
        "EINTR",
        "EBADF",
        "EAGAIN",
        "EINVAL",
        "ETIME",
        "EALREADY",
        "ECANCELED",
        "EOPNOTSUPP",
        "EFAULT",
    ] {
        if Some(-res) == errno(name) {
            return format!("-{name}");
        }
    }
    res.to_string()
}

impl Scenario {
    /// Parses and checks a scenario.
    pub(crate) fn parse(text: &str) -> Result<Scenario, String> {
        let s: Scenario = toml::from_str(text).map_err(|e| e.to_string())?;
        for e in &s.expects {
            let u = e.user_data;
            if e.absent != e.res.is_empty() {
                return Err(format!("expect {u}: give res or absent, not both"));
            }
            let res = e.res.iter().map(parse_res).collect::<Result<Vec<_>, _>>()?;
            let Some(res_6_12) = &e.res_6_12 else {
                continue;
            };
            if res_6_12.is_empty() {
                return Err(format!("expect {u}: res_6_12 gives no result"));
            }
            if e.absent {
                return Err(format!(
                    "expect {u}: res_6_12 needs res (an absent entry has no result)"
                ));
            }
            if e.may_differ {
                return Err(format!(
                    "expect {u}: res_6_12 and may_differ exclude each other (put a race's answers in res)"
                ));
            }
            let old = res_6_12
                .iter()
                .map(parse_res)
                .collect::<Result<Vec<_>, _>>()?;
            if old.iter().all(|r| res.contains(r)) && res.iter().all(|r| old.contains(r)) {
                return Err(format!("expect {u}: res_6_12 repeats res"));
            }
        }
        Ok(s)
    }

    /// Every channel the scenario names, in order of first use.
    pub(crate) fn channels(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for step in &self.steps {
            let named = step.submit.iter().filter_map(|e| e.chan.as_ref());
            for c in named.chain(step.write.as_ref().map(|w| &w.chan)) {
                if !out.contains(c) {
                    out.push(c.clone());
                }
            }
        }
        out
    }

    /// How many completions the scenario expects.
    pub(crate) fn expected_cqes(&self) -> usize {
        self.expects.iter().filter(|e| !e.absent).count()
    }
}
