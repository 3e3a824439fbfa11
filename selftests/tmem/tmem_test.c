// SPDX-License-Identifier: GPL-2.0
/*
 * tmem behind ext4 on a virtio-blk disk: pages evicted from the page cache
 * come back correct from tmem, and no way of changing a file (buffered
 * overwrite, truncate, hole punch, O_DIRECT write, unlink and inode reuse,
 * umount with the disk changed behind the filesystem's back) ever brings
 * back the old contents tmem still holds.  The statistics move as the
 * operations say, the pool cap holds, and the module unloads and reloads
 * under readers.  Machine: selftests/pvtest/suites.py (tmem.ext4).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "kmod.h"
#include "tmem_util.h"

#define SEED1 0x1badcafe5eedULL
#define SEED2 0x2badcafe5eedULL
#define SEED3 0x3badcafe5eedULL

FIXTURE(tmem) {
	char path[256];
	char *model;
	int fd;
	int cap_set;
};

FIXTURE_SETUP(tmem)
{
	self->fd = -1;
	self->model = NULL;
	self->cap_set = 0;
	if (access(TM_CC_DIR, F_OK))
		SKIP(return, "no cleancache in this kernel (CONFIG_CLEANCACHE)");
	if (!tm_loaded())
		ASSERT_EQ(0, tm_modprobe("tmem"));
	ASSERT_EQ(0, tm_mount()) TH_LOG("mount %s: %s", TM_DEV, strerror(errno));
	snprintf(self->path, sizeof(self->path), TM_MNT "/%s",
		 _metadata->name);
	unlink(self->path);
}

FIXTURE_TEARDOWN(tmem)
{
	if (self->cap_set)
		tm_param_set("max_pool_mb", "0");
	if (self->fd >= 0)
		close(self->fd);
	free(self->model);
	if (self->path[0])
		unlink(self->path);
}

/*
 * Create @path with @size bytes of @model written through the page cache
 * and synced, then dropped and read back once: the page cache offers
 * cleancache only pages known to be mapped to disk, which a read sets
 * and a write does not.  The fd, or -1.
 */
