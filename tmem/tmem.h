/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tmem: transcendent memory, a pool of compressed, deduplicated pages that
 * serves as the cleancache backend.  Internal interfaces.
 *
 * Locking: a single spinlock, tmem_lock, always taken with IRQs saved,
 * protects the pool table, every pool's object tree, every object's entry
 * tree, the LRU, the staging and free lists, the dedup table and the
 * reference counts of blobs.  Nothing sleeps under it and it never calls
 * into zsmalloc: put and invalidate run under the page cache's i_pages
 * lock, an IRQ-safe lock, while zsmalloc takes its own locks with IRQs
 * enabled (compaction, migration), so zsmalloc is only ever called from
 * process context without our lock or any caller's lock held: from the
 * store worker, the shrinker, get and module exit.
 *
 * A put compresses the page into a staged blob (kmalloc or a page) that
 * is visible at once; the store worker later moves it into zsmalloc, or
 * points the entry at an identical blob already there (dedup), under the
 * pool cap.  Big flushes and pool destruction unlink in O(1) under the
 * lock and leave the freeing to the reaper (pool.c).
 */
#ifndef _TMEM_H
#define _TMEM_H

#include <linux/highmem.h>
#include <linux/list.h>
#include <linux/rbtree.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/uuid.h>

/* Kbuild defines TMEM_NO_KUNIT_VISIBILITY on kernels older than 6.2. */
#ifndef TMEM_NO_KUNIT_VISIBILITY
#include <kunit/visibility.h>
#endif

/* Before 6.1: a bound on the kmalloc() bucket a size falls in. */
#ifdef TMEM_NO_KMALLOC_SIZE_ROUNDUP
#include <linux/log2.h>
#define kmalloc_size_roundup(size)	roundup_pow_of_two(size)
#endif

#define TMEM_MAX_POOLS		256
#define TMEM_OID_WORDS		6
#define TMEM_MAX_SHARED_UUIDS	16

/*
 * Allocations on the put path run with IRQs off under the i_pages lock:
 * no direct reclaim, no retries, no reserves, no warnings; but waking
 * kswapd is allowed in atomic context, and without it a put that finds
 * free memory at the watermark fails without anyone making room.
 */
#define TMEM_GFP	(__GFP_KSWAPD_RECLAIM | __GFP_NORETRY | __GFP_NOWARN | \
			 __GFP_NOMEMALLOC)

/* Pool flags. */
#define TMEM_POOL_PERSISTENT	BIT(0)	/* never evicted */
#define TMEM_POOL_SHARED	BIT(1)	/* gets are not exclusive */

/**
 * struct tmem_oid - a 192-bit object id (the cleancache file key)
 * @key: its words; unused ones are zero
 */
struct tmem_oid {
	u32 key[TMEM_OID_WORDS];
};

/**
 * struct tmem_blob - stored bytes, shared by identical pages
 * @hnode: in the dedup table, once adopted into zsmalloc (tmem_lock)
 * @node: in the staging list while waiting for the worker, in the free list
 *        once unreferenced (tmem_lock)
 * @owner: staged blobs only: the one entry that holds it, NULL once that
 *         entry is gone or points elsewhere (tmem_lock)
 * @refs: entries and in-flight readers holding it (tmem_lock)
 * @hash: dedup hash of the stored bytes (immutable)
 * @domain: dedup domain, 0 for private pools, a unique value per shared
 *          pool (set under tmem_lock before the blob is visible)
 * @len: number of stored bytes (immutable)
 * @raw: the bytes are the page itself, not compressed (immutable)
 * @staged: the bytes are at @data, else in zsmalloc at @handle (immutable)
 * @parked: staged blob outside the staging list and budget: of a
 *          persistent page that found no room in zsmalloc, or of a kept
 *          entry (tmem_lock)
 * @handle: zsmalloc handle (immutable)
 * @data: the bytes of a staged blob: a whole page when @len is more than
 *        half a page, else a kmalloc() buffer (immutable)
 */
struct tmem_blob {
	struct hlist_node hnode;
	struct list_head node;
	struct tmem_entry *owner;
	unsigned int refs;
	u64 hash;
	u64 domain;
	unsigned int len;
	bool raw;
	bool staged;
	bool parked;
	unsigned long handle;
	void *data;
};

/**
 * struct tmem_entry - one stored page; every field under tmem_lock
 * @node: in @obj's entry tree, by @index
 * @lru: in the LRU when the pool is ephemeral, else empty
 * @obj: the object it belongs to
 * @index: the page index
 * @blob: the bytes, or NULL for a same-filled page
 * @value: the fill value of a same-filled page
 * @csum: xxh64 of the page when @has_csum
 * @has_csum: stored in integrity mode
 * @kept: got from a private ephemeral pool, so no get finds it any more,
 *        but kept (its bytes outside zsmalloc, first in line for
 *        eviction) for when the page is put back: unchanged, it is not
 *        compressed again (see tmem_put())
 */
