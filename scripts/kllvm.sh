#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Print the LLVM= value that builds modules for a kernel tree.
#
#   scripts/kllvm.sh KDIR
#
# A module must be built with the compilers its kernel was built with. A
# tree from scripts/build-kernel.sh records its value; for another tree
# (KDIR=) the clang major version in its .config decides: 1 (clang,
# ld.lld, ...) when it is the machine's default clang, otherwise -MAJOR
# (clang-MAJOR, ...).
set -euo pipefail
kdir=${1:?usage: kllvm.sh KDIR}
if [ -f "$kdir/.io_uring_rs-llvm" ]; then
	cat "$kdir/.io_uring_rs-llvm"
	exit 0
fi
want=$(sed -n 's/^CONFIG_CLANG_VERSION=//p' "$kdir/.config")
[ -n "$want" ] && [ "$want" != 0 ] || { echo "kllvm: $kdir was not built with clang" >&2; exit 1; }
have=$(clang --version 2>/dev/null | sed -n '1s/.*version \([0-9]*\)\..*/\1/p')
if [ "$((want / 10000))" = "${have:-0}" ]; then
	echo 1
else
	echo "-$((want / 10000))"
fi
