// SPDX-License-Identifier: GPL-2.0
/*
 * The /dev/io_uring_rs character device: a miscdevice whose file
 * operations call into Rust (glue/chardev.rs). Linux 6.12's Rust API has no
 * miscdevice and its bindings do not cover <linux/miscdevice.h>, so this is
 * the one piece of C, as in Rust Binder's binderfs.
 */
#include <linux/anon_inodes.h>
#include <linux/compat.h>
#include <linux/cred.h>
#include <linux/err.h>
#include <linux/kthread.h>
#include <linux/sched/mm.h>
#include <linux/sched/task.h>
#include <linux/fs.h>
#include <linux/fsnotify.h>
#include <linux/hash.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/poll.h>
#include <linux/uio.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/task_work.h>
#include <linux/version.h>
#include <linux/vmalloc.h>
#include <uapi/linux/io_uring.h>

int io_uring_rs_open(struct file *file);
int io_uring_rs_release(struct file *file);
int io_uring_rs_flush_exit(struct file *file, bool exec);
int io_uring_rs_flush_last(struct file *file);
long io_uring_rs_ioctl(struct file *file, unsigned int cmd, unsigned long arg);
int io_uring_rs_dev_register(void);
void io_uring_rs_dev_unregister(void);
void *io_uring_rs_mmap_region(struct file *file, unsigned long offset);
int io_uring_rs_task_sigpending(void);
int io_uring_rs_current_tgid(void);
struct task_struct *io_uring_rs_current_task(void);
bool io_uring_rs_task_exiting(struct task_struct *task);
bool io_uring_rs_spin_trylock_irqsave(spinlock_t *lock, unsigned long *flags);
struct file *io_uring_rs_pin_new(void);
void io_uring_rs_pin_get(struct file *pin);
void io_uring_rs_pin_put(struct file *pin);
int io_uring_rs_task_work_add(struct task_struct *task, struct callback_head *cb,
			      task_work_func_t func);
struct task_struct *io_uring_rs_kthread_start(int (*fn)(void *), void *data,
					      int pid, bool io_worker);
void io_uring_rs_task_notify_signal(struct task_struct *t);
void io_uring_rs_clear_notify_signal(void);
int io_uring_rs_blockf_create(void);
void io_uring_rs_kthread_stop(struct task_struct *t);
/*
 * Interrupts what task t waits for, as io-wq's cancel of running work does
 * (__set_notify_signal(), whose wake_up_state() is not exported): an
 * interruptible wait ends with -ERESTARTSYS, a later one at once, until
 * the task clears the flag. Any context.
 */
void io_uring_rs_task_notify_signal(struct task_struct *t)
{
	if (!test_and_set_tsk_thread_flag(t, TIF_NOTIFY_SIGNAL)) {
		wake_up_process(t);
		kick_process(t);
	}
}

/* The io-wq worker is done with the work a cancel interrupted. */
void io_uring_rs_clear_notify_signal(void)
{
	/* As io_run_task_work(): no atomic operation while the flag is clear. */
	if (test_thread_flag(TIF_NOTIFY_SIGNAL))
		clear_notify_signal();
}

bool io_uring_rs_kthread_should_stop(void);
void io_uring_rs_cond_resched(void);
bool io_uring_rs_need_resched(void);
unsigned int io_uring_rs_num_online_cpus(void);
unsigned long io_uring_rs_rlimit_nproc(void);
void io_uring_rs_sleep_uninterruptible(unsigned long jiffies);
struct mm_struct *io_uring_rs_mm_grab(void);
void io_uring_rs_mm_drop(struct mm_struct *mm);
bool io_uring_rs_mm_use(struct mm_struct *mm);
void io_uring_rs_mm_unuse(struct mm_struct *mm);
struct io_uring_rs_region;
struct io_uring_rs_region *io_uring_rs_region_alloc(size_t size);
void io_uring_rs_region_free(struct io_uring_rs_region *r);
void *io_uring_rs_region_ptr(struct io_uring_rs_region *r);
struct task_struct *io_uring_rs_task_get(void);
void io_uring_rs_task_put(struct task_struct *task);
struct file *io_uring_rs_fget_task(struct task_struct *task, int fd);
void io_uring_rs_fput(struct file *file);
unsigned int io_uring_rs_file_flags(struct file *file);
u32 io_uring_rs_file_hash(struct file *file, unsigned int bits);
const struct cred *io_uring_rs_cred_get(void);
void io_uring_rs_cred_put(const struct cred *cred);
unsigned long io_uring_rs_fsize(void);
bool io_uring_rs_mm_is_current(struct mm_struct *mm, const struct cred *cred,
			       unsigned long fsize);
