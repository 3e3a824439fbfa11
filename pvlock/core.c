// SPDX-License-Identifier: GPL-2.0
/*
 * pvlock: the slow paths of the paravirtual ticket spinlock, and the
 * choice of kick backend.
 *
 * A waiter spins while the lock makes progress.  When the head has not
 * moved for spin_us (spin_next_us for the waiter next in line, which
 * expects the lock within one critical section), it publishes (lock,
 * want) in its CPU's waiter record for its context level, marks its CPU
 * in pvlock_waiting, sets the slowpath mark in the lock's head and
 * re-checks the head before it halts.  The unlocker releases the lock and
 * reads the mark with one fully ordered xadd (include/pvlock.h); if the
 * mark was set it looks for the record of exactly the next ticket and
 * kicks that CPU.
 *
 * Wake-ahead (off by default): a waiter that got the lock after halting
 * kicks the halted waiter of the next ticket at once, so that it wakes
 * up while the critical section runs instead of after the release.  On
 * a host without an idle CPU the woken vCPU competes with the lock
 * owner's, and the benchmark lost up to a fifth of its throughput at
 * 2x overcommit with it (Documentation/pvlock.rst).  A kicked waiter
 * spins again before it halts again.
 *
 * Ordering: the record is written before the mark with a full barrier
 * between, and the unlocker's xadd is fully ordered before it reads the
 * records.  So either the waiter's re-check sees the new head, or the
 * unlocker sees the record.  The mark is cleared only by an owner with no
 * ticket behind it, so it stays set while anyone waits.
 *
 * Lost kicks are counted, not hung on: a waiter woken (by the tick, say)
 * that finds the lock handed to it although no unlocker ever flagged its
 * record counts a lost kick, and a watchdog kicks every waiter halted
 * longer than halt_timeout_ms, counting a lost kick when an unlocker had
 * kicked it that long ago without waking it.
 */

#include <linux/build_bug.h>
#include <linux/cpumask.h>
#include <linux/export.h>
#include <linux/hardirq.h>
#include <linux/limits.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/rcupdate.h>
#include <linux/sched/clock.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/workqueue.h>
#include <kunit/visibility.h>
#include <asm/cpufeature.h>

#include "internal.h"

#define CREATE_TRACE_POINTS
#include "trace.h"

static DEFINE_PER_CPU(struct pvlock_cpu, pvlock_cpu);

/* CPUs with a published record: the unlocker scans only these. */
static struct cpumask pvlock_waiting;

/* Unlockers look at the slowpath mark (used inline by every user). */
DEFINE_STATIC_KEY_FALSE(pvlock_kick_key);
EXPORT_SYMBOL_NS_GPL(pvlock_kick_key, PVLOCK);

/* Waiters may publish, mark and halt.  Never set without pvlock_kick_key. */
static DEFINE_STATIC_KEY_FALSE(pvlock_halt_key);

/* The backend in use, NULL for none; changed under pvlock_switch_mutex. */
static const struct pvlock_backend *pvlock_be;

/* Serialises backend changes (pvlock_switch()). */
static DEFINE_MUTEX(pvlock_switch_mutex);

/* Set once init has run: earlier backend= writes only record a request. */
static bool pvlock_ready;
static char pvlock_requested[8] = "auto";

static unsigned int spin_us = 2;
module_param(spin_us, uint, 0644);
MODULE_PARM_DESC(spin_us,
		 "a waiter halts when the lock made no progress for this long (default 2)");

static unsigned int spin_next_us = 50;
module_param(spin_next_us, uint, 0644);
MODULE_PARM_DESC(spin_next_us,
		 "the same for the waiter next in line (default 50)");

static bool wake_ahead;
module_param(wake_ahead, bool, 0644);
MODULE_PARM_DESC(wake_ahead,
		 "a new owner kicks the halted waiter of the next ticket (default off)");

static unsigned int halt_timeout_ms = 1000;
module_param(halt_timeout_ms, uint, 0644);
MODULE_PARM_DESC(halt_timeout_ms,
		 "the watchdog kicks waiters halted longer than this (default 1000)");

static void pvlock_watchdog_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(pvlock_watchdog, pvlock_watchdog_fn);
/* Bit 0: the watchdog is queued or about to look at the records again. */
static unsigned long pvlock_watchdog_armed;

