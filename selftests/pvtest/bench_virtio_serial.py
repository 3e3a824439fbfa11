# SPDX-License-Identifier: GPL-2.0
"""The virtio_serial benchmark against the in-tree virtio_console: one
port's throughput at several sizes, 8 ports at once, and the round trip
of a 64-byte ping-pong (p50, p99).

Under TCG one boot of each driver says little: the same build swings by
more than 1.5x between runs.  So each driver boots ROUNDS times, in
alternating order (ABBA...), and the result is the median of its rounds;
every round's value is kept in the JSON as 'samples'.
"""

import os
import re
import statistics

from .guest import run_suite
from .paths import OUT
from .suites import Suite
from .vm import Controller, Machine, Port

ROUNDS = int(os.environ.get('PVGUEST_BENCH_ROUNDS', '3'))
OURS, PEER = 'virtio_serial', 'virtio_console'


def _machine():
    ports = [Port('bench', 'org.pvguest.bench.0', nr=1)]
    ports += [Port('bench%d' % i, 'org.pvguest.bench.%d' % i, nr=i + 1)
              for i in range(1, 8)]
    return Machine(smp=2, mem=512, timeout=600, controllers=[
        Controller('vser0', max_ports=16, ports=ports)])


def _one(image, driver, rnd):
    """One boot: selftests/virtio_serial/vser_bench.c moves 64 MiB (4 KiB
    writes, 8 ports) or 256 MiB (64 KiB and 1 MiB writes) per size and
    direction; {result name: MB/s or us}."""
    suite = Suite('bench.' + driver, ['load:' + driver, 'ksft:vser_bench'],
                  machine=_machine())
    workdir = os.path.join(OUT, 'run', 'bench', '%s-%d' % (driver, rnd))
    run_suite(suite, image, workdir)
    with open(os.path.join(workdir, 'results.log'), errors='replace') as f:
        got = {m.group(1): float(m.group(2)) for m in
               re.finditer(r'^# bench (\S+) (-?[0-9.]+)', f.read(), re.M)}
    if not got or min(got.values()) <= 0:
        raise RuntimeError('%s round %d failed, see %s' %
                           (driver, rnd, workdir))
    return got


def bench(image):
    samples = {OURS: [], PEER: []}
    for rnd in range(ROUNDS):
        order = (OURS, PEER) if rnd % 2 == 0 else (PEER, OURS)
        for driver in order:
            samples[driver].append(_one(image, driver, rnd))
    results = []
    for name in sorted(samples[OURS][0]):
        ours = [s[name] for s in samples[OURS]]
        peer = [s.get(name, 0.0) for s in samples[PEER]]
        unit = 'us' if name.endswith('_us') else 'MB/s'
        results.append({'name': name, 'unit': unit,
                        'ours': statistics.median(ours),
                        'peers': {PEER: statistics.median(peer)},
                        'samples': {OURS: ours, PEER: peer}})
    return results
