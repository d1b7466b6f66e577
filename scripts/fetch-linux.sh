#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Fetch a kernel source tarball that bookworm does not ship.
#
#   scripts/fetch-linux.sh [--update] 7.2
#
# Linux 7.2 comes from Debian unstable's linux-source-7.2 package. Only that
# one package is downloaded, with an apt configuration of its own (its own
# source list, lists, cache and an empty dpkg status) under the cache
# directory: the machine's bookworm sources and installed packages are not
# touched, and nothing is installed. The tarball the package holds is kept as
# CACHE/src/linux-source-7.2_VERSION.tar.xz; its path is the last line
# printed. Once a tarball is cached it is used without asking the network,
# so the kernel under test changes only when asked: --update fetches the
# version unstable has now (and keeps only that one). Without the network,
# the tarball already cached is used.
set -euo pipefail
update=0
if [ "${1:-}" = --update ]; then update=1; shift; fi
series=${1:?usage: fetch-linux.sh [--update] 7.2}
pkg=linux-source-$series
cache_root=${IO_URING_RS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/io_uring_rs}
src=$cache_root/src
apt=$cache_root/apt-unstable
mkdir -p "$src" "$apt"/{lists/partial,archives/partial}

log() { printf 'fetch-linux: %s\n' "$*" >&2; }
# The newest tarball cached, or nothing (not a failure: a cold cache).
newest_cached() {
	local f
	for f in "$src/${pkg}_"*.tar.xz; do if [ -f "$f" ]; then echo "$f"; fi; done | sort -V | tail -n 1
}

cached=$(newest_cached)
if [ $update -eq 0 ] && [ -n "$cached" ]; then
	echo "$cached"
	exit 0
fi

echo "deb http://deb.debian.org/debian unstable main" >"$apt/sources.list"
opts=(-o Dir::Etc::SourceList="$apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
	-o Dir::State::Lists="$apt/lists" -o Dir::Cache="$apt" -o Dir::Cache::archives="$apt/archives"
	-o Dir::State::status=/dev/null -o APT::Architecture=amd64
	-o APT::Sandbox::User=root -o Debug::NoLocking=1)

if ! timeout 120 apt-get "${opts[@]}" -qq update >"$apt/update.log" 2>&1; then
	cached=$(newest_cached)
	[ -n "$cached" ] || { cat "$apt/update.log" >&2; log "cannot reach unstable and nothing is cached"; exit 1; }
	log "unstable unreachable; using the cached $(basename "$cached")"
	echo "$cached"
	exit 0
fi
version=$(apt-cache "${opts[@]}" show "$pkg" 2>/dev/null | sed -n 's/^Version: //p' | sort -V | tail -n 1)
[ -n "$version" ] || { log "unstable has no $pkg"; exit 1; }
tarball=$src/${pkg}_$version.tar.xz
if [ -f "$tarball" ]; then
	echo "$tarball"
	exit 0
fi

log "downloading $pkg $version from unstable (about 160 MiB)"
work=$(mktemp -d "$apt/dl.XXXXXX")
trap 'rm -rf "$work"' EXIT
(cd "$work" && apt-get "${opts[@]}" -qq download "$pkg=$version" >/dev/null)
deb=$(ls "$work"/*.deb)
dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$work" "./usr/src/$pkg.tar.xz"
mv "$work/usr/src/$pkg.tar.xz" "$tarball.tmp"
mv "$tarball.tmp" "$tarball"
# Keep only the newest source of this series.
for old in "$src/${pkg}_"*.tar.xz; do
	[ "$old" = "$tarball" ] || rm -f "$old"
done
echo "$tarball"
