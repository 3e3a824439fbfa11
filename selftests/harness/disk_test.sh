#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The harness's virtio-blk disk: the ext4 image the host made (see
# harness.disk in selftests/pvtest/suites.py) mounts, holds the host's
# files, and takes a write that survives a remount.

echo "TAP version 13"
echo "1..3"
n=0
check() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n $2"; else echo "not ok $n $2"; fi
}

mkdir -p /mnt/disk
mount -t ext4 /dev/vda /mnt/disk
check $? mount_ext4

[ "$(cat /mnt/disk/hello.txt 2>/dev/null)" = "hello from the host" ] &&
	[ "$(stat -c %s /mnt/disk/data.bin 2>/dev/null)" = 1048576 ] &&
	[ "$(od -An -tu1 -j 4660 -N1 /mnt/disk/data.bin | tr -d ' ')" = 52 ]
check $? host_files

echo guest >/mnt/disk/written && umount /mnt/disk &&
	mount -t ext4 /dev/vda /mnt/disk &&
	[ "$(cat /mnt/disk/written)" = guest ]
check $? write_remount
umount /mnt/disk 2>/dev/null
