// SPDX-License-Identifier: GPL-2.0
/*
 * interference: count the IPIs that land on isolated (nohz_full) CPUs
 * while housekeeping CPUs run named load sources.
 *
 * A pure userspace spin loop is pinned on every isolated CPU.  After a
 * settle period, each source runs for a set time on the housekeeping CPUs.
 * For each source the IPI rows of /proc/interrupts (CAL, TLB, RES, IWI) are
 * read before and after for every isolated CPU, and the ipi/csd trace
 * events, read live from a private tracing instance and kept when they
 * target an isolated CPU, name the callbacks that were sent.
 *
 * Output is TAP (one result per source), a table as TAP diagnostics and,
 * with -j, a JSON document.  With -m/-n the result of a source also asserts
 * a maximum/minimum of IPIs summed over the isolated CPUs: -m 0 is the
 * "deferral works" assertion, -n kprobe=1 its control.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/filter.h>
#include <linux/perf_event.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../kselftest.h"

#define MAX_CPUS	64
#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif
#define MAX_CBS		32
#define TRACEFS		"/sys/kernel/tracing"
#define KPROBE_EVENTS	TRACEFS "/kprobe_events"
#define INSTANCE	TRACEFS "/instances/cpu_flags_interference"

/* The /proc/interrupts rows that are IPIs a remote CPU can send us. */
static const char * const ipi_rows[] = { "CAL", "TLB", "RES", "IWI" };
#define NR_ROWS ARRAY_SIZE(ipi_rows)

struct irq_snap {
	unsigned long long count[MAX_CPUS][NR_ROWS];
};

struct callback {
	char name[64];
	unsigned long count;
};

struct source {
	const char *name;
	const char *what;
	/* 0: ready; >0: skip (reason in skip_why); <0: error. */
	int (*setup)(struct source *s);
	/* One operation of load; false on failure (errno set). */
	bool (*op)(void);
	void (*cleanup)(void);
	/* Results. */
	bool skipped, failed;
	char skip_why[320];
	unsigned long ops;
	double start, end;
	unsigned long long delta[MAX_CPUS][NR_ROWS];
	unsigned long long total;
	struct callback cbs[MAX_CBS];
	int nr_cbs;
	/*
	 * IPIs an isolated CPU sent itself (named "self:..."): from its own
	 * timers, not from the load on the housekeeping CPUs.
	 */
	unsigned long long self;
	/* IPIs from the -b background callbacks, present without any load. */
	unsigned long long bg;
	/* IPIs from the -k callbacks, which must reach every CPU at once. */
	unsigned long long kept;
	long max, min;		/* -1: no assertion, on total - self - bg */
};

static cpu_set_t isolated, housekeeping;
static char *background;	/* -b: ",cb,cb," */
static char *kept;		/* -k: ",cb,cb,": IPIs the design keeps sending */
/*
 * -F: the spinners run SCHED_FIFO, with RT throttling off for the run, as
 * latency-sensitive work on isolated CPUs usually does.  No fair task is
 * left on an isolated CPU, so 6.12's deadline server for fair tasks never
 * arms its timer for it (see Documentation/core-api/cpu-flags.rst).
 */
static bool fifo;
static char rt_runtime_saved[32];
#define RT_RUNTIME "/proc/sys/kernel/sched_rt_runtime_us"
static int nr_isolated;
static unsigned int seconds = 20, settle = 10;
static pid_t spinners[MAX_CPUS];
static int nr_spinners;
static bool tracing;	/* the callbacks are named */

/* Trace events collected by the reader thread. */
struct event {
	double ts;
	char name[64];
	int weight;
};
static struct event *events;
static size_t nr_events, cap_events;
static pthread_mutex_t events_lock = PTHREAD_MUTEX_INITIALIZER;
static bool reader_stop;	/* READ_ONCE/WRITE_ONCE */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int write_file(const char *path, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int fd, len, ret;

	va_start(ap, fmt);
	len = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fd = open(path, O_WRONLY | O_APPEND);
	if (fd < 0)
		return -errno;
	ret = write(fd, buf, len) == len ? 0 : -errno;
	close(fd);
	return ret;
}

static int read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

static int parse_cpulist(const char *s, cpu_set_t *set)
{
	CPU_ZERO(set);
	while (*s && *s != '\n') {
		char *end;
		long a = strtol(s, &end, 10), b = a;

		if (end == s)
			return -1;
		if (*end == '-')
			b = strtol(end + 1, &end, 10);
		if (a < 0 || b >= MAX_CPUS || b < a)
			return -1;
		for (; a <= b; a++)
			CPU_SET(a, set);
		s = *end == ',' ? end + 1 : end;
	}
	return 0;
}

static void format_cpulist(const cpu_set_t *set, char *buf, size_t size)
{
	size_t off = 0;

	buf[0] = '\0';
	for (int c = 0; c < MAX_CPUS; c++)
		if (CPU_ISSET(c, set))
			off += snprintf(buf + off, size - off, "%s%d", off ? "," : "", c);
}

