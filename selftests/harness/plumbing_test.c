// SPDX-License-Identifier: GPL-2.0
/*
 * The harness's own plumbing, checked against the in-tree virtio_console:
 * named ports appear under /dev/virtio-ports, bytes cross both ways through
 * the host's unix sockets, QMP reports guest open/close, and QMP device_del
 * removes a port and a whole controller.  Machine: see
 * selftests/pvtest/suites.py (harness.plumbing).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "hostctl.h"

#define PORT0 "/dev/virtio-ports/org.pvguest.test.0"
#define PORT1 "/dev/virtio-ports/org.pvguest.test.1"
#define UNPLUG0 "/dev/virtio-ports/org.pvguest.unplug.0"
#define XFER (256 * 1024)

static char reply[4096];

static int qmp_device_del(const char *id)
{
	return hostctl(reply, sizeof(reply),
		       "qmp {\"execute\": \"device_del\", \"arguments\": {\"id\": \"%s\"}}",
		       id);
}

/* Wait for a QMP event whose data has key == value (a JSON value). */
static int qmp_event(const char *event, const char *key, const char *value,
		     int ms)
{
	return hostctl(reply, sizeof(reply), "event %s %d {\"%s\": %s}", event,
		       ms, key, value);
}

static int port_event(const char *id, int open, int ms)
{
	return hostctl(reply, sizeof(reply),
		       "event VSERPORT_CHANGE %d {\"id\": \"%s\", \"open\": %s}",
		       ms, id, open ? "true" : "false");
}

TEST(names_and_links)
{
	ASSERT_EQ(0, wait_path(PORT0, 1, 10000));
	ASSERT_EQ(0, wait_path(PORT1, 1, 10000));
	ASSERT_EQ(0, wait_path(UNPLUG0, 1, 10000));
	ASSERT_EQ(0, hostctl(reply, sizeof(reply), "hello"));
}

TEST(open_close_events)
{
	int fd;

	ASSERT_EQ(0, wait_path(PORT0, 1, 10000));
	fd = open(PORT0, O_RDWR);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, port_event("p1", 1, 10000))
		TH_LOG("%s", reply);
	close(fd);
	EXPECT_EQ(0, port_event("p1", 0, 10000))
		TH_LOG("%s", reply);
}

TEST(host_to_guest)
{
	unsigned char *buf = malloc(XFER);
	size_t i;
	int fd;

	ASSERT_NE(NULL, buf);
	fd = open(PORT0, O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, hostctl(reply, sizeof(reply), "connect p1"))
		TH_LOG("%s", reply);
	ASSERT_EQ(0, hostctl(reply, sizeof(reply), "sendpat p1 %d 3", XFER))
		TH_LOG("%s", reply);
	ASSERT_EQ(0, read_full(fd, buf, XFER));
	for (i = 0; i < XFER; i++)
		if (buf[i] != pattern_byte(3, i))
			break;
	EXPECT_EQ(XFER, i);
	EXPECT_EQ(0, hostctl(NULL, 0, "disconnect p1"));
	close(fd);
	free(buf);
}

TEST(guest_to_host)
{
	unsigned char *buf = malloc(XFER);
	size_t i;
	int fd;

	ASSERT_NE(NULL, buf);
	for (i = 0; i < XFER; i++)
		buf[i] = pattern_byte(11, i);
	fd = open(PORT0, O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, hostctl(reply, sizeof(reply), "connect p1"))
		TH_LOG("%s", reply);
	/* The host reads while we write: queue the check, then write. */
	if (fork() == 0)
		_exit(write_full(fd, buf, XFER) ? 1 : 0);
	EXPECT_EQ(0, hostctl(reply, sizeof(reply), "recvpat p1 %d 11 60000",
			     XFER))
		TH_LOG("%s", reply);
	EXPECT_EQ(0, hostctl(NULL, 0, "disconnect p1"));
	close(fd);
	free(buf);
}

/* poll() shows the host side: EPOLLHUP while nobody is connected. */
TEST(host_connect_seen)
{
	struct pollfd pfd = { .events = POLLIN | POLLOUT };
	int i;

	pfd.fd = open(PORT0, O_RDWR | O_NONBLOCK);
	ASSERT_LE(0, pfd.fd);
	ASSERT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_TRUE(pfd.revents & POLLHUP);
	ASSERT_EQ(0, hostctl(reply, sizeof(reply), "connect p1"));
	for (i = 0; i < 500; i++) {
		poll(&pfd, 1, 0);
		if (!(pfd.revents & POLLHUP))
			break;
		usleep(10000);
	}
	EXPECT_FALSE(pfd.revents & POLLHUP);
	ASSERT_EQ(0, hostctl(NULL, 0, "disconnect p1"));
	close(pfd.fd);
}

TEST(unplug_port)
{
	ASSERT_EQ(0, wait_path(PORT1, 1, 10000));
	ASSERT_EQ(0, qmp_device_del("p2"))
		TH_LOG("%s", reply);
	EXPECT_EQ(0, wait_path(PORT1, 0, 20000));
	EXPECT_EQ(0, qmp_event("DEVICE_DELETED", "device", "\"p2\"", 20000))
		TH_LOG("%s", reply);
	/* The other port of that controller is untouched. */
	EXPECT_EQ(0, access(PORT0, F_OK));
}

TEST(unplug_controller)
{
	ASSERT_EQ(0, wait_path(UNPLUG0, 1, 10000));
	ASSERT_EQ(0, qmp_device_del("vser1"))
		TH_LOG("%s", reply);
	EXPECT_EQ(0, qmp_event("DEVICE_DELETED", "device", "\"vser1\"", 60000))
		TH_LOG("%s", reply);
	EXPECT_EQ(0, wait_path(UNPLUG0, 0, 20000));
	EXPECT_EQ(0, access(PORT0, F_OK));
}

TEST_HARNESS_MAIN
