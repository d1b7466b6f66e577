// SPDX-License-Identifier: GPL-2.0

//! Host tests of the fuzz traces: the file format read back as written,
//! the reducer's ddmin, the failure kinds, and every trace file in
//! `selftests/scenarios/fuzz/`.

use crate::fuzz::{Fd, Kind, Mmap, Op, Ptr, Push, Sqe};
use crate::trace::{ddmin, replay_kind, TraceFile};
use std::path::PathBuf;

fn sqe(user_data: u64) -> Sqe {
    Sqe {
        opcode: 6,
        flags: 0x25,
        fd: Fd::Ring,
        addr: Ptr::Null,
        len: 3,
        user_data,
        ioprio: 0,
        op_flags: 0,
        off: 0,
        buf_index: 0,
    }
}

/// One op of every kind, with every kind of pointer and descriptor and the
/// largest values.
fn every_op() -> Vec<Op> {
    let mut full = sqe(u64::from(u32::MAX) << 8);
    full.fd = Fd::PipeW(1);
    full.addr = Ptr::Kernel(0xffff_8abc_def0_1234);
    full.ioprio = u16::MAX;
    full.op_flags = u32::MAX;
    full.off = u64::MAX;
    full.buf_index = 7;
    let mut on_pipe = sqe(2);
    on_pipe.fd = Fd::PipeR(0);
    on_pipe.addr = Ptr::Scratch(4242);
    let mut timeout = sqe(3);
    timeout.fd = Fd::None;
    timeout.addr = Ptr::Timespec;
    let mut bad = sqe(4);
    bad.fd = Fd::Bad;
    bad.addr = Ptr::Raw(0x4c4b3f);
    vec![
        Op::Submit {
            push: vec![Push::Sqe(full), Push::Index(107), Push::Sqe(on_pipe)],
            to_submit: 9,
        },
        Op::Enter {
            to_submit: 3,
            min: 1,
            flags: 0x7e,
            arg: Ptr::Raw(0xf_ffff),
            argsz: 63,
        },
        Op::Wait { min: 4 },
        Op::Register {
            opcode: 8,
            arg: Ptr::Room,
            nr_args: 299,
        },
        Op::Ioctl {
            cmd: u32::MAX,
            arg: Ptr::Kernel(0xffff_8000_0000_0001),
        },
        Op::Setup {
            entries: u32::MAX,
            flags: 0x8000_0001,
            cq_entries: 1 << 17,
            resv: [0, u32::MAX, 3],
            mmaps: vec![
                Mmap {
                    off: 0x1000_0000,
                    pages: 64,
                },
                Mmap {
                    off: 0xffff_f000,
                    pages: 1,
                },
            ],
        },
        Op::Fork {
            sqes: vec![timeout, bad],
        },
        Op::Write,
        Op::Close,
        Op::Finish,
    ]
}

#[test]
fn trace_file_reads_back_as_written() {
    let t = TraceFile {
        description: "a \"quoted\" \\ description".into(),
        seed: u64::MAX,
        failure: "seed 0x1 iter 5: enter: unexpected error -2".into(),
        io_uring: false,
        ops: every_op(),
    };
    let text = t.to_toml(&["a comment".into()]);
    assert!(text.starts_with("# a comment\n"), "{text}");
    let back = TraceFile::parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(back, t);
}

#[test]
fn trace_file_refuses_what_it_does_not_know() {
    let head = "kind = \"fuzz-trace\"\ndescription = \"d\"\nseed = \"1\"\nfailure = \"f\"\n";
    assert!(TraceFile::parse(head).is_ok());
    for bad in [
        "[[op]]\nop = \"nap\"\n",
        "[[op]]\nop = \"wait\"\nmin = 1\nmax = 2\n",
        "[[op]]\nop = \"ioctl\"\ncmd = 1\narg = \"kernal:0x1\"\n",
        "[[op]]\nop = \"fork\"\nsqes = [{ opcode = 0, flags = 0, fd = \"pipe_r:2\", addr = \"null\", len = 0, user_data = 1 }]\n",
        "[[op]]\nop = \"submit\"\nto_submit = 1\npush = [{ index = 1, user_data = 2 }]\n",
    ] {
        let text = format!("{head}{bad}");
        assert!(TraceFile::parse(&text).is_err(), "accepted:\n{text}");
    }
    let other = head.replace("fuzz-trace", "scenario");
    assert!(TraceFile::parse(&other).is_err());
}

#[test]
fn ddmin_finds_the_two_that_matter() {
    let items: Vec<u32> = (0..100).collect();
    let mut tests = 0;
    let mut test = |c: &[u32]| {
        tests += 1;
        Some(c.contains(&17) && c.contains(&82))
    };
    assert_eq!(ddmin(items, &mut test), vec![17, 82]);
    assert!(tests < 100, "{tests} tests");
}

#[test]
fn ddmin_stops_when_the_budget_is_spent() {
    let items: Vec<u32> = (0..64).collect();
    let mut left = 3;
    let mut test = |c: &[u32]| {
        if left == 0 {
            return None;
        }
        left -= 1;
        Some(c.contains(&5))
    };
    let out = ddmin(items, &mut test);
    assert!(
        out.contains(&5) && out.len() > 1 && out.len() < 64,
        "{out:?}"
    );
}

#[test]
fn failure_kinds_ignore_numbers_only() {
    let a = Kind::of("completion for 0x1a (-125) not owed: unknown, or completed twice");
    let b = Kind::of("completion for 0x7 (-22) not owed: unknown, or completed twice");
    assert_eq!(a, b);
    assert_ne!(a, Kind::of("the SQ head moved by 3 with 2 queued"));
    assert_eq!(
        Kind::of("enter: unexpected error -95"),
        Kind::Check("enter: unexpected error -N".into())
    );
    assert_ne!(Kind::of("a"), Kind::Leak);
    // A replay's failure names its op; the fuzz's, its seed and operation
    // (taken off before the kind is made).
    assert_eq!(
        replay_kind("op 3: enter: unexpected error -95"),
        Kind::of("enter: unexpected error -22")
    );
}

/// Every file in `selftests/scenarios/fuzz/`, parsed.
#[test]
fn every_trace_file_parses() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../selftests/scenarios/fuzz");
    let mut n = 0;
    for e in std::fs::read_dir(&dir).unwrap() {
        let f = e.unwrap().path();
        if f.extension().is_some_and(|x| x == "toml") {
            let text = std::fs::read_to_string(&f).unwrap();
            let t = TraceFile::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
            assert!(!t.ops.is_empty(), "{}: no ops", f.display());
            n += 1;
        }
    }
    assert!(n > 0, "no trace files in {}", dir.display());
}
