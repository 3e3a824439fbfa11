#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# dkms runs this after `dkms add`, in its copy of the sources
# (/usr/src/pvguest-<version>): `dkms add .` copies all of a clone,
# including the harness's build products in out/, which no DKMS build
# needs and which can be hundreds of megabytes.

set -eu
rm -rf ./out
