// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for pvlock: ticket logic and wrap-around, trylock, the
 * slowpath mark, kick-target selection, backend choice, and real waiters
 * (FIFO order, a kicked halt with a fake backend, an irqs-off waiter).
 *
 * Kick-target selection runs on private records.  The fake-backend cases
 * install their backend with pvlock_install(), which drains the waiters,
 * and put back the one that was in use.
 */

#include <kunit/test.h>
#include <kunit/visibility.h>
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/kvm_para.h>
#include <linux/percpu.h>
#include <linux/sched/clock.h>
#include <asm/cpufeature.h>

#include "internal.h"

#define PVLOCK_TICKETS(head, tail)	((u32)(head) | (u32)(tail) << 16)

static DEFINE_PVLOCK(pvlock_test_static);

/*
 * A KUnit report may sleep, so the tests note what they see while they
 * hold a pvlock and report it after the unlock.
 */
static void pvlock_test_fastpath(struct kunit *test)
{
	struct pvlock *lock = &pvlock_test_static;
	bool locked, contended, irq, irqsave, bh;
	unsigned long flags;
	u32 val;

	atomic_set(&lock->val, 0);
	KUNIT_EXPECT_FALSE(test, pvlock_is_locked(lock));
	pvlock_lock(lock);
	val = atomic_read(&lock->val);
	locked = pvlock_is_locked(lock);
	contended = pvlock_is_contended(lock);
	pvlock_unlock(lock);
	KUNIT_EXPECT_EQ(test, val, PVLOCK_TICKETS(0, 2));
	KUNIT_EXPECT_TRUE(test, locked);
	KUNIT_EXPECT_FALSE(test, contended);
	KUNIT_EXPECT_EQ(test, atomic_read(&lock->val), PVLOCK_TICKETS(2, 2));
	KUNIT_EXPECT_FALSE(test, pvlock_is_locked(lock));

	pvlock_lock_irq(lock);
	irq = irqs_disabled();
	pvlock_unlock_irq(lock);
	KUNIT_EXPECT_TRUE(test, irq);
	KUNIT_EXPECT_FALSE(test, irqs_disabled());
	pvlock_lock_irqsave(lock, flags);
	irqsave = irqs_disabled();
	pvlock_unlock_irqrestore(lock, flags);
	KUNIT_EXPECT_TRUE(test, irqsave);
	pvlock_lock_bh(lock);
	bh = in_softirq();
	pvlock_unlock_bh(lock);
	KUNIT_EXPECT_TRUE(test, bh);
	KUNIT_EXPECT_EQ(test, atomic_read(&lock->val), PVLOCK_TICKETS(8, 8));
}

static void pvlock_test_wrap(struct kunit *test)
{
	bool locked, contended;
	struct pvlock lock;
	int i;

	pvlock_init(&lock);
	atomic_set(&lock.val, PVLOCK_TICKETS(0xfffc, 0xfffc));
	for (i = 0; i < 3; i++) {
		pvlock_lock(&lock);
		locked = pvlock_is_locked(&lock);
		contended = pvlock_is_contended(&lock);
		pvlock_unlock(&lock);
		KUNIT_EXPECT_TRUE(test, locked);
		KUNIT_EXPECT_FALSE(test, contended);
		KUNIT_EXPECT_FALSE(test, pvlock_is_locked(&lock));
	}
	/* 0xfffc + 3 * 2 wraps to 2 in both halves. */
	KUNIT_EXPECT_EQ(test, atomic_read(&lock.val), PVLOCK_TICKETS(2, 2));
	/* A held lock across the wrap: head 0xfffe, tail 0. */
	atomic_set(&lock.val, PVLOCK_TICKETS(0xfffe, 0));
	KUNIT_EXPECT_TRUE(test, pvlock_is_locked(&lock));
	KUNIT_EXPECT_FALSE(test, pvlock_is_contended(&lock));
	atomic_set(&lock.val, PVLOCK_TICKETS(0xfffe, 2));
	KUNIT_EXPECT_TRUE(test, pvlock_is_contended(&lock));
}

