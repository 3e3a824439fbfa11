#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The in-tree build: pvguest as kernel config options, built into the
# kernel.
#
#   build-intree.sh place KSRC       put this tree into the kernel source
#                                    KSRC as drivers/pvguest, and hook it
#                                    into drivers/Kconfig and
#                                    drivers/Makefile (again: update it)
#   build-intree.sh [debug|release]  build (or bring up to date) the guest
#                                    kernel with every option built in
#
# The guest kernel is Debian's linux-source-6.12 with the project's
# patches, configured with kernel.config, the debug or release fragment
# and intree.config, and cached outside the clone in $PVGUEST_CACHE
# (default ${XDG_CACHE_HOME:-~/.cache}/pvguest) like build-kernel.sh's.
# Its key covers the kernel source version, the fragments, the patches
# and $layout below, not our module sources: a later run copies only the
# module files whose contents changed into drivers/pvguest and runs an
# incremental make, and configures again only when a Kconfig changed.
# The only line on stdout is the path of the finished build tree.

set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
cache=${PVGUEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pvguest}
tarball=/usr/src/linux-source-6.12.tar.xz
jobs=${JOBS:-$(($(nproc) + 1))}
# Bump when a change here needs a fresh tree (the key would not see it).
layout=1

die() { echo "build-intree: $*" >&2; exit 1; }
say() { echo "build-intree: $*" >&2; }

# Copy the Kbuild sources (Kbuild, Kconfig, *.[ch]) into KSRC/drivers/pvguest
# and hook them in.  Only files whose contents differ are written, and they
# get the current time, so make rebuilds what changed and nothing else (also
# for a file that went back to an older version).  Prints what changed.
place() {
	ksrc=$1
	dest=$ksrc/drivers/pvguest
	if [ ! -f "$ksrc/drivers/Kconfig" ] || [ ! -f "$ksrc/drivers/Makefile" ]; then
		die "$ksrc is not a kernel source tree"
	fi
	mods=
	for d in virtio_serial pvlock tmem; do
		[ -f "$top/$d/Kbuild" ] && mods="$mods $d"
	done
	mkdir -p "$dest"
	# shellcheck disable=SC2086 # $mods is a list of folder names
	out=$(cd "$top" && rsync -r --checksum --delete --prune-empty-dirs \
		--out-format='%i %n' --include='*/' --include=Kbuild \
		--include=Kconfig --include='*.[ch]' --exclude='*' \
		Kbuild Kconfig $mods "$dest/") || die "rsync into $dest failed"
	# New folders alone change nothing.
	printf '%s\n' "$out" | grep -v '^cd\|^$' || true

	if ! grep -qF 'source "drivers/pvguest/Kconfig"' "$ksrc/drivers/Kconfig"; then
		[ "$(tail -n 1 "$ksrc/drivers/Kconfig")" = endmenu ] ||
			die "$ksrc/drivers/Kconfig does not end with endmenu"
		sed -i '$i source "drivers/pvguest/Kconfig"\n' "$ksrc/drivers/Kconfig"
		echo "hook drivers/Kconfig"
	fi
	if ! grep -qxF 'obj-y += pvguest/' "$ksrc/drivers/Makefile"; then
		echo 'obj-y += pvguest/' >>"$ksrc/drivers/Makefile"
		echo "hook drivers/Makefile"
	fi
}

if [ "${1:-}" = place ]; then
	[ $# -eq 2 ] || die "usage: build-intree.sh place KSRC"
	place "$2"
	exit 0
fi

variant=${1:-debug}
case "$variant" in
debug | release) ;;
*) die "unknown variant '$variant' (debug or release)" ;;
esac
[ -f "$tarball" ] || die "$tarball missing: run 'make deps'"

patches=$(ls "$top"/*/patches/*.patch 2>/dev/null | LC_ALL=C sort || true)
srcver=$(dpkg-query -W -f='${Version}' linux-source-6.12)
key=$( {
	echo "$srcver"
	cat "$here/kernel.config" "$here/$variant.config" "$here/intree.config"
	echo "layout $layout"
	for p in $patches; do basename "$p"; cat "$p"; done
} | sha256sum | cut -c1-16)

name=intree-$variant
dir=$cache/kernel/$name-$key
log=$cache/kernel/$name-$key.log
mkdir -p "$cache/kernel"
exec 9>"$cache/kernel/.lock-$name"
flock 9
t0=$(date +%s)

if [ ! -f "$dir/.pvguest-source" ]; then
	say "unpacking linux-source $srcver for the $variant in-tree kernel (key $key)"
	say "the first build takes about 10 minutes on 2 cores; log: $log"
	rm -rf "$dir" "$log"
	mkdir -p "$dir"
	tar -xJf "$tarball" --strip-components=1 -C "$dir"
	for p in $patches; do
		say "applying ${p#"$top"/}"
		patch -d "$dir" -p1 --quiet --forward <"$p" >>"$log" 2>&1 ||
			die "patch ${p#"$top"/} does not apply (see $log)"
	done
	touch "$dir/.pvguest-source"
fi

changes=$(place "$dir")
echo "$changes" | sed '/^$/d; s/^/changed: /' >>"$log"

# A new or changed Kconfig (or a first build) means configuring again; a
# run that did not finish is taken up where it stopped.
if [ ! -f "$dir/.pvguest-configured" ] ||
	echo "$changes" | grep -q 'Kconfig$'; then
	rm -f "$dir/.pvguest-configured" "$dir/.pvguest-done"
	frag=$dir/.pvguest-fragment
	cat "$here/kernel.config" "$here/$variant.config" \
		"$here/intree.config" >"$frag"
	{
		make -C "$dir" KCONFIG_ALLCONFIG="$frag" allnoconfig
		make -C "$dir" olddefconfig
	} >>"$log" 2>&1 || die "configuration failed (see $log)"

	# Every symbol of the fragments must have taken: an option that a
	# missing dependency dropped would leave a driver out unnoticed.
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
	} || die "the config fragments did not apply as written (see above)"
	touch "$dir/.pvguest-configured"
fi

if [ -n "$changes" ] || [ ! -f "$dir/.pvguest-done" ]; then
	rm -f "$dir/.pvguest-done"
	say "building the $variant in-tree kernel (log: $log)"
	make -C "$dir" -j"$jobs" bzImage modules >>"$log" 2>&1 ||
		{ tail -n 30 "$log" >&2; die "kernel build failed (see $log)"; }
	rm -rf "$dir/.pvguest-modroot"
	make -C "$dir" INSTALL_MOD_PATH="$dir/.pvguest-modroot" \
		INSTALL_MOD_STRIP=1 modules_install >>"$log" 2>&1 ||
		die "modules_install failed (see $log)"
	touch "$dir/.pvguest-done"
	say "done in $(($(date +%s) - t0)) s: $dir"
else
	touch "$dir/.pvguest-done"
fi

# Keep the two most recently used builds (each use touches its stamp); a
# build that never finished is debris, as we hold the lock.
for old in "$cache/kernel/$name"-*/; do
	old=${old%/}
	[ "$old" = "$dir" ] || [ -f "$old/.pvguest-done" ] ||
		rm -rf "$old" "$old.log"
done
ls -td "$cache/kernel/$name"-*/.pvguest-done 2>/dev/null | tail -n +3 |
	while read -r stamp; do
		old=${stamp%/.pvguest-done}
		rm -rf "$old" "$old.log"
	done
echo "$dir"
