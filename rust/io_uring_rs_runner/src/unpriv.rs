// SPDX-License-Identifier: GPL-2.0

//! `io_uring_rs_scenarios as-user UID GID SUBCOMMAND ARGS...`: runs one of
//! the runner's subcommands (`run`, `abi`, `stress`, ...) as an
//! unprivileged user, on both backends as always.
//!
//! The runner is started as root; it drops every privilege for good, in
//! the process (`setgroups(0)`, `setgid()`, `setuid()`: the real, effective
//! and saved IDs, and with them every capability), checks that they are
//! gone (the IDs read back, no supplementary group, no capability left,
//! `setuid(0)` and `setgid(0)` refused) and only then dispatches to the
//! subcommand, through the same function `main()` uses. A case that
//! passes as root and fails here is one where io_uring_rs and io_uring
//! treat an unprivileged caller differently, or where only one of them
//! does what the caller may not.
//!
//! `as-user --settled`, as root after such runs, waits for the module's
//! ring accounting (`IO_URING_RS_IOC_STATS`) to settle: no ring left, no
//! ring exit pending, no exit slow enough to warn since the module was
//! loaded.

use crate::stress;
use crate::uapi::IoUringRsStats;

/// The subcommand's usage.
pub(crate) const USAGE: &str = "as-user UID GID SUBCOMMAND [ARGS...] | as-user --settled";

/// `what` failed with `errno`.
fn os_err(what: &str) -> String {
    format!("{what}: {}", std::io::Error::last_os_error())
}

/// Parses a user or group ID; 0 (root) is refused: it would drop nothing.
fn parse_id(what: &str, s: &str) -> Result<u32, String> {
    match s.parse::<u32>() {
        Ok(0) => Err(format!("{what} 0 is root, not an unprivileged {what}")),
        // `(uid_t)-1` means "unchanged" to the set*id() calls.
        Ok(u32::MAX) | Err(_) => Err(format!("bad {what} {s:?}")),
        Ok(id) => Ok(id),
    }
}

/// The capability sets in `/proc/self/status` that are not empty.
fn capabilities_left() -> Result<Vec<String>, String> {
    let status = std::fs::read_to_string("/proc/self/status")
        .map_err(|e| format!("/proc/self/status: {e}"))?;
    Ok(status
        .lines()
        .filter(|l| {
            ["CapInh:", "CapPrm:", "CapEff:", "CapAmb:"]
                .iter()
                .any(|c| l.starts_with(c))
        })
        .filter(|l| {
            l.split_whitespace()
                .nth(1)
                .is_some_and(|v| v.bytes().any(|b| b != b'0'))
        })
        .map(str::to_string)
        .collect())
}

