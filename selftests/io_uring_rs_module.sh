#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Load io_uring_rs, check the KTAP report of its in-kernel self-test, unload.
# Every in-kernel case is re-emitted as a case of this test, so that one
# failing case is one failing line; the module's own verdict (a failing case
# fails the load with -EINVAL) is checked too.
DIR=$(dirname "$(readlink -f "$0")")
. "$DIR/../kselftest/ktap_helpers.sh"
KO=$DIR/io_uring_rs.ko

ktap_print_header
if [ "$(id -u)" -ne 0 ]; then
	ktap_skip_all "must be root to load modules"
	exit "$KSFT_SKIP"
fi
if grep -q '^io_uring_rs ' /proc/modules; then
	ktap_exit_fail_msg "io_uring_rs is already loaded"
fi

# Only the kernel log written after this point belongs to this run.
mark=$(dmesg | wc -l)
insmod "$KO"
load_rc=$?
report=$(dmesg | tail -n +"$((mark + 1))" | sed -n 's/^\[[^]]*\] io_uring_rs: //p')
plan=$(echo "$report" | sed -n 's/^1\.\.\([0-9]*\)$/\1/p')
cases=$(echo "$report" | grep -E '^(not )?ok [0-9]+ ')
ncases=$(echo "$cases" | grep -c .)
extra=0
[ "${IO_URING_RS_INJECT_FAIL:-0}" = 1 ] && extra=1

ktap_set_plan $(( ncases + 3 + extra ))
if [ $load_rc -eq 0 ]; then ktap_test_pass "insmod"; else ktap_test_fail "insmod (rc=$load_rc)"; fi
if [ -n "$plan" ] && [ "$ncases" -eq "$plan" ]; then
	ktap_test_pass "self-test report complete ($plan cases)"
else
	ktap_test_fail "self-test report incomplete (plan '$plan', $ncases results)"
fi
# Loops read here-documents, not pipes, so the helpers' counters survive.
while read -r line; do
	[ -n "$line" ] && ktap_print_msg "kernel: $line"
done <<EOF
$(echo "$report" | sed -n 's/^# //p')
EOF
while read -r verdict rest; do
	case $verdict in
	ok) ktap_test_pass "kernel: ${rest#* }" ;;
	not) rest=${rest#ok }; ktap_test_fail "kernel: ${rest#* }" ;;
	esac
done <<EOF
$cases
EOF
[ $extra -eq 1 ] && ktap_test_fail "injected failure (IO_URING_RS_INJECT_FAIL=1)"
if [ $load_rc -eq 0 ]; then
	if rmmod io_uring_rs; then ktap_test_pass "rmmod"; else ktap_test_fail "rmmod"; fi
else
	ktap_test_skip "rmmod (module not loaded)"
fi
ktap_finished
