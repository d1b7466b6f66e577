#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Stress and fuzz /dev/io_uring_rs with the module loaded, bounded in time
# and count; the seed is printed (IO_URING_RS_SEED overrides it). Then the
# module must unload; the VM run's kmemleak scan and log check follow.
DIR=$(dirname "$(readlink -f "$0")")
seed=${IO_URING_RS_SEED:-$(date +%s)}

if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP must be root to load modules"
	exit 4
fi
insmod "$DIR/io_uring_rs.ko" || { echo "Bail out! insmod failed"; exit 1; }
"$DIR/io_uring_rs_scenarios" stress "$seed" 10 3 3 5000
rc=$?
rmmod io_uring_rs || { echo "# rmmod failed"; rc=1; }
exit $rc
