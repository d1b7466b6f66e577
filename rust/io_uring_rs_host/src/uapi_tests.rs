// SPDX-License-Identifier: GPL-2.0

//! The Rust uapi (`io_uring_rs/uapi.rs`) and the C header
//! (`io_uring_rs/include/uapi/io_uring_rs.h`) describe the same ABI: every
//! size, field offset and ioctl number is compared, as the C compiler sees
//! the header.

use crate::uapi::*;
use core::mem::{offset_of, size_of};
use std::process::Command;

/// (C expression, Rust value) pairs.
fn layout() -> Vec<(&'static str, u64)> {
    macro_rules! size {
        ($c:literal, $t:ty) => {
            (concat!("sizeof(struct ", $c, ")"), size_of::<$t>() as u64)
        };
    }
    macro_rules! off {
        ($c:literal, $t:ty, $($f:ident),*) => {
            vec![$((concat!("offsetof(struct ", $c, ", ", stringify!($f), ")"), offset_of!($t, $f) as u64)),*]
        };
    }
    let mut v = vec![
        size!("io_uring_rs_version", IoUringRsVersion),
        size!("io_uring_rs_stats", IoUringRsStats),
        size!("io_uring_rs_setup", IoUringRsSetup),
        size!("io_uring_rs_enter", IoUringRsEnter),
        size!("io_uring_rs_register", IoUringRsRegister),
        ("IO_URING_RS_IOC_SETUP", u64::from(IO_URING_RS_IOC_SETUP)),
        ("IO_URING_RS_IOC_ENTER", u64::from(IO_URING_RS_IOC_ENTER)),
        (
            "IO_URING_RS_IOC_REGISTER",
            u64::from(IO_URING_RS_IOC_REGISTER),
        ),
        (
            "IO_URING_RS_IOC_VERSION",
            u64::from(IO_URING_RS_IOC_VERSION),
        ),
        ("IO_URING_RS_IOC_STATS", u64::from(IO_URING_RS_IOC_STATS)),
        ("IO_URING_RS_VERSION", u64::from(IO_URING_RS_VERSION)),
        (
            "IO_URING_RS_MAX_ENTRIES",
            u64::from(IO_URING_RS_MAX_ENTRIES),
        ),
        (
            "IO_URING_RS_MAX_CQ_ENTRIES",
            u64::from(IO_URING_RS_MAX_CQ_ENTRIES),
        ),
        (
            "IO_URING_RS_FEAT_LINK_TIMEOUT",
            u64::from(IO_URING_RS_FEAT_LINK_TIMEOUT),
        ),
        ("IO_URING_RS_FEAT_DRAIN", u64::from(IO_URING_RS_FEAT_DRAIN)),
    ];
    v.extend(off!(
        "io_uring_rs_setup",
        IoUringRsSetup,
        entries,
        resv,
        params
    ));
    v.extend(off!(
        "io_uring_rs_enter",
        IoUringRsEnter,
        to_submit,
        min_complete,
        flags,
        resv,
        arg,
        argsz
    ));
    v.extend(off!(
        "io_uring_rs_register",
        IoUringRsRegister,
        opcode,
        nr_args,
        arg
    ));
    v.extend(off!(
        "io_uring_rs_version",
        IoUringRsVersion,
        version,
        features,
        sqe_size,
        cqe_size,
        max_submit,
        max_cqes,
        resv
    ));
    // The ring ABI is io_uring's own: compared with <linux/io_uring.h>.
    let o = |c: &'static str, rust: usize| (c, rust as u64);
    v.extend([
        o("sizeof(struct io_uring_sqe)", size_of::<IoUringSqe>()),
        o(
            "offsetof(struct io_uring_sqe, opcode)",
            offset_of!(IoUringSqe, opcode),
        ),
        o(
            "offsetof(struct io_uring_sqe, flags)",
            offset_of!(IoUringSqe, flags),
        ),
        o(
            "offsetof(struct io_uring_sqe, ioprio)",
            offset_of!(IoUringSqe, ioprio),
        ),
        o(
            "offsetof(struct io_uring_sqe, fd)",
            offset_of!(IoUringSqe, fd),
        ),
        o(
            "offsetof(struct io_uring_sqe, off)",
            offset_of!(IoUringSqe, off),
        ),
        o(
            "offsetof(struct io_uring_sqe, addr2)",
            offset_of!(IoUringSqe, off),
        ),
        o(
            "offsetof(struct io_uring_sqe, addr)",
            offset_of!(IoUringSqe, addr),
        ),
        o(
            "offsetof(struct io_uring_sqe, len)",
            offset_of!(IoUringSqe, len),
        ),
        o(
            "offsetof(struct io_uring_sqe, rw_flags)",
            offset_of!(IoUringSqe, op_flags),
        ),
        o(
            "offsetof(struct io_uring_sqe, poll32_events)",
            offset_of!(IoUringSqe, op_flags),
        ),
        o(
            "offsetof(struct io_uring_sqe, timeout_flags)",
            offset_of!(IoUringSqe, op_flags),
        ),
        o(
            "offsetof(struct io_uring_sqe, user_data)",
            offset_of!(IoUringSqe, user_data),
        ),
        o(
            "offsetof(struct io_uring_sqe, buf_index)",
            offset_of!(IoUringSqe, buf_index),
        ),
        o(
            "offsetof(struct io_uring_sqe, personality)",
            offset_of!(IoUringSqe, personality),
        ),
        o(
            "offsetof(struct io_uring_sqe, splice_fd_in)",
            offset_of!(IoUringSqe, splice_fd_in),
        ),
        o(
            "offsetof(struct io_uring_sqe, addr3)",
            offset_of!(IoUringSqe, addr3),
        ),
        o(
            "offsetof(struct io_uring_sqe, __pad2)",
            offset_of!(IoUringSqe, pad2),
        ),
        o("sizeof(struct io_uring_cqe)", size_of::<IoUringCqe>()),
        o(
            "offsetof(struct io_uring_cqe, res)",
            offset_of!(IoUringCqe, res),
        ),
        o(
            "offsetof(struct io_uring_cqe, flags)",
            offset_of!(IoUringCqe, flags),
        ),
        o("sizeof(struct io_uring_params)", size_of::<IoUringParams>()),
        o(
            "offsetof(struct io_uring_params, features)",
            offset_of!(IoUringParams, features),
        ),
        o(
            "offsetof(struct io_uring_params, resv)",
            offset_of!(IoUringParams, resv),
        ),
        o(
            "offsetof(struct io_uring_params, sq_off)",
            offset_of!(IoUringParams, sq_off),
        ),
        o(
            "offsetof(struct io_uring_params, cq_off)",
            offset_of!(IoUringParams, cq_off),
        ),
        o(
            "sizeof(struct io_sqring_offsets)",
            size_of::<IoSqringOffsets>(),
        ),
        o(
            "offsetof(struct io_sqring_offsets, array)",
            offset_of!(IoSqringOffsets, array),
        ),
        o(
            "sizeof(struct io_cqring_offsets)",
            size_of::<IoCqringOffsets>(),
        ),
        o(
            "offsetof(struct io_cqring_offsets, cqes)",
            offset_of!(IoCqringOffsets, cqes),
        ),
        o(
            "offsetof(struct io_cqring_offsets, flags)",
            offset_of!(IoCqringOffsets, flags),
        ),
        o(
            "sizeof(struct io_uring_getevents_arg)",
            size_of::<IoUringGeteventsArg>(),
        ),
        o(
            "offsetof(struct io_uring_getevents_arg, ts)",
            offset_of!(IoUringGeteventsArg, ts),
        ),
        o("sizeof(struct io_uring_probe)", size_of::<IoUringProbe>()),
        o(
            "sizeof(struct io_uring_probe_op)",
            size_of::<IoUringProbeOp>(),
        ),
        o("IORING_OFF_SQ_RING", IORING_OFF_SQ_RING as usize),
        o("IORING_OFF_CQ_RING", IORING_OFF_CQ_RING as usize),
        o("IORING_OFF_SQES", IORING_OFF_SQES as usize),
        o("IORING_OFF_MMAP_MASK", IORING_OFF_MMAP_MASK as usize),
        o("IORING_SETUP_SUBMIT_ALL", IORING_SETUP_SUBMIT_ALL as usize),
        o("IORING_ENTER_EXT_ARG", IORING_ENTER_EXT_ARG as usize),
        o("IORING_SQ_CQ_OVERFLOW", IORING_SQ_CQ_OVERFLOW as usize),
        o("IORING_FEAT_CQE_SKIP", IORING_FEAT_CQE_SKIP as usize),
        o("IORING_FEAT_LINKED_FILE", IORING_FEAT_LINKED_FILE as usize),
        o("IORING_FEAT_RW_CUR_POS", IORING_FEAT_RW_CUR_POS as usize),
        o("IORING_FEAT_FAST_POLL", IORING_FEAT_FAST_POLL as usize),
        o("IORING_REGISTER_PROBE", IORING_REGISTER_PROBE as usize),
        o("IORING_TIMEOUT_UPDATE", IORING_TIMEOUT_UPDATE as usize),
        o(
            "IORING_LINK_TIMEOUT_UPDATE",
            IORING_LINK_TIMEOUT_UPDATE as usize,
        ),
        o(
            "IORING_TIMEOUT_ETIME_SUCCESS",
            IORING_TIMEOUT_ETIME_SUCCESS as usize,
        ),
        o("IORING_ASYNC_CANCEL_ALL", IORING_ASYNC_CANCEL_ALL as usize),
        o("IORING_ASYNC_CANCEL_ANY", IORING_ASYNC_CANCEL_ANY as usize),
        o(
            "IORING_ASYNC_CANCEL_USERDATA",
            IORING_ASYNC_CANCEL_USERDATA as usize,
        ),
        o("IO_URING_OP_SUPPORTED", IO_URING_OP_SUPPORTED as usize),
    ]);
    v.extend(off!(
        "io_uring_rs_stats",
        IoUringRsStats,
        rings,
        exiting,
        exits,
        slow_exits,
        max_exit_ms
    ));
    v
}

