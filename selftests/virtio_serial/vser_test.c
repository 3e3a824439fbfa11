// SPDX-License-Identifier: GPL-2.0
/*
 * virtio_serial against real QEMU: names and links, data both ways,
 * blocking and non-blocking semantics, poll, SIGIO codes, PORT_OPEN seen
 * by QEMU, one opener, module refcount, and hot-unplug of a port and of a
 * controller with readers blocked, and a port plugged in again.
 * Machine: selftests/pvtest/suites.py
 * (virtio_serial.io).  The tests run in order: the unplugs come last.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "hostctl.h"
#include "kmod.h"
#include "vport.h"

#define PORT0 "/dev/virtio-ports/org.pvguest.test.0"
#define PORT1 "/dev/virtio-ports/org.pvguest.test.1"
#define UNPLUG0 "/dev/virtio-ports/org.pvguest.unplug.0"
/* The issue asks for at least 64 MiB each way. */
#define XFER (64 << 20)

static char reply[4096];

static int host(const char *fmt, const char *port)
{
	return hostctl(reply, sizeof(reply), fmt, port);
}

static int port_event(const char *id, int open)
{
	return hostctl(reply, sizeof(reply),
		       "event VSERPORT_CHANGE 10000 {\"id\": \"%s\", \"open\": %s}",
		       id, open ? "true" : "false");
}

/*
 * Forget the VSERPORT_CHANGE events earlier tests left behind, so that a
 * test waiting for one sees only its own.  Waits for in-flight ones first.
 */
static void drain_port_events(void)
{
	usleep(200000);
	hostctl(reply, sizeof(reply), "drain VSERPORT_CHANGE");
}

static int unplug_device(const char *id)
{
	return hostctl(reply, sizeof(reply),
		       "qmp {\"execute\": \"device_del\", \"arguments\": {\"id\": \"%s\"}}",
		       id);
}

/* The /dev node of the port called @name, from sysfs; 0 if found. */
static int find_by_name(const char *name, char *dev, size_t len)
{
	char got[300];
	struct dirent *de;
	int ret = -1;
	DIR *dir;

	dir = opendir("/sys/class/virtio-ports");
	if (!dir)
		return -1;
	while (ret && (de = readdir(dir))) {
		if (vport_attr(de->d_name, "name", got, sizeof(got)))
			continue;
		got[strcspn(got, "\n")] = '\0';
		if (!strcmp(got, name)) {
			snprintf(dev, len, "/dev/%s", de->d_name);
			ret = 0;
		}
	}
	closedir(dir);
	return ret;
}

/* QMP device_add of a virtserialport; the reply is in @reply. */
static int add_port(const char *bus, int nr, const char *chardev,
		    const char *id, const char *name)
{
	char args[512];
	int len;

	len = snprintf(args, sizeof(args),
		       "{\"driver\": \"virtserialport\", \"bus\": \"%s\", ",
		       bus);
	snprintf(args + len, sizeof(args) - len,
		 "\"nr\": %d, \"chardev\": \"%s\", \"id\": \"%s\", \"name\": \"%s\"}",
		 nr, chardev, id, name);
	return hostctl(reply, sizeof(reply),
		       "qmp {\"execute\": \"device_add\", \"arguments\": %s}",
		       args);
}

/* Attribute @attr of the port that @link points at; "" if none. */
static void sysfs_attr(const char *link, const char *attr, char *out,
		       size_t len)
{
	char vport[64];

	out[0] = '\0';
	if (!vport_name(link, vport, sizeof(vport)))
		vport_attr(vport, attr, out, len);
}

static int sigio_wait(siginfo_t *si, int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGIO);
	return sigtimedwait(&set, si, &ts);
}

/* Wait for a queued SIGRTMIN with @code, skipping others; 0 if seen. */
static int rt_wait_code(int code, int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	siginfo_t si;
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGRTMIN);
	while (sigtimedwait(&set, &si, &ts) > 0)
		if (si.si_code == code)
			return 0;
	return -1;
}

static void sigio_flush(void)
{
	siginfo_t si;

	while (sigio_wait(&si, 0) > 0)
		;
}

