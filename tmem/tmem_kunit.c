// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for tmem's core: put/get/flush semantics, exclusive and
 * shared gets, put-put-get coherency, same-filled pages, dedup reference
 * counts (with forced hash collisions), LRU order and the pool cap, each
 * compressor, incompressible pages and integrity checking.
 *
 * The cases use pools of their own and compare statistics before and
 * after.  Statistics, the LRU, the cap and the tunables are global, so the
 * cases only run while tmem has no pool but theirs: with a filesystem
 * using tmem through cleancache, they are skipped (and say why) rather
 * than disturb it or be disturbed.  The tunables a case changes are put
 * back by its exit, even when it fails.
 */

#include <kunit/test.h>
#include <kunit/visibility.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/irq_work.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/prandom.h>
#include <linux/string.h>
#include <linux/uuid.h>
#include <linux/zsmalloc.h>

#include "tmem.h"

/* Pages per case at most. */
#define TMEM_TEST_PAGES	64

struct tmem_test {
	struct page *pages[TMEM_TEST_PAGES];
	struct page *out;
	int pools[4];
	int nr_pools;
	struct rnd_state rnd;
	/* Saved tunables. */
	unsigned int threshold;
	bool store_raw, dedup, integrity;
	unsigned long cap;
};

static const struct tmem_oid tmem_test_oid = { .key = { 0x5eed, 1, 2, 3 } };
static const struct tmem_oid tmem_test_oid2 = { .key = { 0x5eed, 9 } };

static void *tmem_test_addr(struct page *page)
{
	return page_address(page);
}

/* A page that compresses well but is not same-filled: text-like. */
static void tmem_test_fill_text(struct tmem_test *t, struct page *page,
				u32 seed)
{
	static const char words[] = "the quick brown fox jumps over a lazy dog ";
	char *p = tmem_test_addr(page);
	int i;

	for (i = 0; i < PAGE_SIZE; i++)
		p[i] = words[(i + seed) % (sizeof(words) - 1)];
	snprintf(p, 32, "page %u", seed);
}

/* A page that does not compress. */
static void tmem_test_fill_random(struct tmem_test *t, struct page *page)
{
	prandom_bytes_state(&t->rnd, tmem_test_addr(page), PAGE_SIZE);
}

static void tmem_test_fill_word(struct page *page, unsigned long value)
{
	memset_l(tmem_test_addr(page), value, PAGE_SIZE / sizeof(long));
}

static bool tmem_test_same(struct page *a, struct page *b)
{
	return !memcmp(tmem_test_addr(a), tmem_test_addr(b), PAGE_SIZE);
}

static int tmem_test_pool(struct kunit *test, u32 flags, const uuid_t *uuid)
{
	struct tmem_test *t = test->priv;
	int id = tmem_new_pool(flags, uuid);

	KUNIT_ASSERT_GE(test, id, 0);
	KUNIT_ASSERT_LT(test, t->nr_pools, (int)ARRAY_SIZE(t->pools));
	t->pools[t->nr_pools++] = id;
	return id;
}

/* Get into t->out: 0 on a hit whose bytes equal @expect, else not 0. */
static int tmem_test_get(struct kunit *test, int pool,
			 const struct tmem_oid *oid, pgoff_t index,
			 struct page *expect)
{
	struct tmem_test *t = test->priv;
	int ret;

	memset(tmem_test_addr(t->out), 0xa5, PAGE_SIZE);
	ret = tmem_get(pool, oid, index, t->out);
	if (!ret && expect)
		KUNIT_EXPECT_TRUE_MSG(test, tmem_test_same(t->out, expect),
				      "index %lu: wrong bytes", index);
	return ret;
}

static int tmem_test_init(struct kunit *test)
{
	s64 pools = tmem_stat_read(TMEM_STAT_POOLS);
	struct tmem_test *t;
	int i;

	if (pools)
		kunit_skip(test, "%lld tmem pools in use: cases change global state",
			   pools);

	t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, t);
	for (i = 0; i < TMEM_TEST_PAGES; i++) {
		t->pages[i] = alloc_page(GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, t->pages[i]);
	}
	t->out = alloc_page(GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, t->out);
	prandom_seed_state(&t->rnd, 42);
	t->threshold = tmem_compress_threshold;
	t->store_raw = tmem_store_raw;
	t->dedup = tmem_dedup;
	t->integrity = tmem_integrity;
	t->cap = tmem_cap_override;
	tmem_streak_reset();
	test->priv = t;
	return 0;
}

static void tmem_test_exit(struct kunit *test)
{
	struct tmem_test *t = test->priv;
	int i;

	if (!t)
		return;
	for (i = 0; i < t->nr_pools; i++)
		tmem_destroy_pool(t->pools[i]);
	tmem_drain();
	tmem_compress_threshold = t->threshold;
	tmem_store_raw = t->store_raw;
	tmem_dedup = t->dedup;
	tmem_integrity = t->integrity;
	tmem_cap_override = t->cap;
	tmem_set_hash_fn(NULL);
	for (i = 0; i < TMEM_TEST_PAGES; i++)
		if (t->pages[i])
			__free_page(t->pages[i]);
	if (t->out)
		__free_page(t->out);
}

static void tmem_test_put_get_flush(struct kunit *test)
{
	struct tmem_test *t = test->priv;
	int pool = tmem_test_pool(test, 0, NULL);
	s64 hits = tmem_stat_read(TMEM_STAT_HITS);
	int i;

	for (i = 0; i < 4; i++) {
		tmem_test_fill_text(t, t->pages[i], i);
		KUNIT_EXPECT_EQ(test, tmem_put(pool, &tmem_test_oid, i,
					       t->pages[i]), 0);
	}
	KUNIT_EXPECT_EQ(test, tmem_put(pool, &tmem_test_oid2, 0, t->pages[0]),
			0);

	/* Private pool: a hit is exclusive, a second get misses. */
	KUNIT_EXPECT_EQ(test, tmem_test_get(test, pool, &tmem_test_oid, 0,
					    t->pages[0]), 0);
	KUNIT_EXPECT_EQ(test, tmem_test_get(test, pool, &tmem_test_oid, 0,
					    NULL), -ENOENT);

	/* Flush page: that page only. */
	KUNIT_EXPECT_EQ(test, tmem_flush_page(pool, &tmem_test_oid, 1), 1);
	KUNIT_EXPECT_EQ(test, tmem_flush_page(pool, &tmem_test_oid, 1), 0);
	KUNIT_EXPECT_EQ(test, tmem_test_get(test, pool, &tmem_test_oid, 1,
					    NULL), -ENOENT);

	/* Flush object: every page of that object, not the other one. */
	KUNIT_EXPECT_EQ(test, tmem_flush_object(pool, &tmem_test_oid), 2);
	KUNIT_EXPECT_EQ(test, tmem_test_get(test, pool, &tmem_test_oid, 2,
					    NULL), -ENOENT);
	KUNIT_EXPECT_EQ(test, tmem_test_get(test, pool, &tmem_test_oid, 3,
					    NULL), -ENOENT);

	/* After the worker moved it into zsmalloc, it still reads back. */
	tmem_drain();
	KUNIT_EXPECT_EQ(test, tmem_test_get(test, pool, &tmem_test_oid2, 0,
					    t->pages[0]), 0);
	KUNIT_EXPECT_EQ(test, tmem_stat_read(TMEM_STAT_HITS) - hits, 2);

	/* Unknown pools miss; a destroyed pool is gone. */
	KUNIT_EXPECT_EQ(test, tmem_put(pool, &tmem_test_oid, 0, t->pages[0]),
			0);
	KUNIT_EXPECT_EQ(test, tmem_destroy_pool(pool), 0);
	t->nr_pools--;
	KUNIT_EXPECT_EQ(test, tmem_test_get(test, pool, &tmem_test_oid, 0,
					    NULL), -ENOENT);
	KUNIT_EXPECT_NE(test, tmem_put(pool, &tmem_test_oid, 0, t->pages[0]),
			0);
	KUNIT_EXPECT_EQ(test, tmem_destroy_pool(-1), -ENOENT);
	KUNIT_EXPECT_EQ(test, tmem_destroy_pool(TMEM_MAX_POOLS), -ENOENT);
	KUNIT_EXPECT_EQ(test, tmem_test_get(test, -1, &tmem_test_oid, 0,
					    NULL), -ENOENT);
	KUNIT_EXPECT_EQ(test, tmem_test_get(test, TMEM_MAX_POOLS,
					    &tmem_test_oid, 0, NULL), -ENOENT);
}