/* Try a lock that should be busy; release it if that was wrong. */
static bool pvlock_test_try(struct pvlock *lock)
{
	unsigned long flags;

	if (pvlock_trylock(lock)) {
		pvlock_unlock(lock);
		return true;
	}
	if (pvlock_trylock_bh(lock)) {
		pvlock_unlock_bh(lock);
		return true;
	}
	if (pvlock_trylock_irqsave(lock, flags)) {
		pvlock_unlock_irqrestore(lock, flags);
		return true;
	}
	return false;
}

/* Trylock a lock expected free; report what was seen while holding it. */
static bool pvlock_test_try_hold(struct pvlock *lock, u32 *val, bool *again)
{
	if (pvlock_trylock(lock)) {
		*val = atomic_read(&lock->val);
		*again = pvlock_test_try(lock);
		pvlock_unlock(lock);
		return true;
	}
	return false;
}

static bool pvlock_test_try_irqsave(struct pvlock *lock, bool *irqs_off)
{
	unsigned long flags;

	if (pvlock_trylock_irqsave(lock, flags)) {
		*irqs_off = irqs_disabled();
		pvlock_unlock_irqrestore(lock, flags);
		return true;
	}
	return false;
}

static void pvlock_test_trylock(struct kunit *test)
{
	bool again = true, irqs_off = false;
	struct pvlock lock;
	u32 val = 0;

	pvlock_init(&lock);
	KUNIT_ASSERT_TRUE(test, pvlock_test_try_hold(&lock, &val, &again));
	KUNIT_EXPECT_EQ(test, val, PVLOCK_TICKETS(0, 2));
	/* No variant takes a held lock, and failing changes nothing. */
	KUNIT_EXPECT_FALSE(test, again);
	KUNIT_EXPECT_EQ(test, atomic_read(&lock.val), PVLOCK_TICKETS(2, 2));

	KUNIT_ASSERT_TRUE(test, pvlock_test_try_irqsave(&lock, &irqs_off));
	KUNIT_EXPECT_TRUE(test, irqs_off);
	KUNIT_EXPECT_FALSE(test, irqs_disabled());

	/* A stale mark on a free lock: trylock succeeds and drops it. */
	atomic_set(&lock.val, PVLOCK_TICKETS(4 | PVLOCK_SLOWPATH, 4));
	KUNIT_EXPECT_FALSE(test, pvlock_is_locked(&lock));
	KUNIT_ASSERT_TRUE(test, pvlock_test_try_hold(&lock, &val, &again));
	KUNIT_EXPECT_EQ(test, val, PVLOCK_TICKETS(4, 6));
	KUNIT_EXPECT_EQ(test, atomic_read(&lock.val), PVLOCK_TICKETS(6, 6));
}

static void pvlock_test_mark(struct kunit *test)
{
	struct pvlock lock;

	pvlock_init(&lock);
	/* Held by ticket 0, we wait with ticket 2: may halt, mark set. */
	atomic_set(&lock.val, PVLOCK_TICKETS(0, 4));
	KUNIT_EXPECT_TRUE(test, pvlock_mark(&lock, 2));
	KUNIT_EXPECT_EQ(test, atomic_read(&lock.val),
			PVLOCK_TICKETS(PVLOCK_SLOWPATH, 4));
	KUNIT_EXPECT_TRUE(test, pvlock_is_locked(&lock));
	/* Our turn already: the re-check says do not halt. */
	atomic_set(&lock.val, PVLOCK_TICKETS(2, 4));
	KUNIT_EXPECT_FALSE(test, pvlock_mark(&lock, 2));
	/* Owner 2 with someone behind: the mark stays. */
	atomic_set(&lock.val, PVLOCK_TICKETS(2 | PVLOCK_SLOWPATH, 6));
	KUNIT_EXPECT_FALSE(test, pvlock_clear_mark(&lock, 2));
	KUNIT_EXPECT_EQ(test, atomic_read(&lock.val),
			PVLOCK_TICKETS(2 | PVLOCK_SLOWPATH, 6));
	/* Owner 4, last in line: the mark goes. */
	atomic_set(&lock.val, PVLOCK_TICKETS(4 | PVLOCK_SLOWPATH, 6));
	KUNIT_EXPECT_TRUE(test, pvlock_clear_mark(&lock, 4));
	KUNIT_EXPECT_EQ(test, atomic_read(&lock.val), PVLOCK_TICKETS(4, 6));
	KUNIT_EXPECT_FALSE(test, pvlock_clear_mark(&lock, 4));
}

