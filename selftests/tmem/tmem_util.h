/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the tmem guest programs (tmem_test, tmem_fsx_test,
 * tmem_bench): the ext4 disk, reproducible file contents, eviction from
 * the page cache, and the tmem and cleancache counters in debugfs.
 */
#ifndef _TMEM_UTIL_H
#define _TMEM_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hostctl.h"

#define TM_DEV		"/dev/vda"
#define TM_MNT		"/mnt/tmem"
#define TM_STATS	"/sys/kernel/debug/tmem/stats"
#define TM_CC_DIR	"/sys/kernel/debug/cleancache"
#define TM_PARAMS	"/sys/module/tmem/parameters"
#define TM_PG		4096L

/* xorshift64*: small, fast and the same on every run for one seed. */
static inline unsigned long long tm_rand(unsigned long long *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

/* splitmix64 finaliser: a well-spread seed from (seed, index). */
static inline unsigned long long tm_mix(unsigned long long a, unsigned long long b)
{
	unsigned long long z = a + 0x9e3779b97f4a7c15ULL * (b + 1);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return (z ^ (z >> 31)) | 1;
}

static const char *const tm_words[] = {
	"the", "page", "cache", "kernel", "memory", "of", "and", "a", "to",
	"clean", "folio", "backend", "pool", "compressed", "is", "in", "for",
	"when", "read", "write", "disk", "block", "inode", "file", "data",
	"guest", "host", "virtual", "machine", "with", "that", "it", "on",
	"second", "chance", "store", "hit", "miss", "evict", "truncate",
	"lock", "wait", "queue", "device", "driver", "buffer", "mapping",
	"reclaim", "shrinker", "transcendent", "ephemeral", "persistent",
};

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif
#define TM_NWORDS ARRAY_SIZE(tm_words)

static const char *const tm_hosts[] = { "web-01", "web-02", "db-01", "cache-03" };
static const char *const tm_users[] = { "alice", "bob", "deploy", "backup", "www-data" };
static const char *const tm_levels[] = { "info", "info", "info", "debug", "warn", "error" };
static const char *const tm_msgs[] = {
	"request served", "cache miss, reading from disk", "cache hit",
	"user logged in", "session expired", "retrying upstream connection",
	"slow query", "order created", "payment accepted", "item updated",
};

static const char *const tm_paths[] = { "api/v1/items", "api/v1/users", "static/css",
					"static/js", "healthz", "api/v2/orders" };

enum tm_kind { TM_TEXT, TM_RANDOM, TM_ZERO };

/*
 * One line of a text-like log: syslog-style lines from a few services,
 * with a timestamp that grows with @t and fields drawn with @s.
 */
static inline int tm_log_line(char *l, size_t size, unsigned long long *s,
			      unsigned long long t)
{
	unsigned long long r = tm_rand(s), q = tm_rand(s);
	unsigned int sec = t / 8 % 86400, ms = (unsigned int)(t % 8 * 125);
	char tm[32], ts[48];

	snprintf(tm, sizeof(tm), "2026-11-%02u %02u:%02u:%02u.%03u",
		 (unsigned int)(t / 8 / 86400 % 28 + 1), sec / 3600,
		 sec / 60 % 60, sec % 60, ms + (unsigned int)(q % 10));
	snprintf(ts, sizeof(ts), "%s %s", tm, tm_hosts[(r >> 8) % ARRAY_SIZE(tm_hosts)]);
	switch (r % 10) {
	case 0:
	case 5:
	case 6:
	case 8:
	case 9:
		return snprintf(l, size,
				"%s nginx[%u]: 10.0.%u.%u - - [%s] \"GET /%s/%u HTTP/1.1\" %u %u \"https://shop.example.com/\" \"Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\"\n",
				ts, 900 + (unsigned int)(r >> 8) % 4,
				(unsigned int)(q >> 20) % 8,
				(unsigned int)(q >> 24) % 16 + 2, tm,
				tm_paths[(q >> 32) % ARRAY_SIZE(tm_paths)],
				(unsigned int)(q >> 40) % 100,
				(q >> 52) % 10 ? 200 : 404,
				(unsigned int)(q >> 44) % 20 * 512 + 200);
	case 1:
	case 7:
		return snprintf(l, size,
				"%s app[%u]: level=%s msg=\"%s\" user=%s request_id=%06llx took=%ums\n",
				ts, 2100 + (unsigned int)(r >> 8) % 4,
				tm_levels[(r >> 24) % ARRAY_SIZE(tm_levels)],
				tm_msgs[(q >> 8) % ARRAY_SIZE(tm_msgs)],
				tm_users[(q >> 32) % ARRAY_SIZE(tm_users)],
				t, (unsigned int)(r >> 40) % 900);
	case 2:
		return snprintf(l, size,
				"%s kernel: [%6u.%03u] EXT4-fs (vda): %s %s inode %u block %u\n",
				ts, (unsigned int)(t / 8), (unsigned int)(t % 8 * 125),
				tm_words[(q >> 8) % TM_NWORDS],
				tm_words[(q >> 16) % TM_NWORDS],
				(unsigned int)(q >> 24) % 64 + 12,
				(unsigned int)(q >> 40) % 4096);
	case 3:
		return snprintf(l, size,
				"%s sshd[%u]: Accepted publickey for %s from 10.0.%u.%u port %u ssh2: ED25519 key %u\n",
				ts, 30000 + (unsigned int)(t / 64) % 5000,
				tm_users[(r >> 32) % ARRAY_SIZE(tm_users)],
				(unsigned int)(q >> 8) % 8,
				(unsigned int)(q >> 16) % 16 + 2,
				(unsigned int)(q >> 24) % 300 + 32768,
				(unsigned int)(r >> 32) % 5);
	default:
		return snprintf(l, size,
				"%s CRON[%u]: (%s) CMD (/usr/local/bin/%s --%s)\n",
				ts, 40000 + (unsigned int)(t / 64) % 5000,
				tm_users[(r >> 32) % ARRAY_SIZE(tm_users)],
				tm_words[(q >> 8) % TM_NWORDS],
				tm_words[(q >> 16) % TM_NWORDS]);
	}
}

/*
 * Page @idx of the file made from @seed: text-like log lines
 * (compressible, about 3x with lz4 on 4 KiB pages), random bytes
 * (incompressible) or zeroes.  Every page differs from every other, so
 * deduplication cannot hide a mix-up.
 */
static inline void tm_fill_page(char *p, unsigned long long seed, unsigned long long idx,
				enum tm_kind kind)
{
	unsigned long long s = tm_mix(seed, idx), t = idx * 32;
	char line[256];
	size_t i = 0, n;

	if (kind == TM_ZERO) {
		memset(p, 0, TM_PG);
		return;
	}
	if (kind == TM_RANDOM) {
		for (i = 0; i < TM_PG; i += 8) {
			unsigned long long v = tm_rand(&s);

			memcpy(p + i, &v, 8);
		}
		return;
	}
	/* A header naming the page, then log lines. */
	i = snprintf(p, TM_PG, "%016llx:%llu ", (unsigned long long)seed,
		     (unsigned long long)idx);
	while (i < TM_PG) {
		n = tm_log_line(line, sizeof(line), &s, t++);
		if (n >= sizeof(line))
			n = sizeof(line) - 1;
		if (n > TM_PG - i)
			n = TM_PG - i;
		memcpy(p + i, line, n);
		i += n;
	}
}

/* Bytes [@off, @off + @len) of the file made from @seed. */
static inline void tm_fill(char *buf, size_t len, unsigned long long seed, off_t off,
			   enum tm_kind kind)
{
	char page[TM_PG];

	while (len) {
		unsigned long long idx = off / TM_PG;
		size_t in = off % TM_PG;
		size_t n = TM_PG - in < len ? TM_PG - in : len;

		tm_fill_page(page, seed, idx, kind);
		memcpy(buf, page + in, n);
		buf += n;
		off += n;
		len -= n;
	}
}

/* The first offset where @a and @b differ, or -1. */
static inline long tm_diff(const char *a, const char *b, size_t len)
{
	size_t i;

	if (!memcmp(a, b, len))
		return -1;
	for (i = 0; i < len && a[i] == b[i]; i++)
		;
	return i;
}

/*
 * pwrite() (@wr true) or pread() all of [@off, @off + @len) of @fd,
 * retrying short transfers; 0, or -1 on an error or end of file.
 */
static inline int tm_pio_full(int fd, char *buf, size_t len, off_t off,
			      int wr)
{
	while (len) {
		ssize_t n = wr ? pwrite(fd, buf, len, off) :
				 pread(fd, buf, len, off);

		if (n <= 0)
			return -1;
		buf += n;
		off += n;
		len -= n;
	}
	return 0;
}

static inline int tm_write_full(int fd, const char *buf, size_t len,
				off_t off)
{
	/* pwrite() only reads @buf. */
	return tm_pio_full(fd, (char *)buf, len, off, 1);
}

static inline int tm_read_full(int fd, char *buf, size_t len, off_t off)
{
	return tm_pio_full(fd, buf, len, off, 0);
}

/* Write @len bytes of the @seed file at @off, a page-sized chunk at a time. */
static inline int tm_write_gen(int fd, off_t off, size_t len, unsigned long long seed,
			       enum tm_kind kind)
{
	char buf[16 * TM_PG];

	while (len) {
		size_t n = len < sizeof(buf) ? len : sizeof(buf);

		tm_fill(buf, n, seed, off, kind);
		if (tm_write_full(fd, buf, n, off))
			return -1;
		off += n;
		len -= n;
	}
	return 0;
}

/*
 * Read [@off, @off + @len) of @fd and compare it with @expect; the first
 * differing file offset, -1 when equal, -2 when the read failed.
 */
static inline long tm_check(int fd, const char *expect, off_t off, size_t len)
{
	char *got = malloc(len);
	long d;

	if (!got || tm_read_full(fd, got, len, off)) {
		free(got);
		return -2;
	}
	d = tm_diff(got, expect, len);
	free(got);
	return d < 0 ? d : off + d;
}

/* A value from a file of "name value" lines; -1 when absent. */
static inline double tm_stat_in(const char *path, const char *name)
{
	char line[128], key[64];
	double v, ret = -1;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63s %lf", key, &v) == 2 &&
		    !strcmp(key, name)) {
			ret = v;
			break;
		}
	}
	fclose(f);
	return ret;
}

