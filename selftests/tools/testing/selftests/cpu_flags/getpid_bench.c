// SPDX-License-Identifier: GPL-2.0
/*
 * getpid_bench: the cost of a kernel round trip (getpid) on one CPU.
 *
 *   getpid_bench -c CPU [-t seconds-per-round] [-r rounds]
 *
 * Pins itself to CPU, then for each round calls getpid() in a loop for a
 * fixed time and reports nanoseconds per call.  Prints TAP and a line
 * "# getpid cpu=N rounds=R min_ns=X median_ns=Y max_ns=Z" for scripts.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "../kselftest.h"

#define MAX_ROUNDS 64

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
	int opt, cpu = -1, rounds = 5;
	cpu_set_t set;

	while ((opt = getopt(argc, argv, "c:t:r:")) != -1) {
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
		default:
			fprintf(stderr, "usage: %s -c CPU [-t seconds] [-r rounds]\n", argv[0]);
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
	}
	qsort(ns, rounds, sizeof(ns[0]), cmp);
	ksft_print_msg("getpid cpu=%d rounds=%d min_ns=%.1f median_ns=%.1f max_ns=%.1f\n",
		       cpu, rounds, ns[0], ns[rounds / 2], ns[rounds - 1]);
	ksft_test_result_pass("getpid round trip on CPU %d: %.1f ns (median of %d)\n",
			      cpu, ns[rounds / 2], rounds);
	ksft_finished();
}
