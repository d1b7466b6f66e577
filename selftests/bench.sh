#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# make bench, in the timing kernel: P1 and P2 on the real io_uring and on
# /dev/io_uring_rs, alternating and repeated; CSV rows on standard output.
DIR=$(dirname "$(readlink -f "$0")")
# shellcheck source=lib.sh
. "$DIR/lib.sh"
insmod "$DIR/io_uring_rs.ko" || { echo "insmod failed"; exit 1; }
# P1 in more and longer runs than the rest: one run of a few thousand
# batches spreads by a third on a TCG host (Documentation/performance.rst),
# and a P1 run costs well under a second.
"$DIR/io_uring_rs_scenarios" bench "${IO_URING_RS_BENCH_P1_REPS:-7}" 100000 100000 P1,P1inline
rc=$?
"$DIR/io_uring_rs_scenarios" bench "${IO_URING_RS_BENCH_REPS:-3}" 20000 100000 P2,P5 || rc=1
iur_rmmod || rc=1
exit $rc
