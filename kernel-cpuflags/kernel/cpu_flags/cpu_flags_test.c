// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of the cpu_flags word rules, on test instances of the word:
 * transitions and RCU counter parity, deferral only in allowed modes, the
 * owner clearing only what it saw, pinning, and, with two kthreads on two
 * CPUs, that deferral racing with transitions never loses work and that a
 * pinned owner does not pass its entry.
 */
#include <kunit/test.h>
#include <linux/cpu_flags.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/completion.h>
#include <linux/slab.h>
#include <linux/hrtimer.h>
#include <linux/ktime.h>

#define W	CPU_FLAGS_RCU_WATCHING
#define TO(m)	(W + (m))		/* kernel -> m */
#define FROM(m)	(W - (m))		/* m -> kernel */

static void cpu_flags_test_transitions(struct kunit *test)
{
	atomic_t w = ATOMIC_INIT(W);	/* kernel, RCU watching */
	unsigned int v, user_snap;
	int m;

	for (m = CPU_FLAGS_IDLE; m <= CPU_FLAGS_GUEST; m++) {
		v = __cpu_flags_switch(&w, TO(m));
		KUNIT_EXPECT_EQ(test, cpu_flags_mode_of(v), m);
		KUNIT_EXPECT_FALSE_MSG(test, v & W, "RCU still watching in mode %d", m);
		v = __cpu_flags_switch(&w, FROM(m));
		KUNIT_EXPECT_EQ(test, cpu_flags_mode_of(v), CPU_FLAGS_KERNEL);
		KUNIT_EXPECT_TRUE(test, v & W);
	}

	/* A quick user -> kernel -> user round trip changes the counter. */
	user_snap = __cpu_flags_switch(&w, TO(CPU_FLAGS_USER));
	__cpu_flags_switch(&w, FROM(CPU_FLAGS_USER));
	v = __cpu_flags_switch(&w, TO(CPU_FLAGS_USER));
	KUNIT_EXPECT_EQ(test, cpu_flags_mode_of(v), CPU_FLAGS_USER);
	KUNIT_EXPECT_NE(test, v & CPU_FLAGS_RCU_MASK, user_snap & CPU_FLAGS_RCU_MASK);
}

/* The counter wraps through the top of the word and leaves the rest alone. */
static void cpu_flags_test_counter_wrap(struct kunit *test)
{
	atomic_t w = ATOMIC_INIT((int)(CPU_FLAGS_RCU_MASK | CPU_FLAGS_WORK_SYNC));
	unsigned int v;

	/* The counter is at its top value (odd: watching, in the kernel). */
	v = __cpu_flags_switch(&w, TO(CPU_FLAGS_USER));
	KUNIT_EXPECT_EQ(test, v & CPU_FLAGS_RCU_MASK, 0);
	KUNIT_EXPECT_EQ(test, cpu_flags_mode_of(v), CPU_FLAGS_USER);
	KUNIT_EXPECT_EQ(test, cpu_flags_work_of(v), CPU_FLAGS_WORK_SYNC);
	v = __cpu_flags_switch(&w, FROM(CPU_FLAGS_USER));
	KUNIT_EXPECT_EQ(test, v & CPU_FLAGS_RCU_MASK, W);
	KUNIT_EXPECT_EQ(test, cpu_flags_mode_of(v), CPU_FLAGS_KERNEL);
}

/*
 * An NMI taken in user mode makes RCU watch (the counter turns odd) while
 * the mode stays USER.  That CPU runs kernel code: no deferral, no skip,
 * no pin until the NMI has left.
 */
