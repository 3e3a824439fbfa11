#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The tmem part of `make demo`, in its own small guest (see
# selftests/pvtest/interactive.py): a file bigger than the guest's memory
# is read three times; from the second pass on, much of it comes back
# from tmem's compressed pool instead of the disk.

mem=$(awk '/MemTotal/ { print int($2 / 1024) }' /proc/meminfo)
size=$((mem * 11 / 10))
stats=/sys/kernel/debug/tmem/stats
stat() { awk -v k="$1" '$1 == k { print $2 }' "$stats"; }
sectors() { awk '{ print $3 }' /sys/block/vda/stat; }
uptime_cs() { awk '{ split($1, t, "."); print t[1] * 100 + t[2] }' /proc/uptime; }

echo "== tmem: a $mem MiB guest reads a $size MiB file three times"
mkdir -p /mnt/tmem
mount -t ext4 /dev/vda /mnt/tmem || exit 1
# Half the memory for the pool: the file must fit in page cache + pool.
modprobe tmem max_pool_percent=50 || exit 1
echo "  tmem loaded: compressor $(cat /sys/module/tmem/parameters/compressor)," \
	"pool cap $(cat /sys/module/tmem/parameters/max_pool_percent)% of memory"
/tests/tmem_bench make /mnt/tmem/big "$size" || exit 1
sync
echo 3 >/proc/sys/vm/drop_caches

for pass in 1 2 3; do
	s0=$(sectors)
	h0=$(stat hits)
	t0=$(uptime_cs)
	cat /mnt/tmem/big >/dev/null || exit 1
	t1=$(uptime_cs)
	echo "  pass $pass: $((($(sectors) - s0) / 2048)) MiB from the disk," \
		"$((($(stat hits) - h0) / 256)) MiB from tmem," \
		"$(((t1 - t0) / 100)).$(((t1 - t0) % 100 / 10)) s"
done
grep -E '^(puts|gets|hits|misses|stored_pages|same_filled_pages|pool_pages|compression_ratio|evictions|rejected_pages) ' \
	"$stats" | sed 's/^/  tmem stat: /'
for f in /sys/kernel/debug/cleancache/*; do
	echo "  cleancache $(basename "$f"): $(cat "$f")"
done
rm -f /mnt/tmem/big
umount /mnt/tmem
modprobe -r tmem
