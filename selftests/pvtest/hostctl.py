# SPDX-License-Identifier: GPL-2.0
"""Host side of the host-control handshake (guest ttyS2).

A guest test program writes one request line and waits for one reply line:

  connect PORT                      connect a client to PORT's socket
  disconnect PORT                   close that client
  send PORT HEX                     write bytes to PORT
  sendpat PORT COUNT SEED           write COUNT pattern bytes (see pattern())
  recv PORT COUNT MS                read up to COUNT bytes; reply: ok HEX
  recvpat PORT COUNT SEED MS        read exactly COUNT bytes and check them
  sink PORT COUNT MS                read and drop exactly COUNT bytes (bench)
  source PORT COUNT                 write COUNT constant bytes (bench)
  sinkmany P1,P2.. COUNT MS         sink COUNT bytes from each port at once
  sourcemany P1,P2.. COUNT          source COUNT bytes to each port at once
  echo PORT COUNT MS                send back every byte read until COUNT
                                    bytes went round (bench: ping-pong)
  qmp JSON                          run a QMP command; reply: ok JSON
  event NAME MS [JSON]              wait for a QMP event whose data holds
                                    JSON's keys; reply: ok JSON
  drain NAME                        forget the QMP events called NAME that
                                    have arrived; reply: ok COUNT
  log TEXT                          copy TEXT into the host's log

Replies are "ok[ DATA]" or "err MESSAGE".  The guest side is
selftests/lib/hostctl.c.
"""

import json
import os
import select
import socket
import time

from .qmp import QMPError


_PERIOD = 1 << 16
_periods = {}


def pattern(seed, offset, count):
    """The byte stream both sides agree on; position-dependent, so lost,
    duplicated or reordered bytes show.  Byte i is
    (seed + 7 * i + (i >> 8)) & 0xff, which repeats every 64 KiB: the
    stream is cut from one cached period (64 MiB transfers stay fast)."""
    period = _periods.get(seed)
    if period is None:
        one = bytes(((seed + i * 7 + (i >> 8)) & 0xff)
                    for i in range(_PERIOD))
        period = _periods[seed] = one * 2
    out = bytearray()
    while count > 0:
        start = offset % _PERIOD
        n = min(count, _PERIOD)
        out += period[start:start + n]
        offset += n
        count -= n
    return bytes(out)


