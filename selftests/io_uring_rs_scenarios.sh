#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Run every scenario in scenarios/ on the real io_uring and on
# /dev/io_uring_rs, with the module loaded for the run. The runner prints
# the KTAP and exits 0, 1 or 4 (skip).
DIR=$(dirname "$(readlink -f "$0")")
# shellcheck source=lib.sh
. "$DIR/lib.sh"

iur_with_module "$DIR/io_uring_rs_scenarios" run "$DIR/scenarios"