static const struct pvlock_backend *const pvlock_backends[] = {
	&pvlock_kvm_backend,
	&pvlock_ipi_backend,
};

static u16 pvlock_head_now(const struct pvlock *lock)
{
	return READ_ONCE(lock->tickets.head) & ~PVLOCK_SLOWPATH;
}

/**
 * pvlock_publish() - fill a waiter record for the unlocker to find
 * @w: the record
 * @lock: the lock waited for
 * @want: the ticket waited for
 *
 * The lock is written last: a reader that sees @lock sees @want as well.
 */
VISIBLE_IF_KUNIT void pvlock_publish(struct pvlock_waiter *w,
				     const struct pvlock *lock, u16 want)
{
	WRITE_ONCE(w->lock, NULL);
	/* Retire the old key before changing want: see the reader. */
	smp_wmb();
	WRITE_ONCE(w->want, want);
	WRITE_ONCE(w->kicked, PVLOCK_KICK_NONE);
	WRITE_ONCE(w->since, ktime_get_mono_fast_ns());
	/* want before lock; pairs with smp_rmb() in pvlock_kick_target(). */
	smp_wmb();
	WRITE_ONCE(w->lock, lock);
}
EXPORT_SYMBOL_IF_KUNIT(pvlock_publish);

/**
 * pvlock_mark() - set the slowpath mark, then re-check the head
 * @lock: the lock
 * @want: our ticket
 *
 * The caller's record must be published.  The full barriers order the
 * record before the mark and the mark before the re-check.
 *
 * Return: true if the caller may halt (its turn has not come).
 */
VISIBLE_IF_KUNIT bool pvlock_mark(struct pvlock *lock, u16 want)
{
	/* Record before mark: an unlocker that sees the mark finds us. */
	smp_mb__before_atomic();
	atomic_or(PVLOCK_SLOWPATH, &lock->val);
	/* Mark before re-check; pairs with the unlocker's xadd. */
	smp_mb__after_atomic();
	return pvlock_head_now(lock) != want;
}
EXPORT_SYMBOL_IF_KUNIT(pvlock_mark);

/**
 * pvlock_clear_mark() - clear the slowpath mark if no one waits behind us
 * @lock: the lock, held by the caller
 * @ticket: the caller's ticket
 *
 * Return: true if the mark was cleared.
 */
VISIBLE_IF_KUNIT bool pvlock_clear_mark(struct pvlock *lock, u16 ticket)
{
	u32 val = atomic_read(&lock->val);

	if (!(val & PVLOCK_SLOWPATH) ||
	    __pvlock_tail(val) != (u16)(ticket + PVLOCK_TICKET_INC))
		return false;
	/* Fails if a new waiter took a ticket: it may want the mark. */
	if (!atomic_try_cmpxchg_relaxed(&lock->val, &val,
					val & ~PVLOCK_SLOWPATH))
		return false;
	pvlock_stat_inc(PVLOCK_STAT_MARK_CLEARED);
	return true;
}
EXPORT_SYMBOL_IF_KUNIT(pvlock_clear_mark);

/**
 * pvlock_kick_target() - find the CPU whose waiter holds a given ticket
 * @waiting: the CPUs to look at
 * @cpus: their records
 * @lock: the lock, as a key only: it may be freed already
 * @next: the ticket now being served
 * @how: the flag for the record, an enum pvlock_kick_state
 *
 * Flags the record as kicked.  A record reused between the match and the
 * flag only costs that waiter a spurious wake-up and a wrong count.
 *
 * Return: the CPU, or -1 if no halting waiter holds @next.
 */
VISIBLE_IF_KUNIT int pvlock_kick_target(const struct cpumask *waiting,
					struct pvlock_cpu __percpu *cpus,
					const struct pvlock *lock, u16 next,
					u8 how)
{
	int cpu, i;

	for_each_cpu(cpu, waiting) {
		struct pvlock_cpu *pc = per_cpu_ptr(cpus, cpu);

		for (i = 0; i < PVLOCK_NEST_MAX; i++) {
			struct pvlock_waiter *w = &pc->w[i];

			if (READ_ONCE(w->lock) != lock)
				continue;
			/* lock before want; pairs with pvlock_publish(). */
			smp_rmb();
			if (READ_ONCE(w->want) != next)
				continue;
			WRITE_ONCE(w->kick_ns, ktime_get_mono_fast_ns());
			/* kick_ns before kicked; pairs with the watchdog. */
			smp_wmb();
			WRITE_ONCE(w->kicked, how);
			return cpu;
		}
	}
	return -1;
}
EXPORT_SYMBOL_IF_KUNIT(pvlock_kick_target);

