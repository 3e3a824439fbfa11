// SPDX-License-Identifier: GPL-2.0
/*
 * pvlock_torture: hammer a lock from threads on every CPU, check mutual
 * exclusion and fairness, measure throughput and wait times.
 *
 * Loading the module runs one test of duration_s seconds (insmod returns
 * when it is over); the results stay in
 * /sys/kernel/debug/pvlock_torture/result until the module is removed.
 * Built in, the test runs at boot only when the kernel command line gives
 * pvlock_torture.duration_s (and the other parameters the same way), and
 * its results stay there until shutdown.
 * The module reports numbers only: the verdict is the reader's.
 *
 * Lock types: "pvlock"; "ticket", a pvlock with the paravirtual paths
 * switched off for the run (pvlock_set_backend("none")); "spinlock", the
 * kernel's spinlock_t (a qspinlock, paravirtual where the kernel is).
 */

#include <linux/atomic.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/hrtimer.h>
#include <linux/kthread.h>
#include <linux/log2.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/sched/clock.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/timer.h>

#include "include/pvlock.h"

static char *type = "pvlock";
module_param(type, charp, 0444);
MODULE_PARM_DESC(type, "lock type: pvlock, ticket or spinlock");

static unsigned int threads_per_cpu = 1;
module_param(threads_per_cpu, uint, 0444);
MODULE_PARM_DESC(threads_per_cpu, "threads per online CPU (default 1)");

static unsigned int cs_loops = 100;
module_param(cs_loops, uint, 0444);
MODULE_PARM_DESC(cs_loops, "cpu_relax() loops inside the lock (default 100)");

static unsigned int outside_loops = 200;
module_param(outside_loops, uint, 0444);
MODULE_PARM_DESC(outside_loops,
		 "cpu_relax() loops between acquisitions (default 200)");

/* Built in, a boot runs the test only when asked to. */
static unsigned int duration_s = IS_BUILTIN(CONFIG_PVLOCK_TORTURE) ? 0 : 5;
module_param(duration_s, uint, 0444);
MODULE_PARM_DESC(duration_s,
		 "length of the run in seconds, 0: no run (default 5 as a module, 0 built in)");

static unsigned int irqs_off;
module_param(irqs_off, uint, 0444);
MODULE_PARM_DESC(irqs_off,
		 "0: interrupts on, 1: irqsave variants, 2: mixed (odd threads irqsave)");

static bool nesting;
module_param(nesting, bool, 0444);
MODULE_PARM_DESC(nesting,
		 "also use a second lock, alone and nested inside the first");

static bool irq_locks;
module_param(irq_locks, bool, 0444);
MODULE_PARM_DESC(irq_locks,
		 "also take a lock from a timer (softirq) and one from an hrtimer (hardirq) on every CPU, interrupting the threads' waits");

enum torture_type { TORTURE_PVLOCK, TORTURE_TICKET, TORTURE_SPINLOCK };

/* The locks: two for the threads, one for softirq and one for hardirq. */
enum { TORTURE_A, TORTURE_B, TORTURE_SOFT, TORTURE_HARD, TORTURE_NLOCKS };

/* The hrtimer comes back after this long; the timer every tick. */
#define TORTURE_IRQ_PERIOD_NS	(1000 * NSEC_PER_USEC)

#define TORTURE_HIST	40	/* log2 buckets of wait time in ns */

/**
 * struct torture_cs - a lock and the data it protects
 * @pv: the lock, for pvlock and ticket
 * @spin: the lock, for spinlock
 * @owner: the thread inside, or NULL; checked on entry and exit
 * @counter: bumped non-atomically inside; must equal @taken at the end
 * @taken: acquisitions, counted outside with an atomic
 */
struct torture_cs {
	struct pvlock pv;
	spinlock_t spin;	/* the lock, for spinlock */
	struct task_struct *owner;
	unsigned long counter;
	atomic_long_t taken;
};

/**
 * struct torture_thread - one thread's numbers
 * @task: the thread
 * @idx: its index
 * @acquisitions: acquisitions of the first lock
 * @hist: waits for the first lock, bucket i under 2^(i+1) ns
 * @max_wait: longest wait in ns
 */
