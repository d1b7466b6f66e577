#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make check: every test suite of io_uring_rs, then one totals line.
#
#   lint      rustfmt --check and clippy, on the module (CLIPPY=1) and on
#             the host mirror (normal and loom builds), and the Sphinx build
#             of Documentation/ (make htmldocs); warnings are errors
#   pipeline  unit tests of the VM log/KTAP checker (scripts/tests)
#   host      cargo test of the host mirror (rust/)
#   loom      the loom models of the host mirror (--cfg loom)
#   miri-stacked, miri-tree
#             the host tests under miri, Stacked and Tree Borrows (skipped
#             without a nightly miri)
#   compile-fail-host, compile-fail-kbuild
#             the lock-rule bugs written against the real API must be
#             rejected, with the expected compiler message (host mirror and
#             kernel crate)
#   vm        the kselftest collection in the debug VM (scripts/vm-run.sh)
#   vm-fail   the pipeline's own end-to-end test: a run with one injected
#             failing KTAP case must be judged a failure
#
# KDIR must name the debug kernel tree (the Makefile passes it).
set -uo pipefail
root=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
cd "$root"
mkdir -p out

total_p=0 total_f=0 total_s=0
failed_suites=()
add() { # suite passed failed skipped
	echo "check: $1: $2 passed, $3 failed, $4 skipped"
	total_p=$((total_p + $2)); total_f=$((total_f + $3)); total_s=$((total_s + $4))
	[ "$3" -eq 0 ] || failed_suites+=("$1")
}

# --- lint: rustfmt, clippy, htmldocs --------------------------------------
lp=0 lf=0
lint() { # name command...
	local name=$1
	shift
	if "$@" >"$root/out/lint-$name.log" 2>&1; then
		lp=$((lp + 1))
	else
		cat "$root/out/lint-$name.log"
		echo "check: lint: $name failed"
		lf=$((lf + 1))
	fi
}
lint fmt-check make -s fmt-check
lint tiers scripts/check-tiers.sh
lint clippy-module make -s clippy
lint clippy-host bash -c 'cd rust && cargo clippy -q --all-targets -- -D warnings'
lint clippy-host-loom bash -c 'cd rust && RUSTFLAGS="--cfg loom" cargo clippy -q --all-targets --target-dir target/loom -- -D warnings'
lint htmldocs make -s htmldocs
# The whole-suite table is what its two sources make (and every
# disagreement has a reason).
lint suite-table bash -c 'scripts/liburing-suite-table.sh &&
	git diff --exit-code -- Documentation/liburing-suite.inc'
add lint $lp $lf 0

# --- pipeline: unit tests of the checker --------------------------------
log=$(mktemp)
python3 -m unittest discover -s scripts/tests -t . -v >"$log" 2>&1
rc=$?
cat "$log"
ran=$(sed -n 's/^Ran \([0-9]*\) tests\?.*/\1/p' "$log")
fails=$(grep -Eo '(failures|errors)=[0-9]+' "$log" | cut -d= -f2 | paste -sd+ | bc)
skips=$(grep -Eo 'skipped=[0-9]+' "$log" | cut -d= -f2 | head -1)
ran=${ran:-0} fails=${fails:-0} skips=${skips:-0}
[ $rc -eq 0 ] || [ "$fails" -gt 0 ] || fails=1
add pipeline $((ran - fails - skips)) "$fails" "$skips"
rm -f "$log"

# --- host and loom: cargo test of the host mirror ------------------------
cargo_suite() { # suite env-and-command...
	local suite=$1 log
	shift
	log=$(mktemp)
	(cd rust && env "$@" 2>&1) | tee "$log"
	local rc=${PIPESTATUS[0]}
	read -r p f s < <(awk '/^test result:/ { for (i = 1; i <= NF; i++) {
		if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i;
		if ($(i+1) ~ /^ignored/) s += $i } } END { print p+0, f+0, s+0 }' "$log")
	[ "$rc" -eq 0 ] || [ "$f" -gt 0 ] || f=1
	add "$suite" "$p" "$f" "$s"
	rm -f "$log"
}
cargo_suite host cargo test --quiet --workspace
cargo_suite loom RUSTFLAGS="--cfg loom" cargo test --quiet --release -p io_uring_rs_host \
	--target-dir target/loom -- --test-threads=1 --nocapture

# Miri under both aliasing models: Stacked Borrows and Tree Borrows.
if cargo +nightly miri --version >/dev/null 2>&1; then
	cargo_suite miri-stacked MIRIFLAGS=-Zmiri-disable-isolation cargo +nightly miri test \
		--quiet -p io_uring_rs_host --lib
	cargo_suite miri-tree MIRIFLAGS="-Zmiri-disable-isolation -Zmiri-tree-borrows" \
		cargo +nightly miri test --quiet -p io_uring_rs_host --lib --target-dir target/miri-tree
else
	echo "check: miri: no nightly toolchain with miri on this machine; skipped"
	add miri 0 0 2
fi

# --- compile-fail: the series' bugs must not compile ------------------------
for mode in host kbuild; do
	log=$(mktemp)
	scripts/compile-fail.sh "$mode" | tee "$log"
	rc=${PIPESTATUS[0]}
	read -r p f < <(sed -n 's/^compile-fail ([a-z]*): \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$log")
	p=${p:-0} f=${f:-0}
	[ "$rc" -eq 0 ] || [ "$f" -gt 0 ] || f=1
	add "compile-fail-$mode" "$p" "$f" 0
	rm -f "$log"
done

# --- vm: the kselftest collection on the debug kernel ---------------------
counts_of() { cat "$(ls -td "$root"/out/vm-"$1"-* | head -1)/counts" 2>/dev/null || echo "0 1 0"; }
scripts/vm-run.sh check
rc=$?
read -r p f s < <(counts_of check)
[ $rc -eq 0 ] || [ "$f" -gt 0 ] || f=1
add vm "$p" "$f" "$s"

# --- vm-fail: an injected failing case must fail the run ------------------
if [ "${IO_URING_RS_SKIP_INJECT:-0}" = 1 ]; then
	add vm-fail 0 0 1
else
	out=$(scripts/vm-run.sh inject-fail 2>&1)
	rc=$?
	echo "$out" | tail -n 4
	if [ $rc -ne 0 ] && echo "$out" | grep -q 'FAIL injected failure'; then
		echo "check: vm-fail: the injected failure failed the run, as it must"
		add vm-fail 1 0 0
	else
		echo "check: vm-fail: a run with a failing KTAP case was not judged a failure"
		add vm-fail 0 1 0
	fi
fi

echo
if [ ${#failed_suites[@]} -gt 0 ]; then
	echo "check: FAILED suites: ${failed_suites[*]}"
fi
echo "$total_p passed, $total_f failed, $total_s skipped"
[ "$total_f" -eq 0 ]
