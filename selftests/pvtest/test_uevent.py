# SPDX-License-Identifier: GPL-2.0
"""Unit tests of the guest's uevent helper, selftests/qemu/uevent (run by
`make check` as harness.uevent).

The helper runs under busybox, as in the guest, on a fake root: a port is
a node under dev/ and a directory with a name under sys/class/virtio-ports.
The kernel runs one helper per event without waiting, so a helper may run
long after later events; the cases replay such orders one at a time.
"""

import os
import shutil
import subprocess
import tempfile
import unittest

from .paths import SELFTESTS

HELPER = os.path.join(SELFTESTS, 'qemu', 'uevent')
BUSYBOX = '/bin/busybox'
APPLETS = ('cat', 'ln', 'readlink', 'rm')
PORT = 'vport1p1'
NAME = 'org.pvguest.other.0'
LINK = 'dev/virtio-ports/' + NAME


class UeventHelperTest(unittest.TestCase):
    def setUp(self):
        self.root = tempfile.mkdtemp(prefix='pvguest-uevent-')
        self.addCleanup(shutil.rmtree, self.root)
        # Only busybox applets, as in the guest's initramfs.
        self.bin = os.path.join(self.root, 'bin')
        os.mkdir(self.bin)
        for applet in APPLETS:
            os.symlink(BUSYBOX, os.path.join(self.bin, applet))
        for d in ('dev/virtio-ports', 'sys/class/virtio-ports'):
            os.makedirs(self.path(d), exist_ok=True)

    def path(self, rel):
        return os.path.join(self.root, rel)

    def plug(self, port=PORT, name=NAME):
        """What the kernel has done before it sends "add" and "change"."""
        sysdir = self.path('sys/class/virtio-ports/' + port)
        os.makedirs(sysdir)
        with open(os.path.join(sysdir, 'name'), 'w') as f:
            f.write(name + '\n' if name else '')
        open(self.path('dev/' + port), 'w').close()

    def unplug(self, port=PORT):
        """What the kernel has done before it sends "remove"."""
        os.unlink(self.path('dev/' + port))
        shutil.rmtree(self.path('sys/class/virtio-ports/' + port))

    def helper(self, action=None, port=PORT, subsystem='virtio-ports'):
        env = {'PATH': self.bin, 'PVGUEST_ROOT': self.root}
        args = [BUSYBOX, 'sh', HELPER]
        if action is None:
            args.append('sync')
        else:
            env.update(ACTION=action, SUBSYSTEM=subsystem, DEVNAME=port,
                       DEVPATH='/devices/virtio1/virtio-ports/' + port)
        proc = subprocess.run(args, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True,
                              timeout=60)
        self.assertEqual(proc.returncode, 0, proc.stdout)

    def link(self):
        try:
            return os.readlink(self.path(LINK))
        except FileNotFoundError:
            return None

    def test_add_then_change_links_the_name(self):
        self.plug(name='')
        self.helper('add')
        self.assertIsNone(self.link())
        with open(self.path('sys/class/virtio-ports/%s/name' % PORT),
                  'w') as f:
            f.write(NAME + '\n')
        self.helper('change')
        self.assertEqual(self.link(), '../' + PORT)

    def test_remove_drops_the_link(self):
        self.plug()
        self.helper('add')
        self.unplug()
        self.helper('remove')
        self.assertIsNone(self.link())
        self.assertFalse(os.path.lexists(self.path(LINK)))

    def test_late_remove_keeps_the_replugged_port(self):
        # A module reload: the old port's "remove" helper runs only after
        # the new port, with the same node name, was plugged and linked.
        self.plug()
        self.helper('add')
        self.unplug()
        self.plug()
        self.helper('add')
        self.helper('change')
        self.helper('remove')
        self.assertEqual(self.link(), '../' + PORT)

    def test_late_change_after_unplug_makes_no_link(self):
        self.plug()
        self.unplug()
        self.helper('remove')
        self.helper('change')
        self.assertFalse(os.path.lexists(self.path(LINK)))

    def test_remove_keeps_other_ports(self):
        self.plug()
        self.plug(port='vport0p1', name='org.pvguest.many.1')
        self.helper('add')
        self.helper('add', port='vport0p1')
        self.unplug(port='vport0p1')
        self.helper('remove', port='vport0p1')
        self.assertEqual(self.link(), '../' + PORT)
        self.assertFalse(os.path.lexists(
            self.path('dev/virtio-ports/org.pvguest.many.1')))

    def test_refuses_unsafe_names(self):
        for i, name in enumerate(('..', '.hidden', 'a/b')):
            port = 'vport0p%d' % (i + 1)
            self.plug(port=port, name=name)
            self.helper('add', port=port)
        self.assertEqual(os.listdir(self.path('dev/virtio-ports')), [])

    def test_other_subsystems_ignored(self):
        self.plug()
        self.helper('add', subsystem='tty')
        self.assertIsNone(self.link())

    def test_sync(self):
        self.plug()
        os.symlink('../vport9p9', self.path('dev/virtio-ports/stale'))
        self.helper()
        self.assertEqual(self.link(), '../' + PORT)
        self.assertFalse(os.path.lexists(
            self.path('dev/virtio-ports/stale')))


if __name__ == '__main__':
    unittest.main()
