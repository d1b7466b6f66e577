#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
#
# /init of the io_uring_rs test VM (busybox initramfs built by vm-run.sh).
#
# ttyS0 is the kernel console (everything, for the log scan); ttyS1 carries
# only what the host parses: the kselftest KTAP stream and the verdict line.
/bin/busybox mkdir -p /proc /sys /dev /tmp /usr/bin /usr/sbin /sbin
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
# devtmpfs has no fd links; kselftest's runner.sh writes to /dev/stdout.
ln -s /proc/self/fd /dev/fd
ln -s /proc/self/fd/0 /dev/stdin
ln -s /proc/self/fd/1 /dev/stdout
ln -s /proc/self/fd/2 /dev/stderr
mount -t tmpfs tmpfs /tmp
mount -t debugfs debugfs /sys/kernel/debug
# Loopback for liburing's socket tests (CONFIG_NET, selftests/config).
ip link set lo up 2>/dev/null

mode=check
for arg in $(cat /proc/cmdline); do
	case $arg in io_uring_rs.mode=*) mode=${arg#io_uring_rs.mode=} ;; esac
done

out=/dev/ttyS1
say() { echo "$*" | tee -a $out; }
# Run a command, copy its output to both consoles, keep its exit code in $rc.
run() {
	{ "$@"; echo $? > /tmp/rc; } 2>&1 | tee -a $out
	rc=$(cat /tmp/rc)
}

kmemleak=/sys/kernel/debug/kmemleak
# Forget whatever boot itself left behind; only what the run leaks counts.
[ -w $kmemleak ] && echo clear > $kmemleak

# The CPUs the kernel brought up: QEMU gives the guest two, and the log
# check fails a run that found fewer (races need two CPUs to happen).
say "io_uring_rs-guest: start mode=$mode kernel=$(uname -r) cpus=$(grep -c '^processor' /proc/cpuinfo)"
case $mode in
check | liburing | kcsan)
	# liburing: vm-run.sh wrote a kselftest-list.txt of that one test.
	run /kselftest/run_kselftest.sh
	;;
inject-fail)
	# Pipeline self-test: one case of the collection fails on purpose.
	export IO_URING_RS_INJECT_FAIL=1
	run /kselftest/run_kselftest.sh
	;;
run)
	run /kselftest/io_uring_rs/demo.sh
	;;
bench)
	run /kselftest/io_uring_rs/bench.sh
	;;
liburing-suite)
	run /kselftest/io_uring_rs/liburing/suite.sh
	;;
liburing-demo)
	run /kselftest/io_uring_rs/liburing/demo.sh
	;;
exec)
	# Whatever VM_EXTRA put into /extra (e.g. the fixture capture).
	run /extra/run.sh
	;;
*)
	say "io_uring_rs-guest: unknown mode $mode"
	rc=2
	;;
esac

if [ -w $kmemleak ]; then
	# kmemleak only reports objects older than 5 s; scan twice past that.
	sleep 6
	echo scan > $kmemleak
	echo scan > $kmemleak
	leaks=$(grep -c '^unreferenced object' $kmemleak)
	cat $kmemleak
	say "io_uring_rs-guest: kmemleak suspects=$leaks"
else
	say "io_uring_rs-guest: kmemleak unavailable"
fi
say "io_uring_rs-guest: done rc=$rc"
sync
reboot -f