static int open_async(const char *path)
{
	int fd = open(path, O_RDWR | O_NONBLOCK);

	if (fd < 0)
		return fd;
	fcntl(fd, F_SETOWN, getpid());
	fcntl(fd, F_SETSIG, SIGIO);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_ASYNC);
	return fd;
}

TEST(names_and_links)
{
	char buf[256];

	ASSERT_EQ(0, wait_path(PORT0, 1, 10000));
	ASSERT_EQ(0, wait_path(PORT1, 1, 10000));
	ASSERT_EQ(0, wait_path(UNPLUG0, 1, 10000));
	sysfs_attr(PORT0, "name", buf, sizeof(buf));
	EXPECT_STREQ("org.pvguest.test.0\n", buf);
	sysfs_attr(PORT0, "host_connected", buf, sizeof(buf));
	EXPECT_STREQ("0\n", buf);
	ASSERT_EQ(0, host("connect %s", "p1"));
	usleep(300000);
	sysfs_attr(PORT0, "host_connected", buf, sizeof(buf));
	EXPECT_STREQ("1\n", buf);
	ASSERT_EQ(0, host("disconnect %s", "p1"));
}

TEST(open_close_events_and_ebusy)
{
	int fd, fd2;

	drain_port_events();
	fd = open(PORT0, O_RDWR);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, port_event("p1", 1)) TH_LOG("%s", reply);
	fd2 = open(PORT0, O_RDWR);
	EXPECT_EQ(-1, fd2);
	EXPECT_EQ(EBUSY, errno);
	close(fd);
	EXPECT_EQ(0, port_event("p1", 0)) TH_LOG("%s", reply);
	/* Free again once closed. */
	fd = open(PORT0, O_RDWR);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, port_event("p1", 1)) TH_LOG("%s", reply);
	close(fd);
	EXPECT_EQ(0, port_event("p1", 0)) TH_LOG("%s", reply);
}

/*
 * Open and close in a loop: every open succeeds (the last release is
 * complete), and the host's view ends closed, then follows one more
 * open and close in order.
 */
TEST(open_close_loop)
{
	int i, fd, failed = 0;

	for (i = 0; i < 500; i++) {
		fd = open(PORT0, O_RDWR | O_NONBLOCK);
		if (fd < 0) {
			failed++;
			continue;
		}
		close(fd);
	}
	EXPECT_EQ(0, failed);
	drain_port_events();
	fd = open(PORT0, O_RDWR);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, port_event("p1", 1)) TH_LOG("%s", reply);
	close(fd);
	EXPECT_EQ(0, port_event("p1", 0)) TH_LOG("%s", reply);
}

TEST(read_semantics)
{
	char buf[16];
	int fd;

	fd = open(PORT0, O_RDWR | O_NONBLOCK);
	ASSERT_LE(0, fd);
	/* Host not connected, nothing queued: EOF. */
	EXPECT_EQ(0, read(fd, buf, sizeof(buf)));
	ASSERT_EQ(0, host("connect %s", "p1"));
	ASSERT_EQ(0, wait_revents(fd, POLLHUP, 0));
	EXPECT_EQ(-1, read(fd, buf, sizeof(buf)));
	EXPECT_EQ(EAGAIN, errno);
	/* Data written before a disconnect can still be read, then EOF. */
	ASSERT_EQ(0, hostctl(reply, sizeof(reply), "send p1 616263"));
	ASSERT_EQ(0, wait_revents(fd, POLLIN, 1));
	ASSERT_EQ(0, host("disconnect %s", "p1"));
	ASSERT_EQ(0, wait_revents(fd, POLLHUP, 1));
	EXPECT_EQ(3, read(fd, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "abc", 3));
	EXPECT_EQ(0, read(fd, buf, sizeof(buf)));
	close(fd);
}

