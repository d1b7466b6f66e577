// SPDX-License-Identifier: GPL-2.0
/*
 * The io_uring_rs demo written against liburing's API: the chain of the
 * scenario demo (selftests/scenarios/demo.toml) built with liburing.
 *
 *   user_data 1  read of an empty pipe, IOSQE_IO_LINK
 *   user_data 2  its linked timeout, 100 ms
 *   user_data 3  read of a second empty pipe
 *   user_data 4  cancel of user_data 3
 *
 * All four are submitted with one io_uring_submit(); the program then waits
 * for four completions and prints one line per completion, in user_data
 * order: "user_data res", res as an errno name (-ECANCELED) where it is one
 * of the expected ones. Run as is, it uses the kernel's io_uring; with
 * LD_PRELOAD=libio_uring_rs_preload.so, /dev/io_uring_rs
 * (selftests/liburing/demo.sh runs both). Exit status 0 if every request
 * completed, 1 otherwise.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <liburing.h>

#define NR_REQUESTS 4

static const char *res_name(int res, char *buf, size_t len)
{
	switch (res) {
	case -ECANCELED:
		return "-ECANCELED";
	case -ETIME:
		return "-ETIME";
	case -ENOENT:
		return "-ENOENT";
	case -EALREADY:
		return "-EALREADY";
	case -EINTR:
		return "-EINTR";
	case -EINVAL:
		return "-EINVAL";
	case -ENOTTY:
		return "-ENOTTY";
	default:
		snprintf(buf, len, "%d", res);
		return buf;
	}
}

int main(void)
{
	struct __kernel_timespec ts = { .tv_sec = 0, .tv_nsec = 100000000 };
	int res[NR_REQUESTS + 1], seen[NR_REQUESTS + 1] = { 0 };
	char buf1[8], buf2[8], name[16];
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	struct io_uring ring;
	int p[2], q[2];
	int i, ret;

	ret = io_uring_queue_init(8, &ring, 0);
	if (ret < 0) {
		printf("io_uring_queue_init: %s (%s)\n",
		       res_name(ret, name, sizeof(name)), strerror(-ret));
		return 1;
	}
	if (pipe(p) || pipe(q)) {
		perror("pipe");
		return 1;
	}

	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_read(sqe, p[0], buf1, sizeof(buf1), 0);
	sqe->flags |= IOSQE_IO_LINK;
	sqe->user_data = 1;

	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_link_timeout(sqe, &ts, 0);
	sqe->user_data = 2;

	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_read(sqe, q[0], buf2, sizeof(buf2), 0);
	sqe->user_data = 3;

	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_cancel(sqe, (void *)3UL, 0);
	sqe->user_data = 4;

	ret = io_uring_submit(&ring);
	if (ret != NR_REQUESTS) {
		printf("io_uring_submit: %s\n", res_name(ret, name, sizeof(name)));
		return 1;
	}

	for (i = 0; i < NR_REQUESTS; i++) {
		ret = io_uring_wait_cqe(&ring, &cqe);
		if (ret < 0) {
			printf("io_uring_wait_cqe: %s\n", res_name(ret, name, sizeof(name)));
			return 1;
		}
		if (cqe->user_data >= 1 && cqe->user_data <= NR_REQUESTS) {
			res[cqe->user_data] = cqe->res;
			seen[cqe->user_data]++;
		} else {
			printf("unexpected user_data %llu\n",
			       (unsigned long long)cqe->user_data);
		}
		io_uring_cqe_seen(&ring, cqe);
	}

	ret = 0;
	for (i = 1; i <= NR_REQUESTS; i++) {
		if (seen[i] == 1) {
			printf("%d %s\n", i, res_name(res[i], name, sizeof(name)));
		} else {
			printf("%d completed %d times\n", i, seen[i]);
			ret = 1;
		}
	}
	io_uring_queue_exit(&ring);
	return ret;
}