/* The waiter next in line spins longer; the ticket distance wraps. */
static void pvlock_test_spin_budget(struct kunit *test)
{
	const u64 us = 10 * NSEC_PER_USEC, next = 100 * NSEC_PER_USEC;

	KUNIT_EXPECT_EQ(test, pvlock_spin_budget(4, 2, 10, 100), next);
	KUNIT_EXPECT_EQ(test, pvlock_spin_budget(6, 2, 10, 100), us);
	KUNIT_EXPECT_EQ(test, pvlock_spin_budget(0x100, 2, 10, 100), us);
	/* Across the wrap: 0 is next after 0xfffe, 2 is the one after. */
	KUNIT_EXPECT_EQ(test, pvlock_spin_budget(0, 0xfffe, 10, 100), next);
	KUNIT_EXPECT_EQ(test, pvlock_spin_budget(2, 0xfffe, 10, 100), us);
	/* Zero budgets: halt at the first look at the clock. */
	KUNIT_EXPECT_EQ(test, pvlock_spin_budget(6, 2, 0, 0), 0);
}

/* Private records and waiting mask: the module's own are left alone. */
static void pvlock_test_kick_target(struct kunit *test)
{
	struct pvlock_cpu __percpu *cpus;
	struct pvlock_waiter *w0, *w1, *w2;
	struct cpumask *waiting;
	struct pvlock a, b;
	int c0 = cpumask_first(cpu_possible_mask);
	int c1 = cpumask_next(c0, cpu_possible_mask);

	if (c1 >= nr_cpu_ids)
		c1 = c0;
	waiting = kunit_kzalloc(test, cpumask_size(), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, waiting);
	cpus = alloc_percpu(struct pvlock_cpu);
	if (!cpus) {
		KUNIT_FAIL(test, "alloc_percpu failed");
		return;
	}
	w0 = &per_cpu_ptr(cpus, c0)->w[0];
	w1 = &per_cpu_ptr(cpus, c1)->w[1];
	w2 = &per_cpu_ptr(cpus, c1)->w[2];
	pvlock_init(&a);
	pvlock_init(&b);
	pvlock_publish(w0, &a, 4);
	pvlock_publish(w1, &a, 6);
	pvlock_publish(w2, &b, 4);
	cpumask_set_cpu(c0, waiting);
	cpumask_set_cpu(c1, waiting);

	KUNIT_EXPECT_EQ(test, pvlock_kick_target(waiting, cpus, &a, 6,
						 PVLOCK_KICK_SENT), c1);
	KUNIT_EXPECT_EQ(test, w1->kicked, PVLOCK_KICK_SENT);
	KUNIT_EXPECT_EQ(test, w2->kicked, PVLOCK_KICK_NONE);
	KUNIT_EXPECT_EQ(test, pvlock_kick_target(waiting, cpus, &a, 4,
						 PVLOCK_KICK_DEFERRED), c0);
	KUNIT_EXPECT_EQ(test, w0->kicked, PVLOCK_KICK_DEFERRED);
	KUNIT_EXPECT_EQ(test, pvlock_kick_target(waiting, cpus, &b, 4,
						 PVLOCK_KICK_SENT), c1);
	KUNIT_EXPECT_EQ(test, w2->kicked, PVLOCK_KICK_SENT);
	KUNIT_EXPECT_EQ(test, pvlock_kick_target(waiting, cpus, &b, 6,
						 PVLOCK_KICK_SENT), -1);
	KUNIT_EXPECT_EQ(test, pvlock_kick_target(waiting, cpus, &a, 8,
						 PVLOCK_KICK_SENT), -1);

	/* A CPU not marked as waiting is not looked at. */
	cpumask_clear_cpu(c0, waiting);
	if (c0 != c1)
		KUNIT_EXPECT_EQ(test, pvlock_kick_target(waiting, cpus, &a, 4,
							 PVLOCK_KICK_SENT), -1);
	/* A retired record is not found either. */
	WRITE_ONCE(w1->lock, NULL);
	KUNIT_EXPECT_EQ(test, pvlock_kick_target(waiting, cpus, &a, 6,
						 PVLOCK_KICK_SENT), -1);
	free_percpu(cpus);
}

static bool pvlock_fake_yes(void)
{
	return true;
}

static bool pvlock_fake_no(void)
{
	return false;
}

