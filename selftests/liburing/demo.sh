#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The liburing demo (liburing/demo.c) on the real io_uring and on
# io_uring_rs (LD_PRELOAD of libio_uring_rs_preload.so), side by side, as
# the scenario demo shows it: a read linked to a timeout, a second read and
# its cancel. Exit status 0 if both backends gave the same completions.
# In the VM: scripts/vm-run.sh liburing-demo (make liburing-demo).
DIR=$(dirname "$(readlink -f "$0")")
# shellcheck source=../lib.sh
. "$DIR/../lib.sh"
LU_DIR=$DIR
# shellcheck source=lib.sh
. "$LU_DIR/lib.sh"
DEMO=$DIR/io_uring_rs_liburing_demo

echo "== insmod io_uring_rs.ko"
lu_insmod "$DIR/../io_uring_rs.ko" || { echo "insmod failed"; exit 1; }
mkdir -p "$LU_WORK"
cd "$LU_WORK" || exit 1
timeout -k 5 20 "$DEMO" >demo.io_uring 2>&1
rc_a=$?
LD_PRELOAD=$LU_PRELOAD timeout -k 5 20 "$DEMO" >demo.io_uring_rs 2>&1
rc_b=$?

res_of() { # FILE USER_DATA: the res column of that completion, or "-"
	awk -v ud="$2" '$1 == ud && NF == 2 { print $2; found = 1 }
		END { if (!found) print "-" }' "$1"
}
echo
echo "== one chain, both backends ($DEMO)"
printf '%11s  %-21s  %-13s  %s\n' user_data request io_uring io_uring_rs
same=1
for ud in 1 2 3 4; do
	case $ud in
	1) req="read (link)" ;;
	2) req="link_timeout" ;;
	3) req="read" ;;
	4) req="cancel of 3" ;;
	esac
	a=$(res_of demo.io_uring $ud)
	b=$(res_of demo.io_uring_rs $ud)
	[ "$a" = "$b" ] || same=0
	printf '%11s  %-21s  %-13s  %s\n' "$ud" "$req" "$a" "$b"
done
# Whatever else a backend printed (an error of io_uring_queue_init, say).
for backend in io_uring io_uring_rs; do
	grep -v '^[0-9]* [^ ]*$' "demo.$backend" | sed "s/^/  $backend: /"
done
echo "  exit codes: io_uring=$rc_a io_uring_rs=$rc_b"
[ "$rc_a" = "$rc_b" ] || same=0

if [ "$lu_loaded" = 1 ]; then
	echo
	echo "== rmmod io_uring_rs"
	iur_rmmod || { echo "rmmod failed"; exit 1; }
fi
[ $same = 1 ]
