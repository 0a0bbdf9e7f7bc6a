// SPDX-License-Identifier: GPL-2.0
/*
 * cpu_flags: deferral of kernel work to a CPU's next kernel entry, and
 * pinning a CPU in user mode, on the live per-CPU words.
 * See Documentation/core-api/cpu-flags.rst.
 */
#define pr_fmt(fmt) "cpu_flags: " fmt

#include <linux/context_tracking.h>
#include <linux/cpu_flags.h>
#include <linux/cpumask.h>
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/init.h>
#include <linux/jump_label.h>
#include <linux/kstrtox.h>
#include <linux/math64.h>
#include <linux/moduleparam.h>
#include <linux/sched/clock.h>
#include <linux/percpu.h>
#include <linux/seq_file.h>
#include <asm/cpu_flags.h>

#define CREATE_TRACE_POINTS
#include <trace/events/cpu_flags.h>

/*
 * cpu_flags.defer=0 sends every IPI as before: the control of every test.
 * Set on the command line only, so read-only after init.
 */
DEFINE_STATIC_KEY_TRUE_RO(cpu_flags_defer_key);

static int __init cpu_flags_defer_setup(char *str)
{
	bool on;

	if (kstrtobool(str, &on)) {
		pr_warn("cpu_flags.defer=%s is not a boolean: deferral stays on\n", str);
		return 1;
	}
	if (!on)
		static_branch_disable(&cpu_flags_defer_key);
	return 1;
}
__setup("cpu_flags.defer=", cpu_flags_defer_setup);

struct cpu_flags_stats {
	atomic_long_t deferred[CPU_FLAGS_NR_WORK];
	atomic_long_t refused;
	atomic_long_t executed[CPU_FLAGS_NR_WORK];
	atomic_long_t pins;
	atomic_long_t skipped;
};
static DEFINE_PER_CPU(struct cpu_flags_stats, cpu_flags_stats);

static const char * const cpu_flags_work_names[CPU_FLAGS_NR_WORK] = {
	[0] = "tlb",
	[1] = "sync",
};

static inline int work_index(unsigned int bit)
{
	return __ffs(bit) - __ffs(CPU_FLAGS_WORK_MASK);
}

/**
 * cpu_flags_tracked - does @cpu track its mode in its cpu_flags word?
 * @cpu: the CPU
 *
 * Only nohz_full CPUs do; the others leave their mode at KERNEL while they
 * run user code, so a sender must always IPI them.
 */
bool cpu_flags_tracked(int cpu)
{
	return context_tracking_enabled_cpu(cpu);
}
EXPORT_SYMBOL_GPL(cpu_flags_tracked);

/**
 * cpu_flags_defer_work - leave @work for @cpu's next kernel entry
 * @cpu: the target
 * @work: CPU_FLAGS_WORK_* bits
 *
 * Context: any.  Orders the caller's prior updates before the read of the
 * target's mode with a full barrier.
 *
 * Return: true if @cpu is in user mode and will do @work at its next
 * kernel entry (see cpu_flags_do_work()); false if the caller must send
 * the IPI.
 */
bool cpu_flags_defer_work(int cpu, unsigned int work)
{
	struct cpu_flags_stats *st = per_cpu_ptr(&cpu_flags_stats, cpu);
	bool ok;

	if (!static_branch_likely(&cpu_flags_defer_key) || !cpu_flags_tracked(cpu))
		return false;
	/* The update that makes the work necessary, before the mode read. */
	smp_mb();
	ok = __cpu_flags_defer(per_cpu_ptr(&cpu_flags.word, cpu), work, BIT(CPU_FLAGS_USER));
	trace_cpu_flags_defer(cpu, work, ok);
	if (!ok) {
		atomic_long_inc(&st->refused);
		return false;
	}
	for (; work; work &= work - 1)
		atomic_long_inc(&st->deferred[work_index(work & -work)]);
	return true;
}
EXPORT_SYMBOL_GPL(cpu_flags_defer_work);