static void tmem_test_shared(struct kunit *test)
{
	struct tmem_test *t = test->priv;
	uuid_t uuid, other;
	int pool, again, third;

	uuid_gen(&uuid);
	uuid_gen(&other);
	pool = tmem_test_pool(test, TMEM_POOL_SHARED, &uuid);
	/* The same UUID gives the same pool, another UUID another one. */
	again = tmem_new_pool(TMEM_POOL_SHARED, &uuid);
	KUNIT_EXPECT_EQ(test, again, pool);
	third = tmem_test_pool(test, TMEM_POOL_SHARED, &other);
	KUNIT_EXPECT_NE(test, third, pool);

	tmem_test_fill_text(t, t->pages[0], 7);
	KUNIT_ASSERT_EQ(test, tmem_put(pool, &tmem_test_oid, 5, t->pages[0]),
			0);
	/* Shared: a get does not remove the page. */
	KUNIT_EXPECT_EQ(test, tmem_test_get(test, pool, &tmem_test_oid, 5,
					    t->pages[0]), 0);
	tmem_drain();
	KUNIT_EXPECT_EQ(test, tmem_test_get(test, pool, &tmem_test_oid, 5,
					    t->pages[0]), 0);
	KUNIT_EXPECT_EQ(test, tmem_test_get(test, third, &tmem_test_oid, 5,
					    NULL), -ENOENT);

	/* One of two users going leaves the pool and its pages. */
	KUNIT_EXPECT_EQ(test, tmem_destroy_pool(again), 0);
	KUNIT_EXPECT_EQ(test, tmem_test_get(test, pool, &tmem_test_oid, 5,
					    t->pages[0]), 0);
	KUNIT_EXPECT_EQ(test, tmem_flush_page(pool, &tmem_test_oid, 5), 1);
	KUNIT_EXPECT_EQ(test, tmem_test_get(test, pool, &tmem_test_oid, 5,
					    NULL), -ENOENT);

	/* A shared pool needs a UUID. */
	KUNIT_EXPECT_EQ(test, tmem_new_pool(TMEM_POOL_SHARED, NULL), -EINVAL);
}

#define TMEM_TEST_UUID1	"0f8a3c46-2f1e-4c55-9e0a-6f0c2b1d3e4f"
#define TMEM_TEST_UUID2	"a1b2c3d4-0000-4000-8000-00000000abcd"

static void tmem_test_uuid_policy(struct kunit *test)
{
	uuid_t uuids[2];

	KUNIT_EXPECT_EQ(test, tmem_parse_uuids("", uuids, 2), 0);
	KUNIT_EXPECT_EQ(test, tmem_parse_uuids(TMEM_TEST_UUID1, uuids, 2), 1);
	KUNIT_EXPECT_EQ(test, tmem_parse_uuids(" " TMEM_TEST_UUID1 " ,"
					       TMEM_TEST_UUID2, uuids, 2), 2);
	KUNIT_EXPECT_EQ(test, uuids[1].b[15], 0xcd);
	KUNIT_EXPECT_EQ(test, tmem_parse_uuids("not-a-uuid", uuids, 2),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, tmem_parse_uuids(TMEM_TEST_UUID1 ","
					       TMEM_TEST_UUID1, uuids, 1),
			-EINVAL);
}

static void tmem_test_coherency(struct kunit *test)
{
	struct tmem_test *t = test->priv;
	int pool = tmem_test_pool(test, 0, NULL);
	s64 rejected, incompressible;

	tmem_test_fill_text(t, t->pages[0], 1);
	tmem_test_fill_text(t, t->pages[1], 2);
	tmem_test_fill_random(t, t->pages[2]);

	/* Put A, put B: a get returns B, staged or stored. */
	KUNIT_EXPECT_EQ(test, tmem_put(pool, &tmem_test_oid, 0, t->pages[0]),
			0);
	KUNIT_EXPECT_EQ(test, tmem_put(pool, &tmem_test_oid, 0, t->pages[1]),
			0);
	KUNIT_EXPECT_EQ(test, tmem_test_get(test, pool, &tmem_test_oid, 0,
					    t->pages[1]), 0);
	KUNIT_EXPECT_EQ(test, tmem_put(pool, &tmem_test_oid, 0, t->pages[0]),
			0);
	tmem_drain();
	KUNIT_EXPECT_EQ(test, tmem_put(pool, &tmem_test_oid, 0, t->pages[1]),
			0);
	KUNIT_EXPECT_EQ(test, tmem_test_get(test, pool, &tmem_test_oid, 0,
					    t->pages[1]), 0);

	/* Put A, then a B that cannot be stored: A must not be visible. */
	tmem_store_raw = false;
	KUNIT_EXPECT_EQ(test, tmem_put(pool, &tmem_test_oid, 1, t->pages[0]),
			0);
	tmem_drain();
	rejected = tmem_stat_read(TMEM_STAT_REJECTED_PAGES);
	incompressible = tmem_stat_read(TMEM_STAT_REJECTED_INCOMPRESSIBLE);
	KUNIT_EXPECT_EQ(test, tmem_put(pool, &tmem_test_oid, 1, t->pages[2]),
			-E2BIG);
	KUNIT_EXPECT_EQ(test, tmem_stat_read(TMEM_STAT_REJECTED_PAGES) -
			rejected, 1);
	KUNIT_EXPECT_EQ(test,
			tmem_stat_read(TMEM_STAT_REJECTED_INCOMPRESSIBLE) -
			incompressible, 1);
	KUNIT_EXPECT_EQ(test, tmem_test_get(test, pool, &tmem_test_oid, 1,
					    NULL), -ENOENT);
	/* ... and the object it was the last page of is gone. */
	KUNIT_EXPECT_EQ(test, tmem_flush_object(pool, &tmem_test_oid), 0);
}

