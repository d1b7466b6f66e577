// SPDX-License-Identifier: GPL-2.0
/*
 * Deliberately trigger one class of kernel splat, for capturing the log
 * excerpts that the VM log checker's tests are fed with
 * (scripts/tests/capture-fixtures.sh). Never loaded by `make check`.
 *
 *   insmod splat.ko kind=warn|lockdep|kasan|atomic_sleep|leak|race|wq_race
 *
 * race needs the KCSAN kernel and two CPUs: a kernel thread and the
 * loading task increment one counter with plain accesses for two seconds.
 * wq_race is the same race between two work items of an unbound queue, so
 * that the report's footer names the work function ("Workqueue: ...").
 *
 * Loading always fails with -ECANCELED so the next kind can be loaded.
 */
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>

static char *kind = "";
module_param(kind, charp, 0);

static DEFINE_MUTEX(splat_a);
static DEFINE_MUTEX(splat_b);
static DEFINE_SPINLOCK(splat_spin);
static void *splat_leaked;
static unsigned long splat_counter;

/* Increments the counter with plain accesses until told to stop. */
static int splat_racer(void *unused)
{
	while (!kthread_should_stop()) {
		splat_counter++;
		cond_resched();
	}
	return 0;
}

static void splat_race(void)
{
	struct task_struct *t = kthread_run(splat_racer, NULL, "splat_racer");
	unsigned long end = jiffies + 2 * HZ;

	if (IS_ERR(t))
		return;
	while (time_before(jiffies, end)) {
		splat_counter++;
		cond_resched();
	}
	kthread_stop(t);
	pr_info("splat: counter %lu\n", READ_ONCE(splat_counter));
}

static void splat_wq_racer(struct work_struct *work)
{
	unsigned long end = jiffies + 2 * HZ;

	while (time_before(jiffies, end)) {
		splat_counter++;
		cond_resched();
	}
}

static void splat_wq_race(void)
{
	struct workqueue_struct *wq = alloc_workqueue("splat_wq", WQ_UNBOUND, 2);
	struct work_struct a, b;

	if (!wq)
		return;
	INIT_WORK_ONSTACK(&a, splat_wq_racer);
	INIT_WORK_ONSTACK(&b, splat_wq_racer);
	queue_work(wq, &a);
	queue_work(wq, &b);
	destroy_workqueue(wq);
	destroy_work_on_stack(&a);
	destroy_work_on_stack(&b);
	pr_info("splat: counter %lu\n", READ_ONCE(splat_counter));
}

static int __init splat_init(void)
{
	if (!strcmp(kind, "warn")) {
		WARN(1, "splat: deliberate warning\n");
	} else if (!strcmp(kind, "lockdep")) {
		/* A -> B, then B -> A: a possible circular locking dependency. */
		mutex_lock(&splat_a);
		mutex_lock(&splat_b);
		mutex_unlock(&splat_b);
		mutex_unlock(&splat_a);
		mutex_lock(&splat_b);
		mutex_lock(&splat_a);
		mutex_unlock(&splat_a);
		mutex_unlock(&splat_b);
	} else if (!strcmp(kind, "kasan")) {
		volatile char *p = kmalloc(8, GFP_KERNEL);

		if (p) {
			pr_info("splat: read past the end: %d\n", p[8]);
			kfree((void *)p);
		}
	} else if (!strcmp(kind, "atomic_sleep")) {
		spin_lock(&splat_spin);
		might_sleep();
		spin_unlock(&splat_spin);
	} else if (!strcmp(kind, "race")) {
		splat_race();
	} else if (!strcmp(kind, "wq_race")) {
		splat_wq_race();
	} else if (!strcmp(kind, "leak")) {
		splat_leaked = kmalloc(96, GFP_KERNEL);
		/* Forget the only reference. */
		WRITE_ONCE(splat_leaked, NULL);
	}
	return -ECANCELED;
}
module_init(splat_init);

MODULE_DESCRIPTION("io_uring_rs log checker fixture generator");
MODULE_LICENSE("GPL");
