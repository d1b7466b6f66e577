#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Stress and fuzz /dev/io_uring_rs with the module loaded, bounded in time
# and count; the seed is printed (IO_URING_RS_SEED overrides it). Five
# processes of four threads keep more io-wq reads blocked than the io-wq
# workqueue's concurrency limit and close rings with chains mid-flight.
# A third run drives the io_uring ABI with real files and a CQ ring of 4
# entries (ring_stress), with exact accounting and nothing lost.
# After each run every ring's exit must finish (every request freed) within
# a bound, no exit may be slow enough to warn, and then the module must
# unload promptly (the runner's --unload case); the VM run's kmemleak scan
# and log check follow.
DIR=$(dirname "$(readlink -f "$0")")
seed=${IO_URING_RS_SEED:-$(date +%s)}

if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP must be root to load modules"
	exit 4
fi
insmod "$DIR/io_uring_rs.ko" || { echo "Bail out! insmod failed"; exit 1; }
"$DIR/io_uring_rs_scenarios" stress "$seed" 15 5 4 5000 --unload
rc=$?
# The runner counts slow exits; the kernel log must agree.
if dmesg | grep -q 'io_uring_rs: ring exit slow'; then
	echo "# the kernel log shows a slow ring exit:"
	dmesg | grep 'io_uring_rs: ring exit slow' | head -n 3 | sed 's/^/#   /'
	rc=1
fi
exit $rc
