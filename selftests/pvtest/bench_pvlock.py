# SPDX-License-Identifier: GPL-2.0
"""The pvlock benchmark: lock throughput under vCPU overcommit.

One release-kernel guest per vCPU count on the host's CPUs (1x, 2x and 4x
overcommit of 2 host CPUs: -smp 2, 4, 8); in each, pvlock_torture runs
once per lock type (selftests/pvlock/pvlock_bench.sh).  Ours is pvlock;
the peers are "ticket" (pvlock with the pv paths off) and "spinlock" (the
kernel's spinlock_t).

TCG timings vary from run to run, so the three guests boot ROUNDS times in
turn (PVGUEST_BENCH_ROUNDS, default 3), each guest runs the types in turn
REPEAT times (PVGUEST_PVLOCK_REPEAT, default 2) for SECONDS each, and each
figure is the median of all its runs; every run is kept as 'samples'.
pvlock_vs_ticket_1x is the median ratio of a pvlock run to the ticket run
right after it in the same guest: the cost of the pv paths without
overcommit, measured by pairs so that drifting host load cancels out.  For experiments:
PVGUEST_PVLOCK_LEVELS (e.g. "2x") restricts the levels, and
PVGUEST_PVLOCK_APPEND adds kernel command line words that
pvlock_bench.sh reads (pvlock.spin_us=5,
pvlock_torture.cs_loops=50, pvlock_bench.types=pvlock,ticket, ...).
"""

import os
import re
import shutil
import statistics

from .guest import _sections, accel, append_for
from .paths import OUT
from .vm import Guest, Machine

TYPES = ('pvlock', 'ticket', 'spinlock')
LEVELS = tuple((name, smp) for name, smp in (('1x', 2), ('2x', 4), ('4x', 8))
               if name in os.environ.get('PVGUEST_PVLOCK_LEVELS',
                                         '1x,2x,4x').split(','))
ROUNDS = int(os.environ.get('PVGUEST_BENCH_ROUNDS', '3'))
REPEAT = int(os.environ.get('PVGUEST_PVLOCK_REPEAT', '2'))
SECONDS = 4
EXTRA = os.environ.get('PVGUEST_PVLOCK_APPEND', '')
ITEM = 'sh:pvlock_bench.sh'


def _run(image, smp, rnd):
    workdir = os.path.join(OUT, 'run', 'bench',
                           'pvlock-smp%d-%d' % (smp, rnd))
    shutil.rmtree(workdir, ignore_errors=True)
    append = '%s pvguest.run=%s pvlock_bench.seconds=%d ' \
        'pvlock_bench.repeat=%d %s' % (append_for(image), ITEM, SECONDS,
                                        REPEAT, EXTRA)
    g = Guest(image.kernel, image.initrd, workdir,
              Machine(smp=smp, mem=512, timeout=300), append=append.strip(),
              accel=accel(image))
    g.start()
    g.serve()
    with open(g.results, errors='replace') as f:
        sections, _ = _sections(f.read())
    text, rc = next(((t, rc) for i, t, rc in sections if i == ITEM),
                    ('', None))
    runs = [(m.group(1), float(m.group(2))) for m in
            re.finditer(r'^bench (\w+) (\d+)', text, re.M)]
    if rc != 0 or not runs or not {t for t, _ in runs} <= set(TYPES):
        raise RuntimeError('pvlock bench at -smp %d failed (rc %s), see %s'
                           % (smp, rc, workdir))
    print('pvlock bench round %d -smp %d: %s' % (
        rnd, smp, ' '.join('%s=%d' % r for r in runs)), flush=True)
    return runs


def bench(image):
    samples = {level: [] for level, _ in LEVELS}
    for rnd in range(ROUNDS):
        for level, smp in LEVELS:
            samples[level].extend(_run(image, smp, rnd))
    types = [t for t in TYPES if t in {t for t, _ in samples[LEVELS[0][0]]}]

    def med(level, t):
        return statistics.median(v for u, v in samples[level] if u == t)

    results = []
    for level, _ in LEVELS:
        results.append({
            'name': 'ops_per_s_' + level, 'unit': 'ops/s',
            'ours': med(level, types[0]),
            'peers': {t: med(level, t) for t in types[1:]},
            'samples': [{t: v} for t, v in samples[level]]})
    pairs = [v / w for (t, v), (u, w) in
             zip(samples.get('1x', []), samples.get('1x', [])[1:])
             if t == 'pvlock' and u == 'ticket' and w]
    if pairs:
        results.append({'name': 'pvlock_vs_ticket_1x', 'unit': 'ratio',
                        'ours': statistics.median(pairs), 'peers': {},
                        'samples': pairs})
    for level in ('2x', '4x'):
        if level not in samples or '1x' not in samples:
            continue
        ret = {t: med(level, t) / med('1x', t) if med('1x', t) else 0.0
               for t in types}
        results.append({'name': 'retention_' + level, 'unit': 'ratio',
                        'ours': ret[types[0]],
                        'peers': {t: ret[t] for t in types[1:]}})
    return results
