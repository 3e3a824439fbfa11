// SPDX-License-Identifier: GPL-2.0
/*
 * virtio_serial console ports as hvc terminals.  The machine (suite
 * virtio_serial.console in selftests/pvtest/suites.py) has a virtconsole
 * "c0" on port 0 of a multiport controller and "s0", the only port of a
 * single-port controller (max_ports=1: no multiport), each backed by a
 * host socket.  Each must be a /dev/hvcN that carries data both ways,
 * with the kernel booted with console=hvc0 (so one of them is also the
 * kernel console, fed the whole log when it registers).  Last, the
 * consoles are unplugged while open and while a reader is blocked in
 * read().
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "hostctl.h"

#define MAX_HVC 8
#define SEEN_MAX 65536

static char reply[8192];
static char seen[SEEN_MAX + 1];

/* Open /dev/hvc@n raw (no echo, no line editing), or -1. */
static int open_hvc(int n)
{
	struct termios t;
	char path[32];
	int fd;

	snprintf(path, sizeof(path), "/dev/hvc%d", n);
	fd = open(path, O_RDWR | O_NOCTTY);
	if (fd < 0)
		return -1;
	if (tcgetattr(fd, &t) == 0) {
		cfmakeraw(&t);
		tcsetattr(fd, TCSANOW, &t);
	}
	return fd;
}

/* Bytes the host got on socket @id within about @ms, appended to seen. */
static size_t host_take(const char *id, int ms, size_t have)
{
	size_t i, n;

	if (hostctl(reply, sizeof(reply), "recv %s 2048 %d", id, ms))
		return have;
	n = strlen(reply) / 2;
	for (i = 0; i < n && have < SEEN_MAX; i++) {
		unsigned int b;

		if (sscanf(reply + 2 * i, "%2x", &b) != 1)
			break;
		seen[have++] = b ? b : ' ';
	}
	seen[have] = '\0';
	return have;
}

/*
 * Write @marker to @fd until the host
 * sees it on socket @id: QEMU drops console output until it has accepted
 * the connection, which it does a little after hostctl's connect.
 * Return: 0 when the host saw it.
 */
static int reaches_host(int fd, const char *id, const char *marker)
{
	size_t have = 0;
	int round, i;

	seen[0] = '\0';
	for (round = 0; round < 10; round++) {
		if (write(fd, marker, strlen(marker)) != (ssize_t)strlen(marker))
			return -1;
		for (i = 0; i < 4; i++) {
			have = host_take(id, 250, have);
			if (strstr(seen, marker))
				return 0;
		}
		/* Keep the tail: a marker may straddle two takes. */
		if (have > SEEN_MAX / 2) {
			memmove(seen, seen + have - 256, 256);
			have = 256;
			seen[have] = '\0';
		}
	}
	return -1;
}

/*
 * The hvc index of the console whose host socket is @id, or -1: write a
 * marker naming N to each /dev/hvcN that opens, until the host sees one.
 */
static int find_console(const char *id)
{
	char marker[MAX_HVC][64];
	int fds[MAX_HVC], n, i, round, found = -1;
	size_t have = 0;

	if (hostctl(reply, sizeof(reply), "connect %s", id))
		return -1;
	for (n = 0; n < MAX_HVC; n++) {
		fds[n] = open_hvc(n);
		snprintf(marker[n], sizeof(marker[n]),
			 "pvguest-find-%s-hvc%d-%d\r\n", id, n, getpid());
	}
	seen[0] = '\0';
	for (round = 0; round < 10 && found < 0; round++) {
		for (n = 0; n < MAX_HVC; n++)
			if (fds[n] >= 0 &&
			    write(fds[n], marker[n], strlen(marker[n])) < 0)
				break;
		for (i = 0; i < 4 && found < 0; i++) {
			have = host_take(id, 250, have);
			for (n = 0; n < MAX_HVC && found < 0; n++)
				if (fds[n] >= 0 && strstr(seen, marker[n]))
					found = n;
		}
		if (have > SEEN_MAX / 2) {
			memmove(seen, seen + have - 256, 256);
			have = 256;
			seen[have] = '\0';
		}
	}
	for (n = 0; n < MAX_HVC; n++)
		if (fds[n] >= 0)
			close(fds[n]);
	hostctl(NULL, 0, "disconnect %s", id);
	return found;
}

/* Read exactly @len bytes from the tty @fd within @ms milliseconds. */
static int read_tty(int fd, char *buf, size_t len, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		if (poll(&pfd, 1, ms) != 1)
			return -1;
		n = read(fd, buf + got, len - got);
		if (n <= 0)
			return -1;
		got += n;
	}
	return 0;
}

