// SPDX-License-Identifier: GPL-2.0
/*
 * virtio_serial statistics and tracepoints against real QEMU: the debugfs
 * counters of a port move by exactly what crossed it (bytes out = bytes
 * the host received, bytes in = bytes the host sent, unread bytes
 * discarded at close, one SIGIO counted per signal queued, queue-full),
 * the device's control counters, and the virtio_serial trace events exist
 * and fire on port add/remove, open/close and host connect/disconnect.
 * Also the read polling that the read_polls counters show: a blocking
 * read that follows a write polls once, gets its answer whole and with
 * its SIGIO, and sleeps (and is woken) when the answer is late; a port
 * whose host answers late stops polling, and starts again once answers
 * come soon; reads that do not follow a write, non-blocking reads and
 * read_poll_us=0 never poll.
 * Machine: selftests/pvtest/suites.py (virtio_serial.io); runs before
 * vser_test, which unplugs ports at its end.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "hostctl.h"
#include "vport.h"

#define PORT1 "/dev/virtio-ports/org.pvguest.test.1"
#define HOSTID "p2"
#define DEBUGFS "/sys/kernel/debug"
#define TRACEFS "/sys/kernel/tracing"
#define EVENTS TRACEFS "/events/virtio_serial"
#define READ_POLL_US "/sys/module/virtio_serial/parameters/read_poll_us"
/* Round trips through the host's echo in the read polling tests. */
#define EXCHANGES 300
#define MSG 64

static char reply[4096];

static int host(const char *fmt, const char *port)
{
	return hostctl(reply, sizeof(reply), fmt, port);
}

/* Mount @type on @dir unless @probe (a file in it) is there already. */
static int ensure_mounted(const char *type, const char *dir,
			  const char *probe)
{
	if (!access(probe, F_OK))
		return 0;
	mkdir(dir, 0755);
	if (mount(type, dir, type, 0, NULL) && errno != EBUSY)
		return -1;
	return access(probe, F_OK);
}

/* /sys/kernel/debug/virtio_serial/<device>/@file, found by globbing. */
static int stats_path(const char *file, char *out, size_t len)
{
	char pat[256];
	glob_t g;
	int ret = -1;

	snprintf(pat, sizeof(pat), DEBUGFS "/virtio_serial/*/%s", file);
	if (glob(pat, 0, NULL, &g))
		return -1;
	if (g.gl_pathc == 1) {
		snprintf(out, len, "%s", g.gl_pathv[0]);
		ret = 0;
	}
	globfree(&g);
	return ret;
}

/* The value of counter @name in the stats file @path; -1 if missing. */
static long long stat_get(const char *path, const char *name)
{
	char key[64];
	long long v, ret = -1;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	while (fscanf(f, "%63s %lld", key, &v) == 2)
		if (!strcmp(key, name))
			ret = v;
	fclose(f);
	return ret;
}

/* The first line of @path, newline included, in @out; -1 if unreadable. */
static int read_line(const char *path, char *out, size_t len)
{
	FILE *f = fopen(path, "r");
	int ret;

	if (!f)
		return -1;
	ret = fgets(out, len, f) ? 0 : -1;
	fclose(f);
	return ret;
}

/* Have the host echo @count bytes on HOSTID, in a child. */
static pid_t host_echo(size_t count)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(hostctl(NULL, 0, "echo %s %zu 30000", HOSTID, count) ?
		      1 : 0);
	return pid;
}

/* 0 if child @pid exited with status 0. */
static int child_ok(pid_t pid)
{
	int status;

	return pid > 0 && waitpid(pid, &status, 0) == pid &&
	       WIFEXITED(status) && !WEXITSTATUS(status) ? 0 : -1;
}

/*
 * @n exchanges of MSG bytes through the host's echo, each message unlike
 * the one before.  Return: how many came back whole, or -1 if the host's
 * echo failed (as it does when an exchange stops short).
 */
static int echo_exchanges(int fd, int n)
{
	unsigned char msg[MSG], back[MSG];
	pid_t pid = host_echo((size_t)n * MSG);
	int i, j;

	if (pid < 0)
		return -1;
	for (i = 0; i < n; i++) {
		for (j = 0; j < MSG; j++)
			msg[j] = pattern_byte(i, j);
		if (write_full(fd, msg, MSG) || read_full(fd, back, MSG) ||
		    memcmp(msg, back, MSG))
			break;
	}
	return child_ok(pid) ? -1 : i;
}