/*
 * Kick the halted waiter of @ticket, if there is one; @lock is a key only.
 * In NMI context, a backend whose kick is not NMI-safe (ipi: the NMI may
 * have interrupted an IPI being queued) only flags the record: its waiters
 * halt with interrupts on, so the tick wakes them.  The scan of the
 * records is lockless and NMI-safe.  Returns true if a waiter was found.
 */
static bool pvlock_kick_ticket(const struct pvlock *lock, u16 ticket)
{
	const struct pvlock_backend *be = READ_ONCE(pvlock_be);
	bool defer;
	int cpu;

	if (!be)
		return false;
	defer = in_nmi() && !be->kick_nmi_safe;
	cpu = pvlock_kick_target(&pvlock_waiting, &pvlock_cpu, lock, ticket,
				 defer ? PVLOCK_KICK_DEFERRED :
				 PVLOCK_KICK_SENT);
	if (cpu < 0)
		return false;
	if (defer) {
		pvlock_stat_inc(PVLOCK_STAT_KICK_NMI);
		return true;
	}
	trace_pvlock_kick(lock, ticket, cpu);
	pvlock_stat_inc(PVLOCK_STAT_KICKS);
	be->kick(cpu);
	return true;
}

/**
 * pvlock_kick_next() - kick the halted waiter of the next ticket
 * @lock: the lock just released, as a key only
 * @next: the ticket now being served
 *
 * Called by pvlock_unlock() when the released head carried the slowpath
 * mark.  Never dereferences @lock.  Safe in any context, NMI included.
 */
void pvlock_kick_next(const struct pvlock *lock, u16 next)
{
	pvlock_stat_inc(PVLOCK_STAT_UNLOCK_SLOW);
	if (!pvlock_kick_ticket(lock, next))
		pvlock_stat_inc(PVLOCK_STAT_KICK_NONE);
}
EXPORT_SYMBOL_NS_GPL(pvlock_kick_next, PVLOCK);

static u64 pvlock_timeout_ns(void)
{
	return (u64)max(READ_ONCE(halt_timeout_ms), 1U) * NSEC_PER_MSEC;
}

/*
 * Our turn came without a kick: the unlocker flags the record only after
 * its release, so give it a moment (it may be a descheduled vCPU).  A flag
 * that never comes is a lost kick: the unlocker saw no mark or no record.
 */
static u8 pvlock_await_kick_flag(struct pvlock_waiter *w)
{
	u64 t0 = local_clock(), limit = pvlock_timeout_ns() / 10;
	u8 kicked = xchg(&w->kicked, PVLOCK_KICK_NONE);

	while (!kicked && local_clock() - t0 < limit) {
		cpu_relax();
		kicked = xchg(&w->kicked, PVLOCK_KICK_NONE);
	}
	return kicked;
}

/*
 * Classify a wake-up.  Returns true when halting should stop: the lock is
 * ours, or a kick came (a wake-ahead kick: our turn is near, spin again).
 */
static bool pvlock_account_wake(struct pvlock *lock, struct pvlock_waiter *w,
				u16 want, u64 ns)
{
	/*
	 * Consume the flag before reading the head: the unlocker writes the
	 * head first, so a flag set after this is left for the next round.
	 */
	u8 kicked = xchg(&w->kicked, PVLOCK_KICK_NONE);
	bool mine = pvlock_head_now(lock) == want;

	trace_pvlock_wake(lock, want, kicked, ns);
	if (kicked == PVLOCK_KICK_SENT)
		pvlock_stat_inc(PVLOCK_STAT_WAKE_KICKED);
	else if (!mine)
		pvlock_stat_inc(PVLOCK_STAT_WAKE_SPURIOUS);
	else if (kicked || pvlock_await_kick_flag(w))
		pvlock_stat_inc(PVLOCK_STAT_WAKE_UNKICKED);
	else
		pvlock_stat_inc(PVLOCK_STAT_LOST_KICK);
	return mine || kicked == PVLOCK_KICK_SENT;
}

