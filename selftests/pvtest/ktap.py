# SPDX-License-Identifier: GPL-2.0
"""Read verdicts: (K)TAP from test programs and KUnit, splats from the
kernel log."""

import re
from dataclasses import dataclass

PASS, FAIL, SKIP = 'pass', 'fail', 'skip'

_RESULT = re.compile(r'^(\s*)(not ok|ok)\s+(\d+)\s*(?:-\s*)?(.*?)\s*'
                     r'(?:#\s*(SKIP|TODO|XFAIL)\b\s*(.*))?$', re.I)
_PLAN = re.compile(r'^(\s*)1\.\.(\d+)')
_SUBTEST = re.compile(r'^(\s*)#\s*Subtest:\s*(\S+)')


@dataclass
class Result:
    name: str
    status: str
    detail: str = ''


class _Frame:
    def __init__(self, indent, name):
        self.indent = indent
        self.name = name
        self.plan = None
        self.count = 0
        self.failed = False


def parse(text, prefix):
    """Leaf results of a (K)TAP stream, named PREFIX: parent.child.

    A parent line ("ok 1 suite" after its indented subtests) is not a
    result of its own; it only adds a failure if it disagrees with its
    children.  A plan ("1..N") that is not met adds a failure for every
    result that never came, so a test that dies midway cannot pass.
    """
    out = []
    stack = [_Frame(0, '')]

    def full(name):
        parts = [f.name for f in stack if f.name] + [name]
        return '%s: %s' % (prefix, '.'.join(parts))

    def close(frame):
        if frame.plan is not None and frame.count < frame.plan:
            missing = frame.plan - frame.count
            out.append(Result(full('(%d of %d results missing)' %
                                   (missing, frame.plan)), FAIL,
                              'the test stopped before reporting them'))
            frame.failed = True

    diag = []
    for line in text.splitlines():
        line = line.rstrip('\r')
        m = _SUBTEST.match(line)
        if m:
            stack.append(_Frame(len(m.group(1)), m.group(2)))
            continue
        m = _PLAN.match(line)
        if m:
            indent = len(m.group(1))
            frame = stack[-1] if stack[-1].indent == indent else None
            if frame is None:
                frame = _Frame(indent, '')
                stack.append(frame)
            frame.plan = int(m.group(2))
            continue
        m = _RESULT.match(line)
        if not m:
            note = line.strip().lstrip('#').strip()
            if note and not note.startswith(('KTAP version', 'TAP version',
                                             'RUN ', 'OK ')):
                diag.append(note)
            continue
        why, diag = ' | '.join(diag[-4:])[:400], []
        indent, ok, name = len(m.group(1)), m.group(2).lower() == 'ok', \
            m.group(4)
        directive = (m.group(5) or '').upper()
        child = None
        while len(stack) > 1 and stack[-1].indent > indent:
            child = stack.pop()
            close(child)
        if child and child.count:
            # The parent line of a subtest block: its children were the
            # results.
            if not ok and not child.failed:
                out.append(Result(full(child.name), FAIL,
                                  'failed outside its test cases'))
            stack[-1].count += 1
            continue
        if stack[-1].indent != indent:
            stack.append(_Frame(indent, ''))
        stack[-1].count += 1
        if directive == 'SKIP':
            out.append(Result(full(name), SKIP, m.group(6) or ''))
        elif ok:
            out.append(Result(full(name), PASS))
        else:
            stack[-1].failed = True
            out.append(Result(full(name), FAIL, why))
    while stack:
        close(stack.pop())
    return out


_SPLAT = re.compile(
    r'BUG:|WARNING:|Oops|Call Trace:|Kernel panic|kernel BUG at|'
    r'general protection fault|KASAN:|UBSAN:|KFENCE:|'
    r'unreferenced object 0x|suspected memory leak|ODEBUG:|'
    r'list_(?:add|del) corruption|circular locking|recursive locking|'
    r'inconsistent lock state|suspicious RCU usage|DEBUG_LOCKS_WARN_ON|'
    r'blocked for more than|soft lockup|self-detected stall')
_MARK = re.compile(r'pvguest: (BEGIN|END) (\S+)')


def splats(console):
    """{step: first splat line} for the kernel log of one boot; the step is
    the plan item that was running, 'boot' before the first, or 'after
    ITEM' between items."""
    found = {}
    step = 'boot'
    for line in console.splitlines():
        m = _MARK.search(line)
        if m:
            step = m.group(2) if m.group(1) == 'BEGIN' else \
                'after ' + m.group(2)
            continue
        m = _SPLAT.search(line)
        if m and step not in found:
            found[step] = line.strip()[:200]
    return found
