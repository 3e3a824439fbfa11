# SPDX-License-Identifier: GPL-2.0
"""Build what a guest needs: the kernel (cached), our modules against it,
the static test programs and the initramfs."""

import glob
import os
import shutil
import subprocess

from .paths import OUT, TOP, SELFTESTS


class BuildError(Exception):
    pass


def run(cmd, log, **kw):
    """Run cmd with its output in log; raise BuildError naming log."""
    with open(log, 'a') as f:
        f.write('$ %s\n' % ' '.join(cmd))
        f.flush()
        r = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT, **kw)
    if r.returncode:
        with open(log) as f:
            tail = ''.join(f.readlines()[-25:])
        raise BuildError('%s failed (log: %s)\n%s' % (cmd[0], log, tail))


def kernel(variant, script='build-kernel.sh'):
    """The cached guest kernel tree of a variant, built if needed (by
    build-intree.sh: with our modules built in)."""
    script = os.path.join(SELFTESTS, 'qemu', script)
    r = subprocess.run(['sh', script, variant], stdout=subprocess.PIPE,
                       text=True)
    if r.returncode:
        raise BuildError('the %s guest kernel (%s) did not build' %
                         (variant, os.path.basename(script)))
    return r.stdout.strip().splitlines()[-1]


def kernel_release(kdir):
    with open(os.path.join(kdir, 'include', 'config',
                           'kernel.release')) as f:
        return f.read().strip()


def _mirror(srcs, dest):
    """Mirror the Kbuild sources of srcs (relative to the top) into dest."""
    os.makedirs(dest, exist_ok=True)
    subprocess.run(['rsync', '-a', '--delete', '--include=*/',
                    '--include=Kbuild', '--include=Kconfig',
                    '--include=*.[ch]', '--exclude=*'] + srcs + [dest + '/'],
                   cwd=TOP, check=True)


def version():
    """The modules' version, from selftests/pkg/version.sh: the mirrors the
    modules build in have no .git to ask."""
    return subprocess.run(['sh', os.path.join(TOP, 'selftests', 'pkg', 'version.sh')],
                          stdout=subprocess.PIPE, text=True,
                          check=True).stdout.strip()


def module_dirs():
    return [d for d in ('virtio_serial', 'pvlock', 'tmem')
            if os.path.exists(os.path.join(TOP, d, 'Kbuild'))]


def modules(kdir, tag, extra_flags=(), fixtures=True):
    """Build our modules and (unless fixtures is False) the harness's
    fixture modules against kdir.

    Returns the list of .ko files.
    """
    base = os.path.join(OUT, 'build', tag)
    log = os.path.join(base, 'modules.log')
    os.makedirs(base, exist_ok=True)
    open(log, 'w').close()
    kos = []
    trees = [('modules', ['Kbuild', 'Kconfig'] + module_dirs())]
    if fixtures:
        # The KUnit fixture needs a kernel with KUnit: not Debian's.
        trees.append(('fixtures', ['selftests/fixtures/']))
    for name, srcs in trees:
        dest = os.path.join(base, name)
        _mirror(srcs, dest)
        run(['make', '-C', kdir, 'M=' + dest, '-j%d' % (os.cpu_count() + 1),
             'PVGUEST_VERSION=' + version(), *extra_flags, 'modules'], log)
        kos += glob.glob(os.path.join(dest, '**', '*.ko'), recursive=True)
    return kos


def programs(ksrc, tag):
    """Build the static guest test programs with the kernel's own
    kselftest headers from ksrc.  Returns the output folder."""
    dest = os.path.join(OUT, 'build', tag, 'tests')
    os.makedirs(dest, exist_ok=True)
    log = os.path.join(OUT, 'build', tag, 'programs.log')
    open(log, 'w').close()
    run(['make', '-C', SELFTESTS, '-j%d' % (os.cpu_count() + 1),
         'KSRC=' + ksrc, 'OUT=' + dest], log)
    return dest


def initramfs(tag, krel, modroot, kos, progdir):
    """A cpio archive with busybox, our init, the kernel's own modules (from
    modroot/lib/modules/krel), ours in extra/, and the test programs."""
    base = os.path.join(OUT, 'build', tag)
    stage = os.path.join(base, 'initramfs')
    shutil.rmtree(stage, ignore_errors=True)
    for d in ('bin', 'tests', 'lib/modules'):
        os.makedirs(os.path.join(stage, d))
    shutil.copy('/bin/busybox', os.path.join(stage, 'bin', 'busybox'))
    qemu_dir = os.path.join(SELFTESTS, 'qemu')
    shutil.copy(os.path.join(qemu_dir, 'init'), os.path.join(stage, 'init'))
    shutil.copy(os.path.join(qemu_dir, 'uevent'),
                os.path.join(stage, 'bin', 'pvguest-uevent'))
    moddir = os.path.join(stage, 'lib', 'modules', krel)
    src = os.path.join(modroot, 'lib', 'modules', krel)
    if os.path.isdir(src):
        shutil.copytree(src, moddir, symlinks=True,
                        ignore=shutil.ignore_patterns('build', 'source'))
    os.makedirs(os.path.join(moddir, 'extra'), exist_ok=True)
    for ko in kos:
        shutil.copy(ko, os.path.join(moddir, 'extra'))
    subprocess.run(['depmod', '-b', stage, krel], check=True)
    for prog in os.listdir(progdir):
        path = os.path.join(progdir, prog)
        if os.access(path, os.X_OK) and not prog.endswith('.o'):
            shutil.copy(path, os.path.join(stage, 'tests'))
    for script in glob.glob(os.path.join(SELFTESTS, '*', '*.sh')):
        if os.path.basename(os.path.dirname(script)) not in ('qemu',):
            shutil.copy(script, os.path.join(stage, 'tests'))
    for f in ('init', 'bin/pvguest-uevent'):
        os.chmod(os.path.join(stage, f), 0o755)
    out = os.path.join(base, 'initramfs.cpio')
    files = subprocess.run(['find', '.'], cwd=stage, check=True,
                           stdout=subprocess.PIPE).stdout
    with open(out, 'wb') as f:
        subprocess.run(['cpio', '-o', '-H', 'newc', '--quiet'], cwd=stage,
                       input=files, stdout=f, check=True)
    return out