TEST(poll_bits)
{
	struct pollfd pfd = { .events = POLLIN | POLLOUT | POLLRDHUP };

	pfd.fd = open(PORT0, O_RDWR | O_NONBLOCK);
	ASSERT_LE(0, pfd.fd);
	ASSERT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_EQ(POLLIN | POLLHUP | POLLRDHUP, pfd.revents);
	ASSERT_EQ(0, host("connect %s", "p1"));
	ASSERT_EQ(0, wait_revents(pfd.fd, POLLHUP, 0));
	ASSERT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_EQ(POLLOUT, pfd.revents);
	/* Wait for data alone: POLLOUT must not end this poll. */
	pfd.events = POLLIN;
	ASSERT_EQ(0, hostctl(reply, sizeof(reply), "send p1 00"));
	ASSERT_EQ(1, poll(&pfd, 1, 5000));
	EXPECT_EQ(POLLIN, pfd.revents);
	pfd.events = POLLIN | POLLOUT | POLLRDHUP;
	ASSERT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_EQ(POLLIN | POLLOUT, pfd.revents);
	ASSERT_EQ(0, host("disconnect %s", "p1"));
	close(pfd.fd);
}

TEST(host_to_guest_readv)
{
	unsigned char *buf = malloc(XFER);
	struct iovec iov[2];
	size_t got = 0, i;
	int fd, status;
	pid_t pid;

	ASSERT_NE(NULL, buf);
	fd = open(PORT0, O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, host("connect %s", "p1"));
	/* The host sends while we read: the request waits for the end. */
	pid = fork();
	if (pid == 0)
		_exit(hostctl(reply, sizeof(reply), "sendpat p1 %d 3", XFER) ?
		      1 : 0);
	while (got < XFER) {
		size_t left = XFER - got;
		ssize_t n;

		iov[0].iov_base = buf + got;
		iov[0].iov_len = left / 2;
		iov[1].iov_base = buf + got + left / 2;
		iov[1].iov_len = left - left / 2;
		n = readv(fd, iov, left > 1 ? 2 : 1);
		if (n <= 0)
			break;
		got += n;
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, status);
	ASSERT_EQ(XFER, got);
	for (i = 0; i < XFER; i++)
		if (buf[i] != pattern_byte(3, i))
			break;
	EXPECT_EQ(XFER, i);
	EXPECT_EQ(0, host("disconnect %s", "p1"));
	close(fd);
	free(buf);
}

/*
 * The host reads @len bytes of pattern @seed from p1 within @ms while
 * child @pid writes them; the child must succeed too.
 */
static void host_takes_pattern(struct __test_metadata *_metadata, pid_t pid,
			       int seed, int len, int ms)
{
	int status;

	EXPECT_EQ(0, hostctl(reply, sizeof(reply), "recvpat p1 %d %d %d", len,
			     seed, ms))
		TH_LOG("%s", reply);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, status);
}

TEST(guest_to_host_writev)
{
	unsigned char *buf = malloc(XFER);
	size_t i;
	pid_t pid;
	int fd;

	ASSERT_NE(NULL, buf);
	for (i = 0; i < XFER; i++)
		buf[i] = pattern_byte(11, i);
	fd = open(PORT0, O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, host("connect %s", "p1"));
	ASSERT_EQ(0, wait_revents(fd, POLLHUP, 0));
	pid = fork();
	if (pid == 0) {
		size_t off = 0;

		while (off < XFER) {
			struct iovec iov[2] = {
				{ buf + off, 1000 },
				{ buf + off + 1000, 99000 },
			};
			size_t want = XFER - off < 100000 ? XFER - off : 100000;
			ssize_t n;

			if (want < 100000) {
				iov[0].iov_len = want;
				n = writev(fd, iov, 1);
			} else {
				n = writev(fd, iov, 2);
			}
			if (n <= 0)
				_exit(1);
			off += n;
		}
		_exit(0);
	}
	host_takes_pattern(_metadata, pid, 11, XFER, 120000);
	EXPECT_EQ(0, host("disconnect %s", "p1"));
	close(fd);
	free(buf);
}

#define SPLICE_XFER (4 << 20)
#define SPLICE_PIPE 65536

/*
 * splice() from the port into a pipe (kernels with copy_splice_read(),
 * 6.5 on), and from a pipe into the port.
 */
