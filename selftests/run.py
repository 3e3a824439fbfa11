#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""pvguest test runner: builds the guest, boots it under QEMU, reports.

  run.py check [--only GLOB ...]   tests on the debug guest kernel, lint,
                                   the harness self-check, the compat step
  run.py demo                      a guest showing the modules at work
  run.py shell [--kernel debug]    an interactive guest
  run.py bench                     benchmarks on the release guest kernel
  run.py list                      the test names check would run

check prints one line per result and ends with "# N skipped" (if any)
and "N passed, N failed"; it exits 1 if anything failed.  See Documentation/testing.rst.
"""

import argparse
import fnmatch
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from pvtest import build, hosttests, images  # noqa: E402
from pvtest.guest import run_suite  # noqa: E402
from pvtest.ktap import FAIL, PASS, SKIP, Result  # noqa: E402
from pvtest.paths import OUT  # noqa: E402
from pvtest.suites import SUITES  # noqa: E402


class Report:
    def __init__(self):
        self.counts = {PASS: 0, FAIL: 0, SKIP: 0}
        self.failed = []

    def add(self, results):
        for r in results:
            self.counts[r.status] += 1
            if r.status == PASS:
                print('ok - %s' % r.name, flush=True)
            elif r.status == SKIP:
                print('ok - %s # SKIP %s' % (r.name, r.detail), flush=True)
            else:
                self.failed.append(r.name)
                print('not ok - %s%s' % (r.name, ': ' + r.detail
                                         if r.detail else ''), flush=True)

    def summary(self):
        """The closing lines: skips on a comment line of their own (they
        are neither passes nor failures), then "N passed, N failed",
        which CI reads as the last line."""
        line = '%d passed, %d failed' % (self.counts[PASS],
                                         self.counts[FAIL])
        if self.counts[SKIP]:
            line = '# %d skipped\n%s' % (self.counts[SKIP], line)
        return line


def selected(name, only, fixture=False):
    if not only:
        return not fixture
    return any(fnmatch.fnmatchcase(name, pat) for pat in only)


# Kernels whose results carry the plain suite name; the others' are
# named SUITE@KERNEL.  The intree kernel runs only its own intree.* suites.
PLAIN = ('debug', 'intree')


def result_name(name, kernel):
    return name if kernel in PLAIN else '%s@%s' % (name, kernel)


def suites_for(only, kernel):
    mods = build.module_dirs()
    return [s for s in SUITES
            if kernel in s.kernels and (not s.module or s.module in mods)
            and selected(result_name(s.name, kernel), only, s.fixture)]


def run_guest_suites(report, only, kernel):
    suites = suites_for(only, kernel)
    if not suites:
        return
    try:
        image = images.get(kernel, suites)
    except build.BuildError as e:
        report.add([Result('build: %s guest' % kernel, FAIL, str(e))])
        return
    if image is None:
        report.add([Result('%s@%s' % (s.name, kernel), SKIP,
                           'no stock kernel installed') for s in suites])
        return
    for suite in suites:
        workdir = os.path.join(OUT, 'run', kernel, suite.name)
        res = run_suite(suite, image, workdir)
        if kernel not in PLAIN:
            for r in res:
                r.name = r.name.replace(suite.name,
                                        result_name(suite.name, kernel), 1)
        report.add(res)


def cmd_check(args):
    report = Report()
    t0 = time.monotonic()
    hosttests.run(report, args.only, selected)
    run_guest_suites(report, args.only, 'debug')
    run_guest_suites(report, args.only, 'intree')
    run_guest_suites(report, args.only, 'stock')
    print('# %.0f s' % (time.monotonic() - t0))
    if not sum(report.counts.values()):
        print('no test matched', file=sys.stderr)
        report.add([Result('selection', FAIL, 'no test matched --only')])
    for name in report.failed:
        print('# failed: %s' % name)
    print(report.summary())
    return 1 if report.counts[FAIL] else 0


def cmd_list(args):
    for name in hosttests.names():
        if selected(name, args.only):
            print(name)
    for kernel in ('debug', 'intree', 'stock'):
        for s in suites_for(args.only, kernel):
            print(result_name(s.name, kernel))
    return 0


def cmd_shell(args):
    from pvtest.interactive import shell
    return shell(args.kernel)


def cmd_demo(args):
    from pvtest.interactive import demo
    return demo(args.kernel)


def cmd_bench(args):
    from pvtest.bench import bench
    return bench(args.only)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest='cmd', required=True)
    for name, fn in (('check', cmd_check), ('list', cmd_list),
                     ('bench', cmd_bench)):
        p = sub.add_parser(name)
        p.add_argument('--only', action='append', default=[],
                       metavar='GLOB', help='run only tests matching GLOB')
        p.set_defaults(fn=fn)
    for name, fn, kernel in (('shell', cmd_shell, 'debug'),
                             ('demo', cmd_demo, 'release')):
        p = sub.add_parser(name)
        p.add_argument('--kernel', default=kernel,
                       choices=('debug', 'release', 'intree'))
        p.set_defaults(fn=fn)
    args = ap.parse_args()
    return args.fn(args)


if __name__ == '__main__':
    sys.exit(main())
