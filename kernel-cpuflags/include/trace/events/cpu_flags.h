/* SPDX-License-Identifier: GPL-2.0 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM cpu_flags

#if !defined(_TRACE_CPU_FLAGS_H) || defined(TRACE_HEADER_MULTI_READ)
#define _TRACE_CPU_FLAGS_H

#include <linux/tracepoint.h>

#define show_cpu_flags_work(w)						\
	__print_flags(w, "|",						\
		      { CPU_FLAGS_WORK_TLB, "tlb" },			\
		      { CPU_FLAGS_WORK_SYNC, "sync" })

/* A sender left work for @cpu (deferred) or must send the IPI (refused). */
TRACE_EVENT(cpu_flags_defer,
	TP_PROTO(int cpu, unsigned int work, bool deferred),
	TP_ARGS(cpu, work, deferred),
	TP_STRUCT__entry(
		__field(int, cpu)
		__field(unsigned int, work)
		__field(bool, deferred)
	),
	TP_fast_assign(
		__entry->cpu = cpu;
		__entry->work = work;
		__entry->deferred = deferred;
	),
	TP_printk("cpu=%d work=%s %s", __entry->cpu, show_cpu_flags_work(__entry->work),
		  __entry->deferred ? "deferred" : "refused")
);

/* This CPU did deferred work at kernel entry. */
TRACE_EVENT(cpu_flags_execute,
	TP_PROTO(unsigned int work),
	TP_ARGS(work),
	TP_STRUCT__entry(
		__field(unsigned int, work)
	),
	TP_fast_assign(
		__entry->work = work;
	),
	TP_printk("work=%s", show_cpu_flags_work(__entry->work))
);

TRACE_EVENT(cpu_flags_pin,
	TP_PROTO(int cpu, bool pinned),
	TP_ARGS(cpu, pinned),
	TP_STRUCT__entry(
		__field(int, cpu)
		__field(bool, pinned)
	),
	TP_fast_assign(
		__entry->cpu = cpu;
		__entry->pinned = pinned;
	),
	TP_printk("cpu=%d %s", __entry->cpu, __entry->pinned ? "pinned" : "refused")
);

TRACE_EVENT(cpu_flags_unpin,
	TP_PROTO(int cpu),
	TP_ARGS(cpu),
	TP_STRUCT__entry(
		__field(int, cpu)
	),
	TP_fast_assign(
		__entry->cpu = cpu;
	),
	TP_printk("cpu=%d", __entry->cpu)
);

#endif /* _TRACE_CPU_FLAGS_H */

#include <trace/define_trace.h>
