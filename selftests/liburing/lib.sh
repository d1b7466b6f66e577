# SPDX-License-Identifier: GPL-2.0
#
# Shared by the guest scripts of the liburing oracle (io_uring_rs_liburing.sh,
# liburing/suite.sh, liburing/demo.sh): run one liburing test program on one
# backend, time-bounded, in a fresh directory of the tmpfs (liburing's tests
# create their temporary files in the working directory).
#
# Set before sourcing: LU_DIR, the directory holding the programs (PROG.t)
# and libio_uring_rs_preload.so (vm-run.sh stages them there, with the
# time bound of one run, LU_TIMEOUT on the host, in the file "timeout").
# shellcheck disable=SC2034 # lu_* results are read by the sourcing script
LU_TIMEOUT=${LU_TIMEOUT:-$(cat "$LU_DIR/timeout" 2>/dev/null || echo 60)}
LU_WORK=${LU_WORK:-/tmp/liburing}
LU_PRELOAD=$LU_DIR/libio_uring_rs_preload.so

# Is the staged suite there?
lu_staged() {
	[ -f "$LU_PRELOAD" ] && [ -x "$LU_DIR/link.t" ]
}

# Load the module unless it is loaded; lu_loaded=1 if this call loaded it.
lu_insmod() {
	lu_loaded=0
	grep -q '^io_uring_rs ' /proc/modules && return 0
	insmod "$1" || return 1
	lu_loaded=1
}

# lu_rmmod: unloads the module once every ring of the programs has gone: a
# program's children may still be exiting, and a closed ring's exit runs in
# a kernel worker after close() returned. Tries for up to 30 s; fails if the
# module is still in use then.
lu_rmmod() {
	lu_i=0
	while [ $lu_i -lt 60 ]; do
		lu_kill_leftovers
		rmmod io_uring_rs 2>/dev/null && return 0
		sleep 0.5
		lu_i=$((lu_i + 1))
	done
	ps
	rmmod io_uring_rs
}

# lu_kill_leftovers: kills whatever test program is still alive, wherever
# it came from (lu_run kills its own program's process group; this is the
# unload's safety net: one ring left open keeps the module in use).
lu_kill_leftovers() {
	for lu_p in /proc/[0-9]*; do
		case $(tr '\0' ' ' 2>/dev/null <"$lu_p/cmdline") in
		*/liburing/*.t*) kill -9 "${lu_p#/proc/}" 2>/dev/null ;;
		esac
	done
}

# lu_run PROG BACKEND [BOUND]: BACKEND is io_uring (no preload) or
# io_uring_rs (LD_PRELOAD of the preload); BOUND is the time bound in
# seconds, LU_TIMEOUT unless given. Sets lu_rc (the exit code), lu_secs and
# lu_result: pass (0), skip (77), timeout (killed after BOUND seconds) or
# fail (anything else). The output is left in $LU_WORK/PROG.BACKEND.log.
lu_run() {
	lu_wd=$LU_WORK/$1.$2
	lu_preload=
	[ "$2" = io_uring_rs ] && lu_preload=$LU_PRELOAD
	rm -rf "$lu_wd"
	mkdir -p "$lu_wd"
	lu_start=$(date +%s)
	# timeout sends TERM after the bound, KILL 5 s later. The program
	# and the children it forks form a process group of their own
	# (setsid: the subshell is no group leader, so it is the group).
	(cd "$lu_wd" && LD_PRELOAD=$lu_preload exec setsid timeout -k 5 \
		"${3:-$LU_TIMEOUT}" "$LU_DIR/$1.t") </dev/null >"$lu_wd.log" 2>&1 &
	lu_pid=$!
	wait $lu_pid
	lu_rc=$?
	lu_secs=$(($(date +%s) - lu_start))
	# Children the program left behind must not meet the next program.
	kill -9 -$lu_pid 2>/dev/null
	rm -rf "$lu_wd"
	case $lu_rc in
	0) lu_result=pass ;;
	77) lu_result=skip ;;
	*)
		lu_result=fail
		# timeout's own status differs between implementations (124,
		# or the killed program's 143 or 137): trust the clock.
		[ "$lu_secs" -ge "${3:-$LU_TIMEOUT}" ] && lu_result=timeout
		;;
	esac
}

# The last lines a program printed, as KTAP diagnostics.
lu_tail() {
	tail -n "${2:-5}" "$LU_WORK/$1.log" | sed 's/^/#   /'
}