struct torture_thread {
	struct task_struct *task;
	int idx;
	unsigned long acquisitions;
	unsigned long hist[TORTURE_HIST];
	u64 max_wait;
};

static enum torture_type torture_kind;
static struct torture_cs torture_cs[TORTURE_NLOCKS];
static struct torture_thread *torture_threads;
static int torture_nthreads;
static atomic_long_t torture_violations;
static bool torture_stop;
static u64 torture_ns;
static char torture_backend[8];
static struct dentry *torture_dir;

static void torture_spin(unsigned int loops)
{
	while (loops--)
		cpu_relax();
}

static void torture_lock(struct torture_cs *cs, bool irqs, unsigned long *f)
	__acquires(cs)
{
	if (torture_kind == TORTURE_SPINLOCK) {
		if (irqs)
			spin_lock_irqsave(&cs->spin, *f);
		else
			spin_lock(&cs->spin);
		return;
	}
	if (irqs)
		pvlock_lock_irqsave(&cs->pv, *f);
	else
		pvlock_lock(&cs->pv);
}

static void torture_unlock(struct torture_cs *cs, bool irqs, unsigned long f)
	__releases(cs)
{
	if (torture_kind == TORTURE_SPINLOCK) {
		if (irqs)
			spin_unlock_irqrestore(&cs->spin, f);
		else
			spin_unlock(&cs->spin);
		return;
	}
	if (irqs)
		pvlock_unlock_irqrestore(&cs->pv, f);
	else
		pvlock_unlock(&cs->pv);
}

static void torture_enter(struct torture_cs *cs)
{
	unsigned long c;

	if (READ_ONCE(cs->owner))
		atomic_long_inc(&torture_violations);
	WRITE_ONCE(cs->owner, current);
	c = READ_ONCE(cs->counter);
	torture_spin(cs_loops);
	WRITE_ONCE(cs->counter, c + 1);
	if (READ_ONCE(cs->owner) != current)
		atomic_long_inc(&torture_violations);
	WRITE_ONCE(cs->owner, NULL);
	atomic_long_inc(&cs->taken);
}

static void torture_account(struct torture_thread *tt, u64 ns)
{
	int b = ns ? min_t(int, ilog2(ns), TORTURE_HIST - 1) : 0;

	tt->hist[b]++;
	tt->max_wait = max(tt->max_wait, ns);
	tt->acquisitions++;
}

/**
 * struct torture_irq - one CPU's interrupt-side lock users
 * @soft: a timer: takes the softirq lock in softirq context
 * @hard: an hrtimer: takes the hardirq lock in hardirq context
 *
 * Both interrupt the threads, also while they wait halted for their own
 * lock, so the waiter records of nested contexts are used.
 */
struct torture_irq {
	struct timer_list soft;
	struct hrtimer hard;
};

static DEFINE_PER_CPU(struct torture_irq, torture_irq);

static void torture_soft_fn(struct timer_list *t)
{
	torture_lock(&torture_cs[TORTURE_SOFT], false, NULL);
	torture_enter(&torture_cs[TORTURE_SOFT]);
	torture_unlock(&torture_cs[TORTURE_SOFT], false, 0);
	if (!READ_ONCE(torture_stop))
		mod_timer(t, jiffies + 1);
}

static enum hrtimer_restart torture_hard_fn(struct hrtimer *t)
{
	torture_lock(&torture_cs[TORTURE_HARD], false, NULL);
	torture_enter(&torture_cs[TORTURE_HARD]);
	torture_unlock(&torture_cs[TORTURE_HARD], false, 0);
	if (READ_ONCE(torture_stop))
		return HRTIMER_NORESTART;
	hrtimer_forward_now(t, ns_to_ktime(TORTURE_IRQ_PERIOD_NS));
	return HRTIMER_RESTART;
}

/* Start this CPU's interrupt-side users; the caller is bound to it. */
static void torture_irq_start(void)
{
	struct torture_irq *ti = this_cpu_ptr(&torture_irq);

	timer_setup(&ti->soft, torture_soft_fn, TIMER_PINNED);
	hrtimer_init(&ti->hard, CLOCK_MONOTONIC, HRTIMER_MODE_REL_PINNED_HARD);
	ti->hard.function = torture_hard_fn;
	mod_timer(&ti->soft, jiffies + 1);
	hrtimer_start(&ti->hard, ns_to_ktime(TORTURE_IRQ_PERIOD_NS),
		      HRTIMER_MODE_REL_PINNED_HARD);
}

