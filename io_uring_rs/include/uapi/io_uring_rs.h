/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * io_uring_rs: the user-space ABI of /dev/io_uring_rs.
 *
 * An open() of the device becomes a ring with IO_URING_RS_IOC_SETUP;
 * closing its last file descriptor exits it. Only the device-specific part
 * is here: the ring ABI is io_uring's own (see below).
 * io_uring_rs/uapi.rs is the same ABI for Rust, and a test checks that the
 * two agree.
 */
#ifndef _UAPI_IO_URING_RS_H
#define _UAPI_IO_URING_RS_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define IO_URING_RS_VERSION		2	/* 1 had batch ioctls and channels */
#define IO_URING_RS_FEAT_LINK_TIMEOUT	(1U << 1)
#define IO_URING_RS_FEAT_DRAIN		(1U << 2)

#define IO_URING_RS_MAX_ENTRIES		32768	/* IORING_MAX_ENTRIES */
#define IO_URING_RS_MAX_CQ_ENTRIES	65536	/* IORING_MAX_CQ_ENTRIES */

/* What the module implements; read-only, on any file of the device. */
struct io_uring_rs_version {
	__u32	version;
	__u32	features;
	__u32	sqe_size;	/* sizeof(struct io_uring_sqe) */
	__u32	cqe_size;	/* sizeof(struct io_uring_cqe) */
	__u32	max_submit;	/* IO_URING_RS_MAX_ENTRIES */
	__u32	max_cqes;	/* IO_URING_RS_MAX_CQ_ENTRIES */
	__u32	resv[2];
};

/* Module-wide ring accounting; read-only, on any file of the device. */
struct io_uring_rs_stats {
	__u32	rings;		/* rings whose exit has not finished, open or exiting */
	__u32	exiting;	/* closed rings whose exit has not finished */
	__u64	exits;		/* ring exits finished since the module was loaded */
	__u32	slow_exits;	/* exits that printed the slow-exit warning */
	__u32	max_exit_ms;	/* the longest ring exit so far, in ms */
};

#define IO_URING_RS_IOC_VERSION		_IOR('U', 0, struct io_uring_rs_version)
/* Numbers 1 to 5 belonged to the batch ioctls of ABI version 1. */
#define IO_URING_RS_IOC_STATS		_IOR('U', 6, struct io_uring_rs_stats)

/*
 * The ring ABI is io_uring's own (<linux/io_uring.h>: struct
 * io_uring_params, the SQ and CQ rings mapped with mmap() at
 * IORING_OFF_SQ_RING, IORING_OFF_CQ_RING and IORING_OFF_SQES, struct
 * io_uring_sqe and io_uring_cqe). These three ioctls stand for the three
 * system calls; each returns what the system call returns.
 *
 *   io_uring_setup(entries, p)  ->  fd = open("/dev/io_uring_rs", O_RDWR);
 *                                   ioctl(fd, IO_URING_RS_IOC_SETUP, &s)
 *   io_uring_enter(fd, ...)     ->  ioctl(fd, IO_URING_RS_IOC_ENTER, &e)
 *   io_uring_register(fd, ...)  ->  ioctl(fd, IO_URING_RS_IOC_REGISTER, &r)
 *
 * SETUP succeeds once per open file (-EBUSY after) and returns 0: the
 * opened file is the ring.
 */
struct io_uring_rs_setup {
	__u32	entries;
	__u32	resv;		/* must be 0 */
	__u64	params;		/* user pointer to struct io_uring_params */
};

struct io_uring_rs_enter {
	__u32	to_submit;
	__u32	min_complete;
	__u32	flags;		/* IORING_ENTER_* */
	__u32	resv;		/* must be 0 */
	__u64	arg;		/* sigset_t * or struct io_uring_getevents_arg * */
	__u64	argsz;
};

struct io_uring_rs_register {
	__u32	opcode;		/* IORING_REGISTER_* */
	__u32	nr_args;
	__u64	arg;
};

#define IO_URING_RS_IOC_SETUP		_IOW('U', 16, struct io_uring_rs_setup)
#define IO_URING_RS_IOC_ENTER		_IOW('U', 17, struct io_uring_rs_enter)
#define IO_URING_RS_IOC_REGISTER	_IOW('U', 18, struct io_uring_rs_register)

#endif /* _UAPI_IO_URING_RS_H */
