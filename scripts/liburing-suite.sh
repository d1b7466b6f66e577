#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make liburing-suite: every program of liburing 2.3's test suite on the
# real io_uring and on io_uring_rs in the debug VM, compared with
# selftests/liburing/suite-expected.txt.
#
#   KDIR=... scripts/liburing-suite.sh          run and compare
#   KDIR=... UPDATE=1 scripts/liburing-suite.sh run and rewrite the expectations
#   scripts/liburing-suite.sh out/vm-liburing-suite-TIMESTAMP
#                                               judge (or UPDATE=1 from) an
#                                               earlier run without booting
#
# The guest (selftests/liburing/suite.sh) runs each program twice, each run
# bounded by LU_TIMEOUT seconds (default 30). A result is pass (exit 0),
# skip (77), timeout, or fail:CODE; the backends agree if the two results
# are the same. The table goes to out/liburing-suite-TIMESTAMP.txt (and the
# last lines of each failing run to the .log beside it). The run
# fails if a program that agrees in the expectation file no longer agrees
# (or did not run), or if the guest did not finish the suite. A program
# that newly agrees is reported; UPDATE=1 records it. The VM log check
# (splats, kmemleak) is reported but does not decide: with the preload most
# programs only exercise the real io_uring, whose reports are not ours.
set -uo pipefail
root=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
expected=$root/selftests/liburing/suite-expected.txt
export LU_TIMEOUT=${LU_TIMEOUT:-30}
# 145 programs, two runs each: the bound covers every run timing out.
export VM_TIMEOUT=${VM_TIMEOUT:-14400}

if [ $# -gt 0 ]; then
	vm_out=$(cd "$1" && pwd) || exit 1
	vm_rc=0
	[ -f "$vm_out/counts" ] && [ "$(cut -d' ' -f2 "$vm_out/counts")" = 0 ] || vm_rc=1
	LU_TIMEOUT=$(cat "$vm_out/initramfs/kselftest/io_uring_rs/liburing/timeout")
else
	: "${KDIR:?KDIR must name the kernel tree}"
	"$root/scripts/vm-run.sh" liburing-suite
	vm_rc=$?
	# vm-run.sh names its directory by date: the last in order is this run's.
	vm_out=$(find "$root/out" -maxdepth 1 -name 'vm-liburing-suite-*' | sort | tail -1)
fi
table=$root/out/liburing-suite-$(basename "$vm_out" | sed 's/^vm-liburing-suite-//').txt

# The guest's lines, "liburing-suite: PROG A B SECS SECS", as the table.
{
	echo "program io_uring io_uring_rs agree io_uring_secs io_uring_rs_secs"
	tr -d '\r' <"$vm_out/ktap.log" |
		sed -n 's/^liburing-suite: \([^ ]*\) \([^ ]*\) \([^ ]*\) \([0-9]*\) \([0-9]*\)$/\1 \2 \3 \4 \5/p' |
		awk '{ print $1, $2, $3, ($2 == $3 ? "yes" : "no"), $4, $5 }'
} | column -t >"$table"
# What the failing runs printed last, next to the table.
tr -d '\r' <"$vm_out/ktap.log" | sed -n 's/^liburing-suite-log: //p' >"${table%.txt}.log"

finished=1
tr -d '\r' <"$vm_out/ktap.log" | grep -q '^liburing-suite: end$' || finished=0
awk 'NR > 1 { n[$2]++; m[$3]++ } END {
	for (r in n) printf "liburing-suite: io_uring %s %d\n", r, n[r]
	for (r in m) printf "liburing-suite: io_uring_rs %s %d\n", r, m[r] }' "$table" | sort
echo "liburing-suite: $(($(wc -l <"$table") - 1)) programs," \
	"$(awk 'NR > 1 && $4 == "yes"' "$table" | wc -l) agree; table in $table"
[ $vm_rc -eq 0 ] || echo "liburing-suite: note: the VM log check failed (rc=$vm_rc), see $vm_out"

if [ "${UPDATE:-0}" = 1 ]; then
	if [ $finished -eq 0 ]; then
		echo "liburing-suite: the guest did not finish the suite; $expected not updated"
		exit 1
	fi
	{
		echo "# SPDX-License-Identifier: GPL-2.0"
		echo "#"
		echo "# make liburing-suite: the expected result of every liburing 2.3 test"
		echo "# program on the real io_uring and on io_uring_rs in the debug VM"
		echo "# (pass, skip, timeout after ${LU_TIMEOUT}s, fail:EXIT_CODE). A program whose"
		echo "# agree column is yes must keep agreeing. Written by"
		echo "# make liburing-suite UPDATE=1 ($(date -u +%Y-%m-%d), kernel $(sed -n \
			's/.*io_uring_rs-guest: start .*kernel=\([^ ]*\).*/\1/p' "$vm_out/ktap.log" | tr -d '\r'))."
		echo "#"
		tr -s ' ' <"$table" | cut -d' ' -f1-4 | column -t
	} >"$expected"
	echo "liburing-suite: wrote $expected"
	# The table of Documentation/testing.rst, with the reasons.
	"$root/scripts/liburing-suite-table.sh" ||
		{ echo "liburing-suite: give every disagreement a reason in selftests/liburing/suite-reasons.txt"; exit 1; }
	exit 0
fi

[ -f "$expected" ] || { echo "liburing-suite: no $expected (make liburing-suite UPDATE=1)"; exit 1; }
rc=0
while read -r prog _ _ agree; do
	case $prog in '#'* | '' | program) continue ;; esac
	now=$(awk -v p="$prog" '$1 == p { print $2, $3, $4 }' "$table")
	if [ "$agree" = yes ] && [ "${now##* }" != yes ]; then
		echo "liburing-suite: REGRESSION $prog: agreed, now ${now:-did not run}"
		rc=1
	elif [ "$agree" != yes ] && [ "${now##* }" = yes ]; then
		echo "liburing-suite: $prog now agrees ($now); UPDATE=1 records it"
	fi
done <"$expected"
awk 'NR > 1 { print $1 }' "$table" | while read -r prog; do
	grep -q "^$prog " "$expected" || echo "liburing-suite: $prog is not in $expected"
done
[ $finished -eq 1 ] || { echo "liburing-suite: the guest did not finish the suite"; rc=1; }
[ $rc -eq 0 ] && echo "liburing-suite: every program that agreed still agrees"
exit $rc
