# SPDX-License-Identifier: GPL-2.0
"""The tmem benchmark: re-reading a file set twice the size of a small
guest's free memory, with and without tmem.

selftests/tmem/tmem_bench.c runs in a 256 MiB release-kernel guest on an
ext4 virtio-blk disk, with compressible (text-like) and incompressible
(random) data, sequential passes then random 4 KiB reads.  Three
configurations boot ROUNDS times each in rotating order; each result is
the median of its rounds (every round is kept as 'samples'):

  tmem      release kernel (CONFIG_CLEANCACHE=y), tmem loaded  - ours
  no_tmem   release kernel, tmem not loaded                    - peer
  baseline  the same kernel without CONFIG_CLEANCACHE
            (selftests/qemu/baseline.config)

The 'no_backend_*' results compare no_tmem (ours) with baseline: the cost
of the cleancache hooks when no backend is registered, which should be
nil.
"""

import os
import re
import statistics

from . import images
from .guest import run_suite
from .ktap import FAIL
from .paths import OUT
from .suites import Suite
from .vm import Machine

ROUNDS = int(os.environ.get('PVGUEST_BENCH_ROUNDS', '3'))
CONFIGS = ('tmem', 'no_tmem', 'baseline')
KINDS = ('compressible', 'incompressible')
# The I/O results every configuration has; the rest only exist with tmem.
IO = ['%s%s_%s' % (phase, what, kind) for kind in KINDS
      for what in ('sectors_read', 'elapsed_s')
      for phase in ('', 'seq_', 'rand_')]
UNITS = {'sectors_read': 'sectors', 'elapsed_s': 's', 'hit_rate': 'ratio',
         'pool_mb': 'MiB', 'stored_mb': 'MiB', 'compression_ratio': 'ratio',
         'set_mb': 'MiB'}


def _unit(name):
    for key, unit in UNITS.items():
        if key in name:
            return unit
    return ''


def _machine():
    return Machine(smp=2, mem=256, disk_mb=1024, timeout=1500)


def _one(image, config, rnd):
    """One boot; {result name: value}."""
    plan = (['load:tmem'] if config == 'tmem' else []) + ['ksft:tmem_bench']
    suite = Suite('bench.tmem-' + config, plan, machine=_machine(),
                  append='pvguest.timeout=1400')
    workdir = os.path.join(OUT, 'run', 'bench', 'tmem-%s-%d' % (config, rnd))
    res = run_suite(suite, image, workdir)
    with open(os.path.join(workdir, 'results.log'), errors='replace') as f:
        text = f.read()
    got = {m.group(1): float(m.group(2)) for m in
           re.finditer(r'^# bench (\S+) (-?[0-9.]+)', text, re.M)}
    failed = [r for r in res if r.status == FAIL]
    if failed or not all(name in got for name in IO):
        raise RuntimeError('tmem bench (%s) round %d failed: %s; see %s' %
                           (config, rnd, failed[0].detail if failed else
                            'results missing', workdir))
    print('# tmem bench round %d %-8s: %s' %
          (rnd, config, ', '.join('%s %g' % (k, got[k]) for k in
                                  ('elapsed_s_compressible',
                                   'sectors_read_compressible'))),
          flush=True)
    return got


def _result(name, ours, peers, ours_name='tmem'):
    """A result from per-round samples: ours [v...], peers {peer: [v...]}."""
    return {'name': name, 'unit': _unit(name),
            'ours': statistics.median(ours),
            'peers': {p: statistics.median(v) for p, v in peers.items()},
            'samples': dict({ours_name: ours}, **peers)}


def bench(image):
    samples = {c: [] for c in CONFIGS}
    for rnd in range(ROUNDS):
        order = CONFIGS[rnd % 3:] + CONFIGS[:rnd % 3]
        for config in order:
            # The baseline kernel is built on first use (one more build).
            kernel = images.get('baseline') if config == 'baseline' \
                else image
            samples[config].append(_one(kernel, config, rnd))

    def col(config, name):
        return [s.get(name, 0.0) for s in samples[config]]

    results = [_result(name, col('tmem', name),
                       {'no_tmem': col('no_tmem', name)}) for name in IO]
    only_tmem = sorted(set(samples['tmem'][0]) - set(IO))
    results += [_result(name, col('tmem', name), {}) for name in only_tmem]
    results += [_result('no_backend_' + name, col('no_tmem', name),
                        {'baseline': col('baseline', name)}, 'no_tmem')
                for name in IO]
    return results