/* ---- /proc/interrupts ---- */

static int read_irqs(struct irq_snap *snap)
{
	int col2cpu[MAX_CPUS], ncols = 0;
	char line[4096];
	FILE *f;

	memset(snap, 0, sizeof(*snap));
	f = fopen("/proc/interrupts", "r");
	if (!f)
		return -errno;
	if (!fgets(line, sizeof(line), f)) {
		fclose(f);
		return -EIO;
	}
	for (char *p = strstr(line, "CPU"); p && ncols < MAX_CPUS; p = strstr(p + 3, "CPU"))
		col2cpu[ncols++] = atoi(p + 3);
	while (fgets(line, sizeof(line), f)) {
		char *p = line, *colon = strchr(line, ':');
		unsigned int row;

		if (!colon)
			continue;
		*colon = '\0';
		while (*p == ' ')
			p++;
		for (row = 0; row < NR_ROWS; row++)
			if (!strcmp(p, ipi_rows[row]))
				break;
		if (row == NR_ROWS)
			continue;
		p = colon + 1;
		for (int col = 0; col < ncols; col++)
			snap->count[col2cpu[col]][row] = strtoull(p, &p, 10);
	}
	fclose(f);
	return 0;
}

/* ---- the spinners: pure userspace, never enter the kernel ---- */

static void spin_forever(void)
{
	for (;;)
		__asm__ volatile("pause" ::: "memory");
}

static int start_spinners(void)
{
	for (int c = 0; c < MAX_CPUS; c++) {
		cpu_set_t one;
		pid_t pid;

		if (!CPU_ISSET(c, &isolated))
			continue;
		CPU_ZERO(&one);
		CPU_SET(c, &one);
		pid = fork();
		if (pid < 0)
			return -errno;
		if (!pid) {
			struct sched_param sp = { .sched_priority = 1 };

			if (sched_setaffinity(0, sizeof(one), &one))
				_exit(1);
			if (fifo && sched_setscheduler(0, SCHED_FIFO, &sp))
				_exit(1);
			spin_forever();
		}
		spinners[nr_spinners++] = pid;
	}
	return 0;
}

static void stop_spinners(void)
{
	for (int i = 0; i < nr_spinners; i++) {
		kill(spinners[i], SIGKILL);
		waitpid(spinners[i], NULL, 0);
	}
	nr_spinners = 0;
}

/* ---- tracing: name the callbacks ---- */

static const char * const trace_events[] = {
	"csd/csd_queue_cpu",
	"ipi/ipi_send_cpu",
	"ipi/ipi_send_cpumask",
};

static void add_event(double ts, const char *name, int weight)
{
	pthread_mutex_lock(&events_lock);
	if (nr_events == cap_events) {
		cap_events = cap_events ? 2 * cap_events : 1024;
		events = realloc(events, cap_events * sizeof(*events));
		if (!events)
			ksft_exit_fail_msg("out of memory\n");
	}
	events[nr_events].ts = ts;
	events[nr_events].weight = weight;
	snprintf(events[nr_events].name, sizeof(events[0].name), "%s", name);
	nr_events++;
	pthread_mutex_unlock(&events_lock);
}

/* Copy the value of "key=" in line, without a "+0x..." offset. */
static bool field(const char *line, const char *key, char *out, size_t size)
{
	const char *p = strstr(line, key);
	size_t n;

	if (!p)
		return false;
	p += strlen(key);
	n = strcspn(p, " +\n");
	if (n >= size)
		n = size - 1;
	memcpy(out, p, n);
	out[n] = '\0';
	return true;
}

/* Does the event's "cpu=" name an isolated CPU? */
static bool on_isolated(const char *ev)
{
	char buf[16];

	return field(ev, "cpu=", buf, sizeof(buf)) && CPU_ISSET(atoi(buf), &isolated);
}

/* Is cpu set in a hex cpumask ("0000000c" or "00000000,0000000c")? */
static bool hexmask_has(const char *s, int cpu)
{
	int bit = 0;

	for (const char *p = s + strlen(s); p-- > s;) {
		int v;

		if (*p == ',')
			continue;
		v = *p >= 'a' ? *p - 'a' + 10 : *p >= 'A' ? *p - 'A' + 10 : *p - '0';
		if (cpu >= bit && cpu < bit + 4)
			return v >> (cpu - bit) & 1;
		bit += 4;
	}
	return false;
}

/* How many isolated CPUs a hex cpumask ("0000000c" or "00000000,0000000c") names. */
static int isolated_in_hexmask(const char *s)
{
	int bit = 0, n = 0;

	for (const char *p = s + strlen(s); p-- > s;) {
		int v;

		if (*p == ',')
			continue;
		v = *p >= 'a' ? *p - 'a' + 10 : *p >= 'A' ? *p - 'A' + 10 : *p - '0';
		for (int i = 0; i < 4; i++, bit++)
			if ((v >> i & 1) && bit < MAX_CPUS && CPU_ISSET(bit, &isolated))
				n++;
	}
	return n;
}

