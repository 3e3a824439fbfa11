// SPDX-License-Identifier: GPL-2.0
/*
 * virtio_serial at QEMU's limit: one controller with max_ports=511 (1024
 * virtqueues) and a virtserialport on every id from 1 to 510 (id 0 is
 * reserved for a virtconsole).  Every port gets its name and link; a
 * sample spread over the id range, including the first and the last,
 * moves data both ways, each with its own byte so that crossed queues
 * show.  Machine: selftests/pvtest/suites.py (virtio_serial.max).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "hostctl.h"

#define LAST 510

static char reply[4096];

static void port_path(char *buf, size_t len, int nr)
{
	snprintf(buf, len, "/dev/virtio-ports/org.pvguest.max.%d", nr);
}

/* Wait until poll() says the host is connected (no POLLHUP). */
static int wait_host(int fd)
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

/* One byte each way on port @nr (host socket x<nr>), tagged @tag. */
static int echo(struct __test_metadata *_metadata, int nr, unsigned char tag)
{
	char path[128], id[16], want[8];
	unsigned char c = 0;
	int fd, ret = -1;

	port_path(path, sizeof(path), nr);
	snprintf(id, sizeof(id), "x%d", nr);
	fd = open(path, O_RDWR);
	if (fd < 0) {
		TH_LOG("open %s: %s", path, strerror(errno));
		return -1;
	}
	if (hostctl(reply, sizeof(reply), "connect %s", id) || wait_host(fd))
		goto out;
	if (hostctl(reply, sizeof(reply), "send %s %02x", id, tag))
		goto out;
	if (read(fd, &c, 1) != 1 || c != tag) {
		TH_LOG("%s: read back %02x, want %02x", path, c, tag);
		goto out;
	}
	c = tag ^ 0xff;
	if (write(fd, &c, 1) != 1)
		goto out;
	if (hostctl(reply, sizeof(reply), "recv %s 1 10000", id))
		goto out;
	snprintf(want, sizeof(want), "%02x", c);
	if (strcmp(reply, want)) {
		TH_LOG("%s: host got '%s', want '%s'", path, reply, want);
		goto out;
	}
	ret = 0;
out:
	hostctl(NULL, 0, "disconnect %s", id);
	close(fd);
	return ret;
}

TEST(all_ports_named)
{
	char path[128];
	int nr, missing = 0;

	for (nr = 1; nr <= LAST; nr++) {
		port_path(path, sizeof(path), nr);
		if (wait_path(path, 1, nr == 1 ? 120000 : 5000)) {
			TH_LOG("%s missing", path);
			missing++;
		}
	}
	EXPECT_EQ(0, missing);
}

TEST(data_on_sampled_ports)
{
	static const int sample[] = {
		1, 2, 31, 32, 63, 64, 127, 128, 255, 256, 300, 383, 384, 509,
		LAST,
	};
	unsigned int i;
	int failed = 0;

	for (i = 0; i < ARRAY_SIZE(sample); i++)
		if (echo(_metadata, sample[i], sample[i] & 0xff))
			failed++;
	EXPECT_EQ(0, failed);
}

/* Two ports open at once, far apart: each keeps its own data. */
TEST(two_open_at_once)
{
	char path[128];
	int fd;

	port_path(path, sizeof(path), LAST);
	fd = open(path, O_RDWR);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, echo(_metadata, 1, 0x11));
	close(fd);
}

TEST_HARNESS_MAIN
