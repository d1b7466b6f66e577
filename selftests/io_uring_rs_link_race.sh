#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Chains through io-wq against their linked timeouts, with cancels of
# everything and tasks exiting mid-chain: first on the kernel's io_uring,
# then on /dev/io_uring_rs, exact accounting on both. On the data-race
# kernel (scripts/vm-run.sh kcsan) this is the load aimed at the req->link
# race of the "Linked request fix" series' patch 1/3; KCSAN's reports on
# io_uring are findings, listed by the log check. The seed is printed
# (IO_URING_RS_SEED overrides it).
DIR=$(dirname "$(readlink -f "$0")")
# shellcheck source=lib.sh
. "$DIR/lib.sh"

# The seconds on each backend: 8, or what link_race_secs says (the
# data-race run stages 30).
seed=${IO_URING_RS_SEED:-$(date +%s)}
secs=8
[ -r "$DIR/link_race_secs" ] && secs=$(cat "$DIR/link_race_secs")
iur_with_module "$DIR/io_uring_rs_scenarios" link-race "$seed" "$secs" 4