/* Halt until our turn comes, a kick comes, or halting is switched off. */
static void pvlock_halt_loop(const struct pvlock_backend *be,
			     struct pvlock *lock, struct pvlock_waiter *w,
			     u16 want, bool irqs_off)
{
	bool done = false;

	while (!done && static_branch_likely(&pvlock_halt_key)) {
		u64 t0 = local_clock(), ns;

		/* A kick that lands before the halt makes it return at once. */
		be->wait(irqs_off);
		ns = local_clock() - t0;
		pvlock_stat_halt(ns);
		done = pvlock_account_wake(lock, w, want, ns);
	}
}

/*
 * Queue the watchdog's timer on a CPU that is not waiting: a CPU halted with
 * interrupts off runs no timer, and the watchdog is there for such a CPU.
 */
static void pvlock_watchdog_arm(void)
{
	unsigned long delay = msecs_to_jiffies(READ_ONCE(halt_timeout_ms) / 2);
	int cpu;

	if (test_bit(0, &pvlock_watchdog_armed) ||
	    test_and_set_bit(0, &pvlock_watchdog_armed))
		return;
	for_each_online_cpu(cpu)
		if (!cpumask_test_cpu(cpu, &pvlock_waiting))
			break;
	if (cpu >= nr_cpu_ids)
		cpu = WORK_CPU_UNBOUND;
	queue_delayed_work_on(cpu, system_unbound_wq, &pvlock_watchdog,
			      max(delay, 1UL));
}

/* Kick @w's CPU if it has been halted too long; count a lost kick. */
static bool pvlock_watchdog_check(struct pvlock_waiter *w, u64 now)
{
	s64 limit = pvlock_timeout_ns();

	if (!READ_ONCE(w->lock))
		return false;
	/* lock before the rest; pairs with pvlock_publish(). */
	smp_rmb();
	if (READ_ONCE(w->kicked)) {
		/* kicked before kick_ns; pairs with pvlock_kick_target(). */
		smp_rmb();
		if ((s64)(now - READ_ONCE(w->kick_ns)) <= limit)
			return false;
		/* Kicked a timeout ago and still halted: the kick got lost. */
		pvlock_stat_inc(PVLOCK_STAT_LOST_KICK);
	} else if ((s64)(now - READ_ONCE(w->since)) <= limit) {
		return false;
	}
	pvlock_stat_inc(PVLOCK_STAT_WATCHDOG);
	return true;
}

/*
 * The timeout fallback: runs while any CPU has a published record, every
 * halt_timeout_ms / 2, and kicks the CPUs whose waiters halted longer than
 * halt_timeout_ms.  A bug then shows as a counter, not as a hang (a vCPU
 * halted with interrupts off wakes only on a kick).
 */
static void pvlock_watchdog_fn(struct work_struct *work)
{
	const struct pvlock_backend *be;
	u64 now;
	int cpu;

	clear_bit(0, &pvlock_watchdog_armed);
	/* Disarm before the scan; pairs with pvlock_wait(). */
	smp_mb__after_atomic();
	/* Kick inside an RCU read section: pvlock_stop() waits for it. */
	rcu_read_lock();
	be = READ_ONCE(pvlock_be);
	now = ktime_get_mono_fast_ns();
	for_each_cpu(cpu, &pvlock_waiting) {
		struct pvlock_cpu *pc = per_cpu_ptr(&pvlock_cpu, cpu);
		/* Only the innermost waiter halts; the others are interrupted. */
		int top = READ_ONCE(pc->depth) - 1;

		if (top < 0 || top >= PVLOCK_NEST_MAX)
			continue;
		if (pvlock_watchdog_check(&pc->w[top], now) && be)
			be->kick(cpu);
	}
	rcu_read_unlock();
	if (!cpumask_empty(&pvlock_waiting))
		pvlock_watchdog_arm();
}

/*
 * Publish, mark, and halt until our turn.  Returns false if this waiter
 * must not halt at all (then the caller spins).
 */