/* The CPU that recorded the event: the "[003]" column, -1 if unknown. */
static int sender_cpu(const char *line, const char *ev)
{
	const char *b = NULL;

	for (const char *p = line; p < ev; p++)
		if (*p == '[')
			b = p;
	return b ? atoi(b + 1) : -1;
}

static void parse_trace_line(const char *line)
{
	char name[64], buf[128], cpu[16];
	const char *ev;
	double ts;
	int weight = 1, self = 0, sender;

	ev = strstr(line, ": csd_queue_cpu:");
	if (!ev)
		ev = strstr(line, ": ipi_send_cpu:");
	if (!ev)
		ev = strstr(line, ": ipi_send_cpumask:");
	if (!ev)
		return;
	/* The timestamp is the word just before the event name. */
	{
		const char *t = ev;

		while (t > line && t[-1] != ' ')
			t--;
		ts = strtod(t, NULL);
	}
	sender = sender_cpu(line, ev);
	if (strstr(ev, "csd_queue_cpu:")) {
		if (!on_isolated(ev))
			return;
		if (!field(ev, "func=", name, sizeof(name)))
			return;
		self = field(ev, "cpu=", cpu, sizeof(cpu)) && atoi(cpu) == sender;
		weight = !self;
	} else {
		if (strstr(ev, "ipi_send_cpumask:")) {
			if (!field(ev, "cpumask=", buf, sizeof(buf)))
				return;
			weight = isolated_in_hexmask(buf);
			/* A mask holds the sender only if it interrupts itself too. */
			if (weight && sender >= 0 && sender < MAX_CPUS &&
			    CPU_ISSET(sender, &isolated) && hexmask_has(buf, sender)) {
				weight--;
				self = 1;
			}
		} else {
			if (!on_isolated(ev))
				return;
			self = field(ev, "cpu=", cpu, sizeof(cpu)) && atoi(cpu) == sender;
			weight = !self;
		}
		if ((!weight && !self) || !field(ev, "callback=", name, sizeof(name)))
			return;
		/* Function-call IPIs are named by csd_queue_cpu already. */
		if (strstr(name, "generic_smp_call_function"))
			return;
		if (!strcmp(name, "0x0") || !strcmp(name, "(null)")) {
			char site[56];

			if (!field(ev, "callsite=", site, sizeof(site)))
				return;
			snprintf(name, sizeof(name), "ipi@%s", site);
		}
	}
	if (self) {
		char self_name[72];

		snprintf(self_name, sizeof(self_name), "self:%s", name);
		add_event(ts, self_name, 1);
	}
	if (weight)
		add_event(ts, name, weight);
}

static void *reader(void *arg)
{
	char buf[65536], line[1024];
	size_t len = 0;
	int fd;

	(void)arg;
	fd = open(INSTANCE "/trace_pipe", O_RDONLY | O_NONBLOCK);
	if (fd < 0)
		return NULL;
	while (!__atomic_load_n(&reader_stop, __ATOMIC_RELAXED)) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&pfd, 1, 100) <= 0)
			continue;
		n = read(fd, buf, sizeof(buf));
		if (n <= 0)
			continue;
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] != '\n') {
				if (len < sizeof(line) - 1)
					line[len++] = buf[i];
				continue;
			}
			line[len] = '\0';
			parse_trace_line(line);
			len = 0;
		}
	}
	close(fd);
	return NULL;
}

static pthread_t reader_thread;

static int start_tracing(void)
{
	char path[256];
	int ret;

	rmdir(INSTANCE);
	if (mkdir(INSTANCE, 0700)) {
		ret = -errno;
		ksft_print_msg("mkdir %s: %s\n", INSTANCE, strerror(errno));
		return ret;
	}
	/* CLOCK_MONOTONIC timestamps, to match the source windows. */
	ret = write_file(INSTANCE "/trace_clock", "mono");
	if (ret) {
		ksft_print_msg("trace_clock mono: %s\n", strerror(-ret));
		return ret;
	}
	write_file(INSTANCE "/buffer_size_kb", "4096");
	/*
	 * The kprobe source enables an event of the top-level instance.  The
	 * first enable there grows its per-CPU buffers with work queued on
	 * every CPU, isolated ones included: grow them now, before any
	 * measurement, so that the benchmark does not measure itself.
	 */
	write_file(TRACEFS "/buffer_size_kb", "1408");
	/*
	 * No event filter: a filter holds a reference on the per-CPU
	 * buffered events, and the trace-filter source must be able to free
	 * them (trace_buffered_event_disable() is what it measures).  The
	 * reader keeps only the lines whose target is an isolated CPU.
	 */
	for (size_t i = 0; i < ARRAY_SIZE(trace_events); i++) {
		snprintf(path, sizeof(path), INSTANCE "/events/%s/enable", trace_events[i]);
		ret = write_file(path, "1");
		if (ret) {
			ksft_print_msg("enable %s: %s\n", trace_events[i], strerror(-ret));
			return ret;
		}
	}
	if (pthread_create(&reader_thread, NULL, reader, NULL))
		return -EAGAIN;
	tracing = true;
	return 0;
}