struct tmem_entry {
	struct rb_node node;
	struct list_head lru;
	struct tmem_obj *obj;
	pgoff_t index;
	struct tmem_blob *blob;
	unsigned long value;
	u64 csum;
	bool has_csum;
	bool kept;
};

/**
 * struct tmem_obj - the pages of one object id in a pool (tmem_lock)
 * @node: in the pool's object tree, by @oid, until flushed
 * @dead_node: once flushed, in the list of objects the reaper empties
 * @entries: its pages, by index
 * @pool: the pool
 * @nr_pages: entries in @entries
 * @nr_kept: of which kept (see struct tmem_entry)
 * @dead: flushed: out of the pool's tree, freed only by the reaper
 * @oid: the object id
 */
struct tmem_obj {
	struct rb_node node;
	struct list_head dead_node;
	struct rb_root entries;
	struct tmem_pool *pool;
	unsigned long nr_pages;
	unsigned long nr_kept;
	bool dead;
	struct tmem_oid oid;
};

/**
 * struct tmem_pool - a pool; every field under tmem_lock
 * @objs: its objects, by object id
 * @dying_node: once destroyed, in the list of pools the reaper empties
 * @id: its index in the pool table
 * @flags: TMEM_POOL_*
 * @uuid: shared pools: the UUID their users present
 * @users: shared pools: init_shared_fs calls not yet matched by a destroy
 * @domain: dedup domain of its pages
 * @nr_pages: entries stored
 */
struct tmem_pool {
	struct rb_root objs;
	struct list_head dying_node;
	int id;
	u32 flags;
	uuid_t uuid;
	unsigned int users;
	u64 domain;
	unsigned long nr_pages;
};

extern spinlock_t tmem_lock;

/* Module parameters (main.c). */
extern char *tmem_compressor;
extern unsigned int tmem_max_pool_percent;
extern unsigned int tmem_max_pool_mb;
extern unsigned int tmem_compress_threshold;
extern bool tmem_store_raw;
extern bool tmem_dedup;
extern bool tmem_integrity;
extern unsigned int tmem_lz4_acceleration;
extern unsigned long tmem_cap_override;

/* pool.c: the tmem operations. */
int tmem_new_pool(u32 flags, const uuid_t *uuid);
int tmem_destroy_pool(int pool_id);
int tmem_put(int pool_id, const struct tmem_oid *oid, pgoff_t index,
	     struct page *page);
int tmem_get(int pool_id, const struct tmem_oid *oid, pgoff_t index,
	     struct page *page);
int tmem_flush_page(int pool_id, const struct tmem_oid *oid, pgoff_t index);
int tmem_flush_object(int pool_id, const struct tmem_oid *oid);
void tmem_destroy_all_pools(void);
void tmem_reap_sync(void);
int tmem_pool_init(void);
void tmem_pool_exit(void);
void tmem_entry_drop_locked(struct tmem_entry *e);
void tmem_streak_reset(void);

/*
 * After this many incompressible pages in a row of one object, a CPU
 * compresses only one page of it in TMEM_STREAK_PROBE (pool.c).
 */
#define TMEM_STREAK_SKIP	16
#define TMEM_STREAK_PROBE	64
struct tmem_entry *tmem_lookup_locked(int pool_id, const struct tmem_oid *oid,
				      pgoff_t index);

/* store.c: compression, the zsmalloc pool, the store worker. */
struct tmem_comp;
struct tmem_comp *tmem_comp_create(const char *name);
void tmem_comp_destroy(struct tmem_comp *comp);
int tmem_comp_compress(struct tmem_comp *comp, const void *src, void *dst,
		       unsigned int *dlen);
int tmem_comp_decompress(struct tmem_comp *comp, const void *src,
			 unsigned int slen, void *dst);
bool tmem_page_same_filled(const void *ptr, unsigned long *value);
int tmem_store_page(struct page *page, struct tmem_entry *e,
		    bool guess_incompressible, bool store_raw);
int tmem_load_page(const struct tmem_entry *e, struct page *page);
struct tmem_blob *tmem_blob_keep(struct tmem_blob *blob);
bool tmem_page_same(const struct tmem_entry *e, struct page *page);
void tmem_park_locked(struct tmem_blob *blob);
void tmem_restage_locked(struct tmem_blob *blob);
void tmem_blob_get_locked(struct tmem_blob *blob);
void tmem_blob_put_locked(struct tmem_blob *blob);
void tmem_blob_put(struct tmem_blob *blob);
void tmem_blob_free(struct tmem_blob *blob);
void tmem_stage_locked(struct tmem_blob *blob, struct tmem_entry *e);
bool tmem_stage_full_locked(const struct tmem_blob *blob);
void tmem_store_kick(void);
void tmem_free_pending(void);
void tmem_drain(void);
unsigned long tmem_pool_pages(void);
struct zs_pool *tmem_zs_pool(void);
int tmem_store_init(void);
void tmem_store_exit(void);

