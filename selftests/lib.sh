# SPDX-License-Identifier: GPL-2.0
#
# Shell functions shared by the collection's scripts.

# iur_rmmod: unloads io_uring_rs. Each user thread's task-work list pins the
# module through a file whose last fput() is released by delayed_fput(), a
# jiffy or so after the last ring's exit dropped the list
# (Documentation/design.rst, "Task work and module unload"): the module may
# be in use for that moment. Tries for up to 5 s, then once more, showing
# rmmod's error.
iur_rmmod() {
	iur_i=0
	while [ $iur_i -lt 50 ]; do
		rmmod io_uring_rs 2>/dev/null && return 0
		sleep 0.1
		iur_i=$((iur_i + 1))
	done
	rmmod io_uring_rs
}

# iur_with_module COMMAND...: as root, loads the module, runs COMMAND
# (whose KTAP is the script's), unloads the module, and exits with
# COMMAND's status (1 if the unload fails); skips (4) unless root.
iur_with_module() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "1..0 # SKIP must be root to load modules"
		exit 4
	fi
	insmod "$DIR/io_uring_rs.ko" || { echo "Bail out! insmod failed"; exit 1; }
	"$@"
	iur_rc=$?
	iur_rmmod || { echo "# rmmod failed"; iur_rc=1; }
	exit $iur_rc
}