#[test]
#[cfg_attr(miri, ignore = "runs the C compiler")]
fn rust_uapi_matches_c_header() {
    let dir = std::env::temp_dir().join(format!("io_uring_rs_uapi_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let include = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../io_uring_rs/include/uapi"
    );
    let mut c = String::from(
        "#include <stddef.h>\n#include <stdio.h>\n#include <linux/io_uring.h>\n#include \"io_uring_rs.h\"\nint main(void) {\n",
    );
    for (expr, _) in layout() {
        c.push_str(&format!(
            "    printf(\"%llu\\n\", (unsigned long long)({expr}));\n"
        ));
    }
    c.push_str("    return 0;\n}\n");
    std::fs::write(dir.join("layout.c"), c).unwrap();
    let status = Command::new("cc")
        .args(["-Wall", "-Werror", "-I", include, "-o"])
        .arg(dir.join("layout"))
        .arg(dir.join("layout.c"))
        .status()
        .expect("a C compiler");
    assert!(status.success(), "the C header does not compile");
    let out = Command::new(dir.join("layout")).output().unwrap();
    let seen: Vec<u64> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| l.parse().unwrap())
        .collect();
    for ((expr, rust), c) in layout().iter().zip(seen.iter()) {
        assert_eq!(rust, c, "{expr}: Rust {rust}, C {c}");
    }
    assert_eq!(seen.len(), layout().len());
    std::fs::remove_dir_all(&dir).ok();
}