/// Drops every privilege for good: the supplementary groups, then the
/// group IDs, then the user IDs (real, effective and saved: `setuid()` as
/// root sets all three, and clears the permitted and effective
/// capabilities). Then checks that nothing is left and that root cannot be
/// had back.
///
/// A set*id() call clears the process's dumpable flag, which makes its own
/// `/proc/self` entries root's; a process the user started would have it
/// set, as would anything the runner execs. The runner sets it back, so
/// that it sees `/proc` as the user's own process does.
pub(crate) fn drop_privileges(uid: u32, gid: u32) -> Result<(), String> {
    // SAFETY: An empty list: `setgroups()` reads no memory for size 0.
    if unsafe { libc::setgroups(0, std::ptr::null()) } != 0 {
        return Err(os_err("setgroups(0)"));
    }
    // SAFETY: `setgid()` takes no pointer.
    if unsafe { libc::setgid(gid) } != 0 {
        return Err(os_err(&format!("setgid({gid})")));
    }
    // SAFETY: `setuid()` takes no pointer.
    if unsafe { libc::setuid(uid) } != 0 {
        return Err(os_err(&format!("setuid({uid})")));
    }
    let (mut r, mut e, mut s) = (0, 0, 0);
    // SAFETY: Three valid, writable `uid_t`s.
    if unsafe { libc::getresuid(&mut r, &mut e, &mut s) } != 0 {
        return Err(os_err("getresuid()"));
    }
    // SAFETY: `geteuid()` has no precondition.
    let euid = unsafe { libc::geteuid() };
    if euid != uid || [r, e, s] != [uid; 3] {
        return Err(format!(
            "user IDs are {r}/{e}/{s} (geteuid() {euid}), not {uid}"
        ));
    }
    let (mut rg, mut eg, mut sg) = (0, 0, 0);
    // SAFETY: Three valid, writable `gid_t`s.
    if unsafe { libc::getresgid(&mut rg, &mut eg, &mut sg) } != 0 {
        return Err(os_err("getresgid()"));
    }
    if [rg, eg, sg] != [gid; 3] {
        return Err(format!("group IDs are {rg}/{eg}/{sg}, not {gid}"));
    }
    // SAFETY: Size 0 only counts the groups; no memory is written.
    let groups = unsafe { libc::getgroups(0, std::ptr::null_mut()) };
    if groups != 0 {
        return Err(format!("{groups} supplementary group(s) left"));
    }
    let caps = capabilities_left()?;
    if !caps.is_empty() {
        return Err(format!("capabilities left: {}", caps.join(", ")));
    }
    // SAFETY: `setuid()` takes no pointer.
    if unsafe { libc::setuid(0) } == 0 {
        return Err("setuid(0) succeeded after the drop".into());
    }
    let err = std::io::Error::last_os_error();
    if err.raw_os_error() != Some(libc::EPERM) {
        return Err(format!("setuid(0) failed with {err}, not EPERM"));
    }
    // SAFETY: `setgid()` takes no pointer.
    if unsafe { libc::setgid(0) } == 0 {
        return Err("setgid(0) succeeded after the drop".into());
    }
    // SAFETY: `PR_SET_DUMPABLE` takes an integer argument, no pointer.
    if unsafe { libc::prctl(libc::PR_SET_DUMPABLE, 1, 0, 0, 0) } != 0 {
        return Err(os_err("prctl(PR_SET_DUMPABLE)"));
    }
    Ok(())
}

/// Waits for the module's ring accounting to settle ([`stress::settle`]
/// from a zero baseline: any slow exit since the load fails it) and
/// reports it.
fn cmd_settled() -> i32 {
    match stress::settle(&IoUringRsStats::default()) {
        Ok(s) => {
            println!(
                "# ring accounting settled: no ring left, none exiting; {} ring exits since the load, none slow, the longest {} ms; waited {} ms",
                s.exits,
                s.max_exit_ms,
                s.waited.as_millis()
            );
            0
        }
        Err(e) => {
            println!("# ring accounting: {e}");
            1
        }
    }
}

/// `as-user UID GID SUBCOMMAND [ARGS...]` (`args` starts after `as-user`):
/// drops privileges, then runs the subcommand with `dispatch`, `main()`'s
/// own dispatcher; its exit status. `as-user --settled`: see the module
/// documentation. Exit status 2 on bad arguments, 1 if the drop failed.
pub(crate) fn cmd_as_user(args: &[String], dispatch: fn(&[String]) -> i32) -> i32 {
    if let [only] = args {
        if only == "--settled" {
            return cmd_settled();
        }
    }
    let [uid, gid, sub, ..] = args else {
        eprintln!("usage: io_uring_rs_scenarios {USAGE}");
        return 2;
    };
    let ids = parse_id("user", uid).and_then(|u| Ok((u, parse_id("group", gid)?)));
    let (uid, gid) = match ids {
        Ok(ids) => ids,
        Err(e) => {
            eprintln!("as-user: {e}");
            return 2;
        }
    };
    if sub == "as-user" {
        eprintln!("as-user: nested as-user");
        return 2;
    }
    if let Err(e) = drop_privileges(uid, gid) {
        // What the subcommand would print: the script shows it as a case.
        println!("Bail out! as-user {uid} {gid}: {e}");
        return 1;
    }
    dispatch(&args[2..])
}