static int create(const char *path, const char *model, size_t size)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);

	if (fd < 0)
		return -1;
	if (tm_write_full(fd, model, size, 0) || tm_evict(fd) ||
	    tm_check(fd, model, 0, size) != -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A model of @pages pages, each of the @seed file of kind @kind. */
static char *text_model(size_t size, unsigned long long seed, enum tm_kind kind)
{
	char *m = malloc(size);

	if (m)
		tm_fill(m, size, seed, 0, kind);
	return m;
}

/*
 * Evicted pages come back correct, mostly from tmem: puts at eviction,
 * hits at the re-read, and little disk I/O for the compressible pages.
 * Incompressible pages are rejected (unless store_raw), zero pages are
 * stored as same-filled.
 */
TEST_F_TIMEOUT(tmem, reread_after_eviction, 300)
{
	const long text = 1024, rnd = 128, zero = 64, pages = text + rnd + zero;
	const size_t size = pages * TM_PG;
	long long puts, ccputs, rej, rejinc, same, hits, succ, sect;
	int round;

	self->model = malloc(size);
	ASSERT_NE(NULL, self->model);
	tm_fill(self->model, text * TM_PG, SEED1, 0, TM_TEXT);
	tm_fill(self->model + text * TM_PG, rnd * TM_PG, SEED1, text * TM_PG,
		TM_RANDOM);
	memset(self->model + (text + rnd) * TM_PG, 0, zero * TM_PG);
	self->fd = create(self->path, self->model, size);
	ASSERT_LE(0, self->fd);

	for (round = 0; round < 2; round++) {
		puts = tm_stat("puts");
		ccputs = tm_cc("puts");
		rej = tm_stat("rejected_pages");
		rejinc = tm_stat("rejected_incompressible");
		same = tm_stat("same_filled_pages");
		ASSERT_EQ(0, tm_evict(self->fd));
		/* Every page was offered, and tmem saw every offer. */
		EXPECT_LE(pages, tm_cc("puts") - ccputs);
		EXPECT_LE(pages, tm_stat("puts") - puts);
		if (tm_param("store_raw") == 0) {
			EXPECT_LE(rnd * 3 / 4, tm_stat("rejected_pages") - rej);
			EXPECT_LE(rnd * 3 / 4,
				  tm_stat("rejected_incompressible") - rejinc);
		}
		EXPECT_LE(zero * 3 / 4, tm_stat("same_filled_pages") - same);

		hits = tm_stat("hits");
		succ = tm_cc("succ_gets");
		sect = tm_sectors_read();
		ASSERT_EQ(-1, tm_check(self->fd, self->model, 0, size));
		hits = tm_stat("hits") - hits;
		succ = tm_cc("succ_gets") - succ;
		sect = tm_sectors_read() - sect;
		TH_LOG("round %d: %lld hits, %lld succ_gets, %lld KiB read from disk",
		       round, hits, succ, sect / 2);
		EXPECT_LE((text + zero) * 3 / 4, hits);
		EXPECT_LE((text + zero) * 3 / 4, succ);
		/* The hits were not read from the disk as well. */
		EXPECT_GE((rnd + (text + zero) / 4) * TM_PG, sect * 512);
	}
}

/* Each counter moves with the operation that should move it. */
TEST_F_TIMEOUT(tmem, stats_move, 300)
{
	const long pages = 256;
	const size_t size = pages * TM_PG;
	long long v, w, stored;
	double ratio;

	self->model = text_model(size, SEED2, TM_TEXT);
	ASSERT_NE(NULL, self->model);
	self->fd = create(self->path, self->model, size);
	ASSERT_LE(0, self->fd);

	v = tm_stat("puts");
	w = tm_cc("puts");
	stored = tm_stat("stored_pages");
	ASSERT_EQ(0, tm_evict(self->fd));
	EXPECT_LE(pages, tm_stat("puts") - v);
	EXPECT_LE(pages, tm_cc("puts") - w);
	EXPECT_LE(pages * 3 / 4, tm_stat("stored_pages") - stored);
	EXPECT_LT(0, tm_stat("pool_pages"));
	ratio = tm_stat_f("compression_ratio");
	TH_LOG("compression_ratio %.2f", ratio);
	EXPECT_LT(1.2, ratio);

	v = tm_stat("gets");
	w = tm_cc("succ_gets");
	stored = tm_stat("hits");
	ASSERT_EQ(-1, tm_check(self->fd, self->model, 0, size));
	EXPECT_LE(pages * 3 / 4, tm_stat("gets") - v);
	EXPECT_LE(pages * 3 / 4, tm_stat("hits") - stored);
	EXPECT_LE(pages * 3 / 4, tm_cc("succ_gets") - w);

	/* Back into tmem, then truncated away: invalidations, fewer pages. */
	ASSERT_EQ(0, tm_evict(self->fd));
	stored = tm_stat("stored_pages");
	v = tm_stat("invalidate_pages") + tm_stat("invalidate_inodes");
	w = tm_cc("invalidates") + tm_cc("invalidate_inodes");
	ASSERT_EQ(0, ftruncate(self->fd, 0));
	EXPECT_LT(v, tm_stat("invalidate_pages") + tm_stat("invalidate_inodes"));
	EXPECT_LT(w, tm_cc("invalidates") + tm_cc("invalidate_inodes"));
	/* A big object's pages are freed by tmem's reaper, a little later. */
	for (v = 0; v < 500 && tm_stat("stored_pages") > stored - pages * 3 / 4;
	     v++)
		usleep(10000);
	EXPECT_GE(stored - pages * 3 / 4, tm_stat("stored_pages"));
}

/*
 * Buffered overwrites of pages tmem holds, full and partial pages, with
 * compressible data (the new put replaces the old copy), incompressible
 * data (the put is rejected: the old copy must go anyway) and zeroes.
 */
TEST_F_TIMEOUT(tmem, overwrite, 300)
{
	const long pages = 64;
	const size_t size = pages * TM_PG;
	struct { off_t off; size_t len; unsigned long long seed; enum tm_kind kind; } w[] = {
		{ 3 * TM_PG, TM_PG, SEED2, TM_TEXT },
		{ 10 * TM_PG, TM_PG, SEED2, TM_RANDOM },
		{ 11 * TM_PG, 2 * TM_PG, SEED3, TM_ZERO },
		{ 20 * TM_PG + 1000, 100, SEED3, TM_TEXT },
		{ 30 * TM_PG + 3000, 6000, SEED3, TM_RANDOM },
		{ 63 * TM_PG + 4000, 96, SEED2, TM_RANDOM },
	};
	size_t i;
	int round;

	self->model = text_model(size, SEED1, TM_TEXT);
	ASSERT_NE(NULL, self->model);
	self->fd = create(self->path, self->model, size);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, tm_evict(self->fd));

	for (round = 0; round < 2; round++) {
		for (i = 0; i < ARRAY_SIZE(w); i++) {
			char *m = self->model + w[i].off;

			tm_fill(m, w[i].len, w[i].seed + round, w[i].off,
				w[i].kind);
			ASSERT_EQ(0, tm_write_full(self->fd, m, w[i].len,
						   w[i].off));
		}
		EXPECT_EQ(-1, tm_check(self->fd, self->model, 0, size));
		ASSERT_EQ(0, tm_evict(self->fd));
		EXPECT_EQ(-1, tm_check(self->fd, self->model, 0, size));
		ASSERT_EQ(0, tm_evict(self->fd));
		EXPECT_EQ(-1, tm_check(self->fd, self->model, 0, size));
		/* Next round: overwrite again while tmem holds every page. */
		ASSERT_EQ(0, tm_evict(self->fd));
	}
}