/*
 * Open PORT1 (with @flags), connect the host and wait until the port
 * sees it.  Return: the file, or -1.
 */
static int open_connected(int flags)
{
	int fd = open(PORT1, O_RDWR | flags);

	if (fd < 0)
		return -1;
	if (host("connect %s", HOSTID) || wait_revents(fd, POLLHUP, 0)) {
		close(fd);
		return -1;
	}
	return fd;
}

FIXTURE(port) {
	char stats[512];
	char vport[64];
	char read_poll_us[16];
};

FIXTURE_SETUP(port)
{
	char dev[64];

	ASSERT_EQ(0, ensure_mounted("debugfs", DEBUGFS,
				    DEBUGFS "/virtio_serial"));
	ASSERT_EQ(0, wait_path(PORT1, 1, 10000));
	ASSERT_EQ(0, vport_name(PORT1, self->vport, sizeof(self->vport)));
	snprintf(dev, sizeof(dev), "%s", self->vport);
	ASSERT_EQ(0, stats_path(dev, self->stats, sizeof(self->stats)))
		TH_LOG("no stats file for %s", self->vport);
	/* Tests that change it fail without it; the others need not. */
	if (read_line(READ_POLL_US, self->read_poll_us,
		      sizeof(self->read_poll_us)))
		self->read_poll_us[0] = '\0';
}

FIXTURE_TEARDOWN(port)
{
	host("disconnect %s", HOSTID);
	if (self->read_poll_us[0])
		write_str(READ_POLL_US, self->read_poll_us);
}

/* Every counter is there; a closed port with no host shows it. */
TEST_F(port, counters_listed)
{
	static const char * const names[] = {
		"guest_connected", "host_connected", "bytes_in", "buffers_in",
		"bytes_out", "buffers_out", "bytes_discarded",
		"buffers_discarded", "truncated", "queue_full", "sigio",
		"read_polls", "read_poll_hits",
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(names); i++)
		EXPECT_LE(0, stat_get(self->stats, names[i]))
			TH_LOG("counter %u missing", i);
	EXPECT_EQ(0, stat_get(self->stats, "guest_connected"));
	EXPECT_EQ(0, stat_get(self->stats, "truncated"));
}

/* bytes_out grows by what the host received, bytes_in by what it sent. */
TEST_F(port, bytes_both_ways)
{
	static unsigned char buf[50000];
	long long out0, bout0, in0, bin0;
	size_t i, got = 0;
	int fd;

	fd = open(PORT1, O_RDWR);
	ASSERT_LE(0, fd);
	EXPECT_EQ(1, stat_get(self->stats, "guest_connected"));
	ASSERT_EQ(0, host("connect %s", HOSTID));
	ASSERT_EQ(0, wait_revents(fd, POLLHUP, 0));
	out0 = stat_get(self->stats, "bytes_out");
	bout0 = stat_get(self->stats, "buffers_out");
	in0 = stat_get(self->stats, "bytes_in");
	bin0 = stat_get(self->stats, "buffers_in");

	for (i = 0; i < 40000; i++)
		buf[i] = pattern_byte(21, i);
	ASSERT_EQ(0, write_full(fd, buf, 40000));
	EXPECT_EQ(0, hostctl(reply, sizeof(reply),
			     "recvpat %s 40000 21 20000", HOSTID))
		TH_LOG("%s", reply);
	EXPECT_EQ(out0 + 40000, stat_get(self->stats, "bytes_out"));
	/* At most 64 KiB per buffer, one write of 40000 bytes: one or more. */
	EXPECT_LE(bout0 + 1, stat_get(self->stats, "buffers_out"));
	EXPECT_GE(bout0 + 10, stat_get(self->stats, "buffers_out"));

	ASSERT_EQ(0, hostctl(reply, sizeof(reply), "sendpat %s 30000 4",
			     HOSTID));
	while (got < 30000) {
		ssize_t n = read(fd, buf + got, sizeof(buf) - got);

		if (n <= 0)
			break;
		got += n;
	}
	ASSERT_EQ(30000, got);
	for (i = 0; i < got; i++)
		if (buf[i] != pattern_byte(4, i))
			break;
	EXPECT_EQ(30000, i);
	EXPECT_EQ(in0 + 30000, stat_get(self->stats, "bytes_in"));
	/* Page-sized receive buffers. */
	EXPECT_LE(bin0 + 30000 / 4096, stat_get(self->stats, "buffers_in"));
	close(fd);
	EXPECT_EQ(0, stat_get(self->stats, "guest_connected"));
}

