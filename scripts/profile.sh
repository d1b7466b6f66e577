#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Where a benchmark's time goes: runs benchmarks of io_uring_rs_scenarios
# bench (ONLY, default P1inline,P1) on each backend in turn, in the
# profiling kernel (selftests/config.timing plus config.profile: ftrace's
# function profiler), and prints each backend's most expensive kernel
# functions (calls, total and average time), from
# /sys/kernel/tracing/trace_stat/function*, summed over the CPUs. Under
# TCG the times are emulated: compare the two backends, and the functions
# within one run (Documentation/performance.rst).
#
#   [KERNEL=6.12] [ONLY=P1inline] [P2=1000] [TOP=25] scripts/profile.sh
set -euo pipefail
root=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
cd "$root"
only=${ONLY:-P1inline,P1}
p2=${P2:-1000}
top=${TOP:-25}
kdir=$(scripts/kdir.sh profile)
out=$root/out/profile-$(date +%Y%m%d-%H%M%S)
build=$out/build
extra=$out/extra
mkdir -p "$build" "$extra"
cp -r io_uring_rs Kbuild "$build/"
make -s -C "$kdir" M="$build" LLVM="$(scripts/kllvm.sh "$kdir")" modules >"$out/module-build.log" 2>&1 ||
	{ cat "$out/module-build.log"; exit 1; }
cat >"$extra/run.sh" <<GUEST
#!/bin/sh
DIR=/kselftest/io_uring_rs
T=/sys/kernel/tracing
mount -t tracefs nodev \$T 2>/dev/null
insmod \$DIR/io_uring_rs.ko || exit 1
for backend in io_uring io_uring_rs; do
	echo 0 >\$T/function_profile_enabled
	echo 1 >\$T/function_profile_enabled
	\$DIR/io_uring_rs_scenarios bench 1 20000 $p2 $only \$backend
	echo 0 >\$T/function_profile_enabled
	for f in \$T/trace_stat/function*; do
		sed "s/^/profile,\$backend,/" \$f
	done
done
rmmod io_uring_rs
GUEST
chmod +x "$extra/run.sh"
echo "profile: $only in the profiling VM ($kdir)" >&2
KDIR=$kdir VM_MODULE=$build/io_uring_rs/io_uring_rs.ko VM_EXTRA=$extra VM_TIMEOUT=1800 \
	scripts/vm-run.sh exec >"$out/vm.txt" 2>&1 || true
log=$(ls -td out/vm-exec-* | head -1)/ktap.log
cp "$log" "$out/guest.log"
grep '^csv,' "$out/guest.log" || { echo "profile: no measurement; see $out" >&2; exit 1; }
python3 - "$out/guest.log" "$top" <<'PY'
import collections, re, sys
path, top = sys.argv[1], int(sys.argv[2])
calls = collections.defaultdict(int)
time = collections.defaultdict(float)
for line in open(path, errors="replace"):
    if not line.startswith("profile,"):
        continue
    _, backend, rest = line.rstrip("\n").split(",", 2)
    m = re.match(r"\s*(\S+)\s+(\d+)\s+([\d.]+) us", rest)
    if m:
        calls[backend, m[1]] += int(m[2])
        time[backend, m[1]] += float(m[3])
for backend in ("io_uring", "io_uring_rs"):
    rows = sorted(((t, f) for (b, f), t in time.items() if b == backend), reverse=True)
    total = sum(t for t, _ in rows)
    print(f"\n{backend}: {total / 1000:.1f} ms in traced functions (inclusive times overlap)")
    print(f"{'function':40} {'calls':>10} {'total ms':>10} {'avg us':>8}")
    for t, f in rows[:top]:
        c = calls[backend, f]
        print(f"{f:40} {c:10} {t / 1000:10.1f} {t / c:8.2f}")
PY
echo "profile: results in $out" >&2
