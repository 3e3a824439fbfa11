// SPDX-License-Identifier: GPL-2.0
/*
 * Guest side of the host-control handshake over ttyS2.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "hostctl.h"

#define HOSTCTL_TTY "/dev/ttyS2"
#define HOSTCTL_REPLY_MS 120000

static int hostctl_fd = -1;

static int hostctl_open(void)
{
	struct termios tio;

	if (hostctl_fd >= 0)
		return 0;
	hostctl_fd = open(HOSTCTL_TTY, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (hostctl_fd < 0)
		return -1;
	if (tcgetattr(hostctl_fd, &tio) == 0) {
		cfmakeraw(&tio);
		tcsetattr(hostctl_fd, TCSANOW, &tio);
	}
	tcflush(hostctl_fd, TCIFLUSH);
	return 0;
}

/*
 * write() (@wr true) or read() all @len bytes at @p, retrying short
 * transfers and EINTR; 0, or -1 on an error or end of file.
 */
static int io_full(int fd, char *p, size_t len, int wr)
{
	while (len) {
		ssize_t n = wr ? write(fd, p, len) : read(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

int write_full(int fd, const void *buf, size_t len)
{
	/* write() only reads @buf. */
	return io_full(fd, (char *)buf, len, 1);
}

int read_full(int fd, void *buf, size_t len)
{
	return io_full(fd, buf, len, 0);
}

int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_TRUNC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, s, strlen(s));
	close(fd);
	return n == (ssize_t)strlen(s) ? 0 : -1;
}

/* Read one reply line into line[size]; -1 on timeout or error. */
static int read_line(char *line, size_t size)
{
	struct pollfd pfd = { .fd = hostctl_fd, .events = POLLIN };
	size_t used = 0;
	char c;

	for (;;) {
		int r = poll(&pfd, 1, HOSTCTL_REPLY_MS);
		ssize_t n;

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		n = read(hostctl_fd, &c, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		if (c == '\n')
			break;
		if (c != '\r' && used + 1 < size)
			line[used++] = c;
	}
	line[used] = '\0';
	return 0;
}

int hostctl(char *reply, size_t len, const char *fmt, ...)
{
	static char line[1 << 17];
	va_list ap;
	int n;

	if (hostctl_open())
		return -1;
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line) - 1)
		return -1;
	line[n++] = '\n';
	if (write_full(hostctl_fd, line, n) || read_line(line, sizeof(line)))
		return -1;
	if (reply && len) {
		const char *data = line;

		if (!strncmp(data, "ok", 2))
			data += data[2] == ' ' ? 3 : 2;
		snprintf(reply, len, "%s", data);
	}
	return strncmp(line, "ok", 2) ? -1 : 0;
}

int wait_path(const char *path, int exists, int ms)
{
	struct timespec ts = { .tv_nsec = 20 * 1000 * 1000 };

	for (; ms > 0; ms -= 20) {
		if ((access(path, F_OK) == 0) == !!exists)
			return 0;
		nanosleep(&ts, NULL);
	}
	return (access(path, F_OK) == 0) == !!exists ? 0 : -1;
}