static void tmem_test_same_filled(struct kunit *test)
{
	struct tmem_test *t = test->priv;
	int pool = tmem_test_pool(test, 0, NULL);
	unsigned long *words, value;
	struct tmem_peek peek;
	s64 same;

	words = tmem_test_addr(t->pages[0]);
	tmem_test_fill_word(t->pages[0], 0);
	KUNIT_EXPECT_TRUE(test, tmem_page_same_filled(words, &value));
	KUNIT_EXPECT_EQ(test, value, 0UL);
	tmem_test_fill_word(t->pages[0], 0xdeadbeefUL);
	KUNIT_EXPECT_TRUE(test, tmem_page_same_filled(words, &value));
	KUNIT_EXPECT_EQ(test, value, 0xdeadbeefUL);
	words[PAGE_SIZE / sizeof(long) / 2] ^= 1;
	KUNIT_EXPECT_FALSE(test, tmem_page_same_filled(words, &value));
	tmem_test_fill_word(t->pages[0], 0xdeadbeefUL);
	words[PAGE_SIZE / sizeof(long) - 1] = 0;
	KUNIT_EXPECT_FALSE(test, tmem_page_same_filled(words, &value));
	words[PAGE_SIZE / sizeof(long) - 1] = 0xdeadbeefUL;
	words[1] = 0;
	KUNIT_EXPECT_FALSE(test, tmem_page_same_filled(words, &value));

	same = tmem_stat_read(TMEM_STAT_SAME_FILLED_PAGES);
	tmem_test_fill_word(t->pages[0], 0);
	tmem_test_fill_word(t->pages[1], 0x0123456789abcdefULL & ULONG_MAX);
	KUNIT_ASSERT_EQ(test, tmem_put(pool, &tmem_test_oid, 0, t->pages[0]),
			0);
	KUNIT_ASSERT_EQ(test, tmem_put(pool, &tmem_test_oid, 1, t->pages[1]),
			0);
	KUNIT_EXPECT_EQ(test, tmem_stat_read(TMEM_STAT_SAME_FILLED_PAGES) -
			same, 2);
	KUNIT_ASSERT_EQ(test, tmem_peek(pool, &tmem_test_oid, 1, &peek), 0);
	KUNIT_EXPECT_TRUE(test, peek.same_filled);
	KUNIT_EXPECT_EQ(test, tmem_test_get(test, pool, &tmem_test_oid, 0,
					    t->pages[0]), 0);
	KUNIT_EXPECT_EQ(test, tmem_test_get(test, pool, &tmem_test_oid, 1,
					    t->pages[1]), 0);
	KUNIT_EXPECT_EQ(test, tmem_stat_read(TMEM_STAT_SAME_FILLED_PAGES),
			same);
}

static unsigned int tmem_test_refs(struct kunit *test, int pool,
				   const struct tmem_oid *oid, pgoff_t index)
{
	struct tmem_peek peek;

	KUNIT_EXPECT_EQ(test, tmem_peek(pool, oid, index, &peek), 0);
	KUNIT_EXPECT_FALSE(test, peek.staged);
	return peek.refs;
}

static void tmem_test_dedup(struct kunit *test)
{
	struct tmem_test *t = test->priv;
	int a = tmem_test_pool(test, 0, NULL);
	int b = tmem_test_pool(test, 0, NULL);
	int s1, s2;
	uuid_t uuid;
	s64 hits;

	tmem_dedup = true;
	tmem_test_fill_text(t, t->pages[0], 11);
	hits = tmem_stat_read(TMEM_STAT_DEDUP_HITS);
	KUNIT_ASSERT_EQ(test, tmem_put(a, &tmem_test_oid, 0, t->pages[0]), 0);
	tmem_drain();
	KUNIT_ASSERT_EQ(test, tmem_put(a, &tmem_test_oid, 1, t->pages[0]), 0);
	KUNIT_ASSERT_EQ(test, tmem_put(b, &tmem_test_oid2, 7, t->pages[0]), 0);
	tmem_drain();
	/* Across private pools: one blob, three references. */
	KUNIT_EXPECT_EQ(test, tmem_stat_read(TMEM_STAT_DEDUP_HITS) - hits, 2);
	KUNIT_EXPECT_EQ(test, tmem_test_refs(test, a, &tmem_test_oid, 0), 3U);
	KUNIT_EXPECT_EQ(test, tmem_test_refs(test, b, &tmem_test_oid2, 7), 3U);

	/* A shared pool dedups only within itself. */
	uuid_gen(&uuid);
	s1 = tmem_test_pool(test, TMEM_POOL_SHARED, &uuid);
	uuid_gen(&uuid);
	s2 = tmem_test_pool(test, TMEM_POOL_SHARED, &uuid);
	KUNIT_ASSERT_EQ(test, tmem_put(s1, &tmem_test_oid, 0, t->pages[0]), 0);
	tmem_drain();
	KUNIT_ASSERT_EQ(test, tmem_put(s1, &tmem_test_oid, 1, t->pages[0]), 0);
	KUNIT_ASSERT_EQ(test, tmem_put(s2, &tmem_test_oid, 0, t->pages[0]), 0);
	tmem_drain();
	KUNIT_EXPECT_EQ(test, tmem_test_refs(test, s1, &tmem_test_oid, 0), 2U);
	KUNIT_EXPECT_EQ(test, tmem_test_refs(test, s2, &tmem_test_oid, 0), 1U);
	KUNIT_EXPECT_EQ(test, tmem_test_refs(test, a, &tmem_test_oid, 0), 3U);

	/* Dropping references: get (exclusive), flush, evict-free. */
	KUNIT_EXPECT_EQ(test, tmem_test_get(test, a, &tmem_test_oid, 0,
					    t->pages[0]), 0);
	KUNIT_EXPECT_EQ(test, tmem_test_refs(test, b, &tmem_test_oid2, 7), 2U);
	KUNIT_EXPECT_EQ(test, tmem_flush_page(a, &tmem_test_oid, 1), 1);
	KUNIT_EXPECT_EQ(test, tmem_test_refs(test, b, &tmem_test_oid2, 7), 1U);
	KUNIT_EXPECT_EQ(test, tmem_test_get(test, b, &tmem_test_oid2, 7,
					    t->pages[0]), 0);

	/* With dedup off, identical pages are stored twice. */
	tmem_dedup = false;
	KUNIT_ASSERT_EQ(test, tmem_put(a, &tmem_test_oid, 2, t->pages[0]), 0);
	KUNIT_ASSERT_EQ(test, tmem_put(a, &tmem_test_oid, 3, t->pages[0]), 0);
	tmem_drain();
	KUNIT_EXPECT_EQ(test, tmem_test_refs(test, a, &tmem_test_oid, 2), 1U);
	KUNIT_EXPECT_EQ(test, tmem_test_refs(test, a, &tmem_test_oid, 3), 1U);
}

static u64 tmem_test_bad_hash(const void *data, size_t len)
{
	return 0x1234;
}

static void tmem_test_dedup_collision(struct kunit *test)
{
	struct tmem_test *t = test->priv;
	int pool = tmem_test_pool(test, 0, NULL);
	s64 hits;
	int i;

	/* Every blob hashes alike: only the full compare tells them apart. */
	tmem_dedup = true;
	tmem_set_hash_fn(tmem_test_bad_hash);
	/* Same compressed length, different bytes. */
	tmem_test_fill_text(t, t->pages[0], 100);
	tmem_test_fill_text(t, t->pages[1], 200);
	tmem_test_fill_text(t, t->pages[2], 300);
	hits = tmem_stat_read(TMEM_STAT_DEDUP_HITS);
	for (i = 0; i < 3; i++) {
		KUNIT_ASSERT_EQ(test, tmem_put(pool, &tmem_test_oid, i,
					       t->pages[i]), 0);
		tmem_drain();
	}
	KUNIT_EXPECT_EQ(test, tmem_stat_read(TMEM_STAT_DEDUP_HITS), hits);
	for (i = 0; i < 3; i++)
		KUNIT_EXPECT_EQ(test, tmem_test_refs(test, pool, &tmem_test_oid,
						     i), 1U);
	/* A true duplicate of the last one in the chain is still found. */
	KUNIT_ASSERT_EQ(test, tmem_put(pool, &tmem_test_oid, 3, t->pages[0]),
			0);
	tmem_drain();
	KUNIT_EXPECT_EQ(test, tmem_stat_read(TMEM_STAT_DEDUP_HITS) - hits, 1);
	KUNIT_EXPECT_EQ(test, tmem_test_refs(test, pool, &tmem_test_oid, 3),
			2U);
	for (i = 0; i < 3; i++)
		KUNIT_EXPECT_EQ(test, tmem_test_get(test, pool, &tmem_test_oid,
						    i, t->pages[i]), 0);
	KUNIT_EXPECT_EQ(test, tmem_test_get(test, pool, &tmem_test_oid, 3,
					    t->pages[0]), 0);
}

