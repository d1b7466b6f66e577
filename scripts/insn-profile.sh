#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Where a benchmark's time goes, instruction by instruction: runs one
# benchmark of io_uring_rs_scenarios bench (ONLY, default P1inline) for N
# requests (default 2000000; P2's sizes are P2, default 1000) on each
# backend in turn, each in its own boot of
# the timing kernel under a QEMU plugin that counts the instructions every
# translation block executes (scripts/qemu-tbcount.c), plus one boot that
# runs no benchmark, whose counts are subtracted. Prints, per backend, the
# guest instructions a request costs in each kernel function (P1: a
# request of any of its three chain lengths), Rust
# functions of the module included (ftrace's function profiler,
# scripts/profile.sh, does not see them). Under TCG, time follows
# instructions (atomic operations cost more each); see
# Documentation/performance.rst.
#
# WINDOW (P1, P1inline, P2close or P2cancel) counts only the timed phase of
# that benchmark (ONLY must run it): the runner brackets the phase with two
# system calls that the counter watches, and ring setup, submission before
# the phase and teardown after it are left out. No boot is subtracted
# then, and P2's counts are divided by the requests of its three sizes.
#
# PIN=1 pins the benchmark's thread to vCPU 0 and counts each vCPU's
# instructions apart (the plugin's split): the submitter's side of a
# request and what the other threads (io-wq workers) run on vCPU 1 are
# told apart, as far as the scheduler keeps the workers off vCPU 0.
#
#   [KERNEL=6.12] [ONLY=P1inline] [N=2000000] [P2=1000] [TOP=30] [WINDOW=] [PIN=]
#   scripts/insn-profile.sh
set -euo pipefail
root=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
cd "$root"
only=${ONLY:-P1inline}
n=${N:-2000000}
p2=${P2:-1000}
top=${TOP:-30}
window=${WINDOW:-}
pin=""
plugin_split=""
if [ -n "${PIN:-}" ]; then
	pin="taskset 1 "
	plugin_split=",split=on"
fi
kdir=$(scripts/kdir.sh timing)
plugin_window=""
if [ -n "$window" ]; then
	case $window in P1 | P1inline | P2close | P2cancel) ;; *)
		echo "insn-profile: WINDOW must be P1, P1inline, P2close or P2cancel" >&2
		exit 2
		;;
	esac
	addr() { sed -n "s/^\([0-9a-f]*\) T $1\$/\1/p" "$kdir/System.map"; }
	plugin_window=",window=$(addr __x64_sys_getpriority):$(addr __x64_sys_getpgid)"
fi
cache_root=${IO_URING_RS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/io_uring_rs}
plugin_dir=$cache_root/qemu-tbcount-$(sha256sum scripts/qemu-tbcount.c | cut -c1-16)
if [ ! -e "$plugin_dir/tbcount.so" ]; then
	mkdir -p "$plugin_dir.tmp"
	gcc -shared -fPIC -O2 -Wall -o "$plugin_dir.tmp/tbcount.so" scripts/qemu-tbcount.c -lpthread
	rm -rf "$plugin_dir"
	mv "$plugin_dir.tmp" "$plugin_dir"
fi
out=$root/out/insn-profile-$(date +%Y%m%d-%H%M%S)
build=$out/build
mkdir -p "$build"
cp -r io_uring_rs Kbuild "$build/"
make -s -C "$kdir" M="$build" LLVM="$(scripts/kllvm.sh "$kdir")" modules >"$out/module-build.log" 2>&1 ||
	{ cat "$out/module-build.log"; exit 1; }
backends="none io_uring io_uring_rs"
[ -z "$window" ] || backends="io_uring io_uring_rs"
for backend in $backends; do
	extra=$out/extra-$backend
	mkdir -p "$extra"
	bench=""
	[ "$backend" = none ] ||
		bench="IO_URING_RS_WINDOW=$window $pin\$DIR/io_uring_rs_scenarios bench 1 $n $p2 $only $backend"
	cat >"$extra/run.sh" <<GUEST
#!/bin/sh
DIR=/kselftest/io_uring_rs
insmod \$DIR/io_uring_rs.ko || exit 1
grep '\[io_uring_rs\]' /proc/kallsyms | sed 's/^/sym,/'
$bench
rmmod io_uring_rs
GUEST
	chmod +x "$extra/run.sh"
	echo "insn-profile: $backend ($only, $n requests)" >&2
	VM_QEMU_ARGS="-plugin $plugin_dir/tbcount.so,out=$out/$backend.tb$plugin_window$plugin_split" \
		KDIR=$kdir VM_MODULE=$build/io_uring_rs/io_uring_rs.ko VM_EXTRA=$extra VM_TIMEOUT=1800 \
		scripts/vm-run.sh exec >"$out/vm-$backend.txt" 2>&1 || true
	cp "$(ls -td out/vm-exec-* | head -1)/ktap.log" "$out/guest-$backend.log"
	[ -s "$out/$backend.tb" ] || { echo "insn-profile: no counts for $backend; see $out" >&2; exit 1; }
done
grep -h '^csv,' "$out"/guest-io_uring*.log || true
cxxfilt=$(command -v llvm-cxxfilt-14 || command -v llvm-cxxfilt-19 || command -v llvm-cxxfilt || true)
# The requests the benchmark ran: P1 runs N for each of its three chain
# lengths, P1inline N; the counts are divided by their sum (by N for the
# others, whose unit is not a request).
reqs=0
for b in ${only//,/ }; do
	case $b in
	P1) reqs=$((reqs + 3 * n)) ;;
	P1inline) reqs=$((reqs + n)) ;;
	esac
done
case $window in P2*) reqs=$((1000 + 10000 + p2)) ;; esac
[ "$reqs" -gt 0 ] || reqs=$n
python3 scripts/insn_profile.py "$kdir/System.map" "$out" "$reqs" "$top" "$cxxfilt"
echo "insn-profile: results in $out" >&2