/*
 * Shrink to mid-page, then extend: the extension reads as zeroes, not as
 * the pages tmem held; a partial write into the extension too.
 */
TEST_F_TIMEOUT(tmem, truncate_shrink_extend, 300)
{
	const long pages = 64;
	const size_t size = pages * TM_PG;
	const off_t cut = 20 * TM_PG + 100;
	long long inv, ccinv;

	self->model = text_model(size, SEED1, TM_TEXT);
	ASSERT_NE(NULL, self->model);
	self->fd = create(self->path, self->model, size);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, tm_evict(self->fd));

	inv = tm_stat("invalidate_pages") + tm_stat("invalidate_inodes");
	ccinv = tm_cc("invalidates") + tm_cc("invalidate_inodes");
	ASSERT_EQ(0, ftruncate(self->fd, cut));
	EXPECT_LT(inv, tm_stat("invalidate_pages") +
		       tm_stat("invalidate_inodes"));
	EXPECT_LT(ccinv, tm_cc("invalidates") + tm_cc("invalidate_inodes"));
	ASSERT_EQ(0, ftruncate(self->fd, size));
	memset(self->model + cut, 0, size - cut);

	EXPECT_EQ(-1, tm_check(self->fd, self->model, 0, size));
	ASSERT_EQ(0, tm_evict(self->fd));
	EXPECT_EQ(-1, tm_check(self->fd, self->model, 0, size));

	/* A partial page written into the extended part, beside zeroes. */
	tm_fill(self->model + 40 * TM_PG + 50, 100, SEED2, 40 * TM_PG + 50,
		TM_TEXT);
	ASSERT_EQ(0, tm_write_full(self->fd, self->model + 40 * TM_PG + 50,
				   100, 40 * TM_PG + 50));
	ASSERT_EQ(0, tm_evict(self->fd));
	EXPECT_EQ(-1, tm_check(self->fd, self->model, 0, size));

	/* And shrunk again below what tmem now holds, then re-extended. */
	ASSERT_EQ(0, tm_evict(self->fd));
	ASSERT_EQ(0, ftruncate(self->fd, 8 * TM_PG));
	ASSERT_EQ(0, ftruncate(self->fd, size));
	memset(self->model + 8 * TM_PG, 0, size - 8 * TM_PG);
	EXPECT_EQ(-1, tm_check(self->fd, self->model, 0, size));
	ASSERT_EQ(0, tm_evict(self->fd));
	EXPECT_EQ(-1, tm_check(self->fd, self->model, 0, size));
}

