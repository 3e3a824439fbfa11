/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest-side helpers for the virtio_serial tests: find a port's sysfs
 * attributes, poll a port until the host connects or disconnects, and move
 * a tagged byte each way through a port and its host socket (with
 * hostctl.h).
 */
#ifndef PVGUEST_VPORT_H
#define PVGUEST_VPORT_H

#include <stddef.h>

/**
 * vport_name() - the class device name behind a /dev/virtio-ports link
 * @link: the /dev/virtio-ports link
 * @out:  receives the class device name (vport<d>p<n>) @link points at
 * @len:  size of @out
 *
 * The guest's uevent helper remakes the link on each uevent (a
 * host_connected change sends one): retry for up to 2 s while it is
 * briefly gone.
 *
 * Return: 0, or -1 when the link stays missing or the name does not fit
 * in @len bytes.
 */
int vport_name(const char *link, char *out, size_t len);

/**
 * vport_attr() - read a port's sysfs attribute
 * @vport: the class device name (vport<d>p<n>)
 * @attr:  the attribute's name
 * @out:   receives the first line of /sys/class/virtio-ports/@vport/@attr,
 *         newline included; "" when the file is empty
 * @len:   size of @out
 *
 * Return: 0, or -1 (@out then "") when the file cannot be opened.
 */
int vport_attr(const char *vport, const char *attr, char *out, size_t len);

/**
 * wait_revents() - wait for a poll event bit to be set or clear
 * @fd:  the file, polled for POLLIN and POLLOUT every 10 ms, for up to 10 s
 * @bit: the event bit to watch in the returned events
 * @set: true to wait for @bit to be set, false for it to be clear
 *
 * Return: 0 when it was, -1 on timeout.
 */
int wait_revents(int fd, short bit, int set);

/**
 * vport_echo() - move one byte each way through a port
 * @path: the port's device
 * @id:   the id of the port's host socket
 * @tag:  the byte; it tells ports apart, so a crossed queue shows
 *
 * Connects the host, has it send @tag and reads it back, writes the
 * complement of @tag and has the host receive it, then disconnects the
 * host.  Failures are logged on stderr.
 *
 * Return: 0 when both bytes arrived intact, -1 otherwise.
 */
int vport_echo(const char *path, const char *id, unsigned char tag);

#endif
