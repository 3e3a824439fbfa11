# SPDX-License-Identifier: GPL-2.0
"""make shell and make demo."""

import os
import shutil

from . import build, guest, images
from .paths import OUT
from .vm import Controller, Guest, Machine, Port, make_disk


def _machine(timeout):
    return Machine(smp=4, mem=512, timeout=timeout, controllers=[
        Controller('vser0', max_ports=8, ports=[
            Port('demo', 'org.pvguest.demo.0', nr=1),
            Port('spare', 'org.pvguest.demo.1', nr=2)])])


def _image(kernel):
    try:
        return images.get(kernel)
    except build.BuildError as e:
        print(e)
        return None


def _boot(kernel, name, append, timeout, interactive=False, machine=None):
    """Boot the demo machine (or @machine); the Guest once it has stopped,
    or None."""
    image = _image(kernel)
    if image is None:
        return None
    workdir = os.path.join(OUT, 'run', name)
    shutil.rmtree(workdir, ignore_errors=True)
    if machine is None:
        machine = _machine(timeout)
    elif machine.disk_mb:
        os.makedirs(workdir)
        machine.disk = make_disk(os.path.join(workdir, 'disk.img'),
                                 machine.disk_mb)
    g = Guest(image.kernel, image.initrd, workdir, machine,
              append=guest.append_for(image) + ' ' + append, accel=guest.accel(image),
              interactive=interactive)
    print('# %s guest (%s); port sockets, QMP and logs in %s' %
          (kernel, g.accel, workdir), flush=True)
    g.start()
    g.serve()
    return g


def shell(kernel):
    """Boot a guest with a busybox shell on this terminal."""
    return 0 if _boot(kernel, 'shell', 'pvguest.mode=shell', 0,
                      interactive=True) else 1


def _show(g, item):
    """Print what the guest's plan item said; whether it succeeded."""
    with open(g.results, errors='replace') as f:
        text = f.read()
    for line in text.splitlines():
        if not line.startswith('PVGUEST '):
            print(line.rstrip('\r'))
    ok = 'PVGUEST END %s 0' % item in text
    if not ok:
        print('# the demo did not finish; console log: %s' % g.console)
    return ok


def demo(kernel):
    """Boot a guest that runs selftests/demo/demo.sh and print what it
    says; then, with tmem in the tree, a small guest with a disk that
    runs selftests/demo/tmem_demo.sh."""
    g = _boot(kernel, 'demo', 'pvguest.run=sh:demo.sh', 300)
    if g is None or not _show(g, 'sh:demo.sh'):
        return 1
    if 'tmem' not in build.module_dirs():
        return 0
    # Little memory, so that the file does not fit in the page cache.
    small = Machine(smp=2, mem=192, disk_mb=512, timeout=400)
    g = _boot(kernel, 'demo-tmem', 'pvguest.run=sh:tmem_demo.sh', 400,
              machine=small)
    return 0 if g is not None and _show(g, 'sh:tmem_demo.sh') else 1
