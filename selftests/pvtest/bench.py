# SPDX-License-Identifier: GPL-2.0
"""make bench: benchmarks on the release guest kernel.

Each module's benchmark is a function in BENCHMARKS that returns a list of
results: {'name', 'unit', 'ours', 'peers': {peer: value}}.  bench() adds
the ratio ours/peer, prints a table and writes out/bench/<module>.json.
Benchmarks are measurements, not tests: CI does not run them.
"""

import fnmatch
import json
import os

from . import bench_pvlock, bench_tmem, bench_virtio_serial, build
from .paths import OUT

# module -> function(image) -> [result, ...]
BENCHMARKS = {
    'virtio_serial': bench_virtio_serial.bench,
    'pvlock': bench_pvlock.bench,
    'tmem': bench_tmem.bench,
}


def with_ratios(results):
    for r in results:
        r['ratio'] = {peer: (r['ours'] / v if v else None)
                      for peer, v in r.get('peers', {}).items()}
    return results


def table(module, results):
    print('%-40s %14s %-10s %s' % (module, 'ours', 'unit', 'ours/peer'))
    for r in results:
        ratios = ', '.join('%s %.2f' % (p, x) for p, x in r['ratio'].items()
                           if x is not None)
        print('  %-38s %14.4g %-10s %s' % (r['name'], r['ours'], r['unit'],
                                           ratios))


def bench(only):
    mods = [m for m in build.module_dirs() if m in BENCHMARKS and
            (not only or any(fnmatch.fnmatchcase(m, p) for p in only))]
    if not mods:
        print('bench: no benchmarks yet; each module brings its own '
              '(virtio_serial, pvlock, tmem)')
        return 0
    from . import images
    image = images.get('release')
    os.makedirs(os.path.join(OUT, 'bench'), exist_ok=True)
    for mod in mods:
        results = with_ratios(BENCHMARKS[mod](image))
        with open(os.path.join(OUT, 'bench', mod + '.json'), 'w') as f:
            json.dump(results, f, indent=1)
        table(mod, results)
    return 0
