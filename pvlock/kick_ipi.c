// SPDX-License-Identifier: GPL-2.0
/*
 * pvlock ipi backend: halt with interrupts enabled, wake with an IPI.
 *
 * Works on any hypervisor whose HLT yields the vCPU (QEMU TCG, Xen HVM,
 * Hyper-V ...).  The waiter halts with sti;hlt (safe_halt()), so an IPI
 * sent after the waiter's last re-check, even before the hlt, ends it.
 *
 * An ordinary IPI cannot wake a vCPU halted with interrupts disabled, and
 * enabling them behind the caller's back would break the caller's
 * irqsave/irq contract (an interrupt handler could then spin on the lock
 * the interrupted context holds).  So a waiter that has interrupts
 * disabled does not halt with this backend: it spins.  (An NMI could wake
 * it, but an NMI kick needs a vector the kernel does not export to
 * modules and an NMI handler that can tell our NMIs from real ones.)
 *
 * The IPI is a call-single.  A csd must not be queued twice, so each target
 * CPU has one csd and a pending flag: a kicker queues the csd only if it
 * set the flag, and the callback clears it.  A kick that finds the flag set
 * rides on the IPI in flight, which has not run yet.
 */

#include <linux/atomic.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/percpu.h>
#include <linux/rcupdate.h>
#include <linux/smp.h>
#include <asm/cpufeature.h>

#include <kunit/visibility.h>

#include "internal.h"

/**
 * struct pvlock_ipi - the kick of one target CPU
 * @csd: the call-single request; queued only by the kicker that set @pending
 * @pending: 1 from the kick that queues @csd until its callback runs
 */
struct pvlock_ipi {
	call_single_data_t csd;
	atomic_t pending;
};

static struct pvlock_ipi __percpu *pvlock_ipi;

static void pvlock_ipi_func(void *info)
{
	struct pvlock_ipi *pi = info;

	atomic_set(&pi->pending, 0);
	/*
	 * A kick that still saw pending relies on this IPI: order the clear
	 * before the waiter's re-check of the head after the interrupt.
	 * Pairs with the kicker's release and atomic_xchg().
	 */
	smp_mb();
}

static bool pvlock_ipi_usable(void)
{
	return boot_cpu_has(X86_FEATURE_HYPERVISOR);
}

static int pvlock_ipi_init(void)
{
	int cpu;

	pvlock_ipi = alloc_percpu(struct pvlock_ipi);
	if (!pvlock_ipi)
		return -ENOMEM;
	for_each_possible_cpu(cpu) {
		struct pvlock_ipi *pi = per_cpu_ptr(pvlock_ipi, cpu);

		INIT_CSD(&pi->csd, pvlock_ipi_func, pi);
		atomic_set(&pi->pending, 0);
	}
	return 0;
}

static bool pvlock_ipi_busy(struct pvlock_ipi *pi)
{
	return atomic_read(&pi->pending) ||
	       (READ_ONCE(pi->csd.node.u_flags) & CSD_FLAG_LOCK);
}

static void pvlock_ipi_exit(void)
{
	int cpu;

	/*
	 * No one kicks any more (see pvlock_stop()).  A csd is unlocked
	 * before its callback runs, and a flush runs the synchronous calls
	 * before the queued asynchronous ones, so a call on every CPU does
	 * not flush them: wait for each kick, then for the callbacks (run
	 * with interrupts off) to return, before the memory and the module
	 * text may go.
	 */
	for_each_possible_cpu(cpu)
		while (pvlock_ipi_busy(per_cpu_ptr(pvlock_ipi, cpu)))
			usleep_range(100, 1000);
	synchronize_rcu();
	free_percpu(pvlock_ipi);
	pvlock_ipi = NULL;
}

static void pvlock_ipi_wait(bool irqs_off)
{
	/* pvlock_wait() never gets here with irqs_off: see above. */
	safe_halt();
	local_irq_disable();
}

static void pvlock_ipi_kick(int cpu)
{
	struct pvlock_ipi *pi = per_cpu_ptr(pvlock_ipi, cpu);

	/* Fully ordered: after the release, before the callback's clear. */
	if (atomic_xchg(&pi->pending, 1))
		return;
	if (smp_call_function_single_async(cpu, &pi->csd))
		atomic_set(&pi->pending, 0);
}

const struct pvlock_backend pvlock_ipi_backend = {
	.name = "ipi",
	.usable = pvlock_ipi_usable,
	.init = pvlock_ipi_init,
	.exit = pvlock_ipi_exit,
	.wait = pvlock_ipi_wait,
	.kick = pvlock_ipi_kick,
	.halts_irqs_off = false,
	.kick_nmi_safe = false,
};
EXPORT_SYMBOL_IF_KUNIT(pvlock_ipi_backend);