/**
 * cpu_flags_in_user - is @cpu in user mode, with RCU not watching it?
 * @cpu: the target
 *
 * For senders of IPIs whose only purpose is to wait until the target is
 * not inside some kernel section: a CPU in user mode is in none.  Orders
 * the caller's prior updates before the read of the mode with a full
 * barrier; the target's next transition into the kernel is a fully
 * ordered RMW, so it sees those updates before it runs kernel code.
 *
 * Return: true if the caller may skip @cpu.
 */
bool cpu_flags_in_user(int cpu)
{
	bool user;

	if (!static_branch_likely(&cpu_flags_defer_key) || !cpu_flags_tracked(cpu))
		return false;
	/* The caller's update before the mode read; pairs with the target's RMW. */
	smp_mb();
	user = cpu_flags_quiet_in(atomic_read(per_cpu_ptr(&cpu_flags.word, cpu)),
				  BIT(CPU_FLAGS_USER));
	if (user)
		atomic_long_inc(&per_cpu(cpu_flags_stats, cpu).skipped);
	return user;
}
EXPORT_SYMBOL_GPL(cpu_flags_in_user);

/**
 * cpu_flags_call_avoid_ipi - does @cpu get what @needs asks without an IPI?
 * @cpu: a remote target of an on_each_cpu*() call
 * @needs: what the callback needs (struct cpu_flags_call)
 * @info: the callback's argument, for @needs->pinned
 *
 * Context: preemption disabled (the on_each_cpu*() loop).  Tries, in
 * order: leave @needs->defer as work for @cpu's next kernel entry; skip
 * @cpu if @needs->skip_user and it runs user code; pin @cpu in user mode
 * and run @needs->pinned for it here.  Each succeeds only while @cpu runs
 * user code with cpu_flags tracking, and with cpu_flags.defer=1.
 *
 * Return: true if @cpu is served; false if it needs the IPI.
 */
static bool cpu_flags_pin_as(int cpu, unsigned long holder);

bool cpu_flags_call_avoid_ipi(int cpu, const struct cpu_flags_call *needs, void *info)
{
	if (needs->defer && cpu_flags_defer_work(cpu, needs->defer))
		return true;
	if (needs->skip_user && cpu_flags_in_user(cpu))
		return true;
	if (needs->pinned && cpu_flags_pin_as(cpu, (unsigned long)needs->pinned)) {
		needs->pinned(cpu, info);
		cpu_flags_unpin(cpu);
		return true;
	}
	return false;
}
EXPORT_SYMBOL_GPL(cpu_flags_call_avoid_ipi);

const struct cpu_flags_call cpu_flags_call_skip_user = { .skip_user = true };
EXPORT_SYMBOL_GPL(cpu_flags_call_skip_user);

static const struct cpu_flags_call cpu_flags_call_sync = { .defer = CPU_FLAGS_WORK_SYNC };
static const struct cpu_flags_call cpu_flags_call_tlb = { .defer = CPU_FLAGS_WORK_TLB };

/*
 * The same choices as smp_cond_func_t filters, for callers that pass a
 * filter down through helpers such as flush_tlb_all_cond().
 */
bool cpu_flags_ipi_unless_sync_deferred(int cpu, void *info)
{
	return !cpu_flags_call_avoid_ipi(cpu, &cpu_flags_call_sync, info);
}
EXPORT_SYMBOL_GPL(cpu_flags_ipi_unless_sync_deferred);

bool cpu_flags_ipi_unless_tlb_deferred(int cpu, void *info)
{
	return !cpu_flags_call_avoid_ipi(cpu, &cpu_flags_call_tlb, info);
}
EXPORT_SYMBOL_GPL(cpu_flags_ipi_unless_tlb_deferred);

bool cpu_flags_ipi_unless_user(int cpu, void *info)
{
	return !cpu_flags_call_avoid_ipi(cpu, &cpu_flags_call_skip_user, info);
}
EXPORT_SYMBOL_GPL(cpu_flags_ipi_unless_user);