static void stop_tracing(void)
{
	if (!tracing)
		return;
	sleep(1);	/* let the reader drain the last events */
	__atomic_store_n(&reader_stop, true, __ATOMIC_RELAXED);
	pthread_join(reader_thread, NULL);
	write_file(INSTANCE "/events/enable", "0");
	rmdir(INSTANCE);
}

static bool in_list(const char *list, const char *name)
{
	char key[80];

	if (!list)
		return false;
	snprintf(key, sizeof(key), ",%s,", name);
	return strstr(list, key);
}

static void attribute_events(struct source *s)
{
	for (size_t i = 0; i < nr_events; i++) {
		struct event *e = &events[i];
		int j;

		if (e->ts < s->start || e->ts > s->end)
			continue;
		for (j = 0; j < s->nr_cbs; j++)
			if (!strcmp(s->cbs[j].name, e->name))
				break;
		if (j == s->nr_cbs) {
			if (s->nr_cbs == MAX_CBS)
				continue;
			snprintf(s->cbs[j].name, sizeof(s->cbs[j].name), "%s", e->name);
			s->nr_cbs++;
		}
		s->cbs[j].count += e->weight;
		if (!strncmp(e->name, "self:", 5))
			s->self += e->weight;
		else if (in_list(background, e->name))
			s->bg += e->weight;
		else if (in_list(kept, e->name))
			s->kept += e->weight;
	}
	/* Most frequent first. */
	for (int a = 0; a < s->nr_cbs; a++)
		for (int b = a + 1; b < s->nr_cbs; b++)
			if (s->cbs[b].count > s->cbs[a].count) {
				struct callback t = s->cbs[a];

				s->cbs[a] = s->cbs[b];
				s->cbs[b] = t;
			}
}

/* ---- the load sources ---- */

static bool op_idle(void)
{
	usleep(100000);
	return true;
}

#define KPROBE_GROUP	"cpu_flags_bench"
static const char *kprobe_symbol;

static int setup_kprobe(struct source *s)
{
	static const char * const candidates[] = { "__x64_sys_getppid", "kernel_clone" };

	if (access(KPROBE_EVENTS, W_OK)) {
		snprintf(s->skip_why, sizeof(s->skip_why), "no kprobe_events");
		return 1;
	}
	write_file(KPROBE_EVENTS, "-:" KPROBE_GROUP "/kp\n");
	for (size_t i = 0; i < 2; i++) {
		if (!write_file(KPROBE_EVENTS, "p:" KPROBE_GROUP "/kp %s\n", candidates[i])) {
			kprobe_symbol = candidates[i];
			write_file(KPROBE_EVENTS, "-:" KPROBE_GROUP "/kp\n");
			return 0;
		}
	}
	snprintf(s->skip_why, sizeof(s->skip_why), "cannot place a kprobe");
	return 1;
}

/* Arming and disarming a kprobe patches kernel text (text_poke_bp). */
static bool op_kprobe(void)
{
	const char *en = TRACEFS "/events/" KPROBE_GROUP "/kp/enable";

	if (write_file(KPROBE_EVENTS, "p:" KPROBE_GROUP "/kp %s\n", kprobe_symbol))
		return false;
	if (write_file(en, "1") || write_file(en, "0"))
		return false;
	return !write_file(KPROBE_EVENTS, "-:" KPROBE_GROUP "/kp\n");
}

/*
 * A software page-fault event takes and drops perf_swevent_enabled[], a
 * static key, on open and close: two jump-label flips per operation.
 */
static bool op_perf(void)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_SOFTWARE,
		.size = sizeof(attr),
		.config = PERF_COUNT_SW_PAGE_FAULTS,
	};
	int fd = syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

static int setup_perf(struct source *s)
{
	if (!op_perf()) {
		snprintf(s->skip_why, sizeof(s->skip_why), "perf_event_open: %s", strerror(errno));
		return 1;
	}
	return 0;
}

/* Attaching a classic BPF filter JIT-compiles it (set_memory_ro/x). */
static bool op_bpf_jit(void)
{
	struct sock_filter insns[] = {
		{ BPF_LD | BPF_W | BPF_LEN, 0, 0, 0 },
		{ BPF_JMP | BPF_JGT | BPF_K, 0, 1, 64 },
		{ BPF_RET | BPF_K, 0, 0, 0xffff },
		{ BPF_RET | BPF_K, 0, 0, 0 },
	};
	struct sock_fprog prog = { .len = 4, .filter = insns };
	int sk = socket(AF_UNIX, SOCK_DGRAM, 0);
	bool ok;

	if (sk < 0)
		return false;
	ok = !setsockopt(sk, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog));
	close(sk);
	return ok;
}

