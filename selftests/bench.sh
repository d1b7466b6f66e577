#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# make bench, in the timing kernel: P1 and P2 on the real io_uring and on
# /dev/io_uring_rs, alternating and repeated; CSV rows on standard output.
DIR=$(dirname "$(readlink -f "$0")")
# shellcheck source=lib.sh
. "$DIR/lib.sh"
insmod "$DIR/io_uring_rs.ko" || { echo "insmod failed"; exit 1; }
"$DIR/io_uring_rs_scenarios" bench "${IO_URING_RS_BENCH_REPS:-3}" 20000 100000
rc=$?
iur_rmmod || rc=1
exit $rc
