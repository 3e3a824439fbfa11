# SPDX-License-Identifier: GPL-2.0
"""The guest test suites: what each boots with and what its init runs.

A suite is one boot.  Its plan is the list of init items (see
selftests/qemu/init): load:MODULE, unload:MODULE, kunit:MODULE,
kunit-boot:SUITE, builtin:MODULE, ksft:PROGRAM, sh:SCRIPT.  Fixture suites
exist only to prove that the harness catches failures; they run when named
with --only, never by default.
"""

from dataclasses import dataclass, field

from .vm import Controller, Machine, Port


@dataclass
class Suite:
    name: str
    plan: list
    machine: Machine = field(default_factory=Machine)
    # Kernels to run on: 'debug' (the harness's debug build), 'intree'
    # (the debug build with our modules built in, build-intree.sh) and
    # 'stock' (Debian's cloud kernel; only suites that need no patched
    # kernel).
    kernels: tuple = ('debug',)
    fixture: bool = False
    # Module folder the suite belongs to: it runs only when that module is
    # in the tree ('' for the harness's own suites).
    module: str = ''
    # Extra kernel command line, e.g. initcall_blacklist=virtio_console_init
    # to keep Debian's built-in virtio_console off the devices.
    append: str = ''
    # Files for a fresh ext4 virtio-blk disk (/dev/vda): {path: bytes}; the
    # disk is made only when machine.disk_mb is set.
    disk_files: dict = field(default_factory=dict)


def _serial_machine():
    """Two virtio-serial controllers: two named ports on the first, one on
    the second (for whole-controller unplug)."""
    ports = [Port('p1', 'org.pvguest.test.0', nr=1),
             Port('p2', 'org.pvguest.test.1', nr=2)]
    return Machine(smp=2, mem=512, timeout=240, controllers=[
        Controller('vser0', max_ports=4, ports=ports),
        Controller('vser1', max_ports=2,
                   ports=[Port('q1', 'org.pvguest.unplug.0', nr=1)])])


def _rx_machine():
    """As _serial_machine(), with a virtconsole on port 0 and an interrupt
    vector per queue on the first controller (10 queues and the config
    vector): with the default two vectors, any queue's interrupt runs
    every queue's callback, which hides a receive interrupt left off."""
    machine = _serial_machine()
    machine.controllers[0].extra = 'vectors=11'
    machine.controllers[0].ports.insert(
        0, Port('c0', 'org.pvguest.console.0', nr=0, console=True))
    return machine


def _many_machine():
    """max_ports=31 filled: a virtconsole on port 0 and 30 data ports; a
    second controller with one port, live at the same time; and a
    single-port controller (max_ports=1: no multiport)."""
    ports = [Port('c0', 'org.pvguest.console.0', nr=0, console=True)]
    ports += [Port('m%d' % nr, 'org.pvguest.many.%d' % nr, nr=nr)
              for nr in range(1, 31)]
    return Machine(smp=2, mem=512, timeout=300, controllers=[
        Controller('vser0', max_ports=31, ports=ports),
        Controller('vser1', max_ports=2,
                   ports=[Port('o1', 'org.pvguest.other.0', nr=1)]),
        Controller('vser2', max_ports=1,
                   ports=[Port('s0', nr=0, console=True)])])


def _console_machine():
    """Console ports as hvc: a named virtconsole on port 0 of a multiport
    controller, and the only port of a single-port one (max_ports=1)."""
    return Machine(smp=2, mem=512, timeout=300, controllers=[
        Controller('vser0', max_ports=4, ports=[
            Port('c0', 'org.pvguest.console.0', nr=0, console=True),
            Port('p1', 'org.pvguest.test.0', nr=1)]),
        Controller('vser1', max_ports=1,
                   ports=[Port('s0', nr=0, console=True)])])


def _max_machine():
    """QEMU's limit: max_ports=511 on one controller, a virtserialport on
    every id from 1 to 510.  QEMU announces its boot-time ports all at
    once at DEVICE_READY and drops what does not fit the 32-entry control
    queue, so only ports 1-31 are there at boot; the test plugs in the
    others (their chardevs exist).  Each port keeps 128 receive pages:
    1 GiB."""
    ports = [Port('x%d' % nr, 'org.pvguest.max.%d' % nr, nr=nr,
                  hotplug=nr > 31)
             for nr in range(1, 511)]
    return Machine(smp=2, mem=1024, timeout=900, controllers=[
        Controller('vser0', max_ports=511, ports=ports)])


