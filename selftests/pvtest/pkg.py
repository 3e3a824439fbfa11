# SPDX-License-Identifier: GPL-2.0
"""Packaging tests on the host: the version, `make install` and `make
uninstall` into a staging root, and Debian's dkms building and installing
the modules for Debian's stock kernels and the debug guest kernel.

Nothing here touches the running system: dkms works in private source,
DKMS and install trees (--sourcetree, --dkmstree, --installtree), and the
install tests stage into a temporary root.
"""

import glob
import hashlib
import os
import re
import shutil
import subprocess
import tempfile

from . import images
from .ktap import FAIL, PASS, Result
from .paths import TOP

VERSION_SH = os.path.join(TOP, 'selftests', 'pkg', 'version.sh')
# What dkms installs: the KUnit tests stay out.
DKMS_MODULES = ('virtio_serial', 'pvlock', 'pvlock_torture')


class Failed(Exception):
    pass


def names():
    rels = sorted(images.stock_headers())
    return ['pkg.version', 'pkg.install'] + \
        ['pkg.install@' + rel for rel in rels] + \
        ['pkg.dkms@debug'] + ['pkg.dkms@' + rel for rel in rels]


def _run(cmd, what, **kw):
    """Run cmd; its output, or Failed naming what failed with the end of
    that output."""
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, **kw)
    if r.returncode:
        raise Failed('%s failed (exit %d): %s\n%s' % (
            what, r.returncode, ' '.join(cmd), r.stdout[-3000:]))
    return r.stdout


def version(top=TOP):
    return _run(['sh', VERSION_SH, top], 'version.sh').strip()


def _git(*args):
    return subprocess.run(['git', '-C', TOP] + list(args),
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                           text=True).stdout.strip()


def _modinfo(path, field):
    return _run(['modinfo', '-F', field, path], 'modinfo').strip()


def _krel(kdir):
    """The release modules built against kdir carry (Debian's 6.1 headers
    say 6.1.<sublevel> in include/config/kernel.release)."""
    with open(os.path.join(kdir, 'include', 'generated',
                           'utsrelease.h')) as f:
        return re.search(r'UTS_RELEASE "(.*)"', f.read()).group(1)


def _has_cleancache(kdir):
    try:
        with open(os.path.join(kdir, 'include', 'config', 'auto.conf')) as f:
            return 'CONFIG_CLEANCACHE=y\n' in f.read()
    except OSError:
        return False


def _check_module(path, krel, ver):
    """A built module carries krel's vermagic and our version."""
    magic = _modinfo(path, 'vermagic').split()[:1]
    if magic != [krel]:
        raise Failed('%s: vermagic %r, expected %s' % (path, magic, krel))
    got = _modinfo(path, 'version')
    if got != ver:
        raise Failed('%s: version %r, expected %r' % (path, got, ver))


def check_version():
    """selftests/pkg/version.sh: git describe in the clone, the filled-in
    .version of a git archive export, the name of a pvguest-<version>
    folder (dkms's copy), 0.0+unknown without any of these."""
    ver = version()
    head = _git('rev-parse', '--short', 'HEAD')
    tag = _git('describe', '--tags', '--exact-match', '--match', 'v[0-9]*')
    if not head:
        raise Failed('%s is not a git clone' % TOP)
    if not (head in ver or (tag and ver.startswith(tag[1:]))):
        raise Failed('version %r names neither HEAD (%s) nor its tag' %
                     (ver, head))
    dirty = _git('status', '--porcelain', '--untracked-files=no') != ''
    if ver.endswith('-dirty') != dirty:
        raise Failed('version %r, but the tree is %s' %
                     (ver, 'dirty' if dirty else 'clean'))
    with tempfile.TemporaryDirectory(prefix='pvguest-version-') as tmp:
        export = os.path.join(tmp, 'export')
        os.mkdir(export)
        tar = subprocess.run(['git', '-C', TOP, 'archive', 'HEAD'],
                             stdout=subprocess.PIPE, check=True).stdout
        subprocess.run(['tar', '-x', '-C', export], input=tar, check=True)
        clean = ver[:-len('-dirty')] if dirty else ver
        # The export has no commit count before the first tag.
        want = clean if _git('describe', '--tags', '--match', 'v[0-9]*') \
            else '0.0-g' + head
        got = version(export)
        if got != want:
            raise Failed('git archive export: version %r, expected %r' %
                         (got, want))
        named = os.path.join(tmp, 'pvguest-1.2-3-gabcdef0')
        os.makedirs(os.path.join(named, 'selftests', 'pkg'))
        shutil.copy(VERSION_SH, os.path.join(named, 'selftests', 'pkg'))
        got = version(named)
        if got != '1.2-3-gabcdef0':
            raise Failed('folder pvguest-1.2-3-gabcdef0: version %r' % got)
        os.rename(named, os.path.join(tmp, 'bare'))
        got = version(os.path.join(tmp, 'bare'))
        if got != '0.0+unknown':
            raise Failed('no git, .version or name: version %r' % got)