static void cpu_flags_test_nmi_in_user(struct kunit *test)
{
	atomic_t w = ATOMIC_INIT(W);
	unsigned int v;

	__cpu_flags_switch(&w, TO(CPU_FLAGS_USER));
	v = __cpu_flags_switch(&w, W);		/* ct_nmi_enter() from user */
	KUNIT_EXPECT_EQ(test, cpu_flags_mode_of(v), CPU_FLAGS_USER);
	KUNIT_EXPECT_FALSE(test, cpu_flags_quiet_in(v, BIT(CPU_FLAGS_USER)));
	KUNIT_EXPECT_FALSE(test, __cpu_flags_defer(&w, CPU_FLAGS_WORK_TLB, BIT(CPU_FLAGS_USER)));
	KUNIT_EXPECT_FALSE(test, __cpu_flags_pin(&w));
	KUNIT_EXPECT_EQ(test, cpu_flags_work_of(atomic_read(&w)), 0);

	v = __cpu_flags_switch(&w, W);		/* ct_nmi_exit() */
	KUNIT_EXPECT_TRUE(test, cpu_flags_quiet_in(v, BIT(CPU_FLAGS_USER)));
	KUNIT_EXPECT_TRUE(test, __cpu_flags_defer(&w, CPU_FLAGS_WORK_TLB, BIT(CPU_FLAGS_USER)));
	KUNIT_EXPECT_TRUE(test, __cpu_flags_pin(&w));
}

static void cpu_flags_test_defer_modes(struct kunit *test)
{
	static const unsigned int allowed[] = {
		BIT(CPU_FLAGS_USER),
		BIT(CPU_FLAGS_USER) | BIT(CPU_FLAGS_IDLE),
	};
	unsigned int i, m;

	for (i = 0; i < ARRAY_SIZE(allowed); i++) {
		for (m = CPU_FLAGS_KERNEL; m <= CPU_FLAGS_GUEST; m++) {
			/* The counter is odd in the kernel, even in the others. */
			unsigned int before = (m == CPU_FLAGS_KERNEL ? 5 : 4) * W + m;
			atomic_t w = ATOMIC_INIT(before);
			bool ok = __cpu_flags_defer(&w, CPU_FLAGS_WORK_TLB, allowed[i]);

			KUNIT_EXPECT_EQ_MSG(test, ok, !!(allowed[i] & BIT(m)),
					    "mode %u, allowed %#x", m, allowed[i]);
			KUNIT_EXPECT_EQ(test, (unsigned int)atomic_read(&w),
					ok ? before | CPU_FLAGS_WORK_TLB : before);
		}
	}
}

static void cpu_flags_test_switch_sees_work(struct kunit *test)
{
	atomic_t w = ATOMIC_INIT(W);
	unsigned int v;

	v = __cpu_flags_switch(&w, TO(CPU_FLAGS_USER));
	KUNIT_EXPECT_EQ(test, cpu_flags_work_of(v), 0);
	KUNIT_EXPECT_TRUE(test, __cpu_flags_defer(&w, CPU_FLAGS_WORK_TLB, BIT(CPU_FLAGS_USER)));
	/* Deferring the same work again coalesces. */
	KUNIT_EXPECT_TRUE(test, __cpu_flags_defer(&w, CPU_FLAGS_WORK_TLB, BIT(CPU_FLAGS_USER)));
	KUNIT_EXPECT_TRUE(test, __cpu_flags_defer(&w, CPU_FLAGS_WORK_SYNC, BIT(CPU_FLAGS_USER)));

	v = __cpu_flags_switch(&w, FROM(CPU_FLAGS_USER));
	KUNIT_EXPECT_EQ(test, cpu_flags_mode_of(v), CPU_FLAGS_KERNEL);
	KUNIT_EXPECT_EQ(test, cpu_flags_work_of(v), CPU_FLAGS_WORK_TLB | CPU_FLAGS_WORK_SYNC);

	/* In the kernel, a sender must IPI. */
	KUNIT_EXPECT_FALSE(test, __cpu_flags_defer(&w, CPU_FLAGS_WORK_TLB, BIT(CPU_FLAGS_USER)));
	__cpu_flags_done(&w, v);
	KUNIT_EXPECT_EQ(test, cpu_flags_work_of(atomic_read(&w)), 0);
}

