#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Install what the harness needs from Debian's packages: quick when all is
# there, and says what it installs.
#
#   deps.sh          the harness (QEMU, busybox, kernel source, toolchain)
#   deps.sh stock    plus Debian's stock cloud kernels for the compat step

set -eu

want="qemu-system-x86 busybox-static linux-source-6.12 gcc make libc6-dev
bc bison flex libelf-dev libssl-dev cpio kmod e2fsprogs rsync xz-utils patch
perl python3 python3-sphinx sparse util-linux dkms"

installed() {
	dpkg-query -W -f='${Status}\n' "$1" 2>/dev/null | grep -q ' installed$'
}

newest() {
	apt-cache pkgnames "$1" 2>/dev/null | grep -E "$2" | sort -V | tail -n 1
}

updated=
apt_update() {
	[ -n "$updated" ] && return
	echo "deps: apt-get update"
	apt-get update -qq
	updated=1
}

stock() {
	newest linux-headers-6.1. '^linux-headers-6\.1\.0-[0-9]+-cloud-amd64$'
	newest linux-headers-6.12. '^linux-headers-6\.12\.[0-9]+\+deb12-cloud-amd64$'
}

if [ "${1:-}" = stock ]; then
	# The newest stock cloud kernels of 6.1 and 6.12 the package lists
	# know; the 6.12 headers package pulls in the image the compat step
	# boots.
	kernels=$(stock)
	if [ "$(echo "$kernels" | grep -c .)" != 2 ]; then
		apt_update
		kernels=$(stock)
	fi
	want="$want $kernels"
fi

missing=
for pkg in $want; do
	installed "$pkg" || missing="$missing $pkg"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "deps: missing Debian packages:$missing" >&2
	echo "deps: run 'sudo apt-get install$missing' or 'sudo make deps'" >&2
	exit 1
fi
echo "deps: installing$missing"
apt_update
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	$missing >/dev/null
