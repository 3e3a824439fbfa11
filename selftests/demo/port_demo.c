// SPDX-License-Identifier: GPL-2.0
/*
 * The guest half of the virtio-serial part of `make demo`: a guest process
 * and a host process talk through a named port, and the guest is told of
 * each host event by SIGIO.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hostctl.h"

static const char *const codes[] = {
	[POLL_IN] = "POLL_IN", [POLL_OUT] = "POLL_OUT", [POLL_MSG] = "POLL_MSG",
	[POLL_ERR] = "POLL_ERR", [POLL_PRI] = "POLL_PRI", [POLL_HUP] = "POLL_HUP",
};

static sigset_t sigio;

/* Report the SIGIOs that arrive within ms milliseconds. */
static int show_sigio(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	siginfo_t si;
	int n = 0;

	while (sigtimedwait(&sigio, &si, &ts) == SIGIO) {
		int c = si.si_code;

		printf("  guest: SIGIO, si_code %s, si_band %#lx\n",
		       c > 0 && c <= POLL_HUP ? codes[c] : "(not POLL_*)",
		       (unsigned long)si.si_band);
		n++;
		ts.tv_sec = 0;
		ts.tv_nsec = 200 * 1000000L;
	}
	if (!n)
		printf("  guest: no SIGIO\n");
	return n;
}

static void show_poll(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN | POLLOUT };

	poll(&pfd, 1, 0);
	printf("  guest: poll says%s%s%s\n", pfd.revents & POLLIN ? " IN" : "",
	       pfd.revents & POLLOUT ? " OUT" : "",
	       pfd.revents & POLLHUP ? " HUP (host not connected)" : "");
}

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] :
			   "/dev/virtio-ports/org.pvguest.demo.0";
	const char *hello = "hello from the guest\n";
	char reply[512], text[256];
	ssize_t n;
	int fd, i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	sigemptyset(&sigio);
	sigaddset(&sigio, SIGIO);
	sigprocmask(SIG_BLOCK, &sigio, NULL);
	if (wait_path(path, 1, 10000)) {
		printf("  guest: %s did not appear\n", path);
		return 1;
	}
	fd = open(path, O_RDWR | O_NONBLOCK);
	if (fd < 0) {
		printf("  guest: open %s: %s\n", path, strerror(errno));
		return 1;
	}
	fcntl(fd, F_SETOWN, getpid());
	fcntl(fd, F_SETSIG, SIGIO);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_ASYNC);
	printf("  guest: opened %s with O_ASYNC\n", path);
	show_poll(fd);

	printf("  host:  connects to the port's socket\n");
	if (hostctl(reply, sizeof(reply), "connect demo"))
		goto host_failed;
	show_sigio(3000);
	show_poll(fd);

	printf("  host:  sends \"hello from the host\"\n");
	if (hostctl(reply, sizeof(reply), "send demo %s",
		    "68656c6c6f2066726f6d2074686520686f73740a"))
		goto host_failed;
	show_sigio(3000);
	n = read(fd, text, sizeof(text) - 1);
	text[n > 0 ? n : 0] = '\0';
	printf("  guest: read %zd bytes: %s", n, n > 0 ? text : "\n");

	printf("  guest: writes \"%.*s\"\n", (int)strlen(hello) - 1, hello);
	if (write(fd, hello, strlen(hello)) < 0)
		printf("  guest: write: %s\n", strerror(errno));
	if (hostctl(reply, sizeof(reply), "recv demo 64 5000"))
		goto host_failed;
	for (i = 0; i < 255; i++)
		if (sscanf(reply + 2 * i, "%2hhx", (unsigned char *)&text[i]) != 1)
			break;
	text[i] = '\0';
	printf("  host:  received %d bytes: %s", i, text);

	printf("  host:  disconnects\n");
	if (hostctl(reply, sizeof(reply), "disconnect demo"))
		goto host_failed;
	show_sigio(3000);
	show_poll(fd);
	close(fd);
	return 0;

host_failed:
	printf("  host:  request failed: %s\n", reply);
	return 1;
}