static int count_hvc(void)
{
	int n, fd, count = 0;

	for (n = 0; n < MAX_HVC; n++) {
		fd = open_hvc(n);
		if (fd < 0)
			continue;
		count++;
		close(fd);
	}
	return count;
}

/* Both consoles, and nothing else, are hvc terminals. */
TEST(two_hvc_terminals)
{
	int i;

	/* The single-port console comes at probe, c0 after PORT_ADD. */
	for (i = 0; i < 100 && count_hvc() < 2; i++)
		usleep(100000);
	EXPECT_EQ(2, count_hvc());
}

/* The console's vport char device stays, and cannot be opened. */
TEST(vport_of_console_refused)
{
	ASSERT_EQ(0, wait_path("/dev/virtio-ports/org.pvguest.console.0", 1,
			       20000));
	EXPECT_EQ(-1, open("/dev/virtio-ports/org.pvguest.console.0", O_RDWR));
	EXPECT_EQ(ENXIO, errno);
}

/* Guest to host, then host to guest, on each console. */
static void both_ways(struct __test_metadata *_metadata, const char *id)
{
	static const char msg[] = "host to guest on the console\n";
	char marker[64], buf[sizeof(msg)], hex[2 * sizeof(msg) + 1];
	int n, fd;
	size_t i;

	n = find_console(id);
	ASSERT_LE(0, n) TH_LOG("no /dev/hvcN reaches socket %s", id);
	TH_LOG("%s is hvc%d", id, n);
	fd = open_hvc(n);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, hostctl(reply, sizeof(reply), "connect %s", id));
	snprintf(marker, sizeof(marker), "pvguest-g2h-%s-%d\r\n", id, getpid());
	EXPECT_EQ(0, reaches_host(fd, id, marker));

	/* Drop what the host side had, then send. */
	tcflush(fd, TCIFLUSH);
	for (i = 0; i < sizeof(msg) - 1; i++)
		sprintf(hex + 2 * i, "%02x", (unsigned char)msg[i]);
	ASSERT_EQ(0, hostctl(reply, sizeof(reply), "send %s %s", id, hex));
	memset(buf, 0, sizeof(buf));
	EXPECT_EQ(0, read_tty(fd, buf, sizeof(msg) - 1, 10000));
	EXPECT_STREQ(msg, buf);
	hostctl(NULL, 0, "disconnect %s", id);
	close(fd);
}

TEST(multiport_console_both_ways)
{
	both_ways(_metadata, "c0");
}

TEST(single_port_console_both_ways)
{
	both_ways(_metadata, "s0");
}

static void on_alarm(int sig)
{
	(void)sig;
	_exit(3);
}

/*
 * Unplug a console (the port, or the whole controller) while its hvc is
 * open and a child is blocked reading it: the read must end (hangup)
 * and the terminal must be gone.
 */
static void unplug_open(struct __test_metadata *_metadata, const char *id,
			const char *dev)
{
	int n, fd, status, i;
	pid_t pid;
	char c;

	n = find_console(id);
	ASSERT_LE(0, n);
	fd = open_hvc(n);
	ASSERT_LE(0, fd);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		signal(SIGALRM, on_alarm);
		alarm(30);
		/* Hangup: 0 (EOF) or -1 with EIO. */
		_exit(read(fd, &c, 1) > 0 ? 2 : 0);
	}
	usleep(300000);
	ASSERT_EQ(0, hostctl(reply, sizeof(reply),
			     "qmp {\"execute\": \"device_del\", \"arguments\": {\"id\": \"%s\"}}",
			     dev)) TH_LOG("%s", reply);
	ASSERT_EQ(0, hostctl(reply, sizeof(reply),
			     "event DEVICE_DELETED 20000 {\"device\": \"%s\"}",
			     dev)) TH_LOG("%s", reply);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status)) TH_LOG("reader not woken by unplug");
	/* The terminal is hung up: writes fail, reads see EOF. */
	EXPECT_EQ(-1, write(fd, "x", 1));
	close(fd);
	/* hvc frees the terminal once the tty is released: give it time. */
	for (i = 0; i < 50; i++) {
		fd = open_hvc(n);
		if (fd < 0)
			break;
		close(fd);
		usleep(100000);
	}
	EXPECT_EQ(-1, fd) TH_LOG("hvc%d still opens after unplug", n);
}

TEST(unplug_console_port_while_open)
{
	unplug_open(_metadata, "c0", "c0");
}

TEST(unplug_single_port_controller_while_open)
{
	unplug_open(_metadata, "s0", "vser1");
}

TEST_HARNESS_MAIN
