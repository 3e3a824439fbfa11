# SPDX-License-Identifier: GPL-2.0
"""The pvlock benchmark: lock throughput under vCPU overcommit.

One release-kernel guest per vCPU count on the host's CPUs (1x, 2x and 4x
overcommit of 2 host CPUs: -smp 2, 4, 8); in each, pvlock_torture runs
once per lock type (selftests/pvlock/pvlock_bench.sh).  Ours is pvlock;
the peers are "ticket" (pvlock with the pv paths off) and "spinlock" (the
kernel's qspinlock).
"""

import os
import re
import shutil

from .guest import _sections, accel, append_for
from .paths import OUT
from .vm import Guest, Machine

TYPES = ('pvlock', 'ticket', 'spinlock')
LEVELS = (('1x', 2), ('2x', 4), ('4x', 8))
ITEM = 'sh:pvlock_bench.sh'


def _run(image, smp):
    workdir = os.path.join(OUT, 'run', 'bench', 'pvlock-smp%d' % smp)
    shutil.rmtree(workdir, ignore_errors=True)
    append = '%s pvguest.run=%s' % (append_for(image), ITEM)
    g = Guest(image.kernel, image.initrd, workdir,
              Machine(smp=smp, mem=512, timeout=300), append=append,
              accel=accel(image))
    g.start()
    g.serve()
    with open(g.results, errors='replace') as f:
        sections, _ = _sections(f.read())
    text, rc = next(((t, rc) for i, t, rc in sections if i == ITEM),
                    ('', None))
    ops = {m.group(1): float(m.group(2)) for m in
           re.finditer(r'^bench (\w+) (\d+)', text, re.M)}
    if rc != 0 or set(ops) != set(TYPES):
        raise RuntimeError('pvlock bench at -smp %d failed (rc %s), see %s'
                           % (smp, rc, workdir))
    return ops


def bench(image):
    ops = {level: _run(image, smp) for level, smp in LEVELS}
    results = []
    for level, _ in LEVELS:
        results.append({
            'name': 'ops_per_s_' + level, 'unit': 'ops/s',
            'ours': ops[level]['pvlock'],
            'peers': {t: ops[level][t] for t in TYPES[1:]}})
    for level in ('2x', '4x'):
        ret = {t: ops[level][t] / ops['1x'][t] if ops['1x'][t] else 0.0
               for t in TYPES}
        results.append({'name': 'retention_' + level, 'unit': 'ratio',
                        'ours': ret['pvlock'],
                        'peers': {t: ret[t] for t in TYPES[1:]}})
    return results
