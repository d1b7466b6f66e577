// SPDX-License-Identifier: GPL-2.0

//! Host tests of the scenario format and of the verdicts: `res_6_12` on
//! each kernel, the validation, and every scenario file in
//! `selftests/scenarios/`.

use super::{check, compare, Cqes};
use crate::abi::Sys;
use crate::scenario::{parse_res, res_name, Kernel, Scenario};
use libc::{ECANCELED, ENOENT, ETIME};
use std::path::PathBuf;

/// A scenario with one entry that differs on 6.12 (1) and one that does
/// not (2).
const DIFFERS: &str = r#"
description = "test"

[[step]]
submit = [{ op = "nop", user_data = 1 }, { op = "nop", user_data = 2 }]

[[expect]]
user_data = 1
res = ["-ETIME"]
res_6_12 = ["-ECANCELED"]

[[expect]]
user_data = 2
res = ["-ENOENT"]
"#;

fn parse(text: &str) -> Scenario {
    Scenario::parse(text).unwrap_or_else(|e| panic!("{e}"))
}

fn cqes(one: i32, two: i32) -> Cqes {
    vec![(1, one), (2, two)]
}

#[test]
fn res_6_12_holds_only_io_uring_on_6_12() {
    let sc = parse(DIFFERS);
    let k = Kernel::V6_12;
    let old = cqes(-ECANCELED, -ENOENT);
    let new = cqes(-ETIME, -ENOENT);
    // io_uring gives 6.12's answer, and only it.
    check(&sc, k, Sys::Uring, &old).unwrap();
    let e = check(&sc, k, Sys::Uring, &new).unwrap_err();
    assert!(e.contains("expected -ECANCELED (res_6_12)"), "{e}");
    // The module is still held to `res`.
    check(&sc, k, Sys::Module, &new).unwrap();
    let e = check(&sc, k, Sys::Module, &old).unwrap_err();
    assert!(e.contains("1 gave -ECANCELED, expected -ETIME"), "{e}");
    // The entry is not compared; the other one still is.
    compare(&sc, k, &old, &new).unwrap();
    let e = compare(&sc, k, &old, &cqes(-ETIME, 0)).unwrap_err();
    assert!(e.contains("backends disagree on 2"), "{e}");
}

#[test]
fn res_6_12_ignored_upstream() {
    let sc = parse(DIFFERS);
    let k = Kernel::Upstream;
    let old = cqes(-ECANCELED, -ENOENT);
    let new = cqes(-ETIME, -ENOENT);
    for side in [Sys::Uring, Sys::Module] {
        check(&sc, k, side, &new).unwrap();
        let e = check(&sc, k, side, &old).unwrap_err();
        assert!(e.contains("1 gave -ECANCELED, expected -ETIME"), "{e}");
    }
    // Both must agree on every entry.
    compare(&sc, k, &new, &new).unwrap();
    let e = compare(&sc, k, &old, &new).unwrap_err();
    assert!(e.contains("backends disagree on 1"), "{e}");
}

/// `DIFFERS` with its first entry's `res_6_12` line replaced.
fn with_res_6_12(line: &str) -> Result<Scenario, String> {
    Scenario::parse(&DIFFERS.replace(r#"res_6_12 = ["-ECANCELED"]"#, line))
}

#[test]
fn res_6_12_validated() {
    let err = |line: &str, want: &str| {
        let e = with_res_6_12(line).map(|_| ()).unwrap_err();
        assert!(e.contains(want), "{line}: {e}");
    };
    err("res_6_12 = []", "res_6_12 gives no result");
    err("res_6_12 = [0]\nmay_differ = true", "exclude each other");
    err(r#"res_6_12 = ["-ETIME"]"#, "res_6_12 repeats res");
    err(r#"res_6_12 = ["-ENOPE"]"#, "unknown errno");
    err("res_6_12 = 0", "invalid type");
    // Without a result: an absent entry has none to differ from.
    let absent = DIFFERS.replace(
        "res = [\"-ETIME\"]\nres_6_12 = [\"-ECANCELED\"]",
        "absent = true\nres_6_12 = [\"-ECANCELED\"]",
    );
    let e = Scenario::parse(&absent).map(|_| ()).unwrap_err();
    assert!(e.contains("res_6_12 needs res"), "{e}");
    // Alternatives for 6.12 are allowed, as in `res`.
    with_res_6_12(r#"res_6_12 = ["-ECANCELED", 0]"#).unwrap();
}

#[test]
fn kernel_from_release() {
    for (release, want) in [
        ("6.12.117", Kernel::V6_12),
        ("6.12.0-rc1", Kernel::V6_12),
        ("6.12.117-amd64", Kernel::V6_12),
        ("6.13", Kernel::Upstream),
        ("7.2.13", Kernel::Upstream),
        ("7.2.0-rc3+", Kernel::Upstream),
        ("10.0.1", Kernel::Upstream),
    ] {
        assert_eq!(Kernel::from_release(release), Ok(want), "{release}");
    }
    for release in ["6.1.0", "5.15.0", "6", "", "x.y", "6.x"] {
        assert!(Kernel::from_release(release).is_err(), "{release}");
    }
}

/// `uname(2)` gives a release that reads as MAJOR.MINOR (whether the
/// scenarios know it depends on the machine).
#[test]
fn uname_release_reads() {
    let release = crate::scenario::uname_release().unwrap();
    let numbers: Vec<&str> = release.splitn(3, '.').take(2).collect();
    assert!(
        numbers.len() == 2 && numbers[0].parse::<u32>().is_ok(),
        "{release}"
    );
}

/// Every file in `selftests/scenarios/`, parsed.
fn scenario_files() -> Vec<(String, Scenario)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../selftests/scenarios");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    assert!(files.len() > 40, "only {} scenarios", files.len());
    files
        .iter()
        .map(|f| {
            let name = f.file_name().unwrap().to_string_lossy().into_owned();
            let text = std::fs::read_to_string(f).unwrap();
            let sc = Scenario::parse(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
            (name, sc)
        })
        .collect()
}

/// Results as `-ENOENT or 0`.
fn show(res: &[toml::Value]) -> String {
    let names: Vec<String> = res
        .iter()
        .map(|v| res_name(parse_res(v).unwrap()))
        .collect();
    names.join(" or ")
}

/// On upstream every entry that completes names exactly one answer, the
/// same for both backends; on 6.12 io_uring's (`res_6_12` or `res`) is one
/// answer too.
#[test]
fn every_scenario_has_one_answer() {
    let mut bad = Vec::new();
    for (name, sc) in scenario_files() {
        for e in sc.expects.iter().filter(|e| !e.absent) {
            let upstream = [Sys::Uring, Sys::Module].map(|side| e.accepted(Kernel::Upstream, side));
            if upstream.iter().any(|r| r.len() != 1) || upstream[0] != upstream[1] {
                bad.push(format!(
                    "{name}: {} accepts {} on upstream",
                    e.user_data,
                    show(upstream[0])
                ));
            }
            let old = e.accepted(Kernel::V6_12, Sys::Uring);
            if old.len() != 1 {
                bad.push(format!(
                    "{name}: {} accepts {} from io_uring on 6.12",
                    e.user_data,
                    show(old)
                ));
            }
        }
    }
    assert!(bad.is_empty(), "\n{}", bad.join("\n"));
}
