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
echo "== pvlock: a contended lock, $(nproc) vCPUs on the host's CPUs"
if [ -f "$extra/pvlock.ko" ]; then
	modprobe pvlock
	echo "  backend: $(cat /sys/module/pvlock/parameters/backend)"
	echo 1 >/sys/kernel/debug/pvlock/reset
	modprobe pvlock_torture type=pvlock duration_s=3 threads_per_cpu=2
	grep -E '^(threads|ops_per_s|violations|acq_m|wait_p)' \
		/sys/kernel/debug/pvlock_torture/result | sed 's/^/  /'
	grep -vE '^(backend|halt_lt|halt_ge)' /sys/kernel/debug/pvlock/stats |
		sed 's/^/  pvlock stat: /'
	modprobe -r pvlock_torture
fi

echo
if [ -f "$extra/tmem.ko" ]; then
	echo "== tmem: next, in a smaller guest with a disk"
else
	echo "== tmem: not in this tree yet"
fi
