#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The ring ABI (setup, mmap, enter, register) on the real io_uring and on
# /dev/io_uring_rs, compared case by case, with the module loaded for the
# run. The runner prints the KTAP and exits 0 or 1.
DIR=$(dirname "$(readlink -f "$0")")
# shellcheck source=lib.sh
. "$DIR/lib.sh"

if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP must be root to load modules"
	exit 4
fi
insmod "$DIR/io_uring_rs.ko" || { echo "Bail out! insmod failed"; exit 1; }
"$DIR/io_uring_rs_scenarios" abi
rc=$?
iur_rmmod || { echo "# rmmod failed"; rc=1; }
exit $rc