/*
 * A hit in a private ephemeral pool is kept out of sight; a put of the same
 * bytes makes it visible again without compressing, other bytes replace it.
 */
static void tmem_test_kept(struct kunit *test)
{
	struct tmem_test *t = test->priv;
	int pool = tmem_test_pool(test, 0, NULL);
	s64 kept = tmem_stat_read(TMEM_STAT_KEPT_PAGES);
	s64 reused = tmem_stat_read(TMEM_STAT_REUSED_PAGES);
	struct tmem_peek peek;

	tmem_test_fill_text(t, t->pages[0], 1);
	tmem_test_fill_word(t->pages[1], 0x5a5a5a5a);
	tmem_test_fill_text(t, t->pages[2], 2);
	tmem_test_fill_word(t->pages[3], 0x77);
	KUNIT_ASSERT_EQ(test, tmem_put(pool, &tmem_test_oid, 0, t->pages[0]),
			0);
	KUNIT_ASSERT_EQ(test, tmem_put(pool, &tmem_test_oid, 1, t->pages[1]),
			0);
	tmem_drain();

	/* Got: invisible, but kept. */
	KUNIT_EXPECT_EQ(test, tmem_test_get(test, pool, &tmem_test_oid, 0,
					    t->pages[0]), 0);
	KUNIT_EXPECT_EQ(test, tmem_test_get(test, pool, &tmem_test_oid, 1,
					    t->pages[1]), 0);
	KUNIT_EXPECT_EQ(test, tmem_stat_read(TMEM_STAT_KEPT_PAGES) - kept, 2);
	KUNIT_EXPECT_EQ(test, tmem_test_get(test, pool, &tmem_test_oid, 0,
					    NULL), -ENOENT);
	KUNIT_EXPECT_EQ(test, tmem_peek(pool, &tmem_test_oid, 0, &peek),
			-ENOENT);

	/* Put back unchanged: reused, and it reads back. */
	KUNIT_EXPECT_EQ(test, tmem_put(pool, &tmem_test_oid, 0, t->pages[0]),
			0);
	KUNIT_EXPECT_EQ(test, tmem_put(pool, &tmem_test_oid, 1, t->pages[1]),
			0);
	KUNIT_EXPECT_EQ(test, tmem_stat_read(TMEM_STAT_REUSED_PAGES) - reused,
			2);
	KUNIT_EXPECT_EQ(test, tmem_stat_read(TMEM_STAT_KEPT_PAGES) - kept, 0);
	KUNIT_EXPECT_EQ(test, tmem_test_get(test, pool, &tmem_test_oid, 0,
					    t->pages[0]), 0);
	KUNIT_EXPECT_EQ(test, tmem_test_get(test, pool, &tmem_test_oid, 1,
					    t->pages[1]), 0);

	/* Put back changed (compressed, same-filled): the new bytes. */
	KUNIT_EXPECT_EQ(test, tmem_put(pool, &tmem_test_oid, 0, t->pages[2]),
			0);
	KUNIT_EXPECT_EQ(test, tmem_put(pool, &tmem_test_oid, 1, t->pages[3]),
			0);
	KUNIT_EXPECT_EQ(test, tmem_stat_read(TMEM_STAT_REUSED_PAGES) - reused,
			2);
	KUNIT_EXPECT_EQ(test, tmem_test_get(test, pool, &tmem_test_oid, 0,
					    t->pages[2]), 0);
	KUNIT_EXPECT_EQ(test, tmem_test_get(test, pool, &tmem_test_oid, 1,
					    t->pages[3]), 0);

	/* A flush drops a kept copy (and does not count it). */
	KUNIT_EXPECT_EQ(test, tmem_flush_page(pool, &tmem_test_oid, 0), 0);
	KUNIT_EXPECT_EQ(test, tmem_put(pool, &tmem_test_oid, 0, t->pages[2]),
			0);
	KUNIT_EXPECT_EQ(test, tmem_stat_read(TMEM_STAT_REUSED_PAGES) - reused,
			2);
	KUNIT_EXPECT_EQ(test, tmem_test_get(test, pool, &tmem_test_oid, 0,
					    t->pages[2]), 0);

	/* A rejected put drops a kept copy too. */
	tmem_store_raw = false;
	tmem_test_fill_random(t, t->pages[4]);
	KUNIT_EXPECT_EQ(test, tmem_put(pool, &tmem_test_oid, 0, t->pages[4]),
			-E2BIG);
	KUNIT_EXPECT_EQ(test, tmem_flush_object(pool, &tmem_test_oid), 0);
	KUNIT_EXPECT_EQ(test, tmem_stat_read(TMEM_STAT_KEPT_PAGES) - kept, 0);
}

static void tmem_test_lru(struct kunit *test)
{
	struct tmem_test *t = test->priv;
	int pool = tmem_test_pool(test, 0, NULL);
	int persist = tmem_test_pool(test, TMEM_POOL_PERSISTENT, NULL);
	s64 evictions;
	int i;

	/* Drop whatever else is on the LRU so order is ours to check. */
	tmem_evict(ULONG_MAX, TMEM_EVICT_SHRINKER);
	for (i = 0; i < 8; i++) {
		tmem_test_fill_text(t, t->pages[i], 1000 + i);
		KUNIT_ASSERT_EQ(test, tmem_put(pool, &tmem_test_oid, i,
					       t->pages[i]), 0);
	}
	tmem_test_fill_text(t, t->pages[8], 2000);
	KUNIT_ASSERT_EQ(test, tmem_put(persist, &tmem_test_oid, 0,
				       t->pages[8]), 0);
	/* Overwriting index 0 makes it the newest. */
	KUNIT_ASSERT_EQ(test, tmem_put(pool, &tmem_test_oid, 0, t->pages[0]),
			0);
	evictions = tmem_stat_read(TMEM_STAT_EVICTIONS);
	KUNIT_EXPECT_EQ(test, tmem_evict(3, TMEM_EVICT_SHRINKER), 3UL);
	KUNIT_EXPECT_EQ(test, tmem_stat_read(TMEM_STAT_EVICTIONS) - evictions,
			3);
	for (i = 1; i <= 3; i++)
		KUNIT_EXPECT_EQ(test, tmem_test_get(test, pool, &tmem_test_oid,
						    i, NULL), -ENOENT);
	KUNIT_EXPECT_EQ(test, tmem_test_get(test, pool, &tmem_test_oid, 4,
					    t->pages[4]), 0);
	/* 0, 5, 6, 7 left; evict everything: the persistent page stays. */
	KUNIT_EXPECT_EQ(test, tmem_evict(ULONG_MAX, TMEM_EVICT_SHRINKER), 4UL);
	KUNIT_EXPECT_EQ(test, tmem_test_get(test, pool, &tmem_test_oid, 0,
					    NULL), -ENOENT);
	KUNIT_EXPECT_EQ(test, tmem_test_get(test, persist, &tmem_test_oid, 0,
					    t->pages[8]), 0);
}

