# SPDX-License-Identifier: GPL-2.0
"""Where things are."""

import os

SELFTESTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOP = os.path.dirname(SELFTESTS)
OUT = os.path.join(TOP, 'out')
CACHE = os.environ.get('PVGUEST_CACHE') or os.path.join(
    os.environ.get('XDG_CACHE_HOME') or os.path.expanduser('~/.cache'),
    'pvguest')
