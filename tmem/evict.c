// SPDX-License-Identifier: GPL-2.0
/*
 * tmem eviction: the LRU of ephemeral pages, the pool cap, and a shrinker
 * that gives memory back under pressure.
 *
 * Every page of an ephemeral pool is on one global LRU, newest at the
 * head; a put adds at the head, a hit in a shared pool moves the page
 * back there.  The store worker evicts from the tail when the memory
 * used (zsmalloc's pages plus the metadata and staged data counted by
 * tmem_meta_add()) is over the cap, and the shrinker does when the kernel
 * asks.
 */

#include <linux/mm.h>
#include <linux/module.h>
#include <linux/sched/clock.h>
#include <linux/shrinker.h>

#include "tmem.h"
#include "trace.h"

/*
 * The shrinker's cost of recreating an object, relative to DEFAULT_SEEKS:
 * the pool is bounded by its cap already, and under page-cache churn
 * (every put comes from reclaim) the default pressure evicts most pages
 * before they can be read again.
 */
#define TMEM_SEEKS		(4 * DEFAULT_SEEKS)

/* Entries per lock hold when the shrinker evicts. */
#define TMEM_EVICT_BATCH	32

/* Ephemeral entries, most recently used first (tmem_lock). */
static LIST_HEAD(tmem_lru);
/* Entries on tmem_lru (tmem_lock; read locklessly by the shrinker). */
static unsigned long tmem_nr_lru;
/* Bytes of metadata and staged data, outside zsmalloc. */
static atomic_long_t tmem_meta_bytes;

/**
 * tmem_meta_add() - count memory held outside zsmalloc
 * @bytes: allocated (positive) or freed (negative)
 */
void tmem_meta_add(long bytes)
{
	atomic_long_add(bytes, &tmem_meta_bytes);
}

/**
 * tmem_used_pages() - the memory the pool cap bounds, in pages
 *
 * zsmalloc's pages, and every entry, object, blob header and staged byte.
 *
 * Context: any context; no lock needed.
 * Return: the number of pages.
 */
unsigned long tmem_used_pages(void)
{
	long meta = max(atomic_long_read(&tmem_meta_bytes), 0L);

	return tmem_pool_pages() + DIV_ROUND_UP(meta, PAGE_SIZE);
}
EXPORT_SYMBOL_IF_KUNIT(tmem_used_pages);

/**
 * tmem_over_cap() - is more memory used than the cap allows?
 *
 * Return: true if so.
 */
bool tmem_over_cap(void)
{
	return tmem_used_pages() > tmem_cap_pages();
}

/**
 * tmem_lru_add_locked() - make an entry the most recently used
 * @e: a new entry of an ephemeral pool
 *
 * Context: tmem_lock held.
 */
void tmem_lru_add_locked(struct tmem_entry *e)
{
	list_add(&e->lru, &tmem_lru);
	WRITE_ONCE(tmem_nr_lru, tmem_nr_lru + 1);
}

/**
 * tmem_lru_del_locked() - take an entry off the LRU, if it is on it
 * @e: the entry
 *
 * Context: tmem_lock held.
 */
void tmem_lru_del_locked(struct tmem_entry *e)
{
	if (list_empty(&e->lru))
		return;
	list_del_init(&e->lru);
	WRITE_ONCE(tmem_nr_lru, tmem_nr_lru - 1);
}

/**
 * tmem_lru_touch_locked() - a hit: make an LRU entry the most recent
 * @e: the entry
 *
 * Context: tmem_lock held.
 */
void tmem_lru_touch_locked(struct tmem_entry *e)
{
	if (!list_empty(&e->lru))
		list_move(&e->lru, &tmem_lru);
}

/**
 * tmem_lru_cool_locked() - make an LRU entry the first to be evicted
 * @e: the entry
 *
 * Context: tmem_lock held.
 */
void tmem_lru_cool_locked(struct tmem_entry *e)
{
	if (!list_empty(&e->lru))
		list_move_tail(&e->lru, &tmem_lru);
}

/*
 * A cap in pages for tests: when not zero it replaces the one the
 * parameters give.
 */
unsigned long tmem_cap_override;
EXPORT_SYMBOL_IF_KUNIT(tmem_cap_override);

/**
 * tmem_cap_pages() - the most pages the zsmalloc pool may hold
 *
 * max_pool_percent of RAM and max_pool_mb, whichever is smaller; a
 * parameter of 0 is not set; with neither set there is no cap but the
 * shrinker.
 *
 * Return: the cap, ULONG_MAX for none.
 */
unsigned long tmem_cap_pages(void)
{
	unsigned long pct = min(READ_ONCE(tmem_max_pool_percent), 100U);
	unsigned long mb = READ_ONCE(tmem_max_pool_mb);
	unsigned long cap = ULONG_MAX;

	if (READ_ONCE(tmem_cap_override))
		return READ_ONCE(tmem_cap_override);
	if (pct)
		cap = totalram_pages() / 100 * pct;
	if (mb)
		cap = min(cap, mb << (20 - PAGE_SHIFT));
	return cap;
}
EXPORT_SYMBOL_IF_KUNIT(tmem_cap_pages);

/* Bytes that dropping @e would free, roughly: it and its unshared blob. */
static unsigned long tmem_entry_bytes_locked(const struct tmem_entry *e)
{
	unsigned long bytes = sizeof(*e);

	if (e->blob && e->blob->refs == 1)
		bytes += sizeof(*e->blob) + e->blob->len;
	return bytes;
}