static void tmem_test_lru_shared_hit(struct kunit *test)
{
	struct tmem_test *t = test->priv;
	uuid_t uuid;
	int pool, i;

	uuid_gen(&uuid);
	pool = tmem_test_pool(test, TMEM_POOL_SHARED, &uuid);
	tmem_evict(ULONG_MAX, TMEM_EVICT_SHRINKER);
	for (i = 0; i < 4; i++) {
		tmem_test_fill_text(t, t->pages[i], 3000 + i);
		KUNIT_ASSERT_EQ(test, tmem_put(pool, &tmem_test_oid, i,
					       t->pages[i]), 0);
	}
	/* A hit makes the oldest page the newest: 1 goes first. */
	KUNIT_EXPECT_EQ(test, tmem_test_get(test, pool, &tmem_test_oid, 0,
					    t->pages[0]), 0);
	KUNIT_EXPECT_EQ(test, tmem_evict(1, TMEM_EVICT_SHRINKER), 1UL);
	KUNIT_EXPECT_EQ(test, tmem_test_get(test, pool, &tmem_test_oid, 1,
					    NULL), -ENOENT);
	KUNIT_EXPECT_EQ(test, tmem_test_get(test, pool, &tmem_test_oid, 0,
					    t->pages[0]), 0);
}

static void tmem_test_cap(struct kunit *test)
{
	struct tmem_test *t = test->priv;
	int pool = tmem_test_pool(test, 0, NULL);
	unsigned long cap;
	s64 evictions;
	int i, hits = 0;

	tmem_evict(ULONG_MAX, TMEM_EVICT_SHRINKER);
	tmem_drain();
	cap = tmem_used_pages() + 16;
	tmem_cap_override = cap;
	/* Pages of about half a page compressed: 64 need about 32 pages. */
	tmem_store_raw = true;
	evictions = tmem_stat_read(TMEM_STAT_EVICTIONS);
	for (i = 0; i < TMEM_TEST_PAGES; i++) {
		tmem_test_fill_text(t, t->pages[i], i);
		prandom_bytes_state(&t->rnd, tmem_test_addr(t->pages[i]),
				    PAGE_SIZE / 2);
		KUNIT_EXPECT_EQ(test, tmem_put(pool, &tmem_test_oid, i,
					       t->pages[i]), 0);
		tmem_drain();
		/* zsmalloc and every byte of metadata, under the cap. */
		KUNIT_EXPECT_LE(test, tmem_used_pages(), cap);
	}
	KUNIT_EXPECT_GT(test, tmem_stat_read(TMEM_STAT_EVICTIONS) - evictions,
			0);
	/* The newest pages survived, the oldest went first. */
	KUNIT_EXPECT_EQ(test, tmem_test_get(test, pool, &tmem_test_oid,
					    TMEM_TEST_PAGES - 1,
					    t->pages[TMEM_TEST_PAGES - 1]), 0);
	KUNIT_EXPECT_EQ(test, tmem_test_get(test, pool, &tmem_test_oid, 0,
					    NULL), -ENOENT);
	for (i = 1; i < TMEM_TEST_PAGES - 1; i++)
		hits += !tmem_test_get(test, pool, &tmem_test_oid, i,
				       t->pages[i]);
	KUNIT_EXPECT_LT(test, hits, TMEM_TEST_PAGES - 2);
}

/*
 * tmem_store_page() follows the store_raw flag it is given, not the
 * parameter, which an admin may change between the put's two looks at it.
 */
static void tmem_test_store_raw_once(struct kunit *test)
{
	struct tmem_test *t = test->priv;
	struct tmem_entry e = { };

	tmem_test_fill_random(t, t->pages[0]);
	tmem_store_raw = false;
	KUNIT_ASSERT_EQ(test, tmem_store_page(t->pages[0], &e, true, true), 0);
	KUNIT_ASSERT_NOT_NULL(test, e.blob);
	KUNIT_EXPECT_TRUE(test, e.blob->raw);
	KUNIT_EXPECT_EQ(test, e.blob->len, (unsigned int)PAGE_SIZE);
	tmem_blob_free(e.blob);

	memset(&e, 0, sizeof(e));
	tmem_store_raw = true;
	KUNIT_EXPECT_EQ(test, tmem_store_page(t->pages[0], &e, true, false),
			-E2BIG);
	KUNIT_EXPECT_NULL(test, e.blob);
	KUNIT_EXPECT_EQ(test, tmem_store_page(t->pages[0], &e, false, false),
			-E2BIG);
	KUNIT_EXPECT_NULL(test, e.blob);
	tmem_blob_free(e.blob);
}

/*
 * After a streak of incompressible pages of one object, its next pages
 * are rejected without compressing them, but same-filled pages are
 * still stored, and other objects are not affected.
 */
static void tmem_test_incompressible_streak(struct kunit *test)
{
	struct tmem_test *t = test->priv;
	int pool = tmem_test_pool(test, 0, NULL);
	int i, round, idx = 0;

	tmem_store_raw = false;
	tmem_test_fill_text(t, t->pages[1], 1);
	memset(tmem_test_addr(t->pages[2]), 0, PAGE_SIZE);
	/* The streaks are per CPU. */
	migrate_disable();
	for (round = 0; round < 2; round++) {
		/* The streak, and the probe that follows it. */
		for (i = 0; i <= TMEM_STREAK_SKIP; i++) {
			tmem_test_fill_random(t, t->pages[0]);
			KUNIT_EXPECT_EQ(test, tmem_put(pool, &tmem_test_oid,
						       idx++, t->pages[0]),
					-E2BIG);
		}
		if (round) {
			/* Another object's pages are compressed. */
			KUNIT_EXPECT_EQ(test, tmem_put(pool, &tmem_test_oid2,
						       0, t->pages[1]), 0);
			break;
		}
		/* Compressible, but guessed not: its object's data is not. */
		KUNIT_EXPECT_EQ(test, tmem_put(pool, &tmem_test_oid, idx++,
					       t->pages[1]), -E2BIG);
		/* A same-filled page is stored, and ends the streak. */
		KUNIT_EXPECT_EQ(test, tmem_put(pool, &tmem_test_oid, idx++,
					       t->pages[2]), 0);
		KUNIT_EXPECT_EQ(test, tmem_put(pool, &tmem_test_oid, idx,
					       t->pages[1]), 0);
		KUNIT_EXPECT_EQ(test, tmem_test_get(test, pool,
						    &tmem_test_oid, idx++,
						    t->pages[1]), 0);
	}
	migrate_enable();
	KUNIT_EXPECT_EQ(test, tmem_test_get(test, pool, &tmem_test_oid2, 0,
					    t->pages[1]), 0);
}

#define TMEM_TEST_BIG	200

/* Fill a page, put it at @index; what a big object is made of. */
static void tmem_test_put_text(struct kunit *test, int pool,
			       const struct tmem_oid *oid, pgoff_t index)
{
	struct tmem_test *t = test->priv;

	tmem_test_fill_text(t, t->pages[0], index);
	KUNIT_ASSERT_EQ(test, tmem_put(pool, oid, index, t->pages[0]), 0);
}