static int setup_bpf_jit(struct source *s)
{
	if (write_file("/proc/sys/net/core/bpf_jit_enable", "1")) {
		snprintf(s->skip_why, sizeof(s->skip_why), "no BPF JIT (net.core.bpf_jit_enable)");
		return 1;
	}
	if (!op_bpf_jit()) {
		snprintf(s->skip_why, sizeof(s->skip_why), "SO_ATTACH_FILTER: %s", strerror(errno));
		return 1;
	}
	return 0;
}

/* fork/exit: with VMAP_STACK every task stack is a vmalloc area. */
static bool op_fork(void)
{
	pid_t pid = fork();

	if (pid < 0)
		return false;
	if (!pid)
		_exit(0);
	return waitpid(pid, NULL, 0) == pid;
}

/* A 1 MiB BPF array map is vmalloc()ed and vfree()d: lazy purges flush. */
static bool op_vmalloc(void)
{
	union bpf_attr attr;
	int fd;

	memset(&attr, 0, sizeof(attr));
	attr.map_type = BPF_MAP_TYPE_ARRAY;
	attr.key_size = 4;
	attr.value_size = 4096;
	attr.max_entries = 256;
	fd = syscall(SYS_bpf, BPF_MAP_CREATE, &attr, sizeof(attr));
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

static int setup_vmalloc(struct source *s)
{
	if (!op_vmalloc()) {
		snprintf(s->skip_why, sizeof(s->skip_why), "BPF_MAP_CREATE: %s", strerror(errno));
		return 1;
	}
	return 0;
}

/* Module load and unload: module memory, relocations, jump labels. */
static char module_path[256];
static const char *module_name = "torture";

static bool op_module(void)
{
	int fd = open(module_path, O_RDONLY | O_CLOEXEC);
	bool ok;

	if (fd < 0)
		return false;
	ok = !syscall(SYS_finit_module, fd, "", 0);
	close(fd);
	return ok && !syscall(SYS_delete_module, module_name, O_NONBLOCK);
}

static int setup_module(struct source *s)
{
	struct utsname u;

	uname(&u);
	snprintf(module_path, sizeof(module_path),
		 "/lib/modules/%s/kernel/kernel/%s.ko", u.release, module_name);
	if (access(module_path, R_OK)) {
		snprintf(s->skip_why, sizeof(s->skip_why), "no %s (CONFIG_MODULES, TORTURE_TEST=m)",
			 module_path);
		return 1;
	}
	syscall(SYS_delete_module, module_name, O_NONBLOCK);
	return 0;
}

/*
 * Writing a PID to set_event_pid and set_ftrace_pid makes every CPU
 * recompute whether it traces the task it runs: on_each_cpu() of
 * ignore_task_cpu(), run under a pin for CPUs in user mode.
 */
static char pid_str[16];

static bool op_trace_pid(void)
{
	return !write_file(TRACEFS "/set_event_pid", "%s", pid_str) &&
	       !write_file(TRACEFS "/set_ftrace_pid", "%s", pid_str);
}

static void clear_trace_pid(void)
{
	int fd;

	/* Opening with O_TRUNC empties the lists. */
	fd = open(TRACEFS "/set_event_pid", O_WRONLY | O_TRUNC);
	if (fd >= 0)
		close(fd);
	fd = open(TRACEFS "/set_ftrace_pid", O_WRONLY | O_TRUNC);
	if (fd >= 0)
		close(fd);
}

static int setup_trace_pid(struct source *s)
{
	snprintf(pid_str, sizeof(pid_str), "%d", getpid());
	clear_trace_pid();
	if (access(TRACEFS "/set_event_pid", W_OK) || access(TRACEFS "/set_ftrace_pid", W_OK)) {
		snprintf(s->skip_why, sizeof(s->skip_why), "no set_event_pid/set_ftrace_pid");
		return 1;
	}
	return 0;
}

/*
 * Setting and clearing an event filter allocates and frees the per-CPU
 * buffered events: trace_buffered_event_disable() updates each CPU's
 * count by on_each_cpu_mask(), run under a pin for CPUs in user mode.
 */
#define EVENT_FILTER	TRACEFS "/events/sched/sched_process_fork/filter"

static bool op_trace_filter(void)
{
	return !write_file(EVENT_FILTER, "common_pid < 0") && !write_file(EVENT_FILTER, "0");
}

static int setup_trace_filter(struct source *s)
{
	if (access(EVENT_FILTER, W_OK)) {
		snprintf(s->skip_why, sizeof(s->skip_why), "no %s", EVENT_FILTER);
		return 1;
	}
	return 0;
}

#define SOURCE(n, w, o, s) { .name = n, .what = w, .op = o, .setup = s, .max = -1, .min = -1 }
static struct source sources[] = {
	SOURCE("idle", "no load (background)", op_idle, NULL),
	SOURCE("kprobe", "kprobe arm/disarm via tracefs", op_kprobe, setup_kprobe),
	SOURCE("perf", "perf_event_open/close (jump labels)", op_perf, setup_perf),
	SOURCE("bpf-jit", "cBPF filter attach (JIT)", op_bpf_jit, setup_bpf_jit),
	SOURCE("fork", "fork/exit (VMAP_STACK)", op_fork, NULL),
	SOURCE("vmalloc", "1 MiB BPF map create/free", op_vmalloc, setup_vmalloc),
	SOURCE("module", "module load/unload", op_module, setup_module),
	{ .name = "trace-pid", .what = "set_event_pid/set_ftrace_pid writes", .op = op_trace_pid,
	  .setup = setup_trace_pid, .cleanup = clear_trace_pid, .max = -1, .min = -1 },
	SOURCE("trace-filter", "event filter set/clear", op_trace_filter, setup_trace_filter),
};
#define NR_SOURCES ARRAY_SIZE(sources)

static struct source *find_source(const char *name)
{
	for (size_t i = 0; i < NR_SOURCES; i++)
		if (!strcmp(sources[i].name, name))
			return &sources[i];
	return NULL;
}

static void run_source(struct source *s)
{
	struct irq_snap before, after;
	double deadline;
	int ret = 0;

	if (s->setup)
		ret = s->setup(s);
	if (ret) {
		s->skipped = true;
		return;
	}
	read_irqs(&before);
	s->start = now();
	deadline = s->start + seconds;
	while (now() < deadline) {
		if (!s->op()) {
			s->failed = true;
			snprintf(s->skip_why, sizeof(s->skip_why), "operation failed: %s",
				 strerror(errno));
			break;
		}
		s->ops++;
	}
	s->end = now();
	read_irqs(&after);
	if (s->cleanup)
		s->cleanup();
	for (int c = 0; c < MAX_CPUS; c++) {
		if (!CPU_ISSET(c, &isolated))
			continue;
		for (unsigned int r = 0; r < NR_ROWS; r++) {
			s->delta[c][r] = after.count[c][r] - before.count[c][r];
			s->total += s->delta[c][r];
		}
	}
}

/* "-m 0" for every source, or "-m kprobe=0,perf=3". */
static void parse_limits(const char *arg, bool is_max)
{
	char *copy = strdup(arg), *tok, *save;

	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');
		long v = strtol(eq ? eq + 1 : tok, NULL, 10);

		for (size_t i = 0; i < NR_SOURCES; i++) {
			if (eq && strncmp(sources[i].name, tok, eq - tok))
				continue;
			if (eq && strlen(sources[i].name) != (size_t)(eq - tok))
				continue;
			if (!eq && !strcmp(sources[i].name, "idle"))
				continue;
			if (is_max)
				sources[i].max = v;
			else
				sources[i].min = v;
		}
		if (eq) {
			*eq = '\0';
			if (!find_source(tok))
				ksft_exit_fail_msg("unknown source '%s' in -%c\n", tok,
						   is_max ? 'm' : 'n');
		}
	}
	free(copy);
}