/* Data left unread at close is counted as discarded, to the byte. */
TEST_F(port, unread_data_discarded)
{
	long long d0, db0, in0;
	int fd;

	fd = open(PORT1, O_RDWR | O_NONBLOCK);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, host("connect %s", HOSTID));
	ASSERT_EQ(0, wait_revents(fd, POLLHUP, 0));
	d0 = stat_get(self->stats, "bytes_discarded");
	db0 = stat_get(self->stats, "buffers_discarded");
	in0 = stat_get(self->stats, "bytes_in");
	ASSERT_EQ(0, hostctl(reply, sizeof(reply), "sendpat %s 5000 9",
			     HOSTID));
	ASSERT_EQ(0, wait_revents(fd, POLLIN, 1));
	/*
	 * The receive interrupt is off while data waits to be read: what
	 * came after the first buffer may still be on the queue, and is
	 * counted when it is taken, at close.
	 */
	usleep(300000);
	EXPECT_LT(in0, stat_get(self->stats, "bytes_in"));
	EXPECT_GE(in0 + 5000, stat_get(self->stats, "bytes_in"));
	EXPECT_EQ(d0, stat_get(self->stats, "bytes_discarded"));
	close(fd);
	/* Every byte, whether taken before the close or after. */
	EXPECT_EQ(d0 + 5000, stat_get(self->stats, "bytes_discarded"));
	EXPECT_LE(db0 + 2, stat_get(self->stats, "buffers_discarded"));
}

/*
 * Each SIGIO the driver sends is counted once: with a queued real-time
 * signal (F_SETSIG) none merge, so the count matches what arrived.  A
 * queue filled while the host does not read counts a queue-full event.
 */
TEST_F(port, sigio_and_queue_full)
{
	static unsigned char chunk[65536];
	struct timespec ts = { 1, 0 };
	long long s0, q0, out0;
	size_t total = 0;
	int fd, got = 0;
	siginfo_t si;
	sigset_t set;
	ssize_t n;

	sigemptyset(&set);
	sigaddset(&set, SIGRTMIN);
	sigprocmask(SIG_BLOCK, &set, NULL);
	while (sigtimedwait(&set, &si, &(struct timespec){ 0, 0 }) > 0)
		;
	fd = open(PORT1, O_RDWR | O_NONBLOCK);
	ASSERT_LE(0, fd);
	fcntl(fd, F_SETOWN, getpid());
	fcntl(fd, F_SETSIG, SIGRTMIN);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_ASYNC);
	s0 = stat_get(self->stats, "sigio");
	q0 = stat_get(self->stats, "queue_full");

	ASSERT_EQ(0, host("connect %s", HOSTID));
	ASSERT_EQ(0, wait_revents(fd, POLLHUP, 0));
	ASSERT_EQ(0, hostctl(reply, sizeof(reply), "send %s 0102", HOSTID));
	ASSERT_EQ(0, wait_revents(fd, POLLIN, 1));
	EXPECT_EQ(2, read(fd, chunk, sizeof(chunk)));

	/* Fill the queue: the host does not read. */
	out0 = stat_get(self->stats, "bytes_out");
	memset(chunk, 0x33, sizeof(chunk));
	for (;;) {
		n = write(fd, chunk, sizeof(chunk));
		if (n > 0) {
			total += n;
			continue;
		}
		if (n < 0 && errno == EAGAIN) {
			struct pollfd pfd = { .fd = fd, .events = POLLOUT };

			/* QEMU may still take some: stop once it stalls. */
			if (poll(&pfd, 1, 500) == 0)
				break;
			continue;
		}
		break;
	}
	ASSERT_LT(0, total);
	EXPECT_LT(q0, stat_get(self->stats, "queue_full"));
	EXPECT_EQ(out0 + (long long)total, stat_get(self->stats, "bytes_out"));
	EXPECT_EQ(0, hostctl(reply, sizeof(reply), "sink %s %zu 60000",
			     HOSTID, total))
		TH_LOG("%s", reply);
	ASSERT_EQ(0, host("disconnect %s", HOSTID));
	ASSERT_EQ(0, wait_revents(fd, POLLHUP, 1));

	/* Count every queued signal, then compare with the counter. */
	while (sigtimedwait(&set, &si, &ts) > 0) {
		if (si.si_fd == fd)
			got++;
	}
	/* connect, data, room after full, disconnect: at least four. */
	EXPECT_LE(4, got);
	EXPECT_EQ(s0 + got, stat_get(self->stats, "sigio"));
	close(fd);
}