static bool pvlock_wait(struct pvlock *lock, u16 want)
{
	const struct pvlock_backend *be = READ_ONCE(pvlock_be);
	bool irqs_off = irqs_disabled();
	struct pvlock_waiter *w;
	unsigned long flags;
	bool halted = false;
	int depth;

	if (!be)
		return false;
	/*
	 * An ordinary IPI does not wake a vCPU halted with interrupts
	 * disabled: such a waiter spins unless the kick can wake it.
	 */
	if (irqs_off && !be->halts_irqs_off) {
		pvlock_stat_inc(PVLOCK_STAT_NOHALT_IRQSOFF);
		return false;
	}

	local_irq_save(flags);
	depth = __this_cpu_inc_return(pvlock_cpu.depth) - 1;
	if (depth >= PVLOCK_NEST_MAX)
		goto out_depth;
	w = this_cpu_ptr(&pvlock_cpu.w[depth]);
	pvlock_publish(w, lock, want);
	cpumask_set_cpu(smp_processor_id(), &pvlock_waiting);
	/* Waiting before armed; pairs with pvlock_watchdog_fn(). */
	smp_mb__after_atomic();
	pvlock_watchdog_arm();
	pvlock_stat_inc(PVLOCK_STAT_SLOWPATH);
	if (depth)
		pvlock_stat_inc(PVLOCK_STAT_SLOWPATH_NESTED);
	trace_pvlock_slowpath(lock, want, depth);

	if (pvlock_mark(lock, want)) {
		pvlock_stat_inc(PVLOCK_STAT_HALTS);
		pvlock_halt_loop(be, lock, w, want, irqs_off);
		halted = true;
	}

	WRITE_ONCE(w->lock, NULL);
	/* Nested levels end first: the outermost one clears the bit. */
	if (!depth)
		cpumask_clear_cpu(smp_processor_id(), &pvlock_waiting);
out_depth:
	__this_cpu_dec(pvlock_cpu.depth);
	local_irq_restore(flags);
	return halted || depth < PVLOCK_NEST_MAX;
}

/* Spins between two looks at the clock in the slow path. */
#define PVLOCK_SPINS_PER_CHECK	8

/**
 * pvlock_spin_budget() - how long a waiter spins without progress
 * @want: the waiter's ticket
 * @head: the ticket being served
 * @us: the budget of a waiter further back
 * @next_us: the budget of the waiter next in line
 *
 * The waiter next in line expects the lock within one critical section;
 * one further back has at least one whole critical section and hand-over
 * to wait, and is kicked when its turn comes, so it halts soon.
 *
 * Return: the budget in nanoseconds.
 */
VISIBLE_IF_KUNIT u64 pvlock_spin_budget(u16 want, u16 head, unsigned int us,
					unsigned int next_us)
{
	u16 ahead = (u16)(want - head) / PVLOCK_TICKET_INC;

	return (u64)(ahead <= 1 ? next_us : us) * NSEC_PER_USEC;
}
EXPORT_SYMBOL_IF_KUNIT(pvlock_spin_budget);

/*
 * We own the lock after a contended wait.  If a waiter behind us halted,
 * kick it now: it then wakes while we hold the lock, not after we let go.
 */
static void pvlock_wake_ahead(struct pvlock *lock, u16 want)
{
	u32 val = atomic_read(&lock->val);
	u16 next = want + PVLOCK_TICKET_INC;

	if (!(val & PVLOCK_SLOWPATH) || __pvlock_tail(val) == next ||
	    !READ_ONCE(wake_ahead) || in_nmi())
		return;
	if (pvlock_kick_ticket(lock, next))
		pvlock_stat_inc(PVLOCK_STAT_WAKE_AHEAD);
}

/**
 * pvlock_lock_slowpath() - wait for a ticket: spin, then halt
 * @lock: the lock
 * @want: our ticket
 *
 * Called by pvlock_lock() when the lock was not free.  Spins while the head
 * moves; halts once it stood still for the spin budget.  Returns with the
 * lock held.  NMI context only spins.
 */