static void print_table(struct source *sel[], int n)
{
	char hdr[256] = "", cell[64];
	size_t off = 0;

	for (int c = 0; c < MAX_CPUS; c++) {
		if (!CPU_ISSET(c, &isolated))
			continue;
		snprintf(cell, sizeof(cell), "CPU%d", c);
		off += snprintf(hdr + off, sizeof(hdr) - off, " %9s", cell);
	}
	ksft_print_msg("%-8s %8s%s %7s %6s %6s %6s  %s\n", "source", "ops", hdr, "total", "bg",
		       "kept", "self", "callbacks (count)");
	for (int i = 0; i < n; i++) {
		struct source *s = sel[i];
		char cpus[256] = "", cbs[512] = "";
		size_t o1 = 0, o2 = 0;

		if (s->skipped) {
			ksft_print_msg("%-8s skipped: %s\n", s->name, s->skip_why);
			continue;
		}
		for (int c = 0; c < MAX_CPUS; c++) {
			unsigned long long t = 0;

			if (!CPU_ISSET(c, &isolated))
				continue;
			for (unsigned int r = 0; r < NR_ROWS; r++)
				t += s->delta[c][r];
			o1 += snprintf(cpus + o1, sizeof(cpus) - o1, " %9llu", t);
		}
		for (int j = 0; j < s->nr_cbs && j < 4; j++)
			o2 += snprintf(cbs + o2, sizeof(cbs) - o2, "%s%s(%lu)", j ? " " : "",
				       s->cbs[j].name, s->cbs[j].count);
		ksft_print_msg("%-8s %8lu%s %7llu %6llu %6llu %6llu  %s\n", s->name, s->ops, cpus,
			       s->total, s->bg, s->kept, s->self,
			       tracing ? cbs : "(tracing unavailable)");
	}
	ksft_print_msg("IPIs are the CAL+TLB+RES+IWI rows of /proc/interrupts, %us per source;\n",
		       seconds);
	ksft_print_msg("bg: -b callbacks (%s); kept: -k callbacks (%s)\n",
		       background ? background : "none", kept ? kept : "none");
	ksft_print_msg("self: sent by the isolated CPU to itself\n");
}

