#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The ring ABI (setup, mmap, enter, register) on the real io_uring and on
# /dev/io_uring_rs, compared case by case, with the module loaded for the
# run. The runner prints the KTAP and exits 0 or 1.
DIR=$(dirname "$(readlink -f "$0")")
# shellcheck source=lib.sh
. "$DIR/lib.sh"

iur_with_module "$DIR/io_uring_rs_scenarios" abi
