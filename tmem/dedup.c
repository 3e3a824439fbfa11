// SPDX-License-Identifier: GPL-2.0
/*
 * tmem dedup: adopted blobs (those in zsmalloc) by a hash of their bytes.
 * A hash match is only a candidate: the bytes are compared in full before
 * a blob is shared.  Blobs of private pools share domain 0, so identical
 * pages dedup across all the guest's private pools; each shared pool has
 * a domain of its own, so its pages dedup only among themselves.
 *
 * The table is sized at load from RAM, one bucket per TMEM_DEDUP_RATIO
 * pages: a pool capped at 20% of RAM holding two or three blobs per page
 * keeps chains of a few blobs, walked under tmem_lock.
 */

#include <linux/hash.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/xxhash.h>

#include "tmem.h"

/* Pages of RAM per bucket, and bounds on the number of buckets. */
#define TMEM_DEDUP_RATIO	8
#define TMEM_DEDUP_MIN_BITS	8
#define TMEM_DEDUP_MAX_BITS	22
/* Candidates compared at most per lookup. */
#define TMEM_DEDUP_TRIES	8

/* Adopted blobs by tmem_dedup_key() (tmem_lock; the array is fixed). */
static struct hlist_head *tmem_dedup_table;
static unsigned int tmem_dedup_bits;

static u64 tmem_xxh64(const void *data, size_t len)
{
	return xxh64(data, len, 0);
}

/* The content hash; tests may swap it (read by the store worker only). */
static tmem_hash_fn_t tmem_hash_fn = tmem_xxh64;

/**
 * tmem_set_hash_fn() - use another dedup hash function
 * @fn: the function, or NULL for the default (xxh64)
 *
 * For tests, to force hash collisions.
 *
 * Return: the function in use before.
 */
tmem_hash_fn_t tmem_set_hash_fn(tmem_hash_fn_t fn)
{
	return xchg(&tmem_hash_fn, fn ? fn : tmem_xxh64);
}
EXPORT_SYMBOL_IF_KUNIT(tmem_set_hash_fn);

/**
 * tmem_hash() - the dedup hash of stored bytes
 * @data: the bytes
 * @len: their number
 *
 * Return: the hash.
 */
u64 tmem_hash(const void *data, size_t len)
{
	return READ_ONCE(tmem_hash_fn)(data, len);
}

static struct hlist_head *tmem_dedup_bucket(u64 hash, u64 domain)
{
	return &tmem_dedup_table[hash_64(hash ^ domain, tmem_dedup_bits)];
}

/**
 * tmem_dedup_insert_locked() - make an adopted blob a dedup candidate
 * @blob: the blob, with its hash and domain set
 *
 * Context: tmem_lock held.
 */
void tmem_dedup_insert_locked(struct tmem_blob *blob)
{
	hlist_add_head(&blob->hnode, tmem_dedup_bucket(blob->hash,
						       blob->domain));
}

/**
 * tmem_dedup_remove_locked() - forget a blob (hashed or not)
 * @blob: the blob
 *
 * Context: tmem_lock held.
 */
void tmem_dedup_remove_locked(struct tmem_blob *blob)
{
	hlist_del_init(&blob->hnode);
}

static bool tmem_dedup_match(const struct tmem_blob *c,
			     const struct tmem_blob *b, u64 hash)
{
	return c->hash == hash && c->domain == b->domain && c->len == b->len &&
	       c->raw == b->raw;
}

/* The next candidate from @pos on (@pos included), or NULL. */
static struct tmem_blob *tmem_dedup_next_locked(struct hlist_node *pos,
						const struct tmem_blob *b,
						u64 hash)
{
	for (; pos; pos = pos->next) {
		struct tmem_blob *c = hlist_entry(pos, struct tmem_blob, hnode);

		if (tmem_dedup_match(c, b, hash))
			return c;
	}
	return NULL;
}

/**
 * tmem_dedup_find() - an adopted blob with the same bytes as a staged one
 * @staged: the staged blob (its bytes, length, kind and domain)
 * @hash: the hash of its bytes
 * @map: maps a candidate's bytes
 * @unmap: unmaps them
 *
 * Each candidate is held by a reference while its bytes are compared
 * outside tmem_lock, so it stays in the table and the walk can go on.
 *
 * Context: process context, tmem_lock not held.
 * Return: the blob, with a reference the caller must drop, or NULL.
 */
struct tmem_blob *tmem_dedup_find(const struct tmem_blob *staged, u64 hash,
				  void *(*map)(struct tmem_blob *),
				  void (*unmap)(struct tmem_blob *))
{
	struct hlist_head *head;
	struct tmem_blob *c, *next;
	unsigned long flags;
	bool same;
	int tries;

	head = tmem_dedup_bucket(hash, staged->domain);
	spin_lock_irqsave(&tmem_lock, flags);
	c = tmem_dedup_next_locked(head->first, staged, hash);
	for (tries = 0; c && tries < TMEM_DEDUP_TRIES; tries++) {
		tmem_blob_get_locked(c);
		spin_unlock_irqrestore(&tmem_lock, flags);

		same = !memcmp(map(c), staged->data, staged->len);
		unmap(c);
		if (same)
			return c;

		spin_lock_irqsave(&tmem_lock, flags);
		next = tmem_dedup_next_locked(c->hnode.next, staged, hash);
		tmem_blob_put_locked(c);
		c = next;
	}
	spin_unlock_irqrestore(&tmem_lock, flags);
	return NULL;
}

/**
 * tmem_dedup_init() - allocate the table, sized from RAM
 *
 * Return: 0 or -ENOMEM.
 */
int tmem_dedup_init(void)
{
	unsigned long buckets = totalram_pages() / TMEM_DEDUP_RATIO;

	tmem_dedup_bits = clamp_t(unsigned int, ilog2(max(buckets, 1UL)),
				  TMEM_DEDUP_MIN_BITS, TMEM_DEDUP_MAX_BITS);
	tmem_dedup_table = kvcalloc(1UL << tmem_dedup_bits,
				    sizeof(*tmem_dedup_table), GFP_KERNEL);
	return tmem_dedup_table ? 0 : -ENOMEM;
}

/**
 * tmem_dedup_exit() - free the table
 *
 * Context: every blob gone.
 */
void tmem_dedup_exit(void)
{
	kvfree(tmem_dedup_table);
}
