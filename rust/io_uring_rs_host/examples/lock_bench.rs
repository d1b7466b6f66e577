// SPDX-License-Identifier: GPL-2.0

//! `lock_bench p3-checked N` / `p3-unchecked N`: walk a chain of N requests
//! (run under callgrind by `make bench`); `lock_bench p4`: locks per
//! `io_wq_free_work()`; `lock_bench inline-nops BATCHES`: batches of 256
//! NOPs submitted and reaped inline (run under callgrind by
//! `scripts/profile.sh`).

#[cfg(loom)]
fn main() {}

#[cfg(not(loom))]
fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let n: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(10_000);
    match args.first().map(String::as_str) {
        Some("p3-checked") => {
            let chain = io_uring_rs_host::bench::chain(n);
            println!("walked {}", chain.walk_checked());
        }
        Some("p3-unchecked") => {
            let chain = io_uring_rs_host::bench::chain(n);
            println!("walked {}", chain.walk_unchecked());
        }
        Some("inline-nops") => {
            println!("reaped {}", io_uring_rs_host::bench::inline_nops(n));
        }
        Some("p4") => {
            for (what, locks) in io_uring_rs_host::bench::free_work_lock_counts() {
                println!("csv,P4,{what},host,0,{locks},locks");
            }
        }
        _ => {
            eprintln!("usage: lock_bench p3-checked N | p3-unchecked N | inline-nops BATCHES | p4");
            std::process::exit(2);
        }
    }
}
