#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Drive pvlock_torture.ko for each lock type and mode, and judge it here,
# in user space: TAP, one result per run.  A run passes when it finished
# in bounded time, saw no mutual-exclusion violation, lost no counter
# update, and pvlock counted no lost kick.
#
#   PVLOCK_TORTURE_SECONDS   length of each run (default 3)

secs=${PVLOCK_TORTURE_SECONDS:-3}
limit=$((secs * 10 + 60))
dbg=/sys/kernel/debug
runs="pvlock:0 ticket:0 spinlock:0 pvlock:1 pvlock:2 ticket:2 spinlock:2"
n=0
for r in $runs; do n=$((n + 1)); done
n=$((n + 1))

echo "TAP version 13"
echo "1..$n"
echo "# $(nproc) vCPUs, ${secs} s per run"

i=0
fail=0

get() { awk -v k="$1" '$1 == k { print $2 }' "$2"; }

if modprobe pvlock; then
	i=$((i + 1))
	echo "ok $i load pvlock: backend $(cat /sys/module/pvlock/parameters/backend)"
else
	i=$((i + 1))
	echo "not ok $i load pvlock"
	exit 1
fi

for r in $runs; do
	type=${r%%:*}
	irqs=${r#*:}
	nest=0
	[ "$irqs" = 2 ] && nest=1
	name="$type irqs_off=$irqs nesting=$nest"
	i=$((i + 1))
	echo 1 >$dbg/pvlock/reset
	t0=$(date +%s)
	if ! timeout $limit modprobe pvlock_torture type=$type irqs_off=$irqs \
		nesting=$nest duration_s=$secs; then
		echo "not ok $i $name # modprobe failed or timed out"
		fail=1
		continue
	fi
	took=$(($(date +%s) - t0))
	res=$dbg/pvlock_torture/result
	cp $res /tmp/result
	cp $dbg/pvlock/stats /tmp/stats
	modprobe -r pvlock_torture
	sed 's/^/# /' /tmp/result
	grep -E '^(backend|slowpath|halts|kicks|wake_|lost|watchdog|nohalt)' /tmp/stats |
		sed 's/^/#   pvlock /'
	why=
	[ "$(get violations /tmp/result)" = 0 ] || why="$why exclusion violated;"
	[ "$(get counter_mismatch_0 /tmp/result)" = 0 ] || why="$why lost update;"
	[ "$(get counter_mismatch_1 /tmp/result)" = 0 ] || why="$why lost update (2nd lock);"
	[ "$(get acquisitions /tmp/result)" -gt 0 ] 2>/dev/null || why="$why no progress;"
	[ "$(get acq_min /tmp/result)" -gt 0 ] 2>/dev/null || why="$why a thread starved;"
	[ "$(get lost_kick /tmp/stats)" = 0 ] || why="$why lost kicks;"
	[ "$took" -le $((secs + 30)) ] || why="$why took ${took} s;"
	if [ -z "$why" ]; then
		echo "ok $i $name"
	else
		echo "not ok $i $name #$why"
		fail=1
	fi
done
exit $fail
