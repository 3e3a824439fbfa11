# SPDX-License-Identifier: GPL-2.0
"""Sphinx configuration for pvguest's Documentation/.

Built by `make htmldocs` (Documentation/htmldocs.sh), which points
PVGUEST_KSRC at a Linux 6.12 tree holding the kernel's own kernel-doc
extension (Documentation/sphinx/kerneldoc.py) and script
(scripts/kernel-doc); nothing of the kernel is copied into this tree.
"""

import os
import sys

KSRC = os.environ.get('PVGUEST_KSRC')
if not KSRC:
    raise RuntimeError('PVGUEST_KSRC is not set: build with `make htmldocs`')

# kerneldoc.py imports its neighbour kernellog.py.
sys.path.insert(0, os.path.join(KSRC, 'Documentation', 'sphinx'))

project = 'pvguest'
author = 'the pvguest authors'
copyright = 'the pvguest authors, GPL-2.0'

needs_sphinx = '5.3'
extensions = ['kerneldoc']
root_doc = 'index'
source_suffix = '.rst'
exclude_patterns = []
language = 'en'

# Directive paths (`.. kernel-doc:: pvlock/include/pvlock.h`) are relative
# to the top of the tree, as in the kernel.
kerneldoc_srctree = os.path.dirname(os.path.dirname(os.path.abspath(
    __file__)))
kerneldoc_bin = os.path.join(KSRC, 'scripts', 'kernel-doc')
# Print kernel-doc's warnings; htmldocs.sh also sets KDOC_WERROR, so a
# warning fails the directive and, with sphinx-build -W, the build.
kerneldoc_verbosity = 1

html_theme = 'alabaster'
html_title = 'pvguest documentation'
html_show_sourcelink = False
html_copy_source = False