int io_uring_rs_mm_enter(struct mm_struct *mm, const struct cred *cred,
			 unsigned long fsize, const struct cred **old_cred,
			 unsigned long *old_fsize);
void io_uring_rs_mm_leave(struct mm_struct *mm, int entered,
			  const struct cred *old_cred, unsigned long old_fsize);
ssize_t io_uring_rs_iovec_import(u64 addr, u32 nr, bool vectored,
				 struct iovec *iov);
ssize_t io_uring_rs_file_rw(struct file *file, bool write,
			    const struct iovec *iov, unsigned long nr,
			    s64 pos, bool nowait, u32 rw_flags);
struct io_uring_rs_poll;
struct io_uring_rs_poll *io_uring_rs_poll_arm(struct file *file, u32 events,
					      void (*woken)(void *), void *data,
					      u32 *mask);
void io_uring_rs_poll_free(struct io_uring_rs_poll *p);
u32 io_uring_rs_file_poll_ready(struct file *file, u32 events);
__poll_t io_uring_rs_poll(struct file *file, struct poll_table_struct *pt);
struct wait_queue_head *io_uring_rs_pollq_alloc(void);
void io_uring_rs_pollq_free(struct wait_queue_head *q);
void io_uring_rs_pollq_wait(struct file *file, struct wait_queue_head *q,
			    struct poll_table_struct *pt);
void io_uring_rs_pollq_wake(struct wait_queue_head *q);

/*
 * The task a request belongs to (glue/chardev.rs): the caller's thread
 * group. Read here: Task::current().group_leader().pid() gave 0 for
 * every task in this module (found by the exec ABI case).
 */
int io_uring_rs_current_tgid(void)
{
	return current->tgid;
}

/*
 * The task that runs a ring's task work for the caller (glue/tctx.rs):
 * current, or NULL for a kernel thread, which never returns to user space
 * to run it.
 */
struct task_struct *io_uring_rs_current_task(void)
{
	return (current->flags & PF_KTHREAD) ? NULL : current;
}

bool io_uring_rs_task_exiting(struct task_struct *task)
{
	return READ_ONCE(task->flags) & PF_EXITING;
}

/*
 * spin_trylock_irqsave() for glue/irq_lock.rs's Backend::try_lock (7.2's
 * Backend requires one; the module never calls it).
 */
bool io_uring_rs_spin_trylock_irqsave(spinlock_t *lock, unsigned long *flags)
{
	unsigned long f;

	if (!spin_trylock_irqsave(lock, f))
		return false;
	*flags = f;
	return true;
}

/*
 * io_req_normal_work_add(): queue the list's callback on its task, which
 * runs it on its way back to user space (TWA_SIGNAL interrupts a wait, as
 * io_uring's ctx->notify_method does). -ESRCH once the task is past
 * exit_task_work(): the caller falls back to its worker.
 */
int io_uring_rs_task_work_add(struct task_struct *task, struct callback_head *cb,
			      task_work_func_t func)
{
	init_task_work(cb, func);
	return task_work_add(task, cb, TWA_SIGNAL);
}