static void torture_irq_stop(void)
{
	int cpu;

	for_each_online_cpu(cpu) {
		struct torture_irq *ti = per_cpu_ptr(&torture_irq, cpu);

		if (!ti->hard.function)
			continue;
		timer_shutdown_sync(&ti->soft);
		hrtimer_cancel(&ti->hard);
	}
}

static int torture_thread_fn(void *data)
{
	struct torture_thread *tt = data;
	bool irqs = irqs_off == 1 || (irqs_off == 2 && (tt->idx & 1));
	struct torture_cs *a = &torture_cs[TORTURE_A];
	struct torture_cs *b = &torture_cs[TORTURE_B];
	unsigned long fa = 0, fb = 0, iter;
	u64 t0;

	if (irq_locks && tt->idx < num_online_cpus())
		torture_irq_start();
	for (iter = 0; !READ_ONCE(torture_stop); iter++) {
		if (nesting && (iter & 1)) {
			/* The second lock alone: contended from both sides. */
			torture_lock(b, irqs, &fb);
			torture_enter(b);
			torture_unlock(b, irqs, fb);
		}
		t0 = local_clock();
		torture_lock(a, irqs, &fa);
		torture_account(tt, local_clock() - t0);
		torture_enter(a);
		if (nesting && !(iter & 1)) {
			torture_lock(b, false, &fb);
			torture_enter(b);
			torture_unlock(b, false, fb);
		}
		torture_unlock(a, irqs, fa);
		torture_spin(outside_loops);
		cond_resched();
	}
	while (!kthread_should_stop())
		schedule_timeout_interruptible(1);
	return 0;
}

static u64 torture_percentile(const unsigned long *hist, unsigned long total,
			      unsigned int pct)
{
	unsigned long seen = 0;
	int i;

	for (i = 0; i < TORTURE_HIST; i++) {
		seen += hist[i];
		if (seen * 100 >= total * pct)
			return 2ULL << i;
	}
	return 2ULL << (TORTURE_HIST - 1);
}

