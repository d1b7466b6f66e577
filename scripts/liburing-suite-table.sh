#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The whole-suite table of Documentation/testing.rst: every liburing 2.3
# test program with its result on the real io_uring and on io_uring_rs
# (selftests/liburing/suite-expected.txt, written by make liburing-suite
# UPDATE=1) and, for every program whose results differ, the reason
# (selftests/liburing/suite-reasons.txt: "PROGRAM REASON", written by
# hand). Writes Documentation/liburing-suite.inc, which testing.rst
# includes; fails, naming them, if a disagreement has no reason or a reason
# names a program that agrees.
set -uo pipefail
root=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
expected=$root/selftests/liburing/suite-expected.txt
reasons=$root/selftests/liburing/suite-reasons.txt
inc=$root/Documentation/liburing-suite.inc

awk -v reasons="$reasons" '
	BEGIN {
		while ((getline line < reasons) > 0) {
			if (line ~ /^#/ || line ~ /^[ \t]*$/) continue
			p = line; sub(/[ \t].*/, "", p)
			r = line; sub(/^[^ \t]+[ \t]+/, "", r)
			why[p] = r
		}
		bad = 0
	}
	/^#/ || $1 == "program" || NF < 4 { next }
	{
		r = ""
		if ($4 != "yes") {
			if (!($1 in why)) { print "liburing-suite-table: no reason for " $1 > "/dev/stderr"; bad = 1 }
			r = why[$1]
		} else if ($1 in why) {
			print "liburing-suite-table: " $1 " agrees but has a reason" > "/dev/stderr"; bad = 1
		}
		gsub(/"/, "\"\"", r)
		printf "   \"%s\", \"%s\", \"%s\", \"%s\"\n", $1, $2, $3, r
	}
	END { exit bad }
' "$expected" >"$inc.rows" || { rm -f "$inc.rows"; exit 1; }
{
	echo ".. SPDX-License-Identifier: GPL-2.0"
	echo ".. Written by scripts/liburing-suite-table.sh from"
	echo "   selftests/liburing/suite-expected.txt and suite-reasons.txt."
	echo
	echo ".. csv-table:: liburing 2.3's test programs in the debug VM"
	echo "   :header: \"program\", \"io_uring\", \"io_uring_rs\", \"why they differ\""
	echo "   :widths: 22, 11, 11, 56"
	echo
	cat "$inc.rows"
} >"$inc"
echo "liburing-suite-table: wrote $inc ($(wc -l <"$inc.rows") programs)"
rm -f "$inc.rows"