/*
 * A blocking read that follows a write polls once for the answer: with
 * a limit of 1 ms its polls find the host's echo; every message comes
 * back whole.  Each exchange whose read polled got its answer on an
 * empty queue, from the poll or from the interrupt after it: either way
 * one SIGIO POLL_IN at least.
 */
TEST_F(port, read_poll_exchange)
{
	struct timespec ts = { 1, 0 };
	long long p0, h0, s0, polls, hits;
	int fd, sigs = 0, pollin = 0;
	siginfo_t si;
	sigset_t set;

	ASSERT_EQ(0, write_str(READ_POLL_US, "1000"));
	sigemptyset(&set);
	sigaddset(&set, SIGRTMIN);
	sigprocmask(SIG_BLOCK, &set, NULL);
	while (sigtimedwait(&set, &si, &(struct timespec){ 0, 0 }) > 0)
		;
	fd = open(PORT1, O_RDWR);
	ASSERT_LE(0, fd);
	fcntl(fd, F_SETOWN, getpid());
	fcntl(fd, F_SETSIG, SIGRTMIN);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_ASYNC);
	ASSERT_EQ(0, host("connect %s", HOSTID));
	ASSERT_EQ(0, wait_revents(fd, POLLHUP, 0));
	/* The connect's POLL_OUT, sent after the wake-up. */
	while (sigtimedwait(&set, &si, &ts) > 0)
		;
	p0 = stat_get(self->stats, "read_polls");
	h0 = stat_get(self->stats, "read_poll_hits");
	s0 = stat_get(self->stats, "sigio");

	EXPECT_EQ(EXCHANGES, echo_exchanges(fd, EXCHANGES));

	/* At most one poll per read that follows a write. */
	polls = stat_get(self->stats, "read_polls") - p0;
	hits = stat_get(self->stats, "read_poll_hits") - h0;
	EXPECT_LE(1, polls);
	EXPECT_GE(EXCHANGES, polls);
	EXPECT_LE(1, hits)
		TH_LOG("%lld polls, none found the echo within 1 ms", polls);
	EXPECT_GE(polls, hits);

	/*
	 * Without a POLL_IN for what a poll found, only the polls that
	 * missed would have one.  (An echo that a read took before it could
	 * poll raised none: the reader had it already.)
	 */
	while (sigtimedwait(&set, &si, &ts) > 0) {
		if (si.si_fd != fd)
			continue;
		sigs++;
		pollin += si.si_code == POLL_IN;
	}
	EXPECT_EQ(sigs, pollin);
	EXPECT_LE(polls, pollin);
	EXPECT_EQ(s0 + sigs, stat_get(self->stats, "sigio"));
	close(fd);
}

/* Host @seed's MSG pattern bytes, sent 100 ms from now by a child. */
static pid_t host_sends_later(int seed)
{
	pid_t pid = fork();

	if (pid == 0) {
		usleep(100000);
		_exit(hostctl(NULL, 0, "sendpat %s %d %d", HOSTID, MSG, seed) ?
		      1 : 0);
	}
	return pid;
}

/*
 * An answer later than the window: the read polls, finds nothing, sleeps
 * and is woken by the receive interrupt, which the poll turned back on.
 */
TEST_F(port, read_poll_then_sleep)
{
	unsigned char buf[MSG];
	long long p0, h0;
	size_t i;
	pid_t pid;
	int fd;

	ASSERT_EQ(0, write_str(READ_POLL_US, "1000"));
	fd = open_connected(0);
	ASSERT_LE(0, fd);
	p0 = stat_get(self->stats, "read_polls");
	h0 = stat_get(self->stats, "read_poll_hits");
	ASSERT_EQ(1, write(fd, "?", 1));
	pid = host_sends_later(17);
	ASSERT_LE(0, pid);
	EXPECT_EQ(0, read_full(fd, buf, MSG));
	EXPECT_EQ(0, child_ok(pid));
	for (i = 0; i < MSG; i++)
		if (buf[i] != pattern_byte(17, i))
			break;
	EXPECT_EQ(MSG, i);
	EXPECT_EQ(p0 + 1, stat_get(self->stats, "read_polls"));
	EXPECT_EQ(h0, stat_get(self->stats, "read_poll_hits"));
	close(fd);
}

/*
 * The host answers 30 ms after each request, far beyond the 1 ms limit:
 * the first read polls and the port then stops polling.  Once the host
 * echoes at once, the window grows back and reads poll again.
 */
TEST_F(port, read_poll_backs_off)
{
	unsigned char buf[MSG];
	long long p0, p1;
	pid_t pid;
	int fd, i, j;

	ASSERT_EQ(0, write_str(READ_POLL_US, "1000"));
	fd = open_connected(0);
	ASSERT_LE(0, fd);
	p0 = stat_get(self->stats, "read_polls");
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(1, write(fd, "?", 1));
		pid = fork();
		ASSERT_LE(0, pid);
		if (pid == 0) {
			if (hostctl(NULL, 0, "recv %s 1 2000", HOSTID))
				_exit(1);
			usleep(30000);
			_exit(hostctl(NULL, 0, "sendpat %s %d %d", HOSTID,
				      MSG, i) ? 1 : 0);
		}
		EXPECT_EQ(0, read_full(fd, buf, MSG));
		ASSERT_EQ(0, child_ok(pid));
		for (j = 0; j < MSG; j++)
			if (buf[j] != pattern_byte(i, j))
				break;
		EXPECT_EQ(MSG, j);
	}
	EXPECT_EQ(p0 + 1, stat_get(self->stats, "read_polls"));

	p1 = stat_get(self->stats, "read_polls");
	EXPECT_EQ(100, echo_exchanges(fd, 100));
	EXPECT_LT(p1, stat_get(self->stats, "read_polls"))
		TH_LOG("no echo came back within 1 ms");
	close(fd);
}

/*
 * No polling: for the first read after the open and for a read that
 * follows a read (both waiting for data sent after they began), for a
 * non-blocking read, or with read_poll_us=0.  The limit is at most 1000.
 */
TEST_F(port, read_poll_not_used)
{
	unsigned char buf[MSG];
	long long p0;
	int fd, seed;

	ASSERT_EQ(0, write_str(READ_POLL_US, "1000"));
	EXPECT_EQ(-1, write_str(READ_POLL_US, "1001"));
	fd = open_connected(0);
	ASSERT_LE(0, fd);
	p0 = stat_get(self->stats, "read_polls");
	for (seed = 3; seed < 5; seed++) {
		pid_t pid = host_sends_later(seed);

		ASSERT_LE(0, pid);
		EXPECT_EQ(0, read_full(fd, buf, MSG));
		EXPECT_EQ(0, child_ok(pid));
		EXPECT_EQ(pattern_byte(seed, MSG - 1), buf[MSG - 1]);
	}
	EXPECT_EQ(p0, stat_get(self->stats, "read_polls"));

	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	ASSERT_EQ(1, write(fd, "?", 1));
	EXPECT_EQ(-1, read(fd, buf, MSG));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_EQ(p0, stat_get(self->stats, "read_polls"));
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	ASSERT_EQ(0, hostctl(reply, sizeof(reply), "recv %s 1 2000", HOSTID));

	ASSERT_EQ(0, write_str(READ_POLL_US, "0"));
	EXPECT_EQ(20, echo_exchanges(fd, 20));
	EXPECT_EQ(p0, stat_get(self->stats, "read_polls"));
	close(fd);
}

/* Control counters: well-formed traffic only; open/close send two. */
TEST_F(port, control_counters)
{
	char *slash = strrchr(self->stats, '/');
	long long out0;
	int fd;

	/* Several devices: take the folder that holds our port. */
	ASSERT_NE(NULL, slash);
	snprintf(slash + 1, sizeof(self->stats) - (slash + 1 - self->stats),
		 "control");
	EXPECT_LT(0, stat_get(self->stats, "messages_in"));
	EXPECT_EQ(0, stat_get(self->stats, "rejected"));
	EXPECT_EQ(0, stat_get(self->stats, "send_failed"));
	EXPECT_EQ(1, stat_get(self->stats, "multiport"));
	EXPECT_EQ(4, stat_get(self->stats, "max_ports"));
	out0 = stat_get(self->stats, "messages_out");
	fd = open(PORT1, O_RDWR);
	ASSERT_LE(0, fd);
	close(fd);
	EXPECT_EQ(out0 + 2, stat_get(self->stats, "messages_out"));
}

