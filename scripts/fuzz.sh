#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make fuzz: the long fuzz of /dev/io_uring_rs in the debug VM (KASAN,
# lockdep, kmemleak, fault injection inert): io_uring_rs_scenarios fuzz for
# FUZZ_OPS operations (default 1,000,000) or FUZZ_SECS seconds, from SEED
# (default: the time), then every ring exit settled, the module unloaded,
# a kmemleak scan and the kernel log checked. A failure is replayed from
# its seed for as many operations as it took. Not part of make check.
#
#   make fuzz [SEED=N] [FUZZ_OPS=N] [FUZZ_SECS=N] [KERNEL=6.12|7.2]
set -euo pipefail
root=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
cd "$root"
seed=${SEED:-$(date +%s)}
ops=${FUZZ_OPS:-1000000}
secs=${FUZZ_SECS:-0}
kdir=$(scripts/kdir.sh debug)
make -s -C "$kdir" M="$root" LLVM="$(scripts/kllvm.sh "$kdir")" modules
extra=$(mktemp -d)
trap 'rm -rf "$extra"' EXIT
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
KDIR=$kdir VM_EXTRA=$extra VM_TIMEOUT=${VM_TIMEOUT:-14400} scripts/vm-run.sh exec