static int torture_result_show(struct seq_file *m, void *unused)
{
	unsigned long hist[TORTURE_HIST] = {};
	unsigned long total = 0, amax = 0, amin = ULONG_MAX;
	u64 wmax = 0;
	int i, j;

	for (i = 0; i < torture_nthreads; i++) {
		struct torture_thread *tt = &torture_threads[i];

		total += tt->acquisitions;
		amax = max(amax, tt->acquisitions);
		amin = min(amin, tt->acquisitions);
		wmax = max(wmax, tt->max_wait);
		for (j = 0; j < TORTURE_HIST; j++)
			hist[j] += tt->hist[j];
	}
	seq_printf(m, "type %s\nbackend %s\nthreads %d\ncpus %u\n", type,
		   torture_backend, torture_nthreads, num_online_cpus());
	seq_printf(m, "irqs_off %u\nnesting %d\nduration_ns %llu\n", irqs_off,
		   nesting, torture_ns);
	seq_printf(m, "acquisitions %lu\nops_per_s %llu\n", total,
		   torture_ns ? div64_u64((u64)total * NSEC_PER_SEC,
					  torture_ns) : 0);
	seq_printf(m, "violations %ld\n", atomic_long_read(&torture_violations));
	for (i = 0; i < TORTURE_NLOCKS; i++)
		seq_printf(m, "counter_mismatch_%d %ld\n", i,
			   (long)(torture_cs[i].counter -
				  atomic_long_read(&torture_cs[i].taken)));
	seq_printf(m, "irq_locks %d\nsoftirq_acquisitions %ld\n", irq_locks,
		   atomic_long_read(&torture_cs[TORTURE_SOFT].taken));
	seq_printf(m, "hardirq_acquisitions %ld\n",
		   atomic_long_read(&torture_cs[TORTURE_HARD].taken));
	seq_printf(m, "acq_max %lu\nacq_min %lu\n", amax,
		   torture_nthreads ? amin : 0);
	seq_printf(m, "wait_p50_ns %llu\nwait_p99_ns %llu\nwait_max_ns %llu\n",
		   torture_percentile(hist, total, 50),
		   torture_percentile(hist, total, 99), wmax);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(torture_result);

static int torture_parse_type(void)
{
	if (!strcmp(type, "pvlock"))
		torture_kind = TORTURE_PVLOCK;
	else if (!strcmp(type, "ticket"))
		torture_kind = TORTURE_TICKET;
	else if (!strcmp(type, "spinlock"))
		torture_kind = TORTURE_SPINLOCK;
	else
		return -EINVAL;
	return 0;
}

static int torture_start_threads(void)
{
	int cpus = num_online_cpus(), i, cpu = -1;

	torture_nthreads = cpus * max(threads_per_cpu, 1U);
	torture_threads = kcalloc(torture_nthreads, sizeof(*torture_threads),
				  GFP_KERNEL);
	if (!torture_threads)
		return -ENOMEM;
	for (i = 0; i < torture_nthreads; i++) {
		struct torture_thread *tt = &torture_threads[i];

		cpu = cpumask_next(cpu, cpu_online_mask);
		if (cpu >= nr_cpu_ids)
			cpu = cpumask_first(cpu_online_mask);
		tt->idx = i;
		tt->task = kthread_create(torture_thread_fn, tt,
					  "pvlock_torture/%d", i);
		if (IS_ERR(tt->task)) {
			int ret = PTR_ERR(tt->task);

			tt->task = NULL;
			return ret;
		}
		kthread_bind(tt->task, cpu);
	}
	for (i = 0; i < torture_nthreads; i++)
		wake_up_process(torture_threads[i].task);
	return 0;
}

static void torture_stop_threads(void)
{
	int i;

	WRITE_ONCE(torture_stop, true);
	for (i = 0; i < torture_nthreads; i++)
		if (torture_threads[i].task)
			kthread_stop(torture_threads[i].task);
	torture_irq_stop();
}

static int __init torture_init(void)
{
	u64 t0;
	int ret;

	ret = torture_parse_type();
	if (ret)
		return ret;
	if (!duration_s)
		return 0;
	pvlock_init(&torture_cs[TORTURE_A].pv);
	pvlock_init(&torture_cs[TORTURE_B].pv);
	pvlock_init(&torture_cs[TORTURE_SOFT].pv);
	pvlock_init(&torture_cs[TORTURE_HARD].pv);
	spin_lock_init(&torture_cs[TORTURE_A].spin);
	spin_lock_init(&torture_cs[TORTURE_B].spin);
	spin_lock_init(&torture_cs[TORTURE_SOFT].spin);
	spin_lock_init(&torture_cs[TORTURE_HARD].spin);
	strscpy(torture_backend, pvlock_backend_name(),
		sizeof(torture_backend));
	if (torture_kind == TORTURE_TICKET) {
		ret = pvlock_set_backend("none");
		if (ret)
			return ret;
	}

	t0 = local_clock();
	ret = torture_start_threads();
	if (!ret)
		msleep(duration_s * MSEC_PER_SEC);
	torture_stop_threads();
	torture_ns = local_clock() - t0;
	if (ret)
		goto out_free;

	torture_dir = debugfs_create_dir("pvlock_torture", NULL);
	debugfs_create_file("result", 0444, torture_dir, NULL,
			    &torture_result_fops);
	if (torture_kind == TORTURE_TICKET) {
		pvlock_set_backend(torture_backend);
		strscpy(torture_backend, "none", sizeof(torture_backend));
	}
	return 0;

out_free:
	kfree(torture_threads);
	if (torture_kind == TORTURE_TICKET)
		pvlock_set_backend(torture_backend);
	return ret;
}

static void __exit torture_exit(void)
{
	debugfs_remove(torture_dir);
	kfree(torture_threads);
}

module_init(torture_init);
module_exit(torture_exit);

MODULE_IMPORT_NS(PVLOCK);
MODULE_LICENSE("GPL");
MODULE_VERSION(PVGUEST_VERSION);
MODULE_DESCRIPTION("Torture test and benchmark for pvlock");