/* The owner clears what it saw, not what arrived after. */
static void cpu_flags_test_done_only_seen(struct kunit *test)
{
	atomic_t w = ATOMIC_INIT(2 * W + CPU_FLAGS_USER);
	unsigned int seen;

	__cpu_flags_defer(&w, CPU_FLAGS_WORK_TLB, BIT(CPU_FLAGS_USER));
	seen = cpu_flags_work_of(atomic_read(&w));
	__cpu_flags_defer(&w, CPU_FLAGS_WORK_SYNC, BIT(CPU_FLAGS_USER));
	__cpu_flags_done(&w, seen);
	KUNIT_EXPECT_EQ(test, cpu_flags_work_of(atomic_read(&w)), CPU_FLAGS_WORK_SYNC);
	/* Not even a stray non-work bit is cleared by done. */
	__cpu_flags_done(&w, ~0U);
	KUNIT_EXPECT_EQ(test, (unsigned int)atomic_read(&w), 2 * W + CPU_FLAGS_USER);
}

static void cpu_flags_test_pin(struct kunit *test)
{
	atomic_t w = ATOMIC_INIT(W);
	unsigned int v;

	KUNIT_EXPECT_FALSE_MSG(test, __cpu_flags_pin(&w), "pinned a CPU in the kernel");
	__cpu_flags_switch(&w, TO(CPU_FLAGS_IDLE));
	KUNIT_EXPECT_FALSE_MSG(test, __cpu_flags_pin(&w), "pinned an idle CPU");
	__cpu_flags_switch(&w, FROM(CPU_FLAGS_IDLE));

	__cpu_flags_switch(&w, TO(CPU_FLAGS_USER));
	KUNIT_EXPECT_TRUE(test, __cpu_flags_pin(&w));
	KUNIT_EXPECT_FALSE_MSG(test, __cpu_flags_pin(&w), "pinned twice");
	/* Work may still be left for a pinned CPU. */
	KUNIT_EXPECT_TRUE(test, __cpu_flags_defer(&w, CPU_FLAGS_WORK_SYNC, BIT(CPU_FLAGS_USER)));

	v = __cpu_flags_switch(&w, FROM(CPU_FLAGS_USER));
	KUNIT_EXPECT_TRUE(test, v & CPU_FLAGS_PIN);
	KUNIT_EXPECT_EQ(test, cpu_flags_work_of(v), CPU_FLAGS_WORK_SYNC);
	v = __cpu_flags_unpin(&w);
	KUNIT_EXPECT_TRUE(test, v & CPU_FLAGS_PIN);
	KUNIT_EXPECT_FALSE(test, atomic_read(&w) & CPU_FLAGS_PIN);
}

struct entry_waiter {
	atomic_t w;
	unsigned int v;
	bool quiet_while_waiting, deferred, nmi_seen;
	ktime_t started, released, entered;
	struct hrtimer timer;
	struct completion done;
};

static int enter_from_user(void *arg)
{
	struct entry_waiter *e = arg;

	e->started = ktime_get();
	e->v = __cpu_flags_switch_unpinned(&e->w, FROM(CPU_FLAGS_USER));
	e->entered = ktime_get();
	complete(&e->done);
	return 0;
}

/* The pinner, from a timer: checks the waiting word, then lets go. */
static enum hrtimer_restart release_pin(struct hrtimer *h)
{
	struct entry_waiter *e = container_of(h, struct entry_waiter, timer);
	unsigned int v = atomic_read(&e->w);

	e->quiet_while_waiting = cpu_flags_quiet_in(v, BIT(CPU_FLAGS_USER));
	e->deferred = __cpu_flags_defer(&e->w, CPU_FLAGS_WORK_TLB, BIT(CPU_FLAGS_USER));
	v = __cpu_flags_switch(&e->w, W);	/* an NMI comes ... */
	e->nmi_seen = !cpu_flags_quiet_in(v, BIT(CPU_FLAGS_USER));
	__cpu_flags_switch(&e->w, W);		/* ... and goes */
	e->released = ktime_get();
	__cpu_flags_unpin(&e->w);
	return HRTIMER_NORESTART;
}

