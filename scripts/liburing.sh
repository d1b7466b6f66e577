#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Fetch liburing 2.3 (Debian bookworm's source package) and build what the
# liburing oracle runs in the test VM: liburing's own test programs, linked
# dynamically against a liburing.a that makes its system calls through libc's
# syscall(), the LD_PRELOAD library that maps those calls onto
# /dev/io_uring_rs (selftests/liburing/preload.c) and the liburing demo
# (selftests/liburing/demo.c). Nothing of liburing is kept in the repository.
#
#   scripts/liburing.sh          fetch and build if needed; print the paths
#   scripts/liburing.sh --dir    only print the cache directory it would use
#
# The source is fetched with a private apt configuration (its own sources
# list with one deb-src line, its own state and cache directories, an empty
# dpkg status), so the machine's apt sources and state are never touched,
# and unpacked with dpkg-source -x. The build lives in
# ${IO_URING_RS_CACHE:-~/.cache/io_uring_rs}/liburing-2.3-KEY, KEY a hash of
# the package version, this script, the preload and demo sources, the uapi
# header and the compiler and libc versions. It is built in DIR.tmp and
# renamed when complete, so an interrupted build is never a cache hit.
#
# The one change made to liburing: src/syscall.h includes the generic
# (libc syscall()) wrappers instead of arch/x86/syscall.h, whose inline
# `syscall` instructions a preload library could not see.
#
# The last line printed is the directory holding everything the VM needs:
#   DIR/test/*.t                    the test programs (2.3's whole suite)
#   DIR/libio_uring_rs_preload.so   the preload
#   DIR/io_uring_rs_liburing_demo   the demo
set -euo pipefail
root=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
cache_root=${IO_URING_RS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/io_uring_rs}

PKG=liburing
PKG_VERSION=2.3-3
SUITE_DIST=bookworm
# The one-line change to liburing 2.3, applied with sed and then checked.
ARCH_LINE='#include "arch/x86/syscall.h"'
GENERIC_LINE='#include "arch/generic/syscall.h"'

preload_src=$root/selftests/liburing/preload.c
demo_src=$root/selftests/liburing/demo.c
uapi_dir=$root/io_uring_rs/include/uapi

log() { printf 'liburing: %s\n' "$*" >&2; }

key() {
	{
		echo "$PKG $PKG_VERSION $SUITE_DIST"
		cat "$0" "$preload_src" "$demo_src" "$uapi_dir/io_uring_rs.h"
		gcc --version | head -1
		g++ --version | head -1
		dpkg-query -W -f='${Version}\n' libc6 2>/dev/null || true
	} | sha256sum | cut -c1-16
}

# Download the source package into $1 with a private apt configuration.
fetch() {
	local dl=$1 apt_dir=$1/apt
	mkdir -p "$apt_dir"/{state/lists/partial,cache/archives/partial,etc}
	echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg]" \
		"http://deb.debian.org/debian $SUITE_DIST main" >"$apt_dir/etc/sources.list"
	local apt_opts=(-o Dir::Etc::sourcelist="$apt_dir/etc/sources.list"
		-o Dir::Etc::sourceparts=- -o Dir::State="$apt_dir/state"
		-o Dir::State::status=/dev/null -o Dir::Cache="$apt_dir/cache"
		-o APT::Sandbox::User=root -o Debug::NoLocking=1 -qq)
	log "downloading $PKG $PKG_VERSION source from Debian $SUITE_DIST (private apt state)"
	apt-get "${apt_opts[@]}" update >&2
	(cd "$dl" && apt-get "${apt_opts[@]}" source --download-only "$PKG=$PKG_VERSION" >&2)
	rm -rf "$apt_dir"
}

build() {
	local dir=$1 src=$1/src
	fetch "$dir/dl"
	# apt checked the files' hashes against the signed Sources index;
	# dpkg-source's own signature check needs debian-keyring, not installed.
	dpkg-source --no-check -x "$dir/dl/${PKG}_$PKG_VERSION.dsc" "$src" >/dev/null
	grep -qxF "$ARCH_LINE" "$src/src/syscall.h" ||
		{ log "src/syscall.h has no line '$ARCH_LINE'"; exit 1; }
	sed -i "s|^$ARCH_LINE\$|$GENERIC_LINE|" "$src/src/syscall.h"
	grep -qxF "$GENERIC_LINE" "$src/src/syscall.h"

	log "building liburing.a (libc syscall() wrappers) and the test suite"
	(cd "$src" && ./configure --cc=gcc --cxx=g++ >"$dir/configure.log")
	# ENABLE_SHARED=0: only liburing.a exists, so the tests' -luring links
	# it statically; the programs stay dynamically linked against libc.
	make -C "$src/src" -s -j"$(nproc)" ENABLE_SHARED=0 liburing.a >"$dir/build.log" 2>&1 ||
		{ cat "$dir/build.log" >&2; exit 1; }
	# No raw system call may be left in the library: every io_uring call must
	# go through syscall(), where the preload sees it.
	if objdump -d "$src/src/liburing.a" | grep -qP '\tsyscall\s*$'; then
		log "liburing.a still contains syscall instructions"
		exit 1
	fi
	make -C "$src/test" -s -j"$(nproc)" all >>"$dir/build.log" 2>&1 ||
		{ cat "$dir/build.log" >&2; exit 1; }
	mkdir -p "$dir/test"
	cp "$src"/test/*.t "$dir/test/"
	strip --strip-debug "$dir"/test/*.t

	# Interpose libc's own io_uring functions only where libc has them
	# (bookworm's glibc 2.36 does not).
	local wrappers=()
	if nm -D --defined-only "$(gcc -print-file-name=libc.so.6)" |
		grep -qw io_uring_setup; then
		wrappers=(-DIO_URING_RS_LIBC_WRAPPERS)
	fi
	gcc -O2 -g -Wall -Wextra -Werror -shared -fPIC -I"$uapi_dir" "${wrappers[@]}" \
		-o "$dir/libio_uring_rs_preload.so" "$preload_src" -ldl
	gcc -O2 -g -Wall -Wextra -Werror -I"$src/src/include" \
		-o "$dir/io_uring_rs_liburing_demo" "$demo_src" "$src/src/liburing.a"
	echo "$PKG_VERSION" >"$dir/version"
}

# dpkg-source (dpkg-dev) and a C and C++ compiler (build-essential).
"$root/scripts/bootstrap.sh" --liburing
mkdir -p "$cache_root"
dir=$cache_root/liburing-2.3-$(key)
if [ "${1:-}" = --dir ]; then
	echo "$dir"
	exit 0
fi
if [ ! -f "$dir/version" ]; then
	rm -rf "$dir.tmp"
	mkdir -p "$dir.tmp"
	build "$dir.tmp"
	# Older builds of the same version are superseded.
	for old in "$cache_root"/liburing-2.3-*; do
		case $old in "$dir.tmp" | "$dir") ;; *) rm -rf "$old" ;; esac
	done
	mv "$dir.tmp" "$dir"
	# The build's own paths inside the tree now point at DIR.tmp; only the
	# copies at the top level are used.
	log "built in $dir"
fi
log "$(find "$dir/test" -name '*.t' | wc -l) test programs in $dir/test"
log "preload $dir/libio_uring_rs_preload.so"
log "demo $dir/io_uring_rs_liburing_demo"
echo "$dir"
