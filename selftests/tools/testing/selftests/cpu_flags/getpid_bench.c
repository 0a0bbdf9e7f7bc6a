// SPDX-License-Identifier: GPL-2.0
/*
 * getpid_bench: the cost of a kernel round trip (getpid) on one CPU.
 *
 *   getpid_bench -c CPU [-t seconds-per-round] [-r rounds] [-p HKCPU]
 *
 * Pins itself to CPU, then for each round calls getpid() in a loop for a
 * fixed time and reports nanoseconds per call.  Prints TAP and a line
 * "# getpid cpu=N rounds=R min_ns=X median_ns=Y max_ns=Z" for scripts.
 *
 * -p HKCPU: the cost of an entry with work pending.  A helper pinned to
 * HKCPU keeps deferring a TLB flush and a sync_core to CPU through the
 * root-only cpu_flags/defer_test hook, so that many entries find work; the
 * line "# getpid pending cpu=N fraction=F" then gives the fraction of calls
 * whose entry did deferred work (from cpu_flags/stats).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>
#include <errno.h>

#include "../kselftest.h"
#include "cpu_flags_stats.h"

#define MAX_ROUNDS 64
#define DEFER_TEST CPU_FLAGS_DIR "/defer_test"

/* CPU's executed_sync count in cpu_flags/stats, -1 if unreadable. */
static long executed_sync(int cpu)
{
	struct cpu_stats st;

	return read_stats(cpu, &st, NULL) ? -1 : st.executed_sync;
}

/* The helper: defer work to @cpu from @hk until killed. */
static pid_t start_deferrer(int cpu, int hk)
{
	char buf[16];
	cpu_set_t set;
	pid_t pid;
	int fd, n;

	fd = open(DEFER_TEST, O_WRONLY);
	if (fd < 0)
		return -1;
	n = snprintf(buf, sizeof(buf), "%d", cpu);
	pid = fork();
	if (pid) {
		close(fd);
		return pid;
	}
	CPU_ZERO(&set);
	CPU_SET(hk, &set);
	sched_setaffinity(0, sizeof(set), &set);
	for (;;)
		(void)!write(fd, buf, n);	/* EAGAIN while CPU is in the kernel */
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	double ns[MAX_ROUNDS], seconds = 2;
	int opt, cpu = -1, rounds = 5, hk = -1;
	unsigned long total_calls = 0;
	long sync_before = 0;
	pid_t deferrer = 0;
	cpu_set_t set;

	while ((opt = getopt(argc, argv, "c:t:r:p:")) != -1) {
		switch (opt) {
		case 'c':
			cpu = atoi(optarg);
			break;
		case 't':
			seconds = atof(optarg);
			break;
		case 'r':
			rounds = atoi(optarg);
			break;
		case 'p':
			hk = atoi(optarg);
			break;
		default:
			fprintf(stderr, "usage: %s -c CPU [-t seconds] [-r rounds] [-p HKCPU]\n",
				argv[0]);
			return KSFT_FAIL;
		}
	}
	ksft_print_header();
	if (cpu < 0 || rounds < 1 || rounds > MAX_ROUNDS || seconds <= 0)
		ksft_exit_fail_msg("bad arguments: -c CPU, 1 <= -r <= %d, -t > 0\n", MAX_ROUNDS);
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		ksft_exit_skip("cannot run on CPU %d\n", cpu);
	ksft_set_plan(1);
	if (hk >= 0) {
		sync_before = executed_sync(cpu);
		deferrer = start_deferrer(cpu, hk);
		if (deferrer < 0 || sync_before < 0)
			ksft_exit_skip("-p needs root, debugfs and CONFIG_CPU_FLAGS: %s\n",
				       strerror(errno));
	}
	for (int r = 0; r < rounds; r++) {
		double start = now(), end = start + seconds, t;
		unsigned long calls = 0;

		do {
			for (int i = 0; i < 1000; i++)
				syscall(SYS_getpid);
			calls += 1000;
			t = now();
		} while (t < end);
		ns[r] = (t - start) * 1e9 / calls;
		total_calls += calls;
	}
	qsort(ns, rounds, sizeof(ns[0]), cmp);
	ksft_print_msg("getpid cpu=%d rounds=%d min_ns=%.1f median_ns=%.1f max_ns=%.1f\n",
		       cpu, rounds, ns[0], ns[rounds / 2], ns[rounds - 1]);
	if (deferrer > 0) {
		long done;

		kill(deferrer, SIGKILL);
		waitpid(deferrer, NULL, 0);
		done = executed_sync(cpu) - sync_before;
		ksft_print_msg("getpid pending cpu=%d fraction=%.3f\n", cpu,
			       (double)done / total_calls);
		if (done <= 0)
			ksft_exit_fail_msg("no entry of CPU %d did deferred work\n", cpu);
	}
	ksft_test_result_pass("getpid round trip on CPU %d: %.1f ns (median of %d)\n",
			      cpu, ns[rounds / 2], rounds);
	ksft_finished();
}