/**
 * cpu_flags_entry_work - do the work left for this kernel entry
 * @seen: the value the owner's transition into the kernel returned
 * @trust_taken: the work the PTI entry code took (entry_taken) was done by
 *	this entry's own CR3 write; false where that is not known (NMIs)
 *
 * Context: noinstr, in the danger zone: the owning CPU, interrupts
 * disabled, RCU watching, nothing instrumentable or patchable run since
 * the entry.  Clears exactly the bits of @seen.
 *
 * Return: the work done here or by the entry code, for cpu_flags_account()
 * once the caller may instrument.
 */
noinstr unsigned int cpu_flags_entry_work(unsigned int seen, bool trust_taken)
{
	struct cpu_flags *cf = raw_cpu_ptr(&cpu_flags);
	unsigned int work = cpu_flags_work_of(seen);
	unsigned int taken = READ_ONCE(cf->entry_taken);

	if (taken)
		WRITE_ONCE(cf->entry_taken, 0);
	arch_cpu_flags_do_work(work, taken, trust_taken);
	if (work)
		__cpu_flags_done(&cf->word, work);
	return work | taken;
}

/**
 * cpu_flags_account - count and trace the work cpu_flags_entry_work() did
 * @done: its return value
 */
void cpu_flags_account(unsigned int done)
{
	struct cpu_flags_stats *st = this_cpu_ptr(&cpu_flags_stats);
	unsigned int w;

	for (w = done; w; w &= w - 1)
		atomic_long_inc(&st->executed[work_index(w & -w)]);
	trace_cpu_flags_execute(done);
}

/*
 * Who holds each CPU's pin, and since when: for the hold-time warning.
 * Kept out of struct cpu_flags on purpose: that page is mapped in the PTI
 * user page tables, and a kernel text address there would be readable
 * through Meltdown on the CPUs PTI exists for.
 */
struct cpu_flags_pin_holder {
	unsigned long ip;
	u64 since;
};
static DEFINE_PER_CPU(struct cpu_flags_pin_holder, cpu_flags_pin_holder);

/* Hold times above this many microseconds get one warning per boot. */
static unsigned int pin_warn_us = 1000;
module_param(pin_warn_us, uint, 0644);
MODULE_PARM_DESC(pin_warn_us, "warn (once) when a CPU stays pinned longer than this");

/**
 * cpu_flags_pin - hold @cpu in user mode
 * @cpu: the target, not the calling CPU
 *
 * Context: preemption disabled, and it stays disabled until
 * cpu_flags_unpin(): the target spins at its next kernel entry until
 * then, with interrupts off.  Between the two calls the caller may touch
 * only @cpu's kernel per-CPU data that @cpu uses from task or IRQ context
 * after kernel entry, never data its NMI handlers write, and must not
 * sleep, wait for @cpu or send it an IPI.  Keep the hold short: past
 * cpu_flags.pin_warn_us microseconds, cpu_flags_unpin() warns once.
 *
 * There is no user interface to this beyond the root-only debugfs test
 * hook: a user must not be able to stall another CPU.
 *
 * Return: true if @cpu was in user mode, with RCU not watching it, and is
 * now pinned; false if the caller must use an IPI.
 */
bool cpu_flags_pin(int cpu)
{
	return cpu_flags_pin_as(cpu, _RET_IP_);
}
EXPORT_SYMBOL_GPL(cpu_flags_pin);

/* @holder: what the hold-time warning names: the caller, or the callback. */
static bool cpu_flags_pin_as(int cpu, unsigned long holder)
{
	bool ok;

	lockdep_assert_preemption_disabled();
	if (WARN_ON_ONCE(cpu == smp_processor_id()))
		return false;
	if (!static_branch_likely(&cpu_flags_defer_key) || !cpu_flags_tracked(cpu))
		return false;
	/* What the pinner wrote so far, before the mode read (as for deferral). */
	smp_mb();
	ok = __cpu_flags_pin(per_cpu_ptr(&cpu_flags.word, cpu));
	if (ok) {
		struct cpu_flags_pin_holder *h = per_cpu_ptr(&cpu_flags_pin_holder, cpu);

		h->ip = holder;
		h->since = local_clock();
		atomic_long_inc(&per_cpu(cpu_flags_stats, cpu).pins);
	}
	trace_cpu_flags_pin(cpu, ok);
	return ok;
}

