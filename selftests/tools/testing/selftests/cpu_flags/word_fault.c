// SPDX-License-Identifier: GPL-2.0
/*
 * The page that holds a CPU's cpu_flags word is mapped into the PTI user
 * page tables, so that the entry code can read it before it switches CR3.
 * It must never be accessible to user code: for every CPU, a read and a
 * write of the word from user mode must fault with SIGSEGV.
 *
 * The addresses come from the root-only debugfs file cpu_flags/words.
 * As a control that the child really performs the access, the same child
 * code reads and writes a user page of its own and must survive.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../kselftest.h"

#define WORDS "/sys/kernel/debug/cpu_flags/words"
#define MAX_CPUS 64

static unsigned int own_word = 42;

/*
 * Run one access in a child pinned to @cpu, so that the CPU's own word is
 * also the one its page tables map.  Returns the signal that killed the
 * child, 0 if it exited normally, -2 if @cpu is offline, -1 on error.
 */
static int access_in_child(int cpu, uintptr_t addr, int write)
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set))
			_exit(3);	/* offline CPU */
		/* Atomic accesses, so that the compiler cannot drop them. */
		if (write)
			__atomic_store_n((unsigned int *)addr, 0, __ATOMIC_RELAXED);
		else
			(void)__atomic_load_n((unsigned int *)addr, __ATOMIC_RELAXED);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 3)
		return -2;
	return WIFSIGNALED(status) ? WTERMSIG(status) : 0;
}

int main(void)
{
	uintptr_t addr[MAX_CPUS];
	int cpus[MAX_CPUS], n = 0, i, sig;
	unsigned long long a;
	FILE *f;

	ksft_print_header();
	f = fopen(WORDS, "r");
	if (!f)
		ksft_exit_skip("%s: %s (needs root, debugfs and CONFIG_CPU_FLAGS)\n",
			       WORDS, strerror(errno));
	while (n < MAX_CPUS && fscanf(f, "%d %llx", &cpus[n], &a) == 2)
		addr[n++] = (uintptr_t)a;
	fclose(f);
	if (!n)
		ksft_exit_fail_msg("no CPU in %s\n", WORDS);

	ksft_set_plan(2 * n + 2);

	/* Control: the child's access itself works on a user page. */
	sig = access_in_child(cpus[0], (uintptr_t)&own_word, 0);
	ksft_test_result(sig == 0, "control: user read of own page survives (sig %d)\n", sig);
	sig = access_in_child(cpus[0], (uintptr_t)&own_word, 1);
	ksft_test_result(sig == 0, "control: user write of own page survives (sig %d)\n", sig);

	for (i = 0; i < n; i++) {
		sig = access_in_child(cpus[i], addr[i], 0);
		if (sig == -2) {
			ksft_test_result_skip("CPU %d offline: read\n", cpus[i]);
			ksft_test_result_skip("CPU %d offline: write\n", cpus[i]);
			continue;
		}
		ksft_test_result(sig == SIGSEGV,
				 "CPU %d: user read of word at %#lx faults (sig %d)\n",
				 cpus[i], (unsigned long)addr[i], sig);
		sig = access_in_child(cpus[i], addr[i], 1);
		ksft_test_result(sig == SIGSEGV,
				 "CPU %d: user write of word at %#lx faults (sig %d)\n",
				 cpus[i], (unsigned long)addr[i], sig);
	}
	ksft_finished();
}
