#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make fuzz: the long fuzz of /dev/io_uring_rs in the debug VM (KASAN,
# lockdep, kmemleak, fault injection inert): io_uring_rs_scenarios fuzz for
# FUZZ_OPS operations (default 1,000,000) or FUZZ_SECS seconds, from SEED
# (default: the time), then every ring exit settled, the module unloaded,
# a kmemleak scan and the kernel log checked. Every epoch (a ring's life)
# ends with a check that no ring was left open. A failing epoch is reduced
# with ddmin in the guest and printed as a trace file, which this script
# cuts out of the log into out/fuzz/seed-SEED.toml (replayed by
# io_uring_rs_scenarios fuzz-replay; a regression goes to
# selftests/scenarios/fuzz/). Not part of make check.
#
#   make fuzz [SEED=N] [FUZZ_OPS=N] [FUZZ_SECS=N] [KERNEL=6.12|7.2]
#
# VM_MODULE=PATH runs the fuzz on another build of the module.
set -euo pipefail
root=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
cd "$root"
seed=${SEED:-$(date +%s)}
ops=${FUZZ_OPS:-1000000}
secs=${FUZZ_SECS:-0}
kdir=$(scripts/kdir.sh debug)
make -s -C "$kdir" M="$root" LLVM="$(scripts/kllvm.sh "$kdir")" modules
extra=$(mktemp -d)
log=$(mktemp)
trap 'rm -rf "$extra" "$log"' EXIT
cat >"$extra/run.sh" <<GUEST
#!/bin/sh
DIR=/kselftest/io_uring_rs
. \$DIR/lib.sh
insmod \$DIR/io_uring_rs.ko || exit 1
\$DIR/io_uring_rs_scenarios fuzz $seed $ops $secs
rc=\$?
iur_rmmod || { echo "# rmmod failed"; rc=1; }
exit \$rc
GUEST
chmod +x "$extra/run.sh"
echo "fuzz: seed $seed, $ops operations, $secs s (0: no limit), kernel $kdir"
# Guest time: about 1 ms an operation on the debug kernel under TCG.
set +e
KDIR=$kdir VM_EXTRA=$extra VM_TIMEOUT=${VM_TIMEOUT:-14400} scripts/vm-run.sh exec 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
set -e
# The reduced trace of a failure, between the runner's marker lines.
trace=out/fuzz/seed-$seed.toml
mkdir -p out/fuzz
tr -d '\r' <"$log" | sed -n '/^# fuzz-trace: begin$/,/^# fuzz-trace: end$/{/^# fuzz-trace: /d;p}' >"$trace.tmp"
if [ -s "$trace.tmp" ]; then
	mv "$trace.tmp" "$trace"
	echo "fuzz: reduced trace in $trace (io_uring_rs_scenarios fuzz-replay $trace)"
else
	rm -f "$trace.tmp"
fi
exit "$rc"
