/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ASM_X86_CPU_FLAGS_H
#define _ASM_X86_CPU_FLAGS_H

#include <linux/cpu_flags.h>
#include <asm/cpufeature.h>
#include <asm/processor-flags.h>
#include <asm/sync_core.h>
#include <asm/tlbflush.h>

/*
 * Flush every TLB entry of every PCID, global ones included: a deferred
 * kernel TLB flush stands for any kernel-range flush.  Open-coded so that
 * it stays in noinstr text (the kernel's own helpers are out of line and
 * traceable).  Interrupts are off at entry.
 */
static __always_inline void cpu_flags_flush_tlb_all(void)
{
	unsigned long cr4, cr3;

	if (cpu_feature_enabled(X86_FEATURE_INVPCID)) {
		struct { u64 d[2]; } desc = { { 0, 0 } };

		/* INVPCID type 2: all contexts, global entries included. */
		asm volatile("invpcid %[desc], %[type]"
			     :: [desc] "m" (desc), [type] "r" (2UL) : "memory");
		return;
	}
	cr4 = raw_cpu_read(cpu_tlbstate.cr4);
	if (cr4 & X86_CR4_PGE) {
		/* Toggling CR4.PGE flushes all entries of all PCIDs. */
		asm volatile("mov %0, %%cr4" :: "r" (cr4 ^ X86_CR4_PGE) : "memory");
		asm volatile("mov %0, %%cr4" :: "r" (cr4) : "memory");
		return;
	}
	/* No global pages: a CR3 reload flushes this PCID, switch_mm the rest. */
	asm volatile("mov %%cr3, %0" : "=r" (cr3));
	asm volatile("mov %0, %%cr3" :: "r" (cr3 & ~X86_CR3_PCID_NOFLUSH) : "memory");
	if (cpu_feature_enabled(X86_FEATURE_PCID))
		raw_cpu_write(cpu_tlbstate.invalidate_other, true);
}

/*
 * Do the kernel work other CPUs left for this entry.
 * Context: noinstr, kernel entry, interrupts disabled, RCU watching.
 *
 * @work: bits seen in the word by the transition into the kernel; nothing
 *	has done them yet.
 * @taken: bits the PTI entry code took out of the word before its CR3
 *	write.  Without PCID that write flushed every non-global entry, and
 *	with PCID it was made without NOFLUSH, so it flushed this CPU's
 *	current kernel PCID; either way it serialized.  Under PTI the only
 *	global kernel entries are those of the user-shared mappings, for
 *	which nothing is ever deferred.  What is left is the kernel entries
 *	cached under other PCIDs: switch_mm flushes them when it next loads
 *	one (invalidate_other).
 * @trust_taken: false where it is not known that this entry's own CR3
 *	write came after the take (an NMI that interrupted the entry code):
 *	then @taken is done in full here.
 *
 * INVPCID is not architecturally serializing, so a sync_core is done on
 * its own rather than folded into the flush.
 */
static __always_inline void arch_cpu_flags_do_work(unsigned int work, unsigned int taken,
						    bool trust_taken)
{
	if (!trust_taken)
		work |= taken;
	if (work & CPU_FLAGS_WORK_TLB)
		cpu_flags_flush_tlb_all();
	else if ((taken & CPU_FLAGS_WORK_TLB) && cpu_feature_enabled(X86_FEATURE_PCID))
		raw_cpu_write(cpu_tlbstate.invalidate_other, true);
	if (work & CPU_FLAGS_WORK_SYNC)
		sync_core();
}

#endif /* _ASM_X86_CPU_FLAGS_H */
