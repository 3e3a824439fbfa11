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
 * vport_name() - the class device name (vport<d>p<n>) that the
 * /dev/virtio-ports link @link points at, into @out.  The guest's uevent
 * helper remakes the link on each uevent (a host_connected change sends
 * one): retry for up to 2 s while it is briefly gone.
 *
 * Return: 0, or -1 when the link stays missing or the name does not fit
 * in @len bytes.
 */
int vport_name(const char *link, char *out, size_t len);

/**
 * vport_attr() - the first line of /sys/class/virtio-ports/@vport/@attr,
 * newline included, into @out; "" when the file is empty.
 *
 * Return: 0, or -1 (@out then "") when the file cannot be opened.
 */
int vport_attr(const char *vport, const char *attr, char *out, size_t len);

/**
 * wait_revents() - poll @fd (for POLLIN and POLLOUT) every 10 ms, for up
 * to 10 s, until @bit is set in the returned events (@set true) or clear
 * (@set false).
 *
 * Return: 0 when it was, -1 on timeout.
 */
int wait_revents(int fd, short bit, int set);

/**
 * vport_echo() - one byte each way on the port @path, whose host socket
 * is @id: connect the host, have it send @tag and read it back, write the
 * complement of @tag and have the host receive it, then disconnect the
 * host.  The byte tells ports apart, so a crossed queue shows.  Failures
 * are logged on stderr.
 *
 * Return: 0 when both bytes arrived intact, -1 otherwise.
 */
int vport_echo(const char *path, const char *id, unsigned char tag);

#endif