/* A counter from /sys/kernel/debug/tmem/stats; -1 when absent. */
static inline long long tm_stat(const char *name)
{
	return (long long)tm_stat_in(TM_STATS, name);
}

/* A decimal statistic (compression_ratio); -1 when absent. */
static inline double tm_stat_f(const char *name)
{
	return tm_stat_in(TM_STATS, name);
}

static inline long long tm_read_ll(const char *path)
{
	long long v = -1;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	if (fscanf(f, "%lld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

/* A frontend counter from /sys/kernel/debug/cleancache/; -1 when absent. */
static inline long long tm_cc(const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), TM_CC_DIR "/%s", name);
	return tm_read_ll(path);
}

static inline int tm_param_set(const char *name, const char *val)
{
	char path[128];

	snprintf(path, sizeof(path), TM_PARAMS "/%s", name);
	return write_str(path, val);
}

static inline long long tm_param(const char *name)
{
	char path[128], buf[32] = "";
	FILE *f;

	snprintf(path, sizeof(path), TM_PARAMS "/%s", name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	if (buf[0] == 'Y')
		return 1;
	if (buf[0] == 'N')
		return 0;
	return strtoll(buf, NULL, 10);
}

static inline int tm_loaded(void)
{
	return access("/sys/module/tmem", F_OK) == 0;
}

/* 512-byte sectors read from the disk so far (/sys/block/vda/stat). */
static inline long long tm_sectors_read(void)
{
	long long ios, merges, sectors = -1;
	FILE *f = fopen("/sys/block/vda/stat", "r");

	if (!f)
		return -1;
	if (fscanf(f, "%lld %lld %lld", &ios, &merges, &sectors) != 3)
		sectors = -1;
	fclose(f);
	return sectors;
}

static inline int tm_mounted(void)
{
	static const char want[] = TM_DEV " " TM_MNT " ";
	char line[512];
	int found = 0;
	FILE *f = fopen("/proc/mounts", "r");

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f))
		found = !strncmp(line, want, sizeof(want) - 1);
	fclose(f);
	return found;
}

