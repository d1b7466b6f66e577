#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The scenario suite, the ABI comparison and a bounded stress and fuzz run
# as an unprivileged user (uid and gid 65534, nobody; IO_URING_RS_UID and
# IO_URING_RS_GID override them), on the real io_uring and on
# /dev/io_uring_rs side by side as always: whatever differs for an
# unprivileged caller must differ the same way on both. The module is
# loaded as root; the runner then drops every privilege for good in its own
# process (`as-user`: setgroups(0), setgid, setuid, checked) before it
# runs each program. The stress runs without --unload (which needs root)
# and in fewer processes and threads than the root run; its seed is
# printed (IO_URING_RS_SEED overrides it). Back as root, the module's ring
# accounting must settle (no ring left, no exit pending, no slow exit since
# the load) and the module must unload.
#
# One case of this script per program; each program's own KTAP is nested
# under its case with kselftest's "# " prefix.
DIR=$(dirname "$(readlink -f "$0")")
# shellcheck source=lib.sh
. "$DIR/lib.sh"
. "$DIR/../kselftest/ktap_helpers.sh"
RUNNER=$DIR/io_uring_rs_scenarios
uid=${IO_URING_RS_UID:-65534}
gid=${IO_URING_RS_GID:-65534}
seed=${IO_URING_RS_SEED:-$(date +%s)}

ktap_print_header
if [ "$(id -u)" -ne 0 ]; then
	ktap_skip_all "must be root to load modules and to become another user"
	exit "$KSFT_SKIP"
fi
tmp=$(mktemp -d) || ktap_exit_fail_msg "mktemp failed"
trap 'rm -rf "$tmp"' EXIT
insmod "$DIR/io_uring_rs.ko" || ktap_exit_fail_msg "insmod failed"
ktap_set_plan 6

# What io_uring itself lets an unprivileged user do depends on these.
ktap_print_msg "as uid $uid gid $gid;" \
	"kernel.io_uring_disabled=$(cat /proc/sys/kernel/io_uring_disabled 2>/dev/null)" \
	"kernel.io_uring_group=$(cat /proc/sys/kernel/io_uring_group 2>/dev/null)" \
	"RLIMIT_MEMLOCK=$(ulimit -l 2>/dev/null) KiB" \
	"RLIMIT_NPROC=$(ulimit -u 2>/dev/null)"

# nested NAME COMMAND...: runs COMMAND, nests its output under the case
# NAME, which passes if COMMAND exits 0.
nested() {
	name=$1
	shift
	{
		"$@" 2>&1
		echo $? >"$tmp/rc"
	} | sed 's/^/# /'
	if [ "$(cat "$tmp/rc")" -eq 0 ]; then
		ktap_test_pass "$name"
	else
		ktap_test_fail "$name"
	fi
}

# The drop itself: exec-target only exits 0, once the privileges are gone.
nested unprivileged_drop "$RUNNER" as-user "$uid" "$gid" exec-target
nested unprivileged_scenarios "$RUNNER" as-user "$uid" "$gid" run "$DIR/scenarios"
nested unprivileged_abi "$RUNNER" as-user "$uid" "$gid" abi
ktap_print_msg "stress seed $seed (IO_URING_RS_SEED=$seed replays it)"
nested unprivileged_stress_fuzz "$RUNNER" as-user "$uid" "$gid" stress "$seed" 5 2 2 1000
# As root again: the accounting is module-wide, and counts slow exits
# since the load.
nested ring_accounting_settled "$RUNNER" as-user --settled
if iur_rmmod; then ktap_test_pass rmmod; else ktap_test_fail rmmod; fi
ktap_finished