TEST(splice_both_ways)
{
	unsigned char *buf = malloc(SPLICE_XFER);
	int fd, status, p[2], err = 0;
	size_t got = 0, i;
	ssize_t n;
	pid_t pid;

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, pipe(p));
	ASSERT_EQ(SPLICE_PIPE, fcntl(p[1], F_SETPIPE_SZ, SPLICE_PIPE));
	fd = open(PORT0, O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, host("connect %s", "p1"));
	ASSERT_EQ(0, wait_revents(fd, POLLHUP, 0));

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(hostctl(reply, sizeof(reply), "sendpat p1 %d 5",
			      SPLICE_XFER) ? 1 : 0);
	while (got < SPLICE_XFER) {
		n = splice(fd, NULL, p[1], NULL, SPLICE_PIPE, 0);
		if (n <= 0) {
			err = n ? errno : 0;
			break;
		}
		/* Empty the pipe before the next splice. */
		for (i = 0; i < (size_t)n; ) {
			ssize_t r = read(p[0], buf + got + i, n - i);

			if (r <= 0)
				break;
			i += r;
		}
		if (i != (size_t)n)
			break;
		got += n;
	}
	if (got < SPLICE_XFER)
		kill(pid, SIGKILL);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	if (err == EINVAL && !got) {
		host("disconnect %s", "p1");
		SKIP(return, "no splice from a port on this kernel (before 6.5)");
	}
	EXPECT_EQ(0, status);
	ASSERT_EQ(SPLICE_XFER, got) TH_LOG("splice from the port: %s",
					   strerror(err));
	for (i = 0; i < SPLICE_XFER; i++)
		if (buf[i] != pattern_byte(5, i))
			break;
	EXPECT_EQ(SPLICE_XFER, i);

	for (i = 0; i < SPLICE_XFER; i++)
		buf[i] = pattern_byte(13, i);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		size_t off = 0;

		while (off < SPLICE_XFER) {
			n = write(p[1], buf + off, SPLICE_PIPE);
			if (n <= 0 || splice(p[0], NULL, fd, NULL, n, 0) != n)
				_exit(1);
			off += n;
		}
		_exit(0);
	}
	host_takes_pattern(_metadata, pid, 13, SPLICE_XFER, 60000);
	EXPECT_EQ(0, host("disconnect %s", "p1"));
	close(fd);
	close(p[0]);
	close(p[1]);
	free(buf);
}

/* Writes wait (or -EAGAIN) while the host is not connected. */
TEST(write_while_host_disconnected)
{
	struct pollfd pfd = { .events = POLLOUT };
	char c = 'x';
	int fd;

	fd = open(PORT0, O_RDWR | O_NONBLOCK);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, write(fd, &c, 1));
	EXPECT_EQ(EAGAIN, errno);
	pfd.fd = fd;
	EXPECT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_FALSE(pfd.revents & POLLOUT);
	close(fd);
}

TEST(sigio_codes)
{
	static unsigned char chunk[65536];
	size_t total = 0, i;
	siginfo_t si;
	sigset_t set;
	ssize_t n;
	int fd;

	sigemptyset(&set);
	sigaddset(&set, SIGIO);
	sigprocmask(SIG_BLOCK, &set, NULL);
	fd = open_async(PORT0);
	ASSERT_LE(0, fd);
	sigio_flush();

	/* Host connects: POLL_OUT. */
	ASSERT_EQ(0, host("connect %s", "p1"));
	ASSERT_EQ(SIGIO, sigio_wait(&si, 5000));
	EXPECT_EQ(POLL_OUT, si.si_code);
	EXPECT_TRUE(si.si_band & POLLOUT);
	EXPECT_EQ(fd, si.si_fd);

	/* Data arrives: POLL_IN. */
	ASSERT_EQ(0, hostctl(reply, sizeof(reply), "send p1 0102"));
	ASSERT_EQ(SIGIO, sigio_wait(&si, 5000));
	EXPECT_EQ(POLL_IN, si.si_code);
	EXPECT_TRUE(si.si_band & POLLIN);
	EXPECT_EQ(2, read(fd, chunk, sizeof(chunk)));
	sigio_flush();

	/* Fill the queue (the host does not read), then drain: POLL_OUT. */
	for (i = 0; i < 64 * 1024 * 1024; i++) {
		size_t j;

		for (j = 0; j < sizeof(chunk); j++)
			chunk[j] = pattern_byte(5, total + j);
		n = write(fd, chunk, sizeof(chunk));
		if (n < 0)
			break;
		total += n;
	}
	ASSERT_EQ(EAGAIN, errno);
	sigio_flush();
	EXPECT_EQ(0, hostctl(reply, sizeof(reply), "recvpat p1 %zu 5 60000",
			     total))
		TH_LOG("%s", reply);
	ASSERT_EQ(SIGIO, sigio_wait(&si, 5000));
	EXPECT_EQ(POLL_OUT, si.si_code);
	EXPECT_TRUE(si.si_band & POLLOUT);
	sigio_flush();

	/* Host disconnects: POLL_HUP. */
	ASSERT_EQ(0, host("disconnect %s", "p1"));
	ASSERT_EQ(SIGIO, sigio_wait(&si, 5000));
	EXPECT_EQ(POLL_HUP, si.si_code);
	EXPECT_TRUE(si.si_band & POLLHUP);
	close(fd);
}