/* Mount the test disk on TM_MNT unless it already is; 0 on success. */
static inline int tm_mount(void)
{
	if (tm_mounted())
		return 0;
	mkdir("/mnt", 0755);
	mkdir(TM_MNT, 0755);
	return mount(TM_DEV, TM_MNT, "ext4", 0, NULL);
}

static inline int tm_drop_caches(void)
{
	sync();
	return write_str("/proc/sys/vm/drop_caches", "3");
}

/* Pages of [0, @size) of @fd in the page cache (mincore), or -1. */
static inline long tm_resident(int fd, off_t size)
{
	size_t pages = (size + TM_PG - 1) / TM_PG, i;
	unsigned char *vec;
	long n = 0;
	void *map;

	if (!size)
		return 0;
	map = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		return -1;
	vec = calloc(pages, 1);
	if (vec && !mincore(map, size, vec))
		for (i = 0; i < pages; i++)
			n += vec[i] & 1;
	else
		n = -1;
	free(vec);
	munmap(map, size);
	return n;
}

/*
 * Write back and drop @fd's pages from the page cache: the clean ones
 * go to cleancache on their way out.  Returns the pages still resident.
 */
static inline long tm_evict(int fd)
{
	struct stat st;
	long left = -1;
	int i;

	if (fsync(fd) || fstat(fd, &st))
		return -1;
	/* A page still on a per-CPU LRU batch can resist one try. */
	for (i = 0; i < 5 && left; i++) {
		posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
		left = tm_resident(fd, st.st_size);
	}
	return left;
}

/* modprobe @args (e.g. "tmem" or "-r tmem"); the exit status. */
static inline int tm_modprobe(const char *args)
{
	char cmd[256];
	int rc;

	snprintf(cmd, sizeof(cmd), "modprobe %s", args);
	rc = system(cmd);
	return rc == -1 ? -1 : WEXITSTATUS(rc);
}

#endif /* _TMEM_UTIL_H */
