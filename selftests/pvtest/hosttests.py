# SPDX-License-Identifier: GPL-2.0
"""Tests that run on the host: lint, the harness self-check, and building
against Debian's stock kernel headers."""

import glob
import os
import re
import shutil
import subprocess
import sys
import unittest

from . import build, guest, images, pkg
from .ktap import FAIL, PASS, Result
from .paths import SELFTESTS, TOP

# Each fixture suite, and the line its failure must produce.
SELFCHECK = {
    'fixture.kunit': r'^not ok - fixture\.kunit: '
                     r'pvguest_fixture\.pvguest_fixture_fails',
    'fixture.ksft': r'^not ok - fixture\.ksft: global\.fails',
    'fixture.hang': r'^not ok - fixture\.hang: guest finished: timed out .*'
                    r'while running ksft:fixture_hang_test',
    'fixture.splat': r'^not ok - fixture\.splat: kernel log clean: during '
                     r'load:pvguest_fixture_splat: .*KASAN',
}
# ... and the passing half of each fixture that must still pass.
SELFCHECK_PASSES = {
    'fixture.kunit': r'^ok - fixture\.kunit: '
                     r'pvguest_fixture\.pvguest_fixture_passes$',
    'fixture.ksft': r'^ok - fixture\.ksft: global\.passes$',
}

LINT = ('lint.checkpatch', 'lint.sparse', 'lint.w1')


def _flatten(suite):
    for t in suite:
        if isinstance(t, unittest.TestSuite):
            yield from _flatten(t)
        else:
            yield t


# The harness's own unit tests: module -> the name their results take.
UNIT = {'test_ktap': 'harness.ktap', 'test_uevent': 'harness.uevent'}


def _unit_cases():
    from . import test_ktap, test_uevent
    cases = []
    for mod in (test_ktap, test_uevent):
        cases += _flatten(
            unittest.defaultTestLoader.loadTestsFromModule(mod))
    return cases


def _unit_name(case):
    _, mod, test = case.id().split('.', 2)
    return UNIT[mod] + ': ' + test


def names():
    return [_unit_name(c) for c in _unit_cases()] + list(LINT) + ['harness.selfcheck: ' + f for f in SELFCHECK] + \
        ['compat.build@' + rel for rel in sorted(images.stock_headers())
         if build.module_dirs()] + list(DOCS) + pkg.names()


def c_sources():
    out = []
    for d in ('virtio_serial', 'pvlock', 'tmem', 'selftests'):
        for root, _, files in os.walk(os.path.join(TOP, d)):
            out += [os.path.join(root, f) for f in sorted(files)
                    if f.endswith(('.c', '.h'))]
    return out


def lint_checkpatch(kdir):
    script = os.path.join(kdir, 'scripts', 'checkpatch.pl')
    r = subprocess.run(['perl', script, '--no-tree', '--strict', '--terse',
                        '--show-types', '-f'] + c_sources(),
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True)
    bad = [line for line in r.stdout.splitlines()
           if re.search(r': (ERROR|WARNING|CHECK):', line)]
    if bad:
        return Result('lint.checkpatch', FAIL,
                      '%d reports:\n  %s' % (len(bad), '\n  '.join(bad)))
    return Result('lint.checkpatch', PASS)


def _lint_build(name, kdir, flags):
    """Build every module tree with flags; a result that fails on any
    warning the compiler or sparse printed."""
    tag = name.replace('.', '-')
    # From scratch: an up-to-date object would hide its warnings.
    shutil.rmtree(os.path.join(build.OUT, 'build', tag), ignore_errors=True)
    try:
        build.modules(kdir, tag, flags)
    except build.BuildError as e:
        return Result(name, FAIL, str(e))
    with open(os.path.join(build.OUT, 'build', tag, 'modules.log')) as f:
        log = f.read()
    bad = [line for line in log.splitlines()
           if re.search(r'(warning|error):', line)]
    if bad:
        return Result(name, FAIL, '\n  '.join(bad[:30]))
    if 'C=2' in flags:
        objs = glob.glob(os.path.join(build.OUT, 'build', tag, '**', '*.o'),
                         recursive=True)
        checked = set(re.findall(r'^\s+CHECK\s+(\S+)\.c$', log, re.M))
        # Composite objects (foo-y := a.o b.o) have no source of their own.
        missed = [o for o in objs if not o.endswith('.mod.o') and
                  os.path.exists(o[:-2] + '.c') and o[:-2] not in checked]
        if missed:
            return Result(name, FAIL, 'sparse did not check ' +
                          ', '.join(missed))
    return Result(name, PASS)


def selfcheck(name, pattern):
    """Run one fixture suite through run.py as a user would; it must exit
    non-zero and print the expected failure (and pass its passing half)."""
    cmd = [sys.executable, os.path.join(SELFTESTS, 'run.py'), 'check',
           '--only', name]
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True)
    title = 'harness.selfcheck: ' + name
    if r.returncode == 0:
        return Result(title, FAIL, 'run.py exited 0 on a deliberate failure')
    if not re.search(pattern, r.stdout, re.M):
        return Result(title, FAIL, 'the failure was not reported as '
                      'expected; output:\n' + r.stdout[-2000:])
    passing = SELFCHECK_PASSES.get(name)
    if passing and not re.search(passing, r.stdout, re.M):
        return Result(title, FAIL, 'its passing half did not pass')
    return Result(title, PASS)