def _snapshot(root):
    """{path: content hash or 'dir'} of everything under root."""
    out = {}
    for base, dirs, files in os.walk(root):
        for d in dirs:
            out[os.path.relpath(os.path.join(base, d), root)] = 'dir'
        for f in files:
            path = os.path.join(base, f)
            with open(path, 'rb') as fh:
                out[os.path.relpath(path, root)] = hashlib.sha256(
                    fh.read()).hexdigest()
    return out


def _diff(before, after):
    lines = ['left behind: ' + p for p in sorted(set(after) - set(before))]
    lines += ['removed: ' + p for p in sorted(set(before) - set(after))]
    lines += ['changed: ' + p for p in sorted(set(before) & set(after))
              if before[p] != after[p]]
    return lines


def _installed(moddir, name):
    found = [p for p in glob.glob(os.path.join(moddir, '**', name + '.ko*'),
                                  recursive=True)
             if re.search(r'\.ko(\.(gz|xz|zst))?$', p)]
    if len(found) != 1:
        raise Failed('%s installed %d times under %s' % (name, len(found),
                                                         moddir))
    return found[0]


def check_install(kdir):
    """make install DESTDIR=<stage>: the modules in extra/ with depmod
    run, the udev rule and the modprobe.d snippet; make uninstall: the
    stage exactly as before."""
    krel = _krel(kdir)
    ver = version()
    with tempfile.TemporaryDirectory(prefix='pvguest-install-') as tmp:
        stage = os.path.join(tmp, 'root')
        # A system's skeleton: the folders exist, depmod has run.
        for d in ('etc/udev/rules.d', 'etc/modprobe.d', 'lib/modules/' + krel):
            os.makedirs(os.path.join(stage, d))
        _run(['depmod', '-b', stage, krel], 'depmod of the empty stage')
        before = _snapshot(stage)
        make = ['make', '-C', TOP, 'DESTDIR=' + stage, 'KDIR=' + kdir,
                'OUT=' + os.path.join(tmp, 'out')]
        _run(make + ['install'], 'make install')

        moddir = os.path.join(stage, 'lib', 'modules', krel)
        built = [os.path.basename(k)[:-3] for k in glob.glob(
            os.path.join(tmp, 'out', 'build', krel, '**', '*.ko'),
            recursive=True)]
        for name in ('virtio_serial', 'pvlock', 'pvlock_torture'):
            if name not in built:
                raise Failed('make install built no %s.ko' % name)
        for name in built:
            path = _installed(os.path.join(moddir, 'extra'), name)
            _check_module(path, krel, ver)
        deps = _run(['modprobe', '-d', stage, '-S', krel, '--show-depends',
                     'pvlock_torture'], 'modprobe --show-depends')
        if not re.search(r'extra/pvlock/pvlock\.ko.*\n.*'
                         r'extra/pvlock/pvlock_torture\.ko', deps):
            raise Failed('depmod did not record pvlock_torture -> pvlock:\n' +
                         deps)
        rules = os.path.join(stage, 'etc/udev/rules.d',
                             '90-pvguest-virtio-ports.rules')
        with open(os.path.join(TOP, 'virtio_serial',
                               '90-virtio-ports.rules')) as f:
            if not os.path.exists(rules) or open(rules).read() != f.read():
                raise Failed('udev rule not installed as ' + rules)
        conf = _run(['modprobe', '-C', os.path.join(stage, 'etc/modprobe.d'),
                     '-d', stage, '-S', krel, '--showconfig'],
                    'modprobe --showconfig')
        if not re.search(r'^blacklist virtio_console$', conf, re.M):
            raise Failed('modprobe.d snippet does not blacklist '
                         'virtio_console:\n' + conf[-2000:])

        _run(make + ['uninstall'], 'make uninstall')
        diff = _diff(before, _snapshot(stage))
        if diff:
            raise Failed('make uninstall did not undo make install:\n  ' +
                         '\n  '.join(diff))
    return '%d modules' % len(built)