/* Punched holes read as zeroes; refilled holes read as the new data. */
TEST_F_TIMEOUT(tmem, punch_hole, 300)
{
	const int mode = FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE;
	const long pages = 64;
	const size_t size = pages * TM_PG;
	const off_t a = 8 * TM_PG, b = 30 * TM_PG + 100;
	const size_t alen = 12 * TM_PG, blen = 5000;

	self->model = text_model(size, SEED1, TM_TEXT);
	ASSERT_NE(NULL, self->model);
	self->fd = create(self->path, self->model, size);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, tm_evict(self->fd));

	ASSERT_EQ(0, fallocate(self->fd, mode, a, alen));
	ASSERT_EQ(0, fallocate(self->fd, mode, b, blen));
	memset(self->model + a, 0, alen);
	memset(self->model + b, 0, blen);
	EXPECT_EQ(-1, tm_check(self->fd, self->model, 0, size));
	ASSERT_EQ(0, tm_evict(self->fd));
	EXPECT_EQ(-1, tm_check(self->fd, self->model, 0, size));

	/* Refill half of the big hole; the rest must stay zero. */
	tm_fill(self->model + a, alen / 2, SEED2, a, TM_TEXT);
	ASSERT_EQ(0, tm_write_full(self->fd, self->model + a, alen / 2, a));
	ASSERT_EQ(0, tm_evict(self->fd));
	EXPECT_EQ(-1, tm_check(self->fd, self->model, 0, size));
	ASSERT_EQ(0, tm_evict(self->fd));
	EXPECT_EQ(-1, tm_check(self->fd, self->model, 0, size));
}

/*
 * O_DIRECT writes over pages tmem holds (evicted) and over pages in the
 * page cache (whose removal offers them to tmem before the write lands).
 */
TEST_F_TIMEOUT(tmem, odirect_write, 300)
{
	const long pages = 64;
	const size_t size = pages * TM_PG;
	const off_t ranges[][2] = { { 8, 8 }, { 36, 8 }, { 60, 4 } };
	char *buf;
	size_t i;
	int dfd;

	self->model = text_model(size, SEED1, TM_TEXT);
	ASSERT_NE(NULL, self->model);
	self->fd = create(self->path, self->model, size);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, tm_evict(self->fd));
	/* Pages 32..47 back in the page cache. */
	ASSERT_EQ(-1, tm_check(self->fd, self->model + 32 * TM_PG, 32 * TM_PG,
			       16 * TM_PG));

	dfd = open(self->path, O_RDWR | O_DIRECT);
	ASSERT_LE(0, dfd);
	ASSERT_EQ(0, posix_memalign((void **)&buf, TM_PG, 8 * TM_PG));
	for (i = 0; i < ARRAY_SIZE(ranges); i++) {
		off_t off = ranges[i][0] * TM_PG;
		size_t len = ranges[i][1] * TM_PG;

		tm_fill(buf, len, SEED2, off, TM_TEXT);
		memcpy(self->model + off, buf, len);
		EXPECT_EQ((ssize_t)len, pwrite(dfd, buf, len, off));
	}
	close(dfd);
	free(buf);

	EXPECT_EQ(-1, tm_check(self->fd, self->model, 0, size));
	ASSERT_EQ(0, tm_evict(self->fd));
	EXPECT_EQ(-1, tm_check(self->fd, self->model, 0, size));
}

/*
 * A file tmem holds is unlinked and a new file gets its inode number
 * (ext4 hands out the lowest free one) and, likely, its blocks: the new
 * file's holes and data never show the old file's pages.
 */
TEST_F_TIMEOUT(tmem, unlink_recreate, 300)
{
	const long pages = 32;
	const size_t size = pages * TM_PG;
	char other[300];
	struct stat st;
	long long inodes;
	ino_t ino;
	int i;

	self->model = text_model(size, SEED1, TM_TEXT);
	ASSERT_NE(NULL, self->model);
	self->fd = create(self->path, self->model, size);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, fstat(self->fd, &st));
	ino = st.st_ino;
	ASSERT_EQ(0, tm_evict(self->fd));
	close(self->fd);
	self->fd = -1;

	inodes = tm_stat("invalidate_inodes");
	ASSERT_EQ(0, unlink(self->path));
	sync();
	EXPECT_LT(inodes, tm_stat("invalidate_inodes"));

	/* Filler files take any lower free numbers until ours comes back. */
	for (i = 0; i < 64; i++) {
		self->fd = open(self->path, O_RDWR | O_CREAT | O_EXCL, 0644);
		ASSERT_LE(0, self->fd);
		ASSERT_EQ(0, fstat(self->fd, &st));
		if (st.st_ino == ino)
			break;
		close(self->fd);
		self->fd = -1;
		snprintf(other, sizeof(other), "%s.%d", self->path, i);
		ASSERT_EQ(0, rename(self->path, other));
	}
	for (; i >= 0; i--) {
		snprintf(other, sizeof(other), "%s.%d", self->path, i);
		unlink(other);
	}
	ASSERT_EQ(ino, st.st_ino) TH_LOG("inode %lu was not reused",
					 (unsigned long)ino);

	/* Sparse: data in pages 0..3 and 20, holes elsewhere. */
	memset(self->model, 0, size);
	tm_fill(self->model, 4 * TM_PG, SEED2, 0, TM_TEXT);
	tm_fill(self->model + 20 * TM_PG, TM_PG, SEED2, 20 * TM_PG, TM_TEXT);
	ASSERT_EQ(0, ftruncate(self->fd, size));
	ASSERT_EQ(0, tm_write_full(self->fd, self->model, 4 * TM_PG, 0));
	ASSERT_EQ(0, tm_write_full(self->fd, self->model + 20 * TM_PG, TM_PG,
				   20 * TM_PG));
	EXPECT_EQ(-1, tm_check(self->fd, self->model, 0, size));
	ASSERT_EQ(0, tm_evict(self->fd));
	EXPECT_EQ(-1, tm_check(self->fd, self->model, 0, size));

	/* Then fully written with new data. */
	tm_fill(self->model, size, SEED3, 0, TM_TEXT);
	ASSERT_EQ(0, tm_write_full(self->fd, self->model, size, 0));
	ASSERT_EQ(0, tm_evict(self->fd));
	EXPECT_EQ(-1, tm_check(self->fd, self->model, 0, size));
}

/*
 * Unmount drops the pool: with the file's blocks rewritten on the raw
 * disk while unmounted, the next mount reads the new data, not what tmem
 * held.  The pool comes back with the mount.
 */
TEST_F_TIMEOUT(tmem, umount_mount, 300)
{
	const long pages = 32;
	const size_t size = pages * TM_PG;
	struct {
		struct fiemap fm;
		struct fiemap_extent ext[16];
	} fx;
	long long fss, ccfss, pools;
	unsigned int i;
	char *buf;
	int dev;

	self->model = text_model(size, SEED1, TM_TEXT);
	ASSERT_NE(NULL, self->model);
	self->fd = create(self->path, self->model, size);
	ASSERT_LE(0, self->fd);
	memset(&fx, 0, sizeof(fx));
	fx.fm.fm_length = ~0ULL;
	fx.fm.fm_flags = FIEMAP_FLAG_SYNC;
	fx.fm.fm_extent_count = 16;
	ASSERT_EQ(0, ioctl(self->fd, FS_IOC_FIEMAP, &fx.fm));
	ASSERT_LT(0, fx.fm.fm_mapped_extents);
	ASSERT_EQ(0, tm_evict(self->fd));
	close(self->fd);
	self->fd = -1;

	pools = tm_stat("pools");
	fss = tm_stat("invalidate_fss");
	ccfss = tm_cc("invalidate_fss");
	ASSERT_EQ(0, umount(TM_MNT)) TH_LOG("umount: %s", strerror(errno));
	EXPECT_LT(fss, tm_stat("invalidate_fss"));
	EXPECT_LT(ccfss, tm_cc("invalidate_fss"));
	EXPECT_EQ(pools - 1, tm_stat("pools"));

	/* New contents straight onto the file's blocks. */
	tm_fill(self->model, size, SEED2, 0, TM_TEXT);
	dev = open(TM_DEV, O_RDWR | O_DIRECT);
	ASSERT_LE(0, dev);
	for (i = 0; i < fx.fm.fm_mapped_extents; i++) {
		struct fiemap_extent *e = &fx.ext[i];

		ASSERT_EQ(0, e->fe_flags & (FIEMAP_EXTENT_UNWRITTEN |
					    FIEMAP_EXTENT_ENCODED));
		ASSERT_GE(size, e->fe_logical + e->fe_length);
		ASSERT_EQ(0, posix_memalign((void **)&buf, TM_PG,
					    e->fe_length));
		memcpy(buf, self->model + e->fe_logical, e->fe_length);
		EXPECT_EQ((ssize_t)e->fe_length,
			  pwrite(dev, buf, e->fe_length, e->fe_physical));
		free(buf);
	}
	EXPECT_EQ(0, fsync(dev));
	close(dev);

	ASSERT_EQ(0, tm_mount());
	EXPECT_EQ(pools, tm_stat("pools"));
	self->fd = open(self->path, O_RDWR);
	ASSERT_LE(0, self->fd);
	EXPECT_EQ(-1, tm_check(self->fd, self->model, 0, size));
	ASSERT_EQ(0, tm_evict(self->fd));
	EXPECT_EQ(-1, tm_check(self->fd, self->model, 0, size));
}

