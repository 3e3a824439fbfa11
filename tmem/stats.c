// SPDX-License-Identifier: GPL-2.0
/*
 * tmem statistics in debugfs: /sys/kernel/debug/tmem/stats, one
 * "name value" per line.  Counters count events since load; gauges
 * (stored_pages, same_filled_pages, compressed_bytes, pool_pages, pools)
 * describe what is held now.
 */

#include <linux/atomic.h>
#include <linux/debugfs.h>
#include <linux/math64.h>
#include <linux/module.h>
#include <linux/seq_file.h>

#include "tmem.h"

static atomic64_t tmem_stats[TMEM_NR_STATS];
static struct dentry *tmem_debugfs;

static const char * const tmem_stat_names[TMEM_NR_STATS] = {
	[TMEM_STAT_PUTS] = "puts",
	[TMEM_STAT_GETS] = "gets",
	[TMEM_STAT_HITS] = "hits",
	[TMEM_STAT_MISSES] = "misses",
	[TMEM_STAT_INVALIDATE_PAGES] = "invalidate_pages",
	[TMEM_STAT_INVALIDATE_INODES] = "invalidate_inodes",
	[TMEM_STAT_INVALIDATE_FSS] = "invalidate_fss",
	[TMEM_STAT_EVICTIONS] = "evictions",
	[TMEM_STAT_STORED_PAGES] = "stored_pages",
	[TMEM_STAT_SAME_FILLED_PAGES] = "same_filled_pages",
	[TMEM_STAT_DEDUP_HITS] = "dedup_hits",
	[TMEM_STAT_REJECTED_PAGES] = "rejected_pages",
	[TMEM_STAT_REJECTED_INCOMPRESSIBLE] = "rejected_incompressible",
	[TMEM_STAT_REJECTED_NOMEM] = "rejected_nomem",
	[TMEM_STAT_REJECTED_BUSY] = "rejected_busy",
	[TMEM_STAT_REJECTED_CAP] = "rejected_cap",
	[TMEM_STAT_COMPRESSED_BYTES] = "compressed_bytes",
	[TMEM_STAT_INTEGRITY_FAILURES] = "integrity_failures",
	[TMEM_STAT_POOLS] = "pools",
	[TMEM_STAT_KEPT_PAGES] = "kept_pages",
	[TMEM_STAT_REUSED_PAGES] = "reused_pages",
	[TMEM_STAT_PUT_NS] = "put_ns",
	[TMEM_STAT_COMPRESS_NS] = "compress_ns",
	[TMEM_STAT_GET_NS] = "get_ns",
	[TMEM_STAT_LOAD_NS] = "load_ns",
	[TMEM_STAT_WORKER_NS] = "worker_ns",
	[TMEM_STAT_COMPACT_NS] = "compact_ns",
	[TMEM_STAT_COMPACTIONS] = "compactions",
	[TMEM_STAT_SHRINK_NS] = "shrink_ns",
};

/**
 * tmem_stat_add() - add to a counter or gauge
 * @stat: which
 * @delta: how much (negative for a gauge going down)
 */
void tmem_stat_add(enum tmem_stat stat, s64 delta)
{
	atomic64_add(delta, &tmem_stats[stat]);
}

/**
 * tmem_stat_reject() - count a page that was not stored, and why
 * @err: -E2BIG: incompressible; -ENOMEM: an allocation failed; -ENOSPC:
 *       the store worker was too far behind; -EDQUOT: no room under the
 *       cap; anything else (no such pool) counts only in the total
 */
void tmem_stat_reject(int err)
{
	tmem_stat_inc(TMEM_STAT_REJECTED_PAGES);
	switch (err) {
	case -E2BIG:
		tmem_stat_inc(TMEM_STAT_REJECTED_INCOMPRESSIBLE);
		break;
	case -ENOMEM:
		tmem_stat_inc(TMEM_STAT_REJECTED_NOMEM);
		break;
	case -ENOSPC:
		tmem_stat_inc(TMEM_STAT_REJECTED_BUSY);
		break;
	case -EDQUOT:
		tmem_stat_inc(TMEM_STAT_REJECTED_CAP);
		break;
	}
}

/**
 * tmem_stat_read() - the value of a counter or gauge
 * @stat: which
 *
 * Return: its value.
 */
s64 tmem_stat_read(enum tmem_stat stat)
{
	return atomic64_read(&tmem_stats[stat]);
}
EXPORT_SYMBOL_IF_KUNIT(tmem_stat_read);

static void tmem_stat_show(struct seq_file *m, enum tmem_stat stat)
{
	seq_printf(m, "%s %lld\n", tmem_stat_names[stat], tmem_stat_read(stat));
}

static int tmem_stats_show(struct seq_file *m, void *v)
{
	u64 pool_pages = tmem_pool_pages();
	u64 stored = max_t(s64, tmem_stat_read(TMEM_STAT_STORED_PAGES), 0);
	u64 ratio = 0;
	int i;

	/* In hundredths: pages stored per page of zsmalloc memory. */
	if (pool_pages)
		ratio = div64_u64(stored * 100, pool_pages);
	for (i = 0; i <= TMEM_STAT_COMPRESSED_BYTES; i++)
		tmem_stat_show(m, i);
	seq_printf(m, "pool_pages %llu\n", pool_pages);
	seq_printf(m, "compression_ratio %llu.%02llu\n", ratio / 100,
		   ratio % 100);
	tmem_stat_show(m, TMEM_STAT_INTEGRITY_FAILURES);
	for (i = TMEM_STAT_POOLS; i < TMEM_NR_STATS; i++)
		tmem_stat_show(m, i);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(tmem_stats);

/**
 * tmem_stats_init() - create /sys/kernel/debug/tmem/stats
 *
 * Return: 0; debugfs is optional.
 */
int tmem_stats_init(void)
{
	tmem_debugfs = debugfs_create_dir("tmem", NULL);
	debugfs_create_file("stats", 0444, tmem_debugfs, NULL,
			    &tmem_stats_fops);
	return 0;
}

/**
 * tmem_stats_exit() - remove the debugfs files
 */
void tmem_stats_exit(void)
{
	debugfs_remove(tmem_debugfs);
}
