/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Paravirtual ticket spinlocks: public interface.
 *
 * A pvlock is a FIFO ticket lock.  The uncontended lock and unlock are one
 * atomic operation each, inline.  A contended waiter spins for a bounded
 * time, then halts its vCPU; the unlocker kicks exactly the vCPU whose
 * ticket is next.  The slow paths live in pvlock.ko.
 *
 * Documentation/pvlock.rst describes the design and the rules of use.
 */
#ifndef _PVLOCK_H
#define _PVLOCK_H

#include <linux/atomic.h>
#include <linux/bottom_half.h>
#include <linux/compiler.h>
#include <linux/irqflags.h>
#include <linux/jump_label.h>
#include <linux/lockdep.h>
#include <linux/preempt.h>
#include <linux/types.h>
#include <asm/cmpxchg.h>

/*
 * Ticket layout in pvlock.val: the head (ticket being served) in the low
 * 16 bits, the tail (next ticket handed out) in the high 16 bits.  Tickets
 * advance by 2; bit 0 of the head is the slowpath mark, set by a waiter
 * that may halt, so that the unlocker's one atomic release also tells it
 * whether to look for a vCPU to kick.
 */
#define PVLOCK_TICKET_INC	2
#define PVLOCK_SLOWPATH		1
#define PVLOCK_TAIL_SHIFT	16
#define PVLOCK_TAIL_ONE		(PVLOCK_TICKET_INC << PVLOCK_TAIL_SHIFT)

/**
 * struct pvlock - a paravirtual ticket spinlock
 * @val: head and tail as one word, for the one-atomic lock fast path
 * @tickets: the same word as two halves
 * @tickets.head: ticket being served, slowpath mark in bit 0
 * @tickets.tail: next ticket to hand out
 * @dep_map: lockdep's view of the lock
 */
struct pvlock {
	union {
		atomic_t val;
		struct {
			u16 head;
			u16 tail;
		} tickets;
	};
#ifdef CONFIG_DEBUG_LOCK_ALLOC
	struct lockdep_map dep_map;
#endif
};

/**
 * DEFINE_PVLOCK() - define and initialise an unlocked pvlock
 * @lockname: the variable
 */
#ifdef CONFIG_DEBUG_LOCK_ALLOC
#define DEFINE_PVLOCK(lockname)						\
	struct pvlock lockname = {					\
		.val = ATOMIC_INIT(0),					\
		.dep_map = {						\
			.name = #lockname,				\
			.wait_type_inner = LD_WAIT_SPIN,		\
		},							\
	}
#else
#define DEFINE_PVLOCK(lockname)						\
	struct pvlock lockname = { .val = ATOMIC_INIT(0) }
#endif

/**
 * __pvlock_init() - initialise a pvlock with a lockdep class
 * @lock: the lock
 * @name: lockdep name
 * @key: lockdep class key
 *
 * Use pvlock_init(), which supplies one class per call site.
 */
static inline void __pvlock_init(struct pvlock *lock, const char *name,
				 struct lock_class_key *key)
{
	atomic_set(&lock->val, 0);
#ifdef CONFIG_DEBUG_LOCK_ALLOC
	lockdep_init_map_wait(&lock->dep_map, name, key, 0, LD_WAIT_SPIN);
#endif
}

/**
 * pvlock_init() - initialise a pvlock at run time
 * @lock: the lock
 */
