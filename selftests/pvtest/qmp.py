# SPDX-License-Identifier: GPL-2.0
"""A small QMP client: commands, and the events QEMU sends in between."""

import json
import select
import time


class QMPError(Exception):
    pass


class QMP:
    def __init__(self, sock):
        self.sock = sock
        self.buf = b''
        self.events = []
        self.sock.settimeout(20)
        greeting = self._read()
        if 'QMP' not in greeting:
            raise QMPError('no QMP greeting: %r' % greeting)
        self.execute('qmp_capabilities')

    def _read(self, timeout=20):
        """One JSON object from QEMU, or None when none came in time."""
        end = time.monotonic() + timeout
        while b'\n' not in self.buf:
            left = end - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([self.sock], [], [], left)
            if not ready:
                return None
            chunk = self.sock.recv(65536)
            if not chunk:
                raise QMPError('QMP connection closed')
            self.buf += chunk
        line, self.buf = self.buf.split(b'\n', 1)
        return json.loads(line)

    def execute(self, cmd, args=None, timeout=20):
        msg = {'execute': cmd}
        if args:
            msg['arguments'] = args
        self.sock.sendall(json.dumps(msg).encode() + b'\n')
        end = time.monotonic() + timeout
        while True:
            reply = self._read(max(end - time.monotonic(), 0))
            if reply is None:
                raise QMPError('no reply to %s' % cmd)
            if 'event' in reply:
                self.events.append(reply)
            elif 'error' in reply:
                raise QMPError('%s: %s' % (cmd, reply['error'].get('desc')))
            elif 'return' in reply:
                return reply['return']

    def pump(self):
        """Collect events that arrived without blocking."""
        try:
            while True:
                msg = self._read(0)
                if msg is None:
                    return
                if 'event' in msg:
                    self.events.append(msg)
        except (QMPError, OSError):
            return

    def drain_events(self, name):
        """Forget the events called name received so far; return how
        many there were."""
        self.pump()
        stale = [ev for ev in self.events if ev['event'] == name]
        for ev in stale:
            self.events.remove(ev)
        return len(stale)

    def wait_event(self, name, timeout=20, match=None):
        """The first queued or arriving event called name whose data has
        every key/value of match; it is removed from the queue."""
        end = time.monotonic() + timeout
        while True:
            for ev in self.events:
                data = ev.get('data', {})
                if ev['event'] == name and all(
                        data.get(k) == v for k, v in (match or {}).items()):
                    self.events.remove(ev)
                    return data
            left = end - time.monotonic()
            if left <= 0:
                return None
            msg = self._read(left)
            if msg is not None and 'event' in msg:
                self.events.append(msg)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass
