#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Build Documentation/ to HTML with Debian's Sphinx (python3-sphinx), and
# pull kernel-doc comments from our sources in through the kernel's own
# Sphinx extension.  Any warning, from Sphinx or from kernel-doc, fails
# the build.
#
#   htmldocs.sh OUTDIR   build the HTML into OUTDIR (emptied first)
#   htmldocs.sh ksrc     print the directory that holds the kernel's
#                        scripts/kernel-doc and Documentation/sphinx/
#
# The kernel's files come from Debian's linux-source-6.12: only they are
# unpacked, once per package version, into out/kernel-doc/ (never into the
# sources).  PVGUEST_KSRC=<unpacked kernel tree> uses that tree instead.

set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
tarball=/usr/src/linux-source-6.12.tar.xz

die() {
	echo "htmldocs: $*" >&2
	exit 1
}

usable() {
	[ -f "$1/scripts/kernel-doc" ] &&
		[ -f "$1/Documentation/sphinx/kerneldoc.py" ] &&
		[ -f "$1/Documentation/sphinx/kernellog.py" ]
}

# Unpack what the docs need from the kernel source package, unless the
# same version is there already.
unpack() {
	dir=$top/out/kernel-doc
	[ -f "$tarball" ] || die "$tarball missing: run 'make deps'"
	ver=$(dpkg-query -W -f='${Version}' linux-source-6.12)
	if [ "$(cat "$dir/.version" 2>/dev/null)" = "$ver" ] && usable "$dir"
	then
		return
	fi
	echo "htmldocs: unpacking kernel-doc from linux-source-6.12 $ver" >&2
	rm -rf "$dir" "$dir.new"
	mkdir -p "$dir.new"
	tar -xJf "$tarball" -C "$dir.new" --strip-components=1 --wildcards \
		'*/scripts/kernel-doc' '*/Documentation/sphinx/*.py'
	echo "$ver" >"$dir.new/.version"
	mv "$dir.new" "$dir"
}

ksrc() {
	if [ -n "${PVGUEST_KSRC:-}" ]; then
		dir=$PVGUEST_KSRC
	else
		unpack
	fi
	usable "$dir" ||
		die "no scripts/kernel-doc and Documentation/sphinx/kerneldoc.py in $dir"
	echo "$dir"
}

[ $# = 1 ] || die "usage: htmldocs.sh OUTDIR | ksrc"
if [ "$1" = ksrc ]; then
	ksrc
	exit 0
fi

out=$1
command -v sphinx-build >/dev/null ||
	die "sphinx-build missing: run 'make deps' (python3-sphinx)"
PVGUEST_KSRC=$(ksrc)
export PVGUEST_KSRC

# From scratch, so that every page is read again and shows its warnings.
rm -rf "$out"
mkdir -p "$out"
log=$out/.sphinx.log
# kernel-doc fails on its own warnings (KDOC_WERROR); -W turns that, and
# every Sphinx warning, into an error.  Quiet: a clean build prints
# nothing, so anything printed is a fault.
status=0
KDOC_WERROR=1 sphinx-build -b html -q -W --keep-going \
	-d "$out/.doctrees" "$top/Documentation" "$out" >"$log" 2>&1 ||
	status=$?
cat "$log"
[ "$status" = 0 ] || die "sphinx-build failed (exit $status)"
[ ! -s "$log" ] || die "sphinx-build printed warnings"
echo "htmldocs: $out/index.html"
