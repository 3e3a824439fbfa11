# SPDX-License-Identifier: GPL-2.0
"""The pvguest QEMU harness (host side, Python standard library only)."""