/*
 * Two files with the same contents share storage (dedup), yet changing
 * one never changes what the other reads back.
 */
TEST_F_TIMEOUT(tmem, dedup_no_aliasing, 300)
{
	const long pages = 64;
	const size_t size = pages * TM_PG;
	char twin[300];
	long long dups;
	int fd2;

	if (tm_param("dedup") != 1)
		SKIP(return, "dedup is off");
	self->model = text_model(size, SEED3, TM_TEXT);
	ASSERT_NE(NULL, self->model);
	self->fd = create(self->path, self->model, size);
	ASSERT_LE(0, self->fd);
	snprintf(twin, sizeof(twin), "%s.twin", self->path);
	fd2 = create(twin, self->model, size);
	ASSERT_LE(0, fd2);

	dups = tm_stat("dedup_hits");
	ASSERT_EQ(0, tm_evict(self->fd));
	ASSERT_EQ(0, tm_evict(fd2));
	EXPECT_LE(pages * 3 / 4, tm_stat("dedup_hits") - dups);

	/* Change the twin: the original must not see it, nor the reverse. */
	ASSERT_EQ(0, tm_write_gen(fd2, 0, size, SEED1, TM_TEXT));
	ASSERT_EQ(0, tm_evict(fd2));
	EXPECT_EQ(-1, tm_check(self->fd, self->model, 0, size));
	tm_fill(self->model, size, SEED1, 0, TM_TEXT);
	EXPECT_EQ(-1, tm_check(fd2, self->model, 0, size));
	close(fd2);
	unlink(twin);
}

/*
 * With max_pool_mb small and more data pushed through, the pool stays
 * under the cap (plus zsmalloc's rounding) by evicting, and reads stay
 * correct whatever was evicted.
 */
TEST_F_TIMEOUT(tmem, memory_cap, 300)
{
	const long cap = 2 << 20, slack = 512 << 10, pages = 1024, nfiles = 4;
	const size_t size = pages * TM_PG;
	long long ev, pool, peak = 0;
	int fds[4], i;

	ASSERT_EQ(0, tm_param_set("max_pool_mb", "2"));
	self->cap_set = 1;
	ev = tm_stat("evictions");
	self->model = malloc(size);
	ASSERT_NE(NULL, self->model);
	for (i = 0; i < nfiles; i++) {
		char p[300];

		snprintf(p, sizeof(p), "%s.%d", self->path, i);
		tm_fill(self->model, size, SEED1 + i, 0, TM_TEXT);
		fds[i] = create(p, self->model, size);
		ASSERT_LE(0, fds[i]);
		ASSERT_EQ(0, tm_evict(fds[i]));
		pool = tm_stat("pool_pages") * TM_PG;
		if (pool > peak)
			peak = pool;
		EXPECT_GE(cap + slack, pool);
	}
	TH_LOG("pool peak %lld KiB under a %ld KiB cap, %lld evictions",
	       peak >> 10, cap >> 10, tm_stat("evictions") - ev);
	EXPECT_LT(ev, tm_stat("evictions"));

	for (i = 0; i < nfiles; i++) {
		char p[300];

		tm_fill(self->model, size, SEED1 + i, 0, TM_TEXT);
		EXPECT_EQ(-1, tm_check(fds[i], self->model, 0, size));
		close(fds[i]);
		snprintf(p, sizeof(p), "%s.%d", self->path, i);
		unlink(p);
	}
	EXPECT_GE(cap + slack, tm_stat("pool_pages") * TM_PG);
}

