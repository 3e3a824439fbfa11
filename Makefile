# SPDX-License-Identifier: GPL-2.0
#
# pvguest: out-of-tree build, and the QEMU harness.
#
#   make [KDIR=<kernel build dir>]   build the modules (default: running kernel)
#   make install / clean
#   make demo                        boot a guest and show the modules working
#   make check [ONLY='glob ...']     every test, on the debug guest kernel
#   make bench [ONLY=glob]           the benchmarks (ONLY=tmem: one module's),
#                                    on the release guest kernel
#   make shell                       an interactive guest
#   make lint                        checkpatch --strict, sparse, W=1
#   make htmldocs                    Documentation/ as HTML, in out/htmldocs
#   make deps                        install what the harness needs (Debian)
#
# Build products go under out/; guest kernels are cached outside the clone,
# in $(PVGUEST_CACHE) (default ~/.cache/pvguest).

KDIR ?= /lib/modules/$(shell uname -r)/build
OUT := $(CURDIR)/out
PYTHON ?= python3
RUN := $(PYTHON) $(CURDIR)/selftests/run.py
ONLY ?=
ONLY_ARGS = $(foreach pat,$(ONLY),--only '$(pat)')
MODULE_DIRS := $(wildcard virtio_serial pvlock tmem)

KREL = $(shell cat $(KDIR)/include/config/kernel.release 2>/dev/null)
BUILD = $(OUT)/build/$(KREL)

all: modules

kdir:
	@test -f "$(KDIR)/Makefile" || { \
	echo "error: no kernel build tree at KDIR=$(KDIR): install Debian's" \
	     "linux-headers-$$(uname -r), pass KDIR=<kernel build dir>, or run" \
	     "'make demo' to try the modules in a QEMU guest." >&2; exit 1; }

# Kbuild writes its objects beside the sources, so build a mirror of the
# tree under out/, one per kernel.
sync: kdir
	@mkdir -p $(BUILD)
	@rsync -a --delete --include='*/' --include=Kbuild --include=Kconfig \
		--include='*.[ch]' --exclude='*' Kbuild Kconfig $(MODULE_DIRS) \
		$(BUILD)/

modules: sync
	$(MAKE) -C $(KDIR) M=$(BUILD) modules

install: modules
	$(MAKE) -C $(KDIR) M=$(BUILD) INSTALL_MOD_DIR=extra modules_install
	depmod -a $(KREL)

clean:
	rm -rf $(OUT)

deps:
	@sh selftests/deps.sh

check: deps
	@sh selftests/deps.sh stock
	$(RUN) check $(ONLY_ARGS)

lint: deps
	$(RUN) check --only 'lint.*'

# Sphinx, with the kernel's kernel-doc extension (see the script).
htmldocs: deps
	@sh Documentation/htmldocs.sh $(OUT)/htmldocs

.PHONY: htmldocs

selfcheck: deps
	$(RUN) check --only 'harness.selfcheck'

demo: deps
	$(RUN) demo

shell: deps
	$(RUN) shell

bench: deps
	$(RUN) bench $(ONLY_ARGS)

.PHONY: all kdir sync modules install clean deps check lint selfcheck demo \
	shell bench
