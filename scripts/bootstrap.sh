#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Install what building and testing io_uring_rs needs: Debian packages, the
# rust-src component and bindgen. Idempotent and non-interactive: a machine
# that already has everything spends a second or two here.
#
#   scripts/bootstrap.sh          everything
#   scripts/bootstrap.sh --docs   only what `make htmldocs` needs (Sphinx)
#   scripts/bootstrap.sh --liburing   only what scripts/liburing.sh needs
#                                 (dpkg-source, a C and C++ compiler)
set -euo pipefail

DOC_PKGS=(python3-sphinx)
LIBURING_PKGS=(dpkg-dev build-essential)
# LLVM 14 (bookworm's default clang) builds 6.12; LLVM 19 builds 7.2, which
# needs clang >= 17.0.1. 7.2's source comes from scripts/fetch-linux.sh.
PKGS=(linux-source-6.12 clang lld llvm libclang-dev
      clang-19 lld-19 llvm-19 libclang-19-dev flex bison bc libelf-dev
      libssl-dev cpio xz-utils rsync qemu-system-x86 busybox-static kmod python3
      valgrind "${DOC_PKGS[@]}")
pkgs_only=0
[ "${1:-}" != --docs ] || { pkgs_only=1; PKGS=("${DOC_PKGS[@]}"); }
[ "${1:-}" != --liburing ] || { pkgs_only=1; PKGS=("${LIBURING_PKGS[@]}"); }

log() { printf 'bootstrap: %s\n' "$*" >&2; }

SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	log "installing Debian packages: ${missing[*]}"
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
		--no-install-recommends "${missing[@]}" >/dev/null
fi
# --docs and --liburing: the Debian packages were all.
[ "$pkgs_only" -eq 0 ] || exit 0

if ! command -v rustup >/dev/null; then
	log "rustup is required (the machine's Rust toolchain manager); not found"
	exit 1
fi
if ! rustup component list --installed 2>/dev/null | grep -q '^rust-src'; then
	log "adding rustup component rust-src"
	rustup component add rust-src >/dev/null
fi

# Miri (for `make check`'s miri suite) needs a nightly toolchain; where the
# machine has one, add the component. Without it the suite is skipped.
if rustup toolchain list 2>/dev/null | grep -q '^nightly' &&
	! cargo +nightly miri --version >/dev/null 2>&1; then
	log "adding miri to the nightly toolchain"
	rustup component add --toolchain nightly miri rust-src >/dev/null 2>&1 ||
		log "miri is not available; the miri suite will be skipped"
fi

BINDGEN_VERSION=0.73.2
if ! command -v bindgen >/dev/null ||
	[ "$(bindgen --version 2>/dev/null | awk '{print $2}')" != "$BINDGEN_VERSION" ]; then
	log "installing bindgen-cli $BINDGEN_VERSION (takes a few minutes once)"
	cargo install --quiet --locked bindgen-cli --version "$BINDGEN_VERSION"
fi
