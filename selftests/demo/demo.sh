#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The guest half of `make demo`: what each module in this tree does, as a
# short transcript.  It grows as the modules land.

mem=$(awk '/MemTotal/ { print int($2 / 1024) }' /proc/meminfo)
echo "== guest: Linux $(uname -r), $(nproc) vCPUs, $mem MiB"
extra=/lib/modules/$(uname -r)/extra
ours=$(cd "$extra" && ls | grep -v '^pvguest_fixture' | tr '\n' ' ')
echo "== pvguest modules in this guest: ${ours:-none yet}"

echo
echo "== virtio-serial: a host process and a guest process on a named port"
if [ -f "$extra/virtio_serial.ko" ]; then
	driver=virtio_serial
else
	driver=virtio_console
	echo "  (virtio_serial has not landed yet: the in-tree virtio_console"
	echo "   drives the port; note its SIGIOs all say POLL_OUT)"
fi
modprobe "$driver" || exit 1
/tests/port_demo || exit 1
for link in /dev/virtio-ports/*; do
	echo "  $link -> $(readlink "$link")"
done
modprobe -r "$driver"

echo
echo "== pvlock: lands with its issue"
echo "== tmem: lands with its issue"