static void json_str(FILE *f, const char *s);

/* Print a ",a,b," list as a JSON array of strings. */
static void json_list(FILE *f, const char *list)
{
	char *copy = list ? strdup(list) : NULL, *save;
	bool first = true;

	fputc('[', f);
	for (char *t = copy ? strtok_r(copy, ",", &save) : NULL; t;
	     t = strtok_r(NULL, ",", &save)) {
		fprintf(f, "%s", first ? "" : ", ");
		json_str(f, t);
		first = false;
	}
	fputc(']', f);
	free(copy);
}

/* Print s as a JSON string. */
static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

static void write_json(const char *path, struct source *sel[], int n)
{
	char buf[1024], iso[128];
	struct utsname u;
	FILE *f = strcmp(path, "-") ? fopen(path, "w") : stdout;

	if (!f)
		ksft_exit_fail_msg("cannot write %s: %s\n", path, strerror(errno));
	uname(&u);
	read_file("/proc/cmdline", buf, sizeof(buf));
	buf[strcspn(buf, "\n")] = '\0';
	format_cpulist(&isolated, iso, sizeof(iso));
	fprintf(f, "{\"kernel\": \"%s\", \"cmdline\": ", u.release);
	json_str(f, buf);
	fprintf(f, ", ");
	fprintf(f, "\"isolated\": \"%s\", \"seconds\": %u, \"tracing\": %s, ",
		iso, seconds, tracing ? "true" : "false");
	fprintf(f, "\"background_callbacks\": ");
	json_list(f, background);
	fprintf(f, ", \"kept_callbacks\": ");
	json_list(f, kept);
	fprintf(f, ", \"sources\": [");
	for (int i = 0; i < n; i++) {
		struct source *s = sel[i];
		bool first = true;

		fprintf(f, "%s\n  {\"name\": \"%s\", \"what\": \"%s\", \"skipped\": %s",
			i ? "," : "", s->name, s->what, s->skipped ? "true" : "false");
		if (s->skipped) {
			fprintf(f, ", \"why\": ");
			json_str(f, s->skip_why);
			fprintf(f, "}");
			continue;
		}
		fprintf(f, ", \"ops\": %lu, \"total\": %llu, \"self\": %llu, ",
			s->ops, s->total, s->self);
		fprintf(f, "\"background\": %llu, \"kept\": %llu, \"cpus\": {", s->bg, s->kept);
		for (int c = 0; c < MAX_CPUS; c++) {
			if (!CPU_ISSET(c, &isolated))
				continue;
			fprintf(f, "%s\"%d\": {", first ? "" : ", ", c);
			for (unsigned int r = 0; r < NR_ROWS; r++)
				fprintf(f, "%s\"%s\": %llu", r ? ", " : "", ipi_rows[r],
					s->delta[c][r]);
			fprintf(f, "}");
			first = false;
		}
		fprintf(f, "}, \"callbacks\": {");
		for (int j = 0; j < s->nr_cbs; j++)
			fprintf(f, "%s\"%s\": %lu", j ? ", " : "", s->cbs[j].name, s->cbs[j].count);
		fprintf(f, "}}");
	}
	fprintf(f, "\n]}\n");
	if (f != stdout)
		fclose(f);
}

static void print_usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [-t secs] [-s settle] [-i cpulist] [-S src,...] [-j file]\n"
		"       [-m max|src=max,...] [-n min|src=min,...]\n"
		"       [-b callback,...] [-k callback,...] [-F]\n"
		"limits are on IPIs from the load (total - background - kept - self) and need\n"
		"tracing; -b names callbacks that reach isolated CPUs without any load, -k\n"
		"callbacks that must reach every CPU (see cpu-flags.rst), -F makes the\n"
		"spinners SCHED_FIFO with RT throttling off\n"
		"sources:", prog);
	for (size_t i = 0; i < NR_SOURCES; i++)
		fprintf(stderr, " %s", sources[i].name);
	fprintf(stderr, "\n");
	exit(KSFT_FAIL);
}

