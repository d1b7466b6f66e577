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
