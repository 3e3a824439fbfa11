// SPDX-License-Identifier: GPL-2.0
/*
 * tmem store: per-CPU compression, same-filled pages, blobs, and the store
 * worker that moves staged blobs into zsmalloc or onto identical ones.
 *
 * A put stores its page in an entry at once: a fill value, or a staged
 * blob holding the compressed bytes in slab memory (or a whole page for
 * more than half a page of bytes).  The worker, in process context and
 * without tmem_lock, later finds an identical adopted blob (dedup) or
 * copies the bytes into zsmalloc under the pool cap, and repoints the
 * entry under tmem_lock.  Blobs never change once made, so a reader
 * holding a reference needs no lock.  zsmalloc handles of blobs that lose
 * their last reference are freed by the worker (see tmem.h for why never
 * under tmem_lock or a caller's lock).
 *
 * The cap bounds zsmalloc's pages plus every byte of metadata (entries,
 * objects, blob headers) and of staged data (tmem_used_pages()).  Only
 * the worker enforces it, so puts may go over it by at most the staging
 * budget until the worker runs.  Over the cap, the worker evicts least
 * recently used pages by bytes down to 1/16 below the cap, then compacts
 * zsmalloc, so that it does not evict again for every page it stores.
 */

#include <linux/crypto.h>
#include <linux/err.h>
#include <linux/local_lock.h>
#include <linux/lz4.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/sched.h>
#include <linux/sched/clock.h>
#include <linux/slab.h>
#include <linux/workqueue.h>
#include <linux/xxhash.h>
#include <linux/zsmalloc.h>

#include "tmem.h"

/* Staged memory never exceeds this, nor a quarter of the cap ... */
#define TMEM_STAGE_MAX		(16UL << 20)
/* ... unless the cap is tiny: this much may always be staged. */
#define TMEM_STAGE_MIN		(16 * PAGE_SIZE)
/* Staged data of more bytes than this takes a whole page. */
#define TMEM_STAGE_SLAB_MAX	(PAGE_SIZE / 2)
/* Over the cap, evict down to this fraction below it ... */
#define TMEM_CAP_SLACK		16
/* ... in at most this many rounds of eviction and compaction. */
#define TMEM_CAP_ROUNDS		4

/* The worker's allocations: process context, but no reclaim for a cache. */
#define TMEM_WORKER_GFP		(GFP_NOWAIT | __GFP_NOWARN)

/* lz4 compresses through the library, with an acceleration factor. */
#if IS_REACHABLE(CONFIG_LZ4_COMPRESS)
#define TMEM_LZ4_WRKMEM		LZ4_MEM_COMPRESS
#else
#define TMEM_LZ4_WRKMEM		0
#endif

/**
 * struct tmem_pcpu - one CPU's compressor
 * @lock: serialises the users of @tfm, @buf and @wrk on this CPU
 * @tfm: the transform
 * @buf: the compression output, two pages
 * @wrk: lz4's work memory, when lz4 compresses through the library
 */
struct tmem_pcpu {
	local_lock_t lock;
	struct crypto_comp *tfm;
	u8 *buf;
	void *wrk;
};

/**
 * struct tmem_comp - a compressor with a transform per possible CPU
 * @pcpu: the per-CPU transforms and buffers
 * @lz4: compress with LZ4_compress_fast() (the crypto API's lz4 has no
 *       acceleration); the output is the same format, decompressed
 *       through the crypto API
 */
struct tmem_comp {
	struct tmem_pcpu __percpu *pcpu;
	bool lz4;
};

static struct tmem_comp *tmem_comp;
static struct zs_pool *tmem_zs;
static struct kmem_cache *tmem_blob_cache;

/* Blobs waiting for the worker, oldest first (tmem_lock). */
static LIST_HEAD(tmem_staged);
/* Memory held by staged blobs not parked (tmem_lock). */
static unsigned long tmem_staged_bytes;
/* Unreferenced adopted blobs whose handle the worker must free (tmem_lock). */
static LIST_HEAD(tmem_free_list);

static void tmem_store_fn(struct work_struct *work);
static DECLARE_WORK(tmem_store_work, tmem_store_fn);

/**
 * tmem_comp_destroy() - free a compressor
 * @comp: the compressor, or NULL
 */
