#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Bounded resources, on the real io_uring and on /dev/io_uring_rs: ring
# sizes bounded and clamped alike, ring memory charged to the memory
# cgroup about alike, and a small memory.max holding (-ENOMEM, no OOM
# kill) with the charge coming back once the rings are closed, and io-wq
# workers of a task pinned to one CPU kept there. The runner
# mounts cgroup2 on /sys/fs/cgroup if it is not, prints the KTAP and exits
# 0, 1 or 4 (skipped: no memory cgroup).
DIR=$(dirname "$(readlink -f "$0")")
# shellcheck source=lib.sh
. "$DIR/lib.sh"

iur_with_module "$DIR/io_uring_rs_scenarios" limits
