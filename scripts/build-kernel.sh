#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build (or reuse) an io_uring_rs test kernel.
#
#   KERNEL=6.12|7.2 scripts/build-kernel.sh [--dir] FLAVOUR FRAGMENT
#
# KERNEL (default 6.12) names the kernel: 6.12 is Debian's linux-source-6.12
# (bookworm, installed by scripts/bootstrap.sh), built with the default
# LLVM; 7.2 is Debian unstable's linux-source-7.2 (scripts/fetch-linux.sh),
# built with bookworm's LLVM 19. FLAVOUR names the configuration (debug,
# timing); FRAGMENT is the kselftest-style config fragment merged on top of
# tinyconfig. The tree is built with the full `all` target (so
# Module.symvers carries the Rust exports) in a cache directory outside the
# repository, keyed by everything the result depends on. A cache hit costs a
# checksum. With --dir, only print the directory that would be used. The
# last line printed is always that path.
set -euo pipefail

only_dir=0
if [ "${1:-}" = "--dir" ]; then only_dir=1; shift; fi
[ $# -eq 2 ] || { echo "usage: KERNEL=6.12|7.2 $0 [--dir] FLAVOUR FRAGMENT" >&2; exit 2; }
flavour=$1
fragment=$(readlink -f "$2")
here=$(dirname "$(readlink -f "$0")")
kernel=${KERNEL:-6.12}
cache_root=${IO_URING_RS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/io_uring_rs}

# The source tarball, its version and the toolchain, per kernel.
case $kernel in
6.12)
	tarball=/usr/src/linux-source-6.12.tar.xz
	src_version=$(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null || echo none)
	llvm=1
	libclang=/usr/lib/llvm-14/lib
	dirname=kernel-6.12-$flavour
	;;
7.2)
	# --dir must not fetch: it names the newest tarball already cached.
	if [ $only_dir -eq 1 ]; then
		tarball=$(for f in "$cache_root"/src/linux-source-7.2_*.tar.xz; do
			if [ -f "$f" ]; then echo "$f"; fi; done | sort -V | tail -n 1)
	else
		tarball=$("$here/fetch-linux.sh" 7.2 | tail -n 1)
	fi
	src_version=$(basename "${tarball:-none}" .tar.xz)
	src_version=${src_version#linux-source-7.2_}
	llvm=-19
	libclang=/usr/lib/llvm-19/lib
	dirname=kernel-7.2-$flavour
	;;
*)
	echo "kernel: KERNEL=$kernel: only 6.12 and 7.2 are supported" >&2
	exit 2
	;;
esac
# bindgen takes the newest libclang it finds; with LLVM 14 and 19 both
# installed, each kernel gets its own.
export LIBCLANG_PATH=$libclang
clang_bin=clang
[ "$llvm" = 1 ] || clang_bin=clang$llvm

key=$( {
	echo "kernel $kernel"
	echo "source $src_version"
	echo "rustc $(rustc --version 2>/dev/null)"
	echo "bindgen $(bindgen --version 2>/dev/null)"
	echo "clang $($clang_bin --version 2>/dev/null | head -1)"
	cat "$fragment" "$here/build-kernel.sh"
} | sha256sum | cut -c1-16)
dir=$cache_root/$dirname-$key

if [ $only_dir -eq 1 ]; then echo "$dir"; exit 0; fi
if [ -f "$dir/.io_uring_rs-built" ]; then
	echo "kernel: cache hit ($kernel $flavour, $key)" >&2
	echo "$dir"
	exit 0
fi

[ -f "$tarball" ] || { echo "kernel: $tarball missing (run scripts/bootstrap.sh)" >&2; exit 1; }
unset MAKEFLAGS MAKELEVEL MFLAGS
jobs=$(nproc)
tmp=$dir.tmp
rm -rf "$tmp"
mkdir -p "$tmp"
echo "kernel: building $kernel $flavour kernel in $dir (cold cache, several minutes)" >&2
start=$(date +%s)
tar -xf "$tarball" -C "$tmp" --strip-components=1
kmake() { make -C "$tmp" LLVM="$llvm" "$@"; }
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
# What the module's build needs to know of this tree: its LLVM= value and
# libclang (scripts/kllvm.sh reads them back).
echo "$llvm" >"$tmp/.io_uring_rs-llvm"
touch "$tmp/.io_uring_rs-built"
rm -rf "$dir"
mv "$tmp" "$dir"
# Keep only the newest build of this kernel and flavour: each is a few GiB.
for old in "$cache_root/$dirname"-*; do
	[ "$old" = "$dir" ] || [ ! -d "$old" ] || rm -rf "$old"
done
echo "kernel: built $kernel $flavour in $(( $(date +%s) - start ))s" >&2
echo "$dir"