/* Whether the trace buffer holds "@event: port=@vport". */
static int traced(const char *event, const char *vport)
{
	char line[512], want[128];
	int found = 0;
	FILE *f = fopen(TRACEFS "/trace", "r");

	if (!f)
		return 0;
	snprintf(want, sizeof(want), "%s: port=%s", event, vport);
	while (!found && fgets(line, sizeof(line), f))
		found = !!strstr(line, want);
	fclose(f);
	return found;
}

static const char * const events[] = {
	"vser_port_add", "vser_port_remove", "vser_port_open",
	"vser_port_close", "vser_host_connect", "vser_host_disconnect",
};

TEST(tracepoints)
{
	char path[256], vport[64], newport[64];
	unsigned int i;
	int fd;

	ASSERT_EQ(0, ensure_mounted("tracefs", TRACEFS, TRACEFS "/events"));
	for (i = 0; i < ARRAY_SIZE(events); i++) {
		snprintf(path, sizeof(path), EVENTS "/%s/enable", events[i]);
		EXPECT_EQ(0, access(path, F_OK)) TH_LOG("%s missing", path);
	}
	ASSERT_EQ(0, vport_name(PORT1, vport, sizeof(vport)));
	ASSERT_EQ(0, write_str(TRACEFS "/trace", ""));
	ASSERT_EQ(0, write_str(EVENTS "/enable", "1"));

	fd = open(PORT1, O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, host("connect %s", HOSTID));
	ASSERT_EQ(0, wait_revents(fd, POLLHUP, 0));
	ASSERT_EQ(0, host("disconnect %s", HOSTID));
	ASSERT_EQ(0, wait_revents(fd, POLLHUP, 1));
	close(fd);
	EXPECT_TRUE(traced("vser_port_open", vport));
	EXPECT_TRUE(traced("vser_host_connect", vport));
	EXPECT_TRUE(traced("vser_host_disconnect", vport));
	EXPECT_TRUE(traced("vser_port_close", vport));

	/* Plug a port in and out: add and remove fire, with its stats file. */
	ASSERT_EQ(0, hostctl(reply, sizeof(reply),
			     "qmp {\"execute\": \"chardev-add\", \"arguments\": {%s, %s}}",
			     "\"id\": \"ch-st\"",
			     "\"backend\": {\"type\": \"null\", \"data\": {}}"))
		TH_LOG("%s", reply);
	ASSERT_EQ(0, hostctl(reply, sizeof(reply),
			     "qmp {\"execute\": \"device_add\", \"arguments\": {%s, %s, %s}}",
			     "\"driver\": \"virtserialport\", \"bus\": \"vser0.0\"",
			     "\"nr\": 3, \"chardev\": \"ch-st\", \"id\": \"st\"",
			     "\"name\": \"org.pvguest.stats.0\""))
		TH_LOG("%s", reply);
	ASSERT_EQ(0, wait_path("/dev/virtio-ports/org.pvguest.stats.0", 1,
			       20000));
	ASSERT_EQ(0, vport_name("/dev/virtio-ports/org.pvguest.stats.0",
				newport, sizeof(newport)));
	EXPECT_TRUE(traced("vser_port_add", newport));
	EXPECT_EQ(0, stats_path(newport, path, sizeof(path)));
	ASSERT_EQ(0, hostctl(reply, sizeof(reply),
			     "qmp {\"execute\": \"device_del\", \"arguments\": {\"id\": \"st\"}}"))
		TH_LOG("%s", reply);
	EXPECT_EQ(0, hostctl(reply, sizeof(reply),
			     "event DEVICE_DELETED 20000 {\"device\": \"st\"}"))
		TH_LOG("%s", reply);
	EXPECT_EQ(0, wait_path("/dev/virtio-ports/org.pvguest.stats.0", 0,
			       20000));
	EXPECT_TRUE(traced("vser_port_remove", newport));
	EXPECT_NE(0, stats_path(newport, path, sizeof(path)));
	hostctl(reply, sizeof(reply),
		"qmp {\"execute\": \"chardev-remove\", \"arguments\": {\"id\": \"ch-st\"}}");
	write_str(EVENTS "/enable", "0");
}

TEST_HARNESS_MAIN