/**
 * cpu_flags_unpin - release a CPU pinned by cpu_flags_pin()
 * @cpu: the target
 *
 * Release ordering: the target sees everything the pinner wrote once it
 * sees the pin gone.
 */
void cpu_flags_unpin(int cpu)
{
	struct cpu_flags_pin_holder *h = per_cpu_ptr(&cpu_flags_pin_holder, cpu);
	unsigned long ip = h->ip;
	u64 held = local_clock() - h->since;
	unsigned int old = __cpu_flags_unpin(per_cpu_ptr(&cpu_flags.word, cpu));

	WARN_ON_ONCE(!(old & CPU_FLAGS_PIN));
	trace_cpu_flags_unpin(cpu);
	if (unlikely(held > (u64)READ_ONCE(pin_warn_us) * NSEC_PER_USEC))
		pr_warn_once("CPU%d held CPU%d pinned for %llu us (cpu_flags.pin_warn_us=%u), pinned at %pS\n",
			     smp_processor_id(), cpu, div_u64(held, NSEC_PER_USEC),
			     READ_ONCE(pin_warn_us), (void *)ip);
}
EXPORT_SYMBOL_GPL(cpu_flags_unpin);

/*
 * While a CPU is pinned, its counter moves only when an NMI enters or
 * leaves (its other entries wait before their transition): it counts the
 * NMIs that ran.  Even means no NMI is running.
 */
static unsigned int pinned_nmi_seq_begin(atomic_t *w)
{
	unsigned int v;

	while ((v = atomic_read(w)) & CPU_FLAGS_RCU_WATCHING)
		cpu_relax();
	smp_rmb();	/* the counter read before the data read */
	return v & CPU_FLAGS_RCU_MASK;
}

static bool pinned_nmi_seq_retry(atomic_t *w, unsigned int seq)
{
	smp_rmb();	/* the data read before the counter read */
	return (atomic_read(w) & CPU_FLAGS_RCU_MASK) != seq;
}

/**
 * cpu_flags_pinned_add_balanced - add to a pinned CPU's int that its NMIs also change
 * @cpu: a CPU the caller holds pinned
 * @p: @cpu's per-CPU int, which @cpu's NMI handlers change with per-CPU
 *	(not locked) read-modify-writes but always leave as they found it,
 *	as with a nesting count
 * @delta: the change
 *
 * A plain remote read-modify-write could be lost under an NMI's.  Here
 * the target's counter brackets every step: the new value is computed
 * from a read no NMI overlapped, stored, and the store stands if no NMI
 * ran since that read.  Otherwise, once a read no NMI overlapped shows
 * the NMI overwrote it, it is stored again.  The value an NMI leaves is
 * the one it found, so the right final value never changes.
 */
void cpu_flags_pinned_add_balanced(int cpu, int *p, int delta)
{
	atomic_t *w = per_cpu_ptr(&cpu_flags.word, cpu);
	unsigned int seq;
	int want, v;

	WARN_ON_ONCE(!(atomic_read(w) & CPU_FLAGS_PIN));
	do {
		seq = pinned_nmi_seq_begin(w);
		want = READ_ONCE(*p) + delta;
	} while (pinned_nmi_seq_retry(w, seq));
	for (;;) {
		WRITE_ONCE(*p, want);
		/* Pairs with the NMI entry's fully ordered transition. */
		smp_mb();
		if ((atomic_read(w) & CPU_FLAGS_RCU_MASK) == seq)
			return;
		do {
			seq = pinned_nmi_seq_begin(w);
			v = READ_ONCE(*p);
		} while (pinned_nmi_seq_retry(w, seq));
		if (v == want)
			return;
	}
}
EXPORT_SYMBOL_GPL(cpu_flags_pinned_add_balanced);

