#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The guest half of the pvlock benchmark (selftests/pvtest/bench_pvlock.py):
# one torture run per lock type, one "bench TYPE OPS_PER_S" line each.  A
# measurement, not a test.
#
# Kernel command line words read here, for experiments:
#   pvlock_bench.seconds=N      length of each run (default 5)
#   pvlock_bench.types=A,B      lock types to run (default all three)
#   pvlock_bench.repeat=N       run the types in turn N times (default 1)
#   pvlock.PARAM=VALUE          written to /sys/module/pvlock/parameters
#   pvlock_torture.PARAM=VALUE  passed to pvlock_torture

secs=5
repeat=1
types="pvlock ticket spinlock"
torture_args=
dbg=/sys/kernel/debug
modprobe pvlock || exit 1
for word in $(cat /proc/cmdline); do
	case "$word" in
	pvlock_bench.seconds=*) secs=${word#*=} ;;
	pvlock_bench.types=*) types=$(echo "${word#*=}" | tr , ' ') ;;
	pvlock_bench.repeat=*) repeat=${word#*=} ;;
	pvlock_torture.*=*) torture_args="$torture_args ${word#*.}" ;;
	pvlock.*=*)
		param=${word#*.}
		echo "${param#*=}" >"/sys/module/pvlock/parameters/${param%%=*}" ||
			exit 1
		;;
	esac
done
echo "# $(nproc) vCPUs, backend $(cat /sys/module/pvlock/parameters/backend)"
grep . /sys/module/pvlock/parameters/* | sed 's/^/# /'
all=
for _ in $(seq "$repeat"); do
	all="$all $types"
done
for type in $all; do
	echo 1 >$dbg/pvlock/reset
	# shellcheck disable=SC2086 # one word per parameter
	modprobe pvlock_torture type=$type duration_s=$secs $torture_args ||
		exit 1
	sed 's/^/# /' $dbg/pvlock_torture/result
	sed 's/^/#   /' $dbg/pvlock/stats
	echo "bench $type $(awk '$1 == "ops_per_s" { print $2 }' \
		$dbg/pvlock_torture/result)"
	rmmod pvlock_torture
done
