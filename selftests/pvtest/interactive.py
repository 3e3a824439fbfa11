# SPDX-License-Identifier: GPL-2.0
"""make shell and make demo."""

import os
import shutil

from . import build, guest, images
from .paths import OUT
from .vm import Controller, Guest, Machine, Port


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


def _boot(kernel, name, append, timeout, interactive=False):
    """Boot the demo machine; the Guest once it has stopped, or None."""
    image = _image(kernel)
    if image is None:
        return None
    workdir = os.path.join(OUT, 'run', name)
    shutil.rmtree(workdir, ignore_errors=True)
    g = Guest(image.kernel, image.initrd, workdir, _machine(timeout),
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


def demo(kernel):
    """Boot a guest that runs selftests/demo/demo.sh and print what it
    says."""
    g = _boot(kernel, 'demo', 'pvguest.run=sh:demo.sh', 300)
    if g is None:
        return 1
    with open(g.results, errors='replace') as f:
        text = f.read()
    for line in text.splitlines():
        if not line.startswith('PVGUEST '):
            print(line.rstrip('\r'))
    ok = 'PVGUEST END sh:demo.sh 0' in text
    if not ok:
        print('# the demo did not finish; console log: %s' % g.console)
    return 0 if ok else 1