SUITES = [
    # The harness's own plumbing, checked with the in-tree virtio_console:
    # named ports, host sockets, QMP events, hot-unplug of a port and of a
    # whole controller.
    Suite('harness.plumbing',
          ['load:virtio_console', 'ksft:plumbing_test',
           'unload:virtio_console'],
          machine=_serial_machine(), kernels=('debug', 'stock')),

    # virtio_serial: control-message checks fed hostile input.
    Suite('virtio_serial.kunit', ['kunit:virtio_serial_kunit'],
          module='virtio_serial'),
    # virtio_serial against QEMU: debugfs statistics and tracepoints, then
    # ports, data, semantics, SIGIO, unplug.
    # Debian's stock kernel has virtio_console built in: keep it off.
    Suite('virtio_serial.io',
          ['load:virtio_serial', 'ksft:vser_stats_test', 'ksft:vser_test',
           'unload:virtio_serial'],
          machine=_serial_machine(), module='virtio_serial',
          kernels=('debug', 'stock'),
          append='initcall_blacklist=virtio_console_init'),
    # The receive side at its edges: a port plugged in again must not
    # hand the old port's data to its opener; no POLL_IN lost to a
    # reader that drains after each one.
    # A console's output counted in its port's statistics, and a burst
    # of kernel messages through it whole (hvc0 is a kernel console).
    Suite('virtio_serial.rx',
          ['load:virtio_serial', 'ksft:vser_rx_test',
           'ksft:vser_constats_test', 'unload:virtio_serial'],
          machine=_rx_machine(), module='virtio_serial',
          append='console=hvc0'),
    # 31 ports and two controllers, then the same after a module unload
    # and reload.
    Suite('virtio_serial.many',
          ['load:virtio_serial', 'ksft:vser_many_test',
           'unload:virtio_serial', 'load:virtio_serial',
           'ksft:vser_many_test', 'unload:virtio_serial'],
          machine=_many_machine(), module='virtio_serial'),
    # Console ports as /dev/hvcN, hvc0 the kernel console besides ttyS0;
    # then both unplugged while open.  hvc needs the debug kernel's tree.
    Suite('virtio_serial.console',
          ['load:virtio_serial', 'ksft:vser_console_test',
           'unload:virtio_serial'],
          machine=_console_machine(), module='virtio_serial',
          append='console=hvc0'),
    # Suspend (pm_test=devices): open ports announced again after the
    # restore.
    Suite('virtio_serial.pm',
          ['load:virtio_serial', 'ksft:vser_pm_test',
           'unload:virtio_serial'],
          machine=_serial_machine(), module='virtio_serial'),
    # 510 ports on one controller with max_ports=511.
    Suite('virtio_serial.max',
          ['load:virtio_serial', 'ksft:vser_max_test',
           'unload:virtio_serial'],
          machine=_max_machine(), module='virtio_serial',
          append='pvguest.timeout=700'),

    # The optional virtio-blk disk: an ext4 image made on the host.
    Suite('harness.disk', ['sh:disk_test.sh'],
          machine=Machine(disk_mb=64, timeout=120),
          disk_files={'hello.txt': b'hello from the host\n',
                      'data.bin': bytes(range(256)) * 4096}),

    # pvlock: KUnit (FIFO order needs 4 CPUs), then the torture test at
    # 1x, 2x and 4x vCPU overcommit of the 2 host CPUs.  The verdicts come
    # from selftests/pvlock/torture_test.sh, not from the module.
    Suite('pvlock.kunit', ['kunit:pvlock_kunit', 'unload:pvlock'],
          machine=Machine(smp=4, timeout=300), module='pvlock'),
    Suite('pvlock.torture1x', ['sh:torture_test.sh'],
          machine=Machine(smp=2, timeout=500), module='pvlock',
          kernels=('debug', 'stock')),
    Suite('pvlock.torture2x', ['sh:torture_test.sh'],
          machine=Machine(smp=4, timeout=500), module='pvlock'),
    Suite('pvlock.torture4x', ['sh:torture_test.sh'],
          machine=Machine(smp=8, timeout=600), module='pvlock'),

    # tmem: KUnit of the core (pools, store, dedup, eviction, integrity),
    # then unloading tmem, which must free everything it held.
    Suite('tmem.kunit', ['kunit:tmem_kunit', 'unload:tmem'],
          machine=Machine(smp=2, timeout=300), module='tmem'),
    # tmem behind ext4 on the virtio-blk disk: data read back after
    # eviction, no stale data after overwrite, truncate, hole punch,
    # O_DIRECT write, inode reuse or umount; the statistics, the pool cap,
    # and unload/reload under readers (selftests/tmem/tmem_test.c).
    Suite('tmem.ext4', ['load:tmem', 'ksft:tmem_test', 'unload:tmem'],
          machine=Machine(mem=512, disk_mb=256, timeout=600),
          module='tmem', append='pvguest.timeout=540'),
    # fsx-style random operations checked against a model, in a small
    # guest with frequent evictions (selftests/tmem/tmem_fsx_test.c).
    # About 4 minutes alone under TCG, 7 with the host's CPUs busy.
    Suite('tmem.fsx', ['load:tmem', 'ksft:tmem_fsx_test', 'unload:tmem'],
          machine=Machine(mem=256, disk_mb=64, timeout=900),
          module='tmem', append='pvguest.timeout=840'),

    # The in-tree build (selftests/qemu/build-intree.sh): the debug
    # kernel with every module, pvlock_torture and the KUnit tests built
    # in.  First that they are built in and that each KUnit suite ran at
    # boot and passed (one missing from debugfs fails); pvlock's FIFO case
    # needs 4 CPUs.  Built-in KUnit runs about when the refined TSC
    # replaces tsc-early as the clocksource, by stop_machine(), which
    # cannot finish while a pvlock case spins, preemption off, for
    # another CPU: the case gives up after 1 s and runs again (up to 5
    # times).  clocksource=hpet takes the clocksource before KUnit and
    # keeps it (sched_clock stays on the TSC), so that is rare.
    Suite('intree.kunit',
          ['builtin:virtio_serial', 'builtin:pvlock', 'builtin:pvlock_torture',
           'builtin:tmem', 'kunit-boot:virtio_serial',
           'kunit-boot:virtio_serial_tx', 'kunit-boot:pvlock',
           'kunit-boot:tmem'],
          machine=Machine(smp=4, timeout=300), kernels=('intree',),
          append='clocksource=hpet'),
    # Then the kselftests that need no module load or unload; the other
    # boots skip the KUnit run.  virtio_serial: ports found at boot,
    # statistics, data, semantics, SIGIO, unplug, and console ports as
    # hvc, hvc0 the kernel console from the start.
    Suite('intree.virtio_serial.io',
          ['load:virtio_serial', 'ksft:vser_stats_test', 'ksft:vser_test'],
          machine=_serial_machine(), module='virtio_serial',
          kernels=('intree',), append='kunit.enable=0'),
    # hvc0 exists before init starts here: the last console= (ttyS0
    # again) keeps init's /dev/console off it, or init would hold the
    # terminal that the test unplugs and expects to be gone.
    Suite('intree.virtio_serial.console', ['ksft:vser_console_test'],
          machine=_console_machine(), module='virtio_serial',
          kernels=('intree',),
          append='kunit.enable=0 console=hvc0 console=ttyS0'),
    # pvlock_torture's run at boot, set up on the command line (mode 3:
    # mixed irqsave, nesting, locks from softirq and hardirq) at 2x
    # overcommit, judged by torture_test.sh.
    Suite('intree.pvlock.torture', ['sh:torture_test.sh'],
          machine=Machine(smp=4, timeout=300), module='pvlock',
          kernels=('intree',),
          append='kunit.enable=0 pvlock_torture.duration_s=3 '
                 'pvlock_torture.irqs_off=2 pvlock_torture.nesting=1 '
                 'pvlock_torture.irq_locks=1'),
    # tmem behind ext4, serving from boot (tmem_test skips its unload
    # case).
    Suite('intree.tmem.ext4', ['load:tmem', 'ksft:tmem_test'],
          machine=Machine(mem=512, disk_mb=256, timeout=600),
          module='tmem', kernels=('intree',),
          append='kunit.enable=0 pvguest.timeout=540'),

    # Deliberate failures, each of which the harness must report.
    Suite('fixture.kunit', ['kunit:pvguest_fixture_kunit'], fixture=True),
    Suite('fixture.ksft', ['ksft:fixture_fail_test'], fixture=True),
    Suite('fixture.hang', ['ksft:fixture_hang_test'], fixture=True,
          machine=Machine(timeout=45)),
    Suite('fixture.splat',
          ['load:pvguest_fixture_splat', 'unload:pvguest_fixture_splat'],
          fixture=True),
]
