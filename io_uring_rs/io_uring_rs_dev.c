// SPDX-License-Identifier: GPL-2.0
/*
 * The /dev/io_uring_rs character device: a miscdevice whose file
 * operations call into Rust (glue/chardev.rs). Linux 6.12's Rust API has no
 * miscdevice and its bindings do not cover <linux/miscdevice.h>, so this is
 * the one piece of C, as in Rust Binder's binderfs.
 */
#include <linux/compat.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/sched.h>

int io_uring_rs_open(struct file *file);
int io_uring_rs_release(struct file *file);
int io_uring_rs_flush_exit(struct file *file);
long io_uring_rs_ioctl(struct file *file, unsigned int cmd, unsigned long arg);
int io_uring_rs_dev_register(void);
void io_uring_rs_dev_unregister(void);

static int io_uring_rs_fop_open(struct inode *inode, struct file *file)
{
	return io_uring_rs_open(file);
}

static int io_uring_rs_fop_release(struct inode *inode, struct file *file)
{
	return io_uring_rs_release(file);
}

/*
 * flush() runs on every close of a descriptor, and for each one the task
 * still holds when it exits (exit_files()). Only the exit matters: there
 * the task cancels its inflight requests and is recorded as exited, as
 * io_uring_files_cancel() and PF_EXITING do for a real ring.
 */
static int io_uring_rs_fop_flush(struct file *file, fl_owner_t id)
{
	if (!(current->flags & PF_EXITING))
		return 0;
	return io_uring_rs_flush_exit(file);
}

static const struct file_operations io_uring_rs_fops = {
	.owner		= THIS_MODULE,
	.open		= io_uring_rs_fop_open,
	.release	= io_uring_rs_fop_release,
	.flush		= io_uring_rs_fop_flush,
	.unlocked_ioctl	= io_uring_rs_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

static struct miscdevice io_uring_rs_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "io_uring_rs",
	.fops	= &io_uring_rs_fops,
	.mode	= 0666,
};

int io_uring_rs_dev_register(void)
{
	return misc_register(&io_uring_rs_misc);
}

void io_uring_rs_dev_unregister(void)
{
	misc_deregister(&io_uring_rs_misc);
}
