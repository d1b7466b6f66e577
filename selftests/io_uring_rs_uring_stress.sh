#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The ring stress of io_uring_rs_stress.sh on the kernel's own io_uring
# (no module): run by the data-race kernel (scripts/vm-run.sh kcsan), so
# that KCSAN watches the C io_uring under the load the module gets. Its
# reports are findings, listed by the log check; a lost or unowed
# completion fails the test. The seed is printed (IO_URING_RS_SEED
# overrides it).
DIR=$(dirname "$(readlink -f "$0")")
seed=${IO_URING_RS_SEED:-$(date +%s)}
"$DIR/io_uring_rs_scenarios" ring-stress-io_uring "$seed" 20 4
