# SPDX-License-Identifier: GPL-2.0
"""Boot one guest under QEMU with the devices a test asks for.

Serial lines, all 8250 UARTs, none of them touched by the code under test:
  ttyS0  console: the kernel log, scanned for splats;
  ttyS1  results: the verdicts (TAP) written by the guest's init;
  ttyS2  host control: requests from guest test programs to the host side
         (connect a port's socket, hot-unplug a device ...), see hostctl.py.
"""

import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field

from . import hostctl
from .qmp import QMP

QEMU = 'qemu-system-x86_64'


@dataclass
class Port:
    """A virtserialport (or a virtconsole) backed by a unix socket.  With
    hotplug, only the chardev (ch-<id>) is made at boot: the test plugs
    the port in with QMP device_add."""
    id: str
    name: str = ''
    nr: int = -1
    console: bool = False
    hotplug: bool = False

    def args(self, ctrl, sockdir):
        dev = 'virtconsole' if self.console else 'virtserialport'
        path = os.path.join(sockdir, self.id + '.sock')
        opts = [dev, 'bus=%s.0' % ctrl, 'chardev=ch-' + self.id,
                'id=' + self.id]
        if self.name:
            opts.append('name=' + self.name)
        if self.nr >= 0:
            opts.append('nr=%d' % self.nr)
        chardev = ['-chardev', 'socket,id=ch-%s,path=%s,server=on,wait=off'
                   % (self.id, path)]
        return chardev if self.hotplug else chardev + ['-device',
                                                       ','.join(opts)]


@dataclass
class Controller:
    """A virtio-serial-pci controller and its ports."""
    id: str
    max_ports: int = 31
    ports: list = field(default_factory=list)
    extra: str = ''

    def args(self, sockdir):
        dev = 'virtio-serial-pci,id=%s,max_ports=%d' % (self.id, self.max_ports)
        if self.extra:
            dev += ',' + self.extra
        out = ['-device', dev]
        for port in self.ports:
            out += port.args(self.id, sockdir)
        return out


@dataclass
class Machine:
    """What one boot needs besides the kernel and the initramfs."""
    smp: int = 2
    mem: int = 512
    controllers: list = field(default_factory=list)
    disk: str = ''
    disk_mb: int = 0
    # Extra -drive options for the disk, e.g. QEMU block throttling
    # ('throttling.bps-read=...,throttling.iops-read=...').
    disk_opts: str = ''
    timeout: int = 300

    def ports(self):
        return {p.id: p for c in self.controllers for p in c.ports}


def make_disk(path, size_mb, populate=None):
    """Make an ext4 image for a virtio-blk disk, optionally filled from a
    host folder."""
    args = ['mkfs.ext4', '-q', '-F', '-b', '4096']
    if populate:
        args += ['-d', populate]
    subprocess.run(args + [path, '%dM' % size_mb], check=True,
                   stdout=subprocess.DEVNULL)
    return path


def _listen(path):
    if os.path.exists(path):
        os.unlink(path)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(path)
    sock.listen(1)
    return sock


class Guest:
    """One QEMU process.  start(), then serve() until it stops."""

    def __init__(self, kernel, initrd, workdir, machine, append='',
                 accel='tcg', interactive=False):
        self.kernel = kernel
        self.initrd = initrd
        self.dir = workdir
        self.machine = machine
        self.append = append
        self.accel = accel
        self.interactive = interactive
        self.console = os.path.join(workdir, 'console.log')
        self.results = os.path.join(workdir, 'results.log')
        self.proc = None
        self.timed_out = False
        self.qmp = None
        self.ctl = None

    def _accel_args(self):
        if self.accel == 'kvm':
            return ['-accel', 'kvm', '-cpu', 'host']
        return ['-accel', 'tcg,thread=multi', '-cpu', 'max']

    def command(self):
        m = self.machine
        cmd = [QEMU, '-nodefaults', '-no-reboot', '-display', 'none',
               '-machine', 'pc', *self._accel_args(),
               '-smp', str(m.smp), '-m', str(m.mem),
               '-kernel', self.kernel, '-initrd', self.initrd,
               '-append', self.append]
        if self.interactive:
            cmd += ['-chardev', 'stdio,id=con,signal=off,logfile=' +
                    self.console]
        else:
            cmd += ['-chardev', 'file,id=con,path=' + self.console]
        cmd += ['-serial', 'chardev:con',
                '-chardev', 'file,id=res,path=' + self.results,
                '-serial', 'chardev:res',
                '-chardev', 'socket,id=ctl,path=' +
                os.path.join(self.dir, 'hostctl.sock'),
                '-serial', 'chardev:ctl',
                '-chardev', 'socket,id=qmp,path=' +
                os.path.join(self.dir, 'qmp.sock'),
                '-mon', 'chardev=qmp,mode=control']
        for ctrl in m.controllers:
            cmd += ctrl.args(self.dir)
        if m.disk:
            drive = 'file=%s,if=none,id=disk0,format=raw' % m.disk
            if m.disk_opts:
                drive += ',' + m.disk_opts
            cmd += ['-drive', drive, '-device', 'virtio-blk-pci,drive=disk0']
        return cmd

    def start(self):
        os.makedirs(self.dir, exist_ok=True)
        for f in (self.console, self.results):
            open(f, 'w').close()
        ctl_l = _listen(os.path.join(self.dir, 'hostctl.sock'))
        qmp_l = _listen(os.path.join(self.dir, 'qmp.sock'))
        cmd = self.command()
        with open(os.path.join(self.dir, 'qemu.cmd'), 'w') as f:
            f.write(' '.join(cmd) + '\n')
        stdio = None if self.interactive else subprocess.DEVNULL
        with open(os.path.join(self.dir, 'qemu.err'), 'w') as err:
            self.proc = subprocess.Popen(cmd, stdin=stdio, stdout=stdio,
                                         stderr=err)
        self.start_time = time.monotonic()
        for lsock in (ctl_l, qmp_l):
            lsock.settimeout(20)
        try:
            ctl, _ = ctl_l.accept()
            qsock, _ = qmp_l.accept()
        except OSError as e:
            self.kill()
            raise RuntimeError('QEMU did not start: %s (see %s)' %
                               (e, err.name)) from e
        finally:
            ctl_l.close()
            qmp_l.close()
        self.qmp = QMP(qsock)
        self.ctl = hostctl.Server(ctl, self)

    def deadline(self):
        return self.start_time + self.machine.timeout

    def serve(self):
        """Answer host-control requests until QEMU exits or time is up."""
        while self.proc.poll() is None:
            left = self.deadline() - time.monotonic()
            if left <= 0 and not self.interactive:
                self.timed_out = True
                self.kill()
                break
            self.ctl.poll(min(max(left, 0.05), 0.5))
            self.qmp.pump()
        self.close()
        return self.proc.returncode

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def close(self):
        if self.ctl:
            self.ctl.close()
        if self.qmp:
            self.qmp.close()

    def port_socket(self, port_id):
        if port_id not in self.machine.ports() and not \
                os.path.exists(os.path.join(self.dir, port_id + '.sock')):
            raise KeyError('no port ' + port_id)
        return os.path.join(self.dir, port_id + '.sock')


def qemu_available():
    return shutil.which(QEMU) is not None