/*
 * A module pin for a task-work list (glue/tctx.rs, TaskBind): a file whose
 * f_op->owner holds a reference of this module until its last fput(),
 * which releases it later in kernel text (__fput() from task work or
 * delayed_fput()), never inline. NULL if there is no memory.
 */
static const struct file_operations io_uring_rs_pin_fops = {
	.owner = THIS_MODULE,
};

struct file *io_uring_rs_pin_new(void)
{
	struct file *f = anon_inode_getfile("[io_uring_rs_tw]", &io_uring_rs_pin_fops,
					    NULL, O_RDONLY);

	return IS_ERR(f) ? NULL : f;
}

void io_uring_rs_pin_get(struct file *pin)
{
	get_file(pin);
}

void io_uring_rs_pin_put(struct file *pin)
{
	fput(pin);
}

/* A signal to deliver, not only TIF_NOTIFY_SIGNAL (see glue/context.rs). */
int io_uring_rs_task_sigpending(void)
{
	return task_sigpending(current);
}

/*
 * A kernel thread working for process pid (glue/kthread.rs), named after
 * its job and that pid as io_uring's are: "iou-sqp-PID" (the SQPOLL
 * thread) and "iou-wrk-PID" (io-wq workers). It runs fn until fn returns,
 * which it does once kthread_stop() asks. The caller keeps a reference to
 * the task until it has stopped it.
 *
 * io_uring's threads are threads of the task (create_io_thread()) and
 * inherit its CPU mask, which taskset(1) and cpusets set: so does this
 * one, from its creator, a task of the ring's user or a thread of the
 * ring that inherited the mask the same way. Made from a workqueue
 * worker (task work's fallback, whose worker may be bound to one CPU),
 * it keeps a kernel thread's mask.
 */
struct task_struct *io_uring_rs_kthread_start(int (*fn)(void *), void *data,
					      int pid, bool io_worker)
{
	struct task_struct *t;

	t = kthread_create(fn, data, io_worker ? "iou-wrk-%d" : "iou-sqp-%d",
			   pid);
	if (IS_ERR(t))
		return t;
	if (!(current->flags & PF_WQ_WORKER)) {
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 14, 0)
		/*
		 * From 6.14 a kernel thread takes its node's CPUs as it first
		 * runs unless given a preferred mask before (kthread()).
		 */
		kthread_affine_preferred(t, current->cpus_ptr);
#else
		set_cpus_allowed_ptr(t, current->cpus_ptr);
#endif
	}
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

bool io_uring_rs_need_resched(void)
{
	return need_resched();
}

unsigned int io_uring_rs_num_online_cpus(void)
{
	return num_online_cpus();
}

/* The caller's RLIMIT_NPROC: io-wq's default limit of unbound workers. */
unsigned long io_uring_rs_rlimit_nproc(void)
{
	return task_rlimit(current, RLIMIT_NPROC);
}

void io_uring_rs_sleep_uninterruptible(unsigned long jiffies)
{
	schedule_timeout_uninterruptible(jiffies);
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
		/*
		 * User-sized: a charge over the memcg limit fails (-ENOMEM)
		 * rather than invoking the OOM killer (try_charge_memcg()).
		 */
		struct page *page = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO |
					       __GFP_NOWARN | __GFP_RETRY_MAYFAIL);

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

/* A ring's file is pollable (io_uring_poll()): glue/chardev.rs. */
static __poll_t io_uring_rs_fop_poll(struct file *file,
				     struct poll_table_struct *pt)
{
	return io_uring_rs_poll(file, pt);
}

static int io_uring_rs_fop_open(struct inode *inode, struct file *file)
{
	return io_uring_rs_open(file);
}

static int io_uring_rs_fop_release(struct inode *inode, struct file *file)
{
	return io_uring_rs_release(file);
}

/* iterate_fd()'s callback: whether the descriptor's file is @file. */
static int io_uring_rs_same_file(const void *file, struct file *f,
				 unsigned int fd)
{
	return f == file;
}

