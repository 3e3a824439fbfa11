// SPDX-License-Identifier: GPL-2.0
/*
 * Guest half of the tmem benchmark (selftests/pvtest/bench_tmem.py).
 *
 * On the ext4 disk, write a file set about twice the guest's free memory,
 * once with compressible text-like data and once with incompressible
 * random data (fixed seeds), and re-read it: sequential passes, then
 * random 4 KiB reads.  Whatever tmem (if loaded) keeps is not read from
 * the disk again.  Prints "# bench NAME VALUE" lines: disk sectors read,
 * elapsed time, and with tmem its hit rate, compression ratio and pool
 * size, and why puts were rejected.  A measurement, not a test: it fails
 * only if it cannot run.  "tmem_bench.pool_percent=N" on the kernel
 * command line sets tmem's max_pool_percent first, and
 * "tmem_bench.tmem.PARAM=VALUE" any other runtime parameter.
 *
 *   tmem_bench                   the benchmark
 *   tmem_bench make PATH MIB     write a text-like file (for make demo)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "tmem_util.h"

#define FILE_MB 8
#define FILE_SIZE ((long)FILE_MB << 20)
#define SEQ_PASSES 2
#define SEED_TEXT 0x5eed0001ULL
#define SEED_RANDOM 0x5eed0002ULL
#define SEED_READS 0x5eed0003ULL
#define MAX_FILES 256

static int nfiles;
static int fds[MAX_FILES];
static char buf[1 << 20];

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static long long meminfo_kb(const char *name)
{
	long long v, ret = -1;
	char key[64];
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (ret < 0 && fscanf(f, "%63s %lld kB", key, &v) == 2)
		if (!strcmp(key, name))
			ret = v;
	fclose(f);
	return ret;
}

static void die(const char *what)
{
	printf("# tmem_bench: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void make_set(enum tm_kind kind, unsigned long long seed)
{
	char path[64];
	int i;

	for (i = 0; i < nfiles; i++) {
		snprintf(path, sizeof(path), TM_MNT "/bench.%d", i);
		fds[i] = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
		if (fds[i] < 0)
			die("create");
		if (tm_write_gen(fds[i], 0, FILE_SIZE, seed + i, kind) ||
		    fsync(fds[i]))
			die("write");
	}
}

static void drop_set(void)
{
	char path[64];
	int i;

	for (i = 0; i < nfiles; i++) {
		close(fds[i]);
		snprintf(path, sizeof(path), TM_MNT "/bench.%d", i);
		unlink(path);
	}
	if (tm_drop_caches())
		die("drop_caches");
}

static void seq_pass(void)
{
	long off;
	int i;

	for (i = 0; i < nfiles; i++) {
		posix_fadvise(fds[i], 0, 0, POSIX_FADV_SEQUENTIAL);
		for (off = 0; off < FILE_SIZE; off += sizeof(buf))
			if (tm_read_full(fds[i], buf, sizeof(buf), off))
				die("read");
	}
}

/* 4 KiB reads at random pages, without readahead. */
static void rand_pass(long reads)
{
	unsigned long long s = SEED_READS;
	long n;
	int i;

	for (i = 0; i < nfiles; i++)
		posix_fadvise(fds[i], 0, 0, POSIX_FADV_RANDOM);
	for (n = 0; n < reads; n++) {
		unsigned long long r = tm_rand(&s);
		long pg = (r >> 8) % (FILE_SIZE / TM_PG);

		if (tm_read_full(fds[r % nfiles], buf, TM_PG, pg * TM_PG))
			die("read");
	}
}

static const char *const reasons[] = {
	"puts", "rejected_pages", "rejected_incompressible", "rejected_nomem",
	"rejected_busy", "rejected_cap", "evictions",
};

#define NREASONS ARRAY_SIZE(reasons)

/* Where the time goes, per phase: "# prof PHASE NAME DELTA" lines. */
static const char *const profs[] = {
	"puts", "gets", "hits", "evictions", "rejected_nomem",
	"rejected_incompressible", "rejected_busy", "rejected_cap",
	"dedup_hits", "put_ns", "compress_ns", "get_ns", "load_ns",
	"worker_ns", "compact_ns", "compactions", "shrink_ns", "reused_pages",
	"kept_pages",
};

#define NPROFS ARRAY_SIZE(profs)
/* /proc/stat's cpu line: user nice system idle iowait irq softirq. */
#define NCPU 7

