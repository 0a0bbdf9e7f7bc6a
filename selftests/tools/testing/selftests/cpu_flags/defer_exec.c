// SPDX-License-Identifier: GPL-2.0
/*
 * defer_exec: work deferred to an isolated CPU that runs user code is done
 * by that CPU at its next kernel entry, and refused where it must be.
 *
 * Uses the root-only /sys/kernel/debug/cpu_flags/defer_test hook, which
 * defers a TLB flush and a sync_core as a sender would, and the per-CPU
 * counters in /sys/kernel/debug/cpu_flags/stats.  With cpu_flags.defer=0
 * every deferral must be refused: the same test is the control.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../kselftest.h"
#include "cpu_flags_stats.h"

#define HOOK		CPU_FLAGS_DIR "/defer_test"

static bool defer_on;

/* Write @s to the hook: 0 if accepted, else -errno. */
static int poke(const char *s)
{
	return write_str(HOOK, s);
}

static int poke_cpu(int cpu)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%d\n", cpu);
	return poke(buf);
}

/* A child that spins in user space on @cpu until killed. */
static pid_t start_spinner(int cpu)
{
	pid_t pid = fork_on_cpu(cpu);

	if (!pid)
		for (;;)
			__asm__ volatile("pause" ::: "memory");
	return pid;
}

static void stop(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* Wait up to @ms for @cpu's mode to become @mode. */
static bool wait_mode(int cpu, int mode, int ms)
{
	struct cpu_stats st;

	for (int i = 0; i < ms / 10; i++) {
		if (!read_stats(cpu, &st, &defer_on) && st.mode == mode)
			return true;
		usleep(10000);
	}
	return false;
}

int main(void)
{
	struct cpu_stats before, after;
	int iso = -1, hk = -1, ret;
	cpu_set_t mine;
	pid_t pid;

	ksft_print_header();
	if (access(HOOK, W_OK))
		ksft_exit_skip("%s: %s (CONFIG_CPU_FLAGS, debugfs, root)\n", HOOK, strerror(errno));
	for (int c = 0; c < 64; c++) {
		if (read_stats(c, &before, &defer_on))
			continue;
		if (before.tracked && iso < 0)
			iso = c;
		if (!before.tracked && hk < 0)
			hk = c;
	}
	if (iso < 0 || hk < 0)
		ksft_exit_skip("needs a nohz_full CPU and a housekeeping CPU\n");
	CPU_ZERO(&mine);
	CPU_SET(hk, &mine);
	sched_setaffinity(0, sizeof(mine), &mine);
	ksft_set_plan(6);
	ksft_print_msg("deferral %s; isolated CPU %d, housekeeping CPU %d\n",
		       defer_on ? "on" : "off (control)", iso, hk);

	/* 1. A CPU in user mode takes the work, unless deferral is off. */
	pid = start_spinner(iso);
	if (!wait_mode(iso, 2, 3000))
		ksft_exit_fail_msg("CPU %d never showed user mode\n", iso);
	read_stats(iso, &before, &defer_on);
	ret = poke_cpu(iso);
	read_stats(iso, &after, &defer_on);
	if (defer_on)
		ksft_test_result(!ret && after.deferred_tlb == before.deferred_tlb + 1 &&
				 after.deferred_sync == before.deferred_sync + 1,
				 "work deferred to user-mode CPU %d (ret %d)\n", iso, ret);
	else
		ksft_test_result(ret == -EAGAIN && after.deferred_tlb == before.deferred_tlb,
				 "deferral off: user-mode CPU %d refused (ret %d)\n", iso, ret);

	/* 2. It does the work at its next kernel entry (its tick, at most 1s). */
	for (int i = 0; i < 300 && after.executed_sync == before.executed_sync; i++) {
		usleep(10000);
		read_stats(iso, &after, &defer_on);
	}
	if (defer_on)
		ksft_test_result(after.executed_tlb == before.executed_tlb + 1 &&
				 after.executed_sync == before.executed_sync + 1,
				 "CPU %d did the deferred TLB flush and sync_core at entry\n", iso);
	else
		ksft_test_result(after.executed_sync == before.executed_sync,
				 "deferral off: CPU %d executed nothing deferred\n", iso);
	stop(pid);

	/* 3. An idle isolated CPU is refused: the sender must IPI. */
	wait_mode(iso, 1, 3000);
	read_stats(iso, &before, &defer_on);
	ret = poke_cpu(iso);
	ksft_test_result(ret == -EAGAIN, "idle CPU %d (mode %d) refused (ret %d)\n",
			 iso, before.mode, ret);

	/* 4. A housekeeping CPU, in any mode, is refused. */
	ret = poke_cpu(hk);
	ksft_test_result(ret == -EAGAIN, "untracked CPU %d refused (ret %d)\n", hk, ret);

	/* 5. Bad input is rejected. */
	ksft_test_result(poke("banana\n") == -EINVAL && poke("99999\n") == -EINVAL,
			 "bad CPU numbers are rejected with EINVAL\n");

	/* 6. Nobody but root may defer work. */
	pid = fork();
	if (!pid) {
		if (setgid(65534) || setuid(65534))
			_exit(2);
		_exit(poke_cpu(iso) == -EACCES ? 0 : 1);
	}
	waitpid(pid, &ret, 0);
	ksft_test_result(WIFEXITED(ret) && WEXITSTATUS(ret) == 0,
			 "an unprivileged user cannot reach the hook\n");
	ksft_finished();
}
