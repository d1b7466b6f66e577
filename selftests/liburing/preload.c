// SPDX-License-Identifier: GPL-2.0
/*
 * libio_uring_rs_preload.so: run an io_uring program on /dev/io_uring_rs.
 *
 *   LD_PRELOAD=.../libio_uring_rs_preload.so ./program
 *
 * liburing (built by scripts/liburing.sh with its generic libc wrappers)
 * makes its three io_uring system calls through libc's syscall(). This
 * library interposes syscall() and maps them onto the device's ioctls,
 * which return what the system calls return:
 *
 *   io_uring_setup(entries, p)   open("/dev/io_uring_rs"), then
 *                                IO_URING_RS_IOC_SETUP; the opened file is
 *                                the ring (closed again if SETUP fails)
 *   io_uring_enter(fd, ...)      IO_URING_RS_IOC_ENTER
 *   io_uring_register(fd, ...)   IO_URING_RS_IOC_REGISTER
 *
 * Every other system call number goes to the real syscall(). The ring ABI
 * (struct io_uring_params, mmap() of the rings at IORING_OFF_*) is
 * io_uring's own, so nothing else needs mapping. Glibc up to bookworm's 2.36
 * has no io_uring_setup(), io_uring_enter() or io_uring_register()
 * functions; where a libc has them, scripts/liburing.sh defines
 * IO_URING_RS_LIBC_WRAPPERS and they are interposed too.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "io_uring_rs.h"

#define IO_URING_RS_DEVICE "/dev/io_uring_rs"

typedef long (*syscall_fn)(long number, ...);

static syscall_fn real_syscall(void)
{
	static syscall_fn real;
	syscall_fn fn = __atomic_load_n(&real, __ATOMIC_ACQUIRE);

	if (!fn) {
		fn = (syscall_fn)dlsym(RTLD_NEXT, "syscall");
		if (!fn) {
			fprintf(stderr, "io_uring_rs preload: no syscall() after this library\n");
			abort();
		}
		__atomic_store_n(&real, fn, __ATOMIC_RELEASE);
	}
	return fn;
}

/* Each returns what the system call returns: a value, or -1 with errno. */
static long rs_setup(unsigned int entries, void *params)
{
	struct io_uring_rs_setup s = {
		.entries = entries,
		.params = (uintptr_t)params,
	};
	int fd, err;

	fd = open(IO_URING_RS_DEVICE, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (ioctl(fd, IO_URING_RS_IOC_SETUP, &s) < 0) {
		err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

/*
 * An ioctl on a ring's descriptor. On a descriptor that is not a ring,
 * io_uring_enter() and io_uring_register() fail with EOPNOTSUPP
 * (io_is_uring_fops()), where an ioctl on another file fails with ENOTTY.
 */
static long rs_ring_ioctl(unsigned int fd, unsigned long cmd, void *arg)
{
	long ret = ioctl(fd, cmd, arg);

	if (ret < 0 && errno == ENOTTY)
		errno = EOPNOTSUPP;
	return ret;
}

static long rs_enter(unsigned int fd, unsigned int to_submit,
		     unsigned int min_complete, unsigned int flags,
		     const void *arg, size_t argsz)
{
	struct io_uring_rs_enter e = {
		.to_submit = to_submit,
		.min_complete = min_complete,
		.flags = flags,
		.arg = (uintptr_t)arg,
		.argsz = argsz,
	};

	return rs_ring_ioctl(fd, IO_URING_RS_IOC_ENTER, &e);
}

static long rs_register(unsigned int fd, unsigned int opcode, const void *arg,
			unsigned int nr_args)
{
	struct io_uring_rs_register r = {
		.opcode = opcode,
		.nr_args = nr_args,
		.arg = (uintptr_t)arg,
	};

	return rs_ring_ioctl(fd, IO_URING_RS_IOC_REGISTER, &r);
}

long syscall(long number, ...)
{
	long a[6];
	va_list ap;
	int i;

	/*
	 * The x86-64 calling convention passes the six arguments in
	 * registers whatever their C types, so reading six longs is what
	 * glibc's own syscall() does.
	 */
	va_start(ap, number);
	for (i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);

	switch (number) {
	case __NR_io_uring_setup:
		return rs_setup(a[0], (void *)a[1]);
	case __NR_io_uring_enter:
		return rs_enter(a[0], a[1], a[2], a[3], (const void *)a[4], a[5]);
	case __NR_io_uring_register:
		return rs_register(a[0], a[1], (const void *)a[2], a[3]);
	default:
		return real_syscall()(number, a[0], a[1], a[2], a[3], a[4], a[5]);
	}
}

#ifdef IO_URING_RS_LIBC_WRAPPERS
int io_uring_setup(unsigned int entries, void *params)
{
	return rs_setup(entries, params);
}

int io_uring_enter(unsigned int fd, unsigned int to_submit,
		   unsigned int min_complete, unsigned int flags,
		   const void *arg, size_t argsz)
{
	return rs_enter(fd, to_submit, min_complete, flags, arg, argsz);
}

int io_uring_register(unsigned int fd, unsigned int opcode, const void *arg,
		      unsigned int nr_args)
{
	return rs_register(fd, opcode, arg, nr_args);
}
#endif
