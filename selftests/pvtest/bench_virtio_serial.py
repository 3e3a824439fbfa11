# SPDX-License-Identifier: GPL-2.0
"""The virtio_serial benchmark: one port's throughput against the in-tree
virtio_console."""

import os
import re

from .guest import run_suite
from .paths import OUT
from .suites import Suite
from .vm import Controller, Machine, Port


def bench(image):
    """Throughput of one port, guest->host and host->guest, with
    virtio_serial and then with the in-tree virtio_console, each in its
    own boot of the same kernel and QEMU (selftests/virtio_serial/
    vser_bench.c moves 64 MiB per size and direction)."""
    machine = Machine(smp=2, mem=512, timeout=600, controllers=[
        Controller('vser0', max_ports=4,
                   ports=[Port('bench', 'org.pvguest.bench.0', nr=1)])])
    numbers = {}
    for driver in ('virtio_serial', 'virtio_console'):
        suite = Suite('bench.' + driver, ['load:' + driver, 'ksft:vser_bench'],
                      machine=machine)
        workdir = os.path.join(OUT, 'run', 'bench', driver)
        run_suite(suite, image, workdir)
        with open(os.path.join(workdir, 'results.log'),
                  errors='replace') as f:
            numbers[driver] = {m.group(1): float(m.group(2)) for m in
                               re.finditer(r'^# bench (\S+) (-?[0-9.]+)',
                                           f.read(), re.M)}
    ours = numbers['virtio_serial']
    peer = numbers['virtio_console']
    return [{'name': name, 'unit': 'MB/s', 'ours': value,
             'peers': {'virtio_console': peer.get(name, 0.0)}}
            for name, value in sorted(ours.items())]
