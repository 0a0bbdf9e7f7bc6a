// SPDX-License-Identifier: GPL-2.0
/*
 * pin: pinning a nohz_full CPU in user mode holds off its kernel
 * entries, and only those.
 *
 * Uses the root-only /sys/kernel/debug/cpu_flags/pin_test hook (see
 * kernel/cpu_flags/pin_test.c).  A child on the isolated CPU spins in
 * user mode and makes a syscall every thousand iterations; the hook pins
 * that CPU, checks and rewrites a per-CPU pair the child's entries
 * update, optionally sends it an NMI, holds, lets go and waits for the
 * next entry.  The same hold without the pin must see entries, and with
 * cpu_flags.defer=0 every pin must be refused: the controls.
 *
 * PIN_TORTURE_SECONDS (default 60) sets the length of the torture.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../kselftest.h"
#include "cpu_flags_stats.h"

#define HOOK	CPU_FLAGS_DIR "/pin_test"
#define WARN_US	"/sys/module/cpu_flags/parameters/pin_warn_us"
/* The two lines of the hook, as pin_test_show() prints them. */
#define TOTALS_FMT \
	"cpu %d entries %ld entry_torn %ld pins %ld refused %ld pin_torn %ld pin_entries %ld nmi_missed %ld not_resumed %ld"
#define LAST_FMT \
	"pinned=%d tries=%ld held_us=%ld entries_during=%ld torn=%d nmi=%15s resumed=%d"

struct totals {
	int cpu;
	long entries, entry_torn, pins, refused, pin_torn, pin_entries, nmi_missed, not_resumed;
};

struct last {
	int pinned, torn, resumed;
	long tries, held_us, entries_during;
	char nmi[16];
};

static unsigned long *child_count;	/* shared with the child */

static int read_hook(struct totals *t, struct last *l)
{
	char buf[512];
	FILE *f = fopen(HOOK, "r");
	int n = 0;

	if (!f)
		return -errno;
	memset(l, 0, sizeof(*l));
	if (fgets(buf, sizeof(buf), f))
		n = sscanf(buf, TOTALS_FMT, &t->cpu, &t->entries, &t->entry_torn,
			   &t->pins, &t->refused, &t->pin_torn, &t->pin_entries,
			   &t->nmi_missed, &t->not_resumed);
	if (fgets(buf, sizeof(buf), f))
		sscanf(buf, LAST_FMT, &l->pinned, &l->tries, &l->held_us,
		       &l->entries_during, &l->torn, l->nmi, &l->resumed);
	fclose(f);
	return n == 9 ? 0 : -EINVAL;
}

/* One pin through the hook; its result in @l.  0 or -errno. */
static int do_pin(unsigned int hold_us, bool nmi, struct last *l)
{
	struct totals t;
	char cmd[32];
	int ret;

	snprintf(cmd, sizeof(cmd), "pin %u%s", hold_us, nmi ? " nmi" : "");
	ret = write_str(HOOK, cmd);
	if (read_hook(&t, l))
		return -EIO;
	return ret;
}

static bool pin_ok(const struct last *l, bool nmi)
{
	return l->pinned && l->entries_during == 0 && !l->torn && l->resumed &&
	       (!nmi || !strcmp(l->nmi, "handled"));
}

/* A child on @cpu that makes syscalls in a loop and counts them. */
static pid_t start_looper(int cpu)
{
	pid_t pid = fork_on_cpu(cpu);

	if (!pid) {
		/*
		 * Mostly user mode, so that pins succeed, yet thousands of
		 * entries a second on hardware.
		 */
		for (;;) {
			for (int i = 0; i < 1000; i++)
				__asm__ volatile("" ::: "memory");
			syscall(SYS_getppid);
			__atomic_fetch_add(child_count, 1, __ATOMIC_RELAXED);
		}
	}
	return pid;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* New kernel log records since @fd was opened: does one contain @pat? */
static int kmsg_grep(int fd, const char * const *pats, char *hit, size_t len)
{
	char rec[1024];
	ssize_t n;

	for (;;) {
		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;
		if (n <= 0)
			return 0;
		rec[n] = '\0';
		for (int i = 0; pats[i]; i++)
			if (strstr(rec, pats[i])) {
				snprintf(hit, len, "%.200s", rec);
				hit[strcspn(hit, "\n")] = '\0';
				return 1;
			}
	}
}

static int kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);

	if (fd >= 0)
		lseek(fd, 0, SEEK_END);
	return fd;
}

