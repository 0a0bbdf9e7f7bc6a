// SPDX-License-Identifier: GPL-2.0
/*
 * spin CPULIST: one user-mode spinner per CPU of CPULIST (for example
 * 2-15,20), each bound to its CPU and never entering the kernel; the
 * parent waits until it is sent SIGTERM or SIGINT and then kills them.
 * The loop pauses after every burst of about a thousand instructions:
 * under single-threaded TCG a pause ends the vCPU's turn, so spinners do
 * not hold the emulator for a whole time slice each (100 ms); and under
 * -icount, where the guest clock advances only by the instructions run
 * while any vCPU is busy, the burst keeps that clock moving (a bare pause
 * loop advances it by two instructions per turn, and a sleep of the
 * housekeeping CPUs never ends).
 * Prints "spin: N spinners" once they run.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_SPINNERS 1024
/* Loop iterations between pauses: about a thousand instructions. */
#define SPIN_BURST 500

static pid_t kids[MAX_SPINNERS];
static int nkids;
static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = sig;
}

static void spin_on(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set)) {
		fprintf(stderr, "spin: CPU %d: %s\n", cpu, strerror(errno));
		_exit(1);
	}
	for (;;) {
		for (int i = 0; i < SPIN_BURST; i++)
			__asm__ volatile("" ::: "memory");
		__asm__ volatile("pause" ::: "memory");
	}
}

static int start(int cpu)
{
	pid_t pid;

	if (nkids == MAX_SPINNERS || cpu >= CPU_SETSIZE) {
		fprintf(stderr, "spin: CPU %d: too many or too large\n", cpu);
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		perror("spin: fork");
		return -1;
	}
	if (!pid) {
		sigset_t none;

		/* The parent kills it with SIGKILL; nothing else to block. */
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		spin_on(cpu);
	}
	kids[nkids++] = pid;
	return 0;
}

int main(int argc, char **argv)
{
	char *list, *tok, *end;
	sigset_t block, old;
	int ret = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: spin CPULIST\n");
		return 2;
	}
	/* Blocked until sigsuspend(), so that none is lost before it waits. */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, &old);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	list = strdup(argv[1]);
	for (tok = strtok(list, ","); tok && !ret; tok = strtok(NULL, ",")) {
		long a = strtol(tok, &end, 10), b = a;

		if (end == tok || a < 0 || (*end && *end != '-')) {
			fprintf(stderr, "spin: bad CPU list '%s'\n", argv[1]);
			ret = 2;
			break;
		}
		if (*end == '-') {
			char *e2;

			b = strtol(end + 1, &e2, 10);
			if (e2 == end + 1 || *e2 || b < a) {
				fprintf(stderr, "spin: bad CPU list '%s'\n", argv[1]);
				ret = 2;
				break;
			}
		}
		for (; a <= b && !ret; a++)
			ret = start(a) ? 1 : 0;
	}
	if (!ret) {
		printf("spin: %d spinners\n", nkids);
		fflush(stdout);
		while (!stop)
			sigsuspend(&old);
	}
	for (int i = 0; i < nkids; i++)
		kill(kids[i], SIGKILL);
	while (wait(NULL) > 0)
		;
	return ret;
}
