/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _LINUX_CPU_FLAGS_H
#define _LINUX_CPU_FLAGS_H

/*
 * cpu_flags: one word per CPU that holds the CPU's mode, the kernel work
 * waiting for its next kernel entry, a pin bit and RCU's watching counter.
 * See Documentation/core-api/cpu-flags.rst.
 *
 *   31                                 8   7    6      2   1  0
 *  +------------------------------------+-----+--------+------+
 *  |  RCU watching counter (odd: RCU is |PIN  |  work  | mode |
 *  |  watching this CPU)                |     |        |      |
 *  +------------------------------------+-----+--------+------+
 *
 * The mode keeps context tracking's encoding (CT_STATE_*).  A transition
 * adds (CPU_FLAGS_RCU_WATCHING +/- mode) in one fully ordered RMW: the
 * counter bumps, the mode changes, work and PIN are left alone, and the
 * value the RMW returns tells the owner what work is pending.
 */

#include <linux/bits.h>

/* Work a remote CPU may leave for the owner's next kernel entry. */
#define CPU_FLAGS_WORK_TLB_BIT	2	/* flush the kernel's TLB entries */
#define CPU_FLAGS_WORK_SYNC_BIT	3	/* serialize: kernel text changed */
#define CPU_FLAGS_WORK_TLB	BIT(CPU_FLAGS_WORK_TLB_BIT)
#define CPU_FLAGS_WORK_SYNC	BIT(CPU_FLAGS_WORK_SYNC_BIT)
#define CPU_FLAGS_WORK_MASK	GENMASK(6, 2)
#define CPU_FLAGS_NR_WORK	2

/* Offset of struct cpu_flags::entry_taken, for the PTI entry code. */
#define CPU_FLAGS_ENTRY_TAKEN	4

#ifndef __ASSEMBLY__

#include <linux/atomic.h>
#include <linux/percpu-defs.h>
#include <linux/types.h>
#include <asm/page_types.h>

enum cpu_flags_mode {
	CPU_FLAGS_KERNEL	= 0,
	CPU_FLAGS_IDLE		= 1,
	CPU_FLAGS_USER		= 2,
	CPU_FLAGS_GUEST		= 3,
};

#define CPU_FLAGS_MODE_MASK	GENMASK(1, 0)

/* Set by a remote CPU: the owner must wait at kernel entry until cleared. */
#define CPU_FLAGS_PIN		BIT(7)

/* The lowest bit of RCU's counter: odd while RCU watches the CPU. */
#define CPU_FLAGS_RCU_WATCHING	BIT(8)
#define CPU_FLAGS_RCU_MASK	(~GENMASK(7, 0))

/*
 * The word sits alone on its page (with the owner's entry record) so that
 * the page can be mapped into the PTI user page tables without exposing
 * anything else.
 *
 * @entry_taken: work bits the PTI entry code took out of @word before the
 * CR3 write that did them (see SWITCH_TO_KERNEL_CR3); read and cleared by
 * the owner's C entry code.  Written by the owner only.
 */
struct cpu_flags {
	atomic_t word;
	unsigned int entry_taken;
} __aligned(PAGE_SIZE);

DECLARE_PER_CPU_PAGE_ALIGNED(struct cpu_flags, cpu_flags);

static __always_inline unsigned int cpu_flags_mode_of(unsigned int v)
{
	return v & CPU_FLAGS_MODE_MASK;
}

static __always_inline unsigned int cpu_flags_work_of(unsigned int v)
{
	return v & CPU_FLAGS_WORK_MASK;
}

/*
 * A remote CPU may leave work for, skip or pin a CPU only while it runs
 * user code (or is idle, where the caller allows it) and RCU is not
 * watching it.  An NMI taken in user mode makes RCU watch while the mode
 * stays USER: such a CPU is running kernel code and is treated as busy.
 */
static __always_inline bool cpu_flags_quiet_in(unsigned int v, unsigned int modes)
{
	return (modes & BIT(cpu_flags_mode_of(v))) && !(v & CPU_FLAGS_RCU_WATCHING);
}

