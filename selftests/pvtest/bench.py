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

from . import build
from .paths import OUT

def virtio_serial(image):
    """Throughput of one port, guest->host and host->guest, with
    virtio_serial and then with the in-tree virtio_console, each in its
    own boot of the same kernel and QEMU (selftests/virtio_serial/
    vser_bench.c moves 64 MiB per size and direction)."""
    import re
    from .guest import run_suite
    from .suites import Suite
    from .vm import Controller, Machine, Port

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


# module -> function(image) -> [result, ...]; filled as the modules land.
BENCHMARKS = {'virtio_serial': virtio_serial}


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
