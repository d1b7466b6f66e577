#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build (or reuse) the io_uring_rs test kernel.
#
#   scripts/build-kernel.sh [--dir] FLAVOUR FRAGMENT
#
# FLAVOUR names the kernel (debug, timing); FRAGMENT is the kselftest-style
# config fragment merged on top of tinyconfig. The tree is built with LLVM=1
# and the full `all` target (so Module.symvers carries the Rust exports) in a
# cache directory outside the repository, keyed by everything the result
# depends on. A cache hit costs a checksum. With --dir, only print the
# directory that would be used. The last line printed is always that path.
set -euo pipefail

only_dir=0
if [ "${1:-}" = "--dir" ]; then only_dir=1; shift; fi
[ $# -eq 2 ] || { echo "usage: $0 [--dir] FLAVOUR FRAGMENT" >&2; exit 2; }
flavour=$1
fragment=$(readlink -f "$2")
here=$(dirname "$(readlink -f "$0")")

tarball=/usr/src/linux-source-6.12.tar.xz
cache_root=${IO_URING_RS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/io_uring_rs}

src_version=$(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null || echo none)
key=$( {
	echo "source $src_version"
	echo "rustc $(rustc --version 2>/dev/null)"
	echo "bindgen $(bindgen --version 2>/dev/null)"
	echo "clang $(clang --version 2>/dev/null | head -1)"
	cat "$fragment" "$here/build-kernel.sh"
} | sha256sum | cut -c1-16)
dir=$cache_root/kernel-$flavour-$key

if [ $only_dir -eq 1 ]; then echo "$dir"; exit 0; fi
if [ -f "$dir/.io_uring_rs-built" ]; then
	echo "kernel: cache hit ($flavour, $key)" >&2
	echo "$dir"
	exit 0
fi

[ -f "$tarball" ] || { echo "kernel: $tarball missing (run scripts/bootstrap.sh)" >&2; exit 1; }
unset MAKEFLAGS MAKELEVEL MFLAGS
jobs=$(nproc)
tmp=$dir.tmp
rm -rf "$tmp"
mkdir -p "$tmp"
echo "kernel: building $flavour kernel in $dir (cold cache, several minutes)" >&2
start=$(date +%s)
tar -xf "$tarball" -C "$tmp" --strip-components=1
kmake() { make -C "$tmp" LLVM=1 "$@"; }
kmake -s tinyconfig >/dev/null
(cd "$tmp" && scripts/kconfig/merge_config.sh -m .config "$fragment" >/dev/null)
kmake -s olddefconfig >/dev/null

# merge_config only warns about options that did not survive; make it fatal,
# so a fragment option never silently goes missing.
bad=0
while IFS= read -r line; do
	case "$line" in
	CONFIG_*=*)
		grep -qx -- "$line" "$tmp/.config" || { echo "kernel: config: wanted $line, got: $(grep -E "^(# )?${line%%=*}[= ]" "$tmp/.config" || echo unset)" >&2; bad=1; }
		;;
	"# CONFIG_"*" is not set")
		opt=${line#\# }; opt=${opt%% *}
		! grep -q "^$opt=" "$tmp/.config" || { echo "kernel: config: wanted $opt unset" >&2; bad=1; }
		;;
	esac
done < "$fragment"
[ $bad -eq 0 ] || { echo "kernel: fragment $fragment does not apply cleanly" >&2; exit 1; }

kmake -j"$jobs" all >"$tmp/build.log" 2>&1 || { tail -40 "$tmp/build.log" >&2; echo "kernel: build failed, log: $tmp/build.log" >&2; exit 1; }
grep -q '[[:space:]]_R' "$tmp/Module.symvers" || { echo "kernel: Module.symvers has no Rust exports" >&2; exit 1; }
touch "$tmp/.io_uring_rs-built"
rm -rf "$dir"
mv "$tmp" "$dir"
# Keep only the newest build of this flavour: each is a few GiB.
for old in "$cache_root"/kernel-"$flavour"-*; do
	[ "$old" = "$dir" ] || [ ! -d "$old" ] || rm -rf "$old"
done
echo "kernel: built $flavour in $(( $(date +%s) - start ))s" >&2
echo "$dir"
