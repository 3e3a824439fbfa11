// SPDX-License-Identifier: GPL-2.0
/*
 * An fsx-style stress of tmem behind ext4: random buffered writes,
 * truncates (shrink and extend), hole punches, buffered reads, O_DIRECT
 * reads and writes, fsyncs and frequent evictions from the page cache
 * (whole file or a range, posix_fadvise(POSIX_FADV_DONTNEED)), every read
 * checked against an in-memory model of the file.  Evicted pages go to
 * tmem and come back from it, so a stale or corrupt page shows up as a
 * mismatch, reported with its offset and the last operations.
 *
 *   tmem_fsx_test [-n OPS] [-s SEED] [-m MAX_FILE_BYTES]
 *
 * Machine: selftests/pvtest/suites.py (tmem.fsx), a small guest.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kselftest.h"
#include "tmem_util.h"

#define LOG_LEN 32
#define FULL_CHECK_EVERY 5000
#define PROGRESS_EVERY 20000

enum op { OP_WRITE, OP_READ, OP_TRUNC, OP_PUNCH, OP_EVICT, OP_DREAD,
	  OP_DWRITE, OP_FSYNC, OP_REREAD, NR_OPS };

static const char *const op_names[NR_OPS] = {
	"write", "read", "truncate", "punch", "evict", "dread", "dwrite",
	"fsync", "reread",
};

/* Out of 100. */
static const int op_weight[NR_OPS] = { 30, 28, 6, 6, 12, 8, 3, 1, 6 };

static struct {
	unsigned long long seed, rnd;
	long ops, maxsize, size, done;
	long count[NR_OPS];
	char *model, *buf, *dbuf;
	int fd, dfd;
	char log[LOG_LEN][96];
} fsx = {
	.seed = 0x7e3df5c0ffee1234ULL,
	.ops = 100000,
	.maxsize = 1L << 20,
};

static void logop(const char *fmt, ...)
{
	va_list ap;
	char *line = fsx.log[fsx.done % LOG_LEN];
	int n;

	n = snprintf(line, sizeof(fsx.log[0]), "%7ld ", fsx.done);
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(fsx.log[0]) - n, fmt, ap);
	va_end(ap);
}

static void dump_log(void)
{
	long i, first = fsx.done >= LOG_LEN ? fsx.done - LOG_LEN + 1 : 0;

	ksft_print_msg("last operations (size now %ld):\n", fsx.size);
	for (i = first; i <= fsx.done; i++)
		ksft_print_msg("  %s\n", fsx.log[i % LOG_LEN]);
}

static void fail(const char *fmt, ...)
{
	va_list ap;

	printf("# FAIL after %ld operations, seed %#llx: ", fsx.done,
	       (unsigned long long)fsx.seed);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	dump_log();
	ksft_test_result_fail("fsx_%ld_ops\n", fsx.ops);
	ksft_exit_fail();
}

static long rnd(long n)
{
	return n > 0 ? (long)(tm_rand(&fsx.rnd) % (unsigned long long)n) : 0;
}

/* Mostly short, sometimes a few pages, rarely up to 128 KiB. */
static long rnd_len(void)
{
	long r = rnd(100);

	if (r < 60)
		return 1 + rnd(TM_PG);
	if (r < 97)
		return 1 + rnd(4 * TM_PG);
	return 1 + rnd(32 * TM_PG);
}

static void compare(const char *got, off_t off, size_t len, const char *what)
{
	long d = tm_diff(got, fsx.model + off, len);

	if (d >= 0)
		fail("%s: byte at offset %ld (page %ld) is %#x, expected %#x",
		     what, off + d, (off + d) / TM_PG,
		     (unsigned char)got[d],
		     (unsigned char)fsx.model[off + d]);
}

static void do_write(void)
{
	long off = rnd(fsx.maxsize), len = rnd_len();
	enum tm_kind kind = rnd(10) < 6 ? TM_TEXT : rnd(2) ? TM_RANDOM :
			    TM_ZERO;

	if (off + len > fsx.maxsize)
		len = fsx.maxsize - off;
	logop("write %#lx+%#lx kind %d", off, len, kind);
	tm_fill(fsx.model + off, len, fsx.seed + fsx.done, off, kind);
	if (tm_write_full(fsx.fd, fsx.model + off, len, off))
		fail("pwrite %#lx+%#lx: %s", off, len, strerror(errno));
	if (off + len > fsx.size)
		fsx.size = off + len;
}

static void do_read(void)
{
	long off = rnd(fsx.size + 1), len = rnd_len();
	ssize_t n;

	if (off + len > fsx.size)
		len = fsx.size - off;
	logop("read %#lx+%#lx", off, len);
	n = pread(fsx.fd, fsx.buf, len, off);
	if (n != len)
		fail("pread %#lx+%#lx returned %zd (%s)", off, len, n,
		     n < 0 ? strerror(errno) : "short");
	compare(fsx.buf, off, len, "read");
}