#define READERS 2

/* Evict and re-read @path until *@stop; exit 1 on a wrong byte. */
static void reader(const char *path, const char *model, size_t size,
		   int *stop)
{
	long loops = 0, d;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		_exit(2);
	while (!__atomic_load_n(stop, __ATOMIC_ACQUIRE)) {
		tm_evict(fd);
		d = tm_check(fd, model, 0, size);
		if (d != -1) {
			fprintf(stderr, "# %s: wrong data at %ld after %ld loops\n",
				path, d, loops);
			_exit(1);
		}
		loops++;
	}
	fprintf(stderr, "# %s: %ld loops\n", path, loops);
	_exit(loops ? 0 : 3);
}

/*
 * rmmod tmem while readers evict and re-read in a loop, several times:
 * every read stays correct, the module comes back with a pool for the
 * mounted filesystem, and serves hits again.
 */
TEST_F_TIMEOUT(tmem, unload_under_load, 300)
{
	const long pages = 128;
	const size_t size = pages * TM_PG;
	char paths[READERS][300];
	pid_t pids[READERS];
	int *stop;
	long long hits;
	int i, status;

	if (kmod_builtin("tmem"))
		SKIP(return, "tmem is built in: nothing to unload");

	stop = mmap(NULL, sizeof(*stop), PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, stop);
	*stop = 0;
	self->model = malloc(size * READERS);
	ASSERT_NE(NULL, self->model);
	for (i = 0; i < READERS; i++) {
		int fd;

		snprintf(paths[i], sizeof(paths[i]), "%s.%d", self->path, i);
		tm_fill(self->model + i * size, size, SEED1 + i, 0, TM_TEXT);
		fd = open(paths[i], O_RDWR | O_CREAT | O_TRUNC, 0644);
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, tm_write_full(fd, self->model + i * size, size, 0));
		ASSERT_EQ(0, fsync(fd));
		close(fd);
	}
	for (i = 0; i < READERS; i++) {
		pids[i] = fork();
		ASSERT_LE(0, pids[i]);
		if (!pids[i])
			reader(paths[i], self->model + i * size, size, stop);
	}

	for (i = 0; i < 3; i++) {
		usleep(500000);
		EXPECT_EQ(0, tm_modprobe("-r tmem"));
		EXPECT_FALSE(tm_loaded());
		usleep(300000);
		EXPECT_EQ(0, tm_modprobe("tmem"));
		EXPECT_TRUE(tm_loaded());
	}
	usleep(500000);
	__atomic_store_n(stop, 1, __ATOMIC_RELEASE);
	for (i = 0; i < READERS; i++) {
		ASSERT_EQ(pids[i], waitpid(pids[i], &status, 0));
		EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
			TH_LOG("reader %d: status %#x", i, status);
	}

	/* Reloaded: a pool for the mounted disk, and hits again. */
	ASSERT_TRUE(tm_loaded());
	EXPECT_LE(1, tm_stat("pools"));
	self->fd = open(paths[0], O_RDONLY);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, tm_evict(self->fd));
	hits = tm_stat("hits");
	EXPECT_EQ(-1, tm_check(self->fd, self->model, 0, size));
	EXPECT_LE(pages * 3 / 4, tm_stat("hits") - hits);
	for (i = 0; i < READERS; i++)
		unlink(paths[i]);
	munmap(stop, sizeof(*stop));
}

TEST_HARNESS_MAIN