/*
 * A big object and a pool are gone as soon as they are flushed or
 * destroyed, though the reaper frees their pages later.
 */
static void tmem_test_flush_big(struct kunit *test)
{
	struct tmem_test *t = test->priv;
	int pool = tmem_test_pool(test, 0, NULL);
	s64 stored = tmem_stat_read(TMEM_STAT_STORED_PAGES);
	s64 pools = tmem_stat_read(TMEM_STAT_POOLS);
	int other, i;

	for (i = 0; i < TMEM_TEST_BIG; i++)
		tmem_test_put_text(test, pool, &tmem_test_oid, i);
	tmem_test_put_text(test, pool, &tmem_test_oid2, 1);
	KUNIT_EXPECT_EQ(test, tmem_flush_object(pool, &tmem_test_oid),
			TMEM_TEST_BIG);
	for (i = 0; i < TMEM_TEST_BIG; i += 7)
		KUNIT_EXPECT_EQ(test, tmem_test_get(test, pool, &tmem_test_oid,
						    i, NULL), -ENOENT);
	/* The same object id again is a new object. */
	tmem_test_put_text(test, pool, &tmem_test_oid, 3);
	KUNIT_EXPECT_EQ(test, tmem_test_get(test, pool, &tmem_test_oid, 3,
					    t->pages[0]), 0);
	tmem_drain();
	KUNIT_EXPECT_EQ(test, tmem_stat_read(TMEM_STAT_STORED_PAGES) - stored,
			1);
	tmem_test_fill_text(t, t->pages[1], 1);
	KUNIT_EXPECT_EQ(test, tmem_test_get(test, pool, &tmem_test_oid2, 1,
					    t->pages[1]), 0);

	/* A destroyed pool: its pages unreachable at once, freed later. */
	other = tmem_new_pool(0, NULL);
	KUNIT_ASSERT_GE(test, other, 0);
	for (i = 0; i < TMEM_TEST_BIG; i++)
		tmem_test_put_text(test, other, &tmem_test_oid, i);
	KUNIT_EXPECT_EQ(test, tmem_destroy_pool(other), 0);
	KUNIT_EXPECT_EQ(test, tmem_test_get(test, other, &tmem_test_oid, 0,
					    NULL), -ENOENT);
	KUNIT_EXPECT_EQ(test, tmem_stat_read(TMEM_STAT_POOLS), pools);
	/* Ids go round: the next pool does not get the one just freed. */
	i = tmem_test_pool(test, 0, NULL);
	KUNIT_EXPECT_NE(test, i, other);
	tmem_drain();
	KUNIT_EXPECT_EQ(test, tmem_stat_read(TMEM_STAT_STORED_PAGES), stored);
}

/*
 * Persistent pages that find no room in zsmalloc stay staged, but do not
 * use up the staging budget: ephemeral puts still get in.
 */
static void tmem_test_persistent_no_room(struct kunit *test)
{
	struct tmem_test *t = test->priv;
	int persist = tmem_test_pool(test, TMEM_POOL_PERSISTENT, NULL);
	int pool = tmem_test_pool(test, 0, NULL);
	struct tmem_peek peek;
	int i;

	/* Raw pages, more than the staging budget of a tiny cap holds. */
	tmem_store_raw = true;
	tmem_dedup = false;
	tmem_cap_override = 1;
	for (i = 0; i < 32; i++) {
		tmem_test_fill_random(t, t->pages[i]);
		KUNIT_ASSERT_EQ(test, tmem_put(persist, &tmem_test_oid, i,
					       t->pages[i]), 0);
		tmem_drain();
	}
	KUNIT_ASSERT_EQ(test, tmem_peek(persist, &tmem_test_oid, 0, &peek), 0);
	KUNIT_EXPECT_TRUE(test, peek.staged);
	tmem_test_fill_text(t, t->pages[40], 40);
	KUNIT_EXPECT_EQ(test, tmem_put(pool, &tmem_test_oid, 0, t->pages[40]),
			0);
	for (i = 0; i < 32; i++)
		KUNIT_EXPECT_EQ(test, tmem_test_get(test, persist,
						    &tmem_test_oid, i,
						    t->pages[i]), 0);
}

static void tmem_test_compressors(struct kunit *test)
{
	static const char * const names[] = { "lz4", "zstd", "lzo" };
	struct tmem_test *t = test->priv;
	unsigned int len;
	void *buf;
	int i;

	buf = kunit_kmalloc(test, 2 * PAGE_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	tmem_test_fill_text(t, t->pages[0], 5);
	for (i = 0; i < ARRAY_SIZE(names); i++) {
		struct tmem_comp *comp = tmem_comp_create(names[i]);
		void *in = tmem_test_addr(t->pages[0]);
		void *out = tmem_test_addr(t->out);

		KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(comp), "%s: %ld", names[i],
				       PTR_ERR(comp));
		KUNIT_EXPECT_EQ(test, tmem_comp_compress(comp, in, buf, &len),
				0);
		KUNIT_EXPECT_LT_MSG(test, len, PAGE_SIZE / 4, "%s", names[i]);
		memset(out, 0, PAGE_SIZE);
		KUNIT_EXPECT_EQ(test, tmem_comp_decompress(comp, buf, len, out),
				0);
		KUNIT_EXPECT_TRUE_MSG(test, tmem_test_same(t->out, t->pages[0]),
				      "%s round trip", names[i]);
		/* Garbage is not a compressed page. */
		memset(buf, 0xff, 64);
		KUNIT_EXPECT_NE(test, tmem_comp_decompress(comp, buf, 64, out),
				0);
		tmem_comp_destroy(comp);
	}
	KUNIT_EXPECT_TRUE(test, IS_ERR(tmem_comp_create("no-such-alg")));
}

static void tmem_test_incompressible(struct kunit *test)
{
	struct tmem_test *t = test->priv;
	int pool = tmem_test_pool(test, 0, NULL);
	struct tmem_peek peek;

	tmem_test_fill_random(t, t->pages[0]);
	tmem_store_raw = false;
	KUNIT_EXPECT_EQ(test, tmem_put(pool, &tmem_test_oid, 0, t->pages[0]),
			-E2BIG);
	tmem_store_raw = true;
	KUNIT_ASSERT_EQ(test, tmem_put(pool, &tmem_test_oid, 0, t->pages[0]),
			0);
	KUNIT_ASSERT_EQ(test, tmem_peek(pool, &tmem_test_oid, 0, &peek), 0);
	KUNIT_EXPECT_TRUE(test, peek.raw);
	KUNIT_EXPECT_EQ(test, peek.len, (unsigned int)PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, tmem_test_get(test, pool, &tmem_test_oid, 0,
					    t->pages[0]), 0);

	/* A threshold of 100% keeps any page that compresses at all. */
	tmem_store_raw = false;
	tmem_compress_threshold = 100;
	tmem_test_fill_text(t, t->pages[1], 9);
	prandom_bytes_state(&t->rnd, tmem_test_addr(t->pages[1]),
			    PAGE_SIZE * 4 / 5);
	KUNIT_ASSERT_EQ(test, tmem_put(pool, &tmem_test_oid, 1, t->pages[1]),
			0);
	KUNIT_ASSERT_EQ(test, tmem_peek(pool, &tmem_test_oid, 1, &peek), 0);
	KUNIT_EXPECT_FALSE(test, peek.raw);
	KUNIT_EXPECT_GT(test, peek.len, (unsigned int)PAGE_SIZE * 3 / 4);
	tmem_compress_threshold = 75;
	KUNIT_EXPECT_EQ(test, tmem_put(pool, &tmem_test_oid, 1, t->pages[1]),
			-E2BIG);
}