/*
 * flush() runs on every close of a descriptor, for each one the task
 * still holds when it exits (exit_files()), and for each O_CLOEXEC one at
 * exec (do_close_on_exec(), with in_execve set). At exit the task cancels
 * its inflight requests and is recorded as exited, as
 * io_uring_files_cancel() and PF_EXITING do for a real ring; at exec it
 * cancels all of its requests, as io_uring_task_cancel() does. A plain
 * close matters only if it was the task's last descriptor of the ring.
 */
static int io_uring_rs_fop_flush(struct file *file, fl_owner_t id)
{
	if (current->flags & PF_EXITING)
		return io_uring_rs_flush_exit(file, false);
	if (current->in_execve)
		return io_uring_rs_flush_exit(file, true);
	/*
	 * The descriptor is already out of the table: with none of this ring
	 * left, no flush() will tell the ring of this task's exit.
	 */
	if (current->files &&
	    !iterate_fd(current->files, 0, io_uring_rs_same_file, file))
		return io_uring_rs_flush_last(file);
	return 0;
}

static const struct file_operations io_uring_rs_fops = {
	.owner		= THIS_MODULE,
	.open		= io_uring_rs_fop_open,
	.release	= io_uring_rs_fop_release,
	.flush		= io_uring_rs_fop_flush,
	.mmap		= io_uring_rs_fop_mmap,
	.poll		= io_uring_rs_fop_poll,
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

/*
 * Files (glue/file.rs): a request's file reference, its reads and writes
 * through ->read_iter() and ->write_iter() as io_uring issues them (with
 * IOCB_NOWAIT inline, blocking in io-wq), and the one-shot poll entries
 * io_uring arms on a file's wait queues (io_uring/poll.c).
 */
void io_uring_rs_fput(struct file *file)
{
	fput(file);
}

/*
 * The submitter of a request, whose file table its descriptors resolve in
 * when it is issued (C's io-wq workers and SQPOLL thread share that
 * table): fget() in the table of a task that may not be the current one,
 * as fget_task(), which is not exported. O_PATH files are not found, as
 * fget() does not find them.
 */
struct task_struct *io_uring_rs_task_get(void)
{
	return get_task_struct(current);
}

void io_uring_rs_task_put(struct task_struct *task)
{
	put_task_struct(task);
}

struct file *io_uring_rs_fget_task(struct task_struct *task, int fd)
{
	unsigned int found = fd;
	struct file *file;

	if (fd < 0)
		return NULL;
	if (task == current)
		return fget(fd);
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 13, 0)
	/* 6.13 replaced the RCU lookup with fget_task_next() (takes task_lock). */
	file = fget_task_next(task, &found);
#else
	rcu_read_lock();
	file = task_lookup_next_fdget_rcu(task, &found);
	rcu_read_unlock();
#endif
	if (file && (found != fd || (file->f_mode & FMODE_PATH))) {
		fput(file);
		file = NULL;
	}
	return file;
}

/* glue/kernel_api.rs's IORING_OP_LAST is this kernel's. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(7, 2, 0)
static_assert(IORING_OP_LAST == 65);
#else
static_assert(IORING_OP_LAST == 58);
#endif

/* The bits glue/file.rs reads (FileMode). */
#define IO_URING_RS_F_READ	(1U << 0)
#define IO_URING_RS_F_WRITE	(1U << 1)
#define IO_URING_RS_F_NOWAIT	(1U << 2)
#define IO_URING_RS_F_POLL	(1U << 3)
#define IO_URING_RS_F_REG	(1U << 4)
#define IO_URING_RS_F_RING	(1U << 5)
#define IO_URING_RS_F_WASYNC	(1U << 6)
#define IO_URING_RS_F_DIO_PARALLEL	(1U << 7)

