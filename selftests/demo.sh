#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The io_uring_rs demo (make run): load the module, run one linked chain
# with a linked timeout and a cancel on the real io_uring and on the module
# side by side, show what the module reported, unload it.
DIR=$(dirname "$(readlink -f "$0")")
mark=$(dmesg | wc -l)
echo "== insmod io_uring_rs.ko"
insmod "$DIR/io_uring_rs.ko" || { echo "insmod failed"; exit 1; }
grep '^io_uring_rs ' /proc/modules
echo
echo "== one scenario, both backends ($DIR/scenarios/demo.toml)"
"$DIR/io_uring_rs_scenarios" demo "$DIR/scenarios/demo.toml"
rc=$?
echo
echo "== rmmod io_uring_rs"
rmmod io_uring_rs || { echo "rmmod failed"; exit 1; }
echo "== the module's report (kernel log)"
dmesg | tail -n +"$((mark + 1))" | sed -n 's/^\[[^]]*\] io_uring_rs: /  /p' | grep -v '^  \(ok\|KTAP\|1\.\.\)'
exit $rc
