/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pvlock: what the files of pvlock.ko share.
 */
#ifndef _PVLOCK_INTERNAL_H
#define _PVLOCK_INTERNAL_H

#include <linux/percpu.h>
#include <linux/types.h>

#include "include/pvlock.h"

/**
 * struct pvlock_backend - how a waiter halts and how an unlocker kicks
 * @name: shown in dmesg and in /sys/module/pvlock/parameters/backend
 * @usable: whether the backend can run on this machine
 * @init: prepare the kick (may be NULL); called before the backend is used
 * @exit: undo @init, after no CPU can be waiting or kicking (may be NULL)
 * @wait: halt once, with interrupts disabled on entry and on return;
 *        @irqs_off tells whether the caller had them disabled
 * @kick: wake @cpu's halted vCPU; any context, NMI only if @kick_nmi_safe
 * @halts_irqs_off: whether a waiter that has interrupts disabled may halt,
 *        i.e. whether @kick wakes a vCPU halted with interrupts disabled
 * @kick_nmi_safe: whether @kick may be called in NMI context; a backend
 *        that halts with interrupts off must offer this, or an unlock in
 *        NMI could leave such a waiter halted
 */
struct pvlock_backend {
	const char *name;
	bool (*usable)(void);
	int (*init)(void);
	void (*exit)(void);
	void (*wait)(bool irqs_off);
	void (*kick)(int cpu);
	bool halts_irqs_off;
	bool kick_nmi_safe;
};

extern const struct pvlock_backend pvlock_kvm_backend;
extern const struct pvlock_backend pvlock_ipi_backend;
bool pvlock_kvm_features_ok(u32 base, u32 features);
bool pvlock_kvm_realtime(void);

/* Waiter records per CPU: one per context level (task, softirq, hardirq). */
#define PVLOCK_NEST_MAX	3

/* What the unlocker did about a waiter record (pvlock_waiter.kicked). */
enum pvlock_kick_state {
	PVLOCK_KICK_NONE,	/* no kick yet */
	PVLOCK_KICK_SENT,	/* the unlocker kicked */
	PVLOCK_KICK_DEFERRED,	/* unlocked in NMI; the tick wakes the waiter */
};

/**
 * struct pvlock_waiter - what a halting waiter publishes for the unlocker
 * @lock: the lock waited for, or NULL; written last, read first
 * @since: when the record was published (ktime_get_mono_fast_ns())
 * @kick_ns: when the unlocker kicked, valid once @kicked is set
 * @want: the ticket waited for
 * @kicked: an enum pvlock_kick_state, set by the unlocker before it kicks
 *          and consumed by the waiter when it wakes
 */
struct pvlock_waiter {
	const struct pvlock *lock;
	u64 since;
	u64 kick_ns;
	u16 want;
	u8 kicked;
};

/**
 * struct pvlock_cpu - a CPU's waiter records
 * @w: one record per context level that may wait at the same time
 * @depth: records in use; only this CPU changes it, nested contexts in
 *         LIFO order
 */
struct pvlock_cpu {
	struct pvlock_waiter w[PVLOCK_NEST_MAX];
	int depth;
};

/* Statistics, per CPU, summed on read (stats.c). */
enum pvlock_stat {
	PVLOCK_STAT_SLOWPATH,		/* waiters that published a record */
	PVLOCK_STAT_SLOWPATH_NESTED,	/* of which on top of another one */
	PVLOCK_STAT_HALTS,		/* halts */
	PVLOCK_STAT_NOHALT_IRQSOFF,	/* waits that could not halt: IF=0 */
	PVLOCK_STAT_NOHALT_NMI,		/* slow paths in NMI: spin only */
	PVLOCK_STAT_UNLOCK_SLOW,	/* unlocks that saw the slowpath mark */
	PVLOCK_STAT_KICKS,		/* kicks sent */
	PVLOCK_STAT_KICK_NONE,		/* marked unlocks with no one halted */
	PVLOCK_STAT_KICK_NMI,		/* kicks left to the tick: NMI unlock */
	PVLOCK_STAT_WAKE_AHEAD,		/* kicks by a new owner, ahead of turn */
	PVLOCK_STAT_WAKE_KICKED,	/* wake-ups by a kick */
	PVLOCK_STAT_WAKE_SPURIOUS,	/* wake-ups without kick, not our turn */
	PVLOCK_STAT_WAKE_UNKICKED,	/* our turn, woken before the kick */
	PVLOCK_STAT_LOST_KICK,		/* our turn, but the kick never came */
	PVLOCK_STAT_WATCHDOG,		/* halts ended by the watchdog */
	PVLOCK_STAT_MARK_CLEARED,	/* slowpath marks cleared */
	PVLOCK_STAT_HALT_NS,		/* total time halted */
	PVLOCK_NR_STATS
};

/* Histogram of time halted: bucket i holds halts under 10^i us. */
#define PVLOCK_HIST_BUCKETS	8

void pvlock_stat_inc(enum pvlock_stat stat);
void pvlock_stat_halt(u64 ns);
int pvlock_stats_init(void);
void pvlock_stats_exit(void);
extern const char * const pvlock_stat_names[PVLOCK_NR_STATS];

#if IS_ENABLED(CONFIG_KUNIT)
/* Static without KUnit (VISIBLE_IF_KUNIT); exported for pvlock_kunit. */
int pvlock_kick_target(const struct cpumask *waiting,
		       struct pvlock_cpu __percpu *cpus,
		       const struct pvlock *lock, u16 next, u8 how);
void pvlock_publish(struct pvlock_waiter *w, const struct pvlock *lock,
		    u16 want);
bool pvlock_mark(struct pvlock *lock, u16 want);
bool pvlock_clear_mark(struct pvlock *lock, u16 ticket);
u64 pvlock_spin_budget(u16 want, u16 head, unsigned int us,
		       unsigned int next_us);
int pvlock_install(const struct pvlock_backend *be);
const struct pvlock_backend *pvlock_installed(void);
bool pvlock_set_wake_ahead(bool on);
u64 pvlock_stat_read(enum pvlock_stat stat);
const struct pvlock_backend *pvlock_choose(const char *name,
					   const struct pvlock_backend *
					   const *table, int n);
#endif

#endif /* _PVLOCK_INTERNAL_H */