static void tmem_test_integrity(struct kunit *test)
{
	struct tmem_test *t = test->priv;
	int pool = tmem_test_pool(test, 0, NULL);
	s64 failures;

	tmem_store_raw = true;
	tmem_dedup = false;
	tmem_test_fill_random(t, t->pages[0]);
	tmem_test_fill_word(t->pages[1], 0x77);

	/* Without checksums a damaged raw copy goes unnoticed ... */
	tmem_integrity = false;
	KUNIT_ASSERT_EQ(test, tmem_put(pool, &tmem_test_oid, 0, t->pages[0]),
			0);
	tmem_drain();
	KUNIT_ASSERT_EQ(test, tmem_corrupt(pool, &tmem_test_oid, 0), 0);
	KUNIT_EXPECT_EQ(test, tmem_get(pool, &tmem_test_oid, 0, t->out), 0);
	KUNIT_EXPECT_FALSE(test, tmem_test_same(t->out, t->pages[0]));

	/* ... with them, every get verifies: intact copies pass ... */
	tmem_integrity = true;
	KUNIT_ASSERT_EQ(test, tmem_put(pool, &tmem_test_oid, 0, t->pages[0]),
			0);
	KUNIT_EXPECT_EQ(test, tmem_test_get(test, pool, &tmem_test_oid, 0,
					    t->pages[0]), 0);

	/* ... and damaged ones are a counted miss, never bad data. */
	failures = tmem_stat_read(TMEM_STAT_INTEGRITY_FAILURES);
	KUNIT_ASSERT_EQ(test, tmem_put(pool, &tmem_test_oid, 0, t->pages[0]),
			0);
	KUNIT_ASSERT_EQ(test, tmem_put(pool, &tmem_test_oid, 1, t->pages[1]),
			0);
	tmem_drain();
	KUNIT_ASSERT_EQ(test, tmem_corrupt(pool, &tmem_test_oid, 0), 0);
	KUNIT_ASSERT_EQ(test, tmem_corrupt(pool, &tmem_test_oid, 1), 0);
	KUNIT_EXPECT_EQ(test, tmem_test_get(test, pool, &tmem_test_oid, 0,
					    NULL), -EIO);
	KUNIT_EXPECT_EQ(test, tmem_test_get(test, pool, &tmem_test_oid, 1,
					    NULL), -EIO);
	KUNIT_EXPECT_EQ(test, tmem_stat_read(TMEM_STAT_INTEGRITY_FAILURES) -
			failures, 2);
	KUNIT_EXPECT_EQ(test, tmem_test_get(test, pool, &tmem_test_oid, 0,
					    NULL), -ENOENT);
}

static void tmem_test_stats(struct kunit *test)
{
	struct tmem_test *t = test->priv;
	s64 pools = tmem_stat_read(TMEM_STAT_POOLS);
	s64 stored = tmem_stat_read(TMEM_STAT_STORED_PAGES);
	s64 bytes = tmem_stat_read(TMEM_STAT_COMPRESSED_BYTES);
	s64 puts = tmem_stat_read(TMEM_STAT_PUTS);
	struct tmem_peek peek;
	int pool;

	pool = tmem_test_pool(test, 0, NULL);
	KUNIT_EXPECT_EQ(test, tmem_stat_read(TMEM_STAT_POOLS) - pools, 1);
	tmem_test_fill_text(t, t->pages[0], 77);
	KUNIT_ASSERT_EQ(test, tmem_put(pool, &tmem_test_oid, 0, t->pages[0]),
			0);
	tmem_drain();
	KUNIT_ASSERT_EQ(test, tmem_peek(pool, &tmem_test_oid, 0, &peek), 0);
	KUNIT_EXPECT_EQ(test, tmem_stat_read(TMEM_STAT_PUTS) - puts, 1);
	KUNIT_EXPECT_EQ(test, tmem_stat_read(TMEM_STAT_STORED_PAGES) - stored,
			1);
	KUNIT_EXPECT_EQ(test, tmem_stat_read(TMEM_STAT_COMPRESSED_BYTES) -
			bytes, peek.len);
	KUNIT_EXPECT_GT(test, tmem_pool_pages(), 0UL);
	KUNIT_EXPECT_EQ(test, tmem_destroy_pool(pool), 0);
	t->nr_pools--;
	tmem_drain();
	KUNIT_EXPECT_EQ(test, tmem_stat_read(TMEM_STAT_POOLS), pools);
	KUNIT_EXPECT_EQ(test, tmem_stat_read(TMEM_STAT_STORED_PAGES), stored);
	KUNIT_EXPECT_EQ(test, tmem_stat_read(TMEM_STAT_COMPRESSED_BYTES),
			bytes);
}

/* Stands for a mapping's i_pages lock, which is taken in hard IRQs. */
static DEFINE_SPINLOCK(tmem_test_i_pages);

static void tmem_test_hardirq_lock(struct irq_work *work)
{
	spin_lock(&tmem_test_i_pages);
	spin_unlock(&tmem_test_i_pages);
}

/*
 * Put and flush under an IRQ-safe lock, after zsmalloc took its locks with
 * IRQs on (compaction): were any zsmalloc lock taken under ours, lockdep
 * would report an IRQ-safe -> IRQ-unsafe order, which fails the suite.
 */
static void tmem_test_irq_safe_caller(struct kunit *test)
{
	struct irq_work work = IRQ_WORK_INIT_HARD(tmem_test_hardirq_lock);
	struct tmem_test *t = test->priv;
	int pool = tmem_test_pool(test, 0, NULL);
	unsigned long flags;
	int i, ret[4];

	irq_work_queue(&work);
	irq_work_sync(&work);
	zs_compact(tmem_zs_pool());

	for (i = 0; i < 4; i++)
		tmem_test_fill_text(t, t->pages[i], 500 + i);
	/* Drained blobs first, so replacing them drops zsmalloc memory. */
	KUNIT_ASSERT_EQ(test, tmem_put(pool, &tmem_test_oid, 0, t->pages[0]),
			0);
	KUNIT_ASSERT_EQ(test, tmem_put(pool, &tmem_test_oid, 1, t->pages[1]),
			0);
	tmem_drain();
	spin_lock_irqsave(&tmem_test_i_pages, flags);
	ret[0] = tmem_put(pool, &tmem_test_oid, 0, t->pages[2]);
	ret[1] = tmem_flush_page(pool, &tmem_test_oid, 1);
	ret[2] = tmem_put(pool, &tmem_test_oid2, 0, t->pages[3]);
	ret[3] = tmem_flush_object(pool, &tmem_test_oid2);
	spin_unlock_irqrestore(&tmem_test_i_pages, flags);
	KUNIT_EXPECT_EQ(test, ret[0], 0);
	KUNIT_EXPECT_EQ(test, ret[1], 1);
	KUNIT_EXPECT_EQ(test, ret[2], 0);
	KUNIT_EXPECT_EQ(test, ret[3], 1);
	tmem_drain();
	KUNIT_EXPECT_EQ(test, tmem_test_get(test, pool, &tmem_test_oid, 0,
					    t->pages[2]), 0);
}

