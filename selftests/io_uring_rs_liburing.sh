#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# liburing 2.3's own test programs as an oracle: each program named in
# liburing/required.txt runs on the kernel's real io_uring and then on
# io_uring_rs (LD_PRELOAD of libio_uring_rs_preload.so, which maps the
# io_uring system calls onto /dev/io_uring_rs's ioctls), each within
# LU_TIMEOUT seconds (60), io_uring_rs within three times what io_uring
# took if that is more. Three KTAP cases a program: one a backend (ok
# on exit 0, SKIP on 77, not ok otherwise) and their agreement
# ("link: io_uring=0 io_uring_rs=0"), which fails if the exit codes
# differ. The programs are built by scripts/liburing.sh and staged by
# scripts/vm-run.sh; without them the test is skipped.
DIR=$(dirname "$(readlink -f "$0")")
# shellcheck disable=SC1091 # the kernel tree's, installed next to the collection
. "$DIR/../kselftest/ktap_helpers.sh"
LU_DIR=$DIR/liburing
# shellcheck source=liburing/lib.sh
. "$LU_DIR/lib.sh"

ktap_print_header
if [ "$(id -u)" -ne 0 ]; then
	ktap_skip_all "must be root to load modules"
	exit "$KSFT_SKIP"
fi
if ! lu_staged; then
	ktap_skip_all "liburing's programs are not staged (scripts/liburing.sh, vm-run.sh)"
	exit "$KSFT_SKIP"
fi
progs=$(grep -v '^#' "$LU_DIR/required.txt" | grep . | cut -d' ' -f1)
lu_insmod "$DIR/io_uring_rs.ko" || ktap_exit_fail_msg "insmod failed"

# Three cases a program, and the unload.
ktap_set_plan $(($(echo "$progs" | wc -l) * 3 + 1))
for prog in $progs; do
	# "pending: REASON" after the name (see liburing/required.txt).
	pending=$(grep "^$prog pending: " "$LU_DIR/required.txt" | sed 's/^[^ ]* pending: //')
	rc_io_uring=
	bound=
	for backend in io_uring io_uring_rs; do
		lu_run "$prog" "$backend" "$bound"
		if [ "$backend" = io_uring ] && [ "$lu_result" = timeout ]; then
			# The reference hung (1 run in about 30 of skip-cqe on
			# 7.2 under TCG, Documentation/testing.rst): without
			# its answer there is nothing to hold the module to,
			# so it gets one more run, and fails only if that hangs
			# too.
			ktap_print_msg "$prog on io_uring: timeout (exit $lu_rc, ${lu_secs}s), run again"
			lu_tail "$prog.$backend"
			lu_run "$prog" "$backend" "$bound"
		fi
		if [ -z "$rc_io_uring" ]; then
			rc_io_uring=$lu_rc
			# Under TCG a program's time varies twofold from run to
			# run: io_uring_rs gets three times what io_uring took in
			# this run, LU_TIMEOUT at least. Speed is the bench's
			# business; this bound only catches hangs.
			bound=$((lu_secs * 3))
			[ "$bound" -ge "$LU_TIMEOUT" ] || bound=$LU_TIMEOUT
		fi
		ktap_print_msg "$prog on $backend: $lu_result (exit $lu_rc, ${lu_secs}s)"
		case $lu_result in
		pass) ktap_test_pass "$prog: $backend" ;;
		skip) ktap_test_skip "$prog: $backend" ;;
		*)
			lu_tail "$prog.$backend"
			if [ "$backend" = io_uring_rs ] && [ -n "$pending" ]; then
				ktap_test_skip "$prog: $backend $lu_result (exit $lu_rc), pending: $pending"
			else
				ktap_test_fail "$prog: $backend $lu_result (exit $lu_rc)"
			fi
			;;
		esac
	done
	agreement="$prog: io_uring=$rc_io_uring io_uring_rs=$lu_rc"
	if [ "$rc_io_uring" = "$lu_rc" ] && [ -n "$pending" ]; then
		ktap_test_fail "$agreement, but listed as pending: remove \"pending\" from liburing/required.txt"
	elif [ "$rc_io_uring" = "$lu_rc" ]; then
		ktap_test_pass "$agreement"
	elif [ -n "$pending" ]; then
		ktap_test_skip "$agreement, pending: $pending"
	else
		ktap_test_fail "$agreement"
	fi
done

if [ "$lu_loaded" != 1 ]; then
	ktap_test_skip "rmmod (the module was loaded before this test)"
elif lu_rmmod; then
	ktap_test_pass "rmmod"
else
	# A program's ring still open, e.g. in a child left behind by a kill.
	ktap_test_fail "rmmod"
fi
ktap_finished
