// SPDX-License-Identifier: GPL-2.0
/*
 * The IPI callers script's fixture: one call site per rule of its
 * classification, each callback reaching its construct through a helper
 * (so that only a script that follows calls gets it right).  The expected
 * class is in the comment on each call; check.sh compares them with the
 * report.  Not kernel code: it is never compiled.
 */
static DEFINE_PER_CPU(int, fixture_count);
static int shared;

static void helper_msr(void)
{
	wrmsrl(MSR_FIXTURE, 0);
}

static void cb_msr(void *info)
{
	helper_msr();
}

static void helper_barrier(void)
{
	smp_mb();
}

static void cb_barrier(void *info)
{
	helper_barrier();
}

static void helper_percpu(void)
{
	this_cpu_inc(fixture_count);
}

static void cb_percpu(void *info)
{
	helper_percpu();
}

static void helper_sync(void)
{
	sync_core();
}

static void cb_sync(void *info)
{
	helper_sync();
}

static void cb_pointer(void *info)
{
	struct fixture_ops *ops = info;

	ops->run(ops);
}

static void cb_asm(void *info)
{
	asm volatile("int $0x12");
}

static void cb_write(void *info)
{
	struct fixture *f = info;

	f->value = shared;
}

static void cb_current(void *info)
{
	helper_task();
}

static void helper_task(void)
{
	set_tsk_need_resched(current);
}

/* Effects that no helper names: each must keep the callback out of the
 * classes that let the target go without it. */
static void cb_global(void *info)
{
	shared = 1;
}

static void cb_deref(void *info)
{
	*(int *)info = 1;
}

static void cb_write_once(void *info)
{
	WRITE_ONCE(shared, 2);
}

static void cb_atomic(void *info)
{
	atomic_inc(info);
}

static void cb_asm_one_line(void *info) { asm volatile("wbinvd" ::: "memory"); }

static void cb_fnptr(void *info)
{
	void (*fp)(void *) = info;

	(*fp)(info);
}

static void cb_sync_and_percpu(void *info)
{
	this_cpu_write(fixture_count, 0);
	sync_core();
}

static void fixture_work(struct work_struct *w)
{
	helper_percpu();
}

static DEFINE_PER_CPU(struct work_struct, fixture_works);

void fixture_calls(void)
{
	smp_cond_func_t cond = NULL;
	smp_call_func_t fn;
	int cpu;

	on_each_cpu(cb_msr, NULL, 1);		/* must-IPI */
	on_each_cpu(cb_barrier, NULL, 1);	/* skip-if-USER */
	on_each_cpu(cb_percpu, NULL, 1);	/* run-under-pin */
	on_each_cpu(cb_sync, NULL, 1);		/* defer */
	on_each_cpu(cb_pointer, NULL, 1);	/* unknown */
	on_each_cpu(cb_asm, NULL, 1);		/* must-IPI */
	on_each_cpu(cb_write, NULL, 1);		/* unknown */
	on_each_cpu(cb_current, NULL, 1);	/* must-IPI */
	on_each_cpu(cb_undefined, NULL, 1);	/* unknown */
	on_each_cpu(cb_global, NULL, 1);	/* unknown */
	on_each_cpu(cb_deref, NULL, 1);		/* unknown */
	on_each_cpu(cb_write_once, NULL, 1);	/* unknown */
	on_each_cpu(cb_atomic, NULL, 1);	/* unknown */
	on_each_cpu(cb_asm_one_line, NULL, 1);	/* must-IPI */
	on_each_cpu(cb_fnptr, NULL, 1);		/* unknown */
	on_each_cpu(cb_sync_and_percpu, NULL, 1);	/* unknown */
	fn = shared ? cb_barrier : cb_percpu;
	on_each_cpu(fn, NULL, 1);		/* unknown */
	if (shared)
		cond = cpu_flags_ipi_unless_sync_deferred;
	on_each_cpu_cond(cond, cb_sync, NULL, 1);	/* defer, converted */
	for_each_online_cpu(cpu) {
		struct work_struct *work = per_cpu_ptr(&fixture_works, cpu);

		INIT_WORK(work, fixture_work);
		queue_work_on(cpu, system_wq, work);	/* run-under-pin */
	}
}

/* A wrapper of the API: its callers' callbacks are classed, not this call. */
void fixture_forward(smp_call_func_t func, void *info)
{
	on_each_cpu(func, info, 1);		/* forwards */
}