/*
 * The owner's entry from user mode waits while PIN is held, before its
 * transition: meanwhile its word still says USER with RCU not watching,
 * work may still be left, and NMIs (which do not wait) still switch.
 *
 * The waiter spins like the entry code and never yields its CPU, so the
 * pin is let go from a timer on this CPU: a stop_machine() that starts
 * meanwhile cannot wait on the waiter's CPU with nobody left to release it.
 */
static void cpu_flags_test_entry_waits(struct kunit *test)
{
	struct entry_waiter *e;
	struct task_struct *t;
	int cpu;

	migrate_disable();
	cpu = cpumask_any_but(cpu_online_mask, smp_processor_id());
	if (cpu >= nr_cpu_ids) {
		migrate_enable();
		kunit_skip(test, "needs two online CPUs");
	}
	/* Not on our stack: a waiter that outlives a failed test must not spin on it. */
	e = kzalloc(sizeof(*e), GFP_KERNEL);
	if (!e) {
		migrate_enable();
		KUNIT_FAIL(test, "no memory");
		return;
	}
	atomic_set(&e->w, W);
	init_completion(&e->done);
	__cpu_flags_switch(&e->w, TO(CPU_FLAGS_USER));
	KUNIT_EXPECT_TRUE(test, __cpu_flags_pin(&e->w));
	hrtimer_init(&e->timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_PINNED);
	e->timer.function = release_pin;
	hrtimer_start(&e->timer, ms_to_ktime(300), HRTIMER_MODE_REL_PINNED);
	t = kthread_run_on_cpu(enter_from_user, e, cpu, "cpu_flags_enter/%u");
	if (IS_ERR(t) || !wait_for_completion_timeout(&e->done, 20 * HZ)) {
		hrtimer_cancel(&e->timer);
		__cpu_flags_unpin(&e->w);
		migrate_enable();
		KUNIT_FAIL(test, "the entry did not complete after the pin went (waiter leaked)");
		return;
	}
	migrate_enable();
	hrtimer_cancel(&e->timer);
	KUNIT_EXPECT_LT_MSG(test, ktime_to_ns(e->started), ktime_to_ns(e->released),
			    "the waiter started after the release: nothing was tested");
	KUNIT_EXPECT_GE_MSG(test, ktime_to_ns(e->entered), ktime_to_ns(e->released),
			    "entered while pinned");
	KUNIT_EXPECT_TRUE(test, e->quiet_while_waiting);
	KUNIT_EXPECT_TRUE(test, e->deferred);
	KUNIT_EXPECT_TRUE(test, e->nmi_seen);
	KUNIT_EXPECT_EQ(test, cpu_flags_mode_of(e->v), CPU_FLAGS_KERNEL);
	KUNIT_EXPECT_TRUE(test, e->v & CPU_FLAGS_RCU_WATCHING);
	KUNIT_EXPECT_FALSE(test, e->v & CPU_FLAGS_PIN);
	KUNIT_EXPECT_EQ(test, cpu_flags_work_of(e->v), CPU_FLAGS_WORK_TLB);
	kfree(e);
}

/*
 * Two CPUs race on one test word.  The owner switches user <-> kernel as
 * fast as it can and, at each kernel entry, records the newest sequence
 * number the sender published.  The sender publishes i, then defers; when
 * the deferral succeeds it waits until the owner consumed at least i.  A
 * deferral the owner never sees shows up as a timeout.
 */
struct race {
	atomic_t word;
	unsigned long posted, consumed;
	unsigned long deferred, refused, lost, stray;
	unsigned long entries, pins, pin_moved, pin_data_bad;
	unsigned long pin_data;
	bool stop;
	struct completion owner_done;
};