void pvlock_lock_slowpath(struct pvlock *lock, u16 want)
{
	unsigned int spins = 0;
	bool may_halt = !in_nmi();
	u16 head, seen = 0;
	u64 since = 0;

	if (!may_halt)
		pvlock_stat_inc(PVLOCK_STAT_NOHALT_NMI);
	while ((head = pvlock_head_now(lock)) != want) {
		u64 now;

		cpu_relax();
		if (!may_halt || ++spins % PVLOCK_SPINS_PER_CHECK ||
		    !static_branch_unlikely(&pvlock_halt_key))
			continue;
		now = local_clock();
		if (!since || head != seen) {
			/* Progress: start the budget again. */
			seen = head;
			since = now;
			continue;
		}
		if (now - since < pvlock_spin_budget(want, head,
						     READ_ONCE(spin_us),
						     READ_ONCE(spin_next_us)))
			continue;
		may_halt = pvlock_wait(lock, want);
		since = 0;
	}
	/* Pairs with the releasing store or xadd of the previous owner. */
	smp_acquire__after_ctrl_dep();
	if (!pvlock_clear_mark(lock, want) &&
	    static_branch_unlikely(&pvlock_halt_key))
		pvlock_wake_ahead(lock, want);
}
EXPORT_SYMBOL_NS_GPL(pvlock_lock_slowpath, PVLOCK);

/**
 * pvlock_choose() - pick a backend by name
 * @name: "auto", "none" or a backend's name
 * @table: the candidates, best first
 * @n: entries in @table
 *
 * Return: the backend, NULL for none, or ERR_PTR(-EINVAL) for an unknown
 * name, ERR_PTR(-ENODEV) for a backend that cannot run here.
 */
VISIBLE_IF_KUNIT const struct pvlock_backend *
pvlock_choose(const char *name, const struct pvlock_backend *const *table,
	      int n)
{
	int i;

	if (sysfs_streq(name, "none"))
		return NULL;
	for (i = 0; i < n; i++) {
		if (sysfs_streq(name, "auto")) {
			if (table[i]->usable())
				return table[i];
		} else if (sysfs_streq(name, table[i]->name)) {
			return table[i]->usable() ? table[i] : ERR_PTR(-ENODEV);
		}
	}
	return sysfs_streq(name, "auto") ? NULL : ERR_PTR(-EINVAL);
}
EXPORT_SYMBOL_IF_KUNIT(pvlock_choose);

static void pvlock_stop(void)
{
	const struct pvlock_backend *old = pvlock_be;

	if (!old)
		return;
	/*
	 * Waiters run with preemption disabled, so once a grace period has
	 * passed none can still be about to halt.  Unlockers keep kicking
	 * until then.
	 */
	static_branch_disable(&pvlock_halt_key);
	synchronize_rcu();
	/* No record left: the watchdog does not re-arm itself any more. */
	cancel_delayed_work_sync(&pvlock_watchdog);
	clear_bit(0, &pvlock_watchdog_armed);
	static_branch_disable(&pvlock_kick_key);
	synchronize_rcu();
	WRITE_ONCE(pvlock_be, NULL);
	if (old->exit)
		old->exit();
}

static int pvlock_start(const struct pvlock_backend *be)
{
	int ret;

	if (!be)
		return 0;
	ret = be->init ? be->init() : 0;
	if (ret)
		return ret;
	WRITE_ONCE(pvlock_be, be);
	/* Every unlocker must look at the mark before anyone sets it. */
	static_branch_enable(&pvlock_kick_key);
	synchronize_rcu();
	static_branch_enable(&pvlock_halt_key);
	return 0;
}

/**
 * pvlock_install() - make a backend the one in use
 * @be: the backend, or NULL for none
 *
 * Visible to the KUnit test, which installs a fake backend.
 *
 * Return: 0 or the error of @be's init.
 */
