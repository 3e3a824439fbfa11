// SPDX-License-Identifier: GPL-2.0
/*
 * virtio_serial with many ports: 31 on one controller (max_ports=31, a
 * virtconsole on port 0 and 30 data ports) and a second controller live
 * at the same time, and a third, single-port one (max_ports=1: no
 * multiport).  Every port moves data both ways; the char devices of
 * console ports (port 0 here, and the port of the single-port device)
 * cannot be opened: they are hvc terminals (vser_console_test.c).  The
 * suite (virtio_serial.many in selftests/pvtest/suites.py) runs this
 * twice with a module unload and reload between, which also removes and
 * re-adds the two hvc consoles.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "hostctl.h"
#include "vport.h"

#define NPORTS 30
#define CONSOLE "/dev/virtio-ports/org.pvguest.console.0"
#define OTHER "/dev/virtio-ports/org.pvguest.other.0"

static void port_path(char *buf, size_t len, int nr)
{
	snprintf(buf, len, "/dev/virtio-ports/org.pvguest.many.%d", nr);
}

TEST(all_ports_named)
{
	char path[128];
	int nr;

	for (nr = 1; nr <= NPORTS; nr++) {
		port_path(path, sizeof(path), nr);
		EXPECT_EQ(0, wait_path(path, 1, 20000)) TH_LOG("%s", path);
	}
	EXPECT_EQ(0, wait_path(OTHER, 1, 20000));
	EXPECT_EQ(0, wait_path(CONSOLE, 1, 20000));
}

/* The char device of a console port cannot be opened (as upstream). */
TEST(console_port_refused)
{
	ASSERT_EQ(0, wait_path(CONSOLE, 1, 20000));
	EXPECT_EQ(-1, open(CONSOLE, O_RDWR));
	EXPECT_EQ(ENXIO, errno);
}

TEST(data_on_every_port)
{
	char path[128], id[16];
	int nr, failed = 0;

	for (nr = 1; nr <= NPORTS; nr++) {
		port_path(path, sizeof(path), nr);
		snprintf(id, sizeof(id), "m%d", nr);
		if (vport_echo(path, id, nr))
			failed++;
	}
	EXPECT_EQ(0, failed);
}

/*
 * The single-port device's port has no name (no control queue); it is a
 * console, so its char device cannot be opened.
 */
TEST(single_port_is_console)
{
	char path[512], name[64];
	struct dirent *de;
	int found = 0;
	DIR *dir;

	dir = opendir("/sys/class/virtio-ports");
	ASSERT_NE(NULL, dir);
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		if (vport_attr(de->d_name, "name", name, sizeof(name)) ||
		    name[0])
			continue;
		found++;
		snprintf(path, sizeof(path), "/dev/%s", de->d_name);
		EXPECT_EQ(-1, open(path, O_RDWR)) TH_LOG("%s", path);
		EXPECT_EQ(ENXIO, errno);
	}
	closedir(dir);
	EXPECT_EQ(1, found);
}

/* Both controllers at once: a port of each open, data on both. */
TEST(two_controllers)
{
	char path[128];
	int fd;

	port_path(path, sizeof(path), NPORTS);
	fd = open(path, O_RDWR);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, vport_echo(OTHER, "o1", 0x5a));
	close(fd);
	EXPECT_EQ(0, vport_echo(path, "m30", 0xa5));
}

TEST_HARNESS_MAIN