/*
 * The word-level rules, on any instance of the word (the live per-CPU
 * words, and test instances in the KUnit suite).
 */

/**
 * __cpu_flags_switch - change the mode; owner only
 * @w: the owner's word
 * @delta: CPU_FLAGS_RCU_WATCHING + new mode - old mode
 *
 * One fully ordered RMW.  Returns the new value: its work bits are the
 * work that was pending at the switch, and PIN says a pinner holds the
 * CPU.  Work bits are never changed here.
 */
static __always_inline unsigned int __cpu_flags_switch(atomic_t *w, int delta)
{
	return raw_atomic_add_return(delta, w);
}

/**
 * __cpu_flags_switch_unpinned - __cpu_flags_switch() once no pin is held
 * @w: the owner's word
 * @delta: as for __cpu_flags_switch()
 *
 * The owner's way into the kernel from user mode.  While a remote CPU
 * holds PIN, the owner spins here, before its transition: it stays in
 * USER with RCU not watching, so senders may still leave it work, and an
 * NMI taken meanwhile still moves the counter as it would in user mode.
 * The switch happens only with PIN clear, in the same RMW that saw it
 * clear; that RMW is fully ordered after the pinner's release.
 */
static __always_inline unsigned int __cpu_flags_switch_unpinned(atomic_t *w, int delta)
{
	int old = raw_atomic_read(w);

	do {
		while (unlikely(old & CPU_FLAGS_PIN)) {
			cpu_relax();
			old = raw_atomic_read(w);
		}
	} while (!raw_atomic_try_cmpxchg(w, &old, old + delta));
	return old + delta;
}

/**
 * __cpu_flags_defer - leave @work for the owner, if its mode allows
 * @w: the target's word
 * @work: CPU_FLAGS_WORK_* bits
 * @modes: the modes in which deferral is allowed, as BIT(mode)
 *
 * Context: any.  The caller's own update (the reason for the work) must be
 * ordered before this call by a full barrier; see cpu_flags_defer_work().
 *
 * Return: true if the work is set and the owner will see it in the value
 * its next switch returns; false if the mode did not allow it, and the
 * caller must do it the old way (an IPI).
 */
static __always_inline bool __cpu_flags_defer(atomic_t *w, unsigned int work,
					      unsigned int modes)
{
	int old = raw_atomic_read(w);

	do {
		if (!cpu_flags_quiet_in(old, modes))
			return false;
	} while (!raw_atomic_try_cmpxchg(w, &old, old | work));
	return true;
}

/**
 * __cpu_flags_done - the owner did the work it saw
 * @w: the owner's word
 * @seen: the work bits of the value its switch returned
 *
 * Only bits the owner saw and did are cleared: work left since then stays.
 */
static __always_inline void __cpu_flags_done(atomic_t *w, unsigned int seen)
{
	raw_atomic_andnot(seen & CPU_FLAGS_WORK_MASK, w);
}

/**
 * __cpu_flags_pin - hold a CPU that is in user mode there
 * @w: the target's word
 *
 * Return: true if PIN was set while the target was in USER mode and not
 * pinned already.  The target then waits at its next kernel entry until
 * __cpu_flags_unpin().
 */
static __always_inline bool __cpu_flags_pin(atomic_t *w)
{
	int old = raw_atomic_read(w);

	do {
		if (!cpu_flags_quiet_in(old, BIT(CPU_FLAGS_USER)) || (old & CPU_FLAGS_PIN))
			return false;
	} while (!raw_atomic_try_cmpxchg(w, &old, old | CPU_FLAGS_PIN));
	return true;
}

/**
 * __cpu_flags_unpin - release a pinned CPU
 * @w: the target's word
 *
 * Release ordering: what the pinner wrote for the target is visible to the
 * target once it sees PIN clear (with acquire).  Returns the old value.
 */
static __always_inline unsigned int __cpu_flags_unpin(atomic_t *w)
{
	return raw_atomic_fetch_andnot_release(CPU_FLAGS_PIN, w);
}