VISIBLE_IF_KUNIT int pvlock_install(const struct pvlock_backend *be)
{
	int ret = 0;

	mutex_lock(&pvlock_switch_mutex);
	if (be != pvlock_be) {
		pvlock_stop();
		ret = pvlock_start(be);
	}
	mutex_unlock(&pvlock_switch_mutex);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(pvlock_install);

#if IS_ENABLED(CONFIG_KUNIT)
/**
 * pvlock_installed() - the backend in use
 *
 * For the KUnit test only, which puts it back after a fake one.
 *
 * Return: the backend, or NULL for none.
 */
VISIBLE_IF_KUNIT const struct pvlock_backend *pvlock_installed(void)
{
	return READ_ONCE(pvlock_be);
}
EXPORT_SYMBOL_IF_KUNIT(pvlock_installed);

/**
 * pvlock_set_wake_ahead() - turn wake-ahead on or off
 * @on: the new setting
 *
 * For the KUnit test only, which checks the wake-ahead kicks whatever
 * the module parameter says.
 *
 * Return: the previous setting.
 */
VISIBLE_IF_KUNIT bool pvlock_set_wake_ahead(bool on)
{
	bool old = READ_ONCE(wake_ahead);

	WRITE_ONCE(wake_ahead, on);
	return old;
}
EXPORT_SYMBOL_IF_KUNIT(pvlock_set_wake_ahead);
#endif

static int pvlock_switch(const char *name)
{
	const struct pvlock_backend *be;
	int ret;

	if (sysfs_streq(name, "auto") && pvlock_kvm_realtime()) {
		pr_info("KVM_HINTS_REALTIME: dedicated vCPUs, no halting\n");
		be = NULL;
	} else {
		be = pvlock_choose(name, pvlock_backends,
				   ARRAY_SIZE(pvlock_backends));
	}
	if (IS_ERR(be))
		return PTR_ERR(be);
	ret = pvlock_install(be);
	if (!ret)
		pr_info("backend %s (asked for %s)\n",
			be ? be->name : "none", name);
	return ret;
}

/* Documented in include/pvlock.h. */
int pvlock_set_backend(const char *name)
{
	might_sleep();
	return pvlock_switch(name);
}
EXPORT_SYMBOL_NS_GPL(pvlock_set_backend, PVLOCK);

/* Documented in include/pvlock.h. */
const char *pvlock_backend_name(void)
{
	const struct pvlock_backend *be = READ_ONCE(pvlock_be);

	return be ? be->name : "none";
}
EXPORT_SYMBOL_NS_GPL(pvlock_backend_name, PVLOCK);

static int pvlock_backend_set(const char *val, const struct kernel_param *kp)
{
	if (!pvlock_ready) {
		if (strlen(val) >= sizeof(pvlock_requested))
			return -EINVAL;
		strscpy(pvlock_requested, val, sizeof(pvlock_requested));
		strim(pvlock_requested);
		return 0;
	}
	return pvlock_switch(val);
}

static int pvlock_backend_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%s\n", pvlock_backend_name());
}

static const struct kernel_param_ops pvlock_backend_ops = {
	.set = pvlock_backend_set,
	.get = pvlock_backend_get,
};

module_param_cb(backend, &pvlock_backend_ops, NULL, 0644);
MODULE_PARM_DESC(backend,
		 "kick backend: auto (default), kvm, ipi or none; reads back the one in use");

static int __init pvlock_init_module(void)
{
	int ret;

	/*
	 * Tickets step by 2 in 16 bits: 32768 of them, and tail == head
	 * would read as free.  A CPU holds at most one ticket per lock, as a
	 * nested context that took a second one on a lock its interrupted
	 * context waits for could never be served; so NR_CPUS must stay
	 * below 32768.
	 */
	BUILD_BUG_ON(CONFIG_NR_CPUS * PVLOCK_TICKET_INC > U16_MAX);

	ret = pvlock_stats_init();
	if (ret)
		return ret;
	pvlock_ready = true;
	ret = pvlock_switch(pvlock_requested);
	if (ret == -ENODEV || ret == -EINVAL) {
		/* A backend that cannot run here must not cost the lock. */
		pr_warn("backend %s: %s, choosing automatically\n",
			pvlock_requested, ret == -ENODEV ? "not available" :
			"unknown");
		ret = pvlock_switch("auto");
	}
	if (ret) {
		pr_err("backend %s: error %d\n", pvlock_requested, ret);
		goto out_stats;
	}
	if (!pvlock_be)
		pr_info("backend none (asked for %s): plain ticket locks\n",
			pvlock_requested);
	return 0;

out_stats:
	pvlock_stats_exit();
	return ret;
}

static void __exit pvlock_exit_module(void)
{
	mutex_lock(&pvlock_switch_mutex);
	pvlock_stop();
	mutex_unlock(&pvlock_switch_mutex);
	pvlock_stats_exit();
}

module_init(pvlock_init_module);
module_exit(pvlock_exit_module);

MODULE_LICENSE("GPL");
MODULE_VERSION(PVGUEST_VERSION);
MODULE_DESCRIPTION("Paravirtual ticket spinlocks: halt the waiting vCPU, kick the next one");
