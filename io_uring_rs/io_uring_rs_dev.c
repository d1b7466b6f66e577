// SPDX-License-Identifier: GPL-2.0
/*
 * The /dev/io_uring_rs character device: a miscdevice whose file
 * operations call into Rust (glue/chardev.rs). Linux 6.12's Rust API has no
 * miscdevice and its bindings do not cover <linux/miscdevice.h>, so this is
 * the one piece of C, as in Rust Binder's binderfs.
 */
#include <linux/compat.h>
#include <linux/err.h>
#include <linux/kthread.h>
#include <linux/sched/mm.h>
#include <linux/sched/task.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <uapi/linux/io_uring.h>

int io_uring_rs_open(struct file *file);
int io_uring_rs_release(struct file *file);
int io_uring_rs_flush_exit(struct file *file);
long io_uring_rs_ioctl(struct file *file, unsigned int cmd, unsigned long arg);
int io_uring_rs_dev_register(void);
void io_uring_rs_dev_unregister(void);
void *io_uring_rs_mmap_region(struct file *file, unsigned long offset);
int io_uring_rs_task_sigpending(void);
struct task_struct *io_uring_rs_kthread_start(int (*fn)(void *), void *data,
					      int pid);
void io_uring_rs_kthread_stop(struct task_struct *t);
bool io_uring_rs_kthread_should_stop(void);
void io_uring_rs_cond_resched(void);
struct mm_struct *io_uring_rs_mm_grab(void);
void io_uring_rs_mm_drop(struct mm_struct *mm);
bool io_uring_rs_mm_use(struct mm_struct *mm);
void io_uring_rs_mm_unuse(struct mm_struct *mm);
struct io_uring_rs_region;
struct io_uring_rs_region *io_uring_rs_region_alloc(size_t size);
void io_uring_rs_region_free(struct io_uring_rs_region *r);
void *io_uring_rs_region_ptr(struct io_uring_rs_region *r);

/* A signal to deliver, not only TIF_NOTIFY_SIGNAL (see glue/context.rs). */
int io_uring_rs_task_sigpending(void)
{
	return task_sigpending(current);
}

/*
 * A kernel thread working for process pid (glue/kthread.rs), named as
 * io_uring names its SQPOLL thread (io_sq_thread()); it runs fn until
 * fn returns, which it does once kthread_stop() asks. The caller keeps a
 * reference to the task until it has stopped it.
 */
struct task_struct *io_uring_rs_kthread_start(int (*fn)(void *), void *data,
					      int pid)
{
	struct task_struct *t;

	t = kthread_create(fn, data, "iou-sqp-%d", pid);
	if (IS_ERR(t))
		return t;
	get_task_struct(t);
	wake_up_process(t);
	return t;
}

void io_uring_rs_kthread_stop(struct task_struct *t)
{
	kthread_stop(t);
	put_task_struct(t);
}

bool io_uring_rs_kthread_should_stop(void)
{
	return kthread_should_stop();
}

void io_uring_rs_cond_resched(void)
{
	cond_resched();
}

/*
 * The creator's address space, for the SQPOLL thread's user accesses
 * (timespecs): held with mmgrab() (the mm_struct stays), used with
 * mmget_not_zero() (the address space is still alive) and kthread_use_mm().
 */
struct mm_struct *io_uring_rs_mm_grab(void)
{
	struct mm_struct *mm = current->mm;

	if (mm)
		mmgrab(mm);
	return mm;
}

void io_uring_rs_mm_drop(struct mm_struct *mm)
{
	mmdrop(mm);
}

bool io_uring_rs_mm_use(struct mm_struct *mm)
{
	if (!mmget_not_zero(mm))
		return false;
	kthread_use_mm(mm);
	return true;
}

void io_uring_rs_mm_unuse(struct mm_struct *mm)
{
	kthread_unuse_mm(mm);
	mmput(mm);
}

/*
 * Memory shared with user space, as io_uring's io_pages_map(): zeroed pages
 * charged to the caller's memory cgroup, mapped contiguously in the kernel
 * (vmap) and into the process by mmap() (vm_insert_pages, which takes a
 * reference on each page: a mapping outlives the ring safely).
 */
struct io_uring_rs_region {
	struct page **pages;
	unsigned int nr_pages;
	void *ptr;
};

void io_uring_rs_region_free(struct io_uring_rs_region *r)
{
	unsigned int i;

	if (r->ptr)
		vunmap(r->ptr);
	for (i = 0; i < r->nr_pages; i++)
		put_page(r->pages[i]);
	kvfree(r->pages);
	kfree(r);
}

struct io_uring_rs_region *io_uring_rs_region_alloc(size_t size)
{
	struct io_uring_rs_region *r;
	unsigned long nr = DIV_ROUND_UP(size, PAGE_SIZE);

	if (!size || nr > UINT_MAX)
		return NULL;
	r = kzalloc(sizeof(*r), GFP_KERNEL_ACCOUNT);
	if (!r)
		return NULL;
	r->pages = kvcalloc(nr, sizeof(*r->pages), GFP_KERNEL_ACCOUNT);
	if (!r->pages)
		goto err;
	for (; r->nr_pages < nr; r->nr_pages++) {
		struct page *page = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO |
					       __GFP_NOWARN);

		if (!page)
			goto err;
		r->pages[r->nr_pages] = page;
	}
	r->ptr = vmap(r->pages, nr, VM_MAP, PAGE_KERNEL);
	if (!r->ptr)
		goto err;
	return r;
err:
	io_uring_rs_region_free(r);
	return NULL;
}

void *io_uring_rs_region_ptr(struct io_uring_rs_region *r)
{
	return r->ptr;
}

/*
 * io_uring_mmap() and io_uring_mmap_pages() of 6.12: the rings are mapped
 * up to the size asked for, the SQE array whole; what the mapping has
 * beyond the region stays unpopulated (SIGBUS on access), and it can never
 * grow (VM_DONTEXPAND).
 */
static int io_uring_rs_region_mmap(struct io_uring_rs_region *r,
				   struct vm_area_struct *vma)
{
	unsigned long nr = r->nr_pages;
	unsigned long off = vma->vm_pgoff << PAGE_SHIFT;

	if ((off & IORING_OFF_MMAP_MASK) != IORING_OFF_SQES)
		nr = min(nr, vma_pages(vma));
	vm_flags_set(vma, VM_DONTEXPAND);
	return vm_insert_pages(vma, vma->vm_start, r->pages, &nr);
}

/*
 * mmap() at IORING_OFF_SQ_RING, IORING_OFF_CQ_RING or IORING_OFF_SQES of a
 * set-up ring; Rust finds the region (or an ERR_PTR). The ring cannot go
 * away: the file being mapped holds it.
 */
static int io_uring_rs_fop_mmap(struct file *file, struct vm_area_struct *vma)
{
	void *r = io_uring_rs_mmap_region(file, vma->vm_pgoff << PAGE_SHIFT);

	if (IS_ERR(r))
		return PTR_ERR(r);
	return io_uring_rs_region_mmap(r, vma);
}

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
	.mmap		= io_uring_rs_fop_mmap,
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
