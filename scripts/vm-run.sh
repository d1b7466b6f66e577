#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot the test kernel under QEMU (TCG) with a busybox initramfs holding the
# module and the kselftest collection, and judge the run.
#
#   KDIR=... scripts/vm-run.sh MODE
#
# MODE: check (run the kselftests), kcsan (the scenarios, the ABI cases
# and the stress, and the ring stress on io_uring, on the data-race
# kernel), run (the demo), inject-fail (the
# collection with one case failing on purpose: the pipeline's own test),
# bench (the benchmarks, on the timing kernel), exec (run /extra/run.sh
# from the directory VM_EXTRA names), liburing (only the kselftest
# io_uring_rs_liburing.sh), liburing-suite (liburing's whole test suite on
# both backends; scripts/liburing-suite.sh judges it), liburing-demo (the
# liburing demo on both backends).
# Exit status 0 only if the guest finished, every KTAP case passed and the
# kernel log holds no splat. Logs go to out/vm-MODE-TIMESTAMP/.
set -euo pipefail
mode=${1:?usage: vm-run.sh check|run|inject-fail|bench|exec|liburing|liburing-suite|liburing-demo}
root=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
: "${KDIR:?KDIR must name the kernel tree}"
timeout_s=${VM_TIMEOUT:-900}
# The guest's CPUs (VM_CPUS, default 2: a profile on one CPU compares
# with the results from before the second); the log check fails a run
# whose kernel brought up fewer.
cpus=${VM_CPUS:-2}
case $cpus in [1-9]) ;; *) echo "vm: VM_CPUS must be 1 to 9, not '$cpus'" >&2; exit 2 ;; esac

out=$root/out/vm-$mode-$(date +%Y%m%d-%H%M%S)
stage=$out/initramfs
mkdir -p "$stage"/{bin,usr/bin,kselftest}

cp /bin/busybox "$stage/bin/busybox"
install -m 755 "$root/scripts/guest-init.sh" "$stage/init"
install -m 755 "$root/scripts/timeout-shim.sh" "$stage/usr/bin/timeout"
ksft=$KDIR/tools/testing/selftests
cp -r "$ksft/kselftest" "$stage/kselftest/"
install -m 755 "$ksft/run_kselftest.sh" "$stage/kselftest/"
# A module built against another kernel tree (make bench) stands for the
# checkout's, which then need not be built.
module_arg=()
if [ -n "${VM_MODULE:-}" ]; then module_arg=(MODULE="$VM_MODULE"); fi
make -s -C "$root/selftests" KDIR="$KDIR" "${module_arg[@]}" install INSTALL_PATH="$stage/kselftest/io_uring_rs" >/dev/null
make -s -C "$root/selftests" KDIR="$KDIR" COLLECTION=io_uring_rs emit_tests > "$stage/kselftest/kselftest-list.txt"
if [ -n "${VM_EXTRA:-}" ]; then cp -r "$VM_EXTRA" "$stage/extra"; fi
# The liburing oracle: in its own modes, and whenever the collection runs
# io_uring_rs_liburing.sh (VM_LIBURING=1 forces it).
stage_liburing=${VM_LIBURING:-0}
case $mode in
liburing)
	stage_liburing=1
	echo "io_uring_rs:io_uring_rs_liburing.sh" >"$stage/kselftest/kselftest-list.txt"
	;;
inject-fail)
	# The module test carries the injected case; the rest of the
	# collection would only make the pipeline's own test longer.
	echo "io_uring_rs:io_uring_rs_module.sh" >"$stage/kselftest/kselftest-list.txt"
	;;
kcsan)
	# The data-race kernel: what runs both backends concurrently.
	printf 'io_uring_rs:%s\n' io_uring_rs_scenarios.sh io_uring_rs_abi.sh \
		io_uring_rs_stress.sh io_uring_rs_uring_stress.sh io_uring_rs_link_race.sh \
		>"$stage/kselftest/kselftest-list.txt"
	# KCSAN watches one access in thousands: the link race runs longer.
	echo 30 >"$stage/kselftest/io_uring_rs/link_race_secs"
	;;
liburing-* | run) stage_liburing=1 ;;
esac
grep -q ':io_uring_rs_liburing\.sh$' "$stage/kselftest/kselftest-list.txt" && stage_liburing=1
if [ "$stage_liburing" = 1 ]; then
	# liburing's test programs, the preload and the demo (built and cached
	# by scripts/liburing.sh) next to the repository's liburing/ files, and
	# the glibc runtime they are dynamically linked against.
	lu=$("$root/scripts/liburing.sh")
	lu_stage=$stage/kselftest/io_uring_rs/liburing
	mkdir -p "$lu_stage"
	cp "$lu"/test/*.t "$lu"/libio_uring_rs_preload.so "$lu"/io_uring_rs_liburing_demo "$lu_stage/"
	# The time bound of one program's run (liburing/lib.sh).
	echo "${LU_TIMEOUT:-60}" >"$lu_stage/timeout"
	for f in "$lu_stage"/*.t "$lu_stage"/*.so "$lu_stage"/io_uring_rs_liburing_demo; do
		ldd "$f" | sed -n 's/.*=> \(\/[^ ]*\) .*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) .*/\1/p'
	done | sort -u | while read -r lib; do cp -L --parents "$lib" "$stage/"; done
fi
(cd "$stage" && find . | cpio -o -H newc --quiet | gzip -1) > "$out/initramfs.cpio.gz"

console=$out/console.log
ktap=$out/ktap.log
echo "vm: booting $KDIR ($mode), logs in $out" >&2
start=$(date +%s)
set +e
# la57=off: with QEMU's "max" CPU the guest uses 5-level paging, under
# which the debug kernel's KASAN has reported a wild access in an early-boot
# interrupt (handle_edge_irq during identify_cpu, before any test runs) on
# some boots; 4-level paging is what the kernels under test run on anyway.
# VM_QEMU_ARGS: more QEMU arguments (scripts/insn-profile.sh's plugin).
read -ra qemu_extra <<<"${VM_QEMU_ARGS:-}"
timeout --foreground "$timeout_s" qemu-system-x86_64 \
	-accel tcg -cpu max,la57=off -smp $cpus -m 2G "${qemu_extra[@]}" \
	-kernel "$KDIR/arch/x86/boot/bzImage" \
	-initrd "$out/initramfs.cpio.gz" \
	-append "console=ttyS0 panic=-1 io_uring_rs.mode=$mode" \
	-display none -monitor none -no-reboot \
	-serial "file:$console" -serial "file:$ktap" </dev/null
qemu_rc=$?
set -e
echo "vm: guest ran $(( $(date +%s) - start ))s (qemu rc=$qemu_rc)" >&2
[ $qemu_rc -ne 124 ] || echo "vm: guest did not finish within ${timeout_s}s" >&2

check_args=(--cpus "$cpus")
# The timing kernel has no kmemleak.
[ "$mode" = bench ] && check_args+=(--no-kmemleak)
case $mode in run | exec | bench | liburing-suite | liburing-demo)
	check_args+=(--no-ktap)
	echo
	grep -v '^io_uring_rs-guest: ' "$ktap" || true
	echo
	;;
esac
python3 "$root/scripts/vm_log_check.py" --console "$console" --ktap "$ktap" \
	--counts "$out/counts" "${check_args[@]}"