unsigned int io_uring_rs_file_flags(struct file *file)
{
	unsigned int f = 0;

	if (file->f_mode & FMODE_READ)
		f |= IO_URING_RS_F_READ;
	if (file->f_mode & FMODE_WRITE)
		f |= IO_URING_RS_F_WRITE;
	if (file->f_mode & FMODE_NOWAIT)
		f |= IO_URING_RS_F_NOWAIT;
	if (file_can_poll(file))
		f |= IO_URING_RS_F_POLL;
	if (S_ISREG(file_inode(file)->i_mode))
		f |= IO_URING_RS_F_REG;
	if (file->f_op == &io_uring_rs_fops)
		f |= IO_URING_RS_F_RING;
	if (file->f_op->fop_flags & FOP_BUFFER_WASYNC)
		f |= IO_URING_RS_F_WASYNC;
	if ((file->f_flags & O_DIRECT) &&
	    (file->f_op->fop_flags & FOP_DIO_PARALLEL_WRITE))
		f |= IO_URING_RS_F_DIO_PARALLEL;
	return f;
}

/* io_wq_hash_work()'s bucket: the file's inode, hashed to @bits bits. */
u32 io_uring_rs_file_hash(struct file *file, unsigned int bits)
{
	return hash_ptr(file_inode(file), bits);
}

/* io_file_supports_nowait()'s look at a file without FMODE_NOWAIT. */
u32 io_uring_rs_file_poll_ready(struct file *file, u32 events)
{
	struct poll_table_struct pt = { ._key = events };

	return vfs_poll(file, &pt) & events;
}

/*
 * Runs in the address space of a request's submitter: 0 if the current
 * task already does, 1 if a kernel thread borrowed it (undo with
 * io_uring_rs_mm_leave()), -EFAULT if it is gone or cannot be borrowed.
 */
/*
 * The submitter's credentials and file-size limit, kept with its address
 * space (glue/file.rs, UserMm): a kernel thread that works for it acts as
 * it, as io_uring's io-wq and SQPOLL threads, threads of the task, do.
 */
const struct cred *io_uring_rs_cred_get(void)
{
	return get_current_cred();
}

void io_uring_rs_cred_put(const struct cred *cred)
{
	put_cred(cred);
}

unsigned long io_uring_rs_fsize(void)
{
	return rlimit(RLIMIT_FSIZE);
}

/* Whether the current task's address space, credentials and limit are
 * these: a snapshot of them can be used for the task's next request. */
bool io_uring_rs_mm_is_current(struct mm_struct *mm, const struct cred *cred,
			       unsigned long fsize)
{
	return current->mm == mm && current_cred() == cred &&
	       rlimit(RLIMIT_FSIZE) == fsize;
}

/* A kernel thread's own limit: its signal_struct is its alone. */
static unsigned long io_uring_rs_set_fsize(unsigned long fsize)
{
	struct rlimit *rlim = &current->signal->rlim[RLIMIT_FSIZE];
	unsigned long old;

	task_lock(current);
	old = rlim->rlim_cur;
	WRITE_ONCE(rlim->rlim_cur, fsize);
	task_unlock(current);
	return old;
}

/*
 * Makes the submitter's address space, credentials and RLIMIT_FSIZE the
 * current task's: nothing to do in the submitter itself (0); a kernel
 * thread borrows them (1) until io_uring_rs_mm_leave(). The credentials
 * stay referenced by the caller for as long.
 */
int io_uring_rs_mm_enter(struct mm_struct *mm, const struct cred *cred,
			 unsigned long fsize, const struct cred **old_cred,
			 unsigned long *old_fsize)
{
	if (current->mm == mm)
		return 0;
	if (!(current->flags & PF_KTHREAD) || current->mm)
		return -EFAULT;
	if (!io_uring_rs_mm_use(mm))
		return -EFAULT;
	*old_cred = override_creds(cred);
	*old_fsize = io_uring_rs_set_fsize(fsize);
	return 1;
}