int main(void)
{
	static const char * const hold_warn[] = { "pinned for", NULL };
	static const char * const bad[] = {
		"self-detected stall", "rcu: INFO", "soft lockup", "hard LOCKUP",
		"hung_task", "blocked for more than", "BUG:", "WARNING:", NULL
	};
	struct perf_event_attr pa = {
		.type = PERF_TYPE_HARDWARE, .size = sizeof(pa),
		.config = PERF_COUNT_HW_CPU_CYCLES, .sample_period = 100000,
	};
	int iso = -1, hk = -1, kfd, pfd, seconds = 60;
	unsigned long c0, c1;
	struct cpu_stats st;
	struct totals t0, t;
	struct last l;
	bool defer_on = true, ok;
	char cmd[32], hit[256] = "";
	cpu_set_t mine;
	double end;
	pid_t pid;

	ksft_print_header();
	if (access(HOOK, W_OK))
		ksft_exit_skip("%s: %s (CONFIG_CPU_FLAGS, debugfs, root)\n", HOOK, strerror(errno));
	if (getenv("PIN_TORTURE_SECONDS"))
		seconds = atoi(getenv("PIN_TORTURE_SECONDS"));
	for (int c = 0; c < 64; c++) {
		if (read_stats(c, &st, &defer_on))
			continue;
		if (st.tracked)
			iso = c;
		else if (hk < 0)
			hk = c;
	}
	if (iso < 0 || hk < 0)
		ksft_exit_skip("needs a nohz_full CPU and a housekeeping CPU\n");
	CPU_ZERO(&mine);
	CPU_SET(hk, &mine);
	sched_setaffinity(0, sizeof(mine), &mine);
	child_count = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (child_count == MAP_FAILED)
		ksft_exit_fail_msg("mmap: %s\n", strerror(errno));
	kfd = kmsg_open();

	pid = start_looper(iso);
	usleep(200000);
	snprintf(cmd, sizeof(cmd), "start %d", iso);
	if (write_str(HOOK, "stop") || write_str(HOOK, cmd))
		ksft_exit_fail_msg("pin_test start %d: %s\n", iso, strerror(errno));
	ksft_print_msg("deferral %s; isolated CPU %d, housekeeping CPU %d\n",
		       defer_on ? "on" : "off (control)", iso, hk);

	if (!defer_on) {
		/* The control: nothing may be pinned. */
		ksft_set_plan(1);
		ksft_test_result(do_pin(0, false, &l) == -EAGAIN && !l.pinned,
				 "deferral off: CPU %d cannot be pinned\n", iso);
		goto out;
	}
	ksft_set_plan(9);

	/* 0. The control: the same hold without a pin sees entries. */
	ok = !write_str(HOOK, "hold 20000") && !read_hook(&t0, &l) && l.entries_during > 0;
	ksft_test_result(ok, "control: a 20 ms hold without a pin sees %ld entries\n",
			 l.entries_during);

	/* 1-2. A 20 ms pin holds off entries, and warns once past the limit. */
	write_str(WARN_US, "1000");
	ok = !do_pin(20000, false, &l) && pin_ok(&l, false);
	ksft_test_result(ok, "pinned for %ld us: %ld entries during the pin, pair %s, %s\n",
			 l.held_us, l.entries_during, l.torn ? "torn" : "consistent",
			 l.resumed ? "resumed after release" : "did not resume");
	usleep(100000);
	ksft_test_result(kfd >= 0 && kmsg_grep(kfd, hold_warn, hit, sizeof(hit)),
			 "hold past pin_warn_us=1000 warned: %s\n",
			 kfd >= 0 ? hit : "no /dev/kmsg");
	/* Single-threaded TCG can stall a vCPU for many ms: no noise below. */
	write_str(WARN_US, "1000000");

	/* 3. The pinned CPU handles NMIs, in user mode or waiting at entry. */
	ok = true;
	for (int i = 0; i < 10 && ok; i++)
		ok = !do_pin(2000, true, &l) && pin_ok(&l, true);
	ksft_test_result(ok, "NMIs sent to pinned CPU %d handled while pinned (last: nmi=%s)\n",
			 iso, l.nmi);

	/* 4. A perf NMI on the pinned CPU, where there is a PMU. */
	pfd = syscall(SYS_perf_event_open, &pa, -1, iso, -1, 0);
	if (pfd < 0) {
		ksft_test_result_skip("perf NMI: no hardware cycles event (%s)\n", strerror(errno));
	} else {
		long long n = 0;

		ok = true;
		for (int i = 0; i < 50 && ok; i++)
			ok = !do_pin(2000, false, &l) && pin_ok(&l, false);
		ok = ok && read(pfd, &n, sizeof(n)) == sizeof(n) && n > 0;
		close(pfd);
		ksft_test_result(ok, "50 pins under a perf NMI every 100000 cycles (%lld cycles)\n",
				 n);
	}

	/* 5-8. Torture: pins against a CPU that enters the kernel all the time. */
	read_hook(&t0, &l);
	c0 = __atomic_load_n(child_count, __ATOMIC_RELAXED);
	end = now() + seconds;
	srand(getpid());
	while (now() < end) {
		int ret = do_pin(rand() % 200, rand() % 16 == 0, &l);

		if (ret && ret != -EAGAIN)
			break;
	}
	c1 = __atomic_load_n(child_count, __ATOMIC_RELAXED);
	read_hook(&t, &l);
	ksft_print_msg("torture %d s: %ld pins, %ld refused, %ld entries, %lu syscalls\n",
		       seconds, t.pins - t0.pins, t.refused - t0.refused,
		       t.entries - t0.entries, c1 - c0);
	ksft_test_result(t.pins - t0.pins >= seconds,
			 "torture: %ld pins in %d s\n", t.pins - t0.pins, seconds);
	ksft_test_result(t.pin_entries == t0.pin_entries && t.pin_torn == t0.pin_torn &&
			 t.entry_torn == t0.entry_torn,
			 "torture: no entry during a pin, no torn pair (%ld, %ld, %ld)\n",
			 t.pin_entries - t0.pin_entries, t.pin_torn - t0.pin_torn,
			 t.entry_torn - t0.entry_torn);
	ksft_test_result(t.not_resumed == t0.not_resumed &&
			 t.nmi_missed == t0.nmi_missed && c1 > c0 &&
			 t.entries - t0.entries >= (long)(c1 - c0),
			 "torture: every pin released, every NMI handled, no entry lost (%ld entries >= %lu syscalls)\n",
			 t.entries - t0.entries, c1 - c0);
	hit[0] = '\0';
	ksft_test_result(kfd >= 0 && !kmsg_grep(kfd, bad, hit, sizeof(hit)),
			 "no stall, lockup or warning in the kernel log%s%s\n",
			 kfd >= 0 && *hit ? ": " : "", kfd >= 0 ? hit : " (no /dev/kmsg)");
out:
	write_str(HOOK, "stop");
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	ksft_finished();
}
