#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The guest half of the pvlock benchmark (selftests/pvtest/bench.py): one
# torture run per lock type, one "bench TYPE OPS_PER_S" line each.  A
# measurement, not a test.
#
#   PVLOCK_BENCH_SECONDS   length of each run (default 5)

secs=${PVLOCK_BENCH_SECONDS:-5}
dbg=/sys/kernel/debug
modprobe pvlock || exit 1
echo "# $(nproc) vCPUs, backend $(cat /sys/module/pvlock/parameters/backend)"
for type in pvlock ticket spinlock; do
	echo 1 >$dbg/pvlock/reset
	modprobe pvlock_torture type=$type duration_s=$secs || exit 1
	sed 's/^/# /' $dbg/pvlock_torture/result
	grep -E '^(halts|kicks|wake_spurious|lost|watchdog)' $dbg/pvlock/stats |
		sed 's/^/#   /'
	echo "bench $type $(awk '$1 == "ops_per_s" { print $2 }' \
		$dbg/pvlock_torture/result)"
	modprobe -r pvlock_torture
done