static const struct pvlock_backend pvlock_fake_a = {
	.name = "fake_a", .usable = pvlock_fake_no,
};

static const struct pvlock_backend pvlock_fake_b = {
	.name = "fake_b", .usable = pvlock_fake_yes,
};

static void pvlock_test_choose(struct kunit *test)
{
	const struct pvlock_backend *const both[] = {
		&pvlock_fake_a, &pvlock_fake_b,
	};
	const struct pvlock_backend *const none[] = { &pvlock_fake_a };

	KUNIT_EXPECT_PTR_EQ(test, pvlock_choose("auto", both, 2),
			    &pvlock_fake_b);
	KUNIT_EXPECT_PTR_EQ(test, pvlock_choose("fake_b\n", both, 2),
			    &pvlock_fake_b);
	KUNIT_EXPECT_PTR_EQ(test, pvlock_choose("fake_a", both, 2),
			    ERR_PTR(-ENODEV));
	KUNIT_EXPECT_PTR_EQ(test, pvlock_choose("bogus", both, 2),
			    ERR_PTR(-EINVAL));
	KUNIT_EXPECT_NULL(test, pvlock_choose("none", both, 2));
	KUNIT_EXPECT_NULL(test, pvlock_choose("auto", none, 1));

	/* kvm needs KVM's signature and PV_UNHALT. */
	KUNIT_EXPECT_TRUE(test, pvlock_kvm_features_ok(0x40000000,
						       BIT(KVM_FEATURE_PV_UNHALT)));
	KUNIT_EXPECT_FALSE(test, pvlock_kvm_features_ok(0,
							BIT(KVM_FEATURE_PV_UNHALT)));
	KUNIT_EXPECT_FALSE(test, pvlock_kvm_features_ok(0x40000000,
							(u32)~BIT(KVM_FEATURE_PV_UNHALT)));

	/* What auto picked on this machine follows the same rules. */
	if (!boot_cpu_has(X86_FEATURE_HYPERVISOR) || pvlock_kvm_realtime())
		KUNIT_EXPECT_STREQ(test, pvlock_backend_name(), "none");
	else if (pvlock_kvm_backend.usable())
		KUNIT_EXPECT_STREQ(test, pvlock_backend_name(), "kvm");
	else
		KUNIT_EXPECT_STREQ(test, pvlock_backend_name(), "ipi");
}

/*
 * Waiter threads on other CPUs.
 *
 * A case that holds a pvlock, preemption off, and waits for a thread on
 * another CPU to take a ticket deadlocks with stop_machine() (a clocksource
 * change during boot, say) if that CPU runs its stopper first: the stopper
 * waits for ours.  So each such wait gives up after PVLOCK_TEST_WAIT_NS,
 * the case releases the lock, which lets stop_machine() finish, and runs
 * again, PVLOCK_TEST_TRIES times in all.
 */
#define PVLOCK_TEST_WAIT_NS	NSEC_PER_SEC
#define PVLOCK_TEST_TRIES	5

struct pvlock_test_waiter {
	struct pvlock *lock;
	bool irqsave;
	atomic_t *order;
	int place;
	struct completion done;
};

static int pvlock_test_waiter_fn(void *data)
{
	struct pvlock_test_waiter *tw = data;
	unsigned long flags;

	if (tw->irqsave) {
		pvlock_lock_irqsave(tw->lock, flags);
		tw->place = atomic_inc_return(tw->order);
		pvlock_unlock_irqrestore(tw->lock, flags);
	} else {
		pvlock_lock(tw->lock);
		tw->place = atomic_inc_return(tw->order);
		pvlock_unlock(tw->lock);
	}
	complete(&tw->done);
	return 0;
}

/* Create a waiter thread bound to @cpu; it runs once woken. */
static struct task_struct *pvlock_test_spawn(struct pvlock_test_waiter *tw,
					     int cpu)
{
	struct task_struct *t;

	init_completion(&tw->done);
	t = kthread_create(pvlock_test_waiter_fn, tw, "pvlock_test/%d", cpu);
	if (!IS_ERR(t))
		kthread_bind(t, cpu);
	return t;
}

/* With the lock held: wake a waiter and wait until it took a ticket. */
static bool pvlock_test_enqueue(struct pvlock_test_waiter *tw,
				struct task_struct *t)
{
	u16 tail = READ_ONCE(tw->lock->tickets.tail);
	u64 deadline = local_clock() + PVLOCK_TEST_WAIT_NS;

