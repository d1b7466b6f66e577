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
//! res = ["-ECANCELED"]      # alternatives real io_uring may legally give
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
//! and agree with each other, unless the entry says `may_differ = true`
//! (a race that can go either way on each).

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
    /// Accepted results: numbers or errno names (`"-ECANCELED"`).
    #[serde(default)]
    pub(crate) res: Vec<toml::Value>,
    /// No completion at all.
    #[serde(default)]
    pub(crate) absent: bool,
    /// The two backends may pick different alternatives.
    #[serde(default)]
    pub(crate) may_differ: bool,
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
            if e.absent != e.res.is_empty() {
                return Err(format!(
                    "expect {}: give res or absent, not both",
                    e.user_data
                ));
            }
            for r in &e.res {
                parse_res(r)?;
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