#define pvlock_init(lock)					\
	do {							\
		static struct lock_class_key __key;		\
									\
		__pvlock_init((lock), #lock, &__key);		\
	} while (0)

/* Set while unlockers must look at the slowpath mark (see core.c). */
DECLARE_STATIC_KEY_FALSE(pvlock_kick_key);

void pvlock_lock_slowpath(struct pvlock *lock, u16 want);
void pvlock_kick_next(const struct pvlock *lock, u16 next);

static inline u16 __pvlock_head(u32 val)
{
	return (u16)val & ~PVLOCK_SLOWPATH;
}

static inline u16 __pvlock_tail(u32 val)
{
	return val >> PVLOCK_TAIL_SHIFT;
}

static __always_inline void __pvlock_acquire(struct pvlock *lock)
{
	u32 old = atomic_fetch_add_acquire(PVLOCK_TAIL_ONE, &lock->val);

	/* A set slowpath mark sends us to the slow path, which clears it. */
	if (likely((u16)old == __pvlock_tail(old)))
		return;
#ifdef CONFIG_LOCK_STAT
	lock_contended(&lock->dep_map, _THIS_IP_);
#endif
	pvlock_lock_slowpath(lock, __pvlock_tail(old));
#ifdef CONFIG_LOCK_STAT
	lock_acquired(&lock->dep_map, _THIS_IP_);
#endif
}

static __always_inline bool __pvlock_tryacquire(struct pvlock *lock)
{
	u32 old = atomic_read(&lock->val);

	if (__pvlock_head(old) != __pvlock_tail(old))
		return false;
	/* Free with no waiter: a stale slowpath mark can go as well. */
	return atomic_try_cmpxchg_acquire(&lock->val, &old,
					  (old & ~PVLOCK_SLOWPATH) +
					  PVLOCK_TAIL_ONE);
}

static __always_inline void __pvlock_release(struct pvlock *lock)
{
	u16 old;

	if (!static_branch_unlikely(&pvlock_kick_key)) {
		/* Plain ticket lock: only the owner writes the head. */
		smp_store_release(&lock->tickets.head,
				  READ_ONCE(lock->tickets.head) +
				  PVLOCK_TICKET_INC);
		return;
	}
	/*
	 * One fully ordered atomic both releases the lock and reads the
	 * slowpath mark.  The lock may be freed as soon as it is released:
	 * from here on its address is only a key for the waiter records.
	 */
	old = xadd(&lock->tickets.head, PVLOCK_TICKET_INC);
	if (unlikely(old & PVLOCK_SLOWPATH))
		pvlock_kick_next(lock, (old & ~PVLOCK_SLOWPATH) +
				 PVLOCK_TICKET_INC);
}

static __always_inline void __pvlock_dep_acquire(struct pvlock *lock, int try)
{
#ifdef CONFIG_DEBUG_LOCK_ALLOC
	/* Inlined into the caller: _RET_IP_ would name the caller's caller. */
	spin_acquire(&lock->dep_map, 0, try, _THIS_IP_);
#endif
}

static __always_inline void __pvlock_dep_release(struct pvlock *lock)
{
#ifdef CONFIG_DEBUG_LOCK_ALLOC
	spin_release(&lock->dep_map, _THIS_IP_);
#endif
}

/**
 * pvlock_lock() - take a pvlock, spinning then halting while it is busy
 * @lock: the lock
 *
 * Disables preemption.  Waiters are served in ticket (FIFO) order.
 */
static __always_inline void pvlock_lock(struct pvlock *lock)
	__acquires(lock)
{
	preempt_disable();
	__pvlock_dep_acquire(lock, 0);
	__pvlock_acquire(lock);
	__acquire(lock);
}

/**
 * pvlock_unlock() - release a pvlock taken with pvlock_lock()
 * @lock: the lock
 *
 * Kicks the next waiter's vCPU when it halted.  Does not touch @lock after
 * the release, so the lock may be freed by the next owner at once.
 */
static __always_inline void pvlock_unlock(struct pvlock *lock)
	__releases(lock)
{
	__pvlock_dep_release(lock);
	__pvlock_release(lock);
	__release(lock);
	preempt_enable();
}

static __always_inline bool _pvlock_trylock(struct pvlock *lock)
{
	preempt_disable();
	if (__pvlock_tryacquire(lock)) {
		__pvlock_dep_acquire(lock, 1);
		return true;
	}
	preempt_enable();
	return false;
}

/**
 * pvlock_trylock() - take a pvlock only if it is free
 * @lock: the lock
 *
 * Return: true, with the lock held and preemption disabled, or false.
 */
#define pvlock_trylock(lock)					\
	({							\
		struct pvlock *__pvl = (lock);			\
									\
		__cond_lock(__pvl, _pvlock_trylock(__pvl));	\
	})

/**
 * pvlock_lock_irq() - disable local interrupts and take a pvlock
 * @lock: the lock
 */
static __always_inline void pvlock_lock_irq(struct pvlock *lock)
	__acquires(lock)
{
	local_irq_disable();
	pvlock_lock(lock);
}

/**
 * pvlock_unlock_irq() - release a pvlock and enable local interrupts
 * @lock: the lock
 */
static __always_inline void pvlock_unlock_irq(struct pvlock *lock)
	__releases(lock)
{
	pvlock_unlock(lock);
	local_irq_enable();
}

static __always_inline unsigned long _pvlock_lock_irqsave(struct pvlock *lock)
	__acquires(lock)
{
	unsigned long flags;

	local_irq_save(flags);
	pvlock_lock(lock);
	return flags;
}

/**
 * pvlock_lock_irqsave() - save and disable local interrupts, take a pvlock
 * @lock: the lock
 * @flags: unsigned long that receives the saved interrupt state
 */
#define pvlock_lock_irqsave(lock, flags)			\
	do {							\
		typecheck(unsigned long, flags);		\
		flags = _pvlock_lock_irqsave(lock);		\
	} while (0)

/**
 * pvlock_unlock_irqrestore() - release a pvlock, restore interrupt state
 * @lock: the lock
 * @flags: the state saved by pvlock_lock_irqsave()
 */
static __always_inline void pvlock_unlock_irqrestore(struct pvlock *lock,
						     unsigned long flags)
	__releases(lock)
{
	pvlock_unlock(lock);
	local_irq_restore(flags);
}

/**
 * pvlock_lock_bh() - disable softirqs and take a pvlock
 * @lock: the lock
 */
static __always_inline void pvlock_lock_bh(struct pvlock *lock)
	__acquires(lock)
{
	local_bh_disable();
	pvlock_lock(lock);
}

/**
 * pvlock_unlock_bh() - release a pvlock and enable softirqs
 * @lock: the lock
 */
static __always_inline void pvlock_unlock_bh(struct pvlock *lock)
	__releases(lock)
{
	pvlock_unlock(lock);
	local_bh_enable();
}

static __always_inline bool _pvlock_trylock_irqsave(struct pvlock *lock,
						    unsigned long *flags)
{
	local_irq_save(*flags);
	if (_pvlock_trylock(lock))
		return true;
	local_irq_restore(*flags);
	return false;
}

/**
 * pvlock_trylock_irqsave() - take a free pvlock with interrupts disabled
 * @lock: the lock
 * @flags: unsigned long that receives the saved interrupt state
 *
 * Return: true with the lock held and interrupts disabled, or false with
 * the interrupt state unchanged.
 */
#define pvlock_trylock_irqsave(lock, flags)				\
	({								\
		struct pvlock *__pvl = (lock);				\
									\
		__cond_lock(__pvl,					\
			    _pvlock_trylock_irqsave(__pvl, &(flags)));	\
	})

static __always_inline bool _pvlock_trylock_bh(struct pvlock *lock)
{
	local_bh_disable();
	if (_pvlock_trylock(lock))
		return true;
	local_bh_enable();
	return false;
}

/**
 * pvlock_trylock_bh() - take a free pvlock with softirqs disabled
 * @lock: the lock
 *
 * Return: true with the lock held and softirqs disabled, or false.
 */
#define pvlock_trylock_bh(lock)					\
	({							\
		struct pvlock *__pvl = (lock);			\
									\
		__cond_lock(__pvl, _pvlock_trylock_bh(__pvl));	\
	})

/**
 * pvlock_is_locked() - whether a pvlock is held
 * @lock: the lock
 *
 * Return: true if some CPU holds @lock; a snapshot, for assertions.
 */
static inline bool pvlock_is_locked(const struct pvlock *lock)
{
	u32 val = atomic_read(&lock->val);

	return __pvlock_head(val) != __pvlock_tail(val);
}

/**
 * pvlock_is_contended() - whether CPUs wait for a pvlock
 * @lock: the lock
 *
 * Return: true if at least one CPU waits behind the holder.
 */
static inline bool pvlock_is_contended(const struct pvlock *lock)
{
	u32 val = atomic_read(&lock->val);

	return (u16)(__pvlock_tail(val) - __pvlock_head(val)) >
		PVLOCK_TICKET_INC;
}

/**
 * pvlock_assert_held() - complain (with lockdep) unless a pvlock is held
 * @lock: the lock
 *
 * Checks that the current context holds @lock, like lockdep_assert_held().
 * A no-op without CONFIG_DEBUG_LOCK_ALLOC.
 */
static inline void pvlock_assert_held(const struct pvlock *lock)
{
#ifdef CONFIG_DEBUG_LOCK_ALLOC
	lockdep_assert_held(lock);
#endif
}

/**
 * pvlock_set_backend() - switch the kick backend at run time
 * @name: "auto", "kvm", "ipi" or "none"
 *
 * "none" makes every pvlock a plain ticket lock.  Safe while locks are in
 * use: waiters that might halt are drained first.  Sleeps: process
 * context only.
 *
 * Return: 0, -EINVAL for an unknown name, -ENODEV if @name cannot run on
 * this machine.
 */
int pvlock_set_backend(const char *name);

/**
 * pvlock_backend_name() - the kick backend in use
 *
 * Return: "kvm", "ipi" or "none".
 */
const char *pvlock_backend_name(void);

#endif /* _PVLOCK_H */