	wake_up_process(t);
	while (READ_ONCE(tw->lock->tickets.tail) == tail) {
		if (local_clock() > deadline)
			return false;
		cpu_relax();
	}
	return true;
}

/* Hold @lock until @stat moved by @n or 5 s passed. */
static void pvlock_test_hold_until(enum pvlock_stat stat, u64 from, u64 n)
{
	u64 deadline = local_clock() + 5 * NSEC_PER_SEC;

	while (pvlock_stat_read(stat) < from + n && local_clock() < deadline)
		cpu_relax();
}

/*
 * Run @once until it returns true, which it does when its waiters queued
 * and it reported what it saw; false means a waiter did not take its
 * ticket in time, and it reported nothing.
 */
static void pvlock_test_retry(struct kunit *test,
			      bool (*once)(struct kunit *test, void *arg),
			      void *arg)
{
	int try;

	for (try = 1; try <= PVLOCK_TEST_TRIES; try++) {
		if (once(test, arg)) {
			if (try > 1)
				kunit_info(test, "the waiters queued on try %d\n",
					   try);
			return;
		}
	}
	KUNIT_FAIL(test, "the waiters did not queue in %d tries",
		   PVLOCK_TEST_TRIES);
}

static int pvlock_test_other_cpus(int *cpus, int n)
{
	int cpu, got = 0, me = raw_smp_processor_id();

	for_each_online_cpu(cpu)
		if (cpu != me && got < n)
			cpus[got++] = cpu;
	return got;
}

/*
 * Hold a lock whose tickets start at *@arg while three waiters on other
 * CPUs queue behind, long enough for them to halt; check they are served
 * in order, through the slow path when a backend is in use, and that the
 * last one drops the slowpath mark.
 */
static bool pvlock_test_queue_once(struct kunit *test, void *arg)
{
	u16 start = *(u16 *)arg;
	struct pvlock_test_waiter tw[3] = {};
	struct task_struct *t[3];
	atomic_t order = ATOMIC_INIT(0);
	int cpus[3], n, i, queued = 0;
	bool done[3] = {}, contended, marked;
	u64 slow = pvlock_stat_read(PVLOCK_STAT_UNLOCK_SLOW);
	u64 ahead = pvlock_stat_read(PVLOCK_STAT_WAKE_AHEAD);
	u16 end = start + (ARRAY_SIZE(tw) + 1) * PVLOCK_TICKET_INC;
	struct pvlock lock;
	bool old_ahead;

	pvlock_init(&lock);
	atomic_set(&lock.val, PVLOCK_TICKETS(start, start));
	n = pvlock_test_other_cpus(cpus, ARRAY_SIZE(tw));
	if (n < ARRAY_SIZE(tw))
		kunit_skip(test, "needs at least 4 CPUs");
	/* The waiters below check its kicks: on, whatever the default. */
	old_ahead = pvlock_set_wake_ahead(true);
	for (i = 0; i < n; i++) {
		tw[i].lock = &lock;
		tw[i].order = &order;
		t[i] = pvlock_test_spawn(&tw[i], cpus[i]);
		if (IS_ERR(t[i])) {
			KUNIT_FAIL(test, "kthread_create: %ld", PTR_ERR(t[i]));
			n = i;
			break;
		}
	}
	pvlock_lock(&lock);
	for (i = 0; i < n; i++) {
		if (!pvlock_test_enqueue(&tw[i], t[i]))
			break;
		queued++;
	}
	contended = pvlock_is_contended(&lock);
	/* Hold on long enough for the waiters to reach their slow path. */
	if (queued == n)
		mdelay(20);
	marked = atomic_read(&lock.val) & PVLOCK_SLOWPATH;
	pvlock_unlock(&lock);
	/* Reports may sleep: only now that the lock is free. */
	for (; i < n; i++)
		wake_up_process(t[i]);
	for (i = 0; i < n; i++)
		done[i] = wait_for_completion_timeout(&tw[i].done, 10 * HZ);
	if (queued < n)
		goto drain;
	KUNIT_EXPECT_TRUE(test, contended);
	if (pvlock_installed())
		KUNIT_EXPECT_TRUE(test, marked);
	for (i = 0; i < n; i++)
		KUNIT_EXPECT_TRUE_MSG(test, done[i], "waiter %d stuck", i);
	for (i = 0; i < queued; i++)
		KUNIT_EXPECT_EQ(test, tw[i].place, i + 1);
	if (queued == ARRAY_SIZE(tw)) {
		/* Every ticket served, no mark left behind. */
		KUNIT_EXPECT_EQ(test, atomic_read(&lock.val),
				PVLOCK_TICKETS(end, end));
		/* Each unlock but the last one handed over to a halter. */
		if (pvlock_installed())
			KUNIT_EXPECT_GE(test,
					pvlock_stat_read(PVLOCK_STAT_UNLOCK_SLOW),
					slow + queued);
		/*
		 * The first two waiters got the lock with a halted waiter
		 * behind them, and kicked it ahead of its turn.
		 */
		if (pvlock_installed())
			KUNIT_EXPECT_EQ(test,
					pvlock_stat_read(PVLOCK_STAT_WAKE_AHEAD),
					ahead + queued - 1);
	}
drain:
	/* Do not leave a stuck waiter with a pointer into this frame. */
	for (i = 0; i < n; i++)
		if (!done[i])
			wait_for_completion(&tw[i].done);
	pvlock_set_wake_ahead(old_ahead);
	return queued == n;
}

