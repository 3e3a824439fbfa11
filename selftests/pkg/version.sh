#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Print pvguest's version.  The one place that computes it: the Makefile
# and the harness pass it to Kbuild (PVGUEST_VERSION, MODULE_VERSION of
# every module), dkms.conf makes it PACKAGE_VERSION.
#
#   version.sh [DIR]      DIR: the top of the tree (default: this script's)
#
# In order:
#  1. DIR is the top of a git work tree: `git describe` of it without the
#     tag's leading v (tag v1.2: 1.2, three commits later 1.2-3-gabcdef0),
#     before the first tag 0.0-<commits>-g<hash>; -dirty when tracked files
#     have uncommitted changes.
#  2. DIR/.version, if it holds a version: in the repository it is a
#     template that `git archive` fills in (export-subst, .gitattributes),
#     so an exported tarball knows its version without git (0.0-g<hash>
#     before the first tag, as the export has no commit count).
#  3. DIR is named pvguest-<version>: <version>.  That is where dkms keeps
#     the sources (/usr/src/pvguest-<version>, a copy without .git), so
#     dkms.conf read there finds the version `dkms add .` computed in the
#     clone.
#  4. 0.0+unknown.
#
# The result is reduced to the characters [A-Za-z0-9.+~_-]: it becomes a
# file name (dkms) and a C string (MODULE_VERSION).

top=$(cd "${1:-$(dirname "$0")/../..}" && pwd -P) || exit 1

# The tree may belong to someone else than the caller (root running
# `dkms add .` in a user's clone): git refuses such a repository unless
# told otherwise.  Nothing here writes to it.
git_top() {
	GIT_OPTIONAL_LOCKS=0 git -c safe.directory='*' -C "$top" "$@" 2>/dev/null
}

from_git() {
	[ "$(git_top rev-parse --show-toplevel)" = "$top" ] || return 1
	v=$(git_top describe --tags --match 'v[0-9]*') ||
		v=0.0-$(git_top rev-list --count HEAD)-g$(git_top rev-parse --short HEAD) ||
		return 1
	v=${v#v}
	[ -z "$(git_top status --porcelain --untracked-files=no)" ] ||
		v=$v-dirty
	echo "$v"
}

from_file() {
	[ -f "$top/.version" ] || return 1
	# "<git describe> <hash>", or " <hash>" before the first tag.
	set -- $(sed -n '/^[^$]/p;q' "$top/.version")
	case $# in
	2) echo "${1#v}" ;;
	1) echo "0.0-g$1" ;;
	*) return 1 ;;
	esac
}

from_name() {
	case ${top##*/} in
	pvguest-?*) echo "${top##*/pvguest-}" ;;
	*) return 1 ;;
	esac
}

v=$(from_git || from_file || from_name || echo 0.0+unknown)
echo "$v" | tr -c 'A-Za-z0-9.+~_\n-' '_'
