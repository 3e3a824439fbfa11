// SPDX-License-Identifier: GPL-2.0
/*
 * Guest half of the virtio_serial benchmark (selftests/pvtest/bench.py):
 * moves bytes guest->host and host->guest through one port with whichever
 * driver is loaded, with several write/read sizes, then through 8 ports
 * at once; or, with the argument "rtt" (vser_rtt_bench.sh), times a
 * 64-byte ping-pong.  Prints "# bench NAME VALUE" lines.  The host side
 * sinks, sources or echoes the bytes (hostctl "sink", "source",
 * "sinkmany", "sourcemany", "echo").  A measurement, not a test.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hostctl.h"

#define PORT "/dev/virtio-ports/org.pvguest.bench.0"
/* Bytes per direction: 4 KiB writes and the parallel run. */
#define TOTAL (64L << 20)
/*
 * Bytes per direction with 64 KiB and 1 MiB writes: at 1 GB/s and more
 * 64 MiB lasts a few tens of milliseconds, too close to the cost of the
 * hostctl round trips around it and to the scheduling noise of a shared
 * host.
 */
#define TOTAL_BIG (256L << 20)
/* Ports of the parallel run: bench (org.pvguest.bench.0), bench1..7. */
#define NPAR 8
#define PAR_PORTS "bench,bench1,bench2,bench3,bench4,bench5,bench6,bench7"
/*
 * Ping-pong: RTT_REPS runs of RTT_ROUNDS timed round trips, after some
 * not timed; the result is the median of the runs' percentiles, less
 * sensitive to a burst of host noise than one long run.
 */
#define RTT_WARMUP 200
#define RTT_ROUNDS 3000
#define RTT_REPS 3
#define RTT_SIZE 64
/* CPUs whose interrupt counts are looked at. */
#define MAX_CPUS 64

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Ask the host for @req in a child; the parent moves the bytes. */
static pid_t host_async(const char *req)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(hostctl(NULL, 0, "%s", req) ? 1 : 0);
	return pid;
}

static int host_wait(pid_t pid)
{
	int status;

	return waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	       !WEXITSTATUS(status) ? 0 : -1;
}

static double g2h(int fd, char *buf, size_t chunk, long total)
{
	char req[128];
	double t0;
	long done = 0;
	pid_t pid;

	snprintf(req, sizeof(req), "sink bench %ld 120000", total);
	pid = host_async(req);
	t0 = now();
	for (; done < total; done += chunk) {
		size_t left = total - done;
		size_t want = left < chunk ? left : chunk;

		if (write_full(fd, buf, want))
			return -1;
	}
	if (host_wait(pid))
		return -1;
	return total / (now() - t0) / 1e6;
}

static double h2g(int fd, char *buf, size_t chunk, long total)
{
	char req[128];
	double t0;
	long done = 0;
	pid_t pid;

	snprintf(req, sizeof(req), "source bench %ld", total);
	t0 = now();
	pid = host_async(req);
	while (done < total) {
		ssize_t n = read(fd, buf, chunk);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		done += n;
	}
	if (host_wait(pid))
		return -1;
	return total / (now() - t0) / 1e6;
}

