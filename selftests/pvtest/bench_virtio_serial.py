# SPDX-License-Identifier: GPL-2.0
"""The virtio_serial benchmark against the in-tree virtio_console: one
port's throughput at several sizes, 8 ports at once, and the round trip
of a 64-byte ping-pong (p50, p99).

Under TCG the same build swings by more than 1.5x between boots, and a
64-byte round trip by 20%: the boot decides more than the driver.  So
the two drivers take turns within each boot (load one, measure, unload
it, load the other, measure), TURNS times per boot for throughput and
RTT_TURNS times for the round trip (a few seconds per turn: more turns,
closer together, for the figure where the drivers differ least), and
ROUNDS boots alternate which driver goes first (ABBA, then BAAB...).
The result is the median of each driver's turns; every turn's value is
kept in the JSON as 'samples'.
"""

import os
import re
import statistics

from .guest import _sections, run_suite
from .paths import OUT
from .suites import Suite
from .vm import Controller, Machine, Port

ROUNDS = int(os.environ.get('PVGUEST_BENCH_ROUNDS', '3'))
TURNS = 2
RTT_TURNS = 6
OURS, PEER = 'virtio_serial', 'virtio_console'


def _machine():
    ports = [Port('bench', 'org.pvguest.bench.0', nr=1)]
    ports += [Port('bench%d' % i, 'org.pvguest.bench.%d' % i, nr=i + 1)
              for i in range(1, 8)]
    return Machine(smp=2, mem=512, timeout=600, controllers=[
        Controller('vser0', max_ports=16, ports=ports)])


def _turns(rnd, turns, item):
    """@turns turns of plan item @item per driver, alternating."""
    plan = []
    for turn in range(turns):
        first = OURS if (rnd + turn) % 2 == 0 else PEER
        for driver in (first, PEER if first == OURS else OURS):
            plan += ['load:' + driver, item, 'unload:' + driver]
    return plan


def _boot(image, rnd):
    """One boot: each driver runs selftests/virtio_serial/vser_bench.c
    TURNS times, taking turns; it moves 64 MiB (4 KiB writes, 8 ports)
    or 256 MiB (64 KiB and 1 MiB writes) per size and direction.  Then
    RTT_TURNS turns each of the ping-pong (vser_rtt_bench.sh).
    {driver: {result name: [MB/s or us, one per turn]}}."""
    plan = _turns(rnd, TURNS, 'ksft:vser_bench')
    plan += _turns(rnd + TURNS, RTT_TURNS, 'sh:vser_rtt_bench.sh')
    suite = Suite('bench.virtio_serial', plan, machine=_machine())
    workdir = os.path.join(OUT, 'run', 'bench', 'virtio_serial-%d' % rnd)
    run_suite(suite, image, workdir)
    with open(os.path.join(workdir, 'results.log'), errors='replace') as f:
        sections, _ = _sections(f.read())
    got = {OURS: {}, PEER: {}}
    driver = None
    for item, text, rc in sections:
        if rc != 0:
            raise RuntimeError('round %d: %s failed, see %s' %
                               (rnd, item, workdir))
        if item.startswith('load:'):
            driver = item[len('load:'):]
        elif item.startswith(('ksft:', 'sh:')):
            turn = {m.group(1): float(m.group(2)) for m in
                    re.finditer(r'^# bench (\S+) (-?[0-9.]+)', text, re.M)}
            if not turn or min(turn.values()) <= 0:
                raise RuntimeError('round %d: %s gave no figures, see %s' %
                                   (rnd, driver, workdir))
            for name, value in turn.items():
                got[driver].setdefault(name, []).append(value)
    want = {name: RTT_TURNS if name.startswith('rtt_') else TURNS
            for name in got[OURS]}
    if any({name: len(v) for name, v in got[d].items()} != want
           for d in got):
        raise RuntimeError('round %d: a turn is missing, see %s' %
                           (rnd, workdir))
    return got


def bench(image):
    samples = {OURS: {}, PEER: {}}
    for rnd in range(ROUNDS):
        for driver, figures in _boot(image, rnd).items():
            for name, values in figures.items():
                samples[driver].setdefault(name, []).extend(values)
    results = []
    for name in sorted(samples[OURS]):
        ours, peer = samples[OURS][name], samples[PEER][name]
        unit = 'us' if name.endswith('_us') else 'MB/s'
        results.append({'name': name, 'unit': unit,
                        'ours': statistics.median(ours),
                        'peers': {PEER: statistics.median(peer)},
                        'samples': {OURS: ours, PEER: peer}})
    return results