void io_uring_rs_mm_leave(struct mm_struct *mm, int entered,
			  const struct cred *old_cred, unsigned long old_fsize)
{
	if (entered != 1)
		return;
	io_uring_rs_set_fsize(old_fsize);
	revert_creds(old_cred);
	io_uring_rs_mm_unuse(mm);
}

/*
 * io_import_iovec() at preparation: nr user iovecs at addr (vectored) or
 * the buffer addr of nr bytes, into iov (nr entries, or one). Returns the
 * total length, clamped to MAX_RW_COUNT as import_iovec() clamps it.
 */
ssize_t io_uring_rs_iovec_import(u64 addr, u32 nr, bool vectored,
				 struct iovec *iov)
{
	void __user *uaddr = u64_to_user_ptr(addr);
	size_t total = 0;
	u32 i;

	if (!vectored) {
		size_t len = min_t(size_t, nr, MAX_RW_COUNT);

		if (!access_ok(uaddr, len))
			return -EFAULT;
		iov->iov_base = uaddr;
		iov->iov_len = len;
		return len;
	}
	if (nr > UIO_MAXIOV)
		return -EINVAL;
	if (copy_from_user(iov, uaddr, nr * sizeof(*iov)))
		return -EFAULT;
	for (i = 0; i < nr; i++) {
		ssize_t len = (ssize_t)iov[i].iov_len;

		if (len < 0)
			return -EINVAL;
		if (!access_ok(iov[i].iov_base, len))
			return -EFAULT;
		if (len > MAX_RW_COUNT - total) {
			len = MAX_RW_COUNT - total;
			iov[i].iov_len = len;
		}
		total += len;
	}
	return total;
}

/*
 * One attempt of io_read() or io_write(): pos -1 is the file position
 * (not for a stream), nowait sets IOCB_NOWAIT, rw_flags are the entry's
 * RWF_* (io_rw_init_file()).
 */
ssize_t io_uring_rs_file_rw(struct file *file, bool write,
			    const struct iovec *iov, unsigned long nr,
			    s64 pos, bool nowait, u32 rw_flags)
{
	bool stream = file->f_mode & FMODE_STREAM;
	bool cur_pos = pos == -1 && !stream;
	struct iov_iter iter;
	struct kiocb kiocb;
	size_t total = 0;
	unsigned long i;
	ssize_t ret;

	for (i = 0; i < nr; i++)
		total += iov[i].iov_len;
	iov_iter_init(&iter, write ? ITER_SOURCE : ITER_DEST, iov, nr, total);
	init_sync_kiocb(&kiocb, file);
	kiocb.ki_pos = stream ? 0 : (cur_pos ? file->f_pos : pos);
	ret = kiocb_set_rw_flags(&kiocb, (__force rwf_t)rw_flags,
				 write ? WRITE : READ);
	if (ret)
		return ret;
	if (nowait)
		kiocb.ki_flags |= IOCB_NOWAIT;
	/* io_read()/io_write(): the range, the LSM hook, fanotify's events. */
	ret = rw_verify_area(write ? WRITE : READ, file,
			     stream ? NULL : &kiocb.ki_pos, total);
	if (ret)
		return ret;
	if (write) {
		if (!file->f_op->write_iter)
			return -EINVAL;
		kiocb.ki_flags |= IOCB_WRITE;
		file_start_write(file);
		ret = file->f_op->write_iter(&kiocb, &iter);
		file_end_write(file);
	} else {
		if (!file->f_op->read_iter)
			return -EINVAL;
		ret = file->f_op->read_iter(&kiocb, &iter);
	}
	if (ret == -EOPNOTSUPP && nowait)
		ret = -EAGAIN;
	if (ret > 0 && cur_pos)
		file->f_pos = kiocb.ki_pos;
	/* io_req_io_notify() */
	if (ret > 0) {
		if (write)
			fsnotify_modify(file);
		else
			fsnotify_access(file);
	}
	return ret;
}