void tmem_comp_destroy(struct tmem_comp *comp)
{
	int cpu;

	if (!comp)
		return;
	for_each_possible_cpu(cpu) {
		struct tmem_pcpu *p = per_cpu_ptr(comp->pcpu, cpu);

		if (!IS_ERR_OR_NULL(p->tfm))
			crypto_free_comp(p->tfm);
		kfree(p->buf);
		kvfree(p->wrk);
	}
	free_percpu(comp->pcpu);
	kfree(comp);
}
EXPORT_SYMBOL_IF_KUNIT(tmem_comp_destroy);

/**
 * tmem_comp_create() - a compressor for every possible CPU
 * @name: the crypto API name of the algorithm (lz4, zstd, lzo...)
 *
 * Context: process context, may sleep.
 * Return: the compressor or an ERR_PTR().
 */
struct tmem_comp *tmem_comp_create(const char *name)
{
	struct tmem_comp *comp;
	int cpu;

	if (!crypto_has_comp(name, 0, 0))
		return ERR_PTR(-ENOENT);
	comp = kzalloc(sizeof(*comp), GFP_KERNEL);
	if (!comp)
		return ERR_PTR(-ENOMEM);
	comp->pcpu = alloc_percpu(struct tmem_pcpu);
	if (!comp->pcpu) {
		kfree(comp);
		return ERR_PTR(-ENOMEM);
	}
	comp->lz4 = TMEM_LZ4_WRKMEM && !strcmp(name, "lz4");
	for_each_possible_cpu(cpu) {
		struct tmem_pcpu *p = per_cpu_ptr(comp->pcpu, cpu);

		local_lock_init(&p->lock);
		p->tfm = crypto_alloc_comp(name, 0, 0);
		p->buf = kmalloc_node(2 * PAGE_SIZE, GFP_KERNEL,
				      cpu_to_node(cpu));
		if (comp->lz4)
			p->wrk = kvmalloc_node(TMEM_LZ4_WRKMEM, GFP_KERNEL,
					       cpu_to_node(cpu));
		if (IS_ERR(p->tfm) || !p->buf || (comp->lz4 && !p->wrk)) {
			int ret = IS_ERR(p->tfm) ? PTR_ERR(p->tfm) : -ENOMEM;

			tmem_comp_destroy(comp);
			return ERR_PTR(ret);
		}
	}
	return comp;
}
EXPORT_SYMBOL_IF_KUNIT(tmem_comp_create);

/*
 * Compress a page into @dst, of @max bytes, on this CPU's compressor
 * (local lock held).  Return: 0, -E2BIG if the output does not fit in
 * @max, or another negative errno.
 */
static int tmem_pcpu_compress(struct tmem_comp *comp, struct tmem_pcpu *p,
			      const void *src, void *dst, unsigned int max,
			      unsigned int *dlen)
{
	int ret;

#if IS_REACHABLE(CONFIG_LZ4_COMPRESS)
	if (comp->lz4) {
		/* Stops as soon as the output would not fit. */
		ret = LZ4_compress_fast(src, dst, PAGE_SIZE, max,
					clamp(READ_ONCE(tmem_lz4_acceleration),
					      1U, 65537U), p->wrk);
		*dlen = ret;
		return ret > 0 ? 0 : -E2BIG;
	}
#endif
	*dlen = 2 * PAGE_SIZE;
	ret = crypto_comp_compress(p->tfm, src, PAGE_SIZE, dst, dlen);
	if (!ret && *dlen > max)
		ret = -E2BIG;
	return ret;
}

/**
 * tmem_comp_compress() - compress one page
 * @comp: the compressor
 * @src: the page's bytes
 * @dst: at least 2 * PAGE_SIZE bytes
 * @dlen: set to the compressed length
 *
 * Context: any context but hard IRQ; never sleeps.
 * Return: 0 or a negative errno.
 */
