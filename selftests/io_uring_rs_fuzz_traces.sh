#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Replay every reduced fuzz trace in scenarios/fuzz/ (make fuzz writes
# them) on /dev/io_uring_rs and on the kernel's io_uring, with the module
# loaded for the run: the fuzz's checks must hold and no ring may be left
# open. The runner prints the KTAP and exits 0, 1 or 4 (skip).
DIR=$(dirname "$(readlink -f "$0")")
# shellcheck source=lib.sh
. "$DIR/lib.sh"

iur_with_module "$DIR/io_uring_rs_scenarios" fuzz-replay "$DIR/scenarios/fuzz"