static void pvlock_test_fifo(struct kunit *test)
{
	u16 start = 0;

	pvlock_test_retry(test, pvlock_test_queue_once, &start);
}

/* Tickets 0xfffc (ours), 0xfffe, 0 and 2: the wrap with halted waiters. */
static void pvlock_test_wrap_slow(struct kunit *test)
{
	u16 start = 0xfffc;

	pvlock_test_retry(test, pvlock_test_queue_once, &start);
}

/*
 * A fake backend: "halts" by spinning until kicked (5 s at most), records
 * the kicks and drops the first pvlock_fake_drop of them.
 */
static int pvlock_fake_kicked = -1;
static atomic_t pvlock_fake_kicks;
static atomic_t pvlock_fake_waits;
static int pvlock_fake_drop;

static void pvlock_fake_wait(bool irqs_off)
{
	u64 deadline = local_clock() + 5 * NSEC_PER_SEC;
	int me = smp_processor_id();

	atomic_inc(&pvlock_fake_waits);
	while (READ_ONCE(pvlock_fake_kicked) != me &&
	       local_clock() < deadline)
		cpu_relax();
	WRITE_ONCE(pvlock_fake_kicked, -1);
}

static void pvlock_fake_kick(int cpu)
{
	if (atomic_inc_return(&pvlock_fake_kicks) <= READ_ONCE(pvlock_fake_drop))
		return;
	WRITE_ONCE(pvlock_fake_kicked, cpu);
}

static const struct pvlock_backend pvlock_fake_kicker = {
	.name = "fake",
	.usable = pvlock_fake_yes,
	.wait = pvlock_fake_wait,
	.kick = pvlock_fake_kick,
	.halts_irqs_off = true,
};

/*
 * Install the fake backend and start a waiter for @lock on another CPU;
 * it queues once pvlock_test_fake_halt() lets it.
 */
static struct task_struct *pvlock_test_fake_start(struct kunit *test,
						  struct pvlock *lock,
						  struct pvlock_test_waiter *tw,
						  atomic_t *order)
{
	struct task_struct *t;
	int cpu;

	pvlock_init(lock);
	KUNIT_ASSERT_EQ(test, pvlock_test_other_cpus(&cpu, 1), 1);
	atomic_set(&pvlock_fake_kicks, 0);
	atomic_set(&pvlock_fake_waits, 0);
	tw->lock = lock;
	tw->order = order;
	tw->irqsave = true;
	t = pvlock_test_spawn(tw, cpu);
	KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	KUNIT_ASSERT_EQ(test, pvlock_install(&pvlock_fake_kicker), 0);
	return t;
}

/*
 * With the lock held, let the waiter queue, spin out and "halt" (the fake
 * halt gives up after 5 s).  Returns the fake halts seen, or -1 if the
 * waiter did not take a ticket in time.  It reports nothing: a KUnit
 * report may sleep, and the caller holds the lock.
 */
static int pvlock_test_fake_halt(struct pvlock_test_waiter *tw,
				 struct task_struct *t)
{
	u64 deadline;

