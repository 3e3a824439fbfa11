// SPDX-License-Identifier: GPL-2.0
/*
 * tmem pools: the table of pools, their objects and entries, and the tmem
 * operations (new pool, put, get, flush page, flush object, destroy pool).
 *
 * Every structure here is protected by tmem_lock (see tmem.h).  The slow
 * work of an operation (compressing, decompressing, checksumming) runs
 * outside the lock; a get takes a reference on the blob it reads.
 *
 * Flushing a big object and destroying a pool take O(1) (or O(log n))
 * under the lock: the object leaves its pool's tree, the pool leaves the
 * pool table, so nothing of theirs can be found any more; the reaper, a
 * work item in process context, then frees their entries in batches,
 * releasing the lock between batches.  A pool id is free again as soon as
 * its pool leaves the table: lookups go through the table and entries
 * point to their pool, so a new pool with the same id never sees the old
 * one's pages.  Ids are handed out round-robin all the same, so a stale
 * id held by mistake does not name a new pool at once.
 */

#include <linux/err.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/sched/clock.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/workqueue.h>

#include "tmem.h"

#define CREATE_TRACE_POINTS
#include "trace.h"

DEFINE_SPINLOCK(tmem_lock);

/* The pools by id (tmem_lock). */
static struct tmem_pool *tmem_pools[TMEM_MAX_POOLS];
/* The object id traced for a whole pool. */
static const struct tmem_oid tmem_no_oid;
/* The next dedup domain for a shared pool (tmem_lock). */
static u64 tmem_next_domain = 1;
/* Where the search for a free pool id starts (tmem_lock). */
static int tmem_next_id;

/* Flushed objects and destroyed pools the reaper empties (tmem_lock). */
static LIST_HEAD(tmem_dead_objs);
static LIST_HEAD(tmem_dying_pools);

static struct kmem_cache *tmem_entry_cache;
static struct kmem_cache *tmem_obj_cache;

static void tmem_reap_fn(struct work_struct *work);
static DECLARE_WORK(tmem_reap_work, tmem_reap_fn);

/*
 * Entries removed per lock hold by the reaper; an object with at most
 * this many is flushed at once, a bigger one by the reaper.
 */
#define TMEM_REAP_BATCH		64

static struct tmem_pool *tmem_pool_locked(int pool_id)
{
	if (pool_id < 0 || pool_id >= TMEM_MAX_POOLS)
		return NULL;
	return tmem_pools[pool_id];
}

static bool tmem_pool_private(const struct tmem_pool *pool)
{
	return !(pool->flags & TMEM_POOL_SHARED);
}

static int tmem_oid_cmp(const struct tmem_oid *a, const struct tmem_oid *b)
{
	return memcmp(a->key, b->key, sizeof(a->key));
}

static struct tmem_obj *tmem_obj_find_locked(struct tmem_pool *pool,
					     const struct tmem_oid *oid)
{
	struct rb_node *n = pool->objs.rb_node;

	while (n) {
		struct tmem_obj *obj = rb_entry(n, struct tmem_obj, node);
		int cmp = tmem_oid_cmp(oid, &obj->oid);

		if (cmp < 0)
			n = n->rb_left;
		else if (cmp > 0)
			n = n->rb_right;
		else
			return obj;
	}
	return NULL;
}

/* Find the object of @oid, or insert @new (initialised here) for it. */
static struct tmem_obj *tmem_obj_insert_locked(struct tmem_pool *pool,
					       const struct tmem_oid *oid,
					       struct tmem_obj *new)
{
	struct rb_node **link = &pool->objs.rb_node, *parent = NULL;

	while (*link) {
		struct tmem_obj *obj = rb_entry(*link, struct tmem_obj, node);
		int cmp = tmem_oid_cmp(oid, &obj->oid);

		parent = *link;
		if (cmp < 0)
			link = &parent->rb_left;
		else if (cmp > 0)
			link = &parent->rb_right;
		else
			return obj;
	}
	if (!new)
		return NULL;
	new->entries = RB_ROOT;
	INIT_LIST_HEAD(&new->dead_node);
	new->pool = pool;
	new->nr_pages = 0;
	new->nr_kept = 0;
	new->dead = false;
	new->oid = *oid;
	rb_link_node(&new->node, parent, link);
	rb_insert_color(&new->node, &pool->objs);
	return new;
}

static struct tmem_entry *tmem_entry_find_locked(struct tmem_obj *obj,
						 pgoff_t index)
{
	struct rb_node *n = obj->entries.rb_node;

	while (n) {
		struct tmem_entry *e = rb_entry(n, struct tmem_entry, node);

		if (index < e->index)
			n = n->rb_left;
		else if (index > e->index)
			n = n->rb_right;
		else
			return e;
	}
	return NULL;
}