/**
 * struct cpu_flags_call - what a cross-CPU callback needs from its targets
 * @defer: CPU_FLAGS_WORK_* bits that do the callback's whole job at the
 *	target's next kernel entry: a CPU in user mode gets the bits instead
 *	of the IPI
 * @skip_user: the callback has no effect that a CPU running user code
 *	needs: it only waits until the target is outside some kernel section,
 *	or orders memory for the target's later kernel code.  A CPU in user
 *	mode is skipped.
 * @pinned: the callback's job done for @cpu from the calling CPU while
 *	@cpu is pinned in user mode (cpu_flags_pin()).  Runs with preemption
 *	disabled and must not sleep, wait for @cpu, or send it an IPI.  It may
 *	touch only @cpu's kernel per-CPU data that @cpu uses from task or
 *	IRQ context after kernel entry, and never data that @cpu's NMI
 *	handlers write; see Documentation/core-api/cpu-flags.rst.
 *
 * Passed to the on_each_cpu_cond_mask() family through
 * on_each_cpu_cond_mask_needs(); the choices are tried in the order
 * above, and a CPU for which none applies gets the IPI.
 */
struct cpu_flags_call {
	unsigned int defer;
	bool skip_user;
	void (*pinned)(int cpu, void *info);
};

#ifdef CONFIG_CPU_FLAGS
extern const struct cpu_flags_call cpu_flags_call_skip_user;

bool cpu_flags_call_avoid_ipi(int cpu, const struct cpu_flags_call *needs, void *info);
void cpu_flags_pinned_add_balanced(int cpu, int *p, int delta);
bool cpu_flags_tracked(int cpu);
bool cpu_flags_defer_work(int cpu, unsigned int work);
bool cpu_flags_in_user(int cpu);
bool cpu_flags_pin(int cpu);
void cpu_flags_unpin(int cpu);
unsigned int cpu_flags_entry_work(unsigned int seen, bool trust_taken);
void cpu_flags_account(unsigned int done);

/*
 * Filters for the on_each_cpu_cond_mask() family (smp_cond_func_t): true
 * when @cpu needs the IPI.  @info is ignored.
 */
bool cpu_flags_ipi_unless_sync_deferred(int cpu, void *info);
bool cpu_flags_ipi_unless_tlb_deferred(int cpu, void *info);
bool cpu_flags_ipi_unless_user(int cpu, void *info);

static __always_inline bool cpu_flags_entry_pending(unsigned int seen)
{
	return cpu_flags_work_of(seen) || raw_cpu_read(cpu_flags.entry_taken);
}
#else
static const struct cpu_flags_call cpu_flags_call_skip_user __maybe_unused = {
	.skip_user = true,
};

static inline bool cpu_flags_call_avoid_ipi(int cpu, const struct cpu_flags_call *needs,
					    void *info)
{
	return false;
}
static inline void cpu_flags_pinned_add_balanced(int cpu, int *p, int delta) { }
static inline bool cpu_flags_tracked(int cpu) { return false; }
static inline bool cpu_flags_defer_work(int cpu, unsigned int work) { return false; }
static inline bool cpu_flags_in_user(int cpu) { return false; }
static inline bool cpu_flags_pin(int cpu) { return false; }
static inline void cpu_flags_unpin(int cpu) { }
static __always_inline unsigned int cpu_flags_entry_work(unsigned int seen, bool trust_taken)
{
	return 0;
}
static inline void cpu_flags_account(unsigned int done) { }
static inline bool cpu_flags_ipi_unless_sync_deferred(int cpu, void *info) { return true; }
static inline bool cpu_flags_ipi_unless_tlb_deferred(int cpu, void *info) { return true; }
static inline bool cpu_flags_ipi_unless_user(int cpu, void *info) { return true; }
static __always_inline bool cpu_flags_entry_pending(unsigned int seen) { return false; }
#endif /* CONFIG_CPU_FLAGS */

#endif /* !__ASSEMBLY__ */

#endif /* _LINUX_CPU_FLAGS_H */