static void do_truncate(void)
{
	long size = rnd(fsx.maxsize + 1);

	/* Often at or next to a page boundary. */
	if (rnd(2))
		size = (size & ~(TM_PG - 1)) + rnd(3) - 1;
	if (size < 0)
		size = 0;
	if (size > fsx.maxsize)
		size = fsx.maxsize;
	logop("truncate %#lx -> %#lx", fsx.size, size);
	if (ftruncate(fsx.fd, size))
		fail("ftruncate %#lx: %s", size, strerror(errno));
	if (size < fsx.size)
		memset(fsx.model + size, 0, fsx.size - size);
	fsx.size = size;
}

static void do_punch(void)
{
	const int mode = FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE;
	long off = rnd(fsx.size), len = rnd_len() * (rnd(4) ? 1 : 8);

	if (!fsx.size) {
		do_truncate();
		return;
	}
	if (off + len > fsx.size)
		len = fsx.size - off;
	logop("punch %#lx+%#lx", off, len);
	if (fallocate(fsx.fd, mode, off, len))
		fail("punch %#lx+%#lx: %s", off, len, strerror(errno));
	memset(fsx.model + off, 0, len);
}

static void do_evict(void)
{
	long off = 0, len = 0;

	/* Half the time the whole file, else a range. */
	if (rnd(2)) {
		off = rnd(fsx.size) & ~(TM_PG - 1);
		len = rnd_len() * 4;
	}
	logop("evict %#lx+%#lx", off, len);
	if (rnd(16) == 0 && fdatasync(fsx.fd))
		fail("fdatasync: %s", strerror(errno));
	if (posix_fadvise(fsx.fd, off, len, POSIX_FADV_DONTNEED))
		fail("fadvise: %s", strerror(errno));
}

/*
 * Evict a range and read it twice, evicting in between: the first read
 * comes from the disk (a written page is offered to cleancache only once
 * read back: only then is it known to be mapped to disk), the second,
 * mostly, from tmem.
 */
static void do_reread(void)
{
	long off = rnd(fsx.size + 1) & ~(TM_PG - 1), len = rnd_len() * 4;
	int i;

	if (off + len > fsx.size)
		len = fsx.size - off;
	logop("reread %#lx+%#lx", off, len);
	if (fdatasync(fsx.fd))
		fail("fdatasync: %s", strerror(errno));
	for (i = 0; i < 2; i++) {
		if (posix_fadvise(fsx.fd, off, len, POSIX_FADV_DONTNEED))
			fail("fadvise: %s", strerror(errno));
		if (len && pread(fsx.fd, fsx.buf, len, off) != len)
			fail("pread %#lx+%#lx: %s", off, len, strerror(errno));
		compare(fsx.buf, off, len, i ? "second reread" : "reread");
	}
}

static void do_dread(void)
{
	long off = rnd(fsx.size + 1) & ~(TM_PG - 1);
	long len = (rnd_len() + TM_PG - 1) & ~(TM_PG - 1);
	long want = fsx.size - off < len ? fsx.size - off : len;
	ssize_t n;

	logop("dread %#lx+%#lx", off, len);
	n = pread(fsx.dfd, fsx.dbuf, len, off);
	if (n != want)
		fail("O_DIRECT pread %#lx+%#lx returned %zd, expected %ld (%s)",
		     off, len, n, want, n < 0 ? strerror(errno) : "short");
	compare(fsx.dbuf, off, want, "O_DIRECT read");
}

static void do_dwrite(void)
{
	long off = rnd(fsx.maxsize) & ~(TM_PG - 1);
	long len = (rnd_len() + TM_PG - 1) & ~(TM_PG - 1);

	if (off + len > fsx.maxsize)
		len = fsx.maxsize - off;
	logop("dwrite %#lx+%#lx", off, len);
	tm_fill(fsx.dbuf, len, fsx.seed + fsx.done, off, TM_TEXT);
	if (pwrite(fsx.dfd, fsx.dbuf, len, off) != len)
		fail("O_DIRECT pwrite %#lx+%#lx: %s", off, len,
		     strerror(errno));
	memcpy(fsx.model + off, fsx.dbuf, len);
	if (off + len > fsx.size)
		fsx.size = off + len;
}

static void do_fsync(void)
{
	logop("fsync");
	if (fsync(fsx.fd))
		fail("fsync: %s", strerror(errno));
}

