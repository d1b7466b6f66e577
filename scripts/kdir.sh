#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Print the kernel tree to build io_uring_rs against.
#
#   KERNEL=6.12|7.2 scripts/kdir.sh [FLAVOUR]
#
# With KDIR set in the environment, check that it is a usable tree and print
# it (KERNEL is then ignored). Otherwise install what is missing and build
# (or reuse from the cache) the FLAVOUR kernel (default: debug) of KERNEL
# (default: 6.12) from its config fragment; see Documentation/testing.rst.
set -euo pipefail
here=$(dirname "$(readlink -f "$0")")
flavour=${1:-debug}

if [ -n "${KDIR:-}" ]; then
	for f in .config Module.symvers arch/x86/boot/bzImage; do
		[ -e "$KDIR/$f" ] || { echo "KDIR=$KDIR: no $f (run 'make all' in it first)" >&2; exit 1; }
	done
	grep -qx 'CONFIG_RUST=y' "$KDIR/.config" || { echo "KDIR=$KDIR: CONFIG_RUST is not set" >&2; exit 1; }
	echo "$KDIR"
	exit 0
fi

case $flavour in
debug) fragment=$here/../selftests/config ;;
profile)
	# The timing kernel with the function profiler: both fragments, merged
	# into one file that names the flavour's configuration.
	fragment=$(mktemp --suffix=.config.profile)
	trap 'rm -f "$fragment"' EXIT
	cat "$here/../selftests/config.timing" "$here/../selftests/config.profile" >"$fragment"
	;;
kcsan)
	# The debug kernel with KCSAN instead of KASAN, which it excludes.
	fragment=$(mktemp --suffix=.config.kcsan)
	trap 'rm -f "$fragment"' EXIT
	grep -v 'KASAN' "$here/../selftests/config" | cat - "$here/../selftests/config.kcsan" >"$fragment"
	;;
*) fragment=$here/../selftests/config.$flavour ;;
esac
"$here/bootstrap.sh"
# One build of a kernel and flavour at a time: build-kernel.sh starts a cold
# build by clearing its .tmp directory, so a second caller (make fmt while
# make check builds) would delete the first one's tree under it. A caller
# that waited here finds the cache filled.
cache_root=${IO_URING_RS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/io_uring_rs}
mkdir -p "$cache_root"
exec 9>"$cache_root/.lock-kernel-${KERNEL:-6.12}-$flavour"
flock 9
"$here/build-kernel.sh" "$flavour" "$fragment" | tail -n 1