class Dkms:
    """Debian's dkms with every tree it writes in a temporary folder."""

    def __init__(self):
        self.tmp = tempfile.mkdtemp(prefix='pvguest-dkms-')
        self.trees = {t: os.path.join(self.tmp, t)
                      for t in ('source', 'dkms', 'install')}
        for path in self.trees.values():
            os.mkdir(path)
        self.env = dict(os.environ)
        # Where dkms makes its module signing key when it has none
        # (default /var/lib/dkms/mok.*): here, not on the system.
        self.env['mok_signing_key'] = os.path.join(self.tmp, 'mok.key')
        self.env['mok_certificate'] = os.path.join(self.tmp, 'mok.pub')
        self.ver = None

    def __call__(self, *args):
        cmd = ['dkms'] + list(args) + [
            '--sourcetree', self.trees['source'],
            '--dkmstree', self.trees['dkms'],
            '--installtree', self.trees['install']]
        return _run(cmd, 'dkms ' + args[0], env=self.env)

    def add(self):
        if not shutil.which('dkms'):
            raise Failed('dkms is not installed: run make deps')
        if os.geteuid() != 0:
            raise Failed('dkms needs root')
        self.ver = version()
        self('add', TOP)
        src = os.path.join(self.trees['source'], 'pvguest-' + self.ver)
        if not os.path.isfile(os.path.join(src, 'dkms.conf')):
            raise Failed('dkms add did not make %s: PACKAGE_VERSION is not '
                         'version.sh\'s %r?' % (src, self.ver))
        if os.path.exists(os.path.join(src, 'out')):
            raise Failed('dkms add kept out/ in ' + src)

    def check(self, krel, kdir):
        """dkms build and install for krel, the modules right, then dkms
        uninstall leaves no module behind."""
        mv = 'pvguest/' + self.ver
        kargs = ('-k', krel, '--kernelsourcedir', kdir, '--no-depmod')
        log = self('build', mv, *kargs)
        tmem = _has_cleancache(kdir)
        skipped = 'tmem skipped for %s: the kernel has no CONFIG_CLEANCACHE' \
            % krel
        if tmem == (skipped in log):
            raise Failed('tmem %s, but the build said:\n%s' % (
                'expected' if tmem else 'not skipped with a message',
                log[-2000:]))
        moddir = os.path.join(self.trees['install'], krel)
        os.makedirs(moddir, exist_ok=True)
        self('install', mv, *kargs)
        want = set(DKMS_MODULES) | ({'tmem'} if tmem else set())
        kos = [p for p in glob.glob(os.path.join(moddir, '**', '*.ko*'),
                                    recursive=True)]
        got = {re.sub(r'\.ko(\..*)?$', '', os.path.basename(p)) for p in kos}
        if got != want:
            raise Failed('dkms installed %s, expected %s' % (
                sorted(got), sorted(want)))
        for path in kos:
            if '/updates/dkms/' not in path:
                raise Failed('dkms installed %s outside updates/dkms' % path)
            _check_module(path, krel, self.ver)
        self('uninstall', mv, *kargs)
        left = glob.glob(os.path.join(moddir, '**', '*.ko*'), recursive=True)
        if left:
            raise Failed('dkms uninstall left ' + ', '.join(left))
        return '%s%s' % (', '.join(sorted(got)),
                         '' if tmem else '; tmem skipped')

    def remove(self):
        if self.ver:
            subprocess.run(['dkms', 'remove', 'pvguest/' + self.ver, '--all',
                            '--no-depmod',
                            '--sourcetree', self.trees['source'],
                            '--dkmstree', self.trees['dkms'],
                            '--installtree', self.trees['install']],
                           stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, env=self.env)
        shutil.rmtree(self.tmp, ignore_errors=True)


def _result(name, fn, *args):
    try:
        return Result(name, PASS, fn(*args) or '')
    except (Failed, OSError, subprocess.CalledProcessError) as e:
        return Result(name, FAIL, str(e))


def run(report, want, kdir):
    """The pkg.* results in want: pkg.install and pkg.dkms@debug against
    kdir, the debug guest kernel's tree, the others against Debian's
    stock kernel headers."""
    if 'pkg.version' in want:
        report.add([_result('pkg.version', check_version)])
    if 'pkg.install' in want:
        report.add([_result('pkg.install', check_install, kdir)])
    for rel, path in sorted(images.stock_headers().items()):
        if 'pkg.install@' + rel in want:
            report.add([_result('pkg.install@' + rel, check_install, path)])
    kernels = [('debug', kdir)] + sorted(images.stock_headers().items())
    kernels = [k for k in kernels if 'pkg.dkms@' + k[0] in want]
    if not kernels:
        return
    dkms = Dkms()
    try:
        try:
            dkms.add()
        except Failed as e:
            report.add([Result('pkg.dkms@' + k[0], FAIL, str(e))
                        for k in kernels])
            return
        for name, path in kernels:
            report.add([_result('pkg.dkms@' + name, dkms.check, _krel(path),
                                path)])
    finally:
        dkms.remove()