int tmem_comp_compress(struct tmem_comp *comp, const void *src, void *dst,
		       unsigned int *dlen)
{
	struct tmem_pcpu *p;
	unsigned long flags;
	int ret;

	local_lock_irqsave(&comp->pcpu->lock, flags);
	p = this_cpu_ptr(comp->pcpu);
	ret = tmem_pcpu_compress(comp, p, src, dst, 2 * PAGE_SIZE, dlen);
	local_unlock_irqrestore(&comp->pcpu->lock, flags);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(tmem_comp_compress);

/**
 * tmem_comp_decompress() - decompress one page
 * @comp: the compressor
 * @src: the compressed bytes
 * @slen: their length
 * @dst: the page's bytes
 *
 * Context: any context but hard IRQ; never sleeps.
 * Return: 0, or a negative errno if @src is not a compressed page.
 */
int tmem_comp_decompress(struct tmem_comp *comp, const void *src,
			 unsigned int slen, void *dst)
{
	unsigned int dlen = PAGE_SIZE;
	unsigned long flags;
	int ret;

	local_lock_irqsave(&comp->pcpu->lock, flags);
	ret = crypto_comp_decompress(this_cpu_ptr(comp->pcpu)->tfm, src, slen,
				     dst, &dlen);
	local_unlock_irqrestore(&comp->pcpu->lock, flags);
	if (!ret && dlen != PAGE_SIZE)
		ret = -EINVAL;
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(tmem_comp_decompress);

/**
 * tmem_page_same_filled() - is a page one unsigned long repeated?
 * @ptr: the page's bytes
 * @value: set to that value when it is
 *
 * Return: true if every word of the page equals the first.
 */
bool tmem_page_same_filled(const void *ptr, unsigned long *value)
{
	const unsigned long *word = ptr;
	unsigned int i, last = PAGE_SIZE / sizeof(*word) - 1;

	/* The last word first: most pages that are not differ there. */
	if (word[0] != word[last])
		return false;
	for (i = 1; i < last; i++)
		if (word[i] != word[0])
			return false;
	*value = word[0];
	return true;
}
EXPORT_SYMBOL_IF_KUNIT(tmem_page_same_filled);

/*
 * The memory taken by the data of a staged blob of @len bytes: a whole
 * page, or one kmalloc() buffer of TMEM_STAGE_SLAB_MAX bytes, allocated
 * before compressing so that a put that would fail for lack of memory
 * fails before the work.
 */
static size_t tmem_stage_size(unsigned int len)
{
	return len > TMEM_STAGE_SLAB_MAX ? PAGE_SIZE :
	       kmalloc_size_roundup(TMEM_STAGE_SLAB_MAX);
}

/* The memory a blob takes outside zsmalloc, counted by tmem_meta_add(). */
static size_t tmem_blob_mem(const struct tmem_blob *blob)
{
	size_t mem = kmem_cache_size(tmem_blob_cache);

	if (blob->staged)
		mem += tmem_stage_size(blob->len);
	return mem;
}

static struct tmem_blob *tmem_blob_alloc(gfp_t gfp)
{
	struct tmem_blob *blob = kmem_cache_zalloc(tmem_blob_cache, gfp);

	if (!blob)
		return NULL;
	INIT_HLIST_NODE(&blob->hnode);
	INIT_LIST_HEAD(&blob->node);
	blob->refs = 1;
	return blob;
}

/**
 * tmem_blob_free() - free a blob, not in any list, and its staged data
 * @blob: the blob, or NULL
 */
void tmem_blob_free(struct tmem_blob *blob)
{
	if (!blob)
		return;
	tmem_meta_add(-(long)tmem_blob_mem(blob));
	if (blob->staged && blob->len > TMEM_STAGE_SLAB_MAX)
		free_page((unsigned long)blob->data);
	else if (blob->staged)
		kfree(blob->data);
	kmem_cache_free(tmem_blob_cache, blob);
}
EXPORT_SYMBOL_IF_KUNIT(tmem_blob_free);

/*
 * An empty staged blob with room for TMEM_STAGE_SLAB_MAX bytes, or NULL.
 * Freed with kmem_cache_free() and kfree() until tmem_blob_fill().
 */
static struct tmem_blob *tmem_blob_prealloc(void)
{
	struct tmem_blob *blob = tmem_blob_alloc(TMEM_GFP);

	if (!blob)
		return NULL;
	blob->data = kmalloc(TMEM_STAGE_SLAB_MAX, TMEM_GFP);
	if (!blob->data) {
		kmem_cache_free(tmem_blob_cache, blob);
		return NULL;
	}
	blob->staged = true;
	return blob;
}

static void tmem_blob_unprealloc(struct tmem_blob *blob)
{
	kfree(blob->data);
	kmem_cache_free(tmem_blob_cache, blob);
}

/*
 * Put @len bytes of @data into the preallocated @blob (a page instead of
 * its buffer for more than TMEM_STAGE_SLAB_MAX).  Return: @blob, or NULL
 * with @blob freed.
 */
static struct tmem_blob *tmem_blob_fill(struct tmem_blob *blob,
					const void *data, unsigned int len,
					bool raw)
{
	if (len > TMEM_STAGE_SLAB_MAX) {
		void *page = (void *)__get_free_page(TMEM_GFP);

		if (!page) {
			tmem_blob_unprealloc(blob);
			return NULL;
		}
		kfree(blob->data);
		blob->data = page;
	}
	blob->len = len;
	blob->raw = raw;
	memcpy(blob->data, data, len);
	tmem_meta_add(tmem_blob_mem(blob));
	return blob;
}

/*
 * Compress @src into a staged blob for @e, raw if @store_raw and it does
 * not compress; under the CPU's local lock.
 */
static int tmem_stage_page(const void *src, struct tmem_entry *e,
			   bool store_raw)
{
	struct tmem_blob *blob = tmem_blob_prealloc();
	unsigned int dlen, limit;
	struct tmem_pcpu *p;
	unsigned long flags;
	int ret;
	u64 t0;

	if (!blob)
		return -ENOMEM;
	limit = PAGE_SIZE * min(READ_ONCE(tmem_compress_threshold), 100U) / 100;
	local_lock_irqsave(&tmem_comp->pcpu->lock, flags);
	p = this_cpu_ptr(tmem_comp->pcpu);
	t0 = local_clock();
	ret = tmem_pcpu_compress(tmem_comp, p, src, p->buf, limit, &dlen);
	tmem_stat_add(TMEM_STAT_COMPRESS_NS, local_clock() - t0);
	if (!ret) {
		e->blob = tmem_blob_fill(blob, p->buf, dlen, false);
	} else if (store_raw) {
		e->blob = tmem_blob_fill(blob, src, PAGE_SIZE, true);
	} else {
		tmem_blob_unprealloc(blob);
		ret = -E2BIG;
	}
	local_unlock_irqrestore(&tmem_comp->pcpu->lock, flags);
	/* A page that could not be allocated is not incompressible. */
	if (!ret || store_raw)
		ret = e->blob ? 0 : -ENOMEM;
	return ret;
}

/**
 * tmem_store_page() - fill an entry with a copy of a page
 * @page: the page
 * @e: the entry, not yet visible: gets a fill value or a staged blob
 * @guess_incompressible: reject the page as incompressible without
 *                        compressing it, unless it is same-filled or
 *                        @store_raw
 * @store_raw: store an incompressible page uncompressed; the caller reads
 *             tmem_store_raw once, as it may change at any time
 *
 * Context: any context but hard IRQ; never sleeps.
 * Return: 0, -E2BIG for an incompressible page not stored raw, -ENOMEM.
 */
int tmem_store_page(struct page *page, struct tmem_entry *e,
		    bool guess_incompressible, bool store_raw)
{
	void *src = kmap_local_page(page);
	int ret = 0;

	if (READ_ONCE(tmem_integrity)) {
		e->csum = xxh64(src, PAGE_SIZE, 0);
		e->has_csum = true;
	}
	if (tmem_page_same_filled(src, &e->value))
		ret = 0;
	else if (guess_incompressible && !store_raw)
		ret = -E2BIG;
	else
		ret = tmem_stage_page(src, e, store_raw);
	kunmap_local(src);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(tmem_store_page);

static int tmem_load_bytes(const void *src, const struct tmem_blob *blob,
			   void *dst)
{
	if (blob->raw) {
		memcpy(dst, src, PAGE_SIZE);
		return 0;
	}
	return tmem_comp_decompress(tmem_comp, src, blob->len, dst);
}

/**
 * tmem_load_page() - copy what an entry holds into a page
 * @e: a copy of the entry, whose blob the caller holds a reference on
 * @page: the page
 *
 * Context: process context; never sleeps.
 * Return: 0, or -EIO if the copy is corrupt (a rate-limited error).
 */
int tmem_load_page(const struct tmem_entry *e, struct page *page)
{
	struct tmem_blob *blob = e->blob;
	void *dst = kmap_local_page(page);
	int ret = 0;

	if (!blob) {
		memset_l(dst, e->value, PAGE_SIZE / sizeof(unsigned long));
	} else if (blob->staged) {
		ret = tmem_load_bytes(blob->data, blob, dst);
	} else {
		void *src = zs_map_object(tmem_zs, blob->handle, ZS_MM_RO);

		ret = tmem_load_bytes(src, blob, dst);
		zs_unmap_object(tmem_zs, blob->handle);
	}
	if (!ret && e->has_csum && xxh64(dst, PAGE_SIZE, 0) != e->csum)
		ret = -EBADMSG;
	kunmap_local(dst);
	if (ret) {
		tmem_stat_inc(TMEM_STAT_INTEGRITY_FAILURES);
		pr_err_ratelimited("corrupt copy of page %lu (%s), dropped\n",
				   e->index, ret == -EBADMSG ?
				   "checksum mismatch" : "bad compressed data");
		ret = -EIO;
	}
	return ret;
}

/**
 * tmem_blob_keep() - a copy, outside zsmalloc, of an adopted blob's bytes
 * @blob: the adopted blob, on which the caller holds a reference
 *
 * For a kept entry, whose bytes a put compares in atomic context, where
 * zsmalloc may not be called.  The copy is staged and parked: on no list.
 *
 * Context: process context, no spinlock held; never sleeps.
 * Return: the copy, with one reference, or NULL.
 */
struct tmem_blob *tmem_blob_keep(struct tmem_blob *blob)
{
	struct tmem_blob *k = tmem_blob_alloc(TMEM_GFP);
	void *src;

	if (!k)
		return NULL;
	if (blob->len > TMEM_STAGE_SLAB_MAX)
		k->data = (void *)__get_free_page(TMEM_GFP);
	else
		k->data = kmalloc(TMEM_STAGE_SLAB_MAX, TMEM_GFP);
	if (!k->data) {
		kmem_cache_free(tmem_blob_cache, k);
		return NULL;
	}
	k->staged = true;
	k->parked = true;
	k->len = blob->len;
	k->raw = blob->raw;
	k->domain = blob->domain;
	src = zs_map_object(tmem_zs, blob->handle, ZS_MM_RO);
	memcpy(k->data, src, blob->len);
	zs_unmap_object(tmem_zs, blob->handle);
	tmem_meta_add(tmem_blob_mem(k));
	tmem_stat_add(TMEM_STAT_COMPRESSED_BYTES, k->len);
	return k;
}

/**
 * tmem_page_same() - does a page hold what an entry stores?
 * @e: a copy of the entry, whose blob (staged, if any) the caller holds
 * @page: the page
 *
 * Context: any context but hard IRQ; never sleeps.
 * Return: true if every byte is the same.
 */
bool tmem_page_same(const struct tmem_entry *e, struct page *page)
{
	const struct tmem_blob *blob = e->blob;
	void *src = kmap_local_page(page);
	unsigned int dlen = PAGE_SIZE;
	unsigned long flags, value;
	struct tmem_pcpu *p;
	bool same;

	if (!blob) {
		same = tmem_page_same_filled(src, &value) && value == e->value;
	} else if (blob->raw) {
		same = !memcmp(src, blob->data, PAGE_SIZE);
	} else {
		local_lock_irqsave(&tmem_comp->pcpu->lock, flags);
		p = this_cpu_ptr(tmem_comp->pcpu);
		same = !crypto_comp_decompress(p->tfm, blob->data, blob->len,
					       p->buf, &dlen) &&
		       dlen == PAGE_SIZE && !memcmp(src, p->buf, PAGE_SIZE);
		local_unlock_irqrestore(&tmem_comp->pcpu->lock, flags);
	}
	kunmap_local(src);
	return same;
}

/**
 * tmem_blob_get_locked() - take a reference on a blob
 * @blob: the blob
 *
 * Context: tmem_lock held.
 */
void tmem_blob_get_locked(struct tmem_blob *blob)
{
	blob->refs++;
}

/**
 * tmem_blob_put_locked() - drop a reference on a blob
 * @blob: the blob
 *
 * The last reference frees a staged blob, or hands an adopted one to the
 * worker, which frees its zsmalloc handle.
 *
 * Context: tmem_lock held.
 */
void tmem_blob_put_locked(struct tmem_blob *blob)
{
	if (--blob->refs)
		return;
	tmem_stat_add(TMEM_STAT_COMPRESSED_BYTES, -(s64)blob->len);
	if (blob->staged) {
		list_del(&blob->node);
		if (!blob->parked)
			tmem_staged_bytes -= tmem_blob_mem(blob);
		tmem_blob_free(blob);
		return;
	}
	tmem_dedup_remove_locked(blob);
	list_add_tail(&blob->node, &tmem_free_list);
	tmem_store_kick();
}

/**
 * tmem_blob_put() - drop a reference on a blob, taking tmem_lock
 * @blob: the blob
 */
void tmem_blob_put(struct tmem_blob *blob)
{
	unsigned long flags;

	spin_lock_irqsave(&tmem_lock, flags);
	tmem_blob_put_locked(blob);
	spin_unlock_irqrestore(&tmem_lock, flags);
}

/**
 * tmem_stage_full_locked() - would one more staged blob be too many?
 * @blob: the blob
 *
 * Context: tmem_lock held.
 * Return: true if the put must be rejected.
 */
bool tmem_stage_full_locked(const struct tmem_blob *blob)
{
	unsigned long cap = tmem_cap_pages();
	unsigned long max = TMEM_STAGE_MAX;

	if (cap / 4 < max >> PAGE_SHIFT)
		max = max((cap / 4) << PAGE_SHIFT, TMEM_STAGE_MIN);
	return tmem_staged_bytes + tmem_blob_mem(blob) > max;
}

/**
 * tmem_store_kick() - have the worker run
 *
 * Context: any context but hard IRQ.
 */
void tmem_store_kick(void)
{
	queue_work(system_unbound_wq, &tmem_store_work);
}

/**
 * tmem_stage_locked() - queue a new entry's staged blob for the worker
 * @blob: the blob
 * @e: the entry that holds it
 *
 * Context: tmem_lock held.
 */
void tmem_stage_locked(struct tmem_blob *blob, struct tmem_entry *e)
{
	blob->owner = e;
	list_add_tail(&blob->node, &tmem_staged);
	tmem_staged_bytes += tmem_blob_mem(blob);
	tmem_stat_add(TMEM_STAT_COMPRESSED_BYTES, blob->len);
	tmem_store_kick();
}

/**
 * tmem_park_locked() - take a kept entry's staged blob out of staging
 * @blob: the staged blob, whose owner no get can find any more
 *
 * The worker would spend zsmalloc space, and maybe evict pages a get can
 * find, on a page only an unchanged put may want back.
 *
 * Context: tmem_lock held.
 */
void tmem_park_locked(struct tmem_blob *blob)
{
	if (blob->parked)
		return;
	list_del_init(&blob->node);
	blob->parked = true;
	tmem_staged_bytes -= tmem_blob_mem(blob);
}

/**
 * tmem_restage_locked() - queue a kept entry's parked blob for the worker
 * @blob: the blob, whose owner is visible again
 *
 * Within the staging budget, the worker moves it back into zsmalloc; past
 * it, it stays parked where it is.
 *
 * Context: tmem_lock held.
 */
void tmem_restage_locked(struct tmem_blob *blob)
{
	if (!blob->parked || tmem_stage_full_locked(blob))
		return;
	blob->parked = false;
	list_add_tail(&blob->node, &tmem_staged);
	tmem_staged_bytes += tmem_blob_mem(blob);
	tmem_store_kick();
}

/**
 * tmem_free_pending() - free the zsmalloc handles of unreferenced blobs
 *
 * Context: process context, no spinlock held.
 */
void tmem_free_pending(void)
{
	struct tmem_blob *blob, *tmp;
	unsigned long flags;
	LIST_HEAD(list);

	spin_lock_irqsave(&tmem_lock, flags);
	list_splice_init(&tmem_free_list, &list);
	spin_unlock_irqrestore(&tmem_lock, flags);
	list_for_each_entry_safe(blob, tmp, &list, node) {
		zs_free(tmem_zs, blob->handle);
		tmem_blob_free(blob);
	}
}
EXPORT_SYMBOL_IF_KUNIT(tmem_free_pending);

static void *tmem_zs_map(struct tmem_blob *blob)
{
	return zs_map_object(tmem_zs, blob->handle, ZS_MM_RO);
}

static void tmem_zs_unmap(struct tmem_blob *blob)
{
	zs_unmap_object(tmem_zs, blob->handle);
}

/*
 * Bring the memory used to at most the cap less @need pages; when it has
 * to evict, evict down to 1/TMEM_CAP_SLACK below that, by bytes, and
 * compact zsmalloc.  Return: true if there is room.
 */
static bool tmem_make_room(unsigned long need)
{
	unsigned long cap = tmem_cap_pages(), target, used;
	int round;
	u64 t0;

	if (cap < need)
		return false;
	cap -= need;
	if (tmem_used_pages() <= cap)
		return true;
	target = cap - cap / TMEM_CAP_SLACK;
	for (round = 0; round < TMEM_CAP_ROUNDS; round++) {
		used = tmem_used_pages();
		if (used <= target)
			break;
		if (!tmem_evict_bytes((used - target) << PAGE_SHIFT,
				      TMEM_EVICT_CAP))
			break;
		tmem_free_pending();
		t0 = local_clock();
		zs_compact(tmem_zs);
		tmem_stat_add(TMEM_STAT_COMPACT_NS, local_clock() - t0);
		tmem_stat_inc(TMEM_STAT_COMPACTIONS);
	}
	return tmem_used_pages() <= cap;
}

/*
 * Allocate @len bytes in zsmalloc without going over the cap.  Return: the
 * handle, or 0 with *@err set to -EDQUOT (no room) or -ENOMEM.
 */
static unsigned long tmem_zs_alloc(unsigned int len, int *err)
{
	/*
	 * Process context without locks: a new zspage may reclaim a little
	 * (no retries), which trades page cache for compressed pages.
	 */
	gfp_t gfp = GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN |
		    __GFP_HIGHMEM | __GFP_MOVABLE;
	unsigned long handle;

	*err = -EDQUOT;
	/* A new zspage may be needed: room for one page at least. */
	if (!tmem_make_room(1))
		return 0;
	handle = zs_malloc(tmem_zs, len, gfp);
	if (IS_ERR_VALUE(handle) || !handle) {
		*err = -ENOMEM;
		return 0;
	}
	if (tmem_used_pages() <= tmem_cap_pages() || tmem_make_room(0))
		return handle;
	zs_free(tmem_zs, handle);
	return 0;
}

/*
 * An adopted copy of the staged blob @b, with one reference, or NULL with
 * *@err set to why.
 */
static struct tmem_blob *tmem_adopt(struct tmem_blob *b, u64 hash, int *err)
{
	struct tmem_blob *z;
	void *dst;

	*err = -ENOMEM;
	z = tmem_blob_alloc(TMEM_WORKER_GFP);
	if (!z)
		return NULL;
	z->handle = tmem_zs_alloc(b->len, err);
	if (!z->handle) {
		kmem_cache_free(tmem_blob_cache, z);
		return NULL;
	}
	dst = zs_map_object(tmem_zs, z->handle, ZS_MM_WO);
	memcpy(dst, b->data, b->len);
	zs_unmap_object(tmem_zs, z->handle);
	z->hash = hash;
	z->domain = b->domain;
	z->len = b->len;
	z->raw = b->raw;
	tmem_meta_add(tmem_blob_mem(z));
	tmem_stat_add(TMEM_STAT_COMPRESSED_BYTES, z->len);
	return z;
}

/* Move the staged blob @b, on which we hold a reference, out of staging. */
static void tmem_commit(struct tmem_blob *b)
{
	struct tmem_blob *z = NULL;
	struct tmem_entry *e;
	unsigned long flags;
	int err = 0;
	u64 hash;
	bool dup;

	hash = tmem_hash(b->data, b->len);
	if (READ_ONCE(tmem_dedup))
		z = tmem_dedup_find(b, hash, tmem_zs_map, tmem_zs_unmap);
	dup = !!z;
	if (!z)
		z = tmem_adopt(b, hash, &err);

	spin_lock_irqsave(&tmem_lock, flags);
	e = b->owner;
	if (e && z) {
		b->owner = NULL;
		e->blob = z;
		tmem_blob_get_locked(z);
		tmem_blob_put_locked(b);
		if (dup)
			tmem_stat_inc(TMEM_STAT_DEDUP_HITS);
		else
			tmem_dedup_insert_locked(z);
	} else if (e && !(e->obj->pool->flags & TMEM_POOL_PERSISTENT)) {
		/* No room under the cap: an ephemeral page may go. */
		tmem_entry_drop_locked(e);
		tmem_stat_reject(err);
	} else if (e && !b->parked) {
		/*
		 * A persistent page that found no room stays staged, counted
		 * under the cap but no longer in the staging budget, which
		 * it would otherwise exhaust for good.
		 */
		b->parked = true;
		tmem_staged_bytes -= tmem_blob_mem(b);
	}
	if (z)
		tmem_blob_put_locked(z);
	spin_unlock_irqrestore(&tmem_lock, flags);
}

static void tmem_store_fn(struct work_struct *work)
{
	struct tmem_blob *b;
	unsigned long flags;
	u64 t0 = local_clock();

	for (;;) {
		tmem_free_pending();
		if (tmem_over_cap())
			tmem_make_room(0);
		spin_lock_irqsave(&tmem_lock, flags);
		b = list_first_entry_or_null(&tmem_staged, struct tmem_blob,
					     node);
		if (b) {
			list_del_init(&b->node);
			tmem_blob_get_locked(b);
		}
		spin_unlock_irqrestore(&tmem_lock, flags);
		if (!b)
			break;
		if (READ_ONCE(b->owner))
			tmem_commit(b);
		tmem_blob_put(b);
		tmem_stat_add(TMEM_STAT_WORKER_NS, local_clock() - t0);
		cond_resched();
		t0 = local_clock();
	}
	tmem_stat_add(TMEM_STAT_WORKER_NS, local_clock() - t0);
}

/**
 * tmem_drain() - wait until the worker has stored every staged page
 *
 * Context: process context, may sleep.
 */
void tmem_drain(void)
{
	tmem_reap_sync();
	flush_work(&tmem_store_work);
	tmem_store_fn(NULL);
}
EXPORT_SYMBOL_IF_KUNIT(tmem_drain);

/**
 * tmem_pool_pages() - pages held by the zsmalloc pool
 *
 * Return: their number.
 */
unsigned long tmem_pool_pages(void)
{
	return zs_get_total_pages(tmem_zs);
}
EXPORT_SYMBOL_IF_KUNIT(tmem_pool_pages);

/**
 * tmem_zs_pool() - the zsmalloc pool, for tests
 *
 * Return: the pool.
 */
struct zs_pool *tmem_zs_pool(void)
{
	return tmem_zs;
}
EXPORT_SYMBOL_IF_KUNIT(tmem_zs_pool);

/**
 * tmem_store_init() - make the compressor and the zsmalloc pool
 *
 * Return: 0 or a negative errno.
 */
int tmem_store_init(void)
{
	tmem_comp = tmem_comp_create(tmem_compressor);
	if (IS_ERR(tmem_comp)) {
		pr_err("compressor %s unavailable: %ld\n", tmem_compressor,
		       PTR_ERR(tmem_comp));
		return PTR_ERR(tmem_comp);
	}
	tmem_blob_cache = KMEM_CACHE(tmem_blob, 0);
	if (!tmem_blob_cache)
		goto out_comp;
	tmem_zs = zs_create_pool("tmem");
	if (!tmem_zs)
		goto out_cache;
	return 0;

out_cache:
	kmem_cache_destroy(tmem_blob_cache);
out_comp:
	tmem_comp_destroy(tmem_comp);
	return -ENOMEM;
}

/**
 * tmem_store_exit() - free what tmem_store_init() made
 *
 * Context: every pool destroyed, no operation running.
 */
void tmem_store_exit(void)
{
	cancel_work_sync(&tmem_store_work);
	tmem_free_pending();
	WARN_ON(!list_empty(&tmem_staged));
	zs_destroy_pool(tmem_zs);
	kmem_cache_destroy(tmem_blob_cache);
	tmem_comp_destroy(tmem_comp);
}
