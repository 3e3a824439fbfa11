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


def shell(kernel):
    """Boot a guest with a busybox shell on this terminal."""
    image = _image(kernel)
    if image is None:
        return 1
    workdir = os.path.join(OUT, 'run', 'shell')
    shutil.rmtree(workdir, ignore_errors=True)
    g = Guest(image.kernel, image.initrd, workdir, _machine(0),
              append=guest.APPEND + ' pvguest.mode=shell',
              accel=guest.accel(image), interactive=True)
    print('# %s guest; port sockets, QMP and logs in %s' % (kernel, workdir))
    g.start()
    g.serve()
    return 0


def demo(kernel):
    """Boot a guest that runs selftests/demo/demo.sh and print what it
    says."""
    image = _image(kernel)
    if image is None:
        return 1
    workdir = os.path.join(OUT, 'run', 'demo')
    shutil.rmtree(workdir, ignore_errors=True)
    g = Guest(image.kernel, image.initrd, workdir, _machine(300),
              # Without acpi=noirq: the 4 vCPUs are real (see suites.py).
              append=guest.APPEND.replace(' acpi=noirq', '') +
              ' pvguest.run=sh:demo.sh',
              accel=guest.accel(image))
    print('# booting the %s guest (%s) ...' % (kernel, g.accel), flush=True)
    g.start()
    g.serve()
    with open(g.results, errors='replace') as f:
        text = f.read()
    for line in text.splitlines():
        if not line.startswith('PVGUEST '):
            print(line.rstrip('\r'))
    ok = 'PVGUEST END sh:demo.sh 0' in text
    if not ok:
        print('# the demo did not finish; console log: %s' % g.console)
    return 0 if ok else 1