def compat_build(rel, kdir):
    """Our modules build against a stock header tree and carry its
    vermagic."""
    title = 'compat.build@' + rel
    try:
        kos = [k for k in build.modules(kdir, 'compat-' + rel,
                                       fixtures=False)
               if '/fixtures/' not in k]
    except build.BuildError as e:
        return Result(title, FAIL, str(e))
    for ko in kos:
        magic = subprocess.run(['modinfo', '-F', 'vermagic', ko],
                               stdout=subprocess.PIPE, text=True).stdout
        if magic.split()[:1] != [rel]:
            return Result(title, FAIL, '%s has vermagic %r' % (ko, magic))
    return Result(title, PASS, '%d modules' % len(kos))


def unit_tests(report, want):
    for case in _unit_cases():
        if _unit_name(case) not in want:
            continue
        res = unittest.TestResult()
        case.run(res)
        bad = res.failures + res.errors
        report.add([Result(_unit_name(case), FAIL if bad else PASS,
                           bad[0][1] if bad else '')])


# The docs build (make htmldocs) and kernel-doc over every source; neither
# needs a guest kernel.
DOCS = ('docs.htmldocs', 'docs.kernel-doc')
# Headers whose every kernel-doc comment must reach the HTML.
DOCS_HEADERS = ('pvlock/include/pvlock.h',)
EXPORT = re.compile(r'^EXPORT_SYMBOL(?:_NS)?(?:_GPL)?\((\w+)', re.M)


def _docs_missing(html):
    """Names from the public headers' kernel-doc comments and the exported
    functions that have no C-domain entry in the HTML."""
    want = []
    for h in DOCS_HEADERS:
        with open(os.path.join(TOP, h)) as f:
            want += re.findall(r'^/\*\*\n \* (?:struct |union |enum )?'
                               r'(\w+)(?:\(\))? - ', f.read(), re.M)
    for src in c_sources():
        with open(src) as f:
            text = f.read()
        # Functions only: an exported variable has no kernel-doc.
        want += [n for n in EXPORT.findall(text)
                 if re.search(r'^\S.*\b%s\(' % n, text, re.M)]
    return [n for n in dict.fromkeys(want) if 'id="c.%s"' % n not in html]


def docs_htmldocs():
    """make htmldocs succeeds, prints no warning, has a page for every
    .rst, all reached from the index, and shows the API."""
    name = 'docs.htmldocs'
    r = subprocess.run(['make', '-s', '-C', TOP, 'htmldocs'],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True)
    if r.returncode != 0 or re.search(r'warning|error', r.stdout, re.I):
        return Result(name, FAIL, 'make htmldocs (exit %d):\n%s' %
                      (r.returncode, r.stdout[-3000:]))
    out = os.path.join(TOP, 'out', 'htmldocs')
    pages = sorted(os.path.basename(p)[:-4] for p in
                   glob.glob(os.path.join(TOP, 'Documentation', '*.rst')))
    html = {}
    for p in pages:
        try:
            with open(os.path.join(out, p + '.html')) as f:
                html[p] = f.read()
        except OSError:
            return Result(name, FAIL, 'no %s.html' % p)
    unlinked = [p for p in pages if p != 'index' and
                'href="%s.html"' % p not in html['index']]
    if unlinked:
        return Result(name, FAIL, 'index links no ' + ', '.join(unlinked))
    missing = _docs_missing(''.join(html.values()))
    if missing:
        return Result(name, FAIL, 'not documented: ' + ', '.join(missing))
    return Result(name, PASS, '%d pages' % len(pages))


def docs_kernel_doc():
    """kernel-doc -Wall has nothing to say about any of our sources."""
    name = 'docs.kernel-doc'
    r = subprocess.run(['sh', os.path.join(TOP, 'Documentation',
                                           'htmldocs.sh'), 'ksrc'],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True)
    if r.returncode != 0:
        return Result(name, FAIL, r.stdout)
    script = os.path.join(r.stdout.splitlines()[-1], 'scripts', 'kernel-doc')
    r = subprocess.run(['perl', script, '-none', '-Wall'] + c_sources(),
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, cwd=TOP)
    if r.returncode != 0 or r.stdout.strip():
        return Result(name, FAIL, '\n  '.join(r.stdout.splitlines()[:30]))
    return Result(name, PASS, '%d files' % len(c_sources()))


def docs_tests(report, want):
    if 'docs.htmldocs' in want:
        report.add([docs_htmldocs()])
    if 'docs.kernel-doc' in want:
        report.add([docs_kernel_doc()])


def run(report, only, selected):
    want = [n for n in names() if selected(n, only)]
    if not want:
        return
    unit_tests(report, want)
    docs_tests(report, want)
    if not [n for n in want
            if not n.startswith(tuple(UNIT.values()) + DOCS)]:
        return
    try:
        image = images.get('debug')
    except build.BuildError as e:
        report.add([Result('build: debug guest', FAIL, str(e))])
        return
    kdir = os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.dirname(image.kernel))))
    # Sub-runs of the self-check reuse this run's accelerator probe.
    os.environ['PVGUEST_ACCEL'] = guest.accel(image)
    if 'lint.checkpatch' in want:
        report.add([lint_checkpatch(kdir)])
    if 'lint.sparse' in want:
        report.add([_lint_build('lint.sparse', kdir, ('C=2',))])
    if 'lint.w1' in want:
        report.add([_lint_build('lint.w1', kdir, ('W=1',))])
    for name, pattern in SELFCHECK.items():
        if 'harness.selfcheck: ' + name in want:
            report.add([selfcheck(name, pattern)])
    pkg.run(report, want, kdir)
    for rel, kdir in sorted(images.stock_headers().items()):
        if 'compat.build@' + rel in want:
            report.add([compat_build(rel, kdir)])