/* Insert @e into @obj, where no entry has its index. */
static void tmem_entry_insert_locked(struct tmem_obj *obj,
				     struct tmem_entry *e)
{
	struct rb_node **link = &obj->entries.rb_node, *parent = NULL;

	while (*link) {
		struct tmem_entry *cur = rb_entry(*link, struct tmem_entry, node);

		parent = *link;
		if (e->index < cur->index)
			link = &parent->rb_left;
		else
			link = &parent->rb_right;
	}
	e->obj = obj;
	rb_link_node(&e->node, parent, link);
	rb_insert_color(&e->node, &obj->entries);
	obj->nr_pages++;
	obj->pool->nr_pages++;
	tmem_stat_inc(TMEM_STAT_STORED_PAGES);
	if (!e->blob)
		tmem_stat_inc(TMEM_STAT_SAME_FILLED_PAGES);
	if (!(obj->pool->flags & TMEM_POOL_PERSISTENT))
		tmem_lru_add_locked(e);
}

/*
 * Entries and objects are counted in the memory the pool cap bounds
 * (tmem_meta_add()), from allocation to free.
 */
static struct tmem_entry *tmem_entry_alloc(void)
{
	struct tmem_entry *e = kmem_cache_zalloc(tmem_entry_cache, TMEM_GFP);

	if (e) {
		INIT_LIST_HEAD(&e->lru);
		tmem_meta_add(kmem_cache_size(tmem_entry_cache));
	}
	return e;
}

static void tmem_entry_free(struct tmem_entry *e)
{
	if (!e)
		return;
	tmem_meta_add(-(long)kmem_cache_size(tmem_entry_cache));
	kmem_cache_free(tmem_entry_cache, e);
}

static struct tmem_obj *tmem_obj_alloc(void)
{
	struct tmem_obj *obj = kmem_cache_alloc(tmem_obj_cache, TMEM_GFP);

	if (obj)
		tmem_meta_add(kmem_cache_size(tmem_obj_cache));
	return obj;
}

static void tmem_obj_free(struct tmem_obj *obj)
{
	if (!obj)
		return;
	tmem_meta_add(-(long)kmem_cache_size(tmem_obj_cache));
	kmem_cache_free(tmem_obj_cache, obj);
}

/* Free an entry that is in no tree, with its reference on its blob. */
static void tmem_entry_free_locked(struct tmem_entry *e)
{
	if (e->blob) {
		if (e->blob->owner == e)
			e->blob->owner = NULL;
		tmem_blob_put_locked(e->blob);
	}
	tmem_entry_free(e);
}

/* Free an entry that never was visible, with its blob (never staged). */
static void tmem_entry_discard(struct tmem_entry *e)
{
	tmem_blob_free(e->blob);
	tmem_entry_free(e);
}

/* Unlink @e from its object and the LRU and free it; the object stays. */
static void tmem_entry_remove_locked(struct tmem_entry *e)
{
	struct tmem_obj *obj = e->obj;

	rb_erase(&e->node, &obj->entries);
	tmem_lru_del_locked(e);
	obj->nr_pages--;
	obj->pool->nr_pages--;
	if (e->kept) {
		obj->nr_kept--;
		tmem_stat_dec(TMEM_STAT_KEPT_PAGES);
	} else {
		tmem_stat_dec(TMEM_STAT_STORED_PAGES);
		if (!e->blob)
			tmem_stat_dec(TMEM_STAT_SAME_FILLED_PAGES);
	}
	tmem_entry_free_locked(e);
}

/* Free a live object once it has no entry; the reaper frees dead ones. */
static void tmem_obj_free_if_empty_locked(struct tmem_obj *obj)
{
	if (!RB_EMPTY_ROOT(&obj->entries) || obj->dead)
		return;
	rb_erase(&obj->node, &obj->pool->objs);
	tmem_obj_free(obj);
}

/* Remove up to @max entries of @obj; the number removed. */
static unsigned int tmem_obj_empty_locked(struct tmem_obj *obj,
					  unsigned int max)
{
	unsigned int n = 0;
	struct rb_node *en;

	while (n < max && (en = rb_first(&obj->entries))) {
		tmem_entry_remove_locked(rb_entry(en, struct tmem_entry, node));
		n++;
	}
	return n;
}

/**
 * tmem_entry_drop_locked() - remove an entry, and its object if now empty
 * @e: the entry
 *
 * Context: tmem_lock held.
 */
