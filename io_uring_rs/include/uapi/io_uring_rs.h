/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * io_uring_rs: the user-space ABI of /dev/io_uring_rs.
 *
 * Each open() of the device is one ring; closing the last file descriptor
 * exits it. Entries mirror struct io_uring_sqe / io_uring_cqe; an entry's
 * fd names a channel of the ring. io_uring_rs/uapi.rs is the same ABI for
 * Rust, and a test checks that the two agree.
 */
#ifndef _UAPI_IO_URING_RS_H
#define _UAPI_IO_URING_RS_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define IO_URING_RS_VERSION		1
#define IO_URING_RS_FEAT_CHANNELS	(1U << 0)
#define IO_URING_RS_FEAT_LINK_TIMEOUT	(1U << 1)
#define IO_URING_RS_FEAT_DRAIN		(1U << 2)

#define IO_URING_RS_MAX_SUBMIT		32768
#define IO_URING_RS_MAX_CQES		65536
#define IO_URING_RS_MAX_WAIT_MS		60000

struct io_uring_rs_sqe {
	__u8	opcode;		/* IORING_OP_* */
	__u8	flags;		/* IOSQE_* */
	__u16	ioprio;		/* must be 0 */
	__s32	fd;		/* channel index */
	__u64	off;		/* TIMEOUT: completion count */
	__u64	addr;		/* timeout ns, or target user_data */
	__u32	len;		/* bytes, or poll mask */
	__u32	op_flags;	/* timeout_flags, cancel_flags */
	__u64	user_data;
	__u64	addr2;		/* TIMEOUT_REMOVE update: new timeout ns */
	__u64	resv[2];	/* must be 0 */
};

struct io_uring_rs_cqe {
	__u64	user_data;
	__s32	res;
	__u32	flags;
};

struct io_uring_rs_submit {
	__u64	sqes;		/* user pointer to nr entries */
	__u32	nr;
	__u32	resv;
};

struct io_uring_rs_wait {
	__u64	cqes;		/* user pointer to room for nr entries */
	__u32	nr;
	__u32	min_complete;
	__u32	timeout_ms;
	__u32	resv;
};

#define IO_URING_RS_CANCEL_ALL		(1U << 0)

struct io_uring_rs_cancel {
	__u32	flags;		/* IO_URING_RS_CANCEL_ALL or 0 (task exit) */
	__u32	resv;
};

#define IO_URING_RS_CHANNEL_INFLIGHT	(1U << 0)

struct io_uring_rs_channel {
	__u32	flags;		/* IO_URING_RS_CHANNEL_INFLIGHT or 0 */
	__u32	fd;		/* out: the channel's index */
};

struct io_uring_rs_channel_write {
	__u32	fd;
	__u32	len;
};

struct io_uring_rs_version {
	__u32	version;
	__u32	features;
	__u32	sqe_size;
	__u32	cqe_size;
	__u32	max_submit;
	__u32	max_cqes;
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
#define IO_URING_RS_IOC_SUBMIT		_IOW('U', 1, struct io_uring_rs_submit)
#define IO_URING_RS_IOC_WAIT		_IOW('U', 2, struct io_uring_rs_wait)
#define IO_URING_RS_IOC_CANCEL		_IOW('U', 3, struct io_uring_rs_cancel)
#define IO_URING_RS_IOC_CHANNEL		_IOWR('U', 4, struct io_uring_rs_channel)
#define IO_URING_RS_IOC_CHANNEL_WRITE	_IOW('U', 5, struct io_uring_rs_channel_write)
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
