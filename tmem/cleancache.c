// SPDX-License-Identifier: GPL-2.0
/*
 * tmem as the cleancache backend: a private ephemeral pool per filesystem,
 * a shared ephemeral pool per UUID listed in shared_uuids, the file key as
 * the object id.
 *
 * Against a kernel whose cleancache can unregister a backend, unloading
 * is safe at any time: cleancache_unregister_ops() waits for running
 * callbacks.  Against classic cleancache (no unregister) the module pins
 * itself once registered.
 */

#include <linux/cleancache.h>
#include <linux/module.h>

#include "tmem.h"

static struct tmem_oid tmem_cc_oid(const struct cleancache_filekey *key)
{
	struct tmem_oid oid;

	BUILD_BUG_ON(sizeof(oid) != sizeof(*key));
	memcpy(&oid, key, sizeof(oid));
	return oid;
}

static int tmem_cc_init_fs(size_t pagesize)
{
	if (pagesize != PAGE_SIZE)
		return -EINVAL;
	return tmem_new_pool(0, NULL);
}

static int tmem_cc_init_shared_fs(uuid_t *uuid, size_t pagesize)
{
	if (pagesize != PAGE_SIZE)
		return -EINVAL;
	if (tmem_shared_allowed(uuid))
		return tmem_new_pool(TMEM_POOL_SHARED, uuid);
	pr_info_once("filesystem %pUb not in shared_uuids: private pool instead\n",
		     uuid);
	return tmem_new_pool(0, NULL);
}

static int tmem_cc_get_page(int pool, struct cleancache_filekey key,
			    pgoff_t index, struct page *page)
{
	struct tmem_oid oid = tmem_cc_oid(&key);

	return tmem_get(pool, &oid, index, page);
}

static void tmem_cc_put_page(int pool, struct cleancache_filekey key,
			     pgoff_t index, struct page *page)
{
	struct tmem_oid oid = tmem_cc_oid(&key);

	tmem_put(pool, &oid, index, page);
}

static void tmem_cc_invalidate_page(int pool, struct cleancache_filekey key,
				    pgoff_t index)
{
	struct tmem_oid oid = tmem_cc_oid(&key);

	tmem_flush_page(pool, &oid, index);
}

static void tmem_cc_invalidate_inode(int pool, struct cleancache_filekey key)
{
	struct tmem_oid oid = tmem_cc_oid(&key);

	tmem_flush_object(pool, &oid);
}

static void tmem_cc_invalidate_fs(int pool)
{
	tmem_destroy_pool(pool);
}

static const struct cleancache_ops tmem_cleancache_ops = {
	.init_fs = tmem_cc_init_fs,
	.init_shared_fs = tmem_cc_init_shared_fs,
	.get_page = tmem_cc_get_page,
	.put_page = tmem_cc_put_page,
	.invalidate_page = tmem_cc_invalidate_page,
	.invalidate_inode = tmem_cc_invalidate_inode,
	.invalidate_fs = tmem_cc_invalidate_fs,
};

/**
 * tmem_cleancache_init() - become the cleancache backend
 *
 * Return: 0, or a negative errno (another backend is registered).
 */
int tmem_cleancache_init(void)
{
	int ret = cleancache_register_ops(&tmem_cleancache_ops);

	if (ret) {
		pr_err("cannot register with cleancache: %d\n", ret);
		return ret;
	}
#ifndef CLEANCACHE_HAS_UNREGISTER
	/* Classic cleancache cannot let go of a backend: stay loaded. */
	__module_get(THIS_MODULE);
#endif
	return 0;
}

/**
 * tmem_cleancache_exit() - stop being the backend
 *
 * Context: returns once no callback runs any more.
 */
void tmem_cleancache_exit(void)
{
#ifdef CLEANCACHE_HAS_UNREGISTER
	cleancache_unregister_ops(&tmem_cleancache_ops);
#endif
}
