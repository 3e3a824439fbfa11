# SPDX-License-Identifier: GPL-2.0
"""Run one suite in one guest and turn what came back into results."""

import dataclasses
import os
import re
import shutil
import subprocess
import time

from . import ktap
from .ktap import FAIL, PASS, SKIP, Result
from .paths import OUT
from .vm import Guest, Machine, make_disk

_START = re.compile(r'^PVGUEST START \S+ cpus=(\d+)', re.M)
_BEGIN = re.compile(r'^PVGUEST BEGIN (\S+)')
_END = re.compile(r'^PVGUEST END (\S+) (\d+)')

APPEND = ('console=ttyS0 panic=-1 printk.devkmsg=on no_hash_pointers '
          'kunit.enable=1')


def append_for(image):
    """The base kernel command line for an image.

    Our kernels boot with acpi=noirq: virtio-pci uses MSI-X, and evaluating
    the ACPI IRQ links of each PCI device costs about 25 s under TCG with
    KASAN and kmemleak; CPUs and I/O APICs then come from the MP table.
    Debian's kernel has no MP-table parser (it would run on one CPU) and no
    KASAN, so it keeps ACPI interrupt routing.
    """
    return APPEND if image.kind == 'stock' else APPEND + ' acpi=noirq'


class Image:
    """A bootable kernel plus its initramfs."""

    def __init__(self, name, kernel, initrd, kind):
        self.name = name
        self.kernel = kernel
        self.initrd = initrd
        self.kind = kind


_accel = None


def accel(image):
    """'kvm' when a KVM guest really boots to userspace, else 'tcg'.

    /dev/kvm can exist and accept a guest that then never gets anywhere,
    so boot the real kernel and initramfs with a short limit.
    """
    global _accel
    if _accel:
        return _accel
    _accel = os.environ.get('PVGUEST_ACCEL', '')
    if _accel:
        return _accel
    _accel = 'tcg'
    why = 'no usable /dev/kvm'
    if os.access('/dev/kvm', os.R_OK | os.W_OK):
        workdir = os.path.join(OUT, 'run', 'kvm-probe')
        shutil.rmtree(workdir, ignore_errors=True)
        g = Guest(image.kernel, image.initrd, workdir,
                  Machine(smp=1, mem=256, timeout=10),
                  append=append_for(image) + ' pvguest.mode=probe',
                  accel='kvm')
        try:
            g.start()
            g.serve()
            with open(g.results) as f:
                if 'PVGUEST DONE' in f.read():
                    _accel, why = 'kvm', 'a KVM guest booted'
                else:
                    why = 'a KVM guest did not reach userspace in 10 s'
        except RuntimeError as e:
            why = 'KVM failed: %s' % e
    print('# accelerator: %s (%s)' % (_accel, why), flush=True)
    return _accel


def _sections(results):
    """[(item, output, rc or None)] from the results channel, in the order
    the guest ran them (a plan may hold an item twice), and whether the
    guest finished its plan."""
    out = []
    cur = None
    done = False
    for line in results.splitlines():
        line = line.rstrip('\r')
        m = _BEGIN.match(line)
        if m:
            cur = [m.group(1), [], None]
            out.append(cur)
            continue
        m = _END.match(line)
        if m and cur and m.group(1) == cur[0]:
            cur[2] = int(m.group(2))
            cur = None
            continue
        if line.startswith('PVGUEST DONE'):
            done = True
        elif cur:
            cur[1].append(line)
    return [(i, '\n'.join(t), rc) for i, t, rc in out], done


