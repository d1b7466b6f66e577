#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make check: every test suite of io_uring_rs, on each kernel, then one
# totals line.
#
#   kernel-K  the debug kernel K is built, or found in the cache
#   lint      rustfmt --check, the core's tiers, clippy on the module (per
#             kernel: clippy-module-K) and on the host mirror (normal and
#             loom builds), the Sphinx build of Documentation/, the liburing
#             suite table, the C sites cited in the docs (c-sites, with both
#             kernels); warnings are errors
#   pipeline  unit tests of the VM log/KTAP checker (scripts/tests)
#   host      cargo test of the host mirror (rust/)
#   loom      the loom models of the host mirror (--cfg loom)
#   miri-stacked, miri-tree
#             the host tests under miri, Stacked and Tree Borrows (skipped
#             without a nightly miri)
#   compile-fail-host, compile-fail-kbuild-K
#             the lock-rule bugs written against the real API must be
#             rejected, with the expected compiler message (host mirror, and
#             each kernel's crate)
#   vm-K      the kselftest collection in kernel K's debug VM
#   vm-fail   the pipeline's own end-to-end test: a run with one injected
#             failing KTAP case must be judged a failure
#   kernel-6.12-kcsan, vm-6.12-kcsan
#             6.12's data-race kernel (KCSAN instead of KASAN) and the
#             scenarios, ABI cases and stress in it
#
# KERNELS (default "6.12 7.2") names the kernels; KDIR=/path replaces them
# with that one tree. The CPU-only suites (loom, miri, compile-fail) each
# use one processor, so they run in two columns side by side; the VMs run
# alone, one kernel after the other. Each suite's log, status and time are
# in out/check/.
set -uo pipefail
root=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
cd "$root"
res=$root/out/check
rm -rf "$res"
mkdir -p "$res"
check_start=$(date +%s)

total_p=0 total_f=0 total_s=0
failed_suites=()
add() { # suite passed failed skipped [seconds]
	echo "check: $1: $2 passed, $3 failed, $4 skipped${5:+ (${5}s)}"
	total_p=$((total_p + $2)); total_f=$((total_f + $3)); total_s=$((total_s + $4))
	[ "$3" -eq 0 ] || failed_suites+=("$1")
}

# --- kernels ---------------------------------------------------------------
# names[i] is a kernel's label (6.12, 7.2), kdirs[i] its tree.
names=() kdirs=()
if [ -n "${KDIR:-}" ]; then
	v=$(make -s -C "$KDIR" kernelversion 2>/dev/null | cut -d. -f1,2)
	names=("${v:-kdir}") kdirs=("$KDIR")