	if (!pvlock_test_enqueue(tw, t))
		return -1;
	deadline = local_clock() + 5 * NSEC_PER_SEC;
	while (!atomic_read(&pvlock_fake_waits) && local_clock() < deadline)
		cpu_relax();
	return atomic_read(&pvlock_fake_waits);
}

static bool pvlock_test_fake_kick_once(struct kunit *test, void *arg)
{
	const struct pvlock_backend *old = pvlock_installed();
	struct pvlock_test_waiter tw = {};
	atomic_t order = ATOMIC_INIT(0);
	u64 lost = pvlock_stat_read(PVLOCK_STAT_LOST_KICK);
	struct task_struct *t;
	struct pvlock lock;
	bool marked;
	int waits;

	t = pvlock_test_fake_start(test, &lock, &tw, &order);
	pvlock_lock(&lock);
	waits = pvlock_test_fake_halt(&tw, t);
	marked = atomic_read(&lock.val) & PVLOCK_SLOWPATH;
	pvlock_unlock(&lock);
	wait_for_completion(&tw.done);
	if (waits < 0)
		goto restore;
	KUNIT_EXPECT_EQ(test, waits, 1);
	KUNIT_EXPECT_TRUE(test, marked);
	KUNIT_EXPECT_EQ(test, atomic_read(&pvlock_fake_kicks), 1);
	KUNIT_EXPECT_EQ(test, tw.place, 1);
	KUNIT_EXPECT_EQ(test, pvlock_stat_read(PVLOCK_STAT_LOST_KICK), lost);
	/* The waiter was last in line: it dropped the mark. */
	KUNIT_EXPECT_FALSE(test, atomic_read(&lock.val) & PVLOCK_SLOWPATH);
restore:
	KUNIT_EXPECT_EQ(test, pvlock_install(old), 0);
	return waits >= 0;
}

static void pvlock_test_fake_kick(struct kunit *test)
{
	pvlock_test_retry(test, pvlock_test_fake_kick_once, NULL);
}

/*
 * The fake backend drops the unlocker's kick: the waiter, halted with
 * interrupts off, would stay halted; the watchdog must kick it well before
 * the fake halt gives up after 5 s, and count a lost kick.
 */
static bool pvlock_test_lost_kick_once(struct kunit *test, void *arg)
{
	const struct pvlock_backend *old = pvlock_installed();
	struct pvlock_test_waiter tw = {};
	atomic_t order = ATOMIC_INIT(0);
	u64 lost = pvlock_stat_read(PVLOCK_STAT_LOST_KICK);
	u64 dog = pvlock_stat_read(PVLOCK_STAT_WATCHDOG);
	struct task_struct *t;
	struct pvlock lock;
	bool done;
	int waits;
	u64 t0;

	WRITE_ONCE(pvlock_fake_drop, 1);
	t = pvlock_test_fake_start(test, &lock, &tw, &order);
	pvlock_lock(&lock);
	waits = pvlock_test_fake_halt(&tw, t);
	t0 = local_clock();
	pvlock_unlock(&lock);
	if (waits < 0) {
		wait_for_completion(&tw.done);
		goto restore;
	}
	done = wait_for_completion_timeout(&tw.done, 4 * HZ);
	KUNIT_EXPECT_TRUE_MSG(test, done, "the watchdog did not end the halt");
	KUNIT_EXPECT_LT(test, local_clock() - t0, 4 * NSEC_PER_SEC);
	KUNIT_EXPECT_EQ(test, waits, 1);
	KUNIT_EXPECT_EQ(test, tw.place, 1);
	/* The dropped kick, then the watchdog's. */
	KUNIT_EXPECT_EQ(test, atomic_read(&pvlock_fake_kicks), 2);
	KUNIT_EXPECT_EQ(test, pvlock_stat_read(PVLOCK_STAT_LOST_KICK), lost + 1);
	KUNIT_EXPECT_EQ(test, pvlock_stat_read(PVLOCK_STAT_WATCHDOG), dog + 1);
	if (!done)
		wait_for_completion(&tw.done);
restore:
	WRITE_ONCE(pvlock_fake_drop, 0);
	KUNIT_EXPECT_EQ(test, pvlock_install(old), 0);
	return waits >= 0;
}

