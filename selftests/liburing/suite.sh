#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The guest side of make liburing-suite (scripts/liburing-suite.sh): every
# program of liburing 2.3's test suite, on the real io_uring and then on
# io_uring_rs (the preload), each run bounded by LU_TIMEOUT seconds. One
# line a program, which the host turns into the table:
#
#   liburing-suite: PROG IO_URING IO_URING_RS SECS SECS
#
# a result being pass, skip, timeout or fail:CODE, and, for a run that
# neither passed nor skipped, the last lines it printed as
# "liburing-suite-log: PROG BACKEND: LINE". The module is loaded for the
# run and unloaded after it.
DIR=$(dirname "$(readlink -f "$0")")
LU_DIR=$DIR
# shellcheck source=lib.sh
. "$LU_DIR/lib.sh"

result() { # the table's spelling of lu_result
	if [ "$lu_result" = fail ]; then echo "fail:$lu_rc"; else echo "$lu_result"; fi
}
run() { # PROG BACKEND: run it, keep its result, show a failure's last lines
	lu_run "$1" "$2"
	case $lu_result in
	pass | skip) ;;
	*) lu_tail "$1.$2" 3 | sed "s/^#   /liburing-suite-log: $1 $2: /" ;;
	esac
}

lu_staged || { echo "liburing-suite: error: programs not staged"; exit 1; }
lu_insmod "$DIR/../io_uring_rs.ko" || echo "liburing-suite: error: insmod failed"
echo "liburing-suite: start timeout=${LU_TIMEOUT}s programs=$(find "$LU_DIR" -name "*.t" | wc -l)"
for t in "$LU_DIR"/*.t; do
	prog=$(basename "$t" .t)
	run "$prog" io_uring
	a=$(result) a_secs=$lu_secs
	run "$prog" io_uring_rs
	echo "liburing-suite: $prog $a $(result) $a_secs $lu_secs"
done
rc=0
if [ "$lu_loaded" = 1 ] && ! lu_rmmod; then
	echo "liburing-suite: error: rmmod io_uring_rs failed"
	rc=1
fi
echo "liburing-suite: end"
exit $rc
