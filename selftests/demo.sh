#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The io_uring_rs demo (make run): load the module; run one linked chain
# with a linked timeout and a cancel on the real io_uring and on the module
# side by side, first as a program written against liburing's API
# (liburing/demo.sh: the module through LD_PRELOAD of the preload library),
# then as the scenario it stands for; show what the module reported,
# unload it. Exit status 0 if both agree on both backends.
DIR=$(dirname "$(readlink -f "$0")")
# shellcheck source=lib.sh
. "$DIR/lib.sh"
mark=$(dmesg | wc -l)
echo "== insmod io_uring_rs.ko"
insmod "$DIR/io_uring_rs.ko" || { echo "insmod failed"; exit 1; }
grep '^io_uring_rs ' /proc/modules
echo
if [ -x "$DIR/liburing/io_uring_rs_liburing_demo" ]; then
	"$DIR/liburing/demo.sh"
	rc_lu=$?
else
	echo "== liburing's demo is not staged (scripts/liburing.sh builds it)"
	rc_lu=1
fi
echo
echo "== one scenario, both backends ($DIR/scenarios/demo.toml)"
"$DIR/io_uring_rs_scenarios" demo "$DIR/scenarios/demo.toml"
rc=$?
[ "$rc_lu" = 0 ] || rc=1
echo
echo "== rmmod io_uring_rs"
iur_rmmod || { echo "rmmod failed"; exit 1; }
echo "== the module's report (kernel log)"
dmesg | tail -n +"$((mark + 1))" | sed -n 's/^\[[^]]*\] io_uring_rs: /  /p' | grep -v '^  \(ok\|KTAP\|1\.\.\)'
exit $rc