struct snap {
	double t;
	long long sectors, gets, hits;
	long long why[NREASONS];
	long long prof[NPROFS];
	long long cpu[NCPU];
	double self_user, self_sys;
	long long kswapd, ios;
};

static int kswapd_pid;

static void find_kswapd(void)
{
	char path[300], comm[32];
	struct dirent *d;
	DIR *dir = opendir("/proc");
	FILE *f;

	while (dir && (d = readdir(dir))) {
		snprintf(path, sizeof(path), "/proc/%s/comm", d->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fscanf(f, "%31s", comm) == 1 && !strcmp(comm, "kswapd0"))
			kswapd_pid = atoi(d->d_name);
		fclose(f);
	}
	if (dir)
		closedir(dir);
}

/* utime + stime of kswapd0, in ticks. */
static long long kswapd_ticks(void)
{
	long long ut, st;
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", kswapd_pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%*d %*s %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lld %lld",
		   &ut, &st) != 2) {
		ut = 0;
		st = 0;
	}
	fclose(f);
	return ut + st;
}

static void snap(struct snap *s)
{
	struct rusage ru;
	FILE *f;

	s->t = now();
	s->sectors = tm_sectors_read();
	s->gets = tm_stat("gets");
	s->hits = tm_stat("hits");
	for (size_t i = 0; i < NREASONS; i++)
		s->why[i] = tm_stat(reasons[i]);
	for (size_t i = 0; i < NPROFS; i++)
		s->prof[i] = tm_stat(profs[i]);
	f = fopen("/proc/stat", "r");
	if (!f || fscanf(f, "cpu %lld %lld %lld %lld %lld %lld %lld",
			 &s->cpu[0], &s->cpu[1], &s->cpu[2], &s->cpu[3],
			 &s->cpu[4], &s->cpu[5], &s->cpu[6]) != NCPU)
		memset(s->cpu, 0, sizeof(s->cpu));
	if (f)
		fclose(f);
	getrusage(RUSAGE_SELF, &ru);
	s->self_user = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6;
	s->self_sys = ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	s->kswapd = kswapd_ticks();
	f = fopen("/sys/block/vda/stat", "r");
	if (!f || fscanf(f, "%lld", &s->ios) != 1)
		s->ios = -1;
	if (f)
		fclose(f);
}

static void profile(const char *what, struct snap *a, struct snap *b)
{
	static const char *const cpu[NCPU] = {
		"user", "nice", "system", "idle", "iowait", "irq", "softirq",
	};
	double hz = sysconf(_SC_CLK_TCK);

	for (size_t i = 0; i < NCPU; i++)
		printf("# prof %s cpu_%s_s %.2f\n", what, cpu[i],
		       (b->cpu[i] - a->cpu[i]) / hz);
	printf("# prof %s self_user_s %.2f\n", what, b->self_user - a->self_user);
	printf("# prof %s self_sys_s %.2f\n", what, b->self_sys - a->self_sys);
	printf("# prof %s kswapd_s %.2f\n", what, (b->kswapd - a->kswapd) / hz);
	printf("# prof %s read_ios %lld\n", what, b->ios - a->ios);
	printf("# prof %s sectors %lld\n", what, b->sectors - a->sectors);
	for (size_t i = 0; i < NPROFS; i++)
		if (b->prof[i] >= 0)
			printf("# prof %s %s %lld\n", what, profs[i],
			       b->prof[i] - a->prof[i]);
}

static void report(const char *what, const char *kind, struct snap *a,
		   struct snap *b)
{
	printf("# bench %ssectors_read_%s %lld\n", what, kind,
	       b->sectors - a->sectors);
	printf("# bench %selapsed_s_%s %.3f\n", what, kind, b->t - a->t);
	if (tm_loaded() && b->gets > a->gets)
		printf("# bench %shit_rate_%s %.4f\n", what, kind,
		       (double)(b->hits - a->hits) / (b->gets - a->gets));
}

