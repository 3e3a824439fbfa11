// SPDX-License-Identifier: GPL-2.0
/*
 * Guest half of the virtio_serial benchmark (selftests/pvtest/bench.py):
 * moves bytes guest->host and host->guest through one port with whichever
 * driver is loaded, with several write/read sizes, and prints
 * "# bench NAME VALUE" lines.  The host side sinks or sources the bytes
 * (hostctl "sink" and "source").  A measurement, not a test.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hostctl.h"

#define PORT "/dev/virtio-ports/org.pvguest.bench.0"
#define TOTAL (64L << 20)

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

int main(void)
{
	static const struct { const char *name; size_t chunk; } sizes[] = {
		{ "4k", 4096 }, { "64k", 65536 }, { "1m", 1 << 20 },
	};
	char *buf = malloc(1 << 20);
	unsigned int i;
	int fd;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!buf || wait_path(PORT, 1, 10000))
		return 1;
	memset(buf, 0x5a, 1 << 20);
	fd = open(PORT, O_RDWR);
	if (fd < 0 || hostctl(NULL, 0, "connect bench"))
		return 1;
	usleep(200000);
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		printf("# bench g2h_%s_MBps %.1f\n", sizes[i].name,
		       g2h(fd, buf, sizes[i].chunk, TOTAL));
		printf("# bench h2g_%s_MBps %.1f\n", sizes[i].name,
		       h2g(fd, buf, sizes[i].chunk, TOTAL));
	}
	hostctl(NULL, 0, "disconnect bench");
	close(fd);
	printf("ok 1 bench\n");
	return 0;
}
