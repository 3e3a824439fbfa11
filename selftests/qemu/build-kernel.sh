#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Build (or find in the cache) a guest kernel from Debian's linux-source-6.12.
#
#   build-kernel.sh debug|release
#
# The build lives outside the clone, in $PVGUEST_CACHE (default
# ${XDG_CACHE_HOME:-~/.cache}/pvguest), keyed by a hash of the kernel source
# version, the config fragments, the patches the project carries and this
# script.  The only line on stdout is the path of the finished build tree.

set -eu

variant=${1:?usage: build-kernel.sh debug|release}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
cache=${PVGUEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pvguest}
tarball=/usr/src/linux-source-6.12.tar.xz
jobs=${JOBS:-$(($(nproc) + 1))}

die() { echo "build-kernel: $*" >&2; exit 1; }
say() { echo "build-kernel: $*" >&2; }

[ -f "$here/$variant.config" ] || die "unknown variant '$variant'"
[ -f "$tarball" ] || die "$tarball missing: run 'make deps'"

# Patches are applied in order: module folder, then file name.
patches=$(ls "$top"/*/patches/*.patch 2>/dev/null | LC_ALL=C sort || true)

srcver=$(dpkg-query -W -f='${Version}' linux-source-6.12)
key=$( {
	echo "$srcver"
	cat "$here/kernel.config" "$here/$variant.config" "$0"
	for p in $patches; do basename "$p"; cat "$p"; done
} | sha256sum | cut -c1-16)

dir=$cache/kernel/$variant-$key
if [ -f "$dir/.pvguest-done" ]; then
	touch "$dir/.pvguest-done"
	echo "$dir"
	exit 0
fi

mkdir -p "$cache/kernel"
exec 9>"$cache/kernel/.lock-$variant"
flock 9
if [ -f "$dir/.pvguest-done" ]; then
	echo "$dir"
	exit 0
fi

log=$cache/kernel/$variant-$key.log
say "building the $variant guest kernel (linux-source $srcver, key $key)"
say "this takes about 5-10 minutes on 2 cores; log: $log"
rm -rf "$dir"
mkdir -p "$dir"
tar -xJf "$tarball" --strip-components=1 -C "$dir"

for p in $patches; do
	say "applying ${p#"$top"/}"
	patch -d "$dir" -p1 --quiet --forward <"$p" >>"$log" 2>&1 ||
		die "patch ${p#"$top"/} does not apply (see $log)"
done

frag=$dir/.pvguest-fragment
cat "$here/kernel.config" "$here/$variant.config" >"$frag"
{
	make -C "$dir" KCONFIG_ALLCONFIG="$frag" allnoconfig
	make -C "$dir" olddefconfig
} >>"$log" 2>&1 || die "configuration failed (see $log)"

# Every symbol of the fragments must have taken: a silently dropped option
# (a missing dependency, a renamed symbol) would otherwise go unnoticed.
grep -E '^CONFIG_[A-Z0-9_]+=' "$frag" | {
	bad=0
	while IFS= read -r line; do
		sym=${line%%=*}
		case "$line" in
		*=n) ! grep -q "^$sym=" "$dir/.config" ;;
		*) grep -qxF "$line" "$dir/.config" ;;
		esac && continue
		say "$line did not take: $(grep "^$sym=\|^# $sym " "$dir/.config" || echo unset)"
		bad=1
	done
	exit $bad
} || die "the config fragment did not apply as written (see above)"

make -C "$dir" -j"$jobs" bzImage modules >>"$log" 2>&1 ||
	{ tail -n 30 "$log" >&2; die "kernel build failed (see $log)"; }
make -C "$dir" INSTALL_MOD_PATH="$dir/.pvguest-modroot" INSTALL_MOD_STRIP=1 \
	modules_install >>"$log" 2>&1 || die "modules_install failed (see $log)"
touch "$dir/.pvguest-done"

# Keep the two most recently used builds per variant (each use touches its
# stamp): older keys are stale, and a second one serves another checkout.
# Unfinished builds are debris: we hold the variant's lock.
for old in "$cache/kernel/$variant"-*/; do
	old=${old%/}
	[ -f "$old/.pvguest-done" ] || rm -rf "$old" "$old.log"
done
ls -td "$cache/kernel/$variant"-*/.pvguest-done 2>/dev/null | tail -n +3 |
	while read -r stamp; do
		old=${stamp%/.pvguest-done}
		rm -rf "$old" "$old.log"
	done
say "done: $dir"
echo "$dir"
