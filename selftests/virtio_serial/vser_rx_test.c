// SPDX-License-Identifier: GPL-2.0
/*
 * virtio_serial against real QEMU, the receive side at its edges:
 *
 * - a port plugged in again with the id of a removed one takes over the
 *   old port's receive buffers: what the device wrote into them for the
 *   old port must never reach the new port's opener;
 * - SIGIO POLL_IN as documented: an opener that reads after each POLL_IN
 *   until a read comes back short gets every byte of a long stream, with
 *   no signal lost.
 *
 * Machine: selftests/pvtest/suites.py (virtio_serial.rx).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "hostctl.h"
#include "vport.h"

#define PORT0 "/dev/virtio-ports/org.pvguest.test.0"
#define PORT1 "/dev/virtio-ports/org.pvguest.test.1"
#define NAME1 "org.pvguest.test.1"
/* Host-to-guest stream for the SIGIO test. */
#define STREAM (4 << 20)

static char reply[4096];

static int host(const char *fmt, const char *port)
{
	return hostctl(reply, sizeof(reply), fmt, port);
}

/* The /dev node of the port called @name, from sysfs; 0 if found. */
static int find_by_name(const char *name, char *dev, size_t len)
{
	char path[512], got[300];
	struct dirent *de;
	int ret = -1;
	DIR *dir;
	FILE *f;

	dir = opendir("/sys/class/virtio-ports");
	if (!dir)
		return -1;
	while (ret && (de = readdir(dir))) {
		snprintf(path, sizeof(path), "/sys/class/virtio-ports/%s/name",
			 de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(got, sizeof(got), f)) {
			got[strcspn(got, "\n")] = '\0';
			if (!strcmp(got, name)) {
				snprintf(dev, len, "/dev/%s", de->d_name);
				ret = 0;
			}
		}
		fclose(f);
	}
	closedir(dir);
	return ret;
}

/*
 * The old port is open and has data waiting: the first buffer on its
 * ready list (receive interrupt off), the next ones filled by QEMU but
 * not collected.  The host removes the port and plugs in a new one with
 * the same id; the new port's first read must see only new data.
 */
TEST(replug_drops_old_port_data)
{
	char dev[300], buf[8192];
	int i, fd, nfd = -1;
	ssize_t n;

	ASSERT_EQ(0, wait_path(PORT1, 1, 20000));
	fd = open(PORT1, O_RDWR | O_NONBLOCK);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, host("connect %s", "p2"));
	ASSERT_EQ(0, wait_revents(fd, POLLHUP, 0));
	/*
	 * The first data comes with an interrupt, which leaves it on the
	 * ready list and turns itself off.  The device may still have asked
	 * for one more (the used event index set while the first was taken
	 * off the ring): a second burst uses that up.  A third one stays in
	 * the used ring, several buffers of it.
	 */
	ASSERT_EQ(0, hostctl(reply, sizeof(reply), "send p2 616263"));
	ASSERT_EQ(0, wait_revents(fd, POLLIN, 1));
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, hostctl(reply, sizeof(reply), "sendpat p2 %d 9",
				     3 * 4096 + 100));
		usleep(500000);
	}

	ASSERT_EQ(0, hostctl(reply, sizeof(reply),
			     "qmp {\"execute\": \"device_del\", \"arguments\": {\"id\": \"p2\"}}"))
		TH_LOG("%s", reply);
	ASSERT_EQ(0, hostctl(reply, sizeof(reply),
			     "event DEVICE_DELETED 20000 {\"device\": \"p2\"}"))
		TH_LOG("%s", reply);
	EXPECT_EQ(-1, read(fd, buf, sizeof(buf)));
	EXPECT_EQ(ENODEV, errno);
	close(fd);
	host("disconnect %s", "p2");

	ASSERT_EQ(0, hostctl(reply, sizeof(reply),
			     "qmp {\"execute\": \"device_add\", \"arguments\": {\"driver\": \"virtserialport\", \"bus\": \"vser0.0\", \"nr\": 2, \"chardev\": \"ch-p2\", \"id\": \"p2b\", \"name\": \"%s\"}}",
			     NAME1))
		TH_LOG("%s", reply);
	/* The char device, not the link: see vser_test's replug_port. */
	for (i = 0; i < 200 && nfd < 0; i++) {
		if (!find_by_name(NAME1, dev, sizeof(dev)))
			nfd = open(dev, O_RDWR | O_NONBLOCK);
		if (nfd < 0)
			usleep(100000);
	}
	ASSERT_LE(0, nfd) TH_LOG("open: %s", strerror(errno));
	/* Nothing is readable before the host sends anything. */
	ASSERT_EQ(0, host("connect %s", "p2"));
	ASSERT_EQ(0, wait_revents(nfd, POLLHUP, 0));
	n = read(nfd, buf, sizeof(buf));
	EXPECT_EQ(-1, n) TH_LOG("read %zd stale bytes", n);
	EXPECT_EQ(EAGAIN, errno);

	ASSERT_EQ(0, hostctl(reply, sizeof(reply), "send p2 78797a"));
	ASSERT_EQ(0, wait_revents(nfd, POLLIN, 1));
	n = read(nfd, buf, sizeof(buf));
	EXPECT_EQ(3, n);
	EXPECT_EQ(0, memcmp(buf, "xyz", 3));
	/* The port still takes data after that. */
	ASSERT_EQ(0, hostctl(reply, sizeof(reply), "send p2 3132"));
	ASSERT_EQ(0, wait_revents(nfd, POLLIN, 1));
	EXPECT_EQ(2, read(nfd, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "12", 2));
	host("disconnect %s", "p2");
	close(nfd);
}