/* Evict everything, then read the whole file back. */
static void full_check(const char *why)
{
	struct stat st;

	logop("full check (%s)", why);
	if (fstat(fsx.fd, &st))
		fail("fstat: %s", strerror(errno));
	if (st.st_size != fsx.size)
		fail("file size %lld, expected %ld", (long long)st.st_size,
		     fsx.size);
	if (tm_evict(fsx.fd) < 0)
		fail("evict: %s", strerror(errno));
	if (tm_read_full(fsx.fd, fsx.buf, fsx.size, 0))
		fail("read back the file: %s", strerror(errno));
	compare(fsx.buf, 0, fsx.size, why);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void (*const op_fn[NR_OPS])(void) = {
	do_write, do_read, do_truncate, do_punch, do_evict, do_dread,
	do_dwrite, do_fsync, do_reread,
};

static enum op pick(void)
{
	int r = rnd(100), i;

	for (i = 0; i < NR_OPS - 1; i++) {
		if (r < op_weight[i])
			return i;
		r -= op_weight[i];
	}
	return i;
}

static void setup(void)
{
	if (tm_mount())
		ksft_exit_fail_msg("mount %s on %s: %s\n", TM_DEV, TM_MNT,
				   strerror(errno));
	unlink(TM_MNT "/fsx.dat");
	fsx.fd = open(TM_MNT "/fsx.dat", O_RDWR | O_CREAT | O_TRUNC, 0644);
	fsx.dfd = open(TM_MNT "/fsx.dat", O_RDWR | O_DIRECT);
	fsx.model = calloc(fsx.maxsize, 1);
	fsx.buf = malloc(fsx.maxsize);
	if (fsx.fd < 0 || fsx.dfd < 0 || !fsx.model || !fsx.buf ||
	    posix_memalign((void **)&fsx.dbuf, TM_PG, 64 * TM_PG + TM_PG))
		ksft_exit_fail_msg("cannot set up the file: %s\n", strerror(errno));
	fsx.rnd = tm_mix(fsx.seed, 0);
}

int main(int argc, char **argv)
{
	long long hits, puts, inv, ccinv;
	double t0;
	int opt, i;

	while ((opt = getopt(argc, argv, "n:s:m:")) != -1) {
		switch (opt) {
		case 'n':
			fsx.ops = strtol(optarg, NULL, 0);
			break;
		case 's':
			fsx.seed = strtoull(optarg, NULL, 0);
			break;
		case 'm':
			fsx.maxsize = strtol(optarg, NULL, 0) & ~(TM_PG - 1);
			break;
		default:
			fprintf(stderr, "usage: %s [-n ops] [-s seed] [-m bytes]\n",
				argv[0]);
			return KSFT_FAIL;
		}
	}

	ksft_print_header();
	ksft_set_plan(3);
	if (access(TM_CC_DIR, F_OK))
		ksft_exit_skip("no cleancache in this kernel\n");
	if (!tm_loaded() && tm_modprobe("tmem"))
		ksft_exit_fail_msg("modprobe tmem failed\n");
	setup();
	ksft_print_msg("seed %#llx, %ld operations, files up to %ld bytes\n",
		       (unsigned long long)fsx.seed, fsx.ops, fsx.maxsize);

	hits = tm_stat("hits");
	puts = tm_stat("puts");
	inv = tm_stat("invalidate_pages") + tm_stat("invalidate_inodes");
	ccinv = tm_cc("invalidates") + tm_cc("invalidate_inodes");
	t0 = now();
	for (fsx.done = 0; fsx.done < fsx.ops; fsx.done++) {
		enum op op = pick();

		fsx.count[op]++;
		op_fn[op]();
		if (fsx.done % FULL_CHECK_EVERY == FULL_CHECK_EVERY - 1)
			full_check("full read after eviction");
		if (fsx.done % PROGRESS_EVERY == PROGRESS_EVERY - 1)
			ksft_print_msg("%ld operations, %.0f s\n", fsx.done + 1,
				       now() - t0);
	}
	fsx.done--;
	for (i = 0; i < NR_OPS; i++)
		ksft_print_msg("%-9s %ld\n", op_names[i], fsx.count[i]);
	ksft_test_result_pass("fsx_%ld_ops\n", fsx.ops);

	/* Everything once more, from a cold page cache. */
	if (tm_drop_caches())
		ksft_exit_fail_msg("drop_caches: %s\n", strerror(errno));
	full_check("final read after drop_caches");
	ksft_test_result_pass("final_contents\n");

	/* The run went through tmem: it stored, served and invalidated. */
	hits = tm_stat("hits") - hits;
	puts = tm_stat("puts") - puts;
	inv = tm_stat("invalidate_pages") + tm_stat("invalidate_inodes") - inv;
	ccinv = tm_cc("invalidates") + tm_cc("invalidate_inodes") - ccinv;
	ksft_print_msg("tmem: %lld puts, %lld hits, %lld invalidations\n",
		       puts, hits, inv);
	ksft_print_msg("cleancache: %lld invalidations\n", ccinv);
	ksft_test_result(puts > 0 && hits > 0 && inv > 0 && ccinv > 0,
			 "tmem_was_exercised\n");

	close(fsx.dfd);
	close(fsx.fd);
	unlink(TM_MNT "/fsx.dat");
	ksft_finished();
}
