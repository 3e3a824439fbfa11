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
 * The IPI is a call-single with an empty function.  A csd must not be
 * queued twice, so each kicking CPU owns one csd per target CPU, used with
 * interrupts disabled: the only reuse of a busy csd is then by the same
 * CPU, which gets -EBUSY and may rely on the IPI in flight.
 */

#include <linux/cpumask.h>
#include <linux/irqflags.h>
#include <linux/percpu.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <asm/cpufeature.h>

#include <kunit/visibility.h>

#include "internal.h"

/* Per kicking CPU: an array of nr_cpu_ids csds, one per target. */
static call_single_data_t __percpu *pvlock_ipi_csd;

static void pvlock_ipi_nop(void *info)
{
}

static bool pvlock_ipi_usable(void)
{
	return boot_cpu_has(X86_FEATURE_HYPERVISOR);
}

static int pvlock_ipi_init(void)
{
	int src, dst;

	pvlock_ipi_csd = __alloc_percpu(nr_cpu_ids * sizeof(call_single_data_t),
					__alignof__(call_single_data_t));
	if (!pvlock_ipi_csd)
		return -ENOMEM;
	for_each_possible_cpu(src)
		for (dst = 0; dst < nr_cpu_ids; dst++)
			INIT_CSD(per_cpu_ptr(pvlock_ipi_csd, src) + dst,
				 pvlock_ipi_nop, NULL);
	return 0;
}

static void pvlock_ipi_exit(void)
{
	/*
	 * No one kicks any more (see pvlock_stop()); a call on every CPU
	 * behind the queued ones flushes those before the csds go.
	 */
	on_each_cpu(pvlock_ipi_nop, NULL, 1);
	free_percpu(pvlock_ipi_csd);
	pvlock_ipi_csd = NULL;
}

static void pvlock_ipi_wait(bool irqs_off)
{
	/* pvlock_wait() never gets here with irqs_off: see above. */
	safe_halt();
	local_irq_disable();
}

static void pvlock_ipi_kick(int cpu)
{
	unsigned long flags;

	local_irq_save(flags);
	smp_call_function_single_async(cpu, this_cpu_ptr(pvlock_ipi_csd) + cpu);
	local_irq_restore(flags);
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