def _item_results(suite, item, text, rc, prefix):
    kind, _, arg = item.partition(':')
    name = '%s: %s' % (prefix, item)
    if rc is None:
        return [Result(name, FAIL, 'did not finish')]
    if kind in ('load', 'unload', 'builtin'):
        if rc:
            return [Result(name, FAIL, 'exit %d: %s' % (rc, text.strip()))]
        return []
    res = ktap.parse(text, prefix)
    if not res:
        last = text.strip().splitlines()[-1:] or ['']
        return [Result(name, FAIL, 'reported no results (exit %d) %s' %
                       (rc, last[0]))]
    failed = any(r.status == FAIL for r in res)
    skipped_only = all(r.status == SKIP for r in res)
    ok_rc = rc == 0 or (rc == 4 and skipped_only)
    if not ok_rc and not failed:
        res.append(Result(name, FAIL, 'exit %d' % rc))
    return res


def _disk(suite, workdir):
    files = os.path.join(workdir, 'disk-files')
    for rel, data in suite.disk_files.items():
        path = os.path.join(files, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, 'wb') as f:
            f.write(data)
    return make_disk(os.path.join(workdir, 'disk.img'),
                     suite.machine.disk_mb, files if suite.disk_files else None)


def run_suite(suite, image, workdir):
    """Boot image with the suite's machine and plan; a list of Results."""
    shutil.rmtree(workdir, ignore_errors=True)
    os.makedirs(workdir)
    append = '%s %s pvguest.run=%s' % (append_for(image), suite.append,
                                       ','.join(suite.plan))
    machine = suite.machine
    if machine.disk_mb:
        machine = dataclasses.replace(machine, disk=_disk(suite, workdir))
    guest = Guest(image.kernel, image.initrd, workdir, machine,
                  append=append, accel=accel(image))
    t0 = time.monotonic()
    try:
        guest.start()
        guest.serve()
    except RuntimeError as e:
        return [Result(suite.name, FAIL, str(e))]
    with open(guest.results, errors='replace') as f:
        text = f.read()
    sections, done = _sections(text)
    with open(guest.console, errors='replace') as f:
        console = f.read()

    results = []
    m = _START.search(text)
    if m and int(m.group(1)) != machine.smp:
        results.append(Result('%s: guest machine' % suite.name, FAIL,
                              'the guest sees %s CPUs, not %d' %
                              (m.group(1), machine.smp)))
    running = None
    seen = {}
    for n, item in enumerate(suite.plan):
        # The second run of an item reports as "SUITE#2: ...".
        seen[item] = seen.get(item, 0) + 1
        prefix = suite.name
        if seen[item] > 1:
            prefix += '#%d' % seen[item]
        if n >= len(sections) or sections[n][0] != item:
            results.append(Result('%s: %s' % (prefix, item), FAIL,
                                  'never started'))
            continue
        _, text, rc = sections[n]
        if rc is None:
            running = item
        results += _item_results(suite, item, text, rc, prefix)

    if not done:
        why = 'timed out after %d s' % suite.machine.timeout \
            if guest.timed_out else 'stopped early (panic?)'
        if running:
            why += ' while running ' + running
        results.append(Result('%s: guest finished' % suite.name, FAIL,
                              '%s; console: %s' % (why, guest.console)))

    found = ktap.splats(console)
    if found:
        for step, line in found.items():
            results.append(Result('%s: kernel log clean' % suite.name, FAIL,
                                  'during %s: %s' % (step, line)))
    else:
        results.append(Result('%s: kernel log clean' % suite.name, PASS))
    took = time.monotonic() - t0
    for r in results:
        if r.status == FAIL and not r.detail.endswith(guest.console):
            r.detail += ' [%.0f s, logs in %s]' % (took, workdir)
            break
    return results


def stock_image(krel):
    """Debian's stock kernel of release krel, as installed by its
    linux-image package, or None."""
    vmlinuz = '/boot/vmlinuz-' + krel
    if not os.path.exists(vmlinuz):
        return None
    return vmlinuz


def decompress_modules(moddir):
    """Debian ships .ko.xz; busybox modprobe wants plain .ko files."""
    for root, _, files in os.walk(moddir):
        for f in files:
            if f.endswith('.ko.xz'):
                subprocess.run(['xz', '-d', '-f', os.path.join(root, f)],
                               check=True)
