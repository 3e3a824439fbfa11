// SPDX-License-Identifier: GPL-2.0
/*
 * tmem: transcendent memory as the cleancache backend.  Module parameters,
 * the shared-pool policy, load and unload.
 */

#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/string.h>
#include <linux/uuid.h>

#include "tmem.h"

char *tmem_compressor = "lz4";
module_param_named(compressor, tmem_compressor, charp, 0444);
MODULE_PARM_DESC(compressor, "Crypto API compressor: lz4 (default), zstd, lzo");

unsigned int tmem_lz4_acceleration = 1;
module_param_named(lz4_acceleration, tmem_lz4_acceleration, uint, 0644);
MODULE_PARM_DESC(lz4_acceleration,
		 "lz4: trade compression ratio for speed, 1 (default) to 65537");

unsigned int tmem_max_pool_percent = 20;
module_param_named(max_pool_percent, tmem_max_pool_percent, uint, 0644);
MODULE_PARM_DESC(max_pool_percent,
		 "Pool cap in percent of RAM, 0 for none (default 20)");

unsigned int tmem_max_pool_mb;
module_param_named(max_pool_mb, tmem_max_pool_mb, uint, 0644);
MODULE_PARM_DESC(max_pool_mb,
		 "Pool cap in MiB, 0 for none (default); the smaller cap set applies");

unsigned int tmem_compress_threshold = 75;
EXPORT_SYMBOL_IF_KUNIT(tmem_compress_threshold);
module_param_named(compress_threshold, tmem_compress_threshold, uint, 0644);
MODULE_PARM_DESC(compress_threshold,
		 "A page compressed above this percent of a page is incompressible (default 75)");

bool tmem_store_raw;
EXPORT_SYMBOL_IF_KUNIT(tmem_store_raw);
module_param_named(store_raw, tmem_store_raw, bool, 0644);
MODULE_PARM_DESC(store_raw,
		 "Store incompressible pages raw instead of rejecting them (default N)");

bool tmem_dedup = true;
EXPORT_SYMBOL_IF_KUNIT(tmem_dedup);
module_param_named(dedup, tmem_dedup, bool, 0644);
MODULE_PARM_DESC(dedup, "Store identical pages once (default Y)");

bool tmem_integrity;
EXPORT_SYMBOL_IF_KUNIT(tmem_integrity);
module_param_named(integrity, tmem_integrity, bool, 0444);
MODULE_PARM_DESC(integrity,
		 "Checksum every stored page and verify it on every get (default N)");

static char *tmem_shared_uuids = "";
module_param_named(shared_uuids, tmem_shared_uuids, charp, 0444);
MODULE_PARM_DESC(shared_uuids,
		 "Comma-separated filesystem UUIDs allowed a shared pool");

/* Parsed shared_uuids (written at load only). */
static uuid_t tmem_uuids[TMEM_MAX_SHARED_UUIDS];
static int tmem_nr_uuids;

/**
 * tmem_parse_uuids() - parse a comma-separated list of UUIDs
 * @list: the list, possibly empty; spaces around UUIDs are ignored
 * @uuids: where to store them
 * @max: room in @uuids
 *
 * Return: the number parsed, or -EINVAL for a malformed or too long list.
 */
int tmem_parse_uuids(const char *list, uuid_t *uuids, int max)
{
	char buf[UUID_STRING_LEN + 1];
	const char *p = list;
	int nr = 0;

	while (*p) {
		size_t len;

		p = skip_spaces(p);
		len = strcspn(p, ",");
		while (len && p[len - 1] == ' ')
			len--;
		if (len) {
			if (len != UUID_STRING_LEN || nr == max)
				return -EINVAL;
			memcpy(buf, p, len);
			buf[len] = '\0';
			if (uuid_parse(buf, &uuids[nr]))
				return -EINVAL;
			nr++;
		}
		p += strcspn(p, ",");
		if (*p == ',')
			p++;
	}
	return nr;
}
EXPORT_SYMBOL_IF_KUNIT(tmem_parse_uuids);

/**
 * tmem_shared_allowed() - may filesystems presenting @uuid share a pool?
 * @uuid: the UUID
 *
 * Return: true if @uuid is listed in shared_uuids.
 */
bool tmem_shared_allowed(const uuid_t *uuid)
{
	int i;

	for (i = 0; i < tmem_nr_uuids; i++)
		if (uuid_equal(&tmem_uuids[i], uuid))
			return true;
	return false;
}

static int __init tmem_init(void)
{
	int ret;

	ret = tmem_parse_uuids(tmem_shared_uuids, tmem_uuids,
			       TMEM_MAX_SHARED_UUIDS);
	if (ret < 0) {
		pr_err("shared_uuids: at most %d comma-separated UUIDs\n",
		       TMEM_MAX_SHARED_UUIDS);
		return ret;
	}
	tmem_nr_uuids = ret;
	ret = tmem_dedup_init();
	if (ret)
		return ret;
	ret = tmem_pool_init();
	if (ret)
		goto out_dedup;
	ret = tmem_store_init();
	if (ret)
		goto out_pool;
	tmem_stats_init();
	ret = tmem_evict_init();
	if (ret)
		goto out_stats;
	ret = tmem_cleancache_init();
	if (ret)
		goto out_evict;
	pr_info("loaded: compressor %s, cap %lu pages%s%s\n", tmem_compressor,
		tmem_cap_pages(), tmem_dedup ? ", dedup" : "",
		tmem_integrity ? ", integrity" : "");
	return 0;

out_evict:
	tmem_evict_exit();
out_stats:
	tmem_stats_exit();
	tmem_store_exit();
out_pool:
	tmem_pool_exit();
out_dedup:
	tmem_dedup_exit();
	return ret;
}

static void __exit tmem_exit(void)
{
	/* No callback runs or starts after this. */
	tmem_cleancache_exit();
	tmem_evict_exit();
	tmem_destroy_all_pools();
	tmem_stats_exit();
	tmem_store_exit();
	tmem_pool_exit();
	tmem_dedup_exit();
}

module_init(tmem_init);
module_exit(tmem_exit);
MODULE_LICENSE("GPL");
MODULE_VERSION(PVGUEST_VERSION);
MODULE_DESCRIPTION("Transcendent memory: a compressed, deduplicated cleancache backend");
