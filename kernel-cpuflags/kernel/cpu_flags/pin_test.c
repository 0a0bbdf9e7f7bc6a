// SPDX-License-Identifier: GPL-2.0
/*
 * cpu_flags pin test hook, root only: debugfs cpu_flags/pin_test.
 *
 *   echo "start CPU" > pin_test   watch CPU's kernel entries from user mode
 *   echo "pin US [nmi]" > pin_test
 *                                 pin CPU (retrying for up to a second),
 *                                 check and rewrite its test pair as a
 *                                 pinned callback would, optionally send it
 *                                 an NMI and wait for it, hold US
 *                                 microseconds, let go, wait for it to enter
 *                                 the kernel again
 *   echo "hold US" > pin_test     the control: the same without the pin, so
 *                                 entries must show up during the hold
 *   echo stop > pin_test          stop watching
 *   cat pin_test                  the last pin's result and the totals
 *
 * The watched CPU's user_exit tracepoint (after its transition into the
 * kernel, so after any pin wait) counts entries and updates a per-CPU
 * pair in two steps with a delay between them; a pinned callback that
 * ran while the CPU was inside that update would see the halves differ.
 * See Documentation/core-api/cpu-flags.rst.
 */
#define pr_fmt(fmt) "cpu_flags: " fmt

#include <linux/atomic.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/fs.h>
#include <linux/init.h>
#include <linux/kstrtox.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/sched.h>
#include <linux/sched/clock.h>
#include <linux/seq_file.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/cpu_flags.h>
#include <trace/events/context_tracking.h>
#ifdef CONFIG_X86_LOCAL_APIC
#include <asm/apic.h>
#include <linux/nmi.h>
#endif

struct pin_test_pair {
	unsigned long a, b;
};
static DEFINE_PER_CPU(struct pin_test_pair, pin_test_pair);

static DEFINE_MUTEX(pin_test_lock);
static int pin_test_cpu = -1;		/* the watched CPU, -1 if none */
static atomic_long_t entries;		/* its kernel entries from user mode */
static atomic_long_t entry_torn;	/* entries that found the pair torn */
static atomic_t nmi_expected;
static atomic_long_t nmis;

/* Totals since "start", and the last pin's result. */
static struct {
	long pins, refused, pin_torn, pin_entries, nmi_missed, not_resumed;
	char last[192];
} res;

static void pin_test_user_exit(void *data, int dummy)
{
	struct pin_test_pair *p;

	if (raw_smp_processor_id() != READ_ONCE(pin_test_cpu))
		return;
	p = this_cpu_ptr(&pin_test_pair);
	if (READ_ONCE(p->a) != READ_ONCE(p->b))
		atomic_long_inc(&entry_torn);
	atomic_long_inc(&entries);
	WRITE_ONCE(p->a, p->a + 1);
	udelay(2);
	WRITE_ONCE(p->b, p->b + 1);
}

#ifdef CONFIG_X86_LOCAL_APIC
static int pin_test_nmi(unsigned int type, struct pt_regs *regs)
{
	if (raw_smp_processor_id() != READ_ONCE(pin_test_cpu) ||
	    !atomic_xchg(&nmi_expected, 0))
		return NMI_DONE;
	atomic_long_inc(&nmis);
	return NMI_HANDLED;
}

static int pin_test_nmi_register(void)
{
	return register_nmi_handler(NMI_LOCAL, pin_test_nmi, 0, "cpu_flags_pin_test");
}

static void pin_test_nmi_unregister(void)
{
	unregister_nmi_handler(NMI_LOCAL, "cpu_flags_pin_test");
}

/* Send the watched CPU an NMI and wait up to 500 ms for it: pinned or not. */
static bool pin_test_nmi_roundtrip(int cpu)
{
	long before = atomic_long_read(&nmis);
	u64 t0 = local_clock();

	atomic_set(&nmi_expected, 1);
	__apic_send_IPI(cpu, NMI_VECTOR);
	while (atomic_long_read(&nmis) == before) {
		if (local_clock() - t0 > 500 * NSEC_PER_MSEC) {
			atomic_set(&nmi_expected, 0);
			return false;
		}
		cpu_relax();
	}
	return true;
}
#else
static int pin_test_nmi_register(void) { return 0; }
static void pin_test_nmi_unregister(void) { }
static bool pin_test_nmi_roundtrip(int cpu) { return false; }
#endif

static int pin_test_start(int cpu)
{
	int ret;

	if (cpu < 0 || cpu >= nr_cpu_ids || !cpu_online(cpu) || !cpu_flags_tracked(cpu))
		return -EINVAL;
	if (pin_test_cpu >= 0)
		return -EBUSY;
	memset(&res, 0, sizeof(res));
	atomic_long_set(&entries, 0);
	atomic_long_set(&entry_torn, 0);
	WRITE_ONCE(pin_test_cpu, cpu);
	ret = register_trace_user_exit(pin_test_user_exit, NULL);
	if (ret)
		goto out;
	ret = pin_test_nmi_register();
	if (ret) {
		unregister_trace_user_exit(pin_test_user_exit, NULL);
		goto out;
	}
	return 0;
out:
	WRITE_ONCE(pin_test_cpu, -1);
	return ret;
}

static void pin_test_stop(void)
{
	if (pin_test_cpu < 0)
		return;
	pin_test_nmi_unregister();
	unregister_trace_user_exit(pin_test_user_exit, NULL);
	tracepoint_synchronize_unregister();
	WRITE_ONCE(pin_test_cpu, -1);
}