class Server:
    def __init__(self, sock, guest):
        self.sock = sock
        self.guest = guest
        self.buf = b''
        self.clients = {}
        self.log = open(os.path.join(guest.dir, 'hostctl.log'), 'w')

    def poll(self, timeout):
        ready, _, _ = select.select([self.sock], [], [], timeout)
        if not ready:
            return
        try:
            chunk = self.sock.recv(4096)
        except OSError:
            chunk = b''
        if not chunk:
            time.sleep(timeout)
            return
        self.buf += chunk
        while b'\n' in self.buf:
            line, self.buf = self.buf.split(b'\n', 1)
            line = line.strip(b'\r').decode(errors='replace')
            if line:
                self._handle(line)

    def _reply(self, text):
        self.log.write('< %s\n' % text[:200])
        self.log.flush()
        self.sock.sendall(text.encode() + b'\n')

    def _handle(self, line):
        self.log.write('> %s\n' % line[:200])
        words = line.split(' ', 1)
        handler = getattr(self, 'do_' + words[0], None)
        if handler is None:
            self._reply('err unknown request ' + words[0])
            return
        try:
            out = handler(words[1] if len(words) > 1 else '')
        except (OSError, ValueError, KeyError, QMPError) as e:
            self._reply('err %s: %s' % (type(e).__name__, e))
            return
        self._reply('ok' if out is None else 'ok ' + out)

    def _client(self, port):
        if port not in self.clients:
            raise KeyError('%s is not connected' % port)
        return self.clients[port]

    def do_hello(self, _):
        return None

    def do_log(self, text):
        self.log.write('guest: %s\n' % text)

    def do_connect(self, port):
        path = self.guest.port_socket(port)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.connect(path)
        self.do_disconnect(port)
        self.clients[port] = sock

    def do_disconnect(self, port):
        sock = self.clients.pop(port, None)
        if sock:
            sock.close()

    def do_send(self, args):
        port, data = args.split()
        self._client(port).sendall(bytes.fromhex(data))

    def do_sendpat(self, args):
        port, count, seed = args.split()
        sock = self._client(port)
        count, seed, off = int(count), int(seed), 0
        while off < count:
            n = min(65536, count - off)
            sock.sendall(pattern(seed, off, n))
            off += n

    def _recv(self, port, count, ms, exact):
        sock = self._client(port)
        end = time.monotonic() + ms / 1000.0
        data = b''
        while len(data) < count:
            left = end - time.monotonic()
            if left <= 0:
                break
            ready, _, _ = select.select([sock], [], [], left)
            if not ready:
                break
            chunk = sock.recv(count - len(data))
            if not chunk:
                break
            data += chunk
            if not exact:
                break
        return data

    def do_recv(self, args):
        port, count, ms = args.split()
        return self._recv(port, int(count), int(ms), False).hex()

    def do_recvpat(self, args):
        port, count, seed, ms = args.split()
        count = int(count)
        data = self._recv(port, count, int(ms), True)
        if len(data) != count:
            raise ValueError('got %d of %d bytes' % (len(data), count))
        want = pattern(int(seed), 0, count)
        if data != want:
            bad = next(i for i in range(count) if data[i] != want[i])
            raise ValueError('byte %d differs' % bad)
        return None

    def do_sink(self, args):
        port, count, ms = args.split()
        sock = self._client(port)
        left = int(count)
        end = time.monotonic() + int(ms) / 1000.0
        while left > 0 and time.monotonic() < end:
            ready, _, _ = select.select([sock], [], [], 1)
            if ready:
                chunk = sock.recv(min(left, 1 << 20))
                if not chunk:
                    break
                left -= len(chunk)
        if left:
            raise ValueError('%d bytes missing' % left)

    def do_source(self, args):
        port, count = args.split()
        sock = self._client(port)
        block = b'\xa5' * 65536
        left = int(count)
        while left > 0:
            n = min(left, len(block))
            sock.sendall(block[:n])
            left -= n

    def do_sinkmany(self, args):
        ports, count, ms = args.split()
        socks = {self._client(p): int(count) for p in ports.split(',')}
        end = time.monotonic() + int(ms) / 1000.0
        while any(socks.values()) and time.monotonic() < end:
            ready, _, _ = select.select([s for s, n in socks.items() if n],
                                        [], [], 1)
            for sock in ready:
                chunk = sock.recv(min(socks[sock], 1 << 20))
                if not chunk:
                    raise ValueError('end of file on a port')
                socks[sock] -= len(chunk)
        if any(socks.values()):
            raise ValueError('%d bytes missing' % sum(socks.values()))

    def do_sourcemany(self, args):
        ports, count = args.split()
        socks = {self._client(p): int(count) for p in ports.split(',')}
        block = memoryview(b'\xa5' * 65536)
        for sock in socks:
            sock.setblocking(False)
        try:
            while any(socks.values()):
                _, ready, _ = select.select(
                    [], [s for s, n in socks.items() if n], [], 60)
                if not ready:
                    raise ValueError('no progress for 60 s')
                for sock in ready:
                    try:
                        sent = sock.send(block[:min(socks[sock],
                                                    len(block))])
                    except BlockingIOError:
                        continue
                    socks[sock] -= sent
        finally:
            for sock in socks:
                sock.setblocking(True)

    def do_echo(self, args):
        port, count, ms = args.split()
        sock = self._client(port)
        left = int(count)
        end = time.monotonic() + int(ms) / 1000.0
        while left > 0:
            ready, _, _ = select.select([sock], [], [],
                                        max(0, end - time.monotonic()))
            if not ready:
                raise ValueError('%d bytes not echoed' % left)
            chunk = sock.recv(min(left, 65536))
            if not chunk:
                raise ValueError('end of file after %d bytes' %
                                 (int(count) - left))
            sock.sendall(chunk)
            left -= len(chunk)

    def do_qmp(self, text):
        msg = json.loads(text)
        ret = self.guest.qmp.execute(msg['execute'], msg.get('arguments'))
        return json.dumps(ret)

    def do_event(self, args):
        words = args.split(' ', 2)
        match = json.loads(words[2]) if len(words) > 2 else None
        data = self.guest.qmp.wait_event(words[0], int(words[1]) / 1000.0,
                                         match)
        if data is None:
            raise ValueError('no %s event' % words[0])
        return json.dumps(data)

    def do_drain(self, name):
        return str(self.guest.qmp.drain_events(name.strip()))

    def close(self):
        for port in list(self.clients):
            self.do_disconnect(port)
        self.log.close()
        try:
            self.sock.close()
        except OSError:
            pass