/* dedup.c: the table of adopted blobs by content hash. */
typedef u64 (*tmem_hash_fn_t)(const void *data, size_t len);
tmem_hash_fn_t tmem_set_hash_fn(tmem_hash_fn_t fn);
u64 tmem_hash(const void *data, size_t len);
void tmem_dedup_insert_locked(struct tmem_blob *blob);
void tmem_dedup_remove_locked(struct tmem_blob *blob);
struct tmem_blob *tmem_dedup_find(const struct tmem_blob *staged, u64 hash,
				  void *(*map)(struct tmem_blob *),
				  void (*unmap)(struct tmem_blob *));
int tmem_dedup_init(void);
void tmem_dedup_exit(void);

/* evict.c: LRU, cap, shrinker. */
void tmem_lru_add_locked(struct tmem_entry *e);
void tmem_lru_del_locked(struct tmem_entry *e);
void tmem_lru_touch_locked(struct tmem_entry *e);
void tmem_lru_cool_locked(struct tmem_entry *e);
unsigned long tmem_cap_pages(void);
void tmem_meta_add(long bytes);
unsigned long tmem_used_pages(void);
bool tmem_over_cap(void);
unsigned long tmem_evict(unsigned long nr, int reason);
unsigned long tmem_evict_bytes(unsigned long bytes, int reason);
int tmem_evict_init(void);
void tmem_evict_exit(void);

/* What a flush dropped, for the tmem_flush tracepoint. */
#define TMEM_FLUSH_PAGE		0
#define TMEM_FLUSH_OBJECT	1
#define TMEM_FLUSH_POOL		2

enum tmem_evict_reason {
	TMEM_EVICT_CAP,
	TMEM_EVICT_SHRINKER,
	TMEM_EVICT_NOSPACE,
};

/* stats.c */
enum tmem_stat {
	TMEM_STAT_PUTS,
	TMEM_STAT_GETS,
	TMEM_STAT_HITS,
	TMEM_STAT_MISSES,
	TMEM_STAT_INVALIDATE_PAGES,
	TMEM_STAT_INVALIDATE_INODES,
	TMEM_STAT_INVALIDATE_FSS,
	TMEM_STAT_EVICTIONS,
	TMEM_STAT_STORED_PAGES,
	TMEM_STAT_SAME_FILLED_PAGES,
	TMEM_STAT_DEDUP_HITS,
	TMEM_STAT_REJECTED_PAGES,
	TMEM_STAT_REJECTED_INCOMPRESSIBLE,
	TMEM_STAT_REJECTED_NOMEM,
	TMEM_STAT_REJECTED_BUSY,
	TMEM_STAT_REJECTED_CAP,
	TMEM_STAT_COMPRESSED_BYTES,
	TMEM_STAT_INTEGRITY_FAILURES,
	TMEM_STAT_POOLS,
	TMEM_STAT_KEPT_PAGES,
	TMEM_STAT_REUSED_PAGES,
	/* Where the time goes, in ns of local_clock(). */
	TMEM_STAT_PUT_NS,
	TMEM_STAT_COMPRESS_NS,
	TMEM_STAT_GET_NS,
	TMEM_STAT_LOAD_NS,
	TMEM_STAT_WORKER_NS,
	TMEM_STAT_COMPACT_NS,
	TMEM_STAT_COMPACTIONS,
	TMEM_STAT_SHRINK_NS,
	TMEM_NR_STATS,
};

void tmem_stat_add(enum tmem_stat stat, s64 delta);
s64 tmem_stat_read(enum tmem_stat stat);
int tmem_stats_init(void);
void tmem_stats_exit(void);

static inline void tmem_stat_inc(enum tmem_stat stat)
{
	tmem_stat_add(stat, 1);
}

static inline void tmem_stat_dec(enum tmem_stat stat)
{
	tmem_stat_add(stat, -1);
}

void tmem_stat_reject(int err);

/* main.c: the shared-pool policy. */
bool tmem_shared_allowed(const uuid_t *uuid);
int tmem_parse_uuids(const char *list, uuid_t *uuids, int max);

/* cleancache.c: the glue, only against a kernel with cleancache. */
#ifdef CONFIG_CLEANCACHE
int tmem_cleancache_init(void);
void tmem_cleancache_exit(void);
#else
static inline int tmem_cleancache_init(void)
{
	return 0;
}

static inline void tmem_cleancache_exit(void)
{
}
#endif

/* testhooks.c (only built with the KUnit test) */
struct tmem_peek {
	bool same_filled;
	bool staged;
	bool raw;
	unsigned int refs;
	unsigned int len;
};

int tmem_peek(int pool_id, const struct tmem_oid *oid, pgoff_t index,
	      struct tmem_peek *peek);
int tmem_corrupt(int pool_id, const struct tmem_oid *oid, pgoff_t index);

#endif /* _TMEM_H */