/*
 * [io_uring_rs_block] (IO_URING_RS_IOC_BLOCKFD): a file whose reads block,
 * interruptibly, until it is written; each written byte can be read once,
 * as a zero. It has no ->poll() and no FMODE_NOWAIT, so io_uring and the
 * module alike run its reads in io-wq, where only a cancel that interrupts
 * the worker ends one that nothing feeds.
 */
struct io_uring_rs_blockf {
	wait_queue_head_t wait;
	spinlock_t lock;
	size_t avail;
};

static ssize_t io_uring_rs_blockf_read_iter(struct kiocb *kiocb,
					    struct iov_iter *to)
{
	struct io_uring_rs_blockf *b = kiocb->ki_filp->private_data;
	size_t n;
	int ret;

	if (!iov_iter_count(to))
		return 0;
	for (;;) {
		ret = wait_event_interruptible(b->wait, READ_ONCE(b->avail));
		if (ret)
			return ret;
		spin_lock(&b->lock);
		n = min(b->avail, iov_iter_count(to));
		b->avail -= n;
		spin_unlock(&b->lock);
		if (n)
			break;
	}
	return iov_iter_zero(n, to);
}

static ssize_t io_uring_rs_blockf_write_iter(struct kiocb *kiocb,
					     struct iov_iter *from)
{
	struct io_uring_rs_blockf *b = kiocb->ki_filp->private_data;
	size_t n = iov_iter_count(from);

	iov_iter_advance(from, n);
	spin_lock(&b->lock);
	b->avail += n;
	spin_unlock(&b->lock);
	wake_up_interruptible_all(&b->wait);
	return n;
}

static int io_uring_rs_blockf_release(struct inode *inode, struct file *file)
{
	kfree(file->private_data);
	return 0;
}

static const struct file_operations io_uring_rs_blockf_fops = {
	.owner		= THIS_MODULE,
	.read_iter	= io_uring_rs_blockf_read_iter,
	.write_iter	= io_uring_rs_blockf_write_iter,
	.release	= io_uring_rs_blockf_release,
	.llseek		= noop_llseek,
};