TEST(module_busy_while_open)
{
	int fd;

	if (kmod_builtin("virtio_serial"))
		SKIP(return, "virtio_serial is built in: no module to hold");
	fd = open(PORT0, O_RDWR);
	ASSERT_LE(0, fd);
	EXPECT_NE(0, system("rmmod virtio_serial 2>/dev/null"));
	EXPECT_EQ(0, access("/sys/module/virtio_serial", F_OK));
	close(fd);
}

struct blocked {
	int fd;
	ssize_t ret;
	int err;
	short revents;
};

static void *blocked_read(void *arg)
{
	struct blocked *b = arg;
	char c;

	b->ret = read(b->fd, &c, 1);
	b->err = errno;
	return NULL;
}

/* Write until a write fails: the queue fills and the last one blocks. */
static void *blocked_write(void *arg)
{
	static char chunk[65536];
	struct blocked *b = arg;

	while ((b->ret = write(b->fd, chunk, sizeof(chunk))) > 0)
		;
	b->err = errno;
	return NULL;
}

static void *blocked_poll(void *arg)
{
	struct blocked *b = arg;
	struct pollfd pfd = { .fd = b->fd, .events = POLLIN };

	b->ret = poll(&pfd, 1, 60000);
	b->revents = pfd.revents;
	return NULL;
}

/*
 * Fill the transmit queue of @fd (O_NONBLOCK; the host does not read)
 * until it stays full: QEMU goes on taking data until its socket buffer
 * is full too.  Return: bytes written, 0 on an error other than EAGAIN.
 */
static size_t fill_queue(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	static char chunk[65536];
	size_t total = 0;
	ssize_t n;

	for (;;) {
		n = write(fd, chunk, sizeof(chunk));
		if (n > 0) {
			total += n;
			continue;
		}
		if (n == 0 || errno != EAGAIN)
			return 0;
		if (poll(&pfd, 1, 1000) == 0)
			return total;
	}
}

/*
 * Unplug @dev while a reader blocks in read(), a writer in write() on a
 * full queue, and a third thread in poll().
 */
