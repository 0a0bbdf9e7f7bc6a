/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ASM_X86_CPU_FLAGS_H
#define _ASM_X86_CPU_FLAGS_H

#include <linux/cpu_flags.h>
#include <asm/sync_core.h>
#include <asm/tlbflush.h>

/*
 * Do the kernel work a remote CPU left in this CPU's cpu_flags word.
 * Context: kernel entry, interrupts disabled, RCU watching.
 *
 * A deferred kernel TLB flush stands for any kernel-range flush, so flush
 * everything, global entries included.  INVPCID, which the flush may use,
 * is not architecturally serializing, so a pending sync_core is done on
 * its own rather than folded into the flush.
 */
static inline void arch_cpu_flags_do_work(unsigned int work)
{
	if (work & CPU_FLAGS_WORK_TLB)
		__flush_tlb_all();
	if (work & CPU_FLAGS_WORK_SYNC)
		sync_core();
}

#endif /* _ASM_X86_CPU_FLAGS_H */
