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

The disk is modelled on a general-purpose cloud SSD volume (AWS gp3's
baseline: 125 MiB/s and 3000 IOPS for reads) with QEMU's block
throttling: without it the virtio-blk disk is the host's page cache,
served at memory speed, and avoiding a read cannot save time.  Every
configuration also runs once per round on the unthrottled disk; those
results are named 'unthrottled_*'.  tmem runs with max_pool_percent
POOL_PERCENT (passed as tmem_bench.pool_percent= on the command line).

Where the time goes: tmem_bench also prints, per phase (write, warm-up,
sequential, random), "# prof PHASE NAME VALUE" lines into each boot's
results.log (out/run/bench/tmem-CONFIG-DISK-ROUND/): the guest's CPU
time by kind, kswapd's and its own CPU time, disk read requests and
sectors, and with tmem its counters and timings (put_ns, compress_ns,
get_ns, load_ns, worker_ns...).  They are not results.

PVGUEST_TMEM_POOL_PERCENT changes POOL_PERCENT, PVGUEST_TMEM_PARAMS sets
more runtime parameters ("replace_ratio=1 dedup=0").
PVGUEST_BENCH_ROUNDS sets the rounds; PVGUEST_TMEM_BENCH_CONFIGS (e.g.
"tmem,no_tmem") and PVGUEST_TMEM_BENCH_DISKS (e.g. "throttled") restrict
a run, for development.
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
CONFIGS = tuple(os.environ.get('PVGUEST_TMEM_BENCH_CONFIGS',
                               'tmem,no_tmem,baseline').split(','))
POOL_PERCENT = int(os.environ.get('PVGUEST_TMEM_POOL_PERCENT', '50'))
# More tmem parameters for experiments, e.g. "replace_ratio=1 dedup=0".
PARAMS = ' '.join('tmem_bench.tmem.' + p for p in
                  os.environ.get('PVGUEST_TMEM_PARAMS', '').split())
# Disk models: result name prefix and QEMU -drive options.
DISKS = {
    'throttled': ('', 'throttling.bps-read=%d,throttling.iops-read=3000' %
                  (125 << 20)),
    'unthrottled': ('unthrottled_', ''),
}
DISK_NAMES = tuple(os.environ.get('PVGUEST_TMEM_BENCH_DISKS',
                                  'throttled,unthrottled').split(','))
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


def _machine(disk):
    return Machine(smp=2, mem=256, disk_mb=1024, timeout=1500,
                   disk_opts=DISKS[disk][1])


def _one(image, config, disk, rnd):
    """One boot; {result name: value}."""
    plan = (['load:tmem'] if config == 'tmem' else []) + ['ksft:tmem_bench']
    suite = Suite('bench.tmem-' + config, plan, machine=_machine(disk),
                  append=('pvguest.timeout=1400 tmem_bench.pool_percent=%d '
                          % POOL_PERCENT + PARAMS).strip())
    workdir = os.path.join(OUT, 'run', 'bench',
                           'tmem-%s-%s-%d' % (config, disk, rnd))
    res = run_suite(suite, image, workdir)
    with open(os.path.join(workdir, 'results.log'), errors='replace') as f:
        text = f.read()
    got = {m.group(1): float(m.group(2)) for m in
           re.finditer(r'^# bench (\S+) (-?[0-9.]+)', text, re.M)}
    failed = [r for r in res if r.status == FAIL]
    if failed or not all(name in got for name in IO):
        raise RuntimeError('tmem bench (%s, %s) round %d failed: %s; see %s'
                           % (config, disk, rnd, failed[0].detail if failed
                              else 'results missing', workdir))
    print('# tmem bench round %d %-8s %-11s: %s' %
          (rnd, config, disk, ', '.join('%s %g' % (k, got[k]) for k in
                                        ('elapsed_s_compressible',
                                         'sectors_read_compressible',
                                         'elapsed_s_incompressible'))),
          flush=True)
    return {DISKS[disk][0] + k: v for k, v in got.items()}


def _result(name, ours, peers, ours_name='tmem'):
    """A result from per-round samples: ours [v...], peers {peer: [v...]}."""
    return {'name': name, 'unit': _unit(name),
            'ours': statistics.median(ours),
            'peers': {p: statistics.median(v) for p, v in peers.items()},
            'samples': dict({ours_name: ours}, **peers)}


def bench(image):
    samples = {c: [{} for _ in range(ROUNDS)] for c in CONFIGS}
    for rnd in range(ROUNDS):
        n = len(CONFIGS)
        order = CONFIGS[rnd % n:] + CONFIGS[:rnd % n]
        for disk in DISK_NAMES:
            for config in order:
                # The baseline kernel is built on first use (one more build).
                kernel = images.get('baseline') if config == 'baseline' \
                    else image
                samples[config][rnd].update(_one(kernel, config, disk, rnd))

    def col(config, name):
        return [s.get(name, 0.0) for s in samples[config]]

    io = [DISKS[d][0] + name for d in DISK_NAMES for name in IO]
    results = []
    if 'tmem' in CONFIGS:
        peers = ['no_tmem'] if 'no_tmem' in CONFIGS else []
        results += [_result(name, col('tmem', name),
                            {p: col(p, name) for p in peers}) for name in io]
        only_tmem = sorted(set(samples['tmem'][0]) - set(io))
        results += [_result(name, col('tmem', name), {})
                    for name in only_tmem]
    if 'no_tmem' in CONFIGS and 'baseline' in CONFIGS:
        results += [_result('no_backend_' + name, col('no_tmem', name),
                            {'baseline': col('baseline', name)}, 'no_tmem')
                    for name in io]
    return results
