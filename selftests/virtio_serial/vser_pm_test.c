// SPDX-License-Identifier: GPL-2.0
/*
 * virtio_serial across suspend: the debug kernel's pm_test "devices"
 * level runs a real suspend of every device (virtio freeze, then
 * restore) without sleeping.  The device is reset in between, so the
 * driver must announce its ports again and tell the host which are open:
 * QEMU shows that as VSERPORT_CHANGE open=true, and the port then moves
 * data both ways as before.  A port closed in the guest must not be
 * announced open.  Machine: selftests/pvtest/suites.py
 * (virtio_serial.pm).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "hostctl.h"
#include "vport.h"

#define PORT0 "/dev/virtio-ports/org.pvguest.test.0"
#define PORT1 "/dev/virtio-ports/org.pvguest.test.1"

static char reply[4096];

static int port_event(const char *id, int open, int ms)
{
	return hostctl(reply, sizeof(reply),
		       "event VSERPORT_CHANGE %d {\"id\": \"%s\", \"open\": %s}",
		       ms, id, open ? "true" : "false");
}

static void drain_port_events(void)
{
	usleep(200000);
	hostctl(reply, sizeof(reply), "drain VSERPORT_CHANGE");
}

/* Suspend to idle with pm_test=devices: freeze and restore every device. */
static int suspend_devices(void)
{
	if (write_str("/sys/power/pm_test", "devices"))
		return -1;
	return write_str("/sys/power/state", "freeze");
}

/* Three bytes each way on @fd, whose host socket is @id. */
static int exchange(const char *id, int fd)
{
	char buf[8];

	if (hostctl(reply, sizeof(reply), "send %s 616263", id))
		return -1;
	if (wait_revents(fd, POLLIN, 1) || read(fd, buf, sizeof(buf)) != 3 ||
	    memcmp(buf, "abc", 3))
		return -2;
	if (write(fd, "xyz", 3) != 3)
		return -3;
	if (hostctl(reply, sizeof(reply), "recv %s 3 10000", id) ||
	    strcmp(reply, "78797a"))
		return -4;
	return 0;
}

TEST(pm_test_available)
{
	ASSERT_EQ(0, access("/sys/power/pm_test", W_OK));
	ASSERT_EQ(0, access("/sys/power/state", W_OK));
}

TEST(open_port_reannounced)
{
	int fd;

	ASSERT_EQ(0, wait_path(PORT0, 1, 10000));
	ASSERT_EQ(0, wait_path(PORT1, 1, 10000));
	drain_port_events();
	fd = open(PORT0, O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, port_event("p1", 1, 10000)) TH_LOG("%s", reply);
	ASSERT_EQ(0, hostctl(reply, sizeof(reply), "connect p1"));
	ASSERT_EQ(0, wait_revents(fd, POLLHUP, 0));
	EXPECT_EQ(0, exchange("p1", fd));
	drain_port_events();

	ASSERT_EQ(0, suspend_devices()) TH_LOG("suspend: %s", strerror(errno));
	/* The restored device hears that p1 is open, and only p1. */
	EXPECT_EQ(0, port_event("p1", 1, 20000)) TH_LOG("%s", reply);
	EXPECT_NE(0, port_event("p2", 1, 2000));
	/* The host stayed connected: still writable, data both ways. */
	EXPECT_EQ(0, wait_revents(fd, POLLHUP, 0));
	EXPECT_EQ(0, exchange("p1", fd));
	close(fd);
	EXPECT_EQ(0, port_event("p1", 0, 10000)) TH_LOG("%s", reply);
	hostctl(reply, sizeof(reply), "disconnect p1");
}

/* A port closed across the suspend opens and works afterwards. */
TEST(closed_port_after_resume)
{
	int fd;

	ASSERT_EQ(0, suspend_devices()) TH_LOG("suspend: %s", strerror(errno));
	drain_port_events();
	fd = open(PORT1, O_RDWR);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, port_event("p2", 1, 10000)) TH_LOG("%s", reply);
	ASSERT_EQ(0, hostctl(reply, sizeof(reply), "connect p2"));
	ASSERT_EQ(0, wait_revents(fd, POLLHUP, 0));
	EXPECT_EQ(0, exchange("p2", fd));
	hostctl(reply, sizeof(reply), "disconnect p2");
	close(fd);
	write_str("/sys/power/pm_test", "none");
}

TEST_HARNESS_MAIN