#define TMEM_STRESS_THREADS	2
#define TMEM_STRESS_INDEXES	16
#define TMEM_STRESS_OPS		1500

struct tmem_stress {
	int pools[2];
	atomic_t running;
	atomic_t bad;
	atomic_t hits;
	struct completion done;
};

struct tmem_stress_thread {
	struct tmem_stress *s;
	struct tmem_oid oid;
	struct page *in, *out;
	struct rnd_state rnd;
	/* Version stored per pool and index, 0 for none. */
	u32 last[2][TMEM_STRESS_INDEXES];
};

/* Page contents of (index, version): compressible, never same-filled. */
static unsigned long tmem_stress_word(pgoff_t index, u32 version,
				      unsigned int i)
{
	return (index << 20 | version << 8) ^ (i & 0x3f);
}

static void tmem_stress_fill(struct page *page, pgoff_t index, u32 version)
{
	unsigned long *w = page_address(page);
	unsigned int i;

	for (i = 0; i < PAGE_SIZE / sizeof(*w); i++)
		w[i] = tmem_stress_word(index, version, i);
}

/* The version a page holds for @index, or 0 if it is not such a page. */
static u32 tmem_stress_version(struct page *page, pgoff_t index)
{
	unsigned long *w = page_address(page);
	u32 version = (w[0] >> 8) & 0xfff;
	unsigned int i;

	for (i = 0; i < PAGE_SIZE / sizeof(*w); i++)
		if (w[i] != tmem_stress_word(index, version, i))
			return 0;
	return version;
}

static void tmem_stress_op(struct tmem_stress_thread *th)
{
	struct tmem_stress *s = th->s;
	u32 r = prandom_u32_state(&th->rnd);
	int p = r & 1, pool = s->pools[p];
	pgoff_t index = (r >> 1) % TMEM_STRESS_INDEXES;
	u32 *last = &th->last[p][index];
	u32 version = (r >> 8) % 4 + 1;
	unsigned long flags;
	int ret;

	switch ((r >> 16) % 8) {
	case 0 ... 2:
		/* Like cleancache: IRQs off, as under the i_pages lock. */
		tmem_stress_fill(th->in, index, version);
		local_irq_save(flags);
		ret = tmem_put(pool, &th->oid, index, th->in);
		local_irq_restore(flags);
		*last = ret ? 0 : version;
		break;
	case 3 ... 5:
		ret = tmem_get(pool, &th->oid, index, th->out);
		if (!ret) {
			atomic_inc(&s->hits);
			if (tmem_stress_version(th->out, index) != *last)
				atomic_inc(&s->bad);
			if (p == 0)
				*last = 0;
		}
		break;
	case 6:
		local_irq_save(flags);
		tmem_flush_page(pool, &th->oid, index);
		local_irq_restore(flags);
		*last = 0;
		break;
	default:
		if (index) {
			tmem_evict(2, TMEM_EVICT_SHRINKER);
			break;
		}
		tmem_flush_object(pool, &th->oid);
		memset(th->last[p], 0, sizeof(th->last[p]));
		break;
	}
}

static int tmem_stress_fn(void *data)
{
	struct tmem_stress_thread *th = data;
	int i;

	for (i = 0; i < TMEM_STRESS_OPS; i++) {
		tmem_stress_op(th);
		cond_resched();
	}
	if (atomic_dec_and_test(&th->s->running))
		complete(&th->s->done);
	return 0;
}

static void tmem_test_stress(struct kunit *test)
{
	struct tmem_test *t = test->priv;
	struct tmem_stress_thread *th;
	struct tmem_stress s = {};
	struct task_struct *task;
	uuid_t uuid;
	int i;

	uuid_gen(&uuid);
	s.pools[0] = tmem_test_pool(test, 0, NULL);
	s.pools[1] = tmem_test_pool(test, TMEM_POOL_SHARED, &uuid);
	atomic_set(&s.running, TMEM_STRESS_THREADS);
	init_completion(&s.done);
	/* A small cap, so the worker evicts as well. */
	tmem_cap_override = tmem_used_pages() + 8;
	tmem_dedup = true;

	th = kunit_kcalloc(test, TMEM_STRESS_THREADS, sizeof(*th),
			   GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, th);
	for (i = 0; i < TMEM_STRESS_THREADS; i++) {
		th[i].s = &s;
		th[i].oid.key[0] = 0x57e55;
		th[i].oid.key[1] = i;
		th[i].in = t->pages[2 * i];
		th[i].out = t->pages[2 * i + 1];
		prandom_seed_state(&th[i].rnd, 1000 + i);
	}
	for (i = 0; i < TMEM_STRESS_THREADS; i++) {
		task = kthread_run(tmem_stress_fn, &th[i], "tmem_stress/%d", i);
		if (IS_ERR(task)) {
			KUNIT_FAIL(test, "kthread_run: %ld", PTR_ERR(task));
			if (atomic_dec_and_test(&s.running))
				complete(&s.done);
		}
	}
	/* Meanwhile: the store worker's and the shrinker's work. */
	while (!wait_for_completion_timeout(&s.done, msecs_to_jiffies(2))) {
		tmem_drain();
		tmem_evict(1, TMEM_EVICT_SHRINKER);
		tmem_free_pending();
	}
	KUNIT_EXPECT_EQ(test, atomic_read(&s.bad), 0);
	KUNIT_EXPECT_GT(test, atomic_read(&s.hits), 0);
	kunit_info(test, "%d hits, %lld dedup hits, %lld evictions\n",
		   atomic_read(&s.hits), tmem_stat_read(TMEM_STAT_DEDUP_HITS),
		   tmem_stat_read(TMEM_STAT_EVICTIONS));
}

static struct kunit_case tmem_test_cases[] = {
	KUNIT_CASE(tmem_test_put_get_flush),
	KUNIT_CASE(tmem_test_shared),
	KUNIT_CASE(tmem_test_uuid_policy),
	KUNIT_CASE(tmem_test_coherency),
	KUNIT_CASE(tmem_test_same_filled),
	KUNIT_CASE(tmem_test_dedup),
	KUNIT_CASE(tmem_test_dedup_collision),
	KUNIT_CASE(tmem_test_kept),
	KUNIT_CASE(tmem_test_lru),
	KUNIT_CASE(tmem_test_lru_shared_hit),
	KUNIT_CASE(tmem_test_cap),
	KUNIT_CASE(tmem_test_flush_big),
	KUNIT_CASE(tmem_test_persistent_no_room),
	KUNIT_CASE(tmem_test_compressors),
	KUNIT_CASE(tmem_test_incompressible),
	KUNIT_CASE(tmem_test_incompressible_streak),
	KUNIT_CASE(tmem_test_store_raw_once),
	KUNIT_CASE(tmem_test_integrity),
	KUNIT_CASE(tmem_test_stats),
	KUNIT_CASE(tmem_test_irq_safe_caller),
	KUNIT_CASE_SLOW(tmem_test_stress),
	{}
};

static struct kunit_suite tmem_test_suite = {
	.name = "tmem",
	.init = tmem_test_init,
	.exit = tmem_test_exit,
	.test_cases = tmem_test_cases,
};

kunit_test_suite(tmem_test_suite);

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
MODULE_LICENSE("GPL");
MODULE_VERSION(PVGUEST_VERSION);
MODULE_DESCRIPTION("KUnit tests for tmem");
MODULE_INFO(test, "Y");