else
	# Packages first, once (two apt-gets at once would fight over dpkg's
	# lock); then the kernels side by side: a cold build spends long
	# stretches on one processor (configuration, the kernel crate, the
	# link), which the other build fills.
	scripts/bootstrap.sh
	# 6.12's data-race kernel (KCSAN) too, when 6.12 is tested.
	builds=()
	for k in ${KERNELS:-6.12 7.2}; do
		builds+=("$k:debug")
		[ "$k" != 6.12 ] || builds+=("6.12:kcsan")
	done
	for b in "${builds[@]}"; do
		(
			t0=$(date +%s)
			KERNEL=${b%:*} scripts/kdir.sh "${b#*:}" >"$res/kernel-$b.dir" 2>"$res/kernel-$b.log"
			echo "$? $(( $(date +%s) - t0 ))" >"$res/kernel-$b.status"
		) &
	done
	wait
	for b in "${builds[@]}"; do
		k=${b%:*} label=kernel-$k
		[ "${b#*:}" = debug ] || label=kernel-$k-${b#*:}
		read -r rc t <"$res/kernel-$b.status"
		if [ "$rc" -ne 0 ]; then
			tail -n 40 "$res/kernel-$b.log"
			add "$label" 0 1 0 "$t"
		elif [ "${b#*:}" = debug ]; then
			names+=("$k") kdirs+=("$(tail -n 1 "$res/kernel-$b.dir")")
			add "$label" 1 0 0 "$t"
		else
			kcsan_kdir=$(tail -n 1 "$res/kernel-$b.dir")
			add "$label" 1 0 0 "$t"
		fi
	done
fi
[ ${#kdirs[@]} -gt 0 ] || { echo "check: no kernel to test"; echo "0 passed, 1 failed, 0 skipped"; exit 1; }

# module K-INDEX [make args...]: build the module in the checkout for that
# kernel (Kbuild rebuilds every object whose command line changed).
module() {
	local kdir=${kdirs[$1]}
	shift
	make -s -C "$kdir" M="$root" LLVM="$(scripts/kllvm.sh "$kdir")" "$@" modules
}

# --- lint: rustfmt, clippy, htmldocs --------------------------------------
lp=0 lf=0
lint() { # name command...
	local name=$1
	shift
	if "$@" >"$res/lint-$name.log" 2>&1; then
		lp=$((lp + 1))
	else
		cat "$res/lint-$name.log"
		echo "check: lint: $name failed"
		lf=$((lf + 1))
	fi
}
lint fmt-check env KDIR="${kdirs[0]}" make -s fmt-check
lint tiers scripts/check-tiers.sh
for i in "${!kdirs[@]}"; do
	lint "clippy-module-${names[$i]}" module "$i" CLIPPY=1 KRUSTFLAGS=-Dwarnings
done
lint clippy-host bash -c 'cd rust && cargo clippy -q --all-targets -- -D warnings'
lint clippy-host-loom bash -c 'cd rust && RUSTFLAGS="--cfg loom" cargo clippy -q --all-targets --target-dir target/loom -- -D warnings'
lint htmldocs make -s htmldocs
# The whole-suite table is what its two sources make (and every
# disagreement has a reason).
lint suite-table bash -c 'scripts/liburing-suite-table.sh &&
	git diff --exit-code -- Documentation/liburing-suite.inc'
# The C lines that locking.rst and review-7.2.rst cite hold the functions
# they name, in both kernels' trees (skipped unless this run has both).
ls=0
k612= k72=
for i in "${!kdirs[@]}"; do
	case ${names[$i]} in 6.12) k612=${kdirs[$i]} ;; 7.2) k72=${kdirs[$i]} ;; esac
done
if [ -n "$k612" ] && [ -n "$k72" ]; then
	lint c-sites python3 scripts/check_c_sites.py "$k612" "$k72"
else
	echo "check: lint: c-sites needs both kernels' trees; skipped"
	ls=1
fi
add lint $lp $lf $ls

# --- pipeline: unit tests of the checker --------------------------------
log=$res/pipeline.log
# With both trees, the C-site checker's test of the real pages runs too.
KSRC_6_12=$k612 KSRC_7_2=$k72 python3 -m unittest discover -s scripts/tests -t . -v >"$log" 2>&1
rc=$?
cat "$log"
ran=$(sed -n 's/^Ran \([0-9]*\) tests\?.*/\1/p' "$log")
fails=$(grep -Eo '(failures|errors)=[0-9]+' "$log" | cut -d= -f2 | paste -sd+ | bc)
skips=$(grep -Eo 'skipped=[0-9]+' "$log" | cut -d= -f2 | head -1)
ran=${ran:-0} fails=${fails:-0} skips=${skips:-0}
[ $rc -eq 0 ] || [ "$fails" -gt 0 ] || fails=1
add pipeline $((ran - fails - skips)) "$fails" "$skips"

# --- suites that write out/check/NAME.{log,counts} ----------------------
# cargo_suite NAME env-and-command...: a cargo test run in rust/.
cargo_suite() {
	local name=$1 log=$res/$1.log t0
	shift
	t0=$(date +%s)
	(cd rust && env "$@") >"$log" 2>&1
	local rc=$?
	read -r p f s < <(awk '/^test result:/ { for (i = 1; i <= NF; i++) {
		if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i;
		if ($(i+1) ~ /^ignored/) s += $i } } END { print p+0, f+0, s+0 }' "$log")
	[ "$rc" -eq 0 ] || [ "$f" -gt 0 ] || f=1
	echo "$p $f $s $(( $(date +%s) - t0 ))" >"$res/$name.counts"
}
# cf_suite NAME MODE [KERNEL KDIR]: scripts/compile-fail.sh.
cf_suite() {
	local name=$1 mode=$2 log=$res/$1.log t0
	t0=$(date +%s)
	KERNEL=${3:-} KDIR=${4:-} scripts/compile-fail.sh "$mode" >"$log" 2>&1
	local rc=$?
	read -r p f < <(sed -n 's/^compile-fail ([a-z]*): \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$log")
	p=${p:-0} f=${f:-0}
	[ "$rc" -eq 0 ] || [ "$f" -gt 0 ] || f=1
	echo "$p $f 0 $(( $(date +%s) - t0 ))" >"$res/$name.counts"
}
# collect NAME...: add each suite's counts; print the log of a failed one.
collect() {
	local name p f s t
	for name in "$@"; do
		if ! read -r p f s t <"$res/$name.counts" 2>/dev/null; then
			p=0 f=1 s=0 t=
		fi
		[ "$f" -eq 0 ] || { tail -n 60 "$res/$name.log"; echo "check: $name: log in $res/$name.log"; }
		add "$name" "$p" "$f" "$s" "$t"
	done
}

# --- host -----------------------------------------------------------------
cargo_suite host cargo test --quiet --workspace
collect host

# --- loom, miri, compile-fail: two columns of one processor each --------
miri=0
if cargo +nightly miri --version >/dev/null 2>&1 &&
	(cd rust && cargo +nightly miri setup) >"$res/miri-setup.log" 2>&1; then
	miri=1
fi
last=$((${#kdirs[@]} - 1))
column_a() {
	# Tree Borrows is the longest suite: it starts at once.
	[ $miri -eq 0 ] || cargo_suite miri-tree \
		MIRIFLAGS="-Zmiri-disable-isolation -Zmiri-tree-borrows" \
		cargo +nightly miri test --quiet -p io_uring_rs_host --lib --target-dir target/miri-tree
	cf_suite "compile-fail-kbuild-${names[$last]}" kbuild "${names[$last]}" "${kdirs[$last]}"
}
column_b() {
	cargo_suite loom RUSTFLAGS="--cfg loom" cargo test --quiet --release -p io_uring_rs_host \
		--target-dir target/loom -- --test-threads=1 --nocapture
	cf_suite compile-fail-host host
	local i
	for ((i = 0; i < last; i++)); do
		cf_suite "compile-fail-kbuild-${names[$i]}" kbuild "${names[$i]}" "${kdirs[$i]}"
	done
	[ $miri -eq 0 ] || cargo_suite miri-stacked MIRIFLAGS=-Zmiri-disable-isolation \
		cargo +nightly miri test --quiet -p io_uring_rs_host --lib
}
echo "check: loom, miri and compile-fail in two columns (logs in $res)"
column_a &
a=$!
column_b &
b=$!
wait $a $b
cf_names=()
for n in "${names[@]}"; do cf_names+=("compile-fail-kbuild-$n"); done
collect loom compile-fail-host "${cf_names[@]}"
if [ $miri -eq 1 ]; then
	collect miri-stacked miri-tree
else
	cat "$res/miri-setup.log" 2>/dev/null | tail -n 5
	echo "check: miri: no nightly toolchain with miri on this machine; skipped"
	add miri 0 0 2
fi

# --- vm: the kselftest collection in each kernel's debug VM --------------
counts_of() { cat "$(ls -td "$root"/out/vm-"$1"-* | head -1)/counts" 2>/dev/null || echo "0 1 0"; }
for i in "${!kdirs[@]}"; do
	t0=$(date +%s)
	if ! module "$i" >"$res/module-${names[$i]}.log" 2>&1; then
		cat "$res/module-${names[$i]}.log"
		add "vm-${names[$i]}" 0 1 0
		continue
	fi
	KDIR=${kdirs[$i]} scripts/vm-run.sh check
	rc=$?
	read -r p f s < <(counts_of check)
	[ $rc -eq 0 ] || [ "$f" -gt 0 ] || f=1
	add "vm-${names[$i]}" "$p" "$f" "$s" $(( $(date +%s) - t0 ))
done

# --- vm-fail: an injected failing case must fail the run ------------------
# On the last kernel, whose module was built last.
if [ "${IO_URING_RS_SKIP_INJECT:-0}" = 1 ]; then
	add vm-fail 0 0 1
else
	out=$(KDIR=${kdirs[$last]} scripts/vm-run.sh inject-fail 2>&1)
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

# --- vm-6.12-kcsan: the scenarios, ABI cases and stress under KCSAN -----
# A report with a frame of the module fails the run; the kernel's own
# races (its io_uring runs beside the module) are listed as findings.
if [ -z "${kcsan_kdir:-}" ]; then
	echo "check: vm-6.12-kcsan: no data-race kernel in this run (KDIR, or 6.12 not tested); skipped"
	add vm-6.12-kcsan 0 0 1
else
	t0=$(date +%s)
	if ! make -s -C "$kcsan_kdir" M="$root" LLVM="$(scripts/kllvm.sh "$kcsan_kdir")" modules \
		>"$res/module-6.12-kcsan.log" 2>&1; then
		cat "$res/module-6.12-kcsan.log"
		add vm-6.12-kcsan 0 1 0
	else
		KDIR=$kcsan_kdir scripts/vm-run.sh kcsan
		rc=$?
		read -r p f s < <(counts_of kcsan)
		[ $rc -eq 0 ] || [ "$f" -gt 0 ] || f=1
		add vm-6.12-kcsan "$p" "$f" "$s" $(( $(date +%s) - t0 ))
	fi
fi

echo
echo "check: kernels ${names[*]}; $(( ($(date +%s) - check_start) / 60 )) min"
if [ ${#failed_suites[@]} -gt 0 ]; then
	echo "check: FAILED suites: ${failed_suites[*]}"
fi
echo "$total_p passed, $total_f failed, $total_s skipped"
[ "$total_f" -eq 0 ]
