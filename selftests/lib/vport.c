// SPDX-License-Identifier: GPL-2.0
/*
 * Guest-side helpers for the virtio_serial tests.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "hostctl.h"
#include "vport.h"

int vport_name(const char *link, char *out, size_t len)
{
	char target[256];
	const char *base;
	ssize_t n = -1;
	int i;

	for (i = 0; i < 100 && n <= 0; i++) {
		n = readlink(link, target, sizeof(target) - 1);
		if (n <= 0)
			usleep(20000);
	}
	if (n <= 0)
		return -1;
	target[n] = '\0';
	base = strrchr(target, '/') ? strrchr(target, '/') + 1 : target;
	if (strlen(base) >= len)
		return -1;
	memcpy(out, base, strlen(base) + 1);
	return 0;
}

int vport_attr(const char *vport, const char *attr, char *out, size_t len)
{
	char path[512];
	FILE *f;

	out[0] = '\0';
	snprintf(path, sizeof(path), "/sys/class/virtio-ports/%s/%s", vport,
		 attr);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (!fgets(out, len, f))
		out[0] = '\0';
	fclose(f);
	return 0;
}

int wait_revents(int fd, short bit, int set)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN | POLLOUT };
	int i;

	for (i = 0; i < 1000; i++) {
		if (poll(&pfd, 1, 0) >= 0 && !!(pfd.revents & bit) == set)
			return 0;
		usleep(10000);
	}
	return -1;
}

/*
 * Wait up to 5 s until poll() says the host is connected: the port is
 * writable and shows no POLLHUP.
 */
static int vport_wait_host(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	int i;

	for (i = 0; i < 500; i++) {
		if (poll(&pfd, 1, 0) == 1 && !(pfd.revents & POLLHUP))
			return 0;
		usleep(10000);
	}
	return -1;
}

int vport_echo(const char *path, const char *id, unsigned char tag)
{
	char reply[256], want[8];
	unsigned char c = 0;
	int fd, ret = -1;

	fd = open(path, O_RDWR);
	if (fd < 0) {
		fprintf(stderr, "# open %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (hostctl(reply, sizeof(reply), "connect %s", id) ||
	    vport_wait_host(fd))
		goto out;
	if (hostctl(reply, sizeof(reply), "send %s %02x", id, tag))
		goto out;
	if (read(fd, &c, 1) != 1 || c != tag) {
		fprintf(stderr, "# %s: read back %02x, want %02x\n", path, c,
			tag);
		goto out;
	}
	c = tag ^ 0xff;
	if (write(fd, &c, 1) != 1)
		goto out;
	if (hostctl(reply, sizeof(reply), "recv %s 1 10000", id))
		goto out;
	snprintf(want, sizeof(want), "%02x", c);
	if (strcmp(reply, want)) {
		fprintf(stderr, "# %s: host got '%s', want '%s'\n", path, reply,
			want);
		goto out;
	}
	ret = 0;
out:
	hostctl(NULL, 0, "disconnect %s", id);
	close(fd);
	return ret;
}
