#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The round-trip part of the virtio_serial benchmark, in turns of its own
# (selftests/pvtest/bench_virtio_serial.py): vser_bench with "rtt".
exec /tests/vser_bench rtt
