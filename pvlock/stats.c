// SPDX-License-Identifier: GPL-2.0
/*
 * pvlock statistics in debugfs: /sys/kernel/debug/pvlock/stats (read) and
 * /sys/kernel/debug/pvlock/reset (write anything to zero the counters).
 */

#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/percpu.h>
#include <linux/seq_file.h>
#include <kunit/visibility.h>

#include "internal.h"

/**
 * struct pvlock_stats - one CPU's counters
 * @count: the counters of enum pvlock_stat
 * @hist: halts by duration: bucket i counts halts under 10^i us, the last
 *        one everything longer
 */
struct pvlock_stats {
	u64 count[PVLOCK_NR_STATS];
	u64 hist[PVLOCK_HIST_BUCKETS];
};

static DEFINE_PER_CPU(struct pvlock_stats, pvlock_stats);
static struct dentry *pvlock_debugfs;

const char * const pvlock_stat_names[PVLOCK_NR_STATS] = {
	[PVLOCK_STAT_SLOWPATH] = "slowpath",
	[PVLOCK_STAT_SLOWPATH_NESTED] = "slowpath_nested",
	[PVLOCK_STAT_HALTS] = "halts",
	[PVLOCK_STAT_NOHALT_IRQSOFF] = "nohalt_irqsoff",
	[PVLOCK_STAT_NOHALT_NMI] = "nohalt_nmi",
	[PVLOCK_STAT_UNLOCK_SLOW] = "unlock_slow",
	[PVLOCK_STAT_KICKS] = "kicks",
	[PVLOCK_STAT_KICK_NONE] = "kick_none",
	[PVLOCK_STAT_KICK_NMI] = "kick_nmi_deferred",
	[PVLOCK_STAT_WAKE_AHEAD] = "wake_ahead",
	[PVLOCK_STAT_WAKE_KICKED] = "wake_kicked",
	[PVLOCK_STAT_WAKE_SPURIOUS] = "wake_spurious",
	[PVLOCK_STAT_WAKE_UNKICKED] = "wake_unkicked",
	[PVLOCK_STAT_LOST_KICK] = "lost_kick",
	[PVLOCK_STAT_WATCHDOG] = "watchdog_kick",
	[PVLOCK_STAT_MARK_CLEARED] = "mark_cleared",
	[PVLOCK_STAT_HALT_NS] = "halt_ns",
};

void pvlock_stat_inc(enum pvlock_stat stat)
{
	this_cpu_inc(pvlock_stats.count[stat]);
}

void pvlock_stat_halt(u64 ns)
{
	u64 limit = NSEC_PER_USEC;
	int i;

	this_cpu_add(pvlock_stats.count[PVLOCK_STAT_HALT_NS], ns);
	for (i = 0; i < PVLOCK_HIST_BUCKETS - 1 && ns >= limit; i++)
		limit *= 10;
	this_cpu_inc(pvlock_stats.hist[i]);
}

static u64 pvlock_hist_read(int bucket)
{
	u64 sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += per_cpu_ptr(&pvlock_stats, cpu)->hist[bucket];
	return sum;
}

/**
 * pvlock_stat_read() - a counter summed over all CPUs
 * @stat: the counter
 *
 * Return: its value.
 */
VISIBLE_IF_KUNIT u64 pvlock_stat_read(enum pvlock_stat stat)
{
	u64 sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += per_cpu_ptr(&pvlock_stats, cpu)->count[stat];
	return sum;
}
EXPORT_SYMBOL_IF_KUNIT(pvlock_stat_read);

static int pvlock_stats_show(struct seq_file *m, void *unused)
{
	u64 limit = 1;
	int i;

	seq_printf(m, "backend %s\n", pvlock_backend_name());
	for (i = 0; i < PVLOCK_NR_STATS; i++)
		seq_printf(m, "%s %llu\n", pvlock_stat_names[i],
			   pvlock_stat_read(i));
	for (i = 0; i < PVLOCK_HIST_BUCKETS - 1; i++, limit *= 10)
		seq_printf(m, "halt_lt_%lluus %llu\n", limit,
			   pvlock_hist_read(i));
	seq_printf(m, "halt_ge_%lluus %llu\n", limit / 10,
		   pvlock_hist_read(i));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(pvlock_stats);

static ssize_t pvlock_reset_write(struct file *file, const char __user *buf,
				  size_t len, loff_t *ppos)
{
	int cpu;

	for_each_possible_cpu(cpu)
		memset(per_cpu_ptr(&pvlock_stats, cpu), 0,
		       sizeof(struct pvlock_stats));
	return len;
}

static const struct file_operations pvlock_reset_fops = {
	.owner = THIS_MODULE,
	.write = pvlock_reset_write,
	.llseek = noop_llseek,
};

int pvlock_stats_init(void)
{
	pvlock_debugfs = debugfs_create_dir("pvlock", NULL);
	debugfs_create_file("stats", 0444, pvlock_debugfs, NULL,
			    &pvlock_stats_fops);
	debugfs_create_file("reset", 0200, pvlock_debugfs, NULL,
			    &pvlock_reset_fops);
	return 0;
}

void pvlock_stats_exit(void)
{
	debugfs_remove(pvlock_debugfs);
}
