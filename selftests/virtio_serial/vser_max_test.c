// SPDX-License-Identifier: GPL-2.0
/*
 * virtio_serial at QEMU's limit: one controller with max_ports=511 (1024
 * virtqueues) and a virtserialport on every id from 1 to 510 (id 0 is
 * reserved for a virtconsole).  QEMU announces the ports it has at boot
 * all at once and drops the announcements its 32-entry control queue
 * cannot hold, whatever the driver: ports 1-31 are plugged at boot, the
 * test plugs in 32-510 with QMP device_add.  Every port gets its name
 * (the boot-time ones their /dev/virtio-ports link too: for the 479
 * plugged in, the guest's uevent helper, one process per uevent, would
 * take minutes under TCG, so it is turned off and the ports are found in
 * sysfs); a sample spread over the id range, including the first and
 * the last, moves data both ways, each with its own byte so that crossed
 * queues show.  Machine: selftests/pvtest/suites.py (virtio_serial.max).
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "hostctl.h"
#include "vport.h"

#define COLD 31
#define LAST 510
/* Ports plugged in before waiting for their names. */
#define BATCH 16

static char reply[4096];

/* The /dev node of each port by id, from sysfs; "" until named. */
static char devs[LAST + 1][32];

static void port_path(char *buf, size_t len, int nr)
{
	snprintf(buf, len, "/dev/virtio-ports/org.pvguest.max.%d", nr);
}

/* Fill @devs from /sys/class/virtio-ports; return how many are named. */
static int scan_names(void)
{
	char name[300];
	struct dirent *de;
	int nr, count = 0;
	DIR *dir;

	dir = opendir("/sys/class/virtio-ports");
	if (!dir)
		return 0;
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.' || strlen(de->d_name) >= 24)
			continue;
		if (vport_attr(de->d_name, "name", name, sizeof(name)))
			continue;
		if (sscanf(name, "org.pvguest.max.%d", &nr) == 1 &&
		    nr >= 1 && nr <= LAST) {
			snprintf(devs[nr], sizeof(devs[nr]), "/dev/%s",
				 de->d_name);
			count++;
		}
	}
	closedir(dir);
	return count;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* vport_echo() on port @nr (host socket x<nr>), tagged @tag. */
static int echo(struct __test_metadata *_metadata, int nr, unsigned char tag)
{
	char path[128], id[16];

	if (nr > COLD) {
		snprintf(path, sizeof(path), "%s", devs[nr]);
		if (wait_path(path, 1, 10000))
			TH_LOG("%s: no node", path);
	} else {
		port_path(path, sizeof(path), nr);
	}
	snprintf(id, sizeof(id), "x%d", nr);
	return vport_echo(path, id, tag);
}

/* Links of ports @from..@to; the number missing after @ms in all. */
static int count_missing(struct __test_metadata *_metadata, int from, int to,
			 int ms)
{
	double end = now() + ms / 1000.0;
	char path[128];
	int nr, left = 0;

	for (nr = from; nr <= to; nr++) {
		port_path(path, sizeof(path), nr);
		if (wait_path(path, 1, end > now() ? (end - now()) * 1000 : 0)) {
			TH_LOG("%s missing", path);
			left++;
		}
	}
	return left;
}

FIXTURE(max) {
};

FIXTURE_SETUP(max)
{
}

FIXTURE_TEARDOWN(max)
{
}

TEST_F_TIMEOUT(max, boot_ports_named, 200)
{
	double t0 = now();

	EXPECT_EQ(0, count_missing(_metadata, 1, COLD, 180000));
	ksft_print_msg("ports 1-%d named %.1f s after the test began\n", COLD,
		       now() - t0);
}

TEST_F_TIMEOUT(max, hotplug_to_510, 700)
{
	char args[512];
	int nr, named = 0, failed = 0;
	double t0 = now(), t1;
	FILE *f;

	f = fopen("/proc/sys/kernel/hotplug", "w");
	if (f) {
		fputs("\n", f);
		fclose(f);
	}
	/*
	 * In batches: the driver answers each PORT_ADD before it takes the
	 * next message, and QEMU drops what finds its control queue full.
	 */
	for (nr = COLD + 1; nr <= LAST && !failed; nr++) {
		snprintf(args, sizeof(args),
			 "{\"driver\": \"virtserialport\", \"bus\": \"vser0.0\", \"nr\": %d, \"chardev\": \"ch-x%d\", \"id\": \"x%d\", \"name\": \"org.pvguest.max.%d\"}",
			 nr, nr, nr, nr);
		if (hostctl(reply, sizeof(reply),
			    "qmp {\"execute\": \"device_add\", \"arguments\": %s}",
			    args)) {
			TH_LOG("device_add x%d: %s", nr, reply);
			failed++;
		}
		if (nr % BATCH && nr != LAST)
			continue;
		t1 = now();
		while ((named = scan_names()) < nr && now() - t1 < 60)
			usleep(100000);
		if (named < nr) {
			TH_LOG("%d of %d ports named after 60 s", named, nr);
			failed++;
		}
	}
	EXPECT_EQ(0, failed);
	EXPECT_EQ(LAST, named);
	ksft_print_msg("ports %d-%d plugged and named in %.1f s\n", COLD + 1,
		       LAST, now() - t0);
	/*
	 * The helper stays off for the rest of this boot: the module
	 * unload that follows would start one per removed port.
	 */
	/* The boot-time links are still there. */
	EXPECT_EQ(0, count_missing(_metadata, 1, COLD, 1000));
}

TEST_F_TIMEOUT(max, data_on_sampled_ports, 300)
{
	static const int sample[] = {
		1, 2, 31, 32, 63, 64, 127, 128, 255, 256, 300, 383, 384, 509,
		LAST,
	};
	unsigned int i;
	int failed = 0;

	/* Each test runs in its own process: find the nodes again. */
	EXPECT_EQ(LAST, scan_names());
	for (i = 0; i < ARRAY_SIZE(sample); i++)
		if (echo(_metadata, sample[i], sample[i] & 0xff))
			failed++;
	EXPECT_EQ(0, failed);
}

/* Two ports open at once, far apart: each keeps its own data. */
TEST_F_TIMEOUT(max, two_open_at_once, 60)
{
	int fd;

	ASSERT_EQ(LAST, scan_names());
	fd = open(devs[LAST], O_RDWR);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, echo(_metadata, 1, 0x11));
	close(fd);
}

TEST_HARNESS_MAIN