int io_uring_rs_blockf_create(void)
{
	struct io_uring_rs_blockf *b;
	int fd;

	b = kzalloc(sizeof(*b), GFP_KERNEL_ACCOUNT);
	if (!b)
		return -ENOMEM;
	init_waitqueue_head(&b->wait);
	spin_lock_init(&b->lock);
	fd = anon_inode_getfd("[io_uring_rs_block]", &io_uring_rs_blockf_fops,
			      b, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		kfree(b);
	return fd;
}

/*
 * A one-shot poll (io_poll_add(), io_arm_poll_handler()): entries on up to
 * two wait queues of the file (a pipe opened for reading and writing has
 * two), and one call of woken(data) on the first wake-up whose mask
 * matches, or on POLLFREE, which also unhooks the entry.
 */
struct io_uring_rs_poll_entry {
	struct wait_queue_entry wait;
	struct wait_queue_head *head;
	struct io_uring_rs_poll *poll;
};

struct io_uring_rs_poll {
	struct poll_table_struct pt;
	struct io_uring_rs_poll_entry e[2];
	__poll_t events;
	atomic_t fired;
	int error;
	void (*woken)(void *data);
	void *data;
};

static void io_uring_rs_poll_fire(struct io_uring_rs_poll *p)
{
	if (!atomic_xchg(&p->fired, 1))
		p->woken(p->data);
}

static int io_uring_rs_poll_wake(struct wait_queue_entry *wait,
				 unsigned int mode, int sync, void *key)
{
	struct io_uring_rs_poll_entry *e =
		container_of(wait, struct io_uring_rs_poll_entry, wait);
	__poll_t mask = key_to_poll(key);

	if (unlikely(mask & POLLFREE)) {
		io_uring_rs_poll_fire(e->poll);
		list_del_init(&wait->entry);
		/* io_poll_remove_entry() sees NULL and leaves the queue alone. */
		smp_store_release(&e->head, NULL);
		return 1;
	}
	if (mask && !(mask & e->poll->events))
		return 0;
	io_uring_rs_poll_fire(e->poll);
	return 1;
}

static void io_uring_rs_poll_queue(struct file *file,
				   struct wait_queue_head *head,
				   struct poll_table_struct *pt)
{
	struct io_uring_rs_poll *p =
		container_of(pt, struct io_uring_rs_poll, pt);
	struct io_uring_rs_poll_entry *e;

	if (p->e[0].head == NULL)
		e = &p->e[0];
	else if (p->e[1].head == NULL && p->e[0].head != head)
		e = &p->e[1];
	else {
		/* io_poll_double_prepare() refuses a third queue too. */
		p->error = -EINVAL;
		return;
	}
	e->poll = p;
	e->head = head;
	init_waitqueue_func_entry(&e->wait, io_uring_rs_poll_wake);
	add_wait_queue(head, &e->wait);
}

/* io_poll_remove_entry(): unhooks e, unless POLLFREE already did. */
static void io_uring_rs_poll_remove_entry(struct io_uring_rs_poll_entry *e)
{
	struct wait_queue_head *head;

	rcu_read_lock();
	head = smp_load_acquire(&e->head);
	if (head) {
		spin_lock_irq(&head->lock);
		list_del_init(&e->wait.entry);
		e->head = NULL;
		spin_unlock_irq(&head->lock);
	}
	rcu_read_unlock();
}

/*
 * Arms a poll for events on file: *mask is what vfs_poll() found ready,
 * if woken was not called first; woken runs at most once, and never after
 * a nonzero *mask. Returns the poll, which calls no
 * woken() after io_uring_rs_poll_free(), or an ERR_PTR.
 */
struct io_uring_rs_poll *io_uring_rs_poll_arm(struct file *file, u32 events,
					      void (*woken)(void *), void *data,
					      u32 *mask)
{
	struct io_uring_rs_poll *p;

	p = kzalloc(sizeof(*p), GFP_KERNEL_ACCOUNT);
	if (!p)
		return ERR_PTR(-ENOMEM);
	p->events = events;
	p->woken = woken;
	p->data = data;
	init_poll_funcptr(&p->pt, io_uring_rs_poll_queue);
	p->pt._key = events;
	*mask = vfs_poll(file, &p->pt) & events;
	/* Ready now: the caller completes, unless a wake-up came first. */
	if (*mask && atomic_xchg(&p->fired, 1))
		*mask = 0;
	if (p->error) {
		int error = p->error;

		io_uring_rs_poll_free(p);
		return ERR_PTR(error);
	}
	return p;
}

void io_uring_rs_poll_free(struct io_uring_rs_poll *p)
{
	io_uring_rs_poll_remove_entry(&p->e[0]);
	io_uring_rs_poll_remove_entry(&p->e[1]);
	kfree(p);
}

/*
 * A ring's poll wait queue (ctx->poll_wq): ->poll() waits on it, and each
 * posted completion wakes it with EPOLLIN, if anyone waits.
 */
struct wait_queue_head *io_uring_rs_pollq_alloc(void)
{
	struct wait_queue_head *q = kmalloc(sizeof(*q), GFP_KERNEL_ACCOUNT);

	if (q)
		init_waitqueue_head(q);
	return q;
}

void io_uring_rs_pollq_free(struct wait_queue_head *q)
{
	kfree(q);
}

void io_uring_rs_pollq_wait(struct file *file, struct wait_queue_head *q,
			    struct poll_table_struct *pt)
{
	poll_wait(file, q, pt);
}

void io_uring_rs_pollq_wake(struct wait_queue_head *q)
{
	if (wq_has_sleeper(q))
		__wake_up(q, TASK_NORMAL, 0, poll_to_key(EPOLLIN | EPOLLRDNORM));
}
