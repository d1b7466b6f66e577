#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Regenerate scripts/tests/fixtures/*.log: boot the debug kernel, trigger
# each kind of splat with splat.ko and cut each report out of the console
# log; clean.log is the console log of a clean `check` run's boot and load.
# With KCSAN_KDIR (the data-race kernel), kcsan-race.log and
# kcsan-wq-race.log too: the first report of splat.ko's race between two
# CPUs, between a thread and the loader and between two work items.
#
#   KDIR=... [KCSAN_KDIR=...] scripts/tests/capture-fixtures.sh
set -euo pipefail
here=$(cd "$(dirname "$(readlink -f "$0")")" && pwd)
root=$(cd "$here/../.." && pwd)
: "${KDIR:?KDIR must name the debug kernel tree}"
kinds="warn lockdep kasan atomic_sleep"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$here/splat/Kbuild" "$here/splat/splat.c" "$work/"
make -s -C "$KDIR" M="$work" LLVM="$("$root/scripts/kllvm.sh" "$KDIR")" modules
mkdir "$work/extra"
cp "$work/splat.ko" "$work/extra/"
{
	echo '#!/bin/sh'
	for k in $kinds; do
		echo "echo 'fixture-begin $k' > /dev/kmsg"
		echo "insmod /extra/splat.ko kind=$k"
		echo "echo 'fixture-end $k' > /dev/kmsg"
	done
	echo "echo 'fixture-begin leak' > /dev/kmsg"
	echo "insmod /extra/splat.ko kind=leak"
} > "$work/extra/run.sh"
chmod +x "$work/extra/run.sh"
VM_EXTRA=$work/extra "$root/scripts/vm-run.sh" exec || true
console=$(ls -td "$root"/out/vm-exec-* | head -1)/console.log
for k in $kinds; do
	tr -d "\r" < "$console" | sed -n "/fixture-begin $k\$/,/fixture-end $k\$/p" |
		sed '1d;$d' > "$here/fixtures/$k.log"
	echo "fixture $k: $(wc -l < "$here/fixtures/$k.log") lines"
done
# The leak is reported by the guest init's kmemleak scan at the end of the run.
tr -d "\r" < "$console" | sed -n '/kmemleak: [0-9]* new suspected/,/^io_uring_rs-guest: kmemleak/p' |
	sed '$d' > "$here/fixtures/leak.log"
echo "fixture leak: $(wc -l < "$here/fixtures/leak.log") lines"
if [ -n "${KCSAN_KDIR:-}" ]; then
	rm -rf "$work/race"
	mkdir -p "$work/race/extra"
	cp "$here/splat/Kbuild" "$here/splat/splat.c" "$work/race/"
	make -s -C "$KCSAN_KDIR" M="$work/race" LLVM="$("$root/scripts/kllvm.sh" "$KCSAN_KDIR")" modules
	cp "$work/race/splat.ko" "$work/race/extra/"
	printf '#!/bin/sh\ninsmod /extra/splat.ko kind=race\ninsmod /extra/splat.ko kind=wq_race\n' \
		>"$work/race/extra/run.sh"
	chmod +x "$work/race/extra/run.sh"
	KDIR=$KCSAN_KDIR VM_EXTRA=$work/race/extra "$root/scripts/vm-run.sh" exec || true
	console=$(ls -td "$root"/out/vm-exec-* | head -1)/console.log
	# report TITLE: the first report whose title has TITLE, from the line
	# of "=" that opens it to the one that closes it.
	report() {
		tr -d "\r" < "$console" | awk -v t="$1" '
			/^\[[ 0-9.]*\] =+$/ { if (on) { print; exit } prev = $0; next }
			/BUG: KCSAN: / && index($0, t) { on = 1; print prev }
			on'
	}
	report splat_racer > "$here/fixtures/kcsan-race.log"
	echo "fixture kcsan-race: $(wc -l < "$here/fixtures/kcsan-race.log") lines"
	report splat_wq_racer > "$here/fixtures/kcsan-wq-race.log"
	echo "fixture kcsan-wq-race: $(wc -l < "$here/fixtures/kcsan-wq-race.log") lines"
fi
"$root/scripts/vm-run.sh" check || true
tr -d "\r" < "$(ls -td "$root"/out/vm-check-* | head -1)/console.log" > "$here/fixtures/clean.log"
tr -d "\r" < "$(ls -td "$root"/out/vm-check-* | head -1)/ktap.log" > "$here/fixtures/ktap-pass.log"
echo "fixture clean: $(wc -l < "$here/fixtures/clean.log") lines"
