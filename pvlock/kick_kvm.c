// SPDX-License-Identifier: GPL-2.0
/*
 * pvlock kvm backend: halt, and kick with the KVM_HC_KICK_CPU hypercall.
 *
 * The host keeps a kick "sticky": one that lands before the waiter's halt
 * makes the halt return at once.  It also wakes a vCPU halted with
 * interrupts disabled, so waiters that have interrupts off may halt too.
 * Offered only when the host sets KVM_FEATURE_PV_UNHALT.
 */

#include <linux/kvm_para.h>
#include <linux/percpu.h>
#include <asm/cpufeature.h>
#include <asm/cpuid.h>
#include <asm/irqflags.h>
#include <asm/smp.h>

#include <kunit/visibility.h>

#include "internal.h"

/**
 * pvlock_kvm_features_ok() - whether KVM's CPUID leaves offer the kick
 * @base: the KVM CPUID base (0 if KVM's signature was not found)
 * @features: EAX of the KVM_CPUID_FEATURES leaf
 *
 * Return: true if the kvm backend can run.
 */
bool pvlock_kvm_features_ok(u32 base, u32 features)
{
	return base && (features & BIT(KVM_FEATURE_PV_UNHALT));
}
EXPORT_SYMBOL_IF_KUNIT(pvlock_kvm_features_ok);

/*
 * kvm_para_has_feature() calls kvm_arch_para_features(), which is not
 * exported: read the leaf here.
 */
static bool pvlock_kvm_usable(void)
{
	u32 base;

	if (!boot_cpu_has(X86_FEATURE_HYPERVISOR) || !kvm_para_available())
		return false;
	base = hypervisor_cpuid_base(KVM_SIGNATURE, 0);
	return pvlock_kvm_features_ok(base, base ?
				      cpuid_eax(base | KVM_CPUID_FEATURES) :
				      0);
}

/**
 * pvlock_kvm_realtime() - whether KVM says our vCPUs are never preempted
 *
 * With KVM_HINTS_REALTIME the host dedicates a physical CPU to each vCPU:
 * halting then only adds wake-up latency, and auto picks no backend (as
 * the kernel's own pv spinlocks do).
 *
 * Return: true if KVM sets the hint.
 */
bool pvlock_kvm_realtime(void)
{
	u32 base;

	if (!boot_cpu_has(X86_FEATURE_HYPERVISOR) || !kvm_para_available())
		return false;
	base = hypervisor_cpuid_base(KVM_SIGNATURE, 0);
	return base &&
	       (cpuid_edx(base | KVM_CPUID_FEATURES) & BIT(KVM_HINTS_REALTIME));
}
EXPORT_SYMBOL_IF_KUNIT(pvlock_kvm_realtime);

static void pvlock_kvm_wait(bool irqs_off)
{
	/* The kick wakes a halt with interrupts off; keep them off then. */
	if (irqs_off) {
		halt();
		return;
	}
	safe_halt();
	local_irq_disable();
}

static void pvlock_kvm_kick(int cpu)
{
	kvm_hypercall2(KVM_HC_KICK_CPU, 0, per_cpu(x86_cpu_to_apicid, cpu));
}

const struct pvlock_backend pvlock_kvm_backend = {
	.name = "kvm",
	.usable = pvlock_kvm_usable,
	.wait = pvlock_kvm_wait,
	.kick = pvlock_kvm_kick,
	.halts_irqs_off = true,
	/* A hypercall: no lock, no queue, fine in NMI. */
	.kick_nmi_safe = true,
};
EXPORT_SYMBOL_IF_KUNIT(pvlock_kvm_backend);
