#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: the benchmarks of Documentation/performance.rst.
#
# P1 and P2 run in one VM boot of the timing kernel (selftests/config.timing:
# no KASAN, lockdep or kmemleak), alternating the real io_uring and the
# module, repeated; P3 (instructions per chain hop, under callgrind) and P4
# (locks per io_wq_free_work) run on the host. Results go to
# out/bench-TIMESTAMP/ (raw.csv, summary.csv, bench.svg, the logs), whose
# path is printed last.
set -euo pipefail
root=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
cd "$root"
out=$root/out/bench-$(date +%Y%m%d-%H%M%S)
mkdir -p "$out"

# KERNEL (6.12 or 7.2, default 6.12) names the kernel, as for every target.
kdir=$(scripts/kdir.sh timing)
echo "bench: kernel ${KERNEL:-6.12} ($kdir)" >&2
# The module, built against the timing kernel in a copy of the sources so
# that the debug build's objects stay as they are.
build=$root/out/bench-build
rm -rf "$build"
mkdir -p "$build"
cp -r io_uring_rs Kbuild "$build/"
make -s -C "$kdir" M="$build" LLVM="$(scripts/kllvm.sh "$kdir")" modules >"$out/module-build.log" 2>&1 ||
	{ cat "$out/module-build.log"; exit 1; }

echo "bench: P1 and P2 in the timing VM (several minutes under TCG)" >&2
KDIR=$kdir VM_MODULE=$build/io_uring_rs/io_uring_rs.ko VM_TIMEOUT=3000 \
	scripts/vm-run.sh bench | tee "$out/vm.txt"
cp "$(ls -td out/vm-bench-* | head -1)/ktap.log" "$out/vm-rows.log"

echo "bench: P3 and P4 on the host" >&2
(cd rust && cargo build --quiet --release -p io_uring_rs_host --examples)
bin=rust/target/release/examples/lock_bench
hops=10000
{
	for walk in checked unchecked; do
		valgrind --tool=callgrind --callgrind-out-file="$out/callgrind.$walk" \
			"$bin" "p3-$walk" "$hops" >/dev/null 2>&1
		ir=$(callgrind_annotate --inclusive=yes --threshold=100 "$out/callgrind.$walk" |
			sed -n "s/^ *\([0-9,]*\) .*bench::walk_$walk \[.*/\1/p" | tr -d ,)
		if [ -z "$ir" ] && [ "$walk" = unchecked ] &&
			! nm -C "$bin" | grep -q "bench::walk_unchecked\$"; then
			# rustc merges functions whose machine code is identical: the
			# unchecked walk is the checked one, instruction for instruction.
			echo "# P3: walk_unchecked compiled to the very code of walk_checked (merged by rustc)" >&2
			ir=$ir_checked
		fi
		echo "csv,P3,$walk walk of $hops hops,host,0,$ir,Ir"
		echo "csv,P3,$walk per hop,host,0,$(echo "scale=2; $ir / $hops" | bc),Ir"
		eval "ir_$walk=$ir"
	done
	# What the proofs cost: 1.00 when they compile to nothing.
	echo "csv,P3 ratio,checked / unchecked,host,0,$(echo "scale=2; $ir_checked / $ir_unchecked" | bc),ratio"
	"$bin" p4
} | tee "$out/host-rows.log"

python3 scripts/bench_report.py --out "$out" "$out/vm-rows.log" "$out/host-rows.log" |
	tee "$out/table.txt"
echo "bench: results in $out"