int main(int argc, char **argv)
{
	struct source *sel[NR_SOURCES];
	const char *json = NULL, *only = NULL;
	char buf[256];
	int opt, ret, n = 0;

	while ((opt = getopt(argc, argv, "t:s:i:S:j:m:n:b:k:Fh")) != -1) {
		switch (opt) {
		case 't':
			seconds = atoi(optarg);
			break;
		case 's':
			settle = atoi(optarg);
			break;
		case 'i':
			if (parse_cpulist(optarg, &isolated))
				ksft_exit_fail_msg("bad cpu list '%s'\n", optarg);
			break;
		case 'S':
			only = optarg;
			break;
		case 'j':
			json = optarg;
			break;
		case 'm':
			parse_limits(optarg, true);
			break;
		case 'n':
			parse_limits(optarg, false);
			break;
		case 'b':
			if (asprintf(&background, ",%s,", optarg) < 0)
				ksft_exit_fail_msg("out of memory\n");
			break;
		case 'F':
			fifo = true;
			break;
		case 'k':
			if (asprintf(&kept, ",%s,", optarg) < 0)
				ksft_exit_fail_msg("out of memory\n");
			break;
		default:
			print_usage(argv[0]);
		}
	}
	if (!seconds)
		ksft_exit_fail_msg("-t must be at least 1\n");
	if (only) {
		char *copy = strdup(only), *save;

		for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
			sel[n] = find_source(t);
			if (!sel[n++])
				ksft_exit_fail_msg("unknown source '%s'\n", t);
		}
		free(copy);
	} else {
		for (size_t i = 0; i < NR_SOURCES; i++)
			sel[n++] = &sources[i];
	}

	ksft_print_header();
	if (!CPU_COUNT(&isolated)) {
		if (read_file("/sys/devices/system/cpu/nohz_full", buf, sizeof(buf)) ||
		    parse_cpulist(buf, &isolated) || !CPU_COUNT(&isolated))
			ksft_exit_skip("no nohz_full CPUs: boot with nohz_full= or pass -i\n");
	}
	nr_isolated = CPU_COUNT(&isolated);
	sched_getaffinity(0, sizeof(housekeeping), &housekeeping);
	if (read_file("/sys/devices/system/cpu/online", buf, sizeof(buf)) == 0)
		parse_cpulist(buf, &housekeeping);
	for (int c = 0; c < MAX_CPUS; c++)
		if (CPU_ISSET(c, &isolated))
			CPU_CLR(c, &housekeeping);
	if (!CPU_COUNT(&housekeeping))
		ksft_exit_fail_msg("no housekeeping CPU left\n");
	if (sched_setaffinity(0, sizeof(housekeeping), &housekeeping))
		ksft_exit_fail_msg("sched_setaffinity: %s\n", strerror(errno));

	ksft_set_plan(n);
	format_cpulist(&isolated, buf, sizeof(buf));
	ksft_print_msg("isolated CPUs %s, %us per source, %us settle\n", buf, seconds, settle);
	if (fifo) {
		if (read_file(RT_RUNTIME, rt_runtime_saved, sizeof(rt_runtime_saved)) ||
		    write_file(RT_RUNTIME, "-1"))
			ksft_exit_fail_msg("-F: cannot switch RT throttling off in %s\n",
					   RT_RUNTIME);
		ksft_print_msg("spinners are SCHED_FIFO, RT throttling off for the run\n");
	}
	if (start_spinners())
		ksft_exit_fail_msg("cannot start spinners: %s\n", strerror(errno));
	ret = start_tracing();
	if (ret)
		ksft_print_msg("tracing unavailable (%s): callbacks will not be named\n",
			       strerror(-ret));
	sleep(settle);

	for (int i = 0; i < n; i++)
		run_source(sel[i]);
	stop_tracing();
	stop_spinners();
	if (fifo)
		write_file(RT_RUNTIME, "%s", rt_runtime_saved);

	for (int i = 0; i < n; i++) {
		struct source *s = sel[i];
		unsigned long long remote;

		if (s->skipped) {
			ksft_test_result_skip("%s: %s\n", s->name, s->skip_why);
			continue;
		}
		attribute_events(s);
		remote = s->total > s->self + s->bg + s->kept ?
			 s->total - s->self - s->bg - s->kept : 0;
		if (s->failed || !s->ops) {
			ksft_test_result_fail("%s: load did not run (%s)\n", s->name, s->skip_why);
		} else if ((s->max >= 0 || s->min >= 0) && !tracing) {
			ksft_test_result_fail("%s: %s\n", s->name,
					      "without tracing, self IPIs cannot be told apart");
		} else if (s->max >= 0 && remote > (unsigned long long)s->max) {
			ksft_test_result_fail("%s: %llu IPIs from the load, more than %ld\n",
					      s->name, remote, s->max);
		} else if (s->min >= 0 && remote < (unsigned long long)s->min) {
			ksft_test_result_fail("%s: %llu IPIs from the load, fewer than %ld\n",
					      s->name, remote, s->min);
		} else {
			ksft_test_result_pass("%s: %lu ops, %llu IPIs from the load %s\n",
					      s->name, s->ops, remote, "on isolated CPUs");
			ksft_print_msg("%s: +%llu background, +%llu kept, +%llu self\n",
				       s->name, s->bg, s->kept, s->self);
		}
	}
	print_table(sel, n);
	if (json)
		write_json(json, sel, n);
	ksft_finished();
}