static void run(enum tm_kind kind, const char *name, unsigned long long seed)
{
	long reads = (long)nfiles * (FILE_SIZE / TM_PG) / 2;
	struct snap sw, sm, sd, s0, s1, s2;
	double t = now();
	char what[64];
	int i;

	snap(&sw);
	make_set(kind, seed);
	printf("# tmem_bench: %s set written in %.1f s\n", name, now() - t);
	snap(&sm);
	if (tm_drop_caches())
		die("drop_caches");
	snap(&sd);
	seq_pass();		/* warm-up: fills the page cache and tmem */

	snap(&s0);
	for (i = 0; i < SEQ_PASSES; i++)
		seq_pass();
	snap(&s1);
	rand_pass(reads);
	snap(&s2);

	report("seq_", name, &s0, &s1);
	report("rand_", name, &s1, &s2);
	report("", name, &s0, &s2);
	snprintf(what, sizeof(what), "write_%s", name);
	profile(what, &sw, &sm);
	snprintf(what, sizeof(what), "warm_%s", name);
	profile(what, &sd, &s0);
	snprintf(what, sizeof(what), "seq_%s", name);
	profile(what, &s0, &s1);
	snprintf(what, sizeof(what), "rand_%s", name);
	profile(what, &s1, &s2);
	if (tm_loaded()) {
		printf("# bench pool_mb_%s %.2f\n", name,
		       tm_stat("pool_pages") * TM_PG / 1048576.0);
		printf("# bench stored_mb_%s %.2f\n", name,
		       tm_stat("stored_pages") * TM_PG / 1048576.0);
		/* From writing the set on: the puts and why some failed. */
		for (size_t j = 0; j < NREASONS; j++)
			if (s2.why[j] >= 0)
				printf("# bench %s_%s %lld\n", reasons[j], name,
				       s2.why[j] - sw.why[j]);
		if (kind == TM_TEXT && tm_stat("compressed_bytes") > 0)
			printf("# bench compressor_ratio %.2f\n",
			       (double)(tm_stat("stored_pages") -
					tm_stat("same_filled_pages")) * TM_PG /
			       tm_stat("compressed_bytes"));
		if (kind == TM_TEXT)
			printf("# bench compression_ratio %.2f\n",
			       tm_stat_f("compression_ratio"));
	}
	drop_set();
}

/* The compressible data of the benchmark in one file, for the demo. */
static int make_one(const char *path, long mib)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);

	if (fd < 0)
		die(path);
	if (tm_write_gen(fd, 0, mib << 20, SEED_TEXT, TM_TEXT) || fsync(fd))
		die("write");
	close(fd);
	return 0;
}

/*
 * Apply tmem_bench.pool_percent=N (max_pool_percent) and
 * tmem_bench.tmem.PARAM=VALUE (any runtime parameter) from the kernel
 * command line.
 */
static void set_params(void)
{
	char word[64], *eq;
	FILE *f = fopen("/proc/cmdline", "r");

	if (!f)
		return;
	while (fscanf(f, "%63s", word) == 1) {
		if (!strncmp(word, "tmem_bench.pool_percent=", 24) &&
		    tm_param_set("max_pool_percent", word + 24))
			die("max_pool_percent");
		eq = strchr(word, '=');
		if (!strncmp(word, "tmem_bench.tmem.", 16) && eq) {
			*eq = '\0';
			if (tm_param_set(word + 16, eq + 1))
				die(word + 16);
			printf("# tmem_bench: %s=%s\n", word + 16, eq + 1);
		}
	}
	fclose(f);
}

int main(int argc, char **argv)
{
	long long avail, total;

	if (argc == 4 && !strcmp(argv[1], "make"))
		return make_one(argv[2], strtol(argv[3], NULL, 0));

	if (tm_mount())
		die("mount");
	find_kswapd();
	avail = meminfo_kb("MemAvailable:");
	total = meminfo_kb("MemTotal:");
	if (avail <= 0 || total <= 0)
		die("/proc/meminfo");
	/*
	 * About twice the free memory, from MemTotal so that every
	 * configuration reads the same set: free memory is about 85% of it.
	 */
	nfiles = total * 17 / 10 / 1024 / FILE_MB;
	if (nfiles > MAX_FILES)
		nfiles = MAX_FILES;
	printf("# tmem_bench: %lld MiB available, %d files of %d MiB, tmem %s\n",
	       avail >> 10, nfiles, FILE_MB,
	       tm_loaded() ? "loaded" : "not loaded");
	if (tm_loaded())
		set_params();
	if (tm_loaded())
		printf("# tmem_bench: max_pool_percent %lld, max_pool_mb %lld\n",
		       tm_param("max_pool_percent"), tm_param("max_pool_mb"));
	printf("# bench set_mb %d\n", nfiles * FILE_MB);

	run(TM_TEXT, "compressible", SEED_TEXT);
	run(TM_RANDOM, "incompressible", SEED_RANDOM);
	printf("1..1\nok 1 tmem_bench\n");
	return 0;
}