static int race_owner(void *arg)
{
	struct race *r = arg;
	unsigned int v;

	while (!READ_ONCE(r->stop)) {
		v = __cpu_flags_switch(&r->word, TO(CPU_FLAGS_USER));
		if (cpu_flags_work_of(v))
			WRITE_ONCE(r->stray, r->stray + 1);
		ndelay(200);	/* "user space" */
		/* The entry's own primitive: it waits out any pin first. */
		v = __cpu_flags_switch_unpinned(&r->word, FROM(CPU_FLAGS_USER));
		if (v & CPU_FLAGS_PIN)
			WRITE_ONCE(r->stray, r->stray + 1);
		/*
		 * The pinner's writes are visible after the release, and it
		 * cannot pin again before we are back in user.
		 */
		if (READ_ONCE(r->pin_data) != READ_ONCE(r->pins))
			WRITE_ONCE(r->pin_data_bad, r->pin_data_bad + 1);
		WRITE_ONCE(r->entries, r->entries + 1);
		if (cpu_flags_work_of(v)) {
			WRITE_ONCE(r->consumed, READ_ONCE(r->posted));
			__cpu_flags_done(&r->word, v);
		}
		cond_resched();
	}
	complete(&r->owner_done);
	return 0;
}

static void race_send(struct kunit *test, struct race *r, unsigned long i)
{
	unsigned long timeout;

	WRITE_ONCE(r->posted, i);
	smp_mb();	/* the published data before the mode read */
	if (!__cpu_flags_defer(&r->word, CPU_FLAGS_WORK_TLB, BIT(CPU_FLAGS_USER))) {
		r->refused++;	/* a real sender would IPI here */
		return;
	}
	r->deferred++;
	timeout = jiffies + 5 * HZ;
	while (READ_ONCE(r->consumed) < i) {
		if (time_after(jiffies, timeout)) {
			r->lost++;
			return;
		}
		cpu_relax();
	}
}

static void race_pin(struct race *r)
{
	unsigned long entries;

	if (!__cpu_flags_pin(&r->word))
		return;
	WRITE_ONCE(r->pins, r->pins + 1);
	entries = READ_ONCE(r->entries);
	ndelay(500);
	if (READ_ONCE(r->entries) != entries)
		r->pin_moved++;
	WRITE_ONCE(r->pin_data, r->pins);
	__cpu_flags_unpin(&r->word);
}

static void cpu_flags_test_race(struct kunit *test)
{
	struct task_struct *owner;
	unsigned long i, end;
	struct race *r;
	int cpu, other;

	if (num_online_cpus() < 2)
		kunit_skip(test, "needs two online CPUs");
	r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, r);
	atomic_set(&r->word, W);
	init_completion(&r->owner_done);

	cpu = get_cpu();
	other = cpumask_any_but(cpu_online_mask, cpu);
	put_cpu();
	owner = kthread_run_on_cpu(race_owner, r, other, "cpu_flags_owner/%u");
	KUNIT_ASSERT_FALSE(test, IS_ERR(owner));

	end = jiffies + 2 * HZ;
	for (i = 1; time_before(jiffies, end) && !r->lost; i++) {
		race_send(test, r, i);
		if (!(i % 16))
			race_pin(r);
		cond_resched();
	}
	WRITE_ONCE(r->stop, true);
	wait_for_completion(&r->owner_done);

	kunit_info(test, "%lu deferred, %lu refused (would IPI), %lu pins, %lu owner entries\n",
		   r->deferred, r->refused, r->pins, r->entries);
	KUNIT_EXPECT_EQ_MSG(test, r->lost, 0, "deferred work never seen by the owner");
	KUNIT_EXPECT_EQ_MSG(test, r->stray, 0, "work arrived while the owner was in the kernel");
	KUNIT_EXPECT_EQ_MSG(test, r->pin_moved, 0, "the owner passed its entry while pinned");
	KUNIT_EXPECT_EQ_MSG(test, r->pin_data_bad, 0, "the owner missed the pinner's writes");
	KUNIT_EXPECT_GT_MSG(test, r->deferred, 0, "the race never deferred: test did not run");
	KUNIT_EXPECT_GT_MSG(test, r->pins, 0, "the race never pinned: test did not run");
}

#ifdef CONFIG_CPU_FLAGS
/* cpu_flags_pin() from a test thread: preemption off, and let go at once. */
static bool try_pin(int cpu)
{
	bool ok;

	preempt_disable();
	ok = cpu != smp_processor_id() && cpu_flags_pin(cpu);
	if (ok)
		cpu_flags_unpin(cpu);
	preempt_enable();
	return ok;
}

