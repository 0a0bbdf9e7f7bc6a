/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reading /sys/kernel/debug/cpu_flags/stats, shared by the cpu_flags
 * selftests.  The columns are those of cpu_flags_stats_show().  Also the
 * hook writer and the child they run on an isolated CPU.  Include after
 * <sched.h> with _GNU_SOURCE.
 */
#ifndef CPU_FLAGS_STATS_H
#define CPU_FLAGS_STATS_H

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define CPU_FLAGS_DIR	"/sys/kernel/debug/cpu_flags"
#define CPU_FLAGS_STATS	CPU_FLAGS_DIR "/stats"

struct cpu_stats {
	int tracked, mode;
	long deferred_tlb, deferred_sync, refused, executed_tlb, executed_sync, pins;
};

/*
 * Fill @st with @cpu's row; if @defer_on is not NULL, also say whether
 * deferral is on.  Returns 0, or -errno / -ENOENT.
 */
static inline int read_stats(int cpu, struct cpu_stats *st, bool *defer_on)
{
	char line[256];
	FILE *f = fopen(CPU_FLAGS_STATS, "r");
	int ret = -ENOENT;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		int c;

		if (!strncmp(line, "defer ", 6)) {
			if (defer_on)
				*defer_on = !strncmp(line + 6, "on", 2);
			continue;
		}
		if (sscanf(line, "%d %d %d %ld %ld %ld %ld %ld %ld", &c, &st->tracked, &st->mode,
			   &st->deferred_tlb, &st->deferred_sync, &st->refused,
			   &st->executed_tlb, &st->executed_sync, &st->pins) == 9 && c == cpu) {
			ret = 0;
			break;
		}
	}
	fclose(f);
	return ret;
}

/* Write @s to @path (a debugfs hook, a parameter): 0, or -errno. */
static inline int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY), ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, s, strlen(s)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/* fork() a child bound to @cpu: 0 in the child, its pid in the parent. */
static inline pid_t fork_on_cpu(int cpu)
{
	cpu_set_t set;
	pid_t pid;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	pid = fork();
	if (!pid && sched_setaffinity(0, sizeof(set), &set))
		_exit(1);
	return pid;
}

#endif /* CPU_FLAGS_STATS_H */