/* Each of @fds moves TOTAL / NPAR bytes in @chunk pieces, in parallel. */
static double parallel(int *fds, char *buf, size_t chunk, int g2h)
{
	long each = TOTAL / NPAR;
	pid_t pids[NPAR], host;
	char req[160];
	int i, failed = 0;
	double t0;

	if (g2h) {
		snprintf(req, sizeof(req), "sinkmany %s %ld 120000", PAR_PORTS,
			 each);
		host = host_async(req);
	}
	t0 = now();
	if (!g2h) {
		snprintf(req, sizeof(req), "sourcemany %s %ld", PAR_PORTS, each);
		host = host_async(req);
	}
	for (i = 0; i < NPAR; i++) {
		pids[i] = fork();
		if (pids[i] == 0) {
			long done;

			for (done = 0; done < each; done += chunk) {
				size_t left = each - done;
				size_t want = left < chunk ? left : chunk;

				if (g2h ? write_full(fds[i], buf, want) :
				    read_full(fds[i], buf, want))
					_exit(1);
			}
			_exit(0);
		}
	}
	for (i = 0; i < NPAR; i++)
		failed |= host_wait(pids[i]);
	if (host_wait(host) || failed)
		return -1;
	return TOTAL / (now() - t0) / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/*
 * Add each CPU's count of interrupts from virtio devices to @count
 * (MAX_CPUS entries); the number of CPUs, or -1.
 */
static int virtio_irqs(long *count)
{
	char line[1024];
	int ncpu = -1;
	FILE *f;

	f = fopen("/proc/interrupts", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *p = strchr(line, ':'), *end;
		int cpu;

		if (ncpu < 0) {
			/* The header: CPU0 CPU1 ... */
			for (ncpu = 0, p = line; (p = strstr(p, "CPU")); p++)
				ncpu++;
			if (ncpu > MAX_CPUS)
				ncpu = MAX_CPUS;
			continue;
		}
		if (!p || !strstr(line, "virtio"))
			continue;
		for (cpu = 0, p++; cpu < ncpu; cpu++, p = end)
			count[cpu] += strtol(p, &end, 10);
	}
	fclose(f);
	return ncpu;
}

/* A 64-byte round trip through the host's echo. */
static int ping(int fd)
{
	char msg[RTT_SIZE], back[RTT_SIZE];

	memset(msg, 0x42, sizeof(msg));
	return write_full(fd, msg, sizeof(msg)) ||
	       read_full(fd, back, sizeof(back)) ? -1 : 0;
}

/* The median of the RTT_REPS runs' figures. */
static double rep_median(double *v)
{
	qsort(v, RTT_REPS, sizeof(*v), cmp_double);
	return v[RTT_REPS / 2];
}

/*
 * 64-byte ping-pong through the host's echo: p50 and p99 in us.  The
 * timed round trips run on the CPU that took the warm-up's interrupts:
 * under TCG a wake-up across vCPUs costs tens of microseconds, and
 * where the scheduler happens to put us would otherwise decide more
 * than the driver does.
 */
static int rtt(int fd, double *p50, double *p99)
{
	static double us[RTT_ROUNDS];
	double p50s[RTT_REPS], p99s[RTT_REPS];
	long before[MAX_CPUS] = {}, after[MAX_CPUS] = {};
	int i, rep, cpu, irq_cpu = 0, ncpu, ret = -1;
	cpu_set_t all, one;
	char req[128];
	pid_t pid;

	snprintf(req, sizeof(req), "echo bench %d 120000",
		 (RTT_WARMUP + RTT_REPS * RTT_ROUNDS) * RTT_SIZE);
	pid = host_async(req);
	ncpu = virtio_irqs(before);
	for (i = 0; i < RTT_WARMUP; i++)
		if (ping(fd))
			goto out;
	if (ncpu != virtio_irqs(after))
		goto out;
	for (cpu = 1; cpu < ncpu; cpu++)
		if (after[cpu] - before[cpu] >
		    after[irq_cpu] - before[irq_cpu])
			irq_cpu = cpu;
	if (sched_getaffinity(0, sizeof(all), &all))
		goto out;
	CPU_ZERO(&one);
	CPU_SET(irq_cpu, &one);
	if (sched_setaffinity(0, sizeof(one), &one))
		goto out;
	for (rep = 0; rep < RTT_REPS; rep++) {
		for (i = 0; i < RTT_ROUNDS; i++) {
			double t0 = now();

			if (ping(fd))
				break;
			us[i] = (now() - t0) * 1e6;
		}
		if (i < RTT_ROUNDS)
			break;
		qsort(us, RTT_ROUNDS, sizeof(us[0]), cmp_double);
		p50s[rep] = us[RTT_ROUNDS / 2];
		p99s[rep] = us[RTT_ROUNDS * 99 / 100];
	}
	sched_setaffinity(0, sizeof(all), &all);
	if (rep < RTT_REPS)
		goto out;
	ret = 0;
out:
	if (host_wait(pid))
		return -1;
	if (ret)
		return ret;
	*p50 = rep_median(p50s);
	*p99 = rep_median(p99s);
	printf("# ping-pong on CPU %d, which took the interrupts\n", irq_cpu);
	return 0;
}

/* The ping-pong alone: its own turns, many more of them than the rest. */
static int rtt_main(void)
{
	double p50, p99;
	int fd;

	if (wait_path(PORT, 1, 10000))
		return 1;
	fd = open(PORT, O_RDWR);
	if (fd < 0 || hostctl(NULL, 0, "connect bench"))
		return 1;
	usleep(200000);
	if (rtt(fd, &p50, &p99))
		return 1;
	printf("# bench rtt_64b_p50_us %.1f\n", p50);
	printf("# bench rtt_64b_p99_us %.1f\n", p99);
	hostctl(NULL, 0, "disconnect bench");
	close(fd);
	printf("ok 1 bench rtt\n");
	return 0;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		size_t chunk;
		long total;
	} sizes[] = {
		{ "4k", 4096, TOTAL },
		{ "64k", 65536, TOTAL_BIG },
		{ "1m", 1 << 20, TOTAL_BIG },
	};
	char *buf = malloc(1 << 20);
	int fd, fds[NPAR];
	char path[128];
	unsigned int i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 1 && !strcmp(argv[1], "rtt"))
		return rtt_main();
	if (!buf || wait_path(PORT, 1, 10000))
		return 1;
	memset(buf, 0x5a, 1 << 20);
	fd = open(PORT, O_RDWR);
	if (fd < 0 || hostctl(NULL, 0, "connect bench"))
		return 1;
	usleep(200000);
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		printf("# bench g2h_%s_MBps %.1f\n", sizes[i].name,
		       g2h(fd, buf, sizes[i].chunk, sizes[i].total));
		printf("# bench h2g_%s_MBps %.1f\n", sizes[i].name,
		       h2g(fd, buf, sizes[i].chunk, sizes[i].total));
	}

	fds[0] = fd;
	for (i = 1; i < NPAR; i++) {
		snprintf(path, sizeof(path),
			 "/dev/virtio-ports/org.pvguest.bench.%u", i);
		fds[i] = wait_path(path, 1, 10000) ? -1 : open(path, O_RDWR);
		if (fds[i] < 0 || hostctl(NULL, 0, "connect bench%u", i))
			return 1;
	}
	usleep(200000);
	printf("# bench g2h_par8_64k_MBps %.1f\n",
	       parallel(fds, buf, 65536, 1));
	printf("# bench h2g_par8_64k_MBps %.1f\n",
	       parallel(fds, buf, 65536, 0));
	hostctl(NULL, 0, "disconnect bench");
	for (i = 0; i < NPAR; i++) {
		if (i)
			hostctl(NULL, 0, "disconnect bench%u", i);
		close(fds[i]);
	}
	printf("ok 1 bench\n");
	return 0;
}