static void unplug_blocked(struct __test_metadata *_metadata,
			   const char *path, const char *port,
			   const char *dev)
{
	struct blocked r = { 0 }, w = { 0 }, p = { 0 };
	pthread_t rt, wt, pt;
	sigset_t set;
	char c;
	int fd;

	/*
	 * A queued signal: with plain SIGIO a POLL_OUT still pending (QEMU
	 * took more data) would swallow the POLL_ERR.
	 */
	sigemptyset(&set);
	sigaddset(&set, SIGRTMIN);
	sigprocmask(SIG_BLOCK, &set, NULL);
	fd = open_async(path);
	ASSERT_LE(0, fd);
	fcntl(fd, F_SETSIG, SIGRTMIN);
	ASSERT_EQ(0, host("connect %s", port));
	ASSERT_EQ(0, wait_revents(fd, POLLHUP, 0));
	ASSERT_LT(0, fill_queue(fd));
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	sigio_flush();
	r.fd = fd;
	w.fd = fd;
	p.fd = fd;
	ASSERT_EQ(0, pthread_create(&rt, NULL, blocked_read, &r));
	ASSERT_EQ(0, pthread_create(&wt, NULL, blocked_write, &w));
	ASSERT_EQ(0, pthread_create(&pt, NULL, blocked_poll, &p));
	usleep(300000);
	ASSERT_EQ(0, unplug_device(dev)) TH_LOG("%s", reply);
	pthread_join(rt, NULL);
	pthread_join(wt, NULL);
	pthread_join(pt, NULL);
	EXPECT_EQ(-1, r.ret);
	EXPECT_EQ(ENODEV, r.err);
	/* The blocked write failed, having queued nothing. */
	EXPECT_EQ(-1, w.ret);
	EXPECT_EQ(ENODEV, w.err);
	EXPECT_EQ(1, p.ret);
	EXPECT_EQ(POLLHUP | POLLERR, p.revents);
	/* A signal said so, with POLL_ERR. */
	ASSERT_EQ(0, rt_wait_code(POLL_ERR, 5000));
	EXPECT_EQ(-1, read(fd, &c, 1));
	EXPECT_EQ(ENODEV, errno);
	EXPECT_EQ(-1, write(fd, &c, 1));
	EXPECT_EQ(ENODEV, errno);
	EXPECT_EQ(0, wait_path(path, 0, 20000));
	host("disconnect %s", port);
	close(fd);
}

TEST(unplug_port_with_blocked_reader)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGIO);
	sigprocmask(SIG_BLOCK, &set, NULL);
	ASSERT_EQ(0, wait_path(PORT1, 1, 10000));
	drain_port_events();
	unplug_blocked(_metadata, PORT1, "p2", "p2");
	EXPECT_EQ(0, hostctl(reply, sizeof(reply),
			     "event DEVICE_DELETED 20000 {\"device\": \"p2\"}"))
		TH_LOG("%s", reply);
	EXPECT_EQ(0, access(PORT0, F_OK));
}

/*
 * Plug the unplugged port in again with the same number: the new port
 * takes over the buffers the old one left on its queues, and moves data.
 */
TEST(replug_port)
{
	char buf[16], dev[300];
	int i, fd = -1;

	ASSERT_EQ(0, add_port("vser0.0", 2, "ch-p2", "p2b",
			      "org.pvguest.test.1")) TH_LOG("%s", reply);
	/*
	 * Open the char device, not the link: the uevent helper of the old
	 * port's removal may run after the new link is made, and remove it
	 * (both point at the same vport name).
	 */
	for (i = 0; i < 200 && fd < 0; i++) {
		if (!find_by_name("org.pvguest.test.1", dev, sizeof(dev)))
			fd = open(dev, O_RDWR);
		if (fd < 0)
			usleep(100000);
	}
	ASSERT_LE(0, fd) TH_LOG("open: %s", strerror(errno));
	ASSERT_EQ(0, host("connect %s", "p2"));
	ASSERT_EQ(0, wait_revents(fd, POLLHUP, 0));
	ASSERT_EQ(0, hostctl(reply, sizeof(reply), "send p2 78797a"));
	EXPECT_EQ(3, read(fd, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "xyz", 3));
	EXPECT_EQ(2, write(fd, "ok", 2));
	EXPECT_EQ(0, hostctl(reply, sizeof(reply), "recv p2 2 10000"));
	EXPECT_STREQ("6f6b", reply);
	host("disconnect %s", "p2");
	close(fd);
}

TEST(unplug_controller_with_blocked_reader)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGIO);
	sigprocmask(SIG_BLOCK, &set, NULL);
	ASSERT_EQ(0, wait_path(UNPLUG0, 1, 10000));
	unplug_blocked(_metadata, UNPLUG0, "q1", "vser1");
	EXPECT_EQ(0, hostctl(reply, sizeof(reply),
			     "event DEVICE_DELETED 60000 {\"device\": \"vser1\"}"))
		TH_LOG("%s", reply);
	EXPECT_EQ(0, access(PORT0, F_OK));
}

TEST_HARNESS_MAIN