void tmem_entry_drop_locked(struct tmem_entry *e)
{
	struct tmem_obj *obj = e->obj;

	tmem_entry_remove_locked(e);
	tmem_obj_free_if_empty_locked(obj);
}

/* The entry under a handle, kept or not, or NULL. */
static struct tmem_entry *tmem_lookup_any_locked(int pool_id,
						 const struct tmem_oid *oid,
						 pgoff_t index)
{
	struct tmem_pool *pool = tmem_pool_locked(pool_id);
	struct tmem_obj *obj;

	if (!pool)
		return NULL;
	obj = tmem_obj_find_locked(pool, oid);
	return obj ? tmem_entry_find_locked(obj, index) : NULL;
}

/**
 * tmem_lookup_locked() - the entry stored under a handle
 * @pool_id: the pool
 * @oid: the object id
 * @index: the page index
 *
 * Context: tmem_lock held.
 * Return: the entry, or NULL; never a kept entry (no get may find it).
 */
struct tmem_entry *tmem_lookup_locked(int pool_id, const struct tmem_oid *oid,
				      pgoff_t index)
{
	struct tmem_entry *e = tmem_lookup_any_locked(pool_id, oid, index);

	return e && !e->kept ? e : NULL;
}

static struct tmem_pool *tmem_find_shared_locked(const uuid_t *uuid)
{
	int i;

	for (i = 0; i < TMEM_MAX_POOLS; i++) {
		struct tmem_pool *pool = tmem_pools[i];

		if (pool && (pool->flags & TMEM_POOL_SHARED) &&
		    uuid_equal(&pool->uuid, uuid))
			return pool;
	}
	return NULL;
}

/* A free pool id, round-robin, or -ENOSPC. */
static int tmem_free_id_locked(void)
{
	int i, id;

	for (i = 0; i < TMEM_MAX_POOLS; i++) {
		id = (tmem_next_id + i) % TMEM_MAX_POOLS;
		if (!tmem_pools[id]) {
			tmem_next_id = (id + 1) % TMEM_MAX_POOLS;
			return id;
		}
	}
	return -ENOSPC;
}

/**
 * tmem_new_pool() - create a pool
 * @flags: TMEM_POOL_PERSISTENT and/or TMEM_POOL_SHARED
 * @uuid: for a shared pool, its UUID: a shared pool that already has it is
 *        returned (with one more user) instead of a new one
 *
 * Policy (which UUIDs may share) is the caller's business.
 *
 * Context: process context, may sleep.
 * Return: the pool id (>= 0) or a negative errno.
 */
int tmem_new_pool(u32 flags, const uuid_t *uuid)
{
	struct tmem_pool *pool, *old;
	unsigned long irqflags;
	int id;

	if ((flags & TMEM_POOL_SHARED) && !uuid)
		return -EINVAL;
	pool = kzalloc(sizeof(*pool), GFP_KERNEL);
	if (!pool)
		return -ENOMEM;
	pool->objs = RB_ROOT;
	INIT_LIST_HEAD(&pool->dying_node);
	pool->flags = flags;
	pool->users = 1;
	if (uuid)
		uuid_copy(&pool->uuid, uuid);

	spin_lock_irqsave(&tmem_lock, irqflags);
	if (flags & TMEM_POOL_SHARED) {
		old = tmem_find_shared_locked(uuid);
		if (old && old->flags == flags) {
			old->users++;
			id = old->id;
			goto unlock;
		}
		pool->domain = tmem_next_domain++;
	}
	id = tmem_free_id_locked();
	if (id < 0)
		goto unlock;
	pool->id = id;
	tmem_pools[id] = pool;
	pool = NULL;
	tmem_stat_inc(TMEM_STAT_POOLS);
unlock:
	spin_unlock_irqrestore(&tmem_lock, irqflags);
	kfree(pool);
	return id;
}
EXPORT_SYMBOL_IF_KUNIT(tmem_new_pool);

/*
 * One batch of the reaper's work: up to TMEM_REAP_BATCH entries of flushed
 * objects, then of destroyed pools, freeing each object and pool once
 * empty.  Flushed objects go first, so by the time a pool is freed no
 * flushed object (which points to it) is left.  Return: false once there
 * is nothing left to do.
 */
