# SPDX-License-Identifier: GPL-2.0
"""Unit tests of the verdict readers (run by `make check` as harness.ktap)."""

import unittest

from .guest import _sections
from .ktap import FAIL, PASS, SKIP, parse, splats

KUNIT = """KTAP version 1
1..1
    KTAP version 1
    # Subtest: suite_a
    1..3
    ok 1 case_one
    not ok 2 case_two
    ok 3 case_three # SKIP not here
not ok 1 suite_a
"""

KUNIT_PARAM = """KTAP version 1
1..1
    # Subtest: suite_b
    1..1
        # Subtest: param_case
        1..2
        ok 1 p0
        ok 2 p1
    ok 1 param_case
ok 1 suite_b
"""

KSFT = """TAP version 13
1..3
# Starting 3 tests from 1 test cases.
#  RUN           global.a ...
#            OK  global.a
ok 1 global.a
# b: Test terminated by timeout
not ok 2 global.b
ok 3 global.c # SKIP no device
# Totals: pass:1 fail:1 xfail:0 xpass:0 skip:1 error:0
"""


def statuses(results):
    return [(r.name, r.status) for r in results]


class ParseTest(unittest.TestCase):
    def test_kunit_nested(self):
        self.assertEqual(statuses(parse(KUNIT, 's')), [
            ('s: suite_a.case_one', PASS), ('s: suite_a.case_two', FAIL),
            ('s: suite_a.case_three', SKIP)])

    def test_kunit_params_are_leaves(self):
        self.assertEqual(statuses(parse(KUNIT_PARAM, 's')), [
            ('s: suite_b.param_case.p0', PASS),
            ('s: suite_b.param_case.p1', PASS)])

    def test_kselftest(self):
        self.assertEqual(statuses(parse(KSFT, 'k')), [
            ('k: global.a', PASS), ('k: global.b', FAIL),
            ('k: global.c', SKIP)])

    def test_failure_says_why(self):
        res = parse('1..1\n# x.c:3:t:Expected 1 == 2\nnot ok 1 t\n', 'k')
        self.assertEqual(res[0].detail, 'x.c:3:t:Expected 1 == 2')

    def test_unmet_plan_fails(self):
        res = parse('TAP version 13\n1..3\nok 1 a\n', 'k')
        self.assertEqual([r.status for r in res], [PASS, FAIL])
        self.assertIn('2 of 3 results missing', res[1].name)

    def test_unmet_nested_plan_fails(self):
        text = '1..1\n    # Subtest: s\n    1..2\n    ok 1 a\nok 1 s\n'
        self.assertIn(FAIL, [r.status for r in parse(text, 'k')])

    def test_parent_failure_without_failed_child(self):
        text = '1..1\n    # Subtest: s\n    1..1\n    ok 1 a\nnot ok 1 s\n'
        res = parse(text, 'k')
        self.assertEqual(statuses(res), [('k: s.a', PASS), ('k: s', FAIL)])

    def test_nothing(self):
        self.assertEqual(parse('random output\n', 'k'), [])


class SplatTest(unittest.TestCase):
    def test_attribution(self):
        log = '\n'.join([
            '[ 0.1] kasan: KernelAddressSanitizer initialized (generic)',
            '[ 1.0] pvguest: BEGIN kunit:foo',
            '[ 1.1] BUG: KASAN: slab-out-of-bounds in foo+0x1/0x2',
            '[ 1.2] pvguest: END kunit:foo 0',
            '[ 1.3] WARNING: CPU: 0 PID: 1 at x.c:1 bar',
        ])
        self.assertEqual(splats(log), {
            'kunit:foo': '[ 1.1] BUG: KASAN: slab-out-of-bounds in '
                         'foo+0x1/0x2',
            'after kunit:foo': '[ 1.3] WARNING: CPU: 0 PID: 1 at x.c:1 bar'})

    def test_clean_boot(self):
        log = ('[ 0.0] kfence: initialized - using 2097152 bytes\n'
               '[ 0.2] pvguest: BEGIN ksft:x\n[ 0.3] pvguest: END ksft:x 0\n')
        self.assertEqual(splats(log), {})


class SectionsTest(unittest.TestCase):
    def test_repeated_item_kept_apart(self):
        # virtio_serial.many runs its test twice: the first run's verdict
        # must not be replaced by the second's.
        text = '\n'.join([
            'PVGUEST BEGIN ksft:t', 'not ok 1 x', 'PVGUEST END ksft:t 1',
            'PVGUEST BEGIN unload:m', 'PVGUEST END unload:m 0',
            'PVGUEST BEGIN ksft:t', 'ok 1 x', 'PVGUEST END ksft:t 0',
            'PVGUEST BEGIN ksft:u', 'ok 1 y'])
        self.assertEqual(_sections(text), ([
            ('ksft:t', 'not ok 1 x', 1), ('unload:m', '', 0),
            ('ksft:t', 'ok 1 x', 0), ('ksft:u', 'ok 1 y', None)], False))


if __name__ == '__main__':
    unittest.main()