static int cpu_flags_stats_show(struct seq_file *m, void *v)
{
	int cpu, i;

	seq_printf(m, "defer %s\n", static_key_enabled(&cpu_flags_defer_key) ? "on" : "off");
	seq_puts(m, "cpu tracked mode");
	for (i = 0; i < CPU_FLAGS_NR_WORK; i++)
		seq_printf(m, " deferred_%s", cpu_flags_work_names[i]);
	seq_puts(m, " refused");
	for (i = 0; i < CPU_FLAGS_NR_WORK; i++)
		seq_printf(m, " executed_%s", cpu_flags_work_names[i]);
	seq_puts(m, " pins skipped\n");
	for_each_online_cpu(cpu) {
		struct cpu_flags_stats *st = per_cpu_ptr(&cpu_flags_stats, cpu);
		unsigned int v = atomic_read(per_cpu_ptr(&cpu_flags.word, cpu));

		seq_printf(m, "%d %d %u", cpu, cpu_flags_tracked(cpu), cpu_flags_mode_of(v));
		for (i = 0; i < CPU_FLAGS_NR_WORK; i++)
			seq_printf(m, " %ld", atomic_long_read(&st->deferred[i]));
		seq_printf(m, " %ld", atomic_long_read(&st->refused));
		for (i = 0; i < CPU_FLAGS_NR_WORK; i++)
			seq_printf(m, " %ld", atomic_long_read(&st->executed[i]));
		seq_printf(m, " %ld %ld\n", atomic_long_read(&st->pins),
			   atomic_long_read(&st->skipped));
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(cpu_flags_stats);

/*
 * For tests, root only: writing a CPU number leaves a TLB flush and a
 * sync_core for that CPU as a sender would, and fails with EAGAIN where a
 * sender would have to send the IPI.  Nothing depends on that work, so
 * the write cannot harm the target; it only lets a test watch the target
 * do deferred work at its next kernel entry.
 */
static ssize_t cpu_flags_defer_test_write(struct file *file, const char __user *ubuf,
					  size_t count, loff_t *ppos)
{
	unsigned int cpu;
	int ret;

	ret = kstrtouint_from_user(ubuf, count, 10, &cpu);
	if (ret)
		return ret;
	if (cpu >= nr_cpu_ids || !cpu_online(cpu))
		return -EINVAL;
	if (!cpu_flags_defer_work(cpu, CPU_FLAGS_WORK_TLB | CPU_FLAGS_WORK_SYNC))
		return -EAGAIN;
	return count;
}

static const struct file_operations cpu_flags_defer_test_fops = {
	.write = cpu_flags_defer_test_write,
	.llseek = noop_llseek,
};

/*
 * For tests, root only: the address of each CPU's word, so that a test can
 * check that user code cannot read it even where PTI maps it in the user
 * page tables.  The real address is the point (a hashed %p is useless to
 * the test), so it is printed as a number; root can read kallsyms anyway.
 */
static int cpu_flags_words_show(struct seq_file *m, void *v)
{
	int cpu;

	for_each_possible_cpu(cpu)
		seq_printf(m, "%d %#lx\n", cpu, (unsigned long)per_cpu_ptr(&cpu_flags, cpu));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(cpu_flags_words);

static int __init cpu_flags_debugfs_init(void)
{
	struct dentry *dir = debugfs_create_dir("cpu_flags", NULL);

	debugfs_create_file("stats", 0400, dir, NULL, &cpu_flags_stats_fops);
	debugfs_create_file("defer_test", 0200, dir, NULL, &cpu_flags_defer_test_fops);
	debugfs_create_file("words", 0400, dir, NULL, &cpu_flags_words_fops);
	return 0;
}
late_initcall(cpu_flags_debugfs_init);