/* A CPU that is not nohz_full never takes deferred work or a pin. */
static void cpu_flags_test_untracked_refuses(struct kunit *test)
{
	int cpu, n = 0;

	for_each_online_cpu(cpu) {
		atomic_t *w = per_cpu_ptr(&cpu_flags.word, cpu);

		if (cpu_flags_tracked(cpu))
			continue;
		KUNIT_EXPECT_FALSE_MSG(test, cpu_flags_defer_work(cpu, CPU_FLAGS_WORK_TLB),
				       "deferred to untracked CPU %d", cpu);
		KUNIT_EXPECT_FALSE_MSG(test, try_pin(cpu), "pinned untracked CPU %d", cpu);
		/* Idle is still recorded for RCU; user mode never is. */
		KUNIT_EXPECT_NE(test, cpu_flags_mode_of(atomic_read(w)), CPU_FLAGS_USER);
		n++;
	}
	if (!n)
		kunit_skip(test, "every CPU is tracked");
}

static int spin_in_kernel(void *arg)
{
	struct completion *started = arg;

	complete(started);
	while (!kthread_should_stop())
		cpu_relax();
	return 0;
}

/* A tracked CPU running kernel code must be sent the IPI. */
static void cpu_flags_test_tracked_kernel_refuses(struct kunit *test)
{
	DECLARE_COMPLETION_ONSTACK(started);
	struct task_struct *t;
	int cpu;

	for_each_online_cpu(cpu)
		if (cpu_flags_tracked(cpu))
			break;
	if (cpu >= nr_cpu_ids)
		kunit_skip(test, "no nohz_full CPU");
	t = kthread_run_on_cpu(spin_in_kernel, &started, cpu, "cpu_flags_spin/%u");
	KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	wait_for_completion(&started);
	KUNIT_EXPECT_EQ(test, cpu_flags_mode_of(atomic_read(per_cpu_ptr(&cpu_flags.word, cpu))),
			CPU_FLAGS_KERNEL);
	KUNIT_EXPECT_FALSE(test, cpu_flags_defer_work(cpu, CPU_FLAGS_WORK_SYNC));
	KUNIT_EXPECT_FALSE(test, try_pin(cpu));
	kthread_stop(t);
}
#endif /* CONFIG_CPU_FLAGS */

static struct kunit_case cpu_flags_word_cases[] = {
	KUNIT_CASE(cpu_flags_test_transitions),
	KUNIT_CASE(cpu_flags_test_counter_wrap),
	KUNIT_CASE(cpu_flags_test_defer_modes),
	KUNIT_CASE(cpu_flags_test_nmi_in_user),
	KUNIT_CASE(cpu_flags_test_switch_sees_work),
	KUNIT_CASE(cpu_flags_test_done_only_seen),
	KUNIT_CASE(cpu_flags_test_pin),
	KUNIT_CASE(cpu_flags_test_entry_waits),
	KUNIT_CASE_SLOW(cpu_flags_test_race),
	{}
};

static struct kunit_suite cpu_flags_word_suite = {
	.name = "cpu_flags_word",
	.test_cases = cpu_flags_word_cases,
};

#ifdef CONFIG_CPU_FLAGS
static struct kunit_case cpu_flags_live_cases[] = {
	KUNIT_CASE(cpu_flags_test_untracked_refuses),
	KUNIT_CASE(cpu_flags_test_tracked_kernel_refuses),
	{}
};

static struct kunit_suite cpu_flags_live_suite = {
	.name = "cpu_flags_live",
	.test_cases = cpu_flags_live_cases,
};
kunit_test_suites(&cpu_flags_word_suite, &cpu_flags_live_suite);
#else
kunit_test_suite(cpu_flags_word_suite);
#endif

MODULE_DESCRIPTION("KUnit tests of the cpu_flags word rules");
MODULE_LICENSE("GPL");