/*
 * The documented SIGIO contract: after each POLL_IN, read until a read
 * returns less than asked (or -EAGAIN), then wait for the next POLL_IN.
 * A signal lost while data waits stalls the reader: fail after 10 s.
 * Small reads keep the reader racing the device, so that a read often
 * collects a buffer that the device filled after the interrupt came
 * back on.
 */
TEST(sigio_per_short_read)
{
	static unsigned char buf[3000];
	struct timespec ts = { 10, 0 };
	size_t total = 0, got, i;
	int fd, status, bad = 0;
	siginfo_t si;
	sigset_t set;
	pid_t child;
	ssize_t n;

	sigemptyset(&set);
	sigaddset(&set, SIGRTMIN);
	sigprocmask(SIG_BLOCK, &set, NULL);
	ASSERT_EQ(0, wait_path(PORT0, 1, 20000));
	fd = open(PORT0, O_RDWR | O_NONBLOCK);
	ASSERT_LE(0, fd);
	fcntl(fd, F_SETOWN, getpid());
	fcntl(fd, F_SETSIG, SIGRTMIN);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_ASYNC);
	ASSERT_EQ(0, host("connect %s", "p1"));
	ASSERT_EQ(0, wait_revents(fd, POLLHUP, 0));
	while (sigtimedwait(&set, &si, &(struct timespec){ 0, 0 }) > 0)
		;

	child = fork();
	ASSERT_LE(0, child);
	if (!child)
		_exit(hostctl(reply, sizeof(reply), "sendpat p1 %d 13",
			      STREAM) ? 1 : 0);
	while (total < STREAM) {
		if (sigtimedwait(&set, &si, &ts) < 0)
			break;
		if (si.si_code != POLL_IN)
			continue;
		do {
			n = read(fd, buf, sizeof(buf));
			for (i = 0; n > 0 && i < (size_t)n; i++)
				bad += buf[i] != pattern_byte(13, total + i);
			if (n > 0)
				total += n;
		} while (n == sizeof(buf));
	}
	/* Take the rest without signals, so that the host can finish. */
	got = total;
	while (total < STREAM) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };

		if (poll(&pfd, 1, 5000) <= 0)
			break;
		n = read(fd, buf, sizeof(buf));
		if (n > 0)
			total += n;
		else if (n == 0 || errno != EAGAIN)
			break;
	}
	EXPECT_EQ(STREAM, got) TH_LOG("no POLL_IN after %zu bytes", got);
	EXPECT_EQ(0, bad);
	ASSERT_EQ(child, waitpid(child, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
	host("disconnect %s", "p1");
	close(fd);
}

TEST_HARNESS_MAIN
