// SPDX-License-Identifier: GPL-2.0
/*
 * tmem test hooks, built only with KUnit: look at how a page is stored,
 * and damage a stored copy to exercise integrity checking.
 */

#include <linux/module.h>
#include <linux/zsmalloc.h>

#include "tmem.h"

/**
 * tmem_peek() - describe how a page is stored
 * @pool_id: the pool
 * @oid: the object id
 * @index: the page index
 * @peek: filled in
 *
 * Return: 0, or -ENOENT if nothing is stored there.
 */
int tmem_peek(int pool_id, const struct tmem_oid *oid, pgoff_t index,
	      struct tmem_peek *peek)
{
	struct tmem_entry *e;
	unsigned long flags;

	spin_lock_irqsave(&tmem_lock, flags);
	e = tmem_lookup_locked(pool_id, oid, index);
	if (e) {
		memset(peek, 0, sizeof(*peek));
		peek->same_filled = !e->blob;
		if (e->blob) {
			peek->staged = e->blob->staged;
			peek->raw = e->blob->raw;
			peek->refs = e->blob->refs;
			peek->len = e->blob->len;
		}
	}
	spin_unlock_irqrestore(&tmem_lock, flags);
	return e ? 0 : -ENOENT;
}
EXPORT_SYMBOL_IF_KUNIT(tmem_peek);

/**
 * tmem_corrupt() - flip a bit of a stored copy
 * @pool_id: the pool
 * @oid: the object id
 * @index: the page index
 *
 * Flips the first stored byte of an adopted blob, or a bit of the fill
 * value of a same-filled page.
 *
 * Context: process context, the store worker drained.
 * Return: 0, -ENOENT if nothing is stored there, -EBUSY if still staged.
 */
int tmem_corrupt(int pool_id, const struct tmem_oid *oid, pgoff_t index)
{
	struct tmem_blob *blob = NULL;
	struct tmem_entry *e;
	unsigned long flags;
	int ret = 0;
	u8 *p;

	spin_lock_irqsave(&tmem_lock, flags);
	e = tmem_lookup_locked(pool_id, oid, index);
	if (!e)
		ret = -ENOENT;
	else if (!e->blob)
		e->value ^= 1;
	else if (e->blob->staged)
		ret = -EBUSY;
	else
		blob = e->blob;
	if (blob)
		tmem_blob_get_locked(blob);
	spin_unlock_irqrestore(&tmem_lock, flags);
	if (!blob)
		return ret;
	p = zs_map_object(tmem_zs_pool(), blob->handle, ZS_MM_RW);
	p[0] ^= 0x80;
	zs_unmap_object(tmem_zs_pool(), blob->handle);
	tmem_blob_put(blob);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(tmem_corrupt);