static void pvlock_test_lost_kick(struct kunit *test)
{
	pvlock_test_retry(test, pvlock_test_lost_kick_once, NULL);
}

/*
 * With the backend in use, a waiter with interrupts on (*@arg false)
 * halts and is kicked; one with interrupts off halts only if the backend
 * can wake such a halt, and otherwise spins on.
 */
static bool pvlock_test_real_once(struct kunit *test, void *arg)
{
	const struct pvlock_backend *be = pvlock_installed();
	struct pvlock_test_waiter tw = { .irqsave = *(bool *)arg };
	bool halts_now = !tw.irqsave || be->halts_irqs_off;
	atomic_t order = ATOMIC_INIT(0);
	u64 halts = pvlock_stat_read(PVLOCK_STAT_HALTS);
	u64 kicks = pvlock_stat_read(PVLOCK_STAT_WAKE_KICKED);
	u64 nohalt = pvlock_stat_read(PVLOCK_STAT_NOHALT_IRQSOFF);
	u64 lost = pvlock_stat_read(PVLOCK_STAT_LOST_KICK);
	struct task_struct *t;
	struct pvlock lock;
	bool queued;
	int cpu;

	pvlock_init(&lock);
	KUNIT_ASSERT_EQ(test, pvlock_test_other_cpus(&cpu, 1), 1);
	tw.lock = &lock;
	tw.order = &order;
	t = pvlock_test_spawn(&tw, cpu);
	KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	pvlock_lock(&lock);
	queued = pvlock_test_enqueue(&tw, t);
	if (queued) {
		pvlock_test_hold_until(halts_now ? PVLOCK_STAT_HALTS :
				       PVLOCK_STAT_NOHALT_IRQSOFF,
				       halts_now ? halts : nohalt, 1);
		mdelay(20);
	}
	pvlock_unlock(&lock);
	wait_for_completion(&tw.done);
	if (!queued)
		return false;
	KUNIT_EXPECT_EQ(test, tw.place, 1);
	if (halts_now) {
		KUNIT_EXPECT_GE(test, pvlock_stat_read(PVLOCK_STAT_HALTS),
				halts + 1);
		KUNIT_EXPECT_GE(test, pvlock_stat_read(PVLOCK_STAT_WAKE_KICKED),
				kicks + 1);
	} else {
		KUNIT_EXPECT_EQ(test, pvlock_stat_read(PVLOCK_STAT_HALTS),
				halts);
		KUNIT_EXPECT_EQ(test,
				pvlock_stat_read(PVLOCK_STAT_NOHALT_IRQSOFF),
				nohalt + 1);
	}
	KUNIT_EXPECT_EQ(test, pvlock_stat_read(PVLOCK_STAT_LOST_KICK), lost);
	return true;
}

static void pvlock_test_real_waiters(struct kunit *test)
{
	bool irqsave = false;

	if (!pvlock_installed())
		kunit_skip(test, "no pv backend in use");
	pvlock_test_retry(test, pvlock_test_real_once, &irqsave);
	irqsave = true;
	pvlock_test_retry(test, pvlock_test_real_once, &irqsave);
}

static struct kunit_case pvlock_test_cases[] = {
	KUNIT_CASE(pvlock_test_fastpath),
	KUNIT_CASE(pvlock_test_wrap),
	KUNIT_CASE(pvlock_test_trylock),
	KUNIT_CASE(pvlock_test_mark),
	KUNIT_CASE(pvlock_test_spin_budget),
	KUNIT_CASE(pvlock_test_kick_target),
	KUNIT_CASE(pvlock_test_choose),
	KUNIT_CASE(pvlock_test_fifo),
	KUNIT_CASE(pvlock_test_wrap_slow),
	KUNIT_CASE(pvlock_test_fake_kick),
	KUNIT_CASE(pvlock_test_lost_kick),
	KUNIT_CASE(pvlock_test_real_waiters),
	{}
};

static struct kunit_suite pvlock_test_suite = {
	.name = "pvlock",
	.test_cases = pvlock_test_cases,
};

kunit_test_suite(pvlock_test_suite);

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
MODULE_IMPORT_NS(PVLOCK);
MODULE_LICENSE("GPL");
MODULE_VERSION(PVGUEST_VERSION);
MODULE_DESCRIPTION("KUnit tests for pvlock");
MODULE_INFO(test, "Y");
