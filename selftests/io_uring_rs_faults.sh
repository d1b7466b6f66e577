#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Allocation failure at every site the module's code reaches from a system
# call, systematically (fail-nth, confined to the module's .text by the
# failslab and fail_page_alloc stack-trace filters): the runner's `faults`
# program, one KTAP case per operation with the failure points it reached.
# The module must then unload; the VM run's kmemleak scan and kernel log
# check follow. Skips on a kernel without fault injection.
DIR=$(dirname "$(readlink -f "$0")")
# shellcheck source=lib.sh
. "$DIR/lib.sh"

if [ ! -e /proc/self/fail-nth ] || [ ! -d /sys/kernel/debug/failslab ]; then
	echo "1..0 # SKIP the kernel has no fault injection (FAULT_INJECTION_DEBUG_FS)"
	exit 4
fi
iur_with_module "$DIR/io_uring_rs_scenarios" faults "$DIR/io_uring_rs.ko"
