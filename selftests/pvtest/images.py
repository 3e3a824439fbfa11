# SPDX-License-Identifier: GPL-2.0
"""Bootable images: our guest kernels, and Debian's stock cloud kernel."""

import glob
import os
import re
import shutil
import subprocess

from . import build
from .guest import Image, decompress_modules
from .paths import OUT

_cache = {}


def get(kernel, suites=()):
    """The Image for 'debug', 'release', 'intree' or 'stock' (None when no
    stock kernel is installed), built once per run."""
    if kernel not in _cache:
        if kernel == 'stock':
            _cache[kernel] = stock(suites)
        elif kernel == 'intree':
            _cache[kernel] = intree()
        else:
            _cache[kernel] = ours(kernel)
    return _cache[kernel]


def ours(variant):
    kdir = build.kernel(variant)
    krel = build.kernel_release(kdir)
    kos = build.modules(kdir, variant)
    progs = build.programs(kdir, variant)
    initrd = build.initramfs(variant, krel,
                             os.path.join(kdir, '.pvguest-modroot'), kos,
                             progs)
    return Image(variant, os.path.join(kdir, 'arch/x86/boot/bzImage'),
                 initrd, variant)


def intree():
    """The debug kernel with our modules built in (build-intree.sh), and
    no module of ours in its initramfs: what the plan loads must be built
    in."""
    kdir = build.kernel('debug', 'build-intree.sh')
    krel = build.kernel_release(kdir)
    progs = build.programs(kdir, 'intree')
    initrd = build.initramfs('intree', krel,
                             os.path.join(kdir, '.pvguest-modroot'), [],
                             progs)
    return Image('intree', os.path.join(kdir, 'arch/x86/boot/bzImage'),
                 initrd, 'intree')


def stock_release(series='6.12'):
    """The newest installed Debian cloud kernel of a series, or None."""
    pat = re.compile(r'^vmlinuz-(%s\.[0-9.+a-z-]*cloud-amd64)$' %
                     re.escape(series))
    rels = [m.group(1) for f in os.listdir('/boot')
            for m in [pat.match(f)] if m and
            os.path.isdir('/lib/modules/' + m.group(1))]
    if not rels:
        return None

    def key(rel):
        return [int(x) if x.isdigit() else x
                for x in re.split(r'[.+-]', rel)]
    return sorted(rels, key=key)[-1]


def _stock_modules(krel, names, dest):
    """Copy the stock modules names need (with their dependencies) into
    dest/lib/modules/krel, uncompressed."""
    moddir = os.path.join(dest, 'lib', 'modules', krel)
    shutil.rmtree(dest, ignore_errors=True)
    os.makedirs(moddir)
    for meta in ('modules.builtin', 'modules.builtin.modinfo',
                 'modules.order'):
        path = '/lib/modules/%s/%s' % (krel, meta)
        if os.path.exists(path):
            shutil.copy(path, moddir)
    for name in names:
        # Names that are not the kernel's own (ours) are not found here.
        r = subprocess.run(['modprobe', '-S', krel, '--show-depends', name],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                           text=True)
        for line in r.stdout.splitlines():
            words = line.split()
            if len(words) >= 2 and words[0] == 'insmod':
                src = words[1]
                rel = os.path.relpath(src, '/lib/modules/' + krel)
                os.makedirs(os.path.dirname(os.path.join(moddir, rel)),
                            exist_ok=True)
                shutil.copy(src, os.path.join(moddir, rel))
    decompress_modules(moddir)


def stock(suites):
    krel = stock_release()
    if krel is None:
        return None
    kdir = '/usr/src/linux-headers-' + krel
    tag = 'stock-' + krel
    needed = {'virtio_pci'}
    for s in suites:
        needed |= {i.split(':', 1)[1] for i in s.plan
                   if i.startswith('load:')}
    modroot = os.path.join(OUT, 'build', tag, 'modroot')
    _stock_modules(krel, sorted(needed), modroot)
    kos = []
    if build.module_dirs() and os.path.isdir(kdir):
        kos = [k for k in build.modules(kdir, tag, fixtures=False)
               if '/fixtures/' not in k]
    # The programs are static: the ones built for the debug guest serve.
    progs = build.programs(build.kernel('debug'), 'debug')
    initrd = build.initramfs(tag, krel, modroot, kos, progs)
    return Image('stock-' + krel, '/boot/vmlinuz-' + krel, initrd, 'stock')


def stock_headers():
    """Installed Debian stock cloud header trees: {release: path}."""
    out = {}
    for path in glob.glob('/usr/src/linux-headers-*-cloud-amd64'):
        out[os.path.basename(path)[len('linux-headers-'):]] = path
    return out