static bool tmem_reap_batch(void)
{
	unsigned int n = 0;
	struct tmem_pool *pool;
	struct tmem_obj *obj;
	unsigned long flags;
	struct rb_node *on;

	spin_lock_irqsave(&tmem_lock, flags);
	while (n < TMEM_REAP_BATCH) {
		obj = list_first_entry_or_null(&tmem_dead_objs, struct tmem_obj,
					       dead_node);
		if (obj) {
			n += tmem_obj_empty_locked(obj, TMEM_REAP_BATCH - n);
			if (RB_EMPTY_ROOT(&obj->entries)) {
				list_del(&obj->dead_node);
				tmem_obj_free(obj);
			}
			continue;
		}
		pool = list_first_entry_or_null(&tmem_dying_pools,
						struct tmem_pool, dying_node);
		if (!pool)
			break;
		on = rb_first(&pool->objs);
		if (on) {
			obj = rb_entry(on, struct tmem_obj, node);
			n += tmem_obj_empty_locked(obj, TMEM_REAP_BATCH - n);
			tmem_obj_free_if_empty_locked(obj);
			continue;
		}
		list_del(&pool->dying_node);
		kfree(pool);
	}
	spin_unlock_irqrestore(&tmem_lock, flags);
	return n == TMEM_REAP_BATCH;
}

static void tmem_reap_fn(struct work_struct *work)
{
	while (tmem_reap_batch())
		cond_resched();
}

/**
 * tmem_reap_sync() - free every flushed object and destroyed pool now
 *
 * Context: process context, may sleep.
 */
void tmem_reap_sync(void)
{
	flush_work(&tmem_reap_work);
	tmem_reap_fn(NULL);
}
EXPORT_SYMBOL_IF_KUNIT(tmem_reap_sync);

/**
 * tmem_destroy_pool() - drop every page of a pool and destroy it
 * @pool_id: the pool
 *
 * A shared pool is destroyed when its last user destroys it.  The pool
 * leaves the pool table at once, so none of its pages can be found any
 * more; the reaper frees them later, in process context.
 *
 * Context: any context but hard IRQ; O(1) under tmem_lock.
 * Return: 0, or -ENOENT if there is no such pool.
 */
