/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest side of the host-control handshake: a test program asks the host
 * to act (connect a port's socket, send data, hot-unplug a device) over
 * ttyS2, a UART the code under test never touches.  The requests are listed
 * in selftests/pvtest/hostctl.py.
 */
#ifndef PVGUEST_HOSTCTL_H
#define PVGUEST_HOSTCTL_H

#include <stddef.h>
#include <stdint.h>

#include "kselftest.h"

/**
 * hostctl() - send one request to the host and wait for its reply.
 * @reply: where the data after "ok " (or the error text) goes; may be NULL
 * @len:   size of @reply
 * @fmt:   printf format of the request line, without the newline
 *
 * Return: 0 when the host answered "ok", -1 otherwise (@reply then holds
 * the host's message).
 */
__printf(3, 4) int hostctl(char *reply, size_t len, const char *fmt, ...);

/**
 * pattern_byte() - one byte of the test stream
 * @seed: the stream's seed
 * @i:    offset of the byte in the stream
 *
 * The host's pattern() makes the same stream.
 *
 * Return: byte @i of the stream with seed @seed.
 */
static inline uint8_t pattern_byte(unsigned int seed, size_t i)
{
	return (uint8_t)(seed + i * 7 + (i >> 8));
}

/**
 * wait_path() - wait for a file to appear or to go
 * @path:   the file
 * @exists: true to wait for @path to exist, false for it to be gone
 * @ms:     how long to wait, in milliseconds
 *
 * Return: 0 when it did, -1 on timeout.
 */
int wait_path(const char *path, int exists, int ms);

/**
 * read_full() - read an exact number of bytes
 * @fd:  the file to read
 * @buf: where the bytes go
 * @len: how many to read
 *
 * Reads exactly @len bytes from @fd, retrying short reads and EINTR.
 *
 * Return: 0, or -1 on error or end of file.
 */
int read_full(int fd, void *buf, size_t len);

/**
 * write_full() - write a whole buffer
 * @fd:  the file to write
 * @buf: the bytes
 * @len: how many to write
 *
 * Writes all @len bytes to @fd, retrying short writes and EINTR.
 *
 * Return: 0, or -1 on error.
 */
int write_full(int fd, const void *buf, size_t len);

/**
 * write_str() - write a string to a file, as the shell's ">" does
 * @path: the file, opened with O_TRUNC (on a tracefs trace file that
 *        clears the buffer)
 * @s:    the string
 *
 * Return: 0 when all of @s was written, -1 otherwise.
 */
int write_str(const char *path, const char *s);

#endif