static int pin_test_pin(unsigned int hold_us, bool nmi, bool pin)
{
	int cpu = pin_test_cpu;
	u64 deadline = local_clock() + NSEC_PER_SEC, t0, held;
	long e0, e1, tries = 0;
	struct pin_test_pair *p;
	bool torn, nmi_ok = false, resumed;

	if (cpu < 0)
		return -ENODEV;
	for (;;) {
		preempt_disable();
		tries++;
		if (cpu != smp_processor_id() && (!pin || cpu_flags_pin(cpu)))
			break;
		preempt_enable();
		if (local_clock() > deadline) {
			res.refused++;
			snprintf(res.last, sizeof(res.last), "pinned=0 tries=%ld\n", tries);
			return -EAGAIN;
		}
		/* Sleep, not spin: under an emulator the target needs the time. */
		usleep_range(10, 20);
	}
	/* Pinned: what a pinned callback does, on the target's per-CPU data. */
	t0 = local_clock();
	e0 = atomic_long_read(&entries);
	p = per_cpu_ptr(&pin_test_pair, cpu);
	torn = READ_ONCE(p->a) != READ_ONCE(p->b);
	if (pin) {
		WRITE_ONCE(p->a, p->a + 1000);
		udelay(2);
		WRITE_ONCE(p->b, p->b + 1000);
	}
	if (nmi)
		nmi_ok = pin_test_nmi_roundtrip(cpu);
	while (local_clock() - t0 < (u64)hold_us * NSEC_PER_USEC)
		cpu_relax();
	e1 = atomic_long_read(&entries);
	held = local_clock() - t0;
	if (pin)
		cpu_flags_unpin(cpu);
	preempt_enable();
	if (!pin) {
		snprintf(res.last, sizeof(res.last),
			 "pinned=0 tries=%ld held_us=%llu entries_during=%ld torn=%d nmi=none resumed=1\n",
			 tries, div_u64(held, NSEC_PER_USEC), e1 - e0, torn);
		return 0;
	}

	/* Let go: the target must enter again (it makes syscalls). */
	deadline = local_clock() + 2 * NSEC_PER_SEC;
	while (!(resumed = atomic_long_read(&entries) != e1) && local_clock() < deadline)
		usleep_range(50, 100);

	res.pins++;
	res.pin_torn += torn;
	res.pin_entries += e1 - e0;
	res.nmi_missed += nmi && !nmi_ok;
	res.not_resumed += !resumed;
	snprintf(res.last, sizeof(res.last),
		 "pinned=1 tries=%ld held_us=%llu entries_during=%ld torn=%d nmi=%s resumed=%d\n",
		 tries, div_u64(held, NSEC_PER_USEC), e1 - e0, torn,
		 nmi ? (nmi_ok ? "handled" : "missed") : "none", resumed);
	return 0;
}

static ssize_t pin_test_write(struct file *file, const char __user *ubuf,
			      size_t count, loff_t *ppos)
{
	char buf[64], *cmd, *arg, *s;
	unsigned int n;
	int ret;

	if (count >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';
	s = strim(buf);
	cmd = strsep(&s, " ");
	arg = strsep(&s, " ");

	mutex_lock(&pin_test_lock);
	if (!strcmp(cmd, "start") && arg && !kstrtouint(arg, 10, &n)) {
		ret = pin_test_start(n);
	} else if (!strcmp(cmd, "pin") && arg && !kstrtouint(arg, 10, &n) &&
		   n <= USEC_PER_SEC && (!s || !strcmp(s, "nmi"))) {
		ret = pin_test_pin(n, !!s, true);
	} else if (!strcmp(cmd, "hold") && arg && !kstrtouint(arg, 10, &n) &&
		   n <= USEC_PER_SEC && !s) {
		ret = pin_test_pin(n, false, false);
	} else if (!strcmp(cmd, "stop") && !arg) {
		pin_test_stop();
		ret = 0;
	} else {
		ret = -EINVAL;
	}
	mutex_unlock(&pin_test_lock);
	return ret ? ret : count;
}

static int pin_test_show(struct seq_file *m, void *v)
{
	mutex_lock(&pin_test_lock);
	seq_printf(m, "cpu %d entries %ld entry_torn %ld pins %ld refused %ld pin_torn %ld pin_entries %ld nmi_missed %ld not_resumed %ld\n",
		   pin_test_cpu, atomic_long_read(&entries), atomic_long_read(&entry_torn),
		   res.pins, res.refused, res.pin_torn, res.pin_entries, res.nmi_missed,
		   res.not_resumed);
	seq_puts(m, res.last);
	mutex_unlock(&pin_test_lock);
	return 0;
}

static int pin_test_open(struct inode *inode, struct file *file)
{
	return single_open(file, pin_test_show, NULL);
}

static const struct file_operations pin_test_fops = {
	.open = pin_test_open,
	.read = seq_read,
	.write = pin_test_write,
	.llseek = seq_lseek,
	.release = single_release,
};

static int __init pin_test_init(void)
{
	struct dentry *dir = debugfs_lookup("cpu_flags", NULL);

	if (!dir)
		return 0;
	debugfs_create_file("pin_test", 0600, dir, NULL, &pin_test_fops);
	dput(dir);
	return 0;
}
late_initcall_sync(pin_test_init);