int tmem_destroy_pool(int pool_id)
{
	struct tmem_pool *pool;
	unsigned long flags;

	spin_lock_irqsave(&tmem_lock, flags);
	pool = tmem_pool_locked(pool_id);
	if (!pool) {
		spin_unlock_irqrestore(&tmem_lock, flags);
		return -ENOENT;
	}
	tmem_stat_inc(TMEM_STAT_INVALIDATE_FSS);
	trace_tmem_flush(pool_id, &tmem_no_oid, 0, TMEM_FLUSH_POOL);
	if (!--pool->users) {
		tmem_pools[pool_id] = NULL;
		tmem_stat_dec(TMEM_STAT_POOLS);
		list_add_tail(&pool->dying_node, &tmem_dying_pools);
		queue_work(system_unbound_wq, &tmem_reap_work);
	}
	spin_unlock_irqrestore(&tmem_lock, flags);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(tmem_destroy_pool);

/**
 * tmem_destroy_all_pools() - destroy every pool, whatever its users
 *
 * Returns once every page they held is freed.
 *
 * Context: module exit, no operation running.
 */
void tmem_destroy_all_pools(void)
{
	unsigned long flags;
	int id;

	for (id = 0; id < TMEM_MAX_POOLS; id++) {
		spin_lock_irqsave(&tmem_lock, flags);
		if (tmem_pools[id])
			tmem_pools[id]->users = 1;
		spin_unlock_irqrestore(&tmem_lock, flags);
		tmem_destroy_pool(id);
	}
	tmem_reap_sync();
}

/**
 * tmem_pool_init() - make the slab caches of entries and objects
 *
 * Return: 0 or -ENOMEM.
 */
int tmem_pool_init(void)
{
	tmem_entry_cache = KMEM_CACHE(tmem_entry, 0);
	tmem_obj_cache = KMEM_CACHE(tmem_obj, 0);
	if (!tmem_entry_cache || !tmem_obj_cache) {
		kmem_cache_destroy(tmem_entry_cache);
		kmem_cache_destroy(tmem_obj_cache);
		return -ENOMEM;
	}
	return 0;
}

/**
 * tmem_pool_exit() - free what tmem_pool_init() made
 *
 * Context: every pool destroyed and reaped.
 */
void tmem_pool_exit(void)
{
	cancel_work_sync(&tmem_reap_work);
	kmem_cache_destroy(tmem_entry_cache);
	kmem_cache_destroy(tmem_obj_cache);
}

/*
 * Install @e (or nothing, when @e is NULL because the new copy could not
 * be stored) under the handle, dropping whatever was there: put-put-get
 * coherency.  @spare is a spare object for a new object id; it is consumed
 * or freed.  Without one, a new @e for an object id not stored yet is left
 * untouched and -EAGAIN returned: the caller allocates a spare and calls
 * again (most puts are to an object already stored, and need none).
 */
static int tmem_install(int pool_id, const struct tmem_oid *oid,
			pgoff_t index, struct tmem_entry *e,
			struct tmem_obj *spare)
{
	struct tmem_entry *old = NULL;
	struct tmem_pool *pool;
	struct tmem_obj *obj;
	unsigned long flags;
	int ret = 0;

	spin_lock_irqsave(&tmem_lock, flags);
	pool = tmem_pool_locked(pool_id);
	if (!pool) {
		ret = -ENOENT;
		goto unlock;
	}
	obj = tmem_obj_insert_locked(pool, oid, e ? spare : NULL);
	if (!obj && e && !spare) {
		spin_unlock_irqrestore(&tmem_lock, flags);
		return -EAGAIN;
	}
	if (obj == spare)
		spare = NULL;
	if (obj)
		old = tmem_entry_find_locked(obj, index);
	if (old)
		tmem_entry_remove_locked(old);
	if (!e) {
		if (obj)
			tmem_obj_free_if_empty_locked(obj);
		goto unlock;
	}
	if (!obj) {
		ret = -ENOMEM;
		goto unlock;
	}
	e->index = index;
	if (e->blob) {
		e->blob->domain = tmem_pool_private(pool) ? 0 : pool->domain;
		if (tmem_stage_full_locked(e->blob)) {
			/* The worker is behind: do not pile up staged pages. */
			tmem_obj_free_if_empty_locked(obj);
			ret = -ENOSPC;
			goto unlock;
		}
		tmem_stage_locked(e->blob, e);
	}
	tmem_entry_insert_locked(obj, e);
	e = NULL;
unlock:
	spin_unlock_irqrestore(&tmem_lock, flags);
	if (e)
		tmem_entry_discard(e);
	tmem_obj_free(spare);
	if (tmem_over_cap())
		tmem_store_kick();
	return ret;
}

/* Can a page got from @pool be kept for a put of it unchanged? */
static bool tmem_pool_keeps(const struct tmem_pool *pool)
{
	return !(pool->flags & (TMEM_POOL_SHARED | TMEM_POOL_PERSISTENT));
}

/* A hit in a private ephemeral pool: hide @e from gets, but keep it. */
static void tmem_keep_locked(struct tmem_entry *e)
{
	e->kept = true;
	e->obj->nr_kept++;
	tmem_stat_dec(TMEM_STAT_STORED_PAGES);
	if (!e->blob)
		tmem_stat_dec(TMEM_STAT_SAME_FILLED_PAGES);
	tmem_stat_inc(TMEM_STAT_KEPT_PAGES);
	/* Losing it costs a compression, not a disk read: evict it first. */
	tmem_lru_cool_locked(e);
	/* Not worth zsmalloc space until a put makes it visible again. */
	if (e->blob && e->blob->staged)
		tmem_park_locked(e->blob);
}

/* A kept entry's page was put back unchanged: store it again. */
static void tmem_unkeep_locked(struct tmem_entry *e)
{
	e->kept = false;
	e->obj->nr_kept--;
	tmem_stat_dec(TMEM_STAT_KEPT_PAGES);
	tmem_stat_inc(TMEM_STAT_STORED_PAGES);
	if (!e->blob)
		tmem_stat_inc(TMEM_STAT_SAME_FILLED_PAGES);
	tmem_stat_inc(TMEM_STAT_REUSED_PAGES);
	tmem_lru_touch_locked(e);
	if (e->blob && e->blob->parked)
		tmem_restage_locked(e->blob);
}

/*
 * Incompressible files (media, archives, encrypted data) cost a
 * compression attempt per page for nothing.  As btrfs stops compressing a
 * file whose data does not compress, remember per CPU the last object put
 * and how many of its pages in a row were incompressible: after
 * TMEM_STREAK_SKIP of them only one page in TMEM_STREAK_PROBE is
 * compressed, the others are rejected as incompressible at once.  A page
 * that is stored, or a put to another object, starts over.  Pages of one
 * file leave the page cache together, so the streaks are long.
 */
struct tmem_streak {
	int pool_id;
	struct tmem_oid oid;
	unsigned int nr;
};

static DEFINE_PER_CPU(struct tmem_streak, tmem_streak) = { .pool_id = -1 };

/**
 * tmem_streak_reset() - forget every CPU's incompressible streak, for tests
 */
void tmem_streak_reset(void)
{
	int cpu;

	for_each_possible_cpu(cpu)
		per_cpu_ptr(&tmem_streak, cpu)->pool_id = -1;
}
EXPORT_SYMBOL_IF_KUNIT(tmem_streak_reset);

/* Start or follow a streak; true if this page should not be compressed. */
static bool tmem_streak_skip(struct tmem_streak *st, int pool_id,
			     const struct tmem_oid *oid)
{
	if (st->pool_id != pool_id || tmem_oid_cmp(&st->oid, oid)) {
		st->pool_id = pool_id;
		st->oid = *oid;
		st->nr = 0;
	}
	return st->nr >= TMEM_STREAK_SKIP &&
	       (st->nr - TMEM_STREAK_SKIP) % TMEM_STREAK_PROBE;
}

/*
 * A put of a page whose kept entry holds the same bytes: make the entry
 * visible again, without compressing anything.  Return: true if done.
 */
static bool tmem_put_reuse(int pool_id, const struct tmem_oid *oid,
			   pgoff_t index, struct page *page)
{
	struct tmem_entry *e, copy;
	unsigned long flags;
	bool same = false;

	spin_lock_irqsave(&tmem_lock, flags);
	e = tmem_lookup_any_locked(pool_id, oid, index);
	/* An adopted blob cannot be read here: zsmalloc is off limits. */
	if (!e || !e->kept || (e->blob && !e->blob->staged)) {
		spin_unlock_irqrestore(&tmem_lock, flags);
		return false;
	}
	copy = *e;
	if (copy.blob)
		tmem_blob_get_locked(copy.blob);
	spin_unlock_irqrestore(&tmem_lock, flags);

	if (tmem_page_same(&copy, page)) {
		spin_lock_irqsave(&tmem_lock, flags);
		/*
		 * For a same-filled page, an entry recycled at the same
		 * address is told apart by what it holds.
		 */
		same = tmem_lookup_any_locked(pool_id, oid, index) == e &&
		       e->kept && e->blob == copy.blob &&
		       e->value == copy.value &&
		       e->has_csum == copy.has_csum && e->csum == copy.csum;
		if (same)
			tmem_unkeep_locked(e);
		if (copy.blob)
			tmem_blob_put_locked(copy.blob);
		spin_unlock_irqrestore(&tmem_lock, flags);
	} else if (copy.blob) {
		tmem_blob_put(copy.blob);
	}
	return same;
}

/* Install @e under an object id that had no object a moment ago. */
static int tmem_put_new_obj(int pool_id, const struct tmem_oid *oid,
			    pgoff_t index, struct tmem_entry *e)
{
	struct tmem_obj *spare = tmem_obj_alloc();

	if (spare)
		return tmem_install(pool_id, oid, index, e, spare);
	tmem_entry_discard(e);
	tmem_install(pool_id, oid, index, NULL, NULL);
	return -ENOMEM;
}

/**
 * tmem_put() - store a copy of a page
 * @pool_id: the pool
 * @oid: the object id
 * @index: the page index
 * @page: the page
 *
 * Replaces any older copy; when the new copy cannot be stored (no memory,
 * incompressible and not stored raw, over the cap) the older one is
 * dropped all the same.
 *
 * Context: any context but hard IRQ, IRQs may be off; never sleeps, never
 * uses memory reserves.
 * Return: 0 when stored, else a negative errno.
 */
int tmem_put(int pool_id, const struct tmem_oid *oid, pgoff_t index,
	     struct page *page)
{
	struct tmem_entry tmp = { }, *e = NULL;
	struct tmem_streak *st;
	bool skip, raw = READ_ONCE(tmem_store_raw);
	u64 t0 = local_clock();
	int ret;

	tmem_stat_inc(TMEM_STAT_PUTS);
	st = get_cpu_ptr(&tmem_streak);
	skip = tmem_streak_skip(st, pool_id, oid);
	/* A page guessed incompressible was not stored when last put. */
	if (!skip && tmem_put_reuse(pool_id, oid, index, page)) {
		st->nr = 0;
		put_cpu_ptr(&tmem_streak);
		ret = 0;
		goto out;
	}
	/*
	 * Nothing is allocated for a page guessed incompressible, and all
	 * but a page for more than half a page of bytes is allocated before
	 * compressing: under memory pressure a put fails before the work.
	 */
	if (!skip || raw) {
		e = tmem_entry_alloc();
		if (!e) {
			put_cpu_ptr(&tmem_streak);
			ret = -ENOMEM;
			goto install;
		}
	}
	ret = tmem_store_page(page, e ? e : &tmp, skip, raw);
	if (ret == -E2BIG)
		st->nr++;
	else if (!ret)
		st->nr = 0;
	put_cpu_ptr(&tmem_streak);
	if (!ret && !e && WARN_ON_ONCE(tmp.blob)) {
		/* Only a same-filled page is stored without an entry. */
		tmem_blob_free(tmp.blob);
		ret = -EINVAL;
	} else if (!ret && !e) {
		/* A same-filled page among incompressible ones. */
		e = tmem_entry_alloc();
		if (e) {
			e->value = tmp.value;
			e->csum = tmp.csum;
			e->has_csum = tmp.has_csum;
		} else {
			ret = -ENOMEM;
		}
	} else if (ret) {
		tmem_entry_free(e);
		e = NULL;
	}
install:
	if (ret) {
		tmem_install(pool_id, oid, index, NULL, NULL);
	} else {
		ret = tmem_install(pool_id, oid, index, e, NULL);
		if (ret == -EAGAIN)
			ret = tmem_put_new_obj(pool_id, oid, index, e);
	}
	if (ret)
		tmem_stat_reject(ret);
out:
	trace_tmem_put(pool_id, oid, index, ret);
	tmem_stat_add(TMEM_STAT_PUT_NS, local_clock() - t0);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(tmem_put);

/* A corrupt copy in a shared pool: drop it if it is still the one read. */
static void tmem_drop_corrupt(int pool_id, const struct tmem_oid *oid,
			      pgoff_t index, const struct tmem_entry *seen)
{
	struct tmem_entry *e;
	unsigned long flags;

	spin_lock_irqsave(&tmem_lock, flags);
	e = tmem_lookup_locked(pool_id, oid, index);
	if (e && e->blob == seen->blob && e->value == seen->value &&
	    e->csum == seen->csum)
		tmem_entry_drop_locked(e);
	spin_unlock_irqrestore(&tmem_lock, flags);
}

/*
 * After a hit on @e (whose copy @seen we read, its blob @copy_ok if not
 * corrupt) in a pool that keeps: give the kept entry @kept, its bytes
 * outside zsmalloc, or drop it if there are none.  Frees @kept if unused.
 */
static void tmem_keep_finish(int pool_id, const struct tmem_oid *oid,
			     pgoff_t index, struct tmem_entry *e,
			     const struct tmem_entry *seen,
			     struct tmem_blob *kept, bool copy_ok)
{
	unsigned long flags;

	spin_lock_irqsave(&tmem_lock, flags);
	if (tmem_lookup_any_locked(pool_id, oid, index) == e && e->kept &&
	    e->blob == seen->blob) {
		if (!copy_ok) {
			tmem_entry_drop_locked(e);
		} else if (kept) {
			kept->owner = e;
			e->blob = kept;
			kept = NULL;
			tmem_blob_put_locked(seen->blob);
		}
	}
	if (kept)
		tmem_blob_put_locked(kept);
	spin_unlock_irqrestore(&tmem_lock, flags);
	/* The copy out of zsmalloc may take the pool over the cap. */
	if (tmem_over_cap())
		tmem_store_kick();
}

/*
 * Read the page @e holds, in a pool that keeps.  An adopted blob's bytes
 * are first copied out of zsmalloc, and decompressed from the copy, which
 * the kept entry then holds.
 */
static int tmem_get_keep(int pool_id, const struct tmem_oid *oid,
			 pgoff_t index, struct tmem_entry *e,
			 const struct tmem_entry *seen, struct page *page)
{
	struct tmem_blob *kept = NULL;
	struct tmem_entry copy = *seen;
	int ret;

	if (seen->blob && !seen->blob->staged) {
		kept = tmem_blob_keep(seen->blob);
		if (kept)
			copy.blob = kept;
	}
	ret = tmem_load_page(&copy, page);
	/* No copy of an adopted blob: nothing to compare a put with. */
	tmem_keep_finish(pool_id, oid, index, e, seen, kept,
			 !ret && (kept || !seen->blob || seen->blob->staged));
	return ret;
}

/**
 * tmem_get() - copy a stored page
 * @pool_id: the pool
 * @oid: the object id
 * @index: the page index
 * @page: where to copy it
 *
 * A hit in a private pool is exclusive: no get finds the page again until
 * it is put again.  In an ephemeral private pool the copy is kept all the
 * same (see struct tmem_entry), first in line for eviction; in a shared
 * pool the page stays and becomes the most recently used.
 *
 * Context: process context, may be under rcu_read_lock(); never sleeps.
 * Return: 0 on a hit, -ENOENT on a miss, -EIO when the stored copy is
 * corrupt or cannot be decompressed (and is dropped).
 */
int tmem_get(int pool_id, const struct tmem_oid *oid, pgoff_t index,
	     struct page *page)
{
	struct tmem_entry *e, copy;
	unsigned long flags;
	bool shared, keep;
	u64 t0 = local_clock(), t1;
	int ret;

	tmem_stat_inc(TMEM_STAT_GETS);
	spin_lock_irqsave(&tmem_lock, flags);
	e = tmem_lookup_locked(pool_id, oid, index);
	if (!e) {
		spin_unlock_irqrestore(&tmem_lock, flags);
		ret = -ENOENT;
		goto out;
	}
	copy = *e;
	shared = !tmem_pool_private(e->obj->pool);
	keep = tmem_pool_keeps(e->obj->pool);
	if (copy.blob)
		tmem_blob_get_locked(copy.blob);
	if (keep)
		tmem_keep_locked(e);
	else if (shared)
		tmem_lru_touch_locked(e);
	else
		tmem_entry_drop_locked(e);
	spin_unlock_irqrestore(&tmem_lock, flags);

	t1 = local_clock();
	if (keep)
		ret = tmem_get_keep(pool_id, oid, index, e, &copy, page);
	else
		ret = tmem_load_page(&copy, page);
	tmem_stat_add(TMEM_STAT_LOAD_NS, local_clock() - t1);
	if (ret == -EIO && shared)
		tmem_drop_corrupt(pool_id, oid, index, &copy);
	if (copy.blob)
		tmem_blob_put(copy.blob);
out:
	tmem_stat_inc(ret ? TMEM_STAT_MISSES : TMEM_STAT_HITS);
	trace_tmem_get(pool_id, oid, index, ret);
	tmem_stat_add(TMEM_STAT_GET_NS, local_clock() - t0);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(tmem_get);

/**
 * tmem_flush_page() - drop a stored page
 * @pool_id: the pool
 * @oid: the object id
 * @index: the page index
 *
 * Context: any context but hard IRQ.
 * Return: 1 if a page was dropped, else 0.
 */
int tmem_flush_page(int pool_id, const struct tmem_oid *oid, pgoff_t index)
{
	struct tmem_entry *e;
	unsigned long flags;
	bool kept;

	tmem_stat_inc(TMEM_STAT_INVALIDATE_PAGES);
	trace_tmem_flush(pool_id, oid, index, TMEM_FLUSH_PAGE);
	spin_lock_irqsave(&tmem_lock, flags);
	e = tmem_lookup_any_locked(pool_id, oid, index);
	kept = e && e->kept;
	if (e)
		tmem_entry_drop_locked(e);
	spin_unlock_irqrestore(&tmem_lock, flags);
	return e && !kept;
}
EXPORT_SYMBOL_IF_KUNIT(tmem_flush_page);

/**
 * tmem_flush_object() - drop every stored page of an object
 * @pool_id: the pool
 * @oid: the object id
 *
 * The object leaves its pool at once, so none of its pages can be found
 * after this returns; a big object's pages are freed later by the reaper.
 *
 * Context: any context but hard IRQ; O(log n) under tmem_lock.
 * Return: the number of pages dropped.
 */
int tmem_flush_object(int pool_id, const struct tmem_oid *oid)
{
	struct tmem_pool *pool;
	struct tmem_obj *obj = NULL;
	unsigned long flags;
	int nr = 0;

	tmem_stat_inc(TMEM_STAT_INVALIDATE_INODES);
	trace_tmem_flush(pool_id, oid, 0, TMEM_FLUSH_OBJECT);
	spin_lock_irqsave(&tmem_lock, flags);
	pool = tmem_pool_locked(pool_id);
	if (pool)
		obj = tmem_obj_find_locked(pool, oid);
	if (obj) {
		nr = min_t(unsigned long, obj->nr_pages - obj->nr_kept,
			   INT_MAX);
		if (obj->nr_pages <= TMEM_REAP_BATCH) {
			tmem_obj_empty_locked(obj, TMEM_REAP_BATCH);
			tmem_obj_free_if_empty_locked(obj);
		} else {
			rb_erase(&obj->node, &pool->objs);
			obj->dead = true;
			list_add_tail(&obj->dead_node, &tmem_dead_objs);
			queue_work(system_unbound_wq, &tmem_reap_work);
		}
	}
	spin_unlock_irqrestore(&tmem_lock, flags);
	return nr;
}
EXPORT_SYMBOL_IF_KUNIT(tmem_flush_object);