/*
 * Drop least recently used pages until @nr are dropped or about @bytes
 * freed, whichever comes first.  Kept entries (at the cold end, see
 * tmem_lru_cool_locked()) go first: they count against @nr and @bytes,
 * and in *@kept, not in the result, as no get could have found them.
 * Return: the number of stored pages dropped.
 */
static unsigned long tmem_evict_some(unsigned long nr, unsigned long bytes,
				     int reason, unsigned long *kept)
{
	unsigned long flags, scanned = 0, done = 0, freed = 0;
	struct tmem_entry *e;
	unsigned int batch;

	while (scanned < nr && freed < bytes) {
		spin_lock_irqsave(&tmem_lock, flags);
		for (batch = 0; batch < TMEM_EVICT_BATCH && scanned < nr &&
		     freed < bytes; batch++, scanned++) {
			if (list_empty(&tmem_lru))
				break;
			e = list_last_entry(&tmem_lru, struct tmem_entry, lru);
			freed += tmem_entry_bytes_locked(e);
			if (!e->kept) {
				trace_tmem_evict(e->obj->pool->id,
						 &e->obj->oid, e->index,
						 reason);
				tmem_stat_inc(TMEM_STAT_EVICTIONS);
				done++;
			}
			tmem_entry_drop_locked(e);
		}
		spin_unlock_irqrestore(&tmem_lock, flags);
		if (batch < TMEM_EVICT_BATCH)
			break;
	}
	*kept = scanned - done;
	return done;
}

/**
 * tmem_evict() - drop the least recently used ephemeral pages
 * @nr: how many
 * @reason: enum tmem_evict_reason, for the tracepoint
 *
 * The zsmalloc memory of the blobs they held is freed by the caller's
 * tmem_free_pending() or later by the worker.
 *
 * Context: any context but hard IRQ; takes tmem_lock in batches.
 * Return: the number of pages dropped.
 */
unsigned long tmem_evict(unsigned long nr, int reason)
{
	unsigned long kept;

	return tmem_evict_some(nr, ULONG_MAX, reason, &kept);
}
EXPORT_SYMBOL_IF_KUNIT(tmem_evict);

/**
 * tmem_evict_bytes() - drop least recently used pages holding some memory
 * @bytes: about how many bytes to free (stored bytes and metadata)
 * @reason: enum tmem_evict_reason, for the tracepoint
 *
 * Context: any context but hard IRQ; takes tmem_lock in batches.
 * Return: the number of entries dropped, stored pages and kept ones: 0
 * only when there was nothing left to drop.
 */
unsigned long tmem_evict_bytes(unsigned long bytes, int reason)
{
	unsigned long kept, done;

	done = tmem_evict_some(ULONG_MAX, bytes, reason, &kept);
	return done + kept;
}

/*
 * What evicting every ephemeral page would free, in pages: the reclaim
 * code weighs a shrinker's count against the page-cache pages it scans,
 * and one stored page holds only about 1/ratio of a page.  Counting
 * entries would shrink the pool compression-ratio times faster than the
 * page cache for the same pressure, and an entry saves a disk read just
 * like a page-cache page does.
 */
static unsigned long tmem_shrink_count(struct shrinker *shrinker,
				       struct shrink_control *sc)
{
	unsigned long nr = READ_ONCE(tmem_nr_lru);
	s64 stored = tmem_stat_read(TMEM_STAT_STORED_PAGES) +
		     tmem_stat_read(TMEM_STAT_KEPT_PAGES);
	unsigned long used = tmem_used_pages();

	if (stored > 0 && used < (u64)stored)
		nr = mult_frac(nr, used, stored);
	return nr;
}

static unsigned long tmem_shrink_scan(struct shrinker *shrinker,
				      struct shrink_control *sc)
{
	unsigned long freed, kept;
	u64 t0 = local_clock();

	/*
	 * Kept entries are counted by tmem_shrink_count(): dropping them is
	 * progress, or a batch of them would stop the shrinker for good.
	 */
	freed = tmem_evict_some(sc->nr_to_scan, ULONG_MAX,
				TMEM_EVICT_SHRINKER, &kept);
	freed += kept;
	tmem_free_pending();
	tmem_stat_add(TMEM_STAT_SHRINK_NS, local_clock() - t0);
	return freed ? freed : SHRINK_STOP;
}

#ifdef TMEM_HAVE_SHRINKER_ALLOC
static struct shrinker *tmem_shrinker;

int tmem_evict_init(void)
{
	tmem_shrinker = shrinker_alloc(0, "tmem");
	if (!tmem_shrinker)
		return -ENOMEM;
	tmem_shrinker->count_objects = tmem_shrink_count;
	tmem_shrinker->scan_objects = tmem_shrink_scan;
	tmem_shrinker->batch = 128;
	tmem_shrinker->seeks = TMEM_SEEKS;
	shrinker_register(tmem_shrinker);
	return 0;
}

void tmem_evict_exit(void)
{
	shrinker_free(tmem_shrinker);
}
#else
static struct shrinker tmem_shrinker = {
	.count_objects = tmem_shrink_count,
	.scan_objects = tmem_shrink_scan,
	.batch = 128,
	.seeks = TMEM_SEEKS,
};

int tmem_evict_init(void)
{
#ifdef TMEM_NAMED_SHRINKER
	return register_shrinker(&tmem_shrinker, "tmem");
#else
	return register_shrinker(&tmem_shrinker);
#endif
}

void tmem_evict_exit(void)
{
	unregister_shrinker(&tmem_shrinker);
}
#endif
