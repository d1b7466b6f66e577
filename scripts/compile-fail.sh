#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Compile-fail evidence: each case in rust/compile_fail/ writes a bug of
# the "Linked request fix" series (or its history), or an attack on one of
# the core's rules, against io_uring_rs's real API under #[cfg(bug)], and
# the fixed shape under #[cfg(not(bug))]. A case is compiled as a module of
# the core (io_uring_rs/uring/mod.rs includes it), so it has exactly the
# core's rights: pub(crate) items and no unsafe (forbid(unsafe_code)).
# The bug must be rejected with every "// expect-error:" text of the file,
# and the fixed shape must compile (all fixed shapes are built together).
#
#   scripts/compile-fail.sh host     against the host mirror (every case)
#   KDIR=... [KERNEL=6.12|7.2] scripts/compile-fail.sh kbuild
#                                    against the kernel crate with Kbuild
#                                    (the cases marked "// kbuild")
#
# Prints KTAP-style lines, the compiler's messages to out/compile-fail/MODE
# (kbuild-KERNEL for Kbuild), and ends with "N passed, N failed". The
# Kbuild mode builds a private copy of the module's sources, so the host
# mode and each kernel's Kbuild mode can run at the same time.
set -uo pipefail
mode=${1:?usage: compile-fail.sh host|kbuild}
root=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
case $mode in
host)
	out=$root/out/compile-fail/host
	# The core includes the case from rust/target/compile-fail/case.rs,
	# relative to uring/mod.rs (see there).
	srcroot=$root
	;;
kbuild)
	: "${KDIR:?KDIR must name the kernel tree}"
	out=$root/out/compile-fail/kbuild-${KERNEL:-kdir}
	srcroot=$out/src
	rm -rf "$srcroot"
	mkdir -p "$srcroot/rust"
	cp -r "$root/io_uring_rs" "$srcroot/"
	find "$srcroot/io_uring_rs" \( -name '*.o' -o -name '*.ko' -o -name '.*.cmd' -o -name '*.mod*' \
		-o -name 'modules.order' -o -name '*.d' -o -name '*.rmeta' \) -delete
	llvm=$("$root/scripts/kllvm.sh" "$KDIR") || exit 1
	;;
*)
	echo "usage: compile-fail.sh host|kbuild" >&2
	exit 2
	;;
esac
mkdir -p "$out"
pass=0 fail=0 n=0
# The copy of the case under build lives only while this runs, so that a
# tree that ran it lints like a fresh clone.
trap 'rm -rf "$srcroot/rust/target/compile-fail"' EXIT

# build VARIANT CASE-FILE LOG: compile CASE-FILE, the bug (VARIANT=bug) or
# the fixed shape; returns the compiler's exit status. CASE-FILE "all"
# compiles every case's fixed shape at once, one module each.
build() {
	local variant=$1 case=$2 log=$3 cfg=
	[ "$variant" = bug ] && cfg="--cfg bug"
	# The core includes the case as one of its modules (uring/mod.rs).
	mkdir -p "$srcroot/rust/target/compile-fail"
	if [ "$case" = all ]; then
		for c in "$root"/rust/compile_fail/*.rs; do
			printf '#[path = "%s"]\nmod %s;\n' "$c" "$(basename "$c" .rs)"
		done >"$srcroot/rust/target/compile-fail/case.rs"
	else
		cp "$case" "$srcroot/rust/target/compile-fail/case.rs"
	fi
	case $mode in
	host)
		(cd "$root/rust" && RUSTFLAGS="--cfg io_uring_rs_compile_fail $cfg" \
			cargo build -q -p io_uring_rs_host --target-dir "target/cf-$variant") >"$log" 2>&1
		;;
	kbuild)
		local dir=$out/build-$variant
		rm -rf "$dir"
		mkdir -p "$dir"
		cp "$srcroot/io_uring_rs/io_uring_rs_dev.c" "$dir/"
		cat >"$dir/Kbuild" <<-KBUILD
		include $srcroot/io_uring_rs/kernel.mk
		obj-m := io_uring_rs_cf.o
		io_uring_rs_cf-y := cf_main.o io_uring_rs_dev.o
		KBUILD
		cat >"$dir/cf_main.rs" <<-RUST
		//! A compile-fail case built against the kernel crate.
		#![recursion_limit = "256"]
		#![allow(dead_code)]
		use kernel::prelude::*;
		#[path = "$srcroot/io_uring_rs/glue/mod.rs"]
		mod glue;
		#[path = "$srcroot/io_uring_rs/uapi.rs"]
		mod uapi;
		#[path = "$srcroot/io_uring_rs/uring/mod.rs"]
		mod uring;
		module! {
		    type: Cf,
		    name: "io_uring_rs_cf",
		    license: "GPL",
		}
		struct Cf;
		impl kernel::Module for Cf {
		    fn init(_m: &'static ThisModule) -> Result<Self> { Ok(Cf) }
		}
		RUST
		make -C "$KDIR" M="$dir" LLVM="$llvm" KRUSTFLAGS="--cfg io_uring_rs_compile_fail $cfg" \
			modules >"$log" 2>&1
		;;
	esac
}

cases=()
for case in "$root"/rust/compile_fail/*.rs; do
	if [ "$mode" = kbuild ] && ! grep -q '^// kbuild$' "$case"; then
		continue
	fi
	cases+=("$case")
done

# Every fixed shape in one build; only if that fails, one build per case
# tells which.
all_fixed=0
build fixed all "$out/all.fixed.txt" && all_fixed=1

echo "KTAP version 1"
for case in "${cases[@]}"; do
	name=$(basename "$case" .rs)
	n=$((n + 1))
	why=
	if build bug "$case" "$out/$name.bug.txt"; then
		why="the bug compiled"
	else
		while IFS= read -r want; do
			grep -qF -- "$want" "$out/$name.bug.txt" || why="missing compiler message: $want"
		done < <(sed -n 's|^// expect-error: ||p' "$case")
	fi
	if [ -z "$why" ] && [ $all_fixed -eq 0 ] && ! build fixed "$case" "$out/$name.fixed.txt"; then
		why="the fixed shape did not compile (see $out/$name.fixed.txt)"
	fi
	if [ -z "$why" ]; then
		pass=$((pass + 1))
		echo "ok $n $mode: $name"
	else
		fail=$((fail + 1))
		echo "# $name: $why"
		echo "not ok $n $mode: $name"
	fi
done
echo "1..$n"
echo "compile-fail ($mode): $pass passed, $fail failed"
[ "$fail" -eq 0 ]
